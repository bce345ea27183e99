/*
 * h_approvals.c - approvals: votes on a change (approve / reject), its approval view, the
 * re-approval rules, and the emergency changes whose review is overdue.
 *
 * The decisions are core/approval.c's: the route (what is needed), the evaluation (what is
 * missing) and who may vote as what. This file gathers their inputs (gl_h_route_load),
 * applies the lifecycle move when a route is satisfied, and writes the vote together with
 * the change in one audited transaction (approval_write).
 */
#include "http/h_approvals.h"
#include "http/h_risk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "codec/json_template.h"
#include "core/authz.h"
#include "core/timefmt.h"
#include "http/h_changes.h"

#include "util/banned.h"

/* ---- the route of a change ------------------------------------------------------------ */

void gl_h_route_free(struct gl_h_route *r)
{
    if (!r)
        return;
    gl_template_release(&r->tpl);
    gl_approval_record_release(&r->record);
    free(r);
}

static int load_standing(struct gl_request *req, const struct gl_change *c, struct gl_h_route *r,
                         enum gl_template_standing *standing, struct gl_error *err)
{
    *standing = GL_TEMPLATE_NONE;
    if (!c->template_id)
        return 0;
    int rc = STORE(req, template_get, c->template_id, &r->tpl, err);
    if (rc == GL_E_NOT_FOUND) {
        *standing = GL_TEMPLATE_NOT_PREAPPROVED;
        return 0;
    }
    if (rc)
        return rc;
    r->has_template = true;
    *standing = gl_template_standing(&r->tpl);
    return 0;
}

int gl_h_route_load(struct gl_request *req, const struct gl_change *c, struct gl_h_route **out,
                    struct gl_error *err)
{
    struct gl_h_route *r = calloc(1, sizeof *r);
    *out = NULL;
    if (!r)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    gl_template_init(&r->tpl);
    struct gl_client client;
    gl_client_init(&client);
    enum gl_template_standing standing;
    int rc = STORE(req, policy_get, &r->policy, err);
    if (!rc) {
        rc = STORE(req, risk_current, c->id, &r->risk, err);
        r->assessed = rc == 0;
        if (rc == GL_E_NOT_FOUND)
            rc = 0;
    }
    if (!rc)
        rc = load_standing(req, c, r, &standing, err);
    if (!rc)
        rc = STORE(req, client_get_by_id, c->client_id, &client, err);
    if (!rc)
        rc = STORE(req, approval_get, c->id, &r->record, err);
    if (rc) {
        gl_client_release(&client);
        gl_h_route_free(r);
        return rc;
    }
    /* Never assessed: a change manager decides, the middle of the road. */
    enum gl_risk_level level = r->assessed ? r->risk.level : GL_RISK_MODERATE;
    gl_approval_route(c->type, level, &r->policy, &client, standing, &r->route);
    gl_client_release(&client);
    gl_approval_evaluate(&r->route, r->record.votes.items, r->record.votes.len, r->record.round,
                         &r->status);
    *out = r;
    return 0;
}

static json_t *time_json(int64_t t)
{
    if (t == GL_TIME_UNSET)
        return json_null();
    char buf[GL_TIME_STR_MAX];
    gl_time_format(t, buf);
    return json_string(buf);
}

