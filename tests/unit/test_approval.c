/*
 * test_approval.c - unit tests of approval routing (src/core/approval.c): the route of
 * every type x risk level x client sign-off x template standing under the default policy,
 * vote evaluation (quorum, rounds, duplicates, rejection), who may vote as what
 * (self/peer, separation of duties, the client's own approver), re-approval, the emergency
 * review deadline and the misuse flag.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/approval.h"

#include "util/banned.h"

/* ---- routing: the whole matrix, written out independently ------------------------------ */

static char key_acme[] = "acme";

/* A client record that requires sign-off (or not), not listed in the policy. */
static struct gl_client client_rec(bool requires_signoff)
{
    struct gl_client c = {.id = 7, .key = key_acme, .requires_signoff = requires_signoff};
    return c;
}

static const struct gl_client signing = {.id = 7, .key = key_acme, .requires_signoff = true};

struct expect {
    enum gl_approval_tier tier;
    enum gl_approval_stage first;
    int quorum;
};

/* Normal changes under the default policy, by level. */
static const struct expect normal_route[GL_RISK__COUNT] = {
    [GL_RISK_LOW] = {GL_TIER_SELF_OR_PEER, GL_STAGE_SELF_OR_PEER, 1},
    [GL_RISK_MODERATE] = {GL_TIER_CHANGE_MANAGER, GL_STAGE_CHANGE_MANAGER, 1},
    [GL_RISK_HIGH] = {GL_TIER_CAB, GL_STAGE_CAB, 2},
    [GL_RISK_CRITICAL] = {GL_TIER_CAB, GL_STAGE_CAB, 2},
};

static void check_route(enum gl_change_type type, enum gl_risk_level level, bool signoff,
                        enum gl_template_standing standing)
{
    struct gl_policy p;
    gl_policy_default(&p);
    struct gl_approval_route r;
    struct gl_client cl = client_rec(signoff);
    gl_approval_route(type, level, &p, &cl, standing, &r);
    char what[120];
    snprintf(what, sizeof what, "%s/%s/signoff=%d/standing=%d", gl_change_type_name(type),
             gl_risk_level_name(level), signoff, (int)standing);
    assert_int_equal(r.level, level);
    if (type == GL_TYPE_STANDARD && standing == GL_TEMPLATE_GOOD) {
        if (r.tier != GL_TIER_PREAPPROVED || r.nstages != 0 || r.routed_as_normal)
            fail_msg("%s: expected preapproved with no stage", what);
        return;
    }
    if (type == GL_TYPE_EMERGENCY) {
        /* One emergency approver; the client's sign-off never delays an emergency. */
        if (r.tier != GL_TIER_EMERGENCY || r.nstages != 1 ||
            r.stages[0].stage != GL_STAGE_EMERGENCY || r.stages[0].quorum != 1)
            fail_msg("%s: expected one emergency approver", what);
        return;
    }
    const struct expect *e = &normal_route[level];
    if (r.tier != e->tier || r.stages[0].stage != e->first || r.stages[0].quorum != e->quorum)
        fail_msg("%s: got tier %s stage %s quorum %d", what, gl_approval_tier_name(r.tier),
                 gl_approval_stage_name(r.stages[0].stage), r.stages[0].quorum);
    /* A client that requires sign-off is asked wherever more than self or peer is. */
    bool client_stage = signoff && level != GL_RISK_LOW;
    if (r.nstages != (client_stage ? 2 : 1) || r.signoff != client_stage)
        fail_msg("%s: %d stages, signoff %d", what, r.nstages, r.signoff);
    if (client_stage && (r.stages[1].stage != GL_STAGE_CLIENT || r.stages[1].quorum != 1 ||
                         strcmp(r.stages[1].rule, "client.requires_signoff") != 0))
        fail_msg("%s: second stage should be the client's sign-off, by its flag", what);
    if (r.routed_as_normal != (type == GL_TYPE_STANDARD))
        fail_msg("%s: routed_as_normal %d", what, r.routed_as_normal);
}

static void test_route_every_combination(void **state)
{
    int n = 0;
    for (int t = 0; t < GL_TYPE__COUNT; t++)
        for (int l = 0; l < GL_RISK__COUNT; l++)
            for (int s = 0; s < 2; s++)
                for (int st = GL_TEMPLATE_NONE; st <= GL_TEMPLATE_NOT_PREAPPROVED; st++, n++)
                    check_route((enum gl_change_type)t, (enum gl_risk_level)l, s != 0,
                                (enum gl_template_standing)st);
    assert_int_equal(n, 3 * 4 * 2 * 3);
}

