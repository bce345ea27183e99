/*
 * buf.c - growable byte buffer with a size cap (see buf.h).
 *
 * Invariant: data == NULL or data[len] == '\0', and len <= max when max != 0.
 */
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

void gl_buf_init(struct gl_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

static int buf_reserve(struct gl_buf *b, size_t extra)
{
    if (b->max && (extra > b->max || b->len > b->max - extra))
        return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int gl_buf_append(struct gl_buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int gl_buf_puts(struct gl_buf *b, const char *s)
{
    return gl_buf_append(b, s, strlen(s));
}

int gl_buf_putc(struct gl_buf *b, char c)
{
    return gl_buf_append(b, &c, 1);
}

int gl_buf_vprintf(struct gl_buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0 || buf_reserve(b, (size_t)n) < 0)
        return -1;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int gl_buf_printf(struct gl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = gl_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void gl_buf_reset(struct gl_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void gl_buf_release(struct gl_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *gl_buf_detach(struct gl_buf *b)
{
    char *p = b->data ? b->data : strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

const char *gl_buf_str(const struct gl_buf *b)
{
    return b->data ? b->data : "";
}
