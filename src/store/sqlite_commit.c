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
 *
 * All batches run on one writer connection with a large page cache. It never checkpoints
 * by itself: a checkpointer thread copies the WAL back into the database whenever the
 * writer reports CKPT_FRAMES new frames (and once a second otherwise), so no write waits
 * for a checkpoint. Those checkpoints are PASSIVE and never block anyone, but under a
 * steady stream of writes they never quite catch up, and SQLite only starts the WAL over
 * when a write begins with every frame copied back. So once the WAL passes
 * CKPT_RESTART_FRAMES the leader itself finishes the checkpoint between two batches (the
 * thread had copied most frames already) and the next batch starts a fresh WAL: the file
 * stays small and is overwritten in place instead of growing.
 *
 * A job may itself call the store (an app action runs as one job: it reads facts, writes
 * the record, the assessment and the audit events). Those calls join the job: on the
 * thread running it, sq_acquire answers the writer connection and transaction calls on it
 * do nothing, and a nested sq_write runs at once in a savepoint of its own inside the
 * job's. So the action commits or rolls back as a whole.
 */
#include "store/sqlite_int.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "util/banned.h"

#define BATCH_MAX 64
#define CKPT_FRAMES 1000
#define CKPT_RESTART_FRAMES 4000

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
static bool run_job(struct sq_store *s, struct sq_conn *c, struct sq_job *j)
{
    gl_error_clear(&j->err);
    if (job_stmt(c, SQ_SAVEPOINT, "SAVEPOINT job") != 0) {
        gl_error_set(&j->err, GL_E_INTERNAL, NULL, "cannot start a savepoint: %s",
                     sqlite3_errmsg(c->db));
        j->rc = GL_E_INTERNAL;
        return !sqlite3_get_autocommit(c->db);
    }
    sq_job_enter(s, c);
    j->rc = j->fn(c, j->arg, &j->err);
    sq_job_leave();
    if (j->rc && j->err.code == GL_OK)
        j->err.code = j->rc;
    if (sqlite3_get_autocommit(c->db))
        return false; /* SQLite rolled back everything (I/O error, disk full) */
    if (j->rc)
        job_stmt(c, SQ_ROLLBACK_TO, "ROLLBACK TO job");
    job_stmt(c, SQ_RELEASE, "RELEASE job");
    return true;
}

/* Called by SQLite after each commit on the writer with the WAL's size in frames. */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int frames)
{
    struct sq_store *s = arg;
    pthread_mutex_lock(&s->ckpt_mu);
    s->wal_frames = frames;
    s->wal_size = frames;
    if (frames >= CKPT_FRAMES)
        pthread_cond_signal(&s->ckpt_cv);
    pthread_mutex_unlock(&s->ckpt_mu);
    return SQLITE_OK;
}

static int writer_wal_frames(struct sq_store *s)
{
    pthread_mutex_lock(&s->ckpt_mu);
    int frames = s->wal_size;
    pthread_mutex_unlock(&s->ckpt_mu);
    return frames;
}

static int writer_conn(struct sq_store *s, struct sq_conn **out, struct gl_error *err)
{
    if (!s->writer) {
        int rc = sq_conn_open_writer(s->path, &s->writer, err);
        if (!rc)
            s->writer->render = s->render;
        if (rc)
            return rc;
        sqlite3_wal_hook(s->writer->db, on_wal_commit, s);
    }
    *out = s->writer;
    return 0;
}

/* Leaves the writer as sq_release leaves pooled connections: no transaction, no busy
 * statement. */
static void writer_done(struct sq_conn *c)
{
    for (sqlite3_stmt *st = sqlite3_next_stmt(c->db, NULL); st; st = sqlite3_next_stmt(c->db, st))
        if (sqlite3_stmt_busy(st))
            sqlite3_reset(st);
    sq_rollback(c);
}

