/*
 * test_http_parts.c - the HTTP layer's own machinery: the write pool and the token cache.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/auth.h"
#include "http/workers.h"

static void count_task(void *arg)
{
    atomic_fetch_add((atomic_int *)arg, 1);
}

static void test_workers_run_every_task_before_stop_returns(void **state)
{
    atomic_int done = 0;
    struct gl_workers *w = gl_workers_start(4);
    assert_non_null(w);
    for (int i = 0; i < 5000; i++)
        assert_int_equal(gl_workers_submit(w, count_task, &done), 0);
    gl_workers_stop(w);
    assert_int_equal(atomic_load(&done), 5000);
    /* A stopped pool refuses work, so the caller runs it itself. */
    assert_int_equal(gl_workers_submit(w, count_task, &done), -1);
    gl_workers_free(w);
    gl_workers_free(NULL);
}

static void fill_hash(unsigned char *h, unsigned char seed)
{
    for (int i = 0; i < GL_AUTH_HASH_LEN; i++)
        h[i] = (unsigned char)(seed + i * 7);
}

static void test_auth_cache_hits_within_ttl_only(void **state)
{
    struct gl_auth_cache *c = gl_auth_cache_new();
    assert_non_null(c);
    unsigned char h[GL_AUTH_HASH_LEN], other[GL_AUTH_HASH_LEN];
    fill_hash(h, 1);
    fill_hash(other, 2);
    struct gl_user u, out;
    gl_user_init(&u);
    gl_user_init(&out);
    u.id = 7;
    u.name = strdup("alice");
    assert_int_equal(gl_user_add_grant(&u, GL_ROLE_IMPLEMENTER, 3), 0);

    assert_int_equal(gl_auth_cache_get(c, h, 1000, &out), -1); /* empty */
    gl_auth_cache_put(c, h, &u, 1000);
    assert_int_equal(gl_auth_cache_get(c, h, 1000 + GL_AUTH_CACHE_TTL - 1, &out), 0);
    assert_int_equal(out.id, 7);
    assert_string_equal(out.name, "alice");
    assert_int_equal(out.ngrants, 1);
    assert_int_equal(out.grants[0].client_id, 3);
    assert_int_equal(gl_auth_cache_get(c, other, 1000, &out), -1);
    assert_int_equal(gl_auth_cache_get(c, h, 1000 + GL_AUTH_CACHE_TTL, &out), -1); /* expired */
    assert_int_equal(gl_auth_cache_get(c, h, 999, &out), -1); /* clock went back */

    gl_user_release(&out);
    gl_user_release(&u);
    gl_auth_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_workers_run_every_task_before_stop_returns),
        cmocka_unit_test(test_auth_cache_hits_within_ttl_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
