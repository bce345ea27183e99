/*
 * server.c - libmicrohttpd glue: accept, collect the body, authenticate, route, answer.
 *
 * libmicrohttpd calls the access handler several times per request: once with the headers,
 * then once per body chunk, then once with no data. The per-request struct gl_request is
 * created on the first call and freed in the completion callback, so every path frees it.
 * Body size is capped by gl_buf's cap: a declared Content-Length over the cap is refused
 * before the body is read; an undeclared (chunked) one is read and discarded past the cap.
 *
 * Reads are answered on libmicrohttpd's event threads. Requests that write (POST, PATCH,
 * PUT, DELETE) wait for the disk, so their connection is suspended and the request runs on
 * the write pool (workers.h); the worker fills the response and resumes the connection,
 * and the next call of the access handler sends it. The event threads thus keep serving
 * reads, and the many writes in flight are committed together by the store.
 *
 * Authentication: an Authorization: Bearer token (looked up through the token cache), or
 * else the session cookie; a cookie-authenticated request that changes state must echo
 * the session's CSRF token in X-CSRF-Token. Nothing secret is ever logged. With a
 * certificate configured the daemon speaks only TLS (GnuTLS inside libmicrohttpd).
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

#include "http/auth.h"
#include "http/request.h"
#include "http/routes.h"
#include "http/secret.h"
#include "http/workers.h"
#include "util/utf8.h"
#include "util/banned.h"

struct gl_server {
    struct MHD_Daemon *daemon;
    struct gl_workers *workers;
    struct gl_store *store;
    struct gl_auth_cache *auth_cache;
    struct gl_server_config cfg;
    uint16_t port;
    char id_prefix[9];            /* random per process: request ids differ across restarts */
    _Atomic uint64_t id_counter;
};

static const struct {
    const char *name;
    const char *value;
} security_headers[] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"},
    {"Cache-Control", "no-store"},
};

enum request_state {
    REQ_INLINE,   /* answered on the event thread */
    REQ_QUEUED,   /* suspended, running on the write pool */
    REQ_ANSWERED, /* the worker filled `res`; the next access handler call sends it */
};

/* A request as the server tracks it; handlers see only the embedded gl_request. */
struct server_request {
    struct gl_request req; /* first, so the two pointers convert */
    struct gl_server *srv;
    enum request_state state;
    struct gl_response res;
};

static void request_free(struct gl_request *req)
{
    if (!req)
        return;
    free(((struct server_request *)req)->res.body);
    gl_buf_release(&req->body);
    for (size_t i = 0; i < req->ncaptures; i++)
        free(req->captures[i]);
    gl_user_release(&req->user);
    gl_scope_release(&req->scope);
    free(req);
}

/* Takes a sane client-supplied X-Request-Id, else makes one from the process prefix and a
 * counter (cheaper than asking the kernel for randomness on every request). */
static void set_request_id(struct gl_server *srv, struct gl_request *req)
{
    const char *given = gl_req_header(req, "X-Request-Id");
    size_t n = given ? strlen(given) : 0;
    bool ok = n > 0 && n < GL_REQUEST_ID_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = (given[i] >= 'a' && given[i] <= 'z') || (given[i] >= 'A' && given[i] <= 'Z') ||
             (given[i] >= '0' && given[i] <= '9') || given[i] == '-' || given[i] == '_' ||
             given[i] == '.';
    if (ok) {
        memcpy(req->request_id, given, n + 1);
        return;
    }
    uint64_t seq = atomic_fetch_add(&srv->id_counter, 1);
    snprintf(req->request_id, sizeof req->request_id, "%s-%08llx", srv->id_prefix,
             (unsigned long long)seq);
}

static struct gl_request *request_new(struct gl_server *srv, struct MHD_Connection *conn,
                                      const char *method, const char *url)
{
    struct server_request *sr = calloc(1, sizeof *sr);
    if (!sr)
        return NULL;
    sr->srv = srv;
    struct gl_request *req = &sr->req;
    req->conn = conn;
    req->store = srv->store;
    req->method = method;
    req->path = url;
    req->now = (int64_t)time(NULL);
    req->auth_cache = srv->auth_cache;
    req->tls = srv->cfg.tls_cert_pem != NULL;
    gl_buf_init(&req->body, gl_route_body_max(method, url, srv->cfg.max_body));
    gl_user_init(&req->user);
    set_request_id(srv, req);
    return req;
}

