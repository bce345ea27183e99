/*
 * test_audit.c - unit tests of the audit hash chain (src/core/audit.c): determinism,
 * sensitivity to every field, NULL versus "", chaining, a known answer computed
 * independently (Python hashlib.blake2b over the documented encoding), and the streaming
 * verifier against altered, deleted, swapped and duplicated events.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"

#include "util/banned.h"

static void make_event(struct gl_audit_event *ev)
{
    gl_audit_event_init(ev);
    ev->id = 1;
    ev->at = 1795608000;
    ev->actor = strdup("alice");
    ev->action = strdup("change.create");
    ev->entity = strdup("change");
    ev->entity_id = 42;
    ev->client_id = 3;
    ev->before_json = NULL;
    ev->after_json = strdup("{\"id\":42}");
    ev->reason = NULL;
    ev->request_id = strdup("req-1");
}

static void hash_of(struct gl_audit_event *ev, unsigned char out[GL_AUDIT_HASH_LEN])
{
    gl_audit_hash(ev);
    memcpy(out, ev->hash, GL_AUDIT_HASH_LEN);
}

static void test_known_answer(void **state)
{
    struct gl_audit_event ev;
    char hex[2 * GL_AUDIT_HASH_LEN + 1];
    make_event(&ev);
    gl_audit_hash(&ev);
    gl_audit_hash_hex(ev.hash, hex);
    assert_string_equal(hex, "ae0318fa1aa0a7e2b2e5be1343b0b14597da3d00f17a559e616335b1c124ab7f");
    gl_audit_event_release(&ev);
}

static void test_deterministic(void **state)
{
    struct gl_audit_event a, b;
    unsigned char h1[GL_AUDIT_HASH_LEN], h2[GL_AUDIT_HASH_LEN];
    make_event(&a);
    make_event(&b);
    hash_of(&a, h1);
    hash_of(&b, h2);
    assert_memory_equal(h1, h2, GL_AUDIT_HASH_LEN);
    hash_of(&a, h2); /* hashing again gives the same value */
    assert_memory_equal(h1, h2, GL_AUDIT_HASH_LEN);
    gl_audit_event_release(&a);
    gl_audit_event_release(&b);
}

/* Each mutation changes one field of a fresh event. */
typedef void (*mutate_fn)(struct gl_audit_event *ev);

static void m_id(struct gl_audit_event *ev)
{
    ev->id = 2;
}
static void m_at(struct gl_audit_event *ev)
{
    ev->at += 1;
}
static void m_entity_id(struct gl_audit_event *ev)
{
    ev->entity_id = 43;
}
static void m_client_id(struct gl_audit_event *ev)
{
    ev->client_id = 0;
}
static void m_prev(struct gl_audit_event *ev)
{
    ev->prev_hash[31] ^= 1;
}
static void m_str(char **f, const char *v)
{
    free(*f);
    *f = v ? strdup(v) : NULL;
}
static void m_actor(struct gl_audit_event *ev)
{
    m_str(&ev->actor, "mallory");
}
static void m_action(struct gl_audit_event *ev)
{
    m_str(&ev->action, "change.update");
}
static void m_entity(struct gl_audit_event *ev)
{
    m_str(&ev->entity, "ci");
}
static void m_before(struct gl_audit_event *ev)
{
    m_str(&ev->before_json, "{}");
}
static void m_after(struct gl_audit_event *ev)
{
    m_str(&ev->after_json, "{\"id\":43}");
}
static void m_after_null(struct gl_audit_event *ev)
{
    m_str(&ev->after_json, NULL);
}
static void m_reason(struct gl_audit_event *ev)
{
    m_str(&ev->reason, "because");
}
static void m_request(struct gl_audit_event *ev)
{
    m_str(&ev->request_id, "req-2");
}
static void m_request_null(struct gl_audit_event *ev)
{
    m_str(&ev->request_id, NULL);
}

static void test_every_field_changes_hash(void **state)
{
    const mutate_fn muts[] = {m_id,         m_at,     m_entity_id, m_client_id,   m_prev,
                              m_actor,      m_action, m_entity,    m_before,      m_after,
                              m_after_null, m_reason, m_request,   m_request_null};
    struct gl_audit_event base;
    unsigned char h0[GL_AUDIT_HASH_LEN];
    make_event(&base);
    hash_of(&base, h0);
    for (size_t i = 0; i < sizeof muts / sizeof muts[0]; i++) {
        struct gl_audit_event ev;
        unsigned char h[GL_AUDIT_HASH_LEN];
        make_event(&ev);
        muts[i](&ev);
        hash_of(&ev, h);
        if (memcmp(h, h0, GL_AUDIT_HASH_LEN) == 0)
            fail_msg("mutation %zu did not change the hash", i);
        gl_audit_event_release(&ev);
    }
    gl_audit_event_release(&base);
}

