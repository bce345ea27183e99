/*
 * test_store_graph.c - the CI graph in the store: relation add / delete / list (audited,
 * duplicates and missing CIs refused), the graph reader's adjacency in both directions
 * (fed to the core walk), and the what-changed reads (states that count, window overlap,
 * per CI and per client).
 *
 * Same fixture and rules as test_store.c: a fresh database per test, only store.h and
 * fixture.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/impact.h"
#include "fixture.h"
#include "store/store.h"

#include "util/banned.h"

static int relate(struct gl_store *st, int64_t from, enum gl_rel_kind kind, int64_t to)
{
    struct gl_write_ctx ctx = wctx(T0, "ci.relate");
    struct gl_ci_relation r = {.from_ci = from, .to_ci = to, .kind = kind};
    struct gl_error err;
    return st->ops->ci_relation_add(st, &ctx, &r, &err);
}

static void test_relation_add_list_delete(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    int64_t k = add_client(st, "acme");
    int64_t app = add_ci(st, k, "app", "application");
    int64_t vm = add_ci(st, k, "vm", "server");
    int64_t san = add_ci(st, 0, "san", "storage");
    size_t before = audit_count(st);
    assert_int_equal(relate(st, app, GL_REL_RUNS_ON, vm), 0);
    assert_int_equal(relate(st, vm, GL_REL_DEPENDS_ON, san), 0);
    assert_int_equal(relate(st, app, GL_REL_RUNS_ON, vm), GL_E_DUPLICATE);
    assert_int_equal(relate(st, app, GL_REL_CONNECTS_TO, vm), 0); /* another kind */
    assert_int_equal(relate(st, app, GL_REL_RUNS_ON, 999999), GL_E_INVALID);
    assert_int_equal(relate(st, 999999, GL_REL_RUNS_ON, vm), GL_E_INVALID);
    assert_int_equal(audit_count(st), before + 3);

    struct gl_ci_relation_list l;
    struct gl_error err;
    assert_int_equal(st->ops->ci_relations(st, vm, &l, &err), 0);
    assert_int_equal(l.len, 3); /* out: vm -> san; in: app -> vm twice */
    assert_int_equal(l.items[0].from_ci, vm);
    assert_int_equal(l.items[0].to_ci, san);
    assert_int_equal(l.items[0].to_client, 0);
    assert_int_equal(l.items[0].from_client, k);
    assert_int_equal(l.items[1].from_ci, app);
    gl_ci_relation_list_release(&l);

    struct gl_write_ctx ctx = wctx(T0, "ci.unrelate");
    struct gl_ci_relation r = {.from_ci = app, .to_ci = vm, .kind = GL_REL_CONNECTS_TO};
    assert_int_equal(st->ops->ci_relation_delete(st, &ctx, &r, &err), 0);
    assert_int_equal(st->ops->ci_relation_delete(st, &ctx, &r, &err), GL_E_NOT_FOUND);
    assert_int_equal(st->ops->ci_relations(st, app, &l, &err), 0);
    assert_int_equal(l.len, 1);
    gl_ci_relation_list_release(&l);
    assert_int_equal(audit_count(st), before + 4);
    verify_chain(st);
}

struct reader_ctx {
    struct gl_store *st;
    struct gl_graph_reader *r;
    bool forward;
};

static int reader_adjacent(void *ctx, int64_t id, struct gl_graph_edges *out, struct gl_error *err)
{
    struct reader_ctx *c = ctx;
    return c->st->ops->graph_adjacent(c->r, id, c->forward, out, err);
}

static void walk(struct gl_store *st, int64_t root, bool forward, struct gl_impact *im)
{
    struct reader_ctx c = {st, NULL, forward};
    struct gl_error err;
    struct gl_ci ci;
    assert_int_equal(st->ops->ci_get(st, root, &ci, &err), 0);
    struct gl_graph_node n = {ci.id, ci.client_id, ci.criticality, ci.users_affected};
    gl_ci_release(&ci);
    assert_int_equal(st->ops->graph_begin(st, &c.r, &err), 0);
    assert_int_equal(gl_impact_walk(&n, GL_IMPACT_DEPTH_MAX, reader_adjacent, &c, im, &err), 0);
    st->ops->graph_end(c.r);
}

