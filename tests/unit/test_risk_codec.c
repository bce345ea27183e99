/*
 * test_risk_codec.c - codec/json_policy.c and codec/json_risk.c: the policy's wire form
 * round-trips, absent members take the default, every malformed member is refused naming
 * it; the dump is canonical (a file can be compared with the stored policy); risk inputs and
 * factors round-trip through their stored JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec/json_policy.h"
#include "codec/json_risk.h"

#include "util/banned.h"

static void test_policy_round_trip(void **state)
{
    (void)state;
    struct gl_policy p, back;
    struct gl_error err = {0};
    gl_policy_default(&p);
    p.weights[GL_FACTOR_CONFLICTS] = 7.5;
    p.threshold[GL_RISK_HIGH] = 40;
    p.approval[GL_TYPE_NORMAL][GL_RISK_MODERATE] = GL_TIER_CAB;
    p.cab_quorum = 3;
    p.signoff_default_levels = 1u << GL_RISK_CRITICAL;
    p.nsignoff = 2;
    snprintf(p.signoff[0].client_key, sizeof p.signoff[0].client_key, "acme");
    p.signoff[0].levels = (1u << GL_RISK_MODERATE) | (1u << GL_RISK_HIGH);
    snprintf(p.signoff[1].client_key, sizeof p.signoff[1].client_key, "globex");
    p.signoff[1].levels = 0;
    p.template_failure_threshold = 0.3;
    p.prior_failures = 2;
    p.review_before_close.levels = 1u << GL_RISK_MODERATE;
    p.review_before_close.outcomes = 1u << GL_OUTCOME_SUCCESSFUL;
    p.review_before_close.emergency = false;
    p.reapproval.score_delta = 7.5;
    p.reapproval.on_level_increase = false;
    char *text = gl_json_policy_dump_body(&p);
    assert_non_null(strstr(text, "\"reapproval\":{\"score_delta\":7.5,"
                                 "\"on_level_increase\":false}"));
    assert_non_null(strstr(text, "\"review_before_close\":{\"levels\":[\"moderate\"],"
                                 "\"outcomes\":[\"successful\"],\"emergency\":false}"));
    assert_non_null(text);
    assert_null(strstr(text, "0000000")); /* reals printed as typed, not 0.29999999999999999 */
    assert_int_equal(gl_json_policy_loads(text, &back, &err), 0);
    char *again = gl_json_policy_dump_body(&back);
    assert_string_equal(text, again); /* canonical */
    assert_true(back.weights[GL_FACTOR_CONFLICTS] == 7.5);
    assert_true(back.threshold[GL_RISK_HIGH] == 40);
    assert_int_equal(back.approval[GL_TYPE_NORMAL][GL_RISK_MODERATE], GL_TIER_CAB);
    assert_int_equal(back.nsignoff, 2);
    assert_string_equal(back.signoff[1].client_key, "globex");
    assert_int_equal(back.signoff[0].levels, p.signoff[0].levels);
    assert_true(back.template_failure_threshold == 0.3);
    assert_int_equal(back.review_before_close.levels, p.review_before_close.levels);
    assert_int_equal(back.review_before_close.outcomes, p.review_before_close.outcomes);
    assert_false(back.review_before_close.emergency);
    assert_true(back.reapproval.score_delta == 7.5);
    assert_false(back.reapproval.on_level_increase);
    free(text);
    free(again);

    json_t *o = gl_json_policy(&p);
    assert_int_equal(json_integer_value(json_object_get(o, "version")), 0);
    json_decref(o);
}

