/*
 * sqlite_docs_write.c - the writes of documentation (see sqlite_docs.c for the reads and
 * the invariants): documents and new versions, baselines linked to changes, and a change's
 * completion together with the versions it resulted in.
 *
 * Every write is one transaction with its audit event(s); a document's events are filed
 * under its client, a link's under the change.
 */
#include "store/sqlite_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "codec/json_docs.h"

#include "util/banned.h"

static sqlite3_stmt *prep(struct sq_conn *c, const char *sql, struct gl_error *err)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    if (src != SQLITE_OK) {
        sq_error(c, src, NULL, "prepare documentation write", err);
        return NULL;
    }
    return st;
}

static int run(struct sq_conn *c, sqlite3_stmt *st, const char *field, const char *what,
               struct gl_error *err)
{
    int src = sqlite3_step(st);
    int rc = src == SQLITE_DONE ? 0 : sq_error(c, src, field, what, err);
    sqlite3_finalize(st);
    return rc;
}

static int insert_version(struct sq_conn *c, int64_t doc_id, struct gl_doc_version *v,
                          int64_t number, const struct gl_write_ctx *ctx, struct gl_error *err)
{
    sqlite3_stmt *st = prep(c,
                            "INSERT INTO document_versions (document_id, version, body, format, "
                            "author, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                            err);
    if (!st)
        return GL_E_INTERNAL;
    v->document_id = doc_id;
    v->version = number;
    v->created_at = ctx->now;
    sqlite3_bind_int64(st, 1, doc_id);
    sqlite3_bind_int64(st, 2, number);
    sq_bind_text(st, 3, v->body ? v->body : "");
    sq_bind_text(st, 4, gl_doc_format_name(v->format));
    sq_bind_text(st, 5, v->author ? v->author : ctx->actor);
    sqlite3_bind_int64(st, 6, ctx->now);
    return run(c, st, "body", "insert document version", err);
}

struct doc_write {
    const struct gl_write_ctx *ctx;
    struct gl_document *doc;
    struct gl_doc_version *ver;
};

static void bind_doc(sqlite3_stmt *st, const struct gl_document *d)
{
    sqlite3_bind_int64(st, 1, d->client_id);
    sq_bind_optid(st, 2, d->ci_id);
    sq_bind_text(st, 3, gl_doc_kind_name(d->kind));
    sq_bind_text(st, 4, d->title);
    sqlite3_bind_int64(st, 5, d->current_version);
    sq_bind_time(st, 6, d->reviewed_at);
    sq_bind_text(st, 7, d->reviewed_by);
    sqlite3_bind_int64(st, 8, d->updated_at);
}

static int doc_create_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct doc_write *w = arg;
    struct gl_document *d = w->doc;
    d->current_version = 1;
    d->created_at = d->updated_at = w->ctx->now;
    sqlite3_stmt *st = prep(c,
                            "INSERT INTO documents (client_id, ci_id, kind, title, "
                            "current_version, reviewed_at, reviewed_by, updated_at, created_at, "
                            "version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                            err);
    if (!st)
        return GL_E_INTERNAL;
    bind_doc(st, d);
    sqlite3_bind_int64(st, 9, d->created_at);
    int rc = run(c, st, "ci", "insert document", err);
    if (rc)
        return rc;
    d->id = sqlite3_last_insert_rowid(c->db);
    d->version = 1;
    rc = insert_version(c, d->id, w->ver, 1, w->ctx, err);
    d->last_version_at = w->ctx->now;
    if (rc)
        return rc;
    return sq_audit_json(c, w->ctx, "document.create", "document", d->id, d->client_id, NULL,
                         gl_json_document_dump(d), false, err);
}

int sq_doc_create(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_document *d,
                  struct gl_doc_version *v, struct gl_error *err)
{
    struct doc_write w = {.ctx = ctx, .doc = d, .ver = v};
    return sq_with_tx(st, true, doc_create_tx, &w, err);
}

/* The stored row as far as an update needs it: id, versions and creation time. */
static int load_head(struct sq_conn *c, int64_t id, struct gl_document *d, struct gl_error *err)
{
    sqlite3_stmt *st =
        prep(c, "SELECT version, current_version, created_at FROM documents WHERE id = ?", err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int src = sqlite3_step(st), rc = 0;
    if (src == SQLITE_ROW) {
        d->id = id;
        d->version = sqlite3_column_int64(st, 0);
        d->current_version = sqlite3_column_int64(st, 1);
        d->created_at = sqlite3_column_int64(st, 2);
    } else if (src == SQLITE_DONE)
        rc = gl_error_set(err, GL_E_NOT_FOUND, NULL, "no such document");
    else
        rc = sq_error(c, src, NULL, "document version", err);
    sqlite3_finalize(st);
    return rc;
}

SQ_VERSIONED_ADAPTERS(doc, struct gl_document, gl_document_init, gl_document_release, load_head)

/* A new text version (u->arg, may be NULL) becomes the current one. */
static int doc_prepare(struct sq_conn *c, const struct sq_update *u, struct gl_error *err)
{
    const struct gl_document *stored = u->stored;
    struct gl_document *d = u->after;
    struct gl_doc_version *ver = u->arg;
    d->current_version = stored->current_version;
    if (!ver)
        return 0;
    d->current_version = stored->current_version + 1;
    int rc = insert_version(c, stored->id, ver, d->current_version, u->ctx, err);
    if (!rc)
        d->last_version_at = u->ctx->now;
    return rc;
}

static int doc_write(struct sq_conn *c, const struct sq_update *u, struct gl_error *err)
{
    const struct gl_document *d = u->after;
    sqlite3_stmt *st = prep(c,
                            "UPDATE documents SET client_id = ?, ci_id = ?, kind = ?, title = ?, "
                            "current_version = ?, reviewed_at = ?, reviewed_by = ?, "
                            "updated_at = ?, version = version + 1 WHERE id = ?",
                            err);
    if (!st)
        return GL_E_INTERNAL;
    bind_doc(st, d);
    sqlite3_bind_int64(st, 9, d->id);
    return run(c, st, "ci", "update document", err);
}

/* The stored row is read only in part, so the before snapshot is the caller's record. */
static int doc_record(struct sq_conn *c, const struct sq_update *u, struct gl_error *err)
{
    const struct gl_document *d = u->after;
    return sq_audit_json(c, u->ctx, "document.update", "document", d->id, d->client_id,
                         gl_json_document_dump(u->before), gl_json_document_dump(d), true, err);
}

static const struct sq_versioned doc_versioned = {
    SQ_VERSIONED_RECORD(doc, struct gl_document),
    .noun = "document",
    .prepare = doc_prepare,
    .write = doc_write,
    .record = doc_record,
};

int sq_doc_update(struct gl_store *st, const struct gl_write_ctx *ctx,
                  const struct gl_document *before, struct gl_document *after,
                  struct gl_doc_version *v, struct gl_error *err)
{
    return sq_versioned_update(st, &doc_versioned, ctx, before, after, v, err);
}

/* ---- links between changes and documents ------------------------------------------- */

struct link_write {
    const struct gl_write_ctx *ctx;
    const struct gl_change *change;
    struct gl_change *after;
    int64_t doc_id;
    int64_t *base;
    const struct gl_doc_result *results;
    size_t nresults;
    const struct gl_doc_ref_list *refs;
    bool none;
    struct gl_doc_ref_list *out;
};

/* Audits a documentation link on the change: {"documents": {...}} or a flag. */
static int audit_links(struct sq_conn *c, const struct gl_write_ctx *ctx, const char *action,
                       const struct gl_change *ch, json_t *after, struct gl_error *err)
{
    char *text = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(after);
    struct gl_write_ctx actx = *ctx;
    actx.action = action;
    return sq_audit_json(c, &actx, action, "change", ch->id, ch->client_id, NULL, text, false,
                         err);
}

static int link_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct link_write *w = arg;
    int64_t version = 0, current = 0, client = 0;
    sqlite3_stmt *st =
        prep(c, "SELECT version, current_version, client_id FROM documents WHERE id = ?", err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, w->doc_id);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        version = sqlite3_column_int64(st, 0);
        current = sqlite3_column_int64(st, 1);
        client = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    (void)version;
    if (src != SQLITE_ROW || client != w->change->client_id)
        return gl_error_set(err, GL_E_INVALID, "document", "document does not exist");
    st = prep(c,
              "INSERT INTO change_documents (change_id, document_id, base_version) "
              "VALUES (?, ?, ?) ON CONFLICT (change_id, document_id) "
              "DO UPDATE SET base_version = excluded.base_version",
              err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, w->change->id);
    sqlite3_bind_int64(st, 2, w->doc_id);
    sqlite3_bind_int64(st, 3, current);
    int rc = run(c, st, "document", "link document", err);
    if (rc)
        return rc;
    *w->base = current;
    char ident[GL_DOC_IDENT_MAX];
    gl_doc_ident_format(w->doc_id, ident);
    return audit_links(c, w->ctx, "change.link_document", w->change,
                       json_pack("{s:s, s:I}", "document", ident, "base_version",
                                 (json_int_t)current),
                       err);
}

int sq_change_doc_link(struct gl_store *st, const struct gl_write_ctx *ctx,
                       const struct gl_change *c, int64_t doc_id, int64_t *base_version,
                       struct gl_error *err)
{
    struct link_write w = {.ctx = ctx, .change = c, .doc_id = doc_id, .base = base_version};
    return sq_with_tx(st, true, link_tx, &w, err);
}

static int refs_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct link_write *w = arg;
    sqlite3_stmt *st = prep(
        c,
        "SELECT d.id, d.current_version, ifnull(cd.base_version, 0) FROM documents d "
        "LEFT JOIN change_documents cd ON cd.document_id = d.id AND cd.change_id = ?1 "
        "WHERE d.client_id = ?2 AND (d.ci_id IN (SELECT ci_id FROM change_cis WHERE change_id = "
        "?1) OR d.id IN (SELECT document_id FROM change_documents WHERE change_id = ?1)) "
        "ORDER BY d.id",
        err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, w->change->id);
    sqlite3_bind_int64(st, 2, w->change->client_id);
    size_t cap = 0;
    int src, rc = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (sq_grow((void **)&w->out->items, w->out->len, &cap, sizeof *w->out->items)) {
            rc = sq_oom(err);
            break;
        }
        struct gl_doc_ref *r = &w->out->items[w->out->len++];
        r->id = sqlite3_column_int64(st, 0);
        r->current_version = sqlite3_column_int64(st, 1);
        r->base_version = sqlite3_column_int64(st, 2);
    }
    if (rc == 0 && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "documents of a change", err);
    sqlite3_finalize(st);
    return rc;
}

