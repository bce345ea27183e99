/*
 * test_store_audit.c - store contract tests of the audit log beyond the append itself:
 * the export (client and time filters, (at, id) order, cursor paging, bad input) and
 * verification of a stored chain (gl_store_audit_verify) against an attacker with write
 * access to the database file, who drops the append-only triggers and then alters,
 * deletes or reorders events behind the store's back.
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

#include "util/banned.h"

/* Creates a CI of client_id at time `at`: one audit event with that time. */
static int64_t ci_at(struct gl_store *st, int64_t client_id, const char *name, int64_t at)
{
    struct gl_ci ci;
    struct gl_error err;
    struct gl_write_ctx ctx = wctx(at, "ci.create");
    gl_ci_init(&ci);
    ci.client_id = client_id;
    ci.name = strdup(name);
    ci.type = strdup("server");
    ci.criticality = 3;
    assert_int_equal(st->cis->create(st, &ctx, &ci, &err), 0);
    int64_t id = ci.id;
    gl_ci_release(&ci);
    return id;
}

/* Follows the cursor to the end with pages of `limit`; fills ids (at most max) and
 * returns how many events were exported. */
static size_t export_all(struct gl_store *st, struct gl_audit_filter f, int limit, int64_t *ids,
                         size_t max)
{
    struct gl_error err;
    size_t n = 0;
    f.limit = limit;
    f.after_id = 0;
    for (int pages = 0;; pages++) {
        struct gl_audit_page p;
        assert_true(pages < 1000);
        assert_int_equal(st->audit->export(st, &f, &p, &err), 0);
        assert_true(p.len <= (size_t)limit);
        for (size_t i = 0; i < p.len; i++) {
            assert_true(n < max);
            if (f.client_id)
                assert_int_equal(p.items[i].client_id, f.client_id);
            if (f.from != GL_TIME_UNSET)
                assert_true(p.items[i].at >= f.from);
            if (f.to != GL_TIME_UNSET)
                assert_true(p.items[i].at < f.to);
            ids[n++] = p.items[i].id;
        }
        f.after_id = p.next_cursor;
        gl_audit_page_release(&p);
        if (!f.after_id)
            return n;
    }
}

/* Event ids, in log order:
 *   1 client acme (T0)   2 client beta (T0)
 *   3 acme ci @ T0+3h    4 beta ci @ T0+1h    5 acme ci @ T0+1h   6 acme ci @ T0+2h
 *   7 shared ci @ T0+1h (client 0)            8 acme ci @ T0+5h
 * Times are deliberately not in id order: the export is ordered by (at, id). */
static void make_export_log(struct gl_store *st, int64_t *acme, int64_t *beta)
{
    *acme = add_client(st, "acme");
    *beta = add_client(st, "beta");
    ci_at(st, *acme, "a3", T0 + 3 * HOUR);
    ci_at(st, *beta, "b1", T0 + 1 * HOUR);
    ci_at(st, *acme, "a1", T0 + 1 * HOUR);
    ci_at(st, *acme, "a2", T0 + 2 * HOUR);
    ci_at(st, 0, "shared", T0 + 1 * HOUR);
    ci_at(st, *acme, "a5", T0 + 5 * HOUR);
}

static void assert_ids(const int64_t *got, size_t n, const int64_t *want, size_t wn)
{
    assert_int_equal(n, wn);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(got[i], want[i]);
}

static void test_export_filters(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    int64_t acme, beta, ids[16];
    make_export_log(st, &acme, &beta);
    struct gl_audit_filter f = {.client_id = acme, .from = GL_TIME_UNSET, .to = GL_TIME_UNSET};

    /* one client, whole log: its own events only, ordered by time then id */
    static const int64_t acme_all[] = {1, 5, 6, 3, 8};
    for (int limit = 1; limit <= 6; limit++)
        assert_ids(ids, export_all(st, f, limit, ids, 16), acme_all, 5);

    /* a range [from, to): T0+1h inclusive, T0+3h exclusive */
    f.from = T0 + HOUR;
    f.to = T0 + 3 * HOUR;
    static const int64_t acme_range[] = {5, 6};
    assert_ids(ids, export_all(st, f, 1, ids, 16), acme_range, 2);

    /* open ends */
    f.to = GL_TIME_UNSET;
    static const int64_t acme_from[] = {5, 6, 3, 8};
    assert_ids(ids, export_all(st, f, 3, ids, 16), acme_from, 4);
    f.from = GL_TIME_UNSET;
    f.to = T0 + HOUR;
    assert_ids(ids, export_all(st, f, 3, ids, 16), acme_all, 1);

    /* the other client, and every event (client 0: global and shared included) */
    f = (struct gl_audit_filter){.client_id = beta, .from = GL_TIME_UNSET, .to = GL_TIME_UNSET};
    static const int64_t beta_all[] = {2, 4};
    assert_ids(ids, export_all(st, f, 50, ids, 16), beta_all, 2);
    f.client_id = 0;
    static const int64_t every[] = {1, 2, 4, 5, 7, 6, 3, 8};
    assert_ids(ids, export_all(st, f, 2, ids, 16), every, 8);

    /* a client without events, an empty range */
    f.client_id = 999;
    assert_int_equal(export_all(st, f, 10, ids, 16), 0);
    f = (struct gl_audit_filter){.client_id = acme, .from = T0 + 6 * HOUR, .to = T0 + 7 * HOUR};
    assert_int_equal(export_all(st, f, 10, ids, 16), 0);
}