static void test_policy_partial_takes_default(void **state)
{
    (void)state;
    struct gl_policy p, dflt;
    struct gl_error err = {0};
    gl_policy_default(&dflt);
    assert_int_equal(gl_json_policy_loads("{\"cab_quorum\": 4, \"version\": 9}", &p, &err), 0);
    assert_int_equal(p.cab_quorum, 4);
    assert_int_equal(p.version, 0); /* read-only */
    assert_true(p.weights[GL_FACTOR_BLACKOUT] == dflt.weights[GL_FACTOR_BLACKOUT]);
    assert_int_equal(p.approval[GL_TYPE_NORMAL][GL_RISK_HIGH], GL_TIER_CAB);
    /* A member object given in part keeps the default for the rest. */
    assert_int_equal(
        gl_json_policy_loads("{\"review_before_close\": {\"emergency\": false}}", &p, &err), 0);
    assert_false(p.review_before_close.emergency);
    assert_int_equal(p.review_before_close.levels, dflt.review_before_close.levels);
    assert_int_equal(p.review_before_close.outcomes, dflt.review_before_close.outcomes);
    assert_int_equal(gl_json_policy_loads("{}", &p, &err), 0);
    char *a = gl_json_policy_dump_body(&p), *b = gl_json_policy_dump_body(&dflt);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

static void expect_bad(const char *text, const char *field)
{
    struct gl_policy p;
    struct gl_error err = {0};
    assert_int_equal(gl_json_policy_loads(text, &p, &err), GL_E_INVALID);
    if (field)
        assert_string_equal(err.field, field);
}

static void test_policy_refusals(void **state)
{
    (void)state;
    expect_bad("not json", NULL);
    expect_bad("[]", NULL);
    expect_bad("{\"cab_quorum\": 1, \"cab_quorum\": 2}", NULL); /* duplicate member */
    expect_bad("{\"colour\": 1}", "colour");
    expect_bad("{\"weights\": []}", "weights");
    expect_bad("{\"weights\": {\"luck\": 1}}", "weights.luck");
    expect_bad("{\"weights\": {\"conflicts\": \"x\"}}", "weights.conflicts");
    expect_bad("{\"weights\": {\"conflicts\": 101}}", "weights.conflicts");
    expect_bad("{\"thresholds\": {\"low\": 1}}", "thresholds.low");
    expect_bad("{\"thresholds\": {\"high\": 90}}", "thresholds.critical");
    expect_bad("{\"approval\": {\"major\": {}}}", "approval.major");
    expect_bad("{\"approval\": {\"normal\": {\"huge\": \"cab\"}}}", "approval.normal.huge");
    expect_bad("{\"approval\": {\"normal\": {\"low\": \"boss\"}}}", "approval.normal.low");
    expect_bad("{\"approval\": {\"emergency\": {\"low\": \"preapproved\"}}}",
               "approval.emergency.low");
    expect_bad("{\"cab_quorum\": 1.5}", "cab_quorum");
    expect_bad("{\"cab_quorum\": 0}", "cab_quorum");
    expect_bad("{\"client_signoff\": {\"default\": \"high\"}}", "client_signoff.default");
    expect_bad("{\"client_signoff\": {\"default\": [\"huge\"]}}", "client_signoff.default");
    expect_bad("{\"client_signoff\": {\"clients\": {\"acme\": [1]}}}",
               "client_signoff.clients.acme");
    expect_bad("{\"client_signoff\": {\"clients\": {\"Not A Key\": []}}}",
               "client_signoff.clients");
    expect_bad("{\"client_signoff\": {\"who\": []}}", "client_signoff.who");
    expect_bad("{\"history_prior\": {\"failures\": 0}}", "history_prior.failures");
    expect_bad("{\"history_prior\": {\"alpha\": 1}}", "history_prior.alpha");
    expect_bad("{\"template_failure_threshold\": 1.5}", "template_failure_threshold");
    expect_bad("{\"emergency_review_hours\": true}", "emergency_review_hours");
    expect_bad("{\"review_before_close\": true}", "review_before_close");
    expect_bad("{\"review_before_close\": {\"levels\": [\"huge\"]}}", "review_before_close.levels");
    expect_bad("{\"review_before_close\": {\"outcomes\": [\"none\"]}}",
               "review_before_close.outcomes");
    expect_bad("{\"review_before_close\": {\"outcomes\": \"failed\"}}",
               "review_before_close.outcomes");
    expect_bad("{\"review_before_close\": {\"emergency\": 1}}", "review_before_close.emergency");
    expect_bad("{\"review_before_close\": {\"always\": true}}", "review_before_close.always");
    expect_bad("{\"reapproval\": 5}", "reapproval");
    expect_bad("{\"reapproval\": {\"score_delta\": \"5\"}}", "reapproval.score_delta");
    expect_bad("{\"reapproval\": {\"score_delta\": 0}}", "reapproval.score_delta");
    expect_bad("{\"reapproval\": {\"on_level_increase\": 1}}", "reapproval.on_level_increase");
    expect_bad("{\"reapproval\": {\"inputs\": []}}", "reapproval.inputs");
}

static void test_risk_round_trip(void **state)
{
    (void)state;
    struct gl_policy p;
    gl_policy_default(&p);
    p.version = 4;
    struct gl_risk_inputs in = {
        .type = GL_TYPE_EMERGENCY,
        .affected_cis = 3,
        .max_ci_criticality = 4,
        .max_dependent_criticality = 5,
        .users_affected = 1234,
        .has_rollback_plan = true,
        .dependent_cis = 17,
        .clients_touched = 2,
        .schedule = {.planned = true,
                     .windows_defined = true,
                     .outside_window = true,
                     .short_notice = true,
                     .notice_shortfall_hours = 5.25,
                     .conflicts = 3},
        .ci_changes = 9,
        .ci_failures = 2,
        .from_template = true,
        .template_changes = 6,
        .template_failures = 1,
    };
    struct gl_risk_assessment a, back;
    memset(&a, 0, sizeof a);
    memset(&back, 0, sizeof back);
    gl_risk_score(&in, &p, &a);
    json_t *ij = gl_json_risk_inputs(&in), *fj = gl_json_risk_factors(&a);
    struct gl_error err = {0};
    assert_int_equal(gl_json_risk_inputs_parse(ij, &back.inputs, &err), 0);
    assert_true(gl_risk_inputs_equal(&in, &back.inputs));
    assert_int_equal(gl_json_risk_factors_parse(fj, &back, &err), 0);
    for (int f = 0; f < GL_FACTOR__COUNT; f++) {
        assert_true(back.factors[f].points == a.factors[f].points);
        assert_true(back.factors[f].weight == a.factors[f].weight);
        assert_string_equal(back.factors[f].explanation, a.factors[f].explanation);
    }
    /* Wrong types are refused; absent members read as zero (older stored inputs). */
    json_object_set_new(ij, "dependent_cis", json_string("many"));
    assert_int_equal(gl_json_risk_inputs_parse(ij, &back.inputs, &err), GL_E_INVALID);
    json_t *empty = json_object();
    assert_int_equal(gl_json_risk_inputs_parse(empty, &back.inputs, &err), 0);
    assert_int_equal(back.inputs.dependent_cis, 0);
    assert_int_equal(back.inputs.type, GL_TYPE_NORMAL);
    json_decref(empty);
    json_decref(ij);
    json_decref(fj);

    a.change_id = 42;
    a.assessed_at = 0;
    json_t *full = gl_json_risk_assessment(&a);
    assert_string_equal(json_string_value(json_object_get(full, "change")), "CHG-000042");
    assert_string_equal(json_string_value(json_object_get(full, "assessed_at")),
                        "1970-01-01T00:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(full, "policy_version")), 4);
    assert_int_equal(json_array_size(json_object_get(full, "factors")), GL_FACTOR__COUNT);
    json_decref(full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_round_trip),
        cmocka_unit_test(test_policy_partial_takes_default),
        cmocka_unit_test(test_policy_refusals),
        cmocka_unit_test(test_risk_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
