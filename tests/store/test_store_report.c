/*
 * test_store_report.c - the client report's reads (store.h, client_report): which changes
 * a period takes (planned or actual window, an open actual window), their order, the
 * approval decisions and documentation links that come with them, tenant separation,
 * and the bound on the number of changes.
 *
 * Same fixture and rules as test_store.c: a fresh database per test, only store.h and
 * fixture.h (raw SQL only through backend_raw_exec, for bulk rows and actual times).
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

#define DAY (24 * HOUR)

/* An audited update of change id with `action` and `reason` (as a lifecycle step is). */
static void touch(struct gl_store *st, int64_t id, const char *action, const char *reason)
{
    struct gl_change before, after;
    struct gl_error err;
    struct gl_write_ctx ctx = wctx(T0 + HOUR, action);
    ctx.reason = reason;
    assert_int_equal(st->changes->get(st, id, &before, &err), 0);
    assert_int_equal(st->changes->get(st, id, &after, &err), 0);
    assert_int_equal(st->changes->update(st, &ctx, &before, &after, &err), 0);
    gl_change_release(&before);
    gl_change_release(&after);
}

static int64_t add_doc(struct gl_store *st, int64_t client, int64_t ci)
{
    struct gl_document d;
    struct gl_doc_version v = {0};
    struct gl_error err;
    struct gl_write_ctx ctx = wctx(T0, "document.create");
    gl_document_init(&d);
    d.client_id = client;
    d.ci_id = ci;
    d.title = strdup("Runbook");
    v.body = "text\n";
    v.author = "alice";
    assert_int_equal(st->docs->create(st, &ctx, &d, &v, &err), 0);
    int64_t id = d.id;
    gl_document_release(&d);
    return id;
}

