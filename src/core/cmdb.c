/*
 * cmdb.c - clients and configuration items: lifetime and validation (see cmdb.h).
 *
 * Invariants: validation is purely syntactic (whether a time zone actually exists is
 * for the adapter with the tz database to decide); every refusal names the wire field.
 * Release functions accept NULL and leave the struct re-initialised.
 */
#include "core/cmdb.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define NAME_MAX_LEN 200
#define KEY_MAX_LEN 40
#define TZ_MAX_LEN 64
#define NOTICE_MAX_HOURS 8760
#define USERS_MAX 100000000

static const char *const ci_types[] = {
    "server", "application", "database",       "network_device", "service",
    "site",   "storage",     "cloud_resource", "endpoint",       "other",
};

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* True when s has at least one non-blank character and at most max bytes. */
static bool name_ok(const char *s, size_t max)
{
    if (!s || strlen(s) > max)
        return false;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return true;
    return false;
}

bool gl_client_key_valid(const char *key)
{
    if (!key || !is_lower_alnum(key[0]))
        return false;
    size_t n = 1;
    for (; key[n]; n++)
        if (!is_lower_alnum(key[n]) && key[n] != '-')
            return false;
    return n <= KEY_MAX_LEN;
}

/* One path component of a zone name: starts with a letter, then [A-Za-z0-9_+-]. */
static bool tz_component_ok(const char *s, size_t n)
{
    if (n == 0 || !is_alpha(s[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '_' && s[i] != '+' && s[i] != '-')
            return false;
    return true;
}

bool gl_timezone_valid(const char *tz)
{
    if (!tz || !*tz || strlen(tz) > TZ_MAX_LEN)
        return false;
    const char *p = tz;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (!tz_component_ok(p, n))
            return false;
        if (!slash)
            return true;
        p = slash + 1;
    }
}

bool gl_ci_type_valid(const char *type)
{
    if (!type)
        return false;
    for (size_t i = 0; i < sizeof ci_types / sizeof ci_types[0]; i++)
        if (strcmp(ci_types[i], type) == 0)
            return true;
    return false;
}

void gl_client_init(struct gl_client *c)
{
    memset(c, 0, sizeof *c);
}

void gl_client_release(struct gl_client *c)
{
    if (!c)
        return;
    free(c->key);
    free(c->name);
    free(c->timezone);
    gl_client_init(c);
}

int gl_client_validate(const struct gl_client *c, struct gl_error *err)
{
    if (!gl_client_key_valid(c->key))
        return gl_error_set(err, GL_E_INVALID, "key",
                            "a client key is 1 to 40 of a-z, 0-9 and '-', starting with a "
                            "letter or digit");
    if (!name_ok(c->name, NAME_MAX_LEN))
        return gl_error_set(err, GL_E_INVALID, "name",
                            "a client name is required and at most 200 bytes");
    if (!c->timezone)
        return gl_error_set(err, GL_E_INVALID, "timezone", "a client time zone is required");
    if (!gl_timezone_valid(c->timezone))
        return gl_error_set(err, GL_E_INVALID, "timezone",
                            "a time zone is an IANA name such as \"Europe/London\" or \"UTC\"");
    if (c->notice_hours < 0 || c->notice_hours > NOTICE_MAX_HOURS)
        return gl_error_set(err, GL_E_INVALID, "notice_hours",
                            "notice_hours must be between 0 and 8760");
    return 0;
}

void gl_ci_init(struct gl_ci *ci)
{
    memset(ci, 0, sizeof *ci);
}

void gl_ci_release(struct gl_ci *ci)
{
    if (!ci)
        return;
    free(ci->client_key);
    free(ci->name);
    free(ci->type);
    free(ci->owner);
    gl_attrs_release(&ci->attrs);
    gl_ci_init(ci);
}

static int dup_str(char **dst, const char *src)
{
    *dst = NULL;
    if (src && !(*dst = strdup(src)))
        return -1;
    return 0;
}

int gl_ci_copy(struct gl_ci *dst, const struct gl_ci *src)
{
    *dst = *src;
    dst->attrs = (struct gl_attrs){0};
    if (dup_str(&dst->client_key, src->client_key) | dup_str(&dst->name, src->name) |
        dup_str(&dst->type, src->type) | dup_str(&dst->owner, src->owner) ||
        gl_attrs_copy(&dst->attrs, &src->attrs)) {
        gl_ci_release(dst);
        return -1;
    }
    return 0;
}

/* ---- attributes ----------------------------------------------------------------------- */

static void attr_free(struct gl_attr *v)
{
    free(v->key);
    free(v->str);
}

void gl_attrs_release(struct gl_attrs *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->len; i++)
        attr_free(&a->items[i]);
    free(a->items);
    a->items = NULL;
    a->len = 0;
}

