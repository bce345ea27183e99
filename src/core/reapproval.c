/*
 * reapproval.c - the re-approval materiality rule (see reapproval.h).
 *
 * Invariants: the decision reads only its arguments; the checks run in the order the
 * header lists them (state, type, inputs, materiality), so the reason always names the
 * first thing that settled it; inputs are compared with the same precision
 * gl_risk_inputs_equal uses, so "the inputs changed" means the same here as in the store.
 */
#include "core/reapproval.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"

#include "util/banned.h"

/* The inputs by wire name, and whether a and b differ in it; history marks the counts that
 * other changes' outcomes move. */
struct input_diff {
    const char *name;
    bool differs;
    bool history;
};

static bool shortfall_differs(double a, double b)
{
    return (long)(a * 100 + 0.5) != (long)(b * 100 + 0.5);
}

static size_t diff_inputs(const struct gl_risk_inputs *a, const struct gl_risk_inputs *b,
                          struct input_diff *out)
{
    const struct gl_schedule_summary *x = &a->schedule, *y = &b->schedule;
    const struct input_diff all[] = {
        {"type", a->type != b->type, false},
        {"affected_cis", a->affected_cis != b->affected_cis, false},
        {"max_ci_criticality", a->max_ci_criticality != b->max_ci_criticality, false},
        {"max_dependent_criticality", a->max_dependent_criticality != b->max_dependent_criticality,
         false},
        {"users_affected", a->users_affected != b->users_affected, false},
        {"has_rollback_plan", a->has_rollback_plan != b->has_rollback_plan, false},
        {"rollback_tested", a->rollback_tested != b->rollback_tested, false},
        {"dependent_cis", a->dependent_cis != b->dependent_cis, false},
        {"clients_touched", a->clients_touched != b->clients_touched, false},
        {"schedule.planned", x->planned != y->planned, false},
        {"schedule.windows_defined", x->windows_defined != y->windows_defined, false},
        {"schedule.outside_window", x->outside_window != y->outside_window, false},
        {"schedule.justified", x->justified != y->justified, false},
        {"schedule.in_blackout", x->in_blackout != y->in_blackout, false},
        {"schedule.short_notice", x->short_notice != y->short_notice, false},
        {"schedule.notice_shortfall_hours",
         shortfall_differs(x->notice_shortfall_hours, y->notice_shortfall_hours), false},
        {"schedule.conflicts", x->conflicts != y->conflicts, false},
        {"from_template", a->from_template != b->from_template, false},
        {"ci_changes", a->ci_changes != b->ci_changes, true},
        {"ci_failures", a->ci_failures != b->ci_failures, true},
        {"template_changes", a->template_changes != b->template_changes, true},
        {"template_failures", a->template_failures != b->template_failures, true},
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i].differs)
            out[n++] = all[i];
    return n;
}

#define INPUTS_MAX 24

static void say(struct gl_reapproval *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(struct gl_reapproval *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof out->reason, fmt, ap);
    va_end(ap);
}

/* Why a change in this state or of this type is never sent back; NULL when it may be. */
static const char *settled_by_state(enum gl_change_type type, enum gl_change_state state)
{
    switch (state) {
    case GL_STATE_IN_PROGRESS:
    case GL_STATE_COMPLETED:
    case GL_STATE_FAILED:
    case GL_STATE_ROLLED_BACK:
    case GL_STATE_REVIEWED:
    case GL_STATE_CLOSED:
        return "the work has already started: the approval it started under stands, and the "
               "new risk is for its review";
    case GL_STATE_DRAFT:
    case GL_STATE_REJECTED:
    case GL_STATE_CANCELLED:
        return "the change holds no approval";
    default:
        break;
    }
    if (type == GL_TYPE_STANDARD)
        return "a standard change is pre-approved by its template and not re-approved";
    return NULL;
}

/* "changed: a, b; factors: blackout +11.0, conflicts +1.5" */
static void describe(struct gl_buf *b, const struct input_diff *d, size_t nd,
                     const struct gl_risk_assessment *before,
                     const struct gl_risk_assessment *after, unsigned *factors)
{
    gl_buf_puts(b, "changed: ");
    for (size_t i = 0; i < nd; i++)
        gl_buf_printf(b, "%s%s", i ? ", " : "", d[i].name);
    *factors = 0;
    for (int f = 0; f < GL_FACTOR__COUNT; f++) {
        double moved = after->factors[f].points - before->factors[f].points;
        if (moved > -0.05 && moved < 0.05)
            continue;
        gl_buf_printf(b, "%s%s %+.1f",
                      *factors ? ", " : "; factors: ", gl_risk_factor_name((enum gl_risk_factor)f),
                      moved);
        *factors |= 1u << f;
    }
}

