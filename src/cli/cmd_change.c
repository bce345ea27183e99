/*
 * cmd_change.c - `greenlight change`: create, list, show, edit and move changes through
 * their lifecycle, as a client of the HTTP API.
 *
 * One option table serves the whole family. Each option names the subcommand groups it
 * belongs to and what it becomes there: a change field (new, edit), a list filter (list)
 * or a key of a lifecycle action's body. So `--reason` is the 7 R's reason in `new` and
 * the rejection reason in `reject`, and the API's field names live in one place.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api_client.h"
#include "cli/cli.h"
#include "cli/cmd_policy.h"
#include "cli/table.h"
#include "core/timefmt.h"
#include "util/buf.h"

#include "util/banned.h"

enum group {
    G_NEW = 1 << 0,
    G_EDIT = 1 << 1,
    G_LIST = 1 << 2,
    G_ACTION = 1 << 3,
    G_ID = 1 << 4, /* show, timeline: only the common options */
};

enum kind { K_STR, K_LIST, K_BOOL, K_TIME, K_INT, K_FLAG };

enum special { S_NONE, S_FROM_FILE, S_IF_MATCH, S_ALL, S_CURSOR, S_LIMIT };

struct copt {
    const char *name;
    unsigned groups;
    enum kind kind;
    const char *field; /* new, edit: change field */
    const char *query; /* list: filter parameter */
    const char *body;  /* lifecycle action: body key */
    enum special special;
};

#define OPT_BASE 0x200

static const struct copt copts[] = {
    {"type", G_NEW | G_EDIT | G_LIST, K_STR, "type", "type", NULL, S_NONE},
    {"client", G_NEW | G_LIST, K_STR, "client", "client", NULL, S_NONE},
    {"template", G_NEW, K_STR, "template", NULL, NULL, S_NONE},
    {"title", G_NEW | G_EDIT, K_STR, "title", NULL, NULL, S_NONE},
    {"description", G_NEW | G_EDIT, K_STR, "description", NULL, NULL, S_NONE},
    {"raised-by", G_NEW | G_EDIT, K_STR, "raised_by", NULL, NULL, S_NONE},
    {"reason", G_NEW | G_EDIT | G_ACTION, K_STR, "reason", NULL, "reason", S_NONE},
    {"expected-return", G_NEW | G_EDIT, K_STR, "expected_return", NULL, NULL, S_NONE},
    {"risks", G_NEW | G_EDIT, K_STR, "risks", NULL, NULL, S_NONE},
    {"implementer", G_NEW | G_EDIT, K_STR, "implementer", NULL, NULL, S_NONE},
    {"resources", G_NEW | G_EDIT, K_STR, "resources", NULL, NULL, S_NONE},
    {"related", G_NEW | G_EDIT, K_LIST, "related_changes", NULL, NULL, S_NONE},
    {"ci", G_NEW | G_EDIT | G_LIST, K_LIST, "cis", "ci", NULL, S_NONE},
    {"impl-plan", G_NEW | G_EDIT, K_STR, "implementation_plan", NULL, NULL, S_NONE},
    {"implementation-plan", G_NEW | G_EDIT, K_STR, "implementation_plan", NULL, NULL, S_NONE},
    {"test-plan", G_NEW | G_EDIT, K_STR, "test_plan", NULL, NULL, S_NONE},
    {"rollback-plan", G_NEW | G_EDIT, K_STR, "rollback_plan", NULL, NULL, S_NONE},
    {"rollback-tested", G_NEW | G_EDIT, K_BOOL, "rollback_tested", NULL, NULL, S_NONE},
    {"rollback-evidence", G_NEW | G_EDIT, K_STR, "rollback_evidence", NULL, NULL, S_NONE},
    {"start", G_NEW | G_EDIT | G_ACTION, K_TIME, "planned_start", NULL, "planned_start", S_NONE},
    {"end", G_NEW | G_EDIT | G_ACTION, K_TIME, "planned_end", NULL, "planned_end", S_NONE},
    {"incident", G_NEW | G_EDIT, K_LIST, "incidents", NULL, NULL, S_NONE},
    {"state", G_LIST, K_STR, NULL, "state", NULL, S_NONE},
    {"from", G_LIST, K_TIME, NULL, "from", NULL, S_NONE},
    {"to", G_LIST, K_TIME, NULL, "to", NULL, S_NONE},
    {"q", G_LIST, K_STR, NULL, "q", NULL, S_NONE},
    {"limit", G_LIST, K_INT, NULL, NULL, NULL, S_LIMIT},
    {"cursor", G_LIST, K_STR, NULL, NULL, NULL, S_CURSOR},
    {"all", G_LIST, K_FLAG, NULL, NULL, NULL, S_ALL},
    {"notes", G_ACTION, K_STR, NULL, NULL, "notes", S_NONE},
    {"summary", G_ACTION, K_STR, NULL, NULL, "summary", S_NONE},
    {"lessons", G_ACTION, K_STR, NULL, NULL, "lessons", S_NONE},
    {"comment", G_ACTION, K_STR, NULL, NULL, "comment", S_NONE},
    {"from-file", G_NEW, K_STR, NULL, NULL, NULL, S_FROM_FILE},
    {"if-match", G_EDIT | G_ACTION, K_INT, NULL, NULL, NULL, S_IF_MATCH},
};

