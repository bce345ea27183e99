/*
 * schedule.c - the scheduling gate (schedule.h).
 */
#include "app/schedule.h"

#include <stdlib.h>
#include <string.h>

#include "codec/json_calendar.h"
#include "core/timefmt.h"

#include "util/banned.h"

bool gl_app_schedule_moved(const struct gl_change *before, const struct gl_change *after)
{
    return before->state == GL_STATE_SCHEDULED &&
           (before->planned_start != after->planned_start ||
            before->planned_end != after->planned_end);
}

static int refuse_blackout(const struct gl_cal_check *k, struct gl_error *err)
{
    const struct gl_cal_blackout_hit *h = &k->blackouts[0];
    char from[GL_TIME_STR_MAX], to[GL_TIME_STR_MAX];
    gl_time_format(h->start, from);
    gl_time_format(h->end, to);
    return gl_error_set(err, GL_E_PRECONDITION, "planned_start",
                        "the planned time falls in %sblackout %lld \"%.120s\" (%s to %s); only an "
                        "emergency change may be scheduled into a blackout",
                        h->global ? "global " : "", (long long)h->id, h->reason, from, to);
}

static int refuse_notice(const struct gl_app *a, const struct gl_cal_check *k,
                         struct gl_error *err)
{
    char earliest[GL_TIME_STR_MAX];
    gl_time_format(a->now + (int64_t)k->notice_hours * 3600, earliest);
    return gl_error_set(err, GL_E_PRECONDITION, "planned_start",
                        "the client must be notified %d hours ahead; %.1f hours are missing "
                        "(earliest start now: %s)",
                        k->notice_hours, k->sum.notice_shortfall_hours, earliest);
}

static int refuse_conflict(const struct gl_cal_check *k, struct gl_error *err)
{
    for (size_t i = 0; i < k->nconflicts; i++) {
        const struct gl_cal_conflict *x = &k->conflicts[i];
        if (!x->ci_id)
            continue;
        char id[GL_IDENT_MAX], ci[GL_IDENT_MAX];
        gl_change_ident_format(x->change_id, id);
        gl_ci_ident_format(x->ci_id, ci);
        return gl_error_set(err, GL_E_PRECONDITION, "planned_start",
                            "strict scheduling: %zu conflicting change(s), first %s on %s (%d "
                            "step(s) from this change's CIs)",
                            k->sum.conflicts, id, ci, x->path_len - 1);
    }
    return 0;
}

int gl_app_schedule_gate(const struct gl_app *a, const struct gl_change *c,
                         const struct gl_app_sched_opts *o, struct gl_app_sched *g,
                         struct gl_error *err)
{
    const char *justification = o->justification;
    if (justification &&
        (!justification[0] || strlen(justification) > GL_APP_JUSTIFICATION_MAX))
        return gl_error_set(err, GL_E_INVALID, "justification",
                            "justification must be 1 to %d characters", GL_APP_JUSTIFICATION_MAX);
    g->active = true;
    /* The client is notified now, when the change enters its calendar. */
    int rc = a->st->calendar->schedule_check(a->st, c, a->now, a->now, o->depth, &g->check, err);
    if (rc)
        return rc;
    struct gl_cal_check *k = &g->check;
    k->sum.justified = k->sum.outside_window && justification;
    bool emergency = c->type == GL_TYPE_EMERGENCY;
    if (k->nblackouts && !emergency)
        return refuse_blackout(k, err);
    if (k->sum.outside_window && !justification && !emergency)
        return gl_error_set(err, GL_E_PRECONDITION, "justification",
                            "the planned time is outside the client's maintenance windows; "
                            "schedule it with a justification, or pick a slot (GET "
                            "/api/v1/changes/{id}/slots)");
    if (k->sum.short_notice && !emergency)
        return refuse_notice(a, k, err);
    if (o->strict && k->sum.conflicts)
        return refuse_conflict(k, err);
    json_t *findings = gl_json_cal_findings(k);
    g->findings = findings ? json_dumps(findings, JSON_COMPACT) : NULL;
    json_decref(findings);
    g->flags = gl_cal_flags(k, emergency);
    if (!g->findings || !g->flags)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    g->rec = (struct gl_schedule_record){a->now, justification, g->flags, g->findings};
    return 0;
}

int gl_app_schedule_write(const struct gl_app *a, const struct gl_write_ctx *ctx,
                          const struct gl_change *before, struct gl_change *after,
                          const struct gl_app_sched *g, struct gl_error *err)
{
    int rc = g && g->active
                 ? a->st->calendar->schedule_write(a->st, ctx, before, after, &g->rec, err)
                 : a->st->changes->update(a->st, ctx, before, after, err);
    return rc ? rc : gl_app_fault(a, "change.written", err);
}

void gl_app_sched_release(struct gl_app_sched *g)
{
    if (!g)
        return;
    gl_cal_check_release(&g->check);
    free(g->flags);
    free(g->findings);
    *g = (struct gl_app_sched){0};
}
