/*
 * risk.c - how long assessing a change's risk takes on a large CMDB.
 *
 *   gl-bench-risk --db COPY.db [--changes 100] [--cis 20] [--iterations 5000] [--seed 1]
 *                 [--planned]
 *
 * Opens a COPY of a graph data set (bench/graph.sh's, made by gl-bench-gen: 100 clients x
 * 1000 CIs in five tiers, 1000 shared CIs, ~500,000 relations), creates --changes normal
 * changes of --cis CIs each (random CIs of one random client per change), assesses each
 * once (that one stores the assessment: its time includes the durable write), then times
 * --iterations further assessments round-robin over them. Those are what the re-assess
 * action (app/risk.h) does on every trigger whose inputs did not change, in its one
 * transaction: read the change, walk everything
 * downstream of its CIs, read their numbers, the history counts, the policy and the latest
 * assessment, score, compare. Prints p50 / p90 / p99 / max of both kinds, and the average
 * size of the walk. The database is written to (changes, assessments): never point it at
 * the original data set. --planned gives each change a planned window a week ahead, so the
 * calendar's schedule summary (windows, blackouts, conflicts) is part of every assessment.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/risk.h"
#include "codec/json_risk.h"
#include "core/change.h"
#include "store/store.h"

#include "util/banned.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* CPU time of this thread: what an assessment costs, without the time the (busy) machine
 * ran something else. */
static double cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, double *t, size_t n)
{
    qsort(t, n, sizeof *t, cmp_double);
    printf("%-34s n=%-6zu p50 %8.1f us  p90 %8.1f us  p99 %8.1f us  max %8.1f us\n", what, n,
           t[n / 2], t[n * 90 / 100], t[n * 99 / 100], t[n - 1]);
}

static unsigned long long rng_state = 1;
static unsigned long long rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Clients and CIs as gl-bench-gen lays them out: client k (id k) owns CIs
 * (k-1)*per+1 .. k*per. Returns the number of clients and CIs per client. */
static int layout(struct gl_store *st, int64_t *nclients, int64_t *per, struct gl_error *err)
{
    struct gl_client_list l = {0};
    int rc = st->clients->list(st, NULL, &l, err);
    if (rc)
        return rc;
    *nclients = (int64_t)l.len;
    gl_client_list_release(&l);
    struct gl_ci ci;
    gl_ci_init(&ci);
    /* CI 1 belongs to client 1; find the first CI of client 2 by probing. */
    int64_t lo = 1, hi = 100000;
    while (lo < hi) {
        int64_t mid = (lo + hi) / 2;
        if ((rc = st->cis->get(st, mid, &ci, err)))
            return rc;
        if (ci.client_id <= 1)
            lo = mid + 1;
        else
            hi = mid;
        gl_ci_release(&ci);
        gl_ci_init(&ci);
    }
    *per = lo - 1;
    return 0;
}

