/*
 * template.c - standard changes and their templates (template.h).
 */
#include "app/template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/risk.h"
#include "core/authz.h"

#include "util/banned.h"

/* The change's CIs must exist on its client (or be shared) and be of the template's types. */
static int check_cis(const struct gl_app *a, const struct gl_template *t,
                     const struct gl_change *c, struct gl_error *err)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < c->ci_ids.len; i++) {
        struct gl_ci ci;
        gl_ci_init(&ci);
        rc = a->st->cis->get(a->st, c->ci_ids.items[i], &ci, err);
        if (rc == GL_E_NOT_FOUND || (!rc && ci.client_id && ci.client_id != c->client_id)) {
            char ident[GL_IDENT_MAX];
            gl_ci_ident_format(c->ci_ids.items[i], ident);
            rc = gl_error_set(err, GL_E_INVALID, "cis", "%s does not exist", ident);
        }
        if (!rc)
            rc = gl_template_check_cis(t, &ci, 1, err);
        gl_ci_release(&ci);
    }
    return rc;
}

static int check_standing(const struct gl_template *t, struct gl_error *err)
{
    if (gl_template_standing(t) == GL_TEMPLATE_GOOD)
        return 0;
    char ident[GL_IDENT_MAX];
    gl_template_ident_format(t->id, ident);
    if (t->revoked_at != GL_TIME_UNSET)
        return gl_error_set(err, GL_E_PRECONDITION, "template",
                            "%s lost its pre-approval (%.160s) until a change manager "
                            "re-approves it: raise the change as a normal change",
                            ident, t->revoked_reason ? t->revoked_reason : "revoked");
    return gl_error_set(err, GL_E_PRECONDITION, "template",
                        "%s is not pre-approved: raise the change as a normal change", ident);
}

/* ---- a change from a template ------------------------------------------------------------ */

struct from_args {
    const struct gl_app *a;
    int64_t template_id;
    const char *ref;
    struct gl_change *c;
    bool *suggest;
};

static int from_template_tx(struct gl_store *st, void *arg, struct gl_error *err)
{
    struct from_args *x = arg;
    const struct gl_app *a = x->a;
    struct gl_change *c = x->c;
    struct gl_template t;
    gl_template_init(&t);
    int rc = st->templates->get(st, x->template_id, &t, err);
    if (rc == GL_E_NOT_FOUND ||
        (!rc && t.client_id && !gl_scope_contains(a->scope, t.client_id)))
        rc = gl_error_set(err, GL_E_INVALID, "template", "unknown template %.40s", x->ref);
    if (!rc)
        rc = gl_authz_check(a->user, GL_PERM_CHANGE_WRITE, c->client_id, err);
    if (!rc)
        rc = gl_template_check_use(&t, a->user, c->client_id, err);
    if (rc)
        goto out;
    *x->suggest = true; /* from here on, a refusal is "this is no standard change" */
    if ((rc = check_standing(&t, err)) || (rc = check_cis(a, &t, c, err)))
        goto out;
    *x->suggest = false;
    c->state = GL_STATE_DRAFT;
    if ((rc = gl_template_fill_change(&t, c, err)))
        goto out;
    if ((!c->raised_by && gl_change_set_str(&c->raised_by, a->user->name) < 0) ||
        gl_change_set_str(&c->created_by, a->user->name) < 0) {
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
        goto out;
    }
    char ident[GL_IDENT_MAX];
    gl_template_ident_format(t.id, ident);
    struct gl_write_ctx ctx = gl_app_write_ctx(a, "change.create", ident);
    if (!(rc = gl_change_validate(c, err)) && !(rc = st->changes->create(st, &ctx, c, err)))
        rc = gl_app_fault(a, "change.written", err);
out:
    gl_template_release(&t);
    return rc;
}

int gl_app_change_from_template(const struct gl_app *a, int64_t template_id,
                                const char *template_ref, struct gl_change *c,
                                bool *suggest_normal, struct gl_error *err)
{
    *suggest_normal = false;
    if (!c->ci_ids.len)
        return gl_error_set(err, GL_E_INVALID, "cis", "a change from a template needs its CIs");
    struct from_args x = {a, template_id, template_ref, c, suggest_normal};
    return a->st->admin->transact(a->st, from_template_tx, &x, err);
}

/* ---- submit of a standard change ------------------------------------------------------------ */

/* Everything that makes a standard change fit its template, the risk included (assessed
 * now, so the score is the one the change is pre-approved under). */
