/*
 * test_store_changes.c - the change half of the storage contract (store/store.h): round
 * trip, references, optimistic updates, list filters, free text, pagination, timelines
 * and concurrent writers.
 *
 * Same fixture and rules as test_store.c: a fresh database per test, only store.h and
 * fixture.h.
 */
#include <pthread.h>
#include <stdbool.h>
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

/* ---- changes ------------------------------------------------------------------------ */

static void test_change_roundtrip(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    int64_t acme = add_client(st, "acme");
    int64_t ci1 = add_ci(st, acme, "web-01", "server");
    int64_t ci2 = add_ci(st, 0, "core", "network_device");
    int64_t rel = add_change(st, &(struct spec){.client = acme});

    struct gl_change c, got;
    fill_full_change(&c, acme, ci1, ci2, rel);
    struct gl_write_ctx ctx = wctx(T0 + 5, "change.create");
    assert_int_equal(st->changes->create(st, &ctx, &c, &err), 0);
    assert_int_equal(c.id, rel + 1);
    assert_int_equal(c.version, 1);
    assert_int_equal(c.created_at, T0 + 5);
    assert_int_equal(c.updated_at, T0 + 5);
    assert_string_equal(c.client_key, "acme");
    assert_int_equal(c.ci_ids.items[0], ci1); /* normalised in place */

    assert_int_equal(st->changes->get(st, c.id, &got, &err), 0);
    assert_change_equal(&got, &c);
    assert_string_equal(got.client_key, "acme");
    assert_string_equal(got.incidents.items[0], "INC-9"); /* incident order is kept */
    gl_change_release(&got);

    /* a sparse change: unset times and strings stay unset */
    int64_t bare = add_change(st, &(struct spec){.client = acme, .title = "bare"});
    assert_int_equal(st->changes->get(st, bare, &got, &err), 0);
    assert_int_equal(got.planned_start, GL_TIME_UNSET);
    assert_int_equal(got.reviewed_at, GL_TIME_UNSET);
    assert_int_equal(got.outcome, GL_OUTCOME_NONE);
    assert_null(got.description);
    assert_int_equal(got.ci_ids.len, 0);
    assert_int_equal(got.incidents.len, 0);
    gl_change_release(&got);

    assert_int_equal(st->changes->get(st, 12345, &got, &err), GL_E_NOT_FOUND);
    gl_change_release(&c);
}

