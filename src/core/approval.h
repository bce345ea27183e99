/*
 * approval.h - approval routing: who must approve a change, and whether the votes given so
 * far are enough.
 *
 * Pure: the route is a function of (change type, risk level, policy, whether the client
 * must sign off, the standing of the change's template); the evaluation is a function of
 * the route and the votes of the current round. Callers (HTTP, CLI, jobs) gather those
 * and persist the outcome; nothing here does I/O or reads the clock.
 *
 * A route is at most two stages run in order of the list: the tier's stage (self_or_peer,
 * change_manager, cab with its quorum, emergency) and, where required, the client's
 * sign-off. A preapproved route has no stage. A rejection by anyone entitled to vote on
 * any stage ends the round. Every stage carries the rule that put it there (a policy member
 * or the client's flag) and a sentence saying so; the route also says why the client does
 * or does not sign off, so "why is (no) client approval needed?" has an answer.
 *
 * Separation of duties (who may vote as what):
 *  - "self" exists only at the self_or_peer tier: the implementer of a low-risk change who
 *    also raised it (someone doing their own routine work) may approve it themselves when
 *    they hold a role that may submit changes on its client (requester, implementer,
 *    change_manager) or are an administrator; any other party to the change (its
 *    creator, a requester who does not implement it) is refused as at every tier;
 *  - "peer" at that tier is anyone else holding the change.approve permission;
 *  - at every other tier the existing rule of core/authz.c holds: nobody approves or
 *    rejects a change they raised, created or implement, administrators included;
 *  - change_manager stage: the change_manager role on the change's client (or admin);
 *    cab stage: the cab_member role (or admin); emergency stage: the
 *    change.approve_emergency permission (emergency_approver, change_manager, admin);
 *  - client stage: a client_approver grant on exactly the change's client. A grant on all
 *    clients does not count and an administrator does not sign off for a client: the
 *    sign-off is the client's own.
 * One person votes at most once per round, and their vote counts for one stage.
 */
#ifndef GL_APPROVAL_H
#define GL_APPROVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/change.h"
#include "core/cmdb.h"
#include "core/error.h"
#include "core/policy.h"
#include "core/user.h"

/* What a vote was given as. */
enum gl_approval_stage {
    GL_STAGE_SELF_OR_PEER,
    GL_STAGE_CHANGE_MANAGER,
    GL_STAGE_CAB,
    GL_STAGE_EMERGENCY,
    GL_STAGE_CLIENT, /* the client's sign-off */
    GL_STAGE__COUNT
};

/* The standing of the template a change was created from. */
enum gl_template_standing {
    GL_TEMPLATE_NONE,            /* no template */
    GL_TEMPLATE_GOOD,            /* pre-approved and not revoked */
    GL_TEMPLATE_NOT_PREAPPROVED, /* never pre-approved, or revoked after failures */
};

#define GL_ROUTE_STAGES_MAX 2
#define GL_ROUTE_RULE_MAX 64
#define GL_ROUTE_REASON_MAX 200

struct gl_route_stage {
    enum gl_approval_stage stage;
    int quorum; /* approvals needed, >= 1 */
    /* What put the stage there: "approval.normal.high", "client.requires_signoff",
     * "client_signoff.default", "client_signoff.clients.acme". */
    char rule[GL_ROUTE_RULE_MAX];
    char reason[GL_ROUTE_REASON_MAX]; /* one sentence naming the rule */
};

struct gl_approval_route {
    enum gl_change_type type;
    enum gl_risk_level level;
    enum gl_approval_tier tier;
    bool routed_as_normal; /* a standard change whose template is not in good standing */
    struct gl_route_stage stages[GL_ROUTE_STAGES_MAX];
    int nstages; /* 0 = preapproved */
    /* Whether the client signs off, the rule that decided it ("" when no rule asks it) and
     * why, also when it does not. */
    bool signoff;
    char signoff_rule[GL_ROUTE_RULE_MAX];
    char signoff_reason[GL_ROUTE_REASON_MAX];
};

/*
 * The route of a change of `client` (NULL: no client record, so no sign-off). Standard
 * changes under a template in good standing take the policy's standard tier (pre-approved
 * by default); without one they are routed as normal (routed_as_normal).
 *
 * Client sign-off: the client's flag and the policy agree. A client whose record has
 * requires_signoff signs off every route whose tier asks more than self or peer (a change
 * manager or the CAB), whatever the policy lists for it: a client that requires sign-off
 * expects to be asked wherever a manager would be, and the low-risk self-or-peer path stays
 * fast. The policy adds levels on top: a client listed in client_signoff.clients signs off
 * at its levels (flag or not), any other client that requires sign-off also at
 * client_signoff.default's. Preapproved and emergency routes never get a client stage: the
 * client's template was approved once, and an emergency is expedited by design.
 */
void gl_approval_route(enum gl_change_type type, enum gl_risk_level level,
                       const struct gl_policy *p, const struct gl_client *client,
                       enum gl_template_standing standing, struct gl_approval_route *out);

enum gl_vote_decision { GL_VOTE_APPROVE, GL_VOTE_REJECT };

