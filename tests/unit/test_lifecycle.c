/*
 * test_lifecycle.c - unit tests of the change state machine (src/core/lifecycle.c).
 *
 * The expected transition table below is written out independently from docs/api.md;
 * the tests walk every (type, state, action) triple against it, so a change to the
 * implementation's table that the documentation does not share fails here. The edit rules
 * (gl_change_check_edit) are tested in test_lifecycle_edit.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lifecycle.h"

#include "util/banned.h"

#define NOW INT64_C(1795608000) /* 2026-11-25T12:00:00Z */
#define HOUR INT64_C(3600)
#define DAY (24 * HOUR)

enum { T_STD = 1 << GL_TYPE_STANDARD, T_NRM = 1 << GL_TYPE_NORMAL, T_EMG = 1 << GL_TYPE_EMERGENCY };
#define T_ALL (T_STD | T_NRM | T_EMG)

/* The documented table: which types may take `action` from `from`, landing in `to`. */
static const struct legal {
    int types;
    enum gl_change_state from;
    enum gl_action action;
    enum gl_change_state to;
} legal[] = {
    {T_ALL, GL_STATE_DRAFT, GL_ACTION_SUBMIT, GL_STATE_SUBMITTED},
    {T_ALL, GL_STATE_SUBMITTED, GL_ACTION_ASSESS, GL_STATE_ASSESSED},
    {T_NRM | T_EMG, GL_STATE_ASSESSED, GL_ACTION_APPROVE, GL_STATE_APPROVED},
    {T_EMG, GL_STATE_SUBMITTED, GL_ACTION_APPROVE, GL_STATE_APPROVED},
    /* A rejection returns the change to its author (issue 4). */
    {T_NRM | T_EMG, GL_STATE_ASSESSED, GL_ACTION_REJECT, GL_STATE_DRAFT},
    {T_EMG, GL_STATE_SUBMITTED, GL_ACTION_REJECT, GL_STATE_DRAFT},
    {T_ALL, GL_STATE_REJECTED, GL_ACTION_REOPEN, GL_STATE_DRAFT},
    {T_ALL, GL_STATE_APPROVED, GL_ACTION_SCHEDULE, GL_STATE_SCHEDULED},
    {T_STD, GL_STATE_ASSESSED, GL_ACTION_SCHEDULE, GL_STATE_SCHEDULED},
    {T_ALL, GL_STATE_SCHEDULED, GL_ACTION_START, GL_STATE_IN_PROGRESS},
    {T_EMG, GL_STATE_APPROVED, GL_ACTION_START, GL_STATE_IN_PROGRESS},
    {T_ALL, GL_STATE_IN_PROGRESS, GL_ACTION_COMPLETE, GL_STATE_COMPLETED},
    {T_ALL, GL_STATE_IN_PROGRESS, GL_ACTION_FAIL, GL_STATE_FAILED},
    {T_ALL, GL_STATE_IN_PROGRESS, GL_ACTION_ROLLBACK, GL_STATE_ROLLED_BACK},
    {T_ALL, GL_STATE_FAILED, GL_ACTION_ROLLBACK, GL_STATE_ROLLED_BACK},
    {T_ALL, GL_STATE_COMPLETED, GL_ACTION_REVIEW, GL_STATE_REVIEWED},
    {T_ALL, GL_STATE_FAILED, GL_ACTION_REVIEW, GL_STATE_REVIEWED},
    {T_ALL, GL_STATE_ROLLED_BACK, GL_ACTION_REVIEW, GL_STATE_REVIEWED},
    {T_ALL, GL_STATE_REVIEWED, GL_ACTION_CLOSE, GL_STATE_CLOSED},
    /* From the finished states too: whether a review must come first is the policy's
     * (issue 10), a precondition rather than a transition. */
    {T_ALL, GL_STATE_COMPLETED, GL_ACTION_CLOSE, GL_STATE_CLOSED},
    {T_ALL, GL_STATE_FAILED, GL_ACTION_CLOSE, GL_STATE_CLOSED},
    {T_ALL, GL_STATE_ROLLED_BACK, GL_ACTION_CLOSE, GL_STATE_CLOSED},
    {T_ALL, GL_STATE_DRAFT, GL_ACTION_CANCEL, GL_STATE_CANCELLED},
    {T_ALL, GL_STATE_SUBMITTED, GL_ACTION_CANCEL, GL_STATE_CANCELLED},
    {T_ALL, GL_STATE_ASSESSED, GL_ACTION_CANCEL, GL_STATE_CANCELLED},
    {T_ALL, GL_STATE_APPROVED, GL_ACTION_CANCEL, GL_STATE_CANCELLED},
    {T_ALL, GL_STATE_REJECTED, GL_ACTION_CANCEL, GL_STATE_CANCELLED},
    {T_ALL, GL_STATE_SCHEDULED, GL_ACTION_CANCEL, GL_STATE_CANCELLED},
};

static const struct legal *find_legal(enum gl_change_type t, enum gl_change_state s,
                                      enum gl_action a)
{
    for (size_t i = 0; i < sizeof legal / sizeof legal[0]; i++)
        if ((legal[i].types & (1 << t)) && legal[i].from == s && legal[i].action == a)
            return &legal[i];
    return NULL;
}

