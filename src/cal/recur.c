/*
 * recur.c - recurrence expansion over libical (see recur.h for the DST rules).
 *
 * Invariants: every libical call runs under `ical_lock` (libical's zone tables are built
 * lazily and shared); time-zone names are checked for syntax (gl_timezone_valid) before
 * libical sees them, so a name can never walk out of the zoneinfo directory.
 */
#include "cal/recur.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libical/ical.h>

#include "cal/ical_lock.h"
#include "core/cmdb.h"
#include "util/banned.h"

static pthread_mutex_t ical_lock = PTHREAD_MUTEX_INITIALIZER;
static bool ical_ready;

static void lock(void)
{
    pthread_mutex_lock(&ical_lock);
    if (!ical_ready) {
        /* A malformed RRULE must be an answer, not an abort. */
        icalerror_set_errors_are_fatal(0);
        ical_ready = true;
    }
}

static void unlock(void)
{
    pthread_mutex_unlock(&ical_lock);
}

void gl_ical_lock(void)
{
    lock();
}

void gl_ical_unlock(void)
{
    unlock();
}

/* Under the lock. NULL for an unknown or malformed name. */
static icaltimezone *zone_of(const char *tz)
{
    if (!tz || !gl_timezone_valid(tz))
        return NULL;
    if (strcmp(tz, "UTC") == 0 || strcmp(tz, "Etc/UTC") == 0)
        return icaltimezone_get_utc_timezone();
    return icaltimezone_get_builtin_timezone(tz);
}

bool gl_tz_known(const char *tz)
{
    lock();
    bool ok = zone_of(tz) != NULL;
    unlock();
    return ok;
}

int gl_tz_check(const char *tz, struct gl_error *err)
{
    if (!tz)
        return gl_error_set(err, GL_E_INVALID, "timezone", "a client time zone is required");
    if (!gl_tz_known(tz))
        return gl_error_set(err, GL_E_INVALID, "timezone",
                            "unknown time zone \"%.60s\"; a time zone is an IANA name such as "
                            "\"Europe/London\" or \"UTC\"", tz);
    return 0;
}

/* The number the n ASCII digits at s spell, or -1 when one of them is no digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* "YYYY-MM-DDTHH:MM[:SS]" with digits exactly where shown (no sign, space or short field,
 * which sscanf's %d would let through). */
static int parse_local(const char *s, struct icaltimetype *out)
{
    size_t len = s ? strlen(s) : 0;
    if ((len != 16 && len != 19) || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
        s[13] != ':' || (len == 19 && s[16] != ':'))
        return -1;
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2), h = digits(s + 11, 2),
        mi = digits(s + 14, 2), sec = len == 19 ? digits(s + 17, 2) : 0;
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 ||
        mi > 59 || sec < 0 || sec > 59)
        return -1;
    if (d > icaltime_days_in_month(mo, y))
        return -1;
    *out = icaltime_null_time();
    out->year = y;
    out->month = mo;
    out->day = d;
    out->hour = h;
    out->minute = mi;
    out->second = sec;
    return 0;
}

static bool same_wall(struct icaltimetype a, struct icaltimetype b)
{
    return a.year == b.year && a.month == b.month && a.day == b.day && a.hour == b.hour &&
           a.minute == b.minute && a.second == b.second;
}

/* Under the lock: the UTC offset of zone z in force at UTC instant t. */
static int offset_at(icaltimezone *z, int64_t t)
{
    struct icaltimetype u = icaltime_from_timet_with_zone((time_t)t, 0,
                                                          icaltimezone_get_utc_timezone());
    int dst;
    return icaltimezone_get_utc_offset_of_utc_time(z, &u, &dst);
}

/*
 * Under the lock: local wall time -> UTC with RFC 5545's gap and overlap rules. The
 * candidates are the offsets in force a day before and a day after (tzdata never moves
 * twice in a day): one that maps back to the same wall time is right; two mean an
 * overlap (the earlier instant wins); none means a gap (the offset before it wins).
 */
static int64_t to_utc(struct icaltimetype tt, icaltimezone *z)
{
    tt.is_date = 0;
    tt.zone = NULL;
    int64_t naive = (int64_t)icaltime_as_timet(tt); /* the wall time read as UTC */
    int64_t before = naive - offset_at(z, naive - 86400);
    int64_t after = naive - offset_at(z, naive + 86400);
    bool b_ok = same_wall(icaltime_from_timet_with_zone((time_t)before, 0, z), tt);
    bool a_ok = same_wall(icaltime_from_timet_with_zone((time_t)after, 0, z), tt);
    if (b_ok && a_ok)
        return before < after ? before : after;
    if (a_ok)
        return after;
    return before;
}

int gl_local_to_utc(const char *tz, const char *local, int64_t *out)
{
    struct icaltimetype tt;
    if (parse_local(local, &tt) < 0)
        return -1;
    lock();
    icaltimezone *z = zone_of(tz);
    if (z)
        *out = to_utc(tt, z);
    unlock();
    return z ? 0 : -1;
}

