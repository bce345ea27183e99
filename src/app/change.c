/*
 * change.c - create, edit, lifecycle actions and votes (change.h).
 */
#include "app/change.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/risk.h"
#include "app/template.h"
#include "core/authz.h"
#include "core/review.h"

#include "util/banned.h"

static int oom(struct gl_error *err)
{
    return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
}

/* ---- create ---------------------------------------------------------------------------- */

struct create_args {
    const struct gl_app *a;
    struct gl_change *c;
};

static int create_tx(struct gl_store *st, void *arg, struct gl_error *err)
{
    struct create_args *x = arg;
    struct gl_write_ctx ctx = gl_app_write_ctx(x->a, "change.create", NULL);
    int rc = st->changes->create(st, &ctx, x->c, err);
    return rc ? rc : gl_app_fault(x->a, "change.written", err);
}

int gl_app_change_create(const struct gl_app *a, struct gl_change *c, struct gl_error *err)
{
    int rc = gl_authz_check(a->user, GL_PERM_CHANGE_WRITE, c->client_id, err);
    if (rc)
        return rc;
    c->state = GL_STATE_DRAFT; /* a draft is not scored until someone asks (risk.h) */
    if ((!c->raised_by && gl_change_set_str(&c->raised_by, a->user->name) < 0) ||
        gl_change_set_str(&c->created_by, a->user->name) < 0)
        return oom(err);
    /* The references are checked before the transaction, off the one writer: whether a
     * record is visible depends on its client, which a later write does not change, and
     * the store refuses a CI or change that is gone by then. */
    if ((rc = gl_change_validate(c, err)) || (rc = gl_app_check_change_refs(a, NULL, c, err)))
        return rc;
    struct create_args x = {a, c};
    return a->st->admin->transact(a->st, create_tx, &x, err);
}

/* ---- edit ------------------------------------------------------------------------------ */

struct edit_args {
    const struct gl_app *a;
    int64_t id;
    const struct gl_app_edit *e;
    struct gl_change *out;
    struct gl_app_sched *sched;
};

static int edit_tx(struct gl_store *st, void *arg, struct gl_error *err)
{
    struct edit_args *x = arg;
    const struct gl_app *a = x->a;
    struct gl_change before, *after = x->out;
    gl_change_init(&before);
    int rc = gl_app_load_change(a, x->id, &before, err);
    if (!rc)
        rc = gl_authz_check(a->user, GL_PERM_CHANGE_WRITE, before.client_id, err);
    if (!rc)
        rc = gl_app_check_version(before.version, x->e->if_match, true, err);
    if (!rc && gl_change_copy(after, &before))
        rc = oom(err);
    if (!rc)
        rc = x->e->apply(x->e->ud, &before, after, err);
    if (!rc)
        rc = gl_change_validate(after, err);
    if (!rc)
        rc = gl_app_check_change_refs(a, &before, after, err);
    /* Moving a scheduled change passes the calendar again. */
    if (!rc && gl_app_schedule_moved(&before, after))
        rc = gl_app_schedule_gate(a, after, &x->e->sched, x->sched, err);
    struct gl_write_ctx ctx = gl_app_write_ctx(a, "change.update", NULL);
    /* An approved change whose implementer changes needs its approvals again. */
    bool reapproved = false;
    if (!rc)
        rc = gl_app_route_edit(a, &ctx, &before, after, &reapproved, err);
    if (!rc && !reapproved)
        rc = gl_app_schedule_write(a, &ctx, &before, after, x->sched, err);
    if (!rc) /* past draft or assessed: re-scored */
        rc = gl_app_risk_after_write(a, after, true, err);
    gl_change_release(&before);
    return rc;
}

int gl_app_change_edit(const struct gl_app *a, int64_t id, const struct gl_app_edit *e,
                       struct gl_change *out, struct gl_app_sched *sched, struct gl_error *err)
{
    struct gl_app_sched local = {0};
    struct edit_args x = {a, id, e, out, sched ? sched : &local};
    int rc = a->st->admin->transact(a->st, edit_tx, &x, err);
    gl_app_sched_release(&local);
    return rc;
}

