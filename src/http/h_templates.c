/*
 * h_templates.c - /api/v1/templates (the standard-change catalogue), changes made from a
 * template, the submit of a standard change, and the revocation of a template whose
 * changes fail too often.
 *
 * A template of client 0 serves every client and is visible to everyone; another client's
 * template answers 404 like a missing one. Writes need the template.write permission
 * (change managers) on the template's client (all clients for a global one). Fit and
 * revocation are core/template.c's decisions; a change that does not fit is refused with
 * "suggested_type": "normal" in the problem, so a client can offer the normal path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "codec/json_template.h"
#include "core/authz.h"
#include "core/lifecycle.h"
#include "core/timefmt.h"
#include "http/h_approvals.h"
#include "http/h_calendar.h"
#include "http/h_changes.h"

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

static int offer_normal(struct gl_response *res, const struct gl_request *req,
                        const struct gl_error *err)
{
    return gl_h_problem_with(res, req, err, "suggested_type", json_string("normal"));
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

/* ---- fit ------------------------------------------------------------------------------------- */

/* The change's CIs must exist on its client (or be shared) and be of the template's types. */
static int check_cis(struct gl_request *req, const struct gl_template *t,
                     const struct gl_change *c, struct gl_error *err)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < c->ci_ids.len; i++) {
        struct gl_ci ci;
        gl_ci_init(&ci);
        rc = req->store->cis->get(req->store, c->ci_ids.items[i], &ci, err);
        if (rc == GL_E_NOT_FOUND || (!rc && ci.client_id && ci.client_id != c->client_id)) {
            char ident[GL_IDENT_MAX];
            gl_ci_ident_format(c->ci_ids.items[i], ident);
            rc = gl_error_set(err, GL_E_INVALID, "cis", "%s does not exist", ident);
        }
        if (!rc)
            rc = gl_template_check_cis(t, &ci, 1, err);
        gl_ci_release(&ci);
    }
    return rc;
}

static int check_standing(const struct gl_template *t, struct gl_error *err)
{
    if (gl_template_standing(t) == GL_TEMPLATE_GOOD)
        return 0;
    char ident[GL_IDENT_MAX];
    gl_template_ident_format(t->id, ident);
    if (t->revoked_at != GL_TIME_UNSET)
        return gl_error_set(err, GL_E_PRECONDITION, "template",
                            "%s lost its pre-approval (%.160s) until a change manager "
                            "re-approves it: raise the change as a normal change",
                            ident, t->revoked_reason ? t->revoked_reason : "revoked");
    return gl_error_set(err, GL_E_PRECONDITION, "template",
                        "%s is not pre-approved: raise the change as a normal change", ident);
}

/* ---- a change from a template ---------------------------------------------------------------- */

/* Members the template supplies: the caller may not set them. */
static const char *const template_owned[] = {"implementation_plan", "rollback_plan"};

