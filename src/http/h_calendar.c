/*
 * h_calendar.c - maintenance windows, blackouts and the calendar view:
 *
 *   GET/POST /api/v1/clients/{key}/windows      GET/DELETE /api/v1/windows/{id}
 *   GET/POST /api/v1/blackouts                  GET/DELETE /api/v1/blackouts/{id}
 *   GET /api/v1/calendar?client=&from=&to=
 *
 * Tenant isolation: a window or blackout of a client outside the caller's scope is 404,
 * like every other record; global blackouts are visible to every authenticated user and
 * written only with calendar.write on all clients. Recurrences are validated by
 * cal/recur.h before they are stored, so expansion never meets a bad rule later.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cal/recur.h"
#include "codec/json_calendar.h"
#include "core/authz.h"
#include "core/timefmt.h"
#include "http/handler_util.h"
#include "http/handlers.h"

#include "util/banned.h"

#define NAME_MAX_LEN 200
#define REASON_MAX_LEN 500

static int parse_id(const char *s, const char *what, int64_t *id, struct gl_error *err)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v <= 0)
        return gl_error_set(err, GL_E_NOT_FOUND, NULL, "no %s %.40s", what, s);
    *id = v;
    return 0;
}

/* The client named in the path, if visible (404 otherwise). */
static int path_client(struct gl_request *req, const char *key, struct gl_client *out,
                       struct gl_error *err)
{
    int rc = req->store->clients->get(req->store, key, out, err);
    if (rc == GL_E_NOT_FOUND || (!rc && !gl_scope_contains(&req->scope, out->id)))
        return gl_error_set(err, GL_E_NOT_FOUND, NULL, "no client %.60s", key);
    return rc;
}

static int get_str(json_t *body, const char *key, bool required, size_t max, const char **out,
                   struct gl_error *err)
{
    json_t *v = json_object_get(body, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return gl_error_set(err, GL_E_INVALID, key, "%s is required", key);
        return 0;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max)
        return gl_error_set(err, GL_E_INVALID, key, "%s must be a string of 1 to %zu characters",
                            key, max);
    *out = json_string_value(v);
    return 0;
}

static int only_fields(json_t *body, const char *const *allowed, struct gl_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++)
            ok = ok || strcmp(key, allowed[i]) == 0;
        if (!ok)
            return gl_error_set(err, GL_E_INVALID, key, "unknown field %.60s", key);
    }
    return 0;
}

/* Renames the field of a recurrence error to the wire name the caller used. */
static int rename_field(int rc, struct gl_error *err, const char *from, const char *to)
{
    if (rc && err && strcmp(err->field, from) == 0)
        snprintf(err->field, sizeof err->field, "%s", to);
    return rc;
}

static int dup_str(char **dst, const char *s, struct gl_error *err)
{
    *dst = NULL;
    if (s && !(*dst = strdup(s)))
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    return 0;
}

/* ---- windows ------------------------------------------------------------------------ */

