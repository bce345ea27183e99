/*
 * ics.h - iCalendar (RFC 5545) feeds generated with libical.
 *
 * A feed is one VCALENDAR (METHOD:PUBLISH) of VEVENTs with UTC times. UIDs are the
 * caller's and must be stable (e.g. "CHG-000123@greenlight") so a subscribing calendar
 * replaces an event when its SEQUENCE grows instead of adding a second one.
 */
#ifndef GL_CAL_ICS_H
#define GL_CAL_ICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gl_ics_event {
    const char *uid;
    const char *summary;
    const char *description; /* may be NULL */
    const char *categories;  /* may be NULL, e.g. "change,scheduled" */
    const char *status;      /* "CONFIRMED", "TENTATIVE", "CANCELLED"; NULL = none */
    int64_t start, end;      /* UTC seconds */
    int64_t sequence;
    bool transparent;        /* does not make the time busy (maintenance windows) */
};

/* The feed as text (malloc'd, CRLF lines; free()), or NULL when out of memory. */
char *gl_ics_render(const char *name, const struct gl_ics_event *ev, size_t n, int64_t dtstamp);

/* Strict parse by libical: 0 when text is one VCALENDAR without parse errors (libical's
 * X-LIC-ERROR) and every VEVENT has UID, DTSTAMP and DTSTART; *nevents (may be NULL)
 * receives the number of VEVENTs. -1 otherwise. Used by tests and tools. */
int gl_ics_check(const char *text, size_t *nevents);

#endif
