/*
 * h_calendar_feed.c - iCalendar feeds and their tokens:
 *
 *   GET/POST /api/v1/calendar/feeds, DELETE /api/v1/calendar/feeds/{id}
 *   GET /calendar/{client}.ics?token=...        one client's calendar
 *   GET /calendar/users/{name}.ics?token=...    every client the user can see
 *
 * Calendar programs cannot send an Authorization header, so a feed carries its own token
 * in the URL: a separate credential ("glf_") that can only read that feed, is stored as a
 * hash, and is revoked on its own. The feed answers with what the token's user can see
 * NOW (a grant withdrawn later empties it). An unknown or revoked token is 401; a token
 * for another feed is 404.
 *
 * Events carry stable UIDs (CHG-000123@greenlight, blackout-3-<start>@greenlight,
 * window-5-<start>@greenlight) and SEQUENCE = the change's version, so a subscribed
 * calendar updates an event in place when the change moves.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cal/ics.h"
#include "cal/recur.h"
#include "codec/json_calendar.h"
#include "core/authz.h"
#include "core/timefmt.h"
#include "http/handler_util.h"
#include "http/handlers.h"
#include "http/secret.h"
#include "util/buf.h"

#include "util/banned.h"

/* The feed shows a month back and eleven ahead: within the expansion limit. */
#define FEED_BACK (31 * INT64_C(86400))
#define FEED_AHEAD (334 * INT64_C(86400))
#define FEED_EVENTS_MAX 20000

static json_t *feed_json(const struct gl_feed_token *t, const char *user)
{
    json_t *o = gl_json_feed_token(t);
    char url[200];
    if (t->client_key)
        snprintf(url, sizeof url, "/calendar/%s.ics", t->client_key);
    else
        snprintf(url, sizeof url, "/calendar/users/%s.ics", user);
    json_object_set_new(o, "path", json_string(url));
    return o;
}

int gl_h_feeds_create(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    json_t *body = NULL;
    int64_t client_id = 0, id = 0;
    gl_error_clear(&err);
    if (gl_req_json(req, true, &body, &err))
        return gl_res_problem(res, req, &err);
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        if (strcmp(key, "client") != 0) {
            json_decref(body);
            return gl_res_fail(res, req, GL_E_INVALID, key, "unknown field %.60s", key);
        }
    }
    v = json_object_get(body, "client");
    if (v && !json_is_null(v) &&
        (!json_is_string(v) ||
         gl_h_resolve_client(req, json_string_value(v), "client", &client_id, &err) ||
         gl_authz_check(&req->user, GL_PERM_CHANGE_READ, client_id, &err))) {
        if (!json_is_string(v))
            gl_error_set(&err, GL_E_INVALID, "client", "client must be a client key or null");
        json_decref(body);
        return gl_res_problem(res, req, &err);
    }
    char token[GL_SECRET_MAX];
    unsigned char hash[GL_SECRET_HASH_LEN];
    gl_secret_new("glf_", token, hash);
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "feed_token.create", NULL);
    if (req->store->auth->feed_token_create(req->store, &ctx, req->user.id, client_id, hash, &id,
                                            &err)) {
        sodium_memzero(token, sizeof token);
        json_decref(body);
        return gl_res_problem(res, req, &err);
    }
    struct gl_feed_token t = {id, req->user.id, client_id,
                              client_id ? (char *)json_string_value(v) : NULL, req->now,
                              GL_TIME_UNSET};
    json_t *o = feed_json(&t, req->user.name);
    char url[GL_SECRET_MAX + 220];
    snprintf(url, sizeof url, "%s?token=%s", json_string_value(json_object_get(o, "path")),
             token);
    json_object_set_new(o, "token", json_string(token));
    json_object_set_new(o, "url", json_string(url));
    snprintf(res->location, sizeof res->location, "/api/v1/calendar/feeds/%" PRId64, id);
    gl_res_json(res, 201, o);
    sodium_memzero(token, sizeof token);
    sodium_memzero(url, sizeof url);
    json_decref(body);
    return 0;
}

