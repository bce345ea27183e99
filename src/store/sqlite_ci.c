/*
 * sqlite_ci.c - configuration items in SQLite: create, update, get, and the same writes
 * inside an already open write transaction for the bulk import (sq_ci_insert,
 * sq_ci_rewrite); the shared CI row reader (sq_ci_read over SQ_CI_COLS).
 *
 * Invariants:
 *  - every write is one sq_write job together with its audit event (entity "ci", filed
 *    under the CI's client after the write): it commits or rolls back as a whole;
 *  - updates are optimistic: they apply only while the stored version equals the
 *    caller's `before->version` (else GL_E_STALE) and bump it by one;
 *  - a CI with client_id NULL (0 in C) is shared and visible to every scope; any other
 *    client_id must name an existing client (GL_E_INVALID "client");
 *  - attributes are stored as the codec's canonical JSON text (codec/json_attrs.h);
 *  - a failed write leaves the caller's struct as it was (id, version, times restored).
 */
#include "store/sqlite_int.h"

#include <stdlib.h>

#include "codec/json.h"
#include "codec/json_attrs.h"

#include "util/banned.h"

static const char ci_insert_sql[] =
    "INSERT INTO cis (version, client_id, name, type, criticality, users_affected, owner, "
    "updated_at, attributes, created_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char ci_update_sql[] =
    "UPDATE cis SET version = version + 1, client_id = ?, name = ?, type = ?, criticality = ?, "
    "users_affected = ?, owner = ?, updated_at = ?, attributes = ? WHERE id = ? AND version = ?";
static const char ci_get_sql[] = "SELECT " SQ_CI_COLS " WHERE c.id = ?";
static const char client_key_sql[] = "SELECT key FROM clients WHERE id = ?";

int sq_ci_read(sqlite3_stmt *st, struct gl_ci *out, struct gl_error *err)
{
    out->id = sqlite3_column_int64(st, 0);
    out->version = sqlite3_column_int64(st, 1);
    out->client_id = sqlite3_column_int64(st, 2); /* NULL reads as 0: shared */
    out->criticality = sqlite3_column_int(st, 6);
    out->users_affected = sqlite3_column_int64(st, 7);
    out->created_at = sqlite3_column_int64(st, 9);
    out->updated_at = sqlite3_column_int64(st, 10);
    if (sq_col_text(st, 3, &out->client_key) || sq_col_text(st, 4, &out->name) ||
        sq_col_text(st, 5, &out->type) || sq_col_text(st, 8, &out->owner))
        return sq_oom(err);
    if (gl_json_attrs_load((const char *)sqlite3_column_text(st, 11), &out->attrs))
        return gl_error_set(err, GL_E_INTERNAL, NULL, "CI %lld has unreadable attributes",
                            (long long)out->id);
    return 0;
}

static int load_ci(struct sq_conn *c, int64_t id, struct gl_ci *out, struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CI_GET, ci_get_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int rc, src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        rc = sq_ci_read(st, out, err);
    else if (src == SQLITE_DONE)
        rc = gl_error_set(err, GL_E_NOT_FOUND, NULL, "no such configuration item");
    else
        rc = sq_error(c, src, NULL, "read CI", err);
    sqlite3_reset(st);
    if (rc)
        gl_ci_release(out);
    return rc;
}

/* Sets ci->client_key from ci->client_id (NULL for shared); GL_E_INVALID "client" when the
 * client does not exist. */
static int resolve_ci_client(struct sq_conn *c, struct gl_ci *ci, struct gl_error *err)
{
    char *key = NULL;
    if (ci->client_id) {
        sqlite3_stmt *st = sq_stmt(c, SQ_CLIENT_KEY, client_key_sql, err);
        if (!st)
            return GL_E_INTERNAL;
        sqlite3_bind_int64(st, 1, ci->client_id);
        int rc = 0, src = sqlite3_step(st);
        if (src == SQLITE_ROW && sq_col_text(st, 0, &key))
            rc = sq_oom(err);
        else if (src == SQLITE_DONE)
            rc = gl_error_set(err, GL_E_INVALID, "client", "no such client");
        else if (src != SQLITE_ROW)
            rc = sq_error(c, src, NULL, "read client", err);
        sqlite3_reset(st);
        if (rc)
            return rc;
    }
    free(ci->client_key);
    ci->client_key = key;
    return 0;
}

