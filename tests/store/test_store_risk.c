/*
 * test_store_risk.c - the policy's versions and risk assessments in the store: the
 * default until one is stored, versioning with audit and stale/invalid refusals; an
 * assessment gathers the CMDB walk (dependents, their criticality, users, other clients
 * reached), history on the same CIs and the rollback plan, is stored once per distinct
 * inputs or policy version with an audit event, says when its inputs changed, and keeps a
 * "risk" summary in the change's rendering across later change writes.
 *
 * Same fixture and rules as test_store.c: a fresh database per test, only store.h and
 * fixture.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/impact.h"
#include "fixture.h"
#include "store/store.h"

#include "util/banned.h"

/* What the app layer does (app/risk.c), from the store's ops alone: gather the change's
 * inputs, score them under the policy in force (the core), save the assessment. */
static int assess(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t change_id,
                  int64_t now, struct gl_risk_assessment *out, bool *changed, struct gl_error *err)
{
    struct gl_change c;
    struct gl_policy *p = malloc(sizeof *p);
    struct gl_risk_inputs in;
    bool stored = false, moved = false;
    assert_non_null(p);
    gl_change_init(&c);
    int rc = st->changes->get(st, change_id, &c, err);
    if (!rc)
        rc = st->policy->get(st, p, err);
    if (!rc)
        rc = st->policy->risk_inputs(st, &c, now, &in, err);
    if (!rc) {
        memset(out, 0, sizeof *out);
        gl_risk_score(&in, p, out);
        out->change_id = change_id;
        out->assessed_at = now;
        rc = st->policy->risk_save(st, ctx, c.client_id, out, &stored, &moved, err);
    }
    if (changed)
        *changed = !rc && moved;
    gl_change_release(&c);
    free(p);
    return rc;
}

static void test_policy_versions(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    struct gl_policy p;
    struct gl_error err;
    assert_int_equal(st->policy->get(st, &p, &err), 0);
    assert_int_equal(p.version, 0);
    struct gl_policy dflt;
    gl_policy_default(&dflt);
    assert_true(p.weights[GL_FACTOR_BLACKOUT] == dflt.weights[GL_FACTOR_BLACKOUT]);

    size_t events = audit_count(st);
    struct gl_write_ctx ctx = wctx(T0, NULL);
    p.weights[GL_FACTOR_CONFLICTS] = 12.5;
    p.cab_quorum = 3;
    p.nsignoff = 1;
    snprintf(p.signoff[0].client_key, sizeof p.signoff[0].client_key, "acme");
    p.signoff[0].levels = 1u << GL_RISK_MODERATE;
    assert_int_equal(st->policy->put(st, &ctx, &p, &err), 0);
    assert_int_equal(p.version, 1);
    assert_int_equal(audit_count(st), events + 1);

    struct gl_policy got;
    assert_int_equal(st->policy->get(st, &got, &err), 0);
    assert_int_equal(got.version, 1);
    assert_true(got.weights[GL_FACTOR_CONFLICTS] == 12.5);
    assert_int_equal(got.cab_quorum, 3);
    assert_int_equal(got.nsignoff, 1);
    assert_string_equal(got.signoff[0].client_key, "acme");
    bool listed = false;
    assert_int_equal(gl_policy_signoff_levels(&got, "acme", &listed), 1u << GL_RISK_MODERATE);
    assert_true(listed);

    /* Replacing version 0 again is stale; -1 replaces whatever is in force. */
    struct gl_policy stale = got;
    stale.version = 0;
    assert_int_equal(st->policy->put(st, &ctx, &stale, &err), GL_E_STALE);
    assert_int_equal(stale.version, 0);
    stale.version = -1;
    stale.cab_quorum = 4;
    assert_int_equal(st->policy->put(st, &ctx, &stale, &err), 0);
    assert_int_equal(stale.version, 2);

    /* Invalid: refused with the field, nothing stored. */
    struct gl_policy bad = stale;
    bad.threshold[GL_RISK_HIGH] = 10;
    assert_int_equal(st->policy->put(st, &ctx, &bad, &err), GL_E_INVALID);
    assert_string_equal(err.field, "thresholds.high");
    assert_int_equal(bad.version, 2);
    assert_int_equal(audit_count(st), events + 2);

    struct gl_policy_version_list l;
    assert_int_equal(st->policy->versions(st, &l, &err), 0);
    assert_int_equal(l.len, 2);
    assert_int_equal(l.items[0].version, 2);
    assert_int_equal(l.items[1].version, 1);
    assert_string_equal(l.items[0].created_by, "alice");
    assert_int_equal(l.items[0].created_at, T0);
    assert_non_null(strstr(l.items[0].json, "\"cab_quorum\":4"));
    assert_non_null(strstr(l.items[1].json, "\"cab_quorum\":3"));
    gl_policy_version_list_release(&l);
    verify_chain(st);
}

