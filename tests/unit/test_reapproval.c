/*
 * test_reapproval.c - core/reapproval.c: when a re-scored change needs its approval again
 * (issue 10). Only a material change of the change's own inputs does, as the policy's
 * reapproval rule defines it (a level increase, or a score rise of score_delta or more);
 * the history of other changes, a new policy, a lower risk and anything once the work has
 * started never do; the reason names what changed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/reapproval.h"

#include "util/banned.h"

/* A moderate normal change as it was approved: criticality 4, 800 users, tested rollback,
 * three dependants, in a window, some history. */
static struct gl_risk_inputs approved_inputs(void)
{
    struct gl_risk_inputs in;
    memset(&in, 0, sizeof in);
    in.type = GL_TYPE_NORMAL;
    in.affected_cis = 1;
    in.max_ci_criticality = 4;
    in.users_affected = 800;
    in.has_rollback_plan = true;
    in.rollback_tested = true;
    in.dependent_cis = 3;
    in.max_dependent_criticality = 4;
    in.schedule.planned = true;
    in.schedule.windows_defined = true;
    in.ci_changes = 6;
    return in;
}

/* The states in which a change holds an approval. */
static const enum gl_change_state holding[2] = {GL_STATE_APPROVED, GL_STATE_SCHEDULED};

static struct gl_risk_assessment scored(const struct gl_policy *p, const struct gl_risk_inputs *in)
{
    struct gl_risk_assessment a;
    memset(&a, 0, sizeof a);
    gl_risk_score(in, p, &a);
    return a;
}

/* Decides for a change of `type` in `state` approved under `before_in`, now `after_in`. */
static bool decide(const struct gl_policy *p, enum gl_change_type type, enum gl_change_state state,
                   const struct gl_risk_inputs *before_in, const struct gl_risk_inputs *after_in,
                   struct gl_reapproval *out)
{
    struct gl_risk_assessment before = scored(p, before_in), after = scored(p, after_in);
    return gl_reapproval_decide(p, &before, &after, type, state, out);
}

static void test_defaults(void **state)
{
    (void)state;
    struct gl_policy p;
    gl_policy_default(&p);
    assert_true(p.reapproval.score_delta == 5);
    assert_true(p.reapproval.on_level_increase);
}

/* The defect of issue 10: another change finished on the same CI (history), so this one
 * was re-scored and sent back. That is not this change's own input. */
static void test_history_of_other_changes_never_reopens(void **state)
{
    (void)state;
    struct gl_policy p;
    gl_policy_default(&p);
    struct gl_risk_inputs a = approved_inputs(), b = approved_inputs();
    b.ci_changes = 7;
    b.ci_failures = 1; /* the other change failed: the rate went up */
    struct gl_reapproval r;
    for (int t = GL_TYPE_NORMAL; t <= GL_TYPE_EMERGENCY; t++) {
        a.type = b.type = (enum gl_change_type)t;
        for (size_t s = 0; s < 2; s++) {
            assert_false(decide(&p, (enum gl_change_type)t, holding[s], &a, &b, &r));
            assert_false(r.needed);
            assert_non_null(strstr(r.reason, "history"));
        }
    }
    /* Even a template's failures, which move a standard change's score, are history. */
    a = approved_inputs();
    b = approved_inputs();
    a.from_template = b.from_template = true;
    b.template_changes = 20;
    b.template_failures = 15;
    assert_false(decide(&p, GL_TYPE_NORMAL, GL_STATE_SCHEDULED, &a, &b, &r));
}

/* Another change started in the same window: one conflict more. 1.5 points, same level. */
static void test_small_rise_is_not_material(void **state)
{
    (void)state;
    struct gl_policy p;
    gl_policy_default(&p);
    struct gl_risk_inputs a = approved_inputs(), b = approved_inputs();
    b.schedule.conflicts = 1;
    struct gl_reapproval r;
    assert_false(decide(&p, GL_TYPE_EMERGENCY, GL_STATE_APPROVED, &a, &b, &r));
    assert_false(decide(&p, GL_TYPE_NORMAL, GL_STATE_SCHEDULED, &a, &b, &r));
    assert_true(r.delta > 1.4 && r.delta < 1.6);
    assert_true(r.factors_changed == (1u << GL_FACTOR_CONFLICTS));
    /* The reason says why not, naming what moved and the threshold it stayed under. */
    assert_non_null(strstr(r.reason, "schedule.conflicts"));
    assert_non_null(strstr(r.reason, "conflicts +1.5"));
    assert_non_null(strstr(r.reason, "reapproval.score_delta"));
    /* With a lower score_delta the same rise is material. */
    p.reapproval.score_delta = 1;
    assert_true(decide(&p, GL_TYPE_NORMAL, GL_STATE_SCHEDULED, &a, &b, &r));
}