/* Binds 1..8; the attributes' text goes with the statement (SQLITE_TRANSIENT). */
static int bind_ci(sqlite3_stmt *st, const struct gl_ci *ci, int64_t now, struct gl_error *err)
{
    bool oom;
    char *attrs = gl_json_attrs_dump(&ci->attrs, &oom);
    if (oom)
        return sq_oom(err);
    sq_bind_optid(st, 1, ci->client_id);
    sq_bind_text(st, 2, ci->name);
    sq_bind_text(st, 3, ci->type);
    sqlite3_bind_int(st, 4, ci->criticality);
    sqlite3_bind_int64(st, 5, ci->users_affected);
    sq_bind_text(st, 6, ci->owner);
    sqlite3_bind_int64(st, 7, now);
    if (attrs)
        sqlite3_bind_text(st, 8, attrs, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 8);
    free(attrs);
    return 0;
}

struct ci_write {
    const struct gl_write_ctx *ctx;
    struct gl_ci *ci;
};

static int ci_create_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct ci_write *w = arg;
    int rc = resolve_ci_client(c, w->ci, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_CI_INSERT, ci_insert_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    if ((rc = bind_ci(st, w->ci, w->ctx->now, err)) != 0)
        return rc;
    sqlite3_bind_int64(st, 9, w->ctx->now);
    rc = sq_exec_stmt(c, st, "client", "insert CI", err);
    if (rc)
        return rc;
    w->ci->id = sqlite3_last_insert_rowid(c->db);
    w->ci->version = 1;
    w->ci->created_at = w->ci->updated_at = w->ctx->now;
    return sq_audit_json(c, w->ctx, "ci.create", "ci", w->ci->id, w->ci->client_id, NULL,
                         gl_json_ci_dump(w->ci), false, err);
}

SQ_VERSIONED_ADAPTERS(ci, struct gl_ci, gl_ci_init, gl_ci_release, load_ci)

static int ci_prepare(struct sq_conn *c, const struct sq_update *u, struct gl_error *err)
{
    return resolve_ci_client(c, u->after, err);
}

static int ci_write(struct sq_conn *c, const struct sq_update *u, struct gl_error *err)
{
    const struct gl_ci *stored = u->stored, *ci = u->after;
    sqlite3_stmt *st = sq_stmt(c, SQ_CI_UPDATE, ci_update_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    int rc = bind_ci(st, ci, ci->updated_at, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 9, stored->id);
    sqlite3_bind_int64(st, 10, stored->version);
    return sq_exec_stmt(c, st, "client", "update CI", err);
}

/* Filed under the new owner; a move between clients shows in before/after. */
static int ci_record(struct sq_conn *c, const struct sq_update *u, struct gl_error *err)
{
    const struct gl_ci *stored = u->stored, *ci = u->after;
    return sq_audit_json(c, u->ctx, "ci.update", "ci", ci->id, ci->client_id,
                         gl_json_ci_dump(stored), gl_json_ci_dump(ci), true, err);
}

static const struct sq_versioned ci_versioned = {
    SQ_VERSIONED_RECORD(ci, struct gl_ci),
    .noun = "CI",
    .prepare = ci_prepare,
    .write = ci_write,
    .record = ci_record,
};

int sq_ci_create(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_ci *ci,
                 struct gl_error *err)
{
    struct ci_write w = {ctx, ci};
    return sq_versioned_write(st, &ci_versioned, ci, ci_create_tx, &w, err);
}

int sq_ci_update(struct gl_store *st, const struct gl_write_ctx *ctx, const struct gl_ci *before,
                 struct gl_ci *after, struct gl_error *err)
{
    return sq_versioned_update(st, &ci_versioned, ctx, before, after, NULL, err);
}

int sq_ci_load(struct sq_conn *c, int64_t id, struct gl_ci *out, struct gl_error *err)
{
    return load_ci(c, id, out, err);
}

int sq_ci_insert(struct sq_conn *c, const struct gl_write_ctx *ctx, struct gl_ci *ci,
                 struct gl_error *err)
{
    struct ci_write w = {ctx, ci};
    return ci_create_tx(c, &w, err);
}

int sq_ci_rewrite(struct sq_conn *c, const struct gl_write_ctx *ctx, const struct gl_ci *before,
                  struct gl_ci *after, struct gl_error *err)
{
    return sq_versioned_update_conn(c, &ci_versioned, ctx, before, after, NULL, err);
}

struct ci_get_args {
    int64_t id;
    struct gl_ci *out;
};

static int ci_get_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct ci_get_args *a = arg;
    return load_ci(c, a->id, a->out, err);
}

int sq_ci_get(struct gl_store *st, int64_t id, struct gl_ci *out, struct gl_error *err)
{
    gl_ci_init(out);
    struct ci_get_args a = {id, out};
    return sq_with_tx(st, false, ci_get_tx, &a, err);
}
