/*
 * app.h - the service layer: one function per user action (the app/ headers).
 *
 * Every action runs as ONE store transaction (admin->transact): it loads the facts it
 * needs, lets the core decide (validation, permissions, the lifecycle, the risk score,
 * the approval route, the calendar's findings, which other changes are affected), has
 * the store write the records with their audit events, and commits; or it rolls every
 * write back. Errors come back to the caller as the problem they are: nothing is logged
 * and dropped. HTTP handlers and the CLI parse, call an action and answer.
 *
 * Threading: an action may run on another thread than its caller (the store's group
 * commit runs it on the writer's); everything it is given must stay valid until it
 * returns, which it does before the caller's call returns.
 *
 * Ownership: structs an action fills belong to the caller, who releases them with the
 * matching *_release; inputs are borrowed.
 */
#ifndef GL_APP_APP_H
#define GL_APP_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/authz.h"
#include "core/error.h"
#include "store/store.h"

/* Who acts, when, and on what store. Strings and structs are borrowed. */
struct gl_app {
    struct gl_store *st;
    const struct gl_user *user;   /* the caller; permissions are checked against it */
    const struct gl_scope *scope; /* the clients the caller may see */
    const char *request_id;       /* may be NULL */
    int64_t now;                  /* UTC seconds; every write of the action carries it */
    /* Fault injection for tests: called at the named points of an action, inside its
     * transaction (see gl_app_fault); a non-zero answer fails the action there. NULL in
     * production. */
    int (*fault)(void *ud, const char *point, struct gl_error *err);
    void *fault_ud;
};

/* The actor of writes the process makes by itself (re-approval, revocation). */
#define GL_APP_SYSTEM_ACTOR "system"

/* The audit context of a write made for the caller (actor: the user's name). */
struct gl_write_ctx gl_app_write_ctx(const struct gl_app *a, const char *action,
                                     const char *reason);
/* The same for a write the process makes by itself (actor GL_APP_SYSTEM_ACTOR). */
struct gl_write_ctx gl_app_system_ctx(const struct gl_app *a, const char *action,
                                      const char *reason);

/* 0, or the test hook's error at `point`. Points: "change.written" (the change record),
 * "risk.written" (its assessment), "route.written" (a re-approval), "ci.written". */
int gl_app_fault(const struct gl_app *a, const char *point, struct gl_error *err);

/* The change id, when visible to the caller; another client's answers GL_E_NOT_FOUND
 * exactly like a missing one ("no change CHG-..."). */
int gl_app_load_change(const struct gl_app *a, int64_t id, struct gl_change *out,
                       struct gl_error *err);
/* The optimistic version check of a write: wanted 0 = none given (GL_E_VERSION_REQUIRED
 * when required), else it must equal current (GL_E_STALE, field "version"). */
int gl_app_check_version(int64_t current, int64_t wanted, bool required, struct gl_error *err);
/* References a change write adds (not already in `before`, which may be NULL): its CIs
 * and related changes must exist and be visible ("cis" / "related_changes"). */
int gl_app_check_change_refs(const struct gl_app *a, const struct gl_change *before,
                             const struct gl_change *after, struct gl_error *err);

#endif