json_t *gl_h_route_json(const struct gl_h_route *r, const struct gl_change *c, int64_t now)
{
    char ident[GL_IDENT_MAX];
    gl_change_ident_format(c->id, ident);
    json_t *o = json_object();
    json_object_set_new(o, "change", json_string(ident));
    json_object_set_new(o, "type", json_string(gl_change_type_name(c->type)));
    json_object_set_new(o, "state", json_string(gl_change_state_name(c->state)));
    json_object_set_new(o, "route", gl_json_approval_status(&r->route, &r->status));
    json_object_set_new(o, "risk", r->assessed ? json_pack("{s:f, s:s, s:o}", "score",
                                                           r->risk.score, "level",
                                                           gl_risk_level_name(r->risk.level),
                                                           "assessed_at",
                                                           time_json(r->risk.assessed_at))
                                               : json_null());
    json_object_set_new(o, "round_reason",
                        r->record.round_reason ? json_string(r->record.round_reason)
                                               : json_null());
    json_object_set_new(o, "approved_at", time_json(r->record.approved_at));
    json_t *votes = json_array();
    for (size_t i = 0; i < r->record.votes.len; i++)
        json_array_append_new(votes, gl_json_approval_vote(&r->record.votes.items[i]));
    json_object_set_new(o, "votes", votes);
    if (c->type == GL_TYPE_EMERGENCY) {
        int hours = r->policy.emergency_review_hours;
        json_object_set_new(o, "review_due",
                            time_json(gl_approval_review_due(r->record.approved_at, hours)));
        json_object_set_new(o, "review_overdue",
                            json_boolean(gl_approval_review_overdue(c, r->record.approved_at,
                                                                    hours, now)));
    }
    return o;
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

/* ---- votes ----------------------------------------------------------------------------- */

struct vote_body {
    const char *comment, *reason;
};

static int parse_vote_body(json_t *body, struct vote_body *vb, struct gl_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        const char **dst = strcmp(key, "comment") == 0  ? &vb->comment
                           : strcmp(key, "reason") == 0 ? &vb->reason
                                                        : NULL;
        if (!dst)
            return gl_error_set(err, GL_E_INVALID, key,
                                "unknown field %s; a vote takes comment (and reason to reject)",
                                key);
        if (!json_is_string(v))
            return gl_error_set(err, GL_E_INVALID, key, "%s must be a string", key);
        *dst = json_string_value(v);
    }
    return 0;
}

/* Appends the vote to a copy of the round's votes and tells whether the route is then
 * satisfied. */
static int satisfied_with(const struct gl_h_route *r, const struct gl_approval_vote *v,
                          bool *ok, struct gl_error *err)
{
    size_t n = r->record.votes.len;
    struct gl_approval_vote *all = calloc(n + 1, sizeof *all);
    if (!all)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    if (n)
        memcpy(all, r->record.votes.items, n * sizeof *all);
    all[n] = *v;
    struct gl_approval_status s;
    gl_approval_evaluate(&r->route, all, n + 1, r->record.round, &s);
    *ok = s.satisfied;
    free(all);
    return 0;
}

/* The change after the vote: moved by the lifecycle when the vote completes the route or
 * rejects, else unchanged (the lifecycle still checks the change may be approved now). */
static int apply_vote(struct gl_request *req, const struct gl_h_route *r,
                      const struct gl_change *before, const struct gl_approval_vote *v,
                      const struct vote_body *vb, struct gl_change *after, struct gl_error *err)
{
    struct gl_action_input in = GL_ACTION_INPUT_INIT;
    in.actor = req->user.name;
    in.reason = vb->reason;
    enum gl_action a = v->decision == GL_VOTE_REJECT ? GL_ACTION_REJECT : GL_ACTION_APPROVE;
    int rc = gl_lifecycle_apply(before, a, &in, req->now, after, err);
    if (rc || a == GL_ACTION_REJECT)
        return rc;
    bool done = false;
    if ((rc = satisfied_with(r, v, &done, err)))
        return rc;
    if (!done) {
        after->state = before->state;
        return 0;
    }
    /* An approval that completes a round replaces an earlier "re-approval needed". */
    return gl_change_set_str(&after->state_reason, NULL)
               ? gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory")
               : 0;
}

static int answer_vote(struct gl_request *req, struct gl_response *res, struct gl_change *after)
{
    struct gl_error err;
    struct gl_h_route *r = NULL;
    json_t *body = gl_json_change(after);
    if (gl_h_route_load(req, after, &r, &err) == 0)
        json_object_set_new(body, "approval", gl_h_route_json(r, after, req->now));
    gl_h_route_free(r);
    res->etag_version = after->version;
    return gl_res_json(res, 200, body);
}

