/*
 * sqlite_calendar.c - the calendar's findings about one change's planned time: windows,
 * blackouts, notice and conflicts (store.h: schedule_summary, schedule_check), the
 * scheduling write with its record, and the calendar's change list.
 *
 * Conflicts are found from whichever side is smaller. CI-first, when the set of CIs
 * within `depth` of ours is small (SQ_CAL_BY_CI_MAX): each CI's changes come from
 * change_cis, whose covering index carries each change's state and planned times
 * (migration 12), so only changes that overlap ours are read. Time-first otherwise: the
 * changes whose planned time overlaps ours are a range scan of changes_planned_start
 * bounded below by change_window_max (no change is longer), answered from the index
 * alone. With a million changes scheduled, a two-hour change overlaps a few hundred of
 * them in time but its handful of CIs carry only a few dozen changes in all, hence the
 * two ways (bench/RESULTS.md, issue 6). The set of CIs within `depth` of ours is an
 * undirected walk of ci_relations (the store's in-memory graph when the caller has a
 * snapshot; capped at SQ_CAL_GRAPH_MAX CIs) that also collects the clients those CIs
 * belong to: a change only touches its own client's CIs and shared ones, so unless the set
 * holds shared infrastructure, a candidate of another client is ruled out from its index
 * row. Only the rest have their CIs looked up. Cost therefore follows the changes
 * overlapping in time, not the size of the table (bench/RESULTS.md, issue 6).
 *
 * Invariants: every function here works on the connection it is given inside the
 * caller's transaction (a reader's, or the writer's in a group-commit job) and resets
 * every cached statement it steps.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

#include "cal/recur.h"
#include "util/buf.h"

#include "util/banned.h"

#define SQ_CAL_GRAPH_MAX 2048
/* Up to this many CIs in the set, conflicts are looked up CI by CI (see above). */
#define SQ_CAL_BY_CI_MAX 64

static const char client_sql[] =
    "SELECT ifnull(timezone, 'UTC'), notice_hours FROM clients WHERE id = ?";
static const char windows_sql[] =
    "SELECT id, ifnull(ci_id, 0), rrule, dtstart, duration FROM cal_windows WHERE client_id = ?";
static const char blackouts_sql[] =
    "SELECT id, client_id IS NULL, reason, starts_at, ends_at, rrule, timezone FROM cal_blackouts"
    " WHERE (client_id = ?1 OR client_id IS NULL) AND starts_at < ?3"
    " AND (rrule IS NOT NULL OR ends_at > ?2)";
static const char record_sql[] =
    "SELECT notified_at, justification FROM change_schedule WHERE change_id = ?";
static const char window_max_sql[] = "SELECT seconds FROM change_window_max WHERE id = 1";
/* Answered from changes_planned_start alone (every column is in it): the unary + keep the
 * planner off the state and primary-key indexes, since the planned_start range is the
 * selective term (state alone matches ~13% of all changes), and no table row is read. */
static const char candidates_sql[] =
    "SELECT id, client_id, state, planned_start, planned_end FROM changes"
    " WHERE planned_start >= ?1 AND planned_start < ?2 AND planned_end > ?3"
    " AND +state IN ('scheduled', 'in_progress') AND +id <> ?4";
/* The same changes booked to one implementer, through changes_implementer. */
static const char implementer_sql[] =
    "SELECT id, client_id, state, planned_start, planned_end FROM changes"
    " WHERE implementer = ?5 AND planned_start >= ?1 AND planned_start < ?2"
    " AND planned_end > ?3 AND +state IN ('scheduled', 'in_progress') AND +id <> ?4";
/* One CI's changes overlapping [?3, ?2) from change_cis_ci alone; the changes row (for
 * the client) is read only for those. Columns as candidates_sql. */
static const char ci_changes_sql[] =
    "SELECT cc.change_id, ch.client_id, cc.state, cc.planned_start, cc.planned_end"
    "  FROM change_cis cc JOIN changes ch ON ch.id = cc.change_id"
    " WHERE cc.ci_id = ?5 AND cc.state IN ('scheduled', 'in_progress')"
    " AND cc.planned_start < ?2 AND cc.planned_end > ?3 AND cc.change_id <> ?4";
