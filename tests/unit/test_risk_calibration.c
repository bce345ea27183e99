/*
 * test_risk_calibration.c - the default policy's weights and thresholds against a table of
 * realistic changes (issue 10).
 *
 * Each row is a change as an MSP would raise it, with the inputs the store would gather
 * and the level an experienced change manager gives it. The default policy must put every
 * row in that level, and not by a hair: a row must sit at least MARGIN points inside its
 * band, so that a little more history or one more user does not flip it. When the weights
 * are changed, this table is what they are checked against; a row is only ever changed
 * because the judgement of the change was wrong, never to make the numbers fit.
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

#define MARGIN 2.5

/* Planned inside a maintenance window of a client that defines them. */
#define IN_WINDOW .schedule = {.planned = true, .windows_defined = true}

static const struct row {
    const char *what;
    enum gl_risk_level want;
    struct gl_risk_inputs in;
} rows[] = {
    {"desktop patch from the standard patching template",
     GL_RISK_LOW,
     {.type = GL_TYPE_STANDARD,
      .affected_cis = 1,
      .max_ci_criticality = 2,
      .users_affected = 40,
      .has_rollback_plan = true,
      .rollback_tested = true,
      IN_WINDOW,
      .ci_changes = 12,
      .from_template = true,
      .template_changes = 30}},
    {"printer driver update on a print server",
     GL_RISK_LOW,
     {.type = GL_TYPE_NORMAL,
      .affected_cis = 1,
      .max_ci_criticality = 2,
      .users_affected = 80,
      .has_rollback_plan = true,
      .rollback_tested = true,
      IN_WINDOW,
      .ci_changes = 3}},
    {"decommission an unused test VM (rollback: restore from backup, untested)",
     GL_RISK_LOW,
     {.type = GL_TYPE_NORMAL,
      .affected_cis = 1,
      .max_ci_criticality = 1,
      .has_rollback_plan = true,
      IN_WINDOW}},
    {"OS patch on one web node behind a load balancer",
     GL_RISK_LOW,
     {.type = GL_TYPE_NORMAL,
      .affected_cis = 1,
      .max_ci_criticality = 3,
      .users_affected = 300,
      .has_rollback_plan = true,
      .rollback_tested = true,
      .dependent_cis = 1,
      .max_dependent_criticality = 3,
      IN_WINDOW,
      .ci_changes = 10,
      .ci_failures = 1}},
    {"routine firewall rule on one client's edge firewall",
     GL_RISK_MODERATE,
     {.type = GL_TYPE_NORMAL,
      .affected_cis = 1,
      .max_ci_criticality = 4,
      .users_affected = 150,
      .has_rollback_plan = true,
      .dependent_cis = 6,
      .max_dependent_criticality = 3,
      IN_WINDOW,
      .ci_changes = 25,
      .ci_failures = 1}},
    {"cumulative update of a client's mail server",
     GL_RISK_MODERATE,
     {.type = GL_TYPE_NORMAL,
      .affected_cis = 1,
      .max_ci_criticality = 4,
      .users_affected = 1500,
      .has_rollback_plan = true,
      .rollback_tested = true,
      .dependent_cis = 2,
      .max_dependent_criticality = 3,
      IN_WINDOW,
      .ci_changes = 8,
      .ci_failures = 1}},
    {"new VLAN on a client's access switch, rollback untested",
     GL_RISK_MODERATE,
     {.type = GL_TYPE_NORMAL,
      .affected_cis = 1,
      .max_ci_criticality = 3,
      .users_affected = 150,
      .has_rollback_plan = true,
      .dependent_cis = 8,
      .max_dependent_criticality = 2,
      IN_WINDOW,
      .ci_changes = 4}},
    {"minor version upgrade of a database, rollback tested",
     GL_RISK_MODERATE,
     {.type = GL_TYPE_NORMAL,
      .affected_cis = 1,
      .max_ci_criticality = 4,
      .users_affected = 800,
      .has_rollback_plan = true,
      .rollback_tested = true,
      .dependent_cis = 3,
      .max_dependent_criticality = 4,
      IN_WINDOW,
      .ci_changes = 6}},
    {"small configuration change on a criticality-5 ERP database, rollback tested",
     GL_RISK_MODERATE,
     {.type = GL_TYPE_NORMAL,
      .affected_cis = 1,
      .max_ci_criticality = 5,
      .users_affected = 200,
      .has_rollback_plan = true,
      .rollback_tested = true,
      IN_WINDOW,
      .ci_changes = 10}},
    {"change to a criticality-5 system of 400,000 users, rollback untested",
     GL_RISK_HIGH,
     {.type = GL_TYPE_NORMAL,
      .affected_cis = 1,
      .max_ci_criticality = 5,
      .users_affected = 400000,
      .has_rollback_plan = true,
      IN_WINDOW}},
    {"core switch firmware upgrade on a shared CI with many dependants, rollback untested",
     GL_RISK_HIGH,
     {.type = GL_TYPE_NORMAL,
      .affected_cis = 1,
      .max_ci_criticality = 5,
      .users_affected = 4000,
      .has_rollback_plan = true,
      .dependent_cis = 60,
      .max_dependent_criticality = 5,
      .clients_touched = 5,
      IN_WINDOW,
      .ci_changes = 6}},
    {"the database upgrade above, inside the year-end blackout",
     GL_RISK_HIGH,
     {.type = GL_TYPE_NORMAL,
      .affected_cis = 1,
      .max_ci_criticality = 4,
      .users_affected = 800,
      .has_rollback_plan = true,
      .rollback_tested = true,
      .dependent_cis = 3,
      .max_dependent_criticality = 4,
      .schedule = {.planned = true, .windows_defined = true, .in_blackout = true},
      .ci_changes = 6}},
    {"ERP change outside the window without justification, at short notice, overlapping "
     "another change",
     GL_RISK_HIGH,
     {.type = GL_TYPE_NORMAL,
      .affected_cis = 1,
      .max_ci_criticality = 5,
      .users_affected = 2000,
      .has_rollback_plan = true,
      .rollback_tested = true,
      .dependent_cis = 2,
      .max_dependent_criticality = 4,
      .schedule = {.planned = true,
                   .windows_defined = true,
                   .outside_window = true,
                   .short_notice = true,
                   .notice_shortfall_hours = 12,
                   .conflicts = 1}}},
    {"emergency hotfix of the payments API, rollback untested",
     GL_RISK_HIGH,
     {.type = GL_TYPE_EMERGENCY,
      .affected_cis = 1,
      .max_ci_criticality = 5,
      .users_affected = 50000,
      .has_rollback_plan = true,
      .dependent_cis = 10,
      .max_dependent_criticality = 5,
      .schedule = {.planned = true,
                   .windows_defined = true,
                   .outside_window = true,
                   .short_notice = true,
                   .notice_shortfall_hours = 20},
      .ci_changes = 3,
      .ci_failures = 1}},
    {"datacenter-wide storage migration",
     GL_RISK_CRITICAL,
     {.type = GL_TYPE_NORMAL,
      .affected_cis = 12,
      .max_ci_criticality = 5,
      .users_affected = 25000,
      .has_rollback_plan = true,
      .dependent_cis = 400,
      .max_dependent_criticality = 5,
      .clients_touched = 9,
      IN_WINDOW,
      .ci_changes = 1}},
    {"emergency failover of the shared SAN controller, no rollback plan",
     GL_RISK_CRITICAL,
     {.type = GL_TYPE_EMERGENCY,
      .affected_cis = 2,
      .max_ci_criticality = 5,
      .users_affected = 30000,
      .dependent_cis = 300,
      .max_dependent_criticality = 5,
      .clients_touched = 6,
      .schedule = {.planned = true, .windows_defined = true, .outside_window = true}}},
};

