/*
 * sqlite_import.c - bulk import of configuration items (store.h, ci_import).
 *
 * Rows go through the group-commit writer in chunks of CHUNK_ROWS: one sq_write job, so
 * one transaction and one fsync, per chunk, instead of one per row. Inside the job each
 * row has a SAVEPOINT of its own around its CI write and its audit event, so a row that
 * fails is rolled back alone and the rows around it stay. Chunks keep the writer from
 * being held for the whole file: other writes interleave between them.
 *
 * Invariants: an item ends CREATED, UPDATED or UNCHANGED only when its transaction
 * committed (a chunk whose commit fails turns its written items REJECTED); a dry run
 * rolls every row back to its savepoint after writing it, so it exercises every check.
 *
 * Rows that name relations (links) may name CIs anywhere in the file, so a file with any
 * is written as one transaction in three steps: (1) every link is resolved by name to a
 * stored CI or a pending row, and a row with a link that resolves to nothing is rejected,
 * as is, in turn, every row whose link resolved only to a rejected row; (2) the CIs are
 * written, each row in its savepoint; (3) the relations are added. A row is thus never
 * half-imported: either its CI and all its relations commit, or none of it. Should step
 * (2) reject a row that another row links to, everything is rolled back to the start and
 * the steps run again without it.
 */
#include "store/sqlite_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/change.h"

#include "util/banned.h"

#define CHUNK_ROWS 1000

static const char by_name_sql[] =
    "SELECT id FROM cis WHERE client_id IS ? AND name = ? ORDER BY id LIMIT 1";

struct import_job {
    const struct gl_write_ctx *ctx;
    struct gl_ci_import *items;
    size_t n;
    bool dry_run;
    gl_ci_import_check check;
    void *ud;
};

static int savepoint(struct sq_conn *c, enum sq_stmt_id id, const char *sql,
                     struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, id, sql, err);
    return st ? sq_exec_stmt(c, st, NULL, sql, err) : GL_E_INTERNAL;
}

