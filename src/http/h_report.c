/*
 * h_report.c - the client report:
 *   GET /api/v1/clients/{key}/report?from=&to=[&format=json|html]
 *   GET /api/v1/clients/{key}/report.html?from=&to=
 * Every change of one client whose planned or actual window meets [from, to), with its
 * type, state, risk, approvals, outcome and documentation, plus a summary; as JSON, or as
 * a printable HTML page (report.html, ?format=html, or an Accept header preferring
 * text/html over JSON).
 *
 * Tenant isolation: a client outside the caller's scope is 404, like any other client
 * resource; inside it the caller needs change read on the client. Bounds: a period of at
 * most GL_REPORT_DAYS_MAX days and at most GL_REPORT_CHANGES_MAX changes (400 beyond).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "codec/json_report.h"
#include "core/authz.h"
#include "core/timefmt.h"
#include "http/handler_util.h"
#include "http/handlers.h"

#include "util/banned.h"

#define GL_REPORT_DAYS_MAX 366
#define GL_REPORT_DAYS_DEFAULT 30

/* RFC 3339, or a date (YYYY-MM-DD, midnight UTC); absent = dflt. */
static int parse_when(const struct gl_request *req, const char *name, int64_t dflt, int64_t *out,
                      struct gl_error *err)
{
    const char *s = gl_req_query(req, name);
    *out = dflt;
    if (!s)
        return 0;
    char full[40];
    if (strlen(s) == 10 && s[4] == '-' && s[7] == '-') {
        snprintf(full, sizeof full, "%sT00:00:00Z", s);
        s = full;
    }
    if (gl_time_parse(s, out) < 0)
        return gl_error_set(err, GL_E_INVALID, name,
                            "%s must be an RFC 3339 time or a date (YYYY-MM-DD)", name);
    return 0;
}

static int parse_period(const struct gl_request *req, int64_t *from, int64_t *to,
                        struct gl_error *err)
{
    int rc = parse_when(req, "to", req->now, to, err);
    if (!rc)
        rc = parse_when(req, "from", *to - GL_REPORT_DAYS_DEFAULT * 86400LL, from, err);
    if (rc)
        return rc;
    if (*to <= *from)
        return gl_error_set(err, GL_E_INVALID, "to", "to must be later than from");
    if (*to - *from > GL_REPORT_DAYS_MAX * 86400LL)
        return gl_error_set(err, GL_E_INVALID, "to",
                            "a report covers at most %d days: narrow from and to",
                            GL_REPORT_DAYS_MAX);
    return 0;
}

/* Whether to answer with the page: report.html, ?format=html, or Accept naming text/html
 * before any JSON type. */
static int wants_html(const struct gl_request *req, bool *html, struct gl_error *err)
{
    const char *format = gl_req_query(req, "format");
    *html = strstr(req->path, "/report.html") != NULL;
    if (format) {
        if (strcmp(format, "html") != 0 && strcmp(format, "json") != 0)
            return gl_error_set(err, GL_E_INVALID, "format", "format must be json or html");
        *html = strcmp(format, "html") == 0;
        return 0;
    }
    const char *accept = gl_req_header(req, "Accept");
    if (!*html && accept) {
        const char *h = strstr(accept, "text/html"), *j = strstr(accept, "json");
        *html = h && (!j || h < j);
    }
    return 0;
}

static int load_client(struct gl_request *req, struct gl_client *c, struct gl_error *err)
{
    const char *key = req->captures[0];
    int rc = req->store->clients->get(req->store, key, c, err);
    if (rc == 0 && !gl_scope_contains(&req->scope, c->id)) {
        gl_client_release(c);
        rc = GL_E_NOT_FOUND;
    }
    if (rc == GL_E_NOT_FOUND)
        return gl_error_set(err, GL_E_NOT_FOUND, NULL, "no client %s", key);
    return rc;
}

/* A change stored before the current encoding (or without a rendering) is rendered anew,
 * as GET /api/v1/changes/{id} would. */
static int refresh_renderings(struct gl_request *req, struct gl_report_data *d,
                              struct gl_error *err)
{
    for (size_t i = 0; i < d->nchanges; i++) {
        struct gl_change_doc *cd = &d->changes[i];
        if (cd->json && cd->format == GL_JSON_CHANGE_FORMAT)
            continue;
        struct gl_change c;
        gl_change_init(&c);
        int rc = req->store->changes->get(req->store, cd->id, &c, err);
        if (!rc) {
            free(cd->json);
            cd->json = gl_json_change_dump(&c);
            if (!cd->json)
                rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
        }
        gl_change_release(&c);
        if (rc)
            return rc;
    }
    return 0;
}

static int answer_html(struct gl_response *res, json_t *report, struct gl_error *err)
{
    size_t len;
    char *page = gl_html_report(report, &len);
    json_decref(report);
    if (!page)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    res->status = 200;
    res->content_type = "text/html; charset=utf-8";
    /* The page's only resource is its inline style sheet; scripts stay forbidden. */
    res->csp = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";
    res->body = page;
    res->len = len;
    return 0;
}

int gl_h_client_report(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_client client;
    struct gl_report_data data = {0};
    int64_t from, to;
    bool html;
    gl_error_clear(&err);
    gl_client_init(&client);
    if (load_client(req, &client, &err) ||
        gl_authz_check(&req->user, GL_PERM_CHANGE_READ, client.id, &err) ||
        parse_period(req, &from, &to, &err) || wants_html(req, &html, &err))
        goto fail;
    int rc = req->store->clients->report(req->store, client.id, from, to, &data, &err);
    if (rc == GL_E_TOO_LARGE) /* the caller's period is what is too large: a 400 */
        err.code = GL_E_INVALID;
    if (rc || refresh_renderings(req, &data, &err))
        goto fail;
    json_t *report = gl_json_report(&client, from, to, req->now, &data);
    if (!report) {
        gl_error_set(&err, GL_E_INTERNAL, NULL, "cannot render the report");
        goto fail;
    }
    if (html ? answer_html(res, report, &err) : gl_res_json(res, 200, report))
        goto fail;
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    gl_report_data_release(&data);
    gl_client_release(&client);
    return 0;
}
