/*
 * h_risk.c - GET /api/v1/changes/{id}/risk and re-assessment after writes (h_risk.h).
 *
 * The score itself is the core's (core/risk.c) and its gathering the store's; this file
 * decides when to ask for it and answers with the explained assessment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json_risk.h"
#include "core/authz.h"
#include "http/h_approvals.h"
#include "http/h_changes.h"
#include "http/h_risk.h"

#include "util/banned.h"

/* Finished, closed or cancelled changes keep the assessment they were decided on. */
static bool open_state(enum gl_change_state s)
{
    switch (s) {
    case GL_STATE_COMPLETED:
    case GL_STATE_FAILED:
    case GL_STATE_ROLLED_BACK:
    case GL_STATE_REVIEWED:
    case GL_STATE_CLOSED:
    case GL_STATE_CANCELLED:
        return false;
    default:
        return true;
    }
}

#define OPEN_MASK                                                                                  \
    ((1u << GL_STATE_DRAFT) | (1u << GL_STATE_SUBMITTED) | (1u << GL_STATE_ASSESSED) |             \
     (1u << GL_STATE_APPROVED) | (1u << GL_STATE_REJECTED) | (1u << GL_STATE_SCHEDULED) |          \
     (1u << GL_STATE_IN_PROGRESS))

/* Assesses change_id; *moved (may be NULL) tells whether approval routing rewrote it. */
static int assess(struct gl_request *req, int64_t change_id, bool reapprove,
                  struct gl_risk_assessment *a, bool *moved, struct gl_error *err)
{
    bool changed = false;
    struct gl_write_ctx ctx = gl_req_write_ctx(req, "risk.assess", NULL);
    int rc =
        req->store->policy->risk_assess(req->store, &ctx, change_id, req->now, a, &changed, err);
    if (moved)
        *moved = !rc && changed && reapprove;
    if (!rc && changed && reapprove)
        rc = gl_h_approvals_after_assess(req, change_id, changed, err);
    return rc;
}

void gl_h_risk_after_write(struct gl_request *req, struct gl_change *c, bool reapprove)
{
    if (!c->id || !open_state(c->state))
        return;
    struct gl_risk_assessment *a = malloc(sizeof *a);
    struct gl_error err;
    bool moved = false;
    if (!a)
        return;
    bool wanted = c->state != GL_STATE_DRAFT ||
                  req->store->policy->risk_current(req->store, c->id, a, &err) != GL_E_NOT_FOUND;
    if (wanted && assess(req, c->id, reapprove, a, &moved, &err))
        fprintf(stderr, "greenlight: %s: re-assessing the risk of change %lld failed: %s\n",
                req->request_id, (long long)c->id, err.detail);
    free(a);
    if (moved) {
        struct gl_change now;
        gl_change_init(&now);
        if (req->store->changes->get(req->store, c->id, &now, &err) == 0) {
            gl_change_release(c);
            *c = now;
        }
    }
}

void gl_h_risk_after_ci(struct gl_request *req, int64_t ci_id)
{
    struct gl_change_filter f = {
        .ci_id = ci_id,
        .state_mask = OPEN_MASK,
        .from = GL_TIME_UNSET,
        .to = GL_TIME_UNSET,
        .limit = GL_H_RISK_FANOUT,
    };
    struct gl_change_page page = {0};
    struct gl_error err;
    if (req->store->changes->list(req->store, &f, &page, &err)) {
        fprintf(stderr, "greenlight: %s: listing the changes on CI %lld failed: %s\n",
                req->request_id, (long long)ci_id, err.detail);
        return;
    }
    for (size_t i = 0; i < page.len; i++)
        gl_h_risk_after_write(req, &page.items[i], true);
    gl_change_page_release(&page);
}

int gl_h_change_risk(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_change c;
    struct gl_risk_assessment *a = malloc(sizeof *a);
    gl_error_clear(&err);
    gl_change_init(&c);
    const char *refresh = gl_req_query(req, "refresh");
    int rc;
    if (!a) {
        rc = gl_error_set(&err, GL_E_INTERNAL, NULL, "out of memory");
    } else if ((rc = gl_h_load_change(req, req->captures[0], &c, &err)) ||
               (rc = gl_authz_check(&req->user, GL_PERM_CHANGE_READ, c.client_id, &err))) {
        /* err filled */
    } else if (refresh && strcmp(refresh, "1") != 0 && strcmp(refresh, "0") != 0 &&
               strcmp(refresh, "true") != 0 && strcmp(refresh, "false") != 0) {
        rc = gl_error_set(&err, GL_E_INVALID, "refresh", "refresh must be 1 or 0");
    } else if (refresh && (strcmp(refresh, "1") == 0 || strcmp(refresh, "true") == 0)) {
        /* Re-assessing writes (when something changed): those who may assess. */
        if (!(rc = gl_authz_check(&req->user, GL_PERM_CHANGE_ASSESS, c.client_id, &err)))
            rc = assess(req, c.id, true, a, NULL, &err);
    } else if ((rc = req->store->policy->risk_current(req->store, c.id, a, &err)) ==
               GL_E_NOT_FOUND) {
        char ident[GL_IDENT_MAX];
        gl_change_ident_format(c.id, ident);
        gl_error_set(&err, GL_E_NOT_FOUND, NULL,
                     "%s has not been assessed yet: assess it, or GET with ?refresh=1", ident);
    }
    if (rc) {
        gl_res_problem(res, req, &err);
    } else {
        json_t *o = gl_json_risk_assessment(a);
        char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
        json_decref(o);
        if (text)
            gl_res_json_text(res, 200, text, strlen(text));
        else
            gl_res_fail(res, req, GL_E_INTERNAL, NULL, "out of memory");
    }
    free(a);
    gl_change_release(&c);
    return 0;
}