/* The plan moved into a blackout: +11 points and moderate -> high. */
static void test_material_rise_reopens_and_names_it(void **state)
{
    (void)state;
    struct gl_policy p;
    gl_policy_default(&p);
    struct gl_risk_inputs a = approved_inputs(), b = approved_inputs();
    b.schedule.in_blackout = true;
    struct gl_reapproval r;
    struct gl_risk_assessment before = scored(&p, &a), after = scored(&p, &b);
    assert_int_equal(before.level, GL_RISK_MODERATE);
    assert_int_equal(after.level, GL_RISK_HIGH);
    for (size_t s = 0; s < 2; s++) {
        assert_true(gl_reapproval_decide(&p, &before, &after, GL_TYPE_NORMAL, holding[s], &r));
        assert_true(r.needed);
    }
    assert_true(r.delta > 10.9 && r.delta < 11.1);
    assert_true(r.factors_changed == (1u << GL_FACTOR_BLACKOUT));
    assert_non_null(strstr(r.reason, "moderate"));
    assert_non_null(strstr(r.reason, "high"));
    assert_non_null(strstr(r.reason, "reapproval.on_level_increase"));
    assert_non_null(strstr(r.reason, "schedule.in_blackout"));
    assert_non_null(strstr(r.reason, "blackout +11.0"));
    /* A rise of the score_delta within the same level is material too. */
    a = approved_inputs();
    b = approved_inputs();
    b.rollback_tested = false; /* +6.0 with the default weights */
    before = scored(&p, &a);
    after = scored(&p, &b);
    assert_int_equal(before.level, after.level);
    assert_true(gl_reapproval_decide(&p, &before, &after, GL_TYPE_NORMAL, GL_STATE_APPROVED, &r));
    assert_non_null(strstr(r.reason, "rollback_tested"));
    assert_non_null(strstr(r.reason, "reversibility +6.0"));
    assert_non_null(strstr(r.reason, "reapproval.score_delta"));
    assert_null(strstr(r.reason, "on_level_increase"));
    /* A level increase alone counts only when the policy says so. */
    a = approved_inputs();
    b = approved_inputs();
    b.schedule.in_blackout = true;
    p.reapproval.on_level_increase = false;
    p.reapproval.score_delta = 50;
    assert_false(decide(&p, GL_TYPE_NORMAL, GL_STATE_APPROVED, &a, &b, &r));
    /* Emergency changes not yet started are held to the same rule. */
    gl_policy_default(&p);
    assert_true(decide(&p, GL_TYPE_EMERGENCY, GL_STATE_APPROVED, &a, &b, &r));
}

/* Once the work has started the approval it started under stands, however the risk moved:
 * the change is in someone's hands, and its review is where the new risk is discussed. */
static void test_never_once_started(void **state)
{
    (void)state;
    struct gl_policy p;
    gl_policy_default(&p);
    struct gl_risk_inputs a = approved_inputs(), b = approved_inputs();
    b.schedule.in_blackout = true;
    b.has_rollback_plan = false;
    b.max_ci_criticality = 5;
    const enum gl_change_state started[] = {GL_STATE_IN_PROGRESS, GL_STATE_COMPLETED,
                                            GL_STATE_FAILED,      GL_STATE_ROLLED_BACK,
                                            GL_STATE_REVIEWED,    GL_STATE_CLOSED};
    struct gl_reapproval r;
    for (int t = 0; t < GL_TYPE__COUNT; t++)
        for (size_t i = 0; i < sizeof started / sizeof started[0]; i++) {
            assert_false(decide(&p, (enum gl_change_type)t, started[i], &a, &b, &r));
            assert_non_null(strstr(r.reason, "started"));
        }
    /* Nothing held, nothing to re-approve. */
    assert_false(decide(&p, GL_TYPE_NORMAL, GL_STATE_DRAFT, &a, &b, &r));
    assert_false(decide(&p, GL_TYPE_NORMAL, GL_STATE_CANCELLED, &a, &b, &r));
    /* A standard change is its template's: pre-approved, never re-approved. */
    assert_false(decide(&p, GL_TYPE_STANDARD, GL_STATE_SCHEDULED, &a, &b, &r));
    assert_non_null(strstr(r.reason, "template"));
    /* While still being voted on, votes given under the old risk must be given again. */
    assert_true(decide(&p, GL_TYPE_NORMAL, GL_STATE_ASSESSED, &a, &b, &r));
    assert_non_null(strstr(r.reason, "votes"));
}

