/*
 * json.c - records <-> JSON (see json.h).
 *
 * Changes are described by one field table: each wire name with its kind, the offset of
 * its member in struct gl_change, and whether clients may write it. Encoding walks the
 * table; decoding looks each input key up in it. A field whose input value equals its
 * current encoding is a no-op, so a client may send back what it read (read-only fields
 * included) and only real edits are checked and applied.
 */
#include "codec/json.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json_attrs.h"
#include "core/timefmt.h"
#include "util/banned.h"

enum field_kind {
    F_STR,
    F_BOOL,
    F_TIME,
    F_TYPE,
    F_STATE,
    F_OUTCOME,
    F_IDENT,
    F_INT,
    F_CLIENT,
    F_CIS,
    F_CHANGES,
    F_STRINGS,
    F_TEMPLATE,
};

struct field {
    const char *name;
    enum field_kind kind;
    size_t offset;
    bool writable;
};

#define FIELD(name, kind, member, writable) {name, kind, offsetof(struct gl_change, member), writable}

static const struct field change_fields[] = {
    FIELD("id", F_IDENT, id, false),
    FIELD("version", F_INT, version, false),
    FIELD("type", F_TYPE, type, true),
    FIELD("state", F_STATE, state, false),
    FIELD("client", F_CLIENT, client_key, true),
    FIELD("title", F_STR, title, true),
    FIELD("description", F_STR, description, true),
    FIELD("raised_by", F_STR, raised_by, true),
    FIELD("reason", F_STR, reason, true),
    FIELD("expected_return", F_STR, expected_return, true),
    FIELD("risks", F_STR, risks, true),
    FIELD("implementer", F_STR, implementer, true),
    FIELD("resources", F_STR, resources, true),
    FIELD("related_changes", F_CHANGES, related_changes, true),
    FIELD("cis", F_CIS, ci_ids, true),
    FIELD("template", F_TEMPLATE, template_id, false),
    FIELD("implementation_plan", F_STR, implementation_plan, true),
    FIELD("test_plan", F_STR, test_plan, true),
    FIELD("rollback_plan", F_STR, rollback_plan, true),
    FIELD("rollback_tested", F_BOOL, rollback_tested, true),
    FIELD("rollback_evidence", F_STR, rollback_evidence, true),
    FIELD("planned_start", F_TIME, planned_start, true),
    FIELD("planned_end", F_TIME, planned_end, true),
    FIELD("actual_start", F_TIME, actual_start, false),
    FIELD("actual_end", F_TIME, actual_end, false),
    FIELD("outcome", F_OUTCOME, outcome, false),
    FIELD("outcome_notes", F_STR, outcome_notes, false),
    FIELD("incidents", F_STRINGS, incidents, true),
    FIELD("state_reason", F_STR, state_reason, false),
    FIELD("created_by", F_STR, created_by, false),
    FIELD("created_at", F_TIME, created_at, false),
    FIELD("updated_at", F_TIME, updated_at, false),
};

#define NFIELDS (sizeof change_fields / sizeof change_fields[0])

static json_t *json_str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *gl_json_time(int64_t t)
{
    if (t == GL_TIME_UNSET)
        return json_null();
    char buf[GL_TIME_STR_MAX];
    gl_time_format(t, buf);
    return json_string(buf);
}

static json_t *json_idents(const struct gl_idlist *l, void (*fmt)(int64_t, char *))
{
    json_t *arr = json_array();
    for (size_t i = 0; i < l->len; i++) {
        char ident[GL_IDENT_MAX];
        fmt(l->items[i], ident);
        json_array_append_new(arr, json_string(ident));
    }
    return arr;
}

static void change_ident_fmt(int64_t id, char *out)
{
    gl_change_ident_format(id, out);
}

static void ci_ident_fmt(int64_t id, char *out)
{
    gl_ci_ident_format(id, out);
}