static void test_null_differs_from_empty(void **state)
{
    struct gl_audit_event a, b;
    unsigned char h1[GL_AUDIT_HASH_LEN], h2[GL_AUDIT_HASH_LEN];
    make_event(&a);
    make_event(&b);
    a.reason = NULL;
    b.reason = strdup("");
    hash_of(&a, h1);
    hash_of(&b, h2);
    assert_memory_not_equal(h1, h2, GL_AUDIT_HASH_LEN);
    gl_audit_event_release(&a);
    gl_audit_event_release(&b);
}

static void test_fields_cannot_bleed(void **state)
{
    /* Moving bytes from one string field to its neighbour must change the hash. */
    struct gl_audit_event a, b;
    unsigned char h1[GL_AUDIT_HASH_LEN], h2[GL_AUDIT_HASH_LEN];
    make_event(&a);
    make_event(&b);
    m_str(&a.actor, "ab");
    m_str(&a.action, "c");
    m_str(&b.actor, "a");
    m_str(&b.action, "bc");
    hash_of(&a, h1);
    hash_of(&b, h2);
    assert_memory_not_equal(h1, h2, GL_AUDIT_HASH_LEN);
    gl_audit_event_release(&a);
    gl_audit_event_release(&b);
}

static void test_chain(void **state)
{
    enum { N = 5 };
    struct gl_audit_list l = {calloc(N, sizeof(struct gl_audit_event)), N};
    assert_non_null(l.items);
    for (int i = 0; i < N; i++) {
        make_event(&l.items[i]);
        l.items[i].id = i + 1;
        if (i > 0)
            memcpy(l.items[i].prev_hash, l.items[i - 1].hash, GL_AUDIT_HASH_LEN);
        gl_audit_hash(&l.items[i]);
    }
    static const unsigned char zero[GL_AUDIT_HASH_LEN];
    assert_memory_equal(l.items[0].prev_hash, zero, GL_AUDIT_HASH_LEN);

    /* Verification: recompute and compare link by link. */
    for (int i = 0; i < N; i++) {
        unsigned char stored[GL_AUDIT_HASH_LEN];
        memcpy(stored, l.items[i].hash, GL_AUDIT_HASH_LEN);
        gl_audit_hash(&l.items[i]);
        assert_memory_equal(stored, l.items[i].hash, GL_AUDIT_HASH_LEN);
    }

    /* Tampering with event 2 breaks its hash, and re-hashing it breaks event 3's link. */
    unsigned char stored2[GL_AUDIT_HASH_LEN];
    memcpy(stored2, l.items[2].hash, GL_AUDIT_HASH_LEN);
    m_str(&l.items[2].reason, "edited");
    gl_audit_hash(&l.items[2]);
    assert_memory_not_equal(stored2, l.items[2].hash, GL_AUDIT_HASH_LEN);
    assert_memory_not_equal(l.items[3].prev_hash, l.items[2].hash, GL_AUDIT_HASH_LEN);

    gl_audit_list_release(&l);
    assert_null(l.items);
    assert_int_equal(l.len, 0);
    gl_audit_list_release(NULL);
    gl_audit_event_release(NULL);
}

static void test_hex(void **state)
{
    unsigned char h[GL_AUDIT_HASH_LEN];
    char hex[2 * GL_AUDIT_HASH_LEN + 1];
    for (int i = 0; i < GL_AUDIT_HASH_LEN; i++)
        h[i] = (unsigned char)(i * 8 + 7);
    gl_audit_hash_hex(h, hex);
    assert_int_equal(strlen(hex), 64);
    assert_memory_equal(hex, "070f171f", 8);
    assert_string_equal(hex + 60, "f7ff");
}

/* ---- streaming verification -------------------------------------------------------- */

enum { CHAIN = 6 };

/* A valid chain of CHAIN events with ids 1..CHAIN. */
static void make_chain(struct gl_audit_event *evs)
{
    for (int i = 0; i < CHAIN; i++) {
        make_event(&evs[i]);
        evs[i].id = i + 1;
        evs[i].at += i;
        if (i > 0)
            memcpy(evs[i].prev_hash, evs[i - 1].hash, GL_AUDIT_HASH_LEN);
        gl_audit_hash(&evs[i]);
    }
}

static void free_chain(struct gl_audit_event *evs)
{
    for (int i = 0; i < CHAIN; i++)
        gl_audit_event_release(&evs[i]);
}

/* Feeds evs[0..n) in array order; returns the first broken id (0 = intact). */
static int64_t verify(const struct gl_audit_event *evs, int n, struct gl_audit_verifier *v)
{
    gl_audit_verifier_init(v);
    for (int i = 0; i < n; i++)
        if (gl_audit_verifier_feed(v, &evs[i]) < 0) {
            assert_int_equal(gl_audit_verifier_feed(v, &evs[0]), -1); /* stays broken */
            return v->broken_id;
        }
    return 0;
}

