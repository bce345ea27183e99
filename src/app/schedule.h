/*
 * schedule.h - the scheduling gate: what the calendar refuses, and what it only records.
 *
 * The store finds (windows, blackouts, notice, conflicts); the gate decides, so the rules
 * sit on one screen:
 *  - a blackout refuses every change but an emergency;
 *  - outside the maintenance windows needs a justification (emergencies excepted);
 *  - short notice refuses (emergencies excepted: flagged instead);
 *  - conflicts only warn, unless the caller asked for strict scheduling.
 * What passes is written with the change as its schedule record: the findings and the
 * flags they raise.
 */
#ifndef GL_APP_SCHEDULE_H
#define GL_APP_SCHEDULE_H

#include <stdbool.h>

#include "app/app.h"

#define GL_APP_JUSTIFICATION_MAX 2000

/* How the caller wants the gate to look: strict refuses conflicts; depth is how far
 * along relations conflicts are searched (GL_CAL_DEPTH_DEFAULT). */
struct gl_app_sched_opts {
    const char *justification; /* why outside the windows; may be NULL */
    bool strict;
    int depth;
};

struct gl_app_sched {
    bool active; /* the gate ran: the change is written with its schedule record */
    struct gl_cal_check check;
    char *flags, *findings;        /* owned; flags "a,b" as stored ("" when none) */
    struct gl_schedule_record rec; /* points into flags/findings and the justification */
};

/* Whether an edit before -> after moves a scheduled change (it passes the gate again). */
bool gl_app_schedule_moved(const struct gl_change *before, const struct gl_change *after);
/* Runs the gate for c at a->now (the client is notified now). On success g is active. */
int gl_app_schedule_gate(const struct gl_app *a, const struct gl_change *c,
                         const struct gl_app_sched_opts *o, struct gl_app_sched *g,
                         struct gl_error *err);
/* The write of before -> after: with the schedule record when g is active, else a plain
 * change update. */
int gl_app_schedule_write(const struct gl_app *a, const struct gl_write_ctx *ctx,
                          const struct gl_change *before, struct gl_change *after,
                          const struct gl_app_sched *g, struct gl_error *err);
/* Accepts NULL; leaves g empty. */
void gl_app_sched_release(struct gl_app_sched *g);

#endif
