/*
 * audit.c - the audit event record and its hash chain (see audit.h).
 *
 * Canonical encoding, in this order after the 32-byte prev_hash:
 *   id, at, actor, action, entity, entity_id, client_id, before_json, after_json, reason,
 *   request_id
 * Integers are 8 bytes big-endian (two's complement); strings are an 8-byte big-endian
 * length followed by the bytes; NULL is the length 0xFFFFFFFFFFFFFFFF with no bytes, so
 * NULL and "" hash differently. This encoding is a stored contract: changing it
 * invalidates every existing chain.
 *
 * Verification (gl_audit_verifier_*) streams: it keeps one link of state, so the caller
 * pages through the log and memory stays constant.
 */
#include "core/audit.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

static void put_u64(crypto_generichash_state *st, uint64_t v)
{
    unsigned char b[8];
    for (int i = 7; i >= 0; i--) {
        b[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
    crypto_generichash_update(st, b, sizeof b);
}

static void put_i64(crypto_generichash_state *st, int64_t v)
{
    put_u64(st, (uint64_t)v);
}

static void put_str(crypto_generichash_state *st, const char *s)
{
    if (!s) {
        put_u64(st, UINT64_MAX);
        return;
    }
    size_t n = strlen(s);
    put_u64(st, (uint64_t)n);
    crypto_generichash_update(st, (const unsigned char *)s, n);
}

void gl_audit_event_init(struct gl_audit_event *ev)
{
    memset(ev, 0, sizeof *ev);
}

void gl_audit_event_release(struct gl_audit_event *ev)
{
    if (!ev)
        return;
    free(ev->actor);
    free(ev->action);
    free(ev->entity);
    free(ev->before_json);
    free(ev->after_json);
    free(ev->reason);
    free(ev->request_id);
    gl_audit_event_init(ev);
}

void gl_audit_list_release(struct gl_audit_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->len; i++)
        gl_audit_event_release(&l->items[i]);
    free(l->items);
    l->items = NULL;
    l->len = 0;
}

void gl_audit_hash(struct gl_audit_event *ev)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, GL_AUDIT_HASH_LEN);
    crypto_generichash_update(&st, ev->prev_hash, GL_AUDIT_HASH_LEN);
    put_i64(&st, ev->id);
    put_i64(&st, ev->at);
    put_str(&st, ev->actor);
    put_str(&st, ev->action);
    put_str(&st, ev->entity);
    put_i64(&st, ev->entity_id);
    put_i64(&st, ev->client_id);
    put_str(&st, ev->before_json);
    put_str(&st, ev->after_json);
    put_str(&st, ev->reason);
    put_str(&st, ev->request_id);
    crypto_generichash_final(&st, ev->hash, GL_AUDIT_HASH_LEN);
}

void gl_audit_hash_hex(const unsigned char hash[GL_AUDIT_HASH_LEN], char *out)
{
    sodium_bin2hex(out, 2 * GL_AUDIT_HASH_LEN + 1, hash, GL_AUDIT_HASH_LEN);
}

/* ---- verification ------------------------------------------------------------------ */

void gl_audit_verifier_init(struct gl_audit_verifier *v)
{
    memset(v, 0, sizeof *v);
}

/* Records the first broken event; n >= 0 is appended to the reason. Returns -1. */
static int broken(struct gl_audit_verifier *v, int64_t id, const char *reason, int64_t n)
{
    v->broken_id = id;
    if (n >= 0)
        snprintf(v->reason, sizeof v->reason, "%s%lld", reason, (long long)n);
    else
        snprintf(v->reason, sizeof v->reason, "%s", reason);
    return -1;
}

int gl_audit_verifier_feed(struct gl_audit_verifier *v, const struct gl_audit_event *ev)
{
    if (v->broken_id)
        return -1;
    if (ev->id > v->last_id + 1)
        return broken(v, ev->id, "missing event(s) before ", ev->id);
    if (sodium_memcmp(ev->prev_hash, v->last_hash, GL_AUDIT_HASH_LEN) != 0) {
        if (v->last_id == 0)
            return broken(v, ev->id, "chain broken: the first event does not chain from zero", -1);
        return broken(v, ev->id, "chain broken: prev_hash does not match event ", v->last_id);
    }
    /* An id at or below the last one that still links (a duplicated row) is out of order. */
    if (ev->id != v->last_id + 1)
        return broken(v, ev->id, "event out of order after event ", v->last_id);

    struct gl_audit_event copy = *ev; /* shallow: borrows the strings, never released */
    gl_audit_hash(&copy);
    if (sodium_memcmp(copy.hash, ev->hash, GL_AUDIT_HASH_LEN) != 0)
        return broken(v, ev->id, "hash mismatch", -1);

    v->events++;
    v->last_id = ev->id;
    memcpy(v->last_hash, ev->hash, GL_AUDIT_HASH_LEN);
    return 0;
}
