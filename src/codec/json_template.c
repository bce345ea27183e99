/*
 * json_template.c - templates, approval status and votes <-> JSON (see json_template.h).
 *
 * Invariant: a template encodes and decodes through one table of its writable members,
 * and sending back what was read changes nothing (equal values are skipped before any
 * check), exactly like the change codec.
 */
#include "codec/json_template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timefmt.h"

#include "util/banned.h"

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *time_or_null(int64_t t)
{
    if (t == GL_TIME_UNSET)
        return json_null();
    char buf[GL_TIME_STR_MAX];
    gl_time_format(t, buf);
    return json_string(buf);
}

json_t *gl_json_strlist(const struct gl_strlist *l)
{
    json_t *a = json_array();
    for (size_t i = 0; i < l->len; i++)
        json_array_append_new(a, json_string(l->items[i]));
    return a;
}

json_t *gl_json_role_mask(unsigned roles)
{
    json_t *a = json_array();
    for (int r = 0; r < GL_ROLE__COUNT; r++)
        if (roles & (1u << r))
            json_array_append_new(a, json_string(gl_role_name((enum gl_role)r)));
    return a;
}

int gl_json_strlist_parse(const json_t *v, const char *field, struct gl_strlist *out,
                          struct gl_error *err)
{
    if (!json_is_array(v))
        return gl_error_set(err, GL_E_INVALID, field, "%s must be an array of strings", field);
    struct gl_strlist l = {0};
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item) || gl_strlist_push(&l, json_string_value(item))) {
            gl_strlist_release(&l);
            return gl_error_set(err, GL_E_INVALID, field, "%s[%zu] must be a string", field, i);
        }
    }
    gl_strlist_release(out);
    *out = l;
    return 0;
}

int gl_json_role_mask_parse(const json_t *v, const char *field, unsigned *out,
                            struct gl_error *err)
{
    if (!json_is_array(v))
        return gl_error_set(err, GL_E_INVALID, field, "%s must be an array of role names", field);
    unsigned mask = 0;
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        enum gl_role r;
        if (!json_is_string(item) || gl_role_parse(json_string_value(item), &r) < 0)
            return gl_error_set(err, GL_E_INVALID, field, "%s[%zu] is not a role", field, i);
        mask |= 1u << r;
    }
    *out = mask;
    return 0;
}

json_t *gl_json_template(const struct gl_template *t)
{
    char ident[GL_IDENT_MAX];
    gl_template_ident_format(t->id, ident);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(ident));
    json_object_set_new(o, "version", json_integer(t->version));
    json_object_set_new(o, "client", str_or_null(t->client_key));
    json_object_set_new(o, "name", str_or_null(t->name));
    json_object_set_new(o, "description", str_or_null(t->description));
    json_object_set_new(o, "steps", str_or_null(t->steps));
    json_object_set_new(o, "rollback_plan", str_or_null(t->rollback_plan));
    json_object_set_new(o, "test_plan", str_or_null(t->test_plan));
    json_object_set_new(o, "ci_types", gl_json_strlist(&t->ci_types));
    json_object_set_new(o, "max_risk", json_string(gl_risk_level_name(t->max_risk)));
    json_object_set_new(o, "roles", gl_json_role_mask(t->roles));
    json_object_set_new(o, "users", gl_json_strlist(&t->users));
    json_object_set_new(o, "preapproved", json_boolean(t->preapproved));
    json_object_set_new(o, "standing", json_string(gl_template_standing(t) == GL_TEMPLATE_GOOD
                                                       ? "good"
                                                       : "not_preapproved"));
    json_object_set_new(o, "revoked_at", time_or_null(t->revoked_at));
    json_object_set_new(o, "revoked_reason", str_or_null(t->revoked_reason));
    json_object_set_new(o, "created_by", str_or_null(t->created_by));
    json_object_set_new(o, "created_at", time_or_null(t->created_at));
    json_object_set_new(o, "updated_at", time_or_null(t->updated_at));
    return o;
}