/* The oldest CI of ci's client (or shared) named like ci; *id 0 when there is none. */
static int find_by_name(struct sq_conn *c, const struct gl_ci *ci, int64_t *id,
                        struct gl_error *err)
{
    *id = 0;
    if (!ci->name)
        return 0;
    sqlite3_stmt *st = sq_stmt(c, SQ_CI_BY_NAME, by_name_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sq_bind_optid(st, 1, ci->client_id);
    sq_bind_text(st, 2, ci->name);
    int rc = 0, src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    else if (src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "find CI by name", err);
    sqlite3_reset(st);
    return rc;
}

static bool str_same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool ci_same(const struct gl_ci *a, const struct gl_ci *b)
{
    return a->client_id == b->client_id && a->criticality == b->criticality &&
           a->users_affected == b->users_affected && str_same(a->name, b->name) &&
           str_same(a->type, b->type) && str_same(a->owner, b->owner) &&
           gl_attrs_equal(&a->attrs, &b->attrs);
}

static int update_row(struct sq_conn *c, const struct import_job *j, struct gl_ci_import *it,
                      int64_t id, struct gl_error *err)
{
    struct gl_ci stored;
    gl_ci_init(&stored);
    int rc = sq_ci_load(c, id, &stored, err);
    if (rc == GL_E_NOT_FOUND) {
        char ident[GL_IDENT_MAX];
        gl_ci_ident_format(id, ident);
        rc = gl_error_set(err, GL_E_INVALID, "id", "no configuration item %s", ident);
    }
    if (!rc && j->check)
        rc = j->check(j->ud, &stored, err);
    if (!rc && it->keep_attrs) {
        gl_attrs_release(&it->ci->attrs);
        if (gl_attrs_copy(&it->ci->attrs, &stored.attrs))
            rc = sq_oom(err);
    }
    if (rc)
        goto out;
    if (ci_same(&stored, it->ci)) {
        it->ci->id = stored.id;
        it->ci->version = stored.version;
        it->ci->created_at = stored.created_at;
        it->ci->updated_at = stored.updated_at;
        it->outcome = GL_IMPORT_UNCHANGED;
        goto out;
    }
    rc = sq_ci_rewrite(c, j->ctx, &stored, it->ci, err);
    if (!rc)
        it->outcome = GL_IMPORT_UPDATED;
out:
    gl_ci_release(&stored);
    return rc;
}

static int write_row(struct sq_conn *c, const struct import_job *j, struct gl_ci_import *it,
                     struct gl_error *err)
{
    int64_t id = it->match_id;
    int rc = id ? 0 : find_by_name(c, it->ci, &id, err);
    if (rc)
        return rc;
    if (id)
        return update_row(c, j, it, id, err);
    rc = sq_ci_insert(c, j->ctx, it->ci, err);
    if (!rc)
        it->outcome = GL_IMPORT_CREATED;
    return rc;
}

/* One row in its savepoint; false when the whole transaction was lost. keep: leave the
 * row written even in a dry run (the caller rolls the whole file back). */
static bool import_row_keep(struct sq_conn *c, const struct import_job *j,
                            struct gl_ci_import *it, bool keep)
{
    struct gl_error *err = it->err;
    if (savepoint(c, SQ_IMPORT_SAVEPOINT, "SAVEPOINT import_row", err)) {
        it->outcome = GL_IMPORT_REJECTED;
        return !sqlite3_get_autocommit(c->db);
    }
    int rc = write_row(c, j, it, err);
    if (sqlite3_get_autocommit(c->db))
        return false;
    if (rc) {
        it->outcome = GL_IMPORT_REJECTED;
        if (err->code == GL_OK)
            err->code = rc;
        it->ci->id = 0;
    }
    if (rc || (j->dry_run && !keep))
        savepoint(c, SQ_IMPORT_ROLLBACK_TO, "ROLLBACK TO import_row", NULL);
    savepoint(c, SQ_IMPORT_RELEASE, "RELEASE import_row", NULL);
    return true;
}

static bool import_row(struct sq_conn *c, const struct import_job *j, struct gl_ci_import *it)
{
    return import_row_keep(c, j, it, false);
}

static int import_chunk_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct import_job *j = arg;
    for (size_t i = 0; i < j->n; i++) {
        if (j->items[i].outcome != GL_IMPORT_PENDING)
            continue;
        if (!import_row(c, j, &j->items[i]))
            return gl_error_set(err, GL_E_INTERNAL, NULL, "the import transaction was lost: %s",
                                sqlite3_errmsg(c->db));
    }
    return 0;
}

/* ---- files with relations ------------------------------------------------------------ */

static bool sq_import_has_links(const struct gl_ci_import *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (items[i].nlinks && items[i].outcome == GL_IMPORT_PENDING)
            return true;
    return false;
}

/* Pending rows by (client, name), to resolve links to rows of the file. */
struct row_key {
    int64_t client_id;
    const char *name;
    size_t item;
};

static int row_key_cmp(const void *pa, const void *pb)
{
    const struct row_key *a = pa, *b = pb;
    if (a->client_id != b->client_id)
        return a->client_id < b->client_id ? -1 : 1;
    int c = strcmp(a->name, b->name);
    if (c)
        return c;
    return a->item < b->item ? -1 : a->item > b->item;
}

struct link_state {
    const struct import_job *j;
    struct row_key *keys;
    size_t nkeys;
    bool *is_target; /* per item: another row's link resolved to it */
};