static void set(char **field, const char *v)
{
    assert_int_equal(gl_change_set_str(field, v), 0);
}

/* A change that satisfies every precondition of every action. */
static void make_ready(struct gl_change *c, enum gl_change_type type, enum gl_change_state st)
{
    gl_change_init(c);
    c->id = 42;
    c->version = 1;
    c->type = type;
    c->state = st;
    c->client_id = 1;
    set(&c->title, "Upgrade PostgreSQL to 15.6");
    set(&c->description, "Minor version upgrade of the primary cluster");
    set(&c->implementation_plan, "1. stop 2. upgrade 3. start");
    set(&c->test_plan, "run smoke tests");
    set(&c->rollback_plan, "restore the snapshot");
    set(&c->review_summary, "went fine"); /* as if reviewed, for close */
    assert_int_equal(gl_idlist_push(&c->ci_ids, 7), 0);
    assert_int_equal(gl_strlist_push(&c->incidents, "INC-4711"), 0);
    c->planned_start = NOW + DAY;
    c->planned_end = NOW + DAY + 2 * HOUR;
}

static struct gl_action_input full_input(void)
{
    struct gl_action_input in = GL_ACTION_INPUT_INIT;
    in.actor = "carol";
    in.reason = "a reason";
    in.review_summary = "summary";
    in.review_lessons = "lessons";
    in.outcome_notes = "notes";
    return in;
}

/* Applies and expects success; replaces *c with the result. */
static void apply_ok(struct gl_change *c, enum gl_action a, const struct gl_action_input *in,
                     int64_t now)
{
    struct gl_change after;
    struct gl_error err;
    gl_change_init(&after);
    gl_error_clear(&err);
    int rc = gl_lifecycle_apply(c, a, in, now, &after, &err);
    if (rc != 0)
        fail_msg("%s from %s refused: %s (%s)", gl_action_name(a), gl_change_state_name(c->state),
                 err.detail, err.field);
    gl_change_release(c);
    *c = after;
}

/* Applies and expects refusal with `code` and `field`; returns the detail in err. */
static void apply_refused(const struct gl_change *c, enum gl_action a,
                          const struct gl_action_input *in, int64_t now, int code,
                          const char *field, struct gl_error *err)
{
    struct gl_change after;
    gl_change_init(&after);
    set(&after.title, "leftover");
    gl_error_clear(err);
    int rc = gl_lifecycle_apply(c, a, in, now, &after, err);
    if (rc != code)
        fail_msg("%s from %s: want %d got %d (%s)", gl_action_name(a),
                 gl_change_state_name(c->state), code, rc, err->detail);
    assert_int_equal(err->code, code);
    if (code == GL_E_TRANSITION)
        assert_string_equal(err->field, "");
    assert_true(err->detail[0] != '\0');
    if (field)
        assert_string_equal(err->field, field);
    assert_null(after.title); /* released */
    assert_int_equal(after.ci_ids.len, 0);
}

/* ---- the table --------------------------------------------------------------------- */

static void test_action_names(void **state)
{
    const char *names[] = {"submit",   "assess", "approve",  "reject", "reopen",
                           "schedule", "start",  "complete", "fail",   "rollback",
                           "review",   "close",  "cancel"};
    assert_int_equal(sizeof names / sizeof names[0], GL_ACTION__COUNT);
    for (int i = 0; i < GL_ACTION__COUNT; i++) {
        enum gl_action a;
        assert_string_equal(gl_action_name((enum gl_action)i), names[i]);
        assert_int_equal(gl_action_parse(names[i], &a), 0);
        assert_int_equal(a, i);
    }
    enum gl_action a;
    assert_int_equal(gl_action_parse("Submit", &a), -1);
    assert_int_equal(gl_action_parse("roll-back", &a), -1);
    assert_int_equal(gl_action_parse("", &a), -1);
    assert_int_equal(gl_action_parse(NULL, &a), -1);
}

static void test_every_legal_transition(void **state)
{
    int count = 0;
    for (int t = 0; t < GL_TYPE__COUNT; t++) {
        for (size_t i = 0; i < sizeof legal / sizeof legal[0]; i++) {
            if (!(legal[i].types & (1 << t)))
                continue;
            struct gl_change c;
            struct gl_action_input in = full_input();
            make_ready(&c, (enum gl_change_type)t, legal[i].from);
            assert_true(gl_lifecycle_allows(&c, legal[i].action));
            apply_ok(&c, legal[i].action, &in, NOW);
            if (c.state != legal[i].to)
                fail_msg("%s %s from %s landed in %s", gl_change_type_name(t),
                         gl_action_name(legal[i].action), gl_change_state_name(legal[i].from),
                         gl_change_state_name(c.state));
            assert_int_equal(c.updated_at, NOW);
            assert_int_equal(c.version, 1); /* the store bumps versions, not the core */
            gl_change_release(&c);
            count++;
        }
    }
    assert_int_equal(count, 74);
}

