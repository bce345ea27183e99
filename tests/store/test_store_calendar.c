/*
 * test_store_calendar.c - the calendar in the store: windows and blackouts (audited
 * writes, lists, deletes), the schedule summary the risk score consumes (windows with a
 * CI's overriding the client's, client and global recurring blackouts, notice from now or
 * from the recorded notification, conflicts on the same and connected CIs through shared
 * infrastructure at a depth, implementer double booking), the scheduling write with its
 * record, the calendar's change list and feed tokens.
 *
 * Same fixture and rules as test_store.c: a fresh database per test, only store.h and
 * fixture.h. Clients from add_client are Europe/London with 48 hours' notice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "store/store.h"

#include "util/banned.h"

/* 2030-06-01 is a Saturday; London is on BST (+1) then. */
#define SAT_2200Z INT64_C(1906581600) /* 2030-06-01T22:00:00Z = 23:00 BST */
#define DAY 86400

static int64_t window(struct gl_store *st, int64_t client, int64_t ci, const char *rrule,
                      const char *start, int64_t minutes)
{
    struct gl_write_ctx ctx = wctx(T0, "window.create");
    struct gl_cal_window w = {.client_id = client, .ci_id = ci, .duration = minutes * 60};
    w.rrule = rrule ? strdup(rrule) : NULL;
    w.start = strdup(start);
    struct gl_error err;
    assert_int_equal(st->calendar->window_create(st, &ctx, &w, &err), 0);
    int64_t id = w.id;
    gl_cal_window_release(&w);
    return id;
}

static int64_t blackout(struct gl_store *st, int64_t client, int64_t start, int64_t end,
                        const char *rrule, const char *tz)
{
    struct gl_write_ctx ctx = wctx(T0, "blackout.create");
    struct gl_cal_blackout b = {.client_id = client, .start = start, .end = end};
    b.reason = strdup("freeze");
    b.rrule = rrule ? strdup(rrule) : NULL;
    b.timezone = strdup(tz);
    struct gl_error err;
    assert_int_equal(st->calendar->blackout_create(st, &ctx, &b, &err), 0);
    int64_t id = b.id;
    gl_cal_blackout_release(&b);
    return id;
}

static struct gl_schedule_summary summary_at(struct gl_store *st, int64_t id, int64_t now)
{
    struct gl_change c;
    struct gl_error err;
    struct gl_schedule_summary s;
    assert_int_equal(st->changes->get(st, id, &c, &err), 0);
    assert_int_equal(st->calendar->schedule_summary(st, &c, now, &s, &err), 0);
    gl_change_release(&c);
    return s;
}

static int64_t change_on(struct gl_store *st, int64_t client, int64_t ci, int64_t start,
                         int64_t end, enum gl_change_state state)
{
    struct spec s = {.client = client, .type = GL_TYPE_NORMAL, .state = state, .ci = ci,
                     .start = start, .end = end};
    return add_change(st, &s);
}

static void test_window_crud(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    int64_t k = add_client(st, "acme");
    size_t n0 = audit_count(st);
    int64_t w = window(st, k, 0, "FREQ=WEEKLY;BYDAY=SA", "2026-01-03T22:00:00", 240);
    assert_int_equal(audit_count(st), n0 + 1);
    struct gl_cal_window got;
    struct gl_error err;
    assert_int_equal(st->calendar->window_get(st, w, &got, &err), 0);
    assert_string_equal(got.client_key, "acme");
    assert_string_equal(got.timezone, "Europe/London");
    assert_string_equal(got.rrule, "FREQ=WEEKLY;BYDAY=SA");
    assert_int_equal(got.duration, 240 * 60);
    gl_cal_window_release(&got);
    struct gl_cal_window_list l;
    assert_int_equal(st->calendar->window_list(st, k, &l, &err), 0);
    assert_int_equal(l.len, 1);
    gl_cal_window_list_release(&l);
    struct gl_write_ctx ctx = wctx(T0, "window.delete");
    assert_int_equal(st->calendar->window_delete(st, &ctx, w, &err), 0);
    assert_int_equal(st->calendar->window_delete(st, &ctx, w, &err), GL_E_NOT_FOUND);
    assert_int_equal(st->calendar->window_get(st, w, &got, &err), GL_E_NOT_FOUND);
    assert_int_equal(audit_count(st), n0 + 2);
    assert_int_equal(verify_chain(st), audit_count(st));
}

