/*
 * cmd_audit.c - `greenlight audit`: verify the hash chain of the audit log, and export one
 * client's events for a date range.
 *
 * verify works on the database file directly (it must exist; a running server may keep
 * writing meanwhile), reading the log a page at a time. export reads either the database
 * (--db) or a server's API (--server/--token, the default); both print JSON Lines: one
 * event object per line, oldest first by time, exactly as GET /api/v1/audit/export
 * returns its items, so a large export streams and each line stands alone.
 *
 * Exit codes: 0 intact / exported, 1 broken chain or a refused request, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/api_client.h"
#include "codec/json_risk.h"
#include "cli/cli.h"
#include "codec/json.h"
#include "core/timefmt.h"
#include "store/store.h"
#include "util/buf.h"

#include "util/banned.h"

static const char verify_usage[] =
    "usage: greenlight audit verify [--db PATH]\n"
    "\n"
    "Recomputes every event's hash and link. Prints \"audit log intact: N events, last\n"
    "hash H\" and exits 0, or \"audit log broken at event N: REASON\" and exits 1.\n";
static const char export_usage[] =
    "usage: greenlight audit export --client KEY [--from TIME] [--to TIME]\n"
    "                               [--db PATH | --server URL --token T]\n"
    "\n"
    "Prints the client's events with FROM <= time < TO (RFC 3339, open when omitted) as\n"
    "JSON Lines, one event per line, oldest first.\n";

static int open_existing(const char *db, struct gl_store **st)
{
    struct stat sb;
    struct gl_error err = {0};
    if (stat(db, &sb) < 0)
        return gl_cli_fail("cannot read %s: %s", db, strerror(errno));
    *st = gl_store_open_sqlite(db, gl_json_change_renderer(), &err);
    if (!*st)
        return gl_cli_fail("cannot open database %s: %s", db, err.detail);
    return 0;
}

/* ---- verify ------------------------------------------------------------------------- */

static int audit_verify(int argc, char **argv)
{
    const char *db = GL_CLI_DEFAULT_DB;
    const struct gl_cli_opt opts[] = {GL_CLI_STR("db", &db)};
    int rc = gl_cli_parse(argc, argv, verify_usage, NULL, opts, 1, 0, 0, NULL);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;

    struct gl_store *st = NULL;
    struct gl_error err = {0};
    struct gl_audit_verifier v;
    rc = open_existing(db, &st);
    if (rc)
        return rc;
    if (gl_store_audit_verify(st, &v, &err)) {
        rc = gl_cli_fail("cannot read the audit log: %s", err.detail);
    } else if (v.broken_id) {
        printf("audit log broken at event %lld: %s\n", (long long)v.broken_id, v.reason);
        rc = GL_EXIT_FAIL;
    } else {
        char hash[2 * GL_AUDIT_HASH_LEN + 1];
        gl_audit_hash_hex(v.last_hash, hash);
        printf("audit log intact: %lld events, last hash %s\n", (long long)v.events, hash);
    }
    gl_store_close(st);
    return rc;
}

/* ---- export ------------------------------------------------------------------------- */

struct export_args {
    struct gl_api_opts api;
    const char *db, *client, *from, *to;
    int64_t from_t, to_t;
};

/* Returns 0, -1 after printing help, or an exit code. */
static int parse_export(int argc, char **argv, struct export_args *a)
{
    const struct gl_cli_opt opts[] = {
        GL_CLI_STR("db", &a->db),
        GL_CLI_STR("client", &a->client),
        GL_CLI_STR("from", &a->from),
        GL_CLI_STR("to", &a->to),
    };
    int rc = gl_cli_parse(argc, argv, export_usage, &a->api, opts, sizeof opts / sizeof opts[0], 0,
                          0, NULL);
    if (rc)
        return rc;
    if (a->from && gl_time_parse(a->from, &a->from_t) < 0)
        return gl_cli_usage_error("audit export: --from wants an RFC 3339 time");
    if (a->to && gl_time_parse(a->to, &a->to_t) < 0)
        return gl_cli_usage_error("audit export: --to wants an RFC 3339 time");
    if (!a->client)
        return gl_cli_usage_error("audit export: --client KEY is required");
    if (a->db && (a->api.server || a->api.token))
        return gl_cli_usage_error("audit export: give --db or --server/--token, not both");
    if (a->from && a->to && a->to_t <= a->from_t)
        return gl_cli_usage_error("audit export: --to must be later than --from");
    return 0;
}

