/*
 * test_impact.c - core/impact.c on hand-built graphs: chain, diamond, cycle, self-loop,
 * shared infrastructure across clients, depth limit; paths, totals and the what-changed
 * ranking.
 *
 * A graph is a static edge list; the adjacency callback answers "who points at X" (the
 * impact direction) or "what does X point at", like the store's reader does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/change.h"
#include "core/impact.h"

#include "util/banned.h"

struct edge {
    int64_t from, to;
};

struct graph {
    const struct edge *edges;
    size_t n;
    bool forward;
    int calls;
};

/* Node i: client (i / 100), criticality i % 5 + 1, users i. Ids 900.. are shared. */
static struct gl_graph_node node(int64_t id)
{
    return (struct gl_graph_node){id, id >= 900 ? 0 : id / 100, (int)(id % 5) + 1, id};
}

static int adjacent(void *ctx, int64_t id, struct gl_graph_edges *out, struct gl_error *err)
{
    struct graph *g = ctx;
    g->calls++;
    for (size_t i = 0; i < g->n; i++) {
        int64_t here = g->forward ? g->edges[i].from : g->edges[i].to;
        int64_t there = g->forward ? g->edges[i].to : g->edges[i].from;
        if (here == id) {
            struct gl_graph_node n = node(there);
            assert_int_equal(gl_graph_edges_push(out, &n, GL_REL_DEPENDS_ON), 0);
        }
    }
    return 0;
}

static void walk(const struct edge *e, size_t n, bool forward, int64_t root, int depth,
                 struct gl_impact *im)
{
    struct graph g = {e, n, forward, 0};
    struct gl_graph_node r = node(root);
    assert_int_equal(gl_impact_walk(&r, depth, adjacent, &g, im, NULL), 0);
}

/* The depth at which id was reached, -1 when not reached. */
static int depth_of(const struct gl_impact *im, int64_t id)
{
    for (size_t i = 0; i < im->len; i++)
        if (im->nodes[i].ci.ci_id == id)
            return im->nodes[i].depth;
    return -1;
}

static size_t index_of(const struct gl_impact *im, int64_t id)
{
    for (size_t i = 0; i < im->len; i++)
        if (im->nodes[i].ci.ci_id == id)
            return i;
    fail_msg("node %lld not reached", (long long)id);
    return 0;
}

/* 101 -> 102 -> 103 -> 104: a change on 104 reaches 103, 102, 101 at depths 1, 2, 3. */
static void test_chain(void **state)
{
    static const struct edge e[] = {{101, 102}, {102, 103}, {103, 104}};
    struct gl_impact im;
    walk(e, 3, false, 104, GL_IMPACT_DEPTH_MAX, &im);
    assert_int_equal(im.len, 4);
    assert_int_equal(im.nodes[0].ci.ci_id, 104);
    assert_int_equal(im.nodes[0].parent, GL_IMPACT_ROOT);
    assert_int_equal(depth_of(&im, 103), 1);
    assert_int_equal(depth_of(&im, 101), 3);
    size_t path[GL_IMPACT_DEPTH_MAX + 1];
    size_t n = gl_impact_path(&im, index_of(&im, 101), path, GL_IMPACT_DEPTH_MAX + 1);
    assert_int_equal(n, 4);
    assert_int_equal(im.nodes[path[0]].ci.ci_id, 104);
    assert_int_equal(im.nodes[path[1]].ci.ci_id, 103);
    assert_int_equal(im.nodes[path[3]].ci.ci_id, 101);
    assert_false(im.truncated);
    /* Forward from 101: what it depends on. */
    gl_impact_release(&im);
    walk(e, 3, true, 101, GL_IMPACT_DEPTH_MAX, &im);
    assert_int_equal(depth_of(&im, 104), 3);
    gl_impact_release(&im);
}

/* Diamond: 101 and 102 depend on 103; 100 depends on both: 100 is reached once, at 2. */
static void test_diamond(void **state)
{
    static const struct edge e[] = {{101, 103}, {102, 103}, {100, 101}, {100, 102}};
    struct gl_impact im;
    walk(e, 4, false, 103, GL_IMPACT_DEPTH_MAX, &im);
    assert_int_equal(im.len, 4);
    assert_int_equal(depth_of(&im, 100), 2);
    struct gl_impact_totals t;
    gl_impact_totals(&im, NULL, NULL, &t);
    assert_int_equal(t.users_affected, 100 + 101 + 102 + 103); /* 100 counted once */
    assert_int_equal(t.max_criticality, 4);                    /* 103 % 5 + 1 */
    gl_impact_release(&im);
}

/* A cycle 101 -> 102 -> 103 -> 101 terminates and reaches each once. */
static void test_cycle(void **state)
{
    static const struct edge e[] = {{101, 102}, {102, 103}, {103, 101}};
    struct gl_impact im;
    walk(e, 3, false, 101, GL_IMPACT_DEPTH_MAX, &im);
    assert_int_equal(im.len, 3);
    assert_int_equal(depth_of(&im, 103), 1);
    assert_int_equal(depth_of(&im, 102), 2);
    assert_false(im.truncated);
    gl_impact_release(&im);
}

static void test_self_loop(void **state)
{
    static const struct edge e[] = {{101, 101}, {102, 101}};
    struct gl_impact im;
    walk(e, 2, false, 101, GL_IMPACT_DEPTH_MAX, &im);
    assert_int_equal(im.len, 2);
    assert_int_equal(depth_of(&im, 101), 0);
    assert_int_equal(depth_of(&im, 102), 1);
    gl_impact_release(&im);
}