#define NCOPTS (sizeof copts / sizeof copts[0])

struct change_args {
    struct gl_api_opts api;
    unsigned group;
    json_t *obj;         /* new, edit: change fields; action: body */
    struct gl_buf query; /* list: "/api/v1/changes?..." without limit and cursor */
    const char *from_file;
    const char *cursor;
    const char *limit;
    int64_t if_match; /* 0 = none */
    bool all;
    const char *id; /* the positional ID, when the group takes one */
};

static const char usage[] =
    "usage: greenlight change COMMAND [ARGS] [--server URL] [--token T] [--json]\n"
    "\n"
    "  new --client KEY --type standard|normal|emergency --title T [FIELDS] [--from-file F]\n"
    "  new --template TPL --client KEY --ci CI [--ci CI]... --start T --end T (standard)\n"
    "  list [--client K] [--state S[,S]] [--type T] [--ci CI] [--from T] [--to T] [-q TEXT]\n"
    "       [--limit N] [--cursor C] [--all]\n"
    "  show ID | timeline ID\n"
    "  edit ID FIELDS [--if-match N]\n"
    "  ACTION ID [--reason R] [--notes N] [--summary S] [--lessons L] [--comment C]\n"
    "            [--start T --end T] [--if-match N]\n"
    "\n"
    "FIELDS: --title --description --raised-by --reason --expected-return --risks\n"
    "  --implementer --resources --related CHG (repeat) --ci CI (repeat)\n"
    "  --impl-plan (or --implementation-plan) --test-plan --rollback-plan --rollback-tested yes|no "
    "--rollback-evidence\n"
    "  --start T --end T --incident INC (repeat); times are RFC 3339, e.g.\n"
    "  2026-12-05T22:00:00Z; an empty value clears a field.\n";

/* ---- option parsing ---- */

static int copt_index(const char *name)
{
    for (size_t i = 0; i < NCOPTS; i++)
        if (!strcmp(copts[i].name, name))
            return (int)i;
    return -1;
}

static void build_options(struct option *o)
{
    static const struct option common[] = {
        GL_API_LONG_OPTIONS, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    for (size_t i = 0; i < NCOPTS; i++)
        o[i] = (struct option){copts[i].name,
                               copts[i].kind == K_FLAG ? no_argument : required_argument, NULL,
                               OPT_BASE + (int)i};
    memcpy(o + NCOPTS, common, sizeof common);
}

static int parse_bool(const char *s, bool *out)
{
    if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "1"))
        *out = true;
    else if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "0"))
        *out = false;
    else
        return -1;
    return 0;
}

/* Converts a value to JSON by kind; NULL (usage error printed) when it is malformed. */
static json_t *to_json(const struct copt *o, const char *v)
{
    int64_t t;
    bool b;
    if (!*v && o->kind != K_LIST)
        return json_null();
    switch (o->kind) {
    case K_BOOL:
        if (parse_bool(v, &b) == 0)
            return json_boolean(b);
        gl_cli_usage_error("change: --%s wants yes or no", o->name);
        return NULL;
    case K_TIME:
        if (gl_time_parse(v, &t) == 0)
            return json_string(v);
        gl_cli_usage_error("change: --%s wants an RFC 3339 time such as 2026-12-05T22:00:00Z",
                           o->name);
        return NULL;
    default:
        return json_string(v);
    }
}

