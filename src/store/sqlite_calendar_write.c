/*
 * sqlite_calendar_write.c - the scheduling write (a lifecycle move or a moved plan
 * together with the change's change_schedule row), the changes a calendar view shows,
 * and calendar feed tokens (see store.h).
 *
 * Invariants: the schedule record is written in the same transaction as the change and
 * its audit event, with a second event "change.schedule_findings" holding what the
 * calendar found (entity "change_schedule", id = the change's, so the change's timeline
 * still shows one event per move); feed tokens are kept as hashes only.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/buf.h"

#include "util/banned.h"

/* ---- scheduling --------------------------------------------------------------------- */

struct schedule_write {
    const struct gl_write_ctx *ctx;
    const struct gl_change *before;
    struct gl_change *after;
    const struct gl_schedule_record *rec;
};

static int schedule_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct schedule_write *w = arg;
    int rc = sq_change_update_conn(c, w->ctx, w->before, w->after, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_CALREC_SCHEDULE_PUT,
                               "INSERT INTO change_schedule (change_id, notified_at, justification,"
                               " flags, findings_json, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
                               " ON CONFLICT (change_id) DO UPDATE SET notified_at = excluded."
                               "notified_at, justification = excluded.justification, flags = "
                               "excluded.flags, findings_json = excluded.findings_json,"
                               " updated_at = excluded.updated_at",
                               err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, w->after->id);
    sqlite3_bind_int64(st, 2, w->rec->notified_at);
    sq_bind_text(st, 3, w->rec->justification);
    sq_bind_text(st, 4, w->rec->flags ? w->rec->flags : "");
    sq_bind_text(st, 5, w->rec->findings_json ? w->rec->findings_json : "[]");
    sqlite3_bind_int64(st, 6, w->ctx->now);
    rc = sq_exec_stmt(c, st, NULL, "write schedule record", err);
    if (rc)
        return rc;
    json_t *snap = json_pack(
        "{s:I, s:s, s:o, s:o}", "notified_at", (json_int_t)w->rec->notified_at, "flags",
        w->rec->flags ? w->rec->flags : "", "justification",
        w->rec->justification ? json_string(w->rec->justification) : json_null(), "findings",
        json_loads(w->rec->findings_json ? w->rec->findings_json : "[]", 0, NULL));
    char *after = snap ? json_dumps(snap, JSON_COMPACT) : NULL;
    json_decref(snap);
    struct gl_write_ctx ctx = *w->ctx;
    ctx.action = "change.schedule_findings";
    /* Filed as its own entity: the change's timeline keeps one event per move. */
    return sq_audit_json(c, &ctx, "change.schedule_findings", "change_schedule", w->after->id,
                         w->after->client_id, NULL, after, false, err);
}

int sq_change_schedule_write(struct gl_store *st, const struct gl_write_ctx *ctx,
                             const struct gl_change *before, struct gl_change *after,
                             const struct gl_schedule_record *rec, struct gl_error *err)
{
    const int64_t saved_version = after->version, saved_updated = after->updated_at;
    struct schedule_write w = {ctx, before, after, rec};
    int rc = sq_with_tx(st, true, schedule_tx, &w, err);
    if (rc) {
        after->version = saved_version;
        after->updated_at = saved_updated;
    }
    return rc;
}

/* ---- calendar changes --------------------------------------------------------------- */

struct cal_changes_job {
    const struct gl_scope *scope;
    int64_t client_id, from, to;
    struct gl_cal_change_list *out;
};

