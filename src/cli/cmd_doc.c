/*
 * cmd_doc.c - `greenlight doc`: versioned client documentation through the API
 * (/api/v1/documents): list, show, add, edit, history, diff and review.
 *
 * Bodies come from --file F or stdin. `doc edit` reads the document first and sends its
 * version as If-Match, so an edit made meanwhile by someone else is refused (409), never
 * overwritten.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api_client.h"
#include "cli/cli.h"
#include "cli/table.h"
#include "core/docs.h"
#include "util/buf.h"

#include "util/banned.h"

#define BODY_FILE_MAX (GL_DOC_BODY_MAX + 1)

static const char usage[] =
    "usage: greenlight doc COMMAND [ARGS] [--server URL] [--token T] [--json]\n"
    "\n"
    "  list [--client K] [--ci CI]\n"
    "  show ID [--version N]\n"
    "  add --client K [--ci CI] --kind KIND --title T [--format markdown|text] [--file F]\n"
    "      (KIND: baseline, runbook, network_note, other; the body is read from F or stdin)\n"
    "  edit ID [--file F] [--title T]   (the new body from F or stdin)\n"
    "  history ID\n"
    "  diff ID --from N --to M\n"
    "  review ID\n";

struct doc_args {
    struct gl_api_opts api;
    const char *client, *ci, *kind, *title, *format, *file, *version, *from, *to;
    const char *id; /* the positional document ID, when the command takes one */
};

static int parse(int argc, char **argv, struct doc_args *a, bool takes_id)
{
    memset(a, 0, sizeof *a);
    const struct gl_cli_opt opts[] = {
        GL_CLI_STR("client", &a->client),   GL_CLI_STR("ci", &a->ci),
        GL_CLI_STR("kind", &a->kind),       GL_CLI_STR("title", &a->title),
        GL_CLI_STR("format", &a->format),   GL_CLI_STR("file", &a->file),
        GL_CLI_STR("version", &a->version), GL_CLI_STR("from", &a->from),
        GL_CLI_STR("to", &a->to),
    };
    int n = takes_id ? 1 : 0;
    int rc = gl_cli_parse(argc, argv, usage, &a->api, opts, sizeof opts / sizeof opts[0], n, n,
                          "exactly one document ID");
    if (rc)
        return rc;
    a->id = takes_id ? argv[optind] : NULL;
    return 0;
}

static int read_body(const char *path, struct gl_buf *out)
{
    FILE *f = path && strcmp(path, "-") != 0 ? fopen(path, "rb") : stdin;
    if (!f)
        return gl_cli_fail("cannot open %s", path);
    char chunk[65536];
    size_t n;
    int rc = 0;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (gl_buf_append(out, chunk, n) < 0)
            rc = gl_cli_fail("the body is larger than %d bytes", GL_DOC_BODY_MAX);
    if (!rc && ferror(f))
        rc = gl_cli_fail("cannot read %s", path ? path : "stdin");
    if (f != stdin)
        fclose(f);
    return rc;
}

/* "/api/v1/documents/ID" plus an optional literal suffix. */
static int doc_path(struct gl_buf *path, const char *id, const char *suffix)
{
    if (gl_buf_puts(path, "/api/v1/documents") < 0 || (id && gl_api_segment(path, id) < 0) ||
        (suffix && gl_buf_puts(path, suffix) < 0))
        return -1;
    return 0;
}

/* Sends one request and prints the raw answer under --json; returns an exit code. */
static int call(const struct doc_args *a, const char *method, const char *path, const json_t *body,
                const char *header, struct gl_api_response *r)
{
    int rc = gl_api_call(&a->api, method, path, body, header, r);
    if (rc == GL_EXIT_OK && a->api.json)
        gl_api_print_json(r->body);
    return rc;
}

static int done(int rc, struct gl_buf *path, struct gl_api_response *r)
{
    gl_buf_release(path);
    gl_api_response_release(r);
    return rc < 0 ? GL_EXIT_OK : rc;
}

static const struct gl_api_col doc_cols[] = {
    {.head = "ID", .key = "id"},
    {.head = "CLIENT", .key = "client"},
    {.head = "CI", .key = "ci"},
    {.head = "KIND", .key = "kind"},
    {.head = "VER", .key = "current_version"},
    {.head = "STALE", .key = "possibly_stale"},
    {.head = "TITLE", .key = "title", .max = 50},
};

static const struct gl_api_col version_cols[] = {
    {.head = "VERSION", .key = "version"},
    {.head = "AUTHOR", .key = "author"},
    {.head = "CREATED", .key = "created_at", .cell = gl_api_cell_time},
    {.head = "FORMAT", .key = "format"},
};