int gl_utc_to_local(const char *tz, int64_t t, char out[GL_LOCAL_TIME_MAX])
{
    lock();
    icaltimezone *z = zone_of(tz);
    struct icaltimetype tt = z ? icaltime_from_timet_with_zone((time_t)t, 0, z) : icaltime_null_time();
    unlock();
    if (!z)
        return -1;
    snprintf(out, GL_LOCAL_TIME_MAX, "%04d-%02d-%02dT%02d:%02d:%02d", tt.year, tt.month, tt.day,
             tt.hour, tt.minute, tt.second);
    return 0;
}

static bool has_rule(const struct gl_recur *r)
{
    return r->rrule && r->rrule[0];
}

/* Under the lock. Parses the rule; 0 or GL_E_INVALID naming "rrule". */
static int parse_rule(const char *text, struct icalrecurrencetype *rule, struct gl_error *err)
{
    if (strlen(text) > 500)
        return gl_error_set(err, GL_E_INVALID, "rrule", "rrule is longer than 500 characters");
    icalerror_clear_errno();
    *rule = icalrecurrencetype_from_string(text);
    if (icalerrno != ICAL_NO_ERROR || rule->freq == ICAL_NO_RECURRENCE)
        return gl_error_set(err, GL_E_INVALID, "rrule",
                            "rrule is not a valid iCalendar RRULE (RFC 5545), e.g. "
                            "FREQ=WEEKLY;BYDAY=SA");
    if (rule->freq == ICAL_SECONDLY_RECURRENCE || rule->freq == ICAL_MINUTELY_RECURRENCE)
        return gl_error_set(err, GL_E_INVALID, "rrule",
                            "rrule repeats more often than hourly; windows and blackouts "
                            "recur hourly at most");
    return 0;
}

/*
 * Under the lock. Walks the occurrences starting at or after `skip_to` (UTC) and before
 * `to`, calling fn with each start; fn returns non-zero to stop. GL_E_TOO_LARGE when more
 * than `max` are visited.
 */
typedef int (*occ_fn)(int64_t start, void *ud);

static int walk(const struct gl_recur *r, icaltimezone *z, struct icalrecurrencetype *rule,
                int64_t skip_to, int64_t to, size_t max, occ_fn fn, void *ud,
                struct gl_error *err)
{
    struct icaltimetype start;
    if (parse_local(r->dtstart, &start) < 0)
        return gl_error_set(err, GL_E_INVALID, "start", "start must be a local time "
                                                        "YYYY-MM-DDTHH:MM");
    /* The rule is expanded on floating wall times and each occurrence converted here:
     * libical's own zone handling carries a DST shift into the following day. */
    start.zone = NULL;
    if (!rule)
        return to_utc(start, z) < to ? fn(to_utc(start, z), ud), 0 : 0;
    /* Bound the rule by the range: libical searches for the next match inside one call,
     * and a rule that can never match (BYMONTHDAY=30 in February only, hourly) would
     * search for centuries; with UNTIL it stops there. A day of margin covers any offset. */
    struct icalrecurrencetype bounded = *rule;
    int64_t until = icaltime_is_null_time(rule->until) ? INT64_MAX
                    : icaltime_is_utc(rule->until)    ? (int64_t)icaltime_as_timet(rule->until)
                                                      : to_utc(rule->until, z);
    if (until > to + 86400) {
        bounded.until = icaltime_from_timet_with_zone((time_t)(to + 86400), 0, z);
        bounded.until.zone = NULL;
        bounded.until.is_date = 0;
    }
    icalrecur_iterator *it = icalrecur_iterator_new(bounded, start);
    if (!it)
        return gl_error_set(err, GL_E_INVALID, "rrule", "rrule cannot be expanded from start");
    /* Jump close to the range instead of stepping from a DTSTART years ago; libical only
     * allows it for rules without COUNT. A day of margin covers any UTC offset. */
    if (rule->count == 0 && skip_to - 86400 > to_utc(start, z)) {
        struct icaltimetype jump = icaltime_from_timet_with_zone((time_t)(skip_to - 86400), 0, z);
        jump.zone = NULL;
        icalrecur_iterator_set_start(it, jump);
    }
    int rc = 0;
    size_t seen = 0;
    for (;;) {
        struct icaltimetype t = icalrecur_iterator_next(it);
        if (icaltime_is_null_time(t))
            break;
        int64_t s = to_utc(t, z);
        if (s >= to)
            break;
        if (s < skip_to)
            continue;
        if (++seen > max) {
            rc = gl_error_set(err, GL_E_TOO_LARGE, "to",
                              "the range holds more than %d occurrences; ask for a shorter "
                              "range",
                              GL_CAL_EXPAND_MAX);
            break;
        }
        if (fn(s, ud))
            break;
    }
    icalrecur_iterator_free(it);
    return rc;
}

struct gap_state {
    int64_t prev, min_gap;
    int n;
};

static int track_gap(int64_t start, void *ud)
{
    struct gap_state *g = ud;
    if (g->n++ && (g->min_gap < 0 || start - g->prev < g->min_gap))
        g->min_gap = start - g->prev;
    g->prev = start;
    return g->n >= 400; /* a year of weekly occurrences shows every pattern that matters */
}

