/*
 * ci_import.h - configuration items in bulk: CSV (libcsv) and JSON files into rows, and
 * CIs out as CSV in the same shape, so an export imports back unchanged.
 *
 * The shape is what RMM and IT documentation tools export: a header row naming the
 * columns (case-insensitive, any order) client, name, type, criticality, users_affected,
 * owner and optionally id (CI-000042 or 42, to update that CI). An empty client means
 * shared infrastructure; criticality defaults to 3, users_affected to 0. JSON is an array
 * of objects with the same fields (as GET /api/v1/cis returns them, so id, version and the
 * timestamps are accepted and the read-only ones ignored), or {"cis": [...]}.
 *
 * Attributes: CSV columns attr.KEY (a cell typed by gl_attr_from_text; empty = absent), a
 * JSON "attributes" object. A file that gives no attributes at all for a row (no attr.
 * column, no "attributes" member) leaves a stored CI's attributes alone (has_attrs false).
 * Relations: CSV columns depends_on, runs_on, connects_to holding ';'-separated CI names,
 * JSON arrays of names under the same keys; each names a CI of the row's client or a
 * shared one, stored or elsewhere in the file (the store resolves them).
 *
 * Two kinds of error: a file that cannot be read as a whole (malformed CSV or JSON, a
 * missing required column, unknown columns) fails the call with GL_E_INVALID naming the
 * columns; a row that cannot be read (criticality "high", a bad id) is kept with its
 * reasons filled so it is reported with the others, never imported. A row gets one reason
 * per bad field, in column (or member) order, not only the first. A reason the reading
 * gives without a field is about the whole row (it does not fit the header, it is no JSON
 * object) and is then its only one, so a caller checking rows further skips such a row.
 *
 * Rows are numbered from 1 in file order, not counting the CSV header.
 * Ownership: rows own their strings; gl_ci_rows_release frees them (accepts NULL).
 */
#ifndef GL_CODEC_CI_IMPORT_H
#define GL_CODEC_CI_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/cmdb.h"
#include "core/error.h"
#include "util/buf.h"

#define GL_CI_LINKS_MAX 256 /* relations one row may name */

struct gl_ci_row {
    int row;
    int64_t id;        /* the id column, 0 when absent or empty */
    struct gl_ci ci;   /* client_key NULL = shared; client_id left for the caller */
    bool has_attrs;    /* the file gave this row's attributes */
    struct gl_ci_link *links; /* relations named in the row, owned */
    size_t nlinks;
    struct gl_error err; /* code != GL_OK: the row is rejected; its first reason */
    struct gl_error *more; /* its further reasons, one per other bad field (owned) */
    size_t nmore;
};

#define GL_CI_ROW_REASONS_MAX 32 /* reasons kept per row; a row has few fields that matter */

struct gl_ci_rows {
    struct gl_ci_row *items;
    size_t len;
};

int gl_ci_rows_from_csv(const char *data, size_t len, struct gl_ci_rows *out,
                        struct gl_error *err);
int gl_ci_rows_from_json(const char *data, size_t len, struct gl_ci_rows *out,
                         struct gl_error *err);
void gl_ci_rows_release(struct gl_ci_rows *rows);
/* Adds e (GL_E_INVALID) as a reason to reject r: the first becomes r->err, the others are
 * appended to r->more; a field already named, or a reason past GL_CI_ROW_REASONS_MAX, is
 * dropped. 0, or GL_E_INTERNAL when out of memory. For callers that check rows further
 * (the client, authorization, gl_ci_validate_all). */
int gl_ci_row_reject(struct gl_ci_row *r, const struct gl_error *e);

/* Appends the header line, or one CI as a line (RFC 4180 quoting, CRLF). 0 or -1.
 * attr_keys (sorted, may be NULL when n 0) are the attr.KEY columns after owner; then
 * come depends_on, runs_on, connects_to, filled from links (the CI's relations by target
 * name; NULL when none). */
int gl_ci_csv_header(struct gl_buf *out, const char *const *attr_keys, size_t nkeys);
int gl_ci_csv_row(struct gl_buf *out, const struct gl_ci *ci, const char *const *attr_keys,
                  size_t nkeys, const struct gl_ci_link *links, size_t nlinks);
/* The links of one CI as {"depends_on": [...], "runs_on": [...], "connects_to": [...]}
 * members added to obj (a CI's JSON). 0 or -1. */
int gl_ci_json_links(json_t *obj, const struct gl_ci_link *links, size_t nlinks);

#endif
