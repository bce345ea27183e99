/*
 * test_cmdb.c - unit tests of client and configuration item validation
 * (src/core/cmdb.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/cmdb.h"

#include "util/banned.h"

static char *dup_str(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void make_client(struct gl_client *c, const char *key, const char *name, const char *tz,
                        int notice)
{
    gl_client_init(c);
    c->key = dup_str(key);
    c->name = dup_str(name);
    c->timezone = dup_str(tz);
    c->notice_hours = notice;
}

/* Validates a client built from the arguments; returns the code and the field. */
static int client_rc(const char *key, const char *name, const char *tz, int notice, char field[64])
{
    struct gl_client c;
    struct gl_error err;
    gl_error_clear(&err);
    make_client(&c, key, name, tz, notice);
    int rc = gl_client_validate(&c, &err);
    memcpy(field, err.field, sizeof err.field);
    if (rc)
        assert_true(err.detail[0] != '\0');
    gl_client_release(&c);
    return rc;
}

static void test_client_valid(void **state)
{
    char f[64];
    assert_int_equal(client_rc("acme", "Acme Ltd", "Europe/London", 48, f), 0);
    assert_int_equal(client_rc("a", "A", "UTC", 0, f), 0);
    assert_int_equal(client_rc("0-9", "x", "America/Argentina/Buenos_Aires", 8760, f), 0);
    assert_int_equal(client_rc("acme-eu-2", "x", "Etc/GMT+5", 1, f), 0);
    assert_int_equal(client_rc("x", "x", "America/Port-au-Prince", 1, f), 0);
    /* 40 characters is the longest key. */
    assert_int_equal(client_rc("abcdefghij0123456789abcdefghij0123456789", "x", "UTC", 0, f), 0);
}

static void test_client_bad_key(void **state)
{
    const char *bad[] = {
        NULL,     "",     "-acme", "Acme", "ac me",
        "acme_1", "acmé", "a/b",   "a.b",  "abcdefghij0123456789abcdefghij0123456789x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char f[64];
        assert_int_equal(client_rc(bad[i], "Acme", "UTC", 0, f), GL_E_INVALID);
        assert_string_equal(f, "key");
        assert_false(gl_client_key_valid(bad[i]));
    }
    assert_true(gl_client_key_valid("acme"));
    assert_true(gl_client_key_valid("9lives-"));
}

static void test_client_bad_name(void **state)
{
    char f[64];
    char longname[202];
    memset(longname, 'n', 201);
    longname[201] = '\0';
    assert_int_equal(client_rc("acme", NULL, "UTC", 0, f), GL_E_INVALID);
    assert_string_equal(f, "name");
    assert_int_equal(client_rc("acme", "", "UTC", 0, f), GL_E_INVALID);
    assert_int_equal(client_rc("acme", "   ", "UTC", 0, f), GL_E_INVALID);
    assert_int_equal(client_rc("acme", longname, "UTC", 0, f), GL_E_INVALID);
    assert_string_equal(f, "name");
    longname[200] = '\0';
    assert_int_equal(client_rc("acme", longname, "UTC", 0, f), 0);
}

static void test_client_timezone(void **state)
{
    const char *bad[] = {NULL,
                         "",
                         "/etc/passwd",
                         "Europe/../etc",
                         "Europe/",
                         "Europe//London",
                         "Europe/Lon don",
                         "../UTC",
                         "Europe\\London",
                         "1Europe/London",
                         "UTC;rm",
                         ".",
                         "Europe/London\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char f[64];
        if (client_rc("acme", "Acme", bad[i], 0, f) != GL_E_INVALID)
            fail_msg("accepted zone \"%s\"", bad[i] ? bad[i] : "(null)");
        assert_string_equal(f, "timezone");
    }
    assert_true(gl_timezone_valid("UTC"));
    assert_true(gl_timezone_valid("Europe/London"));
    assert_true(gl_timezone_valid("America/Argentina/Buenos_Aires"));
    assert_true(gl_timezone_valid("Etc/GMT-14"));
    assert_false(gl_timezone_valid("Europe/.."));
}

static void test_client_notice_range(void **state)
{
    char f[64];
    assert_int_equal(client_rc("acme", "Acme", "UTC", -1, f), GL_E_INVALID);
    assert_string_equal(f, "notice_hours");
    assert_int_equal(client_rc("acme", "Acme", "UTC", 8761, f), GL_E_INVALID);
    assert_string_equal(f, "notice_hours");
    assert_int_equal(client_rc("acme", "Acme", "UTC", 8760, f), 0);
}

