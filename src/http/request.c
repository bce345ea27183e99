/*
 * request.c - request accessors and response builders shared by all handlers.
 */
#include "http/request.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "util/banned.h"

const char *gl_req_query(const struct gl_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *gl_req_header(const struct gl_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *gl_req_cookie(const struct gl_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

void gl_req_client_addr(const struct gl_request *req, char *out, size_t size)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info ? info->client_addr : NULL;
    const void *bytes = NULL;
    if (sa && sa->sa_family == AF_INET)
        bytes = &((const struct sockaddr_in *)sa)->sin_addr;
    else if (sa && sa->sa_family == AF_INET6)
        bytes = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    if (!bytes || !inet_ntop(sa->sa_family, bytes, out, (socklen_t)size))
        snprintf(out, size, "unknown");
}

static bool is_json_media_type(const char *ct)
{
    static const char *accepted[] = {"application/json", "application/merge-patch+json"};
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
        size_t n = strlen(accepted[i]);
        if (strncasecmp(ct, accepted[i], n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' '))
            return true;
    }
    return false;
}

int gl_req_json(const struct gl_request *req, bool allow_empty, json_t **out,
                struct gl_error *err)
{
    *out = NULL;
    if (req->body.len == 0) {
        if (!allow_empty)
            return gl_error_set(err, GL_E_INVALID, NULL, "a JSON object body is required");
        *out = json_object();
        return 0;
    }
    const char *ct = gl_req_header(req, "Content-Type");
    if (!ct || !is_json_media_type(ct))
        return gl_error_set(err, GL_E_UNSUPPORTED, NULL,
                            "the body must be sent as Content-Type: application/json");
    json_error_t jerr;
    json_t *v = json_loadb(req->body.data, req->body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!v)
        return gl_error_set(err, GL_E_INVALID, NULL, "malformed JSON at line %d column %d: %s",
                            jerr.line, jerr.column, jerr.text);
    if (!json_is_object(v)) {
        json_decref(v);
        return gl_error_set(err, GL_E_INVALID, NULL, "the body must be a JSON object");
    }
    *out = v;
    return 0;
}

int64_t gl_req_if_match(const struct gl_request *req)
{
    const char *v = gl_req_header(req, "If-Match");
    if (!v)
        return 0;
    if (strncmp(v, "W/", 2) == 0)
        v += 2;
    bool quoted = *v == '"';
    if (quoted)
        v++;
    if (!isdigit((unsigned char)*v))
        return -1;
    errno = 0;
    char *end;
    long long n = strtoll(v, &end, 10);
    if (errno || n <= 0 || (quoted && *end++ != '"') || *end != '\0')
        return -1;
    return n;
}

struct gl_write_ctx gl_req_write_ctx(const struct gl_request *req, const char *action,
                                     const char *reason)
{
    return (struct gl_write_ctx){
        .actor = req->user.name ? req->user.name : "anonymous",
        .request_id = req->request_id,
        .action = action,
        .reason = reason,
        .now = req->now,
    };
}

int gl_res_json(struct gl_response *res, unsigned status, json_t *body)
{
    res->status = status;
    res->content_type = "application/json";
    free(res->body);
    res->body = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    res->len = res->body ? strlen(res->body) : 0;
    json_decref(body);
    return 0;
}

int gl_res_json_text(struct gl_response *res, unsigned status, char *body, size_t len)
{
    res->status = status;
    res->content_type = "application/json";
    free(res->body);
    res->body = body;
    res->len = len;
    return 0;
}

unsigned gl_http_status(enum gl_errcode code)
{
    switch (code) {
    case GL_OK:
        return 200;
    case GL_E_INVALID:
        return 400;
    case GL_E_UNAUTHORIZED:
        return 401;
    case GL_E_FORBIDDEN:
        return 403;
    case GL_E_NOT_FOUND:
        return 404;
    case GL_E_METHOD:
        return 405;
    case GL_E_STALE:
    case GL_E_DUPLICATE:
    case GL_E_TRANSITION:
        return 409;
    case GL_E_TOO_LARGE:
        return 413;
    case GL_E_UNSUPPORTED:
        return 415;
    case GL_E_PRECONDITION:
        return 422;
    case GL_E_VERSION_REQUIRED:
        return 428;
    case GL_E_RATE_LIMITED:
        return 429;
    case GL_E_INTERNAL:
    case GL_E__COUNT:
        break;
    }
    return 500;
}

/* jansson refuses invalid UTF-8; details may quote user input, so fall back to a fixed text. */
static void set_text(json_t *obj, const char *key, const char *text, const char *fallback)
{
    json_t *v = json_string(text);
    json_object_set_new(obj, key, v ? v : json_string(fallback));
}

int gl_res_problem(struct gl_response *res, const struct gl_request *req,
                   const struct gl_error *err)
{
    enum gl_errcode code = err->code == GL_OK ? GL_E_INTERNAL : err->code;
    unsigned status = gl_http_status(code);
    char type[64];
    snprintf(type, sizeof type, "/problems/%s", gl_errcode_slug(code));
    json_t *p = json_object();
    json_object_set_new(p, "type", json_string(type));
    json_object_set_new(p, "title", json_string(gl_errcode_title(code)));
    json_object_set_new(p, "status", json_integer(status));
    set_text(p, "detail", err->detail[0] ? err->detail : gl_errcode_title(code),
             gl_errcode_title(code));
    set_text(p, "instance", req->path ? req->path : "/", "/");
    if (err->field[0])
        set_text(p, "field", err->field, "(unprintable)");
    if (req->request_id[0])
        json_object_set_new(p, "request_id", json_string(req->request_id));
    gl_res_json(res, status, p);
    res->content_type = "application/problem+json";
    return 0;
}

int gl_res_fail(struct gl_response *res, const struct gl_request *req, enum gl_errcode code,
                const char *field, const char *fmt, ...)
{
    struct gl_error err;
    gl_error_set(&err, code, field, "%s", "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.detail, sizeof err.detail, fmt, ap);
    va_end(ap);
    return gl_res_problem(res, req, &err);
}

static int parse_positive(const char *s, long long max, long long *out)
{
    if (!s || !*s || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    long long n = strtoll(s, &end, 10);
    if (errno || *end || n < 1 || n > max)
        return -1;
    *out = n;
    return 0;
}

int gl_req_page(const struct gl_request *req, int *limit, int64_t *before_id,
                struct gl_error *err)
{
    long long n = 50;
    const char *s = gl_req_query(req, "limit");
    if (s && parse_positive(s, GL_LIST_MAX, &n) < 0)
        return gl_error_set(err, GL_E_INVALID, "limit", "limit must be an integer from 1 to %d",
                            GL_LIST_MAX);
    *limit = (int)n;
    *before_id = 0;
    s = gl_req_query(req, "cursor");
    if (s && *s) {
        long long c;
        if (parse_positive(s, INT64_MAX, &c) < 0)
            return gl_error_set(err, GL_E_INVALID, "cursor",
                                "cursor must be a value returned as next_cursor");
        *before_id = c;
    }
    return 0;
}

json_t *gl_json_cursor(int64_t next_cursor)
{
    if (next_cursor <= 0)
        return json_null();
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)next_cursor);
    return json_string(buf);
}
