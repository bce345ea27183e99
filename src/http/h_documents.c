/*
 * h_documents.c - /api/v1/documents: versioned client documentation (core/docs.h), and
 * POST /api/v1/changes/{id}/documents, which links a document's current version to a
 * change as the baseline it starts from.
 *
 * Order of every decision, as for changes and CIs: a document outside the caller's scope
 * is 404 (its existence does not leak), then gl_authz_check (403), then If-Match for
 * edits, then the input. Text lives in immutable versions: an edit of the body appends a
 * version whose author is the caller; a title-only edit or a review changes the document
 * record only. Every write is one audited store call.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "codec/json_docs.h"
#include "core/authz.h"
#include "http/handler_util.h"
#include "http/handlers.h"
#include "util/banned.h"

/* Room for a diff of two bodies at GL_DOC_BODY_MAX: every line may appear twice. */
#define DIFF_MAX (2 * (size_t)GL_DOC_BODY_MAX + 64 * 1024)

static int doc_copy(struct gl_document *dst, const struct gl_document *src)
{
    *dst = *src;
    dst->client_key = dst->title = dst->reviewed_by = NULL;
    if (gl_change_set_str(&dst->client_key, src->client_key) ||
        gl_change_set_str(&dst->title, src->title) ||
        gl_change_set_str(&dst->reviewed_by, src->reviewed_by))
        return -1;
    return 0;
}

/* Loads the document named by ident when the caller may see it; 404 otherwise. */
static int load_doc(struct gl_request *req, const char *ident, struct gl_document *d,
                    struct gl_error *err)
{
    int64_t id;
    int rc = gl_doc_ident_parse(ident, &id) < 0 ? GL_E_NOT_FOUND
                                                : req->store->docs->get(req->store, id, d, err);
    if (rc == 0 && !gl_scope_contains(&req->scope, d->client_id)) {
        gl_document_release(d);
        rc = GL_E_NOT_FOUND;
    }
    if (rc == GL_E_NOT_FOUND)
        return gl_error_set(err, GL_E_NOT_FOUND, NULL, "no document %s", ident);
    return rc;
}

/* The document with its current version's format and body (v may be NULL: no body). */
static int answer_doc(struct gl_response *res, unsigned status, const struct gl_document *d,
                      const struct gl_doc_version *v)
{
    json_t *o = gl_json_document(d);
    if (o && v) {
        json_object_set_new(o, "format", json_string(gl_doc_format_name(v->format)));
        json_object_set_new(o, "body", json_string(v->body ? v->body : ""));
        json_object_set_new(o, "author", v->author ? json_string(v->author) : json_null());
    }
    res->etag_version = d->version;
    return gl_res_json(res, status, o);
}

static int read_str(json_t *body, const char *key, bool required, const char **out,
                    struct gl_error *err)
{
    json_t *v = json_object_get(body, key);
    *out = NULL;
    if (!v) {
        if (required)
            return gl_error_set(err, GL_E_INVALID, key, "%s is required", key);
        return 0;
    }
    if (!json_is_string(v))
        return gl_error_set(err, GL_E_INVALID, key, "%s must be a string", key);
    *out = json_string_value(v);
    return 0;
}

static int check_members(json_t *body, const char *const *allowed, struct gl_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        bool known = false;
        for (size_t i = 0; allowed[i] && !known; i++)
            known = strcmp(key, allowed[i]) == 0;
        if (!known)
            return gl_error_set(err, GL_E_INVALID, key, "unknown field %s", key);
    }
    return 0;
}

static int parse_kind(const char *s, enum gl_doc_kind *kind, struct gl_error *err)
{
    if (s && gl_doc_kind_parse(s, kind) < 0)
        return gl_error_set(err, GL_E_INVALID, "kind",
                            "kind must be baseline, runbook, network_note or other");
    return 0;
}

static int parse_format(const char *s, enum gl_doc_format *format, struct gl_error *err)
{
    if (s && gl_doc_format_parse(s, format) < 0)
        return gl_error_set(err, GL_E_INVALID, "format", "format must be markdown or text");
    return 0;
}

