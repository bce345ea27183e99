/*
 * store_report.c - releasing the relation-name, documentation-link and client-report
 * results of the storage interface (store.h); backend-independent like store.c.
 *
 * Invariant: every release accepts NULL and leaves the struct empty.
 */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

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

void gl_change_doc_links_release(struct gl_change_doc_links *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->len; i++)
        free(l->items[i].title);
    free(l->items);
    memset(l, 0, sizeof *l);
}

void gl_report_data_release(struct gl_report_data *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->nchanges; i++)
        gl_change_doc_release(&d->changes[i]);
    free(d->changes);
    gl_audit_list_release(&d->approvals);
    gl_change_doc_links_release(&d->docs);
    memset(d, 0, sizeof *d);
}
