/*
 * h_metrics.c - GET /api/v1/metrics/emergency: the misuse signal of issue 4.
 *
 * Counts the changes that left draft, created in [from, to), per requester (raised_by)
 * and per client, with how many of them are emergencies. A requester or client is flagged
 * when more than GL_EMERGENCY_RATIO_FLAG (25 %) of at least GL_EMERGENCY_MIN_CHANGES (4)
 * changes are emergencies (core/approval.h, gl_emergency_flagged). Only the caller's
 * clients are counted.
 */
#include <string.h>

#include "core/approval.h"
#include "core/timefmt.h"
#include "http/handler_util.h"
#include "http/handlers.h"

#include "util/banned.h"

static int time_param(struct gl_request *req, const char *name, int64_t *out,
                      struct gl_error *err)
{
    const char *s = gl_req_query(req, name);
    *out = GL_TIME_UNSET;
    if (s && gl_time_parse(s, out) < 0)
        return gl_error_set(err, GL_E_INVALID, name,
                            "%s must be an RFC 3339 time such as 2026-12-05T22:00:00Z", name);
    return 0;
}

static json_t *rows_json(const struct gl_emergency_rows *rows, const char *key_name)
{
    json_t *a = json_array();
    for (size_t i = 0; i < rows->len; i++) {
        const struct gl_emergency_row *r = &rows->items[i];
        double ratio = r->total ? (double)r->emergency / (double)r->total : 0;
        json_array_append_new(a, json_pack("{s:s, s:I, s:I, s:f, s:b}", key_name, r->key,
                                           "changes", (json_int_t)r->total, "emergency",
                                           (json_int_t)r->emergency, "ratio", ratio, "flagged",
                                           gl_emergency_flagged(r->total, r->emergency)));
    }
    return a;
}

static json_t *time_or_null(int64_t t)
{
    if (t == GL_TIME_UNSET)
        return json_null();
    char buf[GL_TIME_STR_MAX];
    gl_time_format(t, buf);
    return json_string(buf);
}

int gl_h_metrics_emergency(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    int64_t from, to, client_id = 0;
    struct gl_emergency_rows people = {0}, clients = {0};
    const char *key = gl_req_query(req, "client");
    gl_error_clear(&err);
    if (time_param(req, "from", &from, &err) || time_param(req, "to", &to, &err))
        return gl_res_problem(res, req, &err);
    if (from != GL_TIME_UNSET && to != GL_TIME_UNSET && to <= from)
        return gl_res_fail(res, req, GL_E_INVALID, "to", "to must be later than from");
    if ((key && gl_h_resolve_client(req, key, "client", &client_id, &err)) ||
        req->store->changes->emergency_ratio(req->store, &req->scope, client_id, from, to, false,
                                             &people, &err) ||
        req->store->changes->emergency_ratio(req->store, &req->scope, client_id, from, to, true,
                                             &clients, &err)) {
        gl_emergency_rows_release(&people);
        return gl_res_problem(res, req, &err);
    }
    json_t *o = json_object();
    json_object_set_new(o, "from", time_or_null(from));
    json_object_set_new(o, "to", time_or_null(to));
    json_object_set_new(o, "client", key ? json_string(key) : json_null());
    json_object_set_new(o, "threshold", json_real(GL_EMERGENCY_RATIO_FLAG));
    json_object_set_new(o, "min_changes", json_integer(GL_EMERGENCY_MIN_CHANGES));
    json_object_set_new(o, "requesters", rows_json(&people, "requester"));
    json_object_set_new(o, "clients", rows_json(&clients, "client"));
    gl_emergency_rows_release(&people);
    gl_emergency_rows_release(&clients);
    return gl_res_json(res, 200, o);
}
