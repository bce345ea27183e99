/*
 * test_store_auth.c - the storage contract for authentication (store/store.h): passwords,
 * browser sessions, failed-login bookkeeping, and listing and owner-limited revocation of
 * API tokens. Only store.h and the fixture are used, so the suite runs on any backend.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "store/store.h"

#include "util/banned.h"

static int64_t add_user(struct gl_store *st, const char *name)
{
    struct gl_error err;
    struct gl_write_ctx ctx = wctx(T0, "user.create");
    struct gl_user u;
    gl_user_init(&u);
    u.name = strdup(name);
    gl_user_add_grant(&u, GL_ROLE_REQUESTER, 0);
    assert_int_equal(st->auth->user_create(st, &ctx, &u, &err), 0);
    int64_t id = u.id;
    gl_user_release(&u);
    return id;
}

static void hash_of(unsigned char h[32], int seed)
{
    memset(h, seed, 32);
}

static void test_passwords(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    struct gl_user u;
    char *hash = (char *)"x";
    int64_t bob = add_user(st, "bob");

    /* a new user has no password */
    assert_int_equal(st->auth->user_credentials(st, "bob", &u, &hash, &err), 0);
    assert_int_equal(u.id, bob);
    assert_string_equal(u.name, "bob");
    assert_int_equal(u.ngrants, 1);
    assert_null(hash);
    gl_user_release(&u);

    struct gl_write_ctx ctx = wctx(T0 + 1, "user.password");
    assert_int_equal(st->auth->user_set_password(st, &ctx, bob, "$argon2id$fake", &err), 0);
    assert_int_equal(st->auth->user_credentials(st, "bob", &u, &hash, &err), 0);
    assert_string_equal(hash, "$argon2id$fake");
    free(hash);
    gl_user_release(&u);

    assert_int_equal(st->auth->user_credentials(st, "nobody", &u, &hash, &err), GL_E_NOT_FOUND);
    assert_null(hash);
    assert_int_equal(st->auth->user_set_password(st, &ctx, 9999, "h", &err), GL_E_NOT_FOUND);

    /* clearing works; the audit log records that a password changed, never the hash */
    assert_int_equal(st->auth->user_set_password(st, &ctx, bob, NULL, &err), 0);
    assert_int_equal(st->auth->user_credentials(st, "bob", &u, &hash, &err), 0);
    assert_null(hash);
    gl_user_release(&u);
    struct gl_audit_list l = {0};
    assert_int_equal(st->audit->list(st, 0, 100, &l, &err), 0);
    size_t seen = 0;
    for (size_t i = 0; i < l.len; i++) {
        if (strcmp(l.items[i].action, "user.password") != 0)
            continue;
        seen++;
        assert_null(strstr(l.items[i].after_json, "argon2"));
    }
    assert_int_equal(seen, 2);
    gl_audit_list_release(&l);
}

static void test_sessions(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    struct gl_user u;
    struct gl_session s;
    unsigned char h1[32], h2[32], other[32];
    hash_of(h1, 0x11);
    hash_of(h2, 0x22);
    hash_of(other, 0x33);
    int64_t bob = add_user(st, "bob");
    struct gl_write_ctx ctx = wctx(T0, "session.create");
    int64_t id1 = 0;
    assert_int_equal(st->auth->session_create(st, &ctx, bob, h1, "csrf-1", T0 + HOUR, &id1, &err),
                     0);
    assert_true(id1 > 0);
    assert_int_equal(st->auth->session_create(st, &ctx, bob, h2, "csrf-2", T0 + HOUR, NULL, &err),
                     0);
    assert_int_equal(st->auth->session_create(st, &ctx, 9999, other, "c", T0 + HOUR, NULL, &err),
                     GL_E_INVALID);

    assert_int_equal(st->auth->session_lookup(st, h1, T0 + 10, &u, &s, &err), 0);
    assert_int_equal(u.id, bob);
    assert_string_equal(u.name, "bob");
    assert_int_equal(s.id, id1);
    assert_string_equal(s.csrf_token, "csrf-1");
    assert_int_equal(s.expires_at, T0 + HOUR);
    gl_user_release(&u);

    /* expiry is exclusive; unknown hashes fail alike */
    assert_int_equal(st->auth->session_lookup(st, h1, T0 + HOUR, &u, &s, &err), GL_E_UNAUTHORIZED);
    assert_int_equal(st->auth->session_lookup(st, other, T0, &u, &s, &err), GL_E_UNAUTHORIZED);

    /* revocation is idempotent and immediate */
    ctx.action = "session.revoke";
    assert_int_equal(st->auth->session_revoke(st, &ctx, h1, &err), 0);
    assert_int_equal(st->auth->session_revoke(st, &ctx, h1, &err), 0);
    assert_int_equal(st->auth->session_revoke(st, &ctx, other, &err), GL_E_NOT_FOUND);
    assert_int_equal(st->auth->session_lookup(st, h1, T0 + 10, &u, &s, &err), GL_E_UNAUTHORIZED);

    /* a new password ends every open session */
    assert_int_equal(st->auth->session_lookup(st, h2, T0 + 10, &u, &s, &err), 0);
    gl_user_release(&u);
    ctx.action = "user.password";
    assert_int_equal(st->auth->user_set_password(st, &ctx, bob, "h", &err), 0);
    assert_int_equal(st->auth->session_lookup(st, h2, T0 + 10, &u, &s, &err), GL_E_UNAUTHORIZED);
    assert_int_equal(verify_chain(st), audit_count(st));

    /* a session made two days later deletes the ones expired for over a day */
    ctx = wctx(T0 + 48 * HOUR, "session.create");
    assert_int_equal(
        st->auth->session_create(st, &ctx, bob, other, "c3", T0 + 49 * HOUR, NULL, &err), 0);
    ctx.action = "session.revoke";
    assert_int_equal(st->auth->session_revoke(st, &ctx, h2, &err), GL_E_NOT_FOUND);
    assert_int_equal(st->auth->session_revoke(st, &ctx, other, &err), 0);
}

