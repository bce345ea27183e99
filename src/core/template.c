/*
 * template.c - standard-change templates: records, validation, fit and revocation
 * (see template.h).
 *
 * Invariants: a template that validates names at least one CI type, all of them known;
 * fit checks refuse with GL_E_PRECONDITION naming the wire field the user would change
 * ("cis", "risk") so the API can offer the change as normal instead.
 */
#include "core/template.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/authz.h"

#include "util/banned.h"

#define NAME_MAX_LEN 200
#define TEXT_MAX_LEN 65536
#define CI_TYPES_MAX 20
#define USERS_MAX 100

void gl_template_init(struct gl_template *t)
{
    memset(t, 0, sizeof *t);
    t->max_risk = GL_RISK_LOW;
    t->revoked_at = GL_TIME_UNSET;
    t->created_at = t->updated_at = GL_TIME_UNSET;
}

void gl_template_release(struct gl_template *t)
{
    if (!t)
        return;
    free(t->client_key);
    free(t->name);
    free(t->description);
    free(t->steps);
    free(t->rollback_plan);
    free(t->test_plan);
    free(t->revoked_reason);
    free(t->created_by);
    gl_strlist_release(&t->ci_types);
    gl_strlist_release(&t->users);
    gl_template_init(t);
}

static int copy_list(struct gl_strlist *dst, const struct gl_strlist *src)
{
    for (size_t i = 0; i < src->len; i++)
        if (gl_strlist_push(dst, src->items[i]))
            return -1;
    return 0;
}

int gl_template_copy(struct gl_template *dst, const struct gl_template *src)
{
    gl_template_release(dst);
    *dst = *src;
    dst->client_key = dst->name = dst->description = dst->steps = NULL;
    dst->rollback_plan = dst->test_plan = dst->revoked_reason = dst->created_by = NULL;
    dst->ci_types = (struct gl_strlist){0};
    dst->users = (struct gl_strlist){0};
    if (gl_change_set_str(&dst->client_key, src->client_key) ||
        gl_change_set_str(&dst->name, src->name) ||
        gl_change_set_str(&dst->description, src->description) ||
        gl_change_set_str(&dst->steps, src->steps) ||
        gl_change_set_str(&dst->rollback_plan, src->rollback_plan) ||
        gl_change_set_str(&dst->test_plan, src->test_plan) ||
        gl_change_set_str(&dst->revoked_reason, src->revoked_reason) ||
        gl_change_set_str(&dst->created_by, src->created_by) ||
        copy_list(&dst->ci_types, &src->ci_types) || copy_list(&dst->users, &src->users)) {
        gl_template_release(dst);
        return GL_E_INTERNAL;
    }
    return 0;
}

static bool has_text(const char *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return true;
    return false;
}

static int check_text(const char *s, const char *field, bool required, size_t max,
                      struct gl_error *err)
{
    if (required && !has_text(s))
        return gl_error_set(err, GL_E_INVALID, field, "a template needs %s", field);
    if (s && strlen(s) > max)
        return gl_error_set(err, GL_E_INVALID, field, "%s is longer than %zu bytes", field, max);
    return 0;
}

int gl_template_validate(const struct gl_template *t, struct gl_error *err)
{
    int rc = check_text(t->name, "name", true, NAME_MAX_LEN, err);
    if (rc || (rc = check_text(t->description, "description", false, TEXT_MAX_LEN, err)) ||
        (rc = check_text(t->steps, "steps", true, TEXT_MAX_LEN, err)) ||
        (rc = check_text(t->rollback_plan, "rollback_plan", true, TEXT_MAX_LEN, err)) ||
        (rc = check_text(t->test_plan, "test_plan", false, TEXT_MAX_LEN, err)))
        return rc;
    if (t->ci_types.len == 0)
        return gl_error_set(err, GL_E_INVALID, "ci_types",
                            "a template must name the CI types it may touch");
    if (t->ci_types.len > CI_TYPES_MAX)
        return gl_error_set(err, GL_E_INVALID, "ci_types", "a template names at most %d CI types",
                            CI_TYPES_MAX);
    for (size_t i = 0; i < t->ci_types.len; i++)
        if (!gl_ci_type_valid(t->ci_types.items[i]))
            return gl_error_set(err, GL_E_INVALID, "ci_types", "unknown CI type %.40s",
                                t->ci_types.items[i]);
    if ((unsigned)t->max_risk >= GL_RISK__COUNT)
        return gl_error_set(err, GL_E_INVALID, "max_risk", "unknown risk level");
    if (t->roles >> GL_ROLE__COUNT)
        return gl_error_set(err, GL_E_INVALID, "roles", "unknown role");
    if (t->users.len > USERS_MAX)
        return gl_error_set(err, GL_E_INVALID, "users", "a template names at most %d users",
                            USERS_MAX);
    for (size_t i = 0; i < t->users.len; i++) {
        const char *u = t->users.items[i];
        if (!u || !*u || strlen(u) >= GL_VOTER_MAX)
            return gl_error_set(err, GL_E_INVALID, "users", "a user name is 1 to %d bytes",
                                GL_VOTER_MAX - 1);
    }
    if (t->client_id < 0)
        return gl_error_set(err, GL_E_INVALID, "client", "unknown client");
    return 0;
}

