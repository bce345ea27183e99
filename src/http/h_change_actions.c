/*
 * h_change_actions.c - POST /api/v1/changes/{id}/{action} and the change timeline.
 *
 * Both decisions are the core's: who may act (gl_authz_action, after the change was found
 * visible) and whether the change may move (gl_lifecycle_apply); this file only turns the
 * request body into a gl_action_input and the result into one audited store write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "core/authz.h"
#include "core/lifecycle.h"
#include "core/timefmt.h"
#include "http/h_approvals.h"
#include "http/h_calendar.h"
#include "http/h_changes.h"
#include "http/h_risk.h"
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

/*
 * Writes a lifecycle move. A completion of a change that touches documents (its CIs' or
 * linked ones; see gl_docs_check_completion), or that names documentation, goes through
 * change_complete_docs so the change and the document results commit together; every
 * other move, and a completion without documentation, is a plain change_update.
 */
static int write_move(struct gl_request *req, enum gl_action action, const struct action_body *ab,
                      const struct gl_write_ctx *ctx, const struct gl_change *before,
                      struct gl_change *after, struct gl_error *err)
{
    if (action != GL_ACTION_COMPLETE)
        return STORE(req, change_update, ctx, before, after, err);
    struct gl_doc_ref_list refs = {0};
    struct gl_doc_result *results = NULL;
    size_t nresults = 0;
    int rc = parse_results(ab->documents, &results, &nresults, err);
    if (!rc)
        rc = STORE(req, change_doc_refs, before, &refs, err);
    if (!rc && refs.len == 0 && !ab->doc_info)
        rc = STORE(req, change_update, ctx, before, after, err);
    else if (!rc && !(rc = gl_docs_check_completion(refs.items, refs.len, results, nresults,
                                                   ab->no_doc_affected, err)))
        rc = STORE(req, change_complete_docs, ctx, before, after, results, nresults, &refs,
                   ab->no_doc_affected, err);
    free(results);
    gl_doc_ref_list_release(&refs);
    return rc;
}

int gl_h_change_action(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_change before, after;
    struct action_body ab = {0};
    struct gl_sched_gate gate = {0};
    struct gl_h_route *route = NULL;
    struct gl_review_need review;
    enum gl_action action;
    json_t *body = NULL;
    gl_error_clear(&err);
    gl_change_init(&before);
    gl_change_init(&after);
    if (parse_action(req->captures[1], &action, &err))
        goto fail;
    if (action == GL_ACTION_APPROVE || action == GL_ACTION_REJECT) {
        gl_h_change_vote(req, res, action); /* votes: approval routing decides (h_approvals.c) */
        goto out;
    }
    if (gl_h_load_change(req, req->captures[0], &before, &err) ||
        gl_authz_action(&req->user, &before, action, &err) ||
        gl_h_check_if_match(req, before.version, false, &err) ||
        gl_req_json(req, true, &body, &err) || parse_action_body(body, &ab, &err))
        goto fail;
    /* Starting is the last decision point: inputs that changed since the approval without
     * a write that re-scored this change (a relation further downstream, another change's
     * outcome, a new blackout) are caught here and send it back for re-approval. */
    if (action == GL_ACTION_START)
        gl_h_risk_after_write(req, &before, true);
    if (action == GL_ACTION_SUBMIT && before.type == GL_TYPE_STANDARD) {
        gl_h_standard_submit(req, res, &before); /* template checks, pre-approval */
        goto out;
    }
    if (ab.doc_info && action != GL_ACTION_COMPLETE) {
        gl_error_set(&err, GL_E_INVALID, ab.documents ? "documents" : "no_documentation_affected",
                     "documentation results are given with the complete action only");
        goto fail;
    }
    struct gl_action_input in = {
        .actor = req->user.name,
        .reason = ab.reason,
        .outcome_notes = ab.notes,
        .review_summary = ab.summary,
        .review_lessons = ab.lessons,
        .planned_start = ab.planned_start,
        .planned_end = ab.planned_end,
    };
    if (ab.justification && action != GL_ACTION_SCHEDULE) {
        gl_error_set(&err, GL_E_INVALID, "justification",
                     "a justification is given with the schedule action only");
        goto fail;
    }
    /* Which changes are reviewed before close is the policy's (core/review.h). */
    if (action == GL_ACTION_CLOSE) {
        if (gl_h_route_load(req, &before, &route, &err))
            goto fail;
        in.review = &review;
        gl_review_before_close(&route->policy.review_before_close, &before,
                               route->assessed ? &route->risk : NULL, &review);
    }
    if (gl_lifecycle_apply(&before, action, &in, req->now, &after, &err))
        goto fail;
    /* Scheduling passes the calendar's checks (h_calendar.h) and records what it found. */
    if (action == GL_ACTION_SCHEDULE &&
        gl_h_schedule_gate(req, &after, ab.justification, &gate, &err))
        goto fail;
    char audit_action[40];
    snprintf(audit_action, sizeof audit_action, "change.%s", gl_action_name(action));
    struct gl_write_ctx ctx =
        gl_req_write_ctx(req, audit_action, ab.reason ? ab.reason : ab.comment);
    if (gate.active ? STORE(req, change_schedule_write, &ctx, &before, &after, &gate.rec, &err)
                    : write_move(req, action, &ab, &ctx, &before, &after, &err))
        goto fail;
    if (action == GL_ACTION_ASSESS || action == GL_ACTION_SCHEDULE) /* the score (h_risk.h) */
        gl_h_risk_after_write(req, &after, action == GL_ACTION_ASSESS);
    if (action == GL_ACTION_FAIL || action == GL_ACTION_ROLLBACK) {
        struct gl_error terr; /* the move is written; a revocation failure does not undo it */
        gl_h_template_after_outcome(req, &after, &terr);
    }
    gl_h_answer_change(res, 200, &after);
    if (gate.active) {
        json_t *j = gl_json_change(&after);
        json_object_set_new(j, "schedule", gl_h_schedule_json(&gate));
        gl_res_json(res, 200, j);
    }
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    gl_h_route_free(route);
    gl_h_schedule_gate_release(&gate);
    json_decref(body);
    gl_change_release(&before);
    gl_change_release(&after);
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
        STORE(req, change_timeline, c.id, &events, &err)) {
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
