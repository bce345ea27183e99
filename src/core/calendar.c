/*
 * calendar.c - interval rules of the change calendar (see calendar.h).
 *
 * Invariant: functions that take a "normalized" list rely on it being sorted by start
 * with no two intervals overlapping or touching (gl_ivlist_normalize).
 */
#include "core/calendar.h"

#include <stdlib.h>

#include "util/banned.h"

int gl_ivlist_push(struct gl_ivlist *l, int64_t start, int64_t end, int64_t ref)
{
    if (l->len == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct gl_interval *p = realloc(l->items, cap * sizeof *p);
        if (!p)
            return -1;
        l->items = p;
        l->cap = cap;
    }
    l->items[l->len++] = (struct gl_interval){start, end, ref};
    return 0;
}

void gl_ivlist_release(struct gl_ivlist *l)
{
    if (!l)
        return;
    free(l->items);
    l->items = NULL;
    l->len = l->cap = 0;
}

static int by_start(const void *a, const void *b)
{
    const struct gl_interval *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

void gl_ivlist_normalize(struct gl_ivlist *l)
{
    if (!l || l->len < 2)
        return;
    qsort(l->items, l->len, sizeof l->items[0], by_start);
    size_t out = 0;
    for (size_t i = 1; i < l->len; i++) {
        struct gl_interval *last = &l->items[out];
        if (l->items[i].start <= last->end) {
            if (l->items[i].end > last->end)
                last->end = l->items[i].end;
        } else {
            l->items[++out] = l->items[i];
        }
    }
    l->len = out + 1;
}

int gl_ivlist_intersect(const struct gl_ivlist *a, const struct gl_ivlist *b,
                        struct gl_ivlist *out)
{
    size_t i = 0, j = 0;
    while (i < a->len && j < b->len) {
        int64_t s = a->items[i].start > b->items[j].start ? a->items[i].start : b->items[j].start;
        int64_t e = a->items[i].end < b->items[j].end ? a->items[i].end : b->items[j].end;
        if (s < e && gl_ivlist_push(out, s, e, a->items[i].ref) < 0)
            return -1;
        if (a->items[i].end < b->items[j].end)
            i++;
        else
            j++;
    }
    return 0;
}

bool gl_cal_inside(const struct gl_ivlist *windows, int64_t start, int64_t end)
{
    /* Binary search for the last window starting at or before `start`. */
    size_t lo = 0, hi = windows->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (windows->items[mid].start <= start)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return false;
    const struct gl_interval *w = &windows->items[lo - 1];
    return w->start <= start && end <= w->end;
}

const struct gl_interval *gl_cal_first_overlap(const struct gl_ivlist *l, int64_t start,
                                               int64_t end)
{
    for (size_t i = 0; i < l->len; i++)
        if (gl_overlaps(l->items[i].start, l->items[i].end, start, end))
            return &l->items[i];
    return NULL;
}

double gl_cal_notice_shortfall(int64_t notified_at, int64_t start, int notice_hours)
{
    int64_t need = (int64_t)notice_hours * 3600;
    int64_t have = start - notified_at;
    if (notice_hours <= 0 || have >= need)
        return 0.0;
    return (double)(need - have) / 3600.0;
}

/* The latest end among busy intervals (normalized) overlapping [s, e), or 0 when free. */
static int64_t busy_until(const struct gl_ivlist *busy, int64_t s, int64_t e)
{
    for (size_t i = 0; i < busy->len; i++) {
        if (busy->items[i].start >= e)
            break;
        if (busy->items[i].end > s)
            return busy->items[i].end;
    }
    return 0;
}

static int64_t ceil_hour(int64_t t)
{
    int64_t r = t % 3600;
    if (r < 0)
        r += 3600;
    return r ? t + (3600 - r) : t;
}

size_t gl_cal_slots(const struct gl_ivlist *windows, bool have_windows,
                    const struct gl_ivlist *busy, int64_t earliest, int64_t horizon,
                    int64_t duration, int64_t *out, size_t max)
{
    size_t n = 0;
    if (duration <= 0 || max == 0)
        return 0;
    if (!have_windows) {
        int64_t s = ceil_hour(earliest);
        while (n < max && s < horizon) {
            int64_t until = busy_until(busy, s, s + duration);
            if (until) {
                s = ceil_hour(until);
                continue;
            }
            out[n++] = s;
            s = ceil_hour(s + duration);
        }
        return n;
    }
    for (size_t i = 0; i < windows->len && n < max; i++) {
        const struct gl_interval *w = &windows->items[i];
        if (w->start >= horizon)
            break;
        int64_t s = w->start > earliest ? w->start : earliest;
        while (s + duration <= w->end) {
            int64_t until = busy_until(busy, s, s + duration);
            if (!until) {
                out[n++] = s;
                break;
            }
            s = until;
        }
    }
    return n;
}

const char *gl_finding_kind_name(enum gl_finding_kind k)
{
    switch (k) {
    case GL_FINDING_BLACKOUT:
        return "blackout";
    case GL_FINDING_OUTSIDE_WINDOW:
        return "outside_window";
    case GL_FINDING_SHORT_NOTICE:
        return "short_notice";
    case GL_FINDING_CONFLICT:
        return "conflict";
    case GL_FINDING_IMPLEMENTER_BUSY:
        return "implementer_busy";
    }
    return "unknown";
}

void gl_cal_window_release(struct gl_cal_window *w)
{
    if (!w)
        return;
    free(w->client_key);
    free(w->name);
    free(w->rrule);
    free(w->start);
    free(w->timezone);
    free(w->created_by);
    *w = (struct gl_cal_window){0};
}

void gl_cal_blackout_release(struct gl_cal_blackout *b)
{
    if (!b)
        return;
    free(b->client_key);
    free(b->reason);
    free(b->rrule);
    free(b->timezone);
    free(b->created_by);
    *b = (struct gl_cal_blackout){0};
}

void gl_cal_window_list_release(struct gl_cal_window_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->len; i++)
        gl_cal_window_release(&l->items[i]);
    free(l->items);
    *l = (struct gl_cal_window_list){0};
}

void gl_cal_blackout_list_release(struct gl_cal_blackout_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->len; i++)
        gl_cal_blackout_release(&l->items[i]);
    free(l->items);
    *l = (struct gl_cal_blackout_list){0};
}

void gl_cal_change_list_release(struct gl_cal_change_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->len; i++) {
        free(l->items[i].client_key);
        free(l->items[i].title);
        free(l->items[i].schedule_flags);
    }
    free(l->items);
    *l = (struct gl_cal_change_list){0};
}

void gl_feed_token_list_release(struct gl_feed_token_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->len; i++)
        free(l->items[i].client_key);
    free(l->items);
    *l = (struct gl_feed_token_list){0};
}

void gl_cal_check_release(struct gl_cal_check *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nblackouts; i++)
        free(c->blackouts[i].reason);
    for (size_t i = 0; i < c->nconflicts; i++)
        free(c->conflicts[i].title);
    free(c->blackouts);
    free(c->conflicts);
    free(c->justification);
    *c = (struct gl_cal_check){0};
}