static bool client_one(void *ctx, const struct gl_graph_node *n)
{
    return n->client_id == 0 || n->client_id == 1;
}

/* Shared 900: clients 1 (101, 102) and 2 (201) depend on it; 202 depends on 201. */
static void test_shared_across_clients(void **state)
{
    static const struct edge e[] = {{101, 900}, {102, 900}, {201, 900}, {202, 201}};
    struct gl_impact im;
    walk(e, 4, false, 900, GL_IMPACT_DEPTH_MAX, &im);
    assert_int_equal(im.len, 5);
    assert_int_equal(depth_of(&im, 202), 2);
    struct gl_impact_totals t;
    gl_impact_totals(&im, client_one, NULL, &t);
    assert_int_equal(t.kept, 3); /* 900, 101, 102 */
    assert_int_equal(t.left_out, 2);
    assert_int_equal(t.users_affected, 900 + 101 + 102);
    gl_impact_release(&im);
}

static void test_depth_limit(void **state)
{
    static const struct edge e[] = {{101, 102}, {102, 103}, {103, 104}};
    struct gl_impact im;
    walk(e, 3, false, 104, 2, &im);
    assert_int_equal(im.len, 3);
    assert_int_equal(depth_of(&im, 101), -1);
    assert_true(im.truncated);
    gl_impact_release(&im);
    walk(e, 3, false, 104, 0, &im);
    assert_int_equal(im.len, 1);
    assert_true(im.truncated);
    gl_impact_release(&im);
    walk(e, 3, false, 104, 3, &im); /* exactly deep enough: nothing left behind */
    assert_false(im.truncated);
    gl_impact_release(&im);
    struct graph g = {e, 3, false, 0};
    struct gl_graph_node r = node(104);
    struct gl_error err;
    assert_int_equal(gl_impact_walk(&r, GL_IMPACT_DEPTH_MAX + 1, adjacent, &g, &im, &err),
                     GL_E_INVALID);
    assert_int_equal(gl_impact_walk(&r, -1, adjacent, &g, &im, &err), GL_E_INVALID);
}

static int failing(void *ctx, int64_t id, struct gl_graph_edges *out, struct gl_error *err)
{
    return gl_error_set(err, GL_E_INTERNAL, NULL, "disk on fire");
}

static void test_adjacency_error(void **state)
{
    struct gl_impact im;
    struct gl_graph_node r = node(1);
    struct gl_error err;
    assert_int_equal(gl_impact_walk(&r, 3, failing, NULL, &im, &err), GL_E_INTERNAL);
    assert_null(im.nodes);
    assert_int_equal(im.len, 0);
}

/* A wide graph: 2000 nodes all pointing at root; the visited set grows. */
static void test_wide(void **state)
{
    struct edge *e = calloc(2000, sizeof *e);
    assert_non_null(e);
    for (int i = 0; i < 2000; i++)
        e[i] = (struct edge){1000 + i, 1};
    struct gl_impact im;
    walk(e, 2000, false, 1, 3, &im);
    assert_int_equal(im.len, 2001);
    gl_impact_release(&im);
    free(e);
}

static void test_kind_names(void **state)
{
    enum gl_rel_kind k;
    assert_int_equal(gl_rel_kind_parse("runs_on", &k), 0);
    assert_int_equal(k, GL_REL_RUNS_ON);
    assert_int_equal(gl_rel_kind_parse("connects_to", &k), 0);
    assert_string_equal(gl_rel_kind_name(k), "connects_to");
    assert_int_equal(gl_rel_kind_parse("runs-on", &k), -1);
    assert_int_equal(gl_rel_kind_parse(NULL, &k), -1);
    assert_string_equal(gl_rel_kind_name(GL_REL__COUNT), "unknown");
}

/* Closest first, then most recent; a change on two CIs counts once, at its closest. */
static void test_wc_rank(void **state)
{
    struct gl_wc_hit h[] = {
        {.change_id = 1, .depth = 2, .node = 5, .recency = 500},
        {.change_id = 2, .depth = 0, .node = 0, .recency = 100},
        {.change_id = 3, .depth = 1, .node = 2, .recency = 300},
        {.change_id = 4, .depth = 1, .node = 3, .recency = 400},
        {.change_id = 1, .depth = 1, .node = 4, .recency = 500},
        {.change_id = 5, .depth = 0, .node = 0, .recency = 100},
    };
    size_t n = gl_wc_rank(h, 6);
    assert_int_equal(n, 5);
    static const int64_t want[] = {5, 2, 1, 4, 3}; /* equal depth+time: higher id first */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(h[i].change_id, want[i]);
    assert_int_equal(h[2].node, 4); /* change 1 kept at depth 1 */
    assert_int_equal(gl_wc_rank(h, 0), 0);
    assert_int_equal(gl_wc_recency(10, GL_TIME_UNSET), 10);
    assert_int_equal(gl_wc_recency(10, 20), 20);
    assert_int_equal(gl_wc_recency(GL_TIME_UNSET, 20), 20);
    assert_int_equal(gl_wc_recency(30, 20), 20); /* what happened beats what was planned */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_diamond),
        cmocka_unit_test(test_cycle),
        cmocka_unit_test(test_self_loop),
        cmocka_unit_test(test_shared_across_clients),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_adjacency_error),
        cmocka_unit_test(test_wide),
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_wc_rank),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