static int cal_changes_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct cal_changes_job *j = arg;
    int64_t wmax = 0;
    int rc = sq_change_window_max(c, &wmax, err);
    if (rc)
        return rc;
    struct gl_buf sql;
    gl_buf_init(&sql, 0);
    /* The window plan: a planned_start range bounded by the longest change. */
    gl_buf_puts(&sql, "SELECT c.id, c.version, c.client_id, k.key, c.title, c.type, c.state,"
                      " c.planned_start, c.planned_end, s.flags FROM changes c"
                      " JOIN clients k ON k.id = c.client_id"
                      " LEFT JOIN change_schedule s ON s.change_id = c.id"
                      " WHERE c.planned_start >= ?1 AND c.planned_start < ?2"
                      " AND c.planned_end > ?3"
                      " AND +c.state NOT IN ('draft', 'rejected', 'cancelled')");
    if (j->client_id)
        gl_buf_puts(&sql, " AND c.client_id = ?4");
    else if (j->scope && !j->scope->all && sq_scope_sql(&sql, " AND c.client_id IN (", j->scope))
        rc = -1;
    if (rc || gl_buf_printf(&sql, " ORDER BY c.planned_start, c.id LIMIT %d",
                            GL_CAL_CHANGES_MAX + 1) < 0) {
        gl_buf_release(&sql);
        return sq_oom(err);
    }
    /* Built per call (the scope's client list varies), so prepared here, not cached. */
    sqlite3_stmt *st = NULL;
    int prc = sqlite3_prepare_v2(c->db, gl_buf_str(&sql), -1, &st, NULL);
    gl_buf_release(&sql);
    if (prc != SQLITE_OK) {
        sqlite3_finalize(st);
        return sq_error(c, prc, NULL, "prepare the calendar's changes", err);
    }
    sqlite3_bind_int64(st, 1, j->from - wmax);
    sqlite3_bind_int64(st, 2, j->to);
    sqlite3_bind_int64(st, 3, j->from);
    if (j->client_id)
        sqlite3_bind_int64(st, 4, j->client_id);
    else if (j->scope && !j->scope->all)
        sq_bind_scope(st, 4, j->scope);
    size_t cap = 0;
    int src;
    while (!rc && (src = sqlite3_step(st)) == SQLITE_ROW) {
        if (j->out->len == GL_CAL_CHANGES_MAX) {
            rc = gl_error_set(err, GL_E_TOO_LARGE, "to",
                              "more than %d changes in the range; ask for a shorter one",
                              GL_CAL_CHANGES_MAX);
            break;
        }
        if (sq_grow((void **)&j->out->items, j->out->len, &cap, sizeof j->out->items[0])) {
            rc = sq_oom(err);
            break;
        }
        struct gl_cal_change *x = &j->out->items[j->out->len++];
        *x = (struct gl_cal_change){.id = sqlite3_column_int64(st, 0),
                                    .version = sqlite3_column_int64(st, 1),
                                    .client_id = sqlite3_column_int64(st, 2),
                                    .planned_start = sqlite3_column_int64(st, 7),
                                    .planned_end = sqlite3_column_int64(st, 8)};
        gl_change_type_parse((const char *)sqlite3_column_text(st, 5), &x->type);
        gl_change_state_parse((const char *)sqlite3_column_text(st, 6), &x->state);
        if (sq_col_text(st, 3, &x->client_key) || sq_col_text(st, 4, &x->title) ||
            sq_col_text(st, 9, &x->schedule_flags))
            rc = sq_oom(err);
        else if (x->schedule_flags && !x->schedule_flags[0]) {
            free(x->schedule_flags);
            x->schedule_flags = NULL;
        }
    }
    if (!rc && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "list calendar changes", err);
    sqlite3_finalize(st);
    return rc;
}

int sq_cal_changes(struct gl_store *st, const struct gl_scope *scope, int64_t client_id,
                   int64_t from, int64_t to, struct gl_cal_change_list *out, struct gl_error *err)
{
    *out = (struct gl_cal_change_list){0};
    struct cal_changes_job j = {scope, client_id, from, to, out};
    int rc = sq_with_tx(st, false, cal_changes_tx, &j, err);
    if (rc)
        gl_cal_change_list_release(out);
    return rc;
}

/* ---- feed tokens -------------------------------------------------------------------- */

struct feed_write {
    const struct gl_write_ctx *ctx;
    int64_t user_id, client_id, id, owner_id;
    const unsigned char *hash;
    int64_t *out_id;
};

static int feed_create_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct feed_write *w = arg;
    sqlite3_stmt *st = sq_stmt(c, SQ_CALREC_FEED_ADD,
                               "INSERT INTO cal_feed_tokens (user_id, client_id, token_hash,"
                               " created_at) VALUES (?, ?, ?, ?)",
                               err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, w->user_id);
    sq_bind_optid(st, 2, w->client_id);
    sqlite3_bind_blob(st, 3, w->hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, w->ctx->now);
    int rc = sq_exec_stmt(c, st, NULL, "insert feed token", err);
    if (rc)
        return rc;
    *w->out_id = sqlite3_last_insert_rowid(c->db);
    char *after = NULL;
    json_t *j = json_pack("{s:I, s:I}", "user_id", (json_int_t)w->user_id, "client_id",
                          (json_int_t)w->client_id);
    after = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return sq_audit_json(c, w->ctx, "feed_token.create", "feed_token", *w->out_id, w->client_id,
                         NULL, after, false, err);
}

int sq_feed_token_create(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t user_id,
                         int64_t client_id, const unsigned char hash[32], int64_t *id,
                         struct gl_error *err)
{
    struct feed_write w = {
        .ctx = ctx, .user_id = user_id, .client_id = client_id, .hash = hash, .out_id = id};
    return sq_with_tx(st, true, feed_create_tx, &w, err);
}

struct feed_list_job {
    int64_t user_id;
    struct gl_feed_token_list *out;
};

