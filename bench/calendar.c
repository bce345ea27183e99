/*
 * calendar.c - how long the change calendar takes on a million changes.
 *
 *   gl-bench-calendar --db COPY.db [--samples 2000] [--seed 1]
 *
 * Opens a COPY of gl-bench-gen's 1,000,000-change data set (100 clients x 1000 CIs), and
 * once per copy gives it a calendar: per client a weekly and a daily maintenance window
 * and a one-off blackout, a global yearly blackout, 100 shared CIs, and a CI graph (each
 * client CI depends on the next one of its client; every 50th on a shared CI, so each
 * shared CI has about 20 dependents across clients). Then it times:
 *
 *   schedule summary   what the risk score calls for one change: windows (expanded with
 *                      libical), blackouts, notice and conflicts of the change against every
 *                      scheduled or in-progress change overlapping it on the same CIs or
 *                      CIs within depth 2 (through shared infrastructure), on random
 *                      changes of the million;
 *   month calendar     what GET /api/v1/calendar does for one client and one month: the
 *                      changes in the month, windows and blackouts expanded, the JSON
 *                      document encoded.
 *
 * Prints p50 / p90 / p99 / max in microseconds (wall clock) and the average number of
 * conflicts and changes found. The database is written to: never point it at the original.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "cal/recur.h"
#include "codec/json_risk.h"
#include "codec/json_calendar.h"
#include "core/change.h"
#include "store/store.h"

#include "util/banned.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* CPU time of this thread: the work itself, without the time a busy machine (two CPUs
 * shared with other builds) ran something else. */
static double cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static uint64_t rng = 1;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ull;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *name, double *t, size_t n, double avg_found, const char *found)
{
    qsort(t, n, sizeof *t, cmp_double);
    printf("%-26s n=%-5zu p50 %8.1f us  p90 %8.1f us  p99 %8.1f us  max %9.1f us  (%s %.1f)\n",
           name, n, t[n / 2], t[n * 9 / 10], t[n * 99 / 100], t[n - 1], found, avg_found);
}

/* The calendar and the graph, once per copy (marker: a window of client 1). */
static int prepare(const char *path)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return -1;
    sqlite3_stmt *st;
    int have = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM cal_windows", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        have = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (have) {
        sqlite3_close(db);
        return 0;
    }
    fprintf(stderr, "bench: adding shared CIs and the CI graph (once per copy)\n");
    char *msg = NULL;
    int rc = sqlite3_exec(
        db,
        "BEGIN;"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)"
        " INSERT INTO cis (client_id, name, type, criticality, users_affected, created_at,"
        " updated_at) SELECT NULL, 'shared-' || i, 'storage', 4, 1000, 0, 0 FROM n;"
        "INSERT OR IGNORE INTO ci_relations (from_ci, to_ci, kind)"
        " SELECT a.id, a.id + 1, 'depends_on' FROM cis a JOIN cis b ON b.id = a.id + 1"
        " WHERE a.client_id IS NOT NULL AND b.client_id = a.client_id;"
        "INSERT OR IGNORE INTO ci_relations (from_ci, to_ci, kind)"
        " SELECT c.id, (SELECT min(id) FROM cis WHERE client_id IS NULL) + (c.id / 50) % 100,"
        " 'depends_on' FROM cis c WHERE c.client_id IS NOT NULL AND c.id % 50 = 0;"
        "COMMIT;",
        NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf(stderr, "bench: graph: %s\n", msg ? msg : "?");
    sqlite3_free(msg);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