static bool is_write_method(const char *method)
{
    return strcmp(method, "POST") == 0 || strcmp(method, "PATCH") == 0 ||
           strcmp(method, "PUT") == 0 || strcmp(method, "DELETE") == 0;
}

static int auth_bearer(struct gl_server *srv, struct gl_request *req, const char *auth,
                       struct gl_error *err)
{
    static const char prefix[] = "Bearer ";
    if (strncasecmp(auth, prefix, sizeof prefix - 1) != 0)
        return gl_error_set(err, GL_E_UNAUTHORIZED, NULL,
                            "send an API token as Authorization: Bearer TOKEN");
    unsigned char hash[GL_SECRET_HASH_LEN];
    gl_secret_hash(auth + sizeof prefix - 1, hash);
    if (gl_auth_cache_get(srv->auth_cache, hash, req->now, &req->user) != 0) {
        if (req->store->auth->token_lookup(req->store, hash, req->now, &req->user, err) != 0)
            return gl_error_set(err, GL_E_UNAUTHORIZED, NULL,
                                "the token is unknown, expired or revoked");
        gl_auth_cache_put(srv->auth_cache, hash, &req->user, req->now);
    }
    req->auth = GL_AUTH_TOKEN;
    return 0;
}

/* The session cookie; state-changing methods must also carry the session's CSRF token
 * (a cross-site page can make the browser send the cookie, never read the token). */
static int auth_session(struct gl_request *req, const char *cookie, struct gl_error *err)
{
    unsigned char hash[GL_SECRET_HASH_LEN];
    gl_secret_hash(cookie, hash);
    if (req->store->auth->session_lookup(req->store, hash, req->now, &req->user, &req->session,
                                         err) != 0)
        return gl_error_set(err, GL_E_UNAUTHORIZED, NULL,
                            "the session is unknown, expired or ended; log in again");
    req->auth = GL_AUTH_SESSION;
    if (!is_write_method(req->method))
        return 0;
    const char *csrf = gl_req_header(req, GL_CSRF_HEADER);
    if (!csrf || !gl_secret_equal(csrf, req->session.csrf_token))
        return gl_error_set(err, GL_E_FORBIDDEN, GL_CSRF_HEADER,
                            "a browser session must send its CSRF token in " GL_CSRF_HEADER
                            " with every %s",
                            req->method);
    return 0;
}

/* Resolves the bearer token or the session cookie to a user and the user's scope. */
static int authenticate(struct gl_server *srv, struct gl_request *req, struct gl_error *err)
{
    const char *auth = gl_req_header(req, "Authorization");
    const char *cookie = auth ? NULL : gl_req_cookie(req, GL_SESSION_COOKIE);
    int rc;
    if (auth)
        rc = auth_bearer(srv, req, auth, err);
    else if (cookie && *cookie)
        rc = auth_session(req, cookie, err);
    else
        rc = gl_error_set(err, GL_E_UNAUTHORIZED, NULL,
                          "send an API token as Authorization: Bearer TOKEN, or log in");
    if (rc)
        return rc;
    if (gl_user_scope(&req->user, &req->scope) != 0)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    return 0;
}

static enum MHD_Result check_query_value(void *cls, enum MHD_ValueKind kind, const char *key,
                                         const char *value)
{
    const char **bad = cls;
    if (!gl_utf8_valid(key, strlen(key)) || (value && !gl_utf8_valid(value, strlen(value)))) {
        *bad = key;
        return MHD_NO;
    }
    return MHD_YES;
}

/* Query parameters reach SQL and JSON: refuse anything that is not UTF-8 up front. */
static int check_query(struct gl_request *req, struct gl_error *err)
{
    const char *bad = NULL;
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, check_query_value, &bad);
    if (!bad)
        return 0;
    bool key_ok = gl_utf8_valid(bad, strlen(bad));
    return gl_error_set(err, GL_E_INVALID, key_ok ? bad : NULL,
                        "query parameters must be UTF-8 text");
}

