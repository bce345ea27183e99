/*
 * test_template.c - unit tests of standard-change templates (src/core/template.c):
 * validation, identifiers, who may use one, fit (CI types, maximum risk), filling a change,
 * standing, and the revocation rule with its Beta prior.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/template.h"

#include "util/banned.h"

static void tpl(struct gl_template *t)
{
    gl_template_init(t);
    t->id = 3;
    t->name = strdup("Patch a Linux server");
    t->steps = strdup("1. drain 2. patch 3. reboot");
    t->rollback_plan = strdup("boot previous kernel");
    assert_int_equal(gl_strlist_push(&t->ci_types, "server"), 0);
    t->max_risk = GL_RISK_MODERATE;
    t->preapproved = true;
}

static void test_validate(void **state)
{
    struct gl_template t;
    struct gl_error err;
    tpl(&t);
    assert_int_equal(gl_template_validate(&t, &err), 0);
    gl_strlist_push(&t.ci_types, "spaceship");
    assert_int_equal(gl_template_validate(&t, &err), GL_E_INVALID);
    assert_string_equal(err.field, "ci_types");
    gl_template_release(&t);

    tpl(&t);
    free(t.steps);
    t.steps = strdup("   ");
    assert_int_equal(gl_template_validate(&t, &err), GL_E_INVALID);
    assert_string_equal(err.field, "steps");
    gl_template_release(&t);

    tpl(&t);
    gl_strlist_release(&t.ci_types);
    assert_int_equal(gl_template_validate(&t, &err), GL_E_INVALID);
    assert_string_equal(err.field, "ci_types");
    t.max_risk = (enum gl_risk_level)9;
    gl_strlist_push(&t.ci_types, "server");
    assert_int_equal(gl_template_validate(&t, &err), GL_E_INVALID);
    assert_string_equal(err.field, "max_risk");
    t.max_risk = GL_RISK_LOW;
    t.roles = 1u << 20;
    assert_int_equal(gl_template_validate(&t, &err), GL_E_INVALID);
    assert_string_equal(err.field, "roles");
    gl_template_release(&t);
}

static void test_ident_and_copy(void **state)
{
    char s[GL_IDENT_MAX];
    gl_template_ident_format(42, s);
    assert_string_equal(s, "TPL-000042");
    int64_t id;
    assert_int_equal(gl_template_ident_parse("tpl-000042", &id), 0);
    assert_int_equal(id, 42);
    assert_int_equal(gl_template_ident_parse("42", &id), 0);
    assert_int_equal(gl_template_ident_parse("TPL-", &id), -1);
    assert_int_equal(gl_template_ident_parse("TPL-4x", &id), -1);
    struct gl_template a, b;
    tpl(&a);
    gl_template_init(&b);
    assert_int_equal(gl_template_copy(&b, &a), 0);
    assert_string_equal(b.name, a.name);
    assert_ptr_not_equal(b.name, a.name);
    assert_int_equal(b.ci_types.len, 1);
    gl_template_release(&a);
    assert_string_equal(b.steps, "1. drain 2. patch 3. reboot");
    gl_template_release(&b);
}

static void test_who_may_use(void **state)
{
    struct gl_template t;
    tpl(&t);
    struct gl_user u;
    gl_user_init(&u);
    u.name = strdup("ivan");
    gl_user_add_grant(&u, GL_ROLE_IMPLEMENTER, 7);
    struct gl_error err;
    assert_int_equal(gl_template_check_use(&t, &u, 7, &err), 0); /* open to every writer */
    t.roles = 1u << GL_ROLE_CHANGE_MANAGER;
    assert_int_equal(gl_template_check_use(&t, &u, 7, &err), GL_E_FORBIDDEN);
    gl_strlist_push(&t.users, "ivan");
    assert_int_equal(gl_template_check_use(&t, &u, 7, &err), 0);
    gl_strlist_release(&t.users);
    t.roles |= 1u << GL_ROLE_IMPLEMENTER;
    assert_int_equal(gl_template_check_use(&t, &u, 7, &err), 0);
    assert_int_equal(gl_template_check_use(&t, &u, 8, &err), GL_E_FORBIDDEN); /* not there */
    t.client_id = 9;
    assert_int_equal(gl_template_check_use(&t, &u, 7, &err), GL_E_INVALID);
    assert_string_equal(err.field, "template");
    gl_user_release(&u);
    gl_template_release(&t);
}

