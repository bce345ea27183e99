/*
 * test_json_graph.c - the CI graph's answers written by codec/json_graph.c. Impact: every
 * member, a hidden client's CIs left out of the items and shown as null in paths, clients
 * listed once in walk order, identifiers padded, the note on what was left out.
 * What-changed: head, a walked item (path with a hidden CI, documentation links, a title
 * needing escapes), a client-mode item, tail; each compared as parsed JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "codec/json_graph.h"

#include "util/banned.h"

static bool visible(void *ctx, int64_t client)
{
    (void)ctx;
    return client != 2; /* client 2 is another tenant's */
}

static const char *key(void *ctx, int64_t client)
{
    (void)ctx;
    return client == 1 ? "acme" : client == 3 ? "we\"ird" : NULL;
}

/* root (client 1) <- a (1) <- b (2, hidden) <- c (3); root <- s (shared) */
static void walk(struct gl_impact *im)
{
    static struct gl_impact_node nodes[5];
    nodes[0] = (struct gl_impact_node){{7, 1, 3, 10}, 0, GL_IMPACT_ROOT, GL_REL_DEPENDS_ON};
    nodes[1] = (struct gl_impact_node){{8, 1, 4, 100}, 1, 0, GL_REL_RUNS_ON};
    nodes[2] = (struct gl_impact_node){{9, 0, 2, 5}, 1, 0, GL_REL_CONNECTS_TO};
    nodes[3] = (struct gl_impact_node){{1234567, 2, 5, 1000}, 2, 1, GL_REL_DEPENDS_ON};
    nodes[4] = (struct gl_impact_node){{11, 3, 1, 1}, 3, 3, GL_REL_DEPENDS_ON};
    *im = (struct gl_impact){.nodes = nodes, .len = 5, .cap = 5, .truncated = true};
}

static void test_every_member(void **state)
{
    (void)state;
    struct gl_impact im;
    walk(&im);
    struct gl_impact_totals t = {.users_affected = 111, .max_criticality = 4, .left_out = 1};
    struct gl_json_impact_view v = {visible, key, NULL};
    struct gl_buf b;
    gl_buf_init(&b, 0);
    assert_int_equal(gl_json_impact_write(&b, &im, 5, &t, &v), 0);
    json_error_t jerr;
    json_t *got = json_loadb(b.data, b.len, 0, &jerr);
    assert_non_null(got);
    json_t *want = json_loads(
        "{\"ci\": \"CI-000007\", \"depth\": 5, \"items\": ["
        "{\"ci\": \"CI-000008\", \"client\": \"acme\", \"criticality\": 4,"
        " \"users_affected\": 100, \"depth\": 1, \"kind\": \"runs_on\","
        " \"path\": [\"CI-000007\", \"CI-000008\"]},"
        "{\"ci\": \"CI-000009\", \"client\": null, \"criticality\": 2, \"users_affected\": 5,"
        " \"depth\": 1, \"kind\": \"connects_to\", \"path\": [\"CI-000007\", \"CI-000009\"]},"
        "{\"ci\": \"CI-000011\", \"client\": \"we\\\"ird\", \"criticality\": 1,"
        " \"users_affected\": 1, \"depth\": 3, \"kind\": \"depends_on\","
        " \"path\": [\"CI-000007\", \"CI-000008\", null, \"CI-000011\"]}],"
        " \"users_affected\": 111, \"max_criticality\": 4, \"clients\": [\"acme\", \"we\\\"ird\"],"
        " \"other_clients_cis\": 1, \"truncated\": true, \"note\": \"1 CIs of other clients\"}",
        0, &jerr);
    assert_non_null(want);
    if (!json_equal(got, want)) {
        char *s = json_dumps(got, JSON_INDENT(1));
        print_message("got: %s\n", s);
        free(s);
        fail();
    }
    json_decref(got);
    json_decref(want);
    gl_buf_release(&b);
}

static void test_alone_and_large_ids(void **state)
{
    (void)state;
    struct gl_impact_node root = {{INT64_C(12345678901), 1, 3, 0}, 0, GL_IMPACT_ROOT, 0};
    struct gl_impact im = {.nodes = &root, .len = 1, .cap = 1};
    struct gl_impact_totals t = {0};
    struct gl_json_impact_view v = {visible, key, NULL};
    struct gl_buf b;
    gl_buf_init(&b, 0);
    assert_int_equal(gl_json_impact_write(&b, &im, 0, &t, &v), 0);
    assert_string_equal(gl_buf_str(&b),
                        "{\"ci\":\"CI-12345678901\",\"depth\":0,\"items\":[],\"users_affected\":0,"
                        "\"max_criticality\":0,\"clients\":[\"acme\"],\"other_clients_cis\":0,"
                        "\"truncated\":false,\"note\":null}");
    gl_buf_release(&b);
}