int gl_recur_check(const struct gl_recur *r, struct gl_error *err)
{
    struct icaltimetype tt;
    if (!r->tz || !gl_tz_known(r->tz))
        return gl_error_set(err, GL_E_INVALID, "timezone",
                            "unknown time zone %.60s; use an IANA name such as Europe/London",
                            r->tz ? r->tz : "(none)");
    if (parse_local(r->dtstart, &tt) < 0)
        return gl_error_set(err, GL_E_INVALID, "start",
                            "start must be a local time YYYY-MM-DDTHH:MM (in %.60s)", r->tz);
    if (r->duration <= 0)
        return gl_error_set(err, GL_E_INVALID, "duration", "duration must be positive");
    if (r->duration > (int64_t)GL_CAL_RANGE_MAX_DAYS * 86400)
        return gl_error_set(err, GL_E_INVALID, "duration", "duration must be at most %d days",
                            GL_CAL_RANGE_MAX_DAYS);
    if (!has_rule(r))
        return 0;
    lock();
    struct icalrecurrencetype rule;
    icaltimezone *z = zone_of(r->tz);
    int rc = parse_rule(r->rrule, &rule, err);
    struct gap_state g = {0, -1, 0};
    /* Ten years bound the search for a rule that never matches (e.g. BYMONTHDAY=30 in
     * February only). */
    if (!rc)
        rc = walk(r, z, &rule, INT64_MIN / 2, to_utc(tt, z) + 3653 * INT64_C(86400), SIZE_MAX,
                  track_gap, &g, err);
    unlock();
    if (rc)
        return rc;
    if (g.n == 0)
        return gl_error_set(err, GL_E_INVALID, "rrule", "rrule yields no occurrence");
    if (g.min_gap > 0 && r->duration > g.min_gap)
        return gl_error_set(err, GL_E_INVALID, "duration",
                            "duration (%lld minutes) is longer than the rule's period (%lld "
                            "minutes between occurrences): windows would overlap",
                            (long long)(r->duration / 60), (long long)(g.min_gap / 60));
    return 0;
}

struct push_state {
    struct gl_ivlist *out;
    int64_t from, duration, ref;
    bool oom;
};

static int push_occ(int64_t start, void *ud)
{
    struct push_state *p = ud;
    if (start + p->duration <= p->from)
        return 0;
    if (gl_ivlist_push(p->out, start, start + p->duration, p->ref) < 0) {
        p->oom = true;
        return 1;
    }
    return 0;
}

int gl_recur_expand(const struct gl_recur *r, int64_t from, int64_t to, int64_t ref,
                    struct gl_ivlist *out, struct gl_error *err)
{
    if (to <= from)
        return 0;
    if (to - from > (int64_t)(GL_CAL_RANGE_MAX_DAYS + 1) * 86400)
        return gl_error_set(err, GL_E_TOO_LARGE, "to",
                            "ranges to expand are limited to %d days", GL_CAL_RANGE_MAX_DAYS);
    lock();
    icaltimezone *z = zone_of(r->tz);
    struct icalrecurrencetype rule;
    int rc = 0;
    struct push_state p = {out, from, r->duration, ref, false};
    if (!z)
        rc = gl_error_set(err, GL_E_INVALID, "timezone", "unknown time zone %.60s",
                          r->tz ? r->tz : "(none)");
    else if (has_rule(r) && !(rc = parse_rule(r->rrule, &rule, err)))
        rc = walk(r, z, &rule, from - r->duration, to, GL_CAL_EXPAND_MAX, push_occ, &p, err);
    else if (!rc)
        rc = walk(r, z, NULL, from - r->duration, to, 1, push_occ, &p, err);
    unlock();
    if (!rc && p.oom)
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    return rc;
}

int gl_cal_window_expand(const struct gl_cal_window *w, int64_t from, int64_t to,
                         struct gl_ivlist *out, struct gl_error *err)
{
    struct gl_recur r = {w->rrule, w->start, w->timezone ? w->timezone : "UTC", w->duration};
    return gl_recur_expand(&r, from, to, w->id, out, err);
}

int gl_cal_blackout_expand(const struct gl_cal_blackout *b, int64_t from, int64_t to,
                           struct gl_ivlist *out, struct gl_error *err)
{
    if (!b->rrule || !b->rrule[0]) {
        if (gl_overlaps(b->start, b->end, from, to) &&
            gl_ivlist_push(out, b->start, b->end, b->id) < 0)
            return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
        return 0;
    }
    const char *tz = b->timezone ? b->timezone : "UTC";
    char local[GL_LOCAL_TIME_MAX];
    if (gl_utc_to_local(tz, b->start, local) < 0)
        return gl_error_set(err, GL_E_INVALID, "timezone", "unknown time zone %.60s", tz);
    struct gl_recur r = {b->rrule, local, tz, b->end - b->start};
    return gl_recur_expand(&r, from, to, b->id, out, err);
}