static void test_route_follows_policy(void **state)
{
    struct gl_policy p;
    gl_policy_default(&p);
    p.cab_quorum = 4;
    p.approval[GL_TYPE_NORMAL][GL_RISK_LOW] = GL_TIER_CAB;
    p.approval[GL_TYPE_STANDARD][GL_RISK_CRITICAL] = GL_TIER_CHANGE_MANAGER;
    struct gl_approval_route r;
    gl_approval_route(GL_TYPE_NORMAL, GL_RISK_LOW, &p, NULL, GL_TEMPLATE_NONE, &r);
    assert_int_equal(r.tier, GL_TIER_CAB);
    assert_int_equal(r.stages[0].quorum, 4);
    /* A policy may ask more of a critical standard change than its template. */
    gl_approval_route(GL_TYPE_STANDARD, GL_RISK_CRITICAL, &p, &signing, GL_TEMPLATE_GOOD, &r);
    assert_int_equal(r.tier, GL_TIER_CHANGE_MANAGER);
    assert_int_equal(r.nstages, 2);
    /* Pre-approval is never given to a normal change, whatever the policy says. */
    p.approval[GL_TYPE_NORMAL][GL_RISK_MODERATE] = GL_TIER_PREAPPROVED;
    gl_approval_route(GL_TYPE_NORMAL, GL_RISK_MODERATE, &p, NULL, GL_TEMPLATE_NONE, &r);
    assert_int_equal(r.tier, GL_TIER_CHANGE_MANAGER);
    assert_int_equal(r.nstages, 1);
}

/* Issue 10: the client's requires_signoff and the policy agree, and the route says which
 * rule put each stage there. */