int gl_h_feeds_list(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_feed_token_list l = {0};
    if (req->store->auth->feed_token_list(req->store, req->user.id, &l, &err))
        return gl_res_problem(res, req, &err);
    json_t *items = json_array();
    for (size_t i = 0; i < l.len; i++)
        json_array_append_new(items, feed_json(&l.items[i], req->user.name));
    gl_res_json(res, 200, json_pack("{s:o}", "items", items));
    gl_feed_token_list_release(&l);
    return 0;
}

int gl_h_feed_delete(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    const char *s = req->captures[0];
    char *end;
    long long id = strtoll(s, &end, 10);
    if (!*s || *end || id <= 0)
        return gl_res_fail(res, req, GL_E_NOT_FOUND, NULL, "no feed %.40s", s);
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "feed_token.revoke", NULL);
    if (req->store->auth->feed_token_revoke(req->store, &ctx, id,
                                            req->user.admin ? 0 : req->user.id, &err))
        return gl_res_problem(res, req, &err);
    res->status = 204;
    return 0;
}

/* ---- the feeds ---------------------------------------------------------------------- */

/* Events under construction; the strings they point to live in `strings`. */
struct feed {
    struct gl_ics_event *ev;
    size_t len, cap;
    char **strings;
    size_t nstrings, strcap;
};

static const char *keep(struct feed *f, char *s)
{
    if (!s)
        return NULL;
    if (f->nstrings == f->strcap) {
        size_t cap = f->strcap ? f->strcap * 2 : 64;
        char **p = realloc(f->strings, cap * sizeof *p);
        if (!p) {
            free(s);
            return NULL;
        }
        f->strings = p;
        f->strcap = cap;
    }
    f->strings[f->nstrings++] = s;
    return s;
}

static char *fmt(const char *format, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *format, ...)
{
    struct gl_buf b;
    gl_buf_init(&b, 0);
    va_list ap;
    va_start(ap, format);
    int rc = gl_buf_vprintf(&b, format, ap);
    va_end(ap);
    if (rc < 0) {
        gl_buf_release(&b);
        return NULL;
    }
    return gl_buf_detach(&b);
}

static int add_event(struct feed *f, struct gl_ics_event e, struct gl_error *err)
{
    if (!e.uid || !e.summary)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    if (f->len == FEED_EVENTS_MAX)
        return gl_error_set(err, GL_E_TOO_LARGE, NULL, "the feed has more than %d events",
                            FEED_EVENTS_MAX);
    if (f->len == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        struct gl_ics_event *p = realloc(f->ev, cap * sizeof *p);
        if (!p)
            return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
        f->ev = p;
        f->cap = cap;
    }
    f->ev[f->len++] = e;
    return 0;
}

static void feed_release(struct feed *f)
{
    for (size_t i = 0; i < f->nstrings; i++)
        free(f->strings[i]);
    free(f->strings);
    free(f->ev);
}

static const char *status_of(enum gl_change_state s)
{
    switch (s) {
    case GL_STATE_SUBMITTED:
    case GL_STATE_ASSESSED:
    case GL_STATE_APPROVED:
        return "TENTATIVE";
    default:
        return "CONFIRMED";
    }
}

static int add_changes(struct gl_request *req, struct feed *f, const struct gl_scope *scope,
                       int64_t client_id, int64_t from, int64_t to, struct gl_error *err)
{
    struct gl_cal_change_list l = {0};
    int rc = req->store->calendar->changes(req->store, scope, client_id, from, to, &l, err);
    for (size_t i = 0; !rc && i < l.len; i++) {
        const struct gl_cal_change *c = &l.items[i];
        char ident[GL_IDENT_MAX];
        gl_change_ident_format(c->id, ident);
        struct gl_ics_event e = {
            .uid = keep(f, fmt("%s@greenlight", ident)),
            .summary = keep(f, fmt("%s %s", ident, c->title ? c->title : "")),
            .description = keep(f, fmt("Client: %s\nType: %s\nState: %s%s%s", c->client_key,
                                       gl_change_type_name(c->type),
                                       gl_change_state_name(c->state),
                                       c->schedule_flags ? "\nFlags: " : "",
                                       c->schedule_flags ? c->schedule_flags : "")),
            .categories = keep(f, fmt("change,%s", gl_change_state_name(c->state))),
            .status = status_of(c->state),
            .start = c->planned_start,
            .end = c->planned_end,
            .sequence = c->version,
        };
        rc = add_event(f, e, err);
    }
    gl_cal_change_list_release(&l);
    return rc;
}

