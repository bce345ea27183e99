/*
 * h_approvals.h - approval routing as the handlers share it (h_approvals.c, h_templates.c,
 * h_cab.c, and the lifecycle actions in h_change_actions.c / h_changes.c).
 *
 * A struct gl_h_route gathers what core/approval.h decides from: the policy in force, the
 * change's current risk assessment (a change never assessed is treated as moderate, so it
 * needs a change manager), its client's sign-off rule, its template's standing, and the
 * votes of every round. It is heap-allocated (the policy is large); free it with
 * gl_h_route_free (accepts NULL).
 */
#ifndef GL_HTTP_H_APPROVALS_H
#define GL_HTTP_H_APPROVALS_H

#include <stdbool.h>

#include <jansson.h>

#include "core/approval.h"
#include "core/lifecycle.h"
#include "core/risk.h"
#include "core/template.h"
#include "http/request.h"

struct gl_h_route {
    struct gl_policy policy;
    bool assessed; /* risk holds the current assessment */
    struct gl_risk_assessment risk;
    bool has_template;
    struct gl_template tpl;
    struct gl_approval_route route;
    struct gl_approval_record record;
    struct gl_approval_status status; /* the current round's votes against route */
};

/* Loads everything the route of c depends on and evaluates the current round. *out is
 * NULL on failure. */
int gl_h_route_load(struct gl_request *req, const struct gl_change *c, struct gl_h_route **out,
                    struct gl_error *err);
void gl_h_route_free(struct gl_h_route *r);
/* {"change", "state", "route": <status>, "votes": [...], "review_due", "review_overdue"} */
json_t *gl_h_route_json(const struct gl_h_route *r, const struct gl_change *c, int64_t now);

/* POST /changes/{id}/approve|reject: records a vote; the change moves when its route is
 * satisfied (approve) or returns to draft (reject). Answers the request. */
int gl_h_change_vote(struct gl_request *req, struct gl_response *res, enum gl_action action);

/* Re-approval after a risk assessment: when `changed` (the inputs differ from the previous
 * assessment) and change_id holds an approval (approved, scheduled), it returns to
 * assessed with "re-approval needed: ..." and a new round starts; a change still being
 * voted on starts a new round so earlier votes no longer count. No-op otherwise. */
int gl_h_approvals_after_assess(struct gl_request *req, int64_t change_id, bool changed,
                                struct gl_error *err);
/* The same for an edit (PATCH) that needs re-approval (core gl_approval_edit_needs_
 * reapproval): writes `after` moved back to assessed with a new round, in place of a
 * plain change_update. Returns 1 when it wrote, 0 when no re-approval was needed, -1 when
 * the write failed (err filled). */
int gl_h_approvals_edit(struct gl_request *req, const struct gl_write_ctx *ctx,
                        const struct gl_change *before, struct gl_change *after,
                        struct gl_error *err);

/* Submit of a standard change: checks its template (standing, use, CI types, maximum
 * risk), then submits, assesses and, when it has a planned time, schedules it. A change
 * that does not fit is refused with a problem carrying "suggested_type": "normal". */
int gl_h_standard_submit(struct gl_request *req, struct gl_response *res,
                         const struct gl_change *before);
/* After a change from a template reached an outcome: revokes the template's pre-approval
 * when its failure rate crosses the policy threshold (audited "template.revoke"). */
int gl_h_template_after_outcome(struct gl_request *req, const struct gl_change *c,
                                struct gl_error *err);
/* POST /changes with "template": builds the change from the template. Answers. */
int gl_h_change_from_template(struct gl_request *req, struct gl_response *res, json_t *body);
/* GET /changes?overdue_review=true: answers with the overdue emergency changes. */
int gl_h_changes_overdue(struct gl_request *req, struct gl_response *res);

/* A problem answer with one more member (e.g. "suggested_type"). */
int gl_h_problem_with(struct gl_response *res, const struct gl_request *req,
                      const struct gl_error *err, const char *key, json_t *value);

int gl_h_change_approvals(struct gl_request *req, struct gl_response *res);
int gl_h_emergency_overdue(struct gl_request *req, struct gl_response *res);
int gl_h_templates_list(struct gl_request *req, struct gl_response *res);
int gl_h_templates_create(struct gl_request *req, struct gl_response *res);
int gl_h_template_get(struct gl_request *req, struct gl_response *res);
int gl_h_template_patch(struct gl_request *req, struct gl_response *res);
int gl_h_template_reapprove(struct gl_request *req, struct gl_response *res);
int gl_h_template_versions(struct gl_request *req, struct gl_response *res);
int gl_h_cab_agenda(struct gl_request *req, struct gl_response *res);
int gl_h_metrics_emergency(struct gl_request *req, struct gl_response *res);

#endif
