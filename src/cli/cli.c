/*
 * cli.c - the top of the command line: the table of commands and the helpers they share.
 *
 * The command tables (here and in every cmd_*.c) are the one place a command is declared;
 * help text is generated from them, so a command cannot exist without being listed.
 */
#include "cli/cli.h"
#include "cli/cmd_policy.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "util/buf.h"

#include "util/banned.h"

#ifndef GL_VERSION
#define GL_VERSION "0.1.0"
#endif

static const struct gl_cli_cmd commands[] = {
    {"serve", gl_cmd_serve, "run the HTTP server (API and web UI)"},
    {"db", gl_cmd_db, "migrate or back up the database"},
    {"user", gl_cmd_user, "create users and API tokens (on the database directly)"},
    {"change", gl_cmd_change, "create, list, show, edit and move changes through their lifecycle"},
    {"client", gl_cmd_client, "list, show and add clients (tenants)"},
    {"ci", gl_cmd_ci, "list, show, add and update configuration items; import, export"},
    {"audit", gl_cmd_audit, "verify the audit log's hash chain; export a client's events"},
    {"what-changed", gl_cmd_what_changed, "changes on a CI and what it depends on, or a client"},
    {"doc", gl_cmd_doc, "versioned client documentation: list, show, add, edit, diff, review"},
    {"policy", gl_cmd_policy, "the change policy: show it, replace it from a file, versions"},
    {"report", gl_cmd_report, "a client's changes in a period, as a summary, JSON or HTML page"},
    {"calendar", gl_cmd_calendar, "a client's changes, maintenance windows and blackouts"},
    {"window", gl_cmd_window, "maintenance windows: add, list"},
    {"blackout", gl_cmd_blackout, "blackout periods (client or global): add, list"},
    {"template", gl_cmd_template, "standard-change templates: list, show, add, reapprove"},
    {"cab", gl_cmd_cab, "the Change Advisory Board's agenda"},
    {"metrics", gl_cmd_metrics, "change metrics: the emergency ratio (misuse signal)"},
};

static const char intro[] =
    "greenlight - change enablement for IT teams and MSPs\n"
    "\n"
    "usage: greenlight [--version] [--help] COMMAND [ARGS...]\n"
    "\n"
    "API commands (change, client, ci) take --server URL (or $GREENLIGHT_URL, default\n"
    "http://127.0.0.1:8080), --token TOKEN (or $GREENLIGHT_TOKEN) and --json.\n";

static void print_table(const char *head, const struct gl_cli_cmd *cmds, size_t n)
{
    fputs(head, stdout);
    fputs("\ncommands:\n", stdout);
    for (size_t i = 0; i < n; i++)
        printf("  %-10s %s\n", cmds[i].name, cmds[i].summary);
}

static bool is_help(const char *s)
{
    return !strcmp(s, "help") || !strcmp(s, "--help") || !strcmp(s, "-h");
}

static const struct gl_cli_cmd *find_cmd(const struct gl_cli_cmd *cmds, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(cmds[i].name, name))
            return &cmds[i];
    return NULL;
}

int gl_cli_dispatch(const struct gl_cli_cmd *cmds, size_t n, const char *head, int argc,
                    char **argv)
{
    if (argc < 2) {
        print_table(head, cmds, n);
        return GL_EXIT_USAGE;
    }
    if (is_help(argv[1])) {
        print_table(head, cmds, n);
        return GL_EXIT_OK;
    }
    const struct gl_cli_cmd *cmd = find_cmd(cmds, n, argv[1]);
    if (!cmd)
        return argv[0] == gl_cli_cmdname(argv[0])
                   ? gl_cli_usage_error("unknown command '%s' (see '%s help')", argv[1], argv[0])
                   : gl_cli_usage_error("%s: unknown command '%s' (see '%s help')",
                                        gl_cli_cmdname(argv[0]), argv[1], argv[0]);

    struct gl_buf name = GL_BUF_INIT;
    if (gl_buf_printf(&name, "%s %s", argv[0], cmd->name) < 0)
        return gl_cli_fail("out of memory");
    char *saved = argv[1];
    argv[1] = name.data;
    int rc = cmd->fn(argc - 1, argv + 1);
    argv[1] = saved;
    gl_buf_release(&name);
    return rc;
}

const char *gl_cli_cmdname(const char *argv0)
{
    static const char prefix[] = "greenlight ";
    return strncmp(argv0, prefix, sizeof prefix - 1) ? argv0 : argv0 + sizeof prefix - 1;
}

void gl_cli_getopt_reset(void)
{
    optind = 0;
    opterr = 1;
}

static void vmessage(const char *fmt, va_list ap)
{
    struct gl_buf b = GL_BUF_INIT;
    gl_buf_puts(&b, "greenlight: ");
    gl_buf_vprintf(&b, fmt, ap);
    gl_buf_putc(&b, '\n');
    fputs(gl_buf_str(&b), stderr);
    gl_buf_release(&b);
}

int(gl_cli_usage_error)(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(fmt, ap);
    va_end(ap);
    return GL_EXIT_USAGE;
}

int(gl_cli_fail)(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(fmt, ap);
    va_end(ap);
    return GL_EXIT_FAIL;
}

void gl_cli_warn(const char *fmt, ...)
{
    struct gl_buf b = GL_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    gl_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    gl_cli_fail("warning: %s", gl_buf_str(&b));
    gl_buf_release(&b);
}

int gl_cli_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!s || !*s)
        return -1;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int gl_cli_make_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return 0;
    struct gl_buf dir = GL_BUF_INIT;
    int rc = 0;
    if (gl_buf_append(&dir, path, (size_t)(slash - path)) < 0) {
        rc = -1;
        goto out;
    }
    /* mkdir -p: create each missing component in turn. */
    for (char *p = dir.data + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(dir.data, 0755) < 0 && errno != EEXIST) {
            gl_cli_fail("cannot create directory %s: %s", dir.data, strerror(errno));
            rc = -1;
            goto out;
        }
        *p = saved;
        if (!saved)
            break;
    }
out:
    gl_buf_release(&dir);
    return rc;
}

int64_t gl_cli_now(void)
{
    return (int64_t)time(NULL);
}

int gl_cli_main(int argc, char **argv)
{
    static char prog[] = "greenlight";
    if (sodium_init() < 0)
        return gl_cli_fail("libsodium could not be initialised");
    if (argc >= 2 && !strcmp(argv[1], "--version")) {
        printf("greenlight %s\n", GL_VERSION);
        return GL_EXIT_OK;
    }
    if (argc >= 1)
        argv[0] = prog;
    return gl_cli_dispatch(commands, sizeof commands / sizeof commands[0], intro, argc, argv);
}
