/*
 * sqlite_misc.c - clients and configuration items (create, update, get; the client list),
 * the audit list and online backup, in SQLite; plus the transaction and audit helpers the
 * record files share (sq_with_tx, sq_audit_json, sq_oom).
 *
 * Invariants:
 *  - every write is one sq_write job together with its audit event: it commits or rolls
 *    back as a whole, alone, even when group-committed with other writes;
 *  - updates are optimistic: they apply only while the stored version equals the
 *    caller's `before->version` (else GL_E_STALE) and bump it by one;
 *  - a CI with client_id NULL (0 in C) is shared and visible to every scope;
 *  - a backup never overwrites an existing file.
 */
#include "store/sqlite_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec/json.h"
#include "codec/json_attrs.h"
#include "util/buf.h"

#include "util/banned.h"

/* ---- shared helpers (see sqlite_int.h) --------------------------------------------- */

int sq_with_tx(struct gl_store *st, bool write, sq_write_fn fn, void *arg, struct gl_error *err)
{
    struct sq_store *s = sq_store(st);
    if (write)
        return sq_write(s, fn, arg, err);
    struct sq_conn *c = NULL;
    int rc = sq_acquire(s, &c, err);
    if (rc)
        return rc;
    rc = sq_begin(c, write, err);
    if (!rc)
        rc = fn(c, arg, err);
    if (!rc)
        rc = sq_commit(c, err);
    if (rc)
        sq_rollback(c);
    sq_release(s, c);
    return rc;
}

int(sq_oom)(struct gl_error *err)
{
    return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
}

int sq_audit_json(struct sq_conn *c, const struct gl_write_ctx *ctx, const char *dflt_action,
                  const char *entity, int64_t entity_id, int64_t client_id, char *before,
                  char *after, bool want_before, struct gl_error *err)
{
    int rc;
    if (!after || (want_before && !before))
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "cannot encode %s snapshot", entity);
    else {
        struct gl_write_ctx actx = *ctx;
        if (!actx.action)
            actx.action = dflt_action;
        rc = sq_audit_append(c, &actx, entity, entity_id, client_id, before, after, err);
    }
    free(before);
    free(after);
    return rc;
}

/* ---- clients ----------------------------------------------------------------------- */

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
    const struct gl_client *before;
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

int sq_client_create(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_client *cl,
                     struct gl_error *err)
{
    struct client_write w = {ctx, NULL, cl};
    const struct gl_client saved = *cl;
    int rc = sq_with_tx(st, true, client_create_tx, &w, err);
    if (rc) {
        cl->id = saved.id;
        cl->version = saved.version;
        cl->created_at = saved.created_at;
        cl->updated_at = saved.updated_at;
    }
    return rc;
}

static int client_update_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct client_write *w = arg;
    struct gl_client stored;
    gl_client_init(&stored);
    int rc = load_client_by_id(c, w->before->id, &stored, err);
    if (rc)
        goto out;
    if (stored.version != w->before->version) {
        rc = gl_error_set(err, GL_E_STALE, "version", "the client is at version %lld, not %lld",
                          (long long)stored.version, (long long)w->before->version);
        goto out;
    }
    sqlite3_stmt *st = sq_stmt(c, SQ_CLIENT_UPDATE, client_update_sql, err);
    if (!st) {
        rc = GL_E_INTERNAL;
        goto out;
    }
    bind_client(st, w->cl);
    sqlite3_bind_int64(st, 6, w->ctx->now);
    sqlite3_bind_int64(st, 7, stored.id);
    sqlite3_bind_int64(st, 8, stored.version);
    rc = sq_exec_stmt(c, st, "key", "update client", err);
    if (rc)
        goto out;
    w->cl->id = stored.id;
    w->cl->version = stored.version + 1;
    w->cl->created_at = stored.created_at;
    w->cl->updated_at = w->ctx->now;
    rc = sq_audit_json(c, w->ctx, "client.update", "client", stored.id, stored.id,
                       gl_json_client_dump(&stored), gl_json_client_dump(w->cl), true, err);
out:
    gl_client_release(&stored);
    return rc;
}

int sq_client_update(struct gl_store *st, const struct gl_write_ctx *ctx,
                     const struct gl_client *before, struct gl_client *after, struct gl_error *err)
{
    struct client_write w = {ctx, before, after};
    const struct gl_client saved = *after;
    int rc = sq_with_tx(st, true, client_update_tx, &w, err);
    if (rc) {
        after->id = saved.id;
        after->version = saved.version;
        after->created_at = saved.created_at;
        after->updated_at = saved.updated_at;
    }
    return rc;
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

/* ---- configuration items ----------------------------------------------------------- */

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
    const struct gl_ci *before;
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

int sq_ci_create(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_ci *ci,
                 struct gl_error *err)
{
    struct ci_write w = {ctx, NULL, ci};
    const struct gl_ci saved = *ci;
    int rc = sq_with_tx(st, true, ci_create_tx, &w, err);
    if (rc) {
        ci->id = saved.id;
        ci->version = saved.version;
        ci->created_at = saved.created_at;
        ci->updated_at = saved.updated_at;
    }
    return rc;
}

static int ci_update_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct ci_write *w = arg;
    struct gl_ci stored;
    gl_ci_init(&stored);
    int rc = load_ci(c, w->before->id, &stored, err);
    if (rc)
        goto out;
    if (stored.version != w->before->version) {
        rc = gl_error_set(err, GL_E_STALE, "version", "the CI is at version %lld, not %lld",
                          (long long)stored.version, (long long)w->before->version);
        goto out;
    }
    rc = resolve_ci_client(c, w->ci, err);
    if (rc)
        goto out;
    sqlite3_stmt *st = sq_stmt(c, SQ_CI_UPDATE, ci_update_sql, err);
    if (!st) {
        rc = GL_E_INTERNAL;
        goto out;
    }
    if ((rc = bind_ci(st, w->ci, w->ctx->now, err)) != 0)
        goto out;
    sqlite3_bind_int64(st, 9, stored.id);
    sqlite3_bind_int64(st, 10, stored.version);
    rc = sq_exec_stmt(c, st, "client", "update CI", err);
    if (rc)
        goto out;
    w->ci->id = stored.id;
    w->ci->version = stored.version + 1;
    w->ci->created_at = stored.created_at;
    w->ci->updated_at = w->ctx->now;
    /* Filed under the new owner; a move between clients shows in before/after. */
    rc = sq_audit_json(c, w->ctx, "ci.update", "ci", stored.id, w->ci->client_id,
                       gl_json_ci_dump(&stored), gl_json_ci_dump(w->ci), true, err);
out:
    gl_ci_release(&stored);
    return rc;
}

