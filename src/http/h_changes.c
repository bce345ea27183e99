/*
 * h_changes.c - /api/v1/changes: create, read, list, edit.
 *
 * Handlers parse and check the input, let the core decide (validation, edit rules), and
 * hand the result to the store in one write. Another client's change answers 404 exactly
 * like a missing one, so its existence does not leak; a visible one is then subject to the
 * permission check of core/authz.c (403).
 */
#include "http/h_calendar.h"
#include "http/h_changes.h"

#include "http/h_approvals.h"
#include "http/h_risk.h"

#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "core/authz.h"
#include "core/lifecycle.h"
#include "core/timefmt.h"
#include "util/banned.h"

int gl_h_load_change(struct gl_request *req, const char *ident, struct gl_change *c,
                     struct gl_error *err)
{
    int64_t id;
    if (gl_change_ident_parse(ident, &id) < 0)
        return gl_error_set(err, GL_E_NOT_FOUND, NULL, "no change %s", ident);
    int rc = req->store->changes->get(req->store, id, c, err);
    if (rc == GL_E_NOT_FOUND)
        return gl_error_set(err, GL_E_NOT_FOUND, NULL, "no change %s", ident);
    if (rc)
        return rc;
    if (!gl_scope_contains(&req->scope, c->client_id)) {
        gl_change_release(c);
        return gl_error_set(err, GL_E_NOT_FOUND, NULL, "no change %s", ident);
    }
    return 0;
}

int gl_h_resolve_client(struct gl_request *req, const char *key, const char *field,
                        int64_t *client_id, struct gl_error *err)
{
    struct gl_client client;
    gl_client_init(&client);
    int rc = req->store->clients->get(req->store, key, &client, err);
    if (rc == GL_E_NOT_FOUND || (rc == 0 && !gl_scope_contains(&req->scope, client.id)))
        rc = gl_error_set(err, GL_E_INVALID, field, "unknown client %s", key);
    if (rc == 0)
        *client_id = client.id;
    gl_client_release(&client);
    return rc;
}

int gl_h_answer_change(struct gl_response *res, unsigned status, const struct gl_change *c)
{
    res->etag_version = c->version;
    return gl_res_json(res, status, gl_json_change(c));
}

/* Whether the caller may see CI id: shared, or of a client in scope. A missing CI is not. */
static int ci_visible(struct gl_request *req, int64_t id, bool *visible, struct gl_error *err)
{
    struct gl_ci ci;
    gl_ci_init(&ci);
    int rc = req->store->cis->get(req->store, id, &ci, err);
    *visible = rc == 0 && (ci.client_id == 0 || gl_scope_contains(&req->scope, ci.client_id));
    gl_ci_release(&ci);
    return rc == GL_E_NOT_FOUND ? 0 : rc;
}

static int change_visible(struct gl_request *req, int64_t id, bool *visible,
                          struct gl_error *err)
{
    struct gl_change c;
    gl_change_init(&c);
    int rc = req->store->changes->get(req->store, id, &c, err);
    *visible = rc == 0 && gl_scope_contains(&req->scope, c.client_id);
    gl_change_release(&c);
    return rc == GL_E_NOT_FOUND ? 0 : rc;
}

typedef int (*visible_fn)(struct gl_request *, int64_t, bool *, struct gl_error *);

/* References the write adds (not in `have`, which may be NULL) must be visible to the
 * caller; an invisible one is refused exactly like a missing one, so a reference cannot
 * be used to probe or link another client's records. */
static int check_refs(struct gl_request *req, const struct gl_idlist *want,
                      const struct gl_idlist *have, visible_fn visible, const char *field,
                      void (*format)(int64_t, char *), struct gl_error *err)
{
    for (size_t i = 0; i < want->len; i++) {
        bool ok;
        if (have && gl_idlist_contains(have, want->items[i]))
            continue;
        int rc = visible(req, want->items[i], &ok, err);
        if (rc)
            return rc;
        if (!ok) {
            char ident[GL_IDENT_MAX];
            format(want->items[i], ident);
            return gl_error_set(err, GL_E_INVALID, field, "%s does not exist", ident);
        }
    }
    return 0;
}

static int check_change_refs(struct gl_request *req, const struct gl_change *before,
                             const struct gl_change *after, struct gl_error *err)
{
    const struct gl_idlist *had_cis = before ? &before->ci_ids : NULL;
    const struct gl_idlist *had_related = before ? &before->related_changes : NULL;
    int rc = check_refs(req, &after->ci_ids, had_cis, ci_visible, "cis", gl_ci_ident_format, err);
    return rc ? rc : check_refs(req, &after->related_changes, had_related, change_visible,
                                "related_changes", gl_change_ident_format, err);
}