static void test_change_bad_references(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    int64_t acme = add_client(st, "acme"), globex = add_client(st, "globex");
    int64_t theirs = add_ci(st, globex, "gx", "server");
    int64_t shared = add_ci(st, 0, "core", "network_device");
    size_t events = audit_count(st);
    struct gl_write_ctx ctx = wctx(T0, "change.create");
    struct gl_change c;

    const struct {
        int64_t client, ci, related;
        const char *field;
    } cases[] = {
        {acme, 777, 0, "cis"},
        {acme, theirs, 0, "cis"},
        {acme, shared, 555, "related_changes"},
        {999, 0, 0, "client"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gl_change_init(&c);
        c.client_id = cases[i].client;
        gl_change_set_str(&c.title, "bad");
        if (cases[i].ci)
            gl_idlist_push(&c.ci_ids, cases[i].ci);
        if (cases[i].related)
            gl_idlist_push(&c.related_changes, cases[i].related);
        assert_int_equal(st->changes->create(st, &ctx, &c, &err), GL_E_INVALID);
        assert_string_equal(err.field, cases[i].field);
        assert_int_equal(c.id, 0);
        gl_change_release(&c);
    }
    /* nothing was written: no change, no audit event */
    struct gl_change_filter f = {.from = GL_TIME_UNSET, .to = GL_TIME_UNSET, .limit = 10};
    struct gl_change_page p;
    assert_int_equal(st->changes->list(st, &f, &p, &err), 0);
    assert_int_equal(p.len, 0);
    gl_change_page_release(&p);
    assert_int_equal(audit_count(st), events);

    /* shared CIs are fine for any client */
    int64_t ok = add_change(st, &(struct spec){.client = acme, .ci = shared});
    assert_true(ok > 0);
    assert_int_equal(audit_count(st), events + 1);
}

static void test_change_update(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    int64_t acme = add_client(st, "acme");
    int64_t ci1 = add_ci(st, acme, "a", "server"), ci2 = add_ci(st, acme, "b", "server");
    int64_t id = add_change(st, &(struct spec){.client = acme, .title = "old title", .ci = ci1});

    struct gl_change before, after, got;
    assert_int_equal(st->changes->get(st, id, &before, &err), 0);
    gl_change_init(&after);
    assert_int_equal(gl_change_copy(&after, &before), 0);
    gl_change_set_str(&after.title, "new title");
    after.state = GL_STATE_SUBMITTED;
    gl_idlist_push(&after.ci_ids, ci2);
    gl_strlist_push(&after.incidents, "INC-7");
    struct gl_write_ctx ctx = wctx(T0 + 100, "change.submit");
    assert_int_equal(st->changes->update(st, &ctx, &before, &after, &err), 0);
    assert_int_equal(after.version, 2);
    assert_int_equal(after.updated_at, T0 + 100);

    assert_int_equal(st->changes->get(st, id, &got, &err), 0);
    assert_change_equal(&got, &after);
    assert_int_equal(got.created_at, T0);
    gl_change_release(&got);

    /* stale: `before` is still version 1; nothing changes */
    struct gl_change again;
    gl_change_init(&again);
    assert_int_equal(gl_change_copy(&again, &before), 0);
    gl_change_set_str(&again.title, "lost update");
    again.ci_ids.len = 0;
    size_t events = audit_count(st);
    assert_int_equal(st->changes->update(st, &ctx, &before, &again, &err), GL_E_STALE);
    assert_int_equal(err.code, GL_E_STALE);
    assert_int_equal(again.version, 1);
    assert_int_equal(st->changes->get(st, id, &got, &err), 0);
    assert_string_equal(got.title, "new title");
    assert_int_equal(got.version, 2);
    assert_int_equal(got.ci_ids.len, 2);
    gl_change_release(&got);
    assert_int_equal(audit_count(st), events);

    /* a missing change */
    before.id = 9999;
    assert_int_equal(st->changes->update(st, &ctx, &before, &again, &err), GL_E_NOT_FOUND);

    /* an update adding an unknown CI fails and changes nothing */
    struct gl_change cur, bad;
    assert_int_equal(st->changes->get(st, id, &cur, &err), 0);
    gl_change_init(&bad);
    assert_int_equal(gl_change_copy(&bad, &cur), 0);
    gl_idlist_push(&bad.ci_ids, 31337);
    gl_change_set_str(&bad.title, "should not stick");
    assert_int_equal(st->changes->update(st, &ctx, &cur, &bad, &err), GL_E_INVALID);
    assert_string_equal(err.field, "cis");
    assert_int_equal(st->changes->get(st, id, &got, &err), 0);
    assert_change_equal(&got, &cur);
    gl_change_release(&got);
    gl_change_release(&cur);
    gl_change_release(&bad);

    gl_change_release(&before);
    gl_change_release(&after);
    gl_change_release(&again);
}

/* Runs a list and compares the ids it returns with `want` (newest first, 0-terminated). */
static void expect_ids(struct gl_store *st, const struct gl_change_filter *f, const int64_t *want)
{
    struct gl_change_page p;
    struct gl_error err;
    int rc = st->changes->list(st, f, &p, &err);
    if (rc)
        print_error("change_list: %s\n", err.detail);
    assert_int_equal(rc, 0);
    size_t n = 0;
    while (want[n])
        n++;
    for (size_t i = 0; i < p.len && i < n; i++)
        assert_int_equal(p.items[i].id, want[i]);
    assert_int_equal(p.len, n);
    gl_change_page_release(&p);
}

static void test_change_list_filters(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    int64_t acme = add_client(st, "acme"), globex = add_client(st, "globex");
    int64_t web = add_ci(st, acme, "web", "server"), shared = add_ci(st, 0, "core", "switch");
    int64_t a1 =
        add_change(st, &(struct spec){acme, GL_TYPE_NORMAL, GL_STATE_DRAFT, "Upgrade PostgreSQL",
                                      "database work", web, T0, T0 + HOUR});
    int64_t a2 = add_change(st, &(struct spec){acme, GL_TYPE_STANDARD, GL_STATE_SCHEDULED,
                                               "Patch web servers", "monthly patching", web,
                                               T0 + 2 * HOUR, T0 + 3 * HOUR});
    int64_t g1 = add_change(st, &(struct spec){globex, GL_TYPE_EMERGENCY, GL_STATE_SUBMITTED,
                                               "Replace core switch", "fail-over", shared,
                                               T0 + 5 * HOUR, T0 + 6 * HOUR});
    int64_t g2 = add_change(st, &(struct spec){globex, GL_TYPE_NORMAL, GL_STATE_DRAFT,
                                               "Upgrade firewall", NULL, 0, 0, 0});
    const int64_t U = GL_TIME_UNSET;

    expect_ids(st, &(struct gl_change_filter){.from = U, .to = U, .limit = 50},
               (int64_t[]){g2, g1, a2, a1, 0});
    expect_ids(st, &(struct gl_change_filter){.client_id = acme, .from = U, .to = U, .limit = 50},
               (int64_t[]){a2, a1, 0});
    expect_ids(st,
               &(struct gl_change_filter){
                   .state_mask = 1u << GL_STATE_DRAFT, .from = U, .to = U, .limit = 50},
               (int64_t[]){g2, a1, 0});
    expect_ids(st,
               &(struct gl_change_filter){.state_mask = (1u << GL_STATE_SCHEDULED) |
                                                        (1u << GL_STATE_SUBMITTED),
                                          .from = U,
                                          .to = U,
                                          .limit = 50},
               (int64_t[]){g1, a2, 0});
    expect_ids(st,
               &(struct gl_change_filter){.client_id = globex,
                                          .state_mask = 1u << GL_STATE_DRAFT,
                                          .from = U,
                                          .to = U,
                                          .limit = 50},
               (int64_t[]){g2, 0});
    expect_ids(st,
               &(struct gl_change_filter){
                   .type_mask = 1u << GL_TYPE_NORMAL, .from = U, .to = U, .limit = 50},
               (int64_t[]){g2, a1, 0});
    expect_ids(st, &(struct gl_change_filter){.ci_id = web, .from = U, .to = U, .limit = 50},
               (int64_t[]){a2, a1, 0});
    expect_ids(st, &(struct gl_change_filter){.ci_id = shared, .from = U, .to = U, .limit = 50},
               (int64_t[]){g1, 0});

    /* time overlap of [planned_start, planned_end) with [from, to) */
    expect_ids(
        st, &(struct gl_change_filter){.from = T0 + HOUR / 2, .to = T0 + 2 * HOUR + 1, .limit = 50},
        (int64_t[]){a2, a1, 0});
    expect_ids(st, &(struct gl_change_filter){.from = T0 + HOUR, .to = T0 + 2 * HOUR, .limit = 50},
               (int64_t[]){0}); /* touching ends do not overlap */
    expect_ids(st, &(struct gl_change_filter){.from = T0 + 4 * HOUR, .to = U, .limit = 50},
               (int64_t[]){g1, 0});
    expect_ids(st, &(struct gl_change_filter){.from = U, .to = T0 + 1, .limit = 50},
               (int64_t[]){a1, 0});

    /* free text, case- and accent-insensitive, word based; FTS syntax is inert */
    expect_ids(st, &(struct gl_change_filter){.text = "upgrade", .from = U, .to = U, .limit = 50},
               (int64_t[]){g2, a1, 0});
    expect_ids(
        st,
        &(struct gl_change_filter){.text = "UPGRADE postgresql", .from = U, .to = U, .limit = 50},
        (int64_t[]){a1, 0});
    expect_ids(st, &(struct gl_change_filter){.text = "patching", .from = U, .to = U, .limit = 50},
               (int64_t[]){a2, 0});
    expect_ids(st,
               &(struct gl_change_filter){
                   .text = "upgrade", .ci_id = web, .from = U, .to = U, .limit = 50},
               (int64_t[]){a1, 0});
    const char *hostile[] = {"\"", "upgrade OR patch", "NEAR(a b)", "title:upgrade", "-x", "up*",
                             "(",  "\"\"\"",           "a\"b",      "^upgrade",      "   "};
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        struct gl_change_page p;
        struct gl_error err;
        struct gl_change_filter f = {.text = hostile[i], .from = U, .to = U, .limit = 50};
        assert_int_equal(st->changes->list(st, &f, &p, &err), 0);
        gl_change_page_release(&p);
    }

    /* combinations */
    expect_ids(
        st,
        &(struct gl_change_filter){.client_id = globex,
                                   .type_mask = (1u << GL_TYPE_NORMAL) | (1u << GL_TYPE_EMERGENCY),
                                   .from = U,
                                   .to = U,
                                   .limit = 50},
        (int64_t[]){g2, g1, 0});
    expect_ids(st,
               &(struct gl_change_filter){.state_mask =
                                              (1u << GL_STATE_DRAFT) | (1u << GL_STATE_SUBMITTED),
                                          .type_mask = 1u << GL_TYPE_NORMAL,
                                          .from = U,
                                          .to = U,
                                          .limit = 50},
               (int64_t[]){g2, a1, 0});
    expect_ids(
        st,
        &(struct gl_change_filter){.text = "upgrade", .from = T0, .to = T0 + 6 * HOUR, .limit = 50},
        (int64_t[]){a1, 0});
    expect_ids(
        st, &(struct gl_change_filter){.ci_id = web, .from = T0 + 2 * HOUR, .to = U, .limit = 50},
        (int64_t[]){a2, 0});
    expect_ids(st,
               &(struct gl_change_filter){.client_id = acme,
                                          .from = T0,
                                          .to = T0 + 6 * HOUR,
                                          .state_mask = 1u << GL_STATE_SCHEDULED,
                                          .limit = 50},
               (int64_t[]){a2, 0});
    expect_ids(st, &(struct gl_change_filter){.from = T0 + HOUR, .to = T0, .limit = 50},
               (int64_t[]){0}); /* an empty range */

    /* scope: restricted, empty, and combined with a client outside it */
    int64_t both_twice[] = {acme, globex, acme};
    struct gl_scope both = {.all = false, .client_ids = both_twice, .n = 3};
    expect_ids(st,
               &(struct gl_change_filter){.scope = &both,
                                          .state_mask =
                                              (1u << GL_STATE_DRAFT) | (1u << GL_STATE_SUBMITTED),
                                          .from = U,
                                          .to = U,
                                          .limit = 50},
               (int64_t[]){g2, g1, a1, 0});
    expect_ids(st, &(struct gl_change_filter){.scope = &both, .from = U, .to = U, .limit = 3},
               (int64_t[]){g2, g1, a2, 0});
    struct gl_scope only_acme = {.all = false, .client_ids = &acme, .n = 1};
    struct gl_scope nothing = {.all = false, .client_ids = NULL, .n = 0};
    struct gl_scope all = {.all = true};
    expect_ids(st, &(struct gl_change_filter){.scope = &only_acme, .from = U, .to = U, .limit = 50},
               (int64_t[]){a2, a1, 0});
    expect_ids(st, &(struct gl_change_filter){.scope = &nothing, .from = U, .to = U, .limit = 50},
               (int64_t[]){0});
    expect_ids(st, &(struct gl_change_filter){.scope = &all, .from = U, .to = U, .limit = 50},
               (int64_t[]){g2, g1, a2, a1, 0});
    expect_ids(st,
               &(struct gl_change_filter){
                   .scope = &only_acme, .client_id = globex, .from = U, .to = U, .limit = 50},
               (int64_t[]){0});
    expect_ids(st,
               &(struct gl_change_filter){
                   .scope = &only_acme, .text = "upgrade", .from = U, .to = U, .limit = 50},
               (int64_t[]){a1, 0});

    struct gl_change_page p;
    struct gl_error err;
    struct gl_change_filter bad = {.from = U, .to = U, .limit = 0};
    assert_int_equal(st->changes->list(st, &bad, &p, &err), GL_E_INVALID);
    bad.limit = GL_LIST_MAX + 1;
    assert_int_equal(st->changes->list(st, &bad, &p, &err), GL_E_INVALID);
}

