/*
 * test_risk.c - core/risk.c: every factor moves the score the right way, the listed
 * contributions add up to the score exactly, the Beta prior keeps small histories sane,
 * thresholds give the levels, the cap is reported, and the emergency exemptions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/risk.h"

#include "util/banned.h"

/* A modest normal change: 2 CIs of criticality 3, a tested rollback, nothing else. */
static struct gl_risk_inputs base(void)
{
    struct gl_risk_inputs in;
    memset(&in, 0, sizeof in);
    in.type = GL_TYPE_NORMAL;
    in.affected_cis = 2;
    in.max_ci_criticality = 3;
    in.has_rollback_plan = true;
    in.rollback_tested = true;
    in.schedule.planned = true;
    in.schedule.windows_defined = true;
    return in;
}

static double score(const struct gl_risk_inputs *in)
{
    struct gl_policy p;
    gl_policy_default(&p);
    struct gl_risk_assessment a;
    memset(&a, 0, sizeof a);
    gl_risk_score(in, &p, &a);
    return a.score;
}

static double points(const struct gl_risk_inputs *in, enum gl_risk_factor f)
{
    struct gl_policy p;
    gl_policy_default(&p);
    struct gl_risk_assessment a;
    gl_risk_score(in, &p, &a);
    return a.factors[f].points;
}

/* Each mutation must raise the score and the named factor's points. */
static void raises(struct gl_risk_inputs hi, enum gl_risk_factor f)
{
    struct gl_risk_inputs lo = base();
    assert_true(score(&hi) > score(&lo));
    assert_true(points(&hi, f) > points(&lo, f));
}

static void test_each_factor_raises(void **state)
{
    (void)state;
    struct gl_risk_inputs in;
    in = base();
    in.max_ci_criticality = 5;
    raises(in, GL_FACTOR_CI_CRITICALITY);
    in = base();
    in.dependent_cis = 1;
    in.max_dependent_criticality = 4;
    raises(in, GL_FACTOR_DEPENDENT_CRITICALITY);
    in = base();
    in.users_affected = 300;
    raises(in, GL_FACTOR_USERS_AFFECTED);
    in = base();
    in.rollback_tested = false;
    raises(in, GL_FACTOR_REVERSIBILITY);
    in = base();
    in.dependent_cis = 40;
    raises(in, GL_FACTOR_BLAST_CIS);
    in = base();
    in.clients_touched = 1;
    raises(in, GL_FACTOR_BLAST_CLIENTS);
    in = base();
    in.schedule.outside_window = true;
    raises(in, GL_FACTOR_OUTSIDE_WINDOW);
    in = base();
    in.schedule.in_blackout = true;
    raises(in, GL_FACTOR_BLACKOUT);
    in = base();
    in.schedule.short_notice = true;
    in.schedule.notice_shortfall_hours = 5;
    raises(in, GL_FACTOR_SHORT_NOTICE);
    in = base();
    in.schedule.conflicts = 2;
    raises(in, GL_FACTOR_CONFLICTS);
    in = base();
    in.ci_changes = 10;
    in.ci_failures = 5;
    raises(in, GL_FACTOR_CI_HISTORY);
    in = base();
    in.from_template = true;
    raises(in, GL_FACTOR_TEMPLATE_HISTORY);
}

/* Monotone within a factor: more of it never lowers the score. */
static void test_ordering_within_factors(void **state)
{
    (void)state;
    struct gl_risk_inputs a = base(), b = base(), c = base();
    a.rollback_tested = true;
    b.rollback_tested = false;
    c.has_rollback_plan = false;
    c.rollback_tested = false;
    assert_true(score(&a) < score(&b));
    assert_true(score(&b) < score(&c));

    double last = -1;
    for (int64_t u = 0; u <= 100000; u = u ? u * 10 : 1) {
        a = base();
        a.users_affected = u;
        assert_true(score(&a) >= last);
        last = score(&a);
    }
    struct gl_policy p;
    gl_policy_default(&p);
    assert_true(points(&a, GL_FACTOR_USERS_AFFECTED) <= p.weights[GL_FACTOR_USERS_AFFECTED]);

    a = base();
    b = base();
    a.schedule.outside_window = b.schedule.outside_window = true;
    b.schedule.justified = true;
    assert_true(score(&b) < score(&a)); /* a justification halves the window factor */

    a = base();
    b = base();
    a.schedule.short_notice = b.schedule.short_notice = true;
    a.schedule.notice_shortfall_hours = 2;
    b.schedule.notice_shortfall_hours = 48;
    assert_true(score(&a) < score(&b));

    /* Criticality 1..5 rises step by step. */
    last = -1;
    for (int crit = 1; crit <= 5; crit++) {
        a = base();
        a.max_ci_criticality = crit;
        assert_true(score(&a) > last);
        last = score(&a);
    }
}

