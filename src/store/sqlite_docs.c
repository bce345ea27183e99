/*
 * sqlite_docs.c - documentation in SQLite: documents, their immutable versions, and the
 * links between changes and document versions (store.h, core/docs.h).
 *
 * Invariants: a document row and its versions change together in one write transaction
 * with the audit event; versions are never updated (a trigger refuses it); a document's
 * current_version always names an existing version. Documentation calls are rare next to
 * change reads, so their statements are prepared per call (sq_prep / sqlite3_finalize)
 * rather than taking slots in the shared statement cache.
 *
 * The staleness facts a read returns are a range query only (finished changes on the
 * document's CI that ended after its last version or review); the rule itself is
 * gl_doc_possibly_stale's.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

#include "codec/json_docs.h"

#include "util/banned.h"

#define DOC_COLS                                                                                   \
    "d.id, d.version, d.client_id, k.key, d.ci_id, d.kind, d.title, d.current_version, "          \
    "d.reviewed_at, d.reviewed_by, d.created_at, d.updated_at, v.created_at "                     \
    "FROM documents d JOIN clients k ON k.id = d.client_id "                                       \
    "JOIN document_versions v ON v.document_id = d.id AND v.version = d.current_version"

static const char facts_sql[] =
    "SELECT ch.id, ch.actual_end, EXISTS (SELECT 1 FROM change_documents cd"
    "  WHERE cd.change_id = ch.id AND cd.document_id = ?1"
    "  AND (cd.result_version IS NOT NULL OR cd.no_doc_affected))"
    " FROM change_cis cc JOIN changes ch ON ch.id = cc.change_id"
    " WHERE cc.ci_id = ?2 AND ch.actual_end IS NOT NULL AND ch.actual_end > ?3"
    " ORDER BY ch.actual_end DESC LIMIT 20";

static sqlite3_stmt *sq_prep(struct sq_conn *c, const char *sql, struct gl_error *err)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    if (src != SQLITE_OK) {
        sq_error(c, src, NULL, "prepare documentation query", err);
        return NULL;
    }
    return st;
}

/* ---- reading ----------------------------------------------------------------------- */

static int read_doc(sqlite3_stmt *st, struct gl_document *d, struct gl_error *err)
{
    d->id = sqlite3_column_int64(st, 0);
    d->version = sqlite3_column_int64(st, 1);
    d->client_id = sqlite3_column_int64(st, 2);
    d->ci_id = sqlite3_column_int64(st, 4);
    if (gl_doc_kind_parse((const char *)sqlite3_column_text(st, 5), &d->kind) < 0)
        d->kind = GL_DOC_OTHER;
    d->current_version = sqlite3_column_int64(st, 7);
    d->reviewed_at = sq_col_time(st, 8);
    d->created_at = sqlite3_column_int64(st, 10);
    d->updated_at = sqlite3_column_int64(st, 11);
    d->last_version_at = sqlite3_column_int64(st, 12);
    if (sq_col_text(st, 3, &d->client_key) || sq_col_text(st, 6, &d->title) ||
        sq_col_text(st, 9, &d->reviewed_by))
        return sq_oom(err);
    return 0;
}

static int read_facts(struct sq_conn *c, struct gl_document *d, struct gl_error *err)
{
    d->nfacts = 0;
    if (!d->ci_id)
        return 0;
    int64_t since = d->last_version_at;
    if (d->reviewed_at != GL_TIME_UNSET && d->reviewed_at > since)
        since = d->reviewed_at;
    sqlite3_stmt *st = sq_prep(c, facts_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, d->id);
    sqlite3_bind_int64(st, 2, d->ci_id);
    sqlite3_bind_int64(st, 3, since);
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW && d->nfacts < GL_DOC_FACTS_MAX) {
        struct gl_doc_fact *f = &d->facts[d->nfacts++];
        f->change_id = sqlite3_column_int64(st, 0);
        f->actual_end = sqlite3_column_int64(st, 1);
        f->acknowledged = sqlite3_column_int(st, 2) != 0;
    }
    int rc = src == SQLITE_ROW || src == SQLITE_DONE ? 0 : sq_error(c, src, NULL, "facts", err);
    sqlite3_finalize(st);
    return rc;
}

