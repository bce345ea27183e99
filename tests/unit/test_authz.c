/*
 * test_authz.c - unit tests of the permission matrix and separation of duties
 * (src/core/authz.c): every role against every permission, client scoping, all-clients
 * grants, shared records, admins, and who may not approve what.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/authz.h"

#include "util/banned.h"

/* The expected matrix, written out independently of authz.c: 1 = allowed on a client the
 * role is granted on. Columns: requester, implementer, change_manager, cab_member,
 * emergency_approver, client_approver, auditor. */
static const int expected[GL_PERM__COUNT][GL_ROLE__COUNT] = {
    [GL_PERM_CLIENT_READ] = {1, 1, 1, 1, 1, 1, 1},
    [GL_PERM_CLIENT_WRITE] = {0, 0, 0, 0, 0, 0, 0},
    [GL_PERM_CI_READ] = {1, 1, 1, 1, 1, 1, 1},
    [GL_PERM_CI_WRITE] = {0, 1, 1, 0, 0, 0, 0},
    [GL_PERM_CHANGE_READ] = {1, 1, 1, 1, 1, 1, 1},
    [GL_PERM_CHANGE_WRITE] = {1, 1, 1, 0, 0, 0, 0},
    [GL_PERM_CHANGE_SUBMIT] = {1, 1, 1, 0, 0, 0, 0},
    [GL_PERM_CHANGE_ASSESS] = {0, 0, 1, 0, 0, 0, 0},
    [GL_PERM_CHANGE_APPROVE] = {0, 0, 1, 1, 0, 0, 0},
    [GL_PERM_CHANGE_APPROVE_EMERGENCY] = {0, 0, 1, 0, 1, 0, 0},
    [GL_PERM_CHANGE_SCHEDULE] = {0, 1, 1, 0, 0, 0, 0},
    [GL_PERM_CHANGE_IMPLEMENT] = {0, 1, 1, 0, 0, 0, 0},
    [GL_PERM_CHANGE_REVIEW] = {0, 1, 1, 0, 0, 0, 0},
    [GL_PERM_CHANGE_CLOSE] = {0, 0, 1, 0, 0, 0, 0},
    [GL_PERM_AUDIT_READ] = {0, 0, 0, 0, 0, 0, 1},
    [GL_PERM_DOC_READ] = {1, 1, 1, 1, 1, 1, 1},
    [GL_PERM_DOC_WRITE] = {0, 1, 1, 0, 0, 0, 0},
    [GL_PERM_CALENDAR_WRITE] = {0, 0, 1, 0, 0, 0, 0},
    [GL_PERM_TEMPLATE_WRITE] = {0, 0, 1, 0, 0, 0, 0},
    [GL_PERM_POLICY_WRITE] = {0, 0, 0, 0, 0, 0, 0}, /* admin only */
};

static void user_with(struct gl_user *u, const char *name, enum gl_role r, int64_t client)
{
    gl_user_init(u);
    u->name = strdup(name);
    assert_non_null(u->name);
    assert_int_equal(gl_user_add_grant(u, r, client), 0);
}

static void change_on(struct gl_change *c, int64_t client, enum gl_change_type t)
{
    gl_change_init(c);
    c->client_id = client;
    c->type = t;
    assert_int_equal(gl_change_set_str(&c->raised_by, "rita"), 0);
    assert_int_equal(gl_change_set_str(&c->created_by, "carl"), 0);
    assert_int_equal(gl_change_set_str(&c->implementer, "ivan"), 0);
}

static void test_every_role_every_perm_on_granted_client(void **state)
{
    for (int r = 0; r < GL_ROLE__COUNT; r++) {
        struct gl_user u;
        user_with(&u, "u", (enum gl_role)r, 7);
        for (int p = 0; p < GL_PERM__COUNT; p++) {
            struct gl_error err;
            gl_error_clear(&err);
            int rc = gl_authz_check(&u, (enum gl_perm)p, 7, &err);
            if (rc != (expected[p][r] ? 0 : GL_E_FORBIDDEN))
                fail_msg("role %s, permission %s: got %d", gl_role_name((enum gl_role)r),
                         gl_perm_name((enum gl_perm)p), rc);
            if (rc) {
                assert_int_equal(err.code, GL_E_FORBIDDEN);
                assert_true(strlen(err.detail) > 10);
            }
        }
        gl_user_release(&u);
    }
}

