/*
 * cmdb.c - CI, relation, import and policy actions (cmdb.h).
 */
#include "app/cmdb.h"

#include "app/risk.h"
#include "core/authz.h"

#include "util/banned.h"

struct ci_update_args {
    const struct gl_app *a;
    int64_t id, if_match;
    gl_app_ci_edit_fn apply;
    void *ud;
    struct gl_ci *out;
};

static int ci_update_tx(struct gl_store *st, void *arg, struct gl_error *err)
{
    struct ci_update_args *x = arg;
    const struct gl_app *a = x->a;
    struct gl_ci before;
    gl_ci_init(&before);
    char ident[GL_IDENT_MAX];
    gl_ci_ident_format(x->id, ident);
    int rc = st->cis->get(st, x->id, &before, err);
    if (rc == 0 && before.client_id && !gl_scope_contains(a->scope, before.client_id))
        rc = GL_E_NOT_FOUND;
    if (rc == GL_E_NOT_FOUND)
        rc = gl_error_set(err, GL_E_NOT_FOUND, NULL, "no configuration item %s", ident);
    if (!rc)
        rc = gl_authz_check(a->user, GL_PERM_CI_WRITE, before.client_id, err);
    if (!rc)
        rc = gl_app_check_version(before.version, x->if_match, true, err);
    if (!rc && gl_ci_copy(x->out, &before) < 0)
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    if (!rc)
        rc = x->apply(x->ud, &before, x->out, err);
    if (!rc)
        rc = gl_ci_validate(x->out, err);
    struct gl_write_ctx ctx = gl_app_write_ctx(a, "ci.update", NULL);
    if (!rc)
        rc = st->cis->update(st, &ctx, &before, x->out, err);
    if (!rc)
        rc = gl_app_fault(a, "ci.written", err);
    if (!rc && (x->out->criticality != before.criticality ||
                x->out->users_affected != before.users_affected))
        rc = gl_app_risk_after_ci(a, x->out->id, err);
    gl_ci_release(&before);
    return rc;
}

int gl_app_ci_update(const struct gl_app *a, int64_t id, int64_t if_match,
                     gl_app_ci_edit_fn apply, void *ud, struct gl_ci *out, struct gl_error *err)
{
    struct ci_update_args x = {a, id, if_match, apply, ud, out};
    return a->st->admin->transact(a->st, ci_update_tx, &x, err);
}

struct relate_args {
    const struct gl_app *a;
    const struct gl_ci *from, *to;
    const struct gl_ci_relation *r;
    bool add;
};

static int relate_tx(struct gl_store *st, void *arg, struct gl_error *err)
{
    struct relate_args *x = arg;
    const struct gl_app *a = x->a;
    int rc = gl_authz_check(a->user, GL_PERM_CI_WRITE, x->from->client_id, err);
    if (!rc && x->to->client_id != 0 && x->to->client_id != x->from->client_id)
        rc = gl_authz_check(a->user, GL_PERM_CI_WRITE, x->to->client_id, err);
    struct gl_write_ctx ctx = gl_app_write_ctx(a, x->add ? "ci.relate" : "ci.unrelate", NULL);
    if (!rc)
        rc = x->add ? st->cis->relation_add(st, &ctx, x->r, err)
                    : st->cis->relation_delete(st, &ctx, x->r, err);
    if (!rc)
        rc = gl_app_fault(a, "ci.written", err);
    if (!rc)
        rc = gl_app_risk_after_ci(a, x->r->to_ci, err);
    return rc;
}

int gl_app_ci_relate(const struct gl_app *a, const struct gl_ci *from, const struct gl_ci *to,
                     const struct gl_ci_relation *r, bool add, struct gl_error *err)
{
    struct relate_args x = {a, from, to, r, add};
    return a->st->admin->transact(a->st, relate_tx, &x, err);
}

struct import_args {
    const struct gl_app *a;
    struct gl_ci_import *items;
    size_t n;
    bool dry_run;
    gl_ci_import_check check;
    void *ud;
};

static int import_tx(struct gl_store *st, void *arg, struct gl_error *err)
{
    struct import_args *x = arg;
    struct gl_write_ctx ctx = gl_app_write_ctx(x->a, NULL, "bulk import");
    return st->cis->import(st, &ctx, x->items, x->n, x->dry_run, x->check, x->ud, err);
}

int gl_app_ci_import(const struct gl_app *a, struct gl_ci_import *items, size_t n,
                     bool dry_run, gl_ci_import_check check, void *ud, struct gl_error *err)
{
    struct import_args x = {a, items, n, dry_run, check, ud};
    return a->st->admin->transact(a->st, import_tx, &x, err);
}

struct policy_args {
    const struct gl_app *a;
    struct gl_policy *p;
    const char *reason;
};

static int policy_tx(struct gl_store *st, void *arg, struct gl_error *err)
{
    struct policy_args *x = arg;
    struct gl_write_ctx ctx = gl_app_write_ctx(x->a, "policy.update", x->reason);
    return st->policy->put(st, &ctx, x->p, err);
}

int gl_app_policy_put(const struct gl_app *a, struct gl_policy *p, const char *reason,
                      struct gl_error *err)
{
    struct policy_args x = {a, p, reason};
    return a->st->admin->transact(a->st, policy_tx, &x, err);
}
