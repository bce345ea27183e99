/*
 * buf.h - a growable byte buffer with a size cap.
 *
 * Used wherever text is assembled (JSON bodies, SQL, table output) instead of snprintf
 * length arithmetic. The buffer is always NUL-terminated once anything was appended, so
 * `data` can be used as a C string. The cap (`max`) bounds memory: an append that would
 * grow the content past it fails with -1 and leaves the buffer as it was, which is how
 * request bodies over the limit are refused.
 *
 * Ownership: the buffer owns `data`; gl_buf_release frees it, gl_buf_detach hands it to
 * the caller (who frees it with free()).
 */
#ifndef GL_BUF_H
#define GL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct gl_buf {
    char *data; /* NULL until the first append */
    size_t len; /* bytes used, excluding the terminating NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* largest allowed len; 0 means no cap */
};

#define GL_BUF_INIT {NULL, 0, 0, 0}

void gl_buf_init(struct gl_buf *b, size_t max);
/* Returns 0, or -1 when the cap would be exceeded or memory is exhausted. */
int gl_buf_append(struct gl_buf *b, const void *p, size_t n);
int gl_buf_puts(struct gl_buf *b, const char *s);
int gl_buf_putc(struct gl_buf *b, char c);
int gl_buf_printf(struct gl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int gl_buf_vprintf(struct gl_buf *b, const char *fmt, va_list ap);
/* Empties the buffer, keeping its allocation. */
void gl_buf_reset(struct gl_buf *b);
/* Frees the content; the buffer may be reused after gl_buf_init. Accepts NULL. */
void gl_buf_release(struct gl_buf *b);
/* Returns the content (never NULL: "" when empty) for the caller to free(); empties b. */
char *gl_buf_detach(struct gl_buf *b);
/* Returns data, or "" when nothing was appended. Owned by the buffer. */
const char *gl_buf_str(const struct gl_buf *b);

#endif
