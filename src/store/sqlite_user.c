/*
 * sqlite_user.c - users with their role grants, and API tokens, in SQLite.
 *
 * Invariants:
 *  - a user and its grants are written in one sq_write job together with the audit event;
 *    user names are unique (GL_E_DUPLICATE "name");
 *  - tokens are stored only as hashes, and audit snapshots of a token never include the
 *    hash; a lookup succeeds only for a token neither revoked nor expired at the given time;
 *  - revoking is idempotent: the first revocation is the one on record (and audited);
 *    a revocation limited to an owner reports another owner's token as not found.
 */
#include "store/sqlite_int.h"

#include <jansson.h>

#include "codec/json.h"
#include "core/timefmt.h"

#include "util/banned.h"

/* ---- users and grants -------------------------------------------------------------- */

static const char user_insert_sql[] =
    "INSERT INTO users (name, is_admin, created_at) VALUES (?, ?, ?)";
static const char user_by_name_sql[] =
    "SELECT id, name, is_admin, created_at FROM users WHERE name = ?";
static const char user_exists_sql[] = "SELECT 1 FROM users WHERE id = ?";
static const char grant_add_sql[] =
    "INSERT OR IGNORE INTO user_roles (user_id, role, client_id) VALUES (?, ?, ?)";
static const char grants_sql[] =
    "SELECT role, client_id FROM user_roles WHERE user_id = ? ORDER BY rowid";
static const char token_insert_sql[] =
    "INSERT INTO api_tokens (user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)";
static const char token_lookup_sql[] =
    "SELECT u.id, u.name, u.is_admin, u.created_at FROM api_tokens t "
    "JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL "
    "AND (t.expires_at IS NULL OR t.expires_at > ?)";
static const char token_owner_sql[] = "SELECT user_id, revoked_at FROM api_tokens WHERE id = ?";
static const char token_revoke_sql[] = "UPDATE api_tokens SET revoked_at = ? WHERE id = ?";
static const char token_list_sql[] =
    "SELECT id, user_id, created_at, expires_at, revoked_at FROM api_tokens WHERE user_id = ? "
    "ORDER BY id DESC";

static int load_grants(struct sq_conn *c, struct gl_user *u, struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_USER_GRANTS, grants_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, u->id);
    int rc = 0, src = SQLITE_DONE;
    while (!rc && (src = sqlite3_step(st)) == SQLITE_ROW) {
        enum gl_role role;
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (!name || gl_role_parse(name, &role))
            rc = gl_error_set(err, GL_E_INTERNAL, NULL, "unknown role in database");
        else if (gl_user_add_grant(u, role, sqlite3_column_int64(st, 1)))
            rc = sq_oom(err);
    }
    if (!rc && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "read grants", err);
    sqlite3_reset(st);
    return rc;
}

int sq_user_fetch(struct sq_conn *c, sqlite3_stmt *st, int missing, const char *missing_msg,
                  struct gl_user *out, struct gl_error *err)
{
    int rc = 0, src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        out->id = sqlite3_column_int64(st, 0);
        out->admin = sqlite3_column_int(st, 2) != 0;
        out->created_at = sqlite3_column_int64(st, 3);
        if (sq_col_text(st, 1, &out->name))
            rc = sq_oom(err);
    } else if (src == SQLITE_DONE) {
        rc = gl_error_set(err, missing, NULL, "%s", missing_msg);
    } else {
        rc = sq_error(c, src, NULL, "read user", err);
    }
    sqlite3_reset(st);
    if (!rc)
        rc = load_grants(c, out, err);
    if (rc)
        gl_user_release(out);
    return rc;
}

struct user_write {
    const struct gl_write_ctx *ctx;
    struct gl_user *u;
};

