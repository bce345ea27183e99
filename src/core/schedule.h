/*
 * schedule.h - what the calendar found about a change's planned time, in the form the
 * risk score consumes (core/risk.h). The calendar (core/calendar.h and its store side)
 * fills it; the risk score only reads these numbers, so neither depends on the other's
 * internals.
 */
#ifndef GL_SCHEDULE_H
#define GL_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>

struct gl_schedule_summary {
    bool planned;          /* the change has a planned start and end; else the rest is unset */
    bool windows_defined;  /* the client (or a CI) has maintenance windows at all */
    bool outside_window;   /* windows are defined and the change is not inside one */
    bool justified;        /* outside a window with a recorded justification */
    bool in_blackout;      /* overlaps a blackout period (client or global) */
    bool short_notice;     /* planned start is less than the client's notice period ahead */
    double notice_shortfall_hours; /* how much notice is missing (0 when enough) */
    size_t conflicts;      /* overlapping scheduled or in-progress changes on the same or
                              connected CIs, across clients where infrastructure is shared */
};

#endif
