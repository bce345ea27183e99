/*
 * reapproval.h - whether a new risk score sends a change back for approval, and why.
 *
 * An approval is given under a score. When the change's own inputs move after it (its
 * blast radius grew, a blackout appeared, its CIs' history worsened) the approvers may
 * need to look again; a re-score that changes nothing of the change's own inputs never
 * does, and a change already being implemented is past the decision point: it is never
 * sent back (its implementers finish it, or roll it back).
 */
#ifndef GL_CORE_REAPPROVAL_H
#define GL_CORE_REAPPROVAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/change.h"
#include "core/policy.h"
#include "core/risk.h"

#define GL_REAPPROVAL_REASON_MAX 400

/* Whether change c, scored `before` when its approvals were given (or voted on) and now
 * `after`, needs them again under policy p: only when its own inputs differ and the score
 * rose materially (into a higher level, or by the policy's margin), and never once it is
 * being implemented or done. When it does, why[] names the inputs that
 * changed and the score's move ("risk inputs changed: dependent CIs 3 -> 5; score 32.0
 * moderate -> 41.5 high"); else why[] is empty. */
bool gl_reapproval_needed(const struct gl_policy *p, const struct gl_change *c,
                          const struct gl_risk_assessment *before,
                          const struct gl_risk_assessment *after, char *why, size_t size);

#endif
