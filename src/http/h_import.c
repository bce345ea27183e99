/*
 * h_import.c - bulk import and export of configuration items:
 *   POST /api/v1/cis/import[?dry_run=true]   (text/csv or application/json)
 *   GET  /api/v1/cis/export[?client=K][&format=csv|json]
 *
 * Every row goes through the same checks as POST /api/v1/cis: the client must be one the
 * caller sees (else "unknown client"), the caller must hold ci.write on it, and the core
 * validates the record; an update also needs the stored CI visible and writable. A row
 * that fails any check is reported ({"row", "field", "error"}) and not written; the store
 * writes each accepted row atomically with its audit event. The export writes the same
 * shape, so an export imports back as updates (or "unchanged"), never as duplicates.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec/ci_import.h"
#include "codec/json.h"
#include "core/authz.h"
#include "http/h_changes.h"

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

/* The per-row checks before the store sees the row. */
static int check_row(struct gl_request *req, struct client_cache *cc, struct gl_ci_row *r)
{
    if (r->err.code != GL_OK)
        return r->err.code;
    r->ci.client_id = 0;
    if (r->ci.client_key &&
        resolve_client(req, cc, r->ci.client_key, &r->ci.client_id, &r->err))
        return r->err.code;
    if (gl_authz_check(&req->user, GL_PERM_CI_WRITE, r->ci.client_id, &r->err))
        return r->err.code;
    return gl_ci_validate(&r->ci, &r->err);
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

static json_t *report(const struct gl_ci_rows *rows, const struct gl_ci_import *items,
                      bool dry_run)
{
    json_int_t count[GL_IMPORT_REJECTED + 1] = {0};
    json_t *rejected = json_array();
    for (size_t i = 0; i < rows->len; i++) {
        count[items[i].outcome]++;
        if (items[i].outcome != GL_IMPORT_REJECTED)
            continue;
        const struct gl_error *e = items[i].err;
        json_array_append_new(rejected,
                              json_pack("{s:i, s:s?, s:s}", "row", rows->items[i].row, "field",
                                        e->field[0] ? e->field : NULL, "error", e->detail));
    }
    return json_pack("{s:I, s:I, s:I, s:o, s:b}", "created", count[GL_IMPORT_CREATED],
                     "updated", count[GL_IMPORT_UPDATED], "unchanged",
                     count[GL_IMPORT_UNCHANGED], "rejected", rejected, "dry_run", dry_run);
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
        items[i] = (struct gl_ci_import){&r->ci, r->id, GL_IMPORT_PENDING, &r->err};
        if (check_row(req, cc, r) == GL_E_INTERNAL) {
            err = r->err;
            goto fail;
        }
        if (r->err.code != GL_OK)
            items[i].outcome = GL_IMPORT_REJECTED;
    }
    struct gl_write_ctx ctx = gl_req_write_ctx(req, NULL, "bulk import");
    if (STORE(req, ci_import, &ctx, items, rows.len, dry_run, check_stored, req, &err))
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

static int put_page(struct gl_buf *csv, json_t *arr, const struct gl_ci_page *page)
{
    for (size_t i = 0; i < page->len; i++) {
        if (csv && gl_ci_csv_row(csv, &page->items[i]) < 0)
            return -1;
        if (arr && json_array_append_new(arr, gl_json_ci(&page->items[i])) < 0)
            return -1;
    }
    return 0;
}

/* Every CI of the filter, page by page, into csv or arr. */
static int collect(struct gl_request *req, struct gl_ci_filter *f, struct gl_buf *csv, json_t *arr,
                   struct gl_error *err)
{
    f->limit = GL_LIST_MAX;
    do {
        struct gl_ci_page page = {0};
        int rc = STORE(req, ci_list, f, &page, err);
        if (!rc && put_page(csv, arr, &page) < 0)
            rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
        f->before_id = page.next_cursor;
        gl_ci_page_release(&page);
        if (rc)
            return rc;
    } while (f->before_id);
    return 0;
}

int gl_h_cis_export(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_ci_filter f = {.scope = &req->scope};
    struct gl_buf csv = GL_BUF_INIT;
    const char *s, *format = gl_req_query(req, "format");
    gl_error_clear(&err);
    if (format && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
        return gl_res_fail(res, req, GL_E_INVALID, "format", "format must be csv or json");
    if ((s = gl_req_query(req, "client")) && gl_h_resolve_client(req, s, "client", &f.client_id, &err))
        return gl_res_problem(res, req, &err);
    if (format && strcmp(format, "json") == 0) {
        json_t *arr = json_array();
        if (collect(req, &f, NULL, arr, &err)) {
            json_decref(arr);
            return gl_res_problem(res, req, &err);
        }
        return gl_res_json(res, 200, json_pack("{s:o}", "cis", arr));
    }
    if (gl_ci_csv_header(&csv) < 0 || collect(req, &f, &csv, NULL, &err)) {
        gl_buf_release(&csv);
        if (err.code == GL_OK)
            gl_error_set(&err, GL_E_INTERNAL, NULL, "out of memory");
        return gl_res_problem(res, req, &err);
    }
    res->status = 200;
    res->content_type = "text/csv; charset=utf-8";
    res->len = csv.len;
    res->body = gl_buf_detach(&csv);
    return 0;
}