static int load_doc(struct sq_conn *c, int64_t id, struct gl_document *out, struct gl_error *err)
{
    sqlite3_stmt *st = sq_prep(c, "SELECT " DOC_COLS " WHERE d.id = ?", err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int src = sqlite3_step(st), rc;
    if (src == SQLITE_ROW)
        rc = read_doc(st, out, err);
    else if (src == SQLITE_DONE)
        rc = gl_error_set(err, GL_E_NOT_FOUND, NULL, "no such document");
    else
        rc = sq_error(c, src, NULL, "load document", err);
    sqlite3_finalize(st);
    return rc ? rc : read_facts(c, out, err);
}

struct doc_read {
    int64_t id, version;
    struct gl_document *doc;
    struct gl_doc_version *ver;
    const struct gl_doc_filter *filter;
    struct gl_document_page *page;
    struct gl_doc_version_list *list;
};

static int doc_get_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct doc_read *r = arg;
    return load_doc(c, r->id, r->doc, err);
}

int sq_doc_get(struct gl_store *st, int64_t id, struct gl_document *out, struct gl_error *err)
{
    gl_document_init(out);
    struct doc_read r = {.id = id, .doc = out};
    int rc = sq_with_tx(st, false, doc_get_tx, &r, err);
    if (rc)
        gl_document_release(out);
    return rc;
}

static int list_sql(struct gl_buf *sql, const struct gl_doc_filter *f)
{
    return gl_buf_puts(sql, "SELECT " DOC_COLS " WHERE 1") ||
           sq_scope_sql(sql, " AND d.client_id IN (", f->scope) ||
           (f->client_id && gl_buf_puts(sql, " AND d.client_id = ?")) ||
           (f->ci_id && gl_buf_puts(sql, " AND d.ci_id = ?")) ||
           (f->before_id && gl_buf_puts(sql, " AND d.id < ?")) ||
           gl_buf_puts(sql, " ORDER BY d.id DESC LIMIT ?");
}

static int doc_list_rows(struct sq_conn *c, sqlite3_stmt *st, struct doc_read *r,
                         struct gl_error *err)
{
    const struct gl_doc_filter *f = r->filter;
    struct gl_document_page *p = r->page;
    size_t cap = 0;
    int src, rc = 0;
    while (rc == 0 && (src = sqlite3_step(st)) == SQLITE_ROW) {
        if (p->len == (size_t)f->limit) {
            p->next_cursor = p->items[p->len - 1].id;
            break;
        }
        if (sq_grow((void **)&p->items, p->len, &cap, sizeof *p->items))
            return sq_oom(err);
        gl_document_init(&p->items[p->len]);
        rc = read_doc(st, &p->items[p->len++], err);
    }
    if (rc == 0 && src != SQLITE_ROW && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "list documents", err);
    for (size_t i = 0; rc == 0 && i < p->len; i++)
        rc = read_facts(c, &p->items[i], err);
    return rc;
}

static int doc_list_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct doc_read *r = arg;
    const struct gl_doc_filter *f = r->filter;
    struct gl_buf sql = GL_BUF_INIT;
    if (list_sql(&sql, f)) {
        gl_buf_release(&sql);
        return sq_oom(err);
    }
    sqlite3_stmt *st = sq_prep(c, gl_buf_str(&sql), err);
    gl_buf_release(&sql);
    if (!st)
        return GL_E_INTERNAL;
    int at = sq_bind_scope(st, 1, f->scope);
    if (f->client_id)
        sqlite3_bind_int64(st, at++, f->client_id);
    if (f->ci_id)
        sqlite3_bind_int64(st, at++, f->ci_id);
    if (f->before_id)
        sqlite3_bind_int64(st, at++, f->before_id);
    sqlite3_bind_int(st, at, f->limit + 1);
    int rc = doc_list_rows(c, st, r, err);
    sqlite3_finalize(st);
    return rc;
}