static void test_lower_risk_and_new_policy_never_reopen(void **state)
{
    (void)state;
    struct gl_policy p;
    gl_policy_default(&p);
    struct gl_risk_inputs a = approved_inputs(), b = approved_inputs();
    a.rollback_tested = false; /* approved with an untested rollback, now tested */
    struct gl_reapproval r;
    assert_false(decide(&p, GL_TYPE_NORMAL, GL_STATE_SCHEDULED, &a, &b, &r));
    assert_true(r.delta < 0);
    assert_non_null(strstr(r.reason, "lower"));
    /* Same inputs re-scored under a stricter policy: the approval was given under the
     * policy then in force, so a policy change alone never recalls it. */
    a = approved_inputs();
    struct gl_risk_assessment before = scored(&p, &a);
    struct gl_policy strict = p;
    strict.version = 4;
    strict.threshold[GL_RISK_MODERATE] = 5;
    strict.threshold[GL_RISK_HIGH] = 10;
    strict.threshold[GL_RISK_CRITICAL] = 20;
    struct gl_risk_assessment after = scored(&strict, &a);
    assert_true(after.level > before.level);
    assert_false(gl_reapproval_decide(&p, &before, &after, GL_TYPE_NORMAL, GL_STATE_APPROVED, &r));
    assert_non_null(strstr(r.reason, "did not change"));
    /* Approved without an assessment (an emergency approved before it was scored): there is
     * nothing the approver saw to compare with. */
    assert_false(gl_reapproval_decide(&p, NULL, &after, GL_TYPE_EMERGENCY, GL_STATE_APPROVED, &r));
    assert_non_null(strstr(r.reason, "no assessment"));
}

/* Several inputs at once: every changed input and factor is named, history included, and
 * the reason fits its buffer. */
static void test_reason_names_everything(void **state)
{
    (void)state;
    struct gl_policy p;
    gl_policy_default(&p);
    struct gl_risk_inputs a = approved_inputs(), b = approved_inputs();
    b.max_ci_criticality = 5;
    b.users_affected = 5000;
    b.dependent_cis = 30;
    b.clients_touched = 2;
    b.schedule.outside_window = true;
    b.schedule.short_notice = true;
    b.schedule.notice_shortfall_hours = 6;
    b.ci_changes = 9;
    b.ci_failures = 2;
    struct gl_reapproval r;
    assert_true(decide(&p, GL_TYPE_NORMAL, GL_STATE_SCHEDULED, &a, &b, &r));
    const char *names[] = {
        "max_ci_criticality",      "users_affected",        "dependent_cis",    "clients_touched",
        "schedule.outside_window", "schedule.short_notice", "ci_criticality +", "blast_cis +"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strstr(r.reason, names[i]))
            fail_msg("reason lacks %s: %s", names[i], r.reason);
    assert_true(strlen(r.reason) < sizeof r.reason);
    assert_true(r.factors_changed & (1u << GL_FACTOR_USERS_AFFECTED));
    assert_false(r.factors_changed & (1u << GL_FACTOR_BLACKOUT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_history_of_other_changes_never_reopens),
        cmocka_unit_test(test_small_rise_is_not_material),
        cmocka_unit_test(test_material_rise_reopens_and_names_it),
        cmocka_unit_test(test_never_once_started),
        cmocka_unit_test(test_lower_risk_and_new_policy_never_reopen),
        cmocka_unit_test(test_reason_names_everything),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
