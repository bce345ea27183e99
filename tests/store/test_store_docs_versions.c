/*
 * test_store_docs_versions.c - versioned documentation in the store (store.h doc_*):
 * version history, optimistic concurrency, the staleness facts after a finished change,
 * and a completion that records resulting versions, each audited.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "store/store.h"

#include "util/banned.h"

static int64_t add_doc(struct gl_store *st, int64_t client, int64_t ci, const char *body)
{
    struct gl_document d;
    struct gl_doc_version v;
    struct gl_error err;
    gl_document_init(&d);
    gl_doc_version_init(&v);
    d.client_id = client;
    d.ci_id = ci;
    d.kind = GL_DOC_RUNBOOK;
    d.title = strdup("Runbook");
    v.body = strdup(body);
    struct gl_write_ctx ctx = wctx(T0, "document.create");
    assert_int_equal(st->docs->create(st, &ctx, &d, &v, &err), 0);
    int64_t id = d.id;
    gl_document_release(&d);
    gl_doc_version_release(&v);
    return id;
}

static void edit(struct gl_store *st, int64_t id, int64_t at, const char *body, int want)
{
    struct gl_document before, after;
    struct gl_doc_version v;
    struct gl_error err;
    assert_int_equal(st->docs->get(st, id, &before, &err), 0);
    assert_int_equal(st->docs->get(st, id, &after, &err), 0);
    gl_doc_version_init(&v);
    v.body = strdup(body);
    if (want == GL_E_STALE)
        before.version--;
    struct gl_write_ctx ctx = wctx(at, "document.update");
    const int64_t version = after.version, updated_at = after.updated_at;
    assert_int_equal(st->docs->update(st, &ctx, &before, &after, &v, &err), want);
    if (want) { /* a refused edit leaves the caller's record as it was */
        assert_int_equal(after.version, version);
        assert_int_equal(after.updated_at, updated_at);
    }
    gl_document_release(&before);
    gl_document_release(&after);
    gl_doc_version_release(&v);
}

static void test_history(void **state)
{
    struct fx *f = *state;
    struct gl_error err;
    int64_t client = add_client(f->st, "acme");
    int64_t id = add_doc(f->st, client, 0, "one\n");
    edit(f->st, id, T0 + HOUR, "one\ntwo\n", 0);
    edit(f->st, id, T0 + 2 * HOUR, "stale edit\n", GL_E_STALE);
    struct gl_doc_version_list l;
    assert_int_equal(f->st->docs->versions(f->st, id, &l, &err), 0);
    assert_int_equal(l.len, 2);
    assert_int_equal(l.items[1].version, 2);
    assert_int_equal(l.items[1].created_at, T0 + HOUR);
    assert_string_equal(l.items[1].author, "alice");
    gl_doc_version_list_release(&l);
    struct gl_doc_version v;
    assert_int_equal(f->st->docs->version_get(f->st, id, 1, &v, &err), 0);
    assert_string_equal(v.body, "one\n");
    gl_doc_version_release(&v);
    assert_int_equal(f->st->docs->version_get(f->st, id, 3, &v, &err), GL_E_NOT_FOUND);
    struct gl_document d;
    assert_int_equal(f->st->docs->get(f->st, id, &d, &err), 0);
    assert_int_equal(d.current_version, 2);
    assert_int_equal(d.version, 2);
    gl_document_release(&d);
    assert_int_equal(audit_count(f->st), 3); /* client, create, update */
    verify_chain(f->st);
}

static void test_stale_and_completion(void **state)
{
    struct fx *f = *state;
    struct gl_error err;
    int64_t client = add_client(f->st, "acme");
    int64_t ci = add_ci(f->st, client, "web-01", "server");
    int64_t id = add_doc(f->st, client, ci, "v1\n");
    struct spec s = {.client = client, .type = GL_TYPE_NORMAL, .state = GL_STATE_IN_PROGRESS,
                     .ci = ci, .start = T0 + HOUR, .end = T0 + 2 * HOUR};
    int64_t chg = add_change(f->st, &s);
    struct gl_change before, after;
    assert_int_equal(f->st->changes->get(f->st, chg, &before, &err), 0);
    int64_t base = 0;
    struct gl_write_ctx ctx = wctx(T0 + HOUR, "change.link_document");
    assert_int_equal(f->st->docs->link_change(f->st, &ctx, &before, id, &base, &err), 0);
    assert_int_equal(base, 1);
    struct gl_doc_ref_list refs;
    assert_int_equal(f->st->docs->change_refs(f->st, &before, &refs, &err), 0);
    assert_int_equal(refs.len, 1);
    assert_int_equal(refs.items[0].base_version, 1);

    /* completed without naming a result: the document is possibly stale */
    assert_int_equal(f->st->changes->get(f->st, chg, &after, &err), 0);
    after.state = GL_STATE_COMPLETED;
    after.actual_end = T0 + 3 * HOUR;
    ctx = wctx(T0 + 3 * HOUR, "change.complete");
    assert_int_equal(
        f->st->docs->complete_change(f->st, &ctx, &before, &after, NULL, 0, &refs, false, &err), 0);
    struct gl_document d;
    assert_int_equal(f->st->docs->get(f->st, id, &d, &err), 0);
    assert_true(gl_doc_possibly_stale(&d));
    gl_document_release(&d);

    /* a resulting version recorded for the change acknowledges it */
    edit(f->st, id, T0 + 2 * HOUR, "v2\n", 0); /* written before the change ended */
    gl_change_release(&before);
    before = after;
    gl_change_init(&after);
    assert_int_equal(f->st->changes->get(f->st, chg, &after, &err), 0);
    struct gl_doc_result r = {id, 2};
    ctx = wctx(T0 + 3 * HOUR, "change.complete");
    assert_int_equal(
        f->st->docs->complete_change(f->st, &ctx, &before, &after, &r, 1, &refs, false, &err), 0);
    assert_int_equal(f->st->docs->get(f->st, id, &d, &err), 0);
    assert_false(gl_doc_possibly_stale(&d));
    gl_document_release(&d);
    gl_doc_ref_list_release(&refs);
    gl_change_release(&before);
    gl_change_release(&after);
    verify_chain(f->st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_and_completion, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
