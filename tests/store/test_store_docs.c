/*
 * test_store_docs.c - the stored renderings of changes (store.h, struct gl_change_doc):
 * change_get_doc and change_list_docs.
 *
 * The invariant under test: a rendering is exactly what the codec makes of the record as
 * stored. Whatever change_get / change_list return, the doc reads return the same ids, in
 * the same order, with the same cursors, and json byte-identical to gl_json_change_dump of
 * that record, written in the same transaction as the record, so a failed write changes
 * neither. A change without a rendering still reads, with format 0 and no json, telling
 * the caller to re-encode.
 *
 * Same fixture and rules as test_store.c: a fresh database per test, only store.h and
 * fixture.h (backend_raw_exec removes renderings behind the store's back).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec/json.h"
#include "fixture.h"
#include "store/store.h"

#include "util/banned.h"

/* ---- helpers ------------------------------------------------------------------------ */

/* d is the current rendering of record c: same head, current format, the codec's bytes. */
static void assert_doc_renders(const struct gl_change_doc *d, const struct gl_change *c)
{
    char *want = gl_json_change_dump(c);
    assert_non_null(want);
    assert_int_equal(d->id, c->id);
    assert_int_equal(d->version, c->version);
    assert_int_equal(d->client_id, c->client_id);
    assert_int_equal(d->format, GL_JSON_CHANGE_FORMAT);
    assert_non_null(d->json);
    assert_int_equal(strlen(d->json), strlen(want));
    assert_string_equal(d->json, want);
    free(want);
}

/* Reads change id both ways and checks the rendering against the record; returns a copy
 * of the rendering's json (the caller frees it). */
static char *expect_doc_current(struct gl_store *st, int64_t id)
{
    struct gl_change c;
    struct gl_change_doc d;
    struct gl_error err;
    assert_int_equal(st->changes->get(st, id, &c, &err), 0);
    assert_int_equal(st->changes->get_doc(st, id, &d, &err), 0);
    assert_doc_renders(&d, &c);
    char *json = d.json;
    d.json = NULL;
    gl_change_doc_release(&d);
    gl_change_release(&c);
    return json;
}

/* Runs f through change_list and change_list_docs and checks they agree item by item and
 * on the cursor. Returns the number of items; *next receives the shared cursor. */
static size_t expect_same_page(struct gl_store *st, const struct gl_change_filter *f, int64_t *next)
{
    struct gl_change_page p;
    struct gl_change_doc_page d;
    struct gl_error err;
    int rc = st->changes->list(st, f, &p, &err);
    if (rc)
        print_error("change_list: %s\n", err.detail);
    assert_int_equal(rc, 0);
    rc = st->changes->list_docs(st, f, &d, &err);
    if (rc)
        print_error("change_list_docs: %s\n", err.detail);
    assert_int_equal(rc, 0);
    assert_int_equal(d.len, p.len);
    assert_int_equal(d.next_cursor, p.next_cursor);
    for (size_t i = 0; i < p.len; i++)
        assert_doc_renders(&d.items[i], &p.items[i]);
    size_t n = p.len;
    *next = p.next_cursor;
    gl_change_doc_page_release(&d);
    gl_change_page_release(&p);
    return n;
}

/* One page of f through both reads; checks the number of items and that it is the last. */
static void expect_same_list(struct gl_store *st, struct gl_change_filter f, size_t want)
{
    int64_t next = -1;
    assert_int_equal(expect_same_page(st, &f, &next), want);
    assert_int_equal(next, 0);
}

/* Walks every page of f through both reads in step; checks the total and page count. */
static void expect_same_pages(struct gl_store *st, struct gl_change_filter f, size_t total)
{
    size_t seen = 0, pages = 0;
    do {
        int64_t next = 0;
        size_t n = expect_same_page(st, &f, &next);
        assert_true(n == (size_t)f.limit || next == 0);
        seen += n;
        pages++;
        f.before_id = next;
    } while (f.before_id);
    assert_int_equal(seen, total);
    assert_int_equal(pages, (total + (size_t)f.limit - 1) / (size_t)f.limit + (total == 0));
}

