/*
 * sqlite_report.c - the client report's reads and the documentation links of changes, in
 * SQLite (store.h: client_report, graph_change_docs).
 *
 * Invariants: each read asks a fixed number of queries whatever the number of changes
 * (ids travel as one JSON array through json_each); the report reads in one read
 * transaction, so its changes, approvals and documentation are one snapshot; at most
 * GL_REPORT_CHANGES_MAX changes are ever held.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#include "util/banned.h"

int sq_bind_id_array(sqlite3_stmt *st, int i, const int64_t *ids, size_t n)
{
    struct gl_buf b = GL_BUF_INIT;
    int rc = gl_buf_putc(&b, '[');
    for (size_t k = 0; rc == 0 && k < n; k++)
        rc = gl_buf_printf(&b, k ? ",%lld" : "%lld", (long long)ids[k]);
    if (rc == 0)
        rc = gl_buf_putc(&b, ']');
    if (rc == 0)
        rc = sqlite3_bind_text(st, i, gl_buf_str(&b), (int)b.len, SQLITE_TRANSIENT) ? -1 : 0;
    gl_buf_release(&b);
    return rc;
}

/* ---- documentation links -------------------------------------------------------------- */

static const char doc_links_sql[] =
    "SELECT cd.change_id, cd.document_id, d.client_id, d.title, cd.base_version,"
    "  cd.result_version, cd.no_doc_affected"
    "  FROM json_each(?1) j JOIN change_documents cd ON cd.change_id = j.value"
    "  JOIN documents d ON d.id = cd.document_id ORDER BY cd.change_id, cd.document_id";

int sq_change_doc_links_read(struct sq_conn *c, const int64_t *change_ids, size_t n,
                             struct gl_change_doc_links *out, struct gl_error *err)
{
    if (!n)
        return 0;
    sqlite3_stmt *st = sq_stmt(c, SQ_CHANGE_DOC_LINKS, doc_links_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    if (sq_bind_id_array(st, 1, change_ids, n))
        return sq_oom(err);
    int src, rc = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (sq_grow((void **)&out->items, out->len, &out->cap, sizeof *out->items)) {
            rc = sq_oom(err);
            break;
        }
        struct gl_change_doc_link *l = &out->items[out->len];
        memset(l, 0, sizeof *l);
        l->change_id = sqlite3_column_int64(st, 0);
        l->document_id = sqlite3_column_int64(st, 1);
        l->client_id = sqlite3_column_int64(st, 2);
        l->base_version = sqlite3_column_int64(st, 4);   /* NULL reads as 0: none */
        l->result_version = sqlite3_column_int64(st, 5);
        l->no_doc_affected = sqlite3_column_int(st, 6) != 0;
        if (sq_col_text(st, 3, &l->title)) {
            rc = sq_oom(err);
            break;
        }
        out->len++;
    }
    if (!rc && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "documentation links", err);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

/* ---- client report -------------------------------------------------------------------- */

/* A window meets [from, to): the planned one (a start without an end is an instant), or
 * the actual one (still open while in progress). */
static const char report_changes_sql[] =
    "SELECT ch.id, ifnull(d.version, ch.version), ch.client_id, ifnull(d.format, 0), d.json"
    "  FROM changes ch LEFT JOIN change_docs d ON d.change_id = ch.id"
    "  WHERE ch.client_id = ?1"
    "    AND ((ch.planned_start < ?3 AND ifnull(ch.planned_end, ch.planned_start + 1) > ?2)"
    "      OR (ch.actual_start < ?3 AND ifnull(ch.actual_end, ?3) > ?2))"
    "  ORDER BY ifnull(ch.planned_start, ch.actual_start), ch.id LIMIT ?4";

/* Decisions on a change, whatever engine records them: approve, reject, vote, sign-off. */
static const char report_approvals_sql[] =
    "SELECT " SQ_AUDIT_COLS " FROM audit_events"
    "  WHERE entity = 'change' AND entity_id IN (SELECT value FROM json_each(?1))"
    "    AND (action LIKE '%approv%' OR action LIKE '%reject%' OR action LIKE '%vote%'"
    "      OR action LIKE '%sign%off%')"
    "  ORDER BY entity_id, id";

struct report_args {
    int64_t client_id, from, to;
    struct gl_report_data *out;
    int64_t *ids;
};

static int report_changes(struct sq_conn *c, struct report_args *a, struct gl_error *err)
{
    struct gl_report_data *out = a->out;
    sqlite3_stmt *st = sq_stmt(c, SQ_REPORT_CHANGES, report_changes_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, a->client_id);
    sqlite3_bind_int64(st, 2, a->from);
    sqlite3_bind_int64(st, 3, a->to);
    sqlite3_bind_int(st, 4, GL_REPORT_CHANGES_MAX + 1);
    size_t cap = 0;
    int src, rc = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->nchanges == GL_REPORT_CHANGES_MAX) {
            rc = gl_error_set(err, GL_E_TOO_LARGE, "to",
                              "more than %d changes in the period: narrow from and to",
                              GL_REPORT_CHANGES_MAX);
            break;
        }
        if (sq_grow((void **)&out->changes, out->nchanges, &cap, sizeof *out->changes)) {
            rc = sq_oom(err);
            break;
        }
        struct gl_change_doc *d = &out->changes[out->nchanges];
        memset(d, 0, sizeof *d);
        d->id = sqlite3_column_int64(st, 0);
        d->version = sqlite3_column_int64(st, 1);
        d->client_id = sqlite3_column_int64(st, 2);
        d->format = sqlite3_column_int(st, 3);
        if (sq_col_text(st, 4, &d->json)) {
            rc = sq_oom(err);
            break;
        }
        out->nchanges++;
    }
    if (!rc && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "report changes", err);
    sqlite3_reset(st);
    return rc;
}

static int report_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct report_args *a = arg;
    int rc = report_changes(c, a, err);
    size_t n = a->out->nchanges;
    if (rc || !n)
        return rc;
    a->ids = malloc(n * sizeof *a->ids);
    if (!a->ids)
        return sq_oom(err);
    for (size_t i = 0; i < n; i++)
        a->ids[i] = a->out->changes[i].id;
    sqlite3_stmt *st = sq_stmt(c, SQ_REPORT_APPROVALS, report_approvals_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    if (sq_bind_id_array(st, 1, a->ids, n))
        return sq_oom(err);
    rc = sq_audit_read_all(c, st, &a->out->approvals, err);
    sqlite3_clear_bindings(st);
    if (rc)
        return rc;
    return sq_change_doc_links_read(c, a->ids, n, &a->out->docs, err);
}

int sq_client_report(struct gl_store *st, int64_t client_id, int64_t from, int64_t to,
                     struct gl_report_data *out, struct gl_error *err)
{
    memset(out, 0, sizeof *out);
    struct report_args a = {client_id, from, to, out, NULL};
    int rc = sq_with_tx(st, false, report_tx, &a, err);
    free(a.ids);
    if (rc)
        gl_report_data_release(out);
    return rc;
}