static void test_signoff_rules(void **state)
{
    struct gl_policy p;
    gl_policy_default(&p);
    struct gl_approval_route r;
    struct gl_client flag = client_rec(true), plain = client_rec(false);
    /* The flag: a client stage wherever more than self or peer approves. */
    gl_approval_route(GL_TYPE_NORMAL, GL_RISK_MODERATE, &p, &flag, GL_TEMPLATE_NONE, &r);
    assert_int_equal(r.nstages, 2);
    assert_string_equal(r.stages[0].rule, "approval.normal.moderate");
    assert_string_equal(r.stages[0].reason, "policy: a normal change at level moderate needs a "
                                            "change manager (approval.normal.moderate)");
    assert_int_equal(r.stages[1].stage, GL_STAGE_CLIENT);
    assert_string_equal(r.stages[1].rule, "client.requires_signoff");
    assert_non_null(strstr(r.stages[1].reason, "client requires sign-off "
                                               "(client.requires_signoff)"));
    assert_true(r.signoff);
    assert_string_equal(r.signoff_rule, "client.requires_signoff");
    gl_approval_route(GL_TYPE_NORMAL, GL_RISK_HIGH, &p, &flag, GL_TEMPLATE_NONE, &r);
    assert_string_equal(r.stages[0].reason, "policy: a normal change at level high needs 2 CAB "
                                            "members (approval.normal.high, cab_quorum)");
    assert_string_equal(r.stages[1].rule, "client.requires_signoff");
    /* ...not on the self-or-peer path, and the route says why not. */
    gl_approval_route(GL_TYPE_NORMAL, GL_RISK_LOW, &p, &flag, GL_TEMPLATE_NONE, &r);
    assert_int_equal(r.nstages, 1);
    assert_false(r.signoff);
    assert_string_equal(r.signoff_rule, "");
    assert_non_null(strstr(r.signoff_reason, "more than self or peer"));
    assert_non_null(strstr(r.signoff_reason, "client_signoff.default does not list level low"));
    /* The flag follows the policy's tiers, not fixed levels. */
    p.approval[GL_TYPE_NORMAL][GL_RISK_MODERATE] = GL_TIER_SELF_OR_PEER;
    p.approval[GL_TYPE_NORMAL][GL_RISK_LOW] = GL_TIER_CAB;
    gl_approval_route(GL_TYPE_NORMAL, GL_RISK_MODERATE, &p, &flag, GL_TEMPLATE_NONE, &r);
    assert_int_equal(r.nstages, 1);
    gl_approval_route(GL_TYPE_NORMAL, GL_RISK_LOW, &p, &flag, GL_TEMPLATE_NONE, &r);
    assert_int_equal(r.nstages, 2);
    assert_string_equal(r.stages[1].rule, "client.requires_signoff");
    gl_policy_default(&p);
    /* client_signoff.default adds levels for a client that requires sign-off. */
    p.signoff_default_levels |= 1u << GL_RISK_LOW;
    gl_approval_route(GL_TYPE_NORMAL, GL_RISK_LOW, &p, &flag, GL_TEMPLATE_NONE, &r);
    assert_int_equal(r.nstages, 2);
    assert_string_equal(r.stages[1].rule, "client_signoff.default");
    assert_string_equal(r.stages[1].reason, "policy: client stage at level low for a client "
                                            "that requires sign-off (client_signoff.default)");
    gl_approval_route(GL_TYPE_NORMAL, GL_RISK_LOW, &p, &plain, GL_TEMPLATE_NONE, &r);
    assert_int_equal(r.nstages, 1); /* the default levels are for clients that require it */
    gl_policy_default(&p);
    /* A client listed in the policy signs off at its levels, flag or not... */
    p.nsignoff = 1;
    snprintf(p.signoff[0].client_key, sizeof p.signoff[0].client_key, "acme");
    p.signoff[0].levels = 1u << GL_RISK_LOW;
    gl_approval_route(GL_TYPE_NORMAL, GL_RISK_LOW, &p, &plain, GL_TEMPLATE_NONE, &r);
    assert_int_equal(r.nstages, 2);
    assert_string_equal(r.stages[1].rule, "client_signoff.clients.acme");
    assert_string_equal(r.stages[1].reason, "policy: client stage at level low for acme "
                                            "(client_signoff.clients.acme)");
    gl_approval_route(GL_TYPE_NORMAL, GL_RISK_HIGH, &p, &plain, GL_TEMPLATE_NONE, &r);
    assert_int_equal(r.nstages, 1);
    assert_non_null(strstr(r.signoff_reason, "client_signoff.clients.acme does not list level "
                                             "high"));
    /* ...but a listing cannot take away what the client's own record requires. */
    p.signoff[0].levels = 0;
    gl_approval_route(GL_TYPE_NORMAL, GL_RISK_CRITICAL, &p, &flag, GL_TEMPLATE_NONE, &r);
    assert_int_equal(r.nstages, 2);
    assert_string_equal(r.stages[1].rule, "client.requires_signoff");
    gl_policy_default(&p);
    /* Without the flag or a listing nobody signs off, and the reason says so. */
    gl_approval_route(GL_TYPE_NORMAL, GL_RISK_CRITICAL, &p, &plain, GL_TEMPLATE_NONE, &r);
    assert_int_equal(r.nstages, 1);
    assert_non_null(strstr(r.signoff_reason, "does not require sign-off"));
    gl_approval_route(GL_TYPE_NORMAL, GL_RISK_CRITICAL, &p, NULL, GL_TEMPLATE_NONE, &r);
    assert_int_equal(r.nstages, 1);
    assert_false(r.signoff);
    /* Emergency and pre-approved routes never wait for the client; a standard change out
     * of its template's standing is routed, and signed off, as a normal one. */
    gl_approval_route(GL_TYPE_EMERGENCY, GL_RISK_HIGH, &p, &flag, GL_TEMPLATE_NONE, &r);
    assert_int_equal(r.nstages, 1);
    assert_string_equal(r.stages[0].rule, "approval.emergency.high");
    assert_non_null(strstr(r.signoff_reason, "emergency"));
    gl_approval_route(GL_TYPE_STANDARD, GL_RISK_HIGH, &p, &flag, GL_TEMPLATE_GOOD, &r);
    assert_int_equal(r.nstages, 0);
    assert_non_null(strstr(r.signoff_reason, "pre-approved"));
    gl_approval_route(GL_TYPE_STANDARD, GL_RISK_MODERATE, &p, &flag, GL_TEMPLATE_NOT_PREAPPROVED,
                      &r);
    assert_int_equal(r.nstages, 2);
    assert_string_equal(r.stages[0].rule, "approval.normal.moderate");
    assert_non_null(strstr(r.stages[0].reason, "template is not in good standing"));
    assert_string_equal(r.stages[1].rule, "client.requires_signoff");
    /* A policy mapping a normal level to preapproved still gets a change manager, and the
     * reason says why. */
    p.approval[GL_TYPE_NORMAL][GL_RISK_LOW] = GL_TIER_PREAPPROVED;
    gl_approval_route(GL_TYPE_NORMAL, GL_RISK_LOW, &p, NULL, GL_TEMPLATE_NONE, &r);
    assert_int_equal(r.tier, GL_TIER_CHANGE_MANAGER);
    assert_non_null(strstr(r.stages[0].reason, "only a template gives"));
}

