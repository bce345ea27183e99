/*
 * handler_util.c - what the handlers share (handler_util.h).
 */
#include "http/handler_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "codec/json_calendar.h"
#include "codec/json_template.h"

#include "util/banned.h"

struct gl_app gl_h_app(const struct gl_request *req)
{
    return (struct gl_app){
        .st = req->store,
        .user = &req->user,
        .scope = &req->scope,
        .request_id = req->request_id,
        .now = req->now,
    };
}

int gl_h_change_id(const char *ident, int64_t *id, struct gl_error *err)
{
    if (gl_change_ident_parse(ident, id) < 0)
        return gl_error_set(err, GL_E_NOT_FOUND, NULL, "no change %s", ident);
    return 0;
}

int gl_h_load_change(struct gl_request *req, const char *ident, struct gl_change *c,
                     struct gl_error *err)
{
    int64_t id;
    int rc = gl_h_change_id(ident, &id, err);
    if (rc)
        return rc;
    struct gl_app a = gl_h_app(req);
    return gl_app_load_change(&a, id, c, err);
}

int gl_h_resolve_client(struct gl_request *req, const char *key, const char *field,
                        int64_t *client_id, struct gl_error *err)
{
    struct gl_client client;
    gl_client_init(&client);
    int rc = req->store->clients->get(req->store, key, &client, err);
    if (rc == GL_E_NOT_FOUND || (rc == 0 && !gl_scope_contains(&req->scope, client.id)))
        rc = gl_error_set(err, GL_E_INVALID, field, "unknown client %s", key);
    if (rc == 0)
        *client_id = client.id;
    gl_client_release(&client);
    return rc;
}

int gl_h_if_match(const struct gl_request *req, int64_t *version, struct gl_error *err)
{
    *version = gl_req_if_match(req);
    if (*version < 0)
        return gl_error_set(err, GL_E_INVALID, "If-Match",
                            "If-Match must be a version number such as \"3\"");
    return 0;
}

int gl_h_check_if_match(const struct gl_request *req, int64_t current, bool required,
                        struct gl_error *err)
{
    int64_t wanted;
    int rc = gl_h_if_match(req, &wanted, err);
    return rc ? rc : gl_app_check_version(current, wanted, required, err);
}

int gl_h_query_bool(const struct gl_request *req, const char *name, bool *out,
                    struct gl_error *err)
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

int gl_h_query_depth(const struct gl_request *req, int *depth, struct gl_error *err)
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

int gl_h_sched_opts(const struct gl_request *req, const char *justification,
                    struct gl_app_sched_opts *o, struct gl_error *err)
{
    o->justification = justification;
    int rc = gl_h_query_bool(req, "strict", &o->strict, err);
    return rc ? rc : gl_h_query_depth(req, &o->depth, err);
}

int gl_h_answer_change(struct gl_response *res, unsigned status, const struct gl_change *c)
{
    res->etag_version = c->version;
    return gl_res_json(res, status, gl_json_change(c));
}

int gl_h_problem_with(struct gl_response *res, const struct gl_request *req,
                      const struct gl_error *err, const char *key, json_t *value)
{
    gl_res_problem(res, req, err);
    json_t *p = res->body ? json_loads(res->body, 0, NULL) : NULL;
    if (!p) {
        json_decref(value);
        return 0;
    }
    json_object_set_new(p, key, value);
    unsigned status = res->status;
    gl_res_json(res, status, p);
    res->content_type = "application/problem+json";
    return 0;
}

json_t *gl_h_route_json(const struct gl_app_route *r, const struct gl_change *c, int64_t now)
{
    char ident[GL_IDENT_MAX];
    gl_change_ident_format(c->id, ident);
    json_t *o = json_object();
    json_object_set_new(o, "change", json_string(ident));
    json_object_set_new(o, "type", json_string(gl_change_type_name(c->type)));
    json_object_set_new(o, "state", json_string(gl_change_state_name(c->state)));
    json_object_set_new(o, "route", gl_json_approval_status(&r->route, &r->status));
    json_object_set_new(o, "risk",
                        r->assessed ? json_pack("{s:f, s:s, s:o}", "score", r->risk.score, "level",
                                                gl_risk_level_name(r->risk.level), "assessed_at",
                                                gl_json_time(r->risk.assessed_at))
                                    : json_null());
    json_object_set_new(o, "round_reason",
                        r->record.round_reason ? json_string(r->record.round_reason)
                                               : json_null());
    json_object_set_new(o, "approved_at", gl_json_time(r->record.approved_at));
    json_t *votes = json_array();
    for (size_t i = 0; i < r->record.votes.len; i++)
        json_array_append_new(votes, gl_json_approval_vote(&r->record.votes.items[i]));
    json_object_set_new(o, "votes", votes);
    if (c->type == GL_TYPE_EMERGENCY) {
        int hours = r->policy.emergency_review_hours;
        json_object_set_new(o, "review_due",
                            gl_json_time(gl_approval_review_due(r->record.approved_at, hours)));
        json_object_set_new(o, "review_overdue",
                            json_boolean(gl_approval_review_overdue(c, r->record.approved_at,
                                                                    hours, now)));
    }
    return o;
}

json_t *gl_h_flags_json(const char *flags)
{
    json_t *list = json_array();
    while (flags && *flags) {
        const char *comma = strchr(flags, ',');
        size_t n = comma ? (size_t)(comma - flags) : strlen(flags);
        if (n)
            json_array_append_new(list, json_stringn(flags, n));
        flags += n + (comma ? 1 : 0);
    }
    return list;
}

json_t *gl_h_schedule_json(const struct gl_app_sched *g)
{
    json_t *j = gl_json_cal_check(&g->check);
    json_object_set_new(j, "flags", gl_h_flags_json(g->flags));
    json_object_set_new(j, "justification",
                        g->rec.justification ? json_string(g->rec.justification) : json_null());
    return j;
}