static int set_member(json_t *obj, const struct copt *o, const char *key, const char *v)
{
    if (o->kind == K_LIST) {
        json_t *arr = json_object_get(obj, key);
        if (!arr) {
            arr = json_array();
            if (json_object_set_new(obj, key, arr) < 0)
                return gl_cli_fail("out of memory");
        }
        if (*v && json_array_append_new(arr, json_string(v)) < 0)
            return gl_cli_fail("out of memory");
        return 0;
    }
    json_t *j = to_json(o, v);
    if (!j)
        return GL_EXIT_USAGE;
    return json_object_set_new(obj, key, j) < 0 ? gl_cli_fail("out of memory") : 0;
}

static int take_special(struct change_args *a, const struct copt *o, const char *v)
{
    int64_t n;
    switch (o->special) {
    case S_FROM_FILE:
        a->from_file = v;
        return 0;
    case S_CURSOR:
        a->cursor = v;
        return 0;
    case S_ALL:
        a->all = true;
        return 0;
    case S_LIMIT:
        if (gl_cli_parse_int(v, 1, 200, &n) < 0)
            return gl_cli_usage_error("change list: --limit wants 1..200");
        a->limit = v;
        return 0;
    case S_IF_MATCH:
        if (gl_cli_parse_int(v, 1, INT64_MAX, &a->if_match) < 0)
            return gl_cli_usage_error("change: --if-match wants a version number");
        return 0;
    default:
        return 0;
    }
}

static int take_option(struct change_args *a, const char *cmd, const struct copt *o, const char *v)
{
    if (!(o->groups & a->group))
        return gl_cli_usage_error("%s: --%s does not apply here", cmd, o->name);
    if (o->special != S_NONE)
        return take_special(a, o, v);
    if (a->group == G_LIST) {
        json_t *check = o->kind == K_TIME ? to_json(o, v) : json_null();
        if (!check)
            return GL_EXIT_USAGE;
        json_decref(check);
        return gl_api_query(&a->query, o->query, v) < 0 ? gl_cli_fail("out of memory") : 0;
    }
    return set_member(a->obj, o, a->group == G_ACTION ? o->body : o->field, v);
}

/* Parses argv for one subcommand of `group`. Returns 0, -1 after help, or an exit code. */
static int parse_args(int argc, char **argv, struct change_args *a)
{
    struct option opts[NCOPTS + 5];
    int c, rc;
    build_options(opts);
    gl_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "hq:", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return -1;
        }
        if (gl_api_opts_take(&a->api, c, optarg))
            continue;
        if (c == 'q')
            c = OPT_BASE + copt_index("q");
        if (c < OPT_BASE || c >= OPT_BASE + (int)NCOPTS)
            return GL_EXIT_USAGE;
        if ((rc = take_option(a, gl_cli_cmdname(argv[0]), &copts[c - OPT_BASE], optarg)) != 0)
            return rc;
    }
    bool wants_id = a->group & (G_EDIT | G_ACTION | G_ID);
    if (argc - optind != (wants_id ? 1 : 0))
        return gl_cli_usage_error("%s: %s", gl_cli_cmdname(argv[0]),
                                  wants_id ? "wants exactly one change ID" : "takes no arguments");
    a->id = wants_id ? argv[optind] : NULL;
    return 0;
}

static void args_release(struct change_args *a)
{
    json_decref(a->obj);
    gl_buf_release(&a->query);
}

/* Parses and connects; on success *api is ready. Returns 0, -1 (help) or an exit code. */
static int begin(int argc, char **argv, unsigned group, struct change_args *a, struct gl_api **api)
{
    memset(a, 0, sizeof *a);
    a->group = group;
    gl_buf_init(&a->query, 0);
    a->obj = json_object();
    if (!a->obj || gl_buf_puts(&a->query, "/api/v1/changes") < 0)
        return gl_cli_fail("out of memory");
    int rc = parse_args(argc, argv, a);
    if (rc)
        return rc;
    *api = gl_api_new(&a->api);
    return *api ? 0 : GL_EXIT_FAIL;
}

static int finish(int rc, struct change_args *a, struct gl_api *api)
{
    args_release(a);
    gl_api_free(api);
    return rc < 0 ? GL_EXIT_OK : rc;
}