#define GL_VOTER_MAX 65

/* One vote. comment is owned (malloc'd) by the vote; release with gl_approval_votes_release. */
struct gl_approval_vote {
    int64_t id;
    int64_t change_id;
    int round;
    char user[GL_VOTER_MAX];
    enum gl_approval_stage stage;
    enum gl_vote_decision decision;
    char *comment;
    int64_t assessed_at; /* the risk assessment the vote was given under; GL_TIME_UNSET = none */
    int64_t at;
};

struct gl_approval_votes {
    struct gl_approval_vote *items;
    size_t len;
};

void gl_approval_votes_release(struct gl_approval_votes *v);

struct gl_approval_status {
    int round;
    int have[GL_STAGE__COUNT]; /* approvals of this round per stage */
    int need[GL_STAGE__COUNT]; /* quorum per stage of the route; 0 = not in the route */
    bool satisfied;            /* every stage has its quorum and nobody rejected */
    const struct gl_approval_vote *rejection; /* the first rejection of the round (borrowed) */
};

/* Counts the votes of `round` (others are ignored) against the route. */
void gl_approval_evaluate(const struct gl_approval_route *r, const struct gl_approval_vote *votes,
                          size_t n, int round, struct gl_approval_status *out);
/* Approvals still missing at a stage (0 when complete or not in the route). */
int gl_approval_missing(const struct gl_approval_status *s, enum gl_approval_stage stage);

/*
 * Decides what u may vote as on change c (route r, status s over the round's votes).
 * On success *stage is the stage the vote counts for: the first stage of the route that
 * still misses approvals and that u qualifies for (for a rejection, any stage of the route
 * u qualifies for). Refusals: GL_E_FORBIDDEN (u qualifies for no stage of the route; a
 * party to c is always told "separation of duties", never which role they lack),
 * GL_E_DUPLICATE (u already voted in
 * this round), GL_E_PRECONDITION (u may only vote on a stage that is already complete),
 * GL_E_TRANSITION (a preapproved route has nothing to vote on).
 */
int gl_approval_authorize(const struct gl_user *u, const struct gl_change *c,
                          const struct gl_approval_route *r, const struct gl_approval_status *s,
                          const struct gl_approval_vote *votes, size_t n,
                          enum gl_vote_decision decision, enum gl_approval_stage *stage,
                          struct gl_error *err);

/*
 * Separation of duties, checked before the state or the route: a party to c (who raised,
 * created or implements it) is refused with the separation-of-duties reason (GL_E_FORBIDDEN)
 * unless they may be "self" (the implementer who also raised it), which only the route can
 * settle (gl_approval_authorize). Returns 0 for anyone else. Admins are bound too.
 */
int gl_approval_check_duties(const struct gl_user *u, const struct gl_change *c,
                             enum gl_vote_decision decision, struct gl_error *err);

/* Whether u could vote as `stage` on c at all (roles and separation of duties only). */
bool gl_approval_qualifies(const struct gl_user *u, const struct gl_change *c,
                           enum gl_approval_stage stage);

/*
 * Re-approval after an edit: a change in approved or scheduled state whose implementer
 * changed needs its approvals again. Returns the reason ("the implementer changed") or
 * NULL when none is needed.
 */
const char *gl_approval_edit_needs_reapproval(const struct gl_change *before,
                                              const struct gl_change *after);
/* Whether a change in this state holds an approval that a risk change may invalidate
 * (whether a given re-score does is core/reapproval.h's gl_reapproval_decide). */
bool gl_approval_holds(const struct gl_change *c);
/* Moves c back to assessed with state_reason "re-approval needed: <why>". 0 or
 * GL_E_INTERNAL (no memory). */
int gl_approval_reopen(struct gl_change *c, const char *why, struct gl_error *err);

/*
 * Emergency review deadline: an emergency change approved at approved_at must be reviewed
 * (post-implementation review) within `hours`. Overdue when now is past the deadline and
 * the change is neither reviewed, closed nor cancelled. approved_at GL_TIME_UNSET: never
 * approved, never overdue.
 */
int64_t gl_approval_review_due(int64_t approved_at, int hours);
bool gl_approval_review_overdue(const struct gl_change *c, int64_t approved_at, int hours,
                                int64_t now);

/*
 * Misuse signal: a requester or client whose share of emergency changes is above
 * GL_EMERGENCY_RATIO_FLAG among at least GL_EMERGENCY_MIN_CHANGES changes is flagged.
 */
#define GL_EMERGENCY_RATIO_FLAG 0.25
#define GL_EMERGENCY_MIN_CHANGES 4
bool gl_emergency_flagged(int64_t total, int64_t emergency);

/* Wire names: "self_or_peer", "change_manager", "cab", "emergency", "client";
 * "approve", "reject". Parse returns 0 or -1. */
const char *gl_approval_stage_name(enum gl_approval_stage s);
int gl_approval_stage_parse(const char *s, enum gl_approval_stage *out);
const char *gl_vote_decision_name(enum gl_vote_decision d);
int gl_vote_decision_parse(const char *s, enum gl_vote_decision *out);

#endif
