/*
 * test_change.c - unit tests of the change record (src/core/change.c): lifetime, deep
 * copy, string normalisation, wire names, identifiers, list helpers and whole-record
 * validation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/change.h"
#include "core/lifecycle.h"

#include "util/banned.h"

static void test_init_sets_defaults(void **state)
{
    struct gl_change c;
    memset(&c, 0x5a, sizeof c);
    gl_change_init(&c);
    assert_int_equal(c.id, 0);
    assert_int_equal(c.state, GL_STATE_DRAFT);
    assert_int_equal(c.outcome, GL_OUTCOME_NONE);
    assert_true(c.planned_start == GL_TIME_UNSET);
    assert_true(c.planned_end == GL_TIME_UNSET);
    assert_true(c.actual_start == GL_TIME_UNSET);
    assert_true(c.actual_end == GL_TIME_UNSET);
    assert_true(c.reviewed_at == GL_TIME_UNSET);
    assert_null(c.title);
    assert_null(c.incidents.items);
    assert_int_equal(c.ci_ids.len, 0);
    assert_false(c.rollback_tested);
}

static void fill(struct gl_change *c)
{
    gl_change_init(c);
    c->id = 7;
    c->type = GL_TYPE_NORMAL;
    c->state = GL_STATE_APPROVED;
    c->client_id = 3;
    assert_int_equal(gl_change_set_str(&c->title, "Upgrade"), 0);
    assert_int_equal(gl_change_set_str(&c->description, "desc"), 0);
    assert_int_equal(gl_change_set_str(&c->rollback_plan, "undo"), 0);
    assert_int_equal(gl_change_set_str(&c->created_by, "alice"), 0);
    assert_int_equal(gl_idlist_push(&c->ci_ids, 11), 0);
    assert_int_equal(gl_idlist_push(&c->ci_ids, 12), 0);
    assert_int_equal(gl_idlist_push(&c->related_changes, 5), 0);
    assert_int_equal(gl_strlist_push(&c->incidents, "INC-1"), 0);
    c->planned_start = 1000;
    c->planned_end = 2000;
    c->rollback_tested = true;
}

static void test_release_frees_and_reinitialises(void **state)
{
    struct gl_change c;
    fill(&c);
    gl_change_release(&c);
    assert_null(c.title);
    assert_null(c.ci_ids.items);
    assert_int_equal(c.incidents.len, 0);
    assert_int_equal(c.state, GL_STATE_DRAFT);
    assert_true(c.planned_start == GL_TIME_UNSET);
    gl_change_release(&c); /* twice is fine */
    gl_change_release(NULL);
}

static void test_copy_is_deep(void **state)
{
    struct gl_change a, b;
    fill(&a);
    gl_change_init(&b);
    assert_int_equal(gl_change_copy(&b, &a), 0);
    assert_int_equal(b.id, 7);
    assert_int_equal(b.type, GL_TYPE_NORMAL);
    assert_int_equal(b.state, GL_STATE_APPROVED);
    assert_string_equal(b.title, "Upgrade");
    assert_ptr_not_equal(b.title, a.title);
    assert_string_equal(b.rollback_plan, "undo");
    assert_string_equal(b.created_by, "alice");
    assert_null(b.test_plan);
    assert_int_equal(b.ci_ids.len, 2);
    assert_ptr_not_equal(b.ci_ids.items, a.ci_ids.items);
    assert_int_equal(b.ci_ids.items[1], 12);
    assert_int_equal(b.related_changes.items[0], 5);
    assert_string_equal(b.incidents.items[0], "INC-1");
    assert_ptr_not_equal(b.incidents.items[0], a.incidents.items[0]);
    assert_true(b.rollback_tested);
    assert_int_equal(b.planned_end, 2000);

    /* Changing the copy leaves the original alone. */
    assert_int_equal(gl_change_set_str(&b.title, "Other"), 0);
    b.ci_ids.items[0] = 99;
    assert_string_equal(a.title, "Upgrade");
    assert_int_equal(a.ci_ids.items[0], 11);

    gl_change_release(&a);
    gl_change_release(&b);
}