/* Free text covers title, description and all three plans, and follows updates. */
static void test_change_text_search(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    const int64_t U = GL_TIME_UNSET;
    int64_t acme = add_client(st, "acme");
    struct gl_write_ctx ctx = wctx(T0, "change.create");
    struct gl_change c, next;
    gl_change_init(&c);
    c.client_id = acme;
    gl_change_set_str(&c.title, "Quarterly work");
    gl_change_set_str(&c.implementation_plan, "drain the aardvark pool");
    gl_change_set_str(&c.test_plan, "probe the okapi endpoint");
    gl_change_set_str(&c.rollback_plan, "restore the zebra snapshot");
    assert_int_equal(st->changes->create(st, &ctx, &c, &err), 0);
    const char *words[] = {"quarterly", "aardvark", "okapi", "zebra"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        expect_ids(st, &(struct gl_change_filter){.text = words[i], .from = U, .to = U, .limit = 5},
                   (int64_t[]){c.id, 0});

    gl_change_init(&next);
    assert_int_equal(gl_change_copy(&next, &c), 0);
    gl_change_set_str(&next.rollback_plan, "restore the gnu snapshot");
    ctx = wctx(T0 + 1, "change.update");
    assert_int_equal(st->changes->update(st, &ctx, &c, &next, &err), 0);
    expect_ids(st, &(struct gl_change_filter){.text = "zebra", .from = U, .to = U, .limit = 5},
               (int64_t[]){0});
    expect_ids(st, &(struct gl_change_filter){.text = "gnu", .from = U, .to = U, .limit = 5},
               (int64_t[]){c.id, 0});
    expect_ids(st, &(struct gl_change_filter){.text = "okapi", .from = U, .to = U, .limit = 5},
               (int64_t[]){c.id, 0});
    gl_change_release(&c);
    gl_change_release(&next);
}

/* Walks every page of f and checks the pages tile `total` ids without gaps or repeats. */
static void walk_pages(struct gl_store *st, struct gl_change_filter f, size_t total, int64_t first,
                       int64_t step)
{
    struct gl_error err;
    size_t seen = 0, pages = 0;
    int64_t expect = first;
    do {
        struct gl_change_page p;
        assert_int_equal(st->changes->list(st, &f, &p, &err), 0);
        pages++;
        for (size_t i = 0; i < p.len; i++) {
            assert_int_equal(p.items[i].id, expect);
            expect -= step;
        }
        seen += p.len;
        assert_true(p.len == (size_t)f.limit || p.next_cursor == 0);
        f.before_id = p.next_cursor;
        gl_change_page_release(&p);
    } while (f.before_id);
    assert_int_equal(seen, total);
    assert_int_equal(pages, (total + (size_t)f.limit - 1) / (size_t)f.limit + (total == 0));
}

static void test_change_list_pagination(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    int64_t acme = add_client(st, "acme"), globex = add_client(st, "globex");
    int64_t web = add_ci(st, acme, "web", "server");
    int64_t first = 0, last = 0;
    for (int i = 0; i < 46; i++) {
        int64_t client = i % 2 ? globex : acme;
        int64_t id =
            add_change(st, &(struct spec){client, GL_TYPE_NORMAL, GL_STATE_DRAFT, "routine upgrade",
                                          NULL, client == acme ? web : 0, 0, 0});
        if (!first)
            first = id;
        last = id;
    }
    const int64_t U = GL_TIME_UNSET;
    walk_pages(st, (struct gl_change_filter){.from = U, .to = U, .limit = 5}, 46, last, 1);
    walk_pages(st, (struct gl_change_filter){.from = U, .to = U, .limit = 23}, 46, last, 1);
    walk_pages(st, (struct gl_change_filter){.from = U, .to = U, .limit = 200}, 46, last, 1);
    walk_pages(st, (struct gl_change_filter){.client_id = acme, .from = U, .to = U, .limit = 4}, 23,
               last - 1, 2);
    walk_pages(st, (struct gl_change_filter){.ci_id = web, .from = U, .to = U, .limit = 7}, 23,
               last - 1, 2);
    walk_pages(st, (struct gl_change_filter){.text = "routine", .from = U, .to = U, .limit = 6}, 46,
               last, 1);
    assert_int_equal(first, last - 45);
}

static void test_change_timeline(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    int64_t acme = add_client(st, "acme");
    int64_t other = add_change(st, &(struct spec){.client = acme});
    int64_t id = add_change(st, &(struct spec){.client = acme, .title = "v1"});
    struct gl_change cur, next;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(st->changes->get(st, id, &cur, &err), 0);
        gl_change_init(&next);
        assert_int_equal(gl_change_copy(&next, &cur), 0);
        gl_change_set_str(&next.title, i ? "v3" : "v2");
        struct gl_write_ctx ctx = wctx(T0 + 10 + i, i ? "change.assess" : "change.submit");
        ctx.reason = "because";
        assert_int_equal(st->changes->update(st, &ctx, &cur, &next, &err), 0);
        gl_change_release(&cur);
        gl_change_release(&next);
    }
    struct gl_audit_list tl;
    assert_int_equal(st->changes->timeline(st, id, &tl, &err), 0);
    assert_int_equal(tl.len, 3);
    assert_string_equal(tl.items[0].action, "change.create");
    assert_string_equal(tl.items[1].action, "change.submit");
    assert_string_equal(tl.items[2].action, "change.assess");
    assert_null(tl.items[0].before_json);
    assert_non_null(strstr(tl.items[0].after_json, "\"v1\""));
    assert_non_null(strstr(tl.items[1].before_json, "\"v1\""));
    assert_non_null(strstr(tl.items[1].after_json, "\"v2\""));
    assert_non_null(strstr(tl.items[2].after_json, "\"v3\""));
    assert_string_equal(tl.items[1].reason, "because");
    assert_string_equal(tl.items[1].actor, "alice");
    assert_string_equal(tl.items[1].request_id, "req-1");
    assert_int_equal(tl.items[2].at, T0 + 11);
    assert_int_equal(tl.items[1].client_id, acme);
    for (size_t i = 0; i < tl.len; i++) {
        assert_string_equal(tl.items[i].entity, "change");
        assert_int_equal(tl.items[i].entity_id, id);
        assert_true(i == 0 || tl.items[i].id > tl.items[i - 1].id);
    }
    gl_audit_list_release(&tl);
    assert_int_equal(st->changes->timeline(st, other, &tl, &err), 0);
    assert_int_equal(tl.len, 1);
    gl_audit_list_release(&tl);
    assert_int_equal(st->changes->timeline(st, 9999, &tl, &err), GL_E_NOT_FOUND);
}

