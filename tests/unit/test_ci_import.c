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
#include "codec/json_attrs.h"

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

/* The field of the row's k-th reason (0 = r->err), "" when it has none. */
static const char *reason_field(const struct gl_ci_row *r, size_t k)
{
    return k == 0 ? r->err.field : r->more[k - 1].field;
}

static void test_row_reports_every_bad_field(void **state)
{
    struct gl_ci_rows rows;
    struct gl_error err;
    assert_int_equal(csv("id,client,name,type,criticality,users_affected,depends_on\n"
                         "nope,acme,a,server,high,-4,b\n"
                         ",acme,b,server,2,1,\n"
                         ",acme,c,server,9\n",
                         &rows, &err),
                     0);
    assert_int_equal(rows.len, 3);
    const struct gl_ci_row *r = &rows.items[0];
    assert_int_equal(r->err.code, GL_E_INVALID);
    assert_int_equal(r->nmore, 2);
    assert_string_equal(reason_field(r, 0), "id");
    assert_string_equal(reason_field(r, 1), "criticality");
    assert_string_equal(reason_field(r, 2), "users_affected");
    assert_non_null(strstr(r->more[0].detail, "criticality"));
    assert_int_equal(r->more[1].code, GL_E_INVALID);
    assert_int_equal(r->nlinks, 1); /* the good cells of a bad row are still read */
    assert_int_equal(rows.items[1].err.code, GL_OK);
    assert_int_equal(rows.items[1].nmore, 0);
    /* A row that does not fit the header is one reason, about the whole row. */
    assert_int_equal(rows.items[2].err.code, GL_E_INVALID);
    assert_string_equal(rows.items[2].err.field, "");
    assert_int_equal(rows.items[2].nmore, 0);
    gl_ci_rows_release(&rows);

    const char *j = "[{\"id\": \"x\", \"client\": \"a\", \"name\": \"m\", \"type\": \"site\","
                    " \"depends_on\": \"b\", \"criticality\": \"high\", \"colour\": 1,"
                    " \"users_affected\": -1},"
                    " {\"name\": \"o\", \"criticality\": 9}]";
    gl_error_clear(&err);
    assert_int_equal(gl_ci_rows_from_json(j, strlen(j), &rows, &err), 0);
    assert_int_equal(rows.len, 2);
    r = &rows.items[0];
    const char *want[] = {"id", "depends_on", "criticality", "colour", "users_affected"};
    assert_int_equal(r->nmore + 1, 5);
    for (size_t k = 0; k < 5; k++)
        assert_string_equal(reason_field(r, k), want[k]);
    r = &rows.items[1];
    assert_int_equal(r->nmore, 1);
    assert_string_equal(reason_field(r, 0), "client");
    assert_string_equal(reason_field(r, 1), "criticality");
    gl_ci_rows_release(&rows);
}

