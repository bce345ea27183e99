/*
 * test_cmdb.c - unit tests of client and configuration item validation
 * (src/core/cmdb.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
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

static void test_ci_validate_all_names_every_bad_field(void **state)
{
    struct gl_ci ci;
    struct gl_error errs[GL_CI_CHECKS_MAX], first;
    char owner[202];
    memset(owner, 'o', 201);
    owner[201] = '\0';
    make_ci(&ci, "", "toaster", 0, -1);
    ci.owner = dup_str(owner);
    assert_int_equal(gl_ci_validate_all(&ci, errs, GL_CI_CHECKS_MAX), 5);
    const char *want[] = {"name", "type", "criticality", "users_affected", "owner"};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(errs[i].code, GL_E_INVALID);
        assert_string_equal(errs[i].field, want[i]);
        assert_true(errs[i].detail[0] != '\0');
    }
    /* Fewer slots than findings: the count is still every finding, the slots the first. */
    assert_int_equal(gl_ci_validate_all(&ci, errs, 2), 5);
    assert_string_equal(errs[1].field, "type");
    assert_int_equal(gl_ci_validate_all(&ci, NULL, 0), 5);
    /* gl_ci_validate answers the first of them. */
    assert_int_equal(gl_ci_validate(&ci, &first), GL_E_INVALID);
    assert_string_equal(first.field, "name");
    gl_ci_release(&ci);
    make_ci(&ci, "web-01", "server", 3, 10);
    assert_int_equal(gl_ci_validate_all(&ci, errs, GL_CI_CHECKS_MAX), 0);
    gl_ci_release(&ci);
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

static void set_str(struct gl_attrs *a, const char *key, const char *v)
{
    struct gl_attr at = {.key = (char *)key, .kind = GL_ATTR_STRING, .str = (char *)v};
    assert_int_equal(gl_attrs_set(a, &at), 0);
}

static void set_int(struct gl_attrs *a, const char *key, int64_t v)
{
    struct gl_attr at = {.key = (char *)key, .kind = GL_ATTR_INT, .i = v};
    assert_int_equal(gl_attrs_set(a, &at), 0);
}

static void test_attrs_sorted_replace_remove(void **state)
{
    struct gl_attrs a = {0}, b = {0};
    set_str(&a, "os", "linux");
    set_int(&a, "cores", 4);
    set_str(&a, "zone", "eu");
    set_str(&a, "os", "bsd"); /* replaces */
    assert_int_equal(a.len, 3);
    assert_string_equal(a.items[0].key, "cores");
    assert_string_equal(a.items[1].key, "os");
    assert_string_equal(a.items[2].key, "zone");
    assert_string_equal(gl_attrs_get(&a, "os")->str, "bsd");
    assert_null(gl_attrs_get(&a, "nope"));
    assert_int_equal(gl_attrs_copy(&b, &a), 0);
    assert_true(gl_attrs_equal(&a, &b));
    set_int(&b, "cores", 5);
    assert_false(gl_attrs_equal(&a, &b));
    set_int(&b, "cores", 4);
    assert_true(gl_attrs_equal(&a, &b));
    set_str(&b, "cores", "4"); /* same text, another kind */
    assert_false(gl_attrs_equal(&a, &b));
    gl_attrs_remove(&a, "os");
    gl_attrs_remove(&a, "os");
    assert_int_equal(a.len, 2);
    assert_string_equal(a.items[1].key, "zone");
    gl_attrs_release(&a);
    gl_attrs_release(&b);
    gl_attrs_release(NULL);
    assert_int_equal(a.len, 0);
}

