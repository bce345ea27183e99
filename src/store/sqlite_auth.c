/*
 * sqlite_auth.c - passwords, browser sessions and failed-login bookkeeping in SQLite.
 *
 * Invariants:
 *  - a password is stored only as crypto_pwhash_str output; audit snapshots say whether a
 *    user has one, never what it is;
 *  - a session is stored by the hash of its cookie, never the cookie; setting or clearing a
 *    password ends every open session of the user in the same transaction;
 *  - a session lookup succeeds only for a session neither revoked nor expired at `now`;
 *    sessions expired for a day are deleted when the next one is created;
 *  - login failures are rows (key, at) pruned a day after they happened, so the table
 *    stays small however many names an attacker tries.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/timefmt.h"

#include "util/banned.h"

#define FAILURE_KEEP_S 86400

static const char user_credentials_sql[] =
    "SELECT id, name, is_admin, created_at, password_hash FROM users WHERE name = ?";
static const char user_by_id_sql[] =
    "SELECT id, name, is_admin, created_at FROM users WHERE id = ?";
static const char user_set_password_sql[] = "UPDATE users SET password_hash = ? WHERE id = ?";
static const char session_insert_sql[] =
    "INSERT INTO sessions (user_id, token_hash, csrf_token, created_at, expires_at) "
    "VALUES (?, ?, ?, ?, ?)";
static const char session_lookup_sql[] =
    "SELECT id, user_id, csrf_token, created_at, expires_at FROM sessions "
    "WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?";
static const char session_get_sql[] =
    "SELECT id, user_id, revoked_at FROM sessions WHERE token_hash = ?";
static const char session_revoke_sql[] = "UPDATE sessions SET revoked_at = ? WHERE id = ?";
static const char session_end_all_sql[] =
    "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL";
static const char session_prune_sql[] = "DELETE FROM sessions WHERE expires_at < ?";
static const char failure_insert_sql[] = "INSERT INTO login_failures (key, at) VALUES (?, ?)";
static const char failure_prune_sql[] = "DELETE FROM login_failures WHERE at < ?";
static const char failure_count_sql[] =
    "SELECT count(*), min(at) FROM login_failures WHERE key = ? AND at >= ?";
static const char failure_clear_sql[] = "DELETE FROM login_failures WHERE key = ?";

/* A small audit snapshot: {"key": value-or-null, ...} from (key, value) pairs. */
static char *snapshot(const char *k1, json_t *v1, const char *k2, json_t *v2)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, k1, v1 ? v1 : json_null());
    if (k2)
        json_object_set_new(o, k2, v2 ? v2 : json_null());
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

static json_t *time_json(int64_t t)
{
    char when[GL_TIME_STR_MAX];
    if (t == GL_TIME_UNSET)
        return json_null();
    gl_time_format(t, when);
    return json_string(when);
}

/* ---- passwords ----------------------------------------------------------------------- */

struct password_write {
    const struct gl_write_ctx *ctx;
    int64_t user_id;
    const char *hash;
};

static int set_password_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct password_write *w = arg;
    sqlite3_stmt *upd = sq_stmt(c, SQ_USER_SET_PASSWORD, user_set_password_sql, err);
    sqlite3_stmt *end = sq_stmt(c, SQ_SESSION_END_ALL, session_end_all_sql, err);
    if (!upd || !end)
        return GL_E_INTERNAL;
    sq_bind_text(upd, 1, w->hash);
    sqlite3_bind_int64(upd, 2, w->user_id);
    int rc = sq_exec_stmt(c, upd, NULL, "set password", err);
    if (rc)
        return rc;
    if (sqlite3_changes(c->db) == 0)
        return gl_error_set(err, GL_E_NOT_FOUND, NULL, "no such user");
    sqlite3_bind_int64(end, 1, w->ctx->now);
    sqlite3_bind_int64(end, 2, w->user_id);
    rc = sq_exec_stmt(c, end, NULL, "end sessions", err);
    if (rc)
        return rc;
    return sq_audit_json(c, w->ctx, "user.password", "user", w->user_id, 0, NULL,
                         snapshot("password", json_boolean(w->hash != NULL), NULL, NULL), false,
                         err);
}

int sq_user_set_password(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t user_id,
                         const char *hash, struct gl_error *err)
{
    struct password_write w = {ctx, user_id, hash};
    return sq_with_tx(st, true, set_password_tx, &w, err);
}

struct credentials_read {
    const char *name;
    struct gl_user *out;
    char **hash;
};

