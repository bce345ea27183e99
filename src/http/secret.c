/*
 * secret.c - tokens, cookies and password hashes (see secret.h).
 *
 * Unknown users are checked against a fixed dummy hash: Argon2id of 32 random bytes that
 * were thrown away, with the same parameters as real hashes (interactive limits), so the
 * check costs what a real one costs. It is a constant rather than computed at start-up
 * because one Argon2 run holds 64 MiB, which a server that never sees a password login
 * should not pay. No input is known to match it.
 */
#include "http/secret.h"

#include <pthread.h>
#include <string.h>

#include "util/banned.h"

static pthread_mutex_t hash_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hash_cv = PTHREAD_COND_INITIALIZER;
static int hashing; /* Argon2 computations running now */

static const char dummy_hash[] =
    "$argon2id$v=19$m=65536,t=2,p=1$hoPIxn8HCDvqCNRW/uG0eg$"
    "ztHEAgons1Cvg6bda9ZH9SL1HAXEb0KfS6dugoxJl8Q";

void gl_secret_new(const char *prefix, char out[GL_SECRET_MAX],
                   unsigned char hash[GL_SECRET_HASH_LEN])
{
    unsigned char raw[GL_SECRET_RAW_BYTES];
    size_t n = strlen(prefix);
    if (n > 7)
        n = 7;
    /* NOLINTNEXTLINE(bugprone-not-null-terminated-result): bin2base64 terminates after it */
    memcpy(out, prefix, n);
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out + n, GL_SECRET_MAX - n, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    if (hash)
        gl_secret_hash(out, hash);
}

void gl_secret_hash(const char *secret, unsigned char hash[GL_SECRET_HASH_LEN])
{
    crypto_generichash(hash, GL_SECRET_HASH_LEN, (const unsigned char *)secret, strlen(secret),
                       NULL, 0);
}

bool gl_secret_equal(const char *a, const char *b)
{
    /* Compare the hashes: equal length, so sodium_memcmp's constant time applies. */
    unsigned char ha[GL_SECRET_HASH_LEN], hb[GL_SECRET_HASH_LEN];
    gl_secret_hash(a, ha);
    gl_secret_hash(b, hb);
    return sodium_memcmp(ha, hb, sizeof ha) == 0;
}

int gl_password_check(const char *password, struct gl_error *err)
{
    size_t n = password ? strlen(password) : 0;
    if (n < GL_PASSWORD_MIN || n > GL_PASSWORD_MAX)
        return gl_error_set(err, GL_E_INVALID, "password", "a password has %d to %d characters",
                            GL_PASSWORD_MIN, GL_PASSWORD_MAX);
    return 0;
}

static void slot_take(void)
{
    pthread_mutex_lock(&hash_mu);
    while (hashing >= GL_PASSWORD_PARALLEL)
        pthread_cond_wait(&hash_cv, &hash_mu);
    hashing++;
    pthread_mutex_unlock(&hash_mu);
}

static void slot_give(void)
{
    pthread_mutex_lock(&hash_mu);
    hashing--;
    pthread_cond_signal(&hash_cv);
    pthread_mutex_unlock(&hash_mu);
}

static int hash_raw(const char *password, char out[GL_PASSWORD_HASH_MAX])
{
    if (sodium_init() < 0)
        return -1;
    slot_take();
    int rc = crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                               crypto_pwhash_MEMLIMIT_INTERACTIVE);
    slot_give();
    return rc;
}

int gl_password_hash(const char *password, char out[GL_PASSWORD_HASH_MAX], struct gl_error *err)
{
    if (hash_raw(password, out) != 0)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory hashing the password");
    return 0;
}

bool gl_password_verify(const char *hash, const char *password)
{
    bool real = hash != NULL;
    if (!real)
        hash = dummy_hash;
    slot_take();
    bool ok = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
    slot_give();
    return real && ok;
}
