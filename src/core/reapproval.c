/*
 * reapproval.c - the re-approval decision (reapproval.h).
 */
#include "core/reapproval.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/banned.h"

struct text {
    char *buf;
    size_t size, used;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct text *t, const char *fmt, ...)
{
    if (t->used >= t->size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->used, t->size - t->used, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->used += (size_t)n;
    if (t->used >= t->size)
        t->used = t->size;
}

static void item(struct text *t, size_t *n, const char *name, long long from, long long to)
{
    if (from == to)
        return;
    add(t, "%s%s %lld -> %lld", (*n)++ ? ", " : "", name, from, to);
}

static void flag(struct text *t, size_t *n, const char *name, bool from, bool to)
{
    if (from == to)
        return;
    add(t, "%s%s %s", (*n)++ ? ", " : "", name, to ? "now" : "no longer");
}

/* Names every input that differs; returns how many. */
static size_t changed_inputs(const struct gl_risk_inputs *a, const struct gl_risk_inputs *b,
                             struct text *t)
{
    size_t n = 0;
    item(t, &n, "affected CIs", (long long)a->affected_cis, (long long)b->affected_cis);
    item(t, &n, "CI criticality", a->max_ci_criticality, b->max_ci_criticality);
    item(t, &n, "dependent CIs", (long long)a->dependent_cis, (long long)b->dependent_cis);
    item(t, &n, "dependent criticality", a->max_dependent_criticality,
         b->max_dependent_criticality);
    item(t, &n, "users affected", (long long)a->users_affected, (long long)b->users_affected);
    item(t, &n, "other clients reached", (long long)a->clients_touched,
         (long long)b->clients_touched);
    flag(t, &n, "rollback plan", a->has_rollback_plan, b->has_rollback_plan);
    flag(t, &n, "rollback tested", a->rollback_tested, b->rollback_tested);
    flag(t, &n, "outside the maintenance windows", a->schedule.outside_window,
         b->schedule.outside_window);
    flag(t, &n, "in a blackout", a->schedule.in_blackout, b->schedule.in_blackout);
    flag(t, &n, "short notice", a->schedule.short_notice, b->schedule.short_notice);
    item(t, &n, "conflicting changes", (long long)a->schedule.conflicts,
         (long long)b->schedule.conflicts);
    item(t, &n, "finished changes on its CIs", (long long)a->ci_changes,
         (long long)b->ci_changes);
    item(t, &n, "failures on its CIs", (long long)a->ci_failures, (long long)b->ci_failures);
    item(t, &n, "template failures", (long long)a->template_failures,
         (long long)b->template_failures);
    return n;
}

static bool past_decision(enum gl_change_state s)
{
    return s == GL_STATE_IN_PROGRESS || s == GL_STATE_COMPLETED || s == GL_STATE_FAILED ||
           s == GL_STATE_ROLLED_BACK || s == GL_STATE_REVIEWED || s == GL_STATE_CLOSED ||
           s == GL_STATE_CANCELLED;
}

/* A score that rose by this much, or into a higher level, is material. */
#define MATERIAL_SCORE_RISE 5.0

bool gl_reapproval_needed(const struct gl_policy *p, const struct gl_change *c,
                          const struct gl_risk_assessment *before,
                          const struct gl_risk_assessment *after, char *why, size_t size)
{
    struct text t = {why, size, 0};
    if (size)
        why[0] = '\0';
    if (!before || !after || past_decision(c->state) ||
        gl_risk_inputs_equal(&before->inputs, &after->inputs))
        return false;
    /* Lower risk never needs approval again; a small rise (another change finished on the
     * same CI, one more dependant) is not worth the approvers' time. */
    bool level_up = after->level > before->level;
    if (!level_up && after->score - before->score < MATERIAL_SCORE_RISE)
        return false;
    add(&t, "risk inputs changed: ");
    changed_inputs(&before->inputs, &after->inputs, &t);
    add(&t, "; score %.1f %s -> %.1f %s", before->score, gl_risk_level_name(before->level),
        after->score, gl_risk_level_name(after->level));
    (void)p;
    return true;
}
