/*
 * impact.h - the CI relationship graph: relation kinds, the breadth-first walk that gives
 * a change's blast radius (impact) and the upstream of a CI (what-changed), and the
 * ranking of what-changed results.
 *
 * Direction convention: an edge A -kind-> B means A depends on B (A runs on B, depends on
 * B, connects to B). "Downstream of X" (the blast radius of a change on X) is every CI that
 * transitively depends on X: the walk follows edges backwards from X. "Upstream of X" (what
 * can break X) follows edges forwards.
 *
 * Pure: the walk reads the graph only through a caller-supplied adjacency callback (the
 * store provides one), so it does no I/O and can be tested on hand-built graphs. Cycles
 * and self-loops are handled by a visited set: every CI is reached once, at its smallest
 * depth, through the first parent the breadth-first order found.
 *
 * Ownership: gl_impact, gl_graph_edges and gl_wc_rows own their arrays (the rows their
 * strings too); *_release frees them and accepts NULL or zeroed structs.
 */
#ifndef GL_IMPACT_H
#define GL_IMPACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/change.h"
#include "core/error.h"

enum gl_rel_kind { GL_REL_RUNS_ON, GL_REL_DEPENDS_ON, GL_REL_CONNECTS_TO, GL_REL__COUNT };

/* "runs_on", "depends_on", "connects_to"; "unknown" when out of range. */
const char *gl_rel_kind_name(enum gl_rel_kind k);
/* Returns 0, or -1 for an unknown name (NULL included). */
int gl_rel_kind_parse(const char *s, enum gl_rel_kind *out);

#define GL_IMPACT_DEPTH_MAX 10

/* A CI as the walk needs it. */
struct gl_graph_node {
    int64_t ci_id;
    int64_t client_id; /* 0 = shared infrastructure */
    int criticality;
    int64_t users_affected;
};

/* One neighbour of a node: the CI at the other end and the kind of the edge. */
struct gl_graph_edge {
    struct gl_graph_node node;
    enum gl_rel_kind kind;
};

struct gl_graph_edges {
    struct gl_graph_edge *items;
    size_t len, cap;
};

/* Appends one edge; returns 0 or -1 (out of memory). */
int gl_graph_edges_push(struct gl_graph_edges *e, const struct gl_graph_node *n,
                        enum gl_rel_kind kind);
void gl_graph_edges_release(struct gl_graph_edges *e);

/* Appends the neighbours of ci_id (in the walk's direction) to out, which the walk has
 * emptied (len 0). Returns 0 or a gl_errcode, which aborts the walk. */
typedef int (*gl_graph_adjacent_fn)(void *ctx, int64_t ci_id, struct gl_graph_edges *out,
                                    struct gl_error *err);

#define GL_IMPACT_ROOT SIZE_MAX

struct gl_impact_node {
    struct gl_graph_node ci;
    int depth;             /* 0 for the root */
    size_t parent;         /* index in gl_impact.nodes; GL_IMPACT_ROOT for the root */
    enum gl_rel_kind kind; /* kind of the edge from the parent (undefined for the root) */
};

struct gl_impact {
    struct gl_impact_node *nodes; /* nodes[0] is the root; breadth-first order */
    size_t len, cap;
    bool truncated; /* the depth limit stopped the walk with edges left to follow */
};

/*
 * Walks breadth-first from root up to max_depth (0..GL_IMPACT_DEPTH_MAX) edges away,
 * asking adj for each node's neighbours once. out receives every CI reached, the root
 * first. Returns 0 or the error of adj (out then released) or GL_E_INVALID for a bad depth.
 */
int gl_impact_walk(const struct gl_graph_node *root, int max_depth, gl_graph_adjacent_fn adj,
                   void *ctx, struct gl_impact *out, struct gl_error *err);
void gl_impact_release(struct gl_impact *im);

/* The indices from the root to node i, root first, into path (room for max entries);
 * returns how many (depth + 1), or 0 when max is too small. */
size_t gl_impact_path(const struct gl_impact *im, size_t i, size_t *path, size_t max);

/* Totals over the nodes for which keep(ctx, node) is true (every node when keep is NULL):
 * users affected summed once per CI, the highest criticality (0 when none), and how many
 * nodes were left out. */
struct gl_impact_totals {
    int64_t users_affected;
    int max_criticality;
    size_t kept, left_out;
};
typedef bool (*gl_impact_keep_fn)(void *ctx, const struct gl_graph_node *n);
void gl_impact_totals(const struct gl_impact *im, gl_impact_keep_fn keep, void *ctx,
                      struct gl_impact_totals *out);

/* ---- what changed ------------------------------------------------------------------ */

/* What-changed as the store finds it: changes in the states that count (scheduled, in
 * progress and the implemented ones) whose planned or actual window intersects
 * [since, until). */
struct gl_wc_row {
    int64_t change_id, client_id;
    int64_t ci_id; /* the CI it was found on; 0 in client mode */
    char *client_key;
    char *title;
    enum gl_change_type type;
    enum gl_change_state state;
    enum gl_outcome outcome;
    int64_t planned_start, planned_end, actual_start, actual_end;
};

struct gl_wc_rows {
    struct gl_wc_row *items;
    size_t len, cap;
};

/* Frees every row's strings and the array; leaves r empty. Accepts NULL. */
void gl_wc_rows_release(struct gl_wc_rows *r);

/* One change found on a reached CI; `node` indexes the walk (0 in client mode). */
struct gl_wc_hit {
    int64_t change_id;
    int depth;
    size_t node;
    size_t row;      /* the caller's own index of the change's data */
    int64_t recency; /* gl_wc_recency: larger is more recent */
};

/*
 * Ranks hits in place for what-changed: one hit per change (the closest; at equal depth
 * the one of the lowest walk node), ordered by depth ascending, then recency descending,
 * then change id descending. Returns the number of hits kept (the first n of the array).
 */
size_t gl_wc_rank(struct gl_wc_hit *hits, size_t n);

/* The recency key of a change: when it actually started, else when it is planned to
 * (GL_TIME_UNSET for unset times). */
int64_t gl_wc_recency(int64_t planned_start, int64_t actual_start);

#endif
