/*
 * diff.c - line-based unified diff between two texts (see gl_diff_unified in docs.h).
 *
 * Algorithm: E. Myers, "An O(ND) Difference Algorithm and Its Variations" (1986), the
 * linear-space variant: find the middle snake of the edit graph by running the greedy
 * search from both ends at once, then recurse on the two halves. Debian packages no C
 * library for this (libxdiff, which git carries internally, is not packaged), so this
 * compact implementation stands in for one.
 *
 * Invariants and bounds:
 *  - memory is linear in the number of lines: the line table, one pair of V vectors
 *    (reused by every recursion step), one mark per line and one op per line;
 *  - each search is cut off after COST_MAX rounds: the box is then split at the furthest
 *    forward point (a valid, possibly non-minimal script), so the time stays bounded on
 *    pathological inputs;
 *  - every split point lies strictly inside its box, so the recursion always terminates;
 *    a degenerate split falls back to "everything in the box changed".
 */
#include "core/docs.h"

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define CONTEXT 3
#define COST_MAX 1024

struct line {
    const char *p;
    size_t len;
    uint64_t hash;
};

struct diff {
    struct line *a, *b;
    size_t na, nb;
    bool *del, *ins; /* del[i]: a's line i removed; ins[j]: b's line j added */
    long *vf, *vb;   /* V vectors indexed by diagonal + off */
    long off;
};

static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

/* Splits s into lines (without "\n" and a "\r" before it). *out is malloc'd. */
static int split_lines(const char *s, struct line **out, size_t *n)
{
    size_t count = 0, len = strlen(s);
    for (size_t i = 0; i < len; i++)
        count += s[i] == '\n';
    count += len && s[len - 1] != '\n';
    *out = calloc(count ? count : 1, sizeof **out);
    if (!*out)
        return -1;
    size_t k = 0;
    const char *p = s, *end = s + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        size_t l = (size_t)(stop - p);
        if (l && p[l - 1] == '\r')
            l--;
        (*out)[k].p = p;
        (*out)[k].len = l;
        (*out)[k].hash = fnv1a(p, l);
        k++;
        p = nl ? nl + 1 : end;
    }
    *n = k;
    return 0;
}

static bool same(const struct diff *d, long i, long j)
{
    const struct line *x = &d->a[i], *y = &d->b[j];
    return x->hash == y->hash && x->len == y->len && memcmp(x->p, y->p, x->len) == 0;
}

static void mark_all(struct diff *d, long a0, long a1, long b0, long b1)
{
    for (long i = a0; i < a1; i++)
        d->del[i] = true;
    for (long j = b0; j < b1; j++)
        d->ins[j] = true;
}

#define INVALID (-1L)

/* The furthest x on diagonal k in round dd, from its neighbours of round dd - 1, staying
 * inside the n x m grid; INVALID when neither neighbour leads into the grid. */
static long next_x(const long *v, long k, long dd, long n, long m)
{
    if (dd == 0)
        return 0;
    long best = INVALID;
    if (k < dd && v[k + 1] != INVALID && v[k + 1] - k <= m)
        best = v[k + 1]; /* down: one line of b inserted */
    if (k > -dd && v[k - 1] != INVALID && v[k - 1] + 1 <= n && v[k - 1] + 1 > best)
        best = v[k - 1] + 1; /* right: one line of a deleted */
    return best;
}

/* One round dd of the search from the start (rev false) or from the end (rev true, in
 * reversed coordinates). Returns true with the split point (forward coordinates) when it
 * meets the other search: checked forward for odd delta, backward for even delta. */
