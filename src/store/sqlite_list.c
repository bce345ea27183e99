/*
 * sqlite_list.c - the list queries of the SQLite backend: changes and configuration items,
 * newest first, paged by id cursor, restricted to the caller's client scope.
 *
 * Invariants:
 *  - list SQL is assembled from fixed fragments; every user value is a bound parameter,
 *    free text reaches FTS5 only as quoted strings (never as query syntax) and LIKE only
 *    with its wildcards escaped;
 *  - a page holds at most `limit` items and is read in one read transaction, so its items
 *    are one snapshot; next_cursor is the last item's id when more rows follow, else 0;
 *  - a restricted scope with no clients matches no changes; shared CIs (client_id NULL)
 *    are visible to every scope;
 *  - on failure the output page is released and empty.
 */
#include "store/sqlite_int.h"

#include <ctype.h>
#include <stdlib.h>

#include "util/buf.h"

#include "util/banned.h"

/* ---- scope ------------------------------------------------------------------------- */

/* " AND <col> IN (?, ...)" for a restricted scope; binds nothing (see sq_bind_scope). */
int sq_scope_sql(struct gl_buf *sql, const char *prefix, const struct gl_scope *scope)
{
    if (!scope || scope->all)
        return 0;
    int rc = gl_buf_puts(sql, prefix);
    for (size_t i = 0; !rc && i < scope->n; i++)
        rc = gl_buf_puts(sql, i ? ", ?" : "?");
    return rc ? rc : gl_buf_puts(sql, ")");
}

int sq_bind_scope(sqlite3_stmt *st, int at, const struct gl_scope *scope)
{
    if (!scope || scope->all)
        return at;
    for (size_t i = 0; i < scope->n; i++)
        sqlite3_bind_int64(st, at++, scope->client_ids[i]);
    return at;
}

/* ---- change list: query builder ---------------------------------------------------- */

/* A list query under construction: SQL text plus its parameters, in order. */
struct qarg {
    const char *text; /* borrowed; NULL for an integer */
    int64_t num;
};

struct query {
    struct gl_buf sql;
    struct qarg *args;
    size_t nargs, cap;
    bool oom;
};

static void q_sql(struct query *q, const char *s)
{
    if (gl_buf_puts(&q->sql, s))
        q->oom = true;
}

static void q_arg(struct query *q, const char *text, int64_t num)
{
    if (sq_grow((void **)&q->args, q->nargs, &q->cap, sizeof *q->args)) {
        q->oom = true;
        return;
    }
    q->args[q->nargs].text = text;
    q->args[q->nargs].num = num;
    q->nargs++;
}

static void q_bind(const struct query *q, sqlite3_stmt *st)
{
    for (size_t i = 0; i < q->nargs; i++) {
        if (q->args[i].text)
            sqlite3_bind_text(st, (int)i + 1, q->args[i].text, -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(st, (int)i + 1, q->args[i].num);
    }
}

/* Free text as FTS5 input: every whitespace-separated word becomes a quoted string (inner
 * quotes doubled), all of which must match. Nothing the user types is FTS syntax. */
static int fts_query(const char *text, struct gl_buf *out)
{
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        while (*p && isspace(*p))
            p++;
        if (!*p)
            break;
        if (out->len && gl_buf_putc(out, ' '))
            return -1;
        if (gl_buf_putc(out, '"'))
            return -1;
        for (; *p && !isspace(*p); p++)
            if ((*p == '"' && gl_buf_putc(out, '"')) || gl_buf_putc(out, (char)*p))
                return -1;
        if (gl_buf_putc(out, '"'))
            return -1;
    }
    return 0;
}

/*
 * Query plans. Lists are newest first with a LIMIT, so the aim is a plan that yields rows
 * already in id order and stops after limit+1 of them, whatever the data looks like:
 *  - a CI: walk change_cis(ci_id, change_id) backwards; text is checked per row;
 *  - text: walk the FTS5 doclist backwards (FTS5 delivers rowid order natively);
 *  - a time filter matching fewer than SQ_WINDOW_PROBE rows (counted first, with a LIMIT):
 *    range-scan planned_start (from - the longest stored window) .. to and sort those few;
 *    a time filter matching more rows is dense enough to be checked per row instead;
 *  - otherwise one "arm" per combination of the equality filters (client, state, type),
 *    each an index range already in id order, merged by a UNION ALL ... ORDER BY: SQLite
 *    runs the arms as coroutines and pulls only what the LIMIT needs. Without equality
 *    filters the single arm is a backwards scan of the table.
 * Every other condition is checked per row. User values are always bound parameters.
 */