static void test_grant_on_one_client_gives_nothing_on_another(void **state)
{
    for (int r = 0; r < GL_ROLE__COUNT; r++) {
        struct gl_user u;
        user_with(&u, "u", (enum gl_role)r, 7);
        for (int p = 0; p < GL_PERM__COUNT; p++)
            assert_int_equal(gl_authz_check(&u, (enum gl_perm)p, 8, NULL), GL_E_FORBIDDEN);
        gl_user_release(&u);
    }
}

static void test_all_clients_grant_covers_every_client(void **state)
{
    for (int r = 0; r < GL_ROLE__COUNT; r++) {
        struct gl_user u;
        user_with(&u, "u", (enum gl_role)r, 0);
        for (int p = 0; p < GL_PERM__COUNT; p++)
            for (int64_t client = 1; client < 4; client++)
                assert_int_equal(gl_authz_check(&u, (enum gl_perm)p, client, NULL),
                                 expected[p][r] ? 0 : GL_E_FORBIDDEN);
        gl_user_release(&u);
    }
}

static void test_shared_records_need_all_clients_grant_except_ci_read(void **state)
{
    struct gl_user scoped, global;
    user_with(&scoped, "s", GL_ROLE_CHANGE_MANAGER, 7);
    user_with(&global, "g", GL_ROLE_CHANGE_MANAGER, 0);
    assert_int_equal(gl_authz_check(&scoped, GL_PERM_CI_READ, 0, NULL), 0);
    assert_int_equal(gl_authz_check(&scoped, GL_PERM_CI_WRITE, 0, NULL), GL_E_FORBIDDEN);
    assert_int_equal(gl_authz_check(&global, GL_PERM_CI_WRITE, 0, NULL), 0);
    gl_user_release(&scoped);
    gl_user_release(&global);

    struct gl_user impl, nobody;
    user_with(&impl, "i", GL_ROLE_IMPLEMENTER, 0);
    gl_user_init(&nobody);
    assert_int_equal(gl_authz_check(&impl, GL_PERM_CI_WRITE, 0, NULL), GL_E_FORBIDDEN);
    assert_int_equal(gl_authz_check(&impl, GL_PERM_CI_WRITE, 7, NULL), 0);
    assert_int_equal(gl_authz_check(&nobody, GL_PERM_CI_READ, 0, NULL), 0);
    assert_int_equal(gl_authz_check(&nobody, GL_PERM_CI_READ, 7, NULL), GL_E_FORBIDDEN);
    assert_int_equal(gl_authz_check(&nobody, GL_PERM_CHANGE_READ, 7, NULL), GL_E_FORBIDDEN);
    gl_user_release(&impl);
}

static void test_audit_on_all_clients_needs_all_clients_auditor(void **state)
{
    struct gl_user scoped, global;
    user_with(&scoped, "s", GL_ROLE_AUDITOR, 7);
    user_with(&global, "g", GL_ROLE_AUDITOR, 0);
    assert_int_equal(gl_authz_check(&scoped, GL_PERM_AUDIT_READ, 7, NULL), 0);
    assert_int_equal(gl_authz_check(&scoped, GL_PERM_AUDIT_READ, 0, NULL), GL_E_FORBIDDEN);
    assert_int_equal(gl_authz_check(&global, GL_PERM_AUDIT_READ, 0, NULL), 0);
    gl_user_release(&scoped);
    gl_user_release(&global);
}

static void test_admin_holds_every_permission(void **state)
{
    struct gl_user a;
    gl_user_init(&a);
    a.admin = true;
    for (int p = 0; p < GL_PERM__COUNT; p++)
        for (int64_t client = 0; client < 3; client++)
            assert_int_equal(gl_authz_check(&a, (enum gl_perm)p, client, NULL), 0);
}

static void test_roles_accumulate_per_client(void **state)
{
    struct gl_user u;
    user_with(&u, "u", GL_ROLE_REQUESTER, 7);
    assert_int_equal(gl_user_add_grant(&u, GL_ROLE_CHANGE_MANAGER, 8), 0);
    assert_int_equal(gl_authz_check(&u, GL_PERM_CHANGE_ASSESS, 7, NULL), GL_E_FORBIDDEN);
    assert_int_equal(gl_authz_check(&u, GL_PERM_CHANGE_ASSESS, 8, NULL), 0);
    assert_int_equal(gl_authz_check(&u, GL_PERM_CHANGE_WRITE, 7, NULL), 0);
    assert_true(gl_authz_has_role(&u, GL_ROLE_REQUESTER, 7));
    assert_false(gl_authz_has_role(&u, GL_ROLE_REQUESTER, 8));
    gl_user_release(&u);
}

