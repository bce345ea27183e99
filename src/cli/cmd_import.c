/*
 * cmd_import.c - `greenlight ci import FILE [--dry-run]` and `greenlight ci export
 * [--client K] [--format csv|json]`: bulk configuration items through the API
 * (POST /api/v1/cis/import, GET /api/v1/cis/export).
 *
 * The file is sent as it is: text/csv, or application/json when its first non-blank
 * character opens a JSON array or object. Import prints the counts and one line per bad
 * field of each rejected row, and exits 1 when any row was rejected (the others are
 * written).
 */
#include <ctype.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api_client.h"
#include "cli/cli.h"
#include "util/buf.h"

#include "util/banned.h"

#define FILE_MAX (64u << 20)

struct bulk_args {
    struct gl_api_opts api;
    bool dry_run;
    const char *client, *format, *file;
};

static const char import_usage[] =
    "usage: greenlight ci import FILE [--dry-run] [--server URL] [--token T] [--json]\n"
    "  FILE is CSV (header: client,name,type[,criticality,users_affected,owner,id]) or\n"
    "  JSON (an array of CIs, or {\"cis\": [...]}); - reads stdin.\n";
static const char export_usage[] =
    "usage: greenlight ci export [--client K] [--format csv|json] [--server URL] [--token T]\n";

static int parse(int argc, char **argv, bool import, struct bulk_args *a)
{
    memset(a, 0, sizeof *a);
    const struct gl_cli_opt import_opts[] = {GL_CLI_FLAG("dry-run", &a->dry_run)};
    const struct gl_cli_opt export_opts[] = {
        GL_CLI_STR("client", &a->client),
        GL_CLI_STR("format", &a->format),
    };
    int rc = import ? gl_cli_parse(argc, argv, import_usage, &a->api, import_opts, 1, 1, 1,
                                   "one FILE (or - for stdin)")
                    : gl_cli_parse(argc, argv, export_usage, &a->api, export_opts, 2, 0, 0, NULL);
    if (rc)
        return rc;
    if (a->format && strcmp(a->format, "csv") != 0 && strcmp(a->format, "json") != 0)
        return gl_cli_usage_error("ci export: --format wants csv or json");
    a->file = import ? argv[optind] : NULL;
    return 0;
}

static int read_file(const char *path, struct gl_buf *out)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f)
        return gl_cli_fail("cannot open %s", path);
    char chunk[65536];
    size_t n;
    int rc = 0;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (gl_buf_append(out, chunk, n) < 0)
            rc = gl_cli_fail("%s is larger than %u bytes", path, FILE_MAX);
    if (!rc && ferror(f))
        rc = gl_cli_fail("cannot read %s", path);
    if (f != stdin)
        fclose(f);
    return rc;
}

static const char *media_type(const struct gl_buf *b)
{
    const unsigned char *p = (const unsigned char *)gl_buf_str(b);
    if (b->len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (*p && isspace(*p))
        p++;
    return *p == '[' || *p == '{' ? "application/json" : "text/csv";
}

/* The counts (rejected = rows), then one line per bad field of a rejected row. */
static void print_report(const json_t *r)
{
    printf("created %lld, updated %lld, unchanged %lld, rejected %lld%s\n",
           (long long)json_integer_value(json_object_get(r, "created")),
           (long long)json_integer_value(json_object_get(r, "updated")),
           (long long)json_integer_value(json_object_get(r, "unchanged")),
           (long long)json_integer_value(json_object_get(r, "rejected_rows")),
           json_is_true(json_object_get(r, "dry_run")) ? " (dry run: nothing was written)" : "");
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(r, "rejected"), i, row)
    {
        const char *field = gl_api_str(row, "field");
        printf("row %lld: %s%s%s\n", (long long)json_integer_value(json_object_get(row, "row")),
               field ? field : "", field ? ": " : "", gl_api_str(row, "error"));
    }
}

static int ci_import(int argc, char **argv)
{
    struct bulk_args a;
    struct gl_buf file, path = GL_BUF_INIT;
    struct gl_api_response r = {0};
    struct gl_api *api = NULL;
    int rc = parse(argc, argv, true, &a);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    gl_buf_init(&file, FILE_MAX);
    rc = GL_EXIT_FAIL;
    if (read_file(a.file, &file) || !(api = gl_api_new(&a.api)))
        goto out;
    if (gl_buf_puts(&path, "/api/v1/cis/import") < 0 ||
        gl_api_query(&path, "dry_run", a.dry_run ? "true" : NULL) < 0 ||
        gl_api_request_raw(api, "POST", path.data, media_type(&file), gl_buf_str(&file), file.len,
                           NULL, &r) < 0)
        goto out;
    if (a.api.json)
        gl_api_print_json(r.body);
    else
        print_report(r.body);
    rc = json_array_size(json_object_get(r.body, "rejected")) ? GL_EXIT_FAIL : GL_EXIT_OK;
out:
    gl_api_response_release(&r);
    gl_api_free(api);
    gl_buf_release(&file);
    gl_buf_release(&path);
    return rc;
}

static int ci_export(int argc, char **argv)
{
    struct bulk_args a;
    struct gl_buf out = GL_BUF_INIT, path = GL_BUF_INIT;
    struct gl_api_response r = {0};
    struct gl_api *api = NULL;
    int rc = parse(argc, argv, false, &a);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    rc = GL_EXIT_FAIL;
    if (!(api = gl_api_new(&a.api)))
        goto out;
    if (gl_buf_puts(&path, "/api/v1/cis/export") < 0 ||
        gl_api_query(&path, "client", a.client) < 0 ||
        gl_api_query(&path, "format", a.format) < 0 ||
        gl_api_request_raw(api, "GET", path.data, NULL, NULL, 0, &out, &r) < 0)
        goto out;
    if (fwrite(gl_buf_str(&out), 1, out.len, stdout) != out.len || fflush(stdout) != 0)
        goto out;
    rc = GL_EXIT_OK;
out:
    gl_api_response_release(&r);
    gl_api_free(api);
    gl_buf_release(&out);
    gl_buf_release(&path);
    return rc;
}

int gl_cmd_ci_import(int argc, char **argv)
{
    return ci_import(argc, argv);
}

int gl_cmd_ci_export(int argc, char **argv)
{
    return ci_export(argc, argv);
}
