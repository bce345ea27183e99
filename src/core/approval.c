/*
 * approval.c - approval routing, vote evaluation and who may vote as what (see approval.h).
 *
 * Invariants: a route's stages are distinct and each has a quorum >= 1; only votes of the
 * round being evaluated count, and one user's approvals count once per stage; a vote is
 * authorised against the same qualification table the status reports on, so "what is
 * missing" and "who may give it" cannot disagree.
 */
#include "core/approval.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/authz.h"

#include "util/banned.h"

static const char *const stage_names[GL_STAGE__COUNT] = {
    [GL_STAGE_SELF_OR_PEER] = "self_or_peer", [GL_STAGE_CHANGE_MANAGER] = "change_manager",
    [GL_STAGE_CAB] = "cab",                   [GL_STAGE_EMERGENCY] = "emergency",
    [GL_STAGE_CLIENT] = "client",
};

/* What a stage needs, as the refusal says it. */
static const char *const stage_needs[GL_STAGE__COUNT] = {
    /* NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one sentence over two lines */
    [GL_STAGE_SELF_OR_PEER] = "the change.approve permission (change_manager or cab_member), "
                              "or implementing a change one raised oneself",
    [GL_STAGE_CHANGE_MANAGER] = "the change_manager role on this client",
    [GL_STAGE_CAB] = "the cab_member role on this client",
    [GL_STAGE_EMERGENCY] = "the emergency_approver or change_manager role on this client",
    [GL_STAGE_CLIENT] = "a client_approver grant on this client",
};

const char *gl_approval_stage_name(enum gl_approval_stage s)
{
    return (unsigned)s < GL_STAGE__COUNT ? stage_names[s] : "unknown";
}

int gl_approval_stage_parse(const char *s, enum gl_approval_stage *out)
{
    for (int i = 0; s && i < GL_STAGE__COUNT; i++)
        if (strcmp(stage_names[i], s) == 0) {
            *out = (enum gl_approval_stage)i;
            return 0;
        }
    return -1;
}

const char *gl_vote_decision_name(enum gl_vote_decision d)
{
    return d == GL_VOTE_APPROVE ? "approve" : d == GL_VOTE_REJECT ? "reject" : "unknown";
}

int gl_vote_decision_parse(const char *s, enum gl_vote_decision *out)
{
    if (s && strcmp(s, "approve") == 0)
        *out = GL_VOTE_APPROVE;
    else if (s && strcmp(s, "reject") == 0)
        *out = GL_VOTE_REJECT;
    else
        return -1;
    return 0;
}

void gl_approval_votes_release(struct gl_approval_votes *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->len; i++)
        free(v->items[i].comment);
    free(v->items);
    v->items = NULL;
    v->len = 0;
}

/* ---- routing ----------------------------------------------------------------------- */

/* Display text into a fixed field, cut at its size: a reason longer than the field is
 * still a readable sentence start, and a route never fails for it. */
static void say(char *dst, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, size, fmt, ap);
    va_end(ap);
}

static void add_stage(struct gl_approval_route *r, enum gl_approval_stage s, int quorum,
                      const char *rule, const char *reason)
{
    struct gl_route_stage *st = &r->stages[r->nstages++];
    st->stage = s;
    st->quorum = quorum < 1 ? 1 : quorum;
    say(st->rule, sizeof st->rule, "%s", rule);
    say(st->reason, sizeof st->reason, "%s", reason);
}

static const char *type_article(enum gl_change_type t)
{
    return t == GL_TYPE_EMERGENCY ? "an" : "a";
}

/* The tier's stage, with "policy: a normal change at level high needs 2 CAB members
 * (approval.normal.high, cab_quorum)". `as` is the type the route was taken for. */
