/*
 * test_store_approval.c - the store contract for approvals and templates: votes written
 * with the change in one audited transaction, rounds, approved_at, stale votes refused,
 * emergency reviews due, the emergency ratio, template create/update/list/stats with
 * versions, unique names and optimistic updates, and changes.template_id.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fixture.h"

#include "util/banned.h"

static int64_t add_template(struct gl_store *st, int64_t client, const char *name)
{
    struct gl_template t;
    gl_template_init(&t);
    t.client_id = client;
    t.name = strdup(name);
    t.steps = strdup("steps");
    t.rollback_plan = strdup("undo");
    gl_strlist_push(&t.ci_types, "server");
    t.max_risk = GL_RISK_MODERATE;
    t.roles = 1u << GL_ROLE_IMPLEMENTER;
    t.preapproved = true;
    struct gl_write_ctx ctx = wctx(T0, "template.create");
    struct gl_error err;
    assert_int_equal(st->templates->create(st, &ctx, &t, &err), 0);
    int64_t id = t.id;
    assert_true(id > 0);
    assert_int_equal(t.version, 1);
    gl_template_release(&t);
    return id;
}

static struct gl_approval_vote vote_of(const char *user, int round, enum gl_vote_decision d)
{
    struct gl_approval_vote v = {.round = round,
                                 .stage = GL_STAGE_CAB,
                                 .decision = d,
                                 .comment = (char *)"ok",
                                 .assessed_at = GL_TIME_UNSET};
    snprintf(v.user, sizeof v.user, "%s", user);
    return v;
}

/* Writes a vote moving the change to `to` (its current state = no move). */
static int cast(struct gl_store *st, int64_t id, const struct gl_approval_vote *v,
                enum gl_change_state to, bool new_round, int64_t at, struct gl_error *err)
{
    struct gl_change before, after;
    gl_change_init(&after);
    assert_int_equal(st->changes->get(st, id, &before, err), 0);
    assert_int_equal(gl_change_copy(&after, &before), 0);
    after.state = to;
    struct gl_write_ctx ctx = wctx(at, "change.approve");
    int rc = st->approvals->write(st, &ctx, &before, &after, v, new_round,
                                  new_round ? "rejected" : NULL, err);
    gl_change_release(&before);
    gl_change_release(&after);
    return rc;
}

static void test_votes_rounds_and_approval(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    struct gl_error err;
    int64_t k = add_client(st, "acme");
    int64_t ci = add_ci(st, k, "web", "server");
    struct spec s = {.client = k, .type = GL_TYPE_NORMAL, .state = GL_STATE_ASSESSED, .ci = ci};
    int64_t id = add_change(st, &s);
    struct gl_approval_record rec;
    assert_int_equal(st->approvals->get(st, id, &rec, &err), 0);
    assert_int_equal(rec.round, 1);
    assert_int_equal(rec.votes.len, 0);
    assert_true(rec.approved_at == GL_TIME_UNSET);
    gl_approval_record_release(&rec);

    size_t events = audit_count(st);
    struct gl_approval_vote v = vote_of("ann", 1, GL_VOTE_APPROVE);
    assert_int_equal(cast(st, id, &v, GL_STATE_ASSESSED, false, T0 + 10, &err), 0);
    assert_int_equal(audit_count(st), events + 1); /* the vote rides on the change's event */
    /* The same user twice in a round is refused by the store too. */
    assert_int_equal(cast(st, id, &v, GL_STATE_ASSESSED, false, T0 + 11, &err), GL_E_DUPLICATE);
    /* A vote for a round that is not the current one is stale. */
    struct gl_approval_vote old = vote_of("bob", 7, GL_VOTE_APPROVE);
    assert_int_equal(cast(st, id, &old, GL_STATE_ASSESSED, false, T0 + 12, &err), GL_E_STALE);
    struct gl_approval_vote bob = vote_of("bob", 1, GL_VOTE_APPROVE);
    assert_int_equal(cast(st, id, &bob, GL_STATE_APPROVED, false, T0 + 20, &err), 0);
    assert_int_equal(st->approvals->get(st, id, &rec, &err), 0);
    assert_int_equal(rec.votes.len, 2);
    assert_string_equal(rec.votes.items[1].user, "bob");
    assert_int_equal(rec.votes.items[1].stage, GL_STAGE_CAB);
    assert_string_equal(rec.votes.items[1].comment, "ok");
    assert_int_equal(rec.approved_at, T0 + 20);
    gl_approval_record_release(&rec);

    /* A rejection in a new round: round 2 starts with its reason; history stays. */
    struct gl_change c;
    assert_int_equal(st->changes->get(st, id, &c, &err), 0);
    assert_int_equal(c.state, GL_STATE_APPROVED);
    gl_change_release(&c);
    struct gl_approval_vote rej = vote_of("cid", 1, GL_VOTE_REJECT);
    assert_int_equal(cast(st, id, &rej, GL_STATE_DRAFT, true, T0 + 30, &err), 0);
    assert_int_equal(st->approvals->get(st, id, &rec, &err), 0);
    assert_int_equal(rec.round, 2);
    assert_string_equal(rec.round_reason, "rejected");
    assert_true(rec.approved_at == GL_TIME_UNSET);
    assert_int_equal(rec.votes.len, 3);
    gl_approval_record_release(&rec);
    assert_int_equal(verify_chain(st), audit_count(st));
}