#define SQ_WINDOW_PROBE 10000
#define SQ_ARMS_MAX 32

/* One arm: equality values that replace the corresponding IN filters (0 / -1 = none). */
struct arm {
    int64_t client;
    int state, type;
};

static void q_id_list(struct query *q, const char *prefix, const int64_t *ids, size_t n)
{
    q_sql(q, prefix);
    for (size_t i = 0; i < n; i++) {
        q_sql(q, i ? ", ?" : "?");
        q_arg(q, NULL, ids[i]);
    }
    q_sql(q, ")");
}

/* The stored text of a state or type value, NULL when out of range. */
typedef const char *(*enum_text_fn)(int v);

static const char *state_text(int v)
{
    return (unsigned)v < GL_STATE__COUNT ? gl_change_state_name((enum gl_change_state)v) : NULL;
}

static const char *type_text(int v)
{
    return (unsigned)v < GL_TYPE__COUNT ? gl_change_type_name((enum gl_change_type)v) : NULL;
}

static void q_enum(struct query *q, const char *col, uint32_t mask, int count, enum_text_fn text,
                   int eq)
{
    if (eq >= 0) {
        q_sql(q, " AND ");
        q_sql(q, col);
        q_sql(q, " = ?");
        q_arg(q, text(eq), 0);
        return;
    }
    if (!mask)
        return;
    q_sql(q, " AND ");
    q_sql(q, col);
    q_sql(q, " IN (");
    bool any = false;
    for (int v = 0; v < count; v++)
        if (mask & (1u << v)) {
            q_sql(q, any ? ", ?" : "?");
            q_arg(q, text(v), 0);
            any = true;
        }
    q_sql(q, ")");
}

/* Overlap of [planned_start, planned_end) with [from, to); open ends are unbounded. */
static void q_time(struct query *q, const struct gl_change_filter *f)
{
    if (f->from != GL_TIME_UNSET) {
        q_sql(q, " AND c.planned_end > ?");
        q_arg(q, NULL, f->from);
    }
    if (f->to != GL_TIME_UNSET) {
        q_sql(q, " AND c.planned_start < ?");
        q_arg(q, NULL, f->to);
    }
}

/* The start of the window plan: a planned_start range that covers every window that can
 * overlap [from, to), using the longest stored window as the lower margin. */
static void q_window(struct query *q, const struct gl_change_filter *f)
{
    q_sql(q, "SELECT c.id FROM changes c INDEXED BY changes_planned_start WHERE 1");
    if (f->from != GL_TIME_UNSET) {
        q_sql(q, " AND c.planned_start >= ? - (SELECT seconds FROM change_window_max"
                 " WHERE id = 1)");
        q_arg(q, NULL, f->from);
    }
}

/* The per-row conditions of f, with the arm's equalities in place of their IN lists. */
static void q_filters(struct query *q, const struct gl_change_filter *f, const char *idcol,
                      const struct arm *a)
{
    if (f->before_id > 0) {
        q_sql(q, " AND ");
        q_sql(q, idcol);
        q_sql(q, " < ?");
        q_arg(q, NULL, f->before_id);
    }
    if (a->client) {
        q_sql(q, " AND c.client_id = ?");
        q_arg(q, NULL, a->client);
    } else if (f->client_id) {
        q_sql(q, " AND c.client_id = ?");
        q_arg(q, NULL, f->client_id);
    } else if (f->scope && !f->scope->all) {
        q_id_list(q, " AND c.client_id IN (", f->scope->client_ids, f->scope->n);
    }
    q_enum(q, "c.state", f->state_mask, GL_STATE__COUNT, state_text, a->state);
    q_enum(q, "c.type", f->type_mask, GL_TYPE__COUNT, type_text, a->type);
    q_time(q, f);
}

static void q_order(struct query *q, const char *idcol, int limit)
{
    q_sql(q, " ORDER BY ");
    q_sql(q, idcol);
    q_sql(q, " DESC LIMIT ?");
    q_arg(q, NULL, limit + 1);
}

static size_t bit_values(uint32_t mask, int count, int *out)
{
    size_t n = 0;
    for (int v = 0; v < count; v++)
        if (mask & (1u << v))
            out[n++] = v;
    return n;
}