static void test_windows_and_ci_override(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    int64_t k = add_client(st, "acme");
    int64_t web = add_ci(st, k, "web", "server"), db = add_ci(st, k, "db", "database");
    int64_t now = SAT_2200Z - 30 * DAY;
    int64_t a = change_on(st, k, web, SAT_2200Z, SAT_2200Z + 3600, GL_STATE_APPROVED);
    struct gl_schedule_summary s = summary_at(st, a, now);
    assert_true(s.planned);
    assert_false(s.windows_defined);
    assert_false(s.outside_window);
    /* Saturdays 22:00-02:00 London time: 21:00Z-01:00Z in summer. */
    window(st, k, 0, "FREQ=WEEKLY;BYDAY=SA", "2026-01-03T22:00", 240);
    s = summary_at(st, a, now);
    assert_true(s.windows_defined);
    assert_false(s.outside_window);
    int64_t late = change_on(st, k, web, SAT_2200Z + 3 * 3600, SAT_2200Z + 4 * 3600,
                             GL_STATE_APPROVED);
    assert_true(summary_at(st, late, now).outside_window);
    /* db gets its own window (Sundays 03:00-05:00 London): it no longer follows the
     * client's, so a change on db on Saturday night is outside. */
    window(st, k, db, "FREQ=WEEKLY;BYDAY=SU", "2026-01-04T03:00", 120);
    int64_t on_db = change_on(st, k, db, SAT_2200Z, SAT_2200Z + 3600, GL_STATE_APPROVED);
    assert_true(summary_at(st, on_db, now).outside_window);
    /* Sunday 02:00Z = 03:00 BST: inside db's own window. */
    int64_t on_db_sun = change_on(st, k, db, SAT_2200Z + 4 * 3600, SAT_2200Z + 5 * 3600,
                                  GL_STATE_APPROVED);
    assert_false(summary_at(st, on_db_sun, now).outside_window);
    /* The web change still follows the client's window. */
    assert_false(summary_at(st, a, now).outside_window);
    /* Unplanned: nothing else is set. */
    int64_t none = change_on(st, k, web, GL_TIME_UNSET, GL_TIME_UNSET, GL_STATE_DRAFT);
    s = summary_at(st, none, now);
    assert_false(s.planned);
    assert_false(s.windows_defined);
}

static void test_blackouts(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    int64_t k = add_client(st, "acme"), other = add_client(st, "other");
    int64_t ci = add_ci(st, k, "web", "server");
    int64_t now = SAT_2200Z - 30 * DAY;
    int64_t a = change_on(st, k, ci, SAT_2200Z, SAT_2200Z + 3600, GL_STATE_APPROVED);
    assert_false(summary_at(st, a, now).in_blackout);
    /* Another client's blackout does not apply. */
    blackout(st, other, SAT_2200Z - DAY, SAT_2200Z + DAY, NULL, "UTC");
    assert_false(summary_at(st, a, now).in_blackout);
    /* A global yearly blackout first defined in 2026 on 1 June: hits 2030. */
    blackout(st, 0, INT64_C(1780272000), INT64_C(1780272000) + 2 * DAY, "FREQ=YEARLY", "UTC");
    struct gl_change c;
    struct gl_error err;
    struct gl_cal_check k2;
    assert_int_equal(st->changes->get(st, a, &c, &err), 0);
    assert_int_equal(st->calendar->schedule_check(st, &c, now, GL_TIME_UNSET, 2, &k2, &err), 0);
    assert_true(k2.sum.in_blackout);
    assert_int_equal(k2.nblackouts, 1);
    assert_true(k2.blackouts[0].global);
    assert_string_equal(k2.blackouts[0].reason, "freeze");
    assert_int_equal(k2.blackouts[0].start, INT64_C(1906502400)); /* 2030-06-01T00:00Z */
    gl_cal_check_release(&k2);
    gl_change_release(&c);
    struct gl_cal_blackout_list l;
    assert_int_equal(st->calendar->blackout_list(st, k, true, &l, &err), 0);
    assert_int_equal(l.len, 1); /* the global one; not the other client's */
    gl_cal_blackout_list_release(&l);
    assert_int_equal(st->calendar->blackout_list(st, other, false, &l, &err), 0);
    assert_int_equal(l.len, 1);
    gl_cal_blackout_list_release(&l);
}