/* Removes the rendering of change id below the store, as if written before renderings. */
static void drop_doc(const struct fx *fx, int64_t id)
{
    char sql[128];
    snprintf(sql, sizeof sql, "DELETE FROM change_docs WHERE change_id = %lld", (long long)id);
    assert_int_equal(backend_raw_exec(fx->dir, sql), 0);
}

/* A copy of `from` to edit into the next version; release with gl_change_release. */
static void copy_change(struct gl_change *to, const struct gl_change *from)
{
    gl_change_init(to);
    assert_int_equal(gl_change_copy(to, from), 0);
}

/* ---- bringing renderings up to date ------------------------------------------------- */

static void test_rerender_stale_and_missing(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    struct gl_error err;
    int64_t acme = add_client(st, "acme");
    int64_t current = add_change(st, &(struct spec){.client = acme, .title = "current"});
    int64_t stale = add_change(st, &(struct spec){.client = acme, .title = "stale"});
    int64_t bare = add_change(st, &(struct spec){.client = acme, .title = "bare"});
    char *want = expect_doc_current(st, stale);
    char sql[160];
    snprintf(sql, sizeof sql,
             "UPDATE change_docs SET format = %d, json = '{}' WHERE change_id = %lld",
             GL_JSON_CHANGE_FORMAT - 1, (long long)stale);
    assert_int_equal(backend_raw_exec(fx->dir, sql), 0);
    drop_doc(fx, bare);

    int64_t done = -1;
    assert_int_equal(st->changes->rerender(st, &done, &err), 0);
    assert_int_equal(done, 2);
    char *got = expect_doc_current(st, stale);
    assert_string_equal(got, want);
    free(got);
    free(want);
    free(expect_doc_current(st, bare));
    free(expect_doc_current(st, current));
    assert_int_equal(st->changes->rerender(st, &done, &err), 0);
    assert_int_equal(done, 0);
}

/* ---- single reads ------------------------------------------------------------------- */

static void test_doc_after_create(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    int64_t acme = add_client(st, "acme"), globex = add_client(st, "globex");
    int64_t ci1 = add_ci(st, acme, "web-01", "server");
    int64_t ci2 = add_ci(st, 0, "core", "network_device");
    int64_t rel = add_change(st, &(struct spec){.client = acme});
    int64_t theirs = add_change(st, &(struct spec){.client = globex, .title = "theirs"});

    struct gl_change c;
    fill_full_change(&c, acme, ci1, ci2, rel);
    struct gl_write_ctx ctx = wctx(T0 + 5, "change.create");
    assert_int_equal(st->changes->create(st, &ctx, &c, &err), 0);

    struct gl_change_doc d;
    assert_int_equal(st->changes->get_doc(st, c.id, &d, &err), 0);
    assert_int_equal(d.id, c.id);
    assert_int_equal(d.format, GL_JSON_CHANGE_FORMAT);
    assert_int_equal(d.version, 1);
    assert_int_equal(d.client_id, acme);
    gl_change_doc_release(&d);

    /* full, sparse, and another client's change all render as change_get reads them */
    free(expect_doc_current(st, c.id));
    free(expect_doc_current(st, rel));
    assert_int_equal(st->changes->get_doc(st, theirs, &d, &err), 0);
    assert_int_equal(d.client_id, globex);
    assert_int_equal(d.version, 1);
    gl_change_doc_release(&d);
    free(expect_doc_current(st, theirs));
    gl_change_release(&c);
}

static void test_doc_missing(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    struct gl_change_doc d;
    assert_int_equal(st->changes->get_doc(st, 12345, &d, &err), GL_E_NOT_FOUND);
    assert_int_equal(err.code, GL_E_NOT_FOUND);
    int64_t acme = add_client(st, "acme");
    int64_t id = add_change(st, &(struct spec){.client = acme});
    assert_int_equal(st->changes->get_doc(st, id + 1, &d, &err), GL_E_NOT_FOUND);
    assert_int_equal(st->changes->get_doc(st, 0, &d, &err), GL_E_NOT_FOUND);

    /* an empty list, and the limits change_list refuses */
    const int64_t U = GL_TIME_UNSET;
    expect_same_list(
        st, (struct gl_change_filter){.client_id = 999, .from = U, .to = U, .limit = 5}, 0);
    struct gl_change_doc_page p;
    struct gl_change_filter bad = {.from = U, .to = U, .limit = 0};
    assert_int_equal(st->changes->list_docs(st, &bad, &p, &err), GL_E_INVALID);
    bad.limit = GL_LIST_MAX + 1;
    assert_int_equal(st->changes->list_docs(st, &bad, &p, &err), GL_E_INVALID);
}

