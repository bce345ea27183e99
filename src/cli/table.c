/*
 * table.c - aligned tables and label/value views for the terminal (see table.h).
 *
 * Invariant: cells are stored as given; sanitising (control characters, invalid UTF-8)
 * and truncation happen at print time through gl_utf8_fit, and every width comes from
 * next_cp, the one place that measures a code point, so widths and output agree.
 */
#include "cli/table.h"

#include <stdbool.h>
#include <stdint.h>
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

static uint32_t cp_value(const unsigned char *p, size_t n)
{
    static const unsigned char lead_bits[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    uint32_t cp = p[0] & lead_bits[n];
    for (size_t i = 1; i < n; i++)
        cp = (cp << 6) | (p[i] & 0x3F);
    return cp;
}

struct cp_range {
    uint32_t lo, hi;
};

static bool in_ranges(uint32_t cp, const struct cp_range *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cp >= r[i].lo && cp <= r[i].hi)
            return true;
    return false;
}

/* Terminal columns of one code point: 0 for combining marks, 2 for East Asian wide
 * characters and emoji, else 1. A small table rather than wcwidth(), whose answer depends
 * on the process locale. */
static size_t cp_columns(uint32_t cp)
{
    static const struct cp_range zero[] = {
        {0x0300, 0x036F}, {0x200B, 0x200F}, {0x20D0, 0x20FF}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F},
    };
    static const struct cp_range wide[] = {
        {0x1100, 0x115F},   {0x2E80, 0x303E},   {0x3041, 0x33FF},   {0x3400, 0x4DBF},
        {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},
        {0xFE30, 0xFE4F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x1F300, 0x1F64F},
        {0x1F680, 0x1F6FF}, {0x1F900, 0x1F9FF}, {0x1FA70, 0x1FAFF}, {0x20000, 0x3FFFD},
    };
    if (in_ranges(cp, zero, sizeof zero / sizeof zero[0]))
        return 0;
    return in_ranges(cp, wide, sizeof wide / sizeof wide[0]) ? 2 : 1;
}

/* Measures the code point at p as it will be printed: returns its length in bytes (at
 * least 1) and stores its columns. Invalid bytes print as '?', controls as ' '. */
static size_t next_cp(const unsigned char *p, size_t *cols)
{
    size_t n = cp_len(p);
    *cols = n > 1 ? cp_columns(cp_value(p, n)) : 1;
    return n ? n : 1;
}

size_t gl_utf8_width(const char *s)
{
    size_t w = 0, cols;
    for (const unsigned char *p = (const unsigned char *)s; *p; w += cols)
        p += next_cp(p, &cols);
    return w;
}

/* Appends the code point at p (n bytes as measured by next_cp), sanitised. */
static int put_cp(struct gl_buf *b, const unsigned char *p, size_t n)
{
    if (cp_len(p) == 0)
        return gl_buf_putc(b, '?');
    if (n == 1 && (*p < 0x20 || *p == 0x7F))
        return gl_buf_putc(b, ' ');
    return gl_buf_append(b, p, n);
}

int gl_utf8_fit(struct gl_buf *b, const char *s, size_t width, size_t *used)
{
    bool cut = gl_utf8_width(s) > width;
    size_t budget = cut && width ? width - 1 : width, acc = 0, cols;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = next_cp(p, &cols);
        if (acc + cols > budget)
            break;
        if (put_cp(b, p, n) < 0)
            return -1;
        acc += cols;
        p += n;
    }
    if (cut && width) {
        if (gl_buf_puts(b, "…") < 0)
            return -1;
        acc++;
    }
    if (used)
        *used = acc;
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
        size_t used = 0;
        gl_utf8_fit(line, cells[c], w[c], &used);
        if (c + 1 == t->ncols)
            break;
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
