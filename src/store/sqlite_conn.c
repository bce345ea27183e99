/*
 * sqlite_conn.c - the connections the SQLite backend runs on: the pool, the writer's
 * connection, the per-connection statement cache, transactions, error mapping, binding
 * helpers and the audit-chain append; and which write job (if any) the current thread runs.
 *
 * Invariants:
 *  - at most SQ_POOL_MAX connections exist; they are opened lazily and each is held by one
 *    thread at a time (SQLITE_OPEN_NOMUTEX is therefore safe);
 *  - every connection runs in WAL mode with synchronous=FULL, so a committed write is on
 *    disk, and readers never block the single writer nor each other;
 *  - a connection returns to the pool with no open transaction and no busy statement;
 *  - on a thread running a write job, sq_acquire answers the job's connection and the
 *    transaction calls on it do nothing: the job's transaction is the one;
 *  - the audit chain is extended only inside a BEGIN IMMEDIATE transaction, so the tail
 *    read by sq_audit_append cannot move before the insert commits.
 *
 * Memory: page cache is 2 MiB per connection, so the pool's cache stays under 16 MiB
 * however large the database grows; mmap is off.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

/* The write job running on this thread (the group commit's leader), if any: store calls
 * made inside it join its transaction (sqlite_commit.c). */
static _Thread_local struct {
    const struct sq_store *s;
    struct sq_conn *c;
} current_job;

struct sq_conn *sq_job_conn(const struct sq_store *s)
{
    return current_job.s == s ? current_job.c : NULL;
}

bool sq_in_job(const struct sq_conn *c)
{
    return c && current_job.c == c;
}

void sq_job_enter(const struct sq_store *s, struct sq_conn *c)
{
    current_job.s = s;
    current_job.c = c;
}

void sq_job_leave(void)
{
    current_job.s = NULL;
    current_job.c = NULL;
}

/* Applied to every new connection. busy_timeout comes first: switching to WAL may have to
 * wait for another process's lock. */
static const char conn_setup_sql[] = "PRAGMA busy_timeout = 5000;"
                                     "PRAGMA journal_mode = WAL;"
                                     "PRAGMA synchronous = FULL;"
                                     "PRAGMA foreign_keys = ON;"
                                     "PRAGMA cache_size = -2048;"
                                     "PRAGMA temp_store = MEMORY;"
                                     "PRAGMA mmap_size = 0;"
                                     "PRAGMA journal_size_limit = 67108864;";

static int conn_open(const char *path, struct sq_conn **out, struct gl_error *err);

static void conn_free(struct sq_conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < SQ_STMT__COUNT; i++)
        sqlite3_finalize(c->stmts[i]);
    if (c->db) {
        /* Keeps the planner's statistics fresh; bounded work (analysis_limit). */
        sqlite3_exec(c->db, "PRAGMA analysis_limit = 400; PRAGMA optimize;", NULL, NULL, NULL);
        sqlite3_close_v2(c->db);
    }
    free(c);
}

/* The writer connection (sqlite_commit.c) gets a larger page cache, since inserts touch
 * index pages all over the file, and leaves checkpoints to the checkpointer thread so no
 * write waits for one. */
static const char writer_setup_sql[] = "PRAGMA cache_size = -12288;"
                                       "PRAGMA wal_autocheckpoint = 0;";

void sq_conn_close(struct sq_conn *c)
{
    conn_free(c);
}

int sq_conn_open_writer(const char *path, struct sq_conn **out, struct gl_error *err)
{
    int rc = conn_open(path, out, err);
    if (!rc && (rc = sq_exec(*out, writer_setup_sql, err)) != 0) {
        conn_free(*out);
        *out = NULL;
    }
    return rc;
}