static void expect_json(const struct gl_buf *b, const char *want_text)
{
    json_error_t jerr;
    json_t *got = json_loadb(b->data, b->len, 0, &jerr);
    assert_non_null(got);
    json_t *want = json_loads(want_text, 0, &jerr);
    assert_non_null(want);
    if (!json_equal(got, want)) {
        char *s = json_dumps(got, JSON_INDENT(1));
        print_message("got: %s\n", s);
        free(s);
        fail();
    }
    json_decref(got);
    json_decref(want);
}

static void test_what_changed(void **state)
{
    (void)state;
    struct gl_wc_row walked_row = {.change_id = 42,
                                   .client_id = 1,
                                   .ci_id = 9,
                                   .client_key = "acme",
                                   .title = "Patch \"db\"\n\xc3\xa9t\xc3\xa9",
                                   .type = GL_TYPE_NORMAL,
                                   .state = GL_STATE_COMPLETED,
                                   .outcome = GL_OUTCOME_SUCCESSFUL,
                                   .planned_start = 1764064800,
                                   .planned_end = 1764068400,
                                   .actual_start = 1764065000,
                                   .actual_end = GL_TIME_UNSET};
    struct gl_wc_row client_row = {.change_id = 7,
                                   .client_id = 1,
                                   .client_key = "acme",
                                   .title = NULL,
                                   .type = GL_TYPE_EMERGENCY,
                                   .state = GL_STATE_SCHEDULED,
                                   .outcome = GL_OUTCOME_NONE,
                                   .planned_start = GL_TIME_UNSET,
                                   .planned_end = GL_TIME_UNSET,
                                   .actual_start = GL_TIME_UNSET,
                                   .actual_end = GL_TIME_UNSET};
    struct gl_change_doc_link link = {.change_id = 42,
                                      .document_id = 3,
                                      .client_id = 1,
                                      .title = "Firewall baseline",
                                      .base_version = 1,
                                      .result_version = 2};
    const struct gl_change_doc_link *links[] = {&link};
    int64_t path[] = {5, 0, 9};
    struct gl_json_wc_item walked = {.row = &walked_row,
                                     .walked = true,
                                     .ci_id = 9,
                                     .depth = 2,
                                     .path = path,
                                     .path_len = 3,
                                     .docs = links,
                                     .ndocs = 1};
    struct gl_json_wc_item plain = {.row = &client_row};
    struct gl_buf b;
    gl_buf_init(&b, 0);
    assert_int_equal(gl_json_wc_head(&b, 5, NULL, 1756288800, 1764064800, 3), 0);
    assert_int_equal(gl_json_wc_item_write(&b, &walked), 0);
    assert_int_equal(gl_buf_putc(&b, ','), 0);
    assert_int_equal(gl_json_wc_item_write(&b, &plain), 0);
    assert_int_equal(gl_json_wc_tail(&b, true), 0);
    expect_json(
        &b, "{\"ci\": \"CI-000005\", \"client\": null, \"since\": \"2025-08-27T10:00:00Z\","
            " \"until\": \"2025-11-25T10:00:00Z\", \"depth\": 3, \"truncated\": true,"
            " \"items\": ["
            "{\"id\": \"CHG-000042\", \"client\": \"acme\","
            " \"title\": \"Patch \\\"db\\\"\\n\\u00e9t\\u00e9\", \"type\": \"normal\","
            " \"state\": \"completed\", \"outcome\": \"successful\","
            " \"planned_start\": \"2025-11-25T10:00:00Z\","
            " \"planned_end\": \"2025-11-25T11:00:00Z\","
            " \"actual_start\": \"2025-11-25T10:03:20Z\", \"actual_end\": null,"
            " \"ci\": \"CI-000009\", \"depth\": 2, \"path\": [\"CI-000005\", null, \"CI-000009\"],"
            " \"documents\": [{\"document\": \"DOC-000003\", \"title\": \"Firewall baseline\","
            " \"base_version\": 1, \"result_version\": 2, \"no_doc_affected\": false}]},"
            "{\"id\": \"CHG-000007\", \"client\": \"acme\", \"title\": \"\","
            " \"type\": \"emergency\", \"state\": \"scheduled\", \"outcome\": null,"
            " \"planned_start\": null, \"planned_end\": null, \"actual_start\": null,"
            " \"actual_end\": null, \"ci\": null, \"depth\": null, \"path\": [],"
            " \"documents\": []}]}");
    gl_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_member),
        cmocka_unit_test(test_alone_and_large_ids),
        cmocka_unit_test(test_what_changed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
