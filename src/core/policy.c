/*
 * policy.c - the built-in policy, its validation and the wire names (see policy.h).
 *
 * Invariant kept by gl_policy_validate: every number the score and the routing read is
 * finite and in range, the thresholds strictly increase, and client keys in the sign-off
 * list are well formed and unique, so readers never have to re-check a validated policy.
 */
#include "core/policy.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/cmdb.h"

#include "util/banned.h"

static const char *const level_names[GL_RISK__COUNT] = {
    [GL_RISK_LOW] = "low",
    [GL_RISK_MODERATE] = "moderate",
    [GL_RISK_HIGH] = "high",
    [GL_RISK_CRITICAL] = "critical",
};

static const char *const factor_names[GL_FACTOR__COUNT] = {
    [GL_FACTOR_CI_CRITICALITY] = "ci_criticality",
    [GL_FACTOR_DEPENDENT_CRITICALITY] = "dependent_criticality",
    [GL_FACTOR_USERS_AFFECTED] = "users_affected",
    [GL_FACTOR_REVERSIBILITY] = "reversibility",
    [GL_FACTOR_BLAST_CIS] = "blast_cis",
    [GL_FACTOR_BLAST_CLIENTS] = "blast_clients",
    [GL_FACTOR_OUTSIDE_WINDOW] = "outside_window",
    [GL_FACTOR_BLACKOUT] = "blackout",
    [GL_FACTOR_SHORT_NOTICE] = "short_notice",
    [GL_FACTOR_CONFLICTS] = "conflicts",
    [GL_FACTOR_CI_HISTORY] = "ci_history",
    [GL_FACTOR_TEMPLATE_HISTORY] = "template_history",
};

static const char *const tier_names[GL_TIER__COUNT] = {
    [GL_TIER_PREAPPROVED] = "preapproved",       [GL_TIER_SELF_OR_PEER] = "self_or_peer",
    [GL_TIER_CHANGE_MANAGER] = "change_manager", [GL_TIER_CAB] = "cab",
    [GL_TIER_EMERGENCY] = "emergency",
};

/*
 * Default weights sum to 100, so a change that maxes every factor scores exactly 100.
 * They and the default thresholds are calibrated against the table of realistic changes in
 * tests/unit/test_risk_calibration.c (issue 10): most of the weight is on what a change
 * touches (criticality, users, blast radius), because the schedule factors rarely apply
 * together; a change on a criticality-5 CI is never low, a blackout lifts a moderate change
 * to high, and only a wide blast radius with a weak rollback reaches critical.
 */
static const double default_weights[GL_FACTOR__COUNT] = {
    [GL_FACTOR_CI_CRITICALITY] = 26, [GL_FACTOR_DEPENDENT_CRITICALITY] = 5,
    [GL_FACTOR_USERS_AFFECTED] = 11, [GL_FACTOR_REVERSIBILITY] = 12,
    [GL_FACTOR_BLAST_CIS] = 15,      [GL_FACTOR_BLAST_CLIENTS] = 7,
    [GL_FACTOR_OUTSIDE_WINDOW] = 3,  [GL_FACTOR_BLACKOUT] = 11,
    [GL_FACTOR_SHORT_NOTICE] = 2,    [GL_FACTOR_CONFLICTS] = 3,
    [GL_FACTOR_CI_HISTORY] = 3,      [GL_FACTOR_TEMPLATE_HISTORY] = 2,
};

#define LEVEL_BIT(l) (1u << (l))
#define ALL_LEVELS ((1u << GL_RISK__COUNT) - 1u)

void gl_policy_default(struct gl_policy *p)
{
    memset(p, 0, sizeof *p);
    p->version = 0;
    memcpy(p->weights, default_weights, sizeof p->weights);
    p->threshold[GL_RISK_LOW] = 0;
    p->threshold[GL_RISK_MODERATE] = 25;
    p->threshold[GL_RISK_HIGH] = 40;
    p->threshold[GL_RISK_CRITICAL] = 65;
    for (int l = 0; l < GL_RISK__COUNT; l++) {
        /* A standard change that fits its template is pre-approved at any level; the
         * template's maximum risk is what keeps risky work out of the standard path. */
        p->approval[GL_TYPE_STANDARD][l] = GL_TIER_PREAPPROVED;
        p->approval[GL_TYPE_EMERGENCY][l] = GL_TIER_EMERGENCY;
    }
    p->approval[GL_TYPE_NORMAL][GL_RISK_LOW] = GL_TIER_SELF_OR_PEER;
    p->approval[GL_TYPE_NORMAL][GL_RISK_MODERATE] = GL_TIER_CHANGE_MANAGER;
    p->approval[GL_TYPE_NORMAL][GL_RISK_HIGH] = GL_TIER_CAB;
    p->approval[GL_TYPE_NORMAL][GL_RISK_CRITICAL] = GL_TIER_CAB;
    p->cab_quorum = 2;
    p->signoff_default_levels = LEVEL_BIT(GL_RISK_HIGH) | LEVEL_BIT(GL_RISK_CRITICAL);
    p->nsignoff = 0;
    p->emergency_review_hours = 72;
    p->template_failure_threshold = 0.2;
    p->template_min_changes = 5;
    p->prior_failures = 1;
    p->prior_successes = 9;
    /* What an experienced change manager reviews before closing: whatever carried a high
     * risk, whatever did not go to plan, and every emergency (the review is part of the
     * emergency process, see emergency_review_hours). */
    p->review_before_close.levels = LEVEL_BIT(GL_RISK_HIGH) | LEVEL_BIT(GL_RISK_CRITICAL);
    p->review_before_close.outcomes = (1u << GL_OUTCOME_FAILED) | (1u << GL_OUTCOME_ROLLED_BACK);
    p->review_before_close.emergency = true;
    /* An approval stands until this change's own risk moved materially: into a higher level
     * (whose tier may need other approvers), or by 5 points, about one factor turning bad
     * (a rollback found untested, a window missed with a conflict). */
    p->reapproval.score_delta = 5;
    p->reapproval.on_level_increase = true;
}

