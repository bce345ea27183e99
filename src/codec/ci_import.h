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
 * Two kinds of error: a file that cannot be read as a whole (malformed CSV or JSON, a
 * missing required column, unknown columns) fails the call with GL_E_INVALID naming the
 * columns; a row that cannot be read (criticality "high", a bad id) is kept with its
 * err filled so it is reported with the others, never imported.
 *
 * Rows are numbered from 1 in file order, not counting the CSV header.
 * Ownership: rows own their strings; gl_ci_rows_release frees them (accepts NULL).
 */
#ifndef GL_CODEC_CI_IMPORT_H
#define GL_CODEC_CI_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/cmdb.h"
#include "core/error.h"
#include "util/buf.h"

struct gl_ci_row {
    int row;
    int64_t id;        /* the id column, 0 when absent or empty */
    struct gl_ci ci;   /* client_key NULL = shared; client_id left for the caller */
    struct gl_error err; /* code != GL_OK: the row could not be read */
};

struct gl_ci_rows {
    struct gl_ci_row *items;
    size_t len;
};

int gl_ci_rows_from_csv(const char *data, size_t len, struct gl_ci_rows *out,
                        struct gl_error *err);
int gl_ci_rows_from_json(const char *data, size_t len, struct gl_ci_rows *out,
                         struct gl_error *err);
void gl_ci_rows_release(struct gl_ci_rows *rows);

/* Appends the header line, or one CI as a line (RFC 4180 quoting, CRLF). 0 or -1. */
int gl_ci_csv_header(struct gl_buf *out);
int gl_ci_csv_row(struct gl_buf *out, const struct gl_ci *ci);

#endif
