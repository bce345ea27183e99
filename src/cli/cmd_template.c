/*
 * cmd_template.c - standard-change templates from the command line, through the API:
 * `greenlight template list [--client KEY]`, `template show TPL`, `template add FILE`
 * (the template as JSON, - for stdin) and `template reapprove TPL [--comment TEXT]`.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api_client.h"
#include "cli/cli.h"
#include "cli/table.h"
#include "util/buf.h"

#include "util/banned.h"

struct tpl_args {
    struct gl_api_opts api;
    const char *client, *comment;
    char **pos;
};

/* Parses the common options; npos positional arguments are required. 0, or an exit code
 * (-1: help printed). */
static int parse(int argc, char **argv, int npos, const char *usage, struct tpl_args *a)
{
    memset(a, 0, sizeof *a);
    const struct gl_cli_opt opts[] = {
        GL_CLI_STR("client", &a->client),
        GL_CLI_STR("comment", &a->comment),
    };
    int rc = gl_cli_parse(argc, argv, usage, &a->api, opts, sizeof opts / sizeof opts[0], npos,
                          npos, npos ? "exactly one TEMPLATE or FILE" : "no arguments");
    if (rc)
        return rc;
    a->pos = argv + optind;
    return 0;
}

static int call(struct tpl_args *a, const char *method, const char *path, const json_t *body,
                struct gl_api_response *r)
{
    return gl_api_call(&a->api, method, path, body, NULL, r);
}

static int tpl_path(struct gl_buf *path, const char *ident, const char *tail)
{
    return gl_buf_puts(path, "/api/v1/templates") || gl_api_segment(path, ident) ||
           (tail && gl_buf_puts(path, tail));
}

static void show(const json_t *t)
{
    static const char *const keys[] = {"id",         "name",           "client",    "description",
                                       "steps",      "rollback_plan",  "test_plan", "ci_types",
                                       "max_risk",   "roles",          "users",     "standing",
                                       "revoked_at", "revoked_reason", "version"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        struct gl_buf v = GL_BUF_INIT;
        gl_api_text(&v, t, keys[i]);
        gl_view_line(stdout, keys[i], v.len ? gl_buf_str(&v) : NULL);
        gl_buf_release(&v);
    }
}

static const char list_usage[] =
    "usage: greenlight template list [--client KEY] [--server URL] [--token T] [--json]\n";

static int tpl_list(int argc, char **argv)
{
    struct tpl_args a;
    struct gl_api_response r = {0};
    struct gl_buf path = GL_BUF_INIT;
    int rc = parse(argc, argv, 0, list_usage, &a);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    rc =
        gl_buf_puts(&path, "/api/v1/templates?limit=200") || gl_api_query(&path, "client", a.client)
            ? GL_EXIT_FAIL
            : call(&a, "GET", gl_buf_str(&path), NULL, &r);
    if (!rc && a.api.json) {
        gl_api_print_json(r.body);
    } else if (!rc) {
        static const struct gl_api_col cols[] = {
            {.head = "ID", .key = "id"},
            {.head = "NAME", .key = "name"},
            {.head = "CLIENT", .key = "client"},
            {.head = "MAX RISK", .key = "max_risk"},
            {.head = "CI TYPES", .key = "ci_types"},
            {.head = "STANDING", .key = "standing"},
        };
        gl_api_table(json_object_get(r.body, "items"), cols, GL_NCOLS(cols));
    }
    gl_buf_release(&path);
    gl_api_response_release(&r);
    return rc;
}

static const char show_usage[] =
    "usage: greenlight template show TPL [--server URL] [--token T] [--json]\n";

static int tpl_show(int argc, char **argv)
{
    struct tpl_args a;
    struct gl_api_response r = {0};
    struct gl_buf path = GL_BUF_INIT;
    int rc = parse(argc, argv, 1, show_usage, &a);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    rc = tpl_path(&path, a.pos[0], NULL) ? GL_EXIT_FAIL
                                         : call(&a, "GET", gl_buf_str(&path), NULL, &r);
    if (!rc && a.api.json)
        gl_api_print_json(r.body);
    else if (!rc)
        show(r.body);
    gl_buf_release(&path);
    gl_api_response_release(&r);
    return rc;
}

static const char add_usage[] =
    "usage: greenlight template add FILE [--server URL] [--token T] [--json]\n"
    "  FILE (- for stdin) holds the template as JSON: {\"name\", \"client\" (or null for every\n"
    "  client), \"description\", \"steps\", \"rollback_plan\", \"ci_types\": [...], \"max_risk\",\n"
    "  \"roles\": [...], \"users\": [...]}; prints the new template's ID\n";

static int tpl_add(int argc, char **argv)
{
    struct tpl_args a;
    struct gl_api_response r = {0};
    int rc = parse(argc, argv, 1, add_usage, &a);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    json_error_t jerr;
    json_t *body =
        strcmp(a.pos[0], "-") ? json_load_file(a.pos[0], 0, &jerr) : json_loadf(stdin, 0, &jerr);
    if (!body)
        return gl_cli_fail("template add: %s: %s", a.pos[0], jerr.text);
    rc = call(&a, "POST", "/api/v1/templates", body, &r);
    if (!rc && a.api.json)
        gl_api_print_json(r.body);
    else if (!rc)
        printf("%s\n", gl_api_str(r.body, "id"));
    json_decref(body);
    gl_api_response_release(&r);
    return rc;
}

static const char reapprove_usage[] =
    "usage: greenlight template reapprove TPL [--comment TEXT] [--server URL] [--token T] "
    "[--json]\n";

static int tpl_reapprove(int argc, char **argv)
{
    struct tpl_args a;
    struct gl_api_response r = {0};
    struct gl_buf path = GL_BUF_INIT;
    int rc = parse(argc, argv, 1, reapprove_usage, &a);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    json_t *body = a.comment ? json_pack("{s:s}", "comment", a.comment) : json_object();
    rc = tpl_path(&path, a.pos[0], "/reapprove") ? GL_EXIT_FAIL
                                                 : call(&a, "POST", gl_buf_str(&path), body, &r);
    if (!rc && a.api.json)
        gl_api_print_json(r.body);
    else if (!rc)
        printf("%s %s\n", gl_api_str(r.body, "id"), gl_api_str(r.body, "standing"));
    json_decref(body);
    gl_buf_release(&path);
    gl_api_response_release(&r);
    return rc;
}

static const struct gl_cli_cmd tpl_cmds[] = {
    {"list", tpl_list, "the templates you may use"},
    {"show", tpl_show, "one template"},
    {"add", tpl_add, "create a template from a JSON file (change managers)"},
    {"reapprove", tpl_reapprove, "restore a revoked template's pre-approval"},
};

int gl_cmd_template(int argc, char **argv)
{
    static const char usage[] =
        "usage: greenlight template COMMAND [ARGS]\n"
        "Standard-change templates: pre-approved procedures. Make a change from one with\n"
        "POST /api/v1/changes {\"template\": \"TPL-...\", \"client\", \"cis\", \"planned_start\",\n"
        "\"planned_end\"}, then submit it: it is assessed, pre-approved and scheduled.\n";
    return gl_cli_dispatch(tpl_cmds, sizeof tpl_cmds / sizeof tpl_cmds[0], usage, argc, argv);
}
