/*
 * sqlite_int.h - private interface shared by the SQLite backend's files.
 *
 *   sqlite.c         connection pool, per-connection statement cache, transactions,
 *                    error mapping, binding helpers, the audit-chain append, open/close
 *   sqlite_schema.c  versioned migrations
 *   sqlite_commit.c  group commit of concurrent writes (sq_write)
 *   sqlite_change.c  changes: create, update, get, timeline
 *   sqlite_list.c    list queries: changes and CIs, with the client-scope filter
 *   sqlite_tx.c      the shared helpers: one call as one transaction, audit snapshots
 *   sqlite_client.c  clients: create, update, get, the list a scope sees
 *   sqlite_ci.c      CIs: create, update, get, and the writes the bulk import reuses
 *   sqlite_backup.c  online backup to a new file
 *   sqlite_audit.c   the audit list by id and the export (one client's events in a time
 *                    range, paged)
 *   sqlite_user.c    users and grants, API tokens
 *   sqlite_auth.c    passwords, browser sessions, failed-login bookkeeping
 *   sqlite_import.c  bulk import of CIs, many rows per transaction
 *   sqlite_graph.c   CI relationships, graph reads for impact and what-changed
 *   sqlite_calendar.c          the calendar's findings (windows, blackouts, notice, conflicts)
 *   sqlite_calendar_records.c  maintenance windows and blackouts
 *   sqlite_calendar_write.c    the scheduling write, calendar change lists, feed tokens
 *
 * Invariants: a struct sq_conn is used by exactly one thread between sq_acquire and
 * sq_release; when it goes back to the pool no transaction is open and no statement is
 * mid-step (sq_release enforces both). Cached statements are always reset after use.
 * Times are stored as INTEGER unix seconds, NULL for GL_TIME_UNSET.
 */
#ifndef GL_SQLITE_INT_H
#define GL_SQLITE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/store.h"

/* Slots of the per-connection statement cache. The SQL for a slot lives next to the code
 * that uses it; a slot must always be used with the same text. */
