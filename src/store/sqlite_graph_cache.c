/*
 * sqlite_graph_cache.c - an in-memory copy of the CI graph for impact and what-changed
 * walks.
 *
 * A walk expands hundreds of CIs; read through SQL that is one indexed query per CI, and
 * under concurrent walks the 2 MiB page cache of each pooled connection thrashes
 * (bench/RESULTS.md). The whole graph is small next to the database (100,000 CIs and
 * 500,000 edges take about 6 MiB here), so walks read a snapshot of it instead:
 * adjacency in compressed-sparse-row form, both directions, plus the few CI columns a
 * walk needs.
 *
 * Invariants:
 *  - graph_generation (migration 11) is bumped by triggers on every write that can change
 *    a walk: relation insert/delete, a CI's client, criticality or users, CI delete. A
 *    snapshot is used only by a reader whose read transaction sees the generation the
 *    snapshot was built at, so a walk is exactly as consistent as the SQL path. (A CI
 *    inserted later is absent from the snapshot; it has no edges until a relation insert
 *    bumps the generation, so "no neighbours" is the right answer for it.)
 *  - a stale snapshot is never patched: one background thread rebuilds it while readers
 *    fall back to SQL. Rebuilds are spaced at least SQ_GRAPH_REBUILD_GAP times the last
 *    build's duration apart (and 1 s), so a stream of CI writes cannot keep a core busy
 *    rebuilding.
 *  - snapshots are reference-counted: a reader holds its snapshot until graph_end, so a
 *    swap never frees one in use.
 *  - GL_GRAPH_CACHE=off in the environment disables the cache (every walk reads SQL); the
 *    store tests run both ways.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/banned.h"

/* Graphs whose CI ids exceed this are walked through SQL: offsets are indexed by id. */
#define SQ_GRAPH_MAX_ID 20000000
#define SQ_GRAPH_REBUILD_GAP 10

struct sq_graph_csr {
    uint32_t *offset; /* max_id + 2 entries: edges of id are [offset[id], offset[id + 1]) */
    uint32_t *target;
    uint8_t *kind;
};

struct sq_graph_snapshot {
    int refs;
    int64_t generation;
    int64_t max_id;
    uint32_t *client_id; /* by CI id; 0 = shared */
    uint8_t *criticality;
    int64_t *users;
    struct sq_graph_csr fwd, back;
};

struct sq_graph_cache {
    pthread_mutex_t mu;
    struct sq_graph_snapshot *current;
    pthread_t builder;
    bool building, joinable;
    int64_t next_build_ns; /* monotonic time before which no rebuild starts */
    struct sq_store *s;
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void snapshot_free(struct sq_graph_snapshot *g)
{
    if (!g)
        return;
    free(g->client_id);
    free(g->criticality);
    free(g->users);
    free(g->fwd.offset);
    free(g->fwd.target);
    free(g->fwd.kind);
    free(g->back.offset);
    free(g->back.target);
    free(g->back.kind);
    free(g);
}

static const char generation_sql[] = "SELECT n FROM graph_generation WHERE id = 1";

int sq_graph_generation(struct sq_conn *c, int64_t *out, struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_GRAPH_GENERATION, generation_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    int src = sqlite3_step(st);
    int rc = 0;
    if (src == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        rc = sq_error(c, src, NULL, "graph generation", err);
    sqlite3_reset(st);
    return rc;
}

/* Fills csr from rows (key, other, kind) ordered by key; nedges bounds the row count. */
static int load_csr(sqlite3 *db, const char *sql, int64_t max_id, size_t nedges,
                    struct sq_graph_csr *csr)
{
    csr->offset = calloc((size_t)max_id + 2, sizeof *csr->offset);
    csr->target = malloc((nedges ? nedges : 1) * sizeof *csr->target);
    csr->kind = malloc(nedges ? nedges : 1);
    if (!csr->offset || !csr->target || !csr->kind)
        return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    size_t n = 0;
    int64_t last = -1;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t key = sqlite3_column_int64(st, 0), other = sqlite3_column_int64(st, 1);
        if (n >= nedges || key < last || key < 1 || key > max_id || other < 1 || other > max_id)
            break; /* the snapshot moved under us: cannot happen in one read transaction */
        enum gl_rel_kind kind = GL_REL_DEPENDS_ON;
        gl_rel_kind_parse((const char *)sqlite3_column_text(st, 2), &kind);
        for (int64_t id = last + 1; id <= key; id++)
            csr->offset[id] = (uint32_t)n;
        last = key;
        csr->target[n] = (uint32_t)other;
        csr->kind[n] = (uint8_t)kind;
        n++;
    }
    sqlite3_finalize(st);
    if (src != SQLITE_DONE)
        return -1;
    for (int64_t id = last + 1; id <= max_id + 1; id++)
        csr->offset[id] = (uint32_t)n;
    return 0;
}

static int64_t scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Builds a snapshot in one read transaction on c; NULL when it cannot (no memory, ids
 * too large, SQL error). */
static struct sq_graph_snapshot *snapshot_build(struct sq_conn *c)
{
    struct gl_error err;
    if (sq_begin(c, false, &err))
        return NULL;
    struct sq_graph_snapshot *g = calloc(1, sizeof *g);
    int64_t nedges = scalar(c->db, "SELECT count(*) FROM ci_relations");
    if (!g || sq_graph_generation(c, &g->generation, &err) || nedges < 0 || nedges > UINT32_MAX)
        goto fail;
    g->max_id = scalar(c->db, "SELECT ifnull(max(id), 0) FROM cis");
    if (g->max_id < 0 || g->max_id > SQ_GRAPH_MAX_ID)
        goto fail;
    size_t nid = (size_t)g->max_id + 1;
    g->client_id = calloc(nid, sizeof *g->client_id);
    g->criticality = calloc(nid, 1);
    g->users = calloc(nid, sizeof *g->users);
    if (!g->client_id || !g->criticality || !g->users)
        goto fail;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT id, ifnull(client_id, 0), criticality, users_affected"
                           "  FROM cis INDEXED BY cis_graph",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0), client = sqlite3_column_int64(st, 1);
        if (id < 1 || id > g->max_id || client < 0 || client > UINT32_MAX)
            break;
        g->client_id[id] = (uint32_t)client;
        g->criticality[id] = (uint8_t)sqlite3_column_int(st, 2);
        g->users[id] = sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    if (src != SQLITE_DONE)
        goto fail;
    /* Forward: the primary key (from_ci, kind, to_ci); backward: ci_relations_to, which
     * carries the whole key, so both scans read one index in order. */
    if (load_csr(c->db, "SELECT from_ci, to_ci, kind FROM ci_relations ORDER BY from_ci", g->max_id,
                 (size_t)nedges, &g->fwd) ||
        load_csr(c->db,
                 "SELECT to_ci, from_ci, kind FROM ci_relations INDEXED BY ci_relations_to"
                 "  ORDER BY to_ci",
                 g->max_id, (size_t)nedges, &g->back))
        goto fail;
    sq_rollback(c);
    g->refs = 1;
    return g;
fail:
    sq_rollback(c);
    snapshot_free(g);
    return NULL;
}

