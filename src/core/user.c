/*
 * user.c - users, role grants and the client scope derived from them (see user.h).
 *
 * Invariants: a user never holds the same grant twice; a scope is either `all` (with no
 * list) or a list of distinct client ids > 0. Shared records (client_id 0) are in a scope
 * only when it is `all`: whether a scoped user may see shared infrastructure is the
 * caller's policy, not this file's.
 */
#include "core/user.h"

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define USER_NAME_MAX 64

static const char *const role_names[GL_ROLE__COUNT] = {
    [GL_ROLE_REQUESTER] = "requester",
    [GL_ROLE_IMPLEMENTER] = "implementer",
    [GL_ROLE_CHANGE_MANAGER] = "change_manager",
    [GL_ROLE_CAB_MEMBER] = "cab_member",
    [GL_ROLE_EMERGENCY_APPROVER] = "emergency_approver",
    [GL_ROLE_CLIENT_APPROVER] = "client_approver",
    [GL_ROLE_AUDITOR] = "auditor",
};

void gl_user_init(struct gl_user *u)
{
    memset(u, 0, sizeof *u);
}

void gl_user_release(struct gl_user *u)
{
    if (!u)
        return;
    free(u->name);
    free(u->grants);
    gl_user_init(u);
}

int gl_user_add_grant(struct gl_user *u, enum gl_role role, int64_t client_id)
{
    if ((unsigned)role >= GL_ROLE__COUNT || client_id < 0)
        return GL_E_INVALID;
    for (size_t i = 0; i < u->ngrants; i++)
        if (u->grants[i].role == role && u->grants[i].client_id == client_id)
            return 0;
    struct gl_role_grant *g = realloc(u->grants, (u->ngrants + 1) * sizeof *g);
    if (!g)
        return GL_E_INTERNAL;
    g[u->ngrants].role = role;
    g[u->ngrants].client_id = client_id;
    u->grants = g;
    u->ngrants++;
    return 0;
}

static bool name_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '@' || c == '-';
}

int gl_user_validate(const struct gl_user *u, struct gl_error *err)
{
    const char *msg = "a user name is 1 to 64 of A-Z, a-z, 0-9, '.', '_', '@' and '-'";
    if (!u->name || !*u->name || strlen(u->name) > USER_NAME_MAX)
        return gl_error_set(err, GL_E_INVALID, "name", "%s", msg);
    for (const char *p = u->name; *p; p++)
        if (!name_char_ok(*p))
            return gl_error_set(err, GL_E_INVALID, "name", "%s", msg);
    for (size_t i = 0; i < u->ngrants; i++) {
        if ((unsigned)u->grants[i].role >= GL_ROLE__COUNT)
            return gl_error_set(err, GL_E_INVALID, "role", "unknown role");
        if (u->grants[i].client_id < 0)
            return gl_error_set(err, GL_E_INVALID, "client",
                                "a grant's client id must not "
                                "be negative");
    }
    return 0;
}

const char *gl_role_name(enum gl_role r)
{
    return (unsigned)r < GL_ROLE__COUNT ? role_names[r] : "unknown";
}

/* Compares a wire name with s, where s may spell '_' as '-'. */
static bool role_matches(const char *name, const char *s)
{
    for (; *name && *s; name++, s++) {
        char c = *s == '-' ? '_' : *s;
        if (c != *name)
            return false;
    }
    return *name == *s;
}

int gl_role_parse(const char *s, enum gl_role *out)
{
    if (!s)
        return -1;
    for (int i = 0; i < GL_ROLE__COUNT; i++) {
        if (role_matches(role_names[i], s)) {
            *out = (enum gl_role)i;
            return 0;
        }
    }
    return -1;
}

int gl_user_scope(const struct gl_user *u, struct gl_scope *scope)
{
    memset(scope, 0, sizeof *scope);
    if (u->admin) {
        scope->all = true;
        return 0;
    }
    for (size_t i = 0; i < u->ngrants; i++) {
        if (u->grants[i].client_id == 0) {
            scope->all = true;
            return 0;
        }
    }
    if (!u->ngrants)
        return 0;
    scope->client_ids = calloc(u->ngrants, sizeof *scope->client_ids);
    if (!scope->client_ids)
        return GL_E_INTERNAL;
    for (size_t i = 0; i < u->ngrants; i++)
        if (!gl_scope_contains(scope, u->grants[i].client_id))
            scope->client_ids[scope->n++] = u->grants[i].client_id;
    return 0;
}

bool gl_scope_contains(const struct gl_scope *scope, int64_t client_id)
{
    if (!scope)
        return false;
    if (scope->all)
        return true;
    for (size_t i = 0; i < scope->n; i++)
        if (scope->client_ids[i] == client_id)
            return true;
    return false;
}

void gl_scope_release(struct gl_scope *scope)
{
    if (!scope)
        return;
    free(scope->client_ids);
    memset(scope, 0, sizeof *scope);
}