static int credentials_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct credentials_read *r = arg;
    sqlite3_stmt *st = sq_stmt(c, SQ_USER_CREDENTIALS, user_credentials_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
    int src = sqlite3_step(st);
    int rc = 0;
    if (src == SQLITE_ROW && sq_col_text(st, 4, r->hash))
        rc = sq_oom(err);
    sqlite3_reset(st);
    if (rc)
        return rc;
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return sq_error(c, src, NULL, "read user", err);
    /* the same statement again, through the shared reader that also loads the grants */
    sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
    return sq_user_fetch(c, st, GL_E_NOT_FOUND, "no such user", r->out, err);
}

int sq_user_credentials(struct gl_store *st, const char *name, struct gl_user *out, char **hash,
                        struct gl_error *err)
{
    gl_user_init(out);
    *hash = NULL;
    if (!name)
        return gl_error_set(err, GL_E_NOT_FOUND, NULL, "no such user");
    struct credentials_read r = {name, out, hash};
    int rc = sq_with_tx(st, false, credentials_tx, &r, err);
    if (rc) {
        free(*hash);
        *hash = NULL;
    }
    return rc;
}

/* ---- sessions ------------------------------------------------------------------------ */

struct session_write {
    const struct gl_write_ctx *ctx;
    int64_t user_id;
    const unsigned char *hash;
    const char *csrf;
    int64_t expires_at;
    int64_t session_id;
};

static int session_create_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct session_write *w = arg;
    sqlite3_stmt *prune = sq_stmt(c, SQ_SESSION_PRUNE, session_prune_sql, err);
    sqlite3_stmt *ins = sq_stmt(c, SQ_SESSION_INSERT, session_insert_sql, err);
    if (!prune || !ins)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(prune, 1, w->ctx->now - 86400);
    int rc = sq_exec_stmt(c, prune, NULL, "prune sessions", err);
    if (rc)
        return rc;
    sqlite3_bind_int64(ins, 1, w->user_id);
    sqlite3_bind_blob(ins, 2, w->hash, 32, SQLITE_STATIC);
    sq_bind_text(ins, 3, w->csrf);
    sqlite3_bind_int64(ins, 4, w->ctx->now);
    sqlite3_bind_int64(ins, 5, w->expires_at);
    rc = sq_exec_stmt(c, ins, "user", "insert session", err);
    if (rc)
        return rc;
    w->session_id = sqlite3_last_insert_rowid(c->db);
    return sq_audit_json(
        c, w->ctx, "session.create", "user", w->user_id, 0, NULL,
        snapshot("session_id", json_integer(w->session_id), "expires_at", time_json(w->expires_at)),
        false, err);
}

int sq_session_create(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t user_id,
                      const unsigned char hash[32], const char *csrf_token, int64_t expires_at,
                      int64_t *session_id, struct gl_error *err)
{
    if (!csrf_token || strlen(csrf_token) >= GL_CSRF_MAX)
        return gl_error_set(err, GL_E_INVALID, "csrf_token", "a CSRF token is required");
    struct session_write w = {ctx, user_id, hash, csrf_token, expires_at, 0};
    int rc = sq_with_tx(st, true, session_create_tx, &w, err);
    if (!rc && session_id)
        *session_id = w.session_id;
    return rc;
}

struct session_read {
    const unsigned char *hash;
    int64_t now;
    struct gl_user *out;
    struct gl_session *s;
};

static int session_lookup_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    static const char gone[] = "the session is unknown, expired or ended";
    struct session_read *r = arg;
    sqlite3_stmt *st = sq_stmt(c, SQ_SESSION_LOOKUP, session_lookup_sql, err);
    sqlite3_stmt *user = sq_stmt(c, SQ_USER_BY_ID, user_by_id_sql, err);
    if (!st || !user)
        return GL_E_INTERNAL;
    sqlite3_bind_blob(st, 1, r->hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, r->now);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        const unsigned char *csrf = sqlite3_column_text(st, 2);
        r->s->id = sqlite3_column_int64(st, 0);
        r->s->user_id = sqlite3_column_int64(st, 1);
        snprintf(r->s->csrf_token, sizeof r->s->csrf_token, "%s", csrf ? (const char *)csrf : "");
        r->s->created_at = sqlite3_column_int64(st, 3);
        r->s->expires_at = sqlite3_column_int64(st, 4);
    }
    sqlite3_reset(st);
    if (src == SQLITE_DONE)
        return gl_error_set(err, GL_E_UNAUTHORIZED, NULL, gone);
    if (src != SQLITE_ROW)
        return sq_error(c, src, NULL, "read session", err);
    sqlite3_bind_int64(user, 1, r->s->user_id);
    return sq_user_fetch(c, user, GL_E_UNAUTHORIZED, gone, r->out, err);
}

