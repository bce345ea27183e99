/*
 * recur.h - maintenance windows and blackouts as iCalendar recurrences, expanded to UTC
 * intervals with libical in an IANA time zone.
 *
 * A recurrence is a local wall-clock start (DTSTART, "YYYY-MM-DDTHH:MM[:SS]" in `tz`), an
 * optional RRULE (RFC 5545; none = one occurrence) and a duration in elapsed seconds.
 *
 * Daylight saving (RFC 5545 section 3.3.5, which libical follows and this module enforces):
 *  - a local start that does not exist (the spring-forward gap) is read with the UTC
 *    offset before the gap: a 02:00 window on America/New_York's spring-forward night
 *    opens at 03:00 EDT (07:00Z), the instant 02:00 EST would have been;
 *  - a local start that occurs twice (the fall-back overlap) means the first of the two:
 *    a 01:30 window on New York's fall-back night opens at 01:30 EDT (05:30Z);
 *  - the duration is elapsed time, so a 4-hour window is 4 real hours on both nights (it
 *    ends at 05:00 or 07:00 local wall time on those nights accordingly).
 *
 * This module reads the system's zoneinfo (through libical), so it lives outside the pure
 * core. It is thread-safe: every libical call is serialised by one lock, because libical's
 * lazily built time-zone tables are shared.
 */
#ifndef GL_CAL_RECUR_H
#define GL_CAL_RECUR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/calendar.h"
#include "core/error.h"

struct gl_recur {
    const char *rrule;   /* NULL or "" = a single occurrence */
    const char *dtstart; /* local wall time in tz */
    const char *tz;      /* IANA zone name, e.g. "Europe/London" */
    int64_t duration;    /* seconds, > 0 */
};

#define GL_LOCAL_TIME_MAX 20 /* "YYYY-MM-DDTHH:MM:SS" + NUL */

/* Whether tz names a zone libical (the system's zoneinfo) knows; "UTC" always. */
bool gl_tz_known(const char *tz);
/* A client's time zone as the calendar will read it: 0 when gl_tz_known, else GL_E_INVALID
 * with field "timezone" and a detail naming the zone (NULL: "a time zone is required").
 * Syntax alone (core/cmdb.h gl_timezone_valid) lets "Mars/Base" through; this does not. */
int gl_tz_check(const char *tz, struct gl_error *err);

/*
 * Checks a recurrence: zone known (field "timezone"), start a valid local time ("start"),
 * RRULE parseable and not finer than hourly ("rrule"), duration > 0 and not longer than
 * the shortest gap between consecutive occurrences ("duration"). Returns 0 or GL_E_INVALID
 * with err->field set.
 */
int gl_recur_check(const struct gl_recur *r, struct gl_error *err);

/*
 * Appends to out every occurrence [s, s + duration) that overlaps [from, to), tagged with
 * ref. Refuses (GL_E_TOO_LARGE, field "to") a range longer than GL_CAL_RANGE_MAX_DAYS
 * plus one day or more than GL_CAL_EXPAND_MAX occurrences, rather than cutting the list.
 * The recurrence must have passed gl_recur_check (GL_E_INVALID otherwise).
 */
int gl_recur_expand(const struct gl_recur *r, int64_t from, int64_t to, int64_t ref,
                    struct gl_ivlist *out, struct gl_error *err);

/* The occurrences of a stored window (in its timezone) or blackout (one-off, or its
 * rule repeating from its start in its timezone) overlapping [from, to), appended to out
 * with ref = the record's id. Same limits as gl_recur_expand. */
int gl_cal_window_expand(const struct gl_cal_window *w, int64_t from, int64_t to,
                         struct gl_ivlist *out, struct gl_error *err);
int gl_cal_blackout_expand(const struct gl_cal_blackout *b, int64_t from, int64_t to,
                           struct gl_ivlist *out, struct gl_error *err);

/* Local wall time in tz -> UTC seconds (DST rules above); 0 or -1 (bad time or zone). */
int gl_local_to_utc(const char *tz, const char *local, int64_t *out);
/* UTC seconds -> "YYYY-MM-DDTHH:MM:SS" in tz; 0 or -1 (unknown zone). */
int gl_utc_to_local(const char *tz, int64_t t, char out[GL_LOCAL_TIME_MAX]);

#endif