/* A document's CI: visible, and the client's own or shared infrastructure. */
static int resolve_ci(struct gl_request *req, const char *ident, int64_t client_id, int64_t *ci_id,
                      struct gl_error *err)
{
    struct gl_ci ci;
    int64_t id;
    gl_ci_init(&ci);
    int rc = gl_ci_ident_parse(ident, &id) < 0 ? GL_E_NOT_FOUND
                                               : req->store->cis->get(req->store, id, &ci, err);
    if (rc == 0 && ci.client_id != 0 && ci.client_id != client_id)
        rc = GL_E_NOT_FOUND;
    gl_ci_release(&ci);
    if (rc == GL_E_NOT_FOUND)
        return gl_error_set(err, GL_E_INVALID, "ci",
                            "unknown CI %s (a document's CI is its client's or shared)", ident);
    if (rc == 0)
        *ci_id = id;
    return rc;
}

int gl_h_documents_list(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_doc_filter f = {.scope = &req->scope};
    struct gl_document_page page = {0};
    const char *s;
    gl_error_clear(&err);
    if ((s = gl_req_query(req, "client")) &&
        (gl_h_resolve_client(req, s, "client", &f.client_id, &err) ||
         gl_authz_check(&req->user, GL_PERM_DOC_READ, f.client_id, &err)))
        return gl_res_problem(res, req, &err);
    if ((s = gl_req_query(req, "ci")) && gl_ci_ident_parse(s, &f.ci_id) < 0)
        return gl_res_fail(res, req, GL_E_INVALID, "ci", "unknown CI %s", s);
    if (gl_req_page(req, &f.limit, &f.before_id, &err) ||
        req->store->docs->list(req->store, &f, &page, &err))
        return gl_res_problem(res, req, &err);
    json_t *items = json_array();
    for (size_t i = 0; i < page.len; i++)
        json_array_append_new(items, gl_json_document(&page.items[i]));
    gl_res_json(res, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor",
                                    gl_json_cursor(page.next_cursor)));
    gl_document_page_release(&page);
    return 0;
}

