/*
 * cmd_calendar.c - the change calendar from the command line, through the API:
 *
 *   greenlight calendar CLIENT [--from T] [--to T]
 *   greenlight window add CLIENT --rrule RULE --start LOCAL --duration MINUTES [--ci CI]
 *                         [--name NAME]
 *   greenlight window list CLIENT
 *   greenlight blackout add (CLIENT | --global) --start T --end T [--rrule RULE] --reason R
 *   greenlight blackout list [CLIENT]
 *
 * Times T are RFC 3339; a window's --start is local wall time in the client's zone
 * ("2026-01-03T22:00"), because that is what recurs (docs/api.md, "Change calendar").
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

struct cal_args {
    struct gl_api_opts api;
    const char *from, *to, *rrule, *start, *end, *ci, *name, *reason;
    int64_t duration; /* minutes; 0 = not given */
    bool global;
    int npos;
    char **pos;
};

static int parse(int argc, char **argv, struct cal_args *a, int min_pos, int max_pos,
                 const char *usage)
{
    const char *duration = NULL;
    memset(a, 0, sizeof *a);
    const struct gl_cli_opt opts[] = {
        GL_CLI_STR("from", &a->from),      GL_CLI_STR("to", &a->to),
        GL_CLI_STR("rrule", &a->rrule),    GL_CLI_STR("start", &a->start),
        GL_CLI_STR("end", &a->end),        GL_CLI_STR("duration", &duration),
        GL_CLI_STR("ci", &a->ci),          GL_CLI_STR("name", &a->name),
        GL_CLI_FLAG("global", &a->global), GL_CLI_STR("reason", &a->reason),
    };
    int rc = gl_cli_parse(argc, argv, usage, &a->api, opts, sizeof opts / sizeof opts[0], min_pos,
                          max_pos, max_pos == 1 ? "one CLIENT" : "other arguments");
    if (rc)
        return rc;
    if (duration && gl_cli_parse_int(duration, 1, 366 * 1440, &a->duration) < 0)
        return gl_cli_usage_error("%s: --duration wants minutes, 1..527040",
                                  gl_cli_cmdname(argv[0]));
    a->pos = argv + optind;
    a->npos = argc - optind;
    return 0;
}

/* A string member, "" when absent or null (gl_api_str gives NULL then). */
static const char *str_of(const json_t *obj, const char *key)
{
    const char *v = gl_api_str(obj, key);
    return v ? v : "";
}

static int call(struct cal_args *a, const char *method, const char *path, const json_t *body,
                struct gl_api_response *r)
{
    return gl_api_call(&a->api, method, path, body, NULL, r);
}

/* ---- calendar ----------------------------------------------------------------------- */

static const char calendar_usage[] =
    "usage: greenlight calendar CLIENT [--from T] [--to T] [--server URL] [--token T] [--json]\n"
    "  the client's changes, maintenance windows and blackouts between --from (default now)\n"
    "  and --to (default 30 days later), at most 366 days, ordered by start\n";

struct line {
    const char *start, *end, *kind;
    char detail[300];
};

static int by_start(const void *x, const void *y)
{
    const struct line *a = x, *b = y;
    int c = strcmp(a->start, b->start);
    return c ? c : strcmp(a->kind, b->kind);
}

static void print_calendar(const json_t *cal)
{
    size_t nc = json_array_size(json_object_get(cal, "changes")),
           nw = json_array_size(json_object_get(cal, "windows")),
           nb = json_array_size(json_object_get(cal, "blackouts"));
    struct line *lines = calloc(nc + nw + nb + 1, sizeof *lines);
    if (!lines)
        return;
    size_t n = 0, i;
    const json_t *e;
    json_array_foreach(json_object_get(cal, "changes"), i, e)
    {
        struct line *l = &lines[n++];
        *l = (struct line){str_of(e, "planned_start"), str_of(e, "planned_end"), "change", ""};
        const char *flags = str_of(e, "schedule_flags");
        snprintf(l->detail, sizeof l->detail, "%s %s [%s]%s%s", str_of(e, "id"), str_of(e, "title"),
                 str_of(e, "state"), *flags ? " flags: " : "", flags);
    }
    json_array_foreach(json_object_get(cal, "windows"), i, e)
    {
        struct line *l = &lines[n++];
        *l = (struct line){str_of(e, "start"), str_of(e, "end"), "window", ""};
        const char *ci = str_of(e, "ci");
        snprintf(l->detail, sizeof l->detail, "window %lld%s%s",
                 (long long)json_integer_value(json_object_get(e, "window")), *ci ? " on " : "",
                 ci);
    }
    json_array_foreach(json_object_get(cal, "blackouts"), i, e)
    {
        struct line *l = &lines[n++];
        *l = (struct line){str_of(e, "start"), str_of(e, "end"), "blackout", ""};
        snprintf(l->detail, sizeof l->detail, "%s%s",
                 json_is_true(json_object_get(e, "global")) ? "(global) " : "",
                 str_of(e, "reason"));
    }
    qsort(lines, n, sizeof *lines, by_start);
    printf("%s (%s, notice %lld h) %s .. %s\n", str_of(cal, "client"), str_of(cal, "timezone"),
           (long long)json_integer_value(json_object_get(cal, "notice_hours")), str_of(cal, "from"),
           str_of(cal, "to"));
    static const char *const head[] = {"START (UTC)", "END (UTC)", "KIND", "WHAT"};
    struct gl_table *t = gl_table_new(4, head);
    for (i = 0; t && i < n; i++) {
        const char *row[] = {lines[i].start, lines[i].end, lines[i].kind, lines[i].detail};
        gl_table_add_row(t, row);
    }
    if (t)
        gl_table_print(t, stdout);
    gl_table_free(t);
    free(lines);
}

