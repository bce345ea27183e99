/*
 * test_calendar.c - core/calendar.c: interval normalisation, "inside a window", overlap
 * (half-open), notice shortfall, and the next-free-slot search with and without windows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/calendar.h"

#include "util/banned.h"

#define H 3600

static void normalize_merges(void **state)
{
    (void)state;
    struct gl_ivlist l = {0};
    gl_ivlist_push(&l, 10 * H, 12 * H, 1);
    gl_ivlist_push(&l, 0, 2 * H, 2);
    gl_ivlist_push(&l, 2 * H, 4 * H, 3); /* touches the previous: merged */
    gl_ivlist_push(&l, 11 * H, 13 * H, 4);
    gl_ivlist_normalize(&l);
    assert_int_equal(l.len, 2);
    assert_int_equal(l.items[0].start, 0);
    assert_int_equal(l.items[0].end, 4 * H);
    assert_int_equal(l.items[1].start, 10 * H);
    assert_int_equal(l.items[1].end, 13 * H);
    gl_ivlist_release(&l);
    gl_ivlist_release(NULL);
}

static void inside_and_overlap(void **state)
{
    (void)state;
    struct gl_ivlist w = {0};
    gl_ivlist_push(&w, 22 * H, 26 * H, 1); /* Saturday 22:00-02:00 */
    gl_ivlist_push(&w, 26 * H, 30 * H, 2); /* and 02:00-06:00: one window once merged */
    gl_ivlist_push(&w, 100 * H, 102 * H, 3);
    gl_ivlist_normalize(&w);
    assert_true(gl_cal_inside(&w, 23 * H, 29 * H));
    assert_true(gl_cal_inside(&w, 22 * H, 30 * H));
    assert_false(gl_cal_inside(&w, 21 * H, 23 * H));
    assert_false(gl_cal_inside(&w, 29 * H, 31 * H));
    assert_false(gl_cal_inside(&w, 50 * H, 51 * H));
    assert_true(gl_cal_inside(&w, 100 * H, 102 * H));
    assert_false(gl_cal_inside(&w, 10 * H, 11 * H));
    struct gl_ivlist none = {0};
    assert_false(gl_cal_inside(&none, 0, H));
    /* Half-open: ending when another starts is no overlap. */
    assert_false(gl_overlaps(0, H, H, 2 * H));
    assert_true(gl_overlaps(0, H + 1, H, 2 * H));
    assert_non_null(gl_cal_first_overlap(&w, 101 * H, 103 * H));
    assert_int_equal(gl_cal_first_overlap(&w, 101 * H, 103 * H)->ref, 3);
    assert_null(gl_cal_first_overlap(&w, 30 * H, 100 * H));
    gl_ivlist_release(&w);
}

static void intersect(void **state)
{
    (void)state;
    struct gl_ivlist a = {0}, b = {0}, out = {0};
    gl_ivlist_push(&a, 0, 10 * H, 1);
    gl_ivlist_push(&a, 20 * H, 30 * H, 2);
    gl_ivlist_push(&b, 5 * H, 25 * H, 3);
    assert_int_equal(gl_ivlist_intersect(&a, &b, &out), 0);
    assert_int_equal(out.len, 2);
    assert_int_equal(out.items[0].start, 5 * H);
    assert_int_equal(out.items[0].end, 10 * H);
    assert_int_equal(out.items[1].start, 20 * H);
    assert_int_equal(out.items[1].end, 25 * H);
    gl_ivlist_release(&out);
    struct gl_ivlist none = {0};
    assert_int_equal(gl_ivlist_intersect(&a, &none, &out), 0);
    assert_int_equal(out.len, 0);
    gl_ivlist_release(&a);
    gl_ivlist_release(&b);
}

