/*
 * test_utf8.c - UTF-8 validation of text from outside (util/utf8.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/utf8.h"

static bool valid(const char *s)
{
    return gl_utf8_valid(s, strlen(s));
}

static void test_accepts_well_formed(void **state)
{
    assert_true(valid(""));
    assert_true(valid("plain ascii"));
    assert_true(valid("caf\xc3\xa9"));                 /* é */
    assert_true(valid("\xe2\x82\xac"));                /* € */
    assert_true(valid("\xf0\x9f\x9a\x80"));            /* U+1F680 */
    assert_true(valid("\xed\x9f\xbf"));                /* U+D7FF, last before surrogates */
    assert_true(valid("\xf4\x8f\xbf\xbf"));            /* U+10FFFF */
}

static void test_refuses_malformed(void **state)
{
    assert_false(valid("\xff\xfe"));
    assert_false(valid("caf\xe9"));                    /* Latin-1 é */
    assert_false(valid("\xc0\xaf"));                   /* overlong '/' */
    assert_false(valid("\xe0\x80\xaf"));               /* overlong */
    assert_false(valid("\xed\xa0\x80"));               /* surrogate U+D800 */
    assert_false(valid("\xf4\x90\x80\x80"));           /* above U+10FFFF */
    assert_false(valid("\xe2\x82"));                   /* truncated */
    assert_false(valid("\x80"));                       /* lone continuation */
    assert_false(valid("\xc3\x28"));                   /* bad continuation */
    assert_false(gl_utf8_valid("a\0b", 3));            /* embedded NUL */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_well_formed),
        cmocka_unit_test(test_refuses_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