static json_t *encode_field(const struct gl_change *c, const struct field *f)
{
    const char *base = (const char *)c + f->offset;
    switch (f->kind) {
    case F_STR:
    case F_CLIENT:
        return json_str_or_null(*(char *const *)base);
    case F_BOOL:
        return json_boolean(*(const bool *)base);
    case F_TIME:
        return gl_json_time(*(const int64_t *)base);
    case F_TYPE:
        return json_string(gl_change_type_name(*(const enum gl_change_type *)base));
    case F_STATE:
        return json_string(gl_change_state_name(*(const enum gl_change_state *)base));
    case F_OUTCOME: {
        enum gl_outcome o = *(const enum gl_outcome *)base;
        return o == GL_OUTCOME_NONE ? json_null() : json_string(gl_outcome_name(o));
    }
    case F_IDENT: {
        char ident[GL_IDENT_MAX];
        gl_change_ident_format(*(const int64_t *)base, ident);
        return json_string(ident);
    }
    case F_INT:
        return json_integer(*(const int64_t *)base);
    case F_TEMPLATE: {
        int64_t id = *(const int64_t *)base;
        char ident[GL_IDENT_MAX];
        snprintf(ident, sizeof ident, "TPL-%06lld", (long long)id);
        return id > 0 ? json_string(ident) : json_null();
    }
    case F_CIS:
        return json_idents((const struct gl_idlist *)base, ci_ident_fmt);
    case F_CHANGES:
        return json_idents((const struct gl_idlist *)base, change_ident_fmt);
    case F_STRINGS: {
        const struct gl_strlist *l = (const struct gl_strlist *)base;
        json_t *arr = json_array();
        for (size_t i = 0; i < l->len; i++)
            json_array_append_new(arr, json_string(l->items[i]));
        return arr;
    }
    }
    return json_null();
}

json_t *gl_json_change(const struct gl_change *c)
{
    json_t *obj = json_object();
    for (size_t i = 0; i < NFIELDS; i++)
        json_object_set_new_nocheck(obj, change_fields[i].name, encode_field(c, &change_fields[i]));
    json_t *review = json_object();
    json_object_set_new_nocheck(review, "summary", json_str_or_null(c->review_summary));
    json_object_set_new_nocheck(review, "lessons", json_str_or_null(c->review_lessons));
    json_object_set_new_nocheck(review, "reviewed_by", json_str_or_null(c->reviewed_by));
    json_object_set_new_nocheck(review, "reviewed_at", gl_json_time(c->reviewed_at));
    json_object_set_new_nocheck(obj, "review", review);
    return obj;
}

static char *dump_and_free(json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    return s;
}

char *gl_json_change_dump(const struct gl_change *c)
{
    return dump_and_free(gl_json_change(c));
}

static const struct field *find_field(const char *name)
{
    for (size_t i = 0; i < NFIELDS; i++)
        if (strcmp(change_fields[i].name, name) == 0)
            return &change_fields[i];
    return NULL;
}

static int expect_string_or_null(const json_t *v, const char *name, struct gl_error *err)
{
    if (json_is_string(v) || json_is_null(v))
        return 0;
    return gl_error_set(err, GL_E_INVALID, name, "%s must be a string or null", name);
}

static int decode_idents(const json_t *v, const char *name, struct gl_idlist *out,
                         int (*parse)(const char *, int64_t *), struct gl_error *err)
{
    if (!json_is_array(v))
        return gl_error_set(err, GL_E_INVALID, name, "%s must be an array of identifiers", name);
    struct gl_idlist list = {0};
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        int64_t id = 0;
        bool ok = json_is_integer(item) ? (id = json_integer_value(item)) > 0
                                        : json_is_string(item) && parse(json_string_value(item), &id) == 0;
        if (!ok || gl_idlist_push(&list, id) < 0) {
            gl_idlist_release(&list);
            return gl_error_set(err, GL_E_INVALID, name, "%s[%zu] is not a valid identifier", name, i);
        }
    }
    gl_idlist_release(out);
    *out = list;
    return 0;
}