static int check_number(double v, double lo, double hi, const char *field, struct gl_error *err)
{
    if (!isfinite(v) || v < lo || v > hi)
        return gl_error_set(err, GL_E_INVALID, field, "%s must be a number from %g to %g", field,
                            lo, hi);
    return 0;
}

static int check_weights(const struct gl_policy *p, struct gl_error *err)
{
    char field[64];
    for (int f = 0; f < GL_FACTOR__COUNT; f++) {
        snprintf(field, sizeof field, "weights.%s", factor_names[f]);
        if (check_number(p->weights[f], 0, 100, field, err))
            return GL_E_INVALID;
    }
    return 0;
}

static int check_thresholds(const struct gl_policy *p, struct gl_error *err)
{
    char field[64];
    for (int l = GL_RISK_MODERATE; l < GL_RISK__COUNT; l++) {
        snprintf(field, sizeof field, "thresholds.%s", level_names[l]);
        if (check_number(p->threshold[l], 1, 100, field, err))
            return GL_E_INVALID;
        if (l > GL_RISK_MODERATE && p->threshold[l] <= p->threshold[l - 1])
            return gl_error_set(err, GL_E_INVALID, field,
                                "thresholds.%s must be above thresholds.%s", level_names[l],
                                level_names[l - 1]);
    }
    return 0;
}

static int check_approval(const struct gl_policy *p, struct gl_error *err)
{
    char field[64];
    for (int t = 0; t < GL_TYPE__COUNT; t++)
        for (int l = 0; l < GL_RISK__COUNT; l++) {
            enum gl_approval_tier tier = p->approval[t][l];
            snprintf(field, sizeof field, "approval.%s.%s",
                     gl_change_type_name((enum gl_change_type)t), level_names[l]);
            if ((unsigned)tier >= GL_TIER__COUNT)
                return gl_error_set(err, GL_E_INVALID, field, "%s is not an approval tier", field);
            /* Only a template can pre-approve: a normal or emergency change has none. */
            if (tier == GL_TIER_PREAPPROVED && t != GL_TYPE_STANDARD)
                return gl_error_set(err, GL_E_INVALID, field,
                                    "%s: only standard changes can be preapproved", field);
        }
    return 0;
}

static int check_signoff(const struct gl_policy *p, struct gl_error *err)
{
    if (p->signoff_default_levels & ~ALL_LEVELS)
        return gl_error_set(err, GL_E_INVALID, "client_signoff.default",
                            "client_signoff.default holds an unknown level");
    if (p->nsignoff > GL_POLICY_MAX_CLIENTS)
        return gl_error_set(err, GL_E_INVALID, "client_signoff.clients",
                            "client_signoff.clients lists more than %d clients",
                            GL_POLICY_MAX_CLIENTS);
    for (size_t i = 0; i < p->nsignoff; i++) {
        const struct gl_policy_signoff *s = &p->signoff[i];
        if (!gl_client_key_valid(s->client_key))
            return gl_error_set(err, GL_E_INVALID, "client_signoff.clients",
                                "client_signoff.clients: \"%.40s\" is not a client key",
                                s->client_key);
        char field[64];
        snprintf(field, sizeof field, "client_signoff.clients.%s", s->client_key);
        if (s->levels & ~ALL_LEVELS)
            return gl_error_set(err, GL_E_INVALID, field, "%s holds an unknown level", field);
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->signoff[j].client_key, s->client_key) == 0)
                return gl_error_set(err, GL_E_INVALID, field, "%s is listed twice", field);
    }
    return 0;
}

