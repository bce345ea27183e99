/*
 * cmd_report.c - `greenlight report CLIENT [--from T] [--to T] [--html]`: the client report
 * (GET /api/v1/clients/{key}/report) as a summary and a table, as raw JSON (--json), or as
 * the printable HTML page on stdout (--html > report.html).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api_client.h"
#include "cli/cli.h"
#include "cli/table.h"
#include "util/buf.h"

#include "util/banned.h"

static const char usage[] =
    "usage: greenlight report CLIENT [--from T] [--to T] [--html] [--server URL] [--token T]\n"
    "                         [--json]\n"
    "\n"
    "Every change of the client in [from, to) with its type, state, risk, approvals, outcome\n"
    "and documentation updates. T is an RFC 3339 time or a date (YYYY-MM-DD); the period\n"
    "defaults to the last 30 days and covers at most 366. --html prints the printable page.\n";

struct report_args {
    struct gl_api_opts api;
    const char *client, *from, *to;
    bool html;
};

static int parse(int argc, char **argv, struct report_args *a)
{
    memset(a, 0, sizeof *a);
    const struct gl_cli_opt opts[] = {
        GL_CLI_STR("from", &a->from),
        GL_CLI_STR("to", &a->to),
        GL_CLI_FLAG("html", &a->html),
    };
    int rc = gl_cli_parse(argc, argv, usage, &a->api, opts, sizeof opts / sizeof opts[0], 1, 1,
                          "exactly one CLIENT key");
    if (rc)
        return rc;
    if (a->html && a->api.json)
        return gl_cli_usage_error("report: give --html or --json, not both");
    a->client = argv[optind];
    return 0;
}

static void print_summary(const json_t *r)
{
    const json_t *s = json_object_get(r, "summary");
    const json_t *client = json_object_get(r, "client");
    struct gl_buf b = GL_BUF_INIT;
    printf("Change report: %s (%s)\n", gl_api_str(client, "name") ? gl_api_str(client, "name") : "",
           gl_api_str(client, "key") ? gl_api_str(client, "key") : "");
    printf("Period: %s to %s\n\n", gl_api_str(r, "from") ? gl_api_str(r, "from") : "",
           gl_api_str(r, "to") ? gl_api_str(r, "to") : "");
    gl_api_text(&b, s, "changes");
    gl_view_line(stdout, "Changes", gl_buf_str(&b));
    const char *key;
    json_t *v;
    const char *const groups[] = {"by_type", "by_outcome"};
    const char *const prefixes[] = {"Type", "Outcome"};
    for (int g = 0; g < 2; g++)
        json_object_foreach(json_object_get(s, groups[g]), key, v)
        {
            char label[64];
            snprintf(label, sizeof label, "%s %s", prefixes[g], key);
            gl_buf_reset(&b);
            gl_buf_printf(&b, "%lld", (long long)json_integer_value(v));
            gl_view_line(stdout, label, gl_buf_str(&b));
        }
    const char *const ratios[] = {"emergency_ratio", "success_rate"};
    const char *const labels[] = {"Emergency ratio", "Success rate"};
    for (int i = 0; i < 2; i++) {
        const json_t *x = json_object_get(s, ratios[i]);
        gl_buf_reset(&b);
        if (json_is_number(x))
            gl_buf_printf(&b, "%.1f%%", json_number_value(x) * 100.0);
        gl_view_line(stdout, labels[i], gl_buf_str(&b));
    }
    gl_buf_release(&b);
    putchar('\n');
}

static void print_changes(const json_t *changes)
{
    static const char *const head[] = {"ID",        "TYPE", "STATE",   "OUTCOME", "RISK",
                                       "APPROVALS", "DOCS", "PLANNED", "TITLE"};
    struct gl_table *t = gl_table_new(9, head);
    size_t i;
    const json_t *c;
    if (!t)
        return;
    gl_table_set_max(t, 8, 50);
    json_array_foreach(changes, i, c)
    {
        char planned[32], napp[24], ndocs[24];
        const json_t *risk = json_object_get(c, "risk");
        gl_api_short_time(gl_api_str(c, "planned_start"), planned);
        snprintf(napp, sizeof napp, "%zu", json_array_size(json_object_get(c, "approvals")));
        snprintf(ndocs, sizeof ndocs, "%zu", json_array_size(json_object_get(c, "documents")));
        const char *row[] = {gl_api_str(c, "id"),
                             gl_api_str(c, "type"),
                             gl_api_str(c, "state"),
                             gl_api_str(c, "outcome"),
                             gl_api_str(risk, "level"),
                             napp,
                             ndocs,
                             planned,
                             gl_api_str(c, "title")};
        gl_table_add_row(t, row);
    }
    gl_table_print(t, stdout);
    gl_table_free(t);
}

static int build_path(const struct report_args *a, struct gl_buf *path)
{
    if (gl_buf_puts(path, "/api/v1/clients") < 0 || gl_api_segment(path, a->client) < 0 ||
        gl_buf_puts(path, a->html ? "/report.html" : "/report") < 0 ||
        gl_api_query(path, "from", a->from) < 0 || gl_api_query(path, "to", a->to) < 0)
        return -1;
    return 0;
}

int gl_cmd_report(int argc, char **argv)
{
    struct report_args a;
    struct gl_buf path = GL_BUF_INIT, page = GL_BUF_INIT;
    struct gl_api_response r = {0};
    struct gl_api *api = NULL;
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    rc = GL_EXIT_FAIL;
    if (!(api = gl_api_new(&a.api)))
        goto out;
    if (build_path(&a, &path) < 0) {
        gl_cli_fail("out of memory");
        goto out;
    }
    if (a.html) {
        if (gl_api_request_raw(api, "GET", path.data, NULL, NULL, 0, &page, &r) < 0)
            goto out;
        if (fwrite(gl_buf_str(&page), 1, page.len, stdout) != page.len || fflush(stdout) != 0)
            goto out;
    } else {
        if (gl_api_request(api, "GET", path.data, NULL, NULL, &r) < 0)
            goto out;
        if (a.api.json)
            gl_api_print_json(r.body);
        else {
            print_summary(r.body);
            print_changes(json_object_get(r.body, "changes"));
        }
    }
    rc = GL_EXIT_OK;
out:
    gl_api_response_release(&r);
    gl_api_free(api);
    gl_buf_release(&page);
    gl_buf_release(&path);
    return rc;
}