static int doc_list(int argc, char **argv)
{
    struct doc_args a;
    struct gl_buf path = GL_BUF_INIT;
    struct gl_api_response r = {0};
    int rc = parse(argc, argv, &a, false);
    if (rc)
        return done(rc, &path, &r);
    if (a.kind || a.title || a.format || a.file || a.version || a.from || a.to)
        return done(gl_cli_usage_error("doc list: takes --client and --ci only"), &path, &r);
    rc = GL_EXIT_FAIL;
    if (doc_path(&path, NULL, NULL) == 0 && gl_api_query(&path, "client", a.client) == 0 &&
        gl_api_query(&path, "ci", a.ci) == 0 && gl_api_query(&path, "limit", "200") == 0)
        rc = call(&a, "GET", path.data, NULL, NULL, &r);
    if (rc == GL_EXIT_OK && !a.api.json) {
        gl_api_table(json_object_get(r.body, "items"), doc_cols, GL_NCOLS(doc_cols));
        if (gl_api_str(r.body, "next_cursor"))
            fputs("greenlight: more documents exist; narrow with --client or --ci\n", stderr);
    }
    return done(rc, &path, &r);
}

static void print_body(const char *body)
{
    if (!body || !*body)
        return;
    fputs(body, stdout);
    if (body[strlen(body) - 1] != '\n')
        putchar('\n');
}

static int doc_show(int argc, char **argv)
{
    struct doc_args a;
    struct gl_buf path = GL_BUF_INIT;
    struct gl_api_response r = {0};
    int rc = parse(argc, argv, &a, true);
    if (rc)
        return done(rc, &path, &r);
    rc = GL_EXIT_FAIL;
    if (doc_path(&path, a.id, a.version ? "/versions" : NULL) == 0 &&
        (!a.version || gl_api_segment(&path, a.version) == 0))
        rc = call(&a, "GET", path.data, NULL, NULL, &r);
    if (rc != GL_EXIT_OK || a.api.json)
        return done(rc, &path, &r);
    struct gl_buf v = GL_BUF_INIT;
    if (!a.version) {
        gl_view_line(stdout, "ID", gl_api_str(r.body, "id"));
        gl_view_line(stdout, "Title", gl_api_str(r.body, "title"));
        gl_view_line(stdout, "Client", gl_api_str(r.body, "client"));
        gl_view_line(stdout, "CI", gl_api_str(r.body, "ci"));
        gl_view_line(stdout, "Kind", gl_api_str(r.body, "kind"));
        gl_api_text(&v, r.body, "possibly_stale");
        gl_view_line(stdout, "Possibly stale", gl_buf_str(&v));
        gl_view_line(stdout, "Reviewed", gl_api_str(r.body, "reviewed_at"));
        gl_buf_reset(&v);
    }
    gl_api_text(&v, r.body, a.version ? "version" : "current_version");
    gl_view_line(stdout, "Version", gl_buf_str(&v));
    gl_view_line(stdout, "Format", gl_api_str(r.body, "format"));
    gl_view_line(stdout, "Author", gl_api_str(r.body, "author"));
    putchar('\n');
    print_body(gl_api_str(r.body, "body"));
    gl_buf_release(&v);
    return done(rc, &path, &r);
}

static int doc_add(int argc, char **argv)
{
    struct doc_args a;
    struct gl_buf path = GL_BUF_INIT, body = GL_BUF_INIT;
    struct gl_api_response r = {0};
    json_t *req = NULL;
    gl_buf_init(&body, BODY_FILE_MAX);
    int rc = parse(argc, argv, &a, false);
    if (!rc && (!a.client || !a.kind || !a.title))
        rc = gl_cli_usage_error("doc add: --client, --kind and --title are required");
    if (!rc && (a.version || a.from || a.to))
        rc = gl_cli_usage_error("doc add: bad option (see --help)");
    if (!rc && !(rc = read_body(a.file, &body))) {
        req = json_pack("{s:s, s:s?, s:s, s:s, s:s, s:s}", "client", a.client, "ci", a.ci, "kind",
                        a.kind, "title", a.title, "format", a.format ? a.format : "markdown",
                        "body", gl_buf_str(&body));
        rc = req && doc_path(&path, NULL, NULL) == 0 ? call(&a, "POST", path.data, req, NULL, &r)
                                                     : gl_cli_fail("the body must be UTF-8 text");
        if (rc == GL_EXIT_OK && !a.api.json)
            printf("%s\n", gl_api_str(r.body, "id"));
    }
    json_decref(req);
    gl_buf_release(&body);
    return done(rc, &path, &r);
}

