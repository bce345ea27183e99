/*
 * test_http_parts.c - the HTTP layer's own machinery: the write pool, the token cache and
 * the credential helpers (http/secret.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/auth.h"
#include "http/secret.h"
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

static void test_auth_cache_forgets_a_user_at_once(void **state)
{
    struct gl_auth_cache *c = gl_auth_cache_new();
    unsigned char h1[GL_AUTH_HASH_LEN], h2[GL_AUTH_HASH_LEN], h3[GL_AUTH_HASH_LEN];
    fill_hash(h1, 1);
    fill_hash(h2, 2);
    fill_hash(h3, 3);
    struct gl_user a, b, out;
    gl_user_init(&a);
    gl_user_init(&b);
    gl_user_init(&out);
    a.id = 7;
    b.id = 8;
    gl_auth_cache_put(c, h1, &a, 1000);
    gl_auth_cache_put(c, h2, &a, 1000);
    gl_auth_cache_put(c, h3, &b, 1000);
    gl_auth_cache_forget_user(c, 7);
    assert_int_equal(gl_auth_cache_get(c, h1, 1001, &out), -1);
    assert_int_equal(gl_auth_cache_get(c, h2, 1001, &out), -1);
    assert_int_equal(gl_auth_cache_get(c, h3, 1001, &out), 0);
    assert_int_equal(out.id, 8);
    gl_auth_cache_forget_user(NULL, 7);
    gl_user_release(&out);
    gl_auth_cache_free(c);
}

static void test_secrets_and_passwords(void **state)
{
    char a[GL_SECRET_MAX], b[GL_SECRET_MAX];
    unsigned char ha[GL_SECRET_HASH_LEN], again[GL_SECRET_HASH_LEN];
    gl_secret_new("glt_", a, ha);
    gl_secret_new("glt_", b, NULL);
    assert_int_equal(strncmp(a, "glt_", 4), 0);
    assert_int_equal(strlen(a), 4 + 43); /* 32 bytes of unpadded base64url */
    assert_string_not_equal(a, b);
    gl_secret_hash(a, again);
    assert_memory_equal(ha, again, sizeof ha);
    assert_true(gl_secret_equal(a, a));
    assert_false(gl_secret_equal(a, b));
    assert_false(gl_secret_equal(a, ""));

    struct gl_error err;
    char hash[GL_PASSWORD_HASH_MAX];
    assert_int_equal(gl_password_check("short", &err), GL_E_INVALID);
    assert_int_equal(gl_password_check("long enough", &err), 0);
    assert_int_equal(gl_password_hash("long enough", hash, &err), 0);
    assert_int_equal(strncmp(hash, "$argon2id$", 10), 0);
    assert_true(gl_password_verify(hash, "long enough"));
    assert_false(gl_password_verify(hash, "long enougH"));
    assert_false(gl_password_verify(NULL, "long enough")); /* unknown user: never true */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_workers_run_every_task_before_stop_returns),
        cmocka_unit_test(test_auth_cache_hits_within_ttl_only),
        cmocka_unit_test(test_auth_cache_forgets_a_user_at_once),
        cmocka_unit_test(test_secrets_and_passwords),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