static void add_tier_stage(struct gl_approval_route *r, const struct gl_policy *p,
                           enum gl_change_type as, bool preapproved_fallback)
{
    static const enum gl_approval_stage stage_of[GL_TIER__COUNT] = {
        [GL_TIER_SELF_OR_PEER] = GL_STAGE_SELF_OR_PEER,
        [GL_TIER_CHANGE_MANAGER] = GL_STAGE_CHANGE_MANAGER,
        [GL_TIER_CAB] = GL_STAGE_CAB,
        [GL_TIER_EMERGENCY] = GL_STAGE_EMERGENCY,
    };
    char rule[GL_ROUTE_RULE_MAX], needs[64], reason[GL_ROUTE_REASON_MAX];
    const char *type = gl_change_type_name(as), *level = gl_risk_level_name(r->level);
    int quorum = r->tier == GL_TIER_CAB ? p->cab_quorum : 1;
    say(rule, sizeof rule, "approval.%s.%s", type, level);
    switch (r->tier) {
    case GL_TIER_SELF_OR_PEER:
        say(needs, sizeof needs, "is approved by its implementer who raised it, or a peer");
        break;
    case GL_TIER_CAB:
        say(needs, sizeof needs, "needs %d CAB member%s", quorum, quorum == 1 ? "" : "s");
        break;
    case GL_TIER_EMERGENCY:
        say(needs, sizeof needs, "needs one emergency approver");
        break;
    default:
        say(needs, sizeof needs, "needs a change manager");
        break;
    }
    if (preapproved_fallback)
        say(reason, sizeof reason,
                 "policy: %s says preapproved, which only a template gives, so it %s (%s)", rule,
                 needs, rule);
    else if (r->routed_as_normal)
        say(reason, sizeof reason,
                 "policy: its template is not in good standing, so as a normal change at level "
                 "%s it %s (%s%s)",
                 level, needs, rule, r->tier == GL_TIER_CAB ? ", cab_quorum" : "");
    else
        say(reason, sizeof reason, "policy: %s %s change at level %s %s (%s%s)",
                 type_article(as), type, level, needs, rule,
                 r->tier == GL_TIER_CAB ? ", cab_quorum" : "");
    add_stage(r, stage_of[r->tier], quorum, rule, reason);
}

static void no_signoff(struct gl_approval_route *r, const char *reason)
{
    r->signoff = false;
    r->signoff_rule[0] = '\0';
    say(r->signoff_reason, sizeof r->signoff_reason, "%s", reason);
}

/* Whether the client signs off, by the rule documented in approval.h, and why (not). */
static void decide_signoff(struct gl_approval_route *r, const struct gl_policy *p,
                           const struct gl_client *cl)
{
    char rule[GL_ROUTE_RULE_MAX], reason[GL_ROUTE_REASON_MAX], listing[GL_ROUTE_RULE_MAX];
    const char *level = gl_risk_level_name(r->level);
    const char *none = r->tier == GL_TIER_PREAPPROVED
                           ? "no client stage: the change is pre-approved by its template"
                       : r->tier == GL_TIER_EMERGENCY
                           ? "no client stage on an emergency route: the emergency process is "
                             "expedited by design"
                       : !cl ? "no client stage: no client record to ask"
                             : NULL;
    if (none) {
        no_signoff(r, none);
        return;
    }
    bool listed;
    unsigned levels = gl_policy_signoff_levels(p, cl->key, &listed);
    bool at_level = (levels & (1u << r->level)) != 0;
    bool managed = r->tier == GL_TIER_CHANGE_MANAGER || r->tier == GL_TIER_CAB;
    if (listed)
        say(listing, sizeof listing, "client_signoff.clients.%s", cl->key);
    else
        say(listing, sizeof listing, "client_signoff.default");
    if (cl->requires_signoff && managed) {
        say(rule, sizeof rule, "client.requires_signoff");
        say(reason, sizeof reason,
                 "client requires sign-off (client.requires_signoff): asked on every change "
                 "that needs more than self or peer approval");
    } else if (at_level && (listed || cl->requires_signoff)) {
        say(rule, sizeof rule, "%s", listing);
        if (listed)
            say(reason, sizeof reason, "policy: client stage at level %s for %s (%s)", level,
                     cl->key, listing);
        else
            say(reason, sizeof reason,
                     "policy: client stage at level %s for a client that requires sign-off (%s)",
                     level, listing);
    } else {
        if (cl->requires_signoff)
            say(reason, sizeof reason,
                     "no client stage: a client that requires sign-off (client.requires_signoff) "
                     "is asked where more than self or peer approval is needed, and %s does not "
                     "list level %s",
                     listing, level);
        else if (listed)
            say(reason, sizeof reason,
                     "no client stage: %s does not list level %s and the client does not "
                     "require sign-off (client.requires_signoff)",
                     listing, level);
        else
            say(reason, sizeof reason,
                     "no client stage: the client does not require sign-off "
                     "(client.requires_signoff) and client_signoff.clients does not list it");
        no_signoff(r, reason);
        return;
    }
    r->signoff = true;
    say(r->signoff_rule, sizeof r->signoff_rule, "%s", rule);
    say(r->signoff_reason, sizeof r->signoff_reason, "%s", reason);
    add_stage(r, GL_STAGE_CLIENT, 1, rule, reason);
}