static void test_failed_vote_writes_nothing(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    struct gl_error err;
    int64_t k = add_client(st, "acme");
    struct spec s = {.client = k, .type = GL_TYPE_NORMAL, .state = GL_STATE_ASSESSED};
    int64_t id = add_change(st, &s);
    struct gl_change before, after;
    gl_change_init(&after);
    assert_int_equal(st->changes->get(st, id, &before, &err), 0);
    assert_int_equal(gl_change_copy(&after, &before), 0);
    before.version = 99; /* stale read */
    struct gl_approval_vote v = vote_of("ann", 1, GL_VOTE_APPROVE);
    struct gl_write_ctx ctx = wctx(T0, "change.approve");
    size_t events = audit_count(st);
    assert_int_equal(st->approvals->write(st, &ctx, &before, &after, &v, false, NULL, &err),
                     GL_E_STALE);
    struct gl_approval_record rec;
    assert_int_equal(st->approvals->get(st, id, &rec, &err), 0);
    assert_int_equal(rec.votes.len, 0);
    assert_int_equal(audit_count(st), events);
    gl_approval_record_release(&rec);
    gl_change_release(&before);
    gl_change_release(&after);
}

static void test_reviews_due_and_emergency_ratio(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    struct gl_error err;
    int64_t a = add_client(st, "acme"), b = add_client(st, "bolt");
    struct spec em = {.client = a, .type = GL_TYPE_EMERGENCY, .state = GL_STATE_SUBMITTED};
    int64_t e1 = add_change(st, &em), e2 = add_change(st, &em);
    struct spec nb = {.client = b, .type = GL_TYPE_NORMAL, .state = GL_STATE_SUBMITTED};
    add_change(st, &nb);
    struct spec draft = {.client = b, .type = GL_TYPE_EMERGENCY, .state = GL_STATE_DRAFT};
    add_change(st, &draft);
    struct gl_approval_vote v = vote_of("erin", 1, GL_VOTE_APPROVE);
    v.stage = GL_STAGE_EMERGENCY;
    assert_int_equal(cast(st, e1, &v, GL_STATE_APPROVED, false, T0 + HOUR, &err), 0);
    assert_int_equal(cast(st, e2, &v, GL_STATE_APPROVED, false, T0 + 3 * HOUR, &err), 0);
    struct gl_review_due_list due;
    assert_int_equal(st->approvals->reviews_due(st, NULL, 0, T0 + 2 * HOUR, &due, &err), 0);
    assert_int_equal(due.len, 1);
    assert_int_equal(due.items[0].change_id, e1);
    assert_int_equal(due.items[0].approved_at, T0 + HOUR);
    gl_review_due_list_release(&due);
    struct gl_scope only_b = {.all = false, .client_ids = &b, .n = 1};
    assert_int_equal(st->approvals->reviews_due(st, &only_b, 0, T0 + 9 * HOUR, &due, &err), 0);
    assert_int_equal(due.len, 0);
    gl_review_due_list_release(&due);

    struct gl_emergency_rows rows;
    assert_int_equal(
        st->changes->emergency_ratio(st, NULL, 0, GL_TIME_UNSET, GL_TIME_UNSET, true, &rows, &err),
        0);
    assert_int_equal(rows.len, 2);
    assert_string_equal(rows.items[0].key, "acme"); /* most emergencies first */
    assert_int_equal(rows.items[0].total, 2);
    assert_int_equal(rows.items[0].emergency, 2);
    assert_int_equal(rows.items[1].total, 1); /* the draft does not count */
    assert_int_equal(rows.items[1].emergency, 0);
    gl_emergency_rows_release(&rows);
    assert_int_equal(
        st->changes->emergency_ratio(st, &only_b, 0, T0 + 1, GL_TIME_UNSET, false, &rows, &err), 0);
    assert_int_equal(rows.len, 0); /* created at T0, before `from` */
    gl_emergency_rows_release(&rows);
}