static void test_report_period_order_approvals_docs(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    int64_t a = add_client(st, "acme"), b = add_client(st, "beta");
    int64_t ci = add_ci(st, a, "web", "server");
    int64_t from = T0 + 10 * DAY, to = T0 + 20 * DAY;
    int64_t late = add_change(st, &(struct spec){.client = a, .state = GL_STATE_SCHEDULED,
                                                 .start = from + 5 * DAY, .end = from + 6 * DAY});
    int64_t early = add_change(st, &(struct spec){.client = a, .state = GL_STATE_SCHEDULED,
                                                  .ci = ci, .start = from - HOUR,
                                                  .end = from + HOUR}); /* overlaps the start */
    add_change(st, &(struct spec){.client = a, .state = GL_STATE_SCHEDULED, .start = to,
                                  .end = to + HOUR}); /* starts at `to`: outside */
    add_change(st, &(struct spec){.client = a, .state = GL_STATE_SCHEDULED,
                                  .start = from - 2 * HOUR, .end = from}); /* ends at from */
    int64_t unplanned = add_change(st, &(struct spec){.client = a, .state = GL_STATE_DRAFT});
    int64_t running = add_change(st, &(struct spec){.client = a, .state = GL_STATE_IN_PROGRESS,
                                                    .start = T0, .end = T0 + HOUR});
    add_change(st, &(struct spec){.client = b, .state = GL_STATE_SCHEDULED,
                                  .start = from + DAY, .end = from + 2 * DAY});
    char sql[256];
    /* an unplanned change carried out in the period; one started long ago, still open */
    snprintf(sql, sizeof sql,
             "UPDATE changes SET actual_start = %lld, actual_end = %lld WHERE id = %lld;"
             "UPDATE changes SET actual_start = %lld WHERE id = %lld",
             (long long)(from + 2 * DAY), (long long)(from + 2 * DAY + HOUR),
             (long long)unplanned, (long long)(T0 + HOUR), (long long)running);
    assert_int_equal(backend_raw_exec(fx->dir, sql), 0);
    touch(st, early, "change.approve", "fine");
    touch(st, early, "change.schedule", NULL);
    touch(st, early, "change.reject", "no");
    touch(st, late, "approval.vote", "yes");
    int64_t doc = add_doc(st, a, ci);
    struct gl_change c;
    struct gl_error err;
    int64_t base = 0;
    struct gl_write_ctx ctx = wctx(T0 + HOUR, "change.doc_link");
    assert_int_equal(st->changes->get(st, early, &c, &err), 0);
    assert_int_equal(st->docs->link_change(st, &ctx, &c, doc, &base, &err), 0);
    gl_change_release(&c);

    struct gl_report_data d;
    assert_int_equal(st->clients->report(st, a, from, to, &d, &err), 0);
    /* ordered by planned start (else actual start): running (T0), early, unplanned, late */
    assert_int_equal(d.nchanges, 4);
    int64_t want[] = {running, early, unplanned, late};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(d.changes[i].id, want[i]);
        assert_int_equal(d.changes[i].client_id, a);
        assert_non_null(d.changes[i].json);
    }
    assert_non_null(strstr(d.changes[1].json, "\"title\""));
    /* approve, reject, vote (not schedule), by change id (late was created first) */
    assert_true(late < early);
    assert_int_equal(d.approvals.len, 3);
    assert_int_equal(d.approvals.items[0].entity_id, late);
    assert_string_equal(d.approvals.items[0].action, "approval.vote");
    assert_int_equal(d.approvals.items[1].entity_id, early);
    assert_string_equal(d.approvals.items[1].action, "change.approve");
    assert_string_equal(d.approvals.items[1].reason, "fine");
    assert_string_equal(d.approvals.items[2].action, "change.reject");
    assert_int_equal(d.docs.len, 1);
    assert_int_equal(d.docs.items[0].change_id, early);
    assert_int_equal(d.docs.items[0].document_id, doc);
    assert_int_equal(d.docs.items[0].base_version, 1);
    assert_int_equal(d.docs.items[0].result_version, 0);
    assert_string_equal(d.docs.items[0].title, "Runbook");
    gl_report_data_release(&d);
    gl_report_data_release(&d); /* twice is fine */

    assert_int_equal(st->clients->report(st, b, from, to, &d, &err), 0);
    assert_int_equal(d.nchanges, 1);
    assert_int_equal(d.approvals.len + d.docs.len, 0);
    gl_report_data_release(&d);
    assert_int_equal(st->clients->report(st, a, T0 - 10 * DAY, T0 - DAY, &d, &err), 0);
    assert_int_equal(d.nchanges, 0);
    gl_report_data_release(&d);
}

static void test_report_bound(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    int64_t a = add_client(st, "acme");
    char sql[512];
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
             "INSERT INTO changes (version, type, state, client_id, title, created_at, "
             "updated_at, planned_start, planned_end) "
             "SELECT 1, 'normal', 'scheduled', %lld, 'bulk', 0, 0, %lld + i, %lld + i + 60 "
             "FROM n",
             GL_REPORT_CHANGES_MAX, (long long)a, (long long)T0, (long long)T0);
    assert_int_equal(backend_raw_exec(fx->dir, sql), 0);
    struct gl_report_data d;
    struct gl_error err;
    assert_int_equal(st->clients->report(st, a, T0, T0 + DAY, &d, &err), 0);
    assert_int_equal(d.nchanges, GL_REPORT_CHANGES_MAX);
    assert_null(d.changes[0].json); /* rows written behind the store have no rendering */
    gl_report_data_release(&d);
    add_change(st, &(struct spec){.client = a, .state = GL_STATE_SCHEDULED, .start = T0 + HOUR,
                                  .end = T0 + 2 * HOUR});
    assert_int_equal(st->clients->report(st, a, T0, T0 + DAY, &d, &err), GL_E_TOO_LARGE);
    assert_string_equal(err.field, "to");
    assert_int_equal(d.nchanges, 0); /* released on failure */
    assert_null(d.changes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_report_period_order_approvals_docs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_bound, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
