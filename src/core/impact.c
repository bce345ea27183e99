/*
 * impact.c - breadth-first walks over the CI graph and the what-changed ranking
 * (see impact.h).
 *
 * Invariants: nodes[] is the BFS queue itself (the walk expands nodes[head] and appends),
 * so depth is non-decreasing along nodes[]; the visited set holds exactly the ci_ids in
 * nodes[], which is what makes cycles and self-loops terminate.
 */
#include "core/impact.h"

#include <stdlib.h>
#include <string.h>

#include "core/change.h"

#include "util/banned.h"

static const char *const kind_names[GL_REL__COUNT] = {
    [GL_REL_RUNS_ON] = "runs_on",
    [GL_REL_DEPENDS_ON] = "depends_on",
    [GL_REL_CONNECTS_TO] = "connects_to",
};

const char *gl_rel_kind_name(enum gl_rel_kind k)
{
    return (unsigned)k < GL_REL__COUNT ? kind_names[k] : "unknown";
}

int gl_rel_kind_parse(const char *s, enum gl_rel_kind *out)
{
    for (int k = 0; s && k < GL_REL__COUNT; k++)
        if (strcmp(s, kind_names[k]) == 0) {
            *out = (enum gl_rel_kind)k;
            return 0;
        }
    return -1;
}

int gl_graph_edges_push(struct gl_graph_edges *e, const struct gl_graph_node *n,
                        enum gl_rel_kind kind)
{
    if (e->len == e->cap) {
        size_t ncap = e->cap ? e->cap * 2 : 16;
        void *p = realloc(e->items, ncap * sizeof *e->items);
        if (!p)
            return -1;
        e->items = p;
        e->cap = ncap;
    }
    e->items[e->len].node = *n;
    e->items[e->len].kind = kind;
    e->len++;
    return 0;
}

void gl_graph_edges_release(struct gl_graph_edges *e)
{
    if (!e)
        return;
    free(e->items);
    memset(e, 0, sizeof *e);
}

void gl_impact_release(struct gl_impact *im)
{
    if (!im)
        return;
    free(im->nodes);
    memset(im, 0, sizeof *im);
}

void gl_wc_rows_release(struct gl_wc_rows *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->len; i++) {
        free(r->items[i].client_key);
        free(r->items[i].title);
    }
    free(r->items);
    r->items = NULL;
    r->len = r->cap = 0;
}

/* ---- visited set: open addressing over ci ids (never 0) ----------------------------- */

struct idset {
    int64_t *slots;
    size_t cap, len; /* cap is a power of two, kept at most half full */
};

static size_t id_hash(int64_t id, size_t cap)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 17) & (cap - 1);
}

static int idset_grow(struct idset *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 64;
    int64_t *n = calloc(ncap, sizeof *n);
    if (!n)
        return -1;
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->slots[i])
            continue;
        size_t j = id_hash(s->slots[i], ncap);
        while (n[j])
            j = (j + 1) & (ncap - 1);
        n[j] = s->slots[i];
    }
    free(s->slots);
    s->slots = n;
    s->cap = ncap;
    return 0;
}

/* Adds id; returns 1 when added, 0 when already present, -1 when out of memory. */
static int idset_add(struct idset *s, int64_t id)
{
    if ((s->len + 1) * 2 > s->cap && idset_grow(s))
        return -1;
    size_t j = id_hash(id, s->cap);
    while (s->slots[j]) {
        if (s->slots[j] == id)
            return 0;
        j = (j + 1) & (s->cap - 1);
    }
    s->slots[j] = id;
    s->len++;
    return 1;
}

/* ---- the walk ----------------------------------------------------------------------- */

static int node_append(struct gl_impact *im, const struct gl_graph_node *ci, int depth,
                       size_t parent, enum gl_rel_kind kind)
{
    if (im->len == im->cap) {
        size_t ncap = im->cap ? im->cap * 2 : 32;
        void *p = realloc(im->nodes, ncap * sizeof *im->nodes);
        if (!p)
            return -1;
        im->nodes = p;
        im->cap = ncap;
    }
    struct gl_impact_node *n = &im->nodes[im->len++];
    n->ci = *ci;
    n->depth = depth;
    n->parent = parent;
    n->kind = kind;
    return 0;
}