static void test_row_reject_keeps_each_field_once(void **state)
{
    struct gl_ci_row r;
    struct gl_error a, b, c;
    memset(&r, 0, sizeof r);
    gl_error_set(&a, GL_E_INVALID, "type", "first");
    gl_error_set(&b, GL_E_INVALID, "type", "second");
    gl_error_set(&c, GL_E_INVALID, "name", "third");
    assert_int_equal(gl_ci_row_reject(&r, &a), 0);
    assert_int_equal(gl_ci_row_reject(&r, &b), 0);
    assert_int_equal(gl_ci_row_reject(&r, &c), 0);
    assert_string_equal(r.err.detail, "first");
    assert_int_equal(r.nmore, 1);
    assert_string_equal(r.more[0].detail, "third");
    free(r.more);
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
    struct gl_attr v = {.key = "os", .kind = GL_ATTR_STRING, .str = "debian; 12, \"x\""};
    assert_int_equal(gl_attrs_set(&ci.attrs, &v), 0);
    v = (struct gl_attr){.key = "ram_gb", .kind = GL_ATTR_INT, .i = 64};
    assert_int_equal(gl_attrs_set(&ci.attrs, &v), 0);
    v = (struct gl_attr){.key = "load", .kind = GL_ATTR_REAL, .d = 0.1};
    assert_int_equal(gl_attrs_set(&ci.attrs, &v), 0);
    v = (struct gl_attr){.key = "managed", .kind = GL_ATTR_BOOL, .b = false};
    assert_int_equal(gl_attrs_set(&ci.attrs, &v), 0);
    const char *keys[] = {"load", "managed", "os", "ram_gb", "unused"};
    struct gl_ci_link links[] = {{GL_REL_DEPENDS_ON, "db-1"},
                                 {GL_REL_DEPENDS_ON, "cache"},
                                 {GL_REL_RUNS_ON, "host 1"}};
    assert_int_equal(gl_ci_csv_header(&b, keys, 5), 0);
    assert_int_equal(gl_ci_csv_row(&b, &ci, keys, 5, links, 3), 0);
    assert_int_equal(csv(gl_buf_str(&b), &rows, &err), 0);
    assert_int_equal(rows.len, 1);
    assert_int_equal(rows.items[0].id, 12);
    assert_string_equal(rows.items[0].ci.name, ci.name);
    assert_null(rows.items[0].ci.owner);
    assert_int_equal(rows.items[0].ci.users_affected, 7);
    assert_true(rows.items[0].has_attrs);
    assert_true(gl_attrs_equal(&rows.items[0].ci.attrs, &ci.attrs));
    assert_int_equal(rows.items[0].nlinks, 3);
    assert_int_equal(rows.items[0].links[0].kind, GL_REL_DEPENDS_ON);
    assert_string_equal(rows.items[0].links[0].name, "db-1");
    assert_string_equal(rows.items[0].links[1].name, "cache");
    assert_int_equal(rows.items[0].links[2].kind, GL_REL_RUNS_ON);
    assert_string_equal(rows.items[0].links[2].name, "host 1");
    gl_ci_rows_release(&rows);
    gl_ci_release(&ci);
    gl_buf_release(&b);
}

static void test_attr_and_link_columns(void **state)
{
    struct gl_ci_rows rows;
    struct gl_error err;
    const char *f = "client,name,type,attr.os,attr.cores,attr.ssd,depends_on,runs_on\n"
                    "acme,web,server,debian,8,true, db ; cache ;,host\n"
                    "acme,db,database,,2.5,,,\n"
                    "acme,x,server,\"x,y\",-0,FALSE,,\n";
    assert_int_equal(csv(f, &rows, &err), 0);
    assert_int_equal(rows.len, 3);
    const struct gl_ci_row *r = &rows.items[0];
    assert_int_equal(r->err.code, GL_OK);
    assert_int_equal(r->ci.attrs.len, 3);
    const struct gl_attr *a = gl_attrs_get(&r->ci.attrs, "os");
    assert_int_equal(a->kind, GL_ATTR_STRING);
    assert_string_equal(a->str, "debian");
    a = gl_attrs_get(&r->ci.attrs, "cores");
    assert_int_equal(a->kind, GL_ATTR_INT);
    assert_int_equal(a->i, 8);
    assert_int_equal(gl_attrs_get(&r->ci.attrs, "ssd")->kind, GL_ATTR_BOOL);
    assert_int_equal(r->nlinks, 3);
    assert_string_equal(r->links[0].name, "db");
    assert_string_equal(r->links[1].name, "cache");
    assert_int_equal(r->links[2].kind, GL_REL_RUNS_ON);
    r = &rows.items[1]; /* empty cells: no attribute */
    assert_int_equal(r->ci.attrs.len, 1);
    assert_int_equal(gl_attrs_get(&r->ci.attrs, "cores")->kind, GL_ATTR_REAL);
    assert_int_equal(r->nlinks, 0);
    r = &rows.items[2];
    assert_string_equal(gl_attrs_get(&r->ci.attrs, "ssd")->str, "FALSE");
    assert_int_equal(gl_attrs_get(&r->ci.attrs, "cores")->kind, GL_ATTR_INT);
    gl_ci_rows_release(&rows);

    assert_int_equal(csv("client,name,type,attr.OS\n", &rows, &err), GL_E_INVALID);
    assert_string_equal(err.field, "attributes");
    assert_int_equal(csv("client,name,type,attr.a,Attr.a\n", &rows, &err), GL_E_INVALID);
    assert_non_null(strstr(err.detail, "twice"));
    assert_int_equal(csv("client,name,type,depends_on,depends_on\n", &rows, &err), GL_E_INVALID);
}