static int window_from_body(struct gl_request *req, json_t *body, const struct gl_client *cl,
                            struct gl_cal_window *w, struct gl_error *err)
{
    static const char *const fields[] = {"rrule", "start", "duration_minutes", "ci", "name",
                                         NULL};
    const char *rrule, *start, *ci, *name;
    int rc = only_fields(body, fields, err);
    if (!rc)
        rc = get_str(body, "rrule", false, 500, &rrule, err);
    if (!rc)
        rc = get_str(body, "start", true, 40, &start, err);
    if (!rc)
        rc = get_str(body, "ci", false, 40, &ci, err);
    if (!rc)
        rc = get_str(body, "name", false, NAME_MAX_LEN, &name, err);
    if (rc)
        return rc;
    json_t *d = json_object_get(body, "duration_minutes");
    if (!json_is_integer(d) || json_integer_value(d) <= 0 ||
        json_integer_value(d) > (json_int_t)GL_CAL_RANGE_MAX_DAYS * 1440)
        return gl_error_set(err, GL_E_INVALID, "duration_minutes",
                            "duration_minutes must be a positive integer (at most %d days)",
                            GL_CAL_RANGE_MAX_DAYS);
    w->client_id = cl->id;
    w->duration = (int64_t)json_integer_value(d) * 60;
    if (ci) {
        struct gl_ci c;
        gl_ci_init(&c);
        if (gl_ci_ident_parse(ci, &w->ci_id) < 0 ||
            req->store->cis->get(req->store, w->ci_id, &c, err) || c.client_id != cl->id) {
            gl_ci_release(&c);
            return gl_error_set(err, GL_E_INVALID, "ci", "%.40s is not a CI of client %s", ci,
                                cl->key);
        }
        gl_ci_release(&c);
    }
    const char *tz = cl->timezone ? cl->timezone : "UTC";
    struct gl_recur r = {rrule, start, tz, w->duration};
    rc = rename_field(gl_recur_check(&r, err), err, "duration", "duration_minutes");
    if (rc == GL_E_INVALID && strcmp(err->field, "timezone") == 0)
        snprintf(err->detail, sizeof err->detail,
                 "the client's time zone %.60s is unknown to the calendar; fix the client first",
                 tz);
    if (rc)
        return rc;
    /* Stored normalised (seconds always present), so reads show one form. */
    int64_t t;
    char local[GL_LOCAL_TIME_MAX];
    if (gl_local_to_utc("UTC", start, &t) == 0)
        gl_utc_to_local("UTC", t, local);
    else
        snprintf(local, sizeof local, "%s", start);
    if (dup_str(&w->rrule, rrule, err) || dup_str(&w->start, local, err) ||
        dup_str(&w->name, name, err))
        return GL_E_INTERNAL;
    return 0;
}

int gl_h_windows_create(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_client cl;
    struct gl_cal_window w = {0};
    json_t *body = NULL;
    gl_error_clear(&err);
    gl_client_init(&cl);
    if (path_client(req, req->captures[0], &cl, &err) ||
        gl_authz_check(&req->user, GL_PERM_CALENDAR_WRITE, cl.id, &err) ||
        gl_req_json(req, false, &body, &err) || window_from_body(req, body, &cl, &w, &err))
        goto fail;
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "window.create", NULL);
    if (req->store->calendar->window_create(req->store, &ctx, &w, &err))
        goto fail;
    snprintf(res->location, sizeof res->location, "/api/v1/windows/%lld", (long long)w.id);
    gl_res_json(res, 201, gl_json_cal_window(&w));
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    json_decref(body);
    gl_cal_window_release(&w);
    gl_client_release(&cl);
    return 0;
}

int gl_h_windows_list(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_client cl;
    struct gl_cal_window_list wl = {0};
    gl_client_init(&cl);
    if (path_client(req, req->captures[0], &cl, &err) ||
        gl_authz_check(&req->user, GL_PERM_CLIENT_READ, cl.id, &err) ||
        req->store->calendar->window_list(req->store, cl.id, &wl, &err)) {
        gl_client_release(&cl);
        return gl_res_problem(res, req, &err);
    }
    json_t *items = json_array();
    for (size_t i = 0; i < wl.len; i++)
        json_array_append_new(items, gl_json_cal_window(&wl.items[i]));
    gl_res_json(res, 200, json_pack("{s:o}", "items", items));
    gl_cal_window_list_release(&wl);
    gl_client_release(&cl);
    return 0;
}

static int load_window(struct gl_request *req, struct gl_cal_window *w, struct gl_error *err)
{
    int64_t id;
    int rc = parse_id(req->captures[0], "window", &id, err);
    if (!rc)
        rc = req->store->calendar->window_get(req->store, id, w, err);
    if (rc == GL_E_NOT_FOUND || (!rc && !gl_scope_contains(&req->scope, w->client_id)))
        return gl_error_set(err, GL_E_NOT_FOUND, NULL, "no window %.40s", req->captures[0]);
    return rc;
}

