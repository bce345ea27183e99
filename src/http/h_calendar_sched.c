/*
 * h_calendar_sched.c - the calendar as it bears on one change: the scheduling gate (see
 * h_calendar.h for its decisions), GET /api/v1/changes/{id}/schedule (the explained
 * findings) and GET /api/v1/changes/{id}/slots (the next free slots).
 *
 * The store finds (windows, blackouts, notice, conflicts); this file decides what refuses
 * and what only warns, so the rules sit in one screen next to their documentation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cal/recur.h"
#include "codec/json_calendar.h"
#include "core/authz.h"
#include "core/timefmt.h"
#include "http/h_calendar.h"
#include "http/h_changes.h"

#include "util/banned.h"

#define JUSTIFICATION_MAX 2000

static int query_bool(struct gl_request *req, const char *name, bool *out, struct gl_error *err)
{
    const char *v = gl_req_query(req, name);
    *out = false;
    if (!v)
        return 0;
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *out = true;
    else if (strcmp(v, "false") != 0 && strcmp(v, "0") != 0)
        return gl_error_set(err, GL_E_INVALID, name, "%s must be true or false", name);
    return 0;
}

static int query_depth(struct gl_request *req, int *depth, struct gl_error *err)
{
    const char *v = gl_req_query(req, "depth");
    *depth = GL_CAL_DEPTH_DEFAULT;
    if (!v)
        return 0;
    if (strlen(v) != 1 || v[0] < '0' || v[0] > '0' + GL_CAL_DEPTH_MAX)
        return gl_error_set(err, GL_E_INVALID, "depth", "depth must be an integer from 0 to %d",
                            GL_CAL_DEPTH_MAX);
    *depth = v[0] - '0';
    return 0;
}

bool gl_h_schedule_moved(const struct gl_change *before, const struct gl_change *after)
{
    return before->state == GL_STATE_SCHEDULED &&
           (before->planned_start != after->planned_start ||
            before->planned_end != after->planned_end);
}

static int refuse_blackout(const struct gl_cal_check *k, struct gl_error *err)
{
    const struct gl_cal_blackout_hit *h = &k->blackouts[0];
    char from[GL_TIME_STR_MAX], to[GL_TIME_STR_MAX];
    gl_time_format(h->start, from);
    gl_time_format(h->end, to);
    return gl_error_set(err, GL_E_PRECONDITION, "planned_start",
                        "the planned time falls in %sblackout %lld \"%.120s\" (%s to %s); only an "
                        "emergency change may be scheduled into a blackout",
                        h->global ? "global " : "", (long long)h->id, h->reason, from, to);
}

static int refuse_notice(struct gl_request *req, const struct gl_change *c,
                         const struct gl_cal_check *k, struct gl_error *err)
{
    char earliest[GL_TIME_STR_MAX];
    gl_time_format(req->now + (int64_t)k->notice_hours * 3600, earliest);
    return gl_error_set(err, GL_E_PRECONDITION, "planned_start",
                        "the client must be notified %d hours ahead; %.1f hours are missing "
                        "(earliest start now: %s)",
                        k->notice_hours, k->sum.notice_shortfall_hours, earliest);
}

static int refuse_conflict(const struct gl_cal_check *k, struct gl_error *err)
{
    for (size_t i = 0; i < k->nconflicts; i++) {
        const struct gl_cal_conflict *x = &k->conflicts[i];
        if (!x->ci_id)
            continue;
        char id[GL_IDENT_MAX], ci[GL_IDENT_MAX];
        gl_change_ident_format(x->change_id, id);
        gl_ci_ident_format(x->ci_id, ci);
        return gl_error_set(err, GL_E_PRECONDITION, "planned_start",
                            "strict scheduling: %zu conflicting change(s), first %s on %s (%d "
                            "step(s) from this change's CIs)",
                            k->sum.conflicts, id, ci, x->path_len - 1);
    }
    return 0;
}

int gl_h_schedule_gate(struct gl_request *req, const struct gl_change *c,
                       const char *justification, struct gl_sched_gate *g, struct gl_error *err)
{
    bool strict;
    int depth;
    int rc = query_bool(req, "strict", &strict, err);
    if (!rc)
        rc = query_depth(req, &depth, err);
    if (rc)
        return rc;
    if (justification && (!justification[0] || strlen(justification) > JUSTIFICATION_MAX))
        return gl_error_set(err, GL_E_INVALID, "justification",
                            "justification must be 1 to %d characters", JUSTIFICATION_MAX);
    g->active = true;
    /* The client is notified now, when the change enters its calendar. */
    rc = req->store->calendar->schedule_check(req->store, c, req->now, req->now, depth, &g->check,
                                              err);
    if (rc)
        return rc;
    struct gl_cal_check *k = &g->check;
    k->sum.justified = k->sum.outside_window && justification;
    bool emergency = c->type == GL_TYPE_EMERGENCY;
    if (k->nblackouts && !emergency)
        return refuse_blackout(k, err);
    if (k->sum.outside_window && !justification && !emergency)
        return gl_error_set(err, GL_E_PRECONDITION, "justification",
                            "the planned time is outside the client's maintenance windows; "
                            "schedule it with a justification, or pick a slot (GET "
                            "/api/v1/changes/{id}/slots)");
    if (k->sum.short_notice && !emergency)
        return refuse_notice(req, c, k, err);
    if (strict && k->sum.conflicts)
        return refuse_conflict(k, err);
    json_t *findings = gl_json_cal_findings(k);
    g->findings = findings ? json_dumps(findings, JSON_COMPACT) : NULL;
    json_decref(findings);
    g->flags = gl_cal_flags(k, emergency);
    if (!g->findings || !g->flags)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    g->rec = (struct gl_schedule_record){req->now, justification, g->flags, g->findings};
    return 0;
}

