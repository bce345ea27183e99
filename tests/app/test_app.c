/*
 * test_app.c - the service layer against the real SQLite store: one action is one
 * transaction. A fault injected at a point inside an action (app.h, gl_app_fault) rolls
 * back every write the action made, records and audit events alike; without the fault the
 * same action writes all of them.
 *
 * Uses the store suites' fixture (a fresh database per test).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../store/fixture.h"
#include "app/change.h"
#include "app/cmdb.h"
#include "app/risk.h"

#include "util/banned.h"

/* Fails the action at `point` (NULL: never). */
static int fail_at(void *ud, const char *point, struct gl_error *err)
{
    const char *want = ud;
    if (want && strcmp(want, point) == 0)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "injected fault at %s", point);
    return 0;
}

static struct gl_user admin = {.name = "carol", .admin = true};
static struct gl_scope all = {.all = true};

static struct gl_app app_at(struct gl_store *st, int64_t now, const char *fault_point)
{
    return (struct gl_app){.st = st,
                           .user = &admin,
                           .scope = &all,
                           .request_id = "req-app",
                           .now = now,
                           .fault = fail_at,
                           .fault_ud = (void *)fault_point};
}

/* A normal change ready to assess: submitted, documented, one CI. */
static int64_t submitted_change(struct gl_store *st, int64_t client, int64_t ci)
{
    struct gl_change c;
    struct gl_error err;
    struct gl_write_ctx ctx = wctx(T0, "change.create");
    gl_change_init(&c);
    c.client_id = client;
    c.type = GL_TYPE_NORMAL;
    c.state = GL_STATE_SUBMITTED;
    gl_change_set_str(&c.title, "replace the core switch firmware");
    gl_change_set_str(&c.description, "vendor fix for the spanning-tree bug");
    gl_change_set_str(&c.implementation_plan, "1. stage 2. reload");
    gl_change_set_str(&c.test_plan, "ping the uplinks");
    gl_change_set_str(&c.rollback_plan, "boot the previous image");
    gl_idlist_push(&c.ci_ids, ci);
    c.planned_start = T0 + 30 * 24 * HOUR;
    c.planned_end = c.planned_start + HOUR;
    assert_int_equal(st->changes->create(st, &ctx, &c, &err), 0);
    int64_t id = c.id;
    gl_change_release(&c);
    return id;
}

static void assert_state(struct gl_store *st, int64_t id, enum gl_change_state want,
                         int64_t version)
{
    struct gl_change c;
    struct gl_error err;
    assert_int_equal(st->changes->get(st, id, &c, &err), 0);
    assert_int_equal(c.state, want);
    assert_int_equal(c.version, version);
    gl_change_release(&c);
}

static void test_assess_fault_after_risk_write_rolls_back_all(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    int64_t client = add_client(st, "acme");
    int64_t ci = add_ci(st, client, "core-sw-1", "network_device");
    int64_t id = submitted_change(st, client, ci);
    size_t events = audit_count(st);
    struct gl_error err;
    struct gl_risk_assessment a;

    struct gl_app faulty = app_at(st, T0 + 60, "risk.written");
    struct gl_app_act x = {.action = GL_ACTION_ASSESS, .in = GL_ACTION_INPUT_INIT};
    struct gl_app_act_result out;
    assert_int_equal(gl_app_change_act(&faulty, id, &x, &out, &err), GL_E_INTERNAL);
    assert_non_null(strstr(err.detail, "risk.written"));
    gl_app_act_result_release(&out);
    /* Nothing of the action stands: not the move, not its audit event, not the score. */
    assert_state(st, id, GL_STATE_SUBMITTED, 1);
    assert_int_equal(audit_count(st), events);
    assert_int_equal(st->policy->risk_current(st, id, &a, &err), GL_E_NOT_FOUND);

    /* The same action without the fault writes all three together. */
    struct gl_app ok = app_at(st, T0 + 60, NULL);
    assert_int_equal(gl_app_change_act(&ok, id, &x, &out, &err), 0);
    assert_int_equal(out.change.state, GL_STATE_ASSESSED);
    gl_app_act_result_release(&out);
    assert_state(st, id, GL_STATE_ASSESSED, 2);
    assert_int_equal(audit_count(st), events + 2); /* change.assess, risk.assess */
    assert_int_equal(st->policy->risk_current(st, id, &a, &err), 0);
    assert_int_equal(a.change_id, id);
    assert_int_equal(verify_chain(st), audit_count(st));
}