/* Emits the arms: the cross product of the split dimensions, or one plain arm. */
static void q_arms(struct query *q, const struct gl_change_filter *f)
{
    int vals[32];
    const int64_t *clients = f->client_id ? &f->client_id : NULL;
    size_t nc = f->client_id ? 1 : 0;
    if (!nc && f->scope && !f->scope->all) {
        clients = f->scope->client_ids;
        nc = f->scope->n;
    }
    /* Second split: states when filtered (indexes client_state, state), else types. */
    bool by_state = f->state_mask != 0;
    size_t n2 = by_state ? bit_values(f->state_mask, GL_STATE__COUNT, vals)
                         : bit_values(f->type_mask, GL_TYPE__COUNT, vals);
    if (nc * (n2 ? n2 : 1) > SQ_ARMS_MAX)
        nc = 0; /* a wide scope: filter clients per row instead */
    size_t k = 0;
    for (size_t i = 0; i < (nc ? nc : 1); i++) {
        bool repeated = false; /* a scope listing a client twice must not repeat rows */
        for (size_t r = 0; r < i; r++)
            repeated |= clients[r] == clients[i];
        if (repeated)
            continue;
        for (size_t j = 0; j < (n2 ? n2 : 1); j++, k++) {
            struct arm a = {nc ? clients[i] : 0, -1, -1};
            if (n2 && by_state)
                a.state = vals[j];
            else if (n2)
                a.type = vals[j];
            q_sql(q, k ? " UNION ALL SELECT c.id FROM changes c WHERE 1"
                       : "SELECT c.id FROM changes c WHERE 1");
            q_filters(q, f, "c.id", &a);
        }
    }
    q_order(q, "1", f->limit);
}

/* Builds the id query; returns false when the filter cannot match anything. */
static bool build_list_query(const struct gl_change_filter *f, const char *fts, bool small_window,
                             struct query *q)
{
    const struct arm plain = {0, -1, -1};
    bool restricted = f->scope && !f->scope->all;
    if (restricted &&
        (f->scope->n == 0 || (f->client_id && !gl_scope_contains(f->scope, f->client_id))))
        return false;
    if ((f->state_mask && !(f->state_mask & ((1u << GL_STATE__COUNT) - 1))) ||
        (f->type_mask && !(f->type_mask & ((1u << GL_TYPE__COUNT) - 1))))
        return false;
    bool window = f->from != GL_TIME_UNSET && f->to != GL_TIME_UNSET;
    if (window && f->from >= f->to)
        return false;

    if (f->ci_id) {
        q_sql(q, "SELECT cc.change_id FROM change_cis cc CROSS JOIN changes c "
                 "ON c.id = cc.change_id WHERE cc.ci_id = ?");
        q_arg(q, NULL, f->ci_id);
        if (fts) {
            q_sql(q, " AND EXISTS (SELECT 1 FROM changes_fts WHERE changes_fts MATCH ?"
                     " AND changes_fts.rowid = c.id)");
            q_arg(q, fts, 0);
        }
        q_filters(q, f, "cc.change_id", &plain);
        q_order(q, "cc.change_id", f->limit);
    } else if (fts) {
        q_sql(q, "SELECT changes_fts.rowid FROM changes_fts CROSS JOIN changes c "
                 "ON c.id = changes_fts.rowid WHERE changes_fts MATCH ?");
        q_arg(q, fts, 0);
        q_filters(q, f, "changes_fts.rowid", &plain);
        q_order(q, "changes_fts.rowid", f->limit);
    } else if (small_window) {
        q_window(q, f);
        q_filters(q, f, "c.id", &plain);
        q_order(q, "c.id", f->limit);
    } else {
        q_arms(q, f);
    }
    return true;
}

/* ---- change list: execution -------------------------------------------------------- */