enum sq_stmt_id {
    SQ_BEGIN_READ,
    SQ_BEGIN_WRITE,
    SQ_COMMIT,
    SQ_ROLLBACK,
    SQ_SAVEPOINT,
    SQ_RELEASE,
    SQ_ROLLBACK_TO,
    SQ_AUDIT_LAST,
    SQ_AUDIT_INSERT,
    SQ_AUDIT_LIST,
    SQ_AUDIT_ENTITY,
    SQ_MIGRATION_LIST,
    SQ_MIGRATION_HAS,
    SQ_MIGRATION_ADD,
    SQ_CLIENT_INSERT,
    SQ_CLIENT_UPDATE,
    SQ_CLIENT_BY_KEY,
    SQ_CLIENT_BY_ID,
    SQ_CLIENT_KEY,
    SQ_CI_INSERT,
    SQ_CI_UPDATE,
    SQ_CI_GET,
    SQ_CI_OWNER,
    SQ_CHANGE_INSERT,
    SQ_CHANGE_UPDATE,
    SQ_CHANGE_GET,
    SQ_CHANGE_DOC_GET,
    SQ_CHANGE_DOC_PUT,
    SQ_CHANGE_STALE_DOCS,
    SQ_CHANGE_HEAD,
    SQ_CHANGE_EXISTS,
    SQ_CHANGE_CIS,
    SQ_CHANGE_RELS,
    SQ_CHANGE_INCS,
    SQ_CHANGE_CI_ADD,
    SQ_CHANGE_CI_DEL,
    SQ_CHANGE_REL_ADD,
    SQ_CHANGE_REL_DEL,
    SQ_CHANGE_INC_ADD,
    SQ_CHANGE_INC_DEL,
    SQ_USER_INSERT,
    SQ_USER_BY_NAME,
    SQ_USER_EXISTS,
    SQ_USER_GRANT_ADD,
    SQ_USER_GRANTS,
    SQ_TOKEN_INSERT,
    SQ_TOKEN_LOOKUP,
    SQ_TOKEN_OWNER,
    SQ_TOKEN_REVOKE,
    SQ_TOKEN_LIST,
    SQ_USER_CREDENTIALS,
    SQ_USER_BY_ID,
    SQ_USER_SET_PASSWORD,
    SQ_SESSION_INSERT,
    SQ_SESSION_LOOKUP,
    SQ_SESSION_GET,
    SQ_SESSION_REVOKE,
    SQ_SESSION_END_ALL,
    SQ_SESSION_PRUNE,
    SQ_FAILURE_INSERT,
    SQ_FAILURE_PRUNE,
    SQ_FAILURE_COUNT,
    SQ_FAILURE_CLEAR,
    SQ_AUDIT_EVENT_AT,
    SQ_AUDIT_EXPORT_CLIENT,
    SQ_AUDIT_EXPORT_ALL,
    SQ_IMPORT_SAVEPOINT,
    SQ_IMPORT_RELEASE,
    SQ_IMPORT_ROLLBACK_TO,
    SQ_CI_BY_NAME,
    SQ_REL_ADD,
    SQ_REL_DEL,
    SQ_REL_LIST,
    SQ_REL_CI_CLIENT,
    SQ_GRAPH_FORWARD,
    SQ_GRAPH_BACKWARD,
    SQ_GRAPH_GENERATION,
    SQ_WC_CI,
    SQ_WC_CLIENT,
    SQ_REL_HAS,
    SQ_CI_BY_NAME_ANY,
    SQ_CHANGE_DOC_LINKS,
    SQ_CI_NAMED_LINKS,
    SQ_REPORT_CHANGES,
    SQ_REPORT_APPROVALS,
    SQ_CAL_CLIENT,
    SQ_CAL_WINDOWS,
    SQ_CAL_BLACKOUTS,
    SQ_CAL_RECORD,
    SQ_CAL_WINDOW_MAX,
    SQ_CAL_CANDIDATES,
    SQ_CALREC_WINDOW_GET,
    SQ_CALREC_WINDOW_ADD,
    SQ_CALREC_WINDOW_DEL,
    SQ_CALREC_WINDOW_LIST,
    SQ_CALREC_BLACKOUT_GET,
    SQ_CALREC_BLACKOUT_ADD,
    SQ_CALREC_BLACKOUT_DEL,
    SQ_CALREC_BLACKOUT_LIST,
    SQ_CALREC_SCHEDULE_PUT,
    SQ_CALREC_FEED_ADD,
    SQ_CALREC_FEED_LIST,
    SQ_CALREC_FEED_OWNER,
    SQ_CALREC_FEED_REVOKE,
    SQ_CALREC_FEED_LOOKUP,
    SQ_CALREC_FEED_USER,
    SQ_CAL_CI_CHANGES,
    SQ_CAL_CHANGE_CIS,
    SQ_CAL_FWD,
    SQ_CAL_BWD,
    SQ_CAL_CI_SHARED,
    SQ_CAL_TITLE,
    SQ_CAL_IMPLEMENTER,
    SQ_POLICY_GET,
    SQ_POLICY_INSERT,
    SQ_POLICY_LIST,
    SQ_RISK_CI,
    SQ_RISK_CI_HISTORY,
    SQ_RISK_TEMPLATE_HISTORY,
    SQ_RISK_LATEST,
    SQ_RISK_HEAD,
    SQ_RISK_INSERT,
    SQ_RISK_DOC_SET,
    SQ_RISK_SUMMARY,
    SQ_APPROVAL_ROUND,
    SQ_APPROVAL_VOTES,
    SQ_APPROVAL_INSERT,
    SQ_APPROVAL_ROUND_ADD,
    SQ_APPROVAL_ROUND_APPROVED,
    SQ_TEMPLATE_INSERT,
    SQ_TEMPLATE_UPDATE,
    SQ_TEMPLATE_GET,
    SQ_TEMPLATE_VERSION_ADD,
    SQ_TEMPLATE_STATS,
    SQ_TEMPLATE_VERSIONS,
    SQ_STMT__COUNT
};

struct sq_conn {
    sqlite3 *db;
    const struct gl_change_renderer *render; /* the store's (gl_store_open_sqlite) */
    sqlite3_stmt *stmts[SQ_STMT__COUNT];
    struct sq_conn *next; /* idle list link */
};

#define SQ_POOL_MAX 8

struct sq_store {
    struct gl_store base; /* first: a struct gl_store * is a struct sq_store * */
    char *path;
    /* Makes the change renderings kept for reads and the change snapshots of audit events
     * (core/risk.h): the caller's, so the store knows no wire format. */
    const struct gl_change_renderer *render;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct sq_conn *idle; /* connections not in use */
    int nopen;            /* connections open, idle or in use */
    int opened_applied;   /* migrations the open ran, reported by the first migrate call */

    /* Group commit (sqlite_commit.c): writers queue here; one leader at a time commits,
     * always on the one writer connection. */
    pthread_mutex_t write_mu;
    pthread_cond_t write_cv;
    struct sq_job *queue, *queue_tail;
    bool leader_busy;
    struct sq_conn *writer; /* opened by the first leader; used only by the leader */

    /* Checkpointer thread (sqlite_commit.c): copies the WAL back into the database off the
     * write path. wal_frames is the WAL size the writer last reported, cleared when the
     * thread takes it; wal_size the same, kept for the writer's own restart check. */
    pthread_t ckpt_thread;
    bool ckpt_running, ckpt_stop;
    pthread_mutex_t ckpt_mu;
    pthread_cond_t ckpt_cv;
    int wal_frames;
    int wal_size;

    /* The in-memory CI graph for walks (sqlite_graph_cache.c); NULL when disabled. */
    struct sq_graph_cache *graph_cache;
};

