/*
 * sqlite_tx.c - the transaction and audit helpers every SQLite record file shares:
 * sq_with_tx (one store call as one transaction: a write through the group commit of
 * sqlite_commit.c, a read in a deferred transaction on a pooled connection), sq_audit_json
 * (a write's audit event from JSON snapshots) and sq_oom.
 *
 * Invariants:
 *  - a read never holds its connection past its COMMIT or ROLLBACK: the connection goes
 *    back to the pool with no transaction open;
 *  - sq_audit_json always frees the snapshots it is given, and refuses (GL_E_INTERNAL) to
 *    write an event whose snapshot could not be encoded, so the write rolls back with it.
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

int sq_oom(struct gl_error *err)
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