int gl_cmd_calendar(int argc, char **argv)
{
    struct cal_args a;
    struct gl_api_response r = {0};
    struct gl_buf path = GL_BUF_INIT;
    int rc = parse(argc, argv, &a, 1, 1, calendar_usage);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    char from[GL_TIME_STR_MAX], to[GL_TIME_STR_MAX];
    int64_t now = gl_cli_now(), f = now, t;
    if (a.from && gl_time_parse(a.from, &f) < 0)
        return gl_cli_usage_error("calendar: --from must be an RFC 3339 time");
    t = f + 30 * 86400;
    if (a.to && gl_time_parse(a.to, &t) < 0)
        return gl_cli_usage_error("calendar: --to must be an RFC 3339 time");
    gl_time_format(f, from);
    gl_time_format(t, to);
    rc = GL_EXIT_FAIL;
    if (gl_buf_puts(&path, "/api/v1/calendar") == 0 &&
        gl_api_query(&path, "client", a.pos[0]) == 0 && gl_api_query(&path, "from", from) == 0 &&
        gl_api_query(&path, "to", to) == 0)
        rc = call(&a, "GET", path.data, NULL, &r);
    if (!rc && a.api.json)
        gl_api_print_json(r.body);
    else if (!rc)
        print_calendar(r.body);
    gl_buf_release(&path);
    gl_api_response_release(&r);
    return rc;
}

/* ---- windows ------------------------------------------------------------------------ */

static const char window_add_usage[] =
    "usage: greenlight window add CLIENT --rrule RULE --start LOCAL --duration MINUTES\n"
    "           [--ci CI] [--name NAME] [--server URL] [--token T] [--json]\n"
    "  a maintenance window: RULE is an iCalendar RRULE (FREQ=WEEKLY;BYDAY=SA), LOCAL the\n"
    "  first start in the client's time zone (2026-01-03T22:00); --ci: for that CI only\n";

static int window_add(int argc, char **argv)
{
    struct cal_args a;
    struct gl_api_response r = {0};
    struct gl_buf path = GL_BUF_INIT;
    int rc = parse(argc, argv, &a, 1, 1, window_add_usage);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    if (!a.start || !a.duration)
        return gl_cli_usage_error("window add: --start and --duration are required");
    json_t *body =
        json_pack("{s:s, s:I}", "start", a.start, "duration_minutes", (json_int_t)a.duration);
    if (a.rrule)
        json_object_set_new(body, "rrule", json_string(a.rrule));
    if (a.ci)
        json_object_set_new(body, "ci", json_string(a.ci));
    if (a.name)
        json_object_set_new(body, "name", json_string(a.name));
    rc = GL_EXIT_FAIL;
    if (gl_buf_puts(&path, "/api/v1/clients") == 0 && gl_api_segment(&path, a.pos[0]) == 0 &&
        gl_buf_puts(&path, "/windows") == 0)
        rc = call(&a, "POST", path.data, body, &r);
    if (!rc && a.api.json)
        gl_api_print_json(r.body);
    else if (!rc)
        printf("window %lld: %s from %s (%s) for %lld minutes\n",
               (long long)json_integer_value(json_object_get(r.body, "id")),
               str_of(r.body, "rrule"), str_of(r.body, "start"), str_of(r.body, "timezone"),
               (long long)json_integer_value(json_object_get(r.body, "duration_minutes")));
    json_decref(body);
    gl_buf_release(&path);
    gl_api_response_release(&r);
    return rc;
}

static const char window_list_usage[] =
    "usage: greenlight window list CLIENT [--server URL] [--token T] [--json]\n";

static void cell_minutes(struct gl_buf *out, const json_t *item, const char *key)
{
    gl_buf_printf(out, "%lld min", (long long)json_integer_value(json_object_get(item, key)));
}

static void cell_client(struct gl_buf *out, const json_t *item, const char *key)
{
    const char *client = gl_api_str(item, key);
    gl_buf_puts(out, client ? client : "(global)");
}

static const struct gl_api_col window_cols[] = {
    {.head = "ID", .key = "id"},
    {.head = "RRULE", .key = "rrule"},
    {.head = "START (LOCAL)", .key = "start"},
    {.head = "DURATION", .key = "duration_minutes", .cell = cell_minutes},
    {.head = "CI", .key = "ci"},
};