static void test_assess_fault_after_change_write_rolls_back(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    int64_t client = add_client(st, "acme");
    int64_t id = submitted_change(st, client, add_ci(st, client, "db-1", "database"));
    size_t events = audit_count(st);
    struct gl_error err;
    struct gl_risk_assessment a;
    struct gl_app faulty = app_at(st, T0 + 60, "change.written");
    struct gl_app_act x = {.action = GL_ACTION_ASSESS, .in = GL_ACTION_INPUT_INIT};
    struct gl_app_act_result out;
    assert_int_equal(gl_app_change_act(&faulty, id, &x, &out, &err), GL_E_INTERNAL);
    gl_app_act_result_release(&out);
    assert_state(st, id, GL_STATE_SUBMITTED, 1);
    assert_int_equal(audit_count(st), events);
    assert_int_equal(st->policy->risk_current(st, id, &a, &err), GL_E_NOT_FOUND);
}

/* A CI edit re-scores the open changes on it in the same transaction: a fault while
 * re-scoring leaves the CI as it was too. */
static int raise_criticality(void *ud, const struct gl_ci *before, struct gl_ci *after,
                             struct gl_error *err)
{
    after->criticality = 5;
    after->users_affected = 40000;
    return 0;
}

static void test_ci_edit_and_rescoring_are_one_transaction(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    int64_t client = add_client(st, "acme");
    int64_t ci = add_ci(st, client, "core-sw-1", "network_device");
    int64_t id = submitted_change(st, client, ci);
    struct gl_error err;
    struct gl_app ok = app_at(st, T0 + 60, NULL);
    struct gl_app_act x = {.action = GL_ACTION_ASSESS, .in = GL_ACTION_INPUT_INIT};
    struct gl_app_act_result out;
    assert_int_equal(gl_app_change_act(&ok, id, &x, &out, &err), 0);
    gl_app_act_result_release(&out);
    struct gl_risk_assessment before, after;
    assert_int_equal(st->policy->risk_current(st, id, &before, &err), 0);
    size_t events = audit_count(st);

    struct gl_ci got;
    struct gl_app faulty = app_at(st, T0 + 120, "risk.written");
    gl_ci_init(&got);
    assert_int_equal(gl_app_ci_update(&faulty, ci, 1, raise_criticality, NULL, &got, &err),
                     GL_E_INTERNAL);
    gl_ci_release(&got);
    assert_int_equal(audit_count(st), events);
    assert_int_equal(st->cis->get(st, ci, &got, &err), 0);
    assert_int_equal(got.version, 1);
    assert_int_equal(got.criticality, 3);
    gl_ci_release(&got);
    assert_int_equal(st->policy->risk_current(st, id, &after, &err), 0);
    assert_true(after.score == before.score);

    struct gl_app later = app_at(st, T0 + 120, NULL);
    gl_ci_init(&got);
    assert_int_equal(gl_app_ci_update(&later, ci, 1, raise_criticality, NULL, &got, &err), 0);
    gl_ci_release(&got);
    assert_int_equal(st->policy->risk_current(st, id, &after, &err), 0);
    assert_true(after.score > before.score);
    assert_int_equal(after.inputs.max_ci_criticality, 5);
    assert_int_equal(audit_count(st), events + 2); /* ci.update, risk.assess */
}

/* A version check inside the action: a stale If-Match writes nothing. */
static void test_stale_version_writes_nothing(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    int64_t client = add_client(st, "acme");
    int64_t id = submitted_change(st, client, add_ci(st, client, "web-1", "server"));
    size_t events = audit_count(st);
    struct gl_error err;
    struct gl_app ok = app_at(st, T0 + 60, NULL);
    struct gl_app_act x = {.action = GL_ACTION_ASSESS, .if_match = 7, .in = GL_ACTION_INPUT_INIT};
    struct gl_app_act_result out;
    assert_int_equal(gl_app_change_act(&ok, id, &x, &out, &err), GL_E_STALE);
    assert_string_equal(err.field, "version");
    gl_app_act_result_release(&out);
    assert_state(st, id, GL_STATE_SUBMITTED, 1);
    assert_int_equal(audit_count(st), events);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_assess_fault_after_risk_write_rolls_back_all, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_assess_fault_after_change_write_rolls_back, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ci_edit_and_rescoring_are_one_transaction, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stale_version_writes_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