static void test_refusal_detail_names_roles(void **state)
{
    struct gl_user u;
    struct gl_error err;
    user_with(&u, "u", GL_ROLE_REQUESTER, 7);
    assert_int_equal(gl_authz_check(&u, GL_PERM_CHANGE_APPROVE, 7, &err), GL_E_FORBIDDEN);
    assert_non_null(strstr(err.detail, "a requester may not approve"));
    assert_non_null(strstr(err.detail, "change_manager or cab_member"));
    assert_int_equal(gl_authz_check(&u, GL_PERM_CLIENT_WRITE, 7, &err), GL_E_FORBIDDEN);
    assert_non_null(strstr(err.detail, "only an administrator"));
    gl_user_release(&u);
}

static void test_action_perms(void **state)
{
    struct gl_change n, e;
    change_on(&n, 7, GL_TYPE_NORMAL);
    change_on(&e, 7, GL_TYPE_EMERGENCY);
    assert_int_equal(gl_authz_action_perm(&n, GL_ACTION_APPROVE), GL_PERM_CHANGE_APPROVE);
    assert_int_equal(gl_authz_action_perm(&n, GL_ACTION_REJECT), GL_PERM_CHANGE_APPROVE);
    assert_int_equal(gl_authz_action_perm(&e, GL_ACTION_APPROVE), GL_PERM_CHANGE_APPROVE_EMERGENCY);
    assert_int_equal(gl_authz_action_perm(&e, GL_ACTION_REJECT), GL_PERM_CHANGE_APPROVE_EMERGENCY);
    assert_int_equal(gl_authz_action_perm(&n, GL_ACTION_SUBMIT), GL_PERM_CHANGE_SUBMIT);
    assert_int_equal(gl_authz_action_perm(&n, GL_ACTION_REOPEN), GL_PERM_CHANGE_SUBMIT);
    assert_int_equal(gl_authz_action_perm(&n, GL_ACTION_CANCEL), GL_PERM_CHANGE_SUBMIT);
    assert_int_equal(gl_authz_action_perm(&n, GL_ACTION_ASSESS), GL_PERM_CHANGE_ASSESS);
    assert_int_equal(gl_authz_action_perm(&n, GL_ACTION_SCHEDULE), GL_PERM_CHANGE_SCHEDULE);
    assert_int_equal(gl_authz_action_perm(&n, GL_ACTION_START), GL_PERM_CHANGE_IMPLEMENT);
    assert_int_equal(gl_authz_action_perm(&n, GL_ACTION_COMPLETE), GL_PERM_CHANGE_IMPLEMENT);
    assert_int_equal(gl_authz_action_perm(&n, GL_ACTION_FAIL), GL_PERM_CHANGE_IMPLEMENT);
    assert_int_equal(gl_authz_action_perm(&n, GL_ACTION_ROLLBACK), GL_PERM_CHANGE_IMPLEMENT);
    assert_int_equal(gl_authz_action_perm(&n, GL_ACTION_REVIEW), GL_PERM_CHANGE_REVIEW);
    assert_int_equal(gl_authz_action_perm(&n, GL_ACTION_CLOSE), GL_PERM_CHANGE_CLOSE);
    assert_int_equal(gl_authz_action_perm(&n, GL_ACTION__COUNT), GL_PERM__COUNT);
    gl_change_release(&n);
    gl_change_release(&e);
}

static void test_emergency_approval_roles(void **state)
{
    struct gl_change n, e;
    struct gl_user ea, cab;
    change_on(&n, 7, GL_TYPE_NORMAL);
    change_on(&e, 7, GL_TYPE_EMERGENCY);
    user_with(&ea, "ea", GL_ROLE_EMERGENCY_APPROVER, 7);
    user_with(&cab, "cab", GL_ROLE_CAB_MEMBER, 7);
    assert_int_equal(gl_authz_action(&ea, &e, GL_ACTION_APPROVE, NULL), 0);
    assert_int_equal(gl_authz_action(&ea, &n, GL_ACTION_APPROVE, NULL), GL_E_FORBIDDEN);
    assert_int_equal(gl_authz_action(&cab, &n, GL_ACTION_REJECT, NULL), 0);
    assert_int_equal(gl_authz_action(&cab, &e, GL_ACTION_REJECT, NULL), GL_E_FORBIDDEN);
    gl_change_release(&n);
    gl_change_release(&e);
    gl_user_release(&ea);
    gl_user_release(&cab);
}