static inline struct sq_store *sq_store(struct gl_store *st)
{
    return (struct sq_store *)st;
}

/* A connection set up for writing (bigger cache, no automatic checkpoints). */
int sq_conn_open_writer(const char *path, struct sq_conn **out, struct gl_error *err);
void sq_conn_close(struct sq_conn *c);
/* The checkpointer thread; stop accepts a store whose thread never started. */
int sq_checkpointer_start(struct sq_store *s, struct gl_error *err);
void sq_checkpointer_stop(struct sq_store *s);

/* Pool. sq_acquire waits while SQ_POOL_MAX connections are busy. */
int sq_acquire(struct sq_store *s, struct sq_conn **out, struct gl_error *err);
void sq_release(struct sq_store *s, struct sq_conn *c);

/* The cached statement for slot id, prepared from sql on first use; NULL (err filled) on
 * failure. The caller resets it (sqlite3_reset) when done. */
sqlite3_stmt *sq_stmt(struct sq_conn *c, enum sq_stmt_id id, const char *sql, struct gl_error *err);

/* Transactions: a write is BEGIN IMMEDIATE (one writer at a time, so the audit chain's
 * tail cannot move under us); a read is a deferred BEGIN for a consistent snapshot. */
int sq_begin(struct sq_conn *c, bool write, struct gl_error *err);
int sq_commit(struct sq_conn *c, struct gl_error *err);
void sq_rollback(struct sq_conn *c);

/* Runs fn inside a write transaction, possibly batched with concurrent writes into one
 * transaction and one fsync (group commit). fn must do all its writing through c and may
 * run on another thread than the caller; when fn fails, exactly its own writes are undone.
 * Returns fn's result, or GL_E_INTERNAL when the transaction could not commit. */
typedef int (*sq_write_fn)(struct sq_conn *c, void *arg, struct gl_error *err);
struct sq_job;
int sq_write(struct sq_store *s, sq_write_fn fn, void *arg, struct gl_error *err);
/* The connection of the write job of s running on this thread, or NULL when none; and
 * whether c is such a connection. Store calls made inside a job join its transaction. */
struct sq_conn *sq_job_conn(const struct sq_store *s);
bool sq_in_job(const struct sq_conn *c);
/* sqlite_commit.c, around each job: the current thread runs a job of s on c / no more. */
void sq_job_enter(const struct sq_store *s, struct sq_conn *c);
void sq_job_leave(void);
/* admin->transact (store.h). */
int sq_transact(struct gl_store *st, gl_store_tx_fn fn, void *arg, struct gl_error *err);

/* Maps an SQLite result code to a gl_errcode, filling err: unique/primary key ->
 * GL_E_DUPLICATE, foreign key / not null / check -> GL_E_INVALID (both naming `field`),
 * anything else -> GL_E_INTERNAL with `what` and sqlite3_errmsg. */
int sq_error(struct sq_conn *c, int src, const char *field, const char *what, struct gl_error *err);
#ifdef __clang_analyzer__
/* For the static analyser, which sees one file at a time: never 0 (sqlite.c: (sq_error)). */
#define sq_error(...)                                                                          \
    __extension__({                                                                            \
        int sq_error_rc_ = (sq_error)(__VA_ARGS__);                                            \
        if (sq_error_rc_ == 0)                                                                 \
            __builtin_unreachable();                                                           \
        sq_error_rc_;                                                                          \
    })
#endif

/* Steps a statement expected to finish without rows, then resets it. */
int sq_exec_stmt(struct sq_conn *c, sqlite3_stmt *st, const char *field, const char *what,
                 struct gl_error *err);
/* Runs literal SQL without results (set-up, migrations). */
int sq_exec(struct sq_conn *c, const char *sql, struct gl_error *err);

/* Binding and reading with the store's conventions (NULL string <-> SQL NULL,
 * GL_TIME_UNSET <-> SQL NULL, 0 id <-> SQL NULL where an id is optional). */
int sq_bind_text(sqlite3_stmt *st, int i, const char *s);
int sq_bind_time(sqlite3_stmt *st, int i, int64_t t);
int sq_bind_optid(sqlite3_stmt *st, int i, int64_t id);
/* Returns 0, or -1 when out of memory (*out untouched then). */
int sq_col_text(sqlite3_stmt *st, int i, char **out);
int64_t sq_col_time(sqlite3_stmt *st, int i);

/* Appends the audit event of the current write transaction: chains it to the last event,
 * hashes it and inserts it. client_id 0 is global. */
int sq_audit_append(struct sq_conn *c, const struct gl_write_ctx *ctx, const char *entity,
                    int64_t entity_id, int64_t client_id, const char *before_json,
                    const char *after_json, struct gl_error *err);

/* Reads audit events from a stepped statement whose columns are SQ_AUDIT_COLS. */
#define SQ_AUDIT_COLS                                                                              \
    "id, at, actor, action, entity, entity_id, client_id, before_json, after_json, reason, "       \
    "request_id, prev_hash, hash"
