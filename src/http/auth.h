/*
 * auth.h - a short-lived cache of authenticated API tokens.
 *
 * Looking a token up costs a database transaction; under load that would double the work
 * of a simple read. The cache maps a token's hash to the user it authenticated for a few
 * seconds (GL_AUTH_CACHE_TTL), so a revoked or expired token stops working within that
 * bound. Only hashes are kept, never tokens. Thread-safe.
 */
#ifndef GL_HTTP_AUTH_H
#define GL_HTTP_AUTH_H

#include <stdint.h>

#include "core/user.h"

#define GL_AUTH_CACHE_TTL 5
#define GL_AUTH_HASH_LEN 32

struct gl_auth_cache;

/* Returns NULL when out of memory. Free with gl_auth_cache_free (accepts NULL). */
struct gl_auth_cache *gl_auth_cache_new(void);
void gl_auth_cache_free(struct gl_auth_cache *c);
/* On a fresh hit copies the user into out (initialised; caller releases) and returns 0;
 * returns -1 on a miss. */
int gl_auth_cache_get(struct gl_auth_cache *c, const unsigned char hash[GL_AUTH_HASH_LEN],
                      int64_t now, struct gl_user *out);
/* Remembers that hash authenticated u at now. */
void gl_auth_cache_put(struct gl_auth_cache *c, const unsigned char hash[GL_AUTH_HASH_LEN],
                       const struct gl_user *u, int64_t now);
/* Drops every entry of user_id, so a token revoked in this process stops working at once
 * (other processes sharing the database notice within GL_AUTH_CACHE_TTL). */
void gl_auth_cache_forget_user(struct gl_auth_cache *c, int64_t user_id);

#endif
