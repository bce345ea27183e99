/*
 * user.h - users, their roles per client, and the scope of clients they may see.
 *
 * A grant gives a role on one client (client_id > 0) or on every client (client_id == 0).
 * An admin implicitly holds every role everywhere. Structs own their memory.
 */
#ifndef GL_USER_H
#define GL_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

enum gl_role {
    GL_ROLE_REQUESTER,
    GL_ROLE_IMPLEMENTER,
    GL_ROLE_CHANGE_MANAGER,
    GL_ROLE_CAB_MEMBER,
    GL_ROLE_EMERGENCY_APPROVER,
    GL_ROLE_CLIENT_APPROVER,
    GL_ROLE_AUDITOR,
    GL_ROLE__COUNT
};

struct gl_role_grant {
    enum gl_role role;
    int64_t client_id; /* 0 = all clients */
};

struct gl_user {
    int64_t id;
    char *name;
    bool admin;
    struct gl_role_grant *grants;
    size_t ngrants;
    int64_t created_at;
};

/* The clients a user may see: all, or the listed ids. Owned by whoever fills it. */
struct gl_scope {
    bool all;
    int64_t *client_ids;
    size_t n;
};

void gl_user_init(struct gl_user *u);
void gl_user_release(struct gl_user *u);
/* Adds a grant unless the user already holds it. Returns 0, GL_E_INVALID (bad role or
 * negative client) or GL_E_INTERNAL (no memory). */
int gl_user_add_grant(struct gl_user *u, enum gl_role role, int64_t client_id);
/* Name rules: 1..64 of [A-Za-z0-9._@-]. Returns 0 or GL_E_INVALID. */
int gl_user_validate(const struct gl_user *u, struct gl_error *err);

const char *gl_role_name(enum gl_role r);
/* "change_manager", also accepts "change-manager"; returns 0 or -1. */
int gl_role_parse(const char *s, enum gl_role *out);

/* Derives the user's scope; scope->client_ids is malloc'd (release with gl_scope_release). */
int gl_user_scope(const struct gl_user *u, struct gl_scope *scope);
/* client_id 0 (shared/global) is contained only in an `all` scope. */
bool gl_scope_contains(const struct gl_scope *scope, int64_t client_id);
void gl_scope_release(struct gl_scope *scope);

#endif