static void test_notice_and_record(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    int64_t k = add_client(st, "acme");
    int64_t ci = add_ci(st, k, "web", "server");
    int64_t a = change_on(st, k, ci, SAT_2200Z, SAT_2200Z + 3600, GL_STATE_APPROVED);
    struct gl_schedule_summary s = summary_at(st, a, SAT_2200Z - 10 * 3600);
    assert_true(s.short_notice);
    assert_true(s.notice_shortfall_hours > 37.99 && s.notice_shortfall_hours < 38.01);
    assert_false(summary_at(st, a, SAT_2200Z - 48 * 3600).short_notice);
    /* Scheduled with a record: notice counts from the recorded notification, whatever
     * `now` is later; the justification is kept. */
    struct gl_change before, after;
    struct gl_error err;
    assert_int_equal(st->changes->get(st, a, &before, &err), 0);
    gl_change_init(&after);
    assert_int_equal(gl_change_copy(&after, &before), 0);
    after.state = GL_STATE_SCHEDULED;
    size_t n0 = audit_count(st);
    struct gl_write_ctx ctx = wctx(SAT_2200Z - 72 * 3600, "change.schedule");
    struct gl_schedule_record rec = {SAT_2200Z - 72 * 3600, "vendor", "outside_window", "[]"};
    assert_int_equal(st->calendar->schedule_write(st, &ctx, &before, &after, &rec, &err), 0);
    assert_int_equal(audit_count(st), n0 + 2); /* the change's event and the findings */
    assert_int_equal(verify_chain(st), audit_count(st));
    s = summary_at(st, a, SAT_2200Z - 3600);
    assert_false(s.short_notice);
    struct gl_cal_check kc;
    assert_int_equal(
        st->calendar->schedule_check(st, &after, SAT_2200Z, GL_TIME_UNSET, 2, &kc, &err), 0);
    assert_string_equal(kc.justification, "vendor");
    assert_int_equal(kc.notified_at, SAT_2200Z - 72 * 3600);
    gl_cal_check_release(&kc);
    /* A stale write is refused and leaves the record as it was. */
    after.planned_start += 60;
    assert_int_equal(st->calendar->schedule_write(st, &ctx, &before, &after, &rec, &err),
                     GL_E_STALE);
    gl_change_release(&before);
    gl_change_release(&after);
}

static int relate(struct gl_store *st, int64_t from, int64_t to)
{
    struct gl_write_ctx ctx = wctx(T0, "ci.relate");
    struct gl_ci_relation r = {.from_ci = from, .to_ci = to, .kind = GL_REL_DEPENDS_ON};
    struct gl_error err;
    return st->cis->relation_add(st, &ctx, &r, &err);
}

static void test_conflicts_through_shared_ci(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    int64_t a = add_client(st, "a"), b = add_client(st, "b");
    int64_t a1 = add_ci(st, a, "a1", "server"), b1 = add_ci(st, b, "b1", "server");
    int64_t san = add_ci(st, 0, "san", "storage");
    assert_int_equal(relate(st, a1, san), 0);
    assert_int_equal(relate(st, b1, san), 0);
    int64_t now = SAT_2200Z - 30 * DAY;
    int64_t theirs = change_on(st, b, b1, SAT_2200Z - 1800, SAT_2200Z + 1800,
                               GL_STATE_SCHEDULED);
    change_on(st, b, b1, SAT_2200Z, SAT_2200Z + 3600, GL_STATE_DRAFT);      /* not counted */
    change_on(st, b, b1, SAT_2200Z + 3600, SAT_2200Z + 7200, GL_STATE_SCHEDULED); /* later */
    int64_t mine = change_on(st, a, a1, SAT_2200Z, SAT_2200Z + 3600, GL_STATE_APPROVED);
    assert_int_equal(summary_at(st, mine, now).conflicts, 1);
    struct gl_change c;
    struct gl_error err;
    struct gl_cal_check k;
    assert_int_equal(st->changes->get(st, mine, &c, &err), 0);
    assert_int_equal(st->calendar->schedule_check(st, &c, now, GL_TIME_UNSET, 2, &k, &err), 0);
    assert_int_equal(k.nconflicts, 1);
    assert_int_equal(k.conflicts[0].change_id, theirs);
    assert_int_equal(k.conflicts[0].ci_id, b1);
    assert_int_equal(k.conflicts[0].path_len, 3);
    assert_int_equal(k.conflicts[0].path[0], a1);
    assert_int_equal(k.conflicts[0].path[1], san);
    assert_int_equal(k.conflicts[0].path[2], b1);
    assert_true(k.conflicts[0].shared);
    gl_cal_check_release(&k);
    /* Depth 1 reaches the SAN but not b1. */
    assert_int_equal(st->calendar->schedule_check(st, &c, now, GL_TIME_UNSET, 1, &k, &err), 0);
    assert_int_equal(k.sum.conflicts, 0);
    gl_cal_check_release(&k);
    assert_int_equal(st->calendar->schedule_check(st, &c, now, GL_TIME_UNSET, 9, &k, &err),
                     GL_E_INVALID);
    /* A change on the SAN itself conflicts at depth 1 (path of two). */
    change_on(st, b, san, SAT_2200Z, SAT_2200Z + 600, GL_STATE_IN_PROGRESS);
    assert_int_equal(st->calendar->schedule_check(st, &c, now, GL_TIME_UNSET, 1, &k, &err), 0);
    assert_int_equal(k.sum.conflicts, 1);
    assert_int_equal(k.conflicts[0].path_len, 2);
    gl_cal_check_release(&k);
    gl_change_release(&c);
}