int gl_h_window_get(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_cal_window w = {0};
    if (load_window(req, &w, &err) ||
        gl_authz_check(&req->user, GL_PERM_CLIENT_READ, w.client_id, &err)) {
        gl_cal_window_release(&w);
        return gl_res_problem(res, req, &err);
    }
    gl_res_json(res, 200, gl_json_cal_window(&w));
    gl_cal_window_release(&w);
    return 0;
}

int gl_h_window_delete(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_cal_window w = {0};
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "window.delete", NULL);
    if (load_window(req, &w, &err) ||
        gl_authz_check(&req->user, GL_PERM_CALENDAR_WRITE, w.client_id, &err) ||
        req->store->calendar->window_delete(req->store, &ctx, w.id, &err)) {
        gl_cal_window_release(&w);
        return gl_res_problem(res, req, &err);
    }
    gl_cal_window_release(&w);
    res->status = 204;
    return 0;
}

/* ---- blackouts ---------------------------------------------------------------------- */

static int blackout_from_body(struct gl_request *req, json_t *body, struct gl_cal_blackout *b,
                              struct gl_client *cl, struct gl_error *err)
{
    static const char *const fields[] = {"client", "reason", "start", "end", "rrule", NULL};
    const char *client, *reason, *start, *end, *rrule;
    int rc = only_fields(body, fields, err);
    if (!rc)
        rc = get_str(body, "client", false, 40, &client, err);
    if (!rc)
        rc = get_str(body, "reason", true, REASON_MAX_LEN, &reason, err);
    if (!rc)
        rc = get_str(body, "start", true, 40, &start, err);
    if (!rc)
        rc = get_str(body, "end", true, 40, &end, err);
    if (!rc)
        rc = get_str(body, "rrule", false, 500, &rrule, err);
    if (rc)
        return rc;
    if (client && (rc = gl_h_resolve_client(req, client, "client", &b->client_id, err)))
        return rc;
    if (client && (rc = req->store->clients->get_by_id(req->store, b->client_id, cl, err)))
        return rc;
    if (gl_time_parse(start, &b->start) < 0)
        return gl_error_set(err, GL_E_INVALID, "start", "start must be an RFC 3339 time");
    if (gl_time_parse(end, &b->end) < 0)
        return gl_error_set(err, GL_E_INVALID, "end", "end must be an RFC 3339 time");
    if (b->end <= b->start)
        return gl_error_set(err, GL_E_INVALID, "end", "end must be after start");
    if (b->end - b->start > (int64_t)GL_CAL_RANGE_MAX_DAYS * 86400)
        return gl_error_set(err, GL_E_INVALID, "end", "a blackout lasts at most %d days",
                            GL_CAL_RANGE_MAX_DAYS);
    const char *tz = client && cl->timezone ? cl->timezone : "UTC";
    if (rrule) {
        char local[GL_LOCAL_TIME_MAX];
        if (gl_utc_to_local(tz, b->start, local) < 0)
            return gl_error_set(err, GL_E_INVALID, "client",
                                "the client's time zone %.60s is unknown to the calendar", tz);
        struct gl_recur r = {rrule, local, tz, b->end - b->start};
        if ((rc = rename_field(gl_recur_check(&r, err), err, "duration", "end")))
            return rc;
    }
    if (dup_str(&b->reason, reason, err) || dup_str(&b->rrule, rrule, err) ||
        dup_str(&b->timezone, tz, err))
        return GL_E_INTERNAL;
    return 0;
}

int gl_h_blackouts_create(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_client cl;
    struct gl_cal_blackout b = {0};
    json_t *body = NULL;
    gl_error_clear(&err);
    gl_client_init(&cl);
    if (gl_req_json(req, false, &body, &err) || blackout_from_body(req, body, &b, &cl, &err) ||
        gl_authz_check(&req->user, GL_PERM_CALENDAR_WRITE, b.client_id, &err))
        goto fail;
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "blackout.create", NULL);
    if (req->store->calendar->blackout_create(req->store, &ctx, &b, &err))
        goto fail;
    snprintf(res->location, sizeof res->location, "/api/v1/blackouts/%lld", (long long)b.id);
    gl_res_json(res, 201, gl_json_cal_blackout(&b));
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    json_decref(body);
    gl_cal_blackout_release(&b);
    gl_client_release(&cl);
    return 0;
}