static char *change_path(const char *id, const char *tail)
{
    struct gl_buf p = GL_BUF_INIT;
    if (gl_buf_puts(&p, "/api/v1/changes") < 0 || gl_api_segment(&p, id) < 0 ||
        (tail && gl_api_segment(&p, tail) < 0)) {
        gl_buf_release(&p);
        return NULL;
    }
    return gl_buf_detach(&p);
}

/* ---- new ---- */

static int load_from_file(struct change_args *a)
{
    json_error_t jerr;
    json_t *file = json_load_file(a->from_file, 0, &jerr);
    if (!file)
        return jerr.line > 0 ? gl_cli_fail("%s:%d: %s", a->from_file, jerr.line, jerr.text)
                             : gl_cli_fail("%s", jerr.text);
    if (!json_is_object(file)) {
        json_decref(file);
        return gl_cli_fail("%s: wants a JSON object with change fields", a->from_file);
    }
    /* Flags given on the command line win over the file. */
    json_object_update(file, a->obj);
    json_decref(a->obj);
    a->obj = file;
    return 0;
}

static int change_new(int argc, char **argv)
{
    struct change_args a;
    struct gl_api *api = NULL;
    struct gl_api_response r = {0};
    int rc = begin(argc, argv, G_NEW, &a, &api);
    if (rc)
        goto out;
    if (a.from_file && (rc = load_from_file(&a)) != 0)
        goto out;
    /* From a template, the template supplies type, title and plans. */
    bool from_template = json_object_get(a.obj, "template") != NULL;
    if (!json_object_get(a.obj, "client") ||
        (!from_template && (!json_object_get(a.obj, "type") || !json_object_get(a.obj, "title")))) {
        rc = gl_cli_usage_error("change new: --client, --type and --title are required (or "
                                "--template TPL --client KEY --ci CI --start T --end T)");
        goto out;
    }
    rc = GL_EXIT_FAIL;
    if (gl_api_request(api, "POST", "/api/v1/changes", a.obj, NULL, &r) < 0)
        goto out;
    if (a.api.json)
        gl_api_print_json(r.body);
    else
        printf("%s\n", gl_api_str(r.body, "id") ? gl_api_str(r.body, "id") : "?");
    rc = GL_EXIT_OK;
out:
    gl_api_response_release(&r);
    return finish(rc, &a, api);
}

/* ---- list ---- */

static int add_change_row(struct gl_table *t, const json_t *c)
{
    char start[32];
    gl_api_short_time(gl_api_str(c, "planned_start"), start);
    const char *row[] = {gl_api_str(c, "id"),     gl_api_str(c, "type"),   gl_api_str(c, "state"),
                         gl_api_str(c, "client"), start[0] ? start : NULL, gl_api_str(c, "title")};
    return gl_table_add_row(t, row);
}

/* Fetches one page into all (items appended); *next receives the next cursor or NULL. */
static int fetch_page(struct gl_api *api, const struct change_args *a, const char *cursor,
                      json_t *all, char **next)
{
    struct gl_buf path = GL_BUF_INIT;
    struct gl_api_response r = {0};
    int rc = -1;
    *next = NULL;
    if (gl_buf_puts(&path, gl_buf_str(&a->query)) < 0 ||
        gl_api_query(&path, "limit", a->limit) < 0 || gl_api_query(&path, "cursor", cursor) < 0)
        goto out;
    if (gl_api_request(api, "GET", path.data, NULL, NULL, &r) < 0)
        goto out;
    json_array_extend(all, json_object_get(r.body, "items"));
    const char *nc = gl_api_str(r.body, "next_cursor");
    if (nc && !(*next = strdup(nc)))
        goto out;
    rc = 0;
out:
    gl_api_response_release(&r);
    gl_buf_release(&path);
    return rc;
}

static void print_change_table(const json_t *items)
{
    static const char *const head[] = {"ID",   "TYPE", "STATE", "CLIENT", "PLANNED START (UTC)",
                                       "TITLE"};
    struct gl_table *t = gl_table_new(6, head);
    size_t i;
    const json_t *c;
    if (!t)
        return;
    gl_table_set_max(t, 3, 20);
    gl_table_set_max(t, 5, 70);
    json_array_foreach(items, i, c) add_change_row(t, c);
    gl_table_print(t, stdout);
    gl_table_free(t);
}