static int add_calendar(struct gl_store *st, int64_t t0)
{
    struct gl_error err;
    struct gl_write_ctx ctx = {"bench", NULL, NULL, NULL, t0};
    for (int64_t k = 1; k <= 100; k++) {
        /* The store replaces a created record with the stored one: give it malloc'd
         * strings it may free. */
        struct gl_cal_window w = {.client_id = k, .rrule = strdup("FREQ=WEEKLY;BYDAY=SA,SU"),
                                  .start = strdup("2024-01-06T22:00:00"), .duration = 6 * 3600};
        struct gl_cal_window d = {.client_id = k, .rrule = strdup("FREQ=DAILY"),
                                  .start = strdup("2024-01-01T02:00:00"), .duration = 2 * 3600};
        struct gl_cal_blackout b = {.client_id = k, .reason = strdup("peak season"),
                                    .start = t0 + (k % 12) * 30 * 86400,
                                    .end = t0 + (k % 12) * 30 * 86400 + 14 * 86400,
                                    .timezone = strdup("UTC")};
        if (st->calendar->window_create(st, &ctx, &w, &err) ||
            st->calendar->window_create(st, &ctx, &d, &err) ||
            st->calendar->blackout_create(st, &ctx, &b, &err)) {
            fprintf(stderr, "bench: calendar: %s\n", err.detail);
            return -1;
        }
        gl_cal_window_release(&w);
        gl_cal_window_release(&d);
        gl_cal_blackout_release(&b);
    }
    struct gl_cal_blackout g = {.reason = strdup("year end"), .start = t0 - 40 * 86400,
                                .end = t0 - 37 * 86400, .rrule = strdup("FREQ=YEARLY"),
                                .timezone = strdup("UTC")};
    int rc = st->calendar->blackout_create(st, &ctx, &g, &err);
    gl_cal_blackout_release(&g);
    return rc;
}

