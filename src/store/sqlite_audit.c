/*
 * sqlite_audit.c - reading the audit log in SQLite: the plain list by id (audit_list, which
 * gl_store_audit_verify walks) and the export: one client's events (or every event) in a
 * time range, a page at a time.
 *
 * Invariants:
 *  - pages are ordered by (at, id), the order of the indexes audit_events_client_at
 *    (client_id, at, rowid) and audit_events_at (at, rowid), so a page costs one index
 *    range scan of `limit` rows however long the log is, and no sort;
 *  - the cursor is the id of the last event of the previous page; its time is read back
 *    from the log, so the wire cursor stays one opaque integer like every other list's;
 *  - the export only reads: it runs in a deferred transaction and never blocks writers.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>

#include "util/banned.h"

static const char export_client_sql[] =
    "SELECT " SQ_AUDIT_COLS " FROM audit_events WHERE client_id = ?1 AND at >= ?2 AND at < ?3"
    " AND (at, id) > (?4, ?5) ORDER BY at, id LIMIT ?6";
static const char export_all_sql[] = "SELECT " SQ_AUDIT_COLS " FROM audit_events"
                                     " WHERE at >= ?2 AND at < ?3 AND (at, id) > (?4, ?5)"
                                     " ORDER BY at, id LIMIT ?6";
static const char event_at_sql[] = "SELECT at FROM audit_events WHERE id = ?";

struct export_args {
    const struct gl_audit_filter *f;
    struct gl_audit_page *out;
};

/* The position after the cursor event: (its at, its id); the start for no cursor. */
static int cursor_position(struct sq_conn *c, int64_t after_id, int64_t *at, struct gl_error *err)
{
    *at = INT64_MIN;
    if (after_id <= 0)
        return 0;
    sqlite3_stmt *st = sq_stmt(c, SQ_AUDIT_EVENT_AT, event_at_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, after_id);
    int rc = 0, src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        *at = sqlite3_column_int64(st, 0);
    else if (src == SQLITE_DONE)
        rc = gl_error_set(err, GL_E_INVALID, "cursor",
                          "cursor must be a value returned as next_cursor");
    else
        rc = sq_error(c, src, NULL, "audit cursor", err);
    sqlite3_reset(st);
    return rc;
}

static int export_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct export_args *a = arg;
    const struct gl_audit_filter *f = a->f;
    int64_t after_at;
    int rc = cursor_position(c, f->after_id, &after_at, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = f->client_id ? sq_stmt(c, SQ_AUDIT_EXPORT_CLIENT, export_client_sql, err)
                                    : sq_stmt(c, SQ_AUDIT_EXPORT_ALL, export_all_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    if (f->client_id)
        sqlite3_bind_int64(st, 1, f->client_id);
    sqlite3_bind_int64(st, 2, f->from == GL_TIME_UNSET ? INT64_MIN : f->from);
    sqlite3_bind_int64(st, 3, f->to == GL_TIME_UNSET ? INT64_MAX : f->to);
    sqlite3_bind_int64(st, 4, after_at);
    sqlite3_bind_int64(st, 5, f->after_id > 0 ? f->after_id : 0);
    sqlite3_bind_int(st, 6, f->limit + 1); /* one more tells whether a next page exists */
    struct gl_audit_list l;
    rc = sq_audit_read_all(c, st, &l, err);
    if (rc)
        return rc;
    if (l.len > (size_t)f->limit) {
        gl_audit_event_release(&l.items[f->limit]);
        l.len = (size_t)f->limit;
        a->out->next_cursor = l.items[l.len - 1].id;
    }
    a->out->items = l.items;
    a->out->len = l.len;
    return 0;
}

int sq_audit_export(struct gl_store *st, const struct gl_audit_filter *f, struct gl_audit_page *out,
                    struct gl_error *err)
{
    out->items = NULL;
    out->len = 0;
    out->next_cursor = 0;
    if (f->limit < 1 || f->limit > GL_AUDIT_PAGE_MAX)
        return gl_error_set(err, GL_E_INVALID, "limit", "limit must be from 1 to %d",
                            GL_AUDIT_PAGE_MAX);
    struct export_args a = {f, out};
    int rc = sq_with_tx(st, false, export_tx, &a, err);
    if (rc)
        gl_audit_page_release(out);
    return rc;
}

/* ---- the log by id --------------------------------------------------------------- */

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