int sq_session_lookup(struct gl_store *st, const unsigned char hash[32], int64_t now,
                      struct gl_user *out, struct gl_session *s, struct gl_error *err)
{
    gl_user_init(out);
    *s = (struct gl_session){0};
    struct session_read r = {hash, now, out, s};
    return sq_with_tx(st, false, session_lookup_tx, &r, err);
}

static int session_revoke_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct session_write *w = arg;
    sqlite3_stmt *get = sq_stmt(c, SQ_SESSION_GET, session_get_sql, err);
    sqlite3_stmt *upd = sq_stmt(c, SQ_SESSION_REVOKE, session_revoke_sql, err);
    if (!get || !upd)
        return GL_E_INTERNAL;
    sqlite3_bind_blob(get, 1, w->hash, 32, SQLITE_STATIC);
    int src = sqlite3_step(get);
    bool revoked = src == SQLITE_ROW && sqlite3_column_type(get, 2) != SQLITE_NULL;
    if (src == SQLITE_ROW) {
        w->session_id = sqlite3_column_int64(get, 0);
        w->user_id = sqlite3_column_int64(get, 1);
    }
    sqlite3_reset(get);
    if (src == SQLITE_DONE)
        return gl_error_set(err, GL_E_NOT_FOUND, NULL, "no such session");
    if (src != SQLITE_ROW)
        return sq_error(c, src, NULL, "read session", err);
    if (revoked)
        return 0;
    sqlite3_bind_int64(upd, 1, w->ctx->now);
    sqlite3_bind_int64(upd, 2, w->session_id);
    int rc = sq_exec_stmt(c, upd, NULL, "end session", err);
    if (rc)
        return rc;
    return sq_audit_json(
        c, w->ctx, "session.revoke", "user", w->user_id, 0, NULL,
        snapshot("session_id", json_integer(w->session_id), "revoked_at", time_json(w->ctx->now)),
        false, err);
}

int sq_session_revoke(struct gl_store *st, const struct gl_write_ctx *ctx,
                      const unsigned char hash[32], struct gl_error *err)
{
    struct session_write w = {ctx, 0, hash, NULL, 0, 0};
    return sq_with_tx(st, true, session_revoke_tx, &w, err);
}

/* ---- failed logins ------------------------------------------------------------------- */

struct failure_op {
    const char *key;
    int64_t at; /* add: the failure's time; count: the window's start */
    int count;
    int64_t earliest;
};

static int failure_add_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct failure_op *f = arg;
    sqlite3_stmt *prune = sq_stmt(c, SQ_FAILURE_PRUNE, failure_prune_sql, err);
    sqlite3_stmt *ins = sq_stmt(c, SQ_FAILURE_INSERT, failure_insert_sql, err);
    if (!prune || !ins)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(prune, 1, f->at - FAILURE_KEEP_S);
    int rc = sq_exec_stmt(c, prune, NULL, "prune login failures", err);
    if (rc)
        return rc;
    sq_bind_text(ins, 1, f->key);
    sqlite3_bind_int64(ins, 2, f->at);
    return sq_exec_stmt(c, ins, NULL, "record login failure", err);
}

int sq_login_failure_add(struct gl_store *st, const char *key, int64_t at, struct gl_error *err)
{
    struct failure_op f = {key, at, 0, 0};
    return sq_with_tx(st, true, failure_add_tx, &f, err);
}

static int failure_count_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct failure_op *f = arg;
    sqlite3_stmt *st = sq_stmt(c, SQ_FAILURE_COUNT, failure_count_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sq_bind_text(st, 1, f->key);
    sqlite3_bind_int64(st, 2, f->at);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        f->count = sqlite3_column_int(st, 0);
        f->earliest = sq_col_time(st, 1);
    }
    sqlite3_reset(st);
    return src == SQLITE_ROW ? 0 : sq_error(c, src, NULL, "count login failures", err);
}

int sq_login_failure_count(struct gl_store *st, const char *key, int64_t since, int *count,
                           int64_t *earliest, struct gl_error *err)
{
    struct failure_op f = {key, since, 0, GL_TIME_UNSET};
    int rc = sq_with_tx(st, false, failure_count_tx, &f, err);
    *count = rc ? 0 : f.count;
    if (earliest)
        *earliest = rc ? GL_TIME_UNSET : f.earliest;
    return rc;
}

static int failure_clear_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct failure_op *f = arg;
    sqlite3_stmt *st = sq_stmt(c, SQ_FAILURE_CLEAR, failure_clear_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sq_bind_text(st, 1, f->key);
    return sq_exec_stmt(c, st, NULL, "clear login failures", err);
}

int sq_login_failure_clear(struct gl_store *st, const char *key, struct gl_error *err)
{
    struct failure_op f = {key, 0, 0, 0};
    return sq_with_tx(st, true, failure_clear_tx, &f, err);
}
