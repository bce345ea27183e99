/*
 * demo_calendar.c - the demo's change calendar: each client's maintenance windows, the
 * clients' blackouts and one global one (see demo_int.h).
 *
 * Windows are recurrences in the client's zone whose first occurrence lies a few weeks
 * before `base`, so the calendar shows them on any date the demo is loaded. Yearly and
 * monthly blackouts start in the previous year for the same reason. The future demo
 * changes are planned into the first free window occurrence (demo_window_slot), found with
 * the calendar's own slot rule, so they pass the scheduling checks that real use applies;
 * only an urgent one may land in a blackout, which is then the CAB's to weigh.
 */
#include "cli/demo_int.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cal/recur.h"
#include "core/calendar.h"

#include "util/banned.h"

#define DAY INT64_C(86400)
#define SLOT_HORIZON_DAYS 120

struct demo_window {
    const char *client, *name, *rrule;
    int weekday; /* of the first occurrence, 0 = Sunday; -1 = any */
    const char *time;
    int minutes;
};

/* A blackout's first occurrence: local month-day and time to month-day, in the client's
 * zone (UTC for a global one), starting in the year before base's. */
struct demo_blackout {
    const char *client; /* NULL = global */
    const char *reason, *rrule;
    int month, day, end_month, end_day;
};

static const struct demo_window windows[] = {
    {"acme", "Saturday night maintenance", "FREQ=WEEKLY;BYDAY=SA", 6, "22:00:00", 240},
    {"globex", "Overnight, stores closed", "FREQ=DAILY", -1, "01:00:00", 240},
    {"initech", "Nightly maintenance", "FREQ=DAILY", -1, "20:00:00", 240},
};

static const struct demo_blackout blackouts[] = {
    {"globex", "Holiday trading peak: no changes to store or web shop systems",
     "FREQ=YEARLY", 12, 15, 1, 2},
    {"acme", "Period close: finance closes the books in the ERP", "FREQ=MONTHLY;BYMONTHDAY=1", 1,
     1, 1, 3},
    {"initech", "Australian financial year-end", "FREQ=YEARLY", 6, 28, 7, 3},
    {NULL, "MSP financial year-end freeze", "FREQ=YEARLY", 12, 30, 1, 2},
};

#define NWINDOWS (sizeof windows / sizeof windows[0])
#define NBLACKOUTS (sizeof blackouts / sizeof blackouts[0])

#define TZ_MAX 64

/* The zone of the client (as stored), "UTC" for global records. */
static int client_tz(struct gl_store *st, const char *key, char tz[TZ_MAX], struct gl_error *err)
{
    struct gl_client c;
    snprintf(tz, TZ_MAX, "UTC");
    if (!key)
        return 0;
    gl_client_init(&c);
    int rc = st->clients->get(st, key, &c, err);
    if (!rc && c.timezone)
        snprintf(tz, TZ_MAX, "%s", c.timezone);
    gl_client_release(&c);
    return rc;
}

/* The local date of t in tz moved forward to `weekday` (-1: as is), at `time`, as a
 * local "YYYY-MM-DDTHH:MM:SS". Date arithmetic is done on the date alone, in UTC. */
static int local_start(const char *tz, int64_t t, int weekday, const char *time,
                       char out[GL_LOCAL_TIME_MAX])
{
    char local[GL_LOCAL_TIME_MAX], day[GL_LOCAL_TIME_MAX];
    int64_t u;
    if (gl_utc_to_local(tz, t, local) < 0)
        return -1;
    snprintf(day, sizeof day, "%.10sT00:00:00", local);
    if (gl_local_to_utc("UTC", day, &u) < 0)
        return -1;
    while (weekday >= 0 && ((u / DAY) + 4) % 7 != weekday) /* 1970-01-01 was a Thursday */
        u += DAY;
    if (gl_utc_to_local("UTC", u, local) < 0)
        return -1;
    snprintf(out, GL_LOCAL_TIME_MAX, "%.10sT%.8s", local, time);
    return 0;
}

static int oom(struct gl_error *err)
{
    return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
}

static int load_window(struct gl_store *st, int64_t base, const struct demo_window *d,
                       const struct demo_ids *ids, struct gl_error *err)
{
    char start[GL_LOCAL_TIME_MAX], tz[TZ_MAX];
    struct gl_cal_window w = {.client_id = demo_client_id(ids, d->client),
                              .duration = (int64_t)d->minutes * 60};
    int rc = client_tz(st, d->client, tz, err);
    if (rc)
        return rc;
    if (local_start(tz, base - 28 * DAY, d->weekday, d->time, start) < 0)
        return gl_error_set(err, GL_E_INVALID, "timezone", "unknown zone %s", tz);
    rc = !(w.name = strdup(d->name)) || !(w.rrule = strdup(d->rrule)) ||
                     !(w.start = strdup(start))
                 ? oom(err)
                 : 0;
    struct gl_write_ctx ctx = demo_ctx("window.create", base - DEMO_H(24 * 28), NULL);
    if (!rc)
        rc = st->calendar->window_create(st, &ctx, &w, err);
    gl_cal_window_release(&w);
    return rc;
}

