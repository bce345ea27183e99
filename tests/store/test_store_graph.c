/*
 * test_store_graph.c - the CI graph in the store: relation add / delete / list (audited,
 * duplicates and missing CIs refused), the graph reader's adjacency in both directions
 * (fed to the core walk), and the what-changed reads (states that count, window overlap,
 * per CI and per client), and the in-memory copy of the graph (same answers, stale after
 * graph writes). The program runs twice: as is, and with GL_GRAPH_CACHE=off.
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
#include <time.h>

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
    return st->cis->relation_add(st, &ctx, &r, &err);
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
    assert_int_equal(st->cis->relations(st, vm, &l, &err), 0);
    assert_int_equal(l.len, 3); /* out: vm -> san; in: app -> vm twice */
    assert_int_equal(l.items[0].from_ci, vm);
    assert_int_equal(l.items[0].to_ci, san);
    assert_int_equal(l.items[0].to_client, 0);
    assert_int_equal(l.items[0].from_client, k);
    assert_int_equal(l.items[1].from_ci, app);
    gl_ci_relation_list_release(&l);

    struct gl_write_ctx ctx = wctx(T0, "ci.unrelate");
    struct gl_ci_relation r = {.from_ci = app, .to_ci = vm, .kind = GL_REL_CONNECTS_TO};
    assert_int_equal(st->cis->relation_delete(st, &ctx, &r, &err), 0);
    assert_int_equal(st->cis->relation_delete(st, &ctx, &r, &err), GL_E_NOT_FOUND);
    assert_int_equal(st->cis->relations(st, app, &l, &err), 0);
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
    return c->st->graph->adjacent(c->r, id, c->forward, out, err);
}

static void walk(struct gl_store *st, int64_t root, bool forward, struct gl_impact *im)
{
    struct reader_ctx c = {st, NULL, forward};
    struct gl_error err;
    struct gl_ci ci;
    assert_int_equal(st->cis->get(st, root, &ci, &err), 0);
    struct gl_graph_node n = {ci.id, ci.client_id, ci.criticality, ci.users_affected};
    gl_ci_release(&ci);
    assert_int_equal(st->graph->begin(st, &c.r, &err), 0);
    assert_int_equal(gl_impact_walk(&n, GL_IMPACT_DEPTH_MAX, reader_adjacent, &c, im, &err), 0);
    st->graph->end(c.r);
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
    assert_int_equal(st->graph->begin(st, &r, &err), 0);
    assert_int_equal(
        st->graph->changes(r, ci ? &ci : NULL, ci ? 1 : 0, client, since, until, rows, &err), 0);
    st->graph->end(r);
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
    assert_int_equal(st->graph->begin(st, &r, &err), 0);
    assert_int_equal(st->graph->changes(r, both, 2, 0, T0 - HOUR, T0 + 24 * HOUR, &rows, &err), 0);
    st->graph->end(r);
    assert_int_equal(rows.len, 3);
    gl_wc_rows_release(&rows);
}

/* Waits (up to 5 s) for a reader that walks the in-memory graph; returns it, or NULL
 * when the store never offers one (GL_GRAPH_CACHE=off). The rebuild that a stale graph
 * triggers runs in the background, at most once a second. */
