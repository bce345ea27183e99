/*
 * test_policy.c - core/policy.c: the built-in policy is valid, each out-of-range member is
 * refused naming its field, client sign-off rules, and the wire names round-trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/policy.h"

#include "util/banned.h"

static void test_default_valid(void **state)
{
    (void)state;
    struct gl_policy p;
    struct gl_error err = {0};
    gl_policy_default(&p);
    assert_int_equal(gl_policy_validate(&p, &err), 0);
    assert_int_equal(p.version, 0);
    double sum = 0;
    for (int f = 0; f < GL_FACTOR__COUNT; f++)
        sum += p.weights[f];
    assert_true(sum > 99.99 && sum < 100.01);
    assert_true(p.threshold[GL_RISK_MODERATE] < p.threshold[GL_RISK_HIGH]);
    assert_int_equal(p.approval[GL_TYPE_NORMAL][GL_RISK_LOW], GL_TIER_SELF_OR_PEER);
    assert_int_equal(p.approval[GL_TYPE_NORMAL][GL_RISK_MODERATE], GL_TIER_CHANGE_MANAGER);
    assert_int_equal(p.approval[GL_TYPE_NORMAL][GL_RISK_HIGH], GL_TIER_CAB);
    assert_int_equal(p.approval[GL_TYPE_STANDARD][GL_RISK_LOW], GL_TIER_PREAPPROVED);
    assert_int_equal(p.approval[GL_TYPE_EMERGENCY][GL_RISK_CRITICAL], GL_TIER_EMERGENCY);
    assert_true(p.prior_failures > 0 && p.prior_successes > 0);
    /* Reviewed before close: high and critical, failed and rolled back, every emergency. */
    assert_int_equal(p.review_before_close.levels, (1u << GL_RISK_HIGH) | (1u << GL_RISK_CRITICAL));
    assert_int_equal(p.review_before_close.outcomes,
                     (1u << GL_OUTCOME_FAILED) | (1u << GL_OUTCOME_ROLLED_BACK));
    assert_true(p.review_before_close.emergency);
    /* Re-approval: a level increase, or a rise of 5 points. */
    assert_true(p.reapproval.score_delta == 5);
    assert_true(p.reapproval.on_level_increase);
}

/* Breaks one member of a default policy and expects that field in the error. */
static void expect_field(void (*breakit)(struct gl_policy *), const char *field)
{
    struct gl_policy p;
    struct gl_error err = {0};
    gl_policy_default(&p);
    breakit(&p);
    assert_int_equal(gl_policy_validate(&p, &err), GL_E_INVALID);
    assert_int_equal(err.code, GL_E_INVALID);
    assert_string_equal(err.field, field);
}

static void neg_weight(struct gl_policy *p)
{
    p->weights[GL_FACTOR_CONFLICTS] = -1;
}
static void big_weight(struct gl_policy *p)
{
    p->weights[GL_FACTOR_CI_CRITICALITY] = 101;
}
static void nan_weight(struct gl_policy *p)
{
    p->weights[GL_FACTOR_BLACKOUT] = 0.0 / 0.0;
}
static void high_below(struct gl_policy *p)
{
    p->threshold[GL_RISK_HIGH] = 20;
}
static void crit_equal(struct gl_policy *p)
{
    p->threshold[GL_RISK_CRITICAL] = p->threshold[GL_RISK_HIGH];
}
static void mod_zero(struct gl_policy *p)
{
    p->threshold[GL_RISK_MODERATE] = 0;
}
static void crit_over(struct gl_policy *p)
{
    p->threshold[GL_RISK_CRITICAL] = 101;
}
static void bad_tier(struct gl_policy *p)
{
    p->approval[GL_TYPE_EMERGENCY][GL_RISK_LOW] = 99;
}
static void preapproved_normal(struct gl_policy *p)
{
    p->approval[GL_TYPE_NORMAL][GL_RISK_HIGH] = GL_TIER_PREAPPROVED;
}
static void quorum_zero(struct gl_policy *p)
{
    p->cab_quorum = 0;
}
static void review_zero(struct gl_policy *p)
{
    p->emergency_review_hours = 0;
}
static void tmpl_thr(struct gl_policy *p)
{
    p->template_failure_threshold = 0;
}
static void tmpl_min(struct gl_policy *p)
{
    p->template_min_changes = 0;
}
static void prior_f(struct gl_policy *p)
{
    p->prior_failures = 0;
}
static void prior_s(struct gl_policy *p)
{
    p->prior_successes = -2;
}
static void default_bits(struct gl_policy *p)
{
    p->signoff_default_levels = 1u << 7;
}
static void bad_key(struct gl_policy *p)
{
    p->nsignoff = 1;
    snprintf(p->signoff[0].client_key, sizeof p->signoff[0].client_key, "Not A Key");
}
static void dup_key(struct gl_policy *p)
{
    p->nsignoff = 2;
    snprintf(p->signoff[0].client_key, sizeof p->signoff[0].client_key, "acme");
    snprintf(p->signoff[1].client_key, sizeof p->signoff[1].client_key, "acme");
}