static void print_list(const struct change_args *a, json_t *items, const char *next)
{
    if (a->api.json) {
        json_t *doc = json_pack("{s:O,s:s?}", "items", items, "next_cursor", next);
        gl_api_print_json(doc);
        json_decref(doc);
        return;
    }
    print_change_table(items);
    if (next)
        fprintf(stderr, "greenlight: more changes: add --cursor %s (or --all)\n", next);
}

static int change_list(int argc, char **argv)
{
    struct change_args a;
    struct gl_api *api = NULL;
    json_t *items = json_array();
    char *next = NULL;
    int rc = begin(argc, argv, G_LIST, &a, &api);
    if (rc)
        goto out;
    rc = GL_EXIT_FAIL;
    if (fetch_page(api, &a, a.cursor, items, &next) < 0)
        goto out;
    while (a.all && next) {
        char *cursor = next;
        int frc = fetch_page(api, &a, cursor, items, &next);
        free(cursor);
        if (frc < 0)
            goto out;
    }
    print_list(&a, items, next);
    rc = GL_EXIT_OK;
out:
    free(next);
    json_decref(items);
    return finish(rc, &a, api);
}

/* ---- show ---- */

static void view_time(const json_t *c, const char *label, const char *key)
{
    char t[32];
    gl_api_short_time(gl_api_str(c, key), t);
    gl_view_line(stdout, label, t[0] ? t : NULL);
}

static void view_header(const json_t *c)
{
    printf("%s  %s\n\n", gl_api_str(c, "id") ? gl_api_str(c, "id") : "?",
           gl_api_str(c, "title") ? gl_api_str(c, "title") : "");
    gl_api_view(c, "Type", "type");
    gl_api_view(c, "State", "state");
    gl_api_view(c, "State reason", "state_reason");
    gl_api_view(c, "Client", "client");
    gl_api_view(c, "Configuration items", "cis");
    gl_api_view(c, "Incidents", "incidents");
    gl_api_view(c, "Version", "version");
    gl_api_view(c, "Description", "description");
}

static void view_body(const json_t *c)
{
    gl_view_heading(stdout, "The 7 R's");
    gl_api_view(c, "Raised by", "raised_by");
    gl_api_view(c, "Reason", "reason");
    gl_api_view(c, "Expected return", "expected_return");
    gl_api_view(c, "Risks", "risks");
    gl_api_view(c, "Implementer", "implementer");
    gl_api_view(c, "Resources", "resources");
    gl_api_view(c, "Related changes", "related_changes");
    gl_view_heading(stdout, "Plans");
    gl_api_view(c, "Implementation plan", "implementation_plan");
    gl_api_view(c, "Test plan", "test_plan");
    gl_api_view(c, "Rollback plan", "rollback_plan");
    gl_api_view(c, "Rollback tested", "rollback_tested");
    gl_api_view(c, "Rollback evidence", "rollback_evidence");
}

static void view_outcome(const json_t *c)
{
    const json_t *review = json_object_get(c, "review");
    gl_view_heading(stdout, "Schedule and outcome (UTC)");
    view_time(c, "Planned start", "planned_start");
    view_time(c, "Planned end", "planned_end");
    view_time(c, "Actual start", "actual_start");
    view_time(c, "Actual end", "actual_end");
    gl_api_view(c, "Outcome", "outcome");
    gl_api_view(c, "Outcome notes", "outcome_notes");
    gl_view_heading(stdout, "Review");
    gl_api_view(review, "Summary", "summary");
    gl_api_view(review, "Lessons", "lessons");
    gl_api_view(review, "Reviewed by", "reviewed_by");
    view_time(review, "Reviewed at", "reviewed_at");
    gl_view_heading(stdout, "Record");
    gl_api_view(c, "Created by", "created_by");
    view_time(c, "Created at", "created_at");
    view_time(c, "Updated at", "updated_at");
}

/* GETs one change (or its timeline when tail is set) into r. */
static int get_change(struct gl_api *api, const char *id, const char *tail,
                      struct gl_api_response *r)
{
    char *path = change_path(id, tail);
    if (!path)
        return gl_cli_fail("out of memory");
    int rc = gl_api_request(api, "GET", path, NULL, NULL, r) < 0 ? GL_EXIT_FAIL : 0;
    free(path);
    return rc;
}