int gl_h_change_vote(struct gl_request *req, struct gl_response *res, enum gl_action action)
{
    struct gl_error err;
    struct gl_change before, after;
    struct gl_h_route *r = NULL;
    struct vote_body vb = {0};
    json_t *body = NULL;
    gl_error_clear(&err);
    gl_change_init(&before);
    gl_change_init(&after);
    enum gl_vote_decision d = action == GL_ACTION_REJECT ? GL_VOTE_REJECT : GL_VOTE_APPROVE;
    if (gl_h_load_change(req, req->captures[0], &before, &err) ||
        gl_h_check_if_match(req, before.version, false, &err) ||
        gl_req_json(req, true, &body, &err) || parse_vote_body(body, &vb, &err))
        goto fail;
    if (vb.reason && d == GL_VOTE_APPROVE) {
        gl_error_set(&err, GL_E_INVALID, "reason", "an approval takes a comment, not a reason");
        goto fail;
    }
    /* A party to the change hears "separation of duties" first, whatever the state. */
    if (gl_approval_check_duties(&req->user, &before, d, &err))
        goto fail;
    /* Not in a state to vote on (standard changes never are): the lifecycle says why. */
    if (!gl_lifecycle_allows(&before, action)) {
        gl_lifecycle_apply(&before, action, NULL, req->now, &after, &err);
        goto fail;
    }
    /* An approval counts under the current risk: inputs that changed without a write that
     * re-scored this change are caught here (a changed round restarts, h_risk.h). Only for
     * someone who may approve it, so a refused request writes nothing. */
    struct gl_error perm_err;
    if (d == GL_VOTE_APPROVE &&
        gl_authz_check(&req->user, gl_authz_action_perm(&before, action), before.client_id,
                       &perm_err) == 0)
        gl_h_risk_after_write(req, &before, true);
    if (gl_h_route_load(req, &before, &r, &err))
        goto fail;
    struct gl_approval_vote v = {.change_id = before.id,
                                 .round = r->record.round,
                                 .decision = d,
                                 .assessed_at = r->assessed ? r->risk.assessed_at : GL_TIME_UNSET,
                                 .at = req->now};
    snprintf(v.user, sizeof v.user, "%s", req->user.name ? req->user.name : "");
    v.comment = (char *)(d == GL_VOTE_REJECT ? vb.reason : vb.comment);
    if (gl_approval_authorize(&req->user, &before, &r->route, &r->status, r->record.votes.items,
                              r->record.votes.len, d, &v.stage, &err) ||
        apply_vote(req, r, &before, &v, &vb, &after, &err))
        goto fail;
    char reason[400] = "";
    if (d == GL_VOTE_REJECT)
        snprintf(reason, sizeof reason, "rejected by %s: %.300s", v.user, vb.reason);
    struct gl_write_ctx ctx = gl_req_write_ctx(req, d == GL_VOTE_REJECT ? "change.reject"
                                                                         : "change.approve",
                                               d == GL_VOTE_REJECT ? vb.reason : vb.comment);
    if (STORE(req, approval_write, &ctx, &before, &after, &v, d == GL_VOTE_REJECT,
              d == GL_VOTE_REJECT ? reason : NULL, &err))
        goto fail;
    answer_vote(req, res, &after);
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    gl_h_route_free(r);
    json_decref(body);
    gl_change_release(&before);
    gl_change_release(&after);
    return 0;
}

/* ---- the approval view ------------------------------------------------------------------ */

int gl_h_change_approvals(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_change c;
    struct gl_h_route *r = NULL;
    gl_change_init(&c);
    if (gl_h_load_change(req, req->captures[0], &c, &err) ||
        gl_authz_check(&req->user, GL_PERM_CHANGE_READ, c.client_id, &err) ||
        gl_h_route_load(req, &c, &r, &err))
        gl_res_problem(res, req, &err);
    else
        gl_res_json(res, 200, gl_h_route_json(r, &c, req->now));
    gl_h_route_free(r);
    gl_change_release(&c);
    return 0;
}

/* ---- re-approval -------------------------------------------------------------------------- */

static bool round_has_votes(const struct gl_h_route *r)
{
    for (size_t i = 0; i < r->record.votes.len; i++)
        if (r->record.votes.items[i].round == r->record.round)
            return true;
    return false;
}