static bool round_(struct diff *d, bool rev, long a0, long b0, long n, long m, long dd, long *sx,
                   long *sy)
{
    long delta = n - m;
    long *v = (rev ? d->vb : d->vf) + d->off, *o = (rev ? d->vf : d->vb) + d->off;
    bool check = rev ? !(delta & 1) : (delta & 1);
    long lo = rev ? -dd : -(dd - 1), hi = rev ? dd : dd - 1; /* the other search's range */
    for (long k = -dd; k <= dd; k += 2) {
        long x = next_x(v, k, dd, n, m);
        v[k] = x;
        if (x == INVALID)
            continue;
        long y = x - k;
        if (rev)
            while (x < n && y < m && same(d, a0 + n - 1 - x, b0 + m - 1 - y))
                x++, y++;
        else
            while (x < n && y < m && same(d, a0 + x, b0 + y))
                x++, y++;
        v[k] = x;
        long ko = delta - k;
        if (check && ko >= lo && ko <= hi && o[ko] != INVALID && x + o[ko] >= n) {
            *sx = rev ? n - x : x;
            *sy = rev ? m - y : y;
            return true;
        }
    }
    return false;
}

/* The furthest forward point (largest x + y) after round dd: the cut-off split. */
static void furthest(const struct diff *d, long dd, long *sx, long *sy)
{
    const long *vf = d->vf + d->off;
    long best = -1;
    for (long k = -dd; k <= dd; k += 2) {
        if (vf[k] == INVALID)
            continue;
        long x = vf[k], y = x - k;
        if (x + y > best) {
            best = x + y;
            *sx = x;
            *sy = y;
        }
    }
}

static void middle(struct diff *d, long a0, long b0, long n, long m, long *sx, long *sy)
{
    long maxd = (n + m + 1) / 2;
    *sx = *sy = 0; /* degenerate unless a round finds better */
    for (long dd = 0; dd <= maxd; dd++) {
        if (round_(d, false, a0, b0, n, m, dd, sx, sy) ||
            round_(d, true, a0, b0, n, m, dd, sx, sy))
            return;
        if (dd >= COST_MAX) {
            furthest(d, dd, sx, sy);
            return;
        }
    }
}

/* Recursion depth is bounded: a split either halves the edit cost or, past COST_MAX
 * rounds, takes at least COST_MAX lines off the box (about 1000 frames at 1 MiB bodies). */
/* NOLINTNEXTLINE(misc-no-recursion): bounded, as said above */
static void compare(struct diff *d, long a0, long a1, long b0, long b1)
{
    while (a0 < a1 && b0 < b1 && same(d, a0, b0))
        a0++, b0++;
    while (a0 < a1 && b0 < b1 && same(d, a1 - 1, b1 - 1))
        a1--, b1--;
    if (a0 == a1 || b0 == b1) {
        mark_all(d, a0, a1, b0, b1);
        return;
    }
    long n = a1 - a0, m = b1 - b0, x = 0, y = 0;
    middle(d, a0, b0, n, m, &x, &y);
    if (x < 0 || y < 0 || x > n || y > m || x + y == 0 || x + y == n + m) {
        mark_all(d, a0, a1, b0, b1);
        return;
    }
    compare(d, a0, a0 + x, b0, b0 + y);
    compare(d, a0 + x, a1, b0 + y, b1);
}

/* ---- output ------------------------------------------------------------------------ */

/* The edit script as ops ' ', '-', '+', in order (deletions before insertions). */
static char *script(const struct diff *d, size_t *len)
{
    char *ops = malloc(d->na + d->nb + 1);
    if (!ops)
        return NULL;
    size_t i = 0, j = 0, k = 0;
    while (i < d->na || j < d->nb) {
        if (i < d->na && d->del[i])
            ops[k++] = '-', i++;
        else if (j < d->nb && d->ins[j])
            ops[k++] = '+', j++;
        else
            ops[k++] = ' ', i++, j++;
    }
    *len = k;
    return ops;
}

static void range(struct gl_buf *out, char sign, size_t start, size_t count)
{
    size_t first = count ? start + 1 : start;
    if (count == 1)
        gl_buf_printf(out, "%c%zu", sign, first);
    else
        gl_buf_printf(out, "%c%zu,%zu", sign, first, count);
}

