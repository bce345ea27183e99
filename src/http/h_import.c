/*
 * h_import.c - bulk import and export of configuration items:
 *   POST /api/v1/cis/import[?dry_run=true]   (text/csv or application/json)
 *   GET  /api/v1/cis/export[?client=K][&format=csv|json]
 *
 * Every row goes through the same checks as POST /api/v1/cis: the client must be one the
 * caller sees (else "unknown client"), the caller must hold ci.write on it, and the core
 * validates the record; an update also needs the stored CI visible and writable. A row
 * that fails any check is reported, once per bad field ({"row", "field", "error"}), and not
 * written; the store writes each accepted row atomically with its audit event and its
 * relations. The export
 * writes the same shape (attributes as attr.KEY columns, relations by target name), so an
 * export imports back as updates (or "unchanged"), never as duplicates. Relations to
 * another client's CIs cannot be named in a file and are left out of the export.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/cmdb.h"
#include "codec/ci_import.h"
#include "codec/json.h"
#include "core/authz.h"
#include "http/handler_util.h"
#include "http/handlers.h"

#include "util/banned.h"

#define CLIENT_CACHE 64

/* Client keys already resolved in this import: files repeat a handful of keys. */
struct client_cache {
    struct {
        const char *key; /* borrowed from a row */
        int rc;
        int64_t id;
        struct gl_error err;
    } e[CLIENT_CACHE];
    int n;
};

static int resolve_client(struct gl_request *req, struct client_cache *cc, const char *key,
                          int64_t *id, struct gl_error *err)
{
    for (int i = 0; i < cc->n; i++)
        if (strcmp(cc->e[i].key, key) == 0) {
            *id = cc->e[i].id;
            if (cc->e[i].rc)
                *err = cc->e[i].err;
            return cc->e[i].rc;
        }
    int rc = gl_h_resolve_client(req, key, "client", id, err);
    if (cc->n < CLIENT_CACHE && rc != GL_E_INTERNAL) {
        cc->e[cc->n].key = key;
        cc->e[cc->n].rc = rc;
        cc->e[cc->n].id = *id;
        cc->e[cc->n].err = rc ? *err : (struct gl_error){0};
        cc->n++;
    }
    return rc;
}

/* The per-row checks before the store sees the row, each failing one a reason to reject
 * it (after those the file's reading gave), so the report names every bad field. Returns
 * the row's code, or GL_E_INTERNAL with *fatal filled. */
static int check_row(struct gl_request *req, struct client_cache *cc, struct gl_ci_row *r,
                     struct gl_error *fatal)
{
    struct gl_error e = {0}, bad[GL_CI_CHECKS_MAX];
    int rc = 0;
    if (r->err.code != GL_OK && !r->err.field[0])
        return r->err.code; /* the row could not be read at all */
    r->ci.client_id = 0;
    if (r->ci.client_key && resolve_client(req, cc, r->ci.client_key, &r->ci.client_id, &e))
        rc = e.code == GL_E_INTERNAL ? GL_E_INTERNAL : gl_ci_row_reject(r, &e);
    else if (gl_authz_check(&req->user, GL_PERM_CI_WRITE, r->ci.client_id, &e))
        rc = gl_ci_row_reject(r, &e);
    size_t n = gl_ci_validate_all(&r->ci, bad, GL_CI_CHECKS_MAX);
    for (size_t i = 0; !rc && i < n && i < GL_CI_CHECKS_MAX; i++)
        rc = gl_ci_row_reject(r, &bad[i]);
    if (rc == GL_E_INTERNAL) {
        if (e.code != GL_E_INTERNAL) /* not the store's failure: gl_ci_row_reject's */
            gl_error_set(&e, GL_E_INTERNAL, NULL, "out of memory");
        *fatal = e;
        return GL_E_INTERNAL;
    }
    return r->err.code;
}