static void test_verify_empty(void **state)
{
    struct gl_audit_verifier v;
    static const unsigned char zero[GL_AUDIT_HASH_LEN];
    assert_int_equal(verify(NULL, 0, &v), 0);
    assert_int_equal(v.events, 0);
    assert_int_equal(v.last_id, 0);
    assert_memory_equal(v.last_hash, zero, GL_AUDIT_HASH_LEN);
    assert_string_equal(v.reason, "");
}

static void test_verify_intact(void **state)
{
    struct gl_audit_event evs[CHAIN];
    struct gl_audit_verifier v;
    make_chain(evs);
    assert_int_equal(verify(evs, CHAIN, &v), 0);
    assert_int_equal(v.events, CHAIN);
    assert_int_equal(v.last_id, CHAIN);
    assert_memory_equal(v.last_hash, evs[CHAIN - 1].hash, GL_AUDIT_HASH_LEN);
    free_chain(evs);
}

static void test_verify_altered(void **state)
{
    struct gl_audit_event evs[CHAIN];
    struct gl_audit_verifier v;
    make_chain(evs);
    m_str(&evs[2].after_json, "{\"id\":666}");
    assert_int_equal(verify(evs, CHAIN, &v), 3);
    assert_string_equal(v.reason, "hash mismatch");
    assert_int_equal(v.events, 2);

    /* re-hashing the altered event moves the break to the next link */
    gl_audit_hash(&evs[2]);
    assert_int_equal(verify(evs, CHAIN, &v), 4);
    assert_string_equal(v.reason, "chain broken: prev_hash does not match event 3");
    free_chain(evs);
}

static void test_verify_deleted(void **state)
{
    struct gl_audit_event evs[CHAIN];
    struct gl_audit_verifier v;
    make_chain(evs);
    /* without event 3: 1, 2, 4, 5, 6 */
    struct gl_audit_event gap[CHAIN - 1] = {evs[0], evs[1], evs[3], evs[4], evs[5]};
    assert_int_equal(verify(gap, CHAIN - 1, &v), 4);
    assert_string_equal(v.reason, "missing event(s) before 4");

    /* without event 3 and with the later ids renumbered to close the gap */
    gap[2].id = 3;
    assert_int_equal(verify(gap, CHAIN - 1, &v), 3);
    assert_string_equal(v.reason, "chain broken: prev_hash does not match event 2");

    /* without the first event */
    assert_int_equal(verify(evs + 1, CHAIN - 1, &v), 2);
    assert_string_equal(v.reason, "missing event(s) before 2");
    free_chain(evs);
}

static void test_verify_swapped(void **state)
{
    struct gl_audit_event evs[CHAIN];
    struct gl_audit_verifier v;
    make_chain(evs);
    /* events 3 and 4 trade places (and ids), as a reordering in the table would */
    struct gl_audit_event sw[CHAIN] = {evs[0], evs[1], evs[3], evs[2], evs[4], evs[5]};
    sw[2].id = 3;
    sw[3].id = 4;
    assert_int_equal(verify(sw, CHAIN, &v), 3);
    assert_string_equal(v.reason, "chain broken: prev_hash does not match event 2");

    /* the same rows read in the wrong order keep their ids: the link breaks first */
    struct gl_audit_event order[CHAIN] = {evs[0], evs[1], evs[3], evs[2], evs[4], evs[5]};
    assert_int_equal(verify(order, CHAIN, &v), 4);
    assert_string_equal(v.reason, "missing event(s) before 4");
    free_chain(evs);
}

static void test_verify_first_and_duplicate(void **state)
{
    struct gl_audit_event evs[CHAIN];
    struct gl_audit_verifier v;
    make_chain(evs);
    evs[0].prev_hash[0] = 1;
    gl_audit_hash(&evs[0]);
    assert_int_equal(verify(evs, CHAIN, &v), 1);
    assert_string_equal(v.reason, "chain broken: the first event does not chain from zero");
    free_chain(evs);

    /* a linking copy of event 3 under an old id */
    make_chain(evs);
    struct gl_audit_event dup[4] = {evs[0], evs[1], evs[2], evs[3]};
    dup[3].id = 2;
    memcpy(dup[3].prev_hash, evs[2].hash, GL_AUDIT_HASH_LEN);
    assert_int_equal(verify(dup, 4, &v), 2);
    assert_string_equal(v.reason, "event out of order after event 3");
    free_chain(evs);
}

static int setup(void **state)
{
    return sodium_init() < 0 ? -1 : 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answer),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_every_field_changes_hash),
        cmocka_unit_test(test_null_differs_from_empty),
        cmocka_unit_test(test_fields_cannot_bleed),
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_verify_empty),
        cmocka_unit_test(test_verify_intact),
        cmocka_unit_test(test_verify_altered),
        cmocka_unit_test(test_verify_deleted),
        cmocka_unit_test(test_verify_swapped),
        cmocka_unit_test(test_verify_first_and_duplicate),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