int gl_h_blackouts_list(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_cal_blackout_list bl = {0};
    int64_t client_id = 0;
    const char *key = gl_req_query(req, "client");
    if ((key && gl_h_resolve_client(req, key, "client", &client_id, &err)) ||
        req->store->calendar->blackout_list(req->store, client_id, true, &bl, &err))
        return gl_res_problem(res, req, &err);
    json_t *items = json_array();
    for (size_t i = 0; i < bl.len; i++)
        json_array_append_new(items, gl_json_cal_blackout(&bl.items[i]));
    gl_res_json(res, 200, json_pack("{s:o}", "items", items));
    gl_cal_blackout_list_release(&bl);
    return 0;
}

static int load_blackout(struct gl_request *req, struct gl_cal_blackout *b, struct gl_error *err)
{
    int64_t id;
    int rc = parse_id(req->captures[0], "blackout", &id, err);
    if (!rc)
        rc = req->store->calendar->blackout_get(req->store, id, b, err);
    if (rc == GL_E_NOT_FOUND ||
        (!rc && b->client_id && !gl_scope_contains(&req->scope, b->client_id)))
        return gl_error_set(err, GL_E_NOT_FOUND, NULL, "no blackout %.40s", req->captures[0]);
    return rc;
}

int gl_h_blackout_get(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_cal_blackout b = {0};
    if (load_blackout(req, &b, &err)) {
        gl_cal_blackout_release(&b);
        return gl_res_problem(res, req, &err);
    }
    gl_res_json(res, 200, gl_json_cal_blackout(&b));
    gl_cal_blackout_release(&b);
    return 0;
}

int gl_h_blackout_delete(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_cal_blackout b = {0};
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "blackout.delete", NULL);
    if (load_blackout(req, &b, &err) ||
        gl_authz_check(&req->user, GL_PERM_CALENDAR_WRITE, b.client_id, &err) ||
        req->store->calendar->blackout_delete(req->store, &ctx, b.id, &err)) {
        gl_cal_blackout_release(&b);
        return gl_res_problem(res, req, &err);
    }
    gl_cal_blackout_release(&b);
    res->status = 204;
    return 0;
}

/* ---- the calendar view -------------------------------------------------------------- */

static int parse_range(struct gl_request *req, int64_t *from, int64_t *to, struct gl_error *err)
{
    const char *f = gl_req_query(req, "from"), *t = gl_req_query(req, "to");
    if (!f || gl_time_parse(f, from) < 0)
        return gl_error_set(err, GL_E_INVALID, "from", "from must be an RFC 3339 time");
    if (!t || gl_time_parse(t, to) < 0)
        return gl_error_set(err, GL_E_INVALID, "to", "to must be an RFC 3339 time");
    if (*to <= *from)
        return gl_error_set(err, GL_E_INVALID, "to", "to must be after from");
    if (*to - *from > (int64_t)GL_CAL_RANGE_MAX_DAYS * 86400)
        return gl_error_set(err, GL_E_INVALID, "to", "the range is limited to %d days",
                            GL_CAL_RANGE_MAX_DAYS);
    return 0;
}

static json_t *interval_json(const char *kind, int64_t ref, int64_t s, int64_t e)
{
    char a[GL_TIME_STR_MAX], b[GL_TIME_STR_MAX];
    gl_time_format(s, a);
    gl_time_format(e, b);
    return json_pack("{s:I, s:s, s:s}", kind, (json_int_t)ref, "start", a, "end", b);
}