static int month_calendar(struct gl_store *st, int64_t client, int64_t from, int64_t to,
                          size_t *nchanges)
{
    struct gl_error err;
    struct gl_cal_change_list cl = {0};
    struct gl_cal_window_list wl = {0};
    struct gl_cal_blackout_list bl = {0};
    int rc = st->calendar->changes(st, NULL, client, from, to, &cl, &err);
    if (!rc)
        rc = st->calendar->window_list(st, client, &wl, &err);
    if (!rc)
        rc = st->calendar->blackout_list(st, client, true, &bl, &err);
    json_t *doc = json_object(), *changes = json_array(), *windows = json_array(),
           *blackouts = json_array();
    for (size_t i = 0; !rc && i < cl.len; i++)
        json_array_append_new(changes, gl_json_cal_change(&cl.items[i]));
    for (size_t i = 0; !rc && i < wl.len; i++) {
        struct gl_ivlist iv = {0};
        rc = gl_cal_window_expand(&wl.items[i], from, to, &iv, &err);
        for (size_t j = 0; !rc && j < iv.len; j++)
            json_array_append_new(windows, json_pack("{s:I, s:I, s:I}", "window",
                                                     (json_int_t)iv.items[j].ref, "start",
                                                     (json_int_t)iv.items[j].start, "end",
                                                     (json_int_t)iv.items[j].end));
        gl_ivlist_release(&iv);
    }
    for (size_t i = 0; !rc && i < bl.len; i++) {
        struct gl_ivlist iv = {0};
        rc = gl_cal_blackout_expand(&bl.items[i], from, to, &iv, &err);
        for (size_t j = 0; !rc && j < iv.len; j++)
            json_array_append_new(blackouts, json_pack("{s:I}", "blackout",
                                                       (json_int_t)iv.items[j].ref));
        gl_ivlist_release(&iv);
    }
    json_object_set_new(doc, "changes", changes);
    json_object_set_new(doc, "windows", windows);
    json_object_set_new(doc, "blackouts", blackouts);
    char *text = json_dumps(doc, JSON_COMPACT);
    free(text);
    json_decref(doc);
    *nchanges = cl.len;
    gl_cal_change_list_release(&cl);
    gl_cal_window_list_release(&wl);
    gl_cal_blackout_list_release(&bl);
    return rc;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    long samples = 2000;
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"samples", required_argument, NULL, 'n'},
                                         {"seed", required_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd')
            path = optarg;
        else if (c == 'n')
            samples = strtol(optarg, NULL, 10);
        else if (c == 's')
            rng = strtoull(optarg, NULL, 10) | 1;
        else
            path = NULL, samples = 0;
    }
    if (!path || samples < 10) {
        fprintf(stderr, "usage: gl-bench-calendar --db COPY.db [--samples N] [--seed N]\n");
        return 2;
    }
    struct gl_error err;
    struct gl_store *st =
        gl_store_open_sqlite(path, gl_json_change_renderer(), &err); /* migrates the copy */
    if (!st) {
        fprintf(stderr, "bench: %s\n", err.detail);
        return 1;
    }
    gl_store_close(st);
    bool fresh = false;
    {
        sqlite3 *db;
        sqlite3_stmt *q;
        sqlite3_open(path, &db);
        sqlite3_prepare_v2(db, "SELECT count(*) FROM cal_windows", -1, &q, NULL);
        fresh = sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 0;
        sqlite3_finalize(q);
        sqlite3_close(db);
    }
    if (prepare(path) < 0 || !(st = gl_store_open_sqlite(path, gl_json_change_renderer(), &err)))
        return 1;
    /* The data set's planned times span [t0 - 730 d, t0 + 90 d] around its generation. */
    int64_t lo = 0, hi = 0;
    {
        sqlite3 *db;
        sqlite3_stmt *q;
        sqlite3_open(path, &db);
        sqlite3_prepare_v2(db, "SELECT min(planned_start), max(planned_start) FROM changes", -1,
                           &q, NULL);
        if (sqlite3_step(q) == SQLITE_ROW) {
            lo = sqlite3_column_int64(q, 0);
            hi = sqlite3_column_int64(q, 1);
        }
        sqlite3_finalize(q);
        sqlite3_close(db);
    }
    if (fresh && add_calendar(st, lo + 365 * 86400) < 0)
        return 1;

    double *t = calloc((size_t)samples, sizeof *t), *cpu = calloc((size_t)samples, sizeof *cpu);
    double found = 0;
    size_t n = 0;
    for (long i = 0; i < samples; i++) {
        struct gl_change chg;
        /* GL_BENCH_SAME=1: the same change every time (everything cached), to tell the
         * cost of the work from the cost of reading pages. */
        int64_t id = getenv("GL_BENCH_SAME") ? 4242 : 1 + (int64_t)(rnd() % 1000000);
        if (st->changes->get(st, id, &chg, &err))
            continue;
        struct gl_schedule_summary s;
        double c1 = cpu_us(), t1 = now_us();
        int rc = st->calendar->schedule_summary(st, &chg, chg.planned_start - 86400, &s, &err);
        double t2 = now_us();
        cpu[n] = cpu_us() - c1;
        gl_change_release(&chg);
        if (rc) {
            fprintf(stderr, "bench: summary: %s\n", err.detail);
            return 1;
        }
        t[n++] = t2 - t1;
        found += (double)s.conflicts;
    }
    report("schedule summary (wall)", t, n, n ? found / (double)n : 0, "conflicts/change");
    report("schedule summary (cpu)", cpu, n, n ? found / (double)n : 0, "conflicts/change");

    n = 0;
    found = 0;
    for (long i = 0; i < (getenv("GL_BENCH_NO_MONTH") ? 0 : samples); i++) {
        int64_t client = 1 + (int64_t)(rnd() % 100);
        int64_t from = lo + (int64_t)(rnd() % (uint64_t)(hi - lo - 31 * 86400));
        size_t nc = 0;
        double c1 = cpu_us(), t1 = now_us();
        int rc = month_calendar(st, client, from, from + 31 * 86400, &nc);
        double t2 = now_us();
        cpu[n] = cpu_us() - c1;
        if (rc) {
            fprintf(stderr, "bench: calendar failed\n");
            return 1;
        }
        t[n++] = t2 - t1;
        found += (double)nc;
    }
    if (n) {
        report("month calendar (wall)", t, n, found / (double)n, "changes/month");
        report("month calendar (cpu)", cpu, n, found / (double)n, "changes/month");
    }
    free(t);
    free(cpu);
    gl_store_close(st);
    return 0;
}