/* ---- evaluation ---------------------------------------------------------------------- */

static struct gl_approval_vote vote(const char *user, enum gl_approval_stage s,
                                    enum gl_vote_decision d, int round)
{
    struct gl_approval_vote v = {.round = round, .stage = s, .decision = d};
    snprintf(v.user, sizeof v.user, "%s", user);
    return v;
}

static void cab_route(struct gl_approval_route *r, bool signoff)
{
    struct gl_policy p;
    gl_policy_default(&p);
    gl_approval_route(GL_TYPE_NORMAL, GL_RISK_HIGH, &p, signoff ? &signing : NULL,
                      GL_TEMPLATE_NONE, r);
}

static void test_quorum_and_signoff(void **state)
{
    struct gl_approval_route r;
    cab_route(&r, true);
    struct gl_approval_vote v[4] = {
        vote("ann", GL_STAGE_CAB, GL_VOTE_APPROVE, 1),
        vote("bob", GL_STAGE_CAB, GL_VOTE_APPROVE, 1),
        vote("cli", GL_STAGE_CLIENT, GL_VOTE_APPROVE, 1),
    };
    struct gl_approval_status s;
    gl_approval_evaluate(&r, v, 1, 1, &s);
    assert_false(s.satisfied);
    assert_int_equal(gl_approval_missing(&s, GL_STAGE_CAB), 1);
    assert_int_equal(gl_approval_missing(&s, GL_STAGE_CLIENT), 1);
    gl_approval_evaluate(&r, v, 2, 1, &s);
    assert_false(s.satisfied); /* quorum, but no client sign-off */
    assert_int_equal(gl_approval_missing(&s, GL_STAGE_CAB), 0);
    gl_approval_evaluate(&r, v, 3, 1, &s);
    assert_true(s.satisfied);
    assert_null(s.rejection);
    /* The same member twice counts once. */
    v[1] = vote("ann", GL_STAGE_CAB, GL_VOTE_APPROVE, 1);
    gl_approval_evaluate(&r, v, 3, 1, &s);
    assert_false(s.satisfied);
    assert_int_equal(s.have[GL_STAGE_CAB], 1);
}

static void test_rounds_and_rejection(void **state)
{
    struct gl_approval_route r;
    cab_route(&r, false);
    struct gl_approval_vote v[4] = {
        vote("ann", GL_STAGE_CAB, GL_VOTE_APPROVE, 1),
        vote("bob", GL_STAGE_CAB, GL_VOTE_APPROVE, 1),
        vote("ann", GL_STAGE_CAB, GL_VOTE_APPROVE, 2),
        vote("cid", GL_STAGE_CAB, GL_VOTE_REJECT, 2),
    };
    struct gl_approval_status s;
    gl_approval_evaluate(&r, v, 2, 1, &s);
    assert_true(s.satisfied);
    /* Round 1's votes do not carry into round 2. */
    gl_approval_evaluate(&r, v, 3, 2, &s);
    assert_false(s.satisfied);
    assert_int_equal(s.have[GL_STAGE_CAB], 1);
    gl_approval_evaluate(&r, v, 4, 2, &s);
    assert_false(s.satisfied);
    assert_non_null(s.rejection);
    assert_string_equal(s.rejection->user, "cid");
    /* A vote at a stage outside the route counts for nothing. */
    struct gl_approval_vote odd = vote("eve", GL_STAGE_EMERGENCY, GL_VOTE_APPROVE, 1);
    gl_approval_evaluate(&r, &odd, 1, 1, &s);
    assert_int_equal(s.have[GL_STAGE_EMERGENCY], 0);
}

/* ---- who may vote ---------------------------------------------------------------------- */

static void user(struct gl_user *u, const char *name, int role, int64_t client)
{
    gl_user_init(u);
    u->name = strdup(name);
    assert_non_null(u->name);
    if (role >= 0)
        assert_int_equal(gl_user_add_grant(u, (enum gl_role)role, client), 0);
}