static int doc_edit(int argc, char **argv)
{
    struct doc_args a;
    struct gl_buf path = GL_BUF_INIT, body = GL_BUF_INIT;
    struct gl_api_response cur = {0}, r = {0};
    json_t *req = NULL;
    gl_buf_init(&body, BODY_FILE_MAX);
    int rc = parse(argc, argv, &a, true);
    if (!rc && (a.client || a.ci || a.kind || a.version || a.from || a.to))
        rc = gl_cli_usage_error("doc edit: takes --file, --title and --format only");
    if (rc || (rc = read_body(a.file, &body)))
        goto out;
    req = json_pack("{s:s}", "body", gl_buf_str(&body));
    if (req && a.title)
        json_object_set_new(req, "title", json_string(a.title));
    if (req && a.format)
        json_object_set_new(req, "format", json_string(a.format));
    struct gl_api *api = NULL;
    rc = GL_EXIT_FAIL;
    if (!req) {
        gl_cli_fail("the body must be UTF-8 text");
        goto out;
    }
    if (doc_path(&path, a.id, NULL) < 0 || !(api = gl_api_new(&a.api)))
        goto out;
    char if_match[48];
    if (gl_api_request(api, "GET", path.data, NULL, NULL, &cur) == 0) {
        snprintf(if_match, sizeof if_match, "If-Match: \"%lld\"", (long long)cur.version);
        if (gl_api_request(api, "PATCH", path.data, req, if_match, &r) == 0)
            rc = GL_EXIT_OK;
    }
    gl_api_free(api);
    if (rc == GL_EXIT_OK && a.api.json)
        gl_api_print_json(r.body);
    else if (rc == GL_EXIT_OK)
        printf("%s version %lld\n", gl_api_str(r.body, "id"),
               (long long)json_integer_value(json_object_get(r.body, "current_version")));
out:
    json_decref(req);
    gl_buf_release(&body);
    gl_api_response_release(&cur);
    return done(rc, &path, &r);
}

static int doc_history(int argc, char **argv)
{
    struct doc_args a;
    struct gl_buf path = GL_BUF_INIT;
    struct gl_api_response r = {0};
    int rc = parse(argc, argv, &a, true);
    if (rc)
        return done(rc, &path, &r);
    rc = doc_path(&path, a.id, "/versions") == 0 ? call(&a, "GET", path.data, NULL, NULL, &r)
                                                 : GL_EXIT_FAIL;
    if (rc != GL_EXIT_OK || a.api.json)
        return done(rc, &path, &r);
    gl_api_table(json_object_get(r.body, "items"), version_cols, GL_NCOLS(version_cols));
    return done(rc, &path, &r);
}

static int doc_diff(int argc, char **argv)
{
    struct doc_args a;
    struct gl_buf path = GL_BUF_INIT;
    struct gl_api_response r = {0};
    int rc = parse(argc, argv, &a, true);
    if (!rc && (!a.from || !a.to))
        rc = gl_cli_usage_error("doc diff: --from N and --to M are required");
    if (rc)
        return done(rc, &path, &r);
    rc = GL_EXIT_FAIL;
    if (doc_path(&path, a.id, "/diff") == 0 && gl_api_query(&path, "from", a.from) == 0 &&
        gl_api_query(&path, "to", a.to) == 0)
        rc = call(&a, "GET", path.data, NULL, NULL, &r);
    if (rc == GL_EXIT_OK && !a.api.json) {
        const char *d = gl_api_str(r.body, "diff");
        fputs(d ? d : "", stdout);
    }
    return done(rc, &path, &r);
}

static int doc_review(int argc, char **argv)
{
    struct doc_args a;
    struct gl_buf path = GL_BUF_INIT;
    struct gl_api_response r = {0};
    int rc = parse(argc, argv, &a, true);
    if (rc)
        return done(rc, &path, &r);
    rc = doc_path(&path, a.id, "/review") == 0 ? call(&a, "POST", path.data, NULL, NULL, &r)
                                               : GL_EXIT_FAIL;
    if (rc == GL_EXIT_OK && !a.api.json)
        printf("%s reviewed by %s at %s\n", gl_api_str(r.body, "id"),
               gl_api_str(r.body, "reviewed_by"), gl_api_str(r.body, "reviewed_at"));
    return done(rc, &path, &r);
}

static const struct gl_cli_cmd doc_cmds[] = {
    {"list", doc_list, "documents you may see, with their staleness"},
    {"show", doc_show, "one document with its current (or a given) version's text"},
    {"add", doc_add, "create a document (prints its ID)"},
    {"edit", doc_edit, "save a new version of a document's text"},
    {"history", doc_history, "the versions of a document"},
    {"diff", doc_diff, "unified diff between two versions"},
    {"review", doc_review, "mark a document reviewed by you now"},
};

int gl_cmd_doc(int argc, char **argv)
{
    return gl_cli_dispatch(doc_cmds, sizeof doc_cmds / sizeof doc_cmds[0], usage, argc, argv);
}
