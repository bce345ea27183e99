/*
 * test_recur.c - cal/recur.c: window expansion across daylight-saving changes in
 * Europe/London, America/New_York and Australia/Sydney (RFC 5545: a start in the
 * spring-forward gap uses the offset before the gap; a start in the fall-back overlap is
 * the first occurrence; durations are elapsed time), local <-> UTC, and the precise
 * refusals of bad recurrences.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cal/recur.h"
#include "core/timefmt.h"

#include "util/banned.h"

static int64_t T(const char *rfc3339)
{
    int64_t t;
    assert_int_equal(gl_time_parse(rfc3339, &t), 0);
    return t;
}

/* The occurrence of a daily 4-hour window starting on the given local day. */
static struct gl_interval daily_on(const char *tz, const char *time, const char *day_utc_from,
                                   const char *day_utc_to)
{
    char start[32];
    snprintf(start, sizeof start, "2026-01-01T%s", time);
    struct gl_recur r = {"FREQ=DAILY", start, tz, 4 * 3600};
    struct gl_ivlist l = {0};
    struct gl_error err;
    assert_int_equal(gl_recur_expand(&r, T(day_utc_from), T(day_utc_to), 7, &l, &err), 0);
    assert_int_equal(l.len, 1);
    struct gl_interval iv = l.items[0];
    assert_int_equal(iv.ref, 7);
    assert_int_equal(iv.end - iv.start, 4 * 3600); /* elapsed, on DST nights too */
    gl_ivlist_release(&l);
    return iv;
}

static void london_dst(void **state)
{
    (void)state;
    /* Spring forward 2026-03-29 01:00 GMT -> 02:00 BST: 02:00 exists (BST). */
    assert_int_equal(daily_on("Europe/London", "02:00", "2026-03-28T12:00:00Z",
                              "2026-03-29T12:00:00Z").start,
                     T("2026-03-29T01:00:00Z"));
    /* The night before: GMT. */
    assert_int_equal(daily_on("Europe/London", "02:00", "2026-03-27T12:00:00Z",
                              "2026-03-28T12:00:00Z").start,
                     T("2026-03-28T02:00:00Z"));
    /* 01:30 does not exist that night: read with the offset before the gap (GMT). */
    assert_int_equal(daily_on("Europe/London", "01:30", "2026-03-28T12:00:00Z",
                              "2026-03-29T12:00:00Z").start,
                     T("2026-03-29T01:30:00Z"));
    /* Fall back 2026-10-25 02:00 BST -> 01:00 GMT: 01:30 happens twice, the first (BST). */
    assert_int_equal(daily_on("Europe/London", "01:30", "2026-10-24T12:00:00Z",
                              "2026-10-25T12:00:00Z").start,
                     T("2026-10-25T00:30:00Z"));
    /* 02:00 that night is after the repeat: GMT. */
    assert_int_equal(daily_on("Europe/London", "02:00", "2026-10-24T12:00:00Z",
                              "2026-10-25T12:00:00Z").start,
                     T("2026-10-25T02:00:00Z"));
}

static void new_york_dst(void **state)
{
    (void)state;
    /* Spring forward 2026-03-08 02:00 EST -> 03:00 EDT: 02:00 is in the gap; it opens at
     * 03:00 EDT, the instant 02:00 EST would have been. */
    assert_int_equal(daily_on("America/New_York", "02:00", "2026-03-08T00:00:00Z",
                              "2026-03-08T20:00:00Z").start,
                     T("2026-03-08T07:00:00Z"));
    /* The next night is an ordinary EDT night. */
    assert_int_equal(daily_on("America/New_York", "02:00", "2026-03-09T00:00:00Z",
                              "2026-03-09T20:00:00Z").start,
                     T("2026-03-09T06:00:00Z"));
    /* Fall back 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 is the first one (EDT). */
    assert_int_equal(daily_on("America/New_York", "01:30", "2026-11-01T00:00:00Z",
                              "2026-11-01T20:00:00Z").start,
                     T("2026-11-01T05:30:00Z"));
    /* 02:00 that night is EST. */
    assert_int_equal(daily_on("America/New_York", "02:00", "2026-11-01T00:00:00Z",
                              "2026-11-01T20:00:00Z").start,
                     T("2026-11-01T07:00:00Z"));
}

