/*
 * h_changes.c - /api/v1/changes: create (also from a template), read, list, edit.
 *
 * Writes parse the request and call the service layer (app/change.h, app/template.h),
 * which decides and writes in one transaction. Another client's change answers 404
 * exactly like a missing one, so its existence does not leak; a visible one is then
 * subject to the permission check of core/authz.c (403).
 */
#include "http/handler_util.h"
#include "http/handlers.h"

#include <stdlib.h>
#include <string.h>

#include "app/change.h"
#include "app/template.h"
#include "codec/json.h"
#include "core/authz.h"
#include "core/lifecycle.h"
#include "core/timefmt.h"
#include "util/banned.h"

static int require_members(const json_t *body, const char *const *names, struct gl_error *err)
{
    for (; *names; names++)
        if (!json_object_get(body, *names))
            return gl_error_set(err, GL_E_INVALID, *names, "%s is required", *names);
    return 0;
}

/* ---- a change from a template ---------------------------------------------------------- */

/* Members the template supplies: the caller may not set them. */
static const char *const template_owned[] = {"implementation_plan", "rollback_plan"};

/* The body without "template" and "type" (checked: a standard change) into *rest. */
static int take_template_ref(json_t *body, json_t **rest, struct gl_error *err)
{
    json_t *ref = json_object_get(body, "template");
    if (!json_is_string(ref))
        return gl_error_set(err, GL_E_INVALID, "template",
                            "template must be a template ID such as TPL-000001");
    for (size_t i = 0; i < sizeof template_owned / sizeof template_owned[0]; i++)
        if (json_object_get(body, template_owned[i]))
            return gl_error_set(err, GL_E_INVALID, template_owned[i], "%s comes from the template",
                                template_owned[i]);
    json_t *type = json_object_get(body, "type");
    if (type && !(json_is_string(type) && strcmp(json_string_value(type), "standard") == 0))
        return gl_error_set(err, GL_E_INVALID, "type",
                            "a change made from a template is a standard change");
    *rest = json_deep_copy(body);
    if (!*rest)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    json_object_del(*rest, "template");
    json_object_del(*rest, "type");
    return 0;
}

static int create_from_template(struct gl_request *req, struct gl_response *res, json_t *body,
                                struct gl_change *c, struct gl_error *err)
{
    json_t *rest = NULL;
    bool suggest = false;
    int64_t tid = 0;
    int rc = take_template_ref(body, &rest, err);
    const char *ref = json_string_value(json_object_get(body, "template"));
    if (!rc && gl_template_ident_parse(ref, &tid) < 0)
        rc = gl_error_set(err, GL_E_INVALID, "template", "unknown template %.40s", ref);
    if (!rc)
        rc = gl_json_change_apply(rest, c, NULL, NULL, err);
    if (!rc && !c->client_key)
        rc = gl_error_set(err, GL_E_INVALID, "client", "client is required");
    if (!rc)
        rc = gl_h_resolve_client(req, c->client_key, "client", &c->client_id, err);
    struct gl_app a = gl_h_app(req);
    if (!rc)
        rc = gl_app_change_from_template(&a, tid, ref, c, &suggest, err);
    json_decref(rest);
    if (rc && suggest)
        gl_h_problem_with(res, req, err, "suggested_type", json_string("normal"));
    return rc;
}

int gl_h_changes_create(struct gl_request *req, struct gl_response *res)
{
    static const char *const required[] = {"client", "type", "title", NULL};
    struct gl_error err;
    struct gl_change c;
    json_t *body = NULL;
    gl_error_clear(&err);
    gl_change_init(&c);
    struct gl_app a = gl_h_app(req);
    if (gl_req_json(req, false, &body, &err))
        goto fail;
    if (json_object_get(body, "template")) {
        if (create_from_template(req, res, body, &c, &err)) {
            if (res->status)
                goto out; /* answered with the suggestion */
            goto fail;
        }
    } else {
        if (require_members(body, required, &err) ||
            gl_json_change_apply(body, &c, NULL, NULL, &err))
            goto fail;
        if (!c.client_key) {
            gl_error_set(&err, GL_E_INVALID, "client", "client must name a client");
            goto fail;
        }
        if (gl_h_resolve_client(req, c.client_key, "client", &c.client_id, &err) ||
            gl_app_change_create(&a, &c, &err))
            goto fail;
    }
    char ident[GL_IDENT_MAX];
    gl_change_ident_format(c.id, ident);
    snprintf(res->location, sizeof res->location, "/api/v1/changes/%s", ident);
    gl_h_answer_change(res, 201, &c);
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    json_decref(body);
    gl_change_release(&c);
    return 0;
}