static int decode_strings(const json_t *v, const char *name, struct gl_strlist *out,
                          struct gl_error *err)
{
    if (!json_is_array(v))
        return gl_error_set(err, GL_E_INVALID, name, "%s must be an array of strings", name);
    struct gl_strlist list = {0};
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item) || gl_strlist_push(&list, json_string_value(item)) < 0) {
            gl_strlist_release(&list);
            return gl_error_set(err, GL_E_INVALID, name, "%s[%zu] must be a string", name, i);
        }
    }
    gl_strlist_release(out);
    *out = list;
    return 0;
}

static int decode_time(const json_t *v, const char *name, int64_t *out, struct gl_error *err)
{
    if (json_is_null(v)) {
        *out = GL_TIME_UNSET;
        return 0;
    }
    if (!json_is_string(v) || gl_time_parse(json_string_value(v), out) < 0)
        return gl_error_set(err, GL_E_INVALID, name,
                            "%s must be an RFC 3339 time such as 2026-12-05T22:00:00Z", name);
    return 0;
}

static int decode_field(const json_t *v, const struct field *f, struct gl_change *c,
                        struct gl_error *err)
{
    char *base = (char *)c + f->offset;
    switch (f->kind) {
    case F_STR:
    case F_CLIENT:
        if (expect_string_or_null(v, f->name, err))
            return GL_E_INVALID;
        if (gl_change_set_str((char **)base, json_string_value(v)) < 0)
            return gl_error_set(err, GL_E_INTERNAL, f->name, "out of memory");
        return 0;
    case F_BOOL:
        if (!json_is_boolean(v))
            return gl_error_set(err, GL_E_INVALID, f->name, "%s must be true or false", f->name);
        *(bool *)base = json_is_true(v);
        return 0;
    case F_TIME:
        return decode_time(v, f->name, (int64_t *)base, err);
    case F_TYPE:
        if (!json_is_string(v) ||
            gl_change_type_parse(json_string_value(v), (enum gl_change_type *)base) < 0)
            return gl_error_set(err, GL_E_INVALID, f->name,
                                "type must be one of standard, normal, emergency");
        return 0;
    case F_CIS:
        return decode_idents(v, f->name, (struct gl_idlist *)base, gl_ci_ident_parse, err);
    case F_CHANGES:
        return decode_idents(v, f->name, (struct gl_idlist *)base, gl_change_ident_parse, err);
    case F_STRINGS:
        return decode_strings(v, f->name, (struct gl_strlist *)base, err);
    case F_STATE:
    case F_OUTCOME:
    case F_IDENT:
    case F_INT:
    case F_TEMPLATE: /* set only when a change is created from a template */
        break;
    }
    return gl_error_set(err, GL_E_INVALID, f->name, "%s is read-only", f->name);
}

int gl_json_change_apply(const json_t *obj, struct gl_change *c, gl_json_field_check check,
                         void *ud, struct gl_error *err)
{
    if (!json_is_object(obj))
        return gl_error_set(err, GL_E_INVALID, NULL, "the body must be a JSON object");
    json_t *current = gl_json_change(c);
    int rc = 0;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value)
    {
        if (json_equal(value, json_object_get(current, key)))
            continue; /* unchanged: nothing to check or apply */
        const struct field *f = find_field(key);
        if (!f) {
            rc = gl_error_set(err, GL_E_INVALID, key,
                              strcmp(key, "review") == 0
                                  ? "review is written by the review action"
                                  : "unknown field %s",
                              key);
            goto out;
        }
        if (!f->writable) {
            rc = gl_error_set(err, GL_E_INVALID, key, "%s is read-only", key);
            goto out;
        }
        if (check && (rc = check(key, ud, err)) != 0)
            goto out;
        if ((rc = decode_field(value, f, c, err)) != 0)
            goto out;
    }
out:
    json_decref(current);
    return rc;
}

/* ---- clients ---- */

