/*
 * test_docs.c - core/docs.h: names and validation, the staleness and completion rules,
 * and the unified diff (edge cases: empty, identical, all changed, insertions at the start
 * and the end, CRLF, hunk splitting and context).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/change.h"
#include "core/docs.h"

#include "util/banned.h"

static char *diff(const char *a, const char *b)
{
    struct gl_buf out = GL_BUF_INIT;
    struct gl_error err;
    assert_int_equal(gl_diff_unified(a, b, "v1", "v2", &out, &err), 0);
    return gl_buf_detach(&out);
}

static void expect_diff(const char *a, const char *b, const char *want)
{
    char *got = diff(a, b);
    assert_string_equal(got, want);
    free(got);
}

static void test_diff_identical_and_empty(void **state)
{
    expect_diff("", "", "");
    expect_diff("a\nb\n", "a\nb\n", "");
    expect_diff("a\r\nb\r\n", "a\nb\n", ""); /* CRLF and LF: the same lines */
    expect_diff("", "x\n", "--- v1\n+++ v2\n@@ -0,0 +1 @@\n+x\n");
    expect_diff("x\ny\n", "", "--- v1\n+++ v2\n@@ -1,2 +0,0 @@\n-x\n-y\n");
}

static void test_diff_all_changed(void **state)
{
    expect_diff("a\nb\n", "c\nd\n", "--- v1\n+++ v2\n@@ -1,2 +1,2 @@\n-a\n-b\n+c\n+d\n");
}

static void test_diff_insert_start_end(void **state)
{
    expect_diff("a\nb\nc\n", "s\na\nb\nc\n", "--- v1\n+++ v2\n@@ -1,3 +1,4 @@\n+s\n a\n b\n c\n");
    expect_diff("a\nb\nc\nd\n", "a\nb\nc\nd\ne\n",
                "--- v1\n+++ v2\n@@ -2,3 +2,4 @@\n b\n c\n d\n+e\n");
    /* no final newline on one side: the lines are still the same */
    expect_diff("a\nb", "a\nb\n", "");
}

static void test_diff_crlf_change(void **state)
{
    expect_diff("a\r\nb\r\nc\r\n", "a\r\nB\r\nc\r\n",
                "--- v1\n+++ v2\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
}

static void test_diff_hunks_and_context(void **state)
{
    const char *a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n";
    const char *b = "1\nTWO\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\nNINETEEN\n20\n";
    expect_diff(a, b,
                "--- v1\n+++ v2\n"
                "@@ -1,5 +1,5 @@\n 1\n-2\n+TWO\n 3\n 4\n 5\n"
                "@@ -16,5 +16,5 @@\n 16\n 17\n 18\n-19\n+NINETEEN\n 20\n");
    /* changes 6 lines apart share one hunk */
    const char *c = "1\nX\n3\n4\n5\n6\n7\n8\nY\n10\n";
    expect_diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", c,
                "--- v1\n+++ v2\n@@ -1,10 +1,10 @@\n 1\n-2\n+X\n 3\n 4\n 5\n 6\n 7\n 8\n-9\n+Y\n"
                " 10\n");
}

static void test_diff_minimal_middle(void **state)
{
    /* the classic Myers example: ABCABBA -> CBABAC has edit distance 5 */
    char *got = diff("A\nB\nC\nA\nB\nB\nA\n", "C\nB\nA\nB\nA\nC\n");
    int plus = 0, minus = 0;
    for (const char *p = strstr(got, "@@ -"); p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "") {
        plus += *p == '+';
        minus += *p == '-';
    }
    assert_int_equal(plus + minus, 5);
    free(got);
}

static void test_diff_large_bounded(void **state)
{
    /* 20000 lines, every other one changed: completes, and applying it is consistent */
    struct gl_buf a = GL_BUF_INIT, b = GL_BUF_INIT, out = GL_BUF_INIT;
    for (int i = 0; i < 20000; i++) {
        gl_buf_printf(&a, "line %d\n", i);
        gl_buf_printf(&b, i % 2 ? "changed %d\n" : "line %d\n", i);
    }
    struct gl_error err;
    assert_int_equal(gl_diff_unified(gl_buf_str(&a), gl_buf_str(&b), "a", "b", &out, &err), 0);
    size_t plus = 0;
    for (const char *p = gl_buf_str(&out); (p = strstr(p, "\n+changed")); p++)
        plus++;
    assert_int_equal(plus, 10000);
    gl_buf_release(&a);
    gl_buf_release(&b);
    gl_buf_release(&out);
}

