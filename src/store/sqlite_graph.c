/*
 * sqlite_graph.c - CI relationships and the graph reads behind impact and what-changed,
 * in SQLite.
 *
 * Invariants:
 *  - an edge is (from_ci, kind, to_ci), unique; A -kind-> B means A depends on B;
 *  - relation writes are audited on the from CI (entity "ci", its client), in the same
 *    transaction as the row;
 *  - a graph reader holds one pooled connection inside one read transaction from
 *    graph_begin to graph_end: a walk asks one indexed query per node it expands, all
 *    against the same snapshot. (A recursive CTE was the alternative; the per-node query
 *    keeps the visited set and depth limit in the pure core and touches only the rows of
 *    the nodes actually expanded.)
 */
#include "store/sqlite_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#include "util/banned.h"

struct gl_graph_reader {
    struct sq_store *s;
    struct sq_conn *c;
    struct sq_graph_snapshot *snap; /* the in-memory graph when current; else NULL (SQL) */
};

/* ---- relation writes ---------------------------------------------------------------- */

static const char rel_add_sql[] =
    "INSERT INTO ci_relations (from_ci, to_ci, kind) VALUES (?, ?, ?)";
static const char rel_del_sql[] =
    "DELETE FROM ci_relations WHERE from_ci = ? AND kind = ? AND to_ci = ?";
static const char rel_ci_client_sql[] = "SELECT ifnull(client_id, 0) FROM cis WHERE id = ?";

struct rel_write {
    const struct gl_write_ctx *ctx;
    const struct gl_ci_relation *r;
};

static char *rel_json(const struct gl_ci_relation *r)
{
    char from[GL_IDENT_MAX], to[GL_IDENT_MAX], buf[160];
    gl_ci_ident_format(r->from_ci, from);
    gl_ci_ident_format(r->to_ci, to);
    snprintf(buf, sizeof buf, "{\"from\":\"%s\",\"kind\":\"%s\",\"to\":\"%s\"}", from,
             gl_rel_kind_name(r->kind), to);
    return strdup(buf);
}

/* The client of CI id (0 = shared); GL_E_INVALID naming field when it does not exist. */
static int ci_client(struct sq_conn *c, int64_t id, const char *field, int64_t *out,
                     struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_REL_CI_CLIENT, rel_ci_client_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int src = sqlite3_step(st);
    int rc = 0;
    if (src == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else if (src == SQLITE_DONE)
        rc = gl_error_set(err, GL_E_INVALID, field, "configuration item %lld does not exist",
                          (long long)id);
    else
        rc = sq_error(c, src, field, "relation ci", err);
    sqlite3_reset(st);
    return rc;
}

static int rel_add_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct rel_write *w = arg;
    int64_t from_client, to_client;
    int rc = ci_client(c, w->r->from_ci, "from", &from_client, err);
    if (!rc)
        rc = ci_client(c, w->r->to_ci, "to", &to_client, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_REL_ADD, rel_add_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, w->r->from_ci);
    sqlite3_bind_int64(st, 2, w->r->to_ci);
    sqlite3_bind_text(st, 3, gl_rel_kind_name(w->r->kind), -1, SQLITE_STATIC);
    rc = sq_exec_stmt(c, st, "relation", "relation insert", err);
    if (rc)
        return rc;
    return sq_audit_json(c, w->ctx, "ci.relate", "ci", w->r->from_ci, from_client, NULL,
                         rel_json(w->r), false, err);
}

int sq_ci_relation_add(struct gl_store *st, const struct gl_write_ctx *ctx,
                       const struct gl_ci_relation *r, struct gl_error *err)
{
    struct rel_write w = {ctx, r};
    return sq_with_tx(st, true, rel_add_tx, &w, err);
}

static const char rel_has_sql[] =
    "SELECT 1 FROM ci_relations WHERE from_ci = ? AND kind = ? AND to_ci = ?";

int sq_rel_ensure(struct sq_conn *c, const struct gl_write_ctx *ctx, int64_t from_ci,
                  enum gl_rel_kind kind, int64_t to_ci, bool *added, struct gl_error *err)
{
    *added = false;
    sqlite3_stmt *st = sq_stmt(c, SQ_REL_HAS, rel_has_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, from_ci);
    sqlite3_bind_text(st, 2, gl_rel_kind_name(kind), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, to_ci);
    int src = sqlite3_step(st);
    sqlite3_reset(st);
    if (src == SQLITE_ROW)
        return 0;
    if (src != SQLITE_DONE)
        return sq_error(c, src, NULL, "relation check", err);
    struct gl_ci_relation r = {.from_ci = from_ci, .to_ci = to_ci, .kind = kind};
    struct rel_write w = {ctx, &r};
    int rc = rel_add_tx(c, &w, err);
    *added = rc == 0;
    return rc;
}