static int print_line(json_t *ev)
{
    char *s = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    if (!s)
        return gl_cli_fail("out of memory");
    puts(s);
    free(s);
    return 0;
}

static int export_pages(struct gl_store *st, const struct gl_client *client,
                        struct gl_audit_filter *f)
{
    struct gl_error err = {0};
    do {
        struct gl_audit_page p;
        if (st->audit->export(st, f, &p, &err))
            return gl_cli_fail("cannot read the audit log: %s", err.detail);
        int rc = 0;
        for (size_t i = 0; i < p.len && !rc; i++)
            rc = print_line(gl_json_audit_export(&p.items[i], client->key));
        f->after_id = p.next_cursor;
        gl_audit_page_release(&p);
        if (rc)
            return rc;
    } while (f->after_id);
    return fflush(stdout) ? gl_cli_fail("cannot write the export") : 0;
}

static int export_db(const struct export_args *a)
{
    struct gl_store *st = NULL;
    struct gl_error err = {0};
    struct gl_client client;
    int rc = open_existing(a->db, &st);
    if (rc)
        return rc;
    gl_client_init(&client);
    if (st->clients->get(st, a->client, &client, &err)) {
        rc = gl_cli_fail("audit export: unknown client %s", a->client);
    } else {
        struct gl_audit_filter f = {.client_id = client.id,
                                    .from = a->from ? a->from_t : GL_TIME_UNSET,
                                    .to = a->to ? a->to_t : GL_TIME_UNSET,
                                    .limit = GL_AUDIT_PAGE_MAX};
        rc = export_pages(st, &client, &f);
    }
    gl_client_release(&client);
    gl_store_close(st);
    return rc;
}

/* The request path of one page; cursor NULL for the first. */
static int page_path(struct gl_buf *path, const struct export_args *a, const char *cursor)
{
    gl_buf_reset(path);
    return gl_buf_puts(path, "/api/v1/audit/export") < 0 ||
                   gl_api_query(path, "client", a->client) < 0 ||
                   gl_api_query(path, "from", a->from) < 0 || gl_api_query(path, "to", a->to) < 0 ||
                   gl_api_query(path, "limit", "200") < 0 ||
                   gl_api_query(path, "cursor", cursor) < 0
               ? -1
               : 0;
}

static int export_api(const struct export_args *a)
{
    struct gl_api *api = gl_api_new(&a->api);
    struct gl_buf path = GL_BUF_INIT, cursor = GL_BUF_INIT;
    int rc = api ? 0 : GL_EXIT_FAIL;
    bool more = true;
    while (!rc && more) {
        struct gl_api_response r = {0};
        if (page_path(&path, a, cursor.len ? cursor.data : NULL) < 0)
            rc = gl_cli_fail("out of memory");
        else if (gl_api_request(api, "GET", path.data, NULL, NULL, &r) < 0)
            rc = GL_EXIT_FAIL;
        size_t i;
        json_t *ev;
        json_array_foreach(json_object_get(r.body, "items"), i, ev)
        {
            if (!rc)
                rc = print_line(json_incref(ev));
        }
        const char *next = gl_api_str(r.body, "next_cursor");
        more = next != NULL;
        gl_buf_reset(&cursor);
        if (more && gl_buf_puts(&cursor, next) < 0)
            rc = gl_cli_fail("out of memory");
        gl_api_response_release(&r);
    }
    gl_buf_release(&path);
    gl_buf_release(&cursor);
    gl_api_free(api);
    return rc;
}

static int audit_export(int argc, char **argv)
{
    struct export_args a = {0};
    int rc = parse_export(argc, argv, &a);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    return a.db ? export_db(&a) : export_api(&a);
}

static const struct gl_cli_cmd audit_cmds[] = {
    {"verify", audit_verify, "prove the audit log's hash chain intact, or name the first break"},
    {"export", audit_export, "one client's audit events for a date range, as JSON Lines"},
};

int gl_cmd_audit(int argc, char **argv)
{
    return gl_cli_dispatch(audit_cmds, sizeof audit_cmds / sizeof audit_cmds[0],
                           "usage: greenlight audit COMMAND [ARGS]\n", argc, argv);
}
