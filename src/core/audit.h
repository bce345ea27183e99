/*
 * audit.h - audit events and the hash chain that makes the log tamper-evident.
 *
 * Every write appends one event. Each event's hash is BLAKE2b-256 over the previous
 * event's hash and a canonical encoding of its own fields, so altering, removing or
 * reordering any stored event breaks every hash after it. The first event chains from
 * 32 zero bytes. The encoding is length-prefixed, so no field can bleed into another.
 *
 * Strings are owned by the struct; gl_audit_event_release frees them.
 */
#ifndef GL_AUDIT_H
#define GL_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#define GL_AUDIT_HASH_LEN 32

struct gl_audit_event {
    int64_t id;
    int64_t at;         /* UTC seconds */
    char *actor;        /* user name, or "system" */
    char *action;       /* e.g. "change.create", "change.submit", "client.update" */
    char *entity;       /* "change", "client", "ci", "user" */
    int64_t entity_id;
    int64_t client_id;  /* tenant the event belongs to; 0 for global */
    char *before_json;  /* snapshot before the write; NULL on create */
    char *after_json;   /* snapshot after the write */
    char *reason;       /* free text given with the action, may be NULL */
    char *request_id;
    unsigned char prev_hash[GL_AUDIT_HASH_LEN];
    unsigned char hash[GL_AUDIT_HASH_LEN];
};

struct gl_audit_list {
    struct gl_audit_event *items;
    size_t len;
};

void gl_audit_event_init(struct gl_audit_event *ev);
void gl_audit_event_release(struct gl_audit_event *ev);
void gl_audit_list_release(struct gl_audit_list *l);

/* Computes ev->hash from ev->prev_hash and ev's fields. Requires sodium_init() done. */
void gl_audit_hash(struct gl_audit_event *ev);
/* Hex encoding for display: out must hold 2*GL_AUDIT_HASH_LEN+1 bytes. */
void gl_audit_hash_hex(const unsigned char hash[GL_AUDIT_HASH_LEN], char *out);

/*
 * Streaming verification of a stored chain. Feed every event in id order (any number of
 * pages); the verifier keeps only the last link, so memory stays constant however long the
 * log is. An event is broken when
 *   - its id is not the previous id + 1 (the store assigns last + 1, starting at 1):
 *     "missing event(s) before N" (an event was deleted);
 *   - its prev_hash is not the previous event's stored hash (zeros for the first):
 *     "chain broken: prev_hash does not match event N-1" (deleted, reordered or re-hashed);
 *   - its stored hash is not the hash of its own fields: "hash mismatch" (altered).
 * The first broken event is recorded and later events are ignored. Removing events from
 * the end of the log cannot be seen from inside it: compare last_hash with a copy kept
 * elsewhere for that.
 */
#define GL_AUDIT_REASON_MAX 96

struct gl_audit_verifier {
    int64_t events;    /* events fed while intact */
    int64_t last_id;   /* id of the last intact event; 0 before the first */
    unsigned char last_hash[GL_AUDIT_HASH_LEN]; /* its stored hash; zeros before the first */
    int64_t broken_id; /* 0 while intact */
    char reason[GL_AUDIT_REASON_MAX];
};

void gl_audit_verifier_init(struct gl_audit_verifier *v);
/* Checks one event against the chain so far. Returns 0 while the chain is intact, -1 once
 * it is broken (at this or an earlier event). ev is not modified. */
int gl_audit_verifier_feed(struct gl_audit_verifier *v, const struct gl_audit_event *ev);

#endif
