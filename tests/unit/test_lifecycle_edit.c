/*
 * test_lifecycle_edit.c - unit tests of the edit rules of the change lifecycle
 * (gl_change_check_edit in src/core/lifecycle.c).
 *
 * The rules are restated below independently from docs/api.md; the tests check every
 * (type, state, field) triple against them, so a change to the implementation that the
 * documentation does not share fails here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "core/lifecycle.h"

#include "util/banned.h"

/* Every field an edit may name. */
static const char *const fields[] = {
    "type",
    "client",
    "title",
    "description",
    "raised_by",
    "reason",
    "expected_return",
    "risks",
    "implementer",
    "resources",
    "related_changes",
    "cis",
    "implementation_plan",
    "test_plan",
    "rollback_plan",
    "rollback_tested",
    "rollback_evidence",
    "planned_start",
    "planned_end",
    "incidents",
};

static bool listed(const char *const *list, const char *f)
{
    for (; *list; list++)
        if (strcmp(*list, f) == 0)
            return true;
    return false;
}

/* The edit rules, restated from the specification. */
static bool expect_editable(enum gl_change_type t, enum gl_change_state s, const char *f)
{
    static const char *const approved[] = {
        "planned_start",     "planned_end", "implementer",     "resources",   "rollback_tested",
        "rollback_evidence", "incidents",   "related_changes", "description", NULL};
    static const char *const started[] = {"incidents", "related_changes", "rollback_evidence",
                                          NULL};
    static const char *const emergency[] = {"implementation_plan",
                                            "test_plan",
                                            "rollback_plan",
                                            "description",
                                            "reason",
                                            "risks",
                                            NULL};
    if (s == GL_STATE_CLOSED || s == GL_STATE_CANCELLED || strcmp(f, "client") == 0)
        return false;
    if (strcmp(f, "type") == 0 || strcmp(f, "raised_by") == 0)
        return s == GL_STATE_DRAFT;
    switch (s) {
    case GL_STATE_DRAFT:
    case GL_STATE_SUBMITTED:
    case GL_STATE_ASSESSED:
    case GL_STATE_REJECTED:
        return true;
    case GL_STATE_APPROVED:
    case GL_STATE_SCHEDULED:
        return listed(approved, f);
    default:
        return listed(started, f) || (t == GL_TYPE_EMERGENCY && listed(emergency, f));
    }
}

static void test_check_edit_every_field_state_type(void **state)
{
    int allowed = 0;
    for (int t = 0; t < GL_TYPE__COUNT; t++) {
        for (int s = 0; s < GL_STATE__COUNT; s++) {
            struct gl_change c;
            gl_change_init(&c);
            c.type = (enum gl_change_type)t;
            c.state = (enum gl_change_state)s;
            for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
                struct gl_error err;
                gl_error_clear(&err);
                int rc = gl_change_check_edit(&c, fields[i], &err);
                bool want = expect_editable(c.type, c.state, fields[i]);
                if (want != (rc == 0))
                    fail_msg("%s %s field %s: rc %d (%s)", gl_change_type_name(c.type),
                             gl_change_state_name(c.state), fields[i], rc, err.detail);
                if (rc) {
                    assert_int_equal(rc, GL_E_PRECONDITION);
                    assert_string_equal(err.field, fields[i]);
                    assert_non_null(strstr(err.detail, fields[i]));
                }
                allowed += rc == 0;
            }
        }
    }
    /* 3 types x (4 open states x 17 + draft-only type and raised_by)
     * + approved/scheduled 9 x 2 x 3 + started 5 states x (3 normal/standard, 9 emergency). */
    assert_int_equal(allowed, 3 * (4 * 17 + 2) + 3 * 2 * 9 + 5 * (3 + 3 + 9));
}

static void test_check_edit_details(void **state)
{
    struct gl_change c;
    struct gl_error err;
    gl_change_init(&c);
    c.type = GL_TYPE_NORMAL;
    c.state = GL_STATE_APPROVED;
    assert_int_equal(gl_change_check_edit(&c, "rollback_plan", &err), GL_E_PRECONDITION);
    assert_string_equal(err.detail, "rollback_plan cannot be changed while the change is approved");
    c.state = GL_STATE_CLOSED;
    assert_int_equal(gl_change_check_edit(&c, "incidents", &err), GL_E_PRECONDITION);
    assert_non_null(strstr(err.detail, "closed"));
    c.state = GL_STATE_SUBMITTED;
    assert_int_equal(gl_change_check_edit(&c, "type", &err), GL_E_PRECONDITION);
    assert_non_null(strstr(err.detail, "submitted"));
    /* who raised it is frozen at submission: separation of duties relies on it */
    assert_int_equal(gl_change_check_edit(&c, "raised_by", &err), GL_E_PRECONDITION);
    assert_string_equal(err.field, "raised_by");
    c.state = GL_STATE_DRAFT;
    assert_int_equal(gl_change_check_edit(&c, "raised_by", &err), 0);
}

static void test_check_edit_unknown_field(void **state)
{
    struct gl_change c;
    struct gl_error err;
    gl_change_init(&c);
    const char *bad[] = {"state",          "id",    "version", "outcome",
                         "review_summary", "Title", "",        "cis "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(gl_change_check_edit(&c, bad[i], &err), GL_E_INVALID);
    }
    assert_int_equal(gl_change_check_edit(&c, NULL, &err), GL_E_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_edit_every_field_state_type),
        cmocka_unit_test(test_check_edit_details),
        cmocka_unit_test(test_check_edit_unknown_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
