/*
 * sqlite_calendar_records.c - the calendar's records: maintenance windows, blackouts,
 * feed tokens, the scheduling write with its change_schedule row, and the changes a
 * calendar view shows (see store.h).
 *
 * Every write is one transaction with its audit event: windows under their client,
 * blackouts under theirs (0 = global), feed tokens under the user ("feed_token"), the
 * schedule record under the change. Deletes audit the record as it was.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

#include "codec/json_calendar.h"
#include "util/buf.h"

#include "util/banned.h"

/* ---- windows ------------------------------------------------------------------------ */

#define WINDOW_COLS                                                                                \
    "w.id, w.version, w.client_id, k.key, ifnull(w.ci_id, 0), w.name, w.rrule, w.dtstart, "        \
    "w.duration, ifnull(k.timezone, 'UTC'), w.created_by, w.created_at, w.updated_at "             \
    "FROM cal_windows w JOIN clients k ON k.id = w.client_id"

static int window_read(sqlite3_stmt *st, struct gl_cal_window *w)
{
    w->id = sqlite3_column_int64(st, 0);
    w->version = sqlite3_column_int64(st, 1);
    w->client_id = sqlite3_column_int64(st, 2);
    w->ci_id = sqlite3_column_int64(st, 4);
    w->duration = sqlite3_column_int64(st, 8);
    w->created_at = sqlite3_column_int64(st, 11);
    w->updated_at = sqlite3_column_int64(st, 12);
    if (sq_col_text(st, 3, &w->client_key) || sq_col_text(st, 5, &w->name) ||
        sq_col_text(st, 6, &w->rrule) || sq_col_text(st, 7, &w->start) ||
        sq_col_text(st, 9, &w->timezone) || sq_col_text(st, 10, &w->created_by))
        return -1;
    return 0;
}

static int window_load(struct sq_conn *c, int64_t id, struct gl_cal_window *out,
                       struct gl_error *err)
{
    sqlite3_stmt *st =
        sq_stmt(c, SQ_CALREC_WINDOW_GET, "SELECT " WINDOW_COLS " WHERE w.id = ?", err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int src = sqlite3_step(st), rc = 0;
    if (src == SQLITE_ROW)
        rc = window_read(st, out) ? sq_oom(err) : 0;
    else if (src == SQLITE_DONE)
        rc = gl_error_set(err, GL_E_NOT_FOUND, NULL, "no window %lld", (long long)id);
    else
        rc = sq_error(c, src, NULL, "read window", err);
    sqlite3_reset(st);
    return rc;
}

struct window_write {
    const struct gl_write_ctx *ctx;
    struct gl_cal_window *w;
    int64_t id;
};

static int window_create_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct window_write *ww = arg;
    struct gl_cal_window *w = ww->w;
    sqlite3_stmt *st = sq_stmt(c, SQ_CALREC_WINDOW_ADD,
                               "INSERT INTO cal_windows (client_id, ci_id, name, rrule, dtstart, "
                               "duration, created_by, created_at, updated_at, version) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                               err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, w->client_id);
    sq_bind_optid(st, 2, w->ci_id);
    sq_bind_text(st, 3, w->name);
    sq_bind_text(st, 4, w->rrule);
    sq_bind_text(st, 5, w->start);
    sqlite3_bind_int64(st, 6, w->duration);
    sq_bind_text(st, 7, ww->ctx->actor);
    sqlite3_bind_int64(st, 8, ww->ctx->now);
    sqlite3_bind_int64(st, 9, ww->ctx->now);
    int rc = sq_exec_stmt(c, st, "ci", "insert window", err);
    if (rc)
        return rc;
    int64_t id = sqlite3_last_insert_rowid(c->db);
    struct gl_cal_window stored = {0};
    rc = window_load(c, id, &stored, err);
    if (!rc)
        rc = sq_audit_json(c, ww->ctx, "window.create", "window", id, stored.client_id, NULL,
                           gl_json_cal_window_dump(&stored), false, err);
    if (!rc) {
        gl_cal_window_release(w);
        *w = stored;
    } else {
        gl_cal_window_release(&stored);
    }
    return rc;
}

int sq_cal_window_create(struct gl_store *st, const struct gl_write_ctx *ctx,
                         struct gl_cal_window *w, struct gl_error *err)
{
    struct window_write ww = {.ctx = ctx, .w = w};
    return sq_with_tx(st, true, window_create_tx, &ww, err);
}

struct get_job {
    int64_t id;
    void *out;
};

static int window_get_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct get_job *j = arg;
    return window_load(c, j->id, j->out, err);
}

int sq_cal_window_get(struct gl_store *st, int64_t id, struct gl_cal_window *out,
                      struct gl_error *err)
{
    *out = (struct gl_cal_window){0};
    struct get_job j = {id, out};
    return sq_with_tx(st, false, window_get_tx, &j, err);
}