static int change_show(int argc, char **argv)
{
    struct change_args a;
    struct gl_api *api = NULL;
    struct gl_api_response r = {0};
    int rc = begin(argc, argv, G_ID, &a, &api);
    if (rc || (rc = get_change(api, a.id, NULL, &r)) != 0)
        goto out;
    if (a.api.json) {
        gl_api_print_json(r.body);
    } else {
        view_header(r.body);
        view_body(r.body);
        view_outcome(r.body);
    }
out:
    gl_api_response_release(&r);
    return finish(rc, &a, api);
}

/* ---- timeline ---- */

/* What an event did, in a few words: the state move, else the fields it changed. */
static void describe_event(struct gl_buf *b, const json_t *ev)
{
    const json_t *before = json_object_get(ev, "before"), *after = json_object_get(ev, "after");
    const char *s0 = gl_api_str(before, "state"), *s1 = gl_api_str(after, "state");
    const char *key;
    const json_t *v;
    if (s0 && s1 && strcmp(s0, s1) != 0)
        gl_buf_printf(b, "%s -> %s", s0, s1);
    else if (!json_is_object(before) && s1)
        gl_buf_printf(b, "created as %s", s1);
    else if (json_is_object(after)) {
        json_object_foreach((json_t *)after, key, v)
        {
            if (!strcmp(key, "version") || !strcmp(key, "updated_at") ||
                json_equal(v, json_object_get(before, key)))
                continue;
            gl_buf_printf(b, "%s%s", b->len ? ", " : "changed ", key);
        }
    }
    const char *reason = gl_api_str(ev, "reason");
    if (reason && *reason)
        gl_buf_printf(b, "%s%s", b->len ? ": " : "", reason);
}

static void print_timeline(const json_t *items)
{
    static const char *const head[] = {"AT (UTC)", "ACTOR", "ACTION", "WHAT"};
    struct gl_table *t = gl_table_new(4, head);
    struct gl_buf what = GL_BUF_INIT;
    size_t i;
    const json_t *ev;
    if (!t)
        return;
    json_array_foreach(items, i, ev)
    {
        char at[32];
        gl_api_short_time(gl_api_str(ev, "at"), at);
        gl_buf_reset(&what);
        describe_event(&what, ev);
        const char *row[] = {at, gl_api_str(ev, "actor"), gl_api_str(ev, "action"),
                             gl_buf_str(&what)};
        gl_table_add_row(t, row);
    }
    gl_table_print(t, stdout);
    gl_buf_release(&what);
    gl_table_free(t);
}

static int change_timeline(int argc, char **argv)
{
    struct change_args a;
    struct gl_api *api = NULL;
    struct gl_api_response r = {0};
    int rc = begin(argc, argv, G_ID, &a, &api);
    if (rc || (rc = get_change(api, a.id, "timeline", &r)) != 0)
        goto out;
    if (a.api.json)
        gl_api_print_json(r.body);
    else
        print_timeline(json_object_get(r.body, "items"));
out:
    gl_api_response_release(&r);
    return finish(rc, &a, api);
}

/* ---- edit and lifecycle actions ---- */

static void print_result(const struct change_args *a, const json_t *c, const char *verb)
{
    if (a->api.json) {
        gl_api_print_json(c);
        return;
    }
    struct gl_buf v = GL_BUF_INIT;
    gl_api_text(&v, c, "version");
    printf("%s %s %s (version %s)\n", gl_api_str(c, "id") ? gl_api_str(c, "id") : a->id, verb,
           gl_api_str(c, "state") ? gl_api_str(c, "state") : "?", gl_buf_str(&v));
    gl_buf_release(&v);
    /* A vote that did not complete the approval route: say what it still needs. */
    const json_t *route = json_object_get(json_object_get(c, "approval"), "route");
    struct gl_buf missing = GL_BUF_INIT;
    if (json_array_size(json_object_get(route, "missing")) &&
        !gl_api_text(&missing, route, "missing"))
        printf("approval still missing: %s\n", gl_buf_str(&missing));
    gl_buf_release(&missing);
}

/* The version to send in If-Match: --if-match, else the current one from a GET. */
static int current_version(struct gl_api *api, const struct change_args *a, int64_t *version)
{
    struct gl_api_response r = {0};
    *version = a->if_match;
    if (*version)
        return 0;
    int rc = get_change(api, a->id, NULL, &r);
    if (rc == 0) {
        json_t *v = json_object_get(r.body, "version");
        *version = json_is_integer(v) ? json_integer_value(v) : r.version;
    }
    gl_api_response_release(&r);
    return rc;
}

