/*
 * h_approvals.c - a change's approval view and the emergency changes whose review is
 * overdue. Votes are lifecycle actions (h_change_actions.c, app/change.h); routes and
 * re-approval are the service layer's (app/route.h).
 */
#include "http/handler_util.h"
#include "http/handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/route.h"
#include "codec/json.h"
#include "codec/json_template.h"
#include "core/authz.h"
#include "core/timefmt.h"

#include "util/banned.h"

/* ---- the approval view ------------------------------------------------------------------ */

int gl_h_change_approvals(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_change c;
    struct gl_app_route *r = NULL;
    struct gl_app a = gl_h_app(req);
    gl_change_init(&c);
    if (gl_h_load_change(req, req->captures[0], &c, &err) ||
        gl_authz_check(&req->user, GL_PERM_CHANGE_READ, c.client_id, &err) ||
        gl_app_route_load(&a, &c, &r, &err))
        gl_res_problem(res, req, &err);
    else
        gl_res_json(res, 200, gl_h_route_json(r, &c, req->now));
    gl_app_route_free(r);
    gl_change_release(&c);
    return 0;
}

/* ---- overdue emergency reviews ------------------------------------------------------------ */

int gl_h_changes_overdue(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_policy p;
    struct gl_review_due_list due = {0};
    int64_t client_id = 0, now = req->now;
    const char *key = gl_req_query(req, "client"), *at = gl_req_query(req, "at");
    gl_error_clear(&err);
    if (at && gl_time_parse(at, &now) < 0)
        return gl_res_fail(res, req, GL_E_INVALID, "at",
                           "at must be an RFC 3339 time such as 2026-12-05T22:00:00Z");
    if ((key && gl_h_resolve_client(req, key, "client", &client_id, &err)) ||
        req->store->policy->get(req->store, &p, &err))
        return gl_res_problem(res, req, &err);
    /* Overdue at `now` (default the request's time; ?at= asks "what will be overdue by
     * then?"): approved before now minus the review period. */
    int64_t cutoff = now - (int64_t)p.emergency_review_hours * 3600;
    if (req->store->approvals->reviews_due(req->store, &req->scope, client_id, cutoff, &due, &err))
        return gl_res_problem(res, req, &err);
    json_t *items = json_array();
    for (size_t i = 0; i < due.len; i++) {
        struct gl_change c;
        if (req->store->changes->get(req->store, due.items[i].change_id, &c, &err))
            continue; /* deleted meanwhile: nothing to flag */
        json_t *o = gl_json_change(&c);
        int64_t approved = due.items[i].approved_at;
        json_object_set_new(o, "approved_at", gl_json_time(approved));
        json_object_set_new(
            o, "review_due",
            gl_json_time(gl_approval_review_due(approved, p.emergency_review_hours)));
        json_object_set_new(o, "review_overdue",
                            json_boolean(gl_approval_review_overdue(&c, approved,
                                                                    p.emergency_review_hours,
                                                                    now)));
        json_array_append_new(items, o);
        gl_change_release(&c);
    }
    gl_review_due_list_release(&due);
    return gl_res_json(res, 200,
                       json_pack("{s:o, s:o, s:i, s:n}", "items", items, "at", gl_json_time(now),
                                 "review_hours", p.emergency_review_hours, "next_cursor"));
}

int gl_h_emergency_overdue(struct gl_request *req, struct gl_response *res)
{
    return gl_h_changes_overdue(req, res);
}