static void test_export_page_contents(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    int64_t acme, beta;
    make_export_log(st, &acme, &beta);
    struct gl_audit_filter f = {
        .client_id = acme, .from = T0 + HOUR, .to = GL_TIME_UNSET, .limit = 2};
    struct gl_audit_page p;
    assert_int_equal(st->audit->export(st, &f, &p, &err), 0);
    assert_int_equal(p.len, 2);
    assert_int_equal(p.next_cursor, 6);
    assert_string_equal(p.items[0].action, "ci.create");
    assert_string_equal(p.items[0].actor, "alice");
    assert_string_equal(p.items[0].request_id, "req-1");
    assert_int_equal(p.items[0].at, T0 + HOUR);
    assert_null(p.items[0].before_json);
    assert_non_null(strstr(p.items[0].after_json, "\"a1\""));
    gl_audit_page_release(&p);
    gl_audit_page_release(&p); /* twice is harmless */
    gl_audit_page_release(NULL);

    /* a final page that is exactly full has no next cursor */
    f.after_id = 6;
    assert_int_equal(st->audit->export(st, &f, &p, &err), 0);
    assert_int_equal(p.len, 2);
    assert_int_equal(p.next_cursor, 0);
    gl_audit_page_release(&p);

    f.limit = 0;
    assert_int_equal(st->audit->export(st, &f, &p, &err), GL_E_INVALID);
    assert_string_equal(err.field, "limit");
    f.limit = GL_AUDIT_PAGE_MAX + 1;
    assert_int_equal(st->audit->export(st, &f, &p, &err), GL_E_INVALID);
    f.limit = 10;
    f.after_id = 12345;
    assert_int_equal(st->audit->export(st, &f, &p, &err), GL_E_INVALID);
    assert_string_equal(err.field, "cursor");
    assert_int_equal(p.len, 0);
}

/* ---- verification ------------------------------------------------------------------- */

static void test_verify_empty_and_intact(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    struct gl_audit_verifier v;
    assert_int_equal(gl_store_audit_verify(st, &v, &err), 0);
    assert_int_equal(v.broken_id, 0);
    assert_int_equal(v.events, 0);

    int64_t acme = add_client(st, "acme");
    int64_t ci = add_ci(st, acme, "web", "server");
    for (int i = 0; i < 10; i++)
        add_change(st, &(struct spec){.client = acme, .ci = ci});
    assert_int_equal(gl_store_audit_verify(st, &v, &err), 0);
    assert_int_equal(v.broken_id, 0);
    assert_int_equal(v.events, 12);
    assert_int_equal(v.last_id, 12);
    assert_int_equal(verify_chain(st), 12);
}

static void test_verify_across_pages(void **state)
{
    /* more events than one verification page (1000) */
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    struct gl_audit_verifier v;
    int64_t acme = add_client(st, "acme");
    char name[32];
    for (int i = 0; i < 1001; i++) {
        snprintf(name, sizeof name, "ci-%d", i);
        ci_at(st, acme, name, T0 + i);
    }
    assert_int_equal(gl_store_audit_verify(st, &v, &err), 0);
    assert_int_equal(v.broken_id, 0);
    assert_int_equal(v.events, 1002);
}

/* A log of 10 events with the append-only triggers dropped, as an attacker would. */
static void tamperable_log(struct fx *fx)
{
    int64_t acme = add_client(fx->st, "acme");
    char name[32];
    for (int i = 0; i < 9; i++) {
        snprintf(name, sizeof name, "ci-%d", i);
        ci_at(fx->st, acme, name, T0 + i * HOUR);
    }
    assert_int_equal(backend_raw_exec(fx->dir, "DROP TRIGGER audit_events_no_update;"
                                               "DROP TRIGGER audit_events_no_delete;"),
                     0);
}