void gl_template_ident_format(int64_t id, char out[GL_IDENT_MAX])
{
    snprintf(out, GL_IDENT_MAX, "TPL-%06" PRId64, id);
}

int gl_template_ident_parse(const char *s, int64_t *id)
{
    if (!s)
        return -1;
    if (strncasecmp(s, "TPL-", 4) == 0)
        s += 4;
    /* The change parser has the same number rules; reuse it on the bare digits. */
    return gl_change_ident_parse(s, id);
}

enum gl_template_standing gl_template_standing(const struct gl_template *t)
{
    if (!t)
        return GL_TEMPLATE_NONE;
    return t->preapproved && t->revoked_at == GL_TIME_UNSET ? GL_TEMPLATE_GOOD
                                                            : GL_TEMPLATE_NOT_PREAPPROVED;
}

static bool user_listed(const struct gl_template *t, const char *name)
{
    for (size_t i = 0; name && i < t->users.len; i++)
        if (strcmp(t->users.items[i], name) == 0)
            return true;
    return false;
}

int gl_template_check_use(const struct gl_template *t, const struct gl_user *u,
                          int64_t client_id, struct gl_error *err)
{
    char ident[GL_IDENT_MAX];
    gl_template_ident_format(t->id, ident);
    if (t->client_id && t->client_id != client_id)
        return gl_error_set(err, GL_E_INVALID, "template",
                            "%s belongs to another client and cannot be used here", ident);
    if (u->admin || (t->roles == 0 && t->users.len == 0) || user_listed(t, u->name))
        return 0;
    for (int r = 0; r < GL_ROLE__COUNT; r++)
        if ((t->roles & (1u << r)) && gl_authz_has_role(u, (enum gl_role)r, client_id))
            return 0;
    return gl_error_set(err, GL_E_FORBIDDEN, "template",
                        "%s may not use %s: it is reserved for the roles and users it names",
                        u->name ? u->name : "this user", ident);
}

static bool type_allowed(const struct gl_template *t, const char *type)
{
    for (size_t i = 0; type && i < t->ci_types.len; i++)
        if (strcmp(t->ci_types.items[i], type) == 0)
            return true;
    return false;
}

int gl_template_check_cis(const struct gl_template *t, const struct gl_ci *cis, size_t n,
                          struct gl_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (type_allowed(t, cis[i].type))
            continue;
        char ci[GL_IDENT_MAX], tpl[GL_IDENT_MAX];
        gl_ci_ident_format(cis[i].id, ci);
        gl_template_ident_format(t->id, tpl);
        return gl_error_set(err, GL_E_PRECONDITION, "cis",
                            "%s is of type %.40s, which %s does not allow: raise it as a normal "
                            "change",
                            ci, cis[i].type ? cis[i].type : "(none)", tpl);
    }
    return 0;
}

int gl_template_check_risk(const struct gl_template *t, enum gl_risk_level level,
                           struct gl_error *err)
{
    if (level <= t->max_risk)
        return 0;
    char tpl[GL_IDENT_MAX];
    gl_template_ident_format(t->id, tpl);
    return gl_error_set(err, GL_E_PRECONDITION, "risk",
                        "the change's risk is %s, above the %s that %s covers: raise it as a "
                        "normal change",
                        gl_risk_level_name(level), gl_risk_level_name(t->max_risk), tpl);
}

int gl_template_fill_change(const struct gl_template *t, struct gl_change *c,
                            struct gl_error *err)
{
    c->type = GL_TYPE_STANDARD;
    c->template_id = t->id;
    if ((!c->title && gl_change_set_str(&c->title, t->name)) ||
        (!c->description && gl_change_set_str(&c->description, t->description ? t->description
                                                                              : t->name)) ||
        gl_change_set_str(&c->implementation_plan, t->steps) ||
        gl_change_set_str(&c->rollback_plan, t->rollback_plan) ||
        (t->test_plan && gl_change_set_str(&c->test_plan, t->test_plan)))
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    return 0;
}

bool gl_template_should_revoke(int64_t changes, int64_t failures, const struct gl_policy *p,
                               double *rate)
{
    double a = p->prior_failures > 0 ? p->prior_failures : 0;
    double b = p->prior_successes > 0 ? p->prior_successes : 0;
    double denom = (double)changes + a + b;
    double r = denom > 0 ? ((double)failures + a) / denom : 0;
    if (rate)
        *rate = r;
    return changes >= p->template_min_changes && r > p->template_failure_threshold;
}
