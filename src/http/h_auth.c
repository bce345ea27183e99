/*
 * h_auth.c - /api/v1/session (browser log-in, who am I, log-out) and /api/v1/tokens (API
 * tokens of the caller).
 *
 * Log-in is rate-limited before any password is looked at: GL_LOGIN_MAX_USER failures of
 * one account or GL_LOGIN_MAX_ADDR from one address within GL_LOGIN_WINDOW answer 429 with
 * Retry-After, even for the right password. An unknown user and a wrong password get the
 * same 401 after the same Argon2 work. A successful log-in sets an HttpOnly, SameSite=Strict
 * cookie (Secure over TLS) and returns the CSRF token that state-changing requests made
 * with the cookie must echo (server.c checks it).
 *
 * Secrets (passwords, tokens, cookies) are never logged or echoed in errors; a new token is
 * shown once, in the 201 body, and only its hash is stored. Revoking a token drops its
 * owner from this process's token cache at once.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "core/timefmt.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/request.h"
#include "http/secret.h"

#include "util/banned.h"

#define GL_LOGIN_WINDOW (15 * 60)
#define GL_LOGIN_MAX_USER 5
#define GL_LOGIN_MAX_ADDR 20
#define GL_TOKEN_MAX_DAYS 3650
#define KEY_MAX 96

static json_t *time_or_null(int64_t t)
{
    char when[GL_TIME_STR_MAX];
    if (t == GL_TIME_UNSET)
        return json_null();
    gl_time_format(t, when);
    return json_string(when);
}

/* The cookie for value (NULL: one that expires the cookie at once). */
static void set_session_cookie(const struct gl_request *req, struct gl_response *res,
                               const char *value)
{
    snprintf(res->set_cookie, sizeof res->set_cookie,
             "%s=%s; HttpOnly; SameSite=Strict; Path=/%s%s", GL_SESSION_COOKIE, value ? value : "",
             value ? "" : "; Max-Age=0", req->tls ? "; Secure" : "");
}

/* ---- log-in ------------------------------------------------------------------------- */

struct login {
    const char *user;
    const char *password;
    char user_key[KEY_MAX];
    char addr_key[KEY_MAX];
};

static int parse_login(const json_t *body, struct login *l, struct gl_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v)
    {
        if (strcmp(key, "user") != 0 && strcmp(key, "password") != 0)
            return gl_error_set(err, GL_E_INVALID, key, "unknown field %s", key);
        if (!json_is_string(v))
            return gl_error_set(err, GL_E_INVALID, key, "%s must be a string", key);
    }
    l->user = json_string_value(json_object_get(body, "user"));
    l->password = json_string_value(json_object_get(body, "password"));
    if (!l->user || !*l->user || strlen(l->user) > 64)
        return gl_error_set(err, GL_E_INVALID, "user", "user must be a name of 1 to 64 characters");
    if (!l->password || strlen(l->password) > GL_PASSWORD_MAX)
        return gl_error_set(err, GL_E_INVALID, "password",
                            "password must be a string of at most %d characters", GL_PASSWORD_MAX);
    return 0;
}

/* Seconds until key may try again, 0 when it may now. */
static int locked_for(struct gl_request *req, const char *key, int max, int64_t *wait,
                      struct gl_error *err)
{
    int n = 0;
    int64_t earliest = GL_TIME_UNSET;
    int rc = req->store->auth->login_failure_count(req->store, key, req->now - GL_LOGIN_WINDOW, &n,
                                                   &earliest, err);
    if (rc)
        return rc;
    int64_t w = n >= max && earliest != GL_TIME_UNSET ? earliest + GL_LOGIN_WINDOW - req->now : 0;
    if (w > *wait)
        *wait = w;
    return 0;
}

static int check_rate(struct gl_request *req, struct gl_response *res, const struct login *l,
                      struct gl_error *err)
{
    int64_t wait = 0;
    int rc = locked_for(req, l->user_key, GL_LOGIN_MAX_USER, &wait, err);
    if (!rc)
        rc = locked_for(req, l->addr_key, GL_LOGIN_MAX_ADDR, &wait, err);
    if (rc || wait <= 0)
        return rc;
    res->retry_after = wait > 1 ? (unsigned)wait : 1;
    return gl_error_set(err, GL_E_RATE_LIMITED, NULL,
                        "too many failed log-ins for this account or address; try again in %u "
                        "seconds",
                        res->retry_after);
}