/* ---- lifecycle actions -------------------------------------------------------------- */

/*
 * Writes a lifecycle move. A completion of a change that touches documents (its CIs' or
 * linked ones; see gl_docs_check_completion), or that names documentation, goes through
 * complete_change so the change and the document results commit together; every other
 * move, and a completion without documentation, is a plain update.
 */
static int write_move(const struct gl_app *a, const struct gl_app_act *x,
                      const struct gl_write_ctx *ctx, const struct gl_change *before,
                      struct gl_change *after, const struct gl_app_sched *g, struct gl_error *err)
{
    struct gl_store *st = a->st;
    if (x->action != GL_ACTION_COMPLETE)
        return gl_app_schedule_write(a, ctx, before, after, g, err);
    struct gl_doc_ref_list refs = {0};
    int rc = st->docs->change_refs(st, before, &refs, err);
    if (!rc && refs.len == 0 && !x->doc_info)
        rc = st->changes->update(st, ctx, before, after, err);
    else if (!rc && !(rc = gl_docs_check_completion(refs.items, refs.len, x->doc_results,
                                                   x->ndoc_results, x->no_doc_affected, err)))
        rc = st->docs->complete_change(st, ctx, before, after, x->doc_results, x->ndoc_results,
                                       &refs, x->no_doc_affected, err);
    gl_doc_ref_list_release(&refs);
    return rc ? rc : gl_app_fault(a, "change.written", err);
}

/* "cannot schedule a change that is assessed": say which approvals are missing. */
static int explain_unapproved(const struct gl_app *a, const struct gl_change *c,
                              struct gl_error *err)
{
    struct gl_app_route *r = NULL;
    struct gl_error scratch;
    if (gl_app_route_load(a, c, &r, &scratch) != 0)
        return err->code;
    char missing[300], ident[GL_IDENT_MAX];
    gl_app_route_missing_text(r, missing, sizeof missing);
    gl_change_ident_format(c->id, ident);
    gl_app_route_free(r);
    return gl_error_set(err, GL_E_TRANSITION, NULL,
                        "%s cannot be scheduled while it is %s: it still needs %s", ident,
                        gl_change_state_name(c->state),
                        missing[0] ? missing : "its approvals");
}

/* What the policy in force says of closing c: whether a review must come first. */
static int review_need(const struct gl_app *a, const struct gl_change *c,
                       struct gl_review_need *out, struct gl_error *err)
{
    struct gl_policy *p = malloc(sizeof *p); /* large: not on a worker's stack */
    struct gl_risk_assessment *risk = malloc(sizeof *risk);
    int rc = !p || !risk ? oom(err) : a->st->policy->get(a->st, p, err);
    bool assessed = false;
    if (!rc) {
        rc = a->st->policy->risk_current(a->st, c->id, risk, err);
        assessed = rc == 0;
        if (rc == GL_E_NOT_FOUND)
            rc = 0;
    }
    if (!rc)
        gl_review_before_close(&p->review_before_close, c, assessed ? risk : NULL, out);
    free(p);
    free(risk);
    return rc;
}

struct act_args {
    const struct gl_app *a;
    int64_t id;
    const struct gl_app_act *x;
    struct gl_app_act_result *out;
    bool refused;            /* the action was refused after a write that stands */
    struct gl_error refusal; /* why */
};