int sq_audit_read_all(struct sq_conn *c, sqlite3_stmt *st, struct gl_audit_list *out,
                      struct gl_error *err);

/* The growing-array helper shared by list readers: makes room for one more item of
 * `size` bytes in *items (holding *len); returns 0 or -1. */
int sq_grow(void **items, size_t len, size_t *cap, size_t size);

/* sqlite_graph_cache.c: the in-memory CI graph. sq_graph_cache_get returns the snapshot
 * built at `generation` (a reference the caller gives back with _put), or NULL when there
 * is none yet (a rebuild is started in the background) or the cache is disabled. */
struct sq_graph_cache;
struct sq_graph_snapshot;
int sq_graph_cache_open(struct sq_store *s);
void sq_graph_cache_close(struct sq_store *s);
int sq_graph_generation(struct sq_conn *c, int64_t *out, struct gl_error *err);
struct sq_graph_snapshot *sq_graph_cache_get(struct sq_store *s, int64_t generation);
void sq_graph_snapshot_put(struct sq_store *s, struct sq_graph_snapshot *g);
/* Appends ci_id's neighbours exactly as the SQL adjacency query would; 0 or -1 (no memory). */
int sq_graph_snapshot_adjacent(const struct sq_graph_snapshot *g, int64_t ci_id, bool forward,
                               struct gl_graph_edges *out);

/* sqlite_schema.c */
int sq_migrate_conn(struct sq_conn *c, int *applied, struct gl_error *err);

/* Helpers shared by the record and list files (sqlite_tx.c). */

/* Runs fn in a transaction: a write through sq_write, a read in a deferred BEGIN/COMMIT. */
int sq_with_tx(struct gl_store *st, bool write, sq_write_fn fn, void *arg, struct gl_error *err);
/* Fills err with GL_E_INTERNAL "out of memory" and returns GL_E_INTERNAL. */
int sq_oom(struct gl_error *err);
#ifdef __clang_analyzer__
/* For the static analyser, which sees one file at a time (sqlite_misc.c: (sq_oom)). */
#define sq_oom(err) (sq_oom(err), (int)GL_E_INTERNAL)
#endif
/* Audits a write from JSON snapshots it frees (NULL: encoding failed); ctx->action or dflt. */
int sq_audit_json(struct sq_conn *c, const struct gl_write_ctx *ctx, const char *dflt_action,
                  const char *entity, int64_t entity_id, int64_t client_id, char *before,
                  char *after, bool want_before, struct gl_error *err);

/*
 * The versioned update every record shares: load the stored record by before's id,
 * refuse with GL_E_STALE (field "version") unless its version is before's, let the record
 * check and complete `after` (prepare), stamp after with the stored id, version + 1, the
 * stored created_at and updated_at = ctx->now, write the row (write), then what goes with
 * it: the audit event from the before/after snapshots, and for some records a version row
 * or a stored rendering (record). When anything fails, after's stamps are put back as the
 * caller had them (the rest of after is the record's business).
 *
 * A record type has int64_t members id, version, created_at and updated_at; struct
 * sq_versioned describes it once with designated initialisers, SQ_VERSIONED_STAMPS(type)
 * giving the offsets of those members.
 */
struct sq_update {
    const struct gl_write_ctx *ctx;
    const void *before; /* the caller's: the record as read, whose version is expected */
    void *after;        /* the record to write */
    void *stored;       /* the record as stored when the update began */
    void *arg;          /* the record's own extra argument (a document's new version) */
};

struct sq_versioned {
    const char *noun; /* "the <noun> is at version N, not M" */
    size_t size;      /* of the record type */
    size_t id, version, created_at, updated_at;
    void (*init)(void *rec);
    void (*release)(void *rec);
    /* Loads the record id into out (initialised); GL_E_NOT_FOUND when absent. */
    int (*load)(struct sq_conn *c, int64_t id, void *out, struct gl_error *err);
    /* Checks and completes u->after against u->stored before the stamps; may be NULL. */
    int (*prepare)(struct sq_conn *c, const struct sq_update *u, struct gl_error *err);
    /* Binds u->after and runs the UPDATE of u->stored's row (and its child rows). */
    int (*write)(struct sq_conn *c, const struct sq_update *u, struct gl_error *err);
    /* The audit event (ctx->action, else the record's update action) and its companions. */
    int (*record)(struct sq_conn *c, const struct sq_update *u, struct gl_error *err);
};

#define SQ_VERSIONED_STAMPS(type)                                                                  \
    .size = sizeof(type), .id = offsetof(type, id), .version = offsetof(type, version),            \
    .created_at = offsetof(type, created_at), .updated_at = offsetof(type, updated_at)

/* Defines name_init, name_release and name_load for struct sq_versioned from the record
 * type's own init(type *), release(type *) and load(c, id, type *out, err). */
