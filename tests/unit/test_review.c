/*
 * test_review.c - core/review.c: which changes the policy's review_before_close rule sends
 * to a post-implementation review before close, under the default and under other rules,
 * and that the reason names every rule that applies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/review.h"

#include "util/banned.h"

static struct gl_change finished(enum gl_change_type type, enum gl_outcome outcome)
{
    struct gl_change c;
    gl_change_init(&c);
    c.type = type;
    c.outcome = outcome;
    c.state = outcome == GL_OUTCOME_SUCCESSFUL ? GL_STATE_COMPLETED
              : outcome == GL_OUTCOME_FAILED   ? GL_STATE_FAILED
                                               : GL_STATE_ROLLED_BACK;
    return c;
}

static struct gl_risk_assessment at(enum gl_risk_level level, double score)
{
    struct gl_risk_assessment a;
    memset(&a, 0, sizeof a);
    a.level = level;
    a.score = score;
    return a;
}

static void test_default_rule_by_level(void **state)
{
    (void)state;
    struct gl_policy p;
    gl_policy_default(&p);
    struct gl_change c = finished(GL_TYPE_NORMAL, GL_OUTCOME_SUCCESSFUL);
    struct gl_review_need n;
    const bool want[GL_RISK__COUNT] = {false, false, true, true};
    for (int l = 0; l < GL_RISK__COUNT; l++) {
        struct gl_risk_assessment a = at((enum gl_risk_level)l, 10.0 + 20 * l);
        assert_int_equal(gl_review_before_close(&p.review_before_close, &c, &a, &n), want[l]);
        assert_int_equal(n.needed, want[l]);
        if (!want[l]) {
            assert_null(n.rule);
            assert_string_equal(n.why, "");
        }
    }
    struct gl_risk_assessment high = at(GL_RISK_HIGH, 52.0);
    assert_true(gl_review_before_close(&p.review_before_close, &c, &high, &n));
    assert_string_equal(n.rule, "review_before_close.levels");
    assert_string_equal(n.why, "its risk level is high, 52.0 (review_before_close.levels)");
    /* Never assessed: no level to apply; a successful normal change needs none. */
    assert_false(gl_review_before_close(&p.review_before_close, &c, NULL, &n));
    /* A standard change at a high level is reviewed like any other. */
    c.type = GL_TYPE_STANDARD;
    assert_true(gl_review_before_close(&p.review_before_close, &c, &high, &n));
    gl_change_release(&c);
}

static void test_default_rule_by_outcome_and_type(void **state)
{
    (void)state;
    struct gl_policy p;
    gl_policy_default(&p);
    struct gl_risk_assessment low = at(GL_RISK_LOW, 8.0);
    struct gl_review_need n;
    for (int t = 0; t < GL_TYPE__COUNT; t++) {
        struct gl_change f = finished((enum gl_change_type)t, GL_OUTCOME_FAILED);
        struct gl_change r = finished((enum gl_change_type)t, GL_OUTCOME_ROLLED_BACK);
        assert_true(gl_review_before_close(&p.review_before_close, &f, &low, &n));
        assert_string_equal(n.rule, "review_before_close.outcomes");
        assert_non_null(strstr(n.why, "its outcome is failed (review_before_close.outcomes)"));
        assert_true(gl_review_before_close(&p.review_before_close, &r, NULL, &n));
        assert_non_null(strstr(n.why, "its outcome is rolled_back"));
        gl_change_release(&f);
        gl_change_release(&r);
    }
    struct gl_change e = finished(GL_TYPE_EMERGENCY, GL_OUTCOME_SUCCESSFUL);
    assert_true(gl_review_before_close(&p.review_before_close, &e, &low, &n));
    assert_string_equal(n.rule, "review_before_close.emergency");
    assert_string_equal(n.why, "it is an emergency change (review_before_close.emergency)");
    assert_true(gl_review_before_close(&p.review_before_close, &e, NULL, &n));
    /* Every reason that applies is named, outcome first. */
    e.outcome = GL_OUTCOME_ROLLED_BACK;
    struct gl_risk_assessment crit = at(GL_RISK_CRITICAL, 81.5);
    assert_true(gl_review_before_close(&p.review_before_close, &e, &crit, &n));
    assert_string_equal(n.rule, "review_before_close.outcomes");
    assert_string_equal(n.why, "its outcome is rolled_back (review_before_close.outcomes); it is "
                               "an emergency change (review_before_close.emergency); its risk "
                               "level is critical, 81.5 (review_before_close.levels)");
    gl_change_release(&e);
}

static void test_other_rules(void **state)
{
    (void)state;
    struct gl_review_rule none = {0};
    struct gl_review_rule all_done = {.outcomes = 1u << GL_OUTCOME_SUCCESSFUL,
                                      .levels = 1u << GL_RISK_MODERATE};
    struct gl_review_need n;
    struct gl_risk_assessment crit = at(GL_RISK_CRITICAL, 90), mod = at(GL_RISK_MODERATE, 30);
    struct gl_change e = finished(GL_TYPE_EMERGENCY, GL_OUTCOME_FAILED);
    assert_false(gl_review_before_close(&none, &e, &crit, &n));
    assert_false(gl_review_before_close(&all_done, &e, &crit, &n)); /* failed: not listed */
    struct gl_change ok = finished(GL_TYPE_NORMAL, GL_OUTCOME_SUCCESSFUL);
    assert_true(gl_review_before_close(&all_done, &ok, &crit, &n));
    assert_string_equal(n.why, "its outcome is successful (review_before_close.outcomes)");
    assert_true(gl_review_before_close(&all_done, &ok, &mod, &n));
    assert_non_null(strstr(n.why, "its risk level is moderate, 30.0"));
    /* The floor used when a caller gives no answer: outcomes and emergencies, no levels. */
    assert_true(gl_review_before_close(&gl_review_rule_floor, &e, NULL, &n));
    assert_false(gl_review_before_close(&gl_review_rule_floor, &ok, &crit, &n));
    /* A change without an outcome (not finished) is judged by type and level only. */
    ok.outcome = GL_OUTCOME_NONE;
    struct gl_review_rule outcomes_only = {.outcomes = ~0u};
    assert_false(gl_review_before_close(&outcomes_only, &ok, NULL, &n));
    gl_change_release(&e);
    gl_change_release(&ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_rule_by_level),
        cmocka_unit_test(test_default_rule_by_outcome_and_type),
        cmocka_unit_test(test_other_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
