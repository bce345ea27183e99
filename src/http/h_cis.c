/*
 * h_cis.c - /api/v1/cis: configuration items, as far as changes need them.
 *
 * A CI belongs to one client or is shared infrastructure (client null), which every
 * authenticated user may see; who may create and edit which is core/authz.c's decision.
 */
#include <stdio.h>
#include <string.h>

#include "app/cmdb.h"
#include "codec/json.h"
#include "core/authz.h"
#include "http/handler_util.h"
#include "http/handlers.h"
#include "util/banned.h"

static bool ci_visible(const struct gl_request *req, const struct gl_ci *ci)
{
    return ci->client_id == 0 || gl_scope_contains(&req->scope, ci->client_id);
}

static int load_ci(struct gl_request *req, struct gl_ci *ci, struct gl_error *err)
{
    const char *ident = req->captures[0];
    int64_t id;
    int rc = gl_ci_ident_parse(ident, &id) < 0 ? GL_E_NOT_FOUND
                                               : req->store->cis->get(req->store, id, ci, err);
    if (rc == 0 && !ci_visible(req, ci)) {
        gl_ci_release(ci);
        rc = GL_E_NOT_FOUND;
    }
    if (rc == GL_E_NOT_FOUND)
        return gl_error_set(err, GL_E_NOT_FOUND, NULL, "no configuration item %s", ident);
    return rc;
}

static int answer_ci(struct gl_response *res, unsigned status, const struct gl_ci *ci)
{
    res->etag_version = ci->version;
    return gl_res_json(res, status, gl_json_ci(ci));
}

int gl_h_cis_list(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_ci_filter f = {.scope = &req->scope};
    struct gl_ci_page page = {0};
    const char *s;
    gl_error_clear(&err);
    if ((s = gl_req_query(req, "client")) && gl_h_resolve_client(req, s, "client", &f.client_id, &err))
        return gl_res_problem(res, req, &err);
    f.type = gl_req_query(req, "type");
    if ((s = gl_req_query(req, "q")) && *s)
        f.text = s;
    if (gl_req_page(req, &f.limit, &f.before_id, &err) ||
        req->store->cis->list(req->store, &f, &page, &err))
        return gl_res_problem(res, req, &err);
    json_t *items = json_array();
    for (size_t i = 0; i < page.len; i++)
        json_array_append_new(items, gl_json_ci(&page.items[i]));
    gl_res_json(res, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor",
                                    gl_json_cursor(page.next_cursor)));
    gl_ci_page_release(&page);
    return 0;
}

int gl_h_cis_create(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_ci ci;
    json_t *body = NULL;
    gl_error_clear(&err);
    gl_ci_init(&ci);
    ci.criticality = 3;
    if (gl_req_json(req, false, &body, &err))
        goto fail;
    if (!json_object_get(body, "client")) {
        gl_error_set(&err, GL_E_INVALID, "client",
                     "client is required: a client key, or null for shared infrastructure");
        goto fail;
    }
    if (gl_json_ci_apply(body, &ci, true, &err))
        goto fail;
    if (ci.client_key && gl_h_resolve_client(req, ci.client_key, "client", &ci.client_id, &err))
        goto fail;
    if (gl_authz_check(&req->user, GL_PERM_CI_WRITE, ci.client_id, &err) ||
        gl_ci_validate(&ci, &err))
        goto fail;
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "ci.create", NULL);
    if (req->store->cis->create(req->store, &ctx, &ci, &err))
        goto fail;
    char ident[GL_IDENT_MAX];
    gl_ci_ident_format(ci.id, ident);
    snprintf(res->location, sizeof res->location, "/api/v1/cis/%s", ident);
    answer_ci(res, 201, &ci);
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    json_decref(body);
    gl_ci_release(&ci);
    return 0;
}

int gl_h_ci_get(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_ci ci;
    gl_ci_init(&ci);
    if (load_ci(req, &ci, &err) ||
        gl_authz_check(&req->user, GL_PERM_CI_READ, ci.client_id, &err)) {
        gl_ci_release(&ci);
        return gl_res_problem(res, req, &err);
    }
    answer_ci(res, 200, &ci);
    gl_ci_release(&ci);
    return 0;
}

/* The merge patch of the request body, applied inside the edit action. */
static int apply_ci_patch(void *ud, const struct gl_ci *before, struct gl_ci *after,
                          struct gl_error *err)
{
    return gl_json_ci_apply(ud, after, false, err);
}

int gl_h_ci_patch(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_ci after;
    json_t *body = NULL;
    int64_t id, if_match;
    gl_error_clear(&err);
    gl_ci_init(&after);
    struct gl_app a = gl_h_app(req);
    if (gl_ci_ident_parse(req->captures[0], &id) < 0) {
        gl_error_set(&err, GL_E_NOT_FOUND, NULL, "no configuration item %s", req->captures[0]);
        goto fail;
    }
    if (gl_h_if_match(req, &if_match, &err) || gl_req_json(req, false, &body, &err) ||
        gl_app_ci_update(&a, id, if_match, apply_ci_patch, body, &after, &err))
        goto fail;
    answer_ci(res, 200, &after);
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    json_decref(body);
    gl_ci_release(&after);
    return 0;
}