static int require_members(const json_t *body, const char *const *names, struct gl_error *err)
{
    for (; *names; names++)
        if (!json_object_get(body, *names))
            return gl_error_set(err, GL_E_INVALID, *names, "%s is required", *names);
    return 0;
}

int gl_h_changes_create(struct gl_request *req, struct gl_response *res)
{
    static const char *const required[] = {"client", "type", "title", NULL};
    struct gl_error err;
    struct gl_change c;
    json_t *body = NULL;
    gl_error_clear(&err);
    gl_change_init(&c);
    if (gl_req_json(req, false, &body, &err))
        goto fail;
    if (json_object_get(body, "template")) {
        gl_h_change_from_template(req, res, body); /* h_templates.c */
        goto out;
    }
    if (require_members(body, required, &err) || gl_json_change_apply(body, &c, NULL, NULL, &err))
        goto fail;
    if (!c.client_key) {
        gl_error_set(&err, GL_E_INVALID, "client", "client must name a client");
        goto fail;
    }
    if (gl_h_resolve_client(req, c.client_key, "client", &c.client_id, &err) ||
        gl_authz_check(&req->user, GL_PERM_CHANGE_WRITE, c.client_id, &err))
        goto fail;
    c.state = GL_STATE_DRAFT;
    if ((!c.raised_by && gl_change_set_str(&c.raised_by, req->user.name) < 0) ||
        gl_change_set_str(&c.created_by, req->user.name) < 0) {
        gl_error_set(&err, GL_E_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    if (gl_change_validate(&c, &err) || check_change_refs(req, NULL, &c, &err))
        goto fail;
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "change.create", NULL);
    if (req->store->changes->create(req->store, &ctx, &c, &err))
        goto fail;
    char ident[GL_IDENT_MAX];
    gl_change_ident_format(c.id, ident);
    snprintf(res->location, sizeof res->location, "/api/v1/changes/%s", ident);
    gl_h_risk_after_write(req, &c, true); /* created past draft: scored at once (h_risk.h) */
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

int gl_h_check_if_match(const struct gl_request *req, int64_t current, bool required,
                        struct gl_error *err)
{
    int64_t wanted = gl_req_if_match(req);
    if (wanted == 0 && required)
        return gl_error_set(err, GL_E_VERSION_REQUIRED, NULL,
                            "send If-Match with the version you read (ETag), e.g. If-Match: \"%lld\"",
                            (long long)current);
    if (wanted < 0)
        return gl_error_set(err, GL_E_INVALID, "If-Match",
                            "If-Match must be a version number such as \"3\"");
    if (wanted > 0 && wanted != current)
        return gl_error_set(err, GL_E_STALE, "version",
                            "the record is at version %lld, not %lld: read it again and retry",
                            (long long)current, (long long)wanted);
    return 0;
}

static int check_change_edit(const char *field, void *ud, struct gl_error *err)
{
    return gl_change_check_edit(ud, field, err);
}

int gl_h_change_patch(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_change before, after;
    struct gl_sched_gate gate = {0};
    json_t *body = NULL;
    gl_error_clear(&err);
    gl_change_init(&before);
    gl_change_init(&after);
    if (gl_h_load_change(req, req->captures[0], &before, &err) ||
        gl_authz_check(&req->user, GL_PERM_CHANGE_WRITE, before.client_id, &err) ||
        gl_h_check_if_match(req, before.version, true, &err) ||
        gl_req_json(req, false, &body, &err))
        goto fail;
    if (gl_change_copy(&after, &before)) {
        gl_error_set(&err, GL_E_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    if (gl_json_change_apply(body, &after, check_change_edit, &before, &err) ||
        gl_change_validate(&after, &err) || check_change_refs(req, &before, &after, &err))
        goto fail;
    /* Moving a scheduled change passes the calendar again (h_calendar.h). */
    if (gl_h_schedule_moved(&before, &after) &&
        gl_h_schedule_gate(req, &after, gl_req_query(req, "justification"), &gate, &err))
        goto fail;
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "change.update", NULL);
    /* An approved change whose implementer changes needs its approvals again. */
    int reapproved = gl_h_approvals_edit(req, &ctx, &before, &after, &err);
    if (reapproved < 0 ||
        (!reapproved &&
         (gate.active ? req->store->calendar->schedule_write(req->store, &ctx, &before, &after,
                                                             &gate.rec, &err)
                      : req->store->changes->update(req->store, &ctx, &before, &after, &err))))
        goto fail;
    gl_h_risk_after_write(req, &after, true); /* past draft or assessed: re-scored (h_risk.h) */
    gl_h_answer_change(res, 200, &after);
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    gl_h_schedule_gate_release(&gate);
    json_decref(body);
    gl_change_release(&before);
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
