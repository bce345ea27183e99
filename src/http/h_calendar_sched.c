/*
 * h_calendar_sched.c - the calendar as it bears on one change: GET
 * /api/v1/changes/{id}/schedule (the explained findings, recomputed now) and GET
 * /api/v1/changes/{id}/slots (the next free slots). The scheduling gate itself is the
 * service layer's (app/schedule.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cal/recur.h"
#include "codec/json_calendar.h"
#include "core/authz.h"
#include "core/timefmt.h"
#include "http/handler_util.h"
#include "http/handlers.h"

#include "util/banned.h"

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
        gl_h_query_depth(req, &depth, &err) ||
        req->store->calendar->schedule_check(req->store, &c, req->now, GL_TIME_UNSET, depth, &k,
                                             &err)) {
        gl_change_release(&c);
        return gl_res_problem(res, req, &err);
    }
    json_t *j = gl_json_cal_check(&k);
    char ident[GL_IDENT_MAX];
    gl_change_ident_format(c.id, ident);
    json_object_set_new(j, "change", json_string(ident));
    /* The flags the gate would record now, as the schedule action answers them. */
    char *flags = gl_cal_flags(&k, c.type == GL_TYPE_EMERGENCY);
    json_object_set_new(j, "flags", gl_h_flags_json(flags));
    free(flags);
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
        slot_params(req, &c, &count, &duration, &err) || gl_h_query_depth(req, &depth, &err) ||
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