static int act_tx(struct gl_store *st, void *arg, struct gl_error *err)
{
    struct act_args *y = arg;
    const struct gl_app *a = y->a;
    const struct gl_app_act *x = y->x;
    struct gl_app_act_result *out = y->out;
    struct gl_change before;
    gl_change_init(&before);
    int rc = gl_app_load_change(a, y->id, &before, err);
    if (!rc)
        rc = gl_authz_action(a->user, &before, x->action, err);
    if (!rc)
        rc = gl_app_check_version(before.version, x->if_match, false, err);
    if (rc)
        goto out;
    /* Starting is the last decision point: inputs that changed since the approval without
     * a write that re-scored this change (a relation further downstream, a new blackout)
     * are caught here and may send it back for approval, which stands even though the
     * start is then refused. */
    bool reopened = false;
    if (x->action == GL_ACTION_START) {
        int64_t version = before.version;
        if ((rc = gl_app_risk_after_write(a, &before, true, err)))
            goto out;
        reopened = before.version != version;
    }
    if (x->action == GL_ACTION_SUBMIT && before.type == GL_TYPE_STANDARD) {
        rc = gl_app_standard_submit(a, &before, out, err);
        goto out;
    }
    struct gl_action_input in = x->in;
    in.actor = a->user->name;
    /* Which changes are reviewed before close is the policy's (core/review.h). */
    struct gl_review_need review;
    if (x->action == GL_ACTION_CLOSE && (rc = review_need(a, &before, &review, err)))
        goto out;
    if (x->action == GL_ACTION_CLOSE)
        in.review = &review;
    rc = gl_lifecycle_apply(&before, x->action, &in, a->now, &out->change, err);
    if (rc == GL_E_TRANSITION && x->action == GL_ACTION_SCHEDULE &&
        before.state == GL_STATE_ASSESSED)
        rc = explain_unapproved(a, &before, err);
    if (rc && reopened) { /* keep the re-approval; answer the refusal */
        y->refused = true;
        y->refusal = *err;
        gl_change_release(&out->change);
        rc = gl_change_copy(&out->change, &before) ? oom(err) : 0;
        goto out;
    }
    if (rc)
        goto out;
    if (x->action == GL_ACTION_SCHEDULE &&
        (rc = gl_app_schedule_gate(a, &out->change, &x->sched, &out->sched, err)))
        goto out;
    char audit_action[40];
    snprintf(audit_action, sizeof audit_action, "change.%s", gl_action_name(x->action));
    struct gl_write_ctx ctx = gl_app_write_ctx(a, audit_action, x->in.reason ? x->in.reason
                                                                             : x->comment);
    if ((rc = write_move(a, x, &ctx, &before, &out->change, &out->sched, err)))
        goto out;
    if (x->action == GL_ACTION_ASSESS || x->action == GL_ACTION_SCHEDULE)
        rc = gl_app_risk_after_write(a, &out->change, x->action == GL_ACTION_ASSESS, err);
    if (!rc && (x->action == GL_ACTION_FAIL || x->action == GL_ACTION_ROLLBACK))
        rc = gl_app_template_after_outcome(a, &out->change, err);
out:
    gl_change_release(&before);
    return rc;
}

int gl_app_change_act(const struct gl_app *a, int64_t id, const struct gl_app_act *x,
                      struct gl_app_act_result *out, struct gl_error *err)
{
    memset(out, 0, sizeof *out);
    gl_change_init(&out->change);
    struct act_args y = {.a = a, .id = id, .x = x, .out = out};
    int rc = a->st->admin->transact(a->st, act_tx, &y, err);
    if (!rc && y.refused) {
        *err = y.refusal;
        rc = y.refusal.code;
    }
    return rc;
}

void gl_app_act_result_release(struct gl_app_act_result *r)
{
    if (!r)
        return;
    gl_change_release(&r->change);
    gl_app_sched_release(&r->sched);
}

/* ---- votes ------------------------------------------------------------------------------ */

/* Appends the vote to a copy of the round's votes and tells whether the route is then
 * satisfied. */