static void test_copy_into_used_record_replaces_it(void **state)
{
    struct gl_change a, b;
    fill(&a);
    fill(&b);
    assert_int_equal(gl_change_set_str(&b.test_plan, "stale"), 0);
    assert_int_equal(gl_strlist_push(&b.incidents, "INC-2"), 0);
    assert_int_equal(gl_change_copy(&b, &a), 0);
    assert_null(b.test_plan);
    assert_int_equal(b.incidents.len, 1);
    gl_change_release(&a);
    gl_change_release(&b);
}

static void test_copy_of_empty_record(void **state)
{
    struct gl_change a, b;
    gl_change_init(&a);
    gl_change_init(&b);
    assert_int_equal(gl_change_copy(&b, &a), 0);
    assert_null(b.title);
    assert_null(b.ci_ids.items);
    assert_int_equal(b.incidents.len, 0);
    gl_change_release(&b);
}

static void test_set_str_normalises_empty(void **state)
{
    char *f = NULL;
    assert_int_equal(gl_change_set_str(&f, "x"), 0);
    assert_string_equal(f, "x");
    assert_int_equal(gl_change_set_str(&f, ""), 0);
    assert_null(f);
    assert_int_equal(gl_change_set_str(&f, "y"), 0);
    assert_int_equal(gl_change_set_str(&f, NULL), 0);
    assert_null(f);
}

static void test_set_str_from_itself(void **state)
{
    char *f = NULL;
    assert_int_equal(gl_change_set_str(&f, "same"), 0);
    assert_int_equal(gl_change_set_str(&f, f), 0);
    assert_string_equal(f, "same");
    assert_int_equal(gl_change_set_str(&f, NULL), 0);
}

static void test_type_names_round_trip(void **state)
{
    const char *names[] = {"standard", "normal", "emergency"};
    for (int i = 0; i < GL_TYPE__COUNT; i++) {
        enum gl_change_type t;
        assert_string_equal(gl_change_type_name((enum gl_change_type)i), names[i]);
        assert_int_equal(gl_change_type_parse(names[i], &t), 0);
        assert_int_equal(t, i);
    }
    enum gl_change_type t = GL_TYPE_NORMAL;
    assert_int_equal(gl_change_type_parse("Normal", &t), -1);
    assert_int_equal(gl_change_type_parse("", &t), -1);
    assert_int_equal(gl_change_type_parse(NULL, &t), -1);
    assert_int_equal(gl_change_type_parse("normal ", &t), -1);
    assert_int_equal(t, GL_TYPE_NORMAL);
    assert_string_equal(gl_change_type_name(GL_TYPE__COUNT), "unknown");
}

static void test_state_names_round_trip(void **state)
{
    const char *names[] = {"draft",     "submitted",   "assessed",  "approved", "rejected",
                           "scheduled", "in_progress", "completed", "failed",   "rolled_back",
                           "reviewed",  "closed",      "cancelled"};
    assert_int_equal(sizeof names / sizeof names[0], GL_STATE__COUNT);
    for (int i = 0; i < GL_STATE__COUNT; i++) {
        enum gl_change_state s;
        assert_string_equal(gl_change_state_name((enum gl_change_state)i), names[i]);
        assert_int_equal(gl_change_state_parse(names[i], &s), 0);
        assert_int_equal(s, i);
    }
    enum gl_change_state s;
    assert_int_equal(gl_change_state_parse("in-progress", &s), -1);
    assert_int_equal(gl_change_state_parse("canceled", &s), -1);
    assert_int_equal(gl_change_state_parse("unknown", &s), -1);
    assert_string_equal(gl_change_state_name((enum gl_change_state) - 1), "unknown");
}