/* The index of key, or where it would go (*found false). */
static size_t attr_find(const struct gl_attrs *a, const char *key, bool *found)
{
    size_t lo = 0, hi = a->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(a->items[mid].key, key);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

int gl_attrs_set(struct gl_attrs *a, const struct gl_attr *v)
{
    struct gl_attr n = *v;
    if (!v->key || dup_str(&n.key, v->key) ||
        (v->kind == GL_ATTR_STRING && dup_str(&n.str, v->str ? v->str : ""))) {
        free(n.key);
        return -1;
    }
    if (v->kind != GL_ATTR_STRING)
        n.str = NULL;
    bool found;
    size_t at = attr_find(a, v->key, &found);
    if (found) {
        assert(at < a->len);
        attr_free(&a->items[at]);
        a->items[at] = n;
        return 0;
    }
    struct gl_attr *items = realloc(a->items, (a->len + 1) * sizeof *items);
    if (!items) {
        attr_free(&n);
        return -1;
    }
    a->items = items;
    memmove(&items[at + 1], &items[at], (a->len - at) * sizeof *items);
    items[at] = n;
    a->len++;
    return 0;
}

void gl_attrs_remove(struct gl_attrs *a, const char *key)
{
    bool found;
    size_t at = attr_find(a, key, &found);
    if (!found)
        return;
    attr_free(&a->items[at]);
    memmove(&a->items[at], &a->items[at + 1], (a->len - at - 1) * sizeof *a->items);
    a->len--;
}

const struct gl_attr *gl_attrs_get(const struct gl_attrs *a, const char *key)
{
    bool found;
    size_t at = attr_find(a, key, &found);
    return found ? &a->items[at] : NULL;
}

int gl_attrs_copy(struct gl_attrs *dst, const struct gl_attrs *src)
{
    *dst = (struct gl_attrs){0};
    for (size_t i = 0; i < src->len; i++)
        if (gl_attrs_set(dst, &src->items[i])) {
            gl_attrs_release(dst);
            return -1;
        }
    return 0;
}

static bool attr_equal(const struct gl_attr *x, const struct gl_attr *y)
{
    if (strcmp(x->key, y->key) != 0 || x->kind != y->kind)
        return false;
    switch (x->kind) {
    case GL_ATTR_STRING:
        return strcmp(x->str, y->str) == 0;
    case GL_ATTR_INT:
        return x->i == y->i;
    case GL_ATTR_REAL:
        return x->d == y->d;
    case GL_ATTR_BOOL:
        return x->b == y->b;
    }
    return false;
}

bool gl_attrs_equal(const struct gl_attrs *a, const struct gl_attrs *b)
{
    if (a->len != b->len)
        return false;
    for (size_t i = 0; i < a->len; i++)
        if (!attr_equal(&a->items[i], &b->items[i]))
            return false;
    return true;
}

bool gl_attr_key_valid(const char *key)
{
    if (!key || !*key || strlen(key) > GL_ATTR_KEY_MAX)
        return false;
    for (; *key; key++)
        if (!is_lower_alnum(*key) && *key != '_' && *key != '.' && *key != '-')
            return false;
    return true;
}

int gl_attrs_validate(const struct gl_attrs *a, struct gl_error *err)
{
    if (a->len > GL_ATTRS_MAX)
        return gl_error_set(err, GL_E_INVALID, "attributes",
                            "a CI has at most %d attributes, not %zu", GL_ATTRS_MAX, a->len);
    for (size_t i = 0; i < a->len; i++) {
        const struct gl_attr *v = &a->items[i];
        if (!gl_attr_key_valid(v->key))
            return gl_error_set(err, GL_E_INVALID, "attributes",
                                "attribute key \"%.80s\" is not 1 to 64 of a-z, 0-9, '_', '.' "
                                "and '-'", v->key ? v->key : "");
        char field[64];
        snprintf(field, sizeof field, "attributes.%s", v->key);
        if (v->kind == GL_ATTR_STRING && strlen(v->str) > GL_ATTR_VALUE_MAX)
            return gl_error_set(err, GL_E_INVALID, field,
                                "attribute %s is longer than %d bytes", v->key, GL_ATTR_VALUE_MAX);
        if (v->kind == GL_ATTR_REAL && !isfinite(v->d))
            return gl_error_set(err, GL_E_INVALID, field, "attribute %s must be a finite number",
                                v->key);
    }
    return 0;
}

/* A JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool json_number_syntax(const char *s, bool *integral)
{
    *integral = true;
    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        while (is_digit(*s))
            s++;
    else
        return false;
    if (*s == '.') {
        *integral = false;
        if (!is_digit(*++s))
            return false;
        while (is_digit(*s))
            s++;
    }
    if (*s == 'e' || *s == 'E') {
        *integral = false;
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!is_digit(*s))
            return false;
        while (is_digit(*s))
            s++;
    }
    return *s == '\0';
}

int gl_attr_from_text(const char *text, struct gl_attr *out)
{
    memset(out, 0, sizeof *out);
    bool integral;
    if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0) {
        out->kind = GL_ATTR_BOOL;
        out->b = text[0] == 't';
        return 0;
    }
    if (json_number_syntax(text, &integral)) {
        errno = 0;
        if (integral) {
            long long v = strtoll(text, NULL, 10);
            if (errno == 0) {
                out->kind = GL_ATTR_INT;
                out->i = v;
                return 0;
            }
        }
        errno = 0;
        double d = strtod(text, NULL);
        if (errno == 0 && isfinite(d)) {
            out->kind = GL_ATTR_REAL;
            out->d = d;
            return 0;
        }
    }
    out->kind = GL_ATTR_STRING;
    return dup_str(&out->str, text);
}

const char *gl_attr_text(const struct gl_attr *v, char *buf, size_t size)
{
    if ((v->kind == GL_ATTR_INT || v->kind == GL_ATTR_REAL) && (!buf || size < 2))
        return ""; /* no room (callers pass at least 32 bytes) */
    switch (v->kind) {
    case GL_ATTR_STRING:
        return v->str;
    case GL_ATTR_INT:
        snprintf(buf, size, "%lld", (long long)v->i);
        return buf;
    case GL_ATTR_REAL:
        /* The shortest form that reads back as the same double. */
        snprintf(buf, size, "%.15g", v->d);
        if (strtod(buf, NULL) != v->d)
            snprintf(buf, size, "%.17g", v->d);
        if (!strpbrk(buf, ".eEn")) /* keep it a real: 2.0 must not come back as 2 */
            snprintf(buf + strlen(buf), size - strlen(buf), ".0");
        return buf;
    case GL_ATTR_BOOL:
        return v->b ? "true" : "false";
    }
    return "";
}