int sq_ci_update(struct gl_store *st, const struct gl_write_ctx *ctx, const struct gl_ci *before,
                 struct gl_ci *after, struct gl_error *err)
{
    struct ci_write w = {ctx, before, after};
    const struct gl_ci saved = *after;
    int rc = sq_with_tx(st, true, ci_update_tx, &w, err);
    if (rc) {
        after->id = saved.id;
        after->version = saved.version;
        after->created_at = saved.created_at;
        after->updated_at = saved.updated_at;
    }
    return rc;
}

int sq_ci_load(struct sq_conn *c, int64_t id, struct gl_ci *out, struct gl_error *err)
{
    return load_ci(c, id, out, err);
}

int sq_ci_insert(struct sq_conn *c, const struct gl_write_ctx *ctx, struct gl_ci *ci,
                 struct gl_error *err)
{
    struct ci_write w = {ctx, NULL, ci};
    return ci_create_tx(c, &w, err);
}

int sq_ci_rewrite(struct sq_conn *c, const struct gl_write_ctx *ctx, const struct gl_ci *before,
                  struct gl_ci *after, struct gl_error *err)
{
    struct ci_write w = {ctx, before, after};
    return ci_update_tx(c, &w, err);
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

/* ---- audit list, backup ------------------------------------------------------------ */

static const char audit_list_sql[] =
    "SELECT " SQ_AUDIT_COLS " FROM audit_events WHERE id > ? ORDER BY id LIMIT ?";

struct audit_args {
    int64_t after_id;
    int limit;
    struct gl_audit_list *out;
};

static int audit_list_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct audit_args *a = arg;
    sqlite3_stmt *st = sq_stmt(c, SQ_AUDIT_LIST, audit_list_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, a->after_id);
    sqlite3_bind_int(st, 2, a->limit);
    return sq_audit_read_all(c, st, a->out, err);
}

int sq_audit_list(struct gl_store *st, int64_t after_id, int limit, struct gl_audit_list *out,
                  struct gl_error *err)
{
    out->items = NULL;
    out->len = 0;
    if (limit < 1)
        return gl_error_set(err, GL_E_INVALID, "limit", "limit must be at least 1");
    struct audit_args a = {after_id, limit, out};
    return sq_with_tx(st, false, audit_list_tx, &a, err);
}

static int copy_to(struct sq_conn *c, const char *dest_path, struct gl_error *err)
{
    sqlite3 *dest = NULL;
    int rc = 0, src = sqlite3_open_v2(dest_path, &dest, SQLITE_OPEN_READWRITE, NULL);
    if (src != SQLITE_OK) {
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "cannot open backup file: %s",
                          dest ? sqlite3_errmsg(dest) : sqlite3_errstr(src));
        goto out;
    }
    sqlite3_backup *b = sqlite3_backup_init(dest, "main", c->db, "main");
    if (!b) {
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "backup failed: %s", sqlite3_errmsg(dest));
        goto out;
    }
    /* One step copies a consistent snapshot; retry while a checkpoint holds a lock. */
    while ((src = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || src == SQLITE_LOCKED)
        sqlite3_sleep(20);
    sqlite3_backup_finish(b);
    if (src != SQLITE_DONE)
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "backup failed: %s", sqlite3_errstr(src));
out:
    if (sqlite3_close(dest) != SQLITE_OK && !rc)
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "backup failed: cannot close the copy");
    return rc;
}

int sq_backup(struct gl_store *st, const char *dest_path, struct gl_error *err)
{
    struct sq_store *s = sq_store(st);
    struct sq_conn *c = NULL;
    if (!dest_path || !*dest_path)
        return gl_error_set(err, GL_E_INVALID, "path", "no backup path given");
    /* O_EXCL claims the name atomically: an existing file is never overwritten. */
    int fd = open(dest_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return gl_error_set(err, GL_E_INVALID, "path", "cannot create %s: %s", dest_path,
                            errno == EEXIST ? "the file already exists" : "open failed");
    close(fd);
    int rc = sq_acquire(s, &c, err);
    if (!rc) {
        rc = copy_to(c, dest_path, err);
        sq_release(s, c);
    }
    if (rc)
        unlink(dest_path);
    return rc;
}