static int expand_windows(const struct gl_cal_window_list *wl, int64_t from, int64_t to,
                          json_t *out, struct gl_error *err)
{
    for (size_t i = 0; i < wl->len; i++) {
        const struct gl_cal_window *w = &wl->items[i];
        struct gl_ivlist iv = {0};
        int rc = gl_cal_window_expand(w, from, to, &iv, err);
        for (size_t j = 0; !rc && j < iv.len; j++) {
            json_t *o = interval_json("window", w->id, iv.items[j].start, iv.items[j].end);
            char ci[GL_IDENT_MAX];
            gl_ci_ident_format(w->ci_id, ci);
            json_object_set_new(o, "ci", w->ci_id ? json_string(ci) : json_null());
            json_object_set_new(o, "name", w->name ? json_string(w->name) : json_null());
            json_array_append_new(out, o);
        }
        gl_ivlist_release(&iv);
        if (rc)
            return rc;
    }
    return 0;
}

static int expand_blackouts(const struct gl_cal_blackout_list *bl, int64_t from, int64_t to,
                            json_t *out, struct gl_error *err)
{
    for (size_t i = 0; i < bl->len; i++) {
        const struct gl_cal_blackout *b = &bl->items[i];
        struct gl_ivlist iv = {0};
        int rc = gl_cal_blackout_expand(b, from, to, &iv, err);
        for (size_t j = 0; !rc && j < iv.len; j++) {
            json_t *o = interval_json("blackout", b->id, iv.items[j].start, iv.items[j].end);
            json_object_set_new(o, "reason", json_string(b->reason ? b->reason : ""));
            json_object_set_new(o, "global", json_boolean(b->client_id == 0));
            json_array_append_new(out, o);
        }
        gl_ivlist_release(&iv);
        if (rc)
            return rc;
    }
    return 0;
}

int gl_h_calendar(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_client cl;
    struct gl_cal_window_list wl = {0};
    struct gl_cal_blackout_list bl = {0};
    struct gl_cal_change_list cl_changes = {0};
    int64_t from, to, client_id;
    json_t *windows = json_array(), *blackouts = json_array(), *changes = json_array();
    gl_error_clear(&err);
    gl_client_init(&cl);
    const char *key = gl_req_query(req, "client");
    if (!key) {
        gl_error_set(&err, GL_E_INVALID, "client", "client is required");
        goto fail;
    }
    if (gl_h_resolve_client(req, key, "client", &client_id, &err) ||
        gl_authz_check(&req->user, GL_PERM_CHANGE_READ, client_id, &err) ||
        parse_range(req, &from, &to, &err) ||
        req->store->clients->get_by_id(req->store, client_id, &cl, &err) ||
        req->store->calendar->window_list(req->store, client_id, &wl, &err) ||
        req->store->calendar->blackout_list(req->store, client_id, true, &bl, &err) ||
        req->store->calendar->changes(req->store, &req->scope, client_id, from, to, &cl_changes,
                                      &err) ||
        expand_windows(&wl, from, to, windows, &err) ||
        expand_blackouts(&bl, from, to, blackouts, &err))
        goto fail;
    for (size_t i = 0; i < cl_changes.len; i++)
        json_array_append_new(changes, gl_json_cal_change(&cl_changes.items[i]));
    char f[GL_TIME_STR_MAX], t[GL_TIME_STR_MAX];
    gl_time_format(from, f);
    gl_time_format(to, t);
    gl_res_json(res, 200,
                json_pack("{s:s, s:s, s:i, s:s, s:s, s:o, s:o, s:o}", "client", cl.key,
                          "timezone", cl.timezone ? cl.timezone : "UTC", "notice_hours",
                          cl.notice_hours, "from", f, "to", t, "changes", changes, "windows",
                          windows, "blackouts", blackouts));
    changes = windows = blackouts = NULL;
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    json_decref(changes);
    json_decref(windows);
    json_decref(blackouts);
    gl_cal_change_list_release(&cl_changes);
    gl_cal_window_list_release(&wl);
    gl_cal_blackout_list_release(&bl);
    gl_client_release(&cl);
    return 0;
}
