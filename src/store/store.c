/*
 * store.c - backend-independent parts of the storage interface (see store.h): closing a
 * store through its ops table and releasing the pages and lists the store hands out.
 *
 * Invariant: every release function accepts NULL and leaves the struct empty, so a
 * released page can be released again or refilled.
 */
#include "store/store.h"

#include <stdlib.h>

#include "util/banned.h"

void gl_store_close(struct gl_store *st)
{
    if (st && st->ops && st->ops->close)
        st->ops->close(st);
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

void gl_change_doc_release(struct gl_change_doc *d)
{
    if (!d)
        return;
    free(d->json);
    d->json = NULL;
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
