/*
 * cmd_db.c - `greenlight db`: schema migrations and online backups, on the database file
 * directly (no server needed; a running server may keep using the database meanwhile).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cal/recur.h"
#include "codec/json_risk.h"
#include "cli/cli.h"
#include "store/store.h"

#include "util/banned.h"

static const char migrate_usage[] =
    "usage: greenlight db migrate [--db PATH]\n"
    "  Creates the database if needed and applies pending migrations. Then it checks the\n"
    "  stored clients: each whose time zone is missing or unknown (\"Mars/Base\", which older\n"
    "  releases accepted) gets one warning line on stderr naming its id, key, name and zone.\n"
    "  The warnings do not fail the migration (exit 0); fix each client with\n"
    "  PATCH /api/v1/clients/KEY {\"timezone\": \"Europe/London\"}.\n";
static const char backup_usage[] = "usage: greenlight db backup [--db PATH] DEST\n";

/* Parses [--db PATH] [--help] and leaves optind at the first positional argument.
 * Returns 0, -1 after printing help, or GL_EXIT_USAGE. */
static int parse_db_opt(int argc, char **argv, const char **db, const char *usage)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    gl_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            *db = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default:
            return GL_EXIT_USAGE;
        }
    }
    return 0;
}

static int open_store(const char *db, struct gl_store **st)
{
    struct gl_error err = {0};
    if (gl_cli_make_parent_dir(db) < 0)
        return GL_EXIT_FAIL;
    *st = gl_store_open_sqlite(db, gl_json_change_renderer(), &err);
    if (!*st)
        return gl_cli_fail("cannot open database %s: %s", db, err.detail);
    return 0;
}

/* s for a one-line message: control characters as '?', cut at a UTF-8 character boundary
 * before 60 bytes. */
static const char *printable(const char *s, char out[64])
{
    size_t n = 0;
    for (; s && s[n] && n < 60; n++)
        out[n] = (unsigned char)s[n] < 0x20 || s[n] == 0x7f ? '?' : s[n];
    if (s && s[n])
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    out[n] = '\0';
    return out;
}

/* One warning per stored client whose time zone the calendar cannot use: releases before
 * the check in POST/PATCH /api/v1/clients stored any well-formed name. Returns the count,
 * or -1 when the clients cannot be read. */
static int warn_bad_timezones(struct gl_store *st, struct gl_error *err)
{
    const struct gl_scope all = {.all = true};
    struct gl_client_list list = {0};
    int bad = 0;
    if (st->clients->list(st, &all, &list, err) != 0)
        return -1;
    for (size_t i = 0; i < list.len; i++) {
        const struct gl_client *c = &list.items[i];
        char name[64], tz[64];
        if (c->timezone && gl_tz_known(c->timezone))
            continue;
        bad++;
        if (c->timezone)
            gl_cli_warn("client %lld %s (\"%s\") has an unknown time zone \"%s\": its windows and "
                        "notices cannot be computed; set a known one with PATCH "
                        "/api/v1/clients/%s",
                        (long long)c->id, c->key, printable(c->name, name),
                        printable(c->timezone, tz), c->key);
        else
            gl_cli_warn("client %lld %s (\"%s\") has no time zone (the calendar reads it as UTC); "
                        "set one with PATCH /api/v1/clients/%s",
                        (long long)c->id, c->key, printable(c->name, name), c->key);
    }
    gl_client_list_release(&list);
    return bad;
}

static int db_migrate(int argc, char **argv)
{
    const char *db = GL_CLI_DEFAULT_DB;
    struct gl_store *st = NULL;
    struct gl_error err = {0};
    int applied = 0;
    int rc = parse_db_opt(argc, argv, &db, migrate_usage);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    if (optind < argc)
        return gl_cli_usage_error("db migrate: unexpected argument '%s'", argv[optind]);
    if ((rc = open_store(db, &st)) != 0)
        return rc;
    if (st->admin->migrate(st, &applied, &err) != 0) {
        rc = gl_cli_fail("migration failed: %s", err.detail);
        goto out;
    }
    /* Opening the store already applies pending migrations (store.h), so this counts only
     * what was still pending after that; see the note in the report on store.h. */
    int64_t rendered = 0;
    if (st->changes->rerender(st, &rendered, &err) != 0) {
        rc = gl_cli_fail("re-rendering changes failed: %s", err.detail);
        goto out;
    }
    printf("%d migration%s applied; %s is up to date\n", applied, applied == 1 ? "" : "s", db);
    if (rendered)
        printf("%lld change rendering%s brought to the current format\n", (long long)rendered,
               rendered == 1 ? "" : "s");
    if (warn_bad_timezones(st, &err) < 0)
        rc = gl_cli_fail("checking the clients' time zones failed: %s", err.detail);
out:
    gl_store_close(st);
    return rc;
}

static int db_backup(int argc, char **argv)
{
    const char *db = GL_CLI_DEFAULT_DB;
    struct gl_store *st = NULL;
    struct gl_error err = {0};
    struct stat sb;
    int rc = parse_db_opt(argc, argv, &db, backup_usage);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    if (argc - optind != 1)
        return gl_cli_usage_error("db backup: wants exactly one DEST (see --help)");
    const char *dest = argv[optind];
    if (stat(dest, &sb) == 0)
        return gl_cli_fail("db backup: %s already exists; refusing to overwrite it", dest);
    if (errno != ENOENT)
        return gl_cli_fail("db backup: cannot check %s: %s", dest, strerror(errno));
    if (stat(db, &sb) < 0)
        return gl_cli_fail("db backup: cannot read %s: %s", db, strerror(errno));
    if ((rc = open_store(db, &st)) != 0)
        return rc;
    if (st->admin->backup(st, dest, &err) != 0) {
        rc = gl_cli_fail("backup failed: %s", err.detail);
        goto out;
    }
    printf("backed up %s to %s\n", db, dest);
out:
    gl_store_close(st);
    return rc;
}

static const struct gl_cli_cmd db_cmds[] = {
    {"migrate", db_migrate,
     "create the database if needed, apply pending migrations, warn about bad client zones"},
    {"backup", db_backup, "consistent online copy of the database to a new file"},
};

int gl_cmd_db(int argc, char **argv)
{
    return gl_cli_dispatch(db_cmds, sizeof db_cmds / sizeof db_cmds[0],
                           "usage: greenlight db COMMAND [--db PATH] [ARGS]\n", argc, argv);
}
