/*
 * risk.h - scoring changes: when a change is (re)assessed, and what follows from it.
 *
 * The store gathers a change's risk inputs and saves assessments; the score is the core's
 * (core/risk.c) under the policy in force; a score whose inputs moved may send an
 * approved change back for approval (route.h). Everything here runs inside the calling
 * action's transaction, except gl_app_change_reassess, which is an action of its own.
 */
#ifndef GL_APP_RISK_H
#define GL_APP_RISK_H

#include <stdbool.h>

#include "app/app.h"
#include "core/risk.h"

/* Scores c (the stored record) at a->now under the policy in force and saves the
 * assessment when its inputs or the policy differ from the latest (store.h risk_save).
 * prev (may be NULL) receives the latest assessment before this one, *had_prev whether
 * there was one; *changed (may be NULL): the inputs differ from it. */
int gl_app_risk_assess(const struct gl_app *a, const struct gl_change *c,
                       struct gl_risk_assessment *out, struct gl_risk_assessment *prev,
                       bool *had_prev, bool *changed, struct gl_error *err);

/* After a write of c: an open change past draft (or a draft assessed before) is
 * re-scored; with reapprove, inputs that moved materially send it back for approval
 * (gl_app_route_after_assess) and *c becomes the stored change. */
int gl_app_risk_after_write(const struct gl_app *a, struct gl_change *c, bool reapprove,
                            struct gl_error *err);

/* After an edit that moves the scores of the changes on CI ci_id (its criticality or
 * users, a relation to it): every open change on it is re-scored and re-routed. */
int gl_app_risk_after_ci(const struct gl_app *a, int64_t ci_id, struct gl_error *err);

/* Action: re-assess change_id now for someone who may assess it (GET .../risk?refresh=1),
 * re-routing it as after a write. out receives the standing assessment. */
int gl_app_change_reassess(const struct gl_app *a, int64_t change_id,
                           struct gl_risk_assessment *out, struct gl_error *err);

#endif
