/*
 * ics_check.c - reads an iCalendar feed on stdin and parses it strictly with libical
 * (cal/ics.h gl_ics_check). Prints the number of events and exits 0, or exits 1.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cal/ics.h"
#include "util/buf.h"

#include "util/banned.h"

int main(void)
{
    struct gl_buf b;
    gl_buf_init(&b, 64u << 20);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
        if (gl_buf_append(&b, chunk, n) < 0)
            return 1;
    size_t events = 0;
    int rc = gl_ics_check(gl_buf_str(&b), &events);
    gl_buf_release(&b);
    if (rc) {
        fprintf(stderr, "ics_check: not a valid iCalendar feed\n");
        return 1;
    }
    printf("%zu\n", events);
    return 0;
}
