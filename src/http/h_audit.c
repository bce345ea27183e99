/*
 * h_audit.c - the audit log over HTTP: GET /api/v1/audit/verify (is the hash chain intact,
 * and if not, where does it first break) and GET /api/v1/audit/export (one client's events
 * in a time range, paged).
 *
 * Permission is the core's (GL_PERM_AUDIT_READ: auditors and admins). Verification covers
 * the whole log, every tenant's events, so it needs the permission on all clients; so does
 * an export without `client`. A client outside the caller's scope is an unknown client
 * (400), as in every other list, so its existence does not leak.
 */
#include "codec/json.h"
#include "core/authz.h"
#include "core/timefmt.h"
#include "http/handler_util.h"
#include "http/handlers.h"

#include "util/banned.h"

int gl_h_audit_verify(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_audit_verifier v;
    gl_error_clear(&err);
    if (gl_authz_check(&req->user, GL_PERM_AUDIT_READ, 0, &err) ||
        gl_store_audit_verify(req->store, &v, &err))
        return gl_res_problem(res, req, &err);
    if (v.broken_id)
        return gl_res_json(res, 200,
                           json_pack("{s:b, s:I, s:s, s:I}", "intact", 0, "first_broken_id",
                                     (json_int_t)v.broken_id, "reason", v.reason, "events_verified",
                                     (json_int_t)v.events));
    char hash[2 * GL_AUDIT_HASH_LEN + 1];
    gl_audit_hash_hex(v.last_hash, hash);
    return gl_res_json(res, 200,
                       json_pack("{s:b, s:I, s:I, s:s}", "intact", 1, "events",
                                 (json_int_t)v.events, "last_id", (json_int_t)v.last_id,
                                 "last_hash", hash));
}

static int parse_time(const struct gl_request *req, const char *name, int64_t *out,
                      struct gl_error *err)
{
    const char *s = gl_req_query(req, name);
    *out = GL_TIME_UNSET;
    if (s && gl_time_parse(s, out) < 0)
        return gl_error_set(err, GL_E_INVALID, name,
                            "%s must be an RFC 3339 time such as 2026-12-05T22:00:00Z", name);
    return 0;
}

static int parse_export(struct gl_request *req, struct gl_audit_filter *f, struct gl_error *err)
{
    const char *key = gl_req_query(req, "client");
    if (key && gl_h_resolve_client(req, key, "client", &f->client_id, err))
        return GL_E_INVALID;
    if (gl_authz_check(&req->user, GL_PERM_AUDIT_READ, f->client_id, err))
        return GL_E_FORBIDDEN;
    if (parse_time(req, "from", &f->from, err) || parse_time(req, "to", &f->to, err))
        return GL_E_INVALID;
    if (f->from != GL_TIME_UNSET && f->to != GL_TIME_UNSET && f->to <= f->from)
        return gl_error_set(err, GL_E_INVALID, "to", "to must be later than from");
    return gl_req_page(req, &f->limit, &f->after_id, err);
}

/* The key of each event's client; a page usually holds one client, so remember the last. */
struct key_cache {
    int64_t id;
    struct gl_client client;
};

static const char *client_key(struct gl_request *req, struct key_cache *kc, int64_t id)
{
    struct gl_error err;
    if (id == 0)
        return NULL;
    if (kc->id != id) {
        gl_client_release(&kc->client);
        gl_client_init(&kc->client);
        kc->id = id;
        if (req->store->clients->get_by_id(req->store, id, &kc->client, &err))
            return NULL;
    }
    return kc->client.key;
}

static json_t *export_items(struct gl_request *req, const struct gl_audit_page *page)
{
    struct key_cache kc = {.id = -1};
    json_t *items = json_array();
    gl_client_init(&kc.client);
    for (size_t i = 0; items && i < page->len; i++) {
        const struct gl_audit_event *ev = &page->items[i];
        if (json_array_append_new(items,
                                  gl_json_audit_export(ev, client_key(req, &kc, ev->client_id)))) {
            json_decref(items);
            items = NULL;
        }
    }
    gl_client_release(&kc.client);
    return items;
}

int gl_h_audit_export(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_audit_filter f = {.from = GL_TIME_UNSET, .to = GL_TIME_UNSET};
    struct gl_audit_page page = {0};
    gl_error_clear(&err);
    if (parse_export(req, &f, &err) || req->store->audit->export(req->store, &f, &page, &err))
        return gl_res_problem(res, req, &err);
    json_t *items = export_items(req, &page);
    if (!items)
        gl_res_fail(res, req, GL_E_INTERNAL, NULL, "out of memory");
    else
        gl_res_json(res, 200,
                    json_pack("{s:o, s:o}", "items", items, "next_cursor",
                              gl_json_cursor(page.next_cursor)));
    gl_audit_page_release(&page);
    return 0;
}