static const struct gl_api_col blackout_cols[] = {
    {.head = "ID", .key = "id"},
    {.head = "CLIENT", .key = "client", .cell = cell_client},
    {.head = "START (UTC)", .key = "start"},
    {.head = "END (UTC)", .key = "end"},
    {.head = "REASON", .key = "reason", .max = 60},
    {.head = "RRULE", .key = "rrule"},
};

static int window_list(int argc, char **argv)
{
    struct cal_args a;
    struct gl_api_response r = {0};
    struct gl_buf path = GL_BUF_INIT;
    int rc = parse(argc, argv, &a, 1, 1, window_list_usage);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    rc = GL_EXIT_FAIL;
    if (gl_buf_puts(&path, "/api/v1/clients") == 0 && gl_api_segment(&path, a.pos[0]) == 0 &&
        gl_buf_puts(&path, "/windows") == 0)
        rc = call(&a, "GET", path.data, NULL, &r);
    if (!rc && a.api.json) {
        gl_api_print_json(r.body);
    } else if (!rc) {
        gl_api_table(json_object_get(r.body, "items"), window_cols, GL_NCOLS(window_cols));
    }
    gl_buf_release(&path);
    gl_api_response_release(&r);
    return rc;
}

/* ---- blackouts ---------------------------------------------------------------------- */

static const char blackout_add_usage[] =
    "usage: greenlight blackout add (CLIENT | --global) --start T --end T [--rrule RULE]\n"
    "           --reason TEXT [--server URL] [--token T] [--json]\n"
    "  a blackout [start, end) in RFC 3339; with --rrule it repeats in the client's zone\n"
    "  (UTC for a global one)\n";

static int blackout_add(int argc, char **argv)
{
    struct cal_args a;
    struct gl_api_response r = {0};
    int rc = parse(argc, argv, &a, 0, 1, blackout_add_usage);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    if ((a.npos == 1) == a.global)
        return gl_cli_usage_error("blackout add: give a CLIENT or --global (not both)");
    if (!a.start || !a.end || !a.reason)
        return gl_cli_usage_error("blackout add: --start, --end and --reason are required");
    json_t *body = json_pack("{s:s, s:s, s:s}", "start", a.start, "end", a.end, "reason", a.reason);
    if (a.npos == 1)
        json_object_set_new(body, "client", json_string(a.pos[0]));
    if (a.rrule)
        json_object_set_new(body, "rrule", json_string(a.rrule));
    rc = call(&a, "POST", "/api/v1/blackouts", body, &r);
    if (!rc && a.api.json)
        gl_api_print_json(r.body);
    else if (!rc)
        printf("blackout %lld: %s .. %s %s\n",
               (long long)json_integer_value(json_object_get(r.body, "id")),
               str_of(r.body, "start"), str_of(r.body, "end"), str_of(r.body, "reason"));
    json_decref(body);
    gl_api_response_release(&r);
    return rc;
}

static const char blackout_list_usage[] =
    "usage: greenlight blackout list [CLIENT] [--server URL] [--token T] [--json]\n"
    "  the client's blackouts and the global ones (no CLIENT: the global ones)\n";

static int blackout_list(int argc, char **argv)
{
    struct cal_args a;
    struct gl_api_response r = {0};
    struct gl_buf path = GL_BUF_INIT;
    int rc = parse(argc, argv, &a, 0, 1, blackout_list_usage);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    rc = GL_EXIT_FAIL;
    if (gl_buf_puts(&path, "/api/v1/blackouts") == 0 &&
        gl_api_query(&path, "client", a.npos ? a.pos[0] : NULL) == 0)
        rc = call(&a, "GET", path.data, NULL, &r);
    if (!rc && a.api.json) {
        gl_api_print_json(r.body);
    } else if (!rc) {
        gl_api_table(json_object_get(r.body, "items"), blackout_cols, GL_NCOLS(blackout_cols));
    }
    gl_buf_release(&path);
    gl_api_response_release(&r);
    return rc;
}

static const struct gl_cli_cmd window_cmds[] = {
    {"add", window_add, "add a maintenance window to a client (or one of its CIs)"},
    {"list", window_list, "list a client's maintenance windows"},
};

static const struct gl_cli_cmd blackout_cmds[] = {
    {"add", blackout_add, "add a blackout to a client, or a global one"},
    {"list", blackout_list, "list blackouts"},
};

int gl_cmd_window(int argc, char **argv)
{
    return gl_cli_dispatch(window_cmds, sizeof window_cmds / sizeof window_cmds[0],
                           "usage: greenlight window COMMAND [ARGS...]\n", argc, argv);
}

int gl_cmd_blackout(int argc, char **argv)
{
    return gl_cli_dispatch(blackout_cmds, sizeof blackout_cmds / sizeof blackout_cmds[0],
                           "usage: greenlight blackout COMMAND [ARGS...]\n", argc, argv);
}
