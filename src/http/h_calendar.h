/*
 * h_calendar.h - what the change handlers need from the calendar handlers: the
 * scheduling gate run when a change is scheduled (h_change_actions.c) or when a scheduled
 * change's planned times move (h_changes.c PATCH).
 *
 * Decisions (docs/api.md, "Change calendar"):
 *  - a blackout refuses a normal or standard change: 422, field planned_start, naming the
 *    blackout; an emergency change goes ahead, flagged blackout_override;
 *  - outside every maintenance window: 422, field justification, unless a justification
 *    is given (then flagged outside_window); an emergency goes ahead, flagged;
 *  - short notice (planned start less than the client's notice_hours after now, the time
 *    the client is notified): 422, field planned_start, for normal and standard changes;
 *  - conflicts are warnings (flag "conflicts", findings, risk), refused (422, field
 *    planned_start) only with ?strict=true.
 */
#ifndef GL_HTTP_H_CALENDAR_H
#define GL_HTTP_H_CALENDAR_H

#include <stdbool.h>

#include "http/request.h"

struct gl_sched_gate {
    bool active;              /* the gate ran: write with change_schedule_write */
    struct gl_cal_check check;
    char *flags, *findings;   /* owned */
    struct gl_schedule_record rec; /* points into flags/findings and the justification */
};

/* Whether a PATCH from before to after moves a scheduled change's planned times. */
bool gl_h_schedule_moved(const struct gl_change *before, const struct gl_change *after);
/* Reads ?strict and ?depth. Runs the checks on c (planned times set) and decides as above.
 * justification is borrowed (NULL = none) and must outlive g. Returns 0 with g filled, or
 * a gl_errcode with err filled. g must be zeroed first; release it either way. */
int gl_h_schedule_gate(struct gl_request *req, const struct gl_change *c,
                       const char *justification, struct gl_sched_gate *g, struct gl_error *err);
void gl_h_schedule_gate_release(struct gl_sched_gate *g);
/* The gate's outcome as the "schedule" member of a change response (new reference). */
json_t *gl_h_schedule_json(const struct gl_sched_gate *g);

#endif
