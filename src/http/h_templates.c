/*
 * h_templates.c - /api/v1/templates: the standard-change catalogue. Changes made from a
 * template, the standard path and revocation are the service layer's (app/template.h).
 *
 * A template of client 0 serves every client and is visible to everyone; another client's
 * template answers 404 like a missing one. Writes need the template.write permission
 * (change managers) on the template's client (all clients for a global one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "codec/json_template.h"
#include "core/authz.h"
#include "core/lifecycle.h"
#include "core/timefmt.h"
#include "http/handler_util.h"
#include "http/handlers.h"

#include "util/banned.h"

static int load_template(struct gl_request *req, const char *ident, struct gl_template *t,
                         struct gl_error *err)
{
    int64_t id;
    int rc = gl_template_ident_parse(ident, &id) < 0
                 ? GL_E_NOT_FOUND
                 : req->store->templates->get(req->store, id, t, err);
    if (rc == 0 && t->client_id && !gl_scope_contains(&req->scope, t->client_id)) {
        gl_template_release(t);
        rc = GL_E_NOT_FOUND;
    }
    if (rc == GL_E_NOT_FOUND)
        return gl_error_set(err, GL_E_NOT_FOUND, NULL, "no template %.40s", ident);
    return rc;
}

static int answer_template(struct gl_response *res, unsigned status, const struct gl_template *t)
{
    res->etag_version = t->version;
    return gl_res_json(res, status, gl_json_template(t));
}

/* ---- CRUD -------------------------------------------------------------------------------- */

int gl_h_templates_list(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_template_filter f = {.scope = &req->scope};
    struct gl_template_page page = {0};
    const char *key = gl_req_query(req, "client");
    gl_error_clear(&err);
    if ((key && gl_h_resolve_client(req, key, "client", &f.client_id, &err)) ||
        gl_req_page(req, &f.limit, &f.before_id, &err) ||
        req->store->templates->list(req->store, &f, &page, &err))
        return gl_res_problem(res, req, &err);
    json_t *items = json_array();
    for (size_t i = 0; i < page.len; i++)
        json_array_append_new(items, gl_json_template(&page.items[i]));
    gl_res_json(res, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor",
                                    gl_json_cursor(page.next_cursor)));
    gl_template_page_release(&page);
    return 0;
}

int gl_h_templates_create(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_template t;
    json_t *body = NULL;
    gl_error_clear(&err);
    gl_template_init(&t);
    t.preapproved = true; /* catalogued by a change manager: pre-approved unless they say not */
    if (gl_req_json(req, false, &body, &err) || gl_json_template_apply(body, &t, true, &err))
        goto fail;
    if (!json_object_get(body, "max_risk")) {
        gl_error_set(&err, GL_E_INVALID, "max_risk", "max_risk is required");
        goto fail;
    }
    if ((t.client_key && gl_h_resolve_client(req, t.client_key, "client", &t.client_id, &err)) ||
        gl_authz_check(&req->user, GL_PERM_TEMPLATE_WRITE, t.client_id, &err) ||
        gl_template_validate(&t, &err))
        goto fail;
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "template.create", NULL);
    if (req->store->templates->create(req->store, &ctx, &t, &err))
        goto fail;
    char ident[GL_IDENT_MAX];
    gl_template_ident_format(t.id, ident);
    snprintf(res->location, sizeof res->location, "/api/v1/templates/%s", ident);
    answer_template(res, 201, &t);
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    json_decref(body);
    gl_template_release(&t);
    return 0;
}

int gl_h_template_get(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_template t;
    gl_template_init(&t);
    if (load_template(req, req->captures[0], &t, &err))
        gl_res_problem(res, req, &err);
    else
        answer_template(res, 200, &t);
    gl_template_release(&t);
    return 0;
}

/* {"template": "TPL-...", "items": [{"version", "created_by", "created_at", "template"}]},
 * oldest first: what the template said at each version. */
int gl_h_template_versions(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_template t;
    struct gl_template_version_list l = {0};
    gl_template_init(&t);
    if (load_template(req, req->captures[0], &t, &err) ||
        req->store->templates->versions(req->store, t.id, &l, &err)) {
        gl_template_release(&t);
        return gl_res_problem(res, req, &err);
    }
    json_t *items = json_array();
    for (size_t i = 0; i < l.len; i++) {
        char at[GL_TIME_STR_MAX];
        gl_time_format(l.items[i].created_at, at);
        json_t *body = l.items[i].json ? json_loads(l.items[i].json, 0, NULL) : NULL;
        json_array_append_new(items, json_pack("{s:I, s:s?, s:s, s:o}", "version",
                                                (json_int_t)l.items[i].version, "created_by",
                                                l.items[i].created_by, "created_at", at,
                                                "template", body ? body : json_null()));
    }
    char ident[GL_IDENT_MAX];
    gl_template_ident_format(t.id, ident);
    gl_res_json(res, 200, json_pack("{s:s, s:o}", "template", ident, "items", items));
    gl_template_version_list_release(&l);
    gl_template_release(&t);
    return 0;
}

/* Loads, checks permission and If-Match, and copies into after for an update. */
static int begin_update(struct gl_request *req, bool if_match_required, struct gl_template *before,
                        struct gl_template *after, struct gl_error *err)
{
    int rc = load_template(req, req->captures[0], before, err);
    if (!rc)
        rc = gl_authz_check(&req->user, GL_PERM_TEMPLATE_WRITE, before->client_id, err);
    if (!rc)
        rc = gl_h_check_if_match(req, before->version, if_match_required, err);
    if (!rc && gl_template_copy(after, before))
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    return rc;
}

int gl_h_template_patch(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_template before, after;
    json_t *body = NULL;
    gl_error_clear(&err);
    gl_template_init(&before);
    gl_template_init(&after);
    if (begin_update(req, true, &before, &after, &err) || gl_req_json(req, false, &body, &err) ||
        gl_json_template_apply(body, &after, false, &err) || gl_template_validate(&after, &err))
        goto fail;
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "template.update", NULL);
    if (req->store->templates->update(req->store, &ctx, &before, &after, &err))
        goto fail;
    answer_template(res, 200, &after);
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    json_decref(body);
    gl_template_release(&before);
    gl_template_release(&after);
    return 0;
}

int gl_h_template_reapprove(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_template before, after;
    json_t *body = NULL, *comment;
    gl_error_clear(&err);
    gl_template_init(&before);
    gl_template_init(&after);
    if (begin_update(req, false, &before, &after, &err) || gl_req_json(req, true, &body, &err))
        goto fail;
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        if (strcmp(key, "comment") == 0 && json_is_string(v))
            continue;
        gl_error_set(&err, GL_E_INVALID, key,
                     strcmp(key, "comment") ? "unknown field %s; reapprove takes a comment"
                                            : "%s must be a string",
                     key);
        goto fail;
    }
    comment = json_object_get(body, "comment");
    if (gl_template_standing(&before) == GL_TEMPLATE_GOOD) {
        gl_error_set(&err, GL_E_TRANSITION, NULL, "%.40s is already pre-approved",
                     req->captures[0]);
        goto fail;
    }
    after.preapproved = true;
    after.revoked_at = GL_TIME_UNSET;
    gl_change_set_str(&after.revoked_reason, NULL);
    struct gl_write_ctx ctx =
        gl_req_write_ctx(req, "template.reapprove", comment ? json_string_value(comment) : NULL);
    if (req->store->templates->update(req->store, &ctx, &before, &after, &err))
        goto fail;
    answer_template(res, 200, &after);
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    json_decref(body);
    gl_template_release(&before);
    gl_template_release(&after);
    return 0;
}