static int take_template_ref(json_t *body, json_t **rest, struct gl_error *err)
{
    json_t *ref = json_object_get(body, "template");
    if (!json_is_string(ref))
        return gl_error_set(err, GL_E_INVALID, "template",
                            "template must be a template ID such as TPL-000001");
    for (size_t i = 0; i < sizeof template_owned / sizeof template_owned[0]; i++)
        if (json_object_get(body, template_owned[i]))
            return gl_error_set(err, GL_E_INVALID, template_owned[i],
                                "%s comes from the template", template_owned[i]);
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

int gl_h_change_from_template(struct gl_request *req, struct gl_response *res, json_t *body)
{
    struct gl_error err;
    struct gl_template t;
    struct gl_change c;
    json_t *rest = NULL;
    bool suggest = false;
    gl_error_clear(&err);
    gl_template_init(&t);
    gl_change_init(&c);
    if (take_template_ref(body, &rest, &err))
        goto fail;
    const char *ref = json_string_value(json_object_get(body, "template"));
    int rc = load_template(req, ref, &t, &err);
    if (rc == GL_E_NOT_FOUND)
        gl_error_set(&err, GL_E_INVALID, "template", "unknown template %.40s", ref);
    if (rc || gl_json_change_apply(rest, &c, NULL, NULL, &err))
        goto fail;
    if (!c.client_key) {
        gl_error_set(&err, GL_E_INVALID, "client", "client is required");
        goto fail;
    }
    if (!c.ci_ids.len) {
        gl_error_set(&err, GL_E_INVALID, "cis", "a change from a template needs its CIs");
        goto fail;
    }
    if (gl_h_resolve_client(req, c.client_key, "client", &c.client_id, &err) ||
        gl_authz_check(&req->user, GL_PERM_CHANGE_WRITE, c.client_id, &err) ||
        gl_template_check_use(&t, &req->user, c.client_id, &err))
        goto fail;
    suggest = true; /* from here on, a refusal is "this is no standard change" */
    if (check_standing(&t, &err) || check_cis(req, &t, &c, &err))
        goto fail;
    suggest = false;
    c.state = GL_STATE_DRAFT;
    if (gl_template_fill_change(&t, &c, &err))
        goto fail;
    if ((!c.raised_by && gl_change_set_str(&c.raised_by, req->user.name) < 0) ||
        gl_change_set_str(&c.created_by, req->user.name) < 0) {
        gl_error_set(&err, GL_E_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    char ident[GL_IDENT_MAX];
    gl_template_ident_format(t.id, ident);
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "change.create", ident);
    if (gl_change_validate(&c, &err) || req->store->changes->create(req->store, &ctx, &c, &err))
        goto fail;
    gl_change_ident_format(c.id, ident);
    snprintf(res->location, sizeof res->location, "/api/v1/changes/%s", ident);
    gl_h_answer_change(res, 201, &c);
    goto out;
fail:
    if (suggest)
        offer_normal(res, req, &err);
    else
        gl_res_problem(res, req, &err);
out:
    json_decref(rest);
    gl_template_release(&t);
    gl_change_release(&c);
    return 0;
}

/* ---- submit of a standard change ------------------------------------------------------------ */

/* Everything that makes a standard change fit its template, the risk included (assessed
 * now, so the score is the one the change is pre-approved under). */
static int check_fit(struct gl_request *req, const struct gl_change *c, struct gl_template *t,
                     struct gl_error *err)
{
    char ident[GL_IDENT_MAX];
    gl_change_ident_format(c->id, ident);
    if (!c->template_id)
        return gl_error_set(err, GL_E_PRECONDITION, "template",
                            "%s is a standard change without a template: make it from one, or "
                            "raise it as a normal change",
                            ident);
    int rc = req->store->templates->get(req->store, c->template_id, t, err);
    if (rc == GL_E_NOT_FOUND)
        return gl_error_set(err, GL_E_PRECONDITION, "template", "the template of %s is gone",
                            ident);
    if (rc || (rc = check_standing(t, err)) ||
        (rc = gl_template_check_use(t, &req->user, c->client_id, err)) ||
        (rc = check_cis(req, t, c, err)))
        return rc;
    struct gl_risk_assessment a;
    bool changed = false;
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "change.risk", NULL);
    rc = req->store->policy->risk_assess(req->store, &ctx, c->id, req->now, &a, &changed, err);
    return rc ? rc : gl_template_check_risk(t, a.level, err);
}

/* One lifecycle move of the standard path, written; scheduling passes the calendar's
 * gate (h_calendar.h) exactly as the schedule action does. */
static int move(struct gl_request *req, struct gl_change *cur, enum gl_action a,
                const char *why, struct gl_error *err)
{
    struct gl_change next;
    struct gl_sched_gate gate;
    memset(&gate, 0, sizeof gate);
    gl_change_init(&next);
    int rc = gl_lifecycle_apply(cur, a, NULL, req->now, &next, err);
    if (!rc && a == GL_ACTION_SCHEDULE)
        rc = gl_h_schedule_gate(req, &next, NULL, &gate, err);
    char audit[40];
    snprintf(audit, sizeof audit, "change.%s", gl_action_name(a));
    struct gl_write_ctx ctx = gl_req_write_ctx(req, audit, why);
    if (!rc)
        rc = gate.active ? req->store->calendar->schedule_write(req->store, &ctx, cur, &next,
                                                                &gate.rec, err)
                         : req->store->changes->update(req->store, &ctx, cur, &next, err);
    gl_h_schedule_gate_release(&gate);
    if (!rc) {
        gl_change_release(cur);
        *cur = next;
    } else
        gl_change_release(&next);
    return rc;
}

int gl_h_standard_submit(struct gl_request *req, struct gl_response *res,
                         const struct gl_change *before)
{
    struct gl_error err;
    struct gl_template t;
    struct gl_change c;
    struct gl_h_route *r = NULL;
    gl_error_clear(&err);
    gl_template_init(&t);
    gl_change_init(&c);
    int rc = check_fit(req, before, &t, &err);
    if (rc) { /* every precondition of check_fit is a question of fit */
        if (rc == GL_E_PRECONDITION)
            offer_normal(res, req, &err);
        else
            gl_res_problem(res, req, &err);
        goto out;
    }
    /* The assessment may have touched the stored change: continue from what is stored. */
    char ident[GL_IDENT_MAX];
    gl_template_ident_format(t.id, ident);
    char why[120];
    snprintf(why, sizeof why, "standard change from %s: pre-approved", ident);
    gl_change_ident_format(before->id, ident);
    if (gl_h_load_change(req, ident, &c, &err) || move(req, &c, GL_ACTION_SUBMIT, why, &err) ||
        move(req, &c, GL_ACTION_ASSESS, why, &err)) {
        gl_res_problem(res, req, &err);
        goto out;
    }
    json_t *extra = NULL;
    if (c.planned_start != GL_TIME_UNSET && move(req, &c, GL_ACTION_SCHEDULE, why, &err))
        extra = json_pack("{s:s, s:s}", "detail", err.detail, "field", err.field);
    json_t *body = gl_json_change(&c);
    if (gl_h_route_load(req, &c, &r, &err) == 0)
        json_object_set_new(body, "approval", gl_h_route_json(r, &c, req->now));
    if (extra)
        json_object_set_new(body, "schedule_problem", extra);
    res->etag_version = c.version;
    gl_res_json(res, 200, body);
out:
    gl_h_route_free(r);
    gl_template_release(&t);
    gl_change_release(&c);
    return 0;
}

/* ---- revocation -------------------------------------------------------------------------- */

int gl_h_template_after_outcome(struct gl_request *req, const struct gl_change *c,
                                struct gl_error *err)
{
    if (!c->template_id)
        return 0;
    struct gl_template before, after;
    struct gl_policy p;
    int64_t n = 0, failed = 0;
    gl_template_init(&before);
    gl_template_init(&after);
    int rc = req->store->templates->get(req->store, c->template_id, &before, err);
    if (!rc && gl_template_standing(&before) == GL_TEMPLATE_GOOD &&
        !(rc = req->store->policy->get(req->store, &p, err)) &&
        !(rc = req->store->templates->stats(req->store, c->template_id, &n, &failed, err))) {
        double rate;
        if (gl_template_should_revoke(n, failed, &p, &rate) && !gl_template_copy(&after, &before)) {
            char why[200];
            snprintf(why, sizeof why,
                     "%lld of %lld changes failed; failure rate %.2f with the prior is above "
                     "the policy threshold %.2f",
                     (long long)failed, (long long)n, rate, p.template_failure_threshold);
            after.revoked_at = req->now;
            gl_change_set_str(&after.revoked_reason, why);
            struct gl_write_ctx ctx = gl_req_write_ctx(req, "template.revoke", why);
            rc = req->store->templates->update(req->store, &ctx, &before, &after, err);
        }
    }
    gl_template_release(&before);
    gl_template_release(&after);
    return rc;
}
