/*
 * routes.h - the API in one table: method, path pattern, handler, flags.
 *
 * Patterns are literal segments and "{}" for one captured segment. A path that matches a
 * pattern under another method answers 405 with the allowed methods.
 */
#ifndef GL_HTTP_ROUTES_H
#define GL_HTTP_ROUTES_H

#include "http/request.h"

enum gl_route_flags {
    GL_ROUTE_PUBLIC = 1 << 0, /* no authentication */
    GL_ROUTE_BULK = 1 << 1,   /* takes bodies up to GL_BULK_BODY_MAX (file uploads) */
};

#define GL_BULK_BODY_MAX (64u << 20)

struct gl_route {
    const char *method;
    const char *pattern;
    gl_handler_fn handler;
    unsigned flags;
};

/* Finds the route for req->method and req->path, filling req->captures. Returns the route,
 * or NULL with *status 404 (no such path) or 405 (fills allow with the methods). */
const struct gl_route *gl_route_match(struct gl_request *req, unsigned *status, char *allow,
                                      size_t allow_size);

/* The body cap for method and path: GL_BULK_BODY_MAX for a GL_ROUTE_BULK route, else dflt.
 * Called before the body is read, so an upload is capped by its own route. */
size_t gl_route_body_max(const char *method, const char *path, size_t dflt);

#endif
