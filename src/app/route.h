/*
 * route.h - a change's approval route as the actions need it, and the re-approval rules.
 *
 * The decisions are core/approval.c's (the route, the evaluation of the votes, whether an
 * edit or a new score needs approval again); this module gathers their inputs from the
 * store and writes the re-approval when one is needed.
 */
#ifndef GL_APP_ROUTE_H
#define GL_APP_ROUTE_H

#include <stdbool.h>

#include "app/app.h"
#include "core/approval.h"
#include "core/policy.h"
#include "core/reapproval.h"
#include "core/risk.h"
#include "core/template.h"

struct gl_app_route {
    struct gl_policy policy;
    bool assessed; /* risk holds the current assessment */
    struct gl_risk_assessment risk;
    bool has_template;
    struct gl_template tpl;
    struct gl_approval_route route;
    struct gl_approval_record record;
    struct gl_approval_status status; /* the current round's votes against route */
};

/* The route of c under the policy in force, its votes and their evaluation. *out is
 * malloc'd (the policy is large); free with gl_app_route_free (accepts NULL). */
int gl_app_route_load(const struct gl_app *a, const struct gl_change *c,
                      struct gl_app_route **out, struct gl_error *err);
void gl_app_route_free(struct gl_app_route *r);

/* After c was re-scored from `before` (NULL: its first assessment) to `after`: when c
 * holds approvals, or has votes in its current round, and the policy finds the change in
 * its own inputs material, c goes back for approval (a new round; an approved change
 * back to assessed) by GL_APP_SYSTEM_ACTOR, the reason naming what changed. *c is then
 * the stored change. *reopened (may be NULL) tells whether it happened. */
int gl_app_route_after_assess(const struct gl_app *a, struct gl_change *c,
                              const struct gl_risk_assessment *before,
                              const struct gl_risk_assessment *after, bool *reopened,
                              struct gl_error *err);

/* An edit before -> after that needs the approvals again (core: the implementer changed
 * on an approved change) is written here with a new round, and *written is set; else the
 * caller writes it. */
int gl_app_route_edit(const struct gl_app *a, const struct gl_write_ctx *ctx,
                      const struct gl_change *before, struct gl_change *after, bool *written,
                      struct gl_error *err);

/* The approvals the route still misses, as text for a refusal ("2 CAB approvals, client
 * sign-off"); buf is always terminated. */
void gl_app_route_missing_text(const struct gl_app_route *r, char *buf, size_t size);

#endif