/* Only in the benchmark build variant (meson option bench_unauthenticated_reads), which
 * measures what authentication costs a read: GET requests then skip it and see all
 * clients. Normal builds always return false. */
static bool bench_skips_auth(struct gl_request *req)
{
#ifdef GL_BENCH_UNAUTHENTICATED_READS
    if (strcmp(req->method, "GET") == 0) {
        req->user.admin = true;
        req->scope.all = true;
        return true;
    }
#endif
    (void)req;
    return false;
}

static void dispatch(struct gl_server *srv, struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    gl_error_clear(&err);
    if (req->body_too_large) {
        gl_res_fail(res, req, GL_E_TOO_LARGE, NULL, "the request body is larger than %zu bytes",
                    req->body.max);
        return;
    }
    if (check_query(req, &err) != 0) {
        gl_res_problem(res, req, &err);
        return;
    }
    unsigned status;
    const struct gl_route *route = gl_route_match(req, &status, res->allow, sizeof res->allow);
    if (!route) {
        if (status == 405)
            gl_res_fail(res, req, GL_E_METHOD, NULL, "%s is not allowed here; use %s",
                        req->method, res->allow);
        else
            gl_res_fail(res, req, GL_E_NOT_FOUND, NULL, "no such resource: %s", req->path);
        return;
    }
    if (!(route->flags & GL_ROUTE_PUBLIC) && !bench_skips_auth(req) &&
        authenticate(srv, req, &err) != 0) {
        gl_res_problem(res, req, &err);
        return;
    }
    route->handler(req, res);
    if (!res->status)
        gl_res_fail(res, req, GL_E_INTERNAL, NULL, "the handler gave no answer");
}

static enum MHD_Result send_response(struct gl_request *req, struct gl_response *res)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(res->len, res->body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(res->body);
        return MHD_NO;
    }
    res->body = NULL;
    if (res->content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
    if (res->etag_version > 0) {
        char etag[32];
        snprintf(etag, sizeof etag, "\"%lld\"", (long long)res->etag_version);
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
    }
    if (res->location[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, res->location);
    if (res->allow[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, res->allow);
    if (req->request_id[0])
        MHD_add_response_header(r, "X-Request-Id", req->request_id);
    if (res->set_cookie[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, res->set_cookie);
    if (res->retry_after > 0) {
        char secs[16];
        snprintf(secs, sizeof secs, "%u", res->retry_after);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, secs);
    }
    if (req->tls)
        MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
    for (size_t i = 0; i < sizeof security_headers / sizeof security_headers[0]; i++) {
        const char *v = security_headers[i].value;
        if (res->csp && strcmp(security_headers[i].name, "Content-Security-Policy") == 0)
            v = res->csp; /* a page that needs more than nothing (h_report.c) */
        MHD_add_response_header(r, security_headers[i].name, v);
    }
    enum MHD_Result ret = MHD_queue_response(req->conn, res->status, r);
    MHD_destroy_response(r);
    return ret;
}

static bool declared_too_large(struct gl_request *req)
{
    const char *cl = gl_req_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!cl)
        return false;
    char *end;
    unsigned long long n = strtoull(cl, &end, 10);
    return *end == '\0' && n > req->body.max;
}

/* Runs on the write pool. */
static void run_deferred(void *arg)
{
    struct server_request *sr = arg;
    dispatch(sr->srv, &sr->req, &sr->res);
    sr->state = REQ_ANSWERED;
    MHD_resume_connection(sr->req.conn);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct gl_server *srv = cls;
    struct gl_request *req = *con_cls;
    if (!req) {
        req = request_new(srv, conn, method, url);
        if (!req)
            return MHD_NO;
        *con_cls = req;
        if (!declared_too_large(req))
            return MHD_YES;
        req->body_too_large = true; /* answer now, without reading the body */
    } else if (*upload_data_size) {
        if (!req->body_too_large &&
            gl_buf_append(&req->body, upload_data, *upload_data_size) < 0)
            req->body_too_large = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    struct server_request *sr = (struct server_request *)req;
    if (sr->state == REQ_ANSWERED) {
        struct gl_response res = sr->res;
        sr->res.body = NULL; /* send_response takes it */
        return send_response(req, &res);
    }
    if (sr->state == REQ_QUEUED)
        return MHD_YES;
    if (srv->workers && is_write_method(method) && !req->body_too_large) {
        sr->state = REQ_QUEUED;
        MHD_suspend_connection(conn);
        if (gl_workers_submit(srv->workers, run_deferred, sr) != 0)
            run_deferred(sr); /* pool stopping or out of memory: do it here */
        return MHD_YES;
    }
    struct gl_response res = {0};
    dispatch(srv, req, &res);
    return send_response(req, &res);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    request_free(*con_cls);
    *con_cls = NULL;
}

static int parse_address(const char *host, uint16_t port, struct sockaddr_storage *ss,
                         bool *ipv6)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        *ipv6 = false;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        *ipv6 = true;
        return 0;
    }
    return -1;
}