static void test_fit(void **state)
{
    struct gl_template t;
    tpl(&t);
    struct gl_ci cis[2];
    gl_ci_init(&cis[0]);
    gl_ci_init(&cis[1]);
    cis[0].id = 1;
    cis[0].type = strdup("server");
    cis[1].id = 2;
    cis[1].type = strdup("database");
    struct gl_error err;
    assert_int_equal(gl_template_check_cis(&t, cis, 1, &err), 0);
    assert_int_equal(gl_template_check_cis(&t, cis, 2, &err), GL_E_PRECONDITION);
    assert_string_equal(err.field, "cis");
    assert_non_null(strstr(err.detail, "CI-000002"));
    assert_non_null(strstr(err.detail, "normal"));
    assert_int_equal(gl_template_check_risk(&t, GL_RISK_LOW, &err), 0);
    assert_int_equal(gl_template_check_risk(&t, GL_RISK_MODERATE, &err), 0);
    assert_int_equal(gl_template_check_risk(&t, GL_RISK_HIGH, &err), GL_E_PRECONDITION);
    assert_string_equal(err.field, "risk");
    gl_ci_release(&cis[0]);
    gl_ci_release(&cis[1]);
    gl_template_release(&t);
}

static void test_fill_change_and_standing(void **state)
{
    struct gl_template t;
    tpl(&t);
    struct gl_change c;
    gl_change_init(&c);
    struct gl_error err;
    assert_int_equal(gl_template_fill_change(&t, &c, &err), 0);
    assert_int_equal(c.type, GL_TYPE_STANDARD);
    assert_int_equal(c.template_id, 3);
    assert_string_equal(c.title, "Patch a Linux server");
    assert_string_equal(c.implementation_plan, t.steps);
    assert_string_equal(c.rollback_plan, t.rollback_plan);
    gl_change_release(&c);
    assert_int_equal(gl_template_standing(&t), GL_TEMPLATE_GOOD);
    t.revoked_at = 100;
    assert_int_equal(gl_template_standing(&t), GL_TEMPLATE_NOT_PREAPPROVED);
    t.revoked_at = GL_TIME_UNSET;
    t.preapproved = false;
    assert_int_equal(gl_template_standing(&t), GL_TEMPLATE_NOT_PREAPPROVED);
    assert_int_equal(gl_template_standing(NULL), GL_TEMPLATE_NONE);
    gl_template_release(&t);
}

static void test_revocation_rule(void **state)
{
    struct gl_policy p;
    gl_policy_default(&p); /* prior 1/(1+9), threshold 0.2, at least 5 changes */
    double rate;
    /* One failure out of one does not dominate: too few changes, and the prior pulls it. */
    assert_false(gl_template_should_revoke(1, 1, &p, &rate));
    assert_true(rate < 0.2);
    /* With no history the rate is the prior's. */
    gl_template_should_revoke(0, 0, &p, &rate);
    assert_true(rate > 0.099 && rate < 0.101);
    /* 5 changes, 2 failures: (2+1)/(5+10) = 0.2, not above. */
    assert_false(gl_template_should_revoke(5, 2, &p, &rate));
    /* 5 changes, 3 failures: 4/15 > 0.2. */
    assert_true(gl_template_should_revoke(5, 3, &p, &rate));
    /* Many successes keep it. */
    assert_false(gl_template_should_revoke(100, 10, &p, &rate));
    /* 4 changes all failed: below the minimum, kept. */
    assert_false(gl_template_should_revoke(4, 4, &p, &rate));
    p.template_min_changes = 1;
    assert_true(gl_template_should_revoke(4, 4, &p, &rate));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_ident_and_copy),
        cmocka_unit_test(test_who_may_use),
        cmocka_unit_test(test_fit),
        cmocka_unit_test(test_fill_change_and_standing),
        cmocka_unit_test(test_revocation_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
