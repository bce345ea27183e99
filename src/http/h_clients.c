/*
 * h_clients.c - /api/v1/clients: the tenants of an installation.
 *
 * Creating and editing clients is an administrator's task (core/authz.c decides); everyone
 * sees the clients of their scope, and a client outside it answers 404 like a missing one.
 * A client's time zone must be one the calendar knows (cal/recur.h gl_tz_check), not only
 * well-formed: its windows and notices are computed in it.
 */
#include <stdio.h>
#include <string.h>

#include "cal/recur.h"
#include "codec/json.h"
#include "core/authz.h"
#include "http/handler_util.h"
#include "http/handlers.h"
#include "util/banned.h"

static int client_copy(struct gl_client *dst, const struct gl_client *src)
{
    *dst = *src;
    dst->key = dst->name = dst->timezone = NULL;
    if (gl_change_set_str(&dst->key, src->key) || gl_change_set_str(&dst->name, src->name) ||
        gl_change_set_str(&dst->timezone, src->timezone))
        return -1;
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

static int answer_client(struct gl_response *res, unsigned status, const struct gl_client *c)
{
    res->etag_version = c->version;
    return gl_res_json(res, status, gl_json_client(c));
}

int gl_h_clients_list(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_client_list list = {0};
    if (req->store->clients->list(req->store, &req->scope, &list, &err))
        return gl_res_problem(res, req, &err);
    json_t *items = json_array();
    for (size_t i = 0; i < list.len; i++)
        json_array_append_new(items, gl_json_client(&list.items[i]));
    gl_client_list_release(&list);
    return gl_res_json(res, 200, json_pack("{s:o}", "items", items));
}

int gl_h_clients_create(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_client c;
    json_t *body = NULL;
    gl_error_clear(&err);
    gl_client_init(&c);
    c.notice_hours = 24;
    if (gl_authz_check(&req->user, GL_PERM_CLIENT_WRITE, 0, &err) ||
        gl_req_json(req, false, &body, &err) ||
        gl_json_client_apply(body, &c, true, &err))
        goto fail;
    if (!c.timezone && gl_change_set_str(&c.timezone, "UTC") < 0) {
        gl_error_set(&err, GL_E_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    if (gl_client_validate(&c, &err) || gl_tz_check(c.timezone, &err))
        goto fail;
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "client.create", NULL);
    if (req->store->clients->create(req->store, &ctx, &c, &err))
        goto fail;
    snprintf(res->location, sizeof res->location, "/api/v1/clients/%s", c.key);
    answer_client(res, 201, &c);
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    json_decref(body);
    gl_client_release(&c);
    return 0;
}

int gl_h_client_get(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_client c;
    gl_client_init(&c);
    if (load_client(req, &c, &err) ||
        gl_authz_check(&req->user, GL_PERM_CLIENT_READ, c.id, &err)) {
        gl_client_release(&c);
        return gl_res_problem(res, req, &err);
    }
    answer_client(res, 200, &c);
    gl_client_release(&c);
    return 0;
}

int gl_h_client_patch(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_client before, after;
    json_t *body = NULL;
    gl_error_clear(&err);
    gl_client_init(&before);
    gl_client_init(&after);
    if (load_client(req, &before, &err) ||
        gl_authz_check(&req->user, GL_PERM_CLIENT_WRITE, before.id, &err) ||
        gl_h_check_if_match(req, before.version, true, &err) ||
        gl_req_json(req, false, &body, &err))
        goto fail;
    if (client_copy(&after, &before) < 0) {
        gl_error_set(&err, GL_E_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    if (gl_json_client_apply(body, &after, false, &err) || gl_client_validate(&after, &err) ||
        gl_tz_check(after.timezone, &err))
        goto fail;
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "client.update", NULL);
    if (req->store->clients->update(req->store, &ctx, &before, &after, &err))
        goto fail;
    answer_client(res, 200, &after);
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    json_decref(body);
    gl_client_release(&before);
    gl_client_release(&after);
    return 0;
}
