/*
 * utf8.h - UTF-8 validation for text arriving from outside (query strings, headers).
 */
#ifndef GL_UTF8_H
#define GL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or code points
 * above U+10FFFF) and contains no NUL byte. */
bool gl_utf8_valid(const char *s, size_t len);

#endif
