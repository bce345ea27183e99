/*
 * sqlite_tx.c - the transaction and audit helpers every SQLite record file shares:
 * sq_with_tx (one store call as one transaction: a write through the group commit of
 * sqlite_commit.c, a read in a deferred transaction on a pooled connection), sq_audit_json
 * (a write's audit event from JSON snapshots), sq_oom, and the versioned update skeleton
 * (sq_versioned_update: load, version check, write, audit, restore) that the clients, CIs,
 * changes, documents and templates fill in with their own parts.
 *
 * Invariants:
 *  - a read never holds its connection past its COMMIT or ROLLBACK: the connection goes
 *    back to the pool with no transaction open;
 *  - sq_audit_json always frees the snapshots it is given, and refuses (GL_E_INTERNAL) to
 *    write an event whose snapshot could not be encoded, so the write rolls back with it;
 *  - a versioned update writes nothing unless the stored version is the caller's, and a
 *    failed one leaves the caller's id, version, created_at and updated_at as they were.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>

#include "util/banned.h"

int sq_with_tx(struct gl_store *st, bool write, sq_write_fn fn, void *arg, struct gl_error *err)
{
    struct sq_store *s = sq_store(st);
    if (write)
        return sq_write(s, fn, arg, err);
    struct sq_conn *c = NULL;
    int rc = sq_acquire(s, &c, err);
    if (rc)
        return rc;
    rc = sq_begin(c, write, err);
    if (!rc)
        rc = fn(c, arg, err);
    if (!rc)
        rc = sq_commit(c, err);
    if (rc)
        sq_rollback(c);
    sq_release(s, c);
    return rc;
}

int(sq_oom)(struct gl_error *err)
{
    return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
}

int sq_audit_json(struct sq_conn *c, const struct gl_write_ctx *ctx, const char *dflt_action,
                  const char *entity, int64_t entity_id, int64_t client_id, char *before,
                  char *after, bool want_before, struct gl_error *err)
{
    int rc;
    if (!after || (want_before && !before))
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "cannot encode %s snapshot", entity);
    else {
        struct gl_write_ctx actx = *ctx;
        if (!actx.action)
            actx.action = dflt_action;
        rc = sq_audit_append(c, &actx, entity, entity_id, client_id, before, after, err);
    }
    free(before);
    free(after);
    return rc;
}

/* ---- the versioned update ------------------------------------------------------------ */

enum { STAMP_ID, STAMP_VERSION, STAMP_CREATED, STAMP_UPDATED, STAMP__COUNT };

static size_t stamp_offset(const struct sq_versioned *v, int which)
{
    const size_t off[STAMP__COUNT] = {v->id, v->version, v->created_at, v->updated_at};
    return off[which];
}

static int64_t *stamp(const struct sq_versioned *v, void *rec, int which)
{
    return (int64_t *)((char *)rec + stamp_offset(v, which));
}

static int64_t stamp_get(const struct sq_versioned *v, const void *rec, int which)
{
    return *(const int64_t *)((const char *)rec + stamp_offset(v, which));
}

static void stamps_save(const struct sq_versioned *v, const void *rec, int64_t out[STAMP__COUNT])
{
    for (int i = 0; i < STAMP__COUNT; i++)
        out[i] = stamp_get(v, rec, i);
}

static void stamps_restore(const struct sq_versioned *v, void *rec,
                           const int64_t saved[STAMP__COUNT])
{
    for (int i = 0; i < STAMP__COUNT; i++)
        *stamp(v, rec, i) = saved[i];
}

int sq_versioned_update_conn(struct sq_conn *c, const struct sq_versioned *v,
                             const struct gl_write_ctx *ctx, const void *before, void *after,
                             void *arg, struct gl_error *err)
{
    int64_t saved[STAMP__COUNT];
    stamps_save(v, after, saved);
    struct sq_update u = {ctx, before, after, malloc(v->size), arg};
    if (!u.stored)
        return sq_oom(err);
    v->init(u.stored);
    int64_t expected = stamp_get(v, before, STAMP_VERSION);
    int rc = v->load(c, stamp_get(v, before, STAMP_ID), u.stored, err);
    if (rc)
        goto out;
    int64_t version = stamp_get(v, u.stored, STAMP_VERSION);
    if (version != expected) {
        rc = gl_error_set(err, GL_E_STALE, "version", "the %s is at version %lld, not %lld",
                          v->noun, (long long)version, (long long)expected);
        goto out;
    }
    if (v->prepare && (rc = v->prepare(c, &u, err)) != 0)
        goto out;
    *stamp(v, after, STAMP_ID) = stamp_get(v, u.stored, STAMP_ID);
    *stamp(v, after, STAMP_VERSION) = version + 1;
    *stamp(v, after, STAMP_CREATED) = stamp_get(v, u.stored, STAMP_CREATED);
    *stamp(v, after, STAMP_UPDATED) = ctx->now;
    rc = v->write(c, &u, err);
    if (!rc)
        rc = v->record(c, &u, err);
out:
    if (rc)
        stamps_restore(v, after, saved);
    v->release(u.stored);
    free(u.stored);
    return rc;
}

struct versioned_job {
    const struct sq_versioned *v;
    const struct gl_write_ctx *ctx;
    const void *before;
    void *after;
    void *arg;
};

static int versioned_job(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct versioned_job *j = arg;
    return sq_versioned_update_conn(c, j->v, j->ctx, j->before, j->after, j->arg, err);
}

int sq_versioned_update(struct gl_store *st, const struct sq_versioned *v,
                        const struct gl_write_ctx *ctx, const void *before, void *after, void *arg,
                        struct gl_error *err)
{
    struct versioned_job j = {v, ctx, before, after, arg};
    return sq_versioned_write(st, v, after, versioned_job, &j, err);
}

int sq_versioned_write(struct gl_store *st, const struct sq_versioned *v, void *rec, sq_write_fn fn,
                       void *arg, struct gl_error *err)
{
    int64_t saved[STAMP__COUNT];
    stamps_save(v, rec, saved);
    int rc = sq_with_tx(st, true, fn, arg, err);
    if (rc) /* also when the commit failed after fn succeeded */
        stamps_restore(v, rec, saved);
    return rc;
}
