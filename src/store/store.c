/*
 * store.c - backend-independent parts of the storage interface (see store.h): closing a
 * store through its admin table, releasing the pages and lists that are the store's own
 * (the plain records and their lists live in core/ with their releases), and verifying
 * the audit chain through any backend's audit_list.
 *
 * Invariant: every release function accepts NULL and leaves the struct empty, so a
 * released page can be released again or refilled.
 */
#include "store/store.h"

#include <stdlib.h>

#include "util/banned.h"

void gl_store_close(struct gl_store *st)
{
    if (st && st->admin && st->admin->close)
        st->admin->close(st);
}

void gl_change_page_release(struct gl_change_page *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->len; i++)
        gl_change_release(&p->items[i]);
    free(p->items);
    p->items = NULL;
    p->len = 0;
    p->next_cursor = 0;
}

void gl_ci_page_release(struct gl_ci_page *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->len; i++)
        gl_ci_release(&p->items[i]);
    free(p->items);
    p->items = NULL;
    p->len = 0;
    p->next_cursor = 0;
}

void gl_client_list_release(struct gl_client_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->len; i++)
        gl_client_release(&l->items[i]);
    free(l->items);
    l->items = NULL;
    l->len = 0;
}

void gl_change_doc_page_release(struct gl_change_doc_page *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->len; i++)
        gl_change_doc_release(&p->items[i]);
    free(p->items);
    p->items = NULL;
    p->len = 0;
    p->next_cursor = 0;
}

void gl_token_list_release(struct gl_token_list *l)
{
    if (!l)
        return;
    free(l->items);
    l->items = NULL;
    l->len = 0;
}

void gl_audit_page_release(struct gl_audit_page *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->len; i++)
        gl_audit_event_release(&p->items[i]);
    free(p->items);
    p->items = NULL;
    p->len = 0;
    p->next_cursor = 0;
}

/* Events per audit_list call while verifying: bounds memory, amortises the queries. */
#define VERIFY_PAGE 1000

int gl_store_audit_verify(struct gl_store *st, struct gl_audit_verifier *v,
                          struct gl_error *err)
{
    gl_audit_verifier_init(v);
    int64_t after = 0;
    for (;;) {
        struct gl_audit_list l;
        int rc = st->audit->list(st, after, VERIFY_PAGE, &l, err);
        if (rc)
            return rc;
        size_t n = l.len;
        for (size_t i = 0; i < n && !v->broken_id; i++)
            gl_audit_verifier_feed(v, &l.items[i]);
        if (n)
            after = l.items[n - 1].id;
        gl_audit_list_release(&l);
        if (n < VERIFY_PAGE || v->broken_id)
            return 0;
    }
}

void gl_ci_relation_list_release(struct gl_ci_relation_list *l)
{
    if (!l)
        return;
    free(l->items);
    l->items = NULL;
    l->len = 0;
}

void gl_ci_named_links_release(struct gl_ci_named_links *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->len; i++)
        free(l->items[i].link.name);
    free(l->items);
    l->items = NULL;
    l->len = 0;
}

void gl_approval_record_release(struct gl_approval_record *r)
{
    if (!r)
        return;
    free(r->round_reason);
    r->round_reason = NULL;
    gl_approval_votes_release(&r->votes);
}

void gl_review_due_list_release(struct gl_review_due_list *l)
{
    if (!l)
        return;
    free(l->items);
    l->items = NULL;
    l->len = 0;
}

void gl_emergency_rows_release(struct gl_emergency_rows *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->len; i++)
        free(r->items[i].key);
    free(r->items);
    r->items = NULL;
    r->len = 0;
}

void gl_template_page_release(struct gl_template_page *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->len; i++)
        gl_template_release(&p->items[i]);
    free(p->items);
    p->items = NULL;
    p->len = 0;
}

void gl_template_version_list_release(struct gl_template_version_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->len; i++) {
        free(l->items[i].created_by);
        free(l->items[i].json);
    }
    free(l->items);
    l->items = NULL;
    l->len = 0;
}
