/*
 * report.c - releasing the client report's data (core/report.h).
 *
 * Invariant: the release accepts NULL and leaves the struct empty.
 */
#include "core/report.h"

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

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