static int conn_open(const char *path, struct sq_conn **out, struct gl_error *err)
{
    struct sq_conn *c = calloc(1, sizeof *c);
    if (!c)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    int src = sqlite3_open_v2(path, &c->db, flags, NULL);
    if (src != SQLITE_OK) {
        gl_error_set(err, GL_E_INTERNAL, NULL, "cannot open database %s: %s", path,
                     c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(src));
        conn_free(c);
        return GL_E_INTERNAL;
    }
    sqlite3_extended_result_codes(c->db, 1);
    int rc = sq_exec(c, conn_setup_sql, err);
    if (rc) {
        conn_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int sq_acquire(struct sq_store *s, struct sq_conn **out, struct gl_error *err)
{
    if ((*out = sq_job_conn(s)) != NULL)
        return 0; /* inside a write job: read in its transaction (sqlite_commit.c) */
    pthread_mutex_lock(&s->mu);
    while (!s->idle && s->nopen >= SQ_POOL_MAX)
        pthread_cond_wait(&s->cv, &s->mu);
    struct sq_conn *c = s->idle;
    if (c) {
        s->idle = c->next;
        c->next = NULL;
        pthread_mutex_unlock(&s->mu);
        *out = c;
        return 0;
    }
    s->nopen++; /* reserve the slot, open outside the lock */
    pthread_mutex_unlock(&s->mu);

    int rc = conn_open(s->path, &c, err);
    if (!rc)
        c->render = s->render;
    if (rc) {
        pthread_mutex_lock(&s->mu);
        s->nopen--;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        return rc;
    }
    *out = c;
    return 0;
}

void sq_release(struct sq_store *s, struct sq_conn *c)
{
    if (!c || sq_in_job(c))
        return; /* the job's connection stays with the job */
    /* A busy statement would pin a WAL snapshot (and block checkpoints) forever. */
    for (sqlite3_stmt *st = sqlite3_next_stmt(c->db, NULL); st; st = sqlite3_next_stmt(c->db, st))
        if (sqlite3_stmt_busy(st))
            sqlite3_reset(st);
    if (!sqlite3_get_autocommit(c->db))
        sq_rollback(c);
    pthread_mutex_lock(&s->mu);
    c->next = s->idle;
    s->idle = c;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

sqlite3_stmt *sq_stmt(struct sq_conn *c, enum sq_stmt_id id, const char *sql, struct gl_error *err)
{
    if (c->stmts[id])
        return c->stmts[id];
    int src = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->stmts[id], NULL);
    if (src != SQLITE_OK) {
        sq_error(c, src, NULL, "prepare", err);
        sqlite3_finalize(c->stmts[id]);
        c->stmts[id] = NULL;
        return NULL;
    }
    return c->stmts[id];
}

int(sq_error)(struct sq_conn *c, int src, const char *field, const char *what,
               struct gl_error *err)
{
    switch (src) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return gl_error_set(err, GL_E_DUPLICATE, field, "%s already exists",
                            field && *field ? field : "record");
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return gl_error_set(err, GL_E_INVALID, field, "%s refers to a record that does not exist",
                            field && *field ? field : "a reference");
    case SQLITE_CONSTRAINT_NOTNULL:
    case SQLITE_CONSTRAINT_CHECK:
        return gl_error_set(err, GL_E_INVALID, field, "a required value is missing or invalid: %s",
                            sqlite3_errmsg(c->db));
    default:
        return gl_error_set(err, GL_E_INTERNAL, NULL, "database error (%s): %s", what,
                            sqlite3_errmsg(c->db));
    }
}

int sq_exec_stmt(struct sq_conn *c, sqlite3_stmt *st, const char *field, const char *what,
                 struct gl_error *err)
{
    int src = sqlite3_step(st);
    int rc = (src == SQLITE_DONE || src == SQLITE_ROW) ? 0 : sq_error(c, src, field, what, err);
    sqlite3_reset(st);
    return rc;
}

int sq_exec(struct sq_conn *c, const char *sql, struct gl_error *err)
{
    char *msg = NULL;
    int src = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
    if (src == SQLITE_OK)
        return 0;
    gl_error_set(err, GL_E_INTERNAL, NULL, "database error: %s", msg ? msg : sqlite3_errstr(src));
    sqlite3_free(msg);
    return GL_E_INTERNAL;
}

static int tx_stmt(struct sq_conn *c, enum sq_stmt_id id, const char *sql, struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, id, sql, err);
    if (!st)
        return GL_E_INTERNAL;
    return sq_exec_stmt(c, st, NULL, sql, err);
}

int sq_begin(struct sq_conn *c, bool write, struct gl_error *err)
{
    if (sq_in_job(c))
        return 0; /* already inside the job's transaction */
    return write ? tx_stmt(c, SQ_BEGIN_WRITE, "BEGIN IMMEDIATE", err)
                 : tx_stmt(c, SQ_BEGIN_READ, "BEGIN", err);
}

int sq_commit(struct sq_conn *c, struct gl_error *err)
{
    if (sq_in_job(c))
        return 0; /* the job commits */
    return tx_stmt(c, SQ_COMMIT, "COMMIT", err);
}

void sq_rollback(struct sq_conn *c)
{
    if (sq_in_job(c) || sqlite3_get_autocommit(c->db))
        return; /* SQLite may already have rolled back after an error */
    if (tx_stmt(c, SQ_ROLLBACK, "ROLLBACK", NULL) != 0)
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

int sq_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

int sq_bind_time(sqlite3_stmt *st, int i, int64_t t)
{
    return t == GL_TIME_UNSET ? sqlite3_bind_null(st, i) : sqlite3_bind_int64(st, i, t);
}

int sq_bind_optid(sqlite3_stmt *st, int i, int64_t id)
{
    return id == 0 ? sqlite3_bind_null(st, i) : sqlite3_bind_int64(st, i, id);
}

int sq_col_text(sqlite3_stmt *st, int i, char **out)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    if (!s) {
        if (sqlite3_column_type(st, i) != SQLITE_NULL)
            return -1; /* conversion failed: out of memory */
        *out = NULL;
        return 0;
    }
    char *copy = strdup((const char *)s);
    if (!copy)
        return -1;
    *out = copy;
    return 0;
}

int64_t sq_col_time(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? GL_TIME_UNSET : sqlite3_column_int64(st, i);
}