static void *builder_main(void *arg)
{
    struct sq_graph_cache *gc = arg;
    struct sq_conn *c;
    struct gl_error err;
    int64_t started = mono_ns();
    struct sq_graph_snapshot *g = NULL;
    if (sq_acquire(gc->s, &c, &err) == 0) {
        g = snapshot_build(c);
        sq_release(gc->s, c);
    }
    int64_t took = mono_ns() - started;
    int64_t gap = took * SQ_GRAPH_REBUILD_GAP;
    if (gap < 1000000000)
        gap = 1000000000;
    pthread_mutex_lock(&gc->mu);
    struct sq_graph_snapshot *old = NULL;
    if (g) {
        old = gc->current;
        gc->current = g;
        if (old && --old->refs > 0)
            old = NULL; /* a reader still holds it and frees it */
    }
    gc->building = false;
    gc->next_build_ns = mono_ns() + gap;
    pthread_mutex_unlock(&gc->mu);
    snapshot_free(old);
    return NULL;
}

int sq_graph_cache_open(struct sq_store *s)
{
    /* NOLINTNEXTLINE(concurrency-mt-unsafe): read at open; nothing here calls setenv */
    const char *env = getenv("GL_GRAPH_CACHE");
    if (env && (!strcmp(env, "off") || !strcmp(env, "0")))
        return 0;
    struct sq_graph_cache *gc = calloc(1, sizeof *gc);
    if (!gc)
        return -1;
    pthread_mutex_init(&gc->mu, NULL);
    gc->s = s;
    s->graph_cache = gc;
    return 0;
}

void sq_graph_cache_close(struct sq_store *s)
{
    struct sq_graph_cache *gc = s->graph_cache;
    if (!gc)
        return;
    pthread_mutex_lock(&gc->mu);
    bool join = gc->joinable;
    pthread_mutex_unlock(&gc->mu);
    if (join)
        pthread_join(gc->builder, NULL);
    if (gc->current)
        snapshot_free(gc->current); /* no reader is left at close */
    pthread_mutex_destroy(&gc->mu);
    free(gc);
    s->graph_cache = NULL;
}

struct sq_graph_snapshot *sq_graph_cache_get(struct sq_store *s, int64_t generation)
{
    struct sq_graph_cache *gc = s->graph_cache;
    if (!gc)
        return NULL;
    struct sq_graph_snapshot *g = NULL;
    pthread_mutex_lock(&gc->mu);
    if (gc->current && gc->current->generation == generation) {
        g = gc->current;
        g->refs++;
    } else if (!gc->building && mono_ns() >= gc->next_build_ns) {
        /* The previous builder has finished (building is false): reap it first. */
        if (gc->joinable)
            pthread_join(gc->builder, NULL);
        gc->joinable = gc->building = pthread_create(&gc->builder, NULL, builder_main, gc) == 0;
    }
    pthread_mutex_unlock(&gc->mu);
    return g;
}

void sq_graph_snapshot_put(struct sq_store *s, struct sq_graph_snapshot *g)
{
    if (!g)
        return;
    struct sq_graph_cache *gc = s->graph_cache;
    pthread_mutex_lock(&gc->mu);
    bool last = --g->refs == 0;
    pthread_mutex_unlock(&gc->mu);
    if (last)
        snapshot_free(g);
}

int sq_graph_snapshot_adjacent(const struct sq_graph_snapshot *g, int64_t ci_id, bool forward,
                               struct gl_graph_edges *out)
{
    if (ci_id < 1 || ci_id > g->max_id)
        return 0; /* created after the snapshot, so without edges (see the invariants) */
    const struct sq_graph_csr *csr = forward ? &g->fwd : &g->back;
    for (uint32_t i = csr->offset[ci_id]; i < csr->offset[ci_id + 1]; i++) {
        uint32_t id = csr->target[i];
        struct gl_graph_node n = {
            .ci_id = id,
            .client_id = g->client_id[id],
            .criticality = g->criticality[id],
            .users_affected = g->users[id],
        };
        if (gl_graph_edges_push(out, &n, (enum gl_rel_kind)csr->kind[i]))
            return -1;
    }
    return 0;
}
