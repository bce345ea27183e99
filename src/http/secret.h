/*
 * secret.h - the credentials Greenlight hands out and checks: API tokens, session cookies,
 * CSRF tokens and password hashes (libsodium).
 *
 * A token or cookie is a prefix ("glt_", "gls_") and 32 random bytes in unpadded base64url.
 * Only its BLAKE2b-256 hash is ever stored: the secrets have 256 bits of entropy, so a fast
 * unkeyed hash suffices and a lookup costs one hash, never Argon2. Passwords are hashed with
 * Argon2id (crypto_pwhash_str, interactive limits); at most GL_PASSWORD_PARALLEL hashes run
 * at once, so a burst of logins cannot claim 64 MiB per write thread.
 *
 * Thread-safe. Nothing here logs; callers must not log what these functions return.
 */
#ifndef GL_HTTP_SECRET_H
#define GL_HTTP_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include <sodium.h>

#include "core/error.h"

#define GL_SECRET_RAW_BYTES 32
#define GL_SECRET_HASH_LEN 32
/* Room for a prefix of up to 7 characters, the encoded bytes and the terminator. */
#define GL_SECRET_MAX                                                                              \
    (8 + sodium_base64_ENCODED_LEN(GL_SECRET_RAW_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING))
#define GL_PASSWORD_HASH_MAX crypto_pwhash_STRBYTES
#define GL_PASSWORD_MIN 8
#define GL_PASSWORD_MAX 1024
#define GL_PASSWORD_PARALLEL 4

#define GL_SESSION_COOKIE "gl_session"
#define GL_CSRF_HEADER "X-CSRF-Token"
#define GL_SESSION_TTL (8 * 3600) /* a session lasts 8 hours from login */

/* Fills out (GL_SECRET_MAX bytes) with prefix + 32 random bytes in base64url, and hash
 * (may be NULL) with the hash to store. The caller wipes out when done (sodium_memzero). */
void gl_secret_new(const char *prefix, char out[GL_SECRET_MAX],
                   unsigned char hash[GL_SECRET_HASH_LEN]);
/* The stored form of a presented token or cookie. */
void gl_secret_hash(const char *secret, unsigned char hash[GL_SECRET_HASH_LEN]);
/* Equal strings, in time independent of where they differ. */
bool gl_secret_equal(const char *a, const char *b);

/* Checks the password rules (GL_PASSWORD_MIN..GL_PASSWORD_MAX bytes): 0 or GL_E_INVALID. */
int gl_password_check(const char *password, struct gl_error *err);
/* Argon2id hash string of password into out; 0, or GL_E_INTERNAL when out of memory. */
int gl_password_hash(const char *password, char out[GL_PASSWORD_HASH_MAX], struct gl_error *err);
/* True when password matches hash. A NULL hash (unknown user, no password set) costs the
 * same work as a real one and gives false, so timing does not tell which names exist. */
bool gl_password_verify(const char *hash, const char *password);

#endif
