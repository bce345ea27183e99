/*
 * test_ci_import.c - CSV and JSON files of CIs into rows (codec/ci_import.h), and the
 * CSV writer reading back through the parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec/ci_import.h"

static int csv(const char *text, struct gl_ci_rows *rows, struct gl_error *err)
{
    gl_error_clear(err);
    return gl_ci_rows_from_csv(text, strlen(text), rows, err);
}

static void test_quotes_commas_newlines_bom_crlf(void **state)
{
    struct gl_ci_rows rows;
    struct gl_error err;
    assert_int_equal(csv("\xEF\xBB\xBFName,Client,TYPE,owner,criticality\r\n"
                         "\"a, b\",acme,server,\"say \"\"hi\"\"\",5\r\n"
                         "\"two\r\nlines\",,site,,\r\n",
                         &rows, &err),
                     0);
    assert_int_equal(rows.len, 2);
    assert_string_equal(rows.items[0].ci.name, "a, b");
    assert_string_equal(rows.items[0].ci.client_key, "acme");
    assert_string_equal(rows.items[0].ci.owner, "say \"hi\"");
    assert_int_equal(rows.items[0].ci.criticality, 5);
    assert_string_equal(rows.items[1].ci.name, "two\r\nlines");
    assert_null(rows.items[1].ci.client_key); /* empty client: shared */
    assert_null(rows.items[1].ci.owner);
    assert_int_equal(rows.items[1].ci.criticality, 3); /* default */
    assert_int_equal(rows.items[1].row, 2);
    gl_ci_rows_release(&rows);
}

static void test_file_errors(void **state)
{
    struct gl_ci_rows rows;
    struct gl_error err;
    assert_int_equal(csv("client,name\nacme,x\n", &rows, &err), GL_E_INVALID);
    assert_non_null(strstr(err.detail, "missing required column(s): type"));
    assert_int_equal(csv("client,name,type,Colour,x\n", &rows, &err), GL_E_INVALID);
    assert_non_null(strstr(err.detail, "\"Colour\", \"x\""));
    assert_int_equal(csv("client,name,type,name\n", &rows, &err), GL_E_INVALID);
    assert_string_equal(err.field, "name");
    assert_int_equal(csv("client,name,type\nacme,\"open,server\n", &rows, &err), GL_E_INVALID);
    assert_int_equal(csv("", &rows, &err), GL_E_INVALID);
    assert_null(rows.items);
}

static void test_row_errors_are_kept(void **state)
{
    struct gl_ci_rows rows;
    struct gl_error err;
    assert_int_equal(csv("id,client,name,type,criticality,users_affected\n"
                         "CI-000007,acme,a,server,9,1\n"
                         "nope,acme,b,server,1,1\n"
                         ",acme,c,server,1,-4\n"
                         ",acme,d,server\n"
                         "42,acme,e,server,2,10\n",
                         &rows, &err),
                     0);
    assert_int_equal(rows.len, 5);
    assert_string_equal(rows.items[0].err.field, "criticality");
    assert_string_equal(rows.items[1].err.field, "id");
    assert_string_equal(rows.items[2].err.field, "users_affected");
    assert_int_equal(rows.items[3].err.code, GL_E_INVALID); /* field count */
    assert_int_equal(rows.items[4].err.code, GL_OK);
    assert_int_equal(rows.items[4].id, 42);
    assert_int_equal(rows.items[4].ci.users_affected, 10);
    gl_ci_rows_release(&rows);
}

static void test_json_rows(void **state)
{
    struct gl_ci_rows rows;
    struct gl_error err;
    const char *text = "{\"cis\": [{\"id\": \"CI-000003\", \"client\": null, \"name\": \"n\","
                       " \"type\": \"site\", \"version\": 4, \"created_at\": \"x\"},"
                       " {\"client\": \"a\", \"name\": \"m\", \"type\": \"site\", \"x\": 1},"
                       " {\"name\": \"o\", \"type\": \"site\"}, 3]}";
    gl_error_clear(&err);
    assert_int_equal(gl_ci_rows_from_json(text, strlen(text), &rows, &err), 0);
    assert_int_equal(rows.len, 4);
    assert_int_equal(rows.items[0].err.code, GL_OK);
    assert_int_equal(rows.items[0].id, 3);
    assert_null(rows.items[0].ci.client_key);
    assert_string_equal(rows.items[1].err.field, "x");
    assert_string_equal(rows.items[2].err.field, "client");
    assert_int_equal(rows.items[3].err.code, GL_E_INVALID);
    gl_ci_rows_release(&rows);
    assert_int_equal(gl_ci_rows_from_json("{\"a\": 1}", 8, &rows, &err), GL_E_INVALID);
}

static void test_writer_round_trips(void **state)
{
    struct gl_ci ci;
    struct gl_buf b = GL_BUF_INIT;
    struct gl_ci_rows rows;
    struct gl_error err;
    gl_ci_init(&ci);
    ci.id = 12;
    ci.client_key = strdup("acme");
    ci.name = strdup(" lead, \"q\"\nx ");
    ci.type = strdup("server");
    ci.criticality = 2;
    ci.users_affected = 7;
    assert_int_equal(gl_ci_csv_header(&b), 0);
    assert_int_equal(gl_ci_csv_row(&b, &ci), 0);
    assert_int_equal(csv(gl_buf_str(&b), &rows, &err), 0);
    assert_int_equal(rows.len, 1);
    assert_int_equal(rows.items[0].id, 12);
    assert_string_equal(rows.items[0].ci.name, ci.name);
    assert_null(rows.items[0].ci.owner);
    assert_int_equal(rows.items[0].ci.users_affected, 7);
    gl_ci_rows_release(&rows);
    gl_ci_release(&ci);
    gl_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quotes_commas_newlines_bom_crlf),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_row_errors_are_kept),
        cmocka_unit_test(test_json_rows),
        cmocka_unit_test(test_writer_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