#define SQ_VERSIONED_ADAPTERS(name, type, init_fn, release_fn, load_fn)                            \
    static void name##_init(void *rec)                                                             \
    {                                                                                              \
        init_fn((type *)rec);                                                                      \
    }                                                                                              \
    static void name##_release(void *rec)                                                          \
    {                                                                                              \
        release_fn((type *)rec);                                                                   \
    }                                                                                              \
    static int name##_load(struct sq_conn *c, int64_t id, void *out, struct gl_error *err)         \
    {                                                                                              \
        return load_fn(c, id, (type *)out, err);                                                   \
    }

/* The record-type part of a struct sq_versioned initialiser, over SQ_VERSIONED_ADAPTERS'. */
#define SQ_VERSIONED_RECORD(name, type)                                                            \
    SQ_VERSIONED_STAMPS(type), .init = name##_init, .release = name##_release, .load = name##_load

/* The versioned update as one write transaction (sq_write). */
int sq_versioned_update(struct gl_store *st, const struct sq_versioned *v,
                        const struct gl_write_ctx *ctx, const void *before, void *after, void *arg,
                        struct gl_error *err);
/* The same inside the write transaction already open on c. */
int sq_versioned_update_conn(struct sq_conn *c, const struct sq_versioned *v,
                             const struct gl_write_ctx *ctx, const void *before, void *after,
                             void *arg, struct gl_error *err);
/* Runs fn as one write transaction (sq_with_tx); when it fails, rec's id, version,
 * created_at and updated_at are put back as they were (a create's skeleton). */
int sq_versioned_write(struct gl_store *st, const struct sq_versioned *v, void *rec, sq_write_fn fn,
                       void *arg, struct gl_error *err);

/* CI columns with their FROM/JOIN, used as "SELECT " SQ_CI_COLS " WHERE ...". */
#define SQ_CI_COLS                                                                                 \
    "c.id, c.version, c.client_id, k.key, c.name, c.type, c.criticality, c.users_affected, "       \
    "c.owner, c.created_at, c.updated_at, c.attributes"                                          \
    " FROM cis c LEFT JOIN clients k ON k.id = c.client_id"
/* Fills out (initialised) from a stepped row of SQ_CI_COLS (sqlite_ci.c). */
int sq_ci_read(sqlite3_stmt *st, struct gl_ci *out, struct gl_error *err);
/* Loads change id with its lists into out (initialised); GL_E_NOT_FOUND when absent. */
int sq_change_load(struct sq_conn *c, int64_t id, struct gl_change *out, struct gl_error *err);
/* Stores json as ch's rendering in the current codec format (sqlite_change.c). */
int sq_change_put_doc(struct sq_conn *c, const struct gl_change *ch, const char *json,
                      struct gl_error *err);
int sq_change_rerender(struct gl_store *st, int64_t *done, struct gl_error *err);
/* Loads the stored rendering of change id into out (zeroed by the caller); a change
 * without one gets format 0 and json NULL. GL_E_NOT_FOUND when the change is absent. */
int sq_change_doc_load(struct sq_conn *c, int64_t id, struct gl_change_doc *out,
                       struct gl_error *err);
/* Appends prefix, "?, ..." per client of a restricted scope and ")"; 0 or -1 (sqlite_list.c). */
struct gl_buf;
int sq_scope_sql(struct gl_buf *sql, const char *prefix, const struct gl_scope *scope);
/* Binds a restricted scope's client ids from position at; returns the next position. */
int sq_bind_scope(sqlite3_stmt *st, int at, const struct gl_scope *scope);

/* Operations, wired into the subject tables in sqlite.c. */
int sq_migrate(struct gl_store *st, int *applied, struct gl_error *err);
int sq_backup(struct gl_store *st, const char *dest_path, struct gl_error *err);

int sq_client_create(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_client *c,
                     struct gl_error *err);
int sq_client_update(struct gl_store *st, const struct gl_write_ctx *ctx,
                     const struct gl_client *before, struct gl_client *after, struct gl_error *err);
int sq_client_get(struct gl_store *st, const char *key, struct gl_client *out,
                  struct gl_error *err);
int sq_client_get_by_id(struct gl_store *st, int64_t id, struct gl_client *out,
                        struct gl_error *err);
int sq_client_list(struct gl_store *st, const struct gl_scope *scope, struct gl_client_list *out,
                   struct gl_error *err);

int sq_ci_create(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_ci *ci,
                 struct gl_error *err);
int sq_ci_update(struct gl_store *st, const struct gl_write_ctx *ctx, const struct gl_ci *before,
                 struct gl_ci *after, struct gl_error *err);
int sq_ci_get(struct gl_store *st, int64_t id, struct gl_ci *out, struct gl_error *err);
int sq_ci_list(struct gl_store *st, const struct gl_ci_filter *f, struct gl_ci_page *out,
               struct gl_error *err);