static int add_blackouts(struct gl_request *req, struct feed *f, int64_t client_id, bool global,
                         int64_t from, int64_t to, struct gl_error *err)
{
    struct gl_cal_blackout_list l = {0};
    int rc = req->store->calendar->blackout_list(req->store, client_id, global, &l, err);
    for (size_t i = 0; !rc && i < l.len; i++) {
        const struct gl_cal_blackout *b = &l.items[i];
        struct gl_ivlist iv = {0};
        rc = gl_cal_blackout_expand(b, from, to, &iv, err);
        for (size_t j = 0; !rc && j < iv.len; j++) {
            struct gl_ics_event e = {
                .uid = keep(f, fmt("blackout-%" PRId64 "-%" PRId64 "@greenlight", b->id,
                                   iv.items[j].start)),
                .summary = keep(f, fmt("Blackout: %s", b->reason ? b->reason : "")),
                .description = keep(f, fmt("%s blackout. Normal and standard changes cannot "
                                           "be scheduled.",
                                           b->client_key ? b->client_key : "Global")),
                .categories = "blackout",
                .status = "CONFIRMED",
                .start = iv.items[j].start,
                .end = iv.items[j].end,
                .sequence = b->version,
            };
            rc = add_event(f, e, err);
        }
        gl_ivlist_release(&iv);
    }
    gl_cal_blackout_list_release(&l);
    return rc;
}

static int add_windows(struct gl_request *req, struct feed *f, int64_t client_id, int64_t from,
                       int64_t to, struct gl_error *err)
{
    struct gl_cal_window_list l = {0};
    int rc = req->store->calendar->window_list(req->store, client_id, &l, err);
    for (size_t i = 0; !rc && i < l.len; i++) {
        const struct gl_cal_window *w = &l.items[i];
        struct gl_ivlist iv = {0};
        rc = gl_cal_window_expand(w, from, to, &iv, err);
        char ci[GL_IDENT_MAX];
        gl_ci_ident_format(w->ci_id, ci);
        for (size_t j = 0; !rc && j < iv.len; j++) {
            struct gl_ics_event e = {
                .uid = keep(f, fmt("window-%" PRId64 "-%" PRId64 "@greenlight", w->id,
                                   iv.items[j].start)),
                .summary = keep(f, fmt("Maintenance window%s%s%s%s", w->name ? ": " : "",
                                       w->name ? w->name : "", w->ci_id ? " on " : "",
                                       w->ci_id ? ci : "")),
                .categories = "window",
                .start = iv.items[j].start,
                .end = iv.items[j].end,
                .sequence = w->version,
                .transparent = true,
            };
            rc = add_event(f, e, err);
        }
        gl_ivlist_release(&iv);
    }
    gl_cal_window_list_release(&l);
    return rc;
}

/* The token's user and feed client; 401 for an unknown or revoked token. */
static int feed_auth(struct gl_request *req, struct gl_user *u, struct gl_scope *scope,
                     int64_t *client_id, struct gl_error *err)
{
    const char *token = gl_req_query(req, "token");
    if (!token || strncmp(token, "glf_", 4) != 0)
        return gl_error_set(err, GL_E_UNAUTHORIZED, "token",
                            "a calendar feed needs ?token= (POST /api/v1/calendar/feeds)");
    unsigned char hash[GL_SECRET_HASH_LEN];
    gl_secret_hash(token, hash);
    int rc = req->store->auth->feed_token_lookup(req->store, hash, u, client_id, err);
    if (!rc && gl_user_scope(u, scope) != 0)
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    return rc;
}