int gl_h_documents_create(struct gl_request *req, struct gl_response *res)
{
    static const char *const members[] = {"client", "ci", "kind", "title", "format", "body", NULL};
    struct gl_error err;
    struct gl_document d;
    struct gl_doc_version v;
    json_t *body = NULL;
    const char *client, *ci = NULL, *kind, *title, *format, *text;
    gl_error_clear(&err);
    gl_document_init(&d);
    gl_doc_version_init(&v);
    if (gl_req_json(req, false, &body, &err) || check_members(body, members, &err) ||
        read_str(body, "client", true, &client, &err) ||
        gl_h_resolve_client(req, client, "client", &d.client_id, &err) ||
        gl_authz_check(&req->user, GL_PERM_DOC_WRITE, d.client_id, &err))
        goto fail;
    if (!json_is_null(json_object_get(body, "ci")) && read_str(body, "ci", false, &ci, &err))
        goto fail;
    if ((ci && resolve_ci(req, ci, d.client_id, &d.ci_id, &err)) ||
        read_str(body, "kind", true, &kind, &err) || parse_kind(kind, &d.kind, &err) ||
        read_str(body, "title", true, &title, &err) ||
        read_str(body, "format", false, &format, &err) || parse_format(format, &v.format, &err) ||
        read_str(body, "body", true, &text, &err))
        goto fail;
    if (!(d.title = strdup(title)) || !(d.client_key = strdup(client)) ||
        !(v.body = strdup(text)) || !(v.author = strdup(req->user.name))) {
        gl_error_set(&err, GL_E_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    if (gl_document_validate(&d, &err) || gl_doc_version_validate(&v, &err))
        goto fail;
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "document.create", NULL);
    if (req->store->docs->create(req->store, &ctx, &d, &v, &err))
        goto fail;
    char ident[GL_DOC_IDENT_MAX];
    gl_doc_ident_format(d.id, ident);
    snprintf(res->location, sizeof res->location, "/api/v1/documents/%s", ident);
    answer_doc(res, 201, &d, &v);
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    json_decref(body);
    gl_document_release(&d);
    gl_doc_version_release(&v);
    return 0;
}

int gl_h_document_get(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_document d;
    struct gl_doc_version v;
    gl_document_init(&d);
    gl_doc_version_init(&v);
    if (load_doc(req, req->captures[0], &d, &err) ||
        gl_authz_check(&req->user, GL_PERM_DOC_READ, d.client_id, &err) ||
        req->store->docs->version_get(req->store, d.id, d.current_version, &v, &err))
        gl_res_problem(res, req, &err);
    else
        answer_doc(res, 200, &d, &v);
    gl_document_release(&d);
    gl_doc_version_release(&v);
    return 0;
}

/*
 * PATCH: title and kind change the record; body or format append a version (the format
 * defaults to the current version's, so a body-only edit keeps it).
 */
int gl_h_document_patch(struct gl_request *req, struct gl_response *res)
{
    static const char *const members[] = {"title", "kind", "format", "body", NULL};
    struct gl_error err;
    struct gl_document before, after;
    struct gl_doc_version cur, v;
    json_t *body = NULL;
    const char *title, *kind, *format, *text;
    gl_error_clear(&err);
    gl_document_init(&before);
    gl_document_init(&after);
    gl_doc_version_init(&cur);
    gl_doc_version_init(&v);
    if (load_doc(req, req->captures[0], &before, &err) ||
        gl_authz_check(&req->user, GL_PERM_DOC_WRITE, before.client_id, &err) ||
        gl_h_check_if_match(req, before.version, true, &err) ||
        gl_req_json(req, false, &body, &err) || check_members(body, members, &err) ||
        read_str(body, "title", false, &title, &err) ||
        read_str(body, "kind", false, &kind, &err) ||
        read_str(body, "format", false, &format, &err) ||
        read_str(body, "body", false, &text, &err))
        goto fail;
    if (!title && !kind && !format && !text) {
        gl_error_set(&err, GL_E_INVALID, NULL, "give at least one of title, kind, format, body");
        goto fail;
    }
    if (doc_copy(&after, &before) < 0 || (title && gl_change_set_str(&after.title, title) < 0)) {
        gl_error_set(&err, GL_E_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    if (parse_kind(kind, &after.kind, &err) || gl_document_validate(&after, &err))
        goto fail;
    bool new_version = text || format;
    if (new_version) {
        if (req->store->docs->version_get(req->store, before.id, before.current_version, &cur,
                                          &err))
            goto fail;
        v.format = cur.format;
        if (parse_format(format, &v.format, &err))
            goto fail;
        if (!(v.body = strdup(text ? text : (cur.body ? cur.body : ""))) ||
            !(v.author = strdup(req->user.name))) {
            gl_error_set(&err, GL_E_INTERNAL, NULL, "out of memory");
            goto fail;
        }
        if (gl_doc_version_validate(&v, &err))
            goto fail;
    }
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "document.update", NULL);
    if (req->store->docs->update(req->store, &ctx, &before, &after, new_version ? &v : NULL, &err))
        goto fail;
    if (new_version) {
        answer_doc(res, 200, &after, &v);
    } else {
        gl_doc_version_release(&cur);
        if (req->store->docs->version_get(req->store, after.id, after.current_version, &cur, &err))
            goto fail;
        answer_doc(res, 200, &after, &cur);
    }
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    json_decref(body);
    gl_document_release(&before);
    gl_document_release(&after);
    gl_doc_version_release(&cur);
    gl_doc_version_release(&v);
    return 0;
}

int gl_h_document_versions(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_document d;
    struct gl_doc_version_list list = {0};
    gl_document_init(&d);
    if (load_doc(req, req->captures[0], &d, &err) ||
        gl_authz_check(&req->user, GL_PERM_DOC_READ, d.client_id, &err) ||
        req->store->docs->versions(req->store, d.id, &list, &err)) {
        gl_document_release(&d);
        return gl_res_problem(res, req, &err);
    }
    json_t *items = json_array();
    for (size_t i = 0; i < list.len; i++)
        json_array_append_new(items, gl_json_doc_version(&list.items[i], false));
    char ident[GL_DOC_IDENT_MAX];
    gl_doc_ident_format(d.id, ident);
    gl_res_json(res, 200, json_pack("{s:s, s:I, s:o}", "document", ident, "current_version",
                                    (json_int_t)d.current_version, "items", items));
    gl_doc_version_list_release(&list);
    gl_document_release(&d);
    return 0;
}

/* A version number from the path or the query: 1.. ; GL_E_INVALID naming field. */
static int parse_version(const char *s, const char *field, int64_t *out, struct gl_error *err)
{
    int64_t n = 0;
    const char *p = s;
    for (; p && *p >= '0' && *p <= '9' && n < (INT64_MAX - 9) / 10; p++)
        n = n * 10 + (*p - '0');
    if (!s || !*s || *p || n < 1)
        return gl_error_set(err, GL_E_INVALID, field, "%s must be a version number (1, 2, ...)",
                            field);
    *out = n;
    return 0;
}

int gl_h_document_version_get(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_document d;
    struct gl_doc_version v;
    int64_t n = 0;
    gl_document_init(&d);
    gl_doc_version_init(&v);
    int rc = load_doc(req, req->captures[0], &d, &err) ||
             gl_authz_check(&req->user, GL_PERM_DOC_READ, d.client_id, &err);
    if (!rc && parse_version(req->captures[1], "version", &n, &err))
        rc = gl_error_set(&err, GL_E_NOT_FOUND, NULL, "no version %s of this document",
                          req->captures[1]);
    if (rc || req->store->docs->version_get(req->store, d.id, n, &v, &err))
        gl_res_problem(res, req, &err);
    else
        gl_res_json(res, 200, gl_json_doc_version(&v, true));
    gl_document_release(&d);
    gl_doc_version_release(&v);
    return 0;
}

/* Loads version n of d for a diff; a missing version is bad input naming field. */
static int diff_side(struct gl_request *req, const struct gl_document *d, const char *field,
                     int64_t *n, struct gl_doc_version *v, struct gl_error *err)
{
    int rc = parse_version(gl_req_query(req, field), field, n, err);
    if (rc)
        return rc;
    rc = req->store->docs->version_get(req->store, d->id, *n, v, err);
    if (rc == GL_E_NOT_FOUND)
        return gl_error_set(err, GL_E_INVALID, field,
                            "%s: the document has versions 1..%lld", field,
                            (long long)d->current_version);
    return rc;
}

int gl_h_document_diff(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_document d;
    struct gl_doc_version a, b;
    struct gl_buf out;
    int64_t from = 0, to = 0;
    gl_error_clear(&err);
    gl_document_init(&d);
    gl_doc_version_init(&a);
    gl_doc_version_init(&b);
    gl_buf_init(&out, DIFF_MAX);
    char ident[GL_DOC_IDENT_MAX], la[GL_DOC_IDENT_MAX + 24], lb[GL_DOC_IDENT_MAX + 24];
    if (load_doc(req, req->captures[0], &d, &err) ||
        gl_authz_check(&req->user, GL_PERM_DOC_READ, d.client_id, &err) ||
        diff_side(req, &d, "from", &from, &a, &err) || diff_side(req, &d, "to", &to, &b, &err))
        goto fail;
    gl_doc_ident_format(d.id, ident);
    snprintf(la, sizeof la, "%s v%lld", ident, (long long)from);
    snprintf(lb, sizeof lb, "%s v%lld", ident, (long long)to);
    if (gl_diff_unified(a.body ? a.body : "", b.body ? b.body : "", la, lb, &out, &err))
        goto fail;
    gl_res_json(res, 200, json_pack("{s:s, s:I, s:I, s:s}", "document", ident, "from",
                                    (json_int_t)from, "to", (json_int_t)to, "diff",
                                    gl_buf_str(&out)));
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    gl_buf_release(&out);
    gl_document_release(&d);
    gl_doc_version_release(&a);
    gl_doc_version_release(&b);
    return 0;
}

int gl_h_document_review(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_document before, after;
    struct gl_doc_version cur;
    json_t *body = NULL;
    gl_error_clear(&err);
    gl_document_init(&before);
    gl_document_init(&after);
    gl_doc_version_init(&cur);
    if (load_doc(req, req->captures[0], &before, &err) ||
        gl_authz_check(&req->user, GL_PERM_DOC_WRITE, before.client_id, &err) ||
        gl_h_check_if_match(req, before.version, false, &err) ||
        gl_req_json(req, true, &body, &err) || check_members(body, (const char *const[]){NULL}, &err))
        goto fail;
    if (doc_copy(&after, &before) < 0 || gl_change_set_str(&after.reviewed_by, req->user.name)) {
        gl_error_set(&err, GL_E_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    after.reviewed_at = req->now;
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "document.review", NULL);
    if (req->store->docs->update(req->store, &ctx, &before, &after, NULL, &err))
        goto fail;
    gl_document_release(&before); /* re-read: the staleness facts as of the review */
    if (req->store->docs->get(req->store, after.id, &before, &err))
        goto fail;
    if (req->store->docs->version_get(req->store, before.id, before.current_version, &cur, &err))
        goto fail;
    answer_doc(res, 200, &before, &cur);
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    json_decref(body);
    gl_document_release(&before);
    gl_document_release(&after);
    gl_doc_version_release(&cur);
    return 0;
}

/* A change's documentation may be linked until the change is finished. */
static bool change_open(const struct gl_change *c)
{
    switch (c->state) {
    case GL_STATE_COMPLETED:
    case GL_STATE_FAILED:
    case GL_STATE_ROLLED_BACK:
    case GL_STATE_REVIEWED:
    case GL_STATE_CLOSED:
    case GL_STATE_CANCELLED:
    case GL_STATE_REJECTED:
        return false;
    default:
        return true;
    }
}

int gl_h_change_documents_link(struct gl_request *req, struct gl_response *res)
{
    static const char *const members[] = {"document", NULL};
    struct gl_error err;
    struct gl_change c;
    struct gl_document d;
    json_t *body = NULL;
    const char *ident;
    int64_t base = 0;
    gl_error_clear(&err);
    gl_change_init(&c);
    gl_document_init(&d);
    if (gl_h_load_change(req, req->captures[0], &c, &err) ||
        gl_authz_check(&req->user, GL_PERM_DOC_WRITE, c.client_id, &err) ||
        gl_req_json(req, false, &body, &err) || check_members(body, members, &err) ||
        read_str(body, "document", true, &ident, &err))
        goto fail;
    if (!change_open(&c)) {
        gl_error_set(&err, GL_E_TRANSITION, NULL,
                     "documentation is linked before a change is finished; this one is %s",
                     gl_change_state_name(c.state));
        goto fail;
    }
    int rc = load_doc(req, ident, &d, &err);
    if (rc == GL_E_NOT_FOUND || (rc == 0 && d.client_id != c.client_id)) {
        gl_error_set(&err, GL_E_INVALID, "document", "no document %s of this change's client",
                     ident);
        goto fail;
    }
    if (rc)
        goto fail;
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "change.link_document", NULL);
    if (req->store->docs->link_change(req->store, &ctx, &c, d.id, &base, &err))
        goto fail;
    char cid[GL_IDENT_MAX], did[GL_DOC_IDENT_MAX];
    gl_change_ident_format(c.id, cid);
    gl_doc_ident_format(d.id, did);
    gl_res_json(res, 200, json_pack("{s:s, s:s, s:I}", "change", cid, "document", did,
                                    "base_version", (json_int_t)base));
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    json_decref(body);
    gl_change_release(&c);
    gl_document_release(&d);
    return 0;
}
