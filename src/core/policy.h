/*
 * policy.h - the change policy: how risk is weighed and which approvals each risk needs.
 *
 * One policy is in force at a time. An admin reads and replaces it (API, or a JSON file
 * loaded at start); every replacement gets the next version and an audit event, and each
 * risk assessment records the version it was made under. The policy is plain data: the
 * risk score (core/risk.h) and approval routing (core/approval.h) read it, nothing here
 * does I/O.
 *
 * Wire form (codec): {"version": 3, "weights": {"ci_criticality": 20, ...},
 * "thresholds": {"moderate": 25, "high": 50, "critical": 75}, "approval": {"normal":
 * {"low": "self_or_peer", ...}, ...}, "cab_quorum": 2, "client_signoff": {"default":
 * ["high", "critical"], "clients": {"acme": ["moderate", "high", "critical"]}},
 * "emergency_review_hours": 72, "template_failure_threshold": 0.2,
 * "template_min_changes": 5, "history_prior": {"failures": 1, "successes": 9},
 * "review_before_close": {"levels": ["high", "critical"], "outcomes": ["failed",
 * "rolled_back"], "emergency": true}, "reapproval": {"score_delta": 5,
 * "on_level_increase": true}}
 */
#ifndef GL_POLICY_H
#define GL_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/change.h"
#include "core/error.h"

enum gl_risk_level {
    GL_RISK_LOW,
    GL_RISK_MODERATE,
    GL_RISK_HIGH,
    GL_RISK_CRITICAL,
    GL_RISK__COUNT
};

/* Each factor's weight is the most points it can add; a factor contributes
 * weight * intensity, intensity in [0, 1]. The score is the sum, capped at 100. */
enum gl_risk_factor {
    GL_FACTOR_CI_CRITICALITY,       /* highest criticality among the affected CIs */
    GL_FACTOR_DEPENDENT_CRITICALITY, /* highest criticality among what depends on them */
    GL_FACTOR_USERS_AFFECTED,       /* users of the affected and dependent CIs */
    GL_FACTOR_REVERSIBILITY,        /* no rollback plan > untested rollback > tested */
    GL_FACTOR_BLAST_CIS,            /* number of dependent CIs */
    GL_FACTOR_BLAST_CLIENTS,        /* number of clients touched beyond the change's own */
    GL_FACTOR_OUTSIDE_WINDOW,       /* planned outside the client's maintenance windows */
    GL_FACTOR_BLACKOUT,             /* planned inside a blackout period */
    GL_FACTOR_SHORT_NOTICE,         /* less notice than the client requires */
    GL_FACTOR_CONFLICTS,            /* overlapping changes on the same or connected CIs */
    GL_FACTOR_CI_HISTORY,           /* failure rate of past changes on the same CIs */
    GL_FACTOR_TEMPLATE_HISTORY,     /* failure rate of past changes from the same template */
    GL_FACTOR__COUNT
};

/* Who must approve. */
enum gl_approval_tier {
    GL_TIER_PREAPPROVED,    /* standard change under a template in good standing */
    GL_TIER_SELF_OR_PEER,   /* the requester or any colleague with approve rights */
    GL_TIER_CHANGE_MANAGER, /* a change manager */
    GL_TIER_CAB,            /* cab_quorum CAB members */
    GL_TIER_EMERGENCY,      /* one emergency approver */
    GL_TIER__COUNT
};

#define GL_POLICY_MAX_CLIENTS 256
#define GL_CLIENT_KEY_MAX 41

/* A client whose sign-off rule differs from the default. levels: bit (1u << level). */
struct gl_policy_signoff {
    char client_key[GL_CLIENT_KEY_MAX];
    unsigned levels;
};

/* Which changes need a post-implementation review before they may be closed (see
 * core/review.h). A change needs one when any of the three asks for it. */
struct gl_review_rule {
    unsigned levels;   /* risk levels, bit (1u << enum gl_risk_level) */
    unsigned outcomes; /* outcomes, bit (1u << enum gl_outcome); never GL_OUTCOME_NONE */
    bool emergency;    /* every emergency change */
};

/* When a re-scored change needs its approval again (see core/reapproval.h). */
struct gl_reapproval_rule {
    double score_delta;     /* a rise of the score by at least this much, 0 < x <= 100 */
    bool on_level_increase; /* any rise of the level */
};

struct gl_policy {
    int64_t version; /* 0 = built-in default, never stored */
    double weights[GL_FACTOR__COUNT];
    /* Lowest score of each level above low: moderate < high < critical, all in 1..100. */
    double threshold[GL_RISK__COUNT]; /* threshold[GL_RISK_LOW] is 0 */
    enum gl_approval_tier approval[GL_TYPE__COUNT][GL_RISK__COUNT];
    int cab_quorum; /* >= 1 */
    unsigned signoff_default_levels; /* levels needing client sign-off, bit (1u << level) */
    struct gl_policy_signoff signoff[GL_POLICY_MAX_CLIENTS];
    size_t nsignoff;
    int emergency_review_hours;        /* documented and reviewed within this after approval */
    double template_failure_threshold; /* failure rate (with the prior) that revokes a template */
    int template_min_changes;          /* changes from a template before revocation can apply */
    double prior_failures;             /* Beta prior of the failure rate: (f + a) / (n + a + b) */
    double prior_successes;
    struct gl_review_rule review_before_close;
    struct gl_reapproval_rule reapproval;
};

/* The built-in policy in force until an admin stores one. */
void gl_policy_default(struct gl_policy *p);

/* Checks ranges and ordering; GL_E_INVALID with err->field naming the offending member
 * ("weights.conflicts", "thresholds.high", "approval.emergency.low", "cab_quorum",
 * "review_before_close.outcomes"). */
int gl_policy_validate(const struct gl_policy *p, struct gl_error *err);

/* The levels (bit (1u << level)) at which the policy itself asks client_key's sign-off:
 * its entry in client_signoff.clients when it has one (*listed set), else
 * client_signoff.default, which applies to clients whose record requires sign-off. The
 * client's own requires_signoff adds to these (gl_approval_route decides the route). */
unsigned gl_policy_signoff_levels(const struct gl_policy *p, const char *client_key,
                                  bool *listed);

/* Wire names: "low".."critical", "ci_criticality".., "preapproved", "self_or_peer",
 * "change_manager", "cab", "emergency". Parse returns 0 or -1. */
const char *gl_risk_level_name(enum gl_risk_level l);
int gl_risk_level_parse(const char *s, enum gl_risk_level *out);
const char *gl_risk_factor_name(enum gl_risk_factor f);
int gl_risk_factor_parse(const char *s, enum gl_risk_factor *out);
const char *gl_approval_tier_name(enum gl_approval_tier t);
int gl_approval_tier_parse(const char *s, enum gl_approval_tier *out);

#endif