static void sydney_dst(void **state)
{
    (void)state;
    /* Fall back 2026-04-05 03:00 AEDT -> 02:00 AEST: 02:00 happens twice, the first
     * (AEDT, +11). */
    assert_int_equal(daily_on("Australia/Sydney", "02:00", "2026-04-04T10:00:00Z",
                              "2026-04-05T10:00:00Z").start,
                     T("2026-04-04T15:00:00Z"));
    /* The next night: AEST (+10). */
    assert_int_equal(daily_on("Australia/Sydney", "02:00", "2026-04-05T10:00:00Z",
                              "2026-04-06T10:00:00Z").start,
                     T("2026-04-05T16:00:00Z"));
    /* Spring forward 2026-10-04 02:00 AEST -> 03:00 AEDT: 02:00 is in the gap; opens at
     * 03:00 AEDT = 16:00Z. */
    assert_int_equal(daily_on("Australia/Sydney", "02:00", "2026-10-03T10:00:00Z",
                              "2026-10-04T10:00:00Z").start,
                     T("2026-10-03T16:00:00Z"));
    assert_int_equal(daily_on("Australia/Sydney", "02:00", "2026-10-04T10:00:00Z",
                              "2026-10-05T10:00:00Z").start,
                     T("2026-10-04T15:00:00Z"));
}

static void local_round_trip(void **state)
{
    (void)state;
    int64_t t;
    char s[GL_LOCAL_TIME_MAX];
    assert_int_equal(gl_local_to_utc("America/New_York", "2026-07-04T12:00", &t), 0);
    assert_int_equal(t, T("2026-07-04T16:00:00Z"));
    assert_int_equal(gl_utc_to_local("America/New_York", t, s), 0);
    assert_string_equal(s, "2026-07-04T12:00:00");
    assert_int_equal(gl_local_to_utc("UTC", "2026-07-04T12:00:30", &t), 0);
    assert_int_equal(t, T("2026-07-04T12:00:30Z"));
    assert_int_equal(gl_local_to_utc("Mars/Olympus", "2026-07-04T12:00", &t), -1);
    assert_int_equal(gl_local_to_utc("UTC", "2026-02-30T12:00", &t), -1);
    assert_int_equal(gl_local_to_utc("UTC", "2026-07-04 12:00", &t), -1);
    assert_int_equal(gl_local_to_utc("../../etc/passwd", "2026-07-04T12:00", &t), -1);
}

/* Local times are exactly YYYY-MM-DDTHH:MM[:SS], digits only: sscanf's %d would also take
 * a space, a sign or fewer digits ("2026- 7-04T12:00", "2026-+7-04T12:00"). */
static void local_time_is_strict(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "2026- 7-04T12:00", "2026-+7-04T12:00", "2026-07- 4T12:00", "2026-07-04T 2:00",
        "2026-07-04T+2:00", "2026-07-04T12: 5", "2026-07-04T12:00: 5", "2026-07-04T12:00:+5",
        " 2026-07-04T12:00", "+2026-07-04T12:00", "2026-07-04T12:00:", "2026-07-04T12:00:5",
        "2026-07-04T12:0", "2026-7-04T12:00", "2026-07-04T12:00Z", "2026-07-04T24:00",
        "1969-12-31T23:00", "",
    };
    int64_t t;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (gl_local_to_utc("UTC", bad[i], &t) != -1)
            fail_msg("accepted local time \"%s\"", bad[i]);
    struct gl_recur r = {"FREQ=WEEKLY", "2026- 1-03T22:00", "UTC", 3600};
    struct gl_error err;
    assert_int_equal(gl_recur_check(&r, &err), GL_E_INVALID);
    assert_string_equal(err.field, "start");
    assert_int_equal(gl_local_to_utc("UTC", "2026-07-04T09:05:07", &t), 0);
    assert_int_equal(t, T("2026-07-04T09:05:07Z"));
    assert_int_equal(gl_local_to_utc("UTC", "9999-12-31T23:59", &t), 0);
}

static void weekly_window_far_from_start(void **state)
{
    (void)state;
    /* Saturdays 22:00 for 6 hours, defined in 2020, expanded over one week of 2026 (the
     * iterator jumps instead of stepping from 2020). 2026-06-06 is a Saturday. */
    struct gl_recur r = {"FREQ=WEEKLY;BYDAY=SA", "2020-01-04T22:00", "Europe/London", 6 * 3600};
    struct gl_ivlist l = {0};
    struct gl_error err;
    assert_int_equal(gl_recur_check(&r, &err), 0);
    assert_int_equal(gl_recur_expand(&r, T("2026-06-01T00:00:00Z"), T("2026-06-08T00:00:00Z"),
                                     1, &l, &err),
                     0);
    assert_int_equal(l.len, 1);
    assert_int_equal(l.items[0].start, T("2026-06-06T21:00:00Z"));
    assert_int_equal(l.items[0].end, T("2026-06-07T03:00:00Z"));
    gl_ivlist_release(&l);
    /* An occurrence that started before the range and runs into it is included. */
    assert_int_equal(gl_recur_expand(&r, T("2026-06-07T01:00:00Z"), T("2026-06-07T02:00:00Z"),
                                     1, &l, &err),
                     0);
    assert_int_equal(l.len, 1);
    gl_ivlist_release(&l);
    /* COUNT bounds the rule: two occurrences only. */
    struct gl_recur c = {"FREQ=WEEKLY;COUNT=2", "2026-06-06T22:00", "UTC", 3600};
    assert_int_equal(gl_recur_expand(&c, T("2026-01-01T00:00:00Z"), T("2026-12-01T00:00:00Z"),
                                     1, &l, &err),
                     0);
    assert_int_equal(l.len, 2);
    gl_ivlist_release(&l);
    /* No rule: one occurrence. */
    struct gl_recur one = {NULL, "2026-06-06T22:00", "UTC", 3600};
    assert_int_equal(gl_recur_expand(&one, T("2026-06-06T00:00:00Z"), T("2026-06-07T00:00:00Z"),
                                     1, &l, &err),
                     0);
    assert_int_equal(l.len, 1);
    gl_ivlist_release(&l);
}