static void change(struct gl_change *c, enum gl_change_type t)
{
    gl_change_init(c);
    c->client_id = 7;
    c->type = t;
    c->state = GL_STATE_ASSESSED;
    assert_int_equal(gl_change_set_str(&c->raised_by, "rita"), 0);
    assert_int_equal(gl_change_set_str(&c->created_by, "rita"), 0);
    assert_int_equal(gl_change_set_str(&c->implementer, "ivan"), 0);
}

static int authorize(const struct gl_user *u, const struct gl_change *c,
                     const struct gl_approval_route *r, const struct gl_approval_vote *v, size_t n,
                     enum gl_vote_decision d, enum gl_approval_stage *stage, struct gl_error *err)
{
    struct gl_approval_status s;
    gl_approval_evaluate(r, v, n, 1, &s);
    gl_error_clear(err);
    return gl_approval_authorize(u, c, r, &s, v, n, d, stage, err);
}

static void test_self_approval_only_at_self_or_peer(void **state)
{
    struct gl_policy p;
    gl_policy_default(&p);
    struct gl_change c;
    change(&c, GL_TYPE_NORMAL);
    struct gl_user ivan, rita, mgr;
    user(&ivan, "ivan", GL_ROLE_IMPLEMENTER, 7);
    user(&rita, "rita", GL_ROLE_REQUESTER, 7);
    user(&mgr, "rita", GL_ROLE_CHANGE_MANAGER, 0);
    struct gl_error err;
    enum gl_approval_stage st;
    struct gl_approval_route low, moderate;
    gl_approval_route(GL_TYPE_NORMAL, GL_RISK_LOW, &p, NULL, GL_TEMPLATE_NONE, &low);
    gl_approval_route(GL_TYPE_NORMAL, GL_RISK_MODERATE, &p, NULL, GL_TEMPLATE_NONE, &moderate);
    /* Low risk: "self" is the implementer who raised the change, doing their own work... */
    assert_int_equal(authorize(&ivan, &c, &low, NULL, 0, GL_VOTE_APPROVE, &st, &err),
                     GL_E_FORBIDDEN); /* implements, but rita raised it */
    assert_int_equal(authorize(&rita, &c, &low, NULL, 0, GL_VOTE_APPROVE, &st, &err),
                     GL_E_FORBIDDEN); /* raised it, but ivan implements it */
    assert_int_equal(gl_change_set_str(&c.raised_by, "ivan"), 0);
    assert_int_equal(authorize(&ivan, &c, &low, NULL, 0, GL_VOTE_APPROVE, &st, &err), 0);
    assert_int_equal(st, GL_STAGE_SELF_OR_PEER);
    /* ...and the creator who is neither may still not (rita created it). */
    assert_int_equal(authorize(&rita, &c, &low, NULL, 0, GL_VOTE_APPROVE, &st, &err),
                     GL_E_FORBIDDEN);
    /* Moderate: not even the self-implementer, nor a change manager who raised it. */
    assert_int_equal(authorize(&ivan, &c, &moderate, NULL, 0, GL_VOTE_APPROVE, &st, &err),
                     GL_E_FORBIDDEN);
    assert_int_equal(gl_change_set_str(&c.raised_by, "rita"), 0);
    assert_int_equal(authorize(&mgr, &c, &moderate, NULL, 0, GL_VOTE_APPROVE, &st, &err),
                     GL_E_FORBIDDEN);
    assert_non_null(strstr(err.detail, "separation of duties"));
    assert_int_equal(authorize(&ivan, &c, &moderate, NULL, 0, GL_VOTE_REJECT, &st, &err),
                     GL_E_FORBIDDEN);
    /* A requester who is not a party is no peer: peers hold change.approve. */
    struct gl_user other;
    user(&other, "olga", GL_ROLE_REQUESTER, 7);
    assert_int_equal(authorize(&other, &c, &low, NULL, 0, GL_VOTE_APPROVE, &st, &err),
                     GL_E_FORBIDDEN);
    assert_null(strstr(err.detail, "separation"));
    struct gl_user peer;
    user(&peer, "pete", GL_ROLE_CAB_MEMBER, 7);
    assert_int_equal(authorize(&peer, &c, &low, NULL, 0, GL_VOTE_APPROVE, &st, &err), 0);
    gl_user_release(&ivan);
    gl_user_release(&rita);
    gl_user_release(&mgr);
    gl_user_release(&other);
    gl_user_release(&peer);
    gl_change_release(&c);
}