static int load_blackout(struct gl_store *st, int64_t base, const struct demo_blackout *d,
                         const struct demo_ids *ids, struct gl_error *err)
{
    char now_local[GL_LOCAL_TIME_MAX], from[32], to[32], tz[TZ_MAX];
    struct gl_cal_blackout b = {.client_id = demo_client_id(ids, d->client)};
    int rc = client_tz(st, d->client, tz, err);
    if (rc)
        return rc;
    if (gl_utc_to_local(tz, base, now_local) < 0)
        return gl_error_set(err, GL_E_INVALID, "timezone", "unknown zone %s", tz);
    /* NOLINTNEXTLINE(cert-err34-c): gl_utc_to_local wrote "YYYY-..." */
    int year = atoi(now_local) - 1;
    int end_year = d->end_month < d->month ? year + 1 : year;
    snprintf(from, sizeof from, "%04d-%02d-%02dT00:00:00", year, d->month, d->day);
    snprintf(to, sizeof to, "%04d-%02d-%02dT00:00:00", end_year, d->end_month, d->end_day);
    if (gl_local_to_utc(tz, from, &b.start) < 0 || gl_local_to_utc(tz, to, &b.end) < 0)
        return gl_error_set(err, GL_E_INVALID, "start", "bad blackout dates %s..%s", from, to);
    rc = !(b.reason = strdup(d->reason)) || !(b.rrule = strdup(d->rrule)) ||
                     !(b.timezone = strdup(tz))
                 ? oom(err)
                 : 0;
    struct gl_write_ctx ctx = demo_ctx("blackout.create", base - DEMO_H(24 * 28), NULL);
    if (!rc)
        rc = st->calendar->blackout_create(st, &ctx, &b, err);
    gl_cal_blackout_release(&b);
    return rc;
}

int demo_load_calendar(struct gl_store *st, int64_t base, const struct demo_ids *ids,
                       struct gl_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < NWINDOWS && !rc; i++)
        rc = load_window(st, base, &windows[i], ids, err);
    for (size_t i = 0; i < NBLACKOUTS && !rc; i++)
        rc = load_blackout(st, base, &blackouts[i], ids, err);
    return rc;
}

/* Expands the client's own windows over [from, to), and what keeps a change out of them:
 * every blackout that binds the client and the client's changes already planned there
 * (so two demo changes never share a slot, whatever date the demo is loaded on). */
static int expand(struct gl_store *st, int64_t client_id, int64_t from, int64_t to,
                  bool avoid_blackouts, struct gl_ivlist *win, struct gl_ivlist *busy,
                  struct gl_error *err)
{
    struct gl_cal_window_list wl = {0};
    struct gl_cal_blackout_list bl = {0};
    struct gl_cal_change_list cl = {0};
    int rc = st->calendar->window_list(st, client_id, &wl, err);
    if (!rc)
        rc = st->calendar->blackout_list(st, client_id, true, &bl, err);
    if (!rc)
        rc = st->calendar->changes(st, NULL, client_id, from, to, &cl, err);
    for (size_t i = 0; !rc && i < wl.len; i++)
        if (wl.items[i].ci_id == 0)
            rc = gl_cal_window_expand(&wl.items[i], from, to, win, err);
    for (size_t i = 0; !rc && avoid_blackouts && i < bl.len; i++)
        rc = gl_cal_blackout_expand(&bl.items[i], from, to, busy, err);
    for (size_t i = 0; !rc && i < cl.len; i++)
        if (gl_ivlist_push(busy, cl.items[i].planned_start, cl.items[i].planned_end, 0) < 0)
            rc = oom(err);
    gl_cal_window_list_release(&wl);
    gl_cal_blackout_list_release(&bl);
    gl_cal_change_list_release(&cl);
    return rc;
}

int demo_window_slot(struct gl_store *st, int64_t client_id, int64_t after, int64_t duration,
                     bool avoid_blackouts, int64_t *start, struct gl_error *err)
{
    struct gl_ivlist win = {0}, busy = {0};
    int64_t horizon = after + SLOT_HORIZON_DAYS * DAY;
    int rc = expand(st, client_id, after, horizon, avoid_blackouts, &win, &busy, err);
    if (!rc) {
        gl_ivlist_normalize(&win);
        gl_ivlist_normalize(&busy);
        if (gl_cal_slots(&win, win.len > 0, &busy, after, horizon, duration, start, 1) != 1)
            rc = gl_error_set(err, GL_E_NOT_FOUND, "planned_start",
                              "no free maintenance window in %d days", SLOT_HORIZON_DAYS);
    }
    gl_ivlist_release(&win);
    gl_ivlist_release(&busy);
    return rc;
}