void gl_approval_route(enum gl_change_type type, enum gl_risk_level level,
                       const struct gl_policy *p, const struct gl_client *client,
                       enum gl_template_standing standing, struct gl_approval_route *out)
{
    memset(out, 0, sizeof *out);
    out->type = type;
    out->level = (unsigned)level < GL_RISK__COUNT ? level : GL_RISK_CRITICAL;
    enum gl_change_type as = type;
    if (type == GL_TYPE_STANDARD && standing != GL_TEMPLATE_GOOD) {
        as = GL_TYPE_NORMAL;
        out->routed_as_normal = true;
    }
    if ((unsigned)as >= GL_TYPE__COUNT)
        as = GL_TYPE_NORMAL;
    out->tier = p->approval[as][out->level];
    /* Pre-approval is a template's to give: a policy that maps a normal or emergency
     * level to it still needs a change manager. */
    bool fallback = out->tier == GL_TIER_PREAPPROVED && as != GL_TYPE_STANDARD;
    if (fallback || (unsigned)out->tier >= GL_TIER__COUNT)
        out->tier = GL_TIER_CHANGE_MANAGER;
    if (out->tier != GL_TIER_PREAPPROVED)
        add_tier_stage(out, p, as, fallback);
    decide_signoff(out, p, client);
}

/* ---- evaluation -------------------------------------------------------------------- */

/* Whether an earlier vote of the round (before index i) by the same user approved at the
 * same stage: such a duplicate does not count twice. */
static bool counted_before(const struct gl_approval_vote *v, size_t i, int round)
{
    for (size_t j = 0; j < i; j++)
        if (v[j].round == round && v[j].decision == GL_VOTE_APPROVE &&
            v[j].stage == v[i].stage && strcmp(v[j].user, v[i].user) == 0)
            return true;
    return false;
}

void gl_approval_evaluate(const struct gl_approval_route *r, const struct gl_approval_vote *votes,
                          size_t n, int round, struct gl_approval_status *out)
{
    memset(out, 0, sizeof *out);
    out->round = round;
    for (int i = 0; i < r->nstages; i++)
        out->need[r->stages[i].stage] = r->stages[i].quorum;
    for (size_t i = 0; i < n; i++) {
        const struct gl_approval_vote *v = &votes[i];
        if (v->round != round || (unsigned)v->stage >= GL_STAGE__COUNT)
            continue;
        if (v->decision == GL_VOTE_REJECT) {
            if (!out->rejection && out->need[v->stage])
                out->rejection = v;
            continue;
        }
        if (out->need[v->stage] && !counted_before(votes, i, round))
            out->have[v->stage]++;
    }
    out->satisfied = !out->rejection;
    for (int s = 0; s < GL_STAGE__COUNT; s++)
        if (out->have[s] < out->need[s])
            out->satisfied = false;
}

int gl_approval_missing(const struct gl_approval_status *s, enum gl_approval_stage stage)
{
    if ((unsigned)stage >= GL_STAGE__COUNT || s->have[stage] >= s->need[stage])
        return 0;
    return s->need[stage] - s->have[stage];
}

/* ---- who may vote as what ------------------------------------------------------------ */

static bool same_name(const char *a, const char *b)
{
    return a && b && *a && strcmp(a, b) == 0;
}

/* "raised", "created", "implements" or NULL: u's part in c, if any. */
static const char *party(const struct gl_user *u, const struct gl_change *c)
{
    return same_name(u->name, c->raised_by)     ? "raised"
           : same_name(u->name, c->created_by)  ? "created"
           : same_name(u->name, c->implementer) ? "implements"
                                                : NULL;
}

