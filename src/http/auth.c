/*
 * auth.c - token cache (see auth.h).
 *
 * A direct-mapped table: the slot is chosen by the first bytes of the (uniformly random)
 * token hash, and a colliding token simply replaces the entry. Entries older than the TTL
 * are misses. One mutex guards the table; the critical sections only copy a user.
 */
#include "http/auth.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define SLOTS 1024

struct slot {
    unsigned char hash[GL_AUTH_HASH_LEN];
    int64_t cached_at;
    bool used;
    struct gl_user user;
};

struct gl_auth_cache {
    pthread_mutex_t lock;
    struct slot slots[SLOTS];
};

static int user_copy(struct gl_user *dst, const struct gl_user *src)
{
    gl_user_init(dst);
    dst->id = src->id;
    dst->admin = src->admin;
    dst->created_at = src->created_at;
    if (src->name && !(dst->name = strdup(src->name)))
        return -1;
    for (size_t i = 0; i < src->ngrants; i++)
        if (gl_user_add_grant(dst, src->grants[i].role, src->grants[i].client_id) != 0)
            return -1;
    return 0;
}

static struct slot *slot_for(struct gl_auth_cache *c, const unsigned char *hash)
{
    unsigned idx = ((unsigned)hash[0] << 8 | hash[1]) % SLOTS;
    return &c->slots[idx];
}

struct gl_auth_cache *gl_auth_cache_new(void)
{
    struct gl_auth_cache *c = calloc(1, sizeof *c);
    if (c)
        pthread_mutex_init(&c->lock, NULL);
    return c;
}

void gl_auth_cache_free(struct gl_auth_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < SLOTS; i++)
        if (c->slots[i].used)
            gl_user_release(&c->slots[i].user);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

int gl_auth_cache_get(struct gl_auth_cache *c, const unsigned char hash[GL_AUTH_HASH_LEN],
                      int64_t now, struct gl_user *out)
{
    int rc = -1;
    pthread_mutex_lock(&c->lock);
    struct slot *s = slot_for(c, hash);
    if (s->used && memcmp(s->hash, hash, GL_AUTH_HASH_LEN) == 0 && now >= s->cached_at &&
        now - s->cached_at < GL_AUTH_CACHE_TTL) {
        gl_user_release(out);
        rc = user_copy(out, &s->user);
        if (rc)
            gl_user_release(out);
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void gl_auth_cache_put(struct gl_auth_cache *c, const unsigned char hash[GL_AUTH_HASH_LEN],
                       const struct gl_user *u, int64_t now)
{
    struct gl_user copy;
    if (user_copy(&copy, u) != 0) {
        gl_user_release(&copy);
        return;
    }
    pthread_mutex_lock(&c->lock);
    struct slot *s = slot_for(c, hash);
    if (s->used)
        gl_user_release(&s->user);
    memcpy(s->hash, hash, GL_AUTH_HASH_LEN);
    s->user = copy;
    s->cached_at = now;
    s->used = true;
    pthread_mutex_unlock(&c->lock);
}

void gl_auth_cache_forget_user(struct gl_auth_cache *c, int64_t user_id)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < SLOTS; i++) {
        struct slot *s = &c->slots[i];
        if (s->used && s->user.id == user_id) {
            gl_user_release(&s->user);
            s->used = false;
        }
    }
    pthread_mutex_unlock(&c->lock);
}