static void review_level_bits(struct gl_policy *p)
{
    p->review_before_close.levels = 1u << 9;
}
static void review_outcome_none(struct gl_policy *p)
{
    p->review_before_close.outcomes = 1u << GL_OUTCOME_NONE;
}

static void reapproval_zero(struct gl_policy *p)
{
    p->reapproval.score_delta = 0;
}
static void reapproval_nan(struct gl_policy *p)
{
    p->reapproval.score_delta = 0.0 / 0.0;
}
static void reapproval_big(struct gl_policy *p)
{
    p->reapproval.score_delta = 100.5;
}

static void test_validate_fields(void **state)
{
    (void)state;
    expect_field(neg_weight, "weights.conflicts");
    expect_field(big_weight, "weights.ci_criticality");
    expect_field(nan_weight, "weights.blackout");
    expect_field(high_below, "thresholds.high");
    expect_field(crit_equal, "thresholds.critical");
    expect_field(mod_zero, "thresholds.moderate");
    expect_field(crit_over, "thresholds.critical");
    expect_field(bad_tier, "approval.emergency.low");
    expect_field(preapproved_normal, "approval.normal.high");
    expect_field(quorum_zero, "cab_quorum");
    expect_field(review_zero, "emergency_review_hours");
    expect_field(tmpl_thr, "template_failure_threshold");
    expect_field(tmpl_min, "template_min_changes");
    expect_field(prior_f, "history_prior.failures");
    expect_field(prior_s, "history_prior.successes");
    expect_field(default_bits, "client_signoff.default");
    expect_field(bad_key, "client_signoff.clients");
    expect_field(dup_key, "client_signoff.clients.acme");
    expect_field(review_level_bits, "review_before_close.levels");
    expect_field(review_outcome_none, "review_before_close.outcomes");
    expect_field(reapproval_zero, "reapproval.score_delta");
    expect_field(reapproval_nan, "reapproval.score_delta");
    expect_field(reapproval_big, "reapproval.score_delta");
}

static void test_signoff(void **state)
{
    (void)state;
    struct gl_policy p;
    gl_policy_default(&p);
    p.nsignoff = 2;
    snprintf(p.signoff[0].client_key, sizeof p.signoff[0].client_key, "acme");
    p.signoff[0].levels = (1u << GL_RISK_MODERATE) | (1u << GL_RISK_HIGH);
    snprintf(p.signoff[1].client_key, sizeof p.signoff[1].client_key, "relaxed");
    p.signoff[1].levels = 0;
    assert_int_equal(gl_policy_validate(&p, NULL), 0);

    /* Unlisted client: the default levels (for clients whose record requires sign-off;
     * core/approval.c combines them with the flag). */
    bool listed = true;
    unsigned dflt = (1u << GL_RISK_HIGH) | (1u << GL_RISK_CRITICAL);
    assert_int_equal(gl_policy_signoff_levels(&p, "other", &listed), dflt);
    assert_false(listed);
    assert_int_equal(gl_policy_signoff_levels(&p, NULL, &listed), dflt);
    assert_false(listed);
    /* Listed client: its own levels, none included. */
    assert_int_equal(gl_policy_signoff_levels(&p, "acme", &listed),
                     (1u << GL_RISK_MODERATE) | (1u << GL_RISK_HIGH));
    assert_true(listed);
    assert_int_equal(gl_policy_signoff_levels(&p, "relaxed", &listed), 0);
    assert_true(listed);
}

static void test_names(void **state)
{
    (void)state;
    for (int l = 0; l < GL_RISK__COUNT; l++) {
        enum gl_risk_level back;
        assert_int_equal(gl_risk_level_parse(gl_risk_level_name((enum gl_risk_level)l), &back), 0);
        assert_int_equal(back, l);
    }
    for (int f = 0; f < GL_FACTOR__COUNT; f++) {
        enum gl_risk_factor back;
        assert_int_equal(gl_risk_factor_parse(gl_risk_factor_name((enum gl_risk_factor)f), &back),
                         0);
        assert_int_equal(back, f);
    }
    for (int t = 0; t < GL_TIER__COUNT; t++) {
        enum gl_approval_tier back;
        assert_int_equal(
            gl_approval_tier_parse(gl_approval_tier_name((enum gl_approval_tier)t), &back), 0);
        assert_int_equal(back, t);
    }
    assert_string_equal(gl_risk_level_name(GL_RISK_MODERATE), "moderate");
    assert_string_equal(gl_risk_factor_name(GL_FACTOR_DEPENDENT_CRITICALITY),
                        "dependent_criticality");
    assert_string_equal(gl_approval_tier_name(GL_TIER_CHANGE_MANAGER), "change_manager");
    assert_string_equal(gl_risk_level_name((enum gl_risk_level)42), "unknown");
    enum gl_risk_level l;
    enum gl_risk_factor f;
    enum gl_approval_tier t;
    assert_int_equal(gl_risk_level_parse("Low", &l), -1);
    assert_int_equal(gl_risk_level_parse(NULL, &l), -1);
    assert_int_equal(gl_risk_factor_parse("users", &f), -1);
    assert_int_equal(gl_approval_tier_parse("", &t), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_valid),
        cmocka_unit_test(test_validate_fields),
        cmocka_unit_test(test_signoff),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
