/*
 * json_template.h - wire form of standard-change templates, approval routes and votes.
 *
 * Template: {"id": "TPL-000001", "version": 2, "client": "acme" | null, "name", "description",
 * "steps", "rollback_plan", "test_plan", "ci_types": ["server"], "max_risk": "moderate",
 * "roles": ["implementer"], "users": ["ivan"], "preapproved": true, "standing": "good" |
 * "not_preapproved", "revoked_at", "revoked_reason", "created_by", "created_at",
 * "updated_at"}. Decoding is strict like the change codec: unknown fields and wrong types
 * are GL_E_INVALID naming the field; read-only fields may be sent back unchanged.
 *
 * Ownership: encoders return a new reference (or, for *_dump, a malloc'd string);
 * decoders borrow their input.
 */
#ifndef GL_CODEC_JSON_TEMPLATE_H
#define GL_CODEC_JSON_TEMPLATE_H

#include <stdbool.h>

#include <jansson.h>

#include "core/approval.h"
#include "core/template.h"

json_t *gl_json_template(const struct gl_template *t);
char *gl_json_template_dump(const struct gl_template *t);
/* Applies obj onto t. "client" (a key or null) goes to t->client_key for the caller to
 * resolve and is accepted only when creating. */
int gl_json_template_apply(const json_t *obj, struct gl_template *t, bool creating,
                           struct gl_error *err);

/* Lists of names <-> JSON arrays (also the store's column form). */
json_t *gl_json_strlist(const struct gl_strlist *l);
json_t *gl_json_role_mask(unsigned roles);
int gl_json_role_mask_parse(const json_t *v, const char *field, unsigned *out,
                            struct gl_error *err);
int gl_json_strlist_parse(const json_t *v, const char *field, struct gl_strlist *out,
                          struct gl_error *err);

/* {"tier": "cab", "level": "high", "routed_as_normal": false, "stages": [{"stage": "cab",
 * "quorum": 2, "approvals": 1, "missing": 1, "rule": "approval.normal.high", "reason":
 * "policy: ..."}, ...], "satisfied": false, "round": 1, "rejected_by": null, "missing":
 * ["cab", "client"], "client_signoff": {"required": true, "rule":
 * "client.requires_signoff", "reason": "client requires sign-off ..."}} */
json_t *gl_json_approval_status(const struct gl_approval_route *r,
                                const struct gl_approval_status *s);
/* {"round", "user", "as", "decision", "comment", "assessed_at", "at"} */
json_t *gl_json_approval_vote(const struct gl_approval_vote *v);

#endif
