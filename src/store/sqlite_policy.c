/*
 * sqlite_policy.c - the change policy's versions in SQLite (see store.h, core/policy.h).
 *
 * Invariants: policies rows are append-only, versions 1, 2, ... with no gaps; the highest
 * is in force; each row is written in one transaction with its "policy.update" audit
 * event (entity "policy", global), whose before/after are the bodies replaced and stored.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

#include "codec/json_policy.h"

#include "util/banned.h"

static const char policy_get_sql[] =
    "SELECT version, body_json FROM policies ORDER BY version DESC LIMIT 1";
static const char policy_insert_sql[] =
    "INSERT INTO policies (version, body_json, created_by, created_at) VALUES (?, ?, ?, ?)";
static const char policy_list_sql[] =
    "SELECT version, created_at, created_by, body_json FROM policies ORDER BY version DESC";

/* Loads the policy in force; *body (may be NULL) receives the stored text (NULL when
 * none is stored), malloc'd. */
static int policy_load_body(struct sq_conn *c, struct gl_policy *out, char **body,
                            struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_POLICY_GET, policy_get_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    int rc = 0, src = sqlite3_step(st);
    if (body)
        *body = NULL;
    if (src == SQLITE_DONE) {
        gl_policy_default(out);
    } else if (src == SQLITE_ROW) {
        int64_t version = sqlite3_column_int64(st, 0);
        const char *text = (const char *)sqlite3_column_text(st, 1);
        struct gl_error perr;
        if (gl_json_policy_loads(text ? text : "", out, &perr))
            rc = gl_error_set(err, GL_E_INTERNAL, NULL, "stored policy %lld is unreadable: %s",
                              (long long)version, perr.detail);
        out->version = version;
        if (!rc && body && !(*body = strdup(text ? text : "")))
            rc = sq_oom(err);
    } else {
        rc = sq_error(c, src, NULL, "read policy", err);
    }
    sqlite3_reset(st);
    return rc;
}

int sq_policy_load(struct sq_conn *c, struct gl_policy *out, struct gl_error *err)
{
    return policy_load_body(c, out, NULL, err);
}

static int get_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    return sq_policy_load(c, arg, err);
}

int sq_policy_get(struct gl_store *st, struct gl_policy *out, struct gl_error *err)
{
    return sq_with_tx(st, false, get_tx, out, err);
}

struct put_args {
    const struct gl_write_ctx *ctx;
    struct gl_policy *p;
};

static int put_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct put_args *a = arg;
    struct gl_policy cur;
    char *before = NULL, *after = NULL;
    int rc = policy_load_body(c, &cur, &before, err);
    if (rc)
        goto out;
    if (a->p->version >= 0 && a->p->version != cur.version) {
        rc = gl_error_set(err, GL_E_STALE, "version", "the policy is at version %lld, not %lld",
                          (long long)cur.version, (long long)a->p->version);
        goto out;
    }
    if (!(after = gl_json_policy_dump_body(a->p))) {
        rc = sq_oom(err);
        goto out;
    }
    sqlite3_stmt *st = sq_stmt(c, SQ_POLICY_INSERT, policy_insert_sql, err);
    if (!st) {
        rc = GL_E_INTERNAL;
        goto out;
    }
    int64_t version = cur.version + 1;
    sqlite3_bind_int64(st, 1, version);
    sq_bind_text(st, 2, after);
    sq_bind_text(st, 3, a->ctx->actor);
    sqlite3_bind_int64(st, 4, a->ctx->now);
    rc = sq_exec_stmt(c, st, NULL, "store policy", err);
    if (rc)
        goto out;
    /* The default was never stored: its snapshot is null. */
    rc = sq_audit_json(c, a->ctx, "policy.update", "policy", version, 0,
                       before ? before : strdup("null"), after, true, err);
    before = after = NULL; /* freed by sq_audit_json */
    if (!rc)
        a->p->version = version;
out:
    free(before);
    free(after);
    return rc;
}

int sq_policy_put(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_policy *p,
                  struct gl_error *err)
{
    int rc = gl_policy_validate(p, err);
    if (rc)
        return rc;
    const int64_t expected = p->version;
    struct put_args a = {ctx, p};
    rc = sq_with_tx(st, true, put_tx, &a, err);
    if (rc)
        p->version = expected;
    return rc;
}

static int list_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct gl_policy_version_list *out = arg;
    sqlite3_stmt *st = sq_stmt(c, SQ_POLICY_LIST, policy_list_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    size_t cap = 0;
    int src, rc = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (sq_grow((void **)&out->items, out->len, &cap, sizeof *out->items)) {
            rc = sq_oom(err);
            break;
        }
        struct gl_policy_version *v = &out->items[out->len++];
        memset(v, 0, sizeof *v);
        v->version = sqlite3_column_int64(st, 0);
        v->created_at = sqlite3_column_int64(st, 1);
        if (sq_col_text(st, 2, &v->created_by) || sq_col_text(st, 3, &v->json)) {
            rc = sq_oom(err);
            break;
        }
    }
    if (!rc && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "policy versions", err);
    sqlite3_reset(st);
    return rc;
}

int sq_policy_versions(struct gl_store *st, struct gl_policy_version_list *out,
                       struct gl_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = sq_with_tx(st, false, list_tx, out, err);
    if (rc)
        gl_policy_version_list_release(out);
    return rc;
}

void gl_policy_version_list_release(struct gl_policy_version_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->len; i++) {
        free(l->items[i].created_by);
        free(l->items[i].json);
    }
    free(l->items);
    l->items = NULL;
    l->len = 0;
}