static void expect_invalid(struct gl_recur r, const char *field)
{
    struct gl_error err;
    gl_error_clear(&err);
    assert_int_equal(gl_recur_check(&r, &err), GL_E_INVALID);
    assert_string_equal(err.field, field);
}

static void bad_recurrences(void **state)
{
    (void)state;
    expect_invalid((struct gl_recur){"FREQ=SOMETIMES", "2026-01-03T22:00", "UTC", 3600}, "rrule");
    expect_invalid((struct gl_recur){"FREQ=WEEKLY;BYDAY=XX", "2026-01-03T22:00", "UTC", 3600},
                   "rrule");
    expect_invalid((struct gl_recur){"FREQ=MINUTELY", "2026-01-03T22:00", "UTC", 60}, "rrule");
    expect_invalid((struct gl_recur){"FREQ=WEEKLY", "2026-01-03T22:00", "Europe/Atlantis", 3600},
                   "timezone");
    expect_invalid((struct gl_recur){"FREQ=WEEKLY", "2026-01-03T22:00", NULL, 3600}, "timezone");
    expect_invalid((struct gl_recur){"FREQ=WEEKLY", "2026-13-03T22:00", "UTC", 3600}, "start");
    expect_invalid((struct gl_recur){"FREQ=WEEKLY", "tomorrow", "UTC", 3600}, "start");
    expect_invalid((struct gl_recur){"FREQ=WEEKLY", "2026-01-03T22:00", "UTC", 0}, "duration");
    expect_invalid((struct gl_recur){"FREQ=WEEKLY", "2026-01-03T22:00", "UTC", -60}, "duration");
    /* A rule that can never match is refused promptly: libical would search centuries for
     * an hourly 30 February without the range bound recur.c puts on it. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    expect_invalid((struct gl_recur){"FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30", "2026-01-03T22:00",
                                     "UTC", 1800},
                   "rrule");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 3);
    /* UNTIL before the start: the rule never occurs. */
    expect_invalid((struct gl_recur){"FREQ=WEEKLY;UNTIL=20250101T000000Z", "2026-01-03T22:00",
                                     "UTC", 3600},
                   "rrule");
    /* Longer than the period: daily for 25 hours; weekend days 2 days apart for 26 hours. */
    expect_invalid((struct gl_recur){"FREQ=DAILY", "2026-01-03T22:00", "UTC", 25 * 3600},
                   "duration");
    expect_invalid((struct gl_recur){"FREQ=WEEKLY;BYDAY=SA,MO", "2026-01-03T22:00", "UTC",
                                     49 * 3600},
                   "duration");
    /* Exactly the period is allowed (a continuous window). */
    struct gl_error err;
    struct gl_recur ok = {"FREQ=DAILY", "2026-01-03T22:00", "UTC", 24 * 3600};
    assert_int_equal(gl_recur_check(&ok, &err), 0);
    assert_true(gl_tz_known("Australia/Sydney"));
    assert_false(gl_tz_known("Australia/Atlantis"));
}

static void range_too_large(void **state)
{
    (void)state;
    struct gl_recur r = {"FREQ=HOURLY", "2026-01-01T00:00", "UTC", 1800};
    struct gl_ivlist l = {0};
    struct gl_error err;
    gl_error_clear(&err);
    assert_int_equal(gl_recur_expand(&r, T("2026-01-01T00:00:00Z"), T("2027-06-01T00:00:00Z"),
                                     1, &l, &err),
                     GL_E_TOO_LARGE);
    assert_string_equal(err.field, "to");
    /* A year of hourly occurrences is 8760: under the cap, so it expands. */
    assert_int_equal(gl_recur_expand(&r, T("2026-01-01T00:00:00Z"), T("2027-01-01T00:00:00Z"),
                                     1, &l, &err),
                     0);
    assert_int_equal(l.len, 8760);
    gl_ivlist_release(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(london_dst),
        cmocka_unit_test(new_york_dst),
        cmocka_unit_test(sydney_dst),
        cmocka_unit_test(local_round_trip),
        cmocka_unit_test(local_time_is_strict),
        cmocka_unit_test(weekly_window_far_from_start),
        cmocka_unit_test(bad_recurrences),
        cmocka_unit_test(range_too_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