char *gl_json_template_dump(const struct gl_template *t)
{
    json_t *o = gl_json_template(t);
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

static int set_text(const json_t *v, const char *field, char **dst, struct gl_error *err)
{
    if (!json_is_string(v) && !json_is_null(v))
        return gl_error_set(err, GL_E_INVALID, field, "%s must be a string or null", field);
    if (gl_change_set_str(dst, json_string_value(v)))
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    return 0;
}

static int apply_one(const char *key, const json_t *v, struct gl_template *t, bool creating,
                     struct gl_error *err)
{
    if (strcmp(key, "client") == 0) {
        if (!creating)
            return gl_error_set(err, GL_E_INVALID, key,
                                "client cannot be changed after a template is created");
        return set_text(v, key, &t->client_key, err);
    }
    if (strcmp(key, "name") == 0)
        return set_text(v, key, &t->name, err);
    if (strcmp(key, "description") == 0)
        return set_text(v, key, &t->description, err);
    if (strcmp(key, "steps") == 0)
        return set_text(v, key, &t->steps, err);
    if (strcmp(key, "rollback_plan") == 0)
        return set_text(v, key, &t->rollback_plan, err);
    if (strcmp(key, "test_plan") == 0)
        return set_text(v, key, &t->test_plan, err);
    if (strcmp(key, "ci_types") == 0)
        return gl_json_strlist_parse(v, key, &t->ci_types, err);
    if (strcmp(key, "users") == 0)
        return gl_json_strlist_parse(v, key, &t->users, err);
    if (strcmp(key, "roles") == 0)
        return gl_json_role_mask_parse(v, key, &t->roles, err);
    if (strcmp(key, "max_risk") == 0) {
        if (!json_is_string(v) || gl_risk_level_parse(json_string_value(v), &t->max_risk) < 0)
            return gl_error_set(err, GL_E_INVALID, key,
                                "max_risk must be one of low, moderate, high, critical");
        return 0;
    }
    if (strcmp(key, "preapproved") == 0) {
        if (!json_is_boolean(v))
            return gl_error_set(err, GL_E_INVALID, key, "preapproved must be true or false");
        t->preapproved = json_is_true(v);
        return 0;
    }
    static const char *const read_only[] = {"id",         "version",        "standing",
                                            "revoked_at", "revoked_reason", "created_by",
                                            "created_at", "updated_at"};
    for (size_t i = 0; i < sizeof read_only / sizeof read_only[0]; i++)
        if (strcmp(key, read_only[i]) == 0)
            return gl_error_set(err, GL_E_INVALID, key, "%s is read-only", key);
    return gl_error_set(err, GL_E_INVALID, key, "unknown field %s", key);
}

int gl_json_template_apply(const json_t *obj, struct gl_template *t, bool creating,
                           struct gl_error *err)
{
    if (!json_is_object(obj))
        return gl_error_set(err, GL_E_INVALID, NULL, "the body must be a JSON object");
    json_t *current = creating ? NULL : gl_json_template(t);
    const char *key;
    json_t *v;
    int rc = 0;
    json_object_foreach((json_t *)obj, key, v)
    {
        if (current && json_equal(v, json_object_get(current, key)))
            continue;
        if ((rc = apply_one(key, v, t, creating, err)))
            break;
    }
    json_decref(current);
    return rc;
}

/* ---- approvals ------------------------------------------------------------------------- */

json_t *gl_json_approval_status(const struct gl_approval_route *r,
                                const struct gl_approval_status *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "tier", json_string(gl_approval_tier_name(r->tier)));
    json_object_set_new(o, "level", json_string(gl_risk_level_name(r->level)));
    json_object_set_new(o, "routed_as_normal", json_boolean(r->routed_as_normal));
    json_t *stages = json_array(), *missing = json_array();
    for (int i = 0; i < r->nstages; i++) {
        enum gl_approval_stage st = r->stages[i].stage;
        int miss = gl_approval_missing(s, st);
        json_array_append_new(stages, json_pack("{s:s, s:i, s:i, s:i, s:s, s:s}", "stage",
                                                gl_approval_stage_name(st), "quorum",
                                                r->stages[i].quorum, "approvals", s->have[st],
                                                "missing", miss, "rule", r->stages[i].rule,
                                                "reason", r->stages[i].reason));
        if (miss)
            json_array_append_new(missing, json_string(gl_approval_stage_name(st)));
    }
    json_object_set_new(o, "stages", stages);
    json_object_set_new(o, "round", json_integer(s->round));
    json_object_set_new(o, "satisfied", json_boolean(s->satisfied));
    json_object_set_new(o, "missing", missing);
    json_object_set_new(o, "rejected_by", str_or_null(s->rejection ? s->rejection->user : NULL));
    json_object_set_new(o, "client_signoff",
                        json_pack("{s:b, s:o, s:s}", "required", r->signoff, "rule",
                                  str_or_null(r->signoff_rule[0] ? r->signoff_rule : NULL),
                                  "reason", r->signoff_reason));
    return o;
}

json_t *gl_json_approval_vote(const struct gl_approval_vote *v)
{
    json_t *o = json_object();
    json_object_set_new(o, "round", json_integer(v->round));
    json_object_set_new(o, "user", json_string(v->user));
    json_object_set_new(o, "as", json_string(gl_approval_stage_name(v->stage)));
    json_object_set_new(o, "decision", json_string(gl_vote_decision_name(v->decision)));
    json_object_set_new(o, "comment", str_or_null(v->comment));
    json_object_set_new(o, "assessed_at", time_or_null(v->assessed_at));
    json_object_set_new(o, "at", time_or_null(v->at));
    return o;
}
