/*
 * template.h - standard changes: raising one from a template, its pre-approved path, and
 * a template losing its pre-approval when too many of its changes fail.
 */
#ifndef GL_APP_TEMPLATE_H
#define GL_APP_TEMPLATE_H

#include <stdbool.h>

#include "app/app.h"
#include "app/change.h"
#include "core/template.h"

/* Action: create c (parsed from the request without the template's own members; client
 * resolved) as a standard change from template_id. *suggest_normal is set when the
 * refusal means "this is no standard change" (raise it as a normal one). */
int gl_app_change_from_template(const struct gl_app *a, int64_t template_id,
                                const char *template_ref, struct gl_change *c,
                                bool *suggest_normal, struct gl_error *err);

/* Inside gl_app_change_act: the submit of standard change `before` (the stored record):
 * checks the fit with its template (risk assessed now), then submits, assesses and, when
 * planned, schedules it. out->change is the result. */
int gl_app_standard_submit(const struct gl_app *a, const struct gl_change *before,
                           struct gl_app_act_result *out, struct gl_error *err);

/* Inside an action: after c failed or was rolled back, its template loses the
 * pre-approval when its failure rate passes the policy's threshold (actor "system"). */
int gl_app_template_after_outcome(const struct gl_app *a, const struct gl_change *c,
                                  struct gl_error *err);

#endif