/* The verdict on a move of this change's own inputs, both sides scored under p. */
static void judge(const struct gl_policy *p, const struct gl_risk_assessment *b,
                  const struct gl_risk_assessment *a, const struct gl_buf *what,
                  struct gl_reapproval *out)
{
    bool level_up = a->level > b->level;
    bool by_level = level_up && p->reapproval.on_level_increase;
    bool by_delta = out->delta >= p->reapproval.score_delta - 1e-9;
    char head[160];
    snprintf(head, sizeof head, "the risk %s from %.1f (%s) to %.1f (%s), %+.1f",
             out->delta > 0   ? "rose"
             : out->delta < 0 ? "fell"
                              : "moved",
             b->score, gl_risk_level_name(b->level), a->score, gl_risk_level_name(a->level),
             out->delta);
    out->needed = by_level || by_delta;
    if (by_level && by_delta)
        say(out,
            "%s: the level rose (reapproval.on_level_increase) and the rise reaches "
            "reapproval.score_delta %g; %s",
            head, p->reapproval.score_delta, gl_buf_str(what));
    else if (by_level)
        say(out, "%s: the level rose (reapproval.on_level_increase); %s", head, gl_buf_str(what));
    else if (by_delta)
        say(out, "%s: the rise reaches reapproval.score_delta %g; %s", head,
            p->reapproval.score_delta, gl_buf_str(what));
    else if (out->delta <= 0 && !level_up)
        say(out,
            "no re-approval: %s: a lower risk is covered by the approval given for a "
            "higher one; %s",
            head, gl_buf_str(what));
    else
        say(out, "no re-approval: %s, below reapproval.score_delta %g%s; %s", head,
            p->reapproval.score_delta,
            level_up ? " (the level rose, but reapproval.on_level_increase is off)"
                     : " and within the level",
            gl_buf_str(what));
}

bool gl_reapproval_decide(const struct gl_policy *p, const struct gl_risk_assessment *before,
                          const struct gl_risk_assessment *after, enum gl_change_type type,
                          enum gl_change_state state, struct gl_reapproval *out)
{
    memset(out, 0, sizeof *out);
    const char *settled = settled_by_state(type, state);
    if (settled) {
        say(out, "no re-approval: %s", settled);
        return false;
    }
    if (!before) {
        say(out, "no re-approval: no assessment was recorded when it was approved, so there is "
                 "nothing to compare with");
        return false;
    }
    struct input_diff d[INPUTS_MAX];
    size_t nd = diff_inputs(&before->inputs, &after->inputs, d);
    bool own = false;
    for (size_t i = 0; i < nd; i++)
        own = own || !d[i].history;
    if (nd == 0) {
        say(out,
            "no re-approval: the change's risk inputs did not change (re-scored under "
            "policy version %lld, which applies to approvals from now on)",
            (long long)after->policy_version);
        return false;
    }
    /* Both sides under the policy in force: what moved is then the inputs alone, never a
     * new weight or threshold (with the same policy, b is exactly what the approver saw). */
    struct gl_risk_assessment b, a;
    gl_risk_score(&before->inputs, p, &b);
    gl_risk_score(&after->inputs, p, &a);
    out->delta = a.score - b.score;
    struct gl_buf what;
    gl_buf_init(&what, sizeof out->reason - 1);
    describe(&what, d, nd, &b, &a, &out->factors_changed);
    if (!own)
        say(out,
            "no re-approval: only the history of other changes on its CIs or from its "
            "template moved, not this change's own inputs (%s)",
            gl_buf_str(&what));
    else
        judge(p, &b, &a, &what, out);
    gl_buf_release(&what);
    if (out->needed && (state == GL_STATE_SUBMITTED || state == GL_STATE_ASSESSED)) {
        /* Nothing held yet: what goes is the round's votes given under the old risk. */
        char was[GL_REAPPROVAL_REASON_MAX];
        memcpy(was, out->reason, sizeof was);
        say(out, "the votes given so far are asked again: %s", was);
    }
    return out->needed;
}