static void test_templates(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    struct gl_error err;
    int64_t k = add_client(st, "acme");
    int64_t id = add_template(st, k, "patch");
    add_template(st, 0, "patch"); /* the same name for every client is another template */
    struct gl_template dup;
    gl_template_init(&dup);
    dup.client_id = k;
    dup.name = strdup("patch");
    dup.steps = strdup("s");
    dup.rollback_plan = strdup("r");
    gl_strlist_push(&dup.ci_types, "server");
    struct gl_write_ctx ctx = wctx(T0, "template.create");
    assert_int_equal(st->templates->create(st, &ctx, &dup, &err), GL_E_DUPLICATE);
    assert_string_equal(err.field, "name");
    gl_template_release(&dup);

    struct gl_template before, after;
    gl_template_init(&after);
    assert_int_equal(st->templates->get(st, id, &before, &err), 0);
    assert_string_equal(before.client_key, "acme");
    assert_int_equal(before.roles, 1u << GL_ROLE_IMPLEMENTER);
    assert_int_equal(before.ci_types.len, 1);
    assert_int_equal(gl_template_copy(&after, &before), 0);
    after.revoked_at = T0 + 5;
    gl_change_set_str(&after.revoked_reason, "failures");
    ctx = wctx(T0 + 5, "template.revoke");
    assert_int_equal(st->templates->update(st, &ctx, &before, &after, &err), 0);
    assert_int_equal(after.version, 2);
    assert_int_equal(gl_template_standing(&after), GL_TEMPLATE_NOT_PREAPPROVED);
    /* Updating from the old version again is stale. */
    assert_int_equal(st->templates->update(st, &ctx, &before, &after, &err), GL_E_STALE);
    struct gl_template_version_list vl;
    assert_int_equal(st->templates->versions(st, id, &vl, &err), 0);
    assert_int_equal(vl.len, 2);
    assert_int_equal(vl.items[1].version, 2);
    assert_non_null(strstr(vl.items[1].json, "\"revoked_reason\":\"failures\""));
    assert_non_null(strstr(vl.items[0].json, "\"revoked_reason\":null"));
    gl_template_version_list_release(&vl);
    assert_int_equal(st->templates->versions(st, 9999, &vl, &err), GL_E_NOT_FOUND);
    gl_template_release(&before);
    gl_template_release(&after);

    /* A scope of another client sees only the global template. */
    int64_t other = add_client(st, "bolt");
    struct gl_scope scope = {.all = false, .client_ids = &other, .n = 1};
    struct gl_template_filter f = {.scope = &scope, .limit = 10};
    struct gl_template_page page;
    assert_int_equal(st->templates->list(st, &f, &page, &err), 0);
    assert_int_equal(page.len, 1);
    assert_int_equal(page.items[0].client_id, 0);
    gl_template_page_release(&page);
    f.scope = NULL;
    f.limit = 1;
    assert_int_equal(st->templates->list(st, &f, &page, &err), 0);
    assert_int_equal(page.len, 1);
    assert_true(page.next_cursor > 0);
    gl_template_page_release(&page);

    /* History: finished changes from the template, failures counted. */
    int64_t ci = add_ci(st, k, "web", "server");
    for (int i = 0; i < 3; i++) {
        struct gl_change c;
        gl_change_init(&c);
        c.client_id = k;
        c.type = GL_TYPE_STANDARD;
        c.state = GL_STATE_COMPLETED;
        c.outcome = i == 0 ? GL_OUTCOME_FAILED : GL_OUTCOME_SUCCESSFUL;
        c.template_id = id;
        gl_change_set_str(&c.title, "std");
        gl_idlist_push(&c.ci_ids, ci);
        ctx = wctx(T0, "change.create");
        assert_int_equal(st->changes->create(st, &ctx, &c, &err), 0);
        struct gl_change back;
        assert_int_equal(st->changes->get(st, c.id, &back, &err), 0);
        assert_int_equal(back.template_id, id);
        gl_change_release(&back);
        gl_change_release(&c);
    }
    int64_t n, failed;
    assert_int_equal(st->templates->stats(st, id, &n, &failed, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(failed, 1);
    assert_int_equal(verify_chain(st), audit_count(st));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_votes_rounds_and_approval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_vote_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reviews_due_and_emergency_ratio, setup, teardown),
        cmocka_unit_test_setup_teardown(test_templates, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