static void test_validate(void **state)
{
    struct gl_document d;
    struct gl_error err;
    gl_document_init(&d);
    d.client_id = 1;
    assert_int_equal(gl_document_validate(&d, &err), GL_E_INVALID);
    assert_string_equal(err.field, "title");
    d.title = strdup("Runbook");
    assert_int_equal(gl_document_validate(&d, &err), 0);
    gl_document_release(&d);

    struct gl_doc_version v;
    gl_doc_version_init(&v);
    assert_int_equal(gl_doc_version_validate(&v, &err), GL_E_INVALID);
    v.body = calloc(GL_DOC_BODY_MAX + 2, 1);
    memset(v.body, 'x', GL_DOC_BODY_MAX + 1);
    assert_int_equal(gl_doc_version_validate(&v, &err), GL_E_TOO_LARGE);
    v.body[GL_DOC_BODY_MAX] = '\0';
    assert_int_equal(gl_doc_version_validate(&v, &err), 0);
    gl_doc_version_release(&v);

    enum gl_doc_kind k;
    assert_int_equal(gl_doc_kind_parse("network_note", &k), 0);
    assert_int_equal(k, GL_DOC_NETWORK_NOTE);
    assert_int_equal(gl_doc_kind_parse("memo", &k), -1);
    int64_t id;
    assert_int_equal(gl_doc_ident_parse("DOC-000042", &id), 0);
    assert_int_equal(id, 42);
    assert_int_equal(gl_doc_ident_parse("CHG-1", &id), -1);
}

static void test_stale(void **state)
{
    struct gl_document d;
    gl_document_init(&d);
    d.ci_id = 7;
    d.last_version_at = 1000;
    assert_false(gl_doc_possibly_stale(&d));
    d.facts[0] = (struct gl_doc_fact){.change_id = 1, .actual_end = 900};
    d.nfacts = 1;
    assert_false(gl_doc_possibly_stale(&d)); /* ended before the last version */
    d.facts[1] = (struct gl_doc_fact){.change_id = 2, .actual_end = 2000};
    d.nfacts = 2;
    assert_true(gl_doc_possibly_stale(&d));
    d.facts[1].acknowledged = true;
    assert_false(gl_doc_possibly_stale(&d));
    d.facts[1].acknowledged = false;
    d.reviewed_at = 2500; /* reviewed since */
    assert_false(gl_doc_possibly_stale(&d));
    d.ci_id = 0;
    d.reviewed_at = GL_TIME_UNSET;
    assert_false(gl_doc_possibly_stale(&d)); /* not about a CI */
}

static void test_completion(void **state)
{
    struct gl_error err;
    struct gl_doc_ref docs[] = {{.id = 1, .current_version = 3, .base_version = 2},
                                {.id = 2, .current_version = 1}};
    assert_int_equal(gl_docs_check_completion(NULL, 0, NULL, 0, false, &err), 0);
    assert_int_equal(gl_docs_check_completion(docs, 2, NULL, 0, false, &err), GL_E_PRECONDITION);
    assert_string_equal(err.field, "documents");
    assert_non_null(strstr(err.detail, "DOC-000001, DOC-000002"));
    assert_int_equal(gl_docs_check_completion(docs, 2, NULL, 0, true, &err), 0);
    struct gl_doc_result ok = {1, 3}, old = {1, 1}, missing = {1, 4}, other = {9, 1};
    assert_int_equal(gl_docs_check_completion(docs, 2, &ok, 1, false, &err), 0);
    assert_int_equal(gl_docs_check_completion(docs, 2, &ok, 1, true, &err), GL_E_INVALID);
    assert_int_equal(gl_docs_check_completion(docs, 2, &old, 1, false, &err), GL_E_PRECONDITION);
    assert_int_equal(gl_docs_check_completion(docs, 2, &missing, 1, false, &err),
                     GL_E_PRECONDITION);
    assert_int_equal(gl_docs_check_completion(docs, 2, &other, 1, false, &err),
                     GL_E_PRECONDITION);
    assert_non_null(strstr(err.detail, "DOC-000009"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diff_identical_and_empty),
        cmocka_unit_test(test_diff_all_changed),
        cmocka_unit_test(test_diff_insert_start_end),
        cmocka_unit_test(test_diff_crlf_change),
        cmocka_unit_test(test_diff_hunks_and_context),
        cmocka_unit_test(test_diff_minimal_middle),
        cmocka_unit_test(test_diff_large_bounded),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_stale),
        cmocka_unit_test(test_completion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
