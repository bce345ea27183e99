/*
 * risk.c - the risk score (see risk.h).
 *
 * Each factor turns its inputs into an intensity in [0, 1] and contributes
 * weight * intensity points, rounded to 0.1. The arithmetic is done in integer tenths,
 * so the score is exactly the sum of the contributions shown (no float drift between
 * what the API lists and the total). Intensities that grow with a count saturate as
 * n / (n + k): the k-th item is worth half the weight and no count can exceed it.
 *
 * Change types: an emergency change is by definition short notice and often outside the
 * maintenance window; the emergency process (one approver, review afterwards) is the
 * answer to that, so those two factors do not count for it (the explanation says so).
 * A standard change is otherwise scored like a normal one; its template's history
 * counts, which is what revokes a template whose changes fail.
 */
#include "core/risk.h"

#include <stdio.h>
#include <string.h>

#include "util/banned.h"

/* Saturation points: the count that is worth half the factor's weight. */
#define USERS_HALF 1000.0
#define BLAST_CIS_HALF 20.0
#define BLAST_CLIENTS_HALF 2.0
#define CONFLICTS_HALF 1.0
#define NOTICE_HALF_HOURS 24.0

static double saturate(double n, double half)
{
    return n <= 0 ? 0 : n / (n + half);
}

/* Beta-prior failure rate: (f + a) / (n + a + b). */
static double failure_rate(int64_t n, int64_t f, const struct gl_policy *p)
{
    if (n < 0)
        n = 0;
    if (f < 0)
        f = 0;
    if (f > n)
        f = n;
    return ((double)f + p->prior_failures) / ((double)n + p->prior_failures + p->prior_successes);
}

struct factor_out {
    double intensity;
    char why[GL_RISK_EXPLAIN_MAX];
};

#define WHY(o, ...) snprintf((o)->why, sizeof(o)->why, __VA_ARGS__)

static void f_ci_criticality(const struct gl_risk_inputs *in, struct factor_out *o)
{
    if (in->affected_cis == 0 || in->max_ci_criticality <= 0) {
        WHY(o, "no affected CIs");
        return;
    }
    int c = in->max_ci_criticality > 5 ? 5 : in->max_ci_criticality;
    o->intensity = c / 5.0;
    WHY(o, "highest criticality of the %zu affected CI%s is %d of 5", in->affected_cis,
        in->affected_cis == 1 ? "" : "s", c);
}

static void f_dependent_criticality(const struct gl_risk_inputs *in, struct factor_out *o)
{
    if (in->dependent_cis == 0 || in->max_dependent_criticality <= 0) {
        WHY(o, "nothing depends on the affected CIs");
        return;
    }
    int c = in->max_dependent_criticality > 5 ? 5 : in->max_dependent_criticality;
    o->intensity = c / 5.0;
    WHY(o, "highest criticality among the %zu dependent CI%s is %d of 5", in->dependent_cis,
        in->dependent_cis == 1 ? "" : "s", c);
}

static void f_users(const struct gl_risk_inputs *in, struct factor_out *o)
{
    o->intensity = saturate((double)in->users_affected, USERS_HALF);
    if (in->users_affected <= 0)
        WHY(o, "no users recorded on the affected or dependent CIs");
    else
        WHY(o, "%lld users of the affected and dependent CIs (1000 count for half)",
            (long long)in->users_affected);
}

static void f_reversibility(const struct gl_risk_inputs *in, struct factor_out *o)
{
    if (!in->has_rollback_plan) {
        o->intensity = 1;
        WHY(o, "no rollback plan");
    } else if (!in->rollback_tested) {
        o->intensity = 0.5;
        WHY(o, "rollback plan not tested");
    } else {
        WHY(o, "rollback plan tested");
    }
}

