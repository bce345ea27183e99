/*
 * h_risk.h - risk assessment as the handlers share it (h_risk.c).
 *
 * When a change is re-assessed (store risk_assess, which stores a new assessment only
 * when the inputs or the policy version changed):
 *  - on the assess and schedule actions, and on GET .../risk?refresh=1;
 *  - after a create or edit (PATCH) of a change that is past draft or already assessed;
 *  - after a CI's criticality or users change, or a relation is added or removed: the
 *    open changes (not draft-and-never-assessed, not finished, closed or cancelled) that
 *    list the CI (for a relation: the CI depended on, whose blast radius grew or shrank)
 *    among their affected CIs, newest first, at most GL_H_RISK_FANOUT of them.
 *    Changes further upstream are re-assessed at their next trigger.
 * Re-assessment after a write is best effort: the write stands when it fails.
 */
#ifndef GL_HTTP_H_RISK_H
#define GL_HTTP_H_RISK_H

#include <stdbool.h>

#include "http/request.h"

#define GL_H_RISK_FANOUT 50

/* Re-assesses c when it is open and past draft or already assessed. With reapprove, a
 * change of inputs hands over to approval routing (gl_h_approvals_after_assess), and c is
 * re-read when that moved it, so the caller answers with the change as it now stands.
 * The schedule action passes false: scheduling is where the calendar's findings become
 * inputs, under the calendar's own rules (blackout override, justification); later
 * changes of inputs need re-approval as usual. */
void gl_h_risk_after_write(struct gl_request *req, struct gl_change *c, bool reapprove);
/* Re-assesses the open changes on ci_id (see above). */
void gl_h_risk_after_ci(struct gl_request *req, int64_t ci_id);

int gl_h_change_risk(struct gl_request *req, struct gl_response *res);
int gl_h_policy_get(struct gl_request *req, struct gl_response *res);
int gl_h_policy_put(struct gl_request *req, struct gl_response *res);
int gl_h_policy_versions(struct gl_request *req, struct gl_response *res);

#endif
