/*
 * test_codec.c - the JSON wire format of records: round trips and strict decoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec/json.h"
#include "core/timefmt.h"

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);
    assert_non_null(v);
    return v;
}

static void fill_change(struct gl_change *c)
{
    gl_change_init(c);
    c->id = 42;
    c->version = 3;
    c->type = GL_TYPE_EMERGENCY;
    c->state = GL_STATE_SCHEDULED;
    c->client_id = 7;
    gl_change_set_str(&c->client_key, "acme");
    gl_change_set_str(&c->title, "Patch the firewall");
    gl_change_set_str(&c->rollback_plan, "Restore the saved config");
    c->rollback_tested = true;
    c->planned_start = 1796083200; /* 2026-12-01T00:00:00Z */
    c->planned_end = 1796086800;
    gl_idlist_push(&c->ci_ids, 5);
    gl_idlist_push(&c->related_changes, 41);
    gl_strlist_push(&c->incidents, "INC-4711");
    c->outcome = GL_OUTCOME_NONE;
}

static void test_change_encoding(void **state)
{
    struct gl_change c;
    fill_change(&c);
    json_t *obj = gl_json_change(&c);
    assert_string_equal(json_string_value(json_object_get(obj, "id")), "CHG-000042");
    assert_string_equal(json_string_value(json_object_get(obj, "type")), "emergency");
    assert_string_equal(json_string_value(json_object_get(obj, "state")), "scheduled");
    assert_string_equal(json_string_value(json_object_get(obj, "client")), "acme");
    assert_string_equal(json_string_value(json_object_get(obj, "planned_start")),
                        "2026-12-01T00:00:00Z");
    assert_true(json_is_null(json_object_get(obj, "actual_start")));
    assert_true(json_is_null(json_object_get(obj, "outcome")));
    assert_true(json_is_null(json_object_get(obj, "description")));
    assert_true(json_is_true(json_object_get(obj, "rollback_tested")));
    assert_string_equal(json_string_value(json_array_get(json_object_get(obj, "cis"), 0)),
                        "CI-000005");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(obj, "related_changes"), 0)),
        "CHG-000041");
    assert_string_equal(json_string_value(json_array_get(json_object_get(obj, "incidents"), 0)),
                        "INC-4711");
    assert_true(json_is_object(json_object_get(obj, "review")));
    json_decref(obj);
    gl_change_release(&c);
}

/* What a client reads it can send back unchanged, read-only fields included. */
static void test_change_round_trip_is_noop(void **state)
{
    struct gl_change c, copy;
    struct gl_error err;
    fill_change(&c);
    gl_change_init(&copy);
    assert_int_equal(gl_change_copy(&copy, &c), 0);
    json_t *obj = gl_json_change(&c);
    assert_int_equal(gl_json_change_apply(obj, &copy, NULL, NULL, &err), 0);
    char *a = gl_json_change_dump(&c), *b = gl_json_change_dump(&copy);
    assert_string_equal(a, b);
    free(a);
    free(b);
    json_decref(obj);
    gl_change_release(&c);
    gl_change_release(&copy);
}

static void test_change_apply_sets_fields(void **state)
{
    struct gl_change c;
    struct gl_error err;
    gl_change_init(&c);
    json_t *obj = parse("{\"type\":\"normal\",\"client\":\"globex\",\"title\":\"T\","
                        "\"cis\":[\"CI-000009\", 10, \"11\"],\"related_changes\":[\"CHG-7\"],"
                        "\"planned_start\":\"2026-12-01T01:00:00+01:00\",\"rollback_tested\":true,"
                        "\"incidents\":[\"INC-1\"],\"description\":null}");
    assert_int_equal(gl_json_change_apply(obj, &c, NULL, NULL, &err), 0);
    assert_int_equal(c.type, GL_TYPE_NORMAL);
    assert_string_equal(c.client_key, "globex");
    assert_int_equal(c.ci_ids.len, 3);
    assert_int_equal(c.ci_ids.items[0], 9);
    assert_int_equal(c.ci_ids.items[1], 10);
    assert_int_equal(c.ci_ids.items[2], 11);
    assert_int_equal(c.related_changes.items[0], 7);
    assert_int_equal(c.planned_start, 1796083200);
    assert_true(c.rollback_tested);
    assert_null(c.description);
    json_decref(obj);
    gl_change_release(&c);
}

