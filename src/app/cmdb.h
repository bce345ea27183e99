/*
 * cmdb.h - the actions on configuration items and their relations, the CMDB import,
 * and the policy: each one transaction, and the changes whose scores they move are
 * re-scored (and re-routed) in it.
 */
#ifndef GL_APP_CMDB_H
#define GL_APP_CMDB_H

#include <stdbool.h>

#include "app/app.h"

/* Applies the caller's edit to `after`, a copy of `before`. */
typedef int (*gl_app_ci_edit_fn)(void *ud, const struct gl_ci *before, struct gl_ci *after,
                                 struct gl_error *err);

/* Action: edit CI id (visible: shared or of a client in scope; if_match required). out
 * receives the stored CI. A new criticality or user count re-scores its open changes. */
int gl_app_ci_update(const struct gl_app *a, int64_t id, int64_t if_match,
                     gl_app_ci_edit_fn apply, void *ud, struct gl_ci *out,
                     struct gl_error *err);

/* Action: add (add true) or delete the relation r between the visible CIs from and to.
 * Needs CI write on from's client, and on to's unless it is shared or the same client.
 * The open changes on `to` are re-scored (its blast radius moved). */
int gl_app_ci_relate(const struct gl_app *a, const struct gl_ci *from, const struct gl_ci *to,
                     const struct gl_ci_relation *r, bool add, struct gl_error *err);

/* Action: the CMDB import (store.h ci_import), rows each atomic, all in one transaction
 * (a dry run rolls every row back). */
int gl_app_ci_import(const struct gl_app *a, struct gl_ci_import *items, size_t n,
                     bool dry_run, gl_ci_import_check check, void *ud, struct gl_error *err);

/* Action: p becomes the policy in force (store.h policy_put: validated, versioned);
 * reason (may be NULL) goes into the audit event. */
int gl_app_policy_put(const struct gl_app *a, struct gl_policy *p, const char *reason,
                      struct gl_error *err);

#endif
