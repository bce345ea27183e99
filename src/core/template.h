/*
 * template.h - standard-change templates: the catalogue of pre-approved procedures.
 *
 * A template holds what a standard change needs besides its CIs and time: a name, a
 * description, the steps (implementation plan) and rollback plan, the CI types it may
 * touch, the highest risk level it covers, who may use it (roles and/or named users), the
 * client it belongs to (0 = every client), and its pre-approval: `preapproved` is given by
 * a change manager; `revoked_at` is set when its changes fail too often (see
 * gl_template_should_revoke) and cleared when a change manager re-approves it.
 *
 * Pure: fit checks and the revocation rule take everything as arguments. Strings and lists
 * are owned by the struct; gl_template_release frees them and re-initialises it.
 */
#ifndef GL_TEMPLATE_H
#define GL_TEMPLATE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/approval.h"
#include "core/change.h"
#include "core/cmdb.h"
#include "core/error.h"
#include "core/policy.h"
#include "core/user.h"

struct gl_template {
    int64_t id;
    int64_t version;
    int64_t client_id; /* 0 = usable for every client */
    char *client_key;  /* wire form of client_id; NULL for every client */
    char *name;
    char *description;
    char *steps;         /* becomes the change's implementation plan */
    char *rollback_plan; /* becomes the change's rollback plan */
    char *test_plan;     /* optional; becomes the change's test plan */
    struct gl_strlist ci_types; /* CI types it may touch (core/cmdb.h names); none = refused */
    enum gl_risk_level max_risk;
    unsigned roles;            /* bit (1u << gl_role) of roles that may use it */
    struct gl_strlist users;   /* named users who may use it; roles == 0 && no users = any writer */
    bool preapproved;
    int64_t revoked_at; /* GL_TIME_UNSET = not revoked */
    char *revoked_reason;
    char *created_by;
    int64_t created_at;
    int64_t updated_at;
};

void gl_template_init(struct gl_template *t);
/* Accepts NULL. */
void gl_template_release(struct gl_template *t);
/* Deep copy into an initialised dst; 0 or GL_E_INTERNAL. */
int gl_template_copy(struct gl_template *dst, const struct gl_template *src);

/* Required fields, lengths, CI type names, enum ranges. 0 or GL_E_INVALID with the wire
 * field ("name", "steps", "rollback_plan", "ci_types", "max_risk", "roles", "users"). */
int gl_template_validate(const struct gl_template *t, struct gl_error *err);

/* "TPL-000007"; parse accepts "TPL-7" and "7" too (like change identifiers). */
void gl_template_ident_format(int64_t id, char out[GL_IDENT_MAX]);
int gl_template_ident_parse(const char *s, int64_t *id);

enum gl_template_standing gl_template_standing(const struct gl_template *t);

/*
 * May u create a change from t on client_id? GL_E_INVALID "template" when t belongs to
 * another client; GL_E_FORBIDDEN when t names roles/users and u is none of them (an admin
 * always may). Revoked or unapproved templates may still be used: their changes are then
 * routed as normal changes (gl_approval_route), which the caller tells the user.
 */
int gl_template_check_use(const struct gl_template *t, const struct gl_user *u,
                          int64_t client_id, struct gl_error *err);
/* Every CI's type must be allowed: GL_E_PRECONDITION "cis" naming the first that is not. */
int gl_template_check_cis(const struct gl_template *t, const struct gl_ci *cis, size_t n,
                          struct gl_error *err);
/* GL_E_PRECONDITION "risk" when level is above t->max_risk. */
int gl_template_check_risk(const struct gl_template *t, enum gl_risk_level level,
                           struct gl_error *err);

/* Fills a new change from t: type standard, template_id, implementation/rollback/test
 * plans, description, and the title when c has none. 0 or GL_E_INTERNAL. */
int gl_template_fill_change(const struct gl_template *t, struct gl_change *c,
                            struct gl_error *err);

/*
 * The revocation rule: with `changes` finished changes from a template of which `failures`
 * failed or were rolled back, the failure rate with the policy's Beta prior is
 * (failures + prior_failures) / (changes + prior_failures + prior_successes). A template
 * loses pre-approval when changes >= template_min_changes and that rate is above
 * template_failure_threshold. *rate (may be NULL) receives the rate.
 */
bool gl_template_should_revoke(int64_t changes, int64_t failures, const struct gl_policy *p,
                               double *rate);

#endif