void gl_h_schedule_gate_release(struct gl_sched_gate *g)
{
    if (!g)
        return;
    gl_cal_check_release(&g->check);
    free(g->flags);
    free(g->findings);
    *g = (struct gl_sched_gate){0};
}

json_t *gl_h_schedule_json(const struct gl_sched_gate *g)
{
    json_t *j = gl_json_cal_check(&g->check);
    json_object_set_new(j, "flags", json_string(g->flags ? g->flags : ""));
    json_object_set_new(j, "justification",
                        g->rec.justification ? json_string(g->rec.justification) : json_null());
    return j;
}

/* GET /api/v1/changes/{id}/schedule: the findings for the change's planned time now. */
int gl_h_change_schedule(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_change c;
    struct gl_cal_check k = {0};
    int depth;
    gl_error_clear(&err);
    gl_change_init(&c);
    if (gl_h_load_change(req, req->captures[0], &c, &err) ||
        gl_authz_check(&req->user, GL_PERM_CHANGE_READ, c.client_id, &err) ||
        query_depth(req, &depth, &err) ||
        req->store->calendar->schedule_check(req->store, &c, req->now, GL_TIME_UNSET, depth, &k,
                                             &err)) {
        gl_change_release(&c);
        return gl_res_problem(res, req, &err);
    }
    json_t *j = gl_json_cal_check(&k);
    char ident[GL_IDENT_MAX];
    gl_change_ident_format(c.id, ident);
    json_object_set_new(j, "change", json_string(ident));
    json_object_set_new(j, "justification",
                        k.justification ? json_string(k.justification) : json_null());
    gl_res_json(res, 200, j);
    gl_cal_check_release(&k);
    gl_change_release(&c);
    return 0;
}

/* ---- slots -------------------------------------------------------------------------- */

/* The windows that apply to c over [from, to): per CI its own windows, else the
 * client's; a slot must lie inside all of them at once (intersection). *have tells
 * whether any window applies. */
static int applicable_windows(struct gl_request *req, const struct gl_change *c, const char *tz,
                              int64_t from, int64_t to, struct gl_ivlist *out, bool *have,
                              struct gl_error *err)
{
    struct gl_cal_window_list wl = {0};
    int rc = req->store->calendar->window_list(req->store, c->client_id, &wl, err);
    *have = false;
    size_t nsets = c->ci_ids.len + 1;
    for (size_t s = 0; !rc && s < nsets; s++) {
        int64_t ci = s < c->ci_ids.len ? c->ci_ids.items[s] : 0;
        bool own = false;
        for (size_t i = 0; i < wl.len && ci; i++)
            own = own || wl.items[i].ci_id == ci;
        if (ci && !own)
            continue; /* follows the client's windows, the last set */
        struct gl_ivlist set = {0};
        for (size_t i = 0; !rc && i < wl.len; i++) {
            if (wl.items[i].ci_id != ci)
                continue;
            struct gl_recur r = {wl.items[i].rrule, wl.items[i].start, tz, wl.items[i].duration};
            rc = gl_recur_expand(&r, from, to, wl.items[i].id, &set, err);
        }
        gl_ivlist_normalize(&set);
        bool defined = false;
        for (size_t i = 0; i < wl.len; i++)
            defined = defined || wl.items[i].ci_id == ci;
        if (!rc && defined) {
            if (!*have) {
                *out = set;
                set = (struct gl_ivlist){0};
            } else {
                struct gl_ivlist both = {0};
                if (gl_ivlist_intersect(out, &set, &both) < 0)
                    rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
                gl_ivlist_release(out);
                *out = both;
            }
            *have = true;
        }
        gl_ivlist_release(&set);
    }
    gl_cal_window_list_release(&wl);
    return rc;
}