static int window_delete_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct window_write *ww = arg;
    struct gl_cal_window before = {0};
    int rc = window_load(c, ww->id, &before, err);
    sqlite3_stmt *st =
        rc ? NULL : sq_stmt(c, SQ_CALREC_WINDOW_DEL, "DELETE FROM cal_windows WHERE id = ?", err);
    if (!rc && !st)
        rc = GL_E_INTERNAL;
    if (!rc) {
        sqlite3_bind_int64(st, 1, ww->id);
        rc = sq_exec_stmt(c, st, NULL, "delete window", err);
    }
    if (!rc)
        rc = sq_audit_json(c, ww->ctx, "window.delete", "window", ww->id, before.client_id,
                           gl_json_cal_window_dump(&before), strdup("null"), true, err);
    gl_cal_window_release(&before);
    return rc;
}

int sq_cal_window_delete(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t id,
                         struct gl_error *err)
{
    struct window_write ww = {.ctx = ctx, .id = id};
    return sq_with_tx(st, true, window_delete_tx, &ww, err);
}

static int window_list_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct get_job *j = arg;
    struct gl_cal_window_list *out = j->out;
    sqlite3_stmt *st =
        sq_stmt(c, SQ_CALREC_WINDOW_LIST,
                "SELECT " WINDOW_COLS " WHERE w.client_id = ? ORDER BY w.ci_id, w.id", err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, j->id);
    size_t cap = 0;
    int src, rc = 0;
    while (!rc && (src = sqlite3_step(st)) == SQLITE_ROW) {
        if (sq_grow((void **)&out->items, out->len, &cap, sizeof out->items[0])) {
            rc = sq_oom(err);
            break;
        }
        out->items[out->len] = (struct gl_cal_window){0};
        if (window_read(st, &out->items[out->len++]))
            rc = sq_oom(err);
    }
    if (!rc && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "list windows", err);
    sqlite3_reset(st);
    return rc;
}

int sq_cal_window_list(struct gl_store *st, int64_t client_id, struct gl_cal_window_list *out,
                       struct gl_error *err)
{
    *out = (struct gl_cal_window_list){0};
    struct get_job j = {client_id, out};
    int rc = sq_with_tx(st, false, window_list_tx, &j, err);
    if (rc)
        gl_cal_window_list_release(out);
    return rc;
}

/* ---- blackouts ---------------------------------------------------------------------- */

#define BLACKOUT_COLS                                                                              \
    "b.id, b.version, ifnull(b.client_id, 0), k.key, b.reason, b.starts_at, b.ends_at, "           \
    "b.rrule, b.timezone, b.created_by, b.created_at, b.updated_at "                               \
    "FROM cal_blackouts b LEFT JOIN clients k ON k.id = b.client_id"

static int blackout_read(sqlite3_stmt *st, struct gl_cal_blackout *b)
{
    b->id = sqlite3_column_int64(st, 0);
    b->version = sqlite3_column_int64(st, 1);
    b->client_id = sqlite3_column_int64(st, 2);
    b->start = sqlite3_column_int64(st, 5);
    b->end = sqlite3_column_int64(st, 6);
    b->created_at = sqlite3_column_int64(st, 10);
    b->updated_at = sqlite3_column_int64(st, 11);
    if (sq_col_text(st, 3, &b->client_key) || sq_col_text(st, 4, &b->reason) ||
        sq_col_text(st, 7, &b->rrule) || sq_col_text(st, 8, &b->timezone) ||
        sq_col_text(st, 9, &b->created_by))
        return -1;
    return 0;
}

