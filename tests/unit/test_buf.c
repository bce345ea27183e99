/*
 * test_buf.c - unit tests of the capped growable buffer (src/util/buf.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#include "util/banned.h"

static void test_empty_buffer_is_empty_string(void **state)
{
    struct gl_buf b = GL_BUF_INIT;
    assert_string_equal(gl_buf_str(&b), "");
    assert_int_equal(b.len, 0);
    assert_null(b.data);
    gl_buf_release(&b);
}

static void test_append_and_terminate(void **state)
{
    struct gl_buf b;
    gl_buf_init(&b, 0);
    assert_int_equal(gl_buf_append(&b, "abc", 3), 0);
    assert_int_equal(gl_buf_puts(&b, "def"), 0);
    assert_int_equal(gl_buf_putc(&b, '!'), 0);
    assert_int_equal(b.len, 7);
    assert_string_equal(b.data, "abcdef!");
    assert_int_equal(b.data[b.len], '\0');
    gl_buf_release(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void test_append_binary_with_nul(void **state)
{
    struct gl_buf b;
    gl_buf_init(&b, 0);
    assert_int_equal(gl_buf_append(&b, "a\0b", 3), 0);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "a\0b", 3);
    gl_buf_release(&b);
}

static void test_grows_past_initial_capacity(void **state)
{
    struct gl_buf b;
    gl_buf_init(&b, 0);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(gl_buf_putc(&b, (char)('a' + i % 26)), 0);
    assert_int_equal(b.len, 10000);
    assert_true(b.cap > 10000);
    assert_int_equal(b.data[9999], 'a' + 9999 % 26);
    assert_int_equal(strlen(b.data), 10000);
    gl_buf_release(&b);
}

static void test_cap_allows_exactly_max(void **state)
{
    struct gl_buf b;
    gl_buf_init(&b, 8);
    assert_int_equal(gl_buf_puts(&b, "12345678"), 0);
    assert_int_equal(b.len, 8);
    assert_int_equal(gl_buf_putc(&b, '9'), -1);
    gl_buf_release(&b);
}

static void test_cap_refusal_leaves_buffer_unchanged(void **state)
{
    struct gl_buf b;
    gl_buf_init(&b, 10);
    assert_int_equal(gl_buf_puts(&b, "hello"), 0);
    assert_int_equal(gl_buf_puts(&b, "world!"), -1);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "hello");
    assert_int_equal(gl_buf_printf(&b, "%s", "0123456789"), -1);
    assert_string_equal(b.data, "hello");
    assert_int_equal(gl_buf_puts(&b, "world"), 0);
    assert_string_equal(b.data, "helloworld");
    gl_buf_release(&b);
}

static void test_cap_with_huge_append_does_not_overflow(void **state)
{
    struct gl_buf b;
    gl_buf_init(&b, 16);
    assert_int_equal(gl_buf_puts(&b, "x"), 0);
    assert_int_equal(gl_buf_append(&b, "y", SIZE_MAX), -1);
    assert_int_equal(b.len, 1);
    gl_buf_release(&b);
}

static void test_printf_formats_and_appends(void **state)
{
    struct gl_buf b;
    gl_buf_init(&b, 0);
    assert_int_equal(gl_buf_printf(&b, "%s=%d", "n", 42), 0);
    assert_int_equal(gl_buf_printf(&b, ",%05.1f", 3.14159), 0);
    assert_string_equal(gl_buf_str(&b), "n=42,003.1");
    assert_int_equal(b.len, strlen("n=42,003.1"));
    gl_buf_release(&b);
}

static void test_printf_long_output(void **state)
{
    struct gl_buf b;
    gl_buf_init(&b, 0);
    char big[5000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(gl_buf_printf(&b, "[%s]", big), 0);
    assert_int_equal(b.len, 5001);
    assert_int_equal(b.data[0], '[');
    assert_int_equal(b.data[5000], ']');
    gl_buf_release(&b);
}

static void test_reset_keeps_allocation(void **state)
{
    struct gl_buf b;
    gl_buf_init(&b, 0);
    assert_int_equal(gl_buf_puts(&b, "something"), 0);
    char *before = b.data;
    gl_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_ptr_equal(b.data, before);
    assert_string_equal(gl_buf_str(&b), "");
    assert_int_equal(gl_buf_puts(&b, "x"), 0);
    assert_string_equal(b.data, "x");
    gl_buf_release(&b);
}

static void test_detach_hands_over_content(void **state)
{
    struct gl_buf b;
    gl_buf_init(&b, 0);
    assert_int_equal(gl_buf_puts(&b, "owned"), 0);
    char *s = gl_buf_detach(&b);
    assert_string_equal(s, "owned");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_string_equal(gl_buf_str(&b), "");
    free(s);
    /* The buffer is reusable after detaching. */
    assert_int_equal(gl_buf_puts(&b, "again"), 0);
    assert_string_equal(b.data, "again");
    gl_buf_release(&b);
}

static void test_detach_of_empty_buffer_gives_empty_string(void **state)
{
    struct gl_buf b;
    gl_buf_init(&b, 0);
    char *s = gl_buf_detach(&b);
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
}

static void test_release_accepts_null(void **state)
{
    gl_buf_release(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_buffer_is_empty_string),
        cmocka_unit_test(test_append_and_terminate),
        cmocka_unit_test(test_append_binary_with_nul),
        cmocka_unit_test(test_grows_past_initial_capacity),
        cmocka_unit_test(test_cap_allows_exactly_max),
        cmocka_unit_test(test_cap_refusal_leaves_buffer_unchanged),
        cmocka_unit_test(test_cap_with_huge_append_does_not_overflow),
        cmocka_unit_test(test_printf_formats_and_appends),
        cmocka_unit_test(test_printf_long_output),
        cmocka_unit_test(test_reset_keeps_allocation),
        cmocka_unit_test(test_detach_hands_over_content),
        cmocka_unit_test(test_detach_of_empty_buffer_gives_empty_string),
        cmocka_unit_test(test_release_accepts_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