static const char title_sql[] = "SELECT title FROM changes WHERE id = ?";
static const char change_cis_sql[] = "SELECT ci_id FROM change_cis WHERE change_id = ?";
/* Neighbours with their client (0 = shared), the latter from the cis_graph index. */
static const char fwd_sql[] = "SELECT r.to_ci, ifnull(c.client_id, 0) FROM ci_relations r"
                              " JOIN cis c ON c.id = r.to_ci WHERE r.from_ci = ?";
static const char bwd_sql[] = "SELECT r.from_ci, ifnull(c.client_id, 0) FROM ci_relations r"
                              " JOIN cis c ON c.id = r.from_ci WHERE r.to_ci = ?";
static const char ci_client_sql[] = "SELECT ifnull(client_id, 0) FROM cis WHERE id = ?";

/* ---- windows ------------------------------------------------------------------------ */

struct win_row {
    int64_t id, ci_id, duration;
    char *rrule, *dtstart;
};

struct win_rows {
    struct win_row *items;
    size_t len, cap;
};

static void win_rows_release(struct win_rows *w)
{
    for (size_t i = 0; i < w->len; i++) {
        free(w->items[i].rrule);
        free(w->items[i].dtstart);
    }
    free(w->items);
}

static int load_windows(struct sq_conn *c, int64_t client_id, struct win_rows *out,
                        struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CAL_WINDOWS, windows_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, client_id);
    int src, rc = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (sq_grow((void **)&out->items, out->len, &out->cap, sizeof out->items[0])) {
            rc = sq_oom(err);
            break;
        }
        struct win_row *w = &out->items[out->len++];
        *w = (struct win_row){.id = sqlite3_column_int64(st, 0),
                              .ci_id = sqlite3_column_int64(st, 1),
                              .duration = sqlite3_column_int64(st, 4)};
        if (sq_col_text(st, 2, &w->rrule) || sq_col_text(st, 3, &w->dtstart)) {
            rc = sq_oom(err);
            break;
        }
    }
    if (!rc && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "read windows", err);
    sqlite3_reset(st);
    return rc;
}

/* Whether [s, e) lies inside the windows of `ci_id` (0 = the client's own). *any tells
 * whether that set has windows at all. */
static int inside_set(const struct win_rows *w, int64_t ci_id, const char *tz, int64_t s,
                      int64_t e, bool *any, bool *inside, struct gl_error *err)
{
    struct gl_ivlist iv = {0};
    int rc = 0;
    *any = false;
    for (size_t i = 0; i < w->len && !rc; i++) {
        if (w->items[i].ci_id != ci_id)
            continue;
        *any = true;
        struct gl_recur r = {w->items[i].rrule, w->items[i].dtstart, tz, w->items[i].duration};
        rc = gl_recur_expand(&r, s, e, w->items[i].id, &iv, err);
    }
    gl_ivlist_normalize(&iv);
    *inside = *any && gl_cal_inside(&iv, s, e);
    gl_ivlist_release(&iv);
    return rc;
}

static bool has_ci_windows(const struct win_rows *w, int64_t ci_id)
{
    for (size_t i = 0; i < w->len; i++)
        if (w->items[i].ci_id == ci_id)
            return true;
    return false;
}

/* Every CI must be inside its applicable windows (its own, else the client's). */
static int check_windows(struct sq_conn *c, const struct gl_change *chg, const char *tz,
                         int64_t s, int64_t e, struct gl_cal_check *out, struct gl_error *err)
{
    struct win_rows w = {0};
    int rc = load_windows(c, chg->client_id, &w, err);
    bool inside_all = true, any_defined = false;
    /* A CI without windows of its own follows the client's; no CIs: the client's. */
    bool need_client = chg->ci_ids.len == 0;
    for (size_t i = 0; !rc && i <= chg->ci_ids.len; i++) {
        int64_t ci = 0;
        if (i < chg->ci_ids.len) {
            if (!has_ci_windows(&w, chg->ci_ids.items[i])) {
                need_client = true;
                continue;
            }
            ci = chg->ci_ids.items[i];
        } else if (!need_client) {
            break;
        }
        bool any, inside;
        rc = inside_set(&w, ci, tz, s, e, &any, &inside, err);
        if (any) {
            any_defined = true;
            inside_all = inside_all && inside;
        }
    }
    out->sum.windows_defined = any_defined;
    out->sum.outside_window = any_defined && !inside_all;
    win_rows_release(&w);
    return rc;
}