static void notice(void **state)
{
    (void)state;
    assert_true(gl_cal_notice_shortfall(0, 48 * H, 48) == 0.0);
    assert_true(gl_cal_notice_shortfall(0, 50 * H, 48) == 0.0);
    assert_true(gl_cal_notice_shortfall(0, 36 * H, 48) == 12.0);
    assert_true(gl_cal_notice_shortfall(0, 90 * 60, 2) == 0.5);
    assert_true(gl_cal_notice_shortfall(10 * H, 0, 0) == 0.0); /* no notice required */
}

static void slots_in_windows(void **state)
{
    (void)state;
    struct gl_ivlist w = {0}, busy = {0};
    /* Windows: [10,14) [34,38) [58,62) [82,86) hours. */
    for (int d = 0; d < 4; d++)
        gl_ivlist_push(&w, (10 + 24 * d) * H, (14 + 24 * d) * H, d + 1);
    gl_ivlist_normalize(&w);
    /* Busy: a blackout covering day 1's window; a change at [58,60) on day 2. */
    gl_ivlist_push(&busy, 30 * H, 40 * H, 0);
    gl_ivlist_push(&busy, 58 * H, 60 * H, 0);
    gl_ivlist_normalize(&busy);
    int64_t out[5];
    /* Earliest 11:00 on day 0: the first slot starts inside the open window. */
    size_t n = gl_cal_slots(&w, true, &busy, 11 * H, 200 * H, 2 * H, out, 5);
    assert_int_equal(n, 3);
    assert_int_equal(out[0], 11 * H);
    assert_int_equal(out[1], 60 * H); /* day 2, after the busy change, still fits */
    assert_int_equal(out[2], 82 * H);
    /* Three hours no longer fit on day 2 after the busy change. */
    n = gl_cal_slots(&w, true, &busy, 11 * H, 200 * H, 3 * H, out, 5);
    assert_int_equal(n, 2);
    assert_int_equal(out[0], 11 * H);
    assert_int_equal(out[1], 82 * H);
    /* The horizon stops the search; max bounds it. */
    assert_int_equal(gl_cal_slots(&w, true, &busy, 11 * H, 70 * H, H, out, 5), 2);
    assert_int_equal(gl_cal_slots(&w, true, &busy, 0, 200 * H, H, out, 1), 1);
    assert_int_equal(out[0], 10 * H);
    /* Longer than every window: nothing. */
    assert_int_equal(gl_cal_slots(&w, true, &busy, 0, 200 * H, 5 * H, out, 5), 0);
    gl_ivlist_release(&w);
    gl_ivlist_release(&busy);
}

static void slots_without_windows(void **state)
{
    (void)state;
    struct gl_ivlist none = {0}, busy = {0};
    gl_ivlist_push(&busy, 2 * H, 5 * H, 0);
    int64_t out[3];
    /* Whole hours from the earliest start, skipping the busy interval. */
    size_t n = gl_cal_slots(&none, false, &busy, H / 2, 100 * H, 2 * H, out, 3);
    assert_int_equal(n, 3);
    assert_int_equal(out[0], 5 * H); /* [1,3) would hit the busy [2,5) */
    assert_int_equal(out[1], 7 * H);
    assert_int_equal(out[2], 9 * H);
    assert_int_equal(gl_cal_slots(&none, false, &busy, 0, 100 * H, 0, out, 3), 0);
    gl_ivlist_release(&busy);
}

static void finding_names(void **state)
{
    (void)state;
    assert_string_equal(gl_finding_kind_name(GL_FINDING_BLACKOUT), "blackout");
    assert_string_equal(gl_finding_kind_name(GL_FINDING_CONFLICT), "conflict");
    assert_string_equal(gl_finding_kind_name((enum gl_finding_kind)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normalize_merges),  cmocka_unit_test(inside_and_overlap),
        cmocka_unit_test(notice), cmocka_unit_test(intersect),            cmocka_unit_test(slots_in_windows),
        cmocka_unit_test(slots_without_windows), cmocka_unit_test(finding_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