static int feed_list_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct feed_list_job *j = arg;
    sqlite3_stmt *st =
        sq_stmt(c, SQ_CALREC_FEED_LIST,
                "SELECT t.id, t.user_id, ifnull(t.client_id, 0), k.key, t.created_at,"
                " t.revoked_at FROM cal_feed_tokens t LEFT JOIN clients k"
                " ON k.id = t.client_id WHERE t.user_id = ? ORDER BY t.id DESC",
                err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, j->user_id);
    size_t cap = 0;
    int src, rc = 0;
    while (!rc && (src = sqlite3_step(st)) == SQLITE_ROW) {
        if (sq_grow((void **)&j->out->items, j->out->len, &cap, sizeof j->out->items[0])) {
            rc = sq_oom(err);
            break;
        }
        struct gl_feed_token *t = &j->out->items[j->out->len++];
        *t = (struct gl_feed_token){.id = sqlite3_column_int64(st, 0),
                                    .user_id = sqlite3_column_int64(st, 1),
                                    .client_id = sqlite3_column_int64(st, 2),
                                    .created_at = sqlite3_column_int64(st, 4),
                                    .revoked_at = sq_col_time(st, 5)};
        if (sq_col_text(st, 3, &t->client_key))
            rc = sq_oom(err);
    }
    if (!rc && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "list feed tokens", err);
    sqlite3_reset(st);
    return rc;
}

int sq_feed_token_list(struct gl_store *st, int64_t user_id, struct gl_feed_token_list *out,
                       struct gl_error *err)
{
    *out = (struct gl_feed_token_list){0};
    struct feed_list_job j = {user_id, out};
    int rc = sq_with_tx(st, false, feed_list_tx, &j, err);
    if (rc)
        gl_feed_token_list_release(out);
    return rc;
}

static int feed_revoke_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct feed_write *w = arg;
    sqlite3_stmt *st =
        sq_stmt(c, SQ_CALREC_FEED_OWNER,
                "SELECT user_id, ifnull(client_id, 0) FROM cal_feed_tokens WHERE id = ?", err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, w->id);
    int src = sqlite3_step(st);
    int64_t owner = src == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    int64_t client = src == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
    sqlite3_reset(st);
    if (src != SQLITE_ROW || (w->owner_id && owner != w->owner_id))
        return gl_error_set(err, GL_E_NOT_FOUND, NULL, "no feed token %lld", (long long)w->id);
    st = sq_stmt(c, SQ_CALREC_FEED_REVOKE,
                 "UPDATE cal_feed_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                 err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, w->ctx->now);
    sqlite3_bind_int64(st, 2, w->id);
    int rc = sq_exec_stmt(c, st, NULL, "revoke feed token", err);
    if (rc)
        return rc;
    json_t *j = json_pack("{s:I, s:I, s:I}", "user_id", (json_int_t)owner, "client_id",
                          (json_int_t)client, "revoked_at", (json_int_t)w->ctx->now);
    char *after = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return sq_audit_json(c, w->ctx, "feed_token.revoke", "feed_token", w->id, client, NULL, after,
                         false, err);
}

int sq_feed_token_revoke(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t id,
                         int64_t owner_id, struct gl_error *err)
{
    struct feed_write w = {.ctx = ctx, .id = id, .owner_id = owner_id};
    return sq_with_tx(st, true, feed_revoke_tx, &w, err);
}

struct feed_lookup_job {
    const unsigned char *hash;
    struct gl_user *out;
    int64_t *client_id;
};

static int feed_lookup_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct feed_lookup_job *j = arg;
    sqlite3_stmt *st = sq_stmt(c, SQ_CALREC_FEED_LOOKUP,
                               "SELECT user_id, ifnull(client_id, 0) FROM cal_feed_tokens"
                               " WHERE token_hash = ? AND revoked_at IS NULL",
                               err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_blob(st, 1, j->hash, 32, SQLITE_TRANSIENT);
    int src = sqlite3_step(st);
    int64_t user = src == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    *j->client_id = src == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
    sqlite3_reset(st);
    if (src != SQLITE_ROW)
        return gl_error_set(err, GL_E_UNAUTHORIZED, "token",
                            "the feed token is unknown or revoked");
    st = sq_stmt(c, SQ_CALREC_FEED_USER,
                 "SELECT id, name, is_admin, created_at FROM users WHERE id = ?", err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, user);
    int rc = sq_user_fetch(c, st, GL_E_UNAUTHORIZED, "the feed token's user is gone", j->out, err);
    sqlite3_reset(st);
    return rc;
}

int sq_feed_token_lookup(struct gl_store *st, const unsigned char hash[32], struct gl_user *out,
                         int64_t *client_id, struct gl_error *err)
{
    struct feed_lookup_job j = {hash, out, client_id};
    return sq_with_tx(st, false, feed_lookup_tx, &j, err);
}
