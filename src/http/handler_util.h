/*
 * handler_util.h - what the handlers (h_*.c) share: the service layer's context for a
 * request, finding the records a request names, the version check of If-Match, and the
 * answers several resources give (a change, its approval route, its schedule findings).
 *
 * Handlers never include each other's files; what two of them need lives here.
 */
#ifndef GL_HTTP_HANDLER_UTIL_H
#define GL_HTTP_HANDLER_UTIL_H

#include <stdbool.h>

#include <jansson.h>

#include "app/app.h"
#include "app/route.h"
#include "app/schedule.h"
#include "http/request.h"

/* The service layer's context for req (borrows req's store, user, scope and time). */
struct gl_app gl_h_app(const struct gl_request *req);

/* The change named by ident ("CHG-000001"), when visible to the caller; else
 * GL_E_NOT_FOUND ("no change ..."), as for a missing one. */
int gl_h_load_change(struct gl_request *req, const char *ident, struct gl_change *c,
                     struct gl_error *err);
/* ident as a change id; GL_E_NOT_FOUND ("no change ...") when malformed. */
int gl_h_change_id(const char *ident, int64_t *id, struct gl_error *err);
/* The id of the client called key, when visible; else GL_E_INVALID naming field. */
int gl_h_resolve_client(struct gl_request *req, const char *key, const char *field,
                        int64_t *client_id, struct gl_error *err);
/* The If-Match version (0 = none); GL_E_INVALID for a malformed header. */
int gl_h_if_match(const struct gl_request *req, int64_t *version, struct gl_error *err);
/* If-Match against the stored version `current` (see gl_app_check_version). */
int gl_h_check_if_match(const struct gl_request *req, int64_t current, bool required,
                        struct gl_error *err);

/* ?depth= (0..GL_CAL_DEPTH_MAX, default GL_CAL_DEPTH_DEFAULT) and a boolean query
 * parameter (true/false/1/0; absent = false). */
int gl_h_query_depth(const struct gl_request *req, int *depth, struct gl_error *err);
int gl_h_query_bool(const struct gl_request *req, const char *name, bool *out,
                    struct gl_error *err);
/* The scheduling gate's options from the query (?strict=, ?depth=) and justification. */
int gl_h_sched_opts(const struct gl_request *req, const char *justification,
                    struct gl_app_sched_opts *o, struct gl_error *err);

/* 200/201 with the change and its ETag. */
int gl_h_answer_change(struct gl_response *res, unsigned status, const struct gl_change *c);
/* The problem of err with one more member `key` (value stolen). */
int gl_h_problem_with(struct gl_response *res, const struct gl_request *req,
                      const struct gl_error *err, const char *key, json_t *value);
/* The change's approval view: route, votes, risk, review deadline (new reference). */
json_t *gl_h_route_json(const struct gl_app_route *r, const struct gl_change *c, int64_t now);
/* The findings of a schedule, with its flags as a list (new reference). */
json_t *gl_h_schedule_json(const struct gl_app_sched *g);
/* "a,b" as ["a", "b"] ("" or NULL: []). */
json_t *gl_h_flags_json(const char *flags);

#endif