static void assert_broken(struct gl_store *st, int64_t id, const char *reason)
{
    struct gl_error err;
    struct gl_audit_verifier v;
    assert_int_equal(gl_store_audit_verify(st, &v, &err), 0);
    assert_int_equal(v.broken_id, id);
    assert_string_equal(v.reason, reason);
    assert_int_equal(v.events, id - 1 - (strncmp(reason, "missing", 7) == 0));
}

static void test_tamper_update(void **state)
{
    struct fx *fx = *state;
    tamperable_log(fx);
    assert_int_equal(backend_raw_exec(fx->dir, "UPDATE audit_events SET after_json = "
                                               "replace(after_json, 'ci-4', 'ci-x') WHERE id = 6"),
                     0);
    assert_broken(fx->st, 6, "hash mismatch");
}

static void test_tamper_rehash(void **state)
{
    /* an attacker who also recomputes the altered event's hash moves the break to the
     * next link, which still names the original hash */
    struct fx *fx = *state;
    struct gl_error err;
    struct gl_audit_list l;
    tamperable_log(fx);
    assert_int_equal(fx->st->audit->list(fx->st, 3, 1, &l, &err), 0);
    assert_int_equal(l.len, 1);
    struct gl_audit_event *ev = &l.items[0];
    free(ev->actor);
    ev->actor = strdup("mallory");
    gl_audit_hash(ev);
    char hex[2 * GL_AUDIT_HASH_LEN + 1], sql[256];
    gl_audit_hash_hex(ev->hash, hex);
    snprintf(sql, sizeof sql,
             "UPDATE audit_events SET actor = 'mallory', hash = X'%s' WHERE id = 4", hex);
    gl_audit_list_release(&l);
    assert_int_equal(backend_raw_exec(fx->dir, sql), 0);
    assert_broken(fx->st, 5, "chain broken: prev_hash does not match event 4");

    /* a stored hash replaced by garbage is caught at the event itself */
    assert_int_equal(
        backend_raw_exec(fx->dir, "UPDATE audit_events SET hash = zeroblob(32) WHERE id = 2"), 0);
    assert_broken(fx->st, 2, "hash mismatch");
}

static void test_tamper_delete(void **state)
{
    struct fx *fx = *state;
    tamperable_log(fx);
    assert_int_equal(backend_raw_exec(fx->dir, "DELETE FROM audit_events WHERE id = 5"), 0);
    assert_broken(fx->st, 6, "missing event(s) before 6");
}

static void test_tamper_delete_renumber(void **state)
{
    /* the gap closed by moving every later event down one id */
    struct fx *fx = *state;
    tamperable_log(fx);
    assert_int_equal(backend_raw_exec(fx->dir, "DELETE FROM audit_events WHERE id = 5;"
                                               "UPDATE audit_events SET id = id - 1 WHERE id > 5"),
                     0);
    assert_broken(fx->st, 5, "chain broken: prev_hash does not match event 4");
}

static void test_tamper_delete_first(void **state)
{
    struct fx *fx = *state;
    tamperable_log(fx);
    assert_int_equal(backend_raw_exec(fx->dir, "DELETE FROM audit_events WHERE id = 1"), 0);
    assert_broken(fx->st, 2, "missing event(s) before 2");
}

static void test_tamper_swap(void **state)
{
    struct fx *fx = *state;
    tamperable_log(fx);
    assert_int_equal(backend_raw_exec(fx->dir, "UPDATE audit_events SET id = -1 WHERE id = 7;"
                                               "UPDATE audit_events SET id = 7 WHERE id = 8;"
                                               "UPDATE audit_events SET id = 8 WHERE id = -1"),
                     0);
    assert_broken(fx->st, 7, "chain broken: prev_hash does not match event 6");
}

static void test_tamper_then_write(void **state)
{
    /* a later write does not heal a broken chain: verify still names the tampered event */
    struct fx *fx = *state;
    tamperable_log(fx);
    assert_int_equal(
        backend_raw_exec(fx->dir, "UPDATE audit_events SET reason = 'edited' WHERE id = 3"), 0);
    add_client(fx->st, "beta");
    assert_broken(fx->st, 3, "hash mismatch");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_export_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_page_contents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_empty_and_intact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_across_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_rehash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_delete_renumber, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_delete_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_swap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_then_write, setup, teardown),
    };
    return cmocka_run_group_tests_name("store-sqlite-audit", tests, NULL, NULL);
}