/* ---- writes keep the rendering in step ---------------------------------------------- */

static void test_doc_follows_update(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    int64_t acme = add_client(st, "acme"), globex = add_client(st, "globex");
    int64_t ci1 = add_ci(st, acme, "a", "server"), ci2 = add_ci(st, acme, "b", "server");
    int64_t id = add_change(st, &(struct spec){.client = acme, .title = "old title", .ci = ci1});
    char *v1 = expect_doc_current(st, id);

    struct gl_change before, after;
    assert_int_equal(st->changes->get(st, id, &before, &err), 0);
    copy_change(&after, &before);
    gl_change_set_str(&after.title, "new title");
    after.state = GL_STATE_SUBMITTED;
    gl_idlist_push(&after.ci_ids, ci2);
    gl_strlist_push(&after.incidents, "INC-7");
    struct gl_write_ctx ctx = wctx(T0 + 100, "change.submit");
    assert_int_equal(st->changes->update(st, &ctx, &before, &after, &err), 0);
    assert_int_equal(after.version, 2);
    char *v2 = expect_doc_current(st, id);
    assert_string_not_equal(v2, v1);
    assert_non_null(strstr(v2, "new title"));

    /* stale: `before` is still version 1; the rendering stays version 2 */
    struct gl_change lost;
    copy_change(&lost, &before);
    gl_change_set_str(&lost.title, "lost update");
    assert_int_equal(st->changes->update(st, &ctx, &before, &lost, &err), GL_E_STALE);
    struct gl_change_doc d;
    assert_int_equal(st->changes->get_doc(st, id, &d, &err), 0);
    assert_int_equal(d.version, 2);
    assert_string_equal(d.json, v2);
    gl_change_doc_release(&d);

    /* a refused reference: nothing of the update reaches the rendering either */
    struct gl_change bad;
    copy_change(&bad, &after);
    gl_idlist_push(&bad.ci_ids, 31337);
    gl_change_set_str(&bad.title, "should not stick");
    assert_int_equal(st->changes->update(st, &ctx, &after, &bad, &err), GL_E_INVALID);
    char *still = expect_doc_current(st, id);
    assert_string_equal(still, v2);

    /* moving to another client: the head and the embedded client key follow */
    struct gl_change moved;
    copy_change(&moved, &after);
    moved.client_id = globex;
    moved.ci_ids.len = 0;
    gl_change_set_str(&moved.client_key, "stale key from the caller");
    ctx = wctx(T0 + 200, "change.update");
    assert_int_equal(st->changes->update(st, &ctx, &after, &moved, &err), 0);
    assert_int_equal(st->changes->get_doc(st, id, &d, &err), 0);
    assert_int_equal(d.version, 3);
    assert_int_equal(d.client_id, globex);
    assert_non_null(strstr(d.json, "\"globex\""));
    gl_change_doc_release(&d);
    free(expect_doc_current(st, id));

    free(v1);
    free(v2);
    free(still);
    gl_change_release(&before);
    gl_change_release(&after);
    gl_change_release(&lost);
    gl_change_release(&bad);
    gl_change_release(&moved);
}

/* ---- lists -------------------------------------------------------------------------- */