int sq_change_create(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_change *c,
                     struct gl_error *err);
int sq_change_update(struct gl_store *st, const struct gl_write_ctx *ctx,
                     const struct gl_change *before, struct gl_change *after, struct gl_error *err);
int sq_change_get(struct gl_store *st, int64_t id, struct gl_change *out, struct gl_error *err);
int sq_change_get_doc(struct gl_store *st, int64_t id, struct gl_change_doc *out,
                      struct gl_error *err);
int sq_change_list_docs(struct gl_store *st, const struct gl_change_filter *f,
                        struct gl_change_doc_page *out, struct gl_error *err);
int sq_change_list(struct gl_store *st, const struct gl_change_filter *f,
                   struct gl_change_page *out, struct gl_error *err);
int sq_change_timeline(struct gl_store *st, int64_t change_id, struct gl_audit_list *out,
                       struct gl_error *err);

int sq_user_create(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_user *u,
                   struct gl_error *err);
int sq_user_get(struct gl_store *st, const char *name, struct gl_user *out, struct gl_error *err);
int sq_token_create(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t user_id,
                    const unsigned char hash[32], int64_t expires_at, int64_t *token_id,
                    struct gl_error *err);
int sq_token_revoke(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t token_id,
                    struct gl_error *err);
int sq_token_lookup(struct gl_store *st, const unsigned char hash[32], int64_t now,
                    struct gl_user *out, struct gl_error *err);
int sq_token_list(struct gl_store *st, int64_t user_id, struct gl_token_list *out,
                  struct gl_error *err);
int sq_token_revoke_owned(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t token_id,
                          int64_t owner_id, int64_t *user_id, struct gl_error *err);
/* Steps a user query (id, name, is_admin, created_at) into out (initialised) with its
 * grants; `missing` (filled with `missing_msg`) when there is no row (sqlite_user.c). */
int sq_user_fetch(struct sq_conn *c, sqlite3_stmt *st, int missing, const char *missing_msg,
                  struct gl_user *out, struct gl_error *err);

/* sqlite_graph.c */
int sq_ci_relation_add(struct gl_store *st, const struct gl_write_ctx *ctx,
                       const struct gl_ci_relation *r, struct gl_error *err);
int sq_ci_relation_delete(struct gl_store *st, const struct gl_write_ctx *ctx,
                          const struct gl_ci_relation *r, struct gl_error *err);
int sq_ci_relations(struct gl_store *st, int64_t ci_id, struct gl_ci_relation_list *out,
                    struct gl_error *err);
int sq_graph_begin(struct gl_store *st, struct gl_graph_reader **out, struct gl_error *err);
void sq_graph_end(struct gl_graph_reader *r);
bool sq_graph_in_memory(const struct gl_graph_reader *r);
int sq_graph_adjacent(struct gl_graph_reader *r, int64_t ci_id, bool forward,
                      struct gl_graph_edges *out, struct gl_error *err);
int sq_graph_changes(struct gl_graph_reader *r, const int64_t *ci_ids, size_t nci,
                     int64_t client_id, int64_t since, int64_t until, struct gl_wc_rows *out,
                     struct gl_error *err);

/* Issue 5 reads: named relations (export), documentation links (what-changed), the client
 * report (sqlite_graph.c, sqlite_report.c). */
int sq_ci_named_links(struct gl_store *st, const int64_t *ci_ids, size_t n,
                      struct gl_ci_named_links *out, struct gl_error *err);
int sq_graph_change_docs(struct gl_graph_reader *r, const int64_t *change_ids, size_t n,
                         struct gl_change_doc_links *out, struct gl_error *err);
int sq_client_report(struct gl_store *st, int64_t client_id, int64_t from, int64_t to,
                     struct gl_report_data *out, struct gl_error *err);
/* Binds ids as one JSON array text at position i (for json_each); 0 or -1. */
int sq_bind_id_array(sqlite3_stmt *st, int i, const int64_t *ids, size_t n);
/* Appends the documentation links of the n changes to out (sqlite_report.c). */
int sq_change_doc_links_read(struct sq_conn *c, const int64_t *change_ids, size_t n,
                             struct gl_change_doc_links *out, struct gl_error *err);
/* Adds from -kind-> to inside the open write transaction unless present, audited as
 * ci.relate on the from CI; *added tells (sqlite_graph.c). */
int sq_rel_ensure(struct sq_conn *c, const struct gl_write_ctx *ctx, int64_t from_ci,
                  enum gl_rel_kind kind, int64_t to_ci, bool *added, struct gl_error *err);

/* CI writes inside an open write transaction (sqlite_ci.c), and the bulk import. */
int sq_ci_load(struct sq_conn *c, int64_t id, struct gl_ci *out, struct gl_error *err);
int sq_ci_insert(struct sq_conn *c, const struct gl_write_ctx *ctx, struct gl_ci *ci,
                 struct gl_error *err);