int main(int argc, char **argv)
{
    const char *db = NULL;
    long nchanges = 100, ncis = 20, iterations = 5000;
    bool planned = false;
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},
        {"changes", required_argument, NULL, 'c'},
        {"cis", required_argument, NULL, 'n'},
        {"iterations", required_argument, NULL, 'i'},
        {"seed", required_argument, NULL, 's'},
        {"planned", no_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'c':
            nchanges = strtol(optarg, NULL, 10);
            break;
        case 'n':
            ncis = strtol(optarg, NULL, 10);
            break;
        case 'i':
            iterations = strtol(optarg, NULL, 10);
            break;
        case 's':
            rng_state = strtoull(optarg, NULL, 10) | 1;
            break;
        case 'p':
            planned = true;
            break;
        default:
            fprintf(stderr, "usage: gl-bench-risk --db COPY.db [--changes N] [--cis N] "
                            "[--iterations N] [--seed N]\n");
            return 2;
        }
    }
    if (!db || nchanges < 1 || ncis < 1 || iterations < 1) {
        fprintf(stderr, "gl-bench-risk: --db COPY.db is required; counts must be positive\n");
        return 2;
    }
    struct gl_error err = {0};
    struct gl_store *st = gl_store_open_sqlite(db, gl_json_change_renderer(), &err);
    if (!st) {
        fprintf(stderr, "gl-bench-risk: %s: %s\n", db, err.detail);
        return 1;
    }
    int64_t nclients = 0, per = 0;
    if (layout(st, &nclients, &per, &err) || nclients < 1 || per < ncis) {
        fprintf(stderr, "gl-bench-risk: not a gl-bench-gen data set: %s\n", err.detail);
        return 1;
    }
    int64_t *ids = calloc((size_t)nchanges, sizeof *ids);
    double *first = calloc((size_t)nchanges, sizeof *first);
    double *t = calloc((size_t)iterations, sizeof *t);
    double *cpu = calloc((size_t)iterations, sizeof *cpu);
    int64_t start = (int64_t)time(NULL);
    struct gl_write_ctx ctx = {.actor = "bench", .action = "change.create", .now = start};
    for (long i = 0; i < nchanges; i++) {
        struct gl_change ch;
        gl_change_init(&ch);
        int64_t client = 1 + (int64_t)(rng() % (unsigned long long)nclients);
        ch.client_id = client;
        ch.type = GL_TYPE_NORMAL;
        ch.state = GL_STATE_SUBMITTED;
        gl_change_set_str(&ch.title, "risk bench");
        gl_change_set_str(&ch.rollback_plan, "restore");
        if (planned) {
            ch.planned_start = start + 7 * 86400 + (int64_t)(rng() % 86400);
            ch.planned_end = ch.planned_start + 7200;
        }
        while (ch.ci_ids.len < (size_t)ncis) {
            int64_t ci = (client - 1) * per + 1 + (int64_t)(rng() % (unsigned long long)per);
            if (!gl_idlist_contains(&ch.ci_ids, ci))
                gl_idlist_push(&ch.ci_ids, ci);
        }
        if (st->changes->create(st, &ctx, &ch, &err)) {
            fprintf(stderr, "gl-bench-risk: change_create: %s\n", err.detail);
            return 1;
        }
        ids[i] = ch.id;
        gl_change_release(&ch);
    }
    /* The action the API runs for GET .../risk?refresh=1 (app/risk.h). */
    struct gl_user bench = {.name = "bench", .admin = true};
    struct gl_scope all = {.all = true};
    struct gl_app app = {.st = st, .user = &bench, .scope = &all, .now = start};
    double walked = 0;
    for (long i = 0; i < nchanges; i++) {
        struct gl_risk_assessment a;
        double t0 = now_us();
        if (gl_app_change_reassess(&app, ids[i], &a, &err)) {
            fprintf(stderr, "gl-bench-risk: risk_assess: %s\n", err.detail);
            return 1;
        }
        first[i] = now_us() - t0;
        walked += (double)a.inputs.dependent_cis;
    }
    /* The in-memory graph is built in the background after the first walks: warm up. */
    for (long i = 0; i < 2 * nchanges; i++) {
        struct gl_risk_assessment a;
        gl_app_change_reassess(&app, ids[i % nchanges], &a, &err);
    }
    struct gl_graph_reader *r = NULL;
    bool in_memory =
        st->graph->begin(st, &r, &err) == 0 && st->graph->in_memory && st->graph->in_memory(r);
    st->graph->end(r);
    for (long i = 0; i < iterations; i++) {
        struct gl_risk_assessment a;
        double t0 = now_us(), c0 = cpu_us();
        if (gl_app_change_reassess(&app, ids[i % nchanges], &a, &err)) {
            fprintf(stderr, "gl-bench-risk: risk_assess: %s\n", err.detail);
            return 1;
        }
        t[i] = now_us() - t0;
        cpu[i] = cpu_us() - c0;
    }
    printf("%ld changes of %ld CIs (clients: %lld, CIs per client: %lld); %.0f dependent CIs "
           "on average; graph %s; %s\n",
           nchanges, ncis, (long long)nclients, (long long)per, walked / (double)nchanges,
           in_memory ? "in memory" : "read through SQL",
           planned ? "planned a week ahead (schedule summary included)" : "not planned");
    report("first assessment (stored, fsync)", first, (size_t)nchanges);
    report("re-assessment (one transaction: gather + score)", t, (size_t)iterations);
    report("  the same, thread CPU time", cpu, (size_t)iterations);
    free(ids);
    free(first);
    free(t);
    free(cpu);
    gl_store_close(st);
    return 0;
}
