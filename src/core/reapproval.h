/*
 * reapproval.h - whether a re-scored change needs its approval again, and why.
 *
 * A change is re-scored whenever its inputs may have moved: its own edits, a CI's
 * criticality or relations, another change's schedule or outcome, a new policy. Only some
 * of those should undo an approval. gl_reapproval_decide is the rule an IT change manager
 * expects, decided by the policy (struct gl_reapproval_rule, policy member "reapproval"):
 *
 *  - only a change that holds an approval (approved, scheduled) is sent back, and a change
 *    still being voted on (submitted, assessed) has the votes given under the old risk
 *    asked again; once the work has started (in progress or later) the approval it started
 *    under stands, whatever the type - an emergency change in progress is never sent back,
 *    and the new risk is for its review; draft, rejected and cancelled changes hold nothing;
 *  - a standard change is pre-approved by its template and never re-approved (the template's
 *    maximum risk guards it when it is submitted);
 *  - only this change's own inputs count: a re-score whose inputs are equal (a new policy)
 *    or that differ only in history counts (other changes on the same CIs or from the same
 *    template finished, failed or rolled back) never sends it back;
 *  - and only a material move: the level rose (when reapproval.on_level_increase) or the
 *    score rose by reapproval.score_delta or more. A lower risk never needs re-approval:
 *    the approval was given for more.
 *
 * Pure: no I/O, no clock. The caller (the service layer) loads the two assessments and, when
 * needed, moves the change back with gl_approval_reopen(c, out.reason, ...), recorded with
 * the system as the actor and out.reason as the reason.
 */
#ifndef GL_REAPPROVAL_H
#define GL_REAPPROVAL_H

#include <stdbool.h>

#include "core/change.h"
#include "core/policy.h"
#include "core/risk.h"

#define GL_REAPPROVAL_REASON_MAX 512

struct gl_reapproval {
    bool needed;
    double delta;             /* after->score - before->score; 0 without a before */
    unsigned factors_changed; /* bit (1u << enum gl_risk_factor) whose points moved */
    /* One sentence, whether needed or not, naming the score and level before and after,
     * the rule that decided, the inputs that changed ("schedule.in_blackout",
     * "rollback_tested") and each factor that moved with its points ("blackout +11.0"),
     * e.g. "the risk rose from 31.9 (moderate) to 42.9 (high), +11.0: the level rose
     * (reapproval.on_level_increase) and the rise reaches reapproval.score_delta 5;
     * changed: schedule.in_blackout; factors: blackout +11.0". Cut at the buffer's size. */
    char reason[GL_REAPPROVAL_REASON_MAX];
};

/*
 * Decides under p's reapproval rule whether a change of `type` in `state` needs its
 * approval again now that it scores `after`, having been approved (or voted on) under
 * `before`. `before` must be the assessment the current approvals were given under (the
 * votes' assessed_at), not merely the previous one, so that small moves add up; NULL when
 * they were given without one (then there is nothing to compare and no re-approval).
 * `after` must not be NULL. Fills *out (reason included in every case) and returns
 * out->needed.
 */
bool gl_reapproval_decide(const struct gl_policy *p, const struct gl_risk_assessment *before,
                          const struct gl_risk_assessment *after, enum gl_change_type type,
                          enum gl_change_state state, struct gl_reapproval *out);

#endif