static int rel_del_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct rel_write *w = arg;
    int64_t from_client;
    int rc = ci_client(c, w->r->from_ci, "from", &from_client, err);
    if (rc)
        return rc == GL_E_INVALID ? gl_error_set(err, GL_E_NOT_FOUND, NULL, "no such relation")
                                  : rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_REL_DEL, rel_del_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, w->r->from_ci);
    sqlite3_bind_text(st, 2, gl_rel_kind_name(w->r->kind), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, w->r->to_ci);
    rc = sq_exec_stmt(c, st, NULL, "relation delete", err);
    if (rc)
        return rc;
    if (sqlite3_changes(c->db) == 0)
        return gl_error_set(err, GL_E_NOT_FOUND, NULL, "no such relation");
    return sq_audit_json(c, w->ctx, "ci.unrelate", "ci", w->r->from_ci, from_client, rel_json(w->r),
                         strdup("null"), true, err);
}

int sq_ci_relation_delete(struct gl_store *st, const struct gl_write_ctx *ctx,
                          const struct gl_ci_relation *r, struct gl_error *err)
{
    struct rel_write w = {ctx, r};
    return sq_with_tx(st, true, rel_del_tx, &w, err);
}

/* ---- relation list ------------------------------------------------------------------ */

static const char rel_list_sql[] =
    "SELECT r.from_ci, r.to_ci, r.kind, ifnull(f.client_id, 0), ifnull(t.client_id, 0), 0 AS o"
    "  FROM ci_relations r JOIN cis f ON f.id = r.from_ci JOIN cis t ON t.id = r.to_ci"
    "  WHERE r.from_ci = ?1"
    " UNION ALL "
    "SELECT r.from_ci, r.to_ci, r.kind, ifnull(f.client_id, 0), ifnull(t.client_id, 0), 1"
    "  FROM ci_relations r JOIN cis f ON f.id = r.from_ci JOIN cis t ON t.id = r.to_ci"
    "  WHERE r.to_ci = ?1 AND r.from_ci <> ?1"
    " ORDER BY 6, 1, 3, 2";

struct rel_list_args {
    int64_t ci_id;
    struct gl_ci_relation_list *out;
};

static int rel_list_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct rel_list_args *a = arg;
    sqlite3_stmt *st = sq_stmt(c, SQ_REL_LIST, rel_list_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, a->ci_id);
    size_t cap = 0;
    int src, rc = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (sq_grow((void **)&a->out->items, a->out->len, &cap, sizeof *a->out->items)) {
            rc = sq_oom(err);
            break;
        }
        struct gl_ci_relation *r = &a->out->items[a->out->len++];
        r->from_ci = sqlite3_column_int64(st, 0);
        r->to_ci = sqlite3_column_int64(st, 1);
        if (gl_rel_kind_parse((const char *)sqlite3_column_text(st, 2), &r->kind))
            r->kind = GL_REL_DEPENDS_ON; /* the CHECK constraint makes this unreachable */
        r->from_client = sqlite3_column_int64(st, 3);
        r->to_client = sqlite3_column_int64(st, 4);
    }
    if (!rc && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "relation list", err);
    sqlite3_reset(st);
    return rc;
}

int sq_ci_relations(struct gl_store *st, int64_t ci_id, struct gl_ci_relation_list *out,
                    struct gl_error *err)
{
    memset(out, 0, sizeof *out);
    struct rel_list_args a = {ci_id, out};
    int rc = sq_with_tx(st, false, rel_list_tx, &a, err);
    if (rc)
        gl_ci_relation_list_release(out);
    return rc;
}

/* ---- graph reader ------------------------------------------------------------------- */

int sq_graph_begin(struct gl_store *st, struct gl_graph_reader **out, struct gl_error *err)
{
    struct gl_graph_reader *r = calloc(1, sizeof *r);
    if (!r)
        return sq_oom(err);
    r->s = sq_store(st);
    int rc = sq_acquire(r->s, &r->c, err);
    if (!rc && (rc = sq_begin(r->c, false, err)) != 0)
        sq_release(r->s, r->c);
    if (rc) {
        free(r);
        return rc;
    }
    /* The snapshot serves this walk only if it was built at the generation this read
     * transaction sees (sqlite_graph_cache.c). */
    int64_t generation;
    if (r->s->graph_cache && sq_graph_generation(r->c, &generation, err) == 0)
        r->snap = sq_graph_cache_get(r->s, generation);
    *out = r;
    return 0;
}