static sqlite3_stmt *q_prepare(struct sq_conn *c, const struct query *q, struct gl_error *err)
{
    sqlite3_stmt *st = NULL;
    if (q->oom) {
        gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    int src = sqlite3_prepare_v2(c->db, gl_buf_str(&q->sql), -1, &st, NULL);
    if (src != SQLITE_OK) {
        sqlite3_finalize(st);
        sq_error(c, src, NULL, "prepare change list", err);
        return NULL;
    }
    q_bind(q, st);
    return st;
}

/* Whether the time filter of f matches few enough rows for the window plan. */
static int window_is_small(struct sq_conn *c, const struct gl_change_filter *f, bool *small,
                           struct gl_error *err)
{
    struct query q = {.args = NULL, .nargs = 0, .cap = 0, .oom = false};
    gl_buf_init(&q.sql, 0);
    q_sql(&q, "SELECT count(*) FROM (");
    q_window(&q, f);
    q_time(&q, f);
    q_sql(&q, " LIMIT ?)");
    q_arg(&q, NULL, SQ_WINDOW_PROBE);
    int rc = 0;
    sqlite3_stmt *st = q_prepare(c, &q, err);
    if (!st) {
        rc = err ? err->code : GL_E_INTERNAL;
        goto out;
    }
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        *small = sqlite3_column_int64(st, 0) < SQ_WINDOW_PROBE;
    else
        rc = sq_error(c, src, NULL, "change list", err);
out:
    sqlite3_finalize(st);
    gl_buf_release(&q.sql);
    free(q.args);
    return rc;
}

/* Runs the id query; ids receives up to limit+1 ids. */
static int list_ids(struct sq_conn *c, const struct gl_change_filter *f, const char *fts,
                    int64_t *ids, size_t *n, struct gl_error *err)
{
    struct query q = {.args = NULL, .nargs = 0, .cap = 0, .oom = false};
    sqlite3_stmt *st = NULL;
    bool small = false;
    int rc = 0, src = SQLITE_DONE;
    gl_buf_init(&q.sql, 0);
    *n = 0;
    if (!f->ci_id && !fts && (f->from != GL_TIME_UNSET || f->to != GL_TIME_UNSET))
        rc = window_is_small(c, f, &small, err);
    if (rc || !build_list_query(f, fts, small, &q))
        goto out; /* an error, or a filter that matches nothing */
    st = q_prepare(c, &q, err);
    if (!st) {
        rc = GL_E_INTERNAL;
        goto out;
    }
    while (*n <= GL_LIST_MAX && (src = sqlite3_step(st)) == SQLITE_ROW)
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    if (*n <= GL_LIST_MAX && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "change list", err);
out:
    sqlite3_finalize(st);
    gl_buf_release(&q.sql);
    free(q.args);
    return rc;
}

/* Runs filter f in one read transaction and hands the ids of the page (newest first) to
 * `each`, which loads them on the same connection, so the page is one snapshot. */
typedef int (*page_fn)(struct sq_conn *c, const int64_t *ids, size_t n, void *arg,
                       struct gl_error *err);

static int with_page_ids(struct gl_store *st, const struct gl_change_filter *f, page_fn each,
                         void *arg, int64_t *next_cursor, struct gl_error *err)
{
    struct sq_store *s = sq_store(st);
    struct sq_conn *c = NULL;
    struct gl_buf fts = GL_BUF_INIT;
    int64_t ids[GL_LIST_MAX + 1];
    size_t n = 0;

    *next_cursor = 0;
    if (f->limit < 1 || f->limit > GL_LIST_MAX)
        return gl_error_set(err, GL_E_INVALID, "limit", "limit must be 1..%d", GL_LIST_MAX);
    if (f->text && fts_query(f->text, &fts)) {
        gl_buf_release(&fts);
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    }
    int rc = sq_acquire(s, &c, err);
    if (rc)
        goto out;
    rc = sq_begin(c, false, err);
    if (!rc)
        rc = list_ids(c, f, fts.len ? gl_buf_str(&fts) : NULL, ids, &n, err);
    if (!rc && n > (size_t)f->limit) {
        n = (size_t)f->limit;
        *next_cursor = ids[n - 1];
    }
    if (!rc && n)
        rc = each(c, ids, n, arg, err);
    if (!rc)
        rc = sq_commit(c, err);
    sq_release(s, c);
out:
    gl_buf_release(&fts);
    return rc;
}

static int load_records(struct sq_conn *c, const int64_t *ids, size_t n, void *arg,
                        struct gl_error *err)
{
    struct gl_change_page *out = arg;
    if (!(out->items = calloc(n, sizeof *out->items)))
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        gl_change_init(&out->items[i]);
        int rc = sq_change_load(c, ids[i], &out->items[i], err);
        if (rc)
            return rc;
        out->len++;
    }
    return 0;
}

int sq_change_list(struct gl_store *st, const struct gl_change_filter *f,
                   struct gl_change_page *out, struct gl_error *err)
{
    *out = (struct gl_change_page){0};
    int rc = with_page_ids(st, f, load_records, out, &out->next_cursor, err);
    if (rc)
        gl_change_page_release(out);
    return rc;
}

