/*
 * sqlite_commit.c - group commit: concurrent writes share one transaction and one fsync.
 *
 * With synchronous=FULL every COMMIT waits for the disk, so one write per transaction
 * caps throughput at the disk's flush rate. Instead, writers queue their job; whichever
 * writer finds no batch running becomes the leader, takes every queued job, and runs them
 * in one BEGIN IMMEDIATE ... COMMIT, each job inside its own SAVEPOINT. A job that fails
 * is rolled back to its savepoint alone, so every job stays atomic (its rows and its audit
 * event together) and the others go on. Nobody is told "done" before the COMMIT returns,
 * so every acknowledged write is durable. The audit chain stays linear: jobs run one after
 * another inside the transaction, each reading the tail the previous one wrote.
 */
#include "store/sqlite_int.h"

#include <string.h>

#include "util/banned.h"

#define BATCH_MAX 64

struct sq_job {
    sq_write_fn fn;
    void *arg;
    int rc;
    bool done;
    struct gl_error err;
    struct sq_job *next;
};

static int job_stmt(struct sq_conn *c, enum sq_stmt_id id, const char *sql)
{
    sqlite3_stmt *st = sq_stmt(c, id, sql, NULL);
    return st ? sq_exec_stmt(c, st, NULL, sql, NULL) : GL_E_INTERNAL;
}

static void fail_job(struct sq_job *j, const struct gl_error *why)
{
    if (j->rc)
        return;
    j->rc = why->code ? why->code : GL_E_INTERNAL;
    j->err = *why;
}

/* Runs one job in its savepoint. Returns false when the whole transaction was lost. */
static bool run_job(struct sq_conn *c, struct sq_job *j)
{
    gl_error_clear(&j->err);
    if (job_stmt(c, SQ_SAVEPOINT, "SAVEPOINT job") != 0) {
        gl_error_set(&j->err, GL_E_INTERNAL, NULL, "cannot start a savepoint: %s",
                     sqlite3_errmsg(c->db));
        j->rc = GL_E_INTERNAL;
        return !sqlite3_get_autocommit(c->db);
    }
    j->rc = j->fn(c, j->arg, &j->err);
    if (j->rc && j->err.code == GL_OK)
        j->err.code = j->rc;
    if (sqlite3_get_autocommit(c->db))
        return false; /* SQLite rolled back everything (I/O error, disk full) */
    if (j->rc)
        job_stmt(c, SQ_ROLLBACK_TO, "ROLLBACK TO job");
    job_stmt(c, SQ_RELEASE, "RELEASE job");
    return true;
}

static void run_batch(struct sq_store *s, struct sq_job *batch)
{
    struct gl_error err;
    struct sq_conn *c = NULL;
    gl_error_clear(&err);
    int rc = sq_acquire(s, &c, &err);
    if (!rc)
        rc = sq_begin(c, true, &err);
    if (rc) {
        for (struct sq_job *j = batch; j; j = j->next)
            fail_job(j, &err);
        sq_release(s, c);
        return;
    }
    bool alive = true;
    for (struct sq_job *j = batch; j && alive; j = j->next)
        alive = run_job(c, j);
    if (alive)
        rc = sq_commit(c, &err);
    if (!alive || rc) {
        if (!rc)
            gl_error_set(&err, GL_E_INTERNAL, NULL, "the write transaction was aborted: %s",
                         sqlite3_errmsg(c->db));
        sq_rollback(c);
        for (struct sq_job *j = batch; j; j = j->next)
            fail_job(j, &err);
    }
    sq_release(s, c);
}

/* Detaches up to BATCH_MAX jobs from the queue; called with s->write_mu held. */
static struct sq_job *take_batch(struct sq_store *s)
{
    struct sq_job *head = s->queue, *tail = head;
    for (int n = 1; tail && tail->next && n < BATCH_MAX; n++)
        tail = tail->next;
    s->queue = tail ? tail->next : NULL;
    if (!s->queue)
        s->queue_tail = NULL;
    if (tail)
        tail->next = NULL;
    return head;
}

int sq_write(struct sq_store *s, sq_write_fn fn, void *arg, struct gl_error *err)
{
    struct sq_job job = {.fn = fn, .arg = arg};
    pthread_mutex_lock(&s->write_mu);
    if (s->queue_tail)
        s->queue_tail->next = &job;
    else
        s->queue = &job;
    s->queue_tail = &job;
    while (!job.done) {
        if (s->leader_busy) {
            pthread_cond_wait(&s->write_cv, &s->write_mu);
            continue;
        }
        s->leader_busy = true;
        struct sq_job *batch = take_batch(s);
        pthread_mutex_unlock(&s->write_mu);
        run_batch(s, batch);
        pthread_mutex_lock(&s->write_mu);
        for (struct sq_job *j = batch, *next; j; j = next) {
            next = j->next; /* j lives on its writer's stack: read next before "done" */
            j->done = true;
        }
        s->leader_busy = false;
        pthread_cond_broadcast(&s->write_cv);
    }
    pthread_mutex_unlock(&s->write_mu);
    if (job.rc && err)
        *err = job.err;
    return job.rc;
}