/* app -> vm -> san (shared) <- other client's db; a cycle vm -> app too. */
static void test_reader_walks_both_ways(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    int64_t a = add_client(st, "acme"), b = add_client(st, "beta");
    int64_t app = add_ci(st, a, "app", "application");
    int64_t vm = add_ci(st, a, "vm", "server");
    int64_t san = add_ci(st, 0, "san", "storage");
    int64_t db = add_ci(st, b, "db", "database");
    assert_int_equal(relate(st, app, GL_REL_RUNS_ON, vm), 0);
    assert_int_equal(relate(st, vm, GL_REL_DEPENDS_ON, san), 0);
    assert_int_equal(relate(st, db, GL_REL_DEPENDS_ON, san), 0);
    assert_int_equal(relate(st, vm, GL_REL_CONNECTS_TO, app), 0);

    struct gl_impact im;
    walk(st, san, false, &im); /* downstream of the SAN: vm, db, app */
    assert_int_equal(im.len, 4);
    assert_int_equal(im.nodes[0].ci.client_id, 0);
    assert_int_equal(im.nodes[3].ci.ci_id, app);
    assert_int_equal(im.nodes[3].depth, 2);
    assert_int_equal(im.nodes[3].kind, GL_REL_RUNS_ON);
    gl_impact_release(&im);

    walk(st, app, true, &im); /* upstream of the app: vm, san */
    assert_int_equal(im.len, 3);
    assert_int_equal(im.nodes[1].ci.ci_id, vm);
    assert_int_equal(im.nodes[2].ci.ci_id, san);
    assert_int_equal(im.nodes[2].ci.criticality, 3);
    assert_int_equal(im.nodes[2].ci.users_affected, 10);
    gl_impact_release(&im);
}

static size_t changes(struct gl_store *st, int64_t ci, int64_t client, int64_t since, int64_t until,
                      struct gl_wc_rows *rows)
{
    struct gl_graph_reader *r;
    struct gl_error err;
    memset(rows, 0, sizeof *rows);
    assert_int_equal(st->ops->graph_begin(st, &r, &err), 0);
    assert_int_equal(
        st->ops->graph_changes(r, ci ? &ci : NULL, ci ? 1 : 0, client, since, until, rows, &err),
        0);
    st->ops->graph_end(r);
    return rows->len;
}

static void test_what_changed_rows(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    int64_t a = add_client(st, "acme");
    int64_t vm = add_ci(st, a, "vm", "server");
    int64_t other = add_ci(st, a, "other", "server");
    struct spec s = {.client = a, .type = GL_TYPE_NORMAL, .ci = vm};
    s.state = GL_STATE_COMPLETED, s.start = T0, s.end = T0 + HOUR;
    int64_t done = add_change(st, &s);
    s.state = GL_STATE_SCHEDULED, s.start = T0 + 10 * HOUR, s.end = T0 + 11 * HOUR;
    int64_t sched = add_change(st, &s);
    s.state = GL_STATE_DRAFT, s.start = T0, s.end = T0 + HOUR; /* never counts */
    add_change(st, &s);
    s.state = GL_STATE_CANCELLED;
    add_change(st, &s);
    s.state = GL_STATE_CLOSED, s.start = T0 - 100 * HOUR, s.end = T0 - 99 * HOUR; /* too old */
    add_change(st, &s);
    s.state = GL_STATE_COMPLETED, s.ci = other, s.start = T0, s.end = T0 + HOUR;
    int64_t elsewhere = add_change(st, &s);

    struct gl_wc_rows rows;
    assert_int_equal(changes(st, vm, 0, T0 - HOUR, T0 + 24 * HOUR, &rows), 2);
    int64_t got0 = rows.items[0].change_id, got1 = rows.items[1].change_id;
    assert_true((got0 == done && got1 == sched) || (got0 == sched && got1 == done));
    assert_string_equal(rows.items[0].client_key, "acme");
    assert_int_equal(rows.items[0].ci_id, vm);
    gl_wc_rows_release(&rows);
    /* [since, until) : a window ending exactly at since does not count */
    assert_int_equal(changes(st, vm, 0, T0 + HOUR, T0 + 10 * HOUR, &rows), 0);
    gl_wc_rows_release(&rows);
    assert_int_equal(changes(st, 0, a, T0 - HOUR, T0 + 24 * HOUR, &rows), 3);
    bool seen = false;
    for (size_t i = 0; i < rows.len; i++)
        seen |= rows.items[i].change_id == elsewhere;
    assert_true(seen);
    gl_wc_rows_release(&rows);
    /* several CIs in one read: a row per (change, CI) */
    struct gl_graph_reader *r;
    struct gl_error err;
    int64_t both[] = {vm, other};
    memset(&rows, 0, sizeof rows);
    assert_int_equal(st->ops->graph_begin(st, &r, &err), 0);
    assert_int_equal(st->ops->graph_changes(r, both, 2, 0, T0 - HOUR, T0 + 24 * HOUR, &rows, &err),
                     0);
    st->ops->graph_end(r);
    assert_int_equal(rows.len, 3);
    gl_wc_rows_release(&rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_relation_add_list_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_walks_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(test_what_changed_rows, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