static int load_docs(struct sq_conn *c, const int64_t *ids, size_t n, void *arg,
                     struct gl_error *err)
{
    struct gl_change_doc_page *out = arg;
    if (!(out->items = calloc(n, sizeof *out->items)))
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        int rc = sq_change_doc_load(c, ids[i], &out->items[i], err);
        if (rc)
            return rc;
        out->len++;
    }
    return 0;
}

int sq_change_list_docs(struct gl_store *st, const struct gl_change_filter *f,
                        struct gl_change_doc_page *out, struct gl_error *err)
{
    *out = (struct gl_change_doc_page){0};
    int rc = with_page_ids(st, f, load_docs, out, &out->next_cursor, err);
    if (rc)
        gl_change_doc_page_release(out);
    return rc;
}

/* ---- CI list ----------------------------------------------------------------------- */

struct ci_list_args {
    const struct gl_ci_filter *f;
    struct gl_ci_page *out;
};

/* The LIKE pattern for a substring match of s, with the wildcards in s escaped. */
static int like_pattern(const char *s, struct gl_buf *out)
{
    if (gl_buf_putc(out, '%'))
        return -1;
    for (; *s; s++)
        if (((*s == '%' || *s == '_' || *s == '\\') && gl_buf_putc(out, '\\')) ||
            gl_buf_putc(out, *s))
            return -1;
    return gl_buf_putc(out, '%');
}

static int ci_list_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct ci_list_args *a = arg;
    const struct gl_ci_filter *f = a->f;
    struct gl_buf sql = GL_BUF_INIT, like = GL_BUF_INIT;
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc = 0, src;
    bool restricted = f->scope && !f->scope->all;
    if (gl_buf_puts(&sql, "SELECT " SQ_CI_COLS " WHERE 1") ||
        (f->before_id > 0 && gl_buf_puts(&sql, " AND c.id < ?")) ||
        (restricted && gl_buf_puts(&sql, " AND (c.client_id IS NULL")) ||
        sq_scope_sql(&sql, " OR c.client_id IN (", f->scope) ||
        (restricted && gl_buf_puts(&sql, ")")) ||
        (f->client_id && gl_buf_puts(&sql, " AND c.client_id = ?")) ||
        (f->type && gl_buf_puts(&sql, " AND c.type = ?")) ||
        (f->text && *f->text &&
         (gl_buf_puts(&sql, " AND c.name LIKE ? ESCAPE '\\'") || like_pattern(f->text, &like))) ||
        gl_buf_puts(&sql, " ORDER BY c.id DESC LIMIT ?")) {
        rc = sq_oom(err);
        goto out;
    }
    src = sqlite3_prepare_v2(c->db, gl_buf_str(&sql), -1, &st, NULL);
    if (src != SQLITE_OK) {
        rc = sq_error(c, src, NULL, "prepare CI list", err);
        goto out;
    }
    int at = 1;
    if (f->before_id > 0)
        sqlite3_bind_int64(st, at++, f->before_id);
    at = sq_bind_scope(st, at, f->scope);
    if (f->client_id)
        sqlite3_bind_int64(st, at++, f->client_id);
    if (f->type)
        sqlite3_bind_text(st, at++, f->type, -1, SQLITE_STATIC);
    if (f->text && *f->text)
        sqlite3_bind_text(st, at++, gl_buf_str(&like), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, at, f->limit + 1);

    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (a->out->len == (size_t)f->limit) {
            a->out->next_cursor = a->out->items[a->out->len - 1].id;
            src = SQLITE_DONE;
            break;
        }
        if (sq_grow((void **)&a->out->items, a->out->len, &cap, sizeof *a->out->items)) {
            rc = sq_oom(err);
            goto out;
        }
        struct gl_ci *ci = &a->out->items[a->out->len++];
        gl_ci_init(ci);
        rc = sq_ci_read(st, ci, err);
        if (rc)
            goto out;
    }
    if (src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "CI list", err);
out:
    sqlite3_finalize(st);
    gl_buf_release(&sql);
    gl_buf_release(&like);
    return rc;
}

int sq_ci_list(struct gl_store *st, const struct gl_ci_filter *f, struct gl_ci_page *out,
               struct gl_error *err)
{
    out->items = NULL;
    out->len = 0;
    out->next_cursor = 0;
    if (f->limit < 1 || f->limit > GL_LIST_MAX)
        return gl_error_set(err, GL_E_INVALID, "limit", "limit must be 1..%d", GL_LIST_MAX);
    struct ci_list_args a = {f, out};
    int rc = sq_with_tx(st, false, ci_list_tx, &a, err);
    if (rc)
        gl_ci_page_release(out);
    return rc;
}