static int relate(struct gl_store *st, int64_t from, int64_t to)
{
    struct gl_write_ctx ctx = wctx(T0, "ci.relate");
    struct gl_ci_relation r = {.from_ci = from, .to_ci = to, .kind = GL_REL_DEPENDS_ON};
    struct gl_error err;
    return st->cis->relation_add(st, &ctx, &r, &err);
}

static int64_t ci_with(struct gl_store *st, int64_t client, const char *name, int crit,
                       int64_t users)
{
    int64_t id = add_ci(st, client, name, "server");
    struct gl_ci before, after;
    struct gl_error err;
    assert_int_equal(st->cis->get(st, id, &before, &err), 0);
    assert_int_equal(st->cis->get(st, id, &after, &err), 0);
    after.criticality = crit;
    after.users_affected = users;
    struct gl_write_ctx ctx = wctx(T0, "ci.update");
    assert_int_equal(st->cis->update(st, &ctx, &before, &after, &err), 0);
    gl_ci_release(&before);
    gl_ci_release(&after);
    return id;
}

/* A finished change on ci with the given outcome. */
static void past_change(struct gl_store *st, int64_t client, int64_t ci, enum gl_outcome o)
{
    struct gl_change c;
    struct gl_error err;
    struct gl_write_ctx ctx = wctx(T0, "change.create");
    gl_change_init(&c);
    c.client_id = client;
    c.type = GL_TYPE_NORMAL;
    c.state = o == GL_OUTCOME_SUCCESSFUL ? GL_STATE_COMPLETED : GL_STATE_FAILED;
    c.outcome = o;
    gl_change_set_str(&c.title, "past");
    gl_idlist_push(&c.ci_ids, ci);
    assert_int_equal(st->changes->create(st, &ctx, &c, &err), 0);
    gl_change_release(&c);
}

struct world {
    int64_t acme, other, app, db, web, shared, consumer, chg;
};

/* acme: web -> app -> db (web depends on app, app on db); db runs on the shared san,
 * which a CI of client "other" also uses. The change touches db. */
static struct world build(struct gl_store *st)
{
    struct world w;
    w.acme = add_client(st, "acme");
    w.other = add_client(st, "other");
    w.db = ci_with(st, w.acme, "db", 4, 100);
    w.app = ci_with(st, w.acme, "app", 5, 300);
    w.web = ci_with(st, w.acme, "web", 2, 1000);
    w.shared = ci_with(st, 0, "san", 3, 0);
    w.consumer = ci_with(st, w.other, "erp", 5, 50);
    assert_int_equal(relate(st, w.app, w.db), 0);
    assert_int_equal(relate(st, w.web, w.app), 0);
    assert_int_equal(relate(st, w.db, w.shared), 0);
    assert_int_equal(relate(st, w.consumer, w.shared), 0);
    struct spec s = {
        .client = w.acme, .type = GL_TYPE_NORMAL, .state = GL_STATE_SUBMITTED, .ci = w.db};
    w.chg = add_change(st, &s);
    return w;
}

static void test_assess_gathers_and_stores(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    struct world w = build(st);
    struct gl_error err;
    struct gl_risk_assessment a, cur;
    bool changed = true;
    assert_int_equal(st->policy->risk_current(st, w.chg, &cur, &err), GL_E_NOT_FOUND);
    assert_int_equal(assess(st, NULL, 999, T0, &a, &changed, &err), GL_E_NOT_FOUND);

    size_t events = audit_count(st);
    struct gl_write_ctx ctx = wctx(T0 + 10, "change.assess");
    assert_int_equal(assess(st, &ctx, w.chg, T0 + 10, &a, &changed, &err), 0);
    assert_false(changed); /* the first assessment */
    assert_int_equal(audit_count(st), events + 1);
    assert_int_equal(a.change_id, w.chg);
    assert_int_equal(a.assessed_at, T0 + 10);
    assert_int_equal(a.policy_version, 0);
    assert_int_equal(a.inputs.affected_cis, 1);
    assert_int_equal(a.inputs.max_ci_criticality, 4);
    /* Downstream of db: app, web (acme). db depends on san, but san is upstream. */
    assert_int_equal(a.inputs.dependent_cis, 2);
    assert_int_equal(a.inputs.max_dependent_criticality, 5);
    assert_int_equal(a.inputs.users_affected, 100 + 300 + 1000);
    assert_int_equal(a.inputs.clients_touched, 0);
    assert_false(a.inputs.has_rollback_plan);
    assert_int_equal(a.inputs.ci_changes, 0);
    assert_true(a.score > 0);
    double sum = 0;
    for (int f = 0; f < GL_FACTOR__COUNT; f++)
        sum += a.factors[f].points;
    assert_true(sum - a.score < 0.001 && a.score - sum < 0.001);

    /* Stored, and read back the same. */
    assert_int_equal(st->policy->risk_current(st, w.chg, &cur, &err), 0);
    assert_true(cur.score == a.score);
    assert_int_equal(cur.level, a.level);
    assert_int_equal(cur.assessed_at, T0 + 10);
    assert_true(gl_risk_inputs_equal(&cur.inputs, &a.inputs));
    assert_string_equal(cur.factors[GL_FACTOR_REVERSIBILITY].explanation, "no rollback plan");
    struct gl_policy dflt; /* none stored: scored under the built-in default */
    gl_policy_default(&dflt);
    assert_true(cur.factors[GL_FACTOR_CI_CRITICALITY].weight ==
                dflt.weights[GL_FACTOR_CI_CRITICALITY]);

    /* The rendering carries the summary. */
    struct gl_change_doc doc;
    assert_int_equal(st->changes->get_doc(st, w.chg, &doc, &err), 0);
    assert_non_null(strstr(doc.json, "\"risk\":{\"score\":"));
    assert_non_null(strstr(doc.json, "\"policy_version\":0"));
    gl_change_doc_release(&doc);

    /* Nothing changed: nothing stored, the stored assessment stands. */
    ctx.now = T0 + 20;
    assert_int_equal(assess(st, &ctx, w.chg, T0 + 20, &a, &changed, &err), 0);
    assert_false(changed);
    assert_int_equal(a.assessed_at, T0 + 10);
    assert_int_equal(audit_count(st), events + 1);
    verify_chain(st);
}