static void test_attrs_validate(void **state)
{
    struct gl_ci ci;
    struct gl_error err;
    char key[80], big[GL_ATTR_VALUE_MAX + 2];
    gl_ci_init(&ci);
    ci.name = strdup("web");
    ci.type = strdup("server");
    ci.criticality = 3;
    assert_true(gl_attr_key_valid("a"));
    assert_true(gl_attr_key_valid("rack.u-1_x"));
    assert_false(gl_attr_key_valid(""));
    assert_false(gl_attr_key_valid("Os"));
    assert_false(gl_attr_key_valid("a b"));
    memset(key, 'k', 64);
    key[64] = '\0';
    assert_true(gl_attr_key_valid(key));
    key[64] = 'k';
    key[65] = '\0';
    assert_false(gl_attr_key_valid(key));
    memset(big, 'x', GL_ATTR_VALUE_MAX);
    big[GL_ATTR_VALUE_MAX] = '\0';
    set_str(&ci.attrs, "note", big);
    assert_int_equal(gl_ci_validate(&ci, &err), 0);
    big[GL_ATTR_VALUE_MAX] = 'x';
    big[GL_ATTR_VALUE_MAX + 1] = '\0';
    set_str(&ci.attrs, "note", big);
    assert_int_equal(gl_ci_validate(&ci, &err), GL_E_INVALID);
    assert_string_equal(err.field, "attributes.note");
    gl_attrs_remove(&ci.attrs, "note");
    for (int i = 0; i < GL_ATTRS_MAX; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        set_int(&ci.attrs, k, i);
    }
    assert_int_equal(gl_ci_validate(&ci, &err), 0);
    set_int(&ci.attrs, "one-more", 1);
    assert_int_equal(gl_ci_validate(&ci, &err), GL_E_INVALID);
    assert_string_equal(err.field, "attributes");
    struct gl_ci copy;
    assert_int_equal(gl_ci_copy(&copy, &ci), 0);
    assert_true(gl_attrs_equal(&copy.attrs, &ci.attrs));
    assert_ptr_not_equal(copy.name, ci.name);
    assert_string_equal(copy.name, "web");
    gl_ci_release(&copy);
    gl_ci_release(&ci);
}

static void test_attr_from_text(void **state)
{
    static const struct {
        const char *text;
        enum gl_attr_kind kind;
        const char *back; /* gl_attr_text of the value */
    } cases[] = {
        {"true", GL_ATTR_BOOL, "true"},    {"false", GL_ATTR_BOOL, "false"},
        {"True", GL_ATTR_STRING, "True"},  {"42", GL_ATTR_INT, "42"},
        {"-7", GL_ATTR_INT, "-7"},         {"0", GL_ATTR_INT, "0"},
        {"007", GL_ATTR_STRING, "007"},    {"2.5", GL_ATTR_REAL, "2.5"},
        {"2.0", GL_ATTR_REAL, "2.0"},      {"1e3", GL_ATTR_REAL, "1000.0"},
        {"0.1", GL_ATTR_REAL, "0.1"},      {"1.", GL_ATTR_STRING, "1."},
        {"+1", GL_ATTR_STRING, "+1"},      {"1e999", GL_ATTR_STRING, "1e999"},
        {"", GL_ATTR_STRING, ""},          {"debian 12", GL_ATTR_STRING, "debian 12"},
        {"99999999999999999999", GL_ATTR_REAL, "1e+20"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gl_attr v;
        char buf[40];
        assert_int_equal(gl_attr_from_text(cases[i].text, &v), 0);
        if (v.kind != cases[i].kind)
            fail_msg("%s: kind %d, want %d", cases[i].text, v.kind, cases[i].kind);
        assert_string_equal(gl_attr_text(&v, buf, sizeof buf), cases[i].back);
        free(v.str);
    }
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
        cmocka_unit_test(test_ci_validate_all_names_every_bad_field),
        cmocka_unit_test(test_ci_users_range),
        cmocka_unit_test(test_ci_shared_and_owned),
        cmocka_unit_test(test_attrs_sorted_replace_remove),
        cmocka_unit_test(test_attrs_validate),
        cmocka_unit_test(test_attr_from_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