static void expect_refused(const char *body, const char *field)
{
    struct gl_change c;
    struct gl_error err;
    gl_change_init(&c);
    json_t *obj = parse(body);
    assert_int_equal(gl_json_change_apply(obj, &c, NULL, NULL, &err), GL_E_INVALID);
    assert_string_equal(err.field, field);
    assert_true(strlen(err.detail) > 0);
    json_decref(obj);
    gl_change_release(&c);
}

static void test_change_apply_refuses_bad_input(void **state)
{
    expect_refused("{\"title\": 5}", "title");
    expect_refused("{\"type\": \"urgent\"}", "type");
    expect_refused("{\"colour\": \"red\"}", "colour");
    expect_refused("{\"state\": \"approved\"}", "state");
    expect_refused("{\"version\": 9}", "version");
    expect_refused("{\"planned_start\": \"2026-13-01T00:00:00Z\"}", "planned_start");
    expect_refused("{\"planned_end\": 1234}", "planned_end");
    expect_refused("{\"cis\": \"CI-1\"}", "cis");
    expect_refused("{\"cis\": [\"XYZ\"]}", "cis");
    expect_refused("{\"cis\": [0]}", "cis");
    expect_refused("{\"related_changes\": [-4]}", "related_changes");
    expect_refused("{\"incidents\": [1]}", "incidents");
    expect_refused("{\"rollback_tested\": \"yes\"}", "rollback_tested");
    expect_refused("{\"review\": {}}", "review");
}

static int refuse_rollback_plan(const char *field, void *ud, struct gl_error *err)
{
    (*(int *)ud)++;
    if (strcmp(field, "rollback_plan") == 0)
        return gl_error_set(err, GL_E_PRECONDITION, field, "not now");
    return 0;
}

static void test_change_apply_consults_check_for_real_edits_only(void **state)
{
    struct gl_change c;
    struct gl_error err;
    int calls = 0;
    fill_change(&c);
    json_t *same = parse("{\"rollback_plan\":\"Restore the saved config\",\"title\":\"New\"}");
    assert_int_equal(gl_json_change_apply(same, &c, refuse_rollback_plan, &calls, &err), 0);
    assert_int_equal(calls, 1); /* only title changed */
    assert_string_equal(c.title, "New");
    json_t *edit = parse("{\"rollback_plan\":\"Other\"}");
    assert_int_equal(gl_json_change_apply(edit, &c, refuse_rollback_plan, &calls, &err),
                     GL_E_PRECONDITION);
    assert_string_equal(err.field, "rollback_plan");
    assert_string_equal(c.rollback_plan, "Restore the saved config");
    json_decref(same);
    json_decref(edit);
    gl_change_release(&c);
}

static void test_client_codec(void **state)
{
    struct gl_client c;
    struct gl_error err;
    gl_client_init(&c);
    json_t *obj = parse("{\"key\":\"acme\",\"name\":\"Acme\",\"timezone\":\"Europe/London\","
                        "\"notice_hours\":48,\"requires_signoff\":true}");
    assert_int_equal(gl_json_client_apply(obj, &c, true, &err), 0);
    assert_string_equal(c.key, "acme");
    assert_int_equal(c.notice_hours, 48);
    assert_true(c.requires_signoff);
    json_t *rekey = parse("{\"key\":\"other\"}");
    assert_int_equal(gl_json_client_apply(rekey, &c, false, &err), GL_E_INVALID);
    assert_string_equal(err.field, "key");
    json_t *bad = parse("{\"notice_hours\":-1}");
    assert_int_equal(gl_json_client_apply(bad, &c, false, &err), GL_E_INVALID);
    assert_string_equal(err.field, "notice_hours");
    json_t *out = gl_json_client(&c);
    assert_string_equal(json_string_value(json_object_get(out, "timezone")), "Europe/London");
    json_decref(out);
    json_decref(obj);
    json_decref(rekey);
    json_decref(bad);
    gl_client_release(&c);
}