static int blackout_load(struct sq_conn *c, int64_t id, struct gl_cal_blackout *out,
                         struct gl_error *err)
{
    sqlite3_stmt *st =
        sq_stmt(c, SQ_CALREC_BLACKOUT_GET, "SELECT " BLACKOUT_COLS " WHERE b.id = ?", err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int src = sqlite3_step(st), rc = 0;
    if (src == SQLITE_ROW)
        rc = blackout_read(st, out) ? sq_oom(err) : 0;
    else if (src == SQLITE_DONE)
        rc = gl_error_set(err, GL_E_NOT_FOUND, NULL, "no blackout %lld", (long long)id);
    else
        rc = sq_error(c, src, NULL, "read blackout", err);
    sqlite3_reset(st);
    return rc;
}

struct blackout_write {
    const struct gl_write_ctx *ctx;
    struct gl_cal_blackout *b;
    int64_t id;
};

static int blackout_create_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct blackout_write *bw = arg;
    struct gl_cal_blackout *b = bw->b;
    sqlite3_stmt *st = sq_stmt(c, SQ_CALREC_BLACKOUT_ADD,
                               "INSERT INTO cal_blackouts (client_id, reason, starts_at, ends_at, "
                               "rrule, timezone, created_by, created_at, updated_at, version) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                               err);
    if (!st)
        return GL_E_INTERNAL;
    sq_bind_optid(st, 1, b->client_id);
    sq_bind_text(st, 2, b->reason);
    sqlite3_bind_int64(st, 3, b->start);
    sqlite3_bind_int64(st, 4, b->end);
    sq_bind_text(st, 5, b->rrule);
    sq_bind_text(st, 6, b->timezone ? b->timezone : "UTC");
    sq_bind_text(st, 7, bw->ctx->actor);
    sqlite3_bind_int64(st, 8, bw->ctx->now);
    sqlite3_bind_int64(st, 9, bw->ctx->now);
    int rc = sq_exec_stmt(c, st, "client", "insert blackout", err);
    if (rc)
        return rc;
    int64_t id = sqlite3_last_insert_rowid(c->db);
    struct gl_cal_blackout stored = {0};
    rc = blackout_load(c, id, &stored, err);
    if (!rc)
        rc = sq_audit_json(c, bw->ctx, "blackout.create", "blackout", id, stored.client_id, NULL,
                           gl_json_cal_blackout_dump(&stored), false, err);
    if (!rc) {
        gl_cal_blackout_release(b);
        *b = stored;
    } else {
        gl_cal_blackout_release(&stored);
    }
    return rc;
}

int sq_cal_blackout_create(struct gl_store *st, const struct gl_write_ctx *ctx,
                           struct gl_cal_blackout *b, struct gl_error *err)
{
    struct blackout_write bw = {.ctx = ctx, .b = b};
    return sq_with_tx(st, true, blackout_create_tx, &bw, err);
}

static int blackout_get_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct get_job *j = arg;
    return blackout_load(c, j->id, j->out, err);
}

int sq_cal_blackout_get(struct gl_store *st, int64_t id, struct gl_cal_blackout *out,
                        struct gl_error *err)
{
    *out = (struct gl_cal_blackout){0};
    struct get_job j = {id, out};
    return sq_with_tx(st, false, blackout_get_tx, &j, err);
}

static int blackout_delete_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct blackout_write *bw = arg;
    struct gl_cal_blackout before = {0};
    int rc = blackout_load(c, bw->id, &before, err);
    sqlite3_stmt *st =
        rc ? NULL
           : sq_stmt(c, SQ_CALREC_BLACKOUT_DEL, "DELETE FROM cal_blackouts WHERE id = ?", err);
    if (!rc && !st)
        rc = GL_E_INTERNAL;
    if (!rc) {
        sqlite3_bind_int64(st, 1, bw->id);
        rc = sq_exec_stmt(c, st, NULL, "delete blackout", err);
    }
    if (!rc)
        rc = sq_audit_json(c, bw->ctx, "blackout.delete", "blackout", bw->id, before.client_id,
                           gl_json_cal_blackout_dump(&before), strdup("null"), true, err);
    gl_cal_blackout_release(&before);
    return rc;
}

int sq_cal_blackout_delete(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t id,
                           struct gl_error *err)
{
    struct blackout_write bw = {.ctx = ctx, .id = id};
    return sq_with_tx(st, true, blackout_delete_tx, &bw, err);
}

struct blackout_list_job {
    int64_t client_id;
    bool include_global;
    struct gl_cal_blackout_list *out;
};

static int blackout_list_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct blackout_list_job *j = arg;
    sqlite3_stmt *st = sq_stmt(c, SQ_CALREC_BLACKOUT_LIST,
                               "SELECT " BLACKOUT_COLS " WHERE b.client_id IS ?1"
                               " OR (?2 AND b.client_id IS NULL) ORDER BY b.starts_at, b.id",
                               err);
    if (!st)
        return GL_E_INTERNAL;
    sq_bind_optid(st, 1, j->client_id);
    sqlite3_bind_int(st, 2, j->include_global);
    size_t cap = 0;
    int src, rc = 0;
    while (!rc && (src = sqlite3_step(st)) == SQLITE_ROW) {
        if (sq_grow((void **)&j->out->items, j->out->len, &cap, sizeof j->out->items[0])) {
            rc = sq_oom(err);
            break;
        }
        j->out->items[j->out->len] = (struct gl_cal_blackout){0};
        if (blackout_read(st, &j->out->items[j->out->len++]))
            rc = sq_oom(err);
    }
    if (!rc && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "list blackouts", err);
    sqlite3_reset(st);
    return rc;
}

int sq_cal_blackout_list(struct gl_store *st, int64_t client_id, bool include_global,
                         struct gl_cal_blackout_list *out, struct gl_error *err)
{
    *out = (struct gl_cal_blackout_list){0};
    struct blackout_list_job j = {client_id, include_global, out};
    int rc = sq_with_tx(st, false, blackout_list_tx, &j, err);
    if (rc)
        gl_cal_blackout_list_release(out);
    return rc;
}