static struct gl_graph_reader *memory_reader(struct gl_store *st)
{
    struct gl_error err;
    for (int i = 0; i < 500; i++) {
        struct gl_graph_reader *r;
        assert_int_equal(st->graph->begin(st, &r, &err), 0);
        if (st->graph->in_memory(r))
            return r;
        st->graph->end(r);
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void walk_with(struct gl_store *st, struct gl_graph_reader *r, int64_t root, bool forward,
                      struct gl_impact *im)
{
    struct reader_ctx c = {st, r, forward};
    struct gl_error err;
    struct gl_ci ci;
    assert_int_equal(st->cis->get(st, root, &ci, &err), 0);
    struct gl_graph_node n = {ci.id, ci.client_id, ci.criticality, ci.users_affected};
    gl_ci_release(&ci);
    assert_int_equal(gl_impact_walk(&n, GL_IMPACT_DEPTH_MAX, reader_adjacent, &c, im, &err), 0);
}

/* The in-memory graph answers exactly as SQL does, and a graph write (relation, a CI's
 * criticality) makes readers fall back to SQL until the copy is rebuilt. */
static void test_in_memory_graph_follows_writes(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    const char *env = getenv("GL_GRAPH_CACHE");
    bool enabled = !env || (strcmp(env, "off") && strcmp(env, "0"));
    int64_t a = add_client(st, "acme"), b = add_client(st, "beta");
    int64_t app = add_ci(st, a, "app", "application");
    int64_t vm = add_ci(st, a, "vm", "server");
    int64_t san = add_ci(st, 0, "san", "storage");
    int64_t db = add_ci(st, b, "db", "database");
    assert_int_equal(relate(st, app, GL_REL_RUNS_ON, vm), 0);
    assert_int_equal(relate(st, vm, GL_REL_DEPENDS_ON, san), 0);
    assert_int_equal(relate(st, db, GL_REL_DEPENDS_ON, san), 0);
    assert_int_equal(relate(st, vm, GL_REL_CONNECTS_TO, app), 0);

    struct gl_impact sql, mem;
    walk(st, san, false, &sql); /* right after the writes: SQL */
    struct gl_graph_reader *r = memory_reader(st);
    if (!enabled) {
        assert_null(r);
        gl_impact_release(&sql);
        return;
    }
    assert_non_null(r);
    walk_with(st, r, san, false, &mem);
    st->graph->end(r);
    assert_int_equal(mem.len, 4);
    assert_int_equal(mem.len, sql.len);
    for (size_t i = 0; i < mem.len; i++) {
        assert_int_equal(mem.nodes[i].ci.ci_id, sql.nodes[i].ci.ci_id);
        assert_int_equal(mem.nodes[i].ci.client_id, sql.nodes[i].ci.client_id);
        assert_int_equal(mem.nodes[i].ci.criticality, sql.nodes[i].ci.criticality);
        assert_int_equal(mem.nodes[i].ci.users_affected, sql.nodes[i].ci.users_affected);
        assert_int_equal(mem.nodes[i].depth, sql.nodes[i].depth);
        assert_int_equal(mem.nodes[i].kind, sql.nodes[i].kind);
    }
    gl_impact_release(&sql);
    gl_impact_release(&mem);

    /* A new edge: the copy is stale, so the next reader queries and sees it. */
    int64_t web = add_ci(st, a, "web", "application");
    assert_int_equal(relate(st, web, GL_REL_DEPENDS_ON, app), 0);
    struct gl_error err;
    assert_int_equal(st->graph->begin(st, &r, &err), 0);
    assert_false(st->graph->in_memory(r));
    walk_with(st, r, san, false, &sql);
    st->graph->end(r);
    assert_int_equal(sql.len, 5);
    gl_impact_release(&sql);

    /* Rebuilt, the copy has it too. */
    r = memory_reader(st);
    assert_non_null(r);
    walk_with(st, r, san, false, &mem);
    st->graph->end(r);
    assert_int_equal(mem.len, 5);
    assert_int_equal(mem.nodes[4].ci.ci_id, web);
    gl_impact_release(&mem);

    /* A CI's criticality is part of the copy: changing it makes the copy stale. */
    struct gl_ci before, after;
    assert_int_equal(st->cis->get(st, web, &before, &err), 0);
    assert_int_equal(st->cis->get(st, web, &after, &err), 0);
    after.criticality = 5;
    struct gl_write_ctx ctx = wctx(T0, "ci.update");
    assert_int_equal(st->cis->update(st, &ctx, &before, &after, &err), 0);
    gl_ci_release(&before);
    gl_ci_release(&after);
    assert_int_equal(st->graph->begin(st, &r, &err), 0);
    assert_false(st->graph->in_memory(r));
    st->graph->end(r);
    r = memory_reader(st);
    assert_non_null(r);
    walk_with(st, r, san, false, &mem);
    st->graph->end(r);
    assert_int_equal(mem.nodes[4].ci.criticality, 5);
    gl_impact_release(&mem);
}

/* ---- bulk import with relations ------------------------------------------------------ */

struct import_row {
    struct gl_ci ci;
    struct gl_error err;
    struct gl_ci_link links[2];
};

static void import_row_init(struct import_row *r, int64_t client, const char *name,
                            const char *link1, const char *link2)
{
    memset(r, 0, sizeof *r);
    gl_ci_init(&r->ci);
    r->ci.client_id = client;
    r->ci.name = strdup(name);
    r->ci.type = strdup("server");
    r->ci.criticality = 3;
    r->links[0] = (struct gl_ci_link){GL_REL_DEPENDS_ON, (char *)link1};
    r->links[1] = (struct gl_ci_link){GL_REL_RUNS_ON, (char *)link2};
}

/* Refuses to update a stored CI named "locked" (as a permission check would). */
static int refuse_locked(void *ud, const struct gl_ci *stored, struct gl_error *err)
{
    if (strcmp(stored->name, "locked") == 0)
        return gl_error_set(err, GL_E_FORBIDDEN, "id", "locked");
    return 0;
}

static size_t out_degree(struct gl_store *st, int64_t ci)
{
    struct gl_ci_relation_list l;
    struct gl_error err;
    size_t n = 0;
    assert_int_equal(st->cis->relations(st, ci, &l, &err), 0);
    for (size_t i = 0; i < l.len; i++)
        n += l.items[i].from_ci == ci;
    gl_ci_relation_list_release(&l);
    return n;
}

static void test_import_links(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    int64_t k = add_client(st, "acme");
    int64_t locked = add_ci(st, k, "locked", "server");
    int64_t db = add_ci(st, k, "db", "database");
    enum { N = 5 };
    struct import_row rows[N];
    struct gl_ci_import items[N];
    /* 0 renames the locked CI to "x" and is refused by the check while being written;
     * 1 needs "x" (only row 0 would have provided it), so it must go too, whole;
     * 2 names a later row and a stored CI; 3 is that later row; 4 names nothing known. */
    import_row_init(&rows[0], k, "x", NULL, NULL);
    import_row_init(&rows[1], k, "needs-x", "x", NULL);
    import_row_init(&rows[2], k, "app", "db", "vm");
    import_row_init(&rows[3], k, "vm", NULL, NULL);
    import_row_init(&rows[4], k, "lost", "nowhere", NULL);
    size_t nlinks[N] = {0, 1, 2, 0, 1};
    for (int i = 0; i < N; i++)
        items[i] = (struct gl_ci_import){&rows[i].ci, i == 0 ? locked : 0, GL_IMPORT_PENDING,
                                         &rows[i].err, rows[i].links, nlinks[i], true};
    struct gl_write_ctx ctx = wctx(T0 + HOUR, NULL);
    struct gl_error err;
    size_t audit_before = audit_count(st);
    assert_int_equal(st->cis->import(st, &ctx, items, N, false, refuse_locked, NULL, &err), 0);
    assert_int_equal(items[0].outcome, GL_IMPORT_REJECTED);
    assert_int_equal(rows[0].err.code, GL_E_FORBIDDEN);
    assert_int_equal(items[1].outcome, GL_IMPORT_REJECTED);
    assert_string_equal(rows[1].err.field, "depends_on");
    assert_int_equal(items[2].outcome, GL_IMPORT_CREATED);
    assert_int_equal(items[3].outcome, GL_IMPORT_CREATED);
    assert_int_equal(items[4].outcome, GL_IMPORT_REJECTED);
    assert_non_null(strstr(rows[4].err.detail, "nowhere"));
    int64_t app = rows[2].ci.id, vm = rows[3].ci.id;
    assert_int_equal(out_degree(st, app), 2);
    assert_int_equal(out_degree(st, vm), 0);
    assert_int_equal(out_degree(st, db), 0);
    /* two rows written (ci.create each) and two relations (ci.relate each): nothing of
     * the redone pass and nothing of the rejected rows is left in the log */
    assert_int_equal(audit_count(st) - audit_before, 4);
    struct gl_ci_page page = {0};
    struct gl_ci_filter f = {.client_id = k, .limit = 50};
    assert_int_equal(st->cis->list(st, &f, &page, &err), 0);
    assert_int_equal(page.len, 4); /* locked, db, app, vm */
    gl_ci_page_release(&page);

    /* Again, as a dry run: every row UNCHANGED, nothing written. */
    for (int i = 2; i < 4; i++) {
        items[i].outcome = GL_IMPORT_PENDING;
        items[i].match_id = 0;
    }
    items[0].outcome = items[1].outcome = items[4].outcome = GL_IMPORT_REJECTED;
    size_t audit_mid = audit_count(st);
    assert_int_equal(st->cis->import(st, &ctx, items, N, true, refuse_locked, NULL, &err), 0);
    assert_int_equal(items[2].outcome, GL_IMPORT_UNCHANGED);
    assert_int_equal(items[3].outcome, GL_IMPORT_UNCHANGED);
    assert_int_equal(audit_count(st), audit_mid);

    /* The named relations of the export: by target name, with the target's client. */
    struct gl_ci_named_links named;
    int64_t ids[] = {app, vm};
    assert_int_equal(st->cis->named_links(st, ids, 2, &named, &err), 0);
    assert_int_equal(named.len, 2);
    assert_int_equal(named.items[0].from_ci, app);
    assert_int_equal(named.items[0].link.kind, GL_REL_DEPENDS_ON);
    assert_string_equal(named.items[0].link.name, "db");
    assert_int_equal(named.items[0].to_client, k);
    assert_int_equal(named.items[1].link.kind, GL_REL_RUNS_ON);
    assert_string_equal(named.items[1].link.name, "vm");
    gl_ci_named_links_release(&named);
    for (int i = 0; i < N; i++)
        gl_ci_release(&rows[i].ci);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_relation_add_list_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_walks_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(test_what_changed_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_memory_graph_follows_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_links, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
