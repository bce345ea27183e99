/*
 * json_attrs.c - CI attributes <-> JSON (see json_attrs.h).
 *
 * Integers and reals stay apart as jansson keeps them (3 is not 3.0), so what a client
 * sends is what it reads back.
 */
#include "codec/json_attrs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

static json_t *attr_value(const struct gl_attr *v)
{
    switch (v->kind) {
    case GL_ATTR_STRING:
        return json_string(v->str);
    case GL_ATTR_INT:
        return json_integer(v->i);
    case GL_ATTR_REAL:
        return json_real(v->d);
    case GL_ATTR_BOOL:
        return json_boolean(v->b);
    }
    return json_null();
}

json_t *gl_json_attrs(const struct gl_attrs *a)
{
    json_t *obj = json_object();
    for (size_t i = 0; obj && i < a->len; i++)
        if (json_object_set_new(obj, a->items[i].key, attr_value(&a->items[i]))) {
            json_decref(obj);
            return NULL;
        }
    return obj;
}

/* v as an attribute value (out->key borrowed); -1 when v is no scalar. */
static int attr_of(const char *key, const json_t *v, struct gl_attr *out)
{
    memset(out, 0, sizeof *out);
    out->key = (char *)key;
    if (json_is_string(v)) {
        out->kind = GL_ATTR_STRING;
        out->str = (char *)json_string_value(v);
    } else if (json_is_integer(v)) {
        out->kind = GL_ATTR_INT;
        out->i = json_integer_value(v);
    } else if (json_is_real(v)) {
        out->kind = GL_ATTR_REAL;
        out->d = json_real_value(v);
    } else if (json_is_boolean(v)) {
        out->kind = GL_ATTR_BOOL;
        out->b = json_is_true(v);
    } else
        return -1;
    return 0;
}

int gl_json_attrs_apply(const json_t *obj, struct gl_attrs *a, struct gl_error *err)
{
    if (!json_is_object(obj))
        return gl_error_set(err, GL_E_INVALID, "attributes",
                            "attributes must be a JSON object of key: value");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        char field[64];
        if (!gl_attr_key_valid(key))
            return gl_error_set(err, GL_E_INVALID, "attributes",
                                "attribute key \"%.80s\" is not 1 to 64 of a-z, 0-9, '_', '.' "
                                "and '-'", key);
        snprintf(field, sizeof field, "attributes.%s", key);
        if (json_is_null(v)) {
            gl_attrs_remove(a, key);
            continue;
        }
        struct gl_attr at;
        if (attr_of(key, v, &at) < 0)
            return gl_error_set(err, GL_E_INVALID, field,
                                "attribute %s must be a string, a number or a boolean", key);
        if (at.kind == GL_ATTR_STRING && strlen(at.str) > GL_ATTR_VALUE_MAX)
            return gl_error_set(err, GL_E_INVALID, field, "attribute %s is longer than %d bytes",
                                key, GL_ATTR_VALUE_MAX);
        if (gl_attrs_set(a, &at))
            return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    }
    if (a->len > GL_ATTRS_MAX)
        return gl_error_set(err, GL_E_INVALID, "attributes", "a CI has at most %d attributes",
                            GL_ATTRS_MAX);
    return 0;
}

char *gl_json_attrs_dump(const struct gl_attrs *a, bool *oom)
{
    *oom = false;
    if (!a->len)
        return NULL;
    json_t *obj = gl_json_attrs(a);
    char *s = obj ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17))
                  : NULL;
    json_decref(obj);
    *oom = s == NULL;
    return s;
}

int gl_json_attrs_load(const char *text, struct gl_attrs *out)
{
    if (!text || !*text)
        return 0;
    json_t *obj = json_loads(text, 0, NULL);
    if (!obj)
        return -1;
    const char *key;
    json_t *v;
    int rc = json_is_object(obj) ? 0 : -1;
    json_object_foreach(obj, key, v)
    {
        struct gl_attr at;
        if (rc || attr_of(key, v, &at) < 0 || gl_attrs_set(out, &at)) {
            rc = -1;
            break;
        }
    }
    json_decref(obj);
    if (rc)
        gl_attrs_release(out);
    return rc;
}
