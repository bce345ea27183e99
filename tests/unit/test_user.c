/*
 * test_user.c - unit tests of users, role names, grants and scopes (src/core/user.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/user.h"

#include "util/banned.h"

static void test_role_names_round_trip(void **state)
{
    const char *names[] = {"requester",          "implementer",     "change_manager", "cab_member",
                           "emergency_approver", "client_approver", "auditor"};
    assert_int_equal(sizeof names / sizeof names[0], GL_ROLE__COUNT);
    for (int i = 0; i < GL_ROLE__COUNT; i++) {
        enum gl_role r;
        assert_string_equal(gl_role_name((enum gl_role)i), names[i]);
        assert_int_equal(gl_role_parse(names[i], &r), 0);
        assert_int_equal(r, i);
    }
}

static void test_role_parse_dash_and_rejects(void **state)
{
    enum gl_role r;
    assert_int_equal(gl_role_parse("change-manager", &r), 0);
    assert_int_equal(r, GL_ROLE_CHANGE_MANAGER);
    assert_int_equal(gl_role_parse("emergency-approver", &r), 0);
    assert_int_equal(r, GL_ROLE_EMERGENCY_APPROVER);
    assert_int_equal(gl_role_parse("admin", &r), -1);
    assert_int_equal(gl_role_parse("", &r), -1);
    assert_int_equal(gl_role_parse("Auditor", &r), -1);
    assert_int_equal(gl_role_parse("auditors", &r), -1);
    assert_int_equal(gl_role_parse("audit", &r), -1);
    assert_int_equal(gl_role_parse(NULL, &r), -1);
    assert_string_equal(gl_role_name(GL_ROLE__COUNT), "unknown");
}

static void set_name(struct gl_user *u, const char *name)
{
    free(u->name);
    u->name = name ? strdup(name) : NULL;
}

static void test_user_name_rules(void **state)
{
    struct gl_user u;
    struct gl_error err;
    gl_user_init(&u);
    const char *good[] = {"alice", "bob.smith", "ops_team-2", "carol@example.com", "A"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        set_name(&u, good[i]);
        assert_int_equal(gl_user_validate(&u, &err), 0);
    }
    char long_name[66];
    memset(long_name, 'x', 65);
    long_name[65] = '\0';
    const char *bad[] = {NULL,     "",      "with space", "semi;colon",
                         "slash/", "tab\t", "ümlaut",     long_name};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        set_name(&u, bad[i]);
        gl_error_clear(&err);
        assert_int_equal(gl_user_validate(&u, &err), GL_E_INVALID);
        assert_string_equal(err.field, "name");
    }
    long_name[64] = '\0';
    set_name(&u, long_name);
    assert_int_equal(gl_user_validate(&u, &err), 0);
    gl_user_release(&u);
    gl_user_release(NULL);
}

static void test_grants_deduplicate_and_validate(void **state)
{
    struct gl_user u;
    gl_user_init(&u);
    assert_int_equal(gl_user_add_grant(&u, GL_ROLE_REQUESTER, 1), 0);
    assert_int_equal(gl_user_add_grant(&u, GL_ROLE_REQUESTER, 1), 0);
    assert_int_equal(gl_user_add_grant(&u, GL_ROLE_CAB_MEMBER, 1), 0);
    assert_int_equal(gl_user_add_grant(&u, GL_ROLE_REQUESTER, 2), 0);
    assert_int_equal(u.ngrants, 3);
    assert_int_equal(gl_user_add_grant(&u, GL_ROLE__COUNT, 1), GL_E_INVALID);
    assert_int_equal(gl_user_add_grant(&u, GL_ROLE_AUDITOR, -1), GL_E_INVALID);
    assert_int_equal(u.ngrants, 3);
    assert_int_equal(u.grants[1].role, GL_ROLE_CAB_MEMBER);
    assert_int_equal(u.grants[2].client_id, 2);
    gl_user_release(&u);
    assert_null(u.grants);
    assert_int_equal(u.ngrants, 0);
}

static void test_scope_admin_is_all(void **state)
{
    struct gl_user u;
    struct gl_scope s;
    gl_user_init(&u);
    u.admin = true;
    assert_int_equal(gl_user_scope(&u, &s), 0);
    assert_true(s.all);
    assert_true(gl_scope_contains(&s, 1));
    assert_true(gl_scope_contains(&s, 999));
    assert_true(gl_scope_contains(&s, 0));
    gl_scope_release(&s);
    gl_user_release(&u);
}

static void test_scope_global_grant_is_all(void **state)
{
    struct gl_user u;
    struct gl_scope s;
    gl_user_init(&u);
    assert_int_equal(gl_user_add_grant(&u, GL_ROLE_REQUESTER, 4), 0);
    assert_int_equal(gl_user_add_grant(&u, GL_ROLE_AUDITOR, 0), 0);
    assert_int_equal(gl_user_scope(&u, &s), 0);
    assert_true(s.all);
    assert_true(gl_scope_contains(&s, 77));
    gl_scope_release(&s);
    gl_user_release(&u);
}

static void test_scope_lists_distinct_clients(void **state)
{
    struct gl_user u;
    struct gl_scope s;
    gl_user_init(&u);
    assert_int_equal(gl_user_add_grant(&u, GL_ROLE_REQUESTER, 4), 0);
    assert_int_equal(gl_user_add_grant(&u, GL_ROLE_IMPLEMENTER, 4), 0);
    assert_int_equal(gl_user_add_grant(&u, GL_ROLE_REQUESTER, 9), 0);
    assert_int_equal(gl_user_scope(&u, &s), 0);
    assert_false(s.all);
    assert_int_equal(s.n, 2);
    assert_true(gl_scope_contains(&s, 4));
    assert_true(gl_scope_contains(&s, 9));
    assert_false(gl_scope_contains(&s, 5));
    assert_false(gl_scope_contains(&s, 0)); /* shared/global needs an `all` scope */
    gl_scope_release(&s);
    assert_null(s.client_ids);
    assert_int_equal(s.n, 0);
    gl_user_release(&u);
}

static void test_scope_without_grants_is_empty(void **state)
{
    struct gl_user u;
    struct gl_scope s;
    gl_user_init(&u);
    assert_int_equal(gl_user_scope(&u, &s), 0);
    assert_false(s.all);
    assert_int_equal(s.n, 0);
    assert_false(gl_scope_contains(&s, 1));
    assert_false(gl_scope_contains(NULL, 1));
    gl_scope_release(&s);
    gl_scope_release(NULL);
    gl_user_release(&u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_role_names_round_trip),
        cmocka_unit_test(test_role_parse_dash_and_rejects),
        cmocka_unit_test(test_user_name_rules),
        cmocka_unit_test(test_grants_deduplicate_and_validate),
        cmocka_unit_test(test_scope_admin_is_all),
        cmocka_unit_test(test_scope_global_grant_is_all),
        cmocka_unit_test(test_scope_lists_distinct_clients),
        cmocka_unit_test(test_scope_without_grants_is_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