static void test_outcome_names(void **state)
{
    enum gl_outcome o;
    assert_null(gl_outcome_name(GL_OUTCOME_NONE));
    assert_string_equal(gl_outcome_name(GL_OUTCOME_SUCCESSFUL), "successful");
    assert_string_equal(gl_outcome_name(GL_OUTCOME_FAILED), "failed");
    assert_string_equal(gl_outcome_name(GL_OUTCOME_ROLLED_BACK), "rolled_back");
    assert_int_equal(gl_outcome_parse("successful", &o), 0);
    assert_int_equal(o, GL_OUTCOME_SUCCESSFUL);
    assert_int_equal(gl_outcome_parse("failed", &o), 0);
    assert_int_equal(o, GL_OUTCOME_FAILED);
    assert_int_equal(gl_outcome_parse("rolled_back", &o), 0);
    assert_int_equal(o, GL_OUTCOME_ROLLED_BACK);
    assert_int_equal(gl_outcome_parse("none", &o), -1);
    assert_int_equal(gl_outcome_parse("", &o), -1);
    assert_int_equal(gl_outcome_parse(NULL, &o), -1);
    assert_null(gl_outcome_name(GL_OUTCOME__COUNT));
}

static void test_change_ident_format(void **state)
{
    char buf[GL_IDENT_MAX];
    gl_change_ident_format(123, buf);
    assert_string_equal(buf, "CHG-000123");
    gl_change_ident_format(1, buf);
    assert_string_equal(buf, "CHG-000001");
    gl_change_ident_format(1234567, buf);
    assert_string_equal(buf, "CHG-1234567");
    gl_change_ident_format(INT64_MAX, buf);
    assert_string_equal(buf, "CHG-9223372036854775807");
}

static void test_change_ident_parse_accepts(void **state)
{
    int64_t id = 0;
    assert_int_equal(gl_change_ident_parse("CHG-000123", &id), 0);
    assert_int_equal(id, 123);
    assert_int_equal(gl_change_ident_parse("CHG-123", &id), 0);
    assert_int_equal(id, 123);
    assert_int_equal(gl_change_ident_parse("123", &id), 0);
    assert_int_equal(id, 123);
    assert_int_equal(gl_change_ident_parse("chg-42", &id), 0);
    assert_int_equal(id, 42);
    assert_int_equal(gl_change_ident_parse("CHG-9223372036854775807", &id), 0);
    assert_true(id == INT64_MAX);
}

static void test_change_ident_parse_rejects(void **state)
{
    const char *bad[] = {
        "",
        "CHG-",
        "CHG-0",
        "0",
        "000",
        "-1",
        "CHG--1",
        "+5",
        " 12",
        "12 ",
        "12a",
        "CHG-12x",
        "CI-12",
        "CHG12",
        "CHG-1.5",
        "0x10",
        "CHG- 1",
        "CHG-CHG-1",
        "9223372036854775808",
        "CHG-99999999999999999999",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t id = -7;
        if (gl_change_ident_parse(bad[i], &id) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(id, -7);
    }
    int64_t id;
    assert_int_equal(gl_change_ident_parse(NULL, &id), -1);
}

static void test_ci_ident(void **state)
{
    char buf[GL_IDENT_MAX];
    int64_t id = 0;
    gl_ci_ident_format(42, buf);
    assert_string_equal(buf, "CI-000042");
    assert_int_equal(gl_ci_ident_parse(buf, &id), 0);
    assert_int_equal(id, 42);
    assert_int_equal(gl_ci_ident_parse("CI-42", &id), 0);
    assert_int_equal(gl_ci_ident_parse("42", &id), 0);
    assert_int_equal(id, 42);
    assert_int_equal(gl_ci_ident_parse("CHG-42", &id), -1);
    assert_int_equal(gl_ci_ident_parse("CI-0", &id), -1);
    assert_int_equal(gl_ci_ident_parse("CI--3", &id), -1);
    assert_int_equal(gl_ci_ident_parse("CI-", &id), -1);
    assert_int_equal(gl_ci_ident_parse("CI-18446744073709551616", &id), -1);
}

static void test_ident_round_trip(void **state)
{
    const int64_t ids[] = {1, 9, 999999, 1000000, 123456789012LL};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char buf[GL_IDENT_MAX];
        int64_t back = 0;
        gl_change_ident_format(ids[i], buf);
        assert_int_equal(gl_change_ident_parse(buf, &back), 0);
        assert_true(back == ids[i]);
    }
}

