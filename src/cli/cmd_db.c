/*
 * cmd_db.c - `greenlight db`: schema migrations and online backups, on the database file
 * directly (no server needed; a running server may keep using the database meanwhile).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "store/store.h"

#include "util/banned.h"

static const char migrate_usage[] = "usage: greenlight db migrate [--db PATH]\n";
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
    *st = gl_store_open_sqlite(db, &err);
    if (!*st)
        return gl_cli_fail("cannot open database %s: %s", db, err.detail);
    return 0;
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
    {"migrate", db_migrate, "create the database if needed and apply pending migrations"},
    {"backup", db_backup, "consistent online copy of the database to a new file"},
};

int gl_cmd_db(int argc, char **argv)
{
    return gl_cli_dispatch(db_cmds, sizeof db_cmds / sizeof db_cmds[0],
                           "usage: greenlight db COMMAND [--db PATH] [ARGS]\n", argc, argv);
}
