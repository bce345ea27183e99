/*
 * test_reapproval.c - when a new score sends a change back for approval (core/reapproval.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/reapproval.h"

#include "util/banned.h"

static void scored(struct gl_risk_assessment *a, double score, enum gl_risk_level level)
{
    memset(a, 0, sizeof *a);
    a->score = score;
    a->level = level;
    a->inputs.affected_cis = 1;
    a->inputs.max_ci_criticality = 3;
    a->inputs.users_affected = 10;
}

static void change_in(struct gl_change *c, enum gl_change_state s, enum gl_change_type t)
{
    gl_change_init(c);
    c->state = s;
    c->type = t;
}

static void test_same_inputs_never(void **state)
{
    struct gl_policy p;
    struct gl_change c;
    struct gl_risk_assessment a, b;
    char why[GL_REAPPROVAL_REASON_MAX];
    gl_policy_default(&p);
    change_in(&c, GL_STATE_APPROVED, GL_TYPE_NORMAL);
    scored(&a, 30, GL_RISK_MODERATE);
    scored(&b, 60, GL_RISK_HIGH); /* a new policy scored the same inputs higher */
    assert_false(gl_reapproval_needed(&p, &c, &a, &b, why, sizeof why));
    assert_string_equal(why, "");
    assert_false(gl_reapproval_needed(&p, &c, NULL, &b, why, sizeof why));
}

static void test_material_rise_names_inputs(void **state)
{
    struct gl_policy p;
    struct gl_change c;
    struct gl_risk_assessment a, b;
    char why[GL_REAPPROVAL_REASON_MAX];
    gl_policy_default(&p);
    change_in(&c, GL_STATE_SCHEDULED, GL_TYPE_NORMAL);
    scored(&a, 30, GL_RISK_MODERATE);
    scored(&b, 52, GL_RISK_HIGH);
    b.inputs.max_ci_criticality = 5;
    b.inputs.dependent_cis = 4;
    assert_true(gl_reapproval_needed(&p, &c, &a, &b, why, sizeof why));
    assert_non_null(strstr(why, "CI criticality 3 -> 5"));
    assert_non_null(strstr(why, "dependent CIs 0 -> 4"));
    assert_non_null(strstr(why, "score 30.0 moderate -> 52.0 high"));
    assert_null(strstr(why, "users affected")); /* unchanged inputs are not named */
}

static void test_small_or_falling_scores_are_not_material(void **state)
{
    struct gl_policy p;
    struct gl_change c;
    struct gl_risk_assessment a, b;
    char why[GL_REAPPROVAL_REASON_MAX];
    gl_policy_default(&p);
    change_in(&c, GL_STATE_APPROVED, GL_TYPE_EMERGENCY);
    scored(&a, 30, GL_RISK_MODERATE);
    scored(&b, 33, GL_RISK_MODERATE); /* another change finished on the CI: +3 */
    b.inputs.ci_changes = 1;
    assert_false(gl_reapproval_needed(&p, &c, &a, &b, why, sizeof why));
    scored(&b, 12, GL_RISK_LOW); /* lower risk: the approval stands */
    b.inputs.has_rollback_plan = true;
    assert_false(gl_reapproval_needed(&p, &c, &a, &b, why, sizeof why));
    scored(&b, 34, GL_RISK_HIGH); /* a small rise across a level boundary is material */
    b.inputs.schedule.conflicts = 1;
    assert_true(gl_reapproval_needed(&p, &c, &a, &b, why, sizeof why));
    assert_non_null(strstr(why, "conflicting changes 0 -> 1"));
}

static void test_never_once_implementing(void **state)
{
    static const enum gl_change_state past[] = {
        GL_STATE_IN_PROGRESS, GL_STATE_COMPLETED, GL_STATE_FAILED, GL_STATE_ROLLED_BACK,
        GL_STATE_REVIEWED,    GL_STATE_CLOSED,    GL_STATE_CANCELLED,
    };
    struct gl_policy p;
    struct gl_risk_assessment a, b;
    char why[GL_REAPPROVAL_REASON_MAX];
    gl_policy_default(&p);
    scored(&a, 20, GL_RISK_LOW);
    scored(&b, 95, GL_RISK_CRITICAL);
    b.inputs.max_ci_criticality = 5;
    for (size_t i = 0; i < sizeof past / sizeof past[0]; i++) {
        struct gl_change c;
        change_in(&c, past[i], GL_TYPE_EMERGENCY);
        assert_false(gl_reapproval_needed(&p, &c, &a, &b, why, sizeof why));
    }
}

static void test_reason_fits_small_buffers(void **state)
{
    struct gl_policy p;
    struct gl_change c;
    struct gl_risk_assessment a, b;
    char why[24];
    gl_policy_default(&p);
    change_in(&c, GL_STATE_APPROVED, GL_TYPE_NORMAL);
    scored(&a, 10, GL_RISK_LOW);
    scored(&b, 80, GL_RISK_CRITICAL);
    b.inputs.users_affected = 400000;
    b.inputs.dependent_cis = 900;
    assert_true(gl_reapproval_needed(&p, &c, &a, &b, why, sizeof why));
    assert_int_equal(strlen(why), sizeof why - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_inputs_never),
        cmocka_unit_test(test_material_rise_names_inputs),
        cmocka_unit_test(test_small_or_falling_scores_are_not_material),
        cmocka_unit_test(test_never_once_implementing),
        cmocka_unit_test(test_reason_fits_small_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
