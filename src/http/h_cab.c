/*
 * h_cab.c - GET /api/v1/cab/agenda: the changes awaiting the Change Advisory Board.
 *
 * A change is on the agenda when it is assessed, its route (core/approval.c) has a cab
 * stage, and the route is not yet satisfied. The candidates are the assessed changes of
 * the caller's scope whose planned window overlaps [from, to) (at most GL_LIST_MAX of
 * them, newest first; "truncated" says when there were more), ordered by planned start
 * and then by risk score, highest first. Each item carries the risk explanation (the
 * current assessment's factors), the blast radius (from the assessment's inputs), the
 * conflicts the calendar finds now, and the votes so far.
 */
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "codec/json_risk.h"
#include "codec/json_template.h"
#include "core/timefmt.h"
#include "http/handler_util.h"
#include "http/handlers.h"

#include "util/banned.h"

#define AGENDA_DEFAULT_DAYS 30
#define AGENDA_MAX_DAYS 366

struct agenda_item {
    int64_t start;
    double score;
    json_t *json;
};

static int by_start_then_risk(const void *a, const void *b)
{
    const struct agenda_item *x = a, *y = b;
    if (x->start != y->start) /* GL_TIME_UNSET is INT64_MIN: unplanned last */
        return x->start == GL_TIME_UNSET ? 1 : y->start == GL_TIME_UNSET ? -1
                                                : (x->start > y->start) - (x->start < y->start);
    return (x->score < y->score) - (x->score > y->score);
}

static int parse_range(struct gl_request *req, int64_t *from, int64_t *to, struct gl_error *err)
{
    const char *f = gl_req_query(req, "from"), *t = gl_req_query(req, "to");
    *from = req->now;
    if (f && gl_time_parse(f, from) < 0)
        return gl_error_set(err, GL_E_INVALID, "from",
                            "from must be an RFC 3339 time such as 2026-12-05T22:00:00Z");
    *to = *from + (int64_t)AGENDA_DEFAULT_DAYS * 86400;
    if (t && gl_time_parse(t, to) < 0)
        return gl_error_set(err, GL_E_INVALID, "to",
                            "to must be an RFC 3339 time such as 2026-12-05T22:00:00Z");
    if (*to <= *from)
        return gl_error_set(err, GL_E_INVALID, "to", "to must be later than from");
    if (*to - *from > (int64_t)AGENDA_MAX_DAYS * 86400)
        return gl_error_set(err, GL_E_INVALID, "to", "the agenda covers at most %d days",
                            AGENDA_MAX_DAYS);
    return 0;
}

static json_t *blast_radius(const struct gl_app_route *r)
{
    if (!r->assessed)
        return json_null();
    const struct gl_risk_inputs *in = &r->risk.inputs;
    return json_pack("{s:I, s:I, s:I, s:I}", "affected_cis", (json_int_t)in->affected_cis,
                     "dependent_cis", (json_int_t)in->dependent_cis, "clients_touched",
                     (json_int_t)in->clients_touched, "users_affected",
                     (json_int_t)in->users_affected);
}

static json_t *conflicts(struct gl_request *req, const struct gl_change *c,
                         const struct gl_app_route *r)
{
    struct gl_schedule_summary s;
    struct gl_error err;
    memset(&s, 0, sizeof s);
    if (req->store->calendar->schedule_summary(req->store, c, req->now, &s, &err) != 0) {
        if (!r->assessed)
            return json_null();
        s = r->risk.inputs.schedule; /* the calendar failed: what the score saw */
    }
    return json_pack("{s:I, s:b, s:b, s:b}", "count", (json_int_t)s.conflicts, "in_blackout",
                     s.in_blackout, "outside_window", s.outside_window, "short_notice",
                     s.short_notice);
}

static json_t *agenda_item(struct gl_request *req, const struct gl_change *c,
                           const struct gl_app_route *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "change", gl_json_change(c));
    json_object_set_new(o, "risk", r->assessed ? gl_json_risk_assessment(&r->risk) : json_null());
    json_object_set_new(o, "blast_radius", blast_radius(r));
    json_object_set_new(o, "conflicts", conflicts(req, c, r));
    json_object_set_new(o, "approval", gl_h_route_json(r, c, req->now));
    return o;
}

static bool awaits_cab(const struct gl_app_route *r)
{
    return r->status.need[GL_STAGE_CAB] > 0 && !r->status.satisfied;
}

int gl_h_cab_agenda(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_change_filter f = {.scope = &req->scope, .limit = GL_LIST_MAX};
    struct gl_change_page page = {0};
    const char *key = gl_req_query(req, "client");
    gl_error_clear(&err);
    f.state_mask = 1u << GL_STATE_ASSESSED;
    if (parse_range(req, &f.from, &f.to, &err) ||
        (key && gl_h_resolve_client(req, key, "client", &f.client_id, &err)) ||
        req->store->changes->list(req->store, &f, &page, &err))
        return gl_res_problem(res, req, &err);
    struct agenda_item *items = calloc(page.len + 1, sizeof *items);
    size_t n = 0;
    if (!items) { /* not an empty agenda: the caller must know it is not the answer */
        gl_change_page_release(&page);
        return gl_res_fail(res, req, GL_E_INTERNAL, NULL, "out of memory");
    }
    for (size_t i = 0; i < page.len; i++) {
        struct gl_app_route *r = NULL;
        const struct gl_change *c = &page.items[i];
        struct gl_app a = gl_h_app(req);
        if (gl_app_route_load(&a, c, &r, &err) == 0 && awaits_cab(r))
            items[n++] = (struct agenda_item){c->planned_start, r->assessed ? r->risk.score : 0,
                                              agenda_item(req, c, r)};
        gl_app_route_free(r);
    }
    qsort(items, n, sizeof *items, by_start_then_risk);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, items[i].json);
    free(items);
    char from[GL_TIME_STR_MAX], to[GL_TIME_STR_MAX];
    gl_time_format(f.from, from);
    gl_time_format(f.to, to);
    gl_res_json(res, 200, json_pack("{s:s, s:s, s:o, s:b}", "from", from, "to", to, "items", arr,
                                    "truncated", page.next_cursor != 0));
    gl_change_page_release(&page);
    return 0;
}
