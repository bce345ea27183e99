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
 */
#include "store/sqlite_int.h"

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
           str_same(a->type, b->type) && str_same(a->owner, b->owner);
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

/* One row in its savepoint; false when the whole transaction was lost. */
static bool import_row(struct sq_conn *c, const struct import_job *j, struct gl_ci_import *it)
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
    if (rc || j->dry_run)
        savepoint(c, SQ_IMPORT_ROLLBACK_TO, "ROLLBACK TO import_row", NULL);
    savepoint(c, SQ_IMPORT_RELEASE, "RELEASE import_row", NULL);
    return true;
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