/* Raiser, creator and implementer may not approve or reject, whatever their role. */
static void test_separation_of_duties(void **state)
{
    const char *names[] = {"rita", "carl", "ivan"};
    struct gl_change c;
    change_on(&c, 7, GL_TYPE_NORMAL);
    for (size_t i = 0; i < 3; i++) {
        struct gl_user u;
        struct gl_error err;
        user_with(&u, names[i], GL_ROLE_CHANGE_MANAGER, 0);
        assert_int_equal(gl_authz_action(&u, &c, GL_ACTION_APPROVE, &err), GL_E_FORBIDDEN);
        assert_non_null(strstr(err.detail, "separation of duties"));
        assert_int_equal(gl_authz_action(&u, &c, GL_ACTION_REJECT, NULL), GL_E_FORBIDDEN);
        /* the other steps stay theirs */
        assert_int_equal(gl_authz_action(&u, &c, GL_ACTION_ASSESS, NULL), 0);
        assert_int_equal(gl_authz_action(&u, &c, GL_ACTION_START, NULL), 0);
        assert_int_equal(gl_authz_action(&u, &c, GL_ACTION_CLOSE, NULL), 0);
        u.admin = true;
        assert_int_equal(gl_authz_action(&u, &c, GL_ACTION_APPROVE, NULL), GL_E_FORBIDDEN);
        gl_user_release(&u);
    }
    struct gl_user other;
    user_with(&other, "olga", GL_ROLE_CHANGE_MANAGER, 7);
    assert_int_equal(gl_authz_action(&other, &c, GL_ACTION_APPROVE, NULL), 0);
    gl_user_release(&other);
    gl_change_release(&c);
}

static void test_separation_of_duties_for_admin_raiser(void **state)
{
    struct gl_change c;
    struct gl_user admin;
    change_on(&c, 7, GL_TYPE_EMERGENCY);
    gl_user_init(&admin);
    admin.admin = true;
    admin.name = strdup("rita");
    assert_int_equal(gl_authz_action(&admin, &c, GL_ACTION_APPROVE, NULL), GL_E_FORBIDDEN);
    assert_int_equal(gl_authz_action(&admin, &c, GL_ACTION_SUBMIT, NULL), 0);
    free(admin.name);
    admin.name = strdup("root");
    assert_int_equal(gl_authz_action(&admin, &c, GL_ACTION_APPROVE, NULL), 0);
    gl_user_release(&admin);
    gl_change_release(&c);
}

static void test_action_on_other_client_refused(void **state)
{
    struct gl_change c;
    struct gl_user u;
    change_on(&c, 8, GL_TYPE_NORMAL);
    user_with(&u, "olga", GL_ROLE_CHANGE_MANAGER, 7);
    for (int a = 0; a < GL_ACTION__COUNT; a++)
        assert_int_equal(gl_authz_action(&u, &c, (enum gl_action)a, NULL), GL_E_FORBIDDEN);
    gl_user_release(&u);
    gl_change_release(&c);
}

static void test_bad_arguments_refused(void **state)
{
    struct gl_user u;
    user_with(&u, "u", GL_ROLE_CHANGE_MANAGER, 0);
    assert_int_equal(gl_authz_check(&u, GL_PERM__COUNT, 7, NULL), GL_E_FORBIDDEN);
    assert_int_equal(gl_authz_check(&u, GL_PERM_CHANGE_READ, -1, NULL), GL_E_FORBIDDEN);
    assert_int_equal(gl_authz_check(NULL, GL_PERM_CHANGE_READ, 7, NULL), GL_E_FORBIDDEN);
    assert_string_equal(gl_perm_name(GL_PERM__COUNT), "unknown");
    assert_string_equal(gl_perm_name(GL_PERM_AUDIT_READ), "audit.read");
    gl_user_release(&u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_role_every_perm_on_granted_client),
        cmocka_unit_test(test_grant_on_one_client_gives_nothing_on_another),
        cmocka_unit_test(test_all_clients_grant_covers_every_client),
        cmocka_unit_test(test_shared_records_need_all_clients_grant_except_ci_read),
        cmocka_unit_test(test_audit_on_all_clients_needs_all_clients_auditor),
        cmocka_unit_test(test_admin_holds_every_permission),
        cmocka_unit_test(test_roles_accumulate_per_client),
        cmocka_unit_test(test_refusal_detail_names_roles),
        cmocka_unit_test(test_action_perms),
        cmocka_unit_test(test_emergency_approval_roles),
        cmocka_unit_test(test_separation_of_duties),
        cmocka_unit_test(test_separation_of_duties_for_admin_raiser),
        cmocka_unit_test(test_action_on_other_client_refused),
        cmocka_unit_test(test_bad_arguments_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