static int send_write(struct gl_api *api, const struct change_args *a, const char *method,
                      const char *tail, int64_t version, struct gl_api_response *r)
{
    struct gl_buf hdr = GL_BUF_INIT;
    char *path = change_path(a->id, tail);
    int rc = GL_EXIT_FAIL;
    if (!path || (version && gl_buf_printf(&hdr, "If-Match: \"%lld\"", (long long)version) < 0))
        gl_cli_fail("out of memory");
    else if (gl_api_request(api, method, path, a->obj, version ? hdr.data : NULL, r) == 0)
        rc = 0;
    free(path);
    gl_buf_release(&hdr);
    return rc;
}

static int change_edit(int argc, char **argv)
{
    struct change_args a;
    struct gl_api *api = NULL;
    struct gl_api_response r = {0};
    int64_t version = 0;
    int rc = begin(argc, argv, G_EDIT, &a, &api);
    if (rc)
        goto out;
    if (json_object_size(a.obj) == 0) {
        rc = gl_cli_usage_error("change edit: give at least one field to change (see --help)");
        goto out;
    }
    if ((rc = current_version(api, &a, &version)) != 0 ||
        (rc = send_write(api, &a, "PATCH", NULL, version, &r)) != 0)
        goto out;
    print_result(&a, r.body, "updated; state");
out:
    gl_api_response_release(&r);
    return finish(rc, &a, api);
}

static int run_action(const char *action, int argc, char **argv)
{
    struct change_args a;
    struct gl_api *api = NULL;
    struct gl_api_response r = {0};
    int rc = begin(argc, argv, G_ACTION, &a, &api);
    if (rc || (rc = send_write(api, &a, "POST", action, a.if_match, &r)) != 0)
        goto out;
    print_result(&a, r.body, "is now");
out:
    gl_api_response_release(&r);
    return finish(rc, &a, api);
}

#define ACTION_CMD(name)                                                                           \
    static int act_##name(int argc, char **argv)                                                   \
    {                                                                                              \
        return run_action(#name, argc, argv);                                                      \
    }

ACTION_CMD(submit)
ACTION_CMD(assess)
ACTION_CMD(approve)
ACTION_CMD(reject)
ACTION_CMD(reopen)
ACTION_CMD(schedule)
ACTION_CMD(start)
ACTION_CMD(complete)
ACTION_CMD(fail)
ACTION_CMD(rollback)
ACTION_CMD(review)
ACTION_CMD(close)
ACTION_CMD(cancel)

static const struct gl_cli_cmd change_cmds[] = {
    {"new", change_new, "create a change (prints its ID)"},
    {"list", change_list, "list changes, newest first"},
    {"show", change_show, "every field of one change"},
    {"edit", change_edit, "change fields (If-Match from a fresh GET, or --if-match N)"},
    {"timeline", change_timeline, "every event of one change, oldest first"},
    {"risk", gl_cmd_change_risk, "the risk score: factors, points and why [--refresh]"},
    {"submit", act_submit, "draft -> submitted"},
    {"assess", act_assess, "submitted -> assessed"},
    {"approve", act_approve, "a vote; assessed -> approved once the route has it [--comment C]"},
    {"reject", act_reject, "assessed -> draft, with the reason --reason R"},
    {"reopen", act_reopen, "rejected -> draft"},
    {"schedule", act_schedule, "approved -> scheduled [--start T --end T]"},
    {"start", act_start, "scheduled -> in_progress"},
    {"complete", act_complete, "in_progress -> completed [--notes N]"},
    {"fail", act_fail, "in_progress -> failed --reason R"},
    {"rollback", act_rollback, "in_progress or failed -> rolled_back [--notes N]"},
    {"review", act_review, "completed/failed/rolled_back -> reviewed --summary S [--lessons L]"},
    {"close", act_close, "reviewed (or completed) -> closed"},
    {"cancel", act_cancel, "any state before in_progress -> cancelled --reason R"},
};

int gl_cmd_change(int argc, char **argv)
{
    return gl_cli_dispatch(change_cmds, sizeof change_cmds / sizeof change_cmds[0], usage, argc,
                           argv);
}