/* Outcomes a review can follow: a change without one has not finished. */
#define REVIEW_OUTCOMES                                                                            \
    ((1u << GL_OUTCOME_SUCCESSFUL) | (1u << GL_OUTCOME_FAILED) | (1u << GL_OUTCOME_ROLLED_BACK))

static int check_review(const struct gl_review_rule *r, struct gl_error *err)
{
    if (r->levels & ~ALL_LEVELS)
        return gl_error_set(err, GL_E_INVALID, "review_before_close.levels",
                            "review_before_close.levels holds an unknown level");
    if (r->outcomes & ~REVIEW_OUTCOMES)
        return gl_error_set(err, GL_E_INVALID, "review_before_close.outcomes",
                            "review_before_close.outcomes may list successful, failed and "
                            "rolled_back only");
    return 0;
}

int gl_policy_validate(const struct gl_policy *p, struct gl_error *err)
{
    if (check_weights(p, err) || check_thresholds(p, err) || check_approval(p, err))
        return GL_E_INVALID;
    if (p->cab_quorum < 1 || p->cab_quorum > 50)
        return gl_error_set(err, GL_E_INVALID, "cab_quorum", "cab_quorum must be from 1 to 50");
    if (check_signoff(p, err))
        return GL_E_INVALID;
    if (p->emergency_review_hours < 1 || p->emergency_review_hours > 24 * 365)
        return gl_error_set(err, GL_E_INVALID, "emergency_review_hours",
                            "emergency_review_hours must be from 1 to 8760");
    /* A threshold of 0 would revoke every template on its first change. */
    if (!isfinite(p->template_failure_threshold) || p->template_failure_threshold <= 0 ||
        p->template_failure_threshold > 1)
        return gl_error_set(err, GL_E_INVALID, "template_failure_threshold",
                            "template_failure_threshold must be above 0 and at most 1");
    if (p->template_min_changes < 1 || p->template_min_changes > 100000)
        return gl_error_set(err, GL_E_INVALID, "template_min_changes",
                            "template_min_changes must be from 1 to 100000");
    /* Both prior counts must be positive: a zero one lets 1 failure of 1 read as 100%. */
    if (!isfinite(p->prior_failures) || p->prior_failures <= 0 || p->prior_failures > 1000)
        return gl_error_set(err, GL_E_INVALID, "history_prior.failures",
                            "history_prior.failures must be above 0 and at most 1000");
    if (!isfinite(p->prior_successes) || p->prior_successes <= 0 || p->prior_successes > 1000)
        return gl_error_set(err, GL_E_INVALID, "history_prior.successes",
                            "history_prior.successes must be above 0 and at most 1000");
    if (check_review(&p->review_before_close, err))
        return GL_E_INVALID;
    /* 0 would make any rise material, which is the behaviour this rule exists to end. */
    if (!isfinite(p->reapproval.score_delta) || p->reapproval.score_delta <= 0 ||
        p->reapproval.score_delta > 100)
        return gl_error_set(err, GL_E_INVALID, "reapproval.score_delta",
                            "reapproval.score_delta must be above 0 and at most 100");
    return 0;
}

unsigned gl_policy_signoff_levels(const struct gl_policy *p, const char *client_key, bool *listed)
{
    *listed = false;
    for (size_t i = 0; client_key && i < p->nsignoff; i++)
        if (strcmp(p->signoff[i].client_key, client_key) == 0) {
            *listed = true;
            return p->signoff[i].levels;
        }
    return p->signoff_default_levels;
}

static int parse_name(const char *s, const char *const *names, int n)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

const char *gl_risk_level_name(enum gl_risk_level l)
{
    return (unsigned)l < GL_RISK__COUNT ? level_names[l] : "unknown";
}

int gl_risk_level_parse(const char *s, enum gl_risk_level *out)
{
    int i = parse_name(s, level_names, GL_RISK__COUNT);
    if (i < 0)
        return -1;
    *out = (enum gl_risk_level)i;
    return 0;
}

const char *gl_risk_factor_name(enum gl_risk_factor f)
{
    return (unsigned)f < GL_FACTOR__COUNT ? factor_names[f] : "unknown";
}

int gl_risk_factor_parse(const char *s, enum gl_risk_factor *out)
{
    int i = parse_name(s, factor_names, GL_FACTOR__COUNT);
    if (i < 0)
        return -1;
    *out = (enum gl_risk_factor)i;
    return 0;
}

const char *gl_approval_tier_name(enum gl_approval_tier t)
{
    return (unsigned)t < GL_TIER__COUNT ? tier_names[t] : "unknown";
}

int gl_approval_tier_parse(const char *s, enum gl_approval_tier *out)
{
    int i = parse_name(s, tier_names, GL_TIER__COUNT);
    if (i < 0)
        return -1;
    *out = (enum gl_approval_tier)i;
    return 0;
}