static int answer_feed(struct gl_response *res, const char *name, struct feed *f, int64_t now)
{
    char *text = gl_ics_render(name, f->ev, f->len, now);
    if (!text)
        return -1;
    res->status = 200;
    res->content_type = "text/calendar; charset=utf-8";
    free(res->body);
    res->body = text;
    res->len = strlen(text);
    return 0;
}

/* Strips ".ics" from the last path segment; NULL when it does not end so. */
static char *feed_name(const char *segment)
{
    size_t n = strlen(segment);
    if (n <= 4 || strcmp(segment + n - 4, ".ics") != 0)
        return NULL;
    return strndup(segment, n - 4);
}

int gl_h_feed_client(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_user u;
    struct gl_scope scope = {0};
    struct gl_client cl;
    struct feed f = {0};
    int64_t token_client = 0;
    char *key = feed_name(req->captures[0]);
    gl_error_clear(&err);
    gl_user_init(&u);
    gl_client_init(&cl);
    if (!key) {
        gl_error_set(&err, GL_E_NOT_FOUND, NULL, "no such calendar");
        goto fail;
    }
    if (feed_auth(req, &u, &scope, &token_client, &err))
        goto fail;
    int rc = req->store->clients->get(req->store, key, &cl, &err);
    if (rc == GL_E_NOT_FOUND || (!rc && (cl.id != token_client ||
                                         !gl_scope_contains(&scope, cl.id) ||
                                         gl_authz_check(&u, GL_PERM_CHANGE_READ, cl.id, NULL)))) {
        gl_error_set(&err, GL_E_NOT_FOUND, NULL, "no calendar %.60s for this token", key);
        goto fail;
    }
    int64_t from = req->now - FEED_BACK, to = req->now + FEED_AHEAD;
    if (rc || add_changes(req, &f, &scope, cl.id, from, to, &err) ||
        add_blackouts(req, &f, cl.id, true, from, to, &err) ||
        add_windows(req, &f, cl.id, from, to, &err))
        goto fail;
    if (answer_feed(res, cl.name ? cl.name : cl.key, &f, req->now) < 0) {
        gl_error_set(&err, GL_E_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    feed_release(&f);
    gl_client_release(&cl);
    gl_scope_release(&scope);
    gl_user_release(&u);
    free(key);
    return 0;
}

int gl_h_feed_user(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_user u;
    struct gl_scope scope = {0};
    struct gl_client_list clients = {0};
    struct feed f = {0};
    int64_t token_client = 0;
    char *name = feed_name(req->captures[0]);
    gl_error_clear(&err);
    gl_user_init(&u);
    if (!name) {
        gl_error_set(&err, GL_E_NOT_FOUND, NULL, "no such calendar");
        goto fail;
    }
    if (feed_auth(req, &u, &scope, &token_client, &err))
        goto fail;
    if (token_client || strcmp(u.name, name) != 0) {
        gl_error_set(&err, GL_E_NOT_FOUND, NULL, "no calendar %.60s for this token", name);
        goto fail;
    }
    int64_t from = req->now - FEED_BACK, to = req->now + FEED_AHEAD;
    if (req->store->clients->list(req->store, &scope, &clients, &err) ||
        add_changes(req, &f, &scope, 0, from, to, &err) ||
        add_blackouts(req, &f, 0, true, from, to, &err))
        goto fail;
    for (size_t i = 0; i < clients.len; i++)
        if (add_blackouts(req, &f, clients.items[i].id, false, from, to, &err))
            goto fail;
    char title[120];
    snprintf(title, sizeof title, "Greenlight: %s", u.name);
    if (answer_feed(res, title, &f, req->now) < 0) {
        gl_error_set(&err, GL_E_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    feed_release(&f);
    gl_client_list_release(&clients);
    gl_scope_release(&scope);
    gl_user_release(&u);
    free(name);
    return 0;
}
