/*
 * table.c - aligned tables and label/value views for the terminal (see table.h).
 *
 * Invariant: cells are stored as given; sanitising (control characters, invalid UTF-8)
 * and truncation happen at print time through gl_utf8_fit, the one place that walks
 * UTF-8, so widths and output can never disagree.
 */
#include "cli/table.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/banned.h"

#define COL_GAP 2
#define VIEW_LABEL_WIDTH 20
#define MIN_LAST_COL 12

struct gl_table {
    size_t ncols;
    char **headers;
    size_t *max;  /* per-column cap, 0 = none */
    char **cells; /* rows * ncols */
    size_t rows, cap_rows;
};

/* Length of the valid UTF-8 sequence at p, or 0 when it is not one. */
static size_t cp_len(const unsigned char *p)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        if (c == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

size_t gl_utf8_width(const char *s)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = cp_len(p);
        p += n ? n : 1;
        w++;
    }
    return w;
}

/* Appends the code point at *p (sanitised) and advances *p. */
static int put_cp(struct gl_buf *b, const unsigned char **p)
{
    size_t n = cp_len(*p);
    int rc;
    if (n == 0)
        rc = gl_buf_putc(b, '?');
    else if (n == 1 && (**p < 0x20 || **p == 0x7F))
        rc = gl_buf_putc(b, ' ');
    else
        rc = gl_buf_append(b, *p, n);
    *p += n ? n : 1;
    return rc;
}

int gl_utf8_fit(struct gl_buf *b, const char *s, size_t width)
{
    bool cut = gl_utf8_width(s) > width;
    size_t keep = cut ? (width ? width - 1 : 0) : width;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < keep && *p; i++)
        if (put_cp(b, &p) < 0)
            return -1;
    if (cut && width)
        return gl_buf_puts(b, "…");
    return 0;
}

struct gl_table *gl_table_new(size_t ncols, const char *const *headers)
{
    struct gl_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ncols = ncols;
    t->headers = calloc(ncols, sizeof *t->headers);
    t->max = calloc(ncols, sizeof *t->max);
    if (!t->headers || !t->max)
        goto fail;
    for (size_t i = 0; i < ncols; i++)
        if (!(t->headers[i] = strdup(headers[i])))
            goto fail;
    return t;
fail:
    gl_table_free(t);
    return NULL;
}

void gl_table_free(struct gl_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->headers && i < t->ncols; i++)
        free(t->headers[i]);
    for (size_t i = 0; i < t->rows * t->ncols; i++)
        free(t->cells[i]);
    free(t->headers);
    free(t->max);
    free(t->cells);
    free(t);
}

void gl_table_set_max(struct gl_table *t, size_t col, size_t width)
{
    if (col < t->ncols)
        t->max[col] = width;
}

size_t gl_table_rows(const struct gl_table *t)
{
    return t->rows;
}

int gl_table_add_row(struct gl_table *t, const char *const *cells)
{
    if (t->rows == t->cap_rows) {
        size_t cap = t->cap_rows ? t->cap_rows * 2 : 16;
        char **p = realloc(t->cells, cap * t->ncols * sizeof *p);
        if (!p)
            return -1;
        t->cells = p;
        t->cap_rows = cap;
    }
    char **row = t->cells + t->rows * t->ncols;
    for (size_t i = 0; i < t->ncols; i++) {
        row[i] = strdup(cells[i] ? cells[i] : "-");
        if (!row[i]) {
            while (i-- > 0)
                free(row[i]);
            return -1;
        }
    }
    t->rows++;
    return 0;
}

static size_t cap_width(size_t w, size_t max)
{
    return max && w > max ? max : w;
}

static size_t terminal_columns(FILE *out)
{
    struct winsize ws;
    if (out != stdout || !isatty(STDOUT_FILENO))
        return 0;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
        return 0;
    return ws.ws_col;
}

/* Computes every column's printed width into w. */
static void column_widths(const struct gl_table *t, FILE *out, size_t *w)
{
    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = cap_width(gl_utf8_width(t->headers[c]), t->max[c]);
        for (size_t r = 0; r < t->rows; r++) {
            size_t cw = cap_width(gl_utf8_width(t->cells[r * t->ncols + c]), t->max[c]);
            if (cw > w[c])
                w[c] = cw;
        }
    }
    size_t cols = terminal_columns(out), used = 0;
    if (!cols || t->ncols == 0)
        return;
    for (size_t c = 0; c + 1 < t->ncols; c++)
        used += w[c] + COL_GAP;
    size_t room = cols > used + MIN_LAST_COL ? cols - used : MIN_LAST_COL;
    if (w[t->ncols - 1] > room)
        w[t->ncols - 1] = room;
}

static void print_row(const struct gl_table *t, char *const *cells, const size_t *w,
                      struct gl_buf *line, FILE *out)
{
    gl_buf_reset(line);
    for (size_t c = 0; c < t->ncols; c++) {
        gl_utf8_fit(line, cells[c], w[c]);
        if (c + 1 == t->ncols)
            break;
        size_t used = cap_width(gl_utf8_width(cells[c]), w[c]);
        for (size_t i = used; i < w[c] + COL_GAP; i++)
            gl_buf_putc(line, ' ');
    }
    /* The last cell may end in spaces of its own; trailing blanks help nobody. */
    while (line->len && line->data[line->len - 1] == ' ')
        line->data[--line->len] = '\0';
    fprintf(out, "%s\n", gl_buf_str(line));
}

void gl_table_print(const struct gl_table *t, FILE *out)
{
    if (t->rows == 0) {
        fputs("(none)\n", out);
        return;
    }
    size_t *w = calloc(t->ncols, sizeof *w);
    struct gl_buf line = GL_BUF_INIT;
    if (!w)
        return;
    column_widths(t, out, w);
    print_row(t, t->headers, w, &line, out);
    for (size_t r = 0; r < t->rows; r++)
        print_row(t, t->cells + r * t->ncols, w, &line, out);
    gl_buf_release(&line);
    free(w);
}

void gl_view_line(FILE *out, const char *label, const char *value)
{
    int pad = VIEW_LABEL_WIDTH - (int)strlen(label) - 1;
    fprintf(out, "%s:%*s ", label, pad > 0 ? pad : 0, "");
    if (!value || !*value) {
        fputs("-\n", out);
        return;
    }
    for (const char *p = value; *p; p++) {
        fputc(*p, out);
        if (*p == '\n' && p[1])
            fprintf(out, "%*s", VIEW_LABEL_WIDTH + 1, "");
    }
    if (value[strlen(value) - 1] != '\n')
        fputc('\n', out);
}

void gl_view_heading(FILE *out, const char *heading)
{
    size_t n = gl_utf8_width(heading);
    fprintf(out, "\n%s\n", heading);
    for (size_t i = 0; i < n; i++)
        fputc('-', out);
    fputc('\n', out);
}