static void test_login_failures(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    int n = -1;
    int64_t first = 0;
    assert_int_equal(st->auth->login_failure_count(st, "user:bob", T0, &n, &first, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(first, GL_TIME_UNSET);

    size_t events = audit_count(st);
    for (int i = 0; i < 3; i++)
        assert_int_equal(st->auth->login_failure_add(st, "user:bob", T0 + i * 60, &err), 0);
    assert_int_equal(st->auth->login_failure_add(st, "addr:127.0.0.1", T0, &err), 0);
    assert_int_equal(audit_count(st), events); /* bookkeeping, not audited */

    assert_int_equal(st->auth->login_failure_count(st, "user:bob", T0, &n, &first, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(first, T0);
    /* the window: only failures at or after `since` */
    assert_int_equal(st->auth->login_failure_count(st, "user:bob", T0 + 60, &n, &first, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(first, T0 + 60);
    assert_int_equal(st->auth->login_failure_count(st, "addr:127.0.0.1", 0, &n, NULL, &err), 0);
    assert_int_equal(n, 1);

    assert_int_equal(st->auth->login_failure_clear(st, "user:bob", &err), 0);
    assert_int_equal(st->auth->login_failure_count(st, "user:bob", 0, &n, &first, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(st->auth->login_failure_count(st, "addr:127.0.0.1", 0, &n, NULL, &err), 0);
    assert_int_equal(n, 1);

    /* a failure two days later prunes the old ones of every key */
    assert_int_equal(st->auth->login_failure_add(st, "user:eve", T0 + 48 * HOUR, &err), 0);
    assert_int_equal(st->auth->login_failure_count(st, "addr:127.0.0.1", 0, &n, NULL, &err), 0);
    assert_int_equal(n, 0);
}

static void test_token_list_and_owned_revoke(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    int64_t bob = add_user(st, "bob"), eve = add_user(st, "eve");
    unsigned char h1[32], h2[32], h3[32];
    hash_of(h1, 1);
    hash_of(h2, 2);
    hash_of(h3, 3);
    struct gl_write_ctx ctx = wctx(T0, "token.create");
    int64_t b1, b2, e1;
    assert_int_equal(st->auth->token_create(st, &ctx, bob, h1, GL_TIME_UNSET, &b1, &err), 0);
    assert_int_equal(st->auth->token_create(st, &ctx, bob, h2, T0 + HOUR, &b2, &err), 0);
    assert_int_equal(st->auth->token_create(st, &ctx, eve, h3, GL_TIME_UNSET, &e1, &err), 0);

    struct gl_token_list l;
    assert_int_equal(st->auth->token_list(st, bob, &l, &err), 0);
    assert_int_equal(l.len, 2);
    assert_int_equal(l.items[0].id, b2); /* newest first */
    assert_int_equal(l.items[0].expires_at, T0 + HOUR);
    assert_int_equal(l.items[1].id, b1);
    assert_int_equal(l.items[1].expires_at, GL_TIME_UNSET);
    assert_int_equal(l.items[1].revoked_at, GL_TIME_UNSET);
    assert_int_equal(l.items[1].created_at, T0);
    gl_token_list_release(&l);

    /* bob cannot revoke eve's token: it does not exist for him */
    ctx = wctx(T0 + 5, "token.revoke");
    int64_t owner = 0;
    assert_int_equal(st->auth->token_revoke_owned(st, &ctx, e1, bob, &owner, &err), GL_E_NOT_FOUND);
    assert_int_equal(st->auth->token_revoke_owned(st, &ctx, b1, bob, &owner, &err), 0);
    assert_int_equal(owner, bob);
    /* an administrator's revocation (owner 0) reaches anyone's token */
    assert_int_equal(st->auth->token_revoke_owned(st, &ctx, e1, 0, &owner, &err), 0);
    assert_int_equal(owner, eve);

    struct gl_user u;
    assert_int_equal(st->auth->token_lookup(st, h1, T0 + 10, &u, &err), GL_E_UNAUTHORIZED);
    assert_int_equal(st->auth->token_lookup(st, h3, T0 + 10, &u, &err), GL_E_UNAUTHORIZED);
    assert_int_equal(st->auth->token_lookup(st, h2, T0 + 10, &u, &err), 0);
    gl_user_release(&u);
    assert_int_equal(st->auth->token_list(st, bob, &l, &err), 0);
    assert_int_equal(l.items[1].revoked_at, T0 + 5);
    gl_token_list_release(&l);
    assert_int_equal(st->auth->token_list(st, 9999, &l, &err), 0);
    assert_int_equal(l.len, 0);
    gl_token_list_release(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_passwords, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_list_and_owned_revoke, setup, teardown),
    };
    return cmocka_run_group_tests_name("store-sqlite-auth", tests, NULL, NULL);
}