/* The first still-pending row of the file with (client, name); false when none. */
static bool file_row(const struct link_state *ls, int64_t client_id, const char *name,
                     size_t *item)
{
    struct row_key want = {client_id, name, 0};
    size_t lo = 0, hi = ls->nkeys;
    while (lo < hi) { /* lower bound of (client, name) */
        size_t mid = lo + (hi - lo) / 2;
        if (row_key_cmp(&ls->keys[mid], &want) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < ls->nkeys && ls->keys[lo].client_id == client_id &&
           strcmp(ls->keys[lo].name, name) == 0;
         lo++)
        if (ls->j->items[ls->keys[lo].item].outcome == GL_IMPORT_PENDING) {
            *item = ls->keys[lo].item;
            return true;
        }
    return false;
}

static int stored_by_name(struct sq_conn *c, int64_t client_id, const char *name, int64_t *id,
                          struct gl_error *err)
{
    struct gl_ci probe = {.client_id = client_id, .name = (char *)name};
    return find_by_name(c, &probe, id, err);
}

/* Where a link of `it` points: a row of the file (*item) or a stored CI (*id); both
 * unset (SIZE_MAX, 0) when nothing has that name. The row's client comes first, then
 * shared infrastructure; within each a row of the file before a stored CI. */
static int resolve_link(struct sq_conn *c, const struct link_state *ls,
                        const struct gl_ci_import *it, const char *name, size_t *item,
                        int64_t *id, struct gl_error *err)
{
    *item = SIZE_MAX;
    *id = 0;
    int64_t scopes[2] = {it->ci->client_id, 0};
    for (int k = 0; k < (it->ci->client_id ? 2 : 1); k++) {
        if (file_row(ls, scopes[k], name, item))
            return 0;
        int rc = stored_by_name(c, scopes[k], name, id, err);
        if (rc || *id)
            return rc;
    }
    return 0;
}

/* The stored CI the row will update (0 = it creates one). */
static int own_id(struct sq_conn *c, const struct gl_ci_import *it, int64_t *id,
                  struct gl_error *err)
{
    *id = it->match_id;
    return *id ? 0 : find_by_name(c, it->ci, id, err);
}

static void reject_link(struct gl_ci_import *it, const struct gl_ci_link *l, const char *why)
{
    const char *kind = gl_rel_kind_name(l->kind);
    it->outcome = GL_IMPORT_REJECTED;
    if (why)
        gl_error_set(it->err, GL_E_INVALID, kind, "%s: %s", kind, why);
    else
        gl_error_set(it->err, GL_E_INVALID, kind,
                     "%s: no configuration item named \"%.80s\" in %s%s%s", kind, l->name,
                     it->ci->client_key ? "client " : "shared infrastructure",
                     it->ci->client_key ? it->ci->client_key : "",
                     it->ci->client_key ? " or shared infrastructure" : "");
}

/* A link of row `item` (its link number `link`) that resolved to row `target` of the file. */
struct link_dep {
    size_t target, item, link;
};

struct deps {
    struct link_dep *v;
    size_t len, cap, sorted; /* v[0..sorted) is ordered by target */
};

static int dep_cmp(const void *pa, const void *pb)
{
    const struct link_dep *a = pa, *b = pb;
    return a->target < b->target ? -1 : a->target > b->target;
}

static int deps_push(struct deps *d, size_t target, size_t item, size_t link)
{
    if (d->len == d->cap) {
        size_t ncap = d->cap ? d->cap * 2 : 64;
        struct link_dep *n = realloc(d->v, ncap * sizeof *n);
        if (!n)
            return -1;
        d->v = n;
        d->cap = ncap;
    }
    d->v[d->len++] = (struct link_dep){target, item, link};
    return 0;
}

/* Resolves link k of row i and judges it: rejects the row (true) when the link names
 * nothing or the row itself; else records a dependency on a file row. */
static int judge_link(struct sq_conn *c, struct link_state *ls, struct deps *d,
                      const int64_t *self, size_t i, size_t k, bool *rejected,
                      struct gl_error *err)
{
    struct gl_ci_import *it = &ls->j->items[i];
    size_t item;
    int64_t id;
    *rejected = false;
    int rc = resolve_link(c, ls, it, it->links[k].name, &item, &id, err);
    if (rc)
        return rc;
    if (item == i || (id && id == self[i]))
        reject_link(it, &it->links[k], "a configuration item cannot relate to itself");
    else if (item == SIZE_MAX && !id)
        reject_link(it, &it->links[k], NULL);
    else if (item != SIZE_MAX && deps_push(d, item, i, k))
        return sq_oom(err);
    *rejected = it->outcome == GL_IMPORT_REJECTED;
    return 0;
}

/* Step 1: rejects the rows with a link to nothing, then, from each rejected row, the rows
 * whose link had resolved to it and now resolves to nothing (a duplicate name may still
 * resolve to another row or a stored CI). Each link is judged once, plus once again per
 * rejection of the row it pointed at: linear in the links for any file. */
static int check_links(struct sq_conn *c, struct link_state *ls, struct gl_error *err)
{
    const struct import_job *j = ls->j;
    struct deps d = {0};
    int64_t *self = calloc(j->n ? j->n : 1, sizeof *self);
    size_t *queue = malloc((j->n ? j->n : 1) * sizeof *queue), nq = 0;
    int rc = self && queue ? 0 : sq_oom(err);
    for (size_t i = 0; !rc && i < j->n; i++) {
        struct gl_ci_import *it = &j->items[i];
        if (it->outcome != GL_IMPORT_PENDING || !it->nlinks)
            continue;
        rc = own_id(c, it, &self[i], err);
        bool rejected = false;
        for (size_t k = 0; !rc && !rejected && k < it->nlinks; k++)
            rc = judge_link(c, ls, &d, self, i, k, &rejected, err);
        if (rejected)
            queue[nq++] = i;
    }
    while (!rc && nq) {
        size_t t = queue[--nq];
        if (d.sorted != d.len) { /* links judged again since the last sort */
            qsort(d.v, d.len, sizeof *d.v, dep_cmp);
            d.sorted = d.len;
        }
        struct link_dep want = {t, 0, 0};
        struct link_dep *hit = d.sorted ? bsearch(&want, d.v, d.sorted, sizeof *d.v, dep_cmp)
                                        : NULL; /* d.v may be NULL: no bsearch(NULL, 0) */
        size_t at = hit ? (size_t)(hit - d.v) : d.sorted;
        while (at > 0 && d.v[at - 1].target == t)
            at--;
        size_t end = at;
        while (end < d.sorted && d.v[end].target == t)
            end++;
        for (; !rc && at < end; at++) {
            struct link_dep dep = d.v[at]; /* copy: judging may grow d.v */
            bool rejected;
            if (j->items[dep.item].outcome != GL_IMPORT_PENDING)
                continue;
            rc = judge_link(c, ls, &d, self, dep.item, dep.link, &rejected, err);
            if (!rc && rejected)
                queue[nq++] = dep.item;
        }
    }
    memset(ls->is_target, 0, j->n * sizeof *ls->is_target);
    for (size_t k = 0; !rc && k < d.len; k++) /* stale entries name rejected rows: harmless */
        if (j->items[d.v[k].item].outcome == GL_IMPORT_PENDING)
            ls->is_target[d.v[k].target] = true;
    free(d.v);
    free(self);
    free(queue);
    return rc;
}

/* Step 3: the relations of every written row. */
static int add_links(struct sq_conn *c, const struct link_state *ls, struct gl_error *err)
{
    const struct import_job *j = ls->j;
    for (size_t i = 0; i < j->n; i++) {
        struct gl_ci_import *it = &j->items[i];
        if (it->outcome == GL_IMPORT_REJECTED || it->outcome == GL_IMPORT_PENDING)
            continue;
        for (size_t k = 0; k < it->nlinks; k++) {
            size_t item;
            int64_t to;
            bool added;
            int rc = resolve_link(c, ls, it, it->links[k].name, &item, &to, err);
            if (!rc && item != SIZE_MAX)
                to = j->items[item].ci->id;
            if (!rc && !to) /* step 1 made sure of it: the file changed under us */
                rc = gl_error_set(err, GL_E_INTERNAL, NULL, "row %zu: a related CI vanished",
                                  i + 1);
            if (!rc)
                rc = sq_rel_ensure(c, j->ctx, it->ci->id, it->links[k].kind, to, &added, err);
            if (rc)
                return rc;
            if (added && it->outcome == GL_IMPORT_UNCHANGED)
                it->outcome = GL_IMPORT_UPDATED;
        }
    }
    return 0;
}

/* Step 2; *redo when a row another row links to was rejected. false: transaction lost. */
static bool write_rows(struct sq_conn *c, const struct link_state *ls, bool *redo)
{
    *redo = false;
    for (size_t i = 0; i < ls->j->n; i++) {
        struct gl_ci_import *it = &ls->j->items[i];
        if (it->outcome != GL_IMPORT_PENDING)
            continue;
        if (!import_row_keep(c, ls->j, it, true))
            return false;
        if (it->outcome == GL_IMPORT_REJECTED && ls->is_target[i])
            *redo = true;
    }
    return true;
}

static int links_pass(struct sq_conn *c, struct link_state *ls, bool *redo, struct gl_error *err)
{
    int rc = check_links(c, ls, err);
    if (rc)
        return rc;
    if (!write_rows(c, ls, redo))
        return gl_error_set(err, GL_E_INTERNAL, NULL, "the import transaction was lost: %s",
                            sqlite3_errmsg(c->db));
    return *redo ? 0 : add_links(c, ls, err);
}

static int sq_import_links_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    const struct import_job *j = arg;
    struct link_state ls = {.j = j};
    ls.keys = malloc((j->n ? j->n : 1) * sizeof *ls.keys);
    ls.is_target = calloc(j->n ? j->n : 1, sizeof *ls.is_target);
    int rc = ls.keys && ls.is_target ? 0 : sq_oom(err);
    for (size_t i = 0; !rc && i < j->n; i++)
        if (j->items[i].outcome == GL_IMPORT_PENDING && j->items[i].ci->name)
            ls.keys[ls.nkeys++] = (struct row_key){j->items[i].ci->client_id,
                                                   j->items[i].ci->name, i};
    if (!rc)
        qsort(ls.keys, ls.nkeys, sizeof *ls.keys, row_key_cmp);
    bool redo = true;
    while (!rc && redo) {
        rc = sq_exec(c, "SAVEPOINT import_all", err);
        if (rc)
            break;
        rc = links_pass(c, &ls, &redo, err);
        if (rc || redo || j->dry_run)
            sq_exec(c, "ROLLBACK TO import_all", NULL);
        sq_exec(c, "RELEASE import_all", NULL);
        for (size_t i = 0; redo && i < j->n; i++) /* run again: written rows are pending */
            if (j->items[i].outcome != GL_IMPORT_REJECTED)
                j->items[i].outcome = GL_IMPORT_PENDING;
    }
    free(ls.keys);
    free(ls.is_target);
    return rc;
}