/* ---- blackouts ---------------------------------------------------------------------- */

static int add_hit(struct gl_cal_check *out, int64_t id, bool global, const char *reason,
                   int64_t s, int64_t e, size_t *cap, struct gl_error *err)
{
    if (sq_grow((void **)&out->blackouts, out->nblackouts, cap, sizeof out->blackouts[0]))
        return sq_oom(err);
    struct gl_cal_blackout_hit *h = &out->blackouts[out->nblackouts];
    *h = (struct gl_cal_blackout_hit){id, global, strdup(reason ? reason : ""), s, e};
    if (!h->reason)
        return sq_oom(err);
    out->nblackouts++;
    return 0;
}

static int check_blackouts(struct sq_conn *c, int64_t client_id, int64_t s, int64_t e,
                           struct gl_cal_check *out, struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CAL_BLACKOUTS, blackouts_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, client_id);
    sqlite3_bind_int64(st, 2, s);
    sqlite3_bind_int64(st, 3, e);
    int src, rc = 0;
    size_t cap = 0;
    while (!rc && (src = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        bool global = sqlite3_column_int(st, 1);
        const char *reason = (const char *)sqlite3_column_text(st, 2);
        int64_t bs = sqlite3_column_int64(st, 3), be = sqlite3_column_int64(st, 4);
        const char *rrule = (const char *)sqlite3_column_text(st, 5);
        const char *tz = (const char *)sqlite3_column_text(st, 6);
        if (!rrule) {
            rc = add_hit(out, id, global, reason, bs, be, &cap, err);
            continue;
        }
        char local[GL_LOCAL_TIME_MAX];
        struct gl_ivlist iv = {0};
        if (gl_utc_to_local(tz, bs, local) == 0) {
            struct gl_recur r = {rrule, local, tz, be - bs};
            rc = gl_recur_expand(&r, s, e, id, &iv, err);
        }
        for (size_t i = 0; !rc && i < iv.len; i++)
            rc = add_hit(out, id, global, reason, iv.items[i].start, iv.items[i].end, &cap, err);
        gl_ivlist_release(&iv);
    }
    if (!rc && src != SQLITE_DONE && src != SQLITE_ROW)
        rc = sq_error(c, src, NULL, "read blackouts", err);
    sqlite3_reset(st);
    return rc;
}

/* ---- the connected CIs -------------------------------------------------------------- */

struct node {
    int64_t ci;
    int64_t client; /* 0 = shared infrastructure */
    int parent;     /* index, -1 for our own CIs */
    int depth;
};

/* The clients whose changes can touch the set: a change only touches its own client's
 * CIs and shared ones, so without a shared CI in the set a candidate of another client
 * is ruled out from the index row alone, with no page read. */
#define SQ_CAL_CLIENTS_MAX 64

struct graph {
    struct node nodes[SQ_CAL_GRAPH_MAX];
    int n;
    int slots[SQ_CAL_GRAPH_MAX * 2]; /* open addressing: index + 1, 0 = empty */
    bool truncated;
    bool any_client; /* a shared CI is in the set, or too many clients to list */
    int64_t clients[SQ_CAL_CLIENTS_MAX];
    int nclients;
};

static unsigned slot_of(int64_t ci)
{
    uint64_t h = (uint64_t)ci * 0x9E3779B97F4A7C15ull;
    return (unsigned)(h >> 40) % (SQ_CAL_GRAPH_MAX * 2);
}

static int graph_find(const struct graph *g, int64_t ci)
{
    for (unsigned s = slot_of(ci);; s = (s + 1) % (SQ_CAL_GRAPH_MAX * 2)) {
        int v = g->slots[s];
        if (v == 0)
            return -1;
        if (g->nodes[v - 1].ci == ci)
            return v - 1;
    }
}

static void note_client(struct graph *g, int64_t client)
{
    if (client == 0 || g->nclients == SQ_CAL_CLIENTS_MAX) {
        g->any_client = true;
        return;
    }
    for (int i = 0; i < g->nclients; i++)
        if (g->clients[i] == client)
            return;
    g->clients[g->nclients++] = client;
}

static bool client_possible(const struct graph *g, int64_t client)
{
    if (g->any_client)
        return true;
    for (int i = 0; i < g->nclients; i++)
        if (g->clients[i] == client)
            return true;
    return false;
}