void sq_graph_end(struct gl_graph_reader *r)
{
    if (!r)
        return;
    sq_graph_snapshot_put(r->s, r->snap);
    sq_rollback(r->c); /* read-only: nothing to keep */
    sq_release(r->s, r->c);
    free(r);
}

bool sq_graph_in_memory(const struct gl_graph_reader *r)
{
    return r->snap != NULL;
}

static const char graph_forward_sql[] =
    "SELECT r.to_ci, r.kind, ifnull(c.client_id, 0), c.criticality, c.users_affected"
    "  FROM ci_relations r JOIN cis c ON c.id = r.to_ci WHERE r.from_ci = ?";
static const char graph_backward_sql[] =
    "SELECT r.from_ci, r.kind, ifnull(c.client_id, 0), c.criticality, c.users_affected"
    "  FROM ci_relations r JOIN cis c ON c.id = r.from_ci WHERE r.to_ci = ?";

int sq_graph_adjacent(struct gl_graph_reader *r, int64_t ci_id, bool forward,
                      struct gl_graph_edges *out, struct gl_error *err)
{
    if (r->snap)
        return sq_graph_snapshot_adjacent(r->snap, ci_id, forward, out) ? sq_oom(err) : 0;
    sqlite3_stmt *st = forward ? sq_stmt(r->c, SQ_GRAPH_FORWARD, graph_forward_sql, err)
                               : sq_stmt(r->c, SQ_GRAPH_BACKWARD, graph_backward_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, ci_id);
    int src, rc = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        struct gl_graph_node n = {
            .ci_id = sqlite3_column_int64(st, 0),
            .client_id = sqlite3_column_int64(st, 2),
            .criticality = sqlite3_column_int(st, 3),
            .users_affected = sqlite3_column_int64(st, 4),
        };
        enum gl_rel_kind kind = GL_REL_DEPENDS_ON;
        gl_rel_kind_parse((const char *)sqlite3_column_text(st, 1), &kind);
        if (gl_graph_edges_push(out, &n, kind)) {
            rc = sq_oom(err);
            break;
        }
    }
    if (!rc && src != SQLITE_DONE)
        rc = sq_error(r->c, src, NULL, "graph read", err);
    sqlite3_reset(st);
    return rc;
}

/* ---- what changed ------------------------------------------------------------------- */

#define WC_COLS                                                                                    \
    "ch.id, ch.client_id, k.key, ch.title, ch.type, ch.state, ch.outcome, ch.planned_start, "      \
    "ch.planned_end, ch.actual_start, ch.actual_end"
/* On t, the changes row or its copy in change_cis (migration 12), whose index filters
 * before any changes row is read. */
#define WC_WHERE(t)                                                                                \
    " AND " t ".state IN ('scheduled', 'in_progress', 'completed', 'failed', 'rolled_back',"       \
    "   'reviewed', 'closed')"                                                                     \
    " AND ((" t ".planned_start < ?3 AND " t ".planned_end > ?2)"                                  \
    "   OR (" t ".actual_start < ?3 AND ifnull(" t ".actual_end, ?3) > ?2))"

/* The CIs come as one JSON array of ids: one statement for a whole walk. */
static const char wc_ci_sql[] =
    "SELECT " WC_COLS ", cc.ci_id FROM json_each(?1) j"
    "  JOIN change_cis cc ON cc.ci_id = j.value JOIN changes ch ON ch.id = cc.change_id"
    "  JOIN clients k ON k.id = ch.client_id WHERE 1" WC_WHERE("cc");
static const char wc_client_sql[] =
    "SELECT " WC_COLS ", 0 FROM changes ch JOIN clients k ON k.id = ch.client_id"
    "  WHERE ch.client_id = ?1" WC_WHERE("ch");

static int wc_read(sqlite3_stmt *st, struct gl_wc_row *w)
{
    memset(w, 0, sizeof *w);
    w->change_id = sqlite3_column_int64(st, 0);
    w->client_id = sqlite3_column_int64(st, 1);
    w->ci_id = sqlite3_column_int64(st, 11);
    if (sq_col_text(st, 2, &w->client_key) || sq_col_text(st, 3, &w->title))
        return -1;
    gl_change_type_parse((const char *)sqlite3_column_text(st, 4), &w->type);
    gl_change_state_parse((const char *)sqlite3_column_text(st, 5), &w->state);
    const char *o = (const char *)sqlite3_column_text(st, 6);
    if (!o || gl_outcome_parse(o, &w->outcome))
        w->outcome = GL_OUTCOME_NONE;
    w->planned_start = sq_col_time(st, 7);
    w->planned_end = sq_col_time(st, 8);
    w->actual_start = sq_col_time(st, 9);
    w->actual_end = sq_col_time(st, 10);
    return 0;
}

