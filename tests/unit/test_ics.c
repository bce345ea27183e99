/*
 * test_ics.c - cal/ics.c: a feed rendered with libical survives a strict libical parse
 * (round trip), keeps its stable UIDs, SEQUENCE and UTC times, and malformed text fails
 * the check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libical/ical.h>

#include "cal/ics.h"

#include "util/banned.h"

#define T0 1764064800 /* 2025-11-25T10:00:00Z */

static void round_trip(void **state)
{
    (void)state;
    struct gl_ics_event ev[] = {
        {"CHG-000123@greenlight", "CHG-000123 Patch; the, web\\server", "line one\nline two",
         "change,scheduled", "CONFIRMED", T0, T0 + 7200, 4, false},
        {"window-7-1764064800@greenlight", "Maintenance window", NULL, "window", NULL, T0 + 86400,
         T0 + 90000, 0, true},
    };
    char *text = gl_ics_render("acme", ev, 2, T0);
    assert_non_null(text);
    assert_non_null(strstr(text, "\r\n"));
    size_t n = 0;
    assert_int_equal(gl_ics_check(text, &n), 0);
    assert_int_equal(n, 2);

    icalcomponent *cal = icalparser_parse_string(text);
    assert_non_null(cal);
    icalcomponent *e = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
    assert_string_equal(icalcomponent_get_uid(e), "CHG-000123@greenlight");
    assert_string_equal(icalcomponent_get_summary(e), "CHG-000123 Patch; the, web\\server");
    assert_string_equal(icalcomponent_get_description(e), "line one\nline two");
    assert_int_equal(icalcomponent_get_sequence(e), 4);
    struct icaltimetype s = icalcomponent_get_dtstart(e);
    assert_true(icaltime_is_utc(s));
    assert_int_equal(icaltime_as_timet(s), T0);
    assert_int_equal(icaltime_as_timet(icalcomponent_get_dtend(e)), T0 + 7200);
    e = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT);
    assert_string_equal(icalcomponent_get_uid(e), "window-7-1764064800@greenlight");
    icalcomponent_free(cal);

    /* Rendering the same events again gives the same text: UIDs are stable. */
    char *again = gl_ics_render("acme", ev, 2, T0);
    assert_string_equal(text, again);
    free(again);
    free(text);
}

static void empty_feed(void **state)
{
    (void)state;
    char *text = gl_ics_render("empty", NULL, 0, T0);
    size_t n = 9;
    assert_int_equal(gl_ics_check(text, &n), 0);
    assert_int_equal(n, 0);
    free(text);
}

static void malformed(void **state)
{
    (void)state;
    assert_int_equal(gl_ics_check("hello", NULL), -1);
    /* A VEVENT without UID or DTSTAMP fails. */
    assert_int_equal(gl_ics_check("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
                                  "BEGIN:VEVENT\r\nDTSTART:20260101T000000Z\r\nEND:VEVENT\r\n"
                                  "END:VCALENDAR\r\n",
                                  NULL),
                     -1);
    /* A property libical cannot parse is an error. */
    assert_int_equal(gl_ics_check("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
                                  "BEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20260101T000000Z\r\n"
                                  "DTSTART:notatime\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
                                  NULL),
                     -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(empty_feed),
        cmocka_unit_test(malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
