/*
 * json_policy.h - the policy's wire form (core/policy.h has an example).
 *
 * Decoding is strict like codec/json.h: unknown members, wrong JSON types and unknown
 * names are refused with GL_E_INVALID naming the member ("weights.conflicts",
 * "approval.normal.high"). Members that are absent keep the built-in default's value, so
 * a policy file need only say what differs; "version" is read-only and ignored on input.
 * The decoded policy is validated (gl_policy_validate).
 *
 * Ownership: encoders return a new reference; *_dump a malloc'd string.
 */
#ifndef GL_CODEC_JSON_POLICY_H
#define GL_CODEC_JSON_POLICY_H

#include <jansson.h>

#include "core/policy.h"

json_t *gl_json_policy(const struct gl_policy *p);
/* Compact, members in a fixed order: two equal policies dump to equal strings (the
 * version left out, so a file can be compared with the stored policy). */
char *gl_json_policy_dump_body(const struct gl_policy *p);
/* Fills out from obj over the built-in default; out->version = 0. 0 or GL_E_INVALID. */
int gl_json_policy_parse(const json_t *obj, struct gl_policy *out, struct gl_error *err);
/* The same from text (a file, a stored body); GL_E_INVALID for malformed JSON. */
int gl_json_policy_loads(const char *text, struct gl_policy *out, struct gl_error *err);

#endif