/* Reads serve the stored rendering (store.h, struct gl_change_doc); a rendering made by an
 * older codec is re-encoded from the record instead. */
int gl_h_change_get(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_change_doc doc = {0};
    const char *ident = req->captures[0];
    int64_t id;
    int rc = gl_change_ident_parse(ident, &id) < 0
                 ? GL_E_NOT_FOUND
                 : req->store->changes->get_doc(req->store, id, &doc, &err);
    if (rc == 0 && !gl_scope_contains(&req->scope, doc.client_id))
        rc = GL_E_NOT_FOUND;
    if (rc == GL_E_NOT_FOUND)
        gl_error_set(&err, GL_E_NOT_FOUND, NULL, "no change %s", ident);
    if (rc == 0)
        rc = gl_authz_check(&req->user, GL_PERM_CHANGE_READ, doc.client_id, &err);
    if (rc) {
        gl_change_doc_release(&doc);
        return gl_res_problem(res, req, &err);
    }
    if (doc.format == GL_JSON_CHANGE_FORMAT) {
        res->etag_version = doc.version;
        gl_res_json_text(res, 200, doc.json, strlen(doc.json));
        doc.json = NULL;
    } else {
        struct gl_change c;
        gl_change_init(&c);
        if (gl_h_load_change(req, ident, &c, &err))
            gl_res_problem(res, req, &err);
        else
            gl_h_answer_change(res, 200, &c);
        gl_change_release(&c);
    }
    gl_change_doc_release(&doc);
    return 0;
}

static int check_change_edit(const char *field, void *ud, struct gl_error *err)
{
    return gl_change_check_edit(ud, field, err);
}

/* The merge patch of the request body, applied inside the edit action. */
static int apply_patch(void *ud, const struct gl_change *before, struct gl_change *after,
                       struct gl_error *err)
{
    return gl_json_change_apply(ud, after, check_change_edit, (void *)before, err);
}

int gl_h_change_patch(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_change after;
    json_t *body = NULL;
    int64_t id;
    gl_error_clear(&err);
    gl_change_init(&after);
    struct gl_app a = gl_h_app(req);
    struct gl_app_edit e = {.apply = apply_patch};
    if (gl_h_change_id(req->captures[0], &id, &err) || gl_h_if_match(req, &e.if_match, &err) ||
        gl_h_sched_opts(req, gl_req_query(req, "justification"), &e.sched, &err) ||
        gl_req_json(req, false, &body, &err))
        goto fail;
    e.ud = body;
    if (gl_app_change_edit(&a, id, &e, &after, NULL, &err))
        goto fail;
    gl_h_answer_change(res, 200, &after);
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    json_decref(body);
    gl_change_release(&after);
    return 0;
}

/* Parses a comma-separated list of enum names into a bit mask. */
static int parse_mask(const char *list, const char *field, int (*parse)(const char *, int *),
                      uint32_t *mask, struct gl_error *err)
{
    char name[40];
    *mask = 0;
    while (*list) {
        const char *comma = strchr(list, ',');
        size_t n = comma ? (size_t)(comma - list) : strlen(list);
        int v;
        if (n == 0 || n >= sizeof name)
            return gl_error_set(err, GL_E_INVALID, field, "%s must be a comma-separated list",
                                field);
        memcpy(name, list, n);
        name[n] = '\0';
        if (parse(name, &v) < 0)
            return gl_error_set(err, GL_E_INVALID, field, "unknown %s %s", field, name);
        *mask |= 1u << v;
        list += n + (comma ? 1 : 0);
    }
    return 0;
}

static int parse_state(const char *s, int *v)
{
    enum gl_change_state st;
    int rc = gl_change_state_parse(s, &st);
    *v = (int)st;
    return rc;
}

static int parse_type(const char *s, int *v)
{
    enum gl_change_type t;
    int rc = gl_change_type_parse(s, &t);
    *v = (int)t;
    return rc;
}

static int parse_time_param(const struct gl_request *req, const char *name, int64_t *out,
                            struct gl_error *err)
{
    const char *s = gl_req_query(req, name);
    *out = GL_TIME_UNSET;
    if (s && gl_time_parse(s, out) < 0)
        return gl_error_set(err, GL_E_INVALID, name,
                            "%s must be an RFC 3339 time such as 2026-12-05T22:00:00Z", name);
    return 0;
}