int sq_doc_list(struct gl_store *st, const struct gl_doc_filter *f, struct gl_document_page *out,
                struct gl_error *err)
{
    memset(out, 0, sizeof *out);
    if (f->limit < 1 || f->limit > GL_LIST_MAX)
        return gl_error_set(err, GL_E_INVALID, "limit", "limit must be 1..%d", GL_LIST_MAX);
    struct doc_read r = {.filter = f, .page = out};
    int rc = sq_with_tx(st, false, doc_list_tx, &r, err);
    if (rc)
        gl_document_page_release(out);
    return rc;
}

static int read_version(sqlite3_stmt *st, bool body, struct gl_doc_version *v,
                        struct gl_error *err)
{
    v->document_id = sqlite3_column_int64(st, 0);
    v->version = sqlite3_column_int64(st, 1);
    if (gl_doc_format_parse((const char *)sqlite3_column_text(st, 2), &v->format) < 0)
        v->format = GL_DOC_TEXT;
    v->created_at = sqlite3_column_int64(st, 4);
    if (sq_col_text(st, 3, &v->author) || (body && sq_col_text(st, 5, &v->body)))
        return sq_oom(err);
    return 0;
}

static int version_get_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct doc_read *r = arg;
    sqlite3_stmt *st = sq_prep(c,
                               "SELECT document_id, version, format, author, created_at, body "
                               "FROM document_versions WHERE document_id = ? AND version = ?",
                               err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_int64(st, 2, r->version);
    int src = sqlite3_step(st), rc;
    if (src == SQLITE_ROW)
        rc = read_version(st, true, r->ver, err);
    else if (src == SQLITE_DONE)
        rc = gl_error_set(err, GL_E_NOT_FOUND, NULL, "no version %lld of this document",
                          (long long)r->version);
    else
        rc = sq_error(c, src, NULL, "load version", err);
    sqlite3_finalize(st);
    return rc;
}

int sq_doc_version_get(struct gl_store *st, int64_t doc_id, int64_t version,
                       struct gl_doc_version *out, struct gl_error *err)
{
    gl_doc_version_init(out);
    struct doc_read r = {.id = doc_id, .version = version, .ver = out};
    int rc = sq_with_tx(st, false, version_get_tx, &r, err);
    if (rc)
        gl_doc_version_release(out);
    return rc;
}

static int versions_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct doc_read *r = arg;
    sqlite3_stmt *st = sq_prep(c,
                               "SELECT document_id, version, format, author, created_at "
                               "FROM document_versions WHERE document_id = ? ORDER BY version",
                               err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, r->id);
    size_t cap = 0;
    int src, rc = 0;
    while (rc == 0 && (src = sqlite3_step(st)) == SQLITE_ROW) {
        if (sq_grow((void **)&r->list->items, r->list->len, &cap, sizeof *r->list->items)) {
            rc = sq_oom(err);
            break;
        }
        gl_doc_version_init(&r->list->items[r->list->len]);
        rc = read_version(st, false, &r->list->items[r->list->len++], err);
    }
    if (rc == 0 && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "list versions", err);
    sqlite3_finalize(st);
    return rc;
}

int sq_doc_versions(struct gl_store *st, int64_t doc_id, struct gl_doc_version_list *out,
                    struct gl_error *err)
{
    memset(out, 0, sizeof *out);
    struct doc_read r = {.id = doc_id, .list = out};
    int rc = sq_with_tx(st, false, versions_tx, &r, err);
    if (rc)
        gl_doc_version_list_release(out);
    return rc;
}
