/*
 * h_change_actions.c - POST /api/v1/changes/{id}/{action} (lifecycle actions and votes)
 * and the change timeline.
 *
 * The decisions are the service layer's and the core's (app/change.h): who may act,
 * whether the change may move, what follows. This file turns the request body into the
 * action's input and the result into the answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/change.h"
#include "codec/json.h"
#include "core/authz.h"
#include "core/lifecycle.h"
#include "core/timefmt.h"
#include "http/handler_util.h"
#include "http/handlers.h"
#include "util/banned.h"

/* Body members an action may carry, and where they go. */
struct action_body {
    const char *reason, *notes, *summary, *lessons, *comment;
    const char *justification; /* schedule only: why outside the maintenance windows */
    int64_t planned_start, planned_end;
    /* complete only: {"DOC-000001": 3} resulting versions, or no documentation affected */
    json_t *documents; /* borrowed from the body */
    bool no_doc_affected, doc_info;
};

static int read_text(const char *key, json_t *v, const char **dst, struct gl_error *err)
{
    if (!json_is_string(v))
        return gl_error_set(err, GL_E_INVALID, key, "%s must be a string", key);
    *dst = json_string_value(v);
    return 0;
}

static int read_time(const char *key, json_t *v, int64_t *dst, struct gl_error *err)
{
    if (!json_is_string(v) || gl_time_parse(json_string_value(v), dst) < 0)
        return gl_error_set(err, GL_E_INVALID, key,
                            "%s must be an RFC 3339 time such as 2026-12-05T22:00:00Z", key);
    return 0;
}