static void test_every_illegal_pair_is_a_transition_error(void **state)
{
    int illegal = 0;
    for (int t = 0; t < GL_TYPE__COUNT; t++) {
        for (int s = 0; s < GL_STATE__COUNT; s++) {
            for (int a = 0; a < GL_ACTION__COUNT; a++) {
                if (find_legal(t, s, a))
                    continue;
                struct gl_change c;
                struct gl_error err;
                struct gl_action_input in = full_input();
                make_ready(&c, (enum gl_change_type)t, (enum gl_change_state)s);
                assert_false(gl_lifecycle_allows(&c, (enum gl_action)a));
                apply_refused(&c, (enum gl_action)a, &in, NOW, GL_E_TRANSITION, NULL, &err);
                assert_int_equal(c.state, s); /* before untouched */
                gl_change_release(&c);
                illegal++;
            }
        }
    }
    assert_int_equal(illegal, GL_TYPE__COUNT * GL_STATE__COUNT * GL_ACTION__COUNT - 74);
}

static void test_illegal_detail_names_action_and_state(void **state)
{
    struct gl_change c;
    struct gl_error err;
    make_ready(&c, GL_TYPE_NORMAL, GL_STATE_DRAFT);
    apply_refused(&c, GL_ACTION_START, NULL, NOW, GL_E_TRANSITION, NULL, &err);
    assert_string_equal(err.detail, "cannot start a change that is draft");
    c.state = GL_STATE_IN_PROGRESS;
    apply_refused(&c, GL_ACTION_CANCEL, NULL, NOW, GL_E_TRANSITION, NULL, &err);
    assert_string_equal(err.detail, "cannot cancel a change that is in progress");
    c.state = GL_STATE_CLOSED;
    apply_refused(&c, GL_ACTION_REOPEN, NULL, NOW, GL_E_TRANSITION, NULL, &err);
    assert_string_equal(err.detail, "cannot reopen a change that is closed");
    gl_change_release(&c);
}

static void test_standard_cannot_be_approved(void **state)
{
    struct gl_change c;
    struct gl_error err;
    struct gl_action_input in = full_input();
    make_ready(&c, GL_TYPE_STANDARD, GL_STATE_ASSESSED);
    apply_refused(&c, GL_ACTION_APPROVE, &in, NOW, GL_E_TRANSITION, NULL, &err);
    assert_string_equal(err.detail, "standard changes are pre-approved; schedule them directly");
    apply_refused(&c, GL_ACTION_REJECT, &in, NOW, GL_E_TRANSITION, NULL, &err);
    assert_non_null(strstr(err.detail, "pre-approved"));
    gl_change_release(&c);
}

static void test_unknown_action(void **state)
{
    struct gl_change c, after;
    struct gl_error err;
    make_ready(&c, GL_TYPE_NORMAL, GL_STATE_DRAFT);
    gl_change_init(&after);
    assert_int_equal(gl_lifecycle_apply(&c, GL_ACTION__COUNT, NULL, NOW, &after, &err),
                     GL_E_INVALID);
    assert_false(gl_lifecycle_allows(&c, GL_ACTION__COUNT));
    gl_change_release(&c);
}

/* ---- whole paths ------------------------------------------------------------------- */

static void test_normal_happy_path(void **state)
{
    struct gl_change c;
    struct gl_action_input in = full_input();
    make_ready(&c, GL_TYPE_NORMAL, GL_STATE_DRAFT);
    set(&c.review_summary, NULL);
    apply_ok(&c, GL_ACTION_SUBMIT, NULL, NOW);
    apply_ok(&c, GL_ACTION_ASSESS, NULL, NOW);
    apply_ok(&c, GL_ACTION_APPROVE, NULL, NOW);
    apply_ok(&c, GL_ACTION_SCHEDULE, NULL, NOW);
    assert_int_equal(c.state, GL_STATE_SCHEDULED);
    apply_ok(&c, GL_ACTION_START, NULL, NOW + DAY);
    assert_int_equal(c.actual_start, NOW + DAY);
    assert_true(c.actual_end == GL_TIME_UNSET);
    in.outcome_notes = "all good";
    apply_ok(&c, GL_ACTION_COMPLETE, &in, NOW + DAY + HOUR);
    assert_int_equal(c.outcome, GL_OUTCOME_SUCCESSFUL);
    assert_int_equal(c.actual_end, NOW + DAY + HOUR);
    assert_string_equal(c.outcome_notes, "all good");
    apply_ok(&c, GL_ACTION_REVIEW, &in, NOW + 2 * DAY);
    assert_string_equal(c.review_summary, "summary");
    assert_string_equal(c.review_lessons, "lessons");
    assert_string_equal(c.reviewed_by, "carol");
    assert_int_equal(c.reviewed_at, NOW + 2 * DAY);
    apply_ok(&c, GL_ACTION_CLOSE, NULL, NOW + 2 * DAY);
    assert_int_equal(c.state, GL_STATE_CLOSED);
    gl_change_release(&c);
}

