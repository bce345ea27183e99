/*
 * error.h - the one error type of Greenlight.
 *
 * Every fallible function returns an int: 0 on success, otherwise the gl_errcode it also
 * stored in the caller's struct gl_error (which may be NULL when the caller does not care).
 * The error carries what a problem response (RFC 9457) needs: a stable code, a human
 * detail, and the offending field when there is one. Adapters map codes to HTTP statuses
 * or CLI exit codes; nothing below them knows about either.
 */
#ifndef GL_ERROR_H
#define GL_ERROR_H

enum gl_errcode {
    GL_OK = 0,
    GL_E_INVALID,       /* bad input: malformed, wrong type, unknown value, missing field */
    GL_E_NOT_FOUND,     /* no such record (or not visible to the caller) */
    GL_E_STALE,         /* optimistic concurrency: the record's version moved on */
    GL_E_DUPLICATE,     /* a unique key is already taken */
    GL_E_TRANSITION,    /* the lifecycle action is not allowed from the current state */
    GL_E_PRECONDITION,  /* the action is allowed but a rule of the process is not met */
    GL_E_UNAUTHORIZED,  /* no or bad credentials */
    GL_E_FORBIDDEN,     /* authenticated but not allowed */
    GL_E_TOO_LARGE,     /* request body or list over its limit */
    GL_E_VERSION_REQUIRED, /* an update came without If-Match / version */
    GL_E_METHOD,        /* the route exists but not with this method */
    GL_E_UNSUPPORTED,   /* e.g. a media type we do not take */
    GL_E_RATE_LIMITED,  /* too many attempts (failed logins); try again later */
    GL_E_INTERNAL,      /* a bug or a failing dependency (database, disk) */
    GL_E__COUNT
};

struct gl_error {
    enum gl_errcode code;
    char field[64];   /* offending input field, "" when none */
    char detail[320]; /* one sentence for a human */
};

/* Fills err (when not NULL) and returns code. `field` may be NULL. */
int gl_error_set(struct gl_error *err, enum gl_errcode code, const char *field, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));
#ifdef __clang_analyzer__
/* The static analyser (make test) sees one file at a time, so it cannot know that the
 * result is `code`; this tells it, and every `return gl_error_set(...)` is a failure to it
 * as it is to the reader. error.c defines the function as (gl_error_set). */
#define gl_error_set(err, code, ...) (gl_error_set((err), (code), __VA_ARGS__), (int)(code))
#endif
void gl_error_clear(struct gl_error *err);
/* Stable slug used in problem `type` URIs and CLI messages, e.g. "invalid-input". */
const char *gl_errcode_slug(enum gl_errcode code);
/* Short title for the problem, e.g. "Invalid input". */
const char *gl_errcode_title(enum gl_errcode code);

#endif
