/*
 * sqlite_client.c - clients (tenants) in SQLite: create, update, get by key or id, and the
 * list of the clients a scope may see.
 *
 * Invariants:
 *  - every write is one sq_write job together with its audit event (entity "client",
 *    filed under the client itself): it commits or rolls back as a whole;
 *  - updates are optimistic: they apply only while the stored version equals the
 *    caller's `before->version` (else GL_E_STALE) and bump it by one; keys are unique
 *    (GL_E_DUPLICATE "key");
 *  - a failed write leaves the caller's struct as it was (id, version, times restored).
 */
#include "store/sqlite_int.h"

#include "codec/json.h"
#include "util/buf.h"

#include "util/banned.h"

#define CLIENT_COLS                                                                                \
    "id, version, key, name, timezone, notice_hours, requires_signoff, created_at, updated_at"

static const char client_insert_sql[] =
    "INSERT INTO clients (version, key, name, timezone, notice_hours, requires_signoff, "
    "created_at, updated_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?)";
static const char client_update_sql[] =
    "UPDATE clients SET version = version + 1, key = ?, name = ?, timezone = ?, "
    "notice_hours = ?, requires_signoff = ?, updated_at = ? WHERE id = ? AND version = ?";
static const char client_by_key_sql[] = "SELECT " CLIENT_COLS " FROM clients WHERE key = ?";
static const char client_by_id_sql[] = "SELECT " CLIENT_COLS " FROM clients WHERE id = ?";

static int read_client(sqlite3_stmt *st, struct gl_client *out, struct gl_error *err)
{
    out->id = sqlite3_column_int64(st, 0);
    out->version = sqlite3_column_int64(st, 1);
    out->notice_hours = sqlite3_column_int(st, 5);
    out->requires_signoff = sqlite3_column_int(st, 6) != 0;
    out->created_at = sqlite3_column_int64(st, 7);
    out->updated_at = sqlite3_column_int64(st, 8);
    if (sq_col_text(st, 2, &out->key) || sq_col_text(st, 3, &out->name) ||
        sq_col_text(st, 4, &out->timezone))
        return sq_oom(err);
    return 0;
}

/* Steps a single-row client query (already bound) into out. */
static int fetch_client(struct sq_conn *c, sqlite3_stmt *st, struct gl_client *out,
                        struct gl_error *err)
{
    int rc, src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        rc = read_client(st, out, err);
    else if (src == SQLITE_DONE)
        rc = gl_error_set(err, GL_E_NOT_FOUND, NULL, "no such client");
    else
        rc = sq_error(c, src, NULL, "read client", err);
    sqlite3_reset(st);
    if (rc)
        gl_client_release(out);
    return rc;
}

static int load_client_by_id(struct sq_conn *c, int64_t id, struct gl_client *out,
                             struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CLIENT_BY_ID, client_by_id_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, id);
    return fetch_client(c, st, out, err);
}

static void bind_client(sqlite3_stmt *st, const struct gl_client *cl)
{
    sq_bind_text(st, 1, cl->key);
    sq_bind_text(st, 2, cl->name);
    sq_bind_text(st, 3, cl->timezone);
    sqlite3_bind_int(st, 4, cl->notice_hours);
    sqlite3_bind_int(st, 5, cl->requires_signoff ? 1 : 0);
}

struct client_write {
    const struct gl_write_ctx *ctx;
    struct gl_client *cl;
};

static int client_create_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct client_write *w = arg;
    sqlite3_stmt *st = sq_stmt(c, SQ_CLIENT_INSERT, client_insert_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    bind_client(st, w->cl);
    sqlite3_bind_int64(st, 6, w->ctx->now);
    sqlite3_bind_int64(st, 7, w->ctx->now);
    int rc = sq_exec_stmt(c, st, "key", "insert client", err);
    if (rc)
        return rc;
    w->cl->id = sqlite3_last_insert_rowid(c->db);
    w->cl->version = 1;
    w->cl->created_at = w->cl->updated_at = w->ctx->now;
    return sq_audit_json(c, w->ctx, "client.create", "client", w->cl->id, w->cl->id, NULL,
                         gl_json_client_dump(w->cl), false, err);
}

SQ_VERSIONED_ADAPTERS(client, struct gl_client, gl_client_init, gl_client_release,
                      load_client_by_id)