/* Issue 10: whoever raised, created or implements a change is told "separation of duties",
 * whatever roles they lack, at every tier and for approve and reject alike. */
static void test_party_always_told_separation_of_duties(void **state)
{
    struct gl_policy p;
    gl_policy_default(&p);
    struct gl_change c;
    change(&c, GL_TYPE_NORMAL);
    struct gl_user rita, ivan, olga;
    user(&rita, "rita", GL_ROLE_REQUESTER, 7);   /* raised and created it */
    user(&ivan, "ivan", GL_ROLE_IMPLEMENTER, 7); /* implements it */
    user(&olga, "olga", GL_ROLE_REQUESTER, 7);   /* no part in it */
    struct gl_error err;
    enum gl_approval_stage st;
    for (int l = 0; l < GL_RISK__COUNT; l++) {
        struct gl_approval_route r;
        gl_approval_route(GL_TYPE_NORMAL, (enum gl_risk_level)l, &p, NULL, GL_TEMPLATE_NONE, &r);
        for (int d = GL_VOTE_APPROVE; d <= GL_VOTE_REJECT; d++) {
            assert_int_equal(authorize(&rita, &c, &r, NULL, 0, (enum gl_vote_decision)d, &st,
                                       &err),
                             GL_E_FORBIDDEN);
            assert_non_null(strstr(err.detail, "separation of duties: rita raised"));
            assert_int_equal(authorize(&ivan, &c, &r, NULL, 0, (enum gl_vote_decision)d, &st,
                                       &err),
                             GL_E_FORBIDDEN);
            assert_non_null(strstr(err.detail, "separation of duties: ivan implements"));
            /* Someone with no part in it is refused for the role they lack. */
            assert_int_equal(authorize(&olga, &c, &r, NULL, 0, (enum gl_vote_decision)d, &st,
                                       &err),
                             GL_E_FORBIDDEN);
            assert_null(strstr(err.detail, "separation"));
        }
    }
    /* Before any route or state is looked at: a party who can never be "self" is refused. */
    c.state = GL_STATE_SUBMITTED;
    assert_int_equal(gl_approval_check_duties(&rita, &c, GL_VOTE_APPROVE, &err), GL_E_FORBIDDEN);
    assert_non_null(strstr(err.detail, "separation of duties: rita raised this change and may "
                                       "not approve it"));
    assert_int_equal(gl_approval_check_duties(&ivan, &c, GL_VOTE_REJECT, &err), GL_E_FORBIDDEN);
    assert_non_null(strstr(err.detail, "may not reject it"));
    assert_int_equal(gl_approval_check_duties(&olga, &c, GL_VOTE_APPROVE, &err), 0);
    /* The implementer who raised it may still be "self" at the self_or_peer tier: that is
     * for the route to decide, so the early check lets them through. */
    assert_int_equal(gl_change_set_str(&c.raised_by, "ivan"), 0);
    assert_int_equal(gl_change_set_str(&c.created_by, "ivan"), 0);
    assert_int_equal(gl_approval_check_duties(&ivan, &c, GL_VOTE_APPROVE, &err), 0);
    struct gl_approval_route moderate;
    gl_approval_route(GL_TYPE_NORMAL, GL_RISK_MODERATE, &p, NULL, GL_TEMPLATE_NONE, &moderate);
    assert_int_equal(authorize(&ivan, &c, &moderate, NULL, 0, GL_VOTE_APPROVE, &st, &err),
                     GL_E_FORBIDDEN);
    assert_non_null(strstr(err.detail, "separation of duties: ivan raised"));
    gl_user_release(&rita);
    gl_user_release(&ivan);
    gl_user_release(&olga);
    gl_change_release(&c);
}