static bool allowed(const struct gl_user *u, enum gl_perm p, int64_t client_id)
{
    return gl_authz_check(u, p, client_id, NULL) == 0;
}

static bool role_or_admin(const struct gl_user *u, enum gl_role r, int64_t client_id)
{
    return u->admin || gl_authz_has_role(u, r, client_id);
}

/* The client's own approver: a grant on exactly this client. */
static bool client_approver(const struct gl_user *u, int64_t client_id)
{
    for (size_t i = 0; i < u->ngrants; i++)
        if (u->grants[i].role == GL_ROLE_CLIENT_APPROVER && client_id > 0 &&
            u->grants[i].client_id == client_id)
            return true;
    return false;
}

/* "Self" at the self_or_peer tier: the person doing their own low-risk work, i.e. the
 * change's implementer who also raised it. */
static bool is_self(const struct gl_user *u, const struct gl_change *c)
{
    return same_name(u->name, c->implementer) && same_name(u->name, c->raised_by);
}

/* Roles and permissions only, ignoring separation of duties. */
static bool entitled(const struct gl_user *u, const struct gl_change *c,
                     enum gl_approval_stage stage)
{
    int64_t k = c->client_id;
    switch (stage) {
    case GL_STAGE_SELF_OR_PEER:
        if (party(u, c))
            return is_self(u, c) && allowed(u, GL_PERM_CHANGE_SUBMIT, k);
        return allowed(u, GL_PERM_CHANGE_APPROVE, k);
    case GL_STAGE_CHANGE_MANAGER:
        return role_or_admin(u, GL_ROLE_CHANGE_MANAGER, k);
    case GL_STAGE_CAB:
        return role_or_admin(u, GL_ROLE_CAB_MEMBER, k);
    case GL_STAGE_EMERGENCY:
        return allowed(u, GL_PERM_CHANGE_APPROVE_EMERGENCY, k);
    case GL_STAGE_CLIENT:
        return client_approver(u, k);
    default:
        return false;
    }
}

bool gl_approval_qualifies(const struct gl_user *u, const struct gl_change *c,
                           enum gl_approval_stage stage)
{
    if (!u || !u->name || !entitled(u, c, stage))
        return false;
    /* Only the self_or_peer tier lets a party to the change decide on it. */
    return stage == GL_STAGE_SELF_OR_PEER || !party(u, c);
}

/* "requester, implementer" on c's client, or "no role" */
static void held_roles(const struct gl_user *u, int64_t client_id, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (int r = 0; r < GL_ROLE__COUNT; r++) {
        if (!gl_authz_has_role(u, (enum gl_role)r, client_id))
            continue;
        const char *name = gl_role_name((enum gl_role)r);
        size_t n = strlen(name);
        if (len + n + 3 >= size)
            break;
        if (len) {
            memcpy(out + len, ", ", 2);
            len += 2;
        }
        memcpy(out + len, name, n + 1);
        len += n;
    }
    if (!len && size > 8)
        memcpy(out, u->admin ? "admin" : "no role", u->admin ? 6 : 8);
}

static int refuse_party(const struct gl_user *u, const struct gl_change *c, const char *part,
                        enum gl_vote_decision d, struct gl_error *err)
{
    return gl_error_set(err, GL_E_FORBIDDEN, NULL,
                        "separation of duties: %s %s this change and may not %s it", u->name,
                        part, d == GL_VOTE_REJECT ? "reject" : "approve");
}

int gl_approval_check_duties(const struct gl_user *u, const struct gl_change *c,
                             enum gl_vote_decision decision, struct gl_error *err)
{
    const char *part = u && u->name ? party(u, c) : NULL;
    if (!part || is_self(u, c))
        return 0;
    return refuse_party(u, c, part, decision, err);
}

static int refuse_voter(const struct gl_user *u, const struct gl_change *c,
                        const struct gl_approval_route *r, enum gl_vote_decision d,
                        struct gl_error *err)
{
    const char *verb = d == GL_VOTE_REJECT ? "reject" : "approve";
    const char *part = party(u, c);
    /* A party is refused for who they are, even when they also lack the stage's role: a
     * requester told "you need the change_manager role" would read it as a way round. */
    if (part)
        return refuse_party(u, c, part, d, err);
    char roles[120];
    held_roles(u, c->client_id, roles, sizeof roles);
    return gl_error_set(err, GL_E_FORBIDDEN, NULL,
                        "%s (%s) may not %s this change: its %s stage needs %s",
                        u->name ? u->name : "this user", roles, verb,
                        gl_approval_stage_name(r->stages[0].stage),
                        stage_needs[r->stages[0].stage]);
}