struct gl_server *gl_server_start(struct gl_store *st, const struct gl_server_config *cfg,
                                  struct gl_error *err)
{
    if (sodium_init() < 0) {
        gl_error_set(err, GL_E_INTERNAL, NULL, "libsodium failed to initialise");
        return NULL;
    }
    struct sockaddr_storage addr;
    bool ipv6 = false;
    const char *host = cfg->host ? cfg->host : "127.0.0.1";
    if (parse_address(host, cfg->port, &addr, &ipv6) < 0) {
        gl_error_set(err, GL_E_INVALID, "listen", "not an IP address: %s", host);
        return NULL;
    }
    if (cfg->tls_cert_pem && !cfg->tls_key_pem) {
        gl_error_set(err, GL_E_INVALID, "tls", "a TLS certificate needs its private key");
        return NULL;
    }
    if (cfg->tls_cert_pem && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        gl_error_set(err, GL_E_INVALID, "tls", "this libmicrohttpd was built without TLS");
        return NULL;
    }
    struct gl_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    srv->store = st;
    srv->cfg = *cfg;
    srv->auth_cache = gl_auth_cache_new();
    unsigned char raw[4];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(srv->id_prefix, sizeof srv->id_prefix, raw, sizeof raw);
    if (!srv->cfg.max_body)
        srv->cfg.max_body = 1024 * 1024;
    if (!srv->cfg.timeout_s)
        srv->cfg.timeout_s = 30;
    if (!srv->cfg.threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        srv->cfg.threads = n > 0 ? (unsigned)n : 2;
    }
    if (!srv->cfg.write_threads)
        srv->cfg.write_threads = 32;
    srv->workers = gl_workers_start(srv->cfg.write_threads);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    if (ipv6)
        flags |= MHD_USE_IPv6;
    struct MHD_OptionItem tls[3] = {{MHD_OPTION_END, 0, NULL}};
    if (cfg->tls_cert_pem) {
        flags |= MHD_USE_TLS;
        tls[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cfg->tls_cert_pem};
        tls[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)cfg->tls_key_pem};
        tls[2] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    }
    srv->daemon = MHD_start_daemon(
        flags, cfg->port, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, srv->cfg.threads,
        MHD_OPTION_CONNECTION_TIMEOUT, srv->cfg.timeout_s, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)1024, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        srv, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
    if (!srv->daemon) {
        gl_error_set(err, GL_E_INTERNAL, "listen", "cannot listen on %s:%u%s", host,
                     (unsigned)cfg->port,
                     cfg->tls_cert_pem ? " with this TLS certificate and key" : "");
        gl_workers_free(srv->workers);
        gl_auth_cache_free(srv->auth_cache);
        free(srv);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : cfg->port;
    return srv;
}

uint16_t gl_server_port(const struct gl_server *srv)
{
    return srv->port;
}

void gl_server_stop(struct gl_server *srv)
{
    if (!srv)
        return;
    /* Drain the write pool first: every suspended connection gets its answer and is
     * resumed, and later writes run inline, before the daemon goes away. */
    gl_workers_stop(srv->workers);
    MHD_stop_daemon(srv->daemon);
    gl_workers_free(srv->workers);
    gl_auth_cache_free(srv->auth_cache);
    free(srv);
}