json_t *gl_json_client(const struct gl_client *c)
{
    return json_pack("{s:s?, s:s?, s:s?, s:i, s:b, s:I, s:o, s:o}", "key", c->key, "name", c->name,
                     "timezone", c->timezone, "notice_hours", c->notice_hours, "requires_signoff",
                     c->requires_signoff, "version", (json_int_t)c->version, "created_at",
                     gl_json_time(c->created_at), "updated_at", gl_json_time(c->updated_at));
}

char *gl_json_client_dump(const struct gl_client *c)
{
    return dump_and_free(gl_json_client(c));
}

static int set_str_member(const json_t *v, const char *name, char **dst, struct gl_error *err)
{
    if (!json_is_string(v))
        return gl_error_set(err, GL_E_INVALID, name, "%s must be a string", name);
    if (gl_change_set_str(dst, json_string_value(v)) < 0)
        return gl_error_set(err, GL_E_INTERNAL, name, "out of memory");
    return 0;
}

static int set_int_member(const json_t *v, const char *name, int64_t lo, int64_t hi, int64_t *dst,
                          struct gl_error *err)
{
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return gl_error_set(err, GL_E_INVALID, name,
                            "%s must be an integer from %lld to %lld", name, (long long)lo,
                            (long long)hi);
    *dst = json_integer_value(v);
    return 0;
}

static bool is_readonly_record_key(const char *key)
{
    return strcmp(key, "id") == 0 || strcmp(key, "version") == 0 ||
           strcmp(key, "created_at") == 0 || strcmp(key, "updated_at") == 0;
}

int gl_json_client_apply(const json_t *obj, struct gl_client *c, bool creating,
                         struct gl_error *err)
{
    if (!json_is_object(obj))
        return gl_error_set(err, GL_E_INVALID, NULL, "the body must be a JSON object");
    json_t *current = gl_json_client(c);
    int rc = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        int64_t n = 0;
        if (!creating && json_equal(v, json_object_get(current, key)))
            continue;
        if (strcmp(key, "key") == 0 && creating)
            rc = set_str_member(v, key, &c->key, err);
        else if (strcmp(key, "name") == 0)
            rc = set_str_member(v, key, &c->name, err);
        else if (strcmp(key, "timezone") == 0)
            rc = set_str_member(v, key, &c->timezone, err);
        else if (strcmp(key, "notice_hours") == 0) {
            if ((rc = set_int_member(v, key, 0, 8760, &n, err)) == 0)
                c->notice_hours = (int)n;
        } else if (strcmp(key, "requires_signoff") == 0) {
            if (!json_is_boolean(v))
                rc = gl_error_set(err, GL_E_INVALID, key, "%s must be true or false", key);
            else
                c->requires_signoff = json_is_true(v);
        } else if (strcmp(key, "key") == 0 || is_readonly_record_key(key))
            rc = gl_error_set(err, GL_E_INVALID, key, "%s is read-only", key);
        else
            rc = gl_error_set(err, GL_E_INVALID, key, "unknown field %s", key);
        if (rc)
            break;
    }
    json_decref(current);
    return rc;
}

/* ---- configuration items ---- */

json_t *gl_json_ci(const struct gl_ci *ci)
{
    char ident[GL_IDENT_MAX];
    gl_ci_ident_format(ci->id, ident);
    return json_pack("{s:s, s:s?, s:s?, s:s?, s:i, s:I, s:s?, s:o, s:I, s:o, s:o}", "id", ident,
                     "client", ci->client_key, "name", ci->name, "type", ci->type, "criticality",
                     ci->criticality, "users_affected", (json_int_t)ci->users_affected, "owner",
                     ci->owner, "attributes", gl_json_attrs(&ci->attrs), "version",
                     (json_int_t)ci->version, "created_at", gl_json_time(ci->created_at),
                     "updated_at", gl_json_time(ci->updated_at));
}

char *gl_json_ci_dump(const struct gl_ci *ci)
{
    return dump_and_free(gl_json_ci(ci));
}