static void graph_add(struct graph *g, int64_t ci, int64_t client, int parent, int depth)
{
    if (graph_find(g, ci) >= 0)
        return;
    if (g->n == SQ_CAL_GRAPH_MAX) {
        g->truncated = true;
        return;
    }
    note_client(g, client);
    g->nodes[g->n] = (struct node){ci, client, parent, depth};
    unsigned s = slot_of(ci);
    while (g->slots[s])
        s = (s + 1) % (SQ_CAL_GRAPH_MAX * 2);
    g->slots[s] = ++g->n;
}

static int neighbours(struct sq_conn *c, struct graph *g, int idx, enum sq_stmt_id id,
                      const char *sql, struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, id, sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, g->nodes[idx].ci);
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW)
        graph_add(g, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), idx,
                  g->nodes[idx].depth + 1);
    sqlite3_reset(st);
    return src == SQLITE_DONE ? 0 : sq_error(c, src, NULL, "read CI graph", err);
}

static int ci_client(struct sq_conn *c, int64_t ci, int64_t *client, struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CAL_CI_SHARED, ci_client_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, ci);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        *client = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return src == SQLITE_ROW || src == SQLITE_DONE ? 0 : sq_error(c, src, NULL, "read CI", err);
}

/* The neighbours of node idx from the in-memory graph (sqlite_graph_cache.c). */
static int snap_neighbours(const struct sq_graph_snapshot *snap, struct graph *g, int idx,
                           bool forward, struct gl_error *err)
{
    struct gl_graph_edges e = {0};
    if (sq_graph_snapshot_adjacent(snap, g->nodes[idx].ci, forward, &e)) {
        gl_graph_edges_release(&e);
        return sq_oom(err);
    }
    for (size_t i = 0; i < e.len; i++)
        graph_add(g, e.items[i].node.ci_id, e.items[i].node.client_id, idx,
                  g->nodes[idx].depth + 1);
    gl_graph_edges_release(&e);
    return 0;
}

/* Breadth first, both directions: "connected" is about sharing infrastructure, whichever
 * way the dependency points. From the in-memory graph when the caller has a snapshot,
 * else one indexed query per CI and direction. */