/* Binds ?1: the ids as a JSON array, or the client id. */
static int wc_bind(sqlite3_stmt *st, const int64_t *ci_ids, size_t nci, int64_t client_id)
{
    if (!nci)
        return sqlite3_bind_int64(st, 1, client_id) == SQLITE_OK ? 0 : -1;
    struct gl_buf b;
    gl_buf_init(&b, 0);
    int rc = gl_buf_putc(&b, '[');
    for (size_t i = 0; rc == 0 && i < nci; i++)
        rc = gl_buf_printf(&b, i ? ",%lld" : "%lld", (long long)ci_ids[i]);
    if (rc == 0)
        rc = gl_buf_putc(&b, ']');
    if (rc == 0)
        rc = sqlite3_bind_text(st, 1, gl_buf_str(&b), (int)b.len, SQLITE_TRANSIENT) ? -1 : 0;
    gl_buf_release(&b);
    return rc;
}

int sq_graph_changes(struct gl_graph_reader *r, const int64_t *ci_ids, size_t nci,
                     int64_t client_id, int64_t since, int64_t until, struct gl_wc_rows *out,
                     struct gl_error *err)
{
    sqlite3_stmt *st = nci ? sq_stmt(r->c, SQ_WC_CI, wc_ci_sql, err)
                           : sq_stmt(r->c, SQ_WC_CLIENT, wc_client_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    if (wc_bind(st, ci_ids, nci, client_id))
        return sq_oom(err);
    sqlite3_bind_int64(st, 2, since);
    sqlite3_bind_int64(st, 3, until);
    int src, rc = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->len >= GL_WC_ROWS_MAX) {
            rc = gl_error_set(err, GL_E_TOO_LARGE, NULL,
                              "more than %d changes match: narrow the time range", GL_WC_ROWS_MAX);
            break;
        }
        if (sq_grow((void **)&out->items, out->len, &out->cap, sizeof *out->items) ||
            wc_read(st, &out->items[out->len++])) {
            rc = sq_oom(err);
            break;
        }
    }
    if (!rc && src != SQLITE_DONE)
        rc = sq_error(r->c, src, NULL, "what-changed read", err);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

/* ---- documentation of changes, relations by name -------------------------------------- */

int sq_graph_change_docs(struct gl_graph_reader *r, const int64_t *change_ids, size_t n,
                         struct gl_change_doc_links *out, struct gl_error *err)
{
    return sq_change_doc_links_read(r->c, change_ids, n, out, err);
}

static const char named_links_sql[] =
    "SELECT r.from_ci, r.kind, ifnull(t.client_id, 0), t.name"
    "  FROM json_each(?1) j JOIN ci_relations r ON r.from_ci = j.value"
    "  JOIN cis t ON t.id = r.to_ci ORDER BY r.from_ci, r.kind, t.name";

struct named_links_args {
    const int64_t *ids;
    size_t n;
    struct gl_ci_named_links *out;
};

static int named_links_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct named_links_args *a = arg;
    sqlite3_stmt *st = sq_stmt(c, SQ_CI_NAMED_LINKS, named_links_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    if (sq_bind_id_array(st, 1, a->ids, a->n))
        return sq_oom(err);
    size_t cap = 0;
    int src, rc = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (sq_grow((void **)&a->out->items, a->out->len, &cap, sizeof *a->out->items)) {
            rc = sq_oom(err);
            break;
        }
        struct gl_ci_named_link *l = &a->out->items[a->out->len];
        memset(l, 0, sizeof *l);
        l->from_ci = sqlite3_column_int64(st, 0);
        if (gl_rel_kind_parse((const char *)sqlite3_column_text(st, 1), &l->link.kind))
            l->link.kind = GL_REL_DEPENDS_ON; /* the CHECK constraint makes this unreachable */
        l->to_client = sqlite3_column_int64(st, 2);
        if (sq_col_text(st, 3, &l->link.name)) {
            rc = sq_oom(err);
            break;
        }
        a->out->len++;
    }
    if (!rc && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "relation names", err);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

int sq_ci_named_links(struct gl_store *st, const int64_t *ci_ids, size_t n,
                      struct gl_ci_named_links *out, struct gl_error *err)
{
    memset(out, 0, sizeof *out);
    if (!n)
        return 0;
    struct named_links_args a = {ci_ids, n, out};
    int rc = sq_with_tx(st, false, named_links_tx, &a, err);
    if (rc)
        gl_ci_named_links_release(out);
    return rc;
}