int sq_ci_rewrite(struct sq_conn *c, const struct gl_write_ctx *ctx, const struct gl_ci *before,
                  struct gl_ci *after, struct gl_error *err);
int sq_ci_import(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_ci_import *items,
                 size_t n, bool dry_run, gl_ci_import_check check, void *ud,
                 struct gl_error *err);

/* sqlite_auth.c */
int sq_user_set_password(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t user_id,
                         const char *hash, struct gl_error *err);
int sq_user_credentials(struct gl_store *st, const char *name, struct gl_user *out, char **hash,
                        struct gl_error *err);
int sq_session_create(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t user_id,
                      const unsigned char hash[32], const char *csrf_token, int64_t expires_at,
                      int64_t *session_id, struct gl_error *err);
int sq_session_lookup(struct gl_store *st, const unsigned char hash[32], int64_t now,
                      struct gl_user *out, struct gl_session *s, struct gl_error *err);
int sq_session_revoke(struct gl_store *st, const struct gl_write_ctx *ctx,
                      const unsigned char hash[32], struct gl_error *err);
int sq_login_failure_add(struct gl_store *st, const char *key, int64_t at, struct gl_error *err);
int sq_login_failure_count(struct gl_store *st, const char *key, int64_t since, int *count,
                           int64_t *earliest, struct gl_error *err);
int sq_login_failure_clear(struct gl_store *st, const char *key, struct gl_error *err);
int sq_audit_list(struct gl_store *st, int64_t after_id, int limit, struct gl_audit_list *out,
                  struct gl_error *err);
int sq_audit_export(struct gl_store *st, const struct gl_audit_filter *f,
                    struct gl_audit_page *out, struct gl_error *err);

/* sqlite_docs.c (documentation) and the change update it shares with sqlite_change.c. */
int sq_change_update_conn(struct sq_conn *c, const struct gl_write_ctx *ctx,
                          const struct gl_change *before, struct gl_change *after,
                          struct gl_error *err);
int sq_doc_create(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_document *d,
                  struct gl_doc_version *v, struct gl_error *err);
int sq_doc_update(struct gl_store *st, const struct gl_write_ctx *ctx,
                  const struct gl_document *before, struct gl_document *after,
                  struct gl_doc_version *v, struct gl_error *err);
int sq_doc_get(struct gl_store *st, int64_t id, struct gl_document *out, struct gl_error *err);
int sq_doc_list(struct gl_store *st, const struct gl_doc_filter *f, struct gl_document_page *out,
                struct gl_error *err);
int sq_doc_version_get(struct gl_store *st, int64_t doc_id, int64_t version,
                       struct gl_doc_version *out, struct gl_error *err);
int sq_doc_versions(struct gl_store *st, int64_t doc_id, struct gl_doc_version_list *out,
                    struct gl_error *err);
int sq_change_doc_link(struct gl_store *st, const struct gl_write_ctx *ctx,
                       const struct gl_change *c, int64_t doc_id, int64_t *base_version,
                       struct gl_error *err);
int sq_change_doc_refs(struct gl_store *st, const struct gl_change *c, struct gl_doc_ref_list *out,
                       struct gl_error *err);
int sq_change_complete_docs(struct gl_store *st, const struct gl_write_ctx *ctx,
                            const struct gl_change *before, struct gl_change *after,
                            const struct gl_doc_result *results, size_t nresults,
                            const struct gl_doc_ref_list *refs, bool no_doc_affected,
                            struct gl_error *err);

/* sqlite_calendar.c: the calendar's findings on connection c (a reader in a read
 * transaction, or the writer inside a group-commit job). sq_schedule_summary is what the
 * risk score consumes; sq_schedule_check explains it (out released with
 * gl_cal_check_release; notified_at GL_TIME_UNSET = the recorded notification, else now;
 * depth 0..GL_CAL_DEPTH_MAX). */
int sq_schedule_summary(struct sq_conn *c, const struct gl_change *chg, int64_t now,
                        struct gl_schedule_summary *out, struct gl_error *err);
/* The longest planned window any change has had (change_window_max): the lower bound of
 * the planned_start range that can overlap a window. */
int sq_change_window_max(struct sq_conn *c, int64_t *out, struct gl_error *err);
int sq_schedule_check(struct sq_conn *c, const struct gl_change *chg, int64_t now,
                      int64_t notified_at, int depth, struct gl_cal_check *out,
                      struct gl_error *err);
int sq_schedule_summary_op(struct gl_store *st, const struct gl_change *chg, int64_t now,
                           struct gl_schedule_summary *out, struct gl_error *err);
int sq_schedule_check_op(struct gl_store *st, const struct gl_change *chg, int64_t now,
                         int64_t notified_at, int depth, struct gl_cal_check *out,
                         struct gl_error *err);
int sq_change_schedule_write(struct gl_store *st, const struct gl_write_ctx *ctx,
                             const struct gl_change *before, struct gl_change *after,
                             const struct gl_schedule_record *rec, struct gl_error *err);
