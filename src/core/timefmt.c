/*
 * timefmt.c - RFC 3339 parsing and formatting in UTC (see timefmt.h).
 *
 * No libc time zone or locale machinery is used: dates are converted with Howard
 * Hinnant's days_from_civil / civil_from_days, which are exact for the proleptic
 * Gregorian calendar. Invariants: gl_time_parse accepts only years 1970..9999 and results
 * >= 0 (the epoch); fractional seconds are truncated, never rounded; leap seconds (:60)
 * are refused because nothing downstream can represent them. Formatting clamps to
 * [0, GL_TIME_MAX] so the output is always a valid four-digit-year timestamp.
 */
#include "core/timefmt.h"

#include <stdbool.h>
#include <stdio.h>

#include "util/banned.h"

/* Days since 1970-01-01 of the civil date y-m-d. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Reads exactly n digits at *p, advancing it. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int expect(const char **p, char a, char b)
{
    if (**p != a && **p != b)
        return -1;
    (*p)++;
    return 0;
}

/* Parses "Z" or "+HH:MM"/"-HH:MM" into seconds east of UTC; must end the string. */
static int parse_offset(const char *p, int *offset)
{
    if (*p == 'Z' || *p == 'z') {
        *offset = 0;
        return p[1] ? -1 : 0;
    }
    if (*p != '+' && *p != '-')
        return -1;
    int sign = *p++ == '-' ? -1 : 1;
    int hh, mm;
    if (digits(&p, 2, &hh) < 0 || expect(&p, ':', ':') < 0 || digits(&p, 2, &mm) < 0)
        return -1;
    if (*p || hh > 23 || mm > 59)
        return -1;
    *offset = sign * (hh * 3600 + mm * 60);
    return 0;
}

int gl_time_parse(const char *s, int64_t *out)
{
    if (!s)
        return -1;
    const char *p = s;
    int y, mo, d, h, mi, sec, offset;
    if (digits(&p, 4, &y) < 0 || expect(&p, '-', '-') < 0 || digits(&p, 2, &mo) < 0 ||
        expect(&p, '-', '-') < 0 || digits(&p, 2, &d) < 0 || expect(&p, 'T', 't') < 0 ||
        digits(&p, 2, &h) < 0 || expect(&p, ':', ':') < 0 || digits(&p, 2, &mi) < 0 ||
        expect(&p, ':', ':') < 0 || digits(&p, 2, &sec) < 0)
        return -1;
    if (*p == '.') {
        const char *frac = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == frac)
            return -1;
    }
    if (parse_offset(p, &offset) < 0)
        return -1;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || (unsigned)d > days_in_month(y, (unsigned)mo) ||
        h > 23 || mi > 59 || sec > 59)
        return -1;
    int64_t t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec;
    t -= offset;
    if (t < 0 || t > GL_TIME_MAX)
        return -1;
    *out = t;
    return 0;
}

void gl_time_format(int64_t t, char out[GL_TIME_STR_MAX])
{
    /* RFC 3339 has four-digit years; anything outside the parseable range is clamped. */
    if (t < 0)
        t = 0;
    if (t > GL_TIME_MAX)
        t = GL_TIME_MAX;
    int64_t y;
    unsigned m, d;
    civil_from_days(t / 86400, &y, &m, &d);
    int rem = (int)(t % 86400);
    snprintf(out, GL_TIME_STR_MAX, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y % 10000, (int)m % 100,
             (int)d % 100, rem / 3600, rem % 3600 / 60, rem % 60);
}
