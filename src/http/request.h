/*
 * request.h - one HTTP request as handlers see it, and the helpers they share.
 *
 * Every handler has the signature gl_handler_fn: it reads the request (path captures,
 * query, headers, JSON body, authenticated user) and fills the response. Handlers never
 * touch libmicrohttpd directly; server.c turns the response into the wire answer.
 *
 * Ownership: the request owns everything it points to and is freed by server.c after the
 * response is queued. gl_res_* take ownership of the json_t they are given.
 */
#ifndef GL_HTTP_REQUEST_H
#define GL_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/error.h"
#include "core/user.h"
#include "store/store.h"
#include "util/buf.h"

struct MHD_Connection;
struct gl_auth_cache;

#define GL_ROUTE_MAX_CAPTURES 4
#define GL_REQUEST_ID_MAX 40

struct gl_request {
    struct MHD_Connection *conn;
    struct gl_store *store;
    const char *method;
    const char *path;
    struct gl_buf body;
    bool body_too_large;
    char *captures[GL_ROUTE_MAX_CAPTURES]; /* path segments matched by "{}", owned */
    size_t ncaptures;
    struct gl_user user;   /* the authenticated caller (empty for public routes) */
    struct gl_scope scope; /* the clients the caller may see */
    char request_id[GL_REQUEST_ID_MAX];
    int64_t now; /* read once per request: every write of the request carries it */
    /* Authentication (server.c): how the caller got in, the session when by cookie, the
     * server's token cache (for revocations to take effect at once), and TLS. */
    enum gl_auth_kind { GL_AUTH_NONE, GL_AUTH_TOKEN, GL_AUTH_SESSION } auth;
    struct gl_session session;
    struct gl_auth_cache *auth_cache;
    bool tls;
};

struct gl_response {
    unsigned status;
    char *body; /* malloc'd */
    size_t len;
    const char *content_type;
    int64_t etag_version; /* > 0: send ETag: "N" */
    char location[96];
    char allow[64];
    char set_cookie[192];  /* non-empty: sent as Set-Cookie */
    unsigned retry_after; /* > 0: send Retry-After: N (seconds) */
    const char *csp;      /* static text replacing the default Content-Security-Policy */
};

typedef int (*gl_handler_fn)(struct gl_request *req, struct gl_response *res);

/* Query parameter or header value; NULL when absent. Borrowed from the connection. */
const char *gl_req_query(const struct gl_request *req, const char *name);
const char *gl_req_header(const struct gl_request *req, const char *name);
const char *gl_req_cookie(const struct gl_request *req, const char *name);
/* The peer's IP address as text ("unknown" when it cannot be told). */
#define GL_ADDR_MAX 64
void gl_req_client_addr(const struct gl_request *req, char *out, size_t size);
/* Parses the body as one JSON object. An empty body gives an empty object when
 * allow_empty. Fills err (GL_E_INVALID, GL_E_UNSUPPORTED) and returns non-zero otherwise.
 * *out is a new reference. */
int gl_req_json(const struct gl_request *req, bool allow_empty, json_t **out,
                struct gl_error *err);
/* The version named by If-Match ("3", "\"3\"", W/"3"): 0 when absent, -1 when malformed. */
int64_t gl_req_if_match(const struct gl_request *req);
/* Write context for the store: actor, request id, time, the given audit action. */
struct gl_write_ctx gl_req_write_ctx(const struct gl_request *req, const char *action,
                                     const char *reason);

/* Sets a JSON response (steals `body`). Returns 0. */
int gl_res_json(struct gl_response *res, unsigned status, json_t *body);
/* Sets a JSON response from text that is already JSON (steals the malloc'd body). */
int gl_res_json_text(struct gl_response *res, unsigned status, char *body, size_t len);
/* Sets an RFC 9457 problem response from err; returns 0 (the request was answered). */
int gl_res_problem(struct gl_response *res, const struct gl_request *req,
                   const struct gl_error *err);
/* Shortcut: fill an error and answer with it. */
int gl_res_fail(struct gl_response *res, const struct gl_request *req, enum gl_errcode code,
                const char *field, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
unsigned gl_http_status(enum gl_errcode code);

/* Parses a list limit (default 50, 1..GL_LIST_MAX) and an opaque cursor. */
int gl_req_page(const struct gl_request *req, int *limit, int64_t *before_id,
                struct gl_error *err);
/* The cursor string for the next page, or JSON null when there is none. */
json_t *gl_json_cursor(int64_t next_cursor);

#endif