static int parse_change_filter(struct gl_request *req, struct gl_change_filter *f,
                               struct gl_error *err)
{
    const char *s;
    f->scope = &req->scope;
    if ((s = gl_req_query(req, "client")) && gl_h_resolve_client(req, s, "client", &f->client_id, err))
        return GL_E_INVALID;
    if ((s = gl_req_query(req, "state")) && parse_mask(s, "state", parse_state, &f->state_mask, err))
        return GL_E_INVALID;
    if ((s = gl_req_query(req, "type")) && parse_mask(s, "type", parse_type, &f->type_mask, err))
        return GL_E_INVALID;
    if ((s = gl_req_query(req, "ci")) && gl_ci_ident_parse(s, &f->ci_id) < 0)
        return gl_error_set(err, GL_E_INVALID, "ci", "ci must be a CI identifier such as CI-000042");
    if (parse_time_param(req, "from", &f->from, err) || parse_time_param(req, "to", &f->to, err))
        return GL_E_INVALID;
    if (f->from != GL_TIME_UNSET && f->to != GL_TIME_UNSET && f->to <= f->from)
        return gl_error_set(err, GL_E_INVALID, "to", "to must be later than from");
    if ((s = gl_req_query(req, "q")) && *s) {
        if (strlen(s) > 200)
            return gl_error_set(err, GL_E_INVALID, "q", "q is limited to 200 characters");
        f->text = s;
    }
    return gl_req_page(req, &f->limit, &f->before_id, err);
}

static bool docs_current(const struct gl_change_doc_page *page)
{
    for (size_t i = 0; i < page->len; i++)
        if (page->items[i].format != GL_JSON_CHANGE_FORMAT)
            return false;
    return true;
}

/* {"items":[<stored renderings>],"next_cursor":...} without decoding them. */
static int answer_docs(struct gl_response *res, const struct gl_change_doc_page *page)
{
    struct gl_buf out;
    gl_buf_init(&out, 0);
    int rc = gl_buf_puts(&out, "{\"items\":[");
    for (size_t i = 0; i < page->len && !rc; i++)
        rc = (i && gl_buf_putc(&out, ',')) || gl_buf_puts(&out, page->items[i].json);
    if (!rc && page->next_cursor > 0)
        rc = gl_buf_printf(&out, "],\"next_cursor\":\"%lld\"}", (long long)page->next_cursor);
    else if (!rc)
        rc = gl_buf_puts(&out, "],\"next_cursor\":null}");
    if (rc) {
        gl_buf_release(&out);
        return -1;
    }
    size_t len = out.len;
    return gl_res_json_text(res, 200, gl_buf_detach(&out), len);
}

static int answer_records(struct gl_request *req, struct gl_response *res,
                          const struct gl_change_filter *f)
{
    struct gl_error err;
    struct gl_change_page page = {0};
    if (req->store->changes->list(req->store, f, &page, &err))
        return gl_res_problem(res, req, &err);
    json_t *items = json_array();
    for (size_t i = 0; i < page.len; i++)
        json_array_append_new(items, gl_json_change(&page.items[i]));
    gl_res_json(res, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor",
                                    gl_json_cursor(page.next_cursor)));
    gl_change_page_release(&page);
    return 0;
}

int gl_h_changes_list(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_change_filter f = {.from = GL_TIME_UNSET, .to = GL_TIME_UNSET};
    struct gl_change_doc_page page = {0};
    gl_error_clear(&err);
    const char *overdue = gl_req_query(req, "overdue_review");
    if (overdue && strcmp(overdue, "true") == 0)
        return gl_h_changes_overdue(req, res); /* h_approvals.c */
    if (overdue && strcmp(overdue, "false") != 0)
        return gl_res_fail(res, req, GL_E_INVALID, "overdue_review",
                           "overdue_review must be true or false");
    if (parse_change_filter(req, &f, &err) ||
        req->store->changes->list_docs(req->store, &f, &page, &err))
        return gl_res_problem(res, req, &err);
    int rc = docs_current(&page) ? answer_docs(res, &page) : answer_records(req, res, &f);
    gl_change_doc_page_release(&page);
    if (rc)
        gl_res_fail(res, req, GL_E_INTERNAL, NULL, "out of memory");
    return 0;
}