/* Past SQ_CAL_BY_CI_MAX CIs in the connected set the store finds conflicts time-first
 * instead of CI by CI: the answer, path included, is the same. */
static void test_conflicts_in_a_large_set(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    int64_t a = add_client(st, "a"), b = add_client(st, "b");
    int64_t a1 = add_ci(st, a, "a1", "server"), b1 = add_ci(st, b, "b1", "server");
    int64_t san = add_ci(st, 0, "san", "storage");
    assert_int_equal(relate(st, a1, san), 0);
    assert_int_equal(relate(st, b1, san), 0);
    int64_t far = 0;
    for (int i = 0; i < 80; i++) { /* 80 more CIs on the SAN: a set of 83 at depth 2 */
        char name[16];
        snprintf(name, sizeof name, "vm%d", i);
        far = add_ci(st, i % 2 ? a : b, name, "server");
        assert_int_equal(relate(st, far, san), 0);
    }
    int64_t now = SAT_2200Z - 30 * DAY;
    int64_t theirs = change_on(st, b, b1, SAT_2200Z - 1800, SAT_2200Z + 1800,
                               GL_STATE_SCHEDULED);
    change_on(st, b, b1, SAT_2200Z + 3600, SAT_2200Z + 7200, GL_STATE_SCHEDULED); /* later */
    int64_t also = change_on(st, a, far, SAT_2200Z + 600, SAT_2200Z + 900, GL_STATE_IN_PROGRESS);
    int64_t mine = change_on(st, a, a1, SAT_2200Z, SAT_2200Z + 3600, GL_STATE_APPROVED);
    struct gl_change c;
    struct gl_error err;
    struct gl_cal_check k;
    assert_int_equal(st->changes->get(st, mine, &c, &err), 0);
    assert_int_equal(st->calendar->schedule_check(st, &c, now, GL_TIME_UNSET, 2, &k, &err), 0);
    assert_int_equal(k.nconflicts, 2);
    for (size_t i = 0; i < k.nconflicts; i++) {
        const struct gl_cal_conflict *x = &k.conflicts[i];
        assert_true(x->change_id == theirs || x->change_id == also);
        assert_int_equal(x->ci_id, x->change_id == theirs ? b1 : far);
        assert_int_equal(x->path_len, 3);
        assert_int_equal(x->path[0], a1);
        assert_int_equal(x->path[1], san);
        assert_true(x->shared);
    }
    gl_cal_check_release(&k);
    gl_change_release(&c);
    assert_int_equal(summary_at(st, mine, now).conflicts, 2);
}

static void test_implementer_double_booking(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    int64_t a = add_client(st, "a");
    int64_t x = add_ci(st, a, "x", "server"), y = add_ci(st, a, "y", "server");
    int64_t other = change_on(st, a, y, SAT_2200Z, SAT_2200Z + 3600, GL_STATE_SCHEDULED);
    int64_t mine = change_on(st, a, x, SAT_2200Z, SAT_2200Z + 3600, GL_STATE_APPROVED);
    struct gl_change c, o, o2;
    struct gl_error err;
    assert_int_equal(st->changes->get(st, other, &o, &err), 0);
    gl_change_init(&o2);
    assert_int_equal(gl_change_copy(&o2, &o), 0);
    assert_int_equal(gl_change_set_str(&o2.implementer, "bob"), 0);
    struct gl_write_ctx ctx = wctx(T0, "change.update");
    assert_int_equal(st->changes->update(st, &ctx, &o, &o2, &err), 0);
    assert_int_equal(st->changes->get(st, mine, &c, &err), 0);
    assert_int_equal(gl_change_set_str(&c.implementer, "bob"), 0);
    struct gl_cal_check k;
    assert_int_equal(st->calendar->schedule_check(st, &c, T0, GL_TIME_UNSET, 2, &k, &err), 0);
    assert_int_equal(k.nconflicts, 1);
    assert_true(k.conflicts[0].implementer);
    assert_int_equal(k.conflicts[0].ci_id, 0);
    assert_int_equal(k.sum.conflicts, 0); /* CI conflicts only feed the risk count */
    gl_cal_check_release(&k);
    gl_change_release(&c);
    gl_change_release(&o);
    gl_change_release(&o2);
}

