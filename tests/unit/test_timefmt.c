/*
 * test_timefmt.c - unit tests of RFC 3339 parsing and formatting (src/core/timefmt.c).
 * Expected epoch values were computed independently (Python calendar.timegm).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/timefmt.h"

#include "util/banned.h"

static int64_t parse_ok(const char *s)
{
    int64_t t = -1;
    if (gl_time_parse(s, &t) != 0)
        fail_msg("refused \"%s\"", s);
    return t;
}

static void test_parse_utc(void **state)
{
    assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(parse_ok("2026-11-25T12:00:00Z"), 1795608000);
    assert_int_equal(parse_ok("2000-01-01T00:00:00Z"), 946684800);
    assert_int_equal(parse_ok("2038-01-19T03:14:08Z"), 2147483648LL);
    assert_int_equal(parse_ok("9999-12-31T23:59:59Z"), 253402300799LL);
    assert_int_equal(parse_ok("2026-11-25t12:00:00z"), 1795608000);
}

static void test_parse_offsets(void **state)
{
    assert_int_equal(parse_ok("2026-11-25T13:00:00+01:00"), 1795608000);
    assert_int_equal(parse_ok("2026-11-25T07:00:00-05:00"), 1795608000);
    assert_int_equal(parse_ok("2026-11-25T17:45:00+05:45"), 1795608000);
    assert_int_equal(parse_ok("2026-11-25T12:00:00+00:00"), 1795608000);
    assert_int_equal(parse_ok("2026-11-25T12:00:00-00:00"), 1795608000);
    /* An offset may move the instant across a day and a year boundary. */
    assert_int_equal(parse_ok("2026-12-31T23:30:00-01:00"), parse_ok("2027-01-01T00:30:00Z"));
    assert_int_equal(parse_ok("2027-01-01T00:30:00+02:00"), parse_ok("2026-12-31T22:30:00Z"));
}

static void test_parse_fractional_truncates(void **state)
{
    assert_int_equal(parse_ok("2026-11-25T12:00:00.999Z"), 1795608000);
    assert_int_equal(parse_ok("2026-11-25T12:00:00.5+01:00"), 1795608000 - 3600);
    assert_int_equal(parse_ok("2026-11-25T12:00:00.123456789Z"), 1795608000);
    assert_int_equal(parse_ok("2026-11-25T12:00:00.0Z"), 1795608000);
}

static void test_parse_leap_years(void **state)
{
    assert_int_equal(parse_ok("2024-02-29T00:00:00Z"), 1709164800);
    assert_int_equal(parse_ok("2000-02-29T00:00:00Z"), 951782400);
    assert_int_equal(parse_ok("2024-03-01T00:00:00Z") - parse_ok("2024-02-28T00:00:00Z"),
                     2 * 86400);
    assert_int_equal(parse_ok("2023-03-01T00:00:00Z") - parse_ok("2023-02-28T00:00:00Z"), 86400);
    assert_int_equal(parse_ok("2024-12-31T00:00:00Z"), 1735603200);

    int64_t t;
    assert_int_equal(gl_time_parse("2023-02-29T00:00:00Z", &t), -1);
    assert_int_equal(gl_time_parse("1900-02-29T00:00:00Z", &t), -1); /* also before 1970 */
    assert_int_equal(gl_time_parse("2100-02-29T00:00:00Z", &t), -1);
    assert_int_equal(gl_time_parse("2400-02-29T00:00:00Z", &t), 0);
}

static void test_parse_rejects_invalid_fields(void **state)
{
    const char *bad[] = {
        "2026-13-01T00:00:00Z",      "2026-00-10T00:00:00Z",      "2026-02-30T00:00:00Z",
        "2026-04-31T00:00:00Z",      "2026-01-32T00:00:00Z",      "2026-01-00T00:00:00Z",
        "2026-01-01T24:00:00Z",      "2026-01-01T23:60:00Z",      "2026-01-01T23:59:60Z",
        "2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00+01:60", "1969-12-31T23:59:59Z",
        "1970-01-01T00:30:00+01:00", "0000-01-01T00:00:00Z",      "9999-12-31T23:00:00-05:00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t t = 77;
        if (gl_time_parse(bad[i], &t) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(t, 77);
    }
}

static void test_parse_rejects_other_forms(void **state)
{
    const char *bad[] = {
        "",
        "2026-11-25",
        "2026-11-25T12:00:00",
        "2026-11-25 12:00:00Z",
        "2026-11-25T12:00Z",
        "2026-11-25T12:00:00.Z",
        "2026-11-25T12:00:00ZZ",
        "2026-11-25T12:00:00Z ",
        " 2026-11-25T12:00:00Z",
        "2026-11-25T12:00:00+0100",
        "2026-11-25T12:00:00+01",
        "2026-11-25T12:00:00+1:00",
        "26-11-25T12:00:00Z",
        "2026-1-25T12:00:00Z",
        "2026/11/25T12:00:00Z",
        "20261125T120000Z",
        "+2026-11-25T12:00:00Z",
        "2026-11-25T12:00:00UTC",
        "2026-11-25T1a:00:00Z",
        "1795608000",
        "now",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t t;
        if (gl_time_parse(bad[i], &t) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    int64_t t;
    assert_int_equal(gl_time_parse(NULL, &t), -1);
}

static void check_format(int64_t t, const char *want)
{
    char buf[GL_TIME_STR_MAX];
    gl_time_format(t, buf);
    assert_string_equal(buf, want);
}

static void test_format(void **state)
{
    check_format(0, "1970-01-01T00:00:00Z");
    check_format(1795608000, "2026-11-25T12:00:00Z");
    check_format(1709164800, "2024-02-29T00:00:00Z");
    check_format(951782399, "2000-02-28T23:59:59Z");
    check_format(1735689599, "2024-12-31T23:59:59Z");
    check_format(253402300799LL, "9999-12-31T23:59:59Z");
}

static void test_format_clamps_out_of_range(void **state)
{
    check_format(-1, "1970-01-01T00:00:00Z");
    check_format(INT64_MIN, "1970-01-01T00:00:00Z");
    check_format(INT64_MAX, "9999-12-31T23:59:59Z");
}

static void test_round_trip_every_day_boundary_sample(void **state)
{
    /* One sample every 7 days and 13 hours over 1970..2200, crossing every month kind. */
    for (int64_t t = 0; t < 7258118400LL; t += 7 * 86400 + 13 * 3600 + 17) {
        char buf[GL_TIME_STR_MAX];
        int64_t back = -1;
        gl_time_format(t, buf);
        assert_int_equal(gl_time_parse(buf, &back), 0);
        assert_true(back == t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_utc),
        cmocka_unit_test(test_parse_offsets),
        cmocka_unit_test(test_parse_fractional_truncates),
        cmocka_unit_test(test_parse_leap_years),
        cmocka_unit_test(test_parse_rejects_invalid_fields),
        cmocka_unit_test(test_parse_rejects_other_forms),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_clamps_out_of_range),
        cmocka_unit_test(test_round_trip_every_day_boundary_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
