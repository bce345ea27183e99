/*
 * json.h - the wire format of Greenlight's records, in both directions (jansson).
 *
 * Encoding produces the objects the API returns and the snapshots the audit log keeps.
 * Decoding is strict: unknown fields, wrong JSON types, unknown enum values, malformed
 * times and identifiers are refused with GL_E_INVALID naming the field; read-only fields
 * (id, state, version, timestamps) are refused on input. Decoding applies the present
 * fields onto an existing record, so the same function serves create (onto an empty
 * record) and PATCH (onto a copy of the stored one).
 *
 * Ownership: gl_json_* encoders return a new reference (json_decref it) or, for *_dump, a
 * malloc'd string. Decoders borrow the json_t.
 */
#ifndef GL_CODEC_JSON_H
#define GL_CODEC_JSON_H

#include <stdbool.h>

#include <jansson.h>

#include "core/audit.h"
#include "core/change.h"
#include "core/cmdb.h"
#include "core/error.h"
#include "core/user.h"

/* Called for each field present in the input before it is applied; return 0 to allow,
 * or a gl_errcode (having filled err) to refuse. May be NULL. */
typedef int (*gl_json_field_check)(const char *field, void *ud, struct gl_error *err);

/* Version of the change encoding. Bump it whenever gl_json_change's output changes: stored
 * renderings of another version are then re-encoded instead of served (store.h). */
#define GL_JSON_CHANGE_FORMAT 2

/* An RFC 3339 UTC time, or null for GL_TIME_UNSET. */
json_t *gl_json_time(int64_t t);
json_t *gl_json_change(const struct gl_change *c);
char *gl_json_change_dump(const struct gl_change *c);
/* Applies obj's fields to c. "client" is stored in c->client_key for the caller to
 * resolve. Returns 0 or GL_E_INVALID. On failure c may be partly modified. */
int gl_json_change_apply(const json_t *obj, struct gl_change *c, gl_json_field_check check,
                         void *ud, struct gl_error *err);

json_t *gl_json_client(const struct gl_client *c);
char *gl_json_client_dump(const struct gl_client *c);
int gl_json_client_apply(const json_t *obj, struct gl_client *c, bool creating,
                         struct gl_error *err);

json_t *gl_json_ci(const struct gl_ci *ci);
char *gl_json_ci_dump(const struct gl_ci *ci);
/* "client" (a key, or null for shared) goes to ci->client_key for the caller to resolve. */
int gl_json_ci_apply(const json_t *obj, struct gl_ci *ci, bool creating, struct gl_error *err);

json_t *gl_json_user(const struct gl_user *u);
char *gl_json_user_dump(const struct gl_user *u);

/* An audit event as shown in a timeline: snapshots are embedded as parsed JSON. */
json_t *gl_json_audit_event(const struct gl_audit_event *ev);
/* An audit event as exported: the timeline form plus the tenant ("client": its key, or
 * null for a global event) and "prev_hash", so an export shows each event's place in
 * the chain. client_key is borrowed and may be NULL. */
json_t *gl_json_audit_export(const struct gl_audit_event *ev, const char *client_key);

#endif