static void test_standard_path_skips_approval(void **state)
{
    struct gl_change c;
    make_ready(&c, GL_TYPE_STANDARD, GL_STATE_DRAFT);
    set(&c.test_plan, NULL);
    set(&c.rollback_plan, NULL);
    apply_ok(&c, GL_ACTION_SUBMIT, NULL, NOW);
    apply_ok(&c, GL_ACTION_ASSESS, NULL, NOW);
    apply_ok(&c, GL_ACTION_SCHEDULE, NULL, NOW);
    apply_ok(&c, GL_ACTION_START, NULL, NOW + DAY);
    apply_ok(&c, GL_ACTION_COMPLETE, NULL, NOW + DAY);
    assert_null(c.outcome_notes);
    apply_ok(&c, GL_ACTION_CLOSE, NULL, NOW + DAY); /* no review needed when it worked */
    assert_int_equal(c.state, GL_STATE_CLOSED);
    gl_change_release(&c);
}

static void test_emergency_path_documented_afterwards(void **state)
{
    struct gl_change c;
    struct gl_error err;
    struct gl_action_input in = full_input();
    make_ready(&c, GL_TYPE_EMERGENCY, GL_STATE_DRAFT);
    set(&c.implementation_plan, NULL);
    set(&c.test_plan, NULL);
    set(&c.rollback_plan, NULL);
    set(&c.review_summary, NULL);
    c.planned_start = GL_TIME_UNSET;
    c.planned_end = GL_TIME_UNSET;
    apply_ok(&c, GL_ACTION_SUBMIT, NULL, NOW);
    apply_ok(&c, GL_ACTION_APPROVE, NULL, NOW);
    apply_ok(&c, GL_ACTION_START, NULL, NOW + 60);
    assert_int_equal(c.actual_start, NOW + 60);
    assert_int_equal(c.planned_start, NOW + 60);
    apply_ok(&c, GL_ACTION_COMPLETE, NULL, NOW + HOUR);

    apply_refused(&c, GL_ACTION_CLOSE, NULL, NOW, GL_E_PRECONDITION, "summary", &err);
    assert_non_null(strstr(err.detail, "post-implementation review"));
    assert_non_null(strstr(err.detail, "review_before_close.emergency"));
    apply_ok(&c, GL_ACTION_REVIEW, &in, NOW + DAY);

    apply_refused(&c, GL_ACTION_CLOSE, NULL, NOW, GL_E_PRECONDITION, "implementation_plan", &err);
    assert_string_equal(err.detail,
                        "an emergency change cannot be closed without an implementation plan");
    set(&c.implementation_plan, "what we did");
    apply_refused(&c, GL_ACTION_CLOSE, NULL, NOW, GL_E_PRECONDITION, "test_plan", &err);
    set(&c.test_plan, "how we tested");
    apply_refused(&c, GL_ACTION_CLOSE, NULL, NOW, GL_E_PRECONDITION, "rollback_plan", &err);
    set(&c.rollback_plan, "how to undo");
    apply_ok(&c, GL_ACTION_CLOSE, NULL, NOW + DAY);
    assert_int_equal(c.state, GL_STATE_CLOSED);
    gl_change_release(&c);
}

static void test_emergency_start_keeps_existing_planned_start(void **state)
{
    struct gl_change c;
    make_ready(&c, GL_TYPE_EMERGENCY, GL_STATE_APPROVED);
    apply_ok(&c, GL_ACTION_START, NULL, NOW);
    assert_int_equal(c.planned_start, NOW + DAY);
    assert_int_equal(c.actual_start, NOW);
    gl_change_release(&c);
}

static void test_reject_and_reopen(void **state)
{
    struct gl_change c;
    struct gl_error err;
    struct gl_action_input in = GL_ACTION_INPUT_INIT;
    make_ready(&c, GL_TYPE_NORMAL, GL_STATE_ASSESSED);
    apply_refused(&c, GL_ACTION_REJECT, &in, NOW, GL_E_PRECONDITION, "reason", &err);
    in.reason = "  \t";
    apply_refused(&c, GL_ACTION_REJECT, &in, NOW, GL_E_PRECONDITION, "reason", &err);
    apply_refused(&c, GL_ACTION_REJECT, NULL, NOW, GL_E_PRECONDITION, "reason", &err);
    in.reason = "too risky before year end";
    apply_ok(&c, GL_ACTION_REJECT, &in, NOW);
    assert_int_equal(c.state, GL_STATE_DRAFT); /* back to its author, with the reason */
    assert_string_equal(c.state_reason, "too risky before year end");
    gl_change_release(&c);
    /* A change left in the older rejected state still reopens as draft. */
    make_ready(&c, GL_TYPE_NORMAL, GL_STATE_REJECTED);
    apply_ok(&c, GL_ACTION_REOPEN, NULL, NOW);
    assert_int_equal(c.state, GL_STATE_DRAFT);
    assert_null(c.state_reason);
    gl_change_release(&c);
}

static void test_before_is_never_modified(void **state)
{
    struct gl_change c, after;
    struct gl_error err;
    struct gl_action_input in = full_input();
    make_ready(&c, GL_TYPE_NORMAL, GL_STATE_IN_PROGRESS);
    gl_change_init(&after);
    assert_int_equal(gl_lifecycle_apply(&c, GL_ACTION_FAIL, &in, NOW, &after, &err), 0);
    assert_int_equal(c.state, GL_STATE_IN_PROGRESS);
    assert_null(c.state_reason);
    assert_int_equal(c.outcome, GL_OUTCOME_NONE);
    assert_true(c.actual_end == GL_TIME_UNSET);
    assert_ptr_not_equal(after.title, c.title);
    assert_string_equal(after.title, c.title);
    gl_change_release(&after);
    gl_change_release(&c);
}