static void run_batch(struct sq_store *s, struct sq_job *batch)
{
    struct gl_error err;
    struct sq_conn *c = NULL;
    gl_error_clear(&err);
    int rc = writer_conn(s, &c, &err);
    if (!rc)
        rc = sq_begin(c, true, &err);
    if (rc) {
        for (struct sq_job *j = batch; j; j = j->next)
            fail_job(j, &err);
        if (c)
            writer_done(c);
        return;
    }
    bool alive = true;
    for (struct sq_job *j = batch; j && alive; j = j->next)
        alive = run_job(s, c, j);
    if (alive)
        rc = sq_commit(c, &err);
    if (!alive || rc) {
        if (!rc)
            gl_error_set(&err, GL_E_INTERNAL, NULL, "the write transaction was aborted: %s",
                         sqlite3_errmsg(c->db));
        for (struct sq_job *j = batch; j; j = j->next)
            fail_job(j, &err);
    }
    writer_done(c);
    if (writer_wal_frames(s) >= CKPT_RESTART_FRAMES)
        sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
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

/* A write made from inside a job: at once, in a savepoint of the job's transaction, so a
 * failure undoes it alone and the caller decides whether the job goes on. */
static int nested_write(struct sq_conn *c, sq_write_fn fn, void *arg, struct gl_error *err)
{
    if (job_stmt(c, SQ_SAVEPOINT, "SAVEPOINT job") != 0)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "cannot start a savepoint: %s",
                            sqlite3_errmsg(c->db));
    int rc = fn(c, arg, err);
    if (sqlite3_get_autocommit(c->db))
        return rc ? rc
                  : gl_error_set(err, GL_E_INTERNAL, NULL, "the write transaction was aborted");
    if (rc)
        job_stmt(c, SQ_ROLLBACK_TO, "ROLLBACK TO job");
    job_stmt(c, SQ_RELEASE, "RELEASE job");
    return rc;
}

int sq_write(struct sq_store *s, sq_write_fn fn, void *arg, struct gl_error *err)
{
    struct sq_conn *joined = sq_job_conn(s);
    if (joined)
        return nested_write(joined, fn, arg, err);
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

struct transact_args {
    struct gl_store *st;
    gl_store_tx_fn fn;
    void *arg;
};

static int transact_job(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct transact_args *t = arg;
    return t->fn(t->st, t->arg, err);
}

int sq_transact(struct gl_store *st, gl_store_tx_fn fn, void *arg, struct gl_error *err)
{
    struct transact_args t = {st, fn, arg};
    return sq_write(sq_store(st), transact_job, &t, err);
}

/* ---- checkpointer ------------------------------------------------------------------ */

static void checkpoint(struct sq_store *s)
{
    struct sq_conn *c = NULL;
    if (sq_acquire(s, &c, NULL) != 0)
        return;
    sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    sq_release(s, c);
}

static void *checkpointer_main(void *arg)
{
    struct sq_store *s = arg;
    pthread_mutex_lock(&s->ckpt_mu);
    while (!s->ckpt_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        while (!s->ckpt_stop && s->wal_frames < CKPT_FRAMES)
            if (pthread_cond_timedwait(&s->ckpt_cv, &s->ckpt_mu, &until) == ETIMEDOUT)
                break;
        int frames = s->wal_frames;
        s->wal_frames = 0;
        if (s->ckpt_stop || frames == 0)
            continue;
        pthread_mutex_unlock(&s->ckpt_mu);
        checkpoint(s);
        pthread_mutex_lock(&s->ckpt_mu);
    }
    pthread_mutex_unlock(&s->ckpt_mu);
    return NULL;
}

int sq_checkpointer_start(struct sq_store *s, struct gl_error *err)
{
    if (pthread_create(&s->ckpt_thread, NULL, checkpointer_main, s) != 0)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "cannot start the checkpointer thread");
    s->ckpt_running = true;
    return 0;
}

void sq_checkpointer_stop(struct sq_store *s)
{
    if (!s->ckpt_running)
        return;
    pthread_mutex_lock(&s->ckpt_mu);
    s->ckpt_stop = true;
    pthread_cond_signal(&s->ckpt_cv);
    pthread_mutex_unlock(&s->ckpt_mu);
    pthread_join(s->ckpt_thread, NULL);
    s->ckpt_running = false;
}