static void test_json_attrs_and_links(void **state)
{
    struct gl_ci_rows rows;
    struct gl_error err;
    const char *j = "[{\"client\":\"acme\",\"name\":\"a\",\"type\":\"server\","
                    "\"attributes\":{\"os\":\"linux\",\"n\":3},\"depends_on\":[\"b\"],"
                    "\"connects_to\":[]},"
                    "{\"client\":\"acme\",\"name\":\"b\",\"type\":\"server\"},"
                    "{\"client\":\"acme\",\"name\":\"c\",\"type\":\"server\","
                    "\"depends_on\":\"b\"},"
                    "{\"client\":\"acme\",\"name\":\"d\",\"type\":\"server\","
                    "\"attributes\":{\"x\":[1]}},"
                    "{\"client\":\"acme\",\"name\":\"e\",\"type\":\"server\","
                    "\"attributes\":{\"Bad Key\":1}}]";
    assert_int_equal(gl_ci_rows_from_json(j, strlen(j), &rows, &err), 0);
    assert_int_equal(rows.len, 5);
    assert_int_equal(rows.items[0].err.code, GL_OK);
    assert_true(rows.items[0].has_attrs);
    assert_int_equal(rows.items[0].ci.attrs.len, 2);
    assert_int_equal(rows.items[0].nlinks, 1);
    assert_string_equal(rows.items[0].links[0].name, "b");
    assert_false(rows.items[1].has_attrs);
    assert_int_equal(rows.items[2].err.code, GL_E_INVALID);
    assert_string_equal(rows.items[2].err.field, "depends_on");
    assert_int_equal(rows.items[3].err.code, GL_E_INVALID);
    assert_string_equal(rows.items[3].err.field, "attributes.x");
    assert_int_equal(rows.items[4].err.code, GL_E_INVALID);
    assert_string_equal(rows.items[4].err.field, "attributes");
    gl_ci_rows_release(&rows);
}

static void test_json_attrs_codec(void **state)
{
    struct gl_attrs a = {0}, b = {0};
    struct gl_error err;
    bool oom;
    json_t *in = json_loads("{\"zone\":\"eu\",\"n\":3,\"r\":3.0,\"ok\":false,\"gone\":null}", 0,
                            NULL);
    assert_int_equal(gl_json_attrs_apply(in, &a, &err), 0);
    json_decref(in);
    assert_int_equal(a.len, 4);
    char *text = gl_json_attrs_dump(&a, &oom);
    assert_string_equal(text, "{\"n\":3,\"ok\":false,\"r\":3.0,\"zone\":\"eu\"}");
    assert_int_equal(gl_json_attrs_load(text, &b), 0);
    assert_true(gl_attrs_equal(&a, &b));
    free(text);
    in = json_loads("{\"zone\":null,\"n\":4}", 0, NULL); /* a merge patch */
    assert_int_equal(gl_json_attrs_apply(in, &a, &err), 0);
    json_decref(in);
    assert_null(gl_attrs_get(&a, "zone"));
    assert_int_equal(gl_attrs_get(&a, "n")->i, 4);
    in = json_loads("{\"x\":{}}", 0, NULL);
    assert_int_equal(gl_json_attrs_apply(in, &a, &err), GL_E_INVALID);
    assert_string_equal(err.field, "attributes.x");
    json_decref(in);
    gl_attrs_release(&b);
    assert_null(gl_json_attrs_dump(&b, &oom)); /* empty: stored as NULL */
    assert_false(oom);
    assert_int_equal(gl_json_attrs_load(NULL, &b), 0);
    assert_int_equal(b.len, 0);
    assert_int_equal(gl_json_attrs_load("[1]", &b), -1);
    assert_int_equal(gl_json_attrs_load("{\"a\":[1]}", &b), -1);
    assert_int_equal(b.len, 0);
    gl_attrs_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attr_and_link_columns),
        cmocka_unit_test(test_json_attrs_and_links),
        cmocka_unit_test(test_json_attrs_codec),
        cmocka_unit_test(test_quotes_commas_newlines_bom_crlf),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_row_errors_are_kept),
        cmocka_unit_test(test_row_reports_every_bad_field),
        cmocka_unit_test(test_row_reject_keeps_each_field_once),
        cmocka_unit_test(test_json_rows),
        cmocka_unit_test(test_writer_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