/* The next slot of gl_ci_validate_all's findings, NULL past max (gl_error_set takes NULL);
 * counts the finding either way. */
static struct gl_error *finding(struct gl_error *errs, size_t max, size_t *n)
{
    struct gl_error *e = *n < max ? &errs[*n] : NULL;
    (*n)++;
    return e;
}

size_t gl_ci_validate_all(const struct gl_ci *ci, struct gl_error *errs, size_t max)
{
    size_t n = 0;
    struct gl_error attrs;
    if (ci->client_id < 0)
        gl_error_set(finding(errs, max, &n), GL_E_INVALID, "client",
                     "the client id must not be negative");
    if (!name_ok(ci->name, NAME_MAX_LEN))
        gl_error_set(finding(errs, max, &n), GL_E_INVALID, "name",
                     "a configuration item name is required and at most 200 bytes");
    if (!gl_ci_type_valid(ci->type))
        gl_error_set(finding(errs, max, &n), GL_E_INVALID, "type",
                     "type must be one of server, application, database, network_device, "
                     "service, site, storage, cloud_resource, endpoint, other");
    if (ci->criticality < 1 || ci->criticality > 5)
        gl_error_set(finding(errs, max, &n), GL_E_INVALID, "criticality",
                     "criticality must be between 1 and 5");
    if (ci->users_affected < 0 || ci->users_affected > USERS_MAX)
        gl_error_set(finding(errs, max, &n), GL_E_INVALID, "users_affected",
                     "users_affected must be between 0 and 100000000");
    if (ci->owner && strlen(ci->owner) > NAME_MAX_LEN)
        gl_error_set(finding(errs, max, &n), GL_E_INVALID, "owner",
                     "an owner is at most 200 bytes");
    if (gl_attrs_validate(&ci->attrs, &attrs)) {
        struct gl_error *e = finding(errs, max, &n);
        if (e)
            *e = attrs;
    }
    return n;
}

int gl_ci_validate(const struct gl_ci *ci, struct gl_error *err)
{
    struct gl_error first;
    if (gl_ci_validate_all(ci, &first, 1) == 0)
        return 0;
    if (err)
        *err = first;
    return first.code;
}