/* Appends the not-yet-visited neighbours of nodes[at]. */
static int expand(struct gl_impact *im, size_t at, const struct gl_graph_edges *e,
                  struct idset *seen, struct gl_error *err)
{
    int depth = im->nodes[at].depth + 1;
    for (size_t i = 0; i < e->len; i++) {
        int added = idset_add(seen, e->items[i].node.ci_id);
        if (added < 0 || (added && node_append(im, &e->items[i].node, depth, at, e->items[i].kind)))
            return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    }
    return 0;
}

/* Whether an edge leads to a CI the walk has not reached. */
static bool has_unseen(const struct gl_graph_edges *e, const struct idset *s)
{
    for (size_t i = 0; i < e->len; i++) {
        int64_t id = e->items[i].node.ci_id;
        size_t j = id_hash(id, s->cap);
        while (s->slots[j] && s->slots[j] != id)
            j = (j + 1) & (s->cap - 1);
        if (!s->slots[j])
            return true;
    }
    return false;
}

int gl_impact_walk(const struct gl_graph_node *root, int max_depth, gl_graph_adjacent_fn adj,
                   void *ctx, struct gl_impact *out, struct gl_error *err)
{
    struct idset seen = {0};
    struct gl_graph_edges edges = {0};
    int rc = 0;
    memset(out, 0, sizeof *out);
    if (max_depth < 0 || max_depth > GL_IMPACT_DEPTH_MAX)
        return gl_error_set(err, GL_E_INVALID, "depth", "depth must be 0..%d", GL_IMPACT_DEPTH_MAX);
    if (idset_add(&seen, root->ci_id) < 0 ||
        node_append(out, root, 0, GL_IMPACT_ROOT, GL_REL_DEPENDS_ON)) {
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
        goto out;
    }
    for (size_t head = 0; head < out->len; head++) {
        edges.len = 0;
        bool at_limit = out->nodes[head].depth >= max_depth;
        if (at_limit && out->truncated)
            continue; /* already known: the limit cut the walk short */
        rc = adj(ctx, out->nodes[head].ci.ci_id, &edges, err);
        if (rc)
            goto out;
        if (at_limit) {
            out->truncated = has_unseen(&edges, &seen);
            continue;
        }
        rc = expand(out, head, &edges, &seen, err);
        if (rc)
            goto out;
    }
out:
    free(seen.slots);
    gl_graph_edges_release(&edges);
    if (rc)
        gl_impact_release(out);
    return rc;
}

size_t gl_impact_path(const struct gl_impact *im, size_t i, size_t *path, size_t max)
{
    size_t n = (size_t)im->nodes[i].depth + 1;
    if (n > max)
        return 0;
    for (size_t k = n; k-- > 0; i = im->nodes[i].parent)
        path[k] = i;
    return n;
}

void gl_impact_totals(const struct gl_impact *im, gl_impact_keep_fn keep, void *ctx,
                      struct gl_impact_totals *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < im->len; i++) {
        const struct gl_graph_node *n = &im->nodes[i].ci;
        if (keep && !keep(ctx, n)) {
            out->left_out++;
            continue;
        }
        out->kept++;
        out->users_affected += n->users_affected;
        if (n->criticality > out->max_criticality)
            out->max_criticality = n->criticality;
    }
}

/* ---- what changed ------------------------------------------------------------------ */

int64_t gl_wc_recency(int64_t planned_start, int64_t actual_start)
{
    return actual_start != GL_TIME_UNSET ? actual_start : planned_start;
}

static int by_change_then_depth(const void *pa, const void *pb)
{
    const struct gl_wc_hit *a = pa, *b = pb;
    if (a->change_id != b->change_id)
        return a->change_id < b->change_id ? -1 : 1;
    if (a->depth != b->depth)
        return a->depth < b->depth ? -1 : 1;
    return a->node < b->node ? -1 : a->node > b->node;
}

static int by_rank(const void *pa, const void *pb)
{
    const struct gl_wc_hit *a = pa, *b = pb;
    if (a->depth != b->depth)
        return a->depth < b->depth ? -1 : 1;
    if (a->recency != b->recency)
        return a->recency > b->recency ? -1 : 1;
    return a->change_id > b->change_id ? -1 : a->change_id < b->change_id;
}

size_t gl_wc_rank(struct gl_wc_hit *hits, size_t n)
{
    if (n == 0)
        return 0;
    qsort(hits, n, sizeof *hits, by_change_then_depth);
    size_t kept = 1;
    for (size_t i = 1; i < n; i++)
        if (hits[i].change_id != hits[kept - 1].change_id)
            hits[kept++] = hits[i];
    qsort(hits, kept, sizeof *hits, by_rank);
    return kept;
}