/* ---- concurrency -------------------------------------------------------------------- */

struct worker {
    struct gl_store *st;
    int64_t client;
    int failures;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 15; i++) {
        struct gl_change c, got;
        struct gl_error err;
        struct gl_write_ctx ctx = wctx(T0 + i, "change.create");
        gl_change_init(&c);
        c.client_id = w->client;
        gl_change_set_str(&c.title, "parallel");
        if (w->st->changes->create(w->st, &ctx, &c, &err) != 0 ||
            w->st->changes->get(w->st, c.id, &got, &err) != 0)
            w->failures++;
        else
            gl_change_release(&got);
        gl_change_release(&c);
        struct gl_change_filter f = {
            .client_id = w->client, .from = GL_TIME_UNSET, .to = GL_TIME_UNSET, .limit = 10};
        struct gl_change_page p;
        if (w->st->changes->list(w->st, &f, &p, &err) != 0)
            w->failures++;
        gl_change_page_release(&p);
    }
    return NULL;
}

static void test_concurrent_writers(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    enum { NTHREADS = 12 }; /* more than the pool holds */
    pthread_t t[NTHREADS];
    struct worker w[NTHREADS];
    int64_t acme = add_client(st, "acme");
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (struct worker){st, acme, 0};
        assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    assert_int_equal(verify_chain(st), 1 + NTHREADS * 15);
}