#define NROWS (sizeof rows / sizeof rows[0])

/* How far inside its level's band a score is (negative: outside it). */
static double inside(const struct gl_policy *p, enum gl_risk_level l, double score)
{
    double lo = p->threshold[l];
    double hi = l + 1 < GL_RISK__COUNT ? p->threshold[l + 1] : 1e9;
    double below = l == GL_RISK_LOW ? 1e9 : score - lo;
    return below < hi - score ? below : hi - score;
}

static void explain(const struct gl_risk_assessment *a)
{
    for (int f = 0; f < GL_FACTOR__COUNT; f++)
        if (a->factors[f].points > 0)
            print_message("    %-22s %5.1f  %s\n", gl_risk_factor_name((enum gl_risk_factor)f),
                          a->factors[f].points, a->factors[f].explanation);
}

static void test_every_row_lands_in_its_level(void **state)
{
    (void)state;
    struct gl_policy p;
    gl_policy_default(&p);
    int wrong = 0;
    for (size_t i = 0; i < NROWS; i++) {
        struct gl_risk_assessment a;
        memset(&a, 0, sizeof a);
        gl_risk_score(&rows[i].in, &p, &a);
        double m = inside(&p, rows[i].want, a.score);
        if (a.level == rows[i].want && m >= MARGIN)
            continue;
        print_message("%s: %.1f is %s, %.1f inside %s (want %s, at least %.1f inside)\n",
                      rows[i].what, a.score, gl_risk_level_name(a.level), m,
                      gl_risk_level_name(rows[i].want), gl_risk_level_name(rows[i].want), MARGIN);
        explain(&a);
        wrong++;
    }
    assert_int_equal(wrong, 0);
}

/* The explanation stays the score's: what each factor lists adds up to the total, each
 * factor is scored under the policy's own weight, and the level is the one the score
 * reaches. */
static void test_rows_explain_their_score(void **state)
{
    (void)state;
    struct gl_policy p;
    gl_policy_default(&p);
    for (size_t i = 0; i < NROWS; i++) {
        struct gl_risk_assessment a;
        gl_risk_score(&rows[i].in, &p, &a);
        long tenths = 0;
        for (int f = 0; f < GL_FACTOR__COUNT; f++) {
            assert_true(a.factors[f].weight == p.weights[f]);
            assert_true(a.factors[f].points <= a.factors[f].weight + 0.05);
            assert_true(a.factors[f].explanation[0] != '\0');
            tenths += (long)(a.factors[f].points * 10 + 0.5);
        }
        assert_false(a.capped);
        assert_true(a.score == tenths / 10.0);
        assert_int_equal(a.level, gl_risk_level_for(&p, a.score));
    }
}

/* The rows are ordered by level, so the table reads as a scale; it also shows each level
 * has cases on both sides of its neighbours. */
static void test_table_covers_every_level(void **state)
{
    (void)state;
    int seen[GL_RISK__COUNT] = {0};
    for (size_t i = 0; i < NROWS; i++) {
        if (i)
            assert_true(rows[i].want >= rows[i - 1].want);
        seen[rows[i].want]++;
    }
    for (int l = 0; l < GL_RISK__COUNT; l++)
        assert_true(seen[l] >= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_row_lands_in_its_level),
        cmocka_unit_test(test_rows_explain_their_score),
        cmocka_unit_test(test_table_covers_every_level),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