static int satisfied_with(const struct gl_app_route *r, const struct gl_approval_vote *v,
                          bool *ok, struct gl_error *err)
{
    size_t n = r->record.votes.len;
    struct gl_approval_vote *all = calloc(n + 1, sizeof *all);
    if (!all)
        return oom(err);
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
static int apply_vote(const struct gl_app *a, const struct gl_app_route *r,
                      const struct gl_change *before, const struct gl_approval_vote *v,
                      const struct gl_app_vote *in, struct gl_change *after,
                      struct gl_error *err)
{
    struct gl_action_input li = GL_ACTION_INPUT_INIT;
    li.actor = a->user->name;
    li.reason = in->reason;
    enum gl_action act = v->decision == GL_VOTE_REJECT ? GL_ACTION_REJECT : GL_ACTION_APPROVE;
    int rc = gl_lifecycle_apply(before, act, &li, a->now, after, err);
    if (rc || act == GL_ACTION_REJECT)
        return rc;
    bool done = false;
    if ((rc = satisfied_with(r, v, &done, err)))
        return rc;
    if (!done) {
        after->state = before->state;
        return 0;
    }
    /* An approval that completes a round replaces an earlier "re-approval needed". */
    return gl_change_set_str(&after->state_reason, NULL) ? oom(err) : 0;
}

struct vote_args {
    const struct gl_app *a;
    int64_t id;
    const struct gl_app_vote *v;
    struct gl_change *out;
};

static int vote_tx(struct gl_store *st, void *arg, struct gl_error *err)
{
    struct vote_args *x = arg;
    const struct gl_app *a = x->a;
    const struct gl_app_vote *in = x->v;
    enum gl_action action = in->decision == GL_VOTE_REJECT ? GL_ACTION_REJECT : GL_ACTION_APPROVE;
    struct gl_change before;
    struct gl_app_route *r = NULL;
    gl_change_init(&before);
    int rc = gl_app_load_change(a, x->id, &before, err);
    if (!rc)
        rc = gl_app_check_version(before.version, in->if_match, false, err);
    if (!rc && in->reason && in->decision == GL_VOTE_APPROVE)
        rc = gl_error_set(err, GL_E_INVALID, "reason", "an approval takes a comment, not a reason");
    /* A party to the change hears "separation of duties" first, whatever the state. */
    if (!rc)
        rc = gl_approval_check_duties(a->user, &before, in->decision, err);
    if (rc)
        goto out;
    /* Not in a state to vote on (standard changes never are): the lifecycle says why. */
    if (!gl_lifecycle_allows(&before, action)) {
        rc = gl_lifecycle_apply(&before, action, NULL, a->now, x->out, err);
        goto out;
    }
    /* An approval counts under the current risk: inputs that changed without a write that
     * re-scored this change are caught here (a new round then starts). Only for someone
     * who may approve it, so a refused request writes nothing. */
    struct gl_error perm_err;
    if (in->decision == GL_VOTE_APPROVE &&
        gl_authz_check(a->user, gl_authz_action_perm(&before, action), before.client_id,
                       &perm_err) == 0 &&
        (rc = gl_app_risk_after_write(a, &before, true, err)))
        goto out;
    if ((rc = gl_app_route_load(a, &before, &r, err)))
        goto out;
    struct gl_approval_vote v = {.change_id = before.id,
                                 .round = r->record.round,
                                 .decision = in->decision,
                                 .assessed_at = r->assessed ? r->risk.assessed_at : GL_TIME_UNSET,
                                 .at = a->now};
    snprintf(v.user, sizeof v.user, "%s", a->user->name ? a->user->name : "");
    v.comment = (char *)(in->decision == GL_VOTE_REJECT ? in->reason : in->comment);
    if ((rc = gl_approval_authorize(a->user, &before, &r->route, &r->status,
                                    r->record.votes.items, r->record.votes.len, in->decision,
                                    &v.stage, err)) ||
        (rc = apply_vote(a, r, &before, &v, in, x->out, err)))
        goto out;
    bool reject = in->decision == GL_VOTE_REJECT;
    char reason[400] = "";
    if (reject)
        snprintf(reason, sizeof reason, "rejected by %s: %.300s", v.user, in->reason);
    struct gl_write_ctx ctx = gl_app_write_ctx(a, reject ? "change.reject" : "change.approve",
                                               reject ? in->reason : in->comment);
    rc = a->st->approvals->write(a->st, &ctx, &before, x->out, &v, reject,
                                 reject ? reason : NULL, err);
    if (!rc)
        rc = gl_app_fault(a, "change.written", err);
out:
    gl_app_route_free(r);
    gl_change_release(&before);
    return rc;
}

int gl_app_change_vote(const struct gl_app *a, int64_t id, const struct gl_app_vote *v,
                       struct gl_change *out, struct gl_error *err)
{
    struct vote_args x = {a, id, v, out};
    return a->st->admin->transact(a->st, vote_tx, &x, err);
}
