/*
 * h_changes.h - helpers shared by the change handlers (h_changes.c, h_change_actions.c).
 */
#ifndef GL_HTTP_H_CHANGES_H
#define GL_HTTP_H_CHANGES_H

#include "http/request.h"

/* Loads the change named by ident ("CHG-000042" or "42") if the caller may see it;
 * GL_E_NOT_FOUND otherwise. c must be initialised; the caller releases it. */
int gl_h_load_change(struct gl_request *req, const char *ident, struct gl_change *c,
                     struct gl_error *err);
/* Resolves a client key visible to the caller; GL_E_INVALID naming `field` otherwise. */
int gl_h_resolve_client(struct gl_request *req, const char *key, const char *field,
                        int64_t *client_id, struct gl_error *err);
/* Checks If-Match against the current version: 428 when required and absent, 409 when it
 * names another version, 400 when malformed. */
int gl_h_check_if_match(const struct gl_request *req, int64_t current, bool required,
                        struct gl_error *err);
int gl_h_answer_change(struct gl_response *res, unsigned status, const struct gl_change *c);

#endif