int gl_approval_authorize(const struct gl_user *u, const struct gl_change *c,
                          const struct gl_approval_route *r, const struct gl_approval_status *s,
                          const struct gl_approval_vote *votes, size_t n,
                          enum gl_vote_decision decision, enum gl_approval_stage *stage,
                          struct gl_error *err)
{
    if (r->nstages == 0)
        return gl_error_set(err, GL_E_TRANSITION, NULL,
                            "this change is pre-approved by its template: there is nothing to "
                            "approve or reject");
    int complete = -1;
    for (int i = 0; i < r->nstages; i++) {
        enum gl_approval_stage st = r->stages[i].stage;
        if (!gl_approval_qualifies(u, c, st))
            continue;
        if (decision == GL_VOTE_REJECT || gl_approval_missing(s, st) > 0) {
            *stage = st;
            goto found;
        }
        if (complete < 0)
            complete = st;
    }
    if (complete >= 0)
        return gl_error_set(err, GL_E_PRECONDITION, NULL,
                            "the %s stage already has its %d approval(s); what is missing needs "
                            "someone else",
                            gl_approval_stage_name((enum gl_approval_stage)complete),
                            s->need[complete]);
    return refuse_voter(u, c, r, decision, err);
found:
    for (size_t i = 0; i < n; i++)
        if (votes[i].round == s->round && strcmp(votes[i].user, u->name) == 0)
            return gl_error_set(err, GL_E_DUPLICATE, NULL,
                                "%s already voted (%s) in this approval round", u->name,
                                gl_vote_decision_name(votes[i].decision));
    return 0;
}

/* ---- re-approval and deadlines ------------------------------------------------------- */

bool gl_approval_holds(const struct gl_change *c)
{
    return c->state == GL_STATE_APPROVED || c->state == GL_STATE_SCHEDULED;
}

const char *gl_approval_edit_needs_reapproval(const struct gl_change *before,
                                              const struct gl_change *after)
{
    if (!gl_approval_holds(before) || before->type == GL_TYPE_STANDARD)
        return NULL;
    const char *a = before->implementer ? before->implementer : "";
    const char *b = after->implementer ? after->implementer : "";
    return strcmp(a, b) != 0 ? "the implementer changed" : NULL;
}

int gl_approval_reopen(struct gl_change *c, const char *why, struct gl_error *err)
{
    static const char prefix[] = "re-approval needed: ";
    size_t n = sizeof prefix + strlen(why);
    char *reason = malloc(n);
    if (!reason)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    memcpy(reason, prefix, sizeof prefix - 1);
    memcpy(reason + sizeof prefix - 1, why, strlen(why) + 1);
    free(c->state_reason);
    c->state_reason = reason;
    c->state = GL_STATE_ASSESSED;
    return 0;
}

int64_t gl_approval_review_due(int64_t approved_at, int hours)
{
    if (approved_at == GL_TIME_UNSET)
        return GL_TIME_UNSET;
    return approved_at + (int64_t)(hours < 0 ? 0 : hours) * 3600;
}

bool gl_approval_review_overdue(const struct gl_change *c, int64_t approved_at, int hours,
                                int64_t now)
{
    if (c->type != GL_TYPE_EMERGENCY || approved_at == GL_TIME_UNSET)
        return false;
    switch (c->state) {
    case GL_STATE_APPROVED:
    case GL_STATE_SCHEDULED:
    case GL_STATE_IN_PROGRESS:
    case GL_STATE_COMPLETED:
    case GL_STATE_FAILED:
    case GL_STATE_ROLLED_BACK:
        return now > gl_approval_review_due(approved_at, hours);
    default:
        return false;
    }
}

bool gl_emergency_flagged(int64_t total, int64_t emergency)
{
    if (total < GL_EMERGENCY_MIN_CHANGES || emergency <= 0)
        return false;
    return (double)emergency / (double)total > GL_EMERGENCY_RATIO_FLAG;
}