static int parse_action_body(json_t *body, struct action_body *ab, struct gl_error *err)
{
    const char *key;
    json_t *v;
    ab->planned_start = ab->planned_end = GL_TIME_UNSET;
    json_object_foreach(body, key, v)
    {
        int rc;
        if (strcmp(key, "reason") == 0)
            rc = read_text(key, v, &ab->reason, err);
        else if (strcmp(key, "notes") == 0)
            rc = read_text(key, v, &ab->notes, err);
        else if (strcmp(key, "summary") == 0)
            rc = read_text(key, v, &ab->summary, err);
        else if (strcmp(key, "lessons") == 0)
            rc = read_text(key, v, &ab->lessons, err);
        else if (strcmp(key, "comment") == 0)
            rc = read_text(key, v, &ab->comment, err);
        else if (strcmp(key, "justification") == 0)
            rc = read_text(key, v, &ab->justification, err);
        else if (strcmp(key, "planned_start") == 0)
            rc = read_time(key, v, &ab->planned_start, err);
        else if (strcmp(key, "planned_end") == 0)
            rc = read_time(key, v, &ab->planned_end, err);
        else if (strcmp(key, "documents") == 0)
            rc = json_is_object(v) ? (ab->documents = v, ab->doc_info = true, 0)
                                   : gl_error_set(err, GL_E_INVALID, key,
                                                  "documents must be an object "
                                                  "{\"DOC-000001\": version}");
        else if (strcmp(key, "no_documentation_affected") == 0)
            rc = json_is_boolean(v) ? (ab->no_doc_affected = json_is_true(v), ab->doc_info = true, 0)
                                    : gl_error_set(err, GL_E_INVALID, key, "%s must be a boolean",
                                                   key);
        else
            rc = gl_error_set(err, GL_E_INVALID, key, "unknown field %s", key);
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_action(const char *name, enum gl_action *action, struct gl_error *err)
{
    if (gl_action_parse(name, action) == 0)
        return 0;
    return gl_error_set(err, GL_E_NOT_FOUND, NULL,
                        "unknown action %s; actions are submit, assess, approve, reject, reopen, "
                        "schedule, start, complete, fail, rollback, review, close, cancel",
                        name);
}

/* The resulting versions named in the body; *out is malloc'd (NULL when none). */
static int parse_results(json_t *docs, struct gl_doc_result **out, size_t *n,
                         struct gl_error *err)
{
    const char *key;
    json_t *v;
    *out = NULL;
    *n = 0;
    if (!docs || json_object_size(docs) == 0)
        return 0;
    if (!(*out = calloc(json_object_size(docs), sizeof **out)))
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    json_object_foreach(docs, key, v)
    {
        struct gl_doc_result *r = &(*out)[*n];
        if (gl_doc_ident_parse(key, &r->id) < 0)
            return gl_error_set(err, GL_E_INVALID, "documents", "%.40s is not a document ID",
                                key);
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            return gl_error_set(err, GL_E_INVALID, "documents",
                                "the version of %.40s must be a positive integer", key);
        r->version = json_integer_value(v);
        (*n)++;
    }
    return 0;
}

/* ---- votes ---------------------------------------------------------------------------- */

static int parse_vote_body(json_t *body, struct gl_app_vote *v, struct gl_error *err)
{
    const char *key;
    json_t *val;
    json_object_foreach(body, key, val)
    {
        const char **dst = strcmp(key, "comment") == 0  ? &v->comment
                           : strcmp(key, "reason") == 0 ? &v->reason
                                                        : NULL;
        if (!dst)
            return gl_error_set(err, GL_E_INVALID, key,
                                "unknown field %s; a vote takes comment (and reason to reject)",
                                key);
        if (!json_is_string(val))
            return gl_error_set(err, GL_E_INVALID, key, "%s must be a string", key);
        *dst = json_string_value(val);
    }
    return 0;
}

/* The change with its approval view (read after the vote committed). */
static int answer_with_route(struct gl_request *req, struct gl_response *res,
                             const struct gl_change *c, json_t *body)
{
    struct gl_error err;
    struct gl_app_route *r = NULL;
    struct gl_app a = gl_h_app(req);
    if (gl_app_route_load(&a, c, &r, &err) == 0)
        json_object_set_new(body, "approval", gl_h_route_json(r, c, req->now));
    gl_app_route_free(r);
    res->etag_version = c->version;
    return gl_res_json(res, 200, body);
}

static int change_vote(struct gl_request *req, struct gl_response *res, enum gl_action action)
{
    struct gl_error err;
    struct gl_change after;
    struct gl_app_vote v = {.decision =
                                action == GL_ACTION_REJECT ? GL_VOTE_REJECT : GL_VOTE_APPROVE};
    json_t *body = NULL;
    int64_t id;
    gl_error_clear(&err);
    gl_change_init(&after);
    struct gl_app a = gl_h_app(req);
    if (gl_h_change_id(req->captures[0], &id, &err) || gl_h_if_match(req, &v.if_match, &err) ||
        gl_req_json(req, true, &body, &err) || parse_vote_body(body, &v, &err) ||
        gl_app_change_vote(&a, id, &v, &after, &err))
        gl_res_problem(res, req, &err);
    else
        answer_with_route(req, res, &after, gl_json_change(&after));
    json_decref(body);
    gl_change_release(&after);
    return 0;
}

/* ---- lifecycle actions ------------------------------------------------------------------ */

static int answer_standard(struct gl_request *req, struct gl_response *res,
                           const struct gl_app_act_result *r)
{
    json_t *body = gl_json_change(&r->change);
    if (r->has_schedule_problem)
        json_object_set_new(body, "schedule_problem",
                            json_pack("{s:s, s:s}", "detail", r->schedule_problem.detail, "field",
                                      r->schedule_problem.field));
    return answer_with_route(req, res, &r->change, body);
}

int gl_h_change_action(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct action_body ab = {0};
    struct gl_app_act_result out;
    struct gl_doc_result *results = NULL;
    enum gl_action action;
    json_t *body = NULL;
    int64_t id;
    gl_error_clear(&err);
    memset(&out, 0, sizeof out);
    gl_change_init(&out.change);
    if (parse_action(req->captures[1], &action, &err))
        goto fail;
    if (action == GL_ACTION_APPROVE || action == GL_ACTION_REJECT) {
        change_vote(req, res, action); /* votes: approval routing decides */
        goto out;
    }
    struct gl_app_act x = {.action = action};
    if (gl_h_change_id(req->captures[0], &id, &err) || gl_h_if_match(req, &x.if_match, &err) ||
        gl_req_json(req, true, &body, &err) || parse_action_body(body, &ab, &err))
        goto fail;
    if (ab.doc_info && action != GL_ACTION_COMPLETE) {
        gl_error_set(&err, GL_E_INVALID, ab.documents ? "documents" : "no_documentation_affected",
                     "documentation results are given with the complete action only");
        goto fail;
    }
    if (ab.justification && action != GL_ACTION_SCHEDULE) {
        gl_error_set(&err, GL_E_INVALID, "justification",
                     "a justification is given with the schedule action only");
        goto fail;
    }
    x.in = (struct gl_action_input){
        .reason = ab.reason,
        .outcome_notes = ab.notes,
        .review_summary = ab.summary,
        .review_lessons = ab.lessons,
        .planned_start = ab.planned_start,
        .planned_end = ab.planned_end,
    };
    x.comment = ab.comment;
    x.no_doc_affected = ab.no_doc_affected;
    x.doc_info = ab.doc_info;
    if (parse_results(ab.documents, &results, &x.ndoc_results, &err) ||
        gl_h_sched_opts(req, ab.justification, &x.sched, &err))
        goto fail;
    x.doc_results = results;
    struct gl_app a = gl_h_app(req);
    if (gl_app_change_act(&a, id, &x, &out, &err)) {
        if (out.suggest_normal) {
            gl_h_problem_with(res, req, &err, "suggested_type", json_string("normal"));
            goto out;
        }
        goto fail;
    }
    if (out.standard) {
        answer_standard(req, res, &out);
    } else if (out.sched.active) {
        json_t *j = gl_json_change(&out.change);
        json_object_set_new(j, "schedule", gl_h_schedule_json(&out.sched));
        res->etag_version = out.change.version;
        gl_res_json(res, 200, j);
    } else {
        gl_h_answer_change(res, 200, &out.change);
    }
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    free(results);
    gl_app_act_result_release(&out);
    json_decref(body);
    return 0;
}

int gl_h_change_timeline(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_change c;
    struct gl_audit_list events = {0};
    gl_change_init(&c);
    if (gl_h_load_change(req, req->captures[0], &c, &err) ||
        gl_authz_check(&req->user, GL_PERM_CHANGE_READ, c.client_id, &err) ||
        req->store->changes->timeline(req->store, c.id, &events, &err)) {
        gl_change_release(&c);
        return gl_res_problem(res, req, &err);
    }
    json_t *items = json_array();
    for (size_t i = 0; i < events.len; i++)
        json_array_append_new(items, gl_json_audit_event(&events.items[i]));
    char ident[GL_IDENT_MAX];
    gl_change_ident_format(c.id, ident);
    gl_res_json(res, 200, json_pack("{s:s, s:o}", "change", ident, "items", items));
    gl_audit_list_release(&events);
    gl_change_release(&c);
    return 0;
}
