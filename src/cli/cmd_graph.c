/*
 * cmd_graph.c - the CI graph from the command line, through the API:
 * `greenlight ci relate FROM KIND TO`, `greenlight ci relations ID` and
 * `greenlight what-changed (--ci CI | --client KEY) [--days N] [--depth N]`.
 *
 * An edge FROM -KIND-> TO means FROM depends on TO (runs on it, depends on it, connects
 * to it); see docs/api.md.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api_client.h"
#include "cli/cli.h"
#include "cli/table.h"
#include "core/timefmt.h"
#include "util/buf.h"

#include "util/banned.h"

struct graph_args {
    struct gl_api_opts api;
    const char *ci, *client;
    int64_t days, depth; /* -1 = not given */
    int npos;
    char **pos;
};

static int parse(int argc, char **argv, struct graph_args *a, bool wc, int npos, const char *usage)
{
    const char *days = NULL, *depth = NULL;
    memset(a, 0, sizeof *a);
    a->days = a->depth = -1;
    const struct gl_cli_opt opts[] = {
        GL_CLI_STR("ci", &a->ci),
        GL_CLI_STR("client", &a->client),
        GL_CLI_STR("days", &days),
        GL_CLI_STR("depth", &depth),
    };
    /* Only what-changed takes options besides the API's. */
    int rc = gl_cli_parse(argc, argv, usage, &a->api, opts, wc ? sizeof opts / sizeof opts[0] : 0,
                          npos, npos, npos == 3 ? "FROM KIND TO" : "exactly one CI");
    if (rc)
        return rc;
    if (days && gl_cli_parse_int(days, 1, 3650, &a->days) < 0)
        return gl_cli_usage_error("what-changed: --days wants 1..3650");
    if (depth && gl_cli_parse_int(depth, 0, 10, &a->depth) < 0)
        return gl_cli_usage_error("what-changed: --depth wants 0..10");
    a->pos = argv + optind;
    a->npos = npos;
    return 0;
}

static int run(struct graph_args *a, const char *method, const char *path, const json_t *body,
               struct gl_api_response *r)
{
    return gl_api_call(&a->api, method, path, body, NULL, r);
}

static const char relate_usage[] =
    "usage: greenlight ci relate FROM KIND TO [--server URL] [--token T] [--json]\n"
    "  KIND: runs_on | depends_on | connects_to; FROM -KIND-> TO means FROM depends on TO\n";

int gl_cmd_ci_relate(int argc, char **argv)
{
    struct graph_args a;
    struct gl_api_response r = {0};
    struct gl_buf path = GL_BUF_INIT;
    int rc = parse(argc, argv, &a, false, 3, relate_usage);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    json_t *body = json_pack("{s:s, s:s}", "kind", a.pos[1], "to", a.pos[2]);
    rc = GL_EXIT_FAIL;
    if (body && gl_buf_puts(&path, "/api/v1/cis") == 0 && gl_api_segment(&path, a.pos[0]) == 0 &&
        gl_buf_puts(&path, "/relations") == 0)
        rc = run(&a, "POST", path.data, body, &r);
    if (!rc && a.api.json)
        gl_api_print_json(r.body);
    else if (!rc)
        printf("%s %s %s\n", gl_api_str(r.body, "from"), gl_api_str(r.body, "kind"),
               gl_api_str(r.body, "to"));
    json_decref(body);
    gl_buf_release(&path);
    gl_api_response_release(&r);
    return rc;
}

static const char relations_usage[] =
    "usage: greenlight ci relations ID [--server URL] [--token T] [--json]\n"
    "  prints a table of edges: DIR FROM KIND TO (out: what ID depends on; in: what depends "
    "on ID)\n";

/* One row per relation: "in" when the CI asked about is the target, "out" when the source. */
static const struct gl_api_col relation_cols[] = {
    {.head = "DIR", .key = "direction"},
    {.head = "FROM", .key = "from"},
    {.head = "KIND", .key = "kind"},
    {.head = "TO", .key = "to"},
};
int gl_cmd_ci_relations(int argc, char **argv)
{
    struct graph_args a;
    struct gl_api_response r = {0};
    struct gl_buf path = GL_BUF_INIT;
    int rc = parse(argc, argv, &a, false, 1, relations_usage);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    rc = GL_EXIT_FAIL;
    if (gl_buf_puts(&path, "/api/v1/cis") == 0 && gl_api_segment(&path, a.pos[0]) == 0 &&
        gl_buf_puts(&path, "/relations") == 0)
        rc = run(&a, "GET", path.data, NULL, &r);
    if (!rc && a.api.json) {
        gl_api_print_json(r.body);
    } else if (!rc) {
        gl_api_table(json_object_get(r.body, "items"), relation_cols, GL_NCOLS(relation_cols));
    }
    gl_buf_release(&path);
    gl_api_response_release(&r);
    return rc;
}