static int walk_graph(struct sq_conn *c, const struct sq_graph_snapshot *snap,
                      const struct gl_change *chg, int depth, struct graph *g,
                      struct gl_error *err)
{
    for (size_t i = 0; i < chg->ci_ids.len; i++) {
        int64_t client = 0;
        int rc = ci_client(c, chg->ci_ids.items[i], &client, err);
        if (rc)
            return rc;
        graph_add(g, chg->ci_ids.items[i], client, -1, 0);
    }
    for (int i = 0; i < g->n; i++) {
        if (g->nodes[i].depth >= depth)
            continue;
        int rc = snap ? snap_neighbours(snap, g, i, true, err)
                      : neighbours(c, g, i, SQ_CAL_FWD, fwd_sql, err);
        if (!rc)
            rc = snap ? snap_neighbours(snap, g, i, false, err)
                      : neighbours(c, g, i, SQ_CAL_BWD, bwd_sql, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* Fills k's path from one of our CIs to node idx. */
static void explain_path(const struct graph *g, int idx, struct gl_cal_conflict *k)
{
    int chain[GL_CAL_DEPTH_MAX + 1], n = 0;
    for (int i = idx; i >= 0 && n <= GL_CAL_DEPTH_MAX; i = g->nodes[i].parent)
        chain[n++] = i;
    k->path_len = n;
    for (int i = 0; i < n; i++) {
        k->path[i] = g->nodes[chain[n - 1 - i]].ci;
        k->shared = k->shared || g->nodes[chain[n - 1 - i]].client == 0;
    }
}

/* The node (lowest depth) where candidate `id` meets our graph, or -1. */
static int meeting_node(struct sq_conn *c, const struct graph *g, int64_t id, int *best,
                        int64_t *ci, struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CAL_CHANGE_CIS, change_cis_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int src;
    *best = -1;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t x = sqlite3_column_int64(st, 0);
        int i = graph_find(g, x);
        if (i >= 0 && (*best < 0 || g->nodes[i].depth < g->nodes[*best].depth)) {
            *best = i;
            *ci = x;
        }
    }
    sqlite3_reset(st);
    return src == SQLITE_DONE ? 0 : sq_error(c, src, NULL, "read change CIs", err);
}

int sq_change_window_max(struct sq_conn *c, int64_t *out, struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CAL_WINDOW_MAX, window_max_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    int src = sqlite3_step(st);
    *out = src == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return src == SQLITE_ROW || src == SQLITE_DONE ? 0
                                                   : sq_error(c, src, NULL, "read window", err);
}

/* The title of a conflicting change: read only for the few that conflict. */
static int load_title(struct sq_conn *c, int64_t id, char **out, struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CAL_TITLE, title_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int src = sqlite3_step(st), rc = 0;
    if (src == SQLITE_ROW && sq_col_text(st, 0, out))
        rc = sq_oom(err);
    else if (src != SQLITE_ROW && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "read change title", err);
    sqlite3_reset(st);
    return rc;
}

/* Appends a conflict from a candidate row (id, client_id, state, start, end). */
static int add_conflict(struct sq_conn *c, sqlite3_stmt *row, struct gl_cal_check *out,
                        size_t *cap, struct gl_cal_conflict **added, struct gl_error *err)
{
    if (sq_grow((void **)&out->conflicts, out->nconflicts, cap, sizeof out->conflicts[0]))
        return sq_oom(err);
    struct gl_cal_conflict *k = &out->conflicts[out->nconflicts++];
    *k = (struct gl_cal_conflict){.change_id = sqlite3_column_int64(row, 0),
                                  .client_id = sqlite3_column_int64(row, 1),
                                  .planned_start = sqlite3_column_int64(row, 3),
                                  .planned_end = sqlite3_column_int64(row, 4)};
    gl_change_state_parse((const char *)sqlite3_column_text(row, 2), &k->state);
    *added = k;
    return load_title(c, k->change_id, &k->title, err);
}

static void bind_range(sqlite3_stmt *st, const struct gl_change *chg, int64_t s, int64_t e,
                       int64_t wmax)
{
    sqlite3_bind_int64(st, 1, s - wmax);
    sqlite3_bind_int64(st, 2, e);
    sqlite3_bind_int64(st, 3, s);
    sqlite3_bind_int64(st, 4, chg->id);
}

/* Changes overlapping in time on the CIs of g: the candidates' CIs against the graph. */
static int ci_conflicts(struct sq_conn *c, const struct gl_change *chg, int64_t s, int64_t e,
                        int64_t wmax, const struct graph *g, struct gl_cal_check *out,
                        size_t *cap, struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CAL_CANDIDATES, candidates_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    bind_range(st, chg, s, e, wmax);
    int src, rc = 0;
    while (!rc && (src = sqlite3_step(st)) == SQLITE_ROW) {
        int idx = -1;
        int64_t ci = 0;
        struct gl_cal_conflict *k;
        if (!client_possible(g, sqlite3_column_int64(st, 1)))
            continue;
        if ((rc = meeting_node(c, g, sqlite3_column_int64(st, 0), &idx, &ci, err)) || idx < 0)
            continue;
        if ((rc = add_conflict(c, st, out, cap, &k, err)))
            break;
        k->ci_id = ci;
        out->sum.conflicts++;
        explain_path(g, idx, k);
    }
    if (!rc && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "read overlapping changes", err);
    sqlite3_reset(st);
    return rc;
}

static bool already_found(const struct gl_cal_check *out, int64_t change_id)
{
    for (size_t i = 0; i < out->nconflicts; i++)
        if (out->conflicts[i].change_id == change_id)
            return true;
    return false;
}

/* The same, CI by CI: the set's nodes are in breadth-first order, so a change touching
 * several of them is kept where it meets the set closest to our CIs, as meeting_node
 * would choose. */
static int ci_conflicts_by_ci(struct sq_conn *c, const struct gl_change *chg, int64_t s,
                              int64_t e, const struct graph *g, struct gl_cal_check *out,
                              size_t *cap, struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CAL_CI_CHANGES, ci_changes_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    int rc = 0;
    for (int i = 0; !rc && i < g->n; i++) {
        bind_range(st, chg, s, e, 0);
        sqlite3_bind_int64(st, 5, g->nodes[i].ci);
        int src;
        while (!rc && (src = sqlite3_step(st)) == SQLITE_ROW) {
            struct gl_cal_conflict *k;
            if (already_found(out, sqlite3_column_int64(st, 0)))
                continue;
            if ((rc = add_conflict(c, st, out, cap, &k, err)))
                break;
            k->ci_id = g->nodes[i].ci;
            out->sum.conflicts++;
            explain_path(g, i, k);
        }
        if (!rc && src != SQLITE_DONE)
            rc = sq_error(c, src, NULL, "read the CIs' changes", err);
        sqlite3_reset(st);
    }
    return rc;
}

/* The implementer's other changes at the same time (double booking). */
static int implementer_conflicts(struct sq_conn *c, const struct gl_change *chg, int64_t s,
                                 int64_t e, int64_t wmax, struct gl_cal_check *out, size_t *cap,
                                 struct gl_error *err)
{
    if (!chg->implementer)
        return 0;
    sqlite3_stmt *st = sq_stmt(c, SQ_CAL_IMPLEMENTER, implementer_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    bind_range(st, chg, s, e, wmax);
    sq_bind_text(st, 5, chg->implementer);
    int src, rc = 0;
    while (!rc && (src = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        struct gl_cal_conflict *k = NULL;
        for (size_t i = 0; i < out->nconflicts && !k; i++)
            if (out->conflicts[i].change_id == id)
                k = &out->conflicts[i];
        if (!k)
            rc = add_conflict(c, st, out, cap, &k, err);
        if (!rc)
            k->implementer = true;
    }
    if (!rc && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "read the implementer's changes", err);
    sqlite3_reset(st);
    return rc;
}

static int check_conflicts(struct sq_conn *c, const struct sq_graph_snapshot *snap,
                           const struct gl_change *chg, int64_t s, int64_t e, int depth,
                           bool implementer, struct gl_cal_check *out, struct gl_error *err)
{
    struct graph *g = calloc(1, sizeof *g);
    if (!g)
        return sq_oom(err);
    int64_t wmax = 0;
    size_t cap = 0;
    int rc = walk_graph(c, snap, chg, depth, g, err);
    out->graph_truncated = g->truncated;
    if (!rc)
        rc = sq_change_window_max(c, &wmax, err);
    if (!rc && g->n && g->n <= SQ_CAL_BY_CI_MAX)
        rc = ci_conflicts_by_ci(c, chg, s, e, g, out, &cap, err);
    else if (!rc && g->n)
        rc = ci_conflicts(c, chg, s, e, wmax, g, out, &cap, err);
    if (!rc && implementer)
        rc = implementer_conflicts(c, chg, s, e, wmax, out, &cap, err);
    free(g);
    return rc;
}

/* ---- the check ---------------------------------------------------------------------- */

static int load_client(struct sq_conn *c, int64_t client_id, char **tz, int *notice,
                       struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CAL_CLIENT, client_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, client_id);
    int src = sqlite3_step(st), rc = 0;
    if (src == SQLITE_ROW) {
        *notice = sqlite3_column_int(st, 1);
        if (sq_col_text(st, 0, tz))
            rc = sq_oom(err);
    } else if (src == SQLITE_DONE) {
        rc = gl_error_set(err, GL_E_NOT_FOUND, "client", "the change's client does not exist");
    } else {
        rc = sq_error(c, src, NULL, "read client", err);
    }
    sqlite3_reset(st);
    return rc;
}

static int load_record(struct sq_conn *c, int64_t change_id, int64_t *notified, char **just,
                       struct gl_error *err)
{
    *notified = GL_TIME_UNSET;
    if (change_id == 0)
        return 0;
    sqlite3_stmt *st = sq_stmt(c, SQ_CAL_RECORD, record_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, change_id);
    int src = sqlite3_step(st), rc = 0;
    if (src == SQLITE_ROW) {
        *notified = sqlite3_column_int64(st, 0);
        if (sq_col_text(st, 1, just))
            rc = sq_oom(err);
    } else if (src != SQLITE_DONE) {
        rc = sq_error(c, src, NULL, "read schedule record", err);
    }
    sqlite3_reset(st);
    return rc;
}

/* implementer: also look for double booking (the explained check; the risk summary does
 * not count it, and skipping it spares the summary the implementer's other changes). */
static int check(struct sq_conn *c, const struct sq_graph_snapshot *snap,
                 const struct gl_change *chg, int64_t now, int64_t notified_at, int depth,
                 bool implementer, struct gl_cal_check *out, struct gl_error *err)
{
    *out = (struct gl_cal_check){.depth = depth, .notified_at = GL_TIME_UNSET};
    int64_t s = chg->planned_start, e = chg->planned_end;
    if (s == GL_TIME_UNSET || e == GL_TIME_UNSET || e <= s)
        return 0;
    out->sum.planned = true;
    if (depth < 0 || depth > GL_CAL_DEPTH_MAX)
        return gl_error_set(err, GL_E_INVALID, "depth", "depth must be 0 to %d",
                            GL_CAL_DEPTH_MAX);
    /* Expansion is bounded; a change longer than that is judged on its first year. */
    if (e - s > (int64_t)GL_CAL_RANGE_MAX_DAYS * 86400)
        e = s + (int64_t)GL_CAL_RANGE_MAX_DAYS * 86400;
    char *tz = NULL;
    int64_t recorded = GL_TIME_UNSET;
    int rc = load_client(c, chg->client_id, &tz, &out->notice_hours, err);
    if (!rc)
        rc = load_record(c, chg->id, &recorded, &out->justification, err);
    if (!rc)
        rc = check_windows(c, chg, tz, s, e, out, err);
    if (!rc)
        rc = check_blackouts(c, chg->client_id, s, e, out, err);
    if (!rc)
        rc = check_conflicts(c, snap, chg, s, e, depth, implementer, out, err);
    free(tz);
    if (rc) {
        gl_cal_check_release(out);
        return rc;
    }
    out->notified_at = notified_at != GL_TIME_UNSET ? notified_at
                       : recorded != GL_TIME_UNSET  ? recorded
                                                    : now;
    out->sum.justified = out->sum.outside_window && out->justification;
    out->sum.in_blackout = out->nblackouts > 0;
    out->sum.notice_shortfall_hours =
        gl_cal_notice_shortfall(out->notified_at, chg->planned_start, out->notice_hours);
    out->sum.short_notice = out->sum.notice_shortfall_hours > 0;
    return 0;
}

int sq_schedule_check(struct sq_conn *c, const struct gl_change *chg, int64_t now,
                      int64_t notified_at, int depth, struct gl_cal_check *out,
                      struct gl_error *err)
{
    return check(c, NULL, chg, now, notified_at, depth, true, out, err);
}

int sq_schedule_summary(struct sq_conn *c, const struct gl_change *chg, int64_t now,
                        struct gl_schedule_summary *out, struct gl_error *err)
{
    struct gl_cal_check k = {0};
    int rc = check(c, NULL, chg, now, GL_TIME_UNSET, GL_CAL_DEPTH_DEFAULT, false, &k, err);
    *out = k.sum;
    gl_cal_check_release(&k);
    return rc;
}

struct check_job {
    struct sq_store *s;
    const struct gl_change *chg;
    int64_t now, notified_at;
    int depth;
    bool implementer;
    struct gl_cal_check *out;
};

static int check_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct check_job *j = arg;
    /* The store's in-memory graph at this transaction's generation, when there is one. */
    int64_t generation;
    struct sq_graph_snapshot *snap = NULL;
    if (j->s->graph_cache && sq_graph_generation(c, &generation, NULL) == 0)
        snap = sq_graph_cache_get(j->s, generation);
    int rc = check(c, snap, j->chg, j->now, j->notified_at, j->depth, j->implementer, j->out,
                   err);
    if (snap)
        sq_graph_snapshot_put(j->s, snap);
    return rc;
}

int sq_schedule_check_op(struct gl_store *st, const struct gl_change *chg, int64_t now,
                         int64_t notified_at, int depth, struct gl_cal_check *out,
                         struct gl_error *err)
{
    struct check_job j = {sq_store(st), chg, now, notified_at, depth, true, out};
    return sq_with_tx(st, false, check_tx, &j, err);
}

int sq_schedule_summary_op(struct gl_store *st, const struct gl_change *chg, int64_t now,
                           struct gl_schedule_summary *out, struct gl_error *err)
{
    struct gl_cal_check k = {0};
    struct check_job j = {sq_store(st), chg, now, GL_TIME_UNSET, GL_CAL_DEPTH_DEFAULT, false, &k};
    int rc = sq_with_tx(st, false, check_tx, &j, err);
    *out = k.sum;
    gl_cal_check_release(&k);
    return rc;
}
