/*
 * cmd_cab.c - approval views from the command line, through the API:
 * `greenlight cab agenda [--from T] [--to T] [--client KEY]` (the changes awaiting the
 * CAB) and `greenlight metrics emergency [--from T] [--to T] [--client KEY]` (the
 * emergency ratio per requester and per client, flagged above 25 %).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api_client.h"
#include "cli/cli.h"
#include "cli/table.h"
#include "core/change.h"
#include "core/timefmt.h"
#include "util/buf.h"

#include "util/banned.h"

struct range_args {
    struct gl_api_opts api;
    const char *from, *to, *client;
};

static int parse(int argc, char **argv, const char *usage, struct range_args *a)
{
    memset(a, 0, sizeof *a);
    const struct gl_cli_opt opts[] = {
        GL_CLI_STR("from", &a->from),
        GL_CLI_STR("to", &a->to),
        GL_CLI_STR("client", &a->client),
    };
    int rc =
        gl_cli_parse(argc, argv, usage, &a->api, opts, sizeof opts / sizeof opts[0], 0, 0, NULL);
    if (rc)
        return rc;
    int64_t t;
    if ((a->from && gl_time_parse(a->from, &t) < 0) || (a->to && gl_time_parse(a->to, &t) < 0))
        return gl_cli_usage_error("%s: --from and --to are RFC 3339 times such as "
                                  "2026-12-05T22:00:00Z",
                                  gl_cli_cmdname(argv[0]));
    return 0;
}

/* GETs base with from/to/client; 0 or GL_EXIT_FAIL (message printed). */
static int fetch(struct range_args *a, const char *base, struct gl_api_response *r)
{
    struct gl_buf path = GL_BUF_INIT;
    int rc = GL_EXIT_FAIL;
    if (!gl_buf_puts(&path, base) && !gl_api_query(&path, "from", a->from) &&
        !gl_api_query(&path, "to", a->to) && !gl_api_query(&path, "client", a->client)) {
        struct gl_api *api = gl_api_new(&a->api);
        rc = api && gl_api_request(api, "GET", gl_buf_str(&path), NULL, NULL, r) == 0
                 ? 0
                 : GL_EXIT_FAIL;
        gl_api_free(api);
    }
    gl_buf_release(&path);
    return rc;
}

static const char agenda_usage[] =
    "usage: greenlight cab agenda [--from T] [--to T] [--client KEY] [--server URL] "
    "[--token T] [--json]\n"
    "  the changes awaiting the CAB whose planned time overlaps [from, to) (default: the\n"
    "  next 30 days), by planned start and risk, with conflicts and votes so far\n";

static void agenda_row(struct gl_table *tb, const json_t *item)
{
    const json_t *ch = json_object_get(item, "change");
    const json_t *route = json_object_get(json_object_get(item, "approval"), "route");
    const json_t *cab = json_array_get(json_object_get(route, "stages"), 0);
    char start[32], votes[32], score[32], conflicts[32];
    gl_api_short_time(gl_api_str(ch, "planned_start"), start);
    snprintf(votes, sizeof votes, "%lld/%lld",
             (long long)json_integer_value(json_object_get(cab, "approvals")),
             (long long)json_integer_value(json_object_get(cab, "quorum")));
    const json_t *risk = json_object_get(item, "risk");
    snprintf(score, sizeof score, "%.1f %s", json_number_value(json_object_get(risk, "score")),
             gl_api_str(risk, "level") ? gl_api_str(risk, "level") : "-");
    snprintf(conflicts, sizeof conflicts, "%lld",
             (long long)json_integer_value(
                 json_object_get(json_object_get(item, "conflicts"), "count")));
    struct gl_buf missing = GL_BUF_INIT;
    gl_api_text(&missing, route, "missing");
    const char *row[] = {start, gl_api_str(ch, "id"), gl_api_str(ch, "client"), score, conflicts,
                         votes, gl_buf_str(&missing), gl_api_str(ch, "title")};
    gl_table_add_row(tb, row);
    gl_buf_release(&missing);
}

static int cab_agenda(int argc, char **argv)
{
    struct range_args a;
    struct gl_api_response r = {0};
    int rc = parse(argc, argv, agenda_usage, &a);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    rc = fetch(&a, "/api/v1/cab/agenda", &r);
    if (!rc && a.api.json) {
        gl_api_print_json(r.body);
    } else if (!rc) {
        static const char *const head[] = {"START",     "CHANGE", "CLIENT",  "RISK",
                                           "CONFLICTS", "VOTES",  "MISSING", "TITLE"};
        struct gl_table *tb = gl_table_new(8, head);
        size_t i;
        json_t *item;
        json_array_foreach(json_object_get(r.body, "items"), i, item) agenda_row(tb, item);
        gl_table_print(tb, stdout);
        gl_table_free(tb);
    }
    gl_api_response_release(&r);
    return rc;
}

static const struct gl_cli_cmd cab_cmds[] = {
    {"agenda", cab_agenda, "the changes awaiting the Change Advisory Board"},
};

int gl_cmd_cab(int argc, char **argv)
{
    static const char usage[] = "usage: greenlight cab COMMAND [ARGS]\n"
                                "The Change Advisory Board.\n";
    return gl_cli_dispatch(cab_cmds, sizeof cab_cmds / sizeof cab_cmds[0], usage, argc, argv);
}

/* ---- metrics ------------------------------------------------------------------------------ */

static const char emergency_usage[] =
    "usage: greenlight metrics emergency [--from T] [--to T] [--client KEY] [--server URL] "
    "[--token T] [--json]\n"
    "  the share of emergency changes per requester and per client (changes that left\n"
    "  draft, created in [from, to)); flagged: above 25 %% of at least 4 changes\n";

static void cell_percent(struct gl_buf *out, const json_t *row, const char *key)
{
    gl_buf_printf(out, "%.0f %%", 100 * json_number_value(json_object_get(row, key)));
}

static void ratio_table(const json_t *rows, const char *key, const char *title)
{
    const struct gl_api_col cols[] = {
        {.head = title, .key = key},
        {.head = "CHANGES", .key = "changes"},
        {.head = "EMERGENCY", .key = "emergency"},
        {.head = "RATIO", .key = "ratio", .cell = cell_percent},
        {.head = "FLAGGED", .key = "flagged"},
    };
    gl_api_table(rows, cols, GL_NCOLS(cols));
}
static int metrics_emergency(int argc, char **argv)
{
    struct range_args a;
    struct gl_api_response r = {0};
    int rc = parse(argc, argv, emergency_usage, &a);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    rc = fetch(&a, "/api/v1/metrics/emergency", &r);
    if (!rc && a.api.json) {
        gl_api_print_json(r.body);
    } else if (!rc) {
        ratio_table(json_object_get(r.body, "requesters"), "requester", "REQUESTER");
        putchar('\n');
        ratio_table(json_object_get(r.body, "clients"), "client", "CLIENT");
    }
    gl_api_response_release(&r);
    return rc;
}

static const struct gl_cli_cmd metrics_cmds[] = {
    {"emergency", metrics_emergency, "emergency ratio per requester and client (misuse signal)"},
};

int gl_cmd_metrics(int argc, char **argv)
{
    static const char usage[] = "usage: greenlight metrics COMMAND [ARGS]\n"
                                "Change metrics.\n";
    return gl_cli_dispatch(metrics_cmds, sizeof metrics_cmds / sizeof metrics_cmds[0], usage, argc,
                           argv);
}