int sq_cal_changes(struct gl_store *st, const struct gl_scope *scope, int64_t client_id,
                   int64_t from, int64_t to, struct gl_cal_change_list *out,
                   struct gl_error *err);
/* sqlite_calendar_records.c: windows, blackouts, feed tokens. */
int sq_cal_window_create(struct gl_store *st, const struct gl_write_ctx *ctx,
                         struct gl_cal_window *w, struct gl_error *err);
int sq_cal_window_get(struct gl_store *st, int64_t id, struct gl_cal_window *out,
                      struct gl_error *err);
int sq_cal_window_delete(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t id,
                         struct gl_error *err);
int sq_cal_window_list(struct gl_store *st, int64_t client_id, struct gl_cal_window_list *out,
                       struct gl_error *err);
int sq_cal_blackout_create(struct gl_store *st, const struct gl_write_ctx *ctx,
                           struct gl_cal_blackout *b, struct gl_error *err);
int sq_cal_blackout_get(struct gl_store *st, int64_t id, struct gl_cal_blackout *out,
                        struct gl_error *err);
int sq_cal_blackout_delete(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t id,
                           struct gl_error *err);
int sq_cal_blackout_list(struct gl_store *st, int64_t client_id, bool include_global,
                         struct gl_cal_blackout_list *out, struct gl_error *err);
int sq_feed_token_create(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t user_id,
                         int64_t client_id, const unsigned char hash[32], int64_t *id,
                         struct gl_error *err);
int sq_feed_token_list(struct gl_store *st, int64_t user_id, struct gl_feed_token_list *out,
                       struct gl_error *err);
int sq_feed_token_revoke(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t id,
                         int64_t owner_id, struct gl_error *err);
int sq_feed_token_lookup(struct gl_store *st, const unsigned char hash[32], struct gl_user *out,
                         int64_t *client_id, struct gl_error *err);

/* sqlite_policy.c and sqlite_risk.c */
int sq_policy_load(struct sq_conn *c, struct gl_policy *out, struct gl_error *err);
int sq_policy_get(struct gl_store *st, struct gl_policy *out, struct gl_error *err);
int sq_policy_put(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_policy *p,
                  struct gl_error *err);
int sq_policy_versions(struct gl_store *st, struct gl_policy_version_list *out,
                       struct gl_error *err);
int sq_risk_inputs(struct gl_store *st, const struct gl_change *ch, int64_t now,
                   struct gl_risk_inputs *out, struct gl_error *err);
int sq_risk_save(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t client_id,
                 struct gl_risk_assessment *a, bool *stored, bool *changed, struct gl_error *err);
int sq_risk_current(struct gl_store *st, int64_t change_id, struct gl_risk_assessment *out,
                    struct gl_error *err);
/* sqlite_change.c: the rendering of a change with its latest risk summary added as "risk": *out is
 * a malloc'd copy of json with the member set, or NULL (json to be used as is) when the change was
 * never assessed. Used by every write of a change's rendering. */
int sq_risk_render(struct sq_conn *c, int64_t change_id, const char *json, char **out,
                   struct gl_error *err);

/* sqlite_approval.c: approval rounds and votes, emergency reviews, misuse signals. */
int sq_approval_get(struct gl_store *st, int64_t change_id, struct gl_approval_record *out,
                    struct gl_error *err);
int sq_approval_write(struct gl_store *st, const struct gl_write_ctx *ctx,
                      const struct gl_change *before, struct gl_change *after,
                      const struct gl_approval_vote *v, bool new_round, const char *round_reason,
                      struct gl_error *err);
int sq_approval_reviews_due(struct gl_store *st, const struct gl_scope *scope, int64_t client_id,
                            int64_t approved_before, struct gl_review_due_list *out,
                            struct gl_error *err);
int sq_emergency_ratio(struct gl_store *st, const struct gl_scope *scope, int64_t client_id,
                       int64_t from, int64_t to, bool by_client, struct gl_emergency_rows *out,
                       struct gl_error *err);

/* sqlite_template.c: standard-change templates. */
int sq_template_create(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_template *t,
                       struct gl_error *err);
int sq_template_update(struct gl_store *st, const struct gl_write_ctx *ctx,
                       const struct gl_template *before, struct gl_template *after,
                       struct gl_error *err);
int sq_template_get(struct gl_store *st, int64_t id, struct gl_template *out,
                    struct gl_error *err);
int sq_template_list(struct gl_store *st, const struct gl_template_filter *f,
                     struct gl_template_page *out, struct gl_error *err);
int sq_template_stats(struct gl_store *st, int64_t template_id, int64_t *changes,
                      int64_t *failures, struct gl_error *err);
int sq_template_versions(struct gl_store *st, int64_t template_id,
                         struct gl_template_version_list *out, struct gl_error *err);

#endif