static int record_failure(struct gl_request *req, const struct login *l, struct gl_error *err)
{
    int rc = req->store->auth->login_failure_add(req->store, l->user_key, req->now, err);
    if (!rc)
        rc = req->store->auth->login_failure_add(req->store, l->addr_key, req->now, err);
    if (rc)
        return rc;
    return gl_error_set(err, GL_E_UNAUTHORIZED, NULL, "the user name or password is wrong");
}

/* Checks the password (the same work for unknown users); fills req->user on success. */
static int check_password(struct gl_request *req, const struct login *l, struct gl_error *err)
{
    char *hash = NULL;
    int rc = req->store->auth->user_credentials(req->store, l->user, &req->user, &hash, err);
    if (rc && rc != GL_E_NOT_FOUND)
        return rc;
    bool ok = gl_password_verify(rc ? NULL : hash, l->password);
    if (hash) {
        sodium_memzero(hash, strlen(hash));
        free(hash);
    }
    if (ok)
        return 0;
    gl_user_release(&req->user);
    gl_user_init(&req->user);
    return record_failure(req, l, err);
}

static int start_session(struct gl_request *req, struct gl_response *res, struct gl_error *err)
{
    char cookie[GL_SECRET_MAX], csrf[GL_SECRET_MAX];
    unsigned char hash[GL_SECRET_HASH_LEN];
    gl_secret_new("gls_", cookie, hash);
    gl_secret_new("", csrf, NULL);
    int64_t expires = req->now + GL_SESSION_TTL;
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "session.create", NULL);
    int rc = req->store->auth->session_create(req->store, &ctx, req->user.id, hash, csrf, expires,
                                              NULL, err);
    if (!rc) {
        set_session_cookie(req, res, cookie);
        gl_res_json(res, 201,
                    json_pack("{s:o, s:s, s:s, s:o}", "user", gl_json_user(&req->user), "auth",
                              "session", "csrf_token", csrf, "expires_at", time_or_null(expires)));
    }
    sodium_memzero(cookie, sizeof cookie);
    return rc;
}

int gl_h_session_create(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct login l = {0};
    char addr[GL_ADDR_MAX];
    json_t *body = NULL;
    gl_error_clear(&err);
    int rc = gl_req_json(req, false, &body, &err);
    if (!rc)
        rc = parse_login(body, &l, &err);
    if (!rc) {
        gl_req_client_addr(req, addr, sizeof addr);
        snprintf(l.user_key, sizeof l.user_key, "user:%s", l.user);
        snprintf(l.addr_key, sizeof l.addr_key, "addr:%s", addr);
        rc = check_rate(req, res, &l, &err);
    }
    if (!rc)
        rc = check_password(req, &l, &err);
    if (!rc)
        req->store->auth->login_failure_clear(req->store, l.user_key, NULL); /* best effort */
    if (!rc)
        rc = start_session(req, res, &err);
    json_decref(body); /* holds the password: jansson frees it (no wipe available) */
    return rc ? gl_res_problem(res, req, &err) : 0;
}

int gl_h_session_get(struct gl_request *req, struct gl_response *res)
{
    bool session = req->auth == GL_AUTH_SESSION;
    json_t *o = json_pack("{s:o, s:s}", "user", gl_json_user(&req->user), "auth",
                          session ? "session" : "token");
    if (session) {
        json_object_set_new(o, "csrf_token", json_string(req->session.csrf_token));
        json_object_set_new(o, "expires_at", time_or_null(req->session.expires_at));
    }
    return gl_res_json(res, 200, o);
}

int gl_h_session_delete(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    const char *cookie = gl_req_cookie(req, GL_SESSION_COOKIE);
    if (req->auth == GL_AUTH_SESSION && cookie) {
        unsigned char hash[GL_SECRET_HASH_LEN];
        gl_secret_hash(cookie, hash);
        struct gl_write_ctx ctx = gl_req_write_ctx(req, "session.revoke", NULL);
        int rc = req->store->auth->session_revoke(req->store, &ctx, hash, &err);
        if (rc && rc != GL_E_NOT_FOUND)
            return gl_res_problem(res, req, &err);
    }
    set_session_cookie(req, res, NULL);
    res->status = 204;
    return 0;
}