static void test_strlist(void **state)
{
    struct gl_strlist l = {0};
    char src[] = "INC-1";
    assert_int_equal(gl_strlist_push(&l, src), 0);
    src[4] = '9'; /* the list holds its own copy */
    assert_int_equal(gl_strlist_push(&l, "INC-2"), 0);
    assert_int_equal(gl_strlist_push(&l, NULL), -1);
    assert_int_equal(l.len, 2);
    assert_string_equal(l.items[0], "INC-1");
    assert_string_equal(l.items[1], "INC-2");
    gl_strlist_release(&l);
    assert_null(l.items);
    assert_int_equal(l.len, 0);
    gl_strlist_release(NULL);
}

static void test_idlist(void **state)
{
    struct gl_idlist l = {0};
    assert_false(gl_idlist_contains(&l, 1));
    for (int64_t i = 1; i <= 100; i++)
        assert_int_equal(gl_idlist_push(&l, i * 3), 0);
    assert_int_equal(l.len, 100);
    assert_true(gl_idlist_contains(&l, 3));
    assert_true(gl_idlist_contains(&l, 300));
    assert_false(gl_idlist_contains(&l, 301));
    assert_false(gl_idlist_contains(&l, 0));
    gl_idlist_release(&l);
    assert_null(l.items);
    assert_int_equal(l.len, 0);
    gl_idlist_release(NULL);
}

static void set_field(char **field, const char *v)
{
    assert_int_equal(gl_change_set_str(field, v), 0);
}

/* ---- validation --------------------------------------------------------------------------- */

static void expect_invalid(const struct gl_change *c, const char *field)
{
    struct gl_error err;
    gl_error_clear(&err);
    int rc = gl_change_validate(c, &err);
    if (rc != GL_E_INVALID)
        fail_msg("expected invalid %s, got %d", field, rc);
    assert_string_equal(err.field, field);
    assert_true(err.detail[0] != '\0');
}

static void test_validate_accepts_ready_and_minimal(void **state)
{
    struct gl_change c;
    struct gl_error err;
    fill(&c);
    assert_int_equal(gl_change_validate(&c, &err), 0);
    c.rollback_tested = true; /* evidence optional */
    assert_int_equal(gl_change_validate(&c, &err), 0);
    gl_change_release(&c);

    gl_change_init(&c);
    c.client_id = 1;
    set_field(&c.title, "x");
    assert_int_equal(gl_change_validate(&c, &err), 0);
    gl_change_release(&c);
}

static void test_validate_enums_client_title(void **state)
{
    struct gl_change c;
    fill(&c);
    c.type = GL_TYPE__COUNT;
    expect_invalid(&c, "type");
    c.type = GL_TYPE_NORMAL;
    c.state = GL_STATE__COUNT;
    expect_invalid(&c, "state");
    c.state = GL_STATE_DRAFT;
    c.client_id = 0;
    expect_invalid(&c, "client");
    c.client_id = -4;
    expect_invalid(&c, "client");
    c.client_id = 1;
    set_field(&c.title, NULL);
    expect_invalid(&c, "title");
    char title[202];
    memset(title, 't', 201);
    title[201] = '\0';
    set_field(&c.title, title);
    expect_invalid(&c, "title");
    title[200] = '\0';
    set_field(&c.title, title);
    struct gl_error err;
    assert_int_equal(gl_change_validate(&c, &err), 0);
    gl_change_release(&c);
}

static void test_validate_text_limits(void **state)
{
    struct gl_change c;
    struct gl_error err;
    fill(&c);
    char *big = malloc(65538);
    assert_non_null(big);
    memset(big, 'x', 65537);
    big[65537] = '\0';
    set_field(&c.rollback_plan, big);
    expect_invalid(&c, "rollback_plan");
    big[65536] = '\0';
    set_field(&c.rollback_plan, big);
    assert_int_equal(gl_change_validate(&c, &err), 0);
    big[65536] = 'x';
    set_field(&c.description, big);
    expect_invalid(&c, "description");
    free(big);
    gl_change_release(&c);
}