/* Group commit batches concurrent creates into shared transactions, one savepoint each.
 * Creates referencing a missing CI fail inside those batches; the test proves each failure
 * undoes exactly its own job: every success is stored and audited, no failure leaves a
 * row or an event behind, and the audit chain stays one unbroken line. */
enum { GC_THREADS = 16, GC_PER_THREAD = 25, GC_FAIL_EVERY = 5 };
#define GC_MISSING_CI INT64_C(999999)

struct gc_writer {
    struct gl_store *st;
    pthread_barrier_t *start;
    int64_t client, ci;
    int index;
    int64_t ids[GC_PER_THREAD]; /* the id after the call: assigned, or kept (0) on failure */
    int rc[GC_PER_THREAD];
    char field[GC_PER_THREAD][64];
};

static void gc_title(int writer, int i, char *out, size_t size)
{
    snprintf(out, size, "group commit w%02d c%02d", writer, i);
}

static bool gc_should_fail(int i)
{
    return i % GC_FAIL_EVERY == GC_FAIL_EVERY - 1;
}

/* No cmocka asserts here: they are not thread-safe. Results are checked on the main thread. */
static void *gc_writer_main(void *arg)
{
    struct gc_writer *w = arg;
    pthread_barrier_wait(w->start);
    for (int i = 0; i < GC_PER_THREAD; i++) {
        struct gl_change c;
        struct gl_error err;
        char title[64];
        struct gl_write_ctx ctx = wctx(T0 + i, "change.create");
        gl_change_init(&c);
        gl_error_clear(&err);
        c.client_id = w->client;
        gc_title(w->index, i, title, sizeof title);
        gl_change_set_str(&c.title, title);
        gl_idlist_push(&c.ci_ids, w->ci);
        if (gc_should_fail(i))
            gl_idlist_push(&c.ci_ids, GC_MISSING_CI);
        w->rc[i] = w->st->changes->create(w->st, &ctx, &c, &err);
        w->ids[i] = c.id;
        snprintf(w->field[i], sizeof w->field[i], "%s", w->rc[i] ? err.field : "");
        gl_change_release(&c);
    }
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void test_concurrent_writes_group_commit_keeps_failures_isolated(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    struct gc_writer w[GC_THREADS];
    pthread_t t[GC_THREADS];
    pthread_barrier_t start;
    int64_t acme = add_client(st, "acme");
    int64_t web = add_ci(st, acme, "web", "server");
    assert_int_equal(pthread_barrier_init(&start, NULL, GC_THREADS), 0);
    for (int i = 0; i < GC_THREADS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].st = st;
        w[i].start = &start;
        w[i].client = acme;
        w[i].ci = web;
        w[i].index = i;
        assert_int_equal(pthread_create(&t[i], NULL, gc_writer_main, &w[i]), 0);
    }
    for (int i = 0; i < GC_THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);

    /* Each create succeeded or failed as its input says, and successes are readable. */
    enum { WANT_OK = GC_THREADS * (GC_PER_THREAD - GC_PER_THREAD / GC_FAIL_EVERY) };
    int64_t ok_ids[GC_THREADS * GC_PER_THREAD];
    size_t nok = 0;
    for (int k = 0; k < GC_THREADS; k++) {
        for (int i = 0; i < GC_PER_THREAD; i++) {
            char title[64];
            gc_title(k, i, title, sizeof title);
            if (gc_should_fail(i)) {
                assert_int_equal(w[k].rc[i], GL_E_INVALID);
                assert_string_equal(w[k].field[i], "cis");
                assert_int_equal(w[k].ids[i], 0);
                continue;
            }
            assert_int_equal(w[k].rc[i], 0);
            struct gl_change got;
            assert_int_equal(st->changes->get(st, w[k].ids[i], &got, &err), 0);
            assert_string_equal(got.title, title);
            assert_int_equal(got.client_id, acme);
            assert_int_equal(got.ci_ids.len, 1);
            assert_int_equal(got.ci_ids.items[0], web);
            gl_change_release(&got);
            ok_ids[nok++] = w[k].ids[i];
        }
    }
    assert_int_equal(nok, WANT_OK);
    qsort(ok_ids, nok, sizeof ok_ids[0], cmp_i64);
    for (size_t i = 1; i < nok; i++)
        assert_true(ok_ids[i] > ok_ids[i - 1]); /* every success got its own id */

    /* The stored changes are exactly the successes: no failed create left a row. */
    struct gl_change_filter f = {.from = GL_TIME_UNSET, .to = GL_TIME_UNSET, .limit = 37};
    size_t listed = 0;
    do {
        struct gl_change_page p;
        assert_int_equal(st->changes->list(st, &f, &p, &err), 0);
        for (size_t i = 0; i < p.len; i++) {
            assert_non_null(bsearch(&p.items[i].id, ok_ids, nok, sizeof ok_ids[0], cmp_i64));
            listed++;
        }
        f.before_id = p.next_cursor;
        gl_change_page_release(&p);
    } while (f.before_id);
    assert_int_equal(listed, nok);

    /* The chain verifies end to end and holds one change.create per success, no more. */
    assert_int_equal(verify_chain(st), 2 + nok);
    struct gl_audit_list l;
    assert_int_equal(st->audit->list(st, 0, 100000, &l, &err), 0);
    size_t creates = 0;
    for (size_t i = 0; i < l.len; i++) {
        if (strcmp(l.items[i].action, "change.create") != 0)
            continue;
        assert_non_null(bsearch(&l.items[i].entity_id, ok_ids, nok, sizeof ok_ids[0], cmp_i64));
        creates++;
    }
    gl_audit_list_release(&l);
    assert_int_equal(creates, nok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_change_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_bad_references, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_list_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_text_search, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_list_pagination, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_timeline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writes_group_commit_keeps_failures_isolated,
                                        setup, teardown),
    };
    return cmocka_run_group_tests_name("store-sqlite-changes", tests, NULL, NULL);
}
