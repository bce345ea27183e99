/*
 * error.c - filling and naming errors (see error.h).
 */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/banned.h"

static const struct {
    const char *slug;
    const char *title;
} error_names[GL_E__COUNT] = {
    [GL_OK] = {"ok", "OK"},
    [GL_E_INVALID] = {"invalid-input", "Invalid input"},
    [GL_E_NOT_FOUND] = {"not-found", "Not found"},
    [GL_E_STALE] = {"stale-version", "The record was changed by someone else"},
    [GL_E_DUPLICATE] = {"duplicate", "Already exists"},
    [GL_E_TRANSITION] = {"illegal-transition", "Action not allowed in this state"},
    [GL_E_PRECONDITION] = {"precondition-failed", "A rule of the change process is not met"},
    [GL_E_UNAUTHORIZED] = {"unauthorized", "Authentication required"},
    [GL_E_FORBIDDEN] = {"forbidden", "Not allowed"},
    [GL_E_TOO_LARGE] = {"too-large", "Request too large"},
    [GL_E_VERSION_REQUIRED] = {"version-required", "Version required for updates"},
    [GL_E_METHOD] = {"method-not-allowed", "Method not allowed"},
    [GL_E_UNSUPPORTED] = {"unsupported-media-type", "Unsupported media type"},
    [GL_E_RATE_LIMITED] = {"rate-limited", "Too many attempts"},
    [GL_E_INTERNAL] = {"internal", "Internal error"},
};

int(gl_error_set)(struct gl_error *err, enum gl_errcode code, const char *field,
                 const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof err->detail, fmt, ap);
    va_end(ap);
    return code;
}

void gl_error_clear(struct gl_error *err)
{
    if (!err)
        return;
    err->code = GL_OK;
    err->field[0] = '\0';
    err->detail[0] = '\0';
}

const char *gl_errcode_slug(enum gl_errcode code)
{
    return (unsigned)code < GL_E__COUNT ? error_names[code].slug : "internal";
}

const char *gl_errcode_title(enum gl_errcode code)
{
    return (unsigned)code < GL_E__COUNT ? error_names[code].title : "Internal error";
}