static int client_write(struct sq_conn *c, const struct sq_update *u, struct gl_error *err)
{
    const struct gl_client *stored = u->stored, *cl = u->after;
    sqlite3_stmt *st = sq_stmt(c, SQ_CLIENT_UPDATE, client_update_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    bind_client(st, cl);
    sqlite3_bind_int64(st, 6, cl->updated_at);
    sqlite3_bind_int64(st, 7, stored->id);
    sqlite3_bind_int64(st, 8, stored->version);
    return sq_exec_stmt(c, st, "key", "update client", err);
}

static int client_record(struct sq_conn *c, const struct sq_update *u, struct gl_error *err)
{
    const struct gl_client *stored = u->stored, *cl = u->after;
    return sq_audit_json(c, u->ctx, "client.update", "client", cl->id, cl->id,
                         gl_json_client_dump(stored), gl_json_client_dump(cl), true, err);
}

static const struct sq_versioned client_versioned = {
    SQ_VERSIONED_RECORD(client, struct gl_client),
    .noun = "client",
    .write = client_write,
    .record = client_record,
};

int sq_client_create(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_client *cl,
                     struct gl_error *err)
{
    struct client_write w = {ctx, cl};
    return sq_versioned_write(st, &client_versioned, cl, client_create_tx, &w, err);
}

int sq_client_update(struct gl_store *st, const struct gl_write_ctx *ctx,
                     const struct gl_client *before, struct gl_client *after, struct gl_error *err)
{
    return sq_versioned_update(st, &client_versioned, ctx, before, after, NULL, err);
}

struct client_read {
    const char *key;
    int64_t id;
    struct gl_client *out;
};

static int client_get_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct client_read *r = arg;
    if (!r->key)
        return load_client_by_id(c, r->id, r->out, err);
    sqlite3_stmt *st = sq_stmt(c, SQ_CLIENT_BY_KEY, client_by_key_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_text(st, 1, r->key, -1, SQLITE_STATIC);
    return fetch_client(c, st, r->out, err);
}

int sq_client_get(struct gl_store *st, const char *key, struct gl_client *out, struct gl_error *err)
{
    gl_client_init(out);
    if (!key)
        return gl_error_set(err, GL_E_NOT_FOUND, NULL, "no such client");
    struct client_read r = {key, 0, out};
    return sq_with_tx(st, false, client_get_tx, &r, err);
}

int sq_client_get_by_id(struct gl_store *st, int64_t id, struct gl_client *out,
                        struct gl_error *err)
{
    gl_client_init(out);
    struct client_read r = {NULL, id, out};
    return sq_with_tx(st, false, client_get_tx, &r, err);
}

struct client_list_args {
    const struct gl_scope *scope;
    struct gl_client_list *out;
};

static int client_list_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct client_list_args *a = arg;
    struct gl_buf sql = GL_BUF_INIT;
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc = 0, src;
    if (gl_buf_puts(&sql, "SELECT " CLIENT_COLS " FROM clients WHERE 1") ||
        sq_scope_sql(&sql, " AND id IN (", a->scope) || gl_buf_puts(&sql, " ORDER BY key")) {
        rc = sq_oom(err);
        goto out;
    }
    src = sqlite3_prepare_v2(c->db, gl_buf_str(&sql), -1, &st, NULL);
    if (src != SQLITE_OK) {
        rc = sq_error(c, src, NULL, "prepare client list", err);
        goto out;
    }
    sq_bind_scope(st, 1, a->scope);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (sq_grow((void **)&a->out->items, a->out->len, &cap, sizeof *a->out->items)) {
            rc = sq_oom(err);
            goto out;
        }
        struct gl_client *cl = &a->out->items[a->out->len++];
        gl_client_init(cl);
        rc = read_client(st, cl, err);
        if (rc)
            goto out;
    }
    if (src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "client list", err);
out:
    sqlite3_finalize(st);
    gl_buf_release(&sql);
    return rc;
}

int sq_client_list(struct gl_store *st, const struct gl_scope *scope, struct gl_client_list *out,
                   struct gl_error *err)
{
    out->items = NULL;
    out->len = 0;
    if (scope && !scope->all && scope->n == 0)
        return 0;
    struct client_list_args a = {scope, out};
    int rc = sq_with_tx(st, false, client_list_tx, &a, err);
    if (rc)
        gl_client_list_release(out);
    return rc;
}