int gl_h_approvals_after_assess(struct gl_request *req, int64_t change_id, bool changed,
                                struct gl_error *err)
{
    if (!changed)
        return 0;
    struct gl_change before, after;
    struct gl_h_route *r = NULL;
    gl_change_init(&before);
    gl_change_init(&after);
    int rc = STORE(req, change_get, change_id, &before, err);
    if (!rc)
        rc = gl_h_route_load(req, &before, &r, err);
    bool holds = !rc && gl_approval_holds(&before) && before.type != GL_TYPE_STANDARD;
    bool voting = !rc && !holds && round_has_votes(r) &&
                  (before.state == GL_STATE_ASSESSED || before.state == GL_STATE_SUBMITTED);
    if (!rc && (holds || voting)) {
        char why[160];
        snprintf(why, sizeof why, "the risk inputs changed (now %.1f, %s)", r->risk.score,
                 gl_risk_level_name(r->risk.level));
        rc = gl_change_copy(&after, &before) ? gl_error_set(err, GL_E_INTERNAL, NULL, "no memory")
                                             : 0;
        if (!rc && holds)
            rc = gl_approval_reopen(&after, why, err);
        struct gl_write_ctx ctx = gl_req_write_ctx(req, "change.reapproval", why);
        if (!rc)
            rc = STORE(req, approval_write, &ctx, &before, &after, NULL, true, why, err);
    }
    gl_h_route_free(r);
    gl_change_release(&before);
    gl_change_release(&after);
    return rc;
}

int gl_h_approvals_edit(struct gl_request *req, const struct gl_write_ctx *ctx,
                        const struct gl_change *before, struct gl_change *after,
                        struct gl_error *err)
{
    const char *why = gl_approval_edit_needs_reapproval(before, after);
    if (!why)
        return 0;
    int rc = gl_approval_reopen(after, why, err);
    if (!rc)
        rc = STORE(req, approval_write, ctx, before, after, NULL, true, after->state_reason, err);
    return rc ? -1 : 1;
}

/* ---- overdue emergency reviews ------------------------------------------------------------ */

int gl_h_changes_overdue(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_policy p;
    struct gl_review_due_list due = {0};
    int64_t client_id = 0, now = req->now;
    const char *key = gl_req_query(req, "client"), *at = gl_req_query(req, "at");
    gl_error_clear(&err);
    if (at && gl_time_parse(at, &now) < 0)
        return gl_res_fail(res, req, GL_E_INVALID, "at",
                           "at must be an RFC 3339 time such as 2026-12-05T22:00:00Z");
    if ((key && gl_h_resolve_client(req, key, "client", &client_id, &err)) ||
        STORE(req, policy_get, &p, &err))
        return gl_res_problem(res, req, &err);
    /* Overdue at `now` (default the request's time; ?at= asks "what will be overdue by
     * then?"): approved before now minus the review period. */
    int64_t cutoff = now - (int64_t)p.emergency_review_hours * 3600;
    if (STORE(req, approval_reviews_due, &req->scope, client_id, cutoff, &due, &err))
        return gl_res_problem(res, req, &err);
    json_t *items = json_array();
    for (size_t i = 0; i < due.len; i++) {
        struct gl_change c;
        if (STORE(req, change_get, due.items[i].change_id, &c, &err))
            continue; /* deleted meanwhile: nothing to flag */
        json_t *o = gl_json_change(&c);
        int64_t approved = due.items[i].approved_at;
        json_object_set_new(o, "approved_at", time_json(approved));
        json_object_set_new(o, "review_due",
                            time_json(gl_approval_review_due(approved, p.emergency_review_hours)));
        json_object_set_new(o, "review_overdue",
                            json_boolean(gl_approval_review_overdue(&c, approved,
                                                                    p.emergency_review_hours,
                                                                    now)));
        json_array_append_new(items, o);
        gl_change_release(&c);
    }
    gl_review_due_list_release(&due);
    return gl_res_json(res, 200, json_pack("{s:o, s:o, s:i, s:n}", "items", items, "at",
                                           time_json(now), "review_hours",
                                           p.emergency_review_hours, "next_cursor"));
}

int gl_h_emergency_overdue(struct gl_request *req, struct gl_response *res)
{
    return gl_h_changes_overdue(req, res);
}
