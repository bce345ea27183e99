/*
 * test_audit.c - unit tests of the audit hash chain (src/core/audit.c): determinism,
 * sensitivity to every field, NULL versus "", chaining, and a known answer computed
 * independently (Python hashlib.blake2b over the documented encoding).
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
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