static int user_create_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct user_write *w = arg;
    sqlite3_stmt *ins = sq_stmt(c, SQ_USER_INSERT, user_insert_sql, err);
    sqlite3_stmt *grant = sq_stmt(c, SQ_USER_GRANT_ADD, grant_add_sql, err);
    if (!ins || !grant)
        return GL_E_INTERNAL;
    sq_bind_text(ins, 1, w->u->name);
    sqlite3_bind_int(ins, 2, w->u->admin ? 1 : 0);
    sqlite3_bind_int64(ins, 3, w->ctx->now);
    int rc = sq_exec_stmt(c, ins, "name", "insert user", err);
    if (rc)
        return rc;
    w->u->id = sqlite3_last_insert_rowid(c->db);
    w->u->created_at = w->ctx->now;
    for (size_t i = 0; !rc && i < w->u->ngrants; i++) {
        const struct gl_role_grant *g = &w->u->grants[i];
        sqlite3_bind_int64(grant, 1, w->u->id);
        sq_bind_text(grant, 2, (unsigned)g->role < GL_ROLE__COUNT ? gl_role_name(g->role) : NULL);
        sq_bind_optid(grant, 3, g->client_id);
        rc = sq_exec_stmt(c, grant, "client", "insert grant", err);
    }
    if (rc)
        return rc;
    return sq_audit_json(c, w->ctx, "user.create", "user", w->u->id, 0, NULL,
                         gl_json_user_dump(w->u), false, err);
}

int sq_user_create(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_user *u,
                   struct gl_error *err)
{
    struct user_write w = {ctx, u};
    const int64_t saved_id = u->id, saved_created = u->created_at;
    int rc = sq_with_tx(st, true, user_create_tx, &w, err);
    if (rc) {
        u->id = saved_id;
        u->created_at = saved_created;
    }
    return rc;
}

struct user_read {
    const char *name;
    const unsigned char *hash;
    int64_t now;
    struct gl_user *out;
};

static int user_read_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct user_read *r = arg;
    sqlite3_stmt *st;
    if (r->name) {
        st = sq_stmt(c, SQ_USER_BY_NAME, user_by_name_sql, err);
        if (!st)
            return GL_E_INTERNAL;
        sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
        return sq_user_fetch(c, st, GL_E_NOT_FOUND, "no such user", r->out, err);
    }
    st = sq_stmt(c, SQ_TOKEN_LOOKUP, token_lookup_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_blob(st, 1, r->hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, r->now);
    return sq_user_fetch(c, st, GL_E_UNAUTHORIZED, "the token is unknown, expired or revoked",
                         r->out, err);
}

int sq_user_get(struct gl_store *st, const char *name, struct gl_user *out, struct gl_error *err)
{
    gl_user_init(out);
    if (!name)
        return gl_error_set(err, GL_E_NOT_FOUND, NULL, "no such user");
    struct user_read r = {name, NULL, 0, out};
    return sq_with_tx(st, false, user_read_tx, &r, err);
}

int sq_token_lookup(struct gl_store *st, const unsigned char hash[32], int64_t now,
                    struct gl_user *out, struct gl_error *err)
{
    gl_user_init(out);
    struct user_read r = {NULL, hash, now, out};
    return sq_with_tx(st, false, user_read_tx, &r, err);
}

/* ---- tokens ------------------------------------------------------------------------ */

/* The audit snapshot of a token: never its hash. */
static char *token_json(int64_t id, const char *key, int64_t t)
{
    char when[GL_TIME_STR_MAX];
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "token_id", json_integer(id));
    if (t == GL_TIME_UNSET) {
        json_object_set_new(o, key, json_null());
    } else {
        gl_time_format(t, when);
        json_object_set_new(o, key, json_string(when));
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

struct token_write {
    const struct gl_write_ctx *ctx;
    int64_t user_id; /* create: the owner; revoke: the required owner (0 = any), then the owner */
    const unsigned char *hash;
    int64_t expires_at;
    int64_t token_id;
};

static int token_create_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct token_write *w = arg;
    sqlite3_stmt *ex = sq_stmt(c, SQ_USER_EXISTS, user_exists_sql, err);
    sqlite3_stmt *ins = sq_stmt(c, SQ_TOKEN_INSERT, token_insert_sql, err);
    if (!ex || !ins)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(ex, 1, w->user_id);
    int src = sqlite3_step(ex);
    sqlite3_reset(ex);
    if (src == SQLITE_DONE)
        return gl_error_set(err, GL_E_INVALID, "user", "no such user");
    if (src != SQLITE_ROW)
        return sq_error(c, src, NULL, "read user", err);
    sqlite3_bind_int64(ins, 1, w->user_id);
    sqlite3_bind_blob(ins, 2, w->hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 3, w->ctx->now);
    sq_bind_time(ins, 4, w->expires_at);
    int rc = sq_exec_stmt(c, ins, "token", "insert token", err);
    if (rc)
        return rc;
    w->token_id = sqlite3_last_insert_rowid(c->db);
    return sq_audit_json(c, w->ctx, "token.create", "user", w->user_id, 0, NULL,
                         token_json(w->token_id, "expires_at", w->expires_at), false, err);
}