int sq_grow(void **items, size_t len, size_t *cap, size_t size)
{
    if (len < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(*items, ncap * size);
    if (!p)
        return -1;
    *items = p;
    *cap = ncap;
    return 0;
}

/* ---- audit chain ------------------------------------------------------------------- */

static const char audit_last_sql[] = "SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1";
static const char audit_insert_sql[] =
    "INSERT INTO audit_events (" SQ_AUDIT_COLS ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)";

int sq_audit_append(struct sq_conn *c, const struct gl_write_ctx *ctx, const char *entity,
                    int64_t entity_id, int64_t client_id, const char *before_json,
                    const char *after_json, struct gl_error *err)
{
    sqlite3_stmt *last = sq_stmt(c, SQ_AUDIT_LAST, audit_last_sql, err);
    sqlite3_stmt *ins = sq_stmt(c, SQ_AUDIT_INSERT, audit_insert_sql, err);
    if (!last || !ins)
        return GL_E_INTERNAL;

    /* The event borrows every string; it is never released. */
    struct gl_audit_event ev;
    memset(&ev, 0, sizeof ev);
    ev.at = ctx->now;
    ev.actor = (char *)ctx->actor;
    ev.action = (char *)ctx->action;
    ev.entity = (char *)entity;
    ev.entity_id = entity_id;
    ev.client_id = client_id;
    ev.before_json = (char *)before_json;
    ev.after_json = (char *)after_json;
    ev.reason = (char *)ctx->reason;
    ev.request_id = (char *)ctx->request_id;

    int src = sqlite3_step(last);
    if (src == SQLITE_ROW) {
        ev.id = sqlite3_column_int64(last, 0) + 1;
        const void *h = sqlite3_column_blob(last, 1);
        if (h && sqlite3_column_bytes(last, 1) == GL_AUDIT_HASH_LEN)
            memcpy(ev.prev_hash, h, GL_AUDIT_HASH_LEN);
        else
            src = SQLITE_CORRUPT;
    } else if (src == SQLITE_DONE) {
        ev.id = 1; /* the chain starts from 32 zero bytes */
    }
    int rc =
        (src == SQLITE_ROW || src == SQLITE_DONE) ? 0 : sq_error(c, src, NULL, "audit tail", err);
    sqlite3_reset(last);
    if (rc)
        return rc;

    gl_audit_hash(&ev);

    sqlite3_bind_int64(ins, 1, ev.id);
    sqlite3_bind_int64(ins, 2, ev.at);
    sq_bind_text(ins, 3, ev.actor);
    sq_bind_text(ins, 4, ev.action);
    sq_bind_text(ins, 5, ev.entity);
    sqlite3_bind_int64(ins, 6, ev.entity_id);
    sqlite3_bind_int64(ins, 7, ev.client_id);
    sq_bind_text(ins, 8, ev.before_json);
    sq_bind_text(ins, 9, ev.after_json);
    sq_bind_text(ins, 10, ev.reason);
    sq_bind_text(ins, 11, ev.request_id);
    sqlite3_bind_blob(ins, 12, ev.prev_hash, GL_AUDIT_HASH_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_blob(ins, 13, ev.hash, GL_AUDIT_HASH_LEN, SQLITE_TRANSIENT);
    return sq_exec_stmt(c, ins, NULL, "audit insert", err);
}

static int audit_read_one(sqlite3_stmt *st, struct gl_audit_event *ev)
{
    ev->id = sqlite3_column_int64(st, 0);
    ev->at = sqlite3_column_int64(st, 1);
    ev->entity_id = sqlite3_column_int64(st, 5);
    ev->client_id = sqlite3_column_int64(st, 6);
    if (sq_col_text(st, 2, &ev->actor) || sq_col_text(st, 3, &ev->action) ||
        sq_col_text(st, 4, &ev->entity) || sq_col_text(st, 7, &ev->before_json) ||
        sq_col_text(st, 8, &ev->after_json) || sq_col_text(st, 9, &ev->reason) ||
        sq_col_text(st, 10, &ev->request_id))
        return -1;
    const void *p = sqlite3_column_blob(st, 11);
    const void *h = sqlite3_column_blob(st, 12);
    if (p && sqlite3_column_bytes(st, 11) == GL_AUDIT_HASH_LEN)
        memcpy(ev->prev_hash, p, GL_AUDIT_HASH_LEN);
    if (h && sqlite3_column_bytes(st, 12) == GL_AUDIT_HASH_LEN)
        memcpy(ev->hash, h, GL_AUDIT_HASH_LEN);
    return 0;
}

int sq_audit_read_all(struct sq_conn *c, sqlite3_stmt *st, struct gl_audit_list *out,
                      struct gl_error *err)
{
    size_t cap = 0;
    int rc = 0, src;
    out->items = NULL;
    out->len = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (sq_grow((void **)&out->items, out->len, &cap, sizeof *out->items)) {
            rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
            goto out;
        }
        struct gl_audit_event *ev = &out->items[out->len];
        gl_audit_event_init(ev);
        out->len++;
        if (audit_read_one(st, ev)) {
            rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
            goto out;
        }
    }
    if (src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "audit read", err);
out:
    sqlite3_reset(st);
    if (rc)
        gl_audit_list_release(out);
    return rc;
}