int gl_json_ci_apply(const json_t *obj, struct gl_ci *ci, bool creating, struct gl_error *err)
{
    if (!json_is_object(obj))
        return gl_error_set(err, GL_E_INVALID, NULL, "the body must be a JSON object");
    json_t *current = gl_json_ci(ci);
    int rc = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        int64_t n = 0;
        if (!creating && json_equal(v, json_object_get(current, key)))
            continue;
        if (strcmp(key, "client") == 0 && creating) {
            if (json_is_null(v))
                gl_change_set_str(&ci->client_key, NULL);
            else
                rc = set_str_member(v, key, &ci->client_key, err);
        } else if (strcmp(key, "name") == 0)
            rc = set_str_member(v, key, &ci->name, err);
        else if (strcmp(key, "type") == 0)
            rc = set_str_member(v, key, &ci->type, err);
        else if (strcmp(key, "owner") == 0)
            rc = json_is_null(v) ? gl_change_set_str(&ci->owner, NULL)
                                 : set_str_member(v, key, &ci->owner, err);
        else if (strcmp(key, "criticality") == 0) {
            if ((rc = set_int_member(v, key, 1, 5, &n, err)) == 0)
                ci->criticality = (int)n;
        } else if (strcmp(key, "users_affected") == 0)
            rc = set_int_member(v, key, 0, 100000000, &ci->users_affected, err);
        else if (strcmp(key, "attributes") == 0) /* a merge patch: null removes a key */
            rc = gl_json_attrs_apply(v, &ci->attrs, err);
        else if (strcmp(key, "client") == 0 || is_readonly_record_key(key))
            rc = gl_error_set(err, GL_E_INVALID, key, "%s is read-only", key);
        else
            rc = gl_error_set(err, GL_E_INVALID, key, "unknown field %s", key);
        if (rc)
            break;
    }
    json_decref(current);
    return rc;
}

/* ---- users and audit events ---- */

json_t *gl_json_user(const struct gl_user *u)
{
    json_t *roles = json_array();
    for (size_t i = 0; i < u->ngrants; i++) {
        const struct gl_role_grant *g = &u->grants[i];
        json_array_append_new(roles, json_pack("{s:s, s:o}", "role", gl_role_name(g->role),
                                               "client_id",
                                               g->client_id ? json_integer(g->client_id)
                                                            : json_null()));
    }
    return json_pack("{s:I, s:s?, s:b, s:o, s:o}", "id", (json_int_t)u->id, "name", u->name,
                     "admin", u->admin, "roles", roles, "created_at", gl_json_time(u->created_at));
}

char *gl_json_user_dump(const struct gl_user *u)
{
    return dump_and_free(gl_json_user(u));
}

static json_t *parsed_or_null(const char *text)
{
    if (!text)
        return json_null();
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v ? v : json_string(text);
}

json_t *gl_json_audit_event(const struct gl_audit_event *ev)
{
    char hash[2 * GL_AUDIT_HASH_LEN + 1];
    gl_audit_hash_hex(ev->hash, hash);
    return json_pack("{s:I, s:o, s:s?, s:s?, s:s?, s:I, s:s?, s:s?, s:o, s:o, s:s}", "id",
                     (json_int_t)ev->id, "at", gl_json_time(ev->at), "actor", ev->actor, "action",
                     ev->action, "entity", ev->entity, "entity_id", (json_int_t)ev->entity_id,
                     "reason", ev->reason, "request_id", ev->request_id, "before",
                     parsed_or_null(ev->before_json), "after", parsed_or_null(ev->after_json),
                     "hash", hash);
}

json_t *gl_json_audit_export(const struct gl_audit_event *ev, const char *client_key)
{
    char prev[2 * GL_AUDIT_HASH_LEN + 1];
    json_t *obj = gl_json_audit_event(ev);
    if (!obj)
        return NULL;
    gl_audit_hash_hex(ev->prev_hash, prev);
    if (json_object_set_new(obj, "client", client_key ? json_string(client_key) : json_null()) ||
        json_object_set_new(obj, "prev_hash", json_string(prev))) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}
