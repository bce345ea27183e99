/*
 * json_report.h - the client report (GET /api/v1/clients/{key}/report) as JSON and as a
 * printable HTML page, and the documentation links of changes shared with what-changed.
 *
 * The JSON is built from the report data the store gathers (core/report.h): each
 * change from its stored wire rendering (struct gl_change_doc), so the report shows
 * exactly what the API shows, the risk object included when the change has one. The HTML
 * page is rendered from that JSON, so both forms always agree.
 *
 * Ownership: json_t results are new references; gl_html_report returns malloc'd text.
 */
#ifndef GL_CODEC_JSON_REPORT_H
#define GL_CODEC_JSON_REPORT_H

#include <jansson.h>

#include "core/cmdb.h"
#include "core/docs.h"
#include "core/report.h"
#include "util/buf.h"

/* {"document": "DOC-...", "title", "base_version", "result_version", "no_doc_affected"}
 * (versions null when unset). */
json_t *gl_json_change_doc_link(const struct gl_change_doc_link *l);

/* The report: {"client", "from", "to", "generated_at", "summary": {"changes", "by_type",
 * "by_outcome", "emergency_ratio", "success_rate"}, "changes": [...]}. Every change of d
 * must carry its current rendering (h_report.c re-renders missing or outdated ones).
 * NULL when out of memory or a rendering is not a JSON object. */
json_t *gl_json_report(const struct gl_client *client, int64_t from, int64_t to, int64_t now,
                       const struct gl_report_data *d);

/* A self-contained HTML document (inline print CSS, no scripts, every string from the
 * report escaped) for a report made by gl_json_report. NULL when out of memory. */
char *gl_html_report(const json_t *report, size_t *len);

/* Appends s HTML-escaped (& < > " ' ) to out; 0 or -1. */
int gl_html_escape(struct gl_buf *out, const char *s);

#endif