static int slot_params(struct gl_request *req, const struct gl_change *c, int *count,
                       int64_t *duration, struct gl_error *err)
{
    const char *v = gl_req_query(req, "count");
    *count = 5;
    if (v) {
        char *end;
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < 1 || n > GL_CAL_SLOTS_MAX)
            return gl_error_set(err, GL_E_INVALID, "count", "count must be 1 to %d",
                                GL_CAL_SLOTS_MAX);
        *count = (int)n;
    }
    v = gl_req_query(req, "duration");
    if (v) {
        char *end;
        long m = strtol(v, &end, 10);
        if (!*v || *end || m < 1 || m > 7 * 24 * 60)
            return gl_error_set(err, GL_E_INVALID, "duration",
                                "duration must be 1 to 10080 minutes");
        *duration = (int64_t)m * 60;
        return 0;
    }
    if (c->planned_start == GL_TIME_UNSET || c->planned_end == GL_TIME_UNSET)
        return gl_error_set(err, GL_E_INVALID, "duration",
                            "the change has no planned times; give ?duration= in minutes");
    *duration = c->planned_end - c->planned_start;
    return 0;
}

/* Busy time over [from, to): blackouts (always, even for emergencies: a slot is a
 * suggestion) and the changes that would conflict. */
static int busy_intervals(struct gl_request *req, const struct gl_change *c, int64_t from,
                          int64_t to, int depth, struct gl_ivlist *busy, struct gl_error *err)
{
    struct gl_change probe;
    gl_change_init(&probe);
    if (gl_change_copy(&probe, c))
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    probe.planned_start = from;
    probe.planned_end = to;
    struct gl_cal_check k = {0};
    int rc = req->store->calendar->schedule_check(req->store, &probe, req->now, req->now, depth, &k,
                                                  err);
    for (size_t i = 0; !rc && i < k.nblackouts; i++)
        if (gl_ivlist_push(busy, k.blackouts[i].start, k.blackouts[i].end, 0) < 0)
            rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    for (size_t i = 0; !rc && i < k.nconflicts; i++)
        if (gl_ivlist_push(busy, k.conflicts[i].planned_start, k.conflicts[i].planned_end, 0) < 0)
            rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    gl_ivlist_normalize(busy);
    gl_cal_check_release(&k);
    gl_change_release(&probe);
    return rc;
}

/* GET /api/v1/changes/{id}/slots?count=&duration=&depth= */
int gl_h_change_slots(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_change c;
    struct gl_client client;
    struct gl_ivlist windows = {0}, busy = {0};
    int count = 0, depth = 0;
    int64_t duration = 0;
    bool have = false;
    gl_error_clear(&err);
    gl_change_init(&c);
    gl_client_init(&client);
    if (gl_h_load_change(req, req->captures[0], &c, &err) ||
        gl_authz_check(&req->user, GL_PERM_CHANGE_READ, c.client_id, &err) ||
        slot_params(req, &c, &count, &duration, &err) || query_depth(req, &depth, &err) ||
        req->store->clients->get_by_id(req->store, c.client_id, &client, &err))
        goto fail;
    const char *tz = client.timezone ? client.timezone : "UTC";
    int64_t earliest = req->now + (int64_t)client.notice_hours * 3600;
    int64_t horizon = earliest + (int64_t)GL_CAL_SLOT_HORIZON_DAYS * 86400;
    if (applicable_windows(req, &c, tz, earliest, horizon, &windows, &have, &err) ||
        busy_intervals(req, &c, earliest, horizon, depth, &busy, &err))
        goto fail;
    int64_t starts[GL_CAL_SLOTS_MAX];
    size_t n = gl_cal_slots(&windows, have, &busy, earliest, horizon, duration, starts,
                            (size_t)count);
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        char s[GL_TIME_STR_MAX], e[GL_TIME_STR_MAX], local[GL_LOCAL_TIME_MAX] = "";
        gl_time_format(starts[i], s);
        gl_time_format(starts[i] + duration, e);
        gl_utc_to_local(tz, starts[i], local);
        json_array_append_new(items, json_pack("{s:s, s:s, s:s}", "planned_start", s,
                                                "planned_end", e, "local_start", local));
    }
    char from[GL_TIME_STR_MAX], until[GL_TIME_STR_MAX];
    gl_time_format(earliest, from);
    gl_time_format(horizon, until);
    gl_res_json(res, 200,
                json_pack("{s:o, s:s, s:s, s:s, s:I, s:b}", "items", items, "timezone", tz,
                          "earliest", from, "horizon", until, "duration_minutes",
                          (json_int_t)(duration / 60), "windows_defined", have));
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    gl_ivlist_release(&windows);
    gl_ivlist_release(&busy);
    gl_client_release(&client);
    gl_change_release(&c);
    return 0;
}