static void f_blast_cis(const struct gl_risk_inputs *in, struct factor_out *o)
{
    o->intensity = saturate((double)in->dependent_cis, BLAST_CIS_HALF);
    if (in->dependent_cis == 0)
        WHY(o, "no CI depends on the affected ones");
    else
        WHY(o, "%zu CI%s downstream of the affected ones (20 count for half)", in->dependent_cis,
            in->dependent_cis == 1 ? "" : "s");
}

static void f_blast_clients(const struct gl_risk_inputs *in, struct factor_out *o)
{
    o->intensity = saturate((double)in->clients_touched, BLAST_CLIENTS_HALF);
    if (in->clients_touched == 0)
        WHY(o, "no other client reached");
    else
        WHY(o, "reaches %zu other client%s (2 count for half)", in->clients_touched,
            in->clients_touched == 1 ? "" : "s");
}

static void f_outside_window(const struct gl_risk_inputs *in, struct factor_out *o)
{
    const struct gl_schedule_summary *s = &in->schedule;
    if (!s->planned)
        WHY(o, "not planned yet");
    else if (!s->windows_defined)
        WHY(o, "no maintenance windows defined");
    else if (!s->outside_window)
        WHY(o, "inside a maintenance window");
    else if (in->type == GL_TYPE_EMERGENCY)
        WHY(o, "outside the maintenance windows; not counted for an emergency change");
    else if (s->justified) {
        o->intensity = 0.5;
        WHY(o, "outside the maintenance windows, with a justification");
    } else {
        o->intensity = 1;
        WHY(o, "outside the maintenance windows, without a justification");
    }
}

static void f_blackout(const struct gl_risk_inputs *in, struct factor_out *o)
{
    if (!in->schedule.planned) {
        WHY(o, "not planned yet");
    } else if (in->schedule.in_blackout) {
        o->intensity = 1;
        WHY(o, "overlaps a blackout period");
    } else {
        WHY(o, "no blackout period overlaps");
    }
}

static void f_short_notice(const struct gl_risk_inputs *in, struct factor_out *o)
{
    const struct gl_schedule_summary *s = &in->schedule;
    double h = s->notice_shortfall_hours > 0 ? s->notice_shortfall_hours : 0;
    if (!s->planned) {
        WHY(o, "not planned yet");
    } else if (!s->short_notice) {
        WHY(o, "enough notice");
    } else if (in->type == GL_TYPE_EMERGENCY) {
        WHY(o, "%.1f h short of the notice period; not counted for an emergency change", h);
    } else {
        /* Any shortfall is worth half; a day more of it three quarters, and so on. */
        o->intensity = 0.5 + 0.5 * saturate(h, NOTICE_HALF_HOURS);
        WHY(o, "%.1f h short of the client's notice period", h);
    }
}

static void f_conflicts(const struct gl_risk_inputs *in, struct factor_out *o)
{
    o->intensity = saturate((double)in->schedule.conflicts, CONFLICTS_HALF);
    if (in->schedule.conflicts == 0)
        WHY(o, "no overlapping change on the same or connected CIs");
    else
        WHY(o, "overlaps %zu other change%s on the same or connected CIs", in->schedule.conflicts,
            in->schedule.conflicts == 1 ? "" : "s");
}

static void history(int64_t n, int64_t f, const char *what, const struct gl_policy *p,
                    struct factor_out *o)
{
    o->intensity = failure_rate(n, f, p);
    WHY(o, "%.0f%% expected failure rate: %lld of %lld past changes %s failed (prior %g in %g)",
        o->intensity * 100, (long long)(f < 0 ? 0 : f), (long long)(n < 0 ? 0 : n), what,
        p->prior_failures, p->prior_failures + p->prior_successes);
}

static void f_ci_history(const struct gl_risk_inputs *in, const struct gl_policy *p,
                         struct factor_out *o)
{
    if (in->affected_cis == 0) {
        WHY(o, "no affected CIs");
        return;
    }
    history(in->ci_changes, in->ci_failures, "on these CIs", p, o);
}

