/*
 * table.h - readable terminal output: aligned tables for lists, label/value views for
 * single records.
 *
 * Widths are terminal columns (a code point is one column; East Asian wide characters and
 * emoji two; combining marks none), text is cut on code point boundaries with "…", and
 * control characters (newlines, tabs) inside a cell become spaces, so one row is always
 * one line. Invalid UTF-8 bytes are shown as '?'.
 */
#ifndef GL_CLI_TABLE_H
#define GL_CLI_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "util/buf.h"

struct gl_table;

/* headers: ncols column titles (copied). Returns NULL when out of memory. */
struct gl_table *gl_table_new(size_t ncols, const char *const *headers);
/* Accepts NULL. */
void gl_table_free(struct gl_table *t);
/* Caps the width of column col (0 = no cap). The last column is also capped to what
 * fits the terminal when stdout is one. */
void gl_table_set_max(struct gl_table *t, size_t col, size_t width);
/* Appends a row of ncols cells (copied; NULL prints as "-"). Returns 0 or -1. */
int gl_table_add_row(struct gl_table *t, const char *const *cells);
size_t gl_table_rows(const struct gl_table *t);
/* Prints header and rows; an empty table prints "(none)". */
void gl_table_print(const struct gl_table *t, FILE *out);

/* Display width of s in terminal columns, counting each invalid byte as one. */
size_t gl_utf8_width(const char *s);
/* Appends s, control characters as spaces, cut to at most `width` columns (ending in "…"
 * when cut). *used (may be NULL) receives the columns appended. Returns 0 or -1. */
int gl_utf8_fit(struct gl_buf *b, const char *s, size_t width, size_t *used);

/* Prints "label:" padded to a common width and value (NULL as "-"); lines after the first
 * of a multi-line value are indented under the first. */
void gl_view_line(FILE *out, const char *label, const char *value);
/* A blank line and an underlined heading between groups of a view. */
void gl_view_heading(FILE *out, const char *heading);

#endif
