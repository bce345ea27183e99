/*
 * risk.h - the risk score of a change: 0..100, a level, and why.
 *
 * gl_risk_score is pure: the adapters gather struct gl_risk_inputs (CMDB walk, calendar,
 * history counts) and the policy in force; the score is the sum of each factor's
 * contribution, so the explanation always adds up to the score. The inputs are stored
 * with the assessment, so "what was this score computed from?" has an answer, and a
 * change whose inputs differ from its approved assessment's needs re-approval.
 */
#ifndef GL_RISK_H
#define GL_RISK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/change.h"
#include "core/policy.h"
#include "core/schedule.h"

struct gl_risk_inputs {
    enum gl_change_type type;
    size_t affected_cis;
    int max_ci_criticality;        /* 1..5 among the affected CIs; 0 when none */
    int max_dependent_criticality; /* 1..5 among everything downstream; 0 when none */
    int64_t users_affected;        /* affected plus downstream CIs */
    bool has_rollback_plan;
    bool rollback_tested;
    size_t dependent_cis;    /* CIs downstream of the affected ones */
    size_t clients_touched;  /* clients reached other than the change's own */
    struct gl_schedule_summary schedule;
    /* History: finished changes (completed, failed, rolled back) on the same CIs and from
     * the same template; failures are failed + rolled back. */
    int64_t ci_changes;
    int64_t ci_failures;
    bool from_template;
    int64_t template_changes;
    int64_t template_failures;
};

#define GL_RISK_EXPLAIN_MAX 160

struct gl_risk_contribution {
    enum gl_risk_factor factor;
    double points; /* 0..weight */
    double weight; /* the policy's weight of the factor when it was scored */
    char explanation[GL_RISK_EXPLAIN_MAX];
};

struct gl_risk_assessment {
    int64_t change_id;
    int64_t assessed_at;
    int64_t policy_version;
    double score; /* the sum of factors[].points, capped at 100 */
    double uncapped; /* the sum before the cap (== score unless capped) */
    bool capped;     /* the sum exceeded 100 */
    enum gl_risk_level level;
    struct gl_risk_contribution factors[GL_FACTOR__COUNT];
    struct gl_risk_inputs inputs;
};

/* Scores `in` under policy p (validated) into out: factors[f] is factor f's contribution
 * rounded to 0.1 with a one-line explanation; score is exactly their sum, or 100 with
 * `capped` set when the sum is above 100; level from p's thresholds. Sets out->inputs and
 * out->policy_version; leaves change_id and assessed_at alone. Pure. */
void gl_risk_score(const struct gl_risk_inputs *in, const struct gl_policy *p,
                   struct gl_risk_assessment *out);

/* Field-by-field equality (no padding compared). */
bool gl_risk_inputs_equal(const struct gl_risk_inputs *a, const struct gl_risk_inputs *b);

/* How a change's stored wire form is made, for a store that keeps one ready for reads
 * (struct gl_change_doc) and in its audit events: given by whoever opens the store (the
 * codec's is gl_json_change_renderer, codec/json_risk.h), so the store depends on no wire
 * format. Both return malloc'd text, NULL when out of memory. */
struct gl_change_renderer {
    int format; /* the form's version; renderings of another one are re-made */
    char *(*change)(const struct gl_change *c);
    /* rendering with its "risk" summary set from a; NULL also when rendering is no object */
    char *(*with_risk)(const char *rendering, const struct gl_risk_assessment *a);
};

/* The level a score reaches under p's thresholds. */
enum gl_risk_level gl_risk_level_for(const struct gl_policy *p, double score);

#endif