/* ---- API tokens ---------------------------------------------------------------------- */

static json_t *token_json(const struct gl_token_info *t)
{
    return json_pack("{s:I, s:o, s:o, s:o}", "id", (json_int_t)t->id, "created_at",
                     time_or_null(t->created_at), "expires_at", time_or_null(t->expires_at),
                     "revoked_at", time_or_null(t->revoked_at));
}

int gl_h_tokens_list(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_token_list list;
    if (req->store->auth->token_list(req->store, req->user.id, &list, &err))
        return gl_res_problem(res, req, &err);
    json_t *items = json_array();
    for (size_t i = 0; i < list.len; i++) {
        json_t *t = token_json(&list.items[i]);
        bool live =
            list.items[i].revoked_at == GL_TIME_UNSET &&
            (list.items[i].expires_at == GL_TIME_UNSET || list.items[i].expires_at > req->now);
        json_object_set_new(t, "active", json_boolean(live));
        json_array_append_new(items, t);
    }
    gl_token_list_release(&list);
    return gl_res_json(res, 200, json_pack("{s:o}", "items", items));
}

static int parse_expiry(const json_t *body, int64_t now, int64_t *expires, struct gl_error *err)
{
    const char *key;
    json_t *v;
    *expires = GL_TIME_UNSET;
    json_object_foreach((json_t *)body, key, v)
    {
        if (strcmp(key, "expires_days") != 0)
            return gl_error_set(err, GL_E_INVALID, key, "unknown field %s", key);
        if (json_is_null(v))
            continue;
        if (!json_is_integer(v) || json_integer_value(v) < 1 ||
            json_integer_value(v) > GL_TOKEN_MAX_DAYS)
            return gl_error_set(err, GL_E_INVALID, key,
                                "expires_days must be an integer from 1 to %d, or null",
                                GL_TOKEN_MAX_DAYS);
        *expires = now + (int64_t)json_integer_value(v) * 86400;
    }
    return 0;
}

int gl_h_tokens_create(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    json_t *body = NULL;
    int64_t expires, id = 0;
    gl_error_clear(&err);
    if (gl_req_json(req, true, &body, &err) || parse_expiry(body, req->now, &expires, &err)) {
        json_decref(body);
        return gl_res_problem(res, req, &err);
    }
    json_decref(body);
    char token[GL_SECRET_MAX];
    unsigned char hash[GL_SECRET_HASH_LEN];
    gl_secret_new("glt_", token, hash);
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "token.create", NULL);
    if (req->store->auth->token_create(req->store, &ctx, req->user.id, hash, expires, &id, &err) ==
        0) {
        struct gl_token_info t = {id, req->user.id, req->now, expires, GL_TIME_UNSET};
        json_t *o = token_json(&t);
        json_object_set_new(o, "token", json_string(token));
        snprintf(res->location, sizeof res->location, "/api/v1/tokens/%" PRId64, id);
        gl_res_json(res, 201, o);
    } else {
        gl_res_problem(res, req, &err);
    }
    sodium_memzero(token, sizeof token);
    return 0;
}

int gl_h_token_delete(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    const char *s = req->captures[0];
    char *end;
    long long id = strtoll(s, &end, 10);
    if (!*s || *end || id <= 0)
        return gl_res_fail(res, req, GL_E_NOT_FOUND, NULL, "no token %s", s);
    int64_t owner = 0;
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "token.revoke", NULL);
    int rc = req->store->auth->token_revoke_owned(req->store, &ctx, id,
                                                  req->user.admin ? 0 : req->user.id, &owner, &err);
    if (rc == GL_E_NOT_FOUND)
        return gl_res_fail(res, req, GL_E_NOT_FOUND, NULL, "no token %lld", id);
    if (rc)
        return gl_res_problem(res, req, &err);
    gl_auth_cache_forget_user(req->auth_cache, owner);
    res->status = 204;
    return 0;
}
