/*
 * h_policy.c - GET/PUT /api/v1/policy and GET /api/v1/policy/versions.
 *
 * Any authenticated user reads the policy (approvers and requesters need to know the
 * rules); only an admin replaces it (GL_PERM_POLICY_WRITE). A replacement names the
 * version it replaces in If-Match, "0" for the built-in default, so two admins editing at
 * once cannot silently overwrite each other.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app/cmdb.h"
#include "codec/json_policy.h"
#include "core/authz.h"
#include "core/timefmt.h"
#include "http/handler_util.h"
#include "http/handlers.h"

#include "util/banned.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

static int answer(struct gl_request *req, struct gl_response *res, unsigned status, json_t *o)
{
    char *text = o ? json_dumps(o, DUMP_FLAGS) : NULL;
    json_decref(o);
    if (!text)
        return gl_res_fail(res, req, GL_E_INTERNAL, NULL, "out of memory");
    return gl_res_json_text(res, status, text, strlen(text));
}

int gl_h_policy_get(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_policy *p = malloc(sizeof *p);
    if (!p)
        return gl_res_fail(res, req, GL_E_INTERNAL, NULL, "out of memory");
    if (req->store->policy->get(req->store, p, &err)) {
        free(p);
        return gl_res_problem(res, req, &err);
    }
    res->etag_version = p->version;
    answer(req, res, 200, gl_json_policy(p));
    free(p);
    return 0;
}

/* If-Match for the policy: like gl_req_if_match, but "0" (the built-in default) is a
 * version too. Required. */
static int policy_if_match(const struct gl_request *req, int64_t *out, struct gl_error *err)
{
    const char *v = gl_req_header(req, "If-Match");
    if (!v)
        return gl_error_set(err, GL_E_VERSION_REQUIRED, "If-Match",
                            "send If-Match with the policy version you replace (0 for the "
                            "built-in default)");
    if (strncmp(v, "W/", 2) == 0)
        v += 2;
    bool quoted = *v == '"';
    if (quoted)
        v++;
    char *end;
    errno = 0;
    long long n = isdigit((unsigned char)*v) ? strtoll(v, &end, 10) : -1;
    if (n < 0 || errno || (quoted && *end++ != '"') || *end != '\0')
        return gl_error_set(err, GL_E_INVALID, "If-Match", "If-Match must be a policy version");
    *out = n;
    return 0;
}

int gl_h_policy_put(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    json_t *body = NULL;
    int64_t expected = 0;
    struct gl_policy *p = malloc(sizeof *p);
    gl_error_clear(&err);
    if (!p)
        return gl_res_fail(res, req, GL_E_INTERNAL, NULL, "out of memory");
    if (gl_authz_check(&req->user, GL_PERM_POLICY_WRITE, 0, &err) ||
        policy_if_match(req, &expected, &err) || gl_req_json(req, false, &body, &err) ||
        gl_json_policy_parse(body, p, &err))
        goto fail;
    p->version = expected;
    struct gl_app a = gl_h_app(req);
    if (gl_app_policy_put(&a, p, NULL, &err))
        goto fail;
    res->etag_version = p->version;
    answer(req, res, 200, gl_json_policy(p));
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    json_decref(body);
    free(p);
    return 0;
}

int gl_h_policy_versions(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_policy_version_list l;
    if (req->store->policy->versions(req->store, &l, &err))
        return gl_res_problem(res, req, &err);
    json_t *items = json_array();
    for (size_t i = 0; i < l.len; i++) {
        const struct gl_policy_version *v = &l.items[i];
        char at[GL_TIME_STR_MAX];
        gl_time_format(v->created_at, at);
        json_t *body = v->json ? json_loads(v->json, 0, NULL) : NULL;
        json_array_append_new(items,
                              json_pack("{s:I, s:s, s:s?, s:o}", "version", (json_int_t)v->version,
                                        "created_at", at, "created_by", v->created_by, "policy",
                                        body ? body : json_null()));
    }
    gl_policy_version_list_release(&l);
    return answer(req, res, 200, json_pack("{s:o}", "items", items));
}