/* Emits the hunk of ops [s, e), whose first op is at lines (ai, bj). */
static int hunk(const struct diff *d, const char *ops, size_t s, size_t e, size_t ai, size_t bj,
                struct gl_buf *out)
{
    size_t la = 0, lb = 0;
    for (size_t k = s; k < e; k++) {
        la += ops[k] != '+';
        lb += ops[k] != '-';
    }
    int rc = gl_buf_puts(out, "@@ ");
    range(out, '-', ai, la);
    gl_buf_putc(out, ' ');
    range(out, '+', bj, lb);
    rc |= gl_buf_puts(out, " @@\n");
    for (size_t k = s; k < e && rc == 0; k++) {
        const struct line *l = ops[k] == '+' ? &d->b[bj++] : &d->a[ai++];
        if (ops[k] == ' ')
            bj++;
        rc |= gl_buf_putc(out, ops[k]);
        rc |= gl_buf_append(out, l->p, l->len);
        rc |= gl_buf_putc(out, '\n');
    }
    return rc;
}

static int emit(const struct diff *d, const char *ops, size_t len, struct gl_buf *out)
{
    size_t ai = 0, bj = 0, k = 0;
    while (k < len) {
        while (k < len && ops[k] == ' ')
            k++, ai++, bj++;
        if (k == len)
            break;
        /* a change at k: extend while the next change is within 2 * CONTEXT lines */
        size_t last = k, j = k;
        while (j < len) {
            if (ops[j] != ' ')
                last = j;
            else if (j - last > 2 * CONTEXT)
                break;
            j++;
        }
        size_t back = k < CONTEXT ? k : CONTEXT;
        size_t s = k - back, e = last + 1 + CONTEXT < len ? last + 1 + CONTEXT : len;
        size_t ha = ai - back, hb = bj - back;
        if (hunk(d, ops, s, e, ha, hb, out))
            return -1;
        for (; k < e; k++) {
            ai += ops[k] != '+';
            bj += ops[k] != '-';
        }
    }
    return 0;
}

static void diff_free(struct diff *d)
{
    free(d->a);
    free(d->b);
    free(d->del);
    free(d->ins);
    free(d->vf);
    free(d->vb);
}

static int diff_prepare(struct diff *d, const char *a, const char *b)
{
    if (split_lines(a, &d->a, &d->na) || split_lines(b, &d->b, &d->nb))
        return -1;
    size_t width = 2 * (d->na + d->nb) + 3;
    d->off = (long)(d->na + d->nb) + 1;
    d->del = calloc(d->na + 1, sizeof *d->del);
    d->ins = calloc(d->nb + 1, sizeof *d->ins);
    d->vf = calloc(width, sizeof *d->vf);
    d->vb = calloc(width, sizeof *d->vb);
    return d->del && d->ins && d->vf && d->vb ? 0 : -1;
}

int gl_diff_unified(const char *a, const char *b, const char *from_label, const char *to_label,
                    struct gl_buf *out, struct gl_error *err)
{
    struct diff d = {0};
    char *ops = NULL;
    size_t nops = 0;
    int rc = 0;
    if (diff_prepare(&d, a ? a : "", b ? b : "")) {
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
        goto out;
    }
    compare(&d, 0, (long)d.na, 0, (long)d.nb);
    if (!(ops = script(&d, &nops))) {
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
        goto out;
    }
    if (memchr(ops, '+', nops) == NULL && memchr(ops, '-', nops) == NULL)
        goto out; /* identical: an empty diff */
    if (gl_buf_printf(out, "--- %s\n+++ %s\n", from_label, to_label) < 0 ||
        emit(&d, ops, nops, out) < 0)
        rc = gl_error_set(err, GL_E_TOO_LARGE, NULL, "the diff is too large");
out:
    free(ops);
    diff_free(&d);
    return rc;
}