static void test_client_release_accepts_null(void **state)
{
    struct gl_client c;
    make_client(&c, "acme", "Acme", "UTC", 0);
    gl_client_release(&c);
    assert_null(c.key);
    assert_null(c.name);
    gl_client_release(NULL);
}

static void make_ci(struct gl_ci *ci, const char *name, const char *type, int crit, int64_t users)
{
    gl_ci_init(ci);
    ci->name = dup_str(name);
    ci->type = dup_str(type);
    ci->criticality = crit;
    ci->users_affected = users;
}

static int ci_rc(const char *name, const char *type, int crit, int64_t users, char field[64])
{
    struct gl_ci ci;
    struct gl_error err;
    gl_error_clear(&err);
    make_ci(&ci, name, type, crit, users);
    int rc = gl_ci_validate(&ci, &err);
    memcpy(field, err.field, sizeof err.field);
    gl_ci_release(&ci);
    return rc;
}

static void test_ci_valid_types(void **state)
{
    const char *types[] = {"server", "application", "database",       "network_device", "service",
                           "site",   "storage",     "cloud_resource", "endpoint",       "other"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        char f[64];
        assert_int_equal(ci_rc("web-01", types[i], 3, 250, f), 0);
        assert_true(gl_ci_type_valid(types[i]));
    }
}

static void test_ci_bad_type(void **state)
{
    const char *bad[] = {NULL, "", "Server", "router", "server ", "network-device"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char f[64];
        assert_int_equal(ci_rc("web-01", bad[i], 3, 0, f), GL_E_INVALID);
        assert_string_equal(f, "type");
        assert_false(gl_ci_type_valid(bad[i]));
    }
}

static void test_ci_name(void **state)
{
    char f[64];
    char longname[202];
    memset(longname, 'n', 201);
    longname[201] = '\0';
    assert_int_equal(ci_rc(NULL, "server", 1, 0, f), GL_E_INVALID);
    assert_string_equal(f, "name");
    assert_int_equal(ci_rc("", "server", 1, 0, f), GL_E_INVALID);
    assert_int_equal(ci_rc(longname, "server", 1, 0, f), GL_E_INVALID);
    assert_string_equal(f, "name");
    longname[200] = '\0';
    assert_int_equal(ci_rc(longname, "server", 1, 0, f), 0);
}

static void test_ci_criticality_range(void **state)
{
    char f[64];
    assert_int_equal(ci_rc("db", "database", 0, 0, f), GL_E_INVALID);
    assert_string_equal(f, "criticality");
    assert_int_equal(ci_rc("db", "database", 6, 0, f), GL_E_INVALID);
    assert_string_equal(f, "criticality");
    assert_int_equal(ci_rc("db", "database", -3, 0, f), GL_E_INVALID);
    for (int c = 1; c <= 5; c++)
        assert_int_equal(ci_rc("db", "database", c, 0, f), 0);
}

static void test_ci_users_range(void **state)
{
    char f[64];
    assert_int_equal(ci_rc("db", "database", 3, -1, f), GL_E_INVALID);
    assert_string_equal(f, "users_affected");
    assert_int_equal(ci_rc("db", "database", 3, 100000001, f), GL_E_INVALID);
    assert_string_equal(f, "users_affected");
    assert_int_equal(ci_rc("db", "database", 3, 100000000, f), 0);
    assert_int_equal(ci_rc("db", "database", 3, 0, f), 0);
}

static void test_ci_shared_and_owned(void **state)
{
    struct gl_ci ci;
    struct gl_error err;
    make_ci(&ci, "core-switch", "network_device", 5, 1000);
    ci.client_id = 0; /* shared infrastructure */
    assert_int_equal(gl_ci_validate(&ci, &err), 0);
    ci.client_id = 12;
    assert_int_equal(gl_ci_validate(&ci, &err), 0);
    ci.client_id = -1;
    assert_int_equal(gl_ci_validate(&ci, &err), GL_E_INVALID);
    assert_string_equal(err.field, "client");
    gl_ci_release(&ci);
    assert_null(ci.name);
    gl_ci_release(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_valid),
        cmocka_unit_test(test_client_bad_key),
        cmocka_unit_test(test_client_bad_name),
        cmocka_unit_test(test_client_timezone),
        cmocka_unit_test(test_client_notice_range),
        cmocka_unit_test(test_client_release_accepts_null),
        cmocka_unit_test(test_ci_valid_types),
        cmocka_unit_test(test_ci_bad_type),
        cmocka_unit_test(test_ci_name),
        cmocka_unit_test(test_ci_criticality_range),
        cmocka_unit_test(test_ci_users_range),
        cmocka_unit_test(test_ci_shared_and_owned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