/* ---- submit preconditions ------------------------------------------------------------- */

static void test_submit_requires_title_description_cis(void **state)
{
    for (int t = 0; t < GL_TYPE__COUNT; t++) {
        struct gl_change c;
        struct gl_error err;
        make_ready(&c, (enum gl_change_type)t, GL_STATE_DRAFT);
        set(&c.title, "   ");
        apply_refused(&c, GL_ACTION_SUBMIT, NULL, NOW, GL_E_PRECONDITION, "title", &err);
        set(&c.title, "t");
        set(&c.description, NULL);
        apply_refused(&c, GL_ACTION_SUBMIT, NULL, NOW, GL_E_PRECONDITION, "description", &err);
        set(&c.description, "d");
        gl_idlist_release(&c.ci_ids);
        apply_refused(&c, GL_ACTION_SUBMIT, NULL, NOW, GL_E_PRECONDITION, "cis", &err);
        gl_change_release(&c);
    }
}

static void test_normal_submit_requires_plans(void **state)
{
    struct {
        size_t off;
        const char *field;
        const char *detail;
    } cases[] = {
        {offsetof(struct gl_change, implementation_plan), "implementation_plan",
         "a normal change cannot be submitted without an implementation plan"},
        {offsetof(struct gl_change, test_plan), "test_plan",
         "a normal change cannot be submitted without a test plan"},
        {offsetof(struct gl_change, rollback_plan), "rollback_plan",
         "a normal change cannot be submitted without a rollback plan"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gl_change c;
        struct gl_error err;
        make_ready(&c, GL_TYPE_NORMAL, GL_STATE_DRAFT);
        set((char **)(void *)((char *)&c + cases[i].off), NULL);
        apply_refused(&c, GL_ACTION_SUBMIT, NULL, NOW, GL_E_PRECONDITION, cases[i].field, &err);
        assert_string_equal(err.detail, cases[i].detail);
        gl_change_release(&c);
    }
}

static void test_standard_submit_requires_implementation_plan_only(void **state)
{
    struct gl_change c;
    struct gl_error err;
    make_ready(&c, GL_TYPE_STANDARD, GL_STATE_DRAFT);
    set(&c.test_plan, NULL);
    set(&c.rollback_plan, NULL);
    set(&c.implementation_plan, NULL);
    apply_refused(&c, GL_ACTION_SUBMIT, NULL, NOW, GL_E_PRECONDITION, "implementation_plan", &err);
    set(&c.implementation_plan, "run the template");
    apply_ok(&c, GL_ACTION_SUBMIT, NULL, NOW);
    gl_change_release(&c);
}

static void test_submit_requires_planned_times(void **state)
{
    for (int t = GL_TYPE_STANDARD; t <= GL_TYPE_NORMAL; t++) {
        struct gl_change c;
        struct gl_error err;
        make_ready(&c, (enum gl_change_type)t, GL_STATE_DRAFT);
        c.planned_start = GL_TIME_UNSET;
        c.planned_end = GL_TIME_UNSET;
        apply_refused(&c, GL_ACTION_SUBMIT, NULL, NOW, GL_E_PRECONDITION, "planned_start", &err);
        c.planned_start = NOW + DAY;
        apply_refused(&c, GL_ACTION_SUBMIT, NULL, NOW, GL_E_PRECONDITION, "planned_end", &err);
        c.planned_end = NOW + DAY - HOUR; /* reversed */
        apply_refused(&c, GL_ACTION_SUBMIT, NULL, NOW, GL_E_PRECONDITION, "planned_end", &err);
        c.planned_end = NOW + DAY; /* empty window */
        apply_refused(&c, GL_ACTION_SUBMIT, NULL, NOW, GL_E_PRECONDITION, "planned_end", &err);
        gl_change_release(&c);
    }
}

static void test_emergency_submit_requires_incident_not_plans(void **state)
{
    struct gl_change c;
    struct gl_error err;
    make_ready(&c, GL_TYPE_EMERGENCY, GL_STATE_DRAFT);
    set(&c.implementation_plan, NULL);
    set(&c.test_plan, NULL);
    set(&c.rollback_plan, NULL);
    c.planned_start = c.planned_end = GL_TIME_UNSET;
    gl_strlist_release(&c.incidents);
    apply_refused(&c, GL_ACTION_SUBMIT, NULL, NOW, GL_E_PRECONDITION, "incidents", &err);
    assert_string_equal(err.detail, "an emergency change cannot be submitted without a linked "
                                    "incident");
    assert_int_equal(gl_strlist_push(&c.incidents, "INC-1"), 0);
    apply_ok(&c, GL_ACTION_SUBMIT, NULL, NOW);
    assert_int_equal(c.state, GL_STATE_SUBMITTED);
    gl_change_release(&c);
}

static void test_approve_rechecks_documentation(void **state)
{
    struct gl_change c;
    struct gl_error err;
    make_ready(&c, GL_TYPE_NORMAL, GL_STATE_ASSESSED);
    set(&c.rollback_plan, NULL); /* removed by an edit after submission */
    apply_refused(&c, GL_ACTION_APPROVE, NULL, NOW, GL_E_PRECONDITION, "rollback_plan", &err);
    assert_string_equal(err.detail, "a normal change cannot be approved without a rollback plan");
    gl_change_release(&c);

    make_ready(&c, GL_TYPE_EMERGENCY, GL_STATE_SUBMITTED);
    gl_strlist_release(&c.incidents);
    apply_refused(&c, GL_ACTION_APPROVE, NULL, NOW, GL_E_PRECONDITION, "incidents", &err);
    gl_change_release(&c);
}

/* ---- schedule ------------------------------------------------------------------------- */

static void test_schedule_uses_given_window(void **state)
{
    struct gl_change c;
    struct gl_action_input in = GL_ACTION_INPUT_INIT;
    make_ready(&c, GL_TYPE_NORMAL, GL_STATE_APPROVED);
    in.planned_start = NOW + 3 * DAY;
    in.planned_end = NOW + 3 * DAY + HOUR;
    apply_ok(&c, GL_ACTION_SCHEDULE, &in, NOW);
    assert_int_equal(c.planned_start, NOW + 3 * DAY);
    assert_int_equal(c.planned_end, NOW + 3 * DAY + HOUR);
    gl_change_release(&c);

    /* Only one end given: the other stays as planned. */
    make_ready(&c, GL_TYPE_NORMAL, GL_STATE_APPROVED);
    in = (struct gl_action_input)GL_ACTION_INPUT_INIT;
    in.planned_end = NOW + DAY + 5 * HOUR;
    apply_ok(&c, GL_ACTION_SCHEDULE, &in, NOW);
    assert_int_equal(c.planned_start, NOW + DAY);
    assert_int_equal(c.planned_end, NOW + DAY + 5 * HOUR);
    gl_change_release(&c);
}

static void test_schedule_zeroed_input_keeps_window(void **state)
{
    struct gl_change c;
    struct gl_action_input in;
    memset(&in, 0, sizeof in);
    make_ready(&c, GL_TYPE_NORMAL, GL_STATE_APPROVED);
    apply_ok(&c, GL_ACTION_SCHEDULE, &in, NOW);
    assert_int_equal(c.planned_start, NOW + DAY);
    assert_int_equal(c.planned_end, NOW + DAY + 2 * HOUR);
    gl_change_release(&c);
}

static void test_schedule_refuses_bad_windows(void **state)
{
    struct gl_change c;
    struct gl_error err;
    struct gl_action_input in = GL_ACTION_INPUT_INIT;
    make_ready(&c, GL_TYPE_NORMAL, GL_STATE_APPROVED);

    in.planned_start = NOW + 2 * DAY;
    in.planned_end = NOW + DAY; /* reversed */
    apply_refused(&c, GL_ACTION_SCHEDULE, &in, NOW, GL_E_PRECONDITION, "planned_end", &err);
    assert_non_null(strstr(err.detail, "after the planned start"));

    in.planned_start = NOW - 2 * DAY;
    in.planned_end = NOW - DAY; /* entirely in the past */
    apply_refused(&c, GL_ACTION_SCHEDULE, &in, NOW, GL_E_PRECONDITION, "planned_end", &err);
    assert_non_null(strstr(err.detail, "in the past"));

    in.planned_end = NOW; /* ends right now: still not in the future */
    apply_refused(&c, GL_ACTION_SCHEDULE, &in, NOW, GL_E_PRECONDITION, "planned_end", &err);

    in.planned_end = NOW + HOUR; /* started already but still running: fine */
    apply_ok(&c, GL_ACTION_SCHEDULE, &in, NOW);
    gl_change_release(&c);
}

static void test_schedule_requires_window(void **state)
{
    struct gl_change c;
    struct gl_error err;
    struct gl_action_input in = GL_ACTION_INPUT_INIT;
    make_ready(&c, GL_TYPE_EMERGENCY, GL_STATE_APPROVED);
    c.planned_start = c.planned_end = GL_TIME_UNSET;
    apply_refused(&c, GL_ACTION_SCHEDULE, &in, NOW, GL_E_PRECONDITION, "planned_start", &err);
    in.planned_start = NOW + HOUR;
    apply_refused(&c, GL_ACTION_SCHEDULE, &in, NOW, GL_E_PRECONDITION, "planned_end", &err);
    in.planned_end = NOW + 2 * HOUR;
    apply_ok(&c, GL_ACTION_SCHEDULE, &in, NOW);
    gl_change_release(&c);
}

static void test_standard_schedule_rechecks_plan(void **state)
{
    struct gl_change c;
    struct gl_error err;
    make_ready(&c, GL_TYPE_STANDARD, GL_STATE_ASSESSED);
    set(&c.implementation_plan, NULL);
    apply_refused(&c, GL_ACTION_SCHEDULE, NULL, NOW, GL_E_PRECONDITION, "implementation_plan",
                  &err);
    gl_change_release(&c);
}

/* ---- implementation and after ----------------------------------------------------------- */

static void test_fail_requires_reason(void **state)
{
    struct gl_change c;
    struct gl_error err;
    struct gl_action_input in = GL_ACTION_INPUT_INIT;
    make_ready(&c, GL_TYPE_NORMAL, GL_STATE_IN_PROGRESS);
    c.actual_start = NOW - HOUR;
    apply_refused(&c, GL_ACTION_FAIL, &in, NOW, GL_E_PRECONDITION, "reason", &err);
    in.reason = "disk full";
    in.outcome_notes = "aborted at step 2";
    apply_ok(&c, GL_ACTION_FAIL, &in, NOW);
    assert_int_equal(c.state, GL_STATE_FAILED);
    assert_int_equal(c.outcome, GL_OUTCOME_FAILED);
    assert_int_equal(c.actual_end, NOW);
    assert_int_equal(c.actual_start, NOW - HOUR);
    assert_string_equal(c.state_reason, "disk full");
    assert_string_equal(c.outcome_notes, "aborted at step 2");

    /* Rolling back a failed change keeps the time it ended. */
    in = (struct gl_action_input)GL_ACTION_INPUT_INIT;
    apply_ok(&c, GL_ACTION_ROLLBACK, &in, NOW + HOUR);
    assert_int_equal(c.state, GL_STATE_ROLLED_BACK);
    assert_int_equal(c.outcome, GL_OUTCOME_ROLLED_BACK);
    assert_int_equal(c.actual_end, NOW);
    assert_string_equal(c.outcome_notes, "aborted at step 2");
    gl_change_release(&c);
}

static void test_rollback_from_in_progress(void **state)
{
    struct gl_change c;
    struct gl_action_input in = GL_ACTION_INPUT_INIT;
    make_ready(&c, GL_TYPE_STANDARD, GL_STATE_IN_PROGRESS);
    in.outcome_notes = "reverted";
    apply_ok(&c, GL_ACTION_ROLLBACK, &in, NOW);
    assert_int_equal(c.outcome, GL_OUTCOME_ROLLED_BACK);
    assert_int_equal(c.actual_end, NOW);
    assert_string_equal(c.outcome_notes, "reverted");
    gl_change_release(&c);
}

static void test_review_requires_summary(void **state)
{
    struct gl_change c;
    struct gl_error err;
    struct gl_action_input in = GL_ACTION_INPUT_INIT;
    make_ready(&c, GL_TYPE_NORMAL, GL_STATE_FAILED);
    set(&c.review_summary, NULL);
    apply_refused(&c, GL_ACTION_REVIEW, &in, NOW, GL_E_PRECONDITION, "summary", &err);
    in.review_summary = "";
    apply_refused(&c, GL_ACTION_REVIEW, &in, NOW, GL_E_PRECONDITION, "summary", &err);
    in.review_summary = "root cause: disk space";
    in.actor = "dave";
    apply_ok(&c, GL_ACTION_REVIEW, &in, NOW);
    assert_string_equal(c.review_summary, "root cause: disk space");
    assert_null(c.review_lessons);
    assert_string_equal(c.reviewed_by, "dave");
    assert_int_equal(c.reviewed_at, NOW);
    apply_ok(&c, GL_ACTION_CLOSE, NULL, NOW);
    gl_change_release(&c);
}

/* Without the policy's answer (NULL input) the floor holds: failed and rolled back
 * changes are reviewed first, whatever their type. */
static void test_close_failed_needs_review(void **state)
{
    const enum gl_change_state states[] = {GL_STATE_FAILED, GL_STATE_ROLLED_BACK};
    const enum gl_outcome outcomes[] = {GL_OUTCOME_FAILED, GL_OUTCOME_ROLLED_BACK};
    for (int t = 0; t < GL_TYPE__COUNT; t++) {
        for (size_t i = 0; i < 2; i++) {
            struct gl_change c;
            struct gl_error err;
            make_ready(&c, (enum gl_change_type)t, states[i]);
            c.outcome = outcomes[i];
            set(&c.review_summary, NULL);
            apply_refused(&c, GL_ACTION_CLOSE, NULL, NOW, GL_E_PRECONDITION, "summary", &err);
            assert_non_null(strstr(err.detail, "before its post-implementation review"));
            assert_non_null(strstr(err.detail, "review_before_close.outcomes"));
            gl_change_release(&c);
        }
    }
    struct gl_change c;
    struct gl_error err;
    make_ready(&c, GL_TYPE_NORMAL, GL_STATE_FAILED);
    c.outcome = GL_OUTCOME_FAILED;
    set(&c.review_summary, NULL);
    apply_refused(&c, GL_ACTION_CLOSE, NULL, NOW, GL_E_PRECONDITION, "summary", &err);
    assert_string_equal(err.detail, "a failed change cannot be closed before its "
                                    "post-implementation review (the review action): its "
                                    "outcome is failed (review_before_close.outcomes)");
    gl_change_release(&c);
}

/* The caller's answer from the policy decides (issue 10): a review it asks for must be
 * there, one it does not ask for is not, and a change already reviewed always closes. */
static void test_close_follows_the_review_decision(void **state)
{
    struct gl_change c;
    struct gl_error err;
    struct gl_review_need need = {.needed = true,
                                  .rule = "review_before_close.levels",
                                  .why = "its risk level is high, 61.0 "
                                         "(review_before_close.levels)"};
    struct gl_action_input in = GL_ACTION_INPUT_INIT;
    in.review = &need;
    make_ready(&c, GL_TYPE_NORMAL, GL_STATE_COMPLETED);
    c.outcome = GL_OUTCOME_SUCCESSFUL;
    set(&c.review_summary, NULL);
    apply_refused(&c, GL_ACTION_CLOSE, &in, NOW, GL_E_PRECONDITION, "summary", &err);
    assert_string_equal(err.detail, "a completed change cannot be closed before its "
                                    "post-implementation review (the review action): its risk "
                                    "level is high, 61.0 (review_before_close.levels)");
    apply_ok(&c, GL_ACTION_REVIEW,
             &(struct gl_action_input){.review_summary = "ok",
                                       .planned_start = GL_TIME_UNSET,
                                       .planned_end = GL_TIME_UNSET},
             NOW);
    apply_ok(&c, GL_ACTION_CLOSE, &in, NOW);
    gl_change_release(&c);
    /* A policy that asks nothing lets even a failed emergency change close unreviewed
     * (documented, as emergency changes must be). */
    struct gl_review_need none = {0};
    in.review = &none;
    make_ready(&c, GL_TYPE_EMERGENCY, GL_STATE_FAILED);
    c.outcome = GL_OUTCOME_FAILED;
    set(&c.review_summary, NULL);
    apply_ok(&c, GL_ACTION_CLOSE, &in, NOW);
    assert_int_equal(c.state, GL_STATE_CLOSED);
    gl_change_release(&c);
    /* Without an answer a completed normal change closes (the floor has no levels)... */
    make_ready(&c, GL_TYPE_NORMAL, GL_STATE_COMPLETED);
    c.outcome = GL_OUTCOME_SUCCESSFUL;
    set(&c.review_summary, NULL);
    apply_ok(&c, GL_ACTION_CLOSE, NULL, NOW);
    gl_change_release(&c);
    /* ...and a completed emergency change does not. */
    make_ready(&c, GL_TYPE_EMERGENCY, GL_STATE_COMPLETED);
    c.outcome = GL_OUTCOME_SUCCESSFUL;
    set(&c.review_summary, NULL);
    apply_refused(&c, GL_ACTION_CLOSE, NULL, NOW, GL_E_PRECONDITION, "summary", &err);
    assert_non_null(strstr(err.detail, "it is an emergency change"));
    gl_change_release(&c);
}

static void test_cancel_requires_reason(void **state)
{
    struct gl_change c;
    struct gl_error err;
    struct gl_action_input in = GL_ACTION_INPUT_INIT;
    make_ready(&c, GL_TYPE_NORMAL, GL_STATE_SCHEDULED);
    apply_refused(&c, GL_ACTION_CANCEL, &in, NOW, GL_E_PRECONDITION, "reason", &err);
    apply_refused(&c, GL_ACTION_CANCEL, NULL, NOW, GL_E_PRECONDITION, "reason", &err);
    in.reason = "superseded by CHG-000050";
    apply_ok(&c, GL_ACTION_CANCEL, &in, NOW);
    assert_int_equal(c.state, GL_STATE_CANCELLED);
    assert_string_equal(c.state_reason, "superseded by CHG-000050");
    gl_change_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_action_names),
        cmocka_unit_test(test_every_legal_transition),
        cmocka_unit_test(test_every_illegal_pair_is_a_transition_error),
        cmocka_unit_test(test_illegal_detail_names_action_and_state),
        cmocka_unit_test(test_standard_cannot_be_approved),
        cmocka_unit_test(test_unknown_action),
        cmocka_unit_test(test_normal_happy_path),
        cmocka_unit_test(test_standard_path_skips_approval),
        cmocka_unit_test(test_emergency_path_documented_afterwards),
        cmocka_unit_test(test_emergency_start_keeps_existing_planned_start),
        cmocka_unit_test(test_reject_and_reopen),
        cmocka_unit_test(test_before_is_never_modified),
        cmocka_unit_test(test_submit_requires_title_description_cis),
        cmocka_unit_test(test_normal_submit_requires_plans),
        cmocka_unit_test(test_standard_submit_requires_implementation_plan_only),
        cmocka_unit_test(test_submit_requires_planned_times),
        cmocka_unit_test(test_emergency_submit_requires_incident_not_plans),
        cmocka_unit_test(test_approve_rechecks_documentation),
        cmocka_unit_test(test_schedule_uses_given_window),
        cmocka_unit_test(test_schedule_zeroed_input_keeps_window),
        cmocka_unit_test(test_schedule_refuses_bad_windows),
        cmocka_unit_test(test_schedule_requires_window),
        cmocka_unit_test(test_standard_schedule_rechecks_plan),
        cmocka_unit_test(test_fail_requires_reason),
        cmocka_unit_test(test_rollback_from_in_progress),
        cmocka_unit_test(test_review_requires_summary),
        cmocka_unit_test(test_close_failed_needs_review),
        cmocka_unit_test(test_close_follows_the_review_decision),
        cmocka_unit_test(test_cancel_requires_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
