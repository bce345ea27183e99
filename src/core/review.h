/*
 * review.h - which changes need a post-implementation review (PIR) before they may be
 * closed, and why.
 *
 * The policy decides (struct gl_review_rule, policy member "review_before_close"): a change
 * needs a review when its risk level is one of the rule's levels, its outcome one of the
 * rule's outcomes, or it is an emergency change and the rule says every emergency is
 * reviewed. Pure: the caller passes the rule in force, the change and its current risk
 * assessment; the lifecycle (core/lifecycle.h, action close) refuses the close while a
 * needed review is missing.
 */
#ifndef GL_REVIEW_H
#define GL_REVIEW_H

#include <stdbool.h>

#include "core/change.h"
#include "core/policy.h"
#include "core/risk.h"

#define GL_REVIEW_WHY_MAX 200

struct gl_review_need {
    bool needed;
    /* The first policy member that asks for the review ("review_before_close.outcomes",
     * "review_before_close.emergency", "review_before_close.levels"); NULL when none. */
    const char *rule;
    /* Every reason that applies, each naming its member: "it is an emergency change
     * (review_before_close.emergency); its risk level is high, 52.0
     * (review_before_close.levels)". Empty when none. */
    char why[GL_REVIEW_WHY_MAX];
};

/*
 * Whether change c needs a post-implementation review before close under rule, and why.
 * risk: c's current assessment, NULL when c was never assessed (then the level rule has
 * no level to apply; the outcome and emergency rules still do). Says nothing about whether
 * c already has a review: the lifecycle looks at that. Returns out->needed.
 */
bool gl_review_before_close(const struct gl_review_rule *rule, const struct gl_change *c,
                            const struct gl_risk_assessment *risk, struct gl_review_need *out);

/* The rule that holds when a caller gives none (gl_action_input.review NULL): failed and
 * rolled back outcomes and every emergency change, as before the policy decided it. */
extern const struct gl_review_rule gl_review_rule_floor;

#endif
