/*
 * test_store_tx.c - admin->transact: every store call an action makes joins one
 * transaction. Reads inside it see its own writes; a failure anywhere rolls back every
 * write of the action (records and audit events alike) and nothing else; a nested
 * transact or failing inner write undoes only itself; concurrent actions stay atomic.
 *
 * Same fixture and rules as test_store.c: a fresh database per test, only store.h and
 * fixture.h.
 */
#include <pthread.h>
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

/* Creates a client and a change of it, reads the change back inside the transaction,
 * then fails with GL_E_PRECONDITION when told to. */
struct action {
    const char *key;
    bool fail;
    int64_t change_id;
    bool read_back;  /* the change was readable inside the transaction */
    size_t seen_audit; /* audit events visible inside, after the writes */
};

static int action_tx(struct gl_store *st, void *arg, struct gl_error *err)
{
    struct action *a = arg;
    struct gl_write_ctx ctx = wctx(T0, "client.create");
    struct gl_client cl;
    gl_client_init(&cl);
    cl.key = strdup(a->key);
    cl.name = strdup(a->key);
    cl.timezone = strdup("UTC");
    int rc = st->clients->create(st, &ctx, &cl, err);
    struct gl_change c;
    gl_change_init(&c);
    c.client_id = cl.id;
    gl_change_set_str(&c.title, "inside one transaction");
    ctx.action = "change.create";
    if (!rc)
        rc = st->changes->create(st, &ctx, &c, err);
    a->change_id = c.id;
    struct gl_change back;
    if (!rc && st->changes->get(st, c.id, &back, err) == 0) {
        a->read_back = back.client_id == cl.id;
        gl_change_release(&back);
    }
    struct gl_audit_list al = {0};
    if (!rc && st->audit->list(st, 0, 1000, &al, err) == 0)
        a->seen_audit = al.len;
    gl_audit_list_release(&al);
    gl_change_release(&c);
    gl_client_release(&cl);
    if (!rc && a->fail)
        rc = gl_error_set(err, GL_E_PRECONDITION, NULL, "refused after writing");
    return rc;
}

static void test_commit_and_read_own_writes(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    struct gl_error err;
    size_t before = audit_count(st);
    struct action a = {.key = "acme"};
    assert_int_equal(st->admin->transact(st, action_tx, &a, &err), 0);
    assert_true(a.read_back);
    assert_int_equal(a.seen_audit, before + 2);
    assert_int_equal(audit_count(st), before + 2);
    struct gl_change c;
    assert_int_equal(st->changes->get(st, a.change_id, &c, &err), 0);
    gl_change_release(&c);
    verify_chain(st);
}

static void test_failure_rolls_back_everything(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    struct gl_error err;
    size_t before = audit_count(st);
    struct action a = {.key = "acme", .fail = true};
    assert_int_equal(st->admin->transact(st, action_tx, &a, &err), GL_E_PRECONDITION);
    assert_int_equal(err.code, GL_E_PRECONDITION);
    assert_true(a.read_back); /* it was there inside */
    assert_true(a.change_id > 0);
    struct gl_change c;
    assert_int_equal(st->changes->get(st, a.change_id, &c, &err), GL_E_NOT_FOUND);
    struct gl_client cl;
    assert_int_equal(st->clients->get(st, "acme", &cl, &err), GL_E_NOT_FOUND);
    assert_int_equal(audit_count(st), before);
    /* The store goes on: the same action succeeds afterwards. */
    a.fail = false;
    assert_int_equal(st->admin->transact(st, action_tx, &a, &err), 0);
    assert_int_equal(audit_count(st), before + 2);
    verify_chain(st);
}

/* An outer action whose inner transact fails: the inner writes go, the outer ones stay. */
struct outer {
    int inner_rc;
};

static int outer_tx(struct gl_store *st, void *arg, struct gl_error *err)
{
    struct outer *o = arg;
    struct action ok = {.key = "kept"}, bad = {.key = "undone", .fail = true};
    int rc = st->admin->transact(st, action_tx, &ok, err);
    if (rc)
        return rc;
    struct gl_error inner;
    o->inner_rc = st->admin->transact(st, action_tx, &bad, &inner);
    return 0;
}

static void test_nested_failure_undoes_only_itself(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    struct gl_error err;
    size_t before = audit_count(st);
    struct outer o = {0};
    assert_int_equal(st->admin->transact(st, outer_tx, &o, &err), 0);
    assert_int_equal(o.inner_rc, GL_E_PRECONDITION);
    struct gl_client cl;
    assert_int_equal(st->clients->get(st, "kept", &cl, &err), 0);
    gl_client_release(&cl);
    assert_int_equal(st->clients->get(st, "undone", &cl, &err), GL_E_NOT_FOUND);
    assert_int_equal(audit_count(st), before + 2);
    verify_chain(st);
}

/* Many threads, every other action failing: exactly the successful ones are stored, each
 * whole, and the chain stays linear. */
#define THREADS 8
#define PER_THREAD 20

struct worker {
    struct gl_store *st;
    int index, ok, failed, wrong;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        char key[32];
        snprintf(key, sizeof key, "c%d-%d", w->index, i);
        struct action a = {.key = key, .fail = i % 2 == 1};
        struct gl_error err;
        int rc = w->st->admin->transact(w->st, action_tx, &a, &err);
        if (rc == 0 && !a.fail)
            w->ok++;
        else if (rc == GL_E_PRECONDITION && a.fail)
            w->failed++;
        else
            w->wrong++;
    }
    return NULL;
}

static void test_concurrent_actions_stay_atomic(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    size_t before = audit_count(st);
    pthread_t th[THREADS];
    struct worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){.st = st, .index = i};
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    int ok = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].wrong, 0);
        assert_int_equal(w[i].failed, PER_THREAD / 2);
        ok += w[i].ok;
    }
    assert_int_equal(ok, THREADS * PER_THREAD / 2);
    assert_int_equal(audit_count(st), before + 2 * (size_t)ok);
    struct gl_error err;
    for (int i = 0; i < THREADS; i++)
        for (int j = 0; j < PER_THREAD; j++) {
            char key[32];
            snprintf(key, sizeof key, "c%d-%d", i, j);
            struct gl_client cl;
            int rc = st->clients->get(st, key, &cl, &err);
            assert_int_equal(rc, j % 2 ? GL_E_NOT_FOUND : 0);
            if (!rc)
                gl_client_release(&cl);
        }
    assert_int_equal(verify_chain(st), audit_count(st));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commit_and_read_own_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_rolls_back_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nested_failure_undoes_only_itself, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_actions_stay_atomic, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