int sq_token_create(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t user_id,
                    const unsigned char hash[32], int64_t expires_at, int64_t *token_id,
                    struct gl_error *err)
{
    struct token_write w = {ctx, user_id, hash, expires_at, 0};
    int rc = sq_with_tx(st, true, token_create_tx, &w, err);
    if (!rc && token_id)
        *token_id = w.token_id;
    return rc;
}

static int token_revoke_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct token_write *w = arg;
    sqlite3_stmt *own = sq_stmt(c, SQ_TOKEN_OWNER, token_owner_sql, err);
    sqlite3_stmt *upd = sq_stmt(c, SQ_TOKEN_REVOKE, token_revoke_sql, err);
    if (!own || !upd)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(own, 1, w->token_id);
    int src = sqlite3_step(own);
    bool revoked = src == SQLITE_ROW && sqlite3_column_type(own, 1) != SQLITE_NULL;
    int64_t user_id = src == SQLITE_ROW ? sqlite3_column_int64(own, 0) : 0;
    sqlite3_reset(own);
    if (src == SQLITE_DONE || (src == SQLITE_ROW && w->user_id && w->user_id != user_id))
        return gl_error_set(err, GL_E_NOT_FOUND, NULL, "no such token");
    if (src != SQLITE_ROW)
        return sq_error(c, src, NULL, "read token", err);
    w->user_id = user_id;
    if (revoked)
        return 0; /* idempotent: the first revocation is the one on record */
    sqlite3_bind_int64(upd, 1, w->ctx->now);
    sqlite3_bind_int64(upd, 2, w->token_id);
    int rc = sq_exec_stmt(c, upd, NULL, "revoke token", err);
    if (rc)
        return rc;
    return sq_audit_json(c, w->ctx, "token.revoke", "user", user_id, 0,
                         token_json(w->token_id, "revoked_at", GL_TIME_UNSET),
                         token_json(w->token_id, "revoked_at", w->ctx->now), true, err);
}

int sq_token_revoke(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t token_id,
                    struct gl_error *err)
{
    struct token_write w = {ctx, 0, NULL, GL_TIME_UNSET, token_id};
    return sq_with_tx(st, true, token_revoke_tx, &w, err);
}

int sq_token_revoke_owned(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t token_id,
                          int64_t owner_id, int64_t *user_id, struct gl_error *err)
{
    struct token_write w = {ctx, owner_id, NULL, GL_TIME_UNSET, token_id};
    int rc = sq_with_tx(st, true, token_revoke_tx, &w, err);
    if (!rc && user_id)
        *user_id = w.user_id;
    return rc;
}

struct token_read {
    int64_t user_id;
    struct gl_token_list *out;
};

static int token_list_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct token_read *r = arg;
    sqlite3_stmt *st = sq_stmt(c, SQ_TOKEN_LIST, token_list_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, r->user_id);
    size_t cap = 0;
    int rc = 0, src = SQLITE_DONE;
    while (!rc && (src = sqlite3_step(st)) == SQLITE_ROW) {
        if (sq_grow((void **)&r->out->items, r->out->len, &cap, sizeof r->out->items[0])) {
            rc = sq_oom(err);
            break;
        }
        r->out->items[r->out->len++] = (struct gl_token_info){
            .id = sqlite3_column_int64(st, 0),
            .user_id = sqlite3_column_int64(st, 1),
            .created_at = sqlite3_column_int64(st, 2),
            .expires_at = sq_col_time(st, 3),
            .revoked_at = sq_col_time(st, 4),
        };
    }
    if (!rc && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "list tokens", err);
    sqlite3_reset(st);
    return rc;
}

int sq_token_list(struct gl_store *st, int64_t user_id, struct gl_token_list *out,
                  struct gl_error *err)
{
    *out = (struct gl_token_list){0};
    struct token_read r = {user_id, out};
    int rc = sq_with_tx(st, false, token_list_tx, &r, err);
    if (rc)
        gl_token_list_release(out);
    return rc;
}