static const char wc_usage[] =
    "usage: greenlight what-changed (--ci CI | --client KEY) [--days N] [--depth N]\n"
    "           [--server URL] [--token T] [--json]\n"
    "  changes (scheduled, in progress, implemented) in the last N days (default 90) on the\n"
    "  CI and what it depends on up to depth N (default 3), or on a whole client; closest\n"
    "  first, then most recent\n";

static void version_text(struct gl_buf *out, const json_t *v)
{
    if (json_is_integer(v))
        gl_buf_printf(out, "%lld", (long long)json_integer_value(v));
    else
        gl_buf_putc(out, '?');
}

/* The documentation a change altered, short: "DOC-000001 1>2, DOC-000002 no change". */
static void docs_cell(const json_t *docs, struct gl_buf *out)
{
    size_t i;
    const json_t *d;
    gl_buf_reset(out);
    json_array_foreach(docs, i, d)
    {
        const char *ident = gl_api_str(d, "document");
        gl_buf_printf(out, "%s%s ", i ? ", " : "", ident ? ident : "?");
        if (json_is_true(json_object_get(d, "no_doc_affected"))) {
            gl_buf_puts(out, "no change");
            continue;
        }
        version_text(out, json_object_get(d, "base_version"));
        gl_buf_putc(out, '>');
        version_text(out, json_object_get(d, "result_version"));
    }
}

static void print_wc(const json_t *items)
{
    static const char *const head[] = {"DEPTH",   "CHANGE", "CI",   "STATE",
                                       "OUTCOME", "START",  "DOCS", "TITLE"};
    struct gl_table *t = gl_table_new(8, head);
    struct gl_buf docs = GL_BUF_INIT;
    size_t i;
    const json_t *it;
    if (!t)
        return;
    gl_table_set_max(t, 6, 40);
    gl_table_set_max(t, 7, 50);
    json_array_foreach(items, i, it)
    {
        char depth[16] = "-", start[32] = "";
        const json_t *d = json_object_get(it, "depth");
        if (json_is_integer(d))
            snprintf(depth, sizeof depth, "%lld", (long long)json_integer_value(d));
        const char *s = gl_api_str(it, "actual_start");
        gl_api_short_time(s ? s : gl_api_str(it, "planned_start"), start);
        const char *cells[] = {depth,
                               gl_api_str(it, "id"),
                               gl_api_str(it, "ci"),
                               gl_api_str(it, "state"),
                               gl_api_str(it, "outcome"),
                               start,
                               NULL,
                               gl_api_str(it, "title")};
        docs_cell(json_object_get(it, "documents"), &docs);
        cells[6] = docs.len ? gl_buf_str(&docs) : NULL;
        for (size_t k = 0; k < 8; k++)
            if (!cells[k])
                cells[k] = "-";
        gl_table_add_row(t, cells);
    }
    gl_table_print(t, stdout);
    gl_table_free(t);
    gl_buf_release(&docs);
}

static int wc_path(const struct graph_args *a, struct gl_buf *path)
{
    char since[GL_TIME_STR_MAX], num[24];
    int64_t days = a->days < 0 ? 90 : a->days;
    gl_time_format(gl_cli_now() - days * 86400, since);
    snprintf(num, sizeof num, "%lld", (long long)a->depth);
    if (gl_buf_puts(path, "/api/v1/what-changed") < 0 || gl_api_query(path, "ci", a->ci) < 0 ||
        gl_api_query(path, "client", a->client) < 0 || gl_api_query(path, "since", since) < 0)
        return -1;
    return gl_api_query(path, "depth", a->depth < 0 ? NULL : num);
}

int gl_cmd_what_changed(int argc, char **argv)
{
    struct graph_args a;
    struct gl_api_response r = {0};
    struct gl_buf path = GL_BUF_INIT;
    int rc = parse(argc, argv, &a, true, 0, wc_usage);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    if (!a.ci && !a.client)
        return gl_cli_usage_error("what-changed: give --ci CI or --client KEY");
    rc =
        wc_path(&a, &path) < 0 ? gl_cli_fail("out of memory") : run(&a, "GET", path.data, NULL, &r);
    if (!rc && a.api.json)
        gl_api_print_json(r.body);
    else if (!rc)
        print_wc(json_object_get(r.body, "items"));
    gl_buf_release(&path);
    gl_api_response_release(&r);
    return rc;
}