static void test_stages_need_their_roles(void **state)
{
    struct gl_change c;
    change(&c, GL_TYPE_NORMAL);
    struct gl_approval_route r;
    cab_route(&r, true);
    struct gl_user cab, mgr, client, client_all, client_other, admin;
    user(&cab, "ann", GL_ROLE_CAB_MEMBER, 7);
    user(&mgr, "max", GL_ROLE_CHANGE_MANAGER, 7);
    user(&client, "cleo", GL_ROLE_CLIENT_APPROVER, 7);
    user(&client_all, "cara", GL_ROLE_CLIENT_APPROVER, 0);
    user(&client_other, "coco", GL_ROLE_CLIENT_APPROVER, 8);
    user(&admin, "root", -1, 0);
    admin.admin = true;
    struct gl_error err;
    enum gl_approval_stage st;
    assert_int_equal(authorize(&cab, &c, &r, NULL, 0, GL_VOTE_APPROVE, &st, &err), 0);
    assert_int_equal(st, GL_STAGE_CAB);
    assert_int_equal(authorize(&mgr, &c, &r, NULL, 0, GL_VOTE_APPROVE, &st, &err),
                     GL_E_FORBIDDEN);
    assert_int_equal(authorize(&client, &c, &r, NULL, 0, GL_VOTE_APPROVE, &st, &err), 0);
    assert_int_equal(st, GL_STAGE_CLIENT);
    /* Sign-off is the client's own: not an all-clients grant, another client, or an admin. */
    assert_int_equal(authorize(&client_all, &c, &r, NULL, 0, GL_VOTE_APPROVE, &st, &err),
                     GL_E_FORBIDDEN);
    assert_int_equal(authorize(&client_other, &c, &r, NULL, 0, GL_VOTE_APPROVE, &st, &err),
                     GL_E_FORBIDDEN);
    assert_int_equal(authorize(&admin, &c, &r, NULL, 0, GL_VOTE_APPROVE, &st, &err), 0);
    assert_int_equal(st, GL_STAGE_CAB);
    /* Voting twice in a round is refused; a full stage refuses more approvals. */
    struct gl_approval_vote v[2] = {vote("ann", GL_STAGE_CAB, GL_VOTE_APPROVE, 1),
                                    vote("root", GL_STAGE_CAB, GL_VOTE_APPROVE, 1)};
    assert_int_equal(authorize(&cab, &c, &r, v, 1, GL_VOTE_APPROVE, &st, &err), GL_E_DUPLICATE);
    struct gl_user cab2;
    user(&cab2, "bea", GL_ROLE_CAB_MEMBER, 7);
    assert_int_equal(authorize(&cab2, &c, &r, v, 2, GL_VOTE_APPROVE, &st, &err),
                     GL_E_PRECONDITION);
    /* ...but anyone entitled may still reject. */
    assert_int_equal(authorize(&cab2, &c, &r, v, 2, GL_VOTE_REJECT, &st, &err), 0);
    struct gl_user *all[] = {&cab, &mgr, &client, &client_all, &client_other, &admin, &cab2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        gl_user_release(all[i]);
    gl_change_release(&c);
}

static void test_emergency_and_preapproved(void **state)
{
    struct gl_policy p;
    gl_policy_default(&p);
    struct gl_change c;
    change(&c, GL_TYPE_EMERGENCY);
    struct gl_approval_route r;
    gl_approval_route(GL_TYPE_EMERGENCY, GL_RISK_CRITICAL, &p, &signing, GL_TEMPLATE_NONE, &r);
    struct gl_user ea, cab, impl;
    user(&ea, "erin", GL_ROLE_EMERGENCY_APPROVER, 7);
    user(&cab, "ann", GL_ROLE_CAB_MEMBER, 7);
    user(&impl, "ivan", GL_ROLE_EMERGENCY_APPROVER, 7);
    struct gl_error err;
    enum gl_approval_stage st;
    assert_int_equal(authorize(&ea, &c, &r, NULL, 0, GL_VOTE_APPROVE, &st, &err), 0);
    assert_int_equal(st, GL_STAGE_EMERGENCY);
    struct gl_approval_vote v = vote("erin", GL_STAGE_EMERGENCY, GL_VOTE_APPROVE, 1);
    struct gl_approval_status s;
    gl_approval_evaluate(&r, &v, 1, 1, &s);
    assert_true(s.satisfied); /* one emergency approver suffices */
    assert_int_equal(authorize(&cab, &c, &r, NULL, 0, GL_VOTE_APPROVE, &st, &err),
                     GL_E_FORBIDDEN);
    assert_int_equal(authorize(&impl, &c, &r, NULL, 0, GL_VOTE_APPROVE, &st, &err),
                     GL_E_FORBIDDEN);
    assert_non_null(strstr(err.detail, "separation of duties"));
    gl_approval_route(GL_TYPE_STANDARD, GL_RISK_LOW, &p, NULL, GL_TEMPLATE_GOOD, &r);
    gl_approval_evaluate(&r, NULL, 0, 1, &s);
    assert_true(s.satisfied);
    assert_int_equal(authorize(&cab, &c, &r, NULL, 0, GL_VOTE_APPROVE, &st, &err),
                     GL_E_TRANSITION);
    gl_user_release(&ea);
    gl_user_release(&cab);
    gl_user_release(&impl);
    gl_change_release(&c);
}

/* ---- re-approval, deadlines, misuse ------------------------------------------------------ */

static void test_reapproval_on_implementer_change(void **state)
{
    struct gl_change a, b;
    change(&a, GL_TYPE_NORMAL);
    change(&b, GL_TYPE_NORMAL);
    a.state = b.state = GL_STATE_SCHEDULED;
    assert_null(gl_approval_edit_needs_reapproval(&a, &b));
    assert_int_equal(gl_change_set_str(&b.implementer, "ivy"), 0);
    const char *why = gl_approval_edit_needs_reapproval(&a, &b);
    assert_non_null(why);
    struct gl_error err;
    assert_int_equal(gl_approval_reopen(&b, why, &err), 0);
    assert_int_equal(b.state, GL_STATE_ASSESSED);
    assert_string_equal(b.state_reason, "re-approval needed: the implementer changed");
    /* Before approval nothing is held, so nothing is lost. */
    a.state = GL_STATE_ASSESSED;
    assert_null(gl_approval_edit_needs_reapproval(&a, &b));
    assert_false(gl_approval_holds(&a));
    gl_change_release(&a);
    gl_change_release(&b);
}

static void test_emergency_review_deadline(void **state)
{
    struct gl_change c;
    change(&c, GL_TYPE_EMERGENCY);
    c.state = GL_STATE_COMPLETED;
    int64_t at = 1000000;
    assert_int_equal(gl_approval_review_due(at, 72), at + 72 * 3600);
    assert_false(gl_approval_review_overdue(&c, at, 72, at + 72 * 3600));
    assert_true(gl_approval_review_overdue(&c, at, 72, at + 72 * 3600 + 1));
    assert_false(gl_approval_review_overdue(&c, GL_TIME_UNSET, 72, at * 10));
    c.state = GL_STATE_REVIEWED;
    assert_false(gl_approval_review_overdue(&c, at, 72, at * 10));
    c.state = GL_STATE_COMPLETED;
    c.type = GL_TYPE_NORMAL;
    assert_false(gl_approval_review_overdue(&c, at, 72, at * 10));
    gl_change_release(&c);
}

static void test_emergency_flag(void **state)
{
    assert_false(gl_emergency_flagged(3, 3)); /* too few changes to judge */
    assert_false(gl_emergency_flagged(4, 1)); /* 25% is the limit, not above it */
    assert_true(gl_emergency_flagged(4, 2));
    assert_false(gl_emergency_flagged(100, 0));
    assert_true(gl_emergency_flagged(100, 26));
}

static void test_names(void **state)
{
    for (int s = 0; s < GL_STAGE__COUNT; s++) {
        enum gl_approval_stage back;
        assert_int_equal(gl_approval_stage_parse(gl_approval_stage_name((enum gl_approval_stage)s),
                                                 &back),
                         0);
        assert_int_equal(back, s);
    }
    enum gl_vote_decision d;
    assert_int_equal(gl_vote_decision_parse("reject", &d), 0);
    assert_int_equal(d, GL_VOTE_REJECT);
    assert_int_equal(gl_vote_decision_parse("maybe", &d), -1);
    enum gl_approval_stage st;
    assert_int_equal(gl_approval_stage_parse("board", &st), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_every_combination),
        cmocka_unit_test(test_route_follows_policy),
        cmocka_unit_test(test_signoff_rules),
        cmocka_unit_test(test_quorum_and_signoff),
        cmocka_unit_test(test_rounds_and_rejection),
        cmocka_unit_test(test_self_approval_only_at_self_or_peer),
        cmocka_unit_test(test_party_always_told_separation_of_duties),
        cmocka_unit_test(test_stages_need_their_roles),
        cmocka_unit_test(test_emergency_and_preapproved),
        cmocka_unit_test(test_reapproval_on_implementer_change),
        cmocka_unit_test(test_emergency_review_deadline),
        cmocka_unit_test(test_emergency_flag),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
