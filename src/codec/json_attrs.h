/*
 * json_attrs.h - a CI's free attributes (core/cmdb.h, struct gl_attrs) <-> a JSON object.
 *
 * The wire form and the stored form are the same object; the stored text is canonical
 * (keys sorted, compact), so equal sets are equal strings.
 * Ownership: returned json_t are new references; returned strings are malloc'd.
 */
#ifndef GL_CODEC_JSON_ATTRS_H
#define GL_CODEC_JSON_ATTRS_H

#include <stdbool.h>

#include <jansson.h>

#include "core/cmdb.h"
#include "core/error.h"

/* An object with the attributes (never NULL unless out of memory). */
json_t *gl_json_attrs(const struct gl_attrs *a);
/* Applies a JSON object of attributes to a: a member with a string, number or boolean
 * sets that key, null removes it (a merge patch); anything else, a bad key, or a value
 * that is not an object fails GL_E_INVALID naming "attributes" or "attributes.KEY". a is
 * left changed only as far as it got. */
int gl_json_attrs_apply(const json_t *obj, struct gl_attrs *a, struct gl_error *err);
/* Canonical text; NULL for an empty set (and when out of memory: *oom set then). */
char *gl_json_attrs_dump(const struct gl_attrs *a, bool *oom);
/* Parses stored text (NULL = empty) into out (empty on entry). 0 or -1. */
int gl_json_attrs_load(const char *text, struct gl_attrs *out);

#endif