/* Called by the store for a row that updates `stored`. */
static int check_stored(void *ud, const struct gl_ci *stored, struct gl_error *err)
{
    struct gl_request *req = ud;
    if (stored->client_id != 0 && !gl_scope_contains(&req->scope, stored->client_id)) {
        char ident[GL_IDENT_MAX];
        gl_ci_ident_format(stored->id, ident);
        return gl_error_set(err, GL_E_INVALID, "id", "no configuration item %s", ident);
    }
    return gl_authz_check(&req->user, GL_PERM_CI_WRITE, stored->client_id, err);
}

static bool media_is(const char *ct, const char *type)
{
    size_t n = strlen(type);
    return ct && strncasecmp(ct, type, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static int parse_body(struct gl_request *req, struct gl_ci_rows *rows, struct gl_error *err)
{
    const char *ct = gl_req_header(req, "Content-Type");
    const char *data = req->body.data ? req->body.data : "";
    if (media_is(ct, "text/csv"))
        return gl_ci_rows_from_csv(data, req->body.len, rows, err);
    if (media_is(ct, "application/json"))
        return gl_ci_rows_from_json(data, req->body.len, rows, err);
    return gl_error_set(err, GL_E_UNSUPPORTED, NULL,
                        "send the file as Content-Type: text/csv or application/json");
}

static int parse_dry_run(struct gl_request *req, bool *dry_run, struct gl_error *err)
{
    const char *v = gl_req_query(req, "dry_run");
    *dry_run = v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
    if (v && !*dry_run && strcmp(v, "false") != 0 && strcmp(v, "0") != 0)
        return gl_error_set(err, GL_E_INVALID, "dry_run", "dry_run must be true or false");
    return 0;
}

static json_t *rejection(int row, const struct gl_error *e)
{
    return json_pack("{s:i, s:s?, s:s}", "row", row, "field", e->field[0] ? e->field : NULL,
                     "error", e->detail);
}

/* The counts, and every reason of every rejected row: one {row, field, error} each. */
static json_t *report(const struct gl_ci_rows *rows, const struct gl_ci_import *items,
                      bool dry_run)
{
    json_int_t count[GL_IMPORT_REJECTED + 1] = {0};
    json_t *rejected = json_array();
    for (size_t i = 0; i < rows->len; i++) {
        const struct gl_ci_row *r = &rows->items[i];
        count[items[i].outcome]++;
        if (items[i].outcome != GL_IMPORT_REJECTED)
            continue;
        json_array_append_new(rejected, rejection(r->row, items[i].err));
        for (size_t k = 0; k < r->nmore; k++)
            json_array_append_new(rejected, rejection(r->row, &r->more[k]));
    }
    return json_pack("{s:I, s:I, s:I, s:o, s:I, s:b}", "created", count[GL_IMPORT_CREATED],
                     "updated", count[GL_IMPORT_UPDATED], "unchanged",
                     count[GL_IMPORT_UNCHANGED], "rejected", rejected, "rejected_rows",
                     count[GL_IMPORT_REJECTED], "dry_run", dry_run);
}

int gl_h_cis_import(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_ci_rows rows = {0};
    struct gl_ci_import *items = NULL;
    struct client_cache *cc = calloc(1, sizeof *cc);
    bool dry_run;
    gl_error_clear(&err);
    if (!cc) {
        gl_error_set(&err, GL_E_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    if (parse_dry_run(req, &dry_run, &err) || parse_body(req, &rows, &err))
        goto fail;
    items = calloc(rows.len ? rows.len : 1, sizeof *items);
    if (!items) {
        gl_error_set(&err, GL_E_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < rows.len; i++) {
        struct gl_ci_row *r = &rows.items[i];
        items[i] = (struct gl_ci_import){&r->ci, r->id, GL_IMPORT_PENDING, &r->err, r->links,
                                         r->nlinks, !r->has_attrs};
        if (check_row(req, cc, r, &err) == GL_E_INTERNAL)
            goto fail;
        if (r->err.code != GL_OK)
            items[i].outcome = GL_IMPORT_REJECTED;
    }
    struct gl_app a = gl_h_app(req);
    if (gl_app_ci_import(&a, items, rows.len, dry_run, check_stored, req, &err))
        goto fail;
    gl_res_json(res, 200, report(&rows, items, dry_run));
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    free(items);
    free(cc);
    gl_ci_rows_release(&rows);
    return 0;
}

/* ---- export ------------------------------------------------------------------------ */

/* Every CI of the export with its nameable relations, gathered before writing because the
 * CSV header names every attribute key in use. */
struct export_set {
    struct gl_ci *cis;
    size_t len, cap;
    struct gl_ci_named_link *links; /* sorted by link_cmp once all are in */
    size_t nlinks, links_cap;
};

static void export_release(struct export_set *x)
{
    for (size_t i = 0; i < x->len; i++)
        gl_ci_release(&x->cis[i]);
    free(x->cis);
    for (size_t i = 0; i < x->nlinks; i++)
        free(x->links[i].link.name);
    free(x->links);
}

static int grow(void **items, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 256;
    while (ncap < need)
        ncap *= 2;
    void *n = realloc(*items, ncap * size);
    if (!n)
        return -1;
    *items = n;
    *cap = ncap;
    return 0;
}

/* Moves the page's CIs into x and appends their relations that a file can name (to the
 * same client or to shared infrastructure): one query per page. */
static int take_page(struct gl_request *req, struct export_set *x, struct gl_ci_page *page,
                     struct gl_error *err)
{
    int64_t ids[GL_LIST_MAX];
    size_t n = page->len < GL_LIST_MAX ? page->len : GL_LIST_MAX;
    if (grow((void **)&x->cis, &x->cap, x->len + n, sizeof *x->cis))
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    for (size_t i = 0; i < n; i++)
        ids[i] = page->items[i].id;
    struct gl_ci_named_links more = {0};
    int rc = req->store->cis->named_links(req->store, ids, n, &more, err);
    for (size_t i = 0; !rc && i < more.len; i++) {
        struct gl_ci_named_link *l = &more.items[i];
        int64_t from_client = 0;
        for (size_t k = 0; k < n; k++)
            if (page->items[k].id == l->from_ci)
                from_client = page->items[k].client_id;
        if (l->to_client != 0 && l->to_client != from_client)
            continue;
        if (grow((void **)&x->links, &x->links_cap, x->nlinks + 1, sizeof *x->links)) {
            rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
            break;
        }
        x->links[x->nlinks++] = *l;
        l->link.name = NULL; /* moved */
    }
    gl_ci_named_links_release(&more);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        x->cis[x->len++] = page->items[i];
        gl_ci_init(&page->items[i]); /* moved */
    }
    return 0;
}

/* Every CI of the filter, page by page. */
static int collect(struct gl_request *req, struct gl_ci_filter *f, struct export_set *x,
                   struct gl_error *err)
{
    f->limit = GL_LIST_MAX;
    do {
        struct gl_ci_page page = {0};
        int rc = req->store->cis->list(req->store, f, &page, err);
        if (!rc)
            rc = take_page(req, x, &page, err);
        f->before_id = page.next_cursor;
        gl_ci_page_release(&page);
        if (rc)
            return rc;
    } while (f->before_id);
    return 0;
}

static int link_cmp(const void *pa, const void *pb)
{
    const struct gl_ci_named_link *a = pa, *b = pb;
    if (a->from_ci != b->from_ci)
        return a->from_ci < b->from_ci ? -1 : 1;
    if (a->link.kind != b->link.kind)
        return (int)a->link.kind - (int)b->link.kind;
    return strcmp(a->link.name, b->link.name);
}

/* The run of links out of ci_id (x->links sorted by link_cmp). */
static const struct gl_ci_named_link *links_of(const struct export_set *x, int64_t ci_id,
                                               size_t *n)
{
    size_t lo = 0, hi = x->nlinks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->links[mid].from_ci < ci_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    *n = 0;
    while (lo + *n < x->nlinks && x->links[lo + *n].from_ci == ci_id)
        (*n)++;
    return *n ? &x->links[lo] : NULL;
}

/* The CI's links as plain gl_ci_link (borrowed names) into buf. */
static size_t plain_links(const struct gl_ci_named_link *l, size_t n, struct gl_ci_link *buf)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = l[i].link;
    return n;
}

static int strp_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted, distinct attribute keys in use (borrowed from x). */
static int attr_keys(const struct export_set *x, const char ***keys, size_t *nkeys)
{
    size_t cap = 0;
    *keys = NULL;
    *nkeys = 0;
    for (size_t i = 0; i < x->len; i++)
        for (size_t k = 0; k < x->cis[i].attrs.len; k++) {
            if (grow((void **)keys, &cap, *nkeys + 1, sizeof **keys))
                return -1;
            (*keys)[(*nkeys)++] = x->cis[i].attrs.items[k].key;
        }
    if (!*nkeys)
        return 0;
    qsort(*keys, *nkeys, sizeof **keys, strp_cmp);
    size_t out = 1;
    for (size_t i = 1; i < *nkeys; i++)
        if (strcmp((*keys)[i], (*keys)[out - 1]) != 0)
            (*keys)[out++] = (*keys)[i];
    *nkeys = out;
    return 0;
}

static int write_csv(const struct export_set *x, struct gl_buf *csv)
{
    const char **keys;
    size_t nkeys;
    struct gl_ci_link *buf = NULL;
    int rc = attr_keys(x, &keys, &nkeys);
    if (!rc && x->nlinks && !(buf = malloc(x->nlinks * sizeof *buf)))
        rc = -1;
    if (!rc)
        rc = gl_ci_csv_header(csv, keys, nkeys);
    for (size_t i = 0; !rc && i < x->len; i++) {
        size_t n;
        const struct gl_ci_named_link *l = links_of(x, x->cis[i].id, &n);
        rc = gl_ci_csv_row(csv, &x->cis[i], keys, nkeys, buf, l ? plain_links(l, n, buf) : 0);
    }
    free(buf);
    free(keys);
    return rc;
}

static json_t *write_json(const struct export_set *x)
{
    json_t *arr = json_array();
    struct gl_ci_link *buf = x->nlinks ? malloc(x->nlinks * sizeof *buf) : NULL;
    if (x->nlinks && !buf) {
        json_decref(arr);
        return NULL;
    }
    for (size_t i = 0; arr && i < x->len; i++) {
        size_t n;
        const struct gl_ci_named_link *l = links_of(x, x->cis[i].id, &n);
        json_t *obj = gl_json_ci(&x->cis[i]);
        if (!obj || gl_ci_json_links(obj, buf, l ? plain_links(l, n, buf) : 0) ||
            json_array_append_new(arr, obj)) {
            json_decref(arr);
            arr = NULL;
        }
    }
    free(buf);
    return arr;
}

int gl_h_cis_export(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_ci_filter f = {.scope = &req->scope};
    struct gl_buf csv = GL_BUF_INIT;
    struct export_set x = {0};
    const char *s, *format = gl_req_query(req, "format");
    gl_error_clear(&err);
    if (format && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
        return gl_res_fail(res, req, GL_E_INVALID, "format", "format must be csv or json");
    if ((s = gl_req_query(req, "client")) && gl_h_resolve_client(req, s, "client", &f.client_id, &err))
        return gl_res_problem(res, req, &err);
    if (collect(req, &f, &x, &err))
        goto fail;
    if (x.nlinks)
        qsort(x.links, x.nlinks, sizeof *x.links, link_cmp);
    if (format && strcmp(format, "json") == 0) {
        json_t *arr = write_json(&x);
        if (!arr) {
            gl_error_set(&err, GL_E_INTERNAL, NULL, "out of memory");
            goto fail;
        }
        gl_res_json(res, 200, json_pack("{s:o}", "cis", arr));
        goto out;
    }
    if (write_csv(&x, &csv) < 0) {
        gl_error_set(&err, GL_E_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    res->status = 200;
    res->content_type = "text/csv; charset=utf-8";
    res->len = csv.len;
    res->body = gl_buf_detach(&csv);
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    gl_buf_release(&csv);
    export_release(&x);
    return 0;
}