static int check_fit(const struct gl_app *a, const struct gl_change *c, struct gl_template *t,
                     struct gl_error *err)
{
    char ident[GL_IDENT_MAX];
    gl_change_ident_format(c->id, ident);
    if (!c->template_id)
        return gl_error_set(err, GL_E_PRECONDITION, "template",
                            "%s is a standard change without a template: make it from one, or "
                            "raise it as a normal change",
                            ident);
    int rc = a->st->templates->get(a->st, c->template_id, t, err);
    if (rc == GL_E_NOT_FOUND)
        return gl_error_set(err, GL_E_PRECONDITION, "template", "the template of %s is gone",
                            ident);
    if (rc || (rc = check_standing(t, err)) ||
        (rc = gl_template_check_use(t, a->user, c->client_id, err)) ||
        (rc = check_cis(a, t, c, err)))
        return rc;
    struct gl_risk_assessment as;
    rc = gl_app_risk_assess(a, c, &as, NULL, NULL, NULL, err);
    return rc ? rc : gl_template_check_risk(t, as.level, err);
}

/* One lifecycle move of the standard path, written; scheduling passes the calendar's
 * gate exactly as the schedule action does. */
static int move(const struct gl_app *a, struct gl_change *cur, enum gl_action act,
                const char *why, struct gl_app_sched *g, struct gl_error *err)
{
    struct gl_change next;
    gl_change_init(&next);
    struct gl_app_sched_opts opts = {.depth = GL_CAL_DEPTH_DEFAULT};
    int rc = gl_lifecycle_apply(cur, act, NULL, a->now, &next, err);
    if (!rc && act == GL_ACTION_SCHEDULE)
        rc = gl_app_schedule_gate(a, &next, &opts, g, err);
    char audit[40];
    snprintf(audit, sizeof audit, "change.%s", gl_action_name(act));
    struct gl_write_ctx ctx = gl_app_write_ctx(a, audit, why);
    if (!rc)
        rc = gl_app_schedule_write(a, &ctx, cur, &next, g, err);
    if (!rc) {
        gl_change_release(cur);
        *cur = next;
    } else
        gl_change_release(&next);
    return rc;
}

int gl_app_standard_submit(const struct gl_app *a, const struct gl_change *before,
                           struct gl_app_act_result *out, struct gl_error *err)
{
    struct gl_template t;
    struct gl_change *c = &out->change;
    gl_template_init(&t);
    out->standard = true;
    int rc = check_fit(a, before, &t, err);
    if (rc) { /* every precondition of check_fit is a question of fit */
        out->suggest_normal = rc == GL_E_PRECONDITION;
        goto out;
    }
    char ident[GL_IDENT_MAX];
    gl_template_ident_format(t.id, ident);
    char why[120];
    snprintf(why, sizeof why, "standard change from %s: pre-approved", ident);
    gl_change_release(c);
    if (gl_change_copy(c, before)) {
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
        goto out;
    }
    if ((rc = move(a, c, GL_ACTION_SUBMIT, why, NULL, err)) ||
        (rc = move(a, c, GL_ACTION_ASSESS, why, NULL, err)))
        goto out;
    /* A schedule the calendar refuses leaves the change assessed: answered beside it. */
    struct gl_error sched_err;
    gl_error_clear(&sched_err);
    if (c->planned_start != GL_TIME_UNSET &&
        move(a, c, GL_ACTION_SCHEDULE, why, &out->sched, &sched_err)) {
        out->has_schedule_problem = true;
        out->schedule_problem = sched_err;
        gl_app_sched_release(&out->sched);
    }
out:
    gl_template_release(&t);
    return rc;
}

/* ---- revocation -------------------------------------------------------------------------- */

int gl_app_template_after_outcome(const struct gl_app *a, const struct gl_change *c,
                                  struct gl_error *err)
{
    if (!c->template_id)
        return 0;
    struct gl_store *st = a->st;
    struct gl_template before, after;
    struct gl_policy *p = malloc(sizeof *p);
    int64_t n = 0, failed = 0;
    gl_template_init(&before);
    gl_template_init(&after);
    if (!p)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    int rc = st->templates->get(st, c->template_id, &before, err);
    if (!rc && gl_template_standing(&before) == GL_TEMPLATE_GOOD &&
        !(rc = st->policy->get(st, p, err)) &&
        !(rc = st->templates->stats(st, c->template_id, &n, &failed, err))) {
        double rate;
        if (gl_template_should_revoke(n, failed, p, &rate)) {
            char why[200];
            snprintf(why, sizeof why,
                     "%lld of %lld changes failed; failure rate %.2f with the prior is above "
                     "the policy threshold %.2f",
                     (long long)failed, (long long)n, rate, p->template_failure_threshold);
            struct gl_write_ctx ctx = gl_app_system_ctx(a, "template.revoke", why);
            if (gl_template_copy(&after, &before))
                rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
            else if (!(rc = gl_change_set_str(&after.revoked_reason, why) < 0
                                ? gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory")
                                : 0)) {
                after.revoked_at = a->now;
                rc = st->templates->update(st, &ctx, &before, &after, err);
            }
        }
    }
    gl_template_release(&before);
    gl_template_release(&after);
    free(p);
    return rc;
}