static void f_template_history(const struct gl_risk_inputs *in, const struct gl_policy *p,
                               struct factor_out *o)
{
    if (!in->from_template) {
        WHY(o, "not created from a template");
        return;
    }
    history(in->template_changes, in->template_failures, "from this template", p, o);
}

enum gl_risk_level gl_risk_level_for(const struct gl_policy *p, double score)
{
    enum gl_risk_level l = GL_RISK_LOW;
    for (int i = GL_RISK_MODERATE; i < GL_RISK__COUNT; i++)
        if (score >= p->threshold[i])
            l = (enum gl_risk_level)i;
    return l;
}

void gl_risk_score(const struct gl_risk_inputs *in, const struct gl_policy *p,
                   struct gl_risk_assessment *out)
{
    struct factor_out f[GL_FACTOR__COUNT];
    memset(f, 0, sizeof f);
    f_ci_criticality(in, &f[GL_FACTOR_CI_CRITICALITY]);
    f_dependent_criticality(in, &f[GL_FACTOR_DEPENDENT_CRITICALITY]);
    f_users(in, &f[GL_FACTOR_USERS_AFFECTED]);
    f_reversibility(in, &f[GL_FACTOR_REVERSIBILITY]);
    f_blast_cis(in, &f[GL_FACTOR_BLAST_CIS]);
    f_blast_clients(in, &f[GL_FACTOR_BLAST_CLIENTS]);
    f_outside_window(in, &f[GL_FACTOR_OUTSIDE_WINDOW]);
    f_blackout(in, &f[GL_FACTOR_BLACKOUT]);
    f_short_notice(in, &f[GL_FACTOR_SHORT_NOTICE]);
    f_conflicts(in, &f[GL_FACTOR_CONFLICTS]);
    f_ci_history(in, p, &f[GL_FACTOR_CI_HISTORY]);
    f_template_history(in, p, &f[GL_FACTOR_TEMPLATE_HISTORY]);

    long total = 0; /* tenths of a point */
    for (int i = 0; i < GL_FACTOR__COUNT; i++) {
        double x = p->weights[i] * f[i].intensity * 10.0;
        long tenths = x > 0 ? (long)(x + 0.5) : 0;
        struct gl_risk_contribution *c = &out->factors[i];
        c->factor = (enum gl_risk_factor)i;
        c->points = tenths / 10.0;
        c->weight = p->weights[i];
        memcpy(c->explanation, f[i].why, sizeof c->explanation);
        total += tenths;
    }
    out->uncapped = total / 10.0;
    out->capped = total > 1000;
    out->score = out->capped ? 100.0 : out->uncapped;
    out->level = gl_risk_level_for(p, out->score);
    out->policy_version = p->version;
    out->inputs = *in;
}

bool gl_risk_inputs_equal(const struct gl_risk_inputs *a, const struct gl_risk_inputs *b)
{
    const struct gl_schedule_summary *x = &a->schedule, *y = &b->schedule;
    return a->type == b->type && a->affected_cis == b->affected_cis &&
           a->max_ci_criticality == b->max_ci_criticality &&
           a->max_dependent_criticality == b->max_dependent_criticality &&
           a->users_affected == b->users_affected && a->has_rollback_plan == b->has_rollback_plan &&
           a->rollback_tested == b->rollback_tested && a->dependent_cis == b->dependent_cis &&
           a->clients_touched == b->clients_touched && x->planned == y->planned &&
           x->windows_defined == y->windows_defined && x->outside_window == y->outside_window &&
           x->justified == y->justified && x->in_blackout == y->in_blackout &&
           x->short_notice == y->short_notice &&
           /* Stored inputs go through JSON: compare the shortfall at the precision kept. */
           (long)(x->notice_shortfall_hours * 100 + 0.5) ==
               (long)(y->notice_shortfall_hours * 100 + 0.5) &&
           x->conflicts == y->conflicts && a->ci_changes == b->ci_changes &&
           a->ci_failures == b->ci_failures && a->from_template == b->from_template &&
           a->template_changes == b->template_changes &&
           a->template_failures == b->template_failures;
}