static void test_sum_is_score(void **state)
{
    (void)state;
    struct gl_policy p;
    gl_policy_default(&p);
    /* Odd weights so that rounding of each contribution matters. */
    for (int f = 0; f < GL_FACTOR__COUNT; f++)
        p.weights[f] = 3.33 + f * 1.17;
    for (int k = 0; k < 200; k++) {
        struct gl_risk_inputs in = base();
        in.max_ci_criticality = k % 6;
        in.max_dependent_criticality = (k / 2) % 6;
        in.dependent_cis = (size_t)(k * 7 % 90);
        in.users_affected = k * 37;
        in.clients_touched = (size_t)(k % 4);
        in.schedule.conflicts = (size_t)(k % 3);
        in.schedule.outside_window = k % 2;
        in.schedule.short_notice = k % 5 == 0;
        in.schedule.notice_shortfall_hours = k * 0.7;
        in.ci_changes = k;
        in.ci_failures = k / 3;
        struct gl_risk_assessment a;
        gl_risk_score(&in, &p, &a);
        long sum = 0;
        for (int f = 0; f < GL_FACTOR__COUNT; f++) {
            assert_int_equal(a.factors[f].factor, f);
            assert_true(a.factors[f].points >= 0 && a.factors[f].points <= p.weights[f] + 0.05);
            assert_true(a.factors[f].explanation[0] != '\0');
            long tenths = (long)(a.factors[f].points * 10 + 0.5);
            /* Each contribution is a whole number of tenths. */
            assert_true(a.factors[f].points * 10 - tenths < 1e-9 &&
                        tenths - a.factors[f].points * 10 < 1e-9);
            sum += tenths;
        }
        assert_false(a.capped);
        assert_true(a.score == sum / 10.0);
        assert_true(a.uncapped == a.score);
    }
}

static void test_cap(void **state)
{
    (void)state;
    struct gl_policy p;
    gl_policy_default(&p);
    for (int f = 0; f < GL_FACTOR__COUNT; f++)
        p.weights[f] = 50;
    struct gl_risk_inputs in = base();
    in.max_ci_criticality = 5;
    in.has_rollback_plan = false;
    in.schedule.in_blackout = true;
    struct gl_risk_assessment a;
    gl_risk_score(&in, &p, &a);
    assert_true(a.capped);
    assert_true(a.score == 100.0);
    assert_true(a.uncapped >= 150.0);
    assert_int_equal(a.level, GL_RISK_CRITICAL);
}

static double hist_intensity(int64_t n, int64_t f)
{
    struct gl_risk_inputs in = base();
    in.ci_changes = n;
    in.ci_failures = f;
    struct gl_policy p;
    gl_policy_default(&p);
    p.weights[GL_FACTOR_CI_HISTORY] = 100; /* points = rate * 100 to 0.1 */
    struct gl_risk_assessment a;
    gl_risk_score(&in, &p, &a);
    return a.factors[GL_FACTOR_CI_HISTORY].points / 100.0;
}

static void test_prior(void **state)
{
    (void)state;
    /* Default prior 1 failure in 10: no history reads as the prior rate. */
    assert_true(hist_intensity(0, 0) > 0.0995 && hist_intensity(0, 0) < 0.1005);
    /* One failure out of one does not read as 100%: (1+1)/(1+10) = 18%. */
    assert_true(hist_intensity(1, 1) < 0.2);
    assert_true(hist_intensity(1, 1) > hist_intensity(0, 0));
    /* One success lowers it a little. */
    assert_true(hist_intensity(1, 0) < hist_intensity(0, 0));
    /* Plenty of history wins over the prior: 50 of 100 reads close to 50%. */
    assert_true(hist_intensity(100, 50) > 0.45 && hist_intensity(100, 50) < 0.5);
    assert_true(hist_intensity(1000, 500) > 0.49);
    /* Nonsense counts are clamped, not trusted. */
    assert_true(hist_intensity(1, 5) == hist_intensity(1, 1));
    assert_true(hist_intensity(-3, -1) == hist_intensity(0, 0));

    /* A stronger prior moves 1/1 even less. */
    struct gl_policy p;
    gl_policy_default(&p);
    p.prior_failures = 2;
    p.prior_successes = 98;
    struct gl_risk_inputs in = base();
    in.ci_changes = 1;
    in.ci_failures = 1;
    p.weights[GL_FACTOR_CI_HISTORY] = 100;
    struct gl_risk_assessment a;
    gl_risk_score(&in, &p, &a);
    /* (1 + 2) / (1 + 100) = 3%: barely above the prior's 2%. */
    assert_true(a.factors[GL_FACTOR_CI_HISTORY].points > 2.0 &&
                a.factors[GL_FACTOR_CI_HISTORY].points < 3.5);
    assert_non_null(strstr(a.factors[GL_FACTOR_CI_HISTORY].explanation, "1 of 1"));

    /* Template history only counts for changes from a template. */
    in = base();
    in.template_changes = 10;
    in.template_failures = 10;
    assert_true(points(&in, GL_FACTOR_TEMPLATE_HISTORY) == 0);
    in.from_template = true;
    double failing = points(&in, GL_FACTOR_TEMPLATE_HISTORY);
    gl_policy_default(&p);
    assert_true(failing > 0.5 * p.weights[GL_FACTOR_TEMPLATE_HISTORY]); /* 11 / 20 of it */
    in.template_failures = 0;
    assert_true(points(&in, GL_FACTOR_TEMPLATE_HISTORY) < failing);
}

