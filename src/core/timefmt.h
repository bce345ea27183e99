/*
 * timefmt.h - RFC 3339 timestamps on the wire, UTC seconds inside.
 *
 * Parsing accepts "2026-11-25T12:00:00Z", fractional seconds (truncated) and numeric
 * offsets ("+01:00"); it rejects everything else, including out-of-range fields
 * (month 13, Feb 30, hour 24). Formatting always produces "YYYY-MM-DDTHH:MM:SSZ".
 */
#ifndef GL_TIMEFMT_H
#define GL_TIMEFMT_H

#include <stdint.h>

#define GL_TIME_STR_MAX 32
/* 9999-12-31T23:59:59Z, the last instant gl_time_parse accepts (the first is 0). */
#define GL_TIME_MAX INT64_C(253402300799)

/* Returns 0 and stores seconds since the epoch, or -1 for anything not RFC 3339. */
int gl_time_parse(const char *s, int64_t *out);
/* Writes the UTC form into out (at least GL_TIME_STR_MAX bytes); t outside
 * [0, GL_TIME_MAX] is clamped to that range. */
void gl_time_format(int64_t t, char out[GL_TIME_STR_MAX]);

#endif