static void test_ci_codec(void **state)
{
    struct gl_ci ci;
    struct gl_error err;
    gl_ci_init(&ci);
    json_t *obj = parse("{\"client\":null,\"name\":\"backup\",\"type\":\"storage\","
                        "\"criticality\":5,\"users_affected\":1200}");
    assert_int_equal(gl_json_ci_apply(obj, &ci, true, &err), 0);
    assert_null(ci.client_key);
    assert_int_equal(ci.criticality, 5);
    assert_int_equal(ci.users_affected, 1200);
    json_t *bad = parse("{\"criticality\":6}");
    assert_int_equal(gl_json_ci_apply(bad, &ci, false, &err), GL_E_INVALID);
    assert_string_equal(err.field, "criticality");
    ci.id = 12;
    json_t *out = gl_json_ci(&ci);
    assert_string_equal(json_string_value(json_object_get(out, "id")), "CI-000012");
    assert_true(json_is_null(json_object_get(out, "client")));
    json_decref(out);
    json_decref(obj);
    json_decref(bad);
    gl_ci_release(&ci);
}

static void test_audit_event_embeds_snapshots(void **state)
{
    struct gl_audit_event ev;
    gl_audit_event_init(&ev);
    ev.id = 3;
    ev.at = 1796083200;
    gl_change_set_str(&ev.actor, "alice");
    gl_change_set_str(&ev.action, "change.submit");
    gl_change_set_str(&ev.after_json, "{\"state\":\"submitted\"}");
    json_t *obj = gl_json_audit_event(&ev);
    assert_string_equal(json_string_value(json_object_get(json_object_get(obj, "after"), "state")),
                        "submitted");
    assert_true(json_is_null(json_object_get(obj, "before")));
    assert_int_equal(strlen(json_string_value(json_object_get(obj, "hash"))), 64);
    json_decref(obj);
    gl_audit_event_release(&ev);
}

static void test_audit_export_adds_client_and_prev_hash(void **state)
{
    struct gl_audit_event ev;
    gl_audit_event_init(&ev);
    ev.id = 4;
    ev.client_id = 2;
    ev.prev_hash[0] = 0xab;
    ev.hash[31] = 0x01;
    json_t *obj = gl_json_audit_export(&ev, "acme");
    assert_string_equal(json_string_value(json_object_get(obj, "client")), "acme");
    const char *prev = json_string_value(json_object_get(obj, "prev_hash"));
    assert_int_equal(strlen(prev), 64);
    assert_memory_equal(prev, "ab00", 4);
    assert_string_equal(json_string_value(json_object_get(obj, "hash")) + 62, "01");
    assert_int_equal(json_integer_value(json_object_get(obj, "id")), 4);
    json_decref(obj);
    obj = gl_json_audit_export(&ev, NULL); /* a global event */
    assert_true(json_is_null(json_object_get(obj, "client")));
    json_decref(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_change_encoding),
        cmocka_unit_test(test_change_round_trip_is_noop),
        cmocka_unit_test(test_change_apply_sets_fields),
        cmocka_unit_test(test_change_apply_refuses_bad_input),
        cmocka_unit_test(test_change_apply_consults_check_for_real_edits_only),
        cmocka_unit_test(test_client_codec),
        cmocka_unit_test(test_ci_codec),
        cmocka_unit_test(test_audit_event_embeds_snapshots),
        cmocka_unit_test(test_audit_export_adds_client_and_prev_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