static void test_levels(void **state)
{
    (void)state;
    struct gl_policy p;
    gl_policy_default(&p);
    assert_int_equal(gl_risk_level_for(&p, 0), GL_RISK_LOW);
    /* The default thresholds: 25, 40, 65 (calibrated, see test_risk_calibration.c). */
    assert_int_equal(gl_risk_level_for(&p, 24.9), GL_RISK_LOW);
    assert_int_equal(gl_risk_level_for(&p, 25), GL_RISK_MODERATE);
    assert_int_equal(gl_risk_level_for(&p, 39.9), GL_RISK_MODERATE);
    assert_int_equal(gl_risk_level_for(&p, 40), GL_RISK_HIGH);
    assert_int_equal(gl_risk_level_for(&p, 64.9), GL_RISK_HIGH);
    assert_int_equal(gl_risk_level_for(&p, 65), GL_RISK_CRITICAL);
    assert_int_equal(gl_risk_level_for(&p, 100), GL_RISK_CRITICAL);

    /* The scorer uses the policy's thresholds: lowering them raises the level. */
    struct gl_risk_inputs in = base();
    struct gl_risk_assessment a;
    gl_risk_score(&in, &p, &a);
    assert_int_equal(a.level, GL_RISK_LOW);
    assert_int_equal(a.policy_version, 0);
    p.threshold[GL_RISK_MODERATE] = 1;
    p.threshold[GL_RISK_HIGH] = 2;
    p.threshold[GL_RISK_CRITICAL] = a.score;
    p.version = 7;
    gl_risk_score(&in, &p, &a);
    assert_int_equal(a.level, GL_RISK_CRITICAL);
    assert_int_equal(a.policy_version, 7);
    assert_true(gl_risk_inputs_equal(&a.inputs, &in));
}

static void test_emergency_exemptions(void **state)
{
    (void)state;
    struct gl_risk_inputs in = base();
    in.schedule.outside_window = true;
    in.schedule.short_notice = true;
    in.schedule.notice_shortfall_hours = 10;
    double normal = score(&in);
    in.type = GL_TYPE_EMERGENCY;
    assert_true(score(&in) < normal);
    assert_true(points(&in, GL_FACTOR_OUTSIDE_WINDOW) == 0);
    assert_true(points(&in, GL_FACTOR_SHORT_NOTICE) == 0);
    /* A blackout still counts for an emergency. */
    in.schedule.in_blackout = true;
    assert_true(points(&in, GL_FACTOR_BLACKOUT) > 0);
    /* Unplanned: no schedule factor at all. */
    in = base();
    in.schedule.planned = false;
    in.schedule.in_blackout = true;
    in.schedule.outside_window = true;
    assert_true(points(&in, GL_FACTOR_BLACKOUT) == 0);
    assert_true(points(&in, GL_FACTOR_OUTSIDE_WINDOW) == 0);
}

static void test_explanations(void **state)
{
    (void)state;
    struct gl_policy p;
    gl_policy_default(&p);
    struct gl_risk_inputs in = base();
    in.has_rollback_plan = false;
    in.dependent_cis = 12;
    in.max_dependent_criticality = 4;
    in.clients_touched = 2;
    struct gl_risk_assessment a;
    gl_risk_score(&in, &p, &a);
    assert_string_equal(a.factors[GL_FACTOR_REVERSIBILITY].explanation, "no rollback plan");
    assert_non_null(strstr(a.factors[GL_FACTOR_CI_CRITICALITY].explanation, "3 of 5"));
    assert_non_null(strstr(a.factors[GL_FACTOR_DEPENDENT_CRITICALITY].explanation, "12 dependent"));
    assert_non_null(strstr(a.factors[GL_FACTOR_BLAST_CLIENTS].explanation, "2 other clients"));
    /* No rollback plan at all is the factor's whole weight. */
    assert_true(a.factors[GL_FACTOR_REVERSIBILITY].points == p.weights[GL_FACTOR_REVERSIBILITY]);
}

static void test_inputs_equal(void **state)
{
    (void)state;
    struct gl_risk_inputs a = base(), b = base();
    assert_true(gl_risk_inputs_equal(&a, &b));
    b.schedule.conflicts = 1;
    assert_false(gl_risk_inputs_equal(&a, &b));
    b = base();
    b.users_affected = 1;
    assert_false(gl_risk_inputs_equal(&a, &b));
    b = base();
    b.template_failures = 1;
    assert_false(gl_risk_inputs_equal(&a, &b));
    b = base();
    b.schedule.notice_shortfall_hours = 0.5;
    assert_false(gl_risk_inputs_equal(&a, &b));
    b = base();
    b.type = GL_TYPE_EMERGENCY;
    assert_false(gl_risk_inputs_equal(&a, &b));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_factor_raises),
        cmocka_unit_test(test_ordering_within_factors),
        cmocka_unit_test(test_sum_is_score),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_prior),
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_emergency_exemptions),
        cmocka_unit_test(test_explanations),
        cmocka_unit_test(test_inputs_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