static void test_doc_list_matches_list(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    int64_t acme = add_client(st, "acme"), globex = add_client(st, "globex");
    int64_t web = add_ci(st, acme, "web", "server"), shared = add_ci(st, 0, "core", "switch");
    add_change(st, &(struct spec){acme, GL_TYPE_NORMAL, GL_STATE_DRAFT, "Upgrade PostgreSQL",
                                  "database work", web, T0, T0 + HOUR});
    int64_t a2 = add_change(st, &(struct spec){acme, GL_TYPE_STANDARD, GL_STATE_SCHEDULED,
                                               "Patch web servers", "monthly patching", web,
                                               T0 + 2 * HOUR, T0 + 3 * HOUR});
    add_change(st,
               &(struct spec){globex, GL_TYPE_EMERGENCY, GL_STATE_SUBMITTED, "Replace core switch",
                              "fail-over", shared, T0 + 5 * HOUR, T0 + 6 * HOUR});
    add_change(st, &(struct spec){globex, GL_TYPE_NORMAL, GL_STATE_DRAFT, "Upgrade firewall", NULL,
                                  0, 0, 0});

    /* one listed change at version 2, so versions differ within a page */
    struct gl_change cur, next;
    assert_int_equal(st->changes->get(st, a2, &cur, &err), 0);
    copy_change(&next, &cur);
    gl_change_set_str(&next.description, "monthly patching, now with reboots");
    struct gl_write_ctx ctx = wctx(T0 + 60, "change.update");
    assert_int_equal(st->changes->update(st, &ctx, &cur, &next, &err), 0);
    gl_change_release(&cur);
    gl_change_release(&next);

    const int64_t U = GL_TIME_UNSET;
    struct gl_scope only_acme = {.all = false, .client_ids = &acme, .n = 1};
    struct gl_scope nothing = {.all = false, .client_ids = NULL, .n = 0};
    const struct {
        struct gl_change_filter f;
        size_t want;
    } cases[] = {
        {{.from = U, .to = U, .limit = 50}, 4},
        {{.client_id = acme, .from = U, .to = U, .limit = 50}, 2},
        {{.client_id = globex, .from = U, .to = U, .limit = 50}, 2},
        {{.state_mask = 1u << GL_STATE_DRAFT, .from = U, .to = U, .limit = 50}, 2},
        {{.state_mask = (1u << GL_STATE_SCHEDULED) | (1u << GL_STATE_SUBMITTED),
          .from = U,
          .to = U,
          .limit = 50},
         2},
        {{.type_mask = 1u << GL_TYPE_NORMAL, .from = U, .to = U, .limit = 50}, 2},
        {{.text = "upgrade", .from = U, .to = U, .limit = 50}, 2},
        {{.text = "UPGRADE postgresql", .from = U, .to = U, .limit = 50}, 1},
        {{.text = "reboots", .from = U, .to = U, .limit = 50}, 1},
        {{.ci_id = web, .from = U, .to = U, .limit = 50}, 2},
        {{.ci_id = shared, .from = U, .to = U, .limit = 50}, 1},
        {{.from = T0 + HOUR / 2, .to = T0 + 2 * HOUR + 1, .limit = 50}, 2},
        {{.from = T0 + 4 * HOUR, .to = U, .limit = 50}, 1},
        {{.from = T0 + HOUR, .to = T0 + 2 * HOUR, .limit = 50}, 0},
        {{.text = "upgrade", .ci_id = web, .from = U, .to = U, .limit = 50}, 1},
        {{.scope = &only_acme, .from = U, .to = U, .limit = 50}, 2},
        {{.scope = &nothing, .from = U, .to = U, .limit = 50}, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_same_list(st, cases[i].f, cases[i].want);
}

static void test_doc_list_pagination(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    int64_t acme = add_client(st, "acme"), globex = add_client(st, "globex");
    int64_t web = add_ci(st, acme, "web", "server");
    for (int i = 0; i < 23; i++) {
        int64_t client = i % 2 ? globex : acme;
        add_change(st,
                   &(struct spec){client, GL_TYPE_NORMAL, GL_STATE_DRAFT, "routine upgrade", NULL,
                                  client == acme ? web : 0, T0 + i * HOUR, T0 + (i + 1) * HOUR});
    }
    const int64_t U = GL_TIME_UNSET;
    expect_same_pages(st, (struct gl_change_filter){.from = U, .to = U, .limit = 1}, 23);
    expect_same_pages(st, (struct gl_change_filter){.from = U, .to = U, .limit = 5}, 23);
    expect_same_pages(st, (struct gl_change_filter){.from = U, .to = U, .limit = 23}, 23);
    expect_same_pages(st, (struct gl_change_filter){.from = U, .to = U, .limit = 200}, 23);
    expect_same_pages(
        st, (struct gl_change_filter){.client_id = acme, .from = U, .to = U, .limit = 4}, 12);
    expect_same_pages(st, (struct gl_change_filter){.ci_id = web, .from = U, .to = U, .limit = 3},
                      12);
    expect_same_pages(
        st, (struct gl_change_filter){.text = "routine", .from = U, .to = U, .limit = 6}, 23);
    expect_same_pages(
        st, (struct gl_change_filter){.from = T0 + 5 * HOUR, .to = T0 + 15 * HOUR, .limit = 3}, 10);
}

/* ---- fallback ----------------------------------------------------------------------- */

/* A change without a rendering (written before renderings existed) still reads: the head
 * comes from the record, format 0 and no json tell the caller to encode it itself. The
 * next write renders it again. */
static void test_doc_fallback_without_rendering(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    struct gl_error err;
    int64_t acme = add_client(st, "acme"), globex = add_client(st, "globex");
    int64_t kept = add_change(st, &(struct spec){.client = acme, .title = "kept"});
    int64_t bare = add_change(st, &(struct spec){.client = globex, .title = "bare"});
    struct gl_change cur, next;
    assert_int_equal(st->changes->get(st, bare, &cur, &err), 0);
    copy_change(&next, &cur);
    gl_change_set_str(&next.title, "bare, edited");
    struct gl_write_ctx ctx = wctx(T0 + 10, "change.update");
    assert_int_equal(st->changes->update(st, &ctx, &cur, &next, &err), 0);
    drop_doc(fx, bare);

    struct gl_change_doc d;
    assert_int_equal(st->changes->get_doc(st, bare, &d, &err), 0);
    assert_int_equal(d.id, bare);
    assert_int_equal(d.format, 0);
    assert_null(d.json);
    assert_int_equal(d.version, 2);
    assert_int_equal(d.client_id, globex);
    gl_change_doc_release(&d);
    free(expect_doc_current(st, kept));

    const int64_t U = GL_TIME_UNSET;
    struct gl_change_doc_page p;
    struct gl_change_filter f = {.from = U, .to = U, .limit = 10};
    assert_int_equal(st->changes->list_docs(st, &f, &p, &err), 0);
    assert_int_equal(p.len, 2);
    assert_int_equal(p.next_cursor, 0);
    assert_int_equal(p.items[0].id, bare);
    assert_int_equal(p.items[0].format, 0);
    assert_null(p.items[0].json);
    assert_int_equal(p.items[0].version, 2);
    assert_int_equal(p.items[0].client_id, globex);
    assert_int_equal(p.items[1].id, kept);
    assert_int_equal(p.items[1].format, GL_JSON_CHANGE_FORMAT);
    assert_non_null(p.items[1].json);
    gl_change_doc_page_release(&p);
    f.client_id = globex;
    assert_int_equal(st->changes->list_docs(st, &f, &p, &err), 0);
    assert_int_equal(p.len, 1);
    assert_int_equal(p.items[0].format, 0);
    assert_null(p.items[0].json);
    gl_change_doc_page_release(&p);

    /* the next write renders the change again */
    gl_change_release(&cur);
    assert_int_equal(st->changes->get(st, bare, &cur, &err), 0);
    gl_change_release(&next);
    copy_change(&next, &cur);
    next.state = GL_STATE_SUBMITTED;
    ctx = wctx(T0 + 20, "change.submit");
    assert_int_equal(st->changes->update(st, &ctx, &cur, &next, &err), 0);
    free(expect_doc_current(st, bare));
    f.client_id = 0;
    expect_same_list(st, f, 2);
    gl_change_release(&cur);
    gl_change_release(&next);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_doc_after_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doc_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doc_follows_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doc_list_matches_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doc_list_pagination, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doc_fallback_without_rendering, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rerender_stale_and_missing, setup, teardown),
    };
    return cmocka_run_group_tests_name("store-sqlite-docs", tests, NULL, NULL);
}