/* After a chunk's transaction failed: nothing of it was written. */
static void fail_chunk(struct gl_ci_import *items, size_t n, const struct gl_error *why)
{
    for (size_t i = 0; i < n; i++) {
        if (items[i].outcome == GL_IMPORT_REJECTED && items[i].err->code != GL_OK)
            continue;
        items[i].outcome = GL_IMPORT_REJECTED;
        *items[i].err = *why;
        items[i].ci->id = 0;
    }
}

int sq_ci_import(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_ci_import *items,
                 size_t n, bool dry_run, gl_ci_import_check check, void *ud,
                 struct gl_error *err)
{
    if (sq_import_has_links(items, n)) {
        struct import_job j = {ctx, items, n, dry_run, check, ud};
        int rc = sq_write(sq_store(st), sq_import_links_tx, &j, err);
        if (rc)
            fail_chunk(items, n, err);
        return rc;
    }
    for (size_t at = 0; at < n; at += CHUNK_ROWS) {
        size_t len = n - at < CHUNK_ROWS ? n - at : CHUNK_ROWS;
        struct import_job j = {ctx, items + at, len, dry_run, check, ud};
        int rc = sq_write(sq_store(st), import_chunk_tx, &j, err);
        if (rc) {
            fail_chunk(items + at, n - at, err);
            return rc;
        }
    }
    return 0;
}
