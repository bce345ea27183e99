/*
 * h_risk.c - GET /api/v1/changes/{id}/risk: the explained assessment, or (?refresh=1) a
 * new one made by the service layer (app/risk.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/risk.h"
#include "codec/json_risk.h"
#include "core/authz.h"
#include "http/handler_util.h"
#include "http/handlers.h"

#include "util/banned.h"

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
        struct gl_app app = gl_h_app(req);
        rc = gl_app_change_reassess(&app, c.id, a, &err); /* checks the assess permission */
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