static void test_validate_lists(void **state)
{
    struct gl_change c;
    struct gl_error err;
    fill(&c);
    assert_int_equal(gl_idlist_push(&c.ci_ids, 11), 0);
    expect_invalid(&c, "cis");
    gl_idlist_release(&c.ci_ids);
    for (int i = 1; i <= 500; i++)
        assert_int_equal(gl_idlist_push(&c.ci_ids, i), 0);
    assert_int_equal(gl_change_validate(&c, &err), 0);
    assert_int_equal(gl_idlist_push(&c.ci_ids, 501), 0);
    expect_invalid(&c, "cis");
    gl_idlist_release(&c.ci_ids);
    assert_int_equal(gl_idlist_push(&c.ci_ids, 0), 0);
    expect_invalid(&c, "cis");
    gl_idlist_release(&c.ci_ids);

    assert_int_equal(gl_idlist_push(&c.related_changes, 5), 0); /* fill() holds 5 already */
    expect_invalid(&c, "related_changes");
    gl_idlist_release(&c.related_changes);
    assert_int_equal(gl_idlist_push(&c.related_changes, c.id), 0);
    expect_invalid(&c, "related_changes"); /* itself */
    gl_idlist_release(&c.related_changes);
    for (int i = 100; i < 201; i++)
        assert_int_equal(gl_idlist_push(&c.related_changes, i), 0);
    expect_invalid(&c, "related_changes");
    gl_idlist_release(&c.related_changes);
    gl_change_release(&c);
}

static void test_validate_incidents(void **state)
{
    struct gl_change c;
    struct gl_error err;
    fill(&c);
    char ref[66];
    memset(ref, 'i', 65);
    ref[65] = '\0';
    assert_int_equal(gl_strlist_push(&c.incidents, ref), 0);
    expect_invalid(&c, "incidents");
    gl_strlist_release(&c.incidents);
    assert_int_equal(gl_strlist_push(&c.incidents, ""), 0);
    expect_invalid(&c, "incidents");
    gl_strlist_release(&c.incidents);
    for (int i = 0; i < 50; i++) {
        char buf[16];
        snprintf(buf, sizeof buf, "INC-%d", i);
        assert_int_equal(gl_strlist_push(&c.incidents, buf), 0);
    }
    assert_int_equal(gl_change_validate(&c, &err), 0);
    assert_int_equal(gl_strlist_push(&c.incidents, "INC-X"), 0);
    expect_invalid(&c, "incidents");
    gl_change_release(&c);
}

static void test_validate_planned_order(void **state)
{
    struct gl_change c;
    struct gl_error err;
    fill(&c);
    c.planned_end = c.planned_start;
    expect_invalid(&c, "planned_end");
    c.planned_end = c.planned_start - 1;
    expect_invalid(&c, "planned_end");
    c.planned_end = GL_TIME_UNSET; /* one side alone is fine while drafting */
    assert_int_equal(gl_change_validate(&c, &err), 0);
    gl_change_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_sets_defaults),
        cmocka_unit_test(test_release_frees_and_reinitialises),
        cmocka_unit_test(test_copy_is_deep),
        cmocka_unit_test(test_copy_into_used_record_replaces_it),
        cmocka_unit_test(test_copy_of_empty_record),
        cmocka_unit_test(test_set_str_normalises_empty),
        cmocka_unit_test(test_set_str_from_itself),
        cmocka_unit_test(test_type_names_round_trip),
        cmocka_unit_test(test_state_names_round_trip),
        cmocka_unit_test(test_outcome_names),
        cmocka_unit_test(test_change_ident_format),
        cmocka_unit_test(test_change_ident_parse_accepts),
        cmocka_unit_test(test_change_ident_parse_rejects),
        cmocka_unit_test(test_ci_ident),
        cmocka_unit_test(test_ident_round_trip),
        cmocka_unit_test(test_strlist),
        cmocka_unit_test(test_idlist),
        cmocka_unit_test(test_validate_accepts_ready_and_minimal),
        cmocka_unit_test(test_validate_enums_client_title),
        cmocka_unit_test(test_validate_text_limits),
        cmocka_unit_test(test_validate_lists),
        cmocka_unit_test(test_validate_incidents),
        cmocka_unit_test(test_validate_planned_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