static void test_assess_follows_inputs(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    struct world w = build(st);
    struct gl_error err;
    struct gl_risk_assessment a, b;
    bool changed;
    struct gl_write_ctx ctx = wctx(T0 + 10, NULL);
    assert_int_equal(assess(st, &ctx, w.chg, T0 + 10, &a, &changed, &err), 0);

    /* A CI of "other" starts depending on web: one more dependent, another client. */
    assert_int_equal(relate(st, w.consumer, w.web), 0);
    size_t events = audit_count(st);
    assert_int_equal(assess(st, &ctx, w.chg, T0 + 20, &b, &changed, &err), 0);
    assert_true(changed);
    assert_int_equal(audit_count(st), events + 1);
    assert_int_equal(b.inputs.dependent_cis, 3);
    assert_int_equal(b.inputs.clients_touched, 1);
    assert_true(b.score > a.score);

    /* History: a failed change and a successful one on db. */
    past_change(st, w.acme, w.db, GL_OUTCOME_FAILED);
    past_change(st, w.acme, w.db, GL_OUTCOME_SUCCESSFUL);
    past_change(st, w.acme, w.web, GL_OUTCOME_FAILED); /* another CI: not counted */
    assert_int_equal(assess(st, &ctx, w.chg, T0 + 30, &a, &changed, &err), 0);
    assert_true(changed);
    assert_int_equal(a.inputs.ci_changes, 2);
    assert_int_equal(a.inputs.ci_failures, 1);
    assert_false(a.inputs.from_template);

    /* A tested rollback plan lowers the score; the change write keeps the summary. */
    struct gl_change before, after;
    assert_int_equal(st->changes->get(st, w.chg, &before, &err), 0);
    assert_int_equal(st->changes->get(st, w.chg, &after, &err), 0);
    gl_change_set_str(&after.rollback_plan, "restore the snapshot");
    after.rollback_tested = true;
    struct gl_write_ctx uctx = wctx(T0 + 40, "change.update");
    assert_int_equal(st->changes->update(st, &uctx, &before, &after, &err), 0);
    struct gl_change_doc doc;
    assert_int_equal(st->changes->get_doc(st, w.chg, &doc, &err), 0);
    assert_non_null(strstr(doc.json, "\"risk\":{"));
    gl_change_doc_release(&doc);
    assert_int_equal(assess(st, &ctx, w.chg, T0 + 40, &b, &changed, &err), 0);
    assert_true(changed);
    assert_true(b.inputs.has_rollback_plan && b.inputs.rollback_tested);
    assert_true(b.score < a.score);
    gl_change_release(&before);
    gl_change_release(&after);

    /* A new policy: reassessed under it, but the inputs did not change. */
    struct gl_policy p;
    assert_int_equal(st->policy->get(st, &p, &err), 0);
    p.weights[GL_FACTOR_CI_CRITICALITY] = 40;
    assert_int_equal(st->policy->put(st, &ctx, &p, &err), 0);
    events = audit_count(st);
    assert_int_equal(assess(st, &ctx, w.chg, T0 + 50, &a, &changed, &err), 0);
    assert_false(changed);
    assert_int_equal(a.policy_version, 1);
    assert_int_equal(audit_count(st), events + 1);
    assert_true(a.score > b.score);
    assert_int_equal(st->policy->risk_current(st, w.chg, &b, &err), 0);
    assert_int_equal(b.policy_version, 1);
    verify_chain(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_policy_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_assess_gathers_and_stores, setup, teardown),
        cmocka_unit_test_setup_teardown(test_assess_follows_inputs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
