/*
 * authz.h - authorization: who may do what on which client, decided in one place.
 *
 * Every handler asks this module after it has found a record the caller may see (a record
 * outside the caller's scope answers 404 before any question of permission arises, so its
 * existence does not leak). The decision is a pure function of the user (admin flag and
 * role grants), the permission, the client of the record and, for lifecycle actions, the
 * change itself: no I/O, no clock, no globals.
 *
 * Rules (the matrix lives in authz.c as one table):
 *  - a grant on client 0 covers every client; a permission on client 0 (shared
 *    infrastructure, or "every client" for the audit log) needs an all-clients grant,
 *    except reading shared CIs, which any authenticated user may; writing shared CIs is
 *    for a change manager on all clients (or an admin);
 *  - an admin holds every permission, but is still bound by separation of duties:
 *    nobody approves or rejects a change they raised, created or implement.
 */
#ifndef GL_AUTHZ_H
#define GL_AUTHZ_H

#include <stdint.h>

#include "core/change.h"
#include "core/error.h"
#include "core/lifecycle.h"
#include "core/user.h"

enum gl_perm {
    GL_PERM_CLIENT_READ,
    GL_PERM_CLIENT_WRITE, /* create and edit clients: admin only */
    GL_PERM_CI_READ,
    GL_PERM_CI_WRITE,
    GL_PERM_CHANGE_READ,   /* a change and its timeline */
    GL_PERM_CHANGE_WRITE,  /* create and edit changes */
    GL_PERM_CHANGE_SUBMIT, /* submit, reopen, cancel */
    GL_PERM_CHANGE_ASSESS,
    GL_PERM_CHANGE_APPROVE,           /* approve, reject a normal or standard change */
    GL_PERM_CHANGE_APPROVE_EMERGENCY, /* approve, reject an emergency change */
    GL_PERM_CHANGE_SCHEDULE,
    GL_PERM_CHANGE_IMPLEMENT, /* start, complete, fail, rollback */
    GL_PERM_CHANGE_REVIEW,
    GL_PERM_CHANGE_CLOSE,
    GL_PERM_AUDIT_READ, /* read, export and verify the audit log */
    GL_PERM_DOC_READ,   /* documents, their versions and diffs */
    GL_PERM_DOC_WRITE,  /* create, edit and review documents; link them to changes */
    GL_PERM_CALENDAR_WRITE, /* maintenance windows and blackouts (client 0: global ones) */
    GL_PERM_TEMPLATE_WRITE, /* standard-change templates: create, edit, re-approve */
    GL_PERM_POLICY_WRITE,   /* replace the change policy: admin only */
    GL_PERM__COUNT
};

/* Short wire-style name of a permission, e.g. "change.approve"; "unknown" when out of range. */
const char *gl_perm_name(enum gl_perm p);

/* Whether u holds role r on client_id (through a grant on it or on all clients). An admin
 * holds no role implicitly here: this answers "what was granted". */
bool gl_authz_has_role(const struct gl_user *u, enum gl_role r, int64_t client_id);

/*
 * Checks one permission on a client (client_id 0: shared records or all clients). Returns 0
 * or GL_E_FORBIDDEN with a detail naming what was refused and the roles that would allow it.
 */
int gl_authz_check(const struct gl_user *u, enum gl_perm perm, int64_t client_id,
                   struct gl_error *err);

/* The permission a lifecycle action needs on change c (approve/reject depend on c's type). */
enum gl_perm gl_authz_action_perm(const struct gl_change *c, enum gl_action a);

/*
 * Checks a lifecycle action on change c: the role permission on c's client, then separation
 * of duties (approve and reject are refused when u's name is c's raised_by, created_by or
 * implementer, for admins too). Returns 0 or GL_E_FORBIDDEN.
 */
int gl_authz_action(const struct gl_user *u, const struct gl_change *c, enum gl_action a,
                    struct gl_error *err);

#endif
