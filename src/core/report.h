/*
 * report.h - the client report's data: what the store gathers for one client and one
 * time range, and what the codec (codec/json_report.h) turns into the report's JSON and
 * HTML. Plain records only; the selection rules live with the store's report call
 * (store.h, clients->report).
 *
 * Ownership: a gl_report_data owns its renderings, audit events and links;
 * gl_report_data_release frees them, accepts NULL and leaves the struct empty.
 */
#ifndef GL_REPORT_H
#define GL_REPORT_H

#include <stddef.h>

#include "core/audit.h"
#include "core/change.h"
#include "core/docs.h"

/* The client's changes whose planned or actual window meets [from, to), ordered by planned
 * (else actual) start then id; their approval decisions (audit events of entity "change"
 * whose action names an approval, rejection, vote or sign-off), oldest first per change;
 * their documentation. */
struct gl_report_data {
    struct gl_change_doc *changes; /* stored renderings (struct gl_change_doc) */
    size_t nchanges;
    struct gl_audit_list approvals;  /* ordered by entity_id, id */
    struct gl_change_doc_links docs; /* ordered by change_id, document_id */
};

void gl_report_data_release(struct gl_report_data *d);

#endif