static void test_cal_changes_and_scope(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    int64_t a = add_client(st, "a"), b = add_client(st, "b");
    int64_t in = change_on(st, a, 0, SAT_2200Z, SAT_2200Z + 3600, GL_STATE_SCHEDULED);
    change_on(st, a, 0, SAT_2200Z, SAT_2200Z + 3600, GL_STATE_DRAFT);
    change_on(st, a, 0, SAT_2200Z + 10 * DAY, SAT_2200Z + 10 * DAY + 60, GL_STATE_SCHEDULED);
    int64_t theirs = change_on(st, b, 0, SAT_2200Z, SAT_2200Z + 3600, GL_STATE_APPROVED);
    struct gl_cal_change_list l;
    struct gl_error err;
    assert_int_equal(st->calendar->changes(st, NULL, a, SAT_2200Z - DAY, SAT_2200Z + DAY, &l, &err),
                     0);
    assert_int_equal(l.len, 1);
    assert_int_equal(l.items[0].id, in);
    assert_string_equal(l.items[0].client_key, "a");
    gl_cal_change_list_release(&l);
    int64_t only_b[] = {b};
    struct gl_scope scope = {.all = false, .client_ids = only_b, .n = 1};
    assert_int_equal(
        st->calendar->changes(st, &scope, 0, SAT_2200Z - DAY, SAT_2200Z + DAY, &l, &err), 0);
    assert_int_equal(l.len, 1);
    assert_int_equal(l.items[0].id, theirs);
    gl_cal_change_list_release(&l);
}

static void test_feed_tokens(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    int64_t k = add_client(st, "acme");
    struct gl_user u, u2;
    struct gl_error err;
    gl_user_init(&u);
    gl_user_init(&u2);
    u.name = strdup("viewer");
    u2.name = strdup("other");
    struct gl_write_ctx ctx = wctx(T0, "user.create");
    assert_int_equal(st->auth->user_create(st, &ctx, &u, &err), 0);
    assert_int_equal(st->auth->user_create(st, &ctx, &u2, &err), 0);
    unsigned char hash[32];
    memset(hash, 7, sizeof hash);
    int64_t id;
    ctx = wctx(T0, "feed_token.create");
    assert_int_equal(st->auth->feed_token_create(st, &ctx, u.id, k, hash, &id, &err), 0);
    struct gl_user who;
    int64_t client = -1;
    gl_user_init(&who);
    assert_int_equal(st->auth->feed_token_lookup(st, hash, &who, &client, &err), 0);
    assert_string_equal(who.name, "viewer");
    assert_int_equal(client, k);
    gl_user_release(&who);
    struct gl_feed_token_list l;
    assert_int_equal(st->auth->feed_token_list(st, u.id, &l, &err), 0);
    assert_int_equal(l.len, 1);
    assert_string_equal(l.items[0].client_key, "acme");
    assert_int_equal(l.items[0].revoked_at, GL_TIME_UNSET);
    gl_feed_token_list_release(&l);
    ctx = wctx(T0, "feed_token.revoke");
    assert_int_equal(st->auth->feed_token_revoke(st, &ctx, id, u2.id, &err), GL_E_NOT_FOUND);
    assert_int_equal(st->auth->feed_token_revoke(st, &ctx, id, u.id, &err), 0);
    gl_user_init(&who);
    assert_int_equal(st->auth->feed_token_lookup(st, hash, &who, &client, &err), GL_E_UNAUTHORIZED);
    gl_user_release(&who);
    gl_user_release(&u);
    gl_user_release(&u2);
    assert_int_equal(verify_chain(st), audit_count(st));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_window_crud, setup, teardown),
        cmocka_unit_test_setup_teardown(test_windows_and_ci_override, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blackouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notice_and_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflicts_through_shared_ci, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflicts_in_a_large_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_implementer_double_booking, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cal_changes_and_scope, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feed_tokens, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
