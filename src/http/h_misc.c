/*
 * h_misc.c - endpoints outside the API's resources: the health check.
 */
#include "http/handlers.h"
#include "http/request.h"
#include "util/banned.h"

int gl_h_health(struct gl_request *req, struct gl_response *res)
{
    return gl_res_json(res, 200, json_pack("{s:s}", "status", "ok"));
}