int sq_change_doc_refs(struct gl_store *st, const struct gl_change *c, struct gl_doc_ref_list *out,
                       struct gl_error *err)
{
    memset(out, 0, sizeof *out);
    struct link_write w = {.change = c, .out = out};
    int rc = sq_with_tx(st, false, refs_tx, &w, err);
    if (rc)
        gl_doc_ref_list_release(out);
    return rc;
}

static int mark_result(struct sq_conn *c, int64_t change_id, int64_t doc_id, int64_t result,
                       bool none, struct gl_error *err)
{
    sqlite3_stmt *st = prep(c,
                            "INSERT INTO change_documents (change_id, document_id, "
                            "result_version, no_doc_affected) VALUES (?, ?, ?, ?) "
                            "ON CONFLICT (change_id, document_id) DO UPDATE SET "
                            "result_version = excluded.result_version, "
                            "no_doc_affected = excluded.no_doc_affected",
                            err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, change_id);
    sqlite3_bind_int64(st, 2, doc_id);
    sq_bind_optid(st, 3, result);
    sqlite3_bind_int(st, 4, none);
    return run(c, st, "documents", "record resulting version", err);
}

static int complete_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct link_write w = *(struct link_write *)arg;
    int rc = sq_change_update_conn(c, w.ctx, w.change, w.after, err);
    if (rc || (w.nresults == 0 && !w.none))
        return rc;
    json_t *docs = json_object();
    for (size_t i = 0; rc == 0 && i < w.nresults; i++) {
        char ident[GL_DOC_IDENT_MAX];
        gl_doc_ident_format(w.results[i].id, ident);
        json_object_set_new(docs, ident, json_integer(w.results[i].version));
        rc = mark_result(c, w.change->id, w.results[i].id, w.results[i].version, false, err);
    }
    for (size_t i = 0; rc == 0 && w.none && w.refs && i < w.refs->len; i++)
        rc = mark_result(c, w.change->id, w.refs->items[i].id, 0, true, err);
    if (rc) {
        json_decref(docs);
        return rc;
    }
    return audit_links(c, w.ctx, "change.document_results", w.change,
                       json_pack("{s:o, s:b}", "documents", docs, "no_documentation_affected",
                                 w.none),
                       err);
}

int sq_change_complete_docs(struct gl_store *st, const struct gl_write_ctx *ctx,
                            const struct gl_change *before, struct gl_change *after,
                            const struct gl_doc_result *results, size_t nresults,
                            const struct gl_doc_ref_list *refs, bool no_doc_affected,
                            struct gl_error *err)
{
    struct link_write w = {.ctx = ctx,
                           .change = before,
                           .after = after,
                           .results = results,
                           .nresults = nresults,
                           .refs = refs,
                           .none = no_doc_affected};
    return sq_with_tx(st, true, complete_tx, &w, err);
}

/* ---- releases (store.h) -------------------------------------------------------------- */

void gl_document_page_release(struct gl_document_page *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->len; i++)
        gl_document_release(&p->items[i]);
    free(p->items);
    memset(p, 0, sizeof *p);
}

void gl_doc_version_list_release(struct gl_doc_version_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->len; i++)
        gl_doc_version_release(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

void gl_doc_ref_list_release(struct gl_doc_ref_list *l)
{
    if (!l)
        return;
    free(l->items);
    memset(l, 0, sizeof *l);
}
