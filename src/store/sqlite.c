/*
 * sqlite.c - the SQLite backend as a whole: its method tables, opening (migrations, the
 * checkpointer, the graph cache) and closing. The connections it runs on are
 * sqlite_conn.c's; writes go through sqlite_commit.c.
 *
 * Invariants:
 *  - at most SQ_POOL_MAX connections exist; they are opened lazily and each is held by one
 *    thread at a time (SQLITE_OPEN_NOMUTEX is therefore safe);
 *  - every connection runs in WAL mode with synchronous=FULL, so a committed write is on
 *    disk, and readers never block the single writer nor each other;
 *  - a connection returns to the pool with no open transaction and no busy statement;
 *  - the audit chain is extended only inside a BEGIN IMMEDIATE transaction, so the tail
 *    read by sq_audit_append cannot move before the insert commits.
 *
 * Memory: page cache is 2 MiB per connection, so the pool's cache stays under 16 MiB
 * however large the database grows; mmap is off.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "util/banned.h"

static void sq_close(struct gl_store *st);

static const struct gl_store_admin sq_admin = {
    .name = "sqlite",
    .transact = sq_transact,
    .close = sq_close,
    .migrate = sq_migrate,
    .backup = sq_backup,
};
static const struct gl_client_store sq_clients = {
    .create = sq_client_create,
    .update = sq_client_update,
    .get = sq_client_get,
    .get_by_id = sq_client_get_by_id,
    .list = sq_client_list,
    .report = sq_client_report,
};
static const struct gl_ci_store sq_cis = {
    .create = sq_ci_create,
    .update = sq_ci_update,
    .get = sq_ci_get,
    .list = sq_ci_list,
    .relation_add = sq_ci_relation_add,
    .relation_delete = sq_ci_relation_delete,
    .relations = sq_ci_relations,
    .import = sq_ci_import,
    .named_links = sq_ci_named_links,
};
static const struct gl_graph_store sq_graph = {
    .begin = sq_graph_begin,
    .end = sq_graph_end,
    .in_memory = sq_graph_in_memory,
    .adjacent = sq_graph_adjacent,
    .changes = sq_graph_changes,
    .change_docs = sq_graph_change_docs,
};
static const struct gl_change_store sq_changes = {
    .create = sq_change_create,
    .update = sq_change_update,
    .get = sq_change_get,
    .list = sq_change_list,
    .get_doc = sq_change_get_doc,
    .list_docs = sq_change_list_docs,
    .timeline = sq_change_timeline,
    .rerender = sq_change_rerender,
    .emergency_ratio = sq_emergency_ratio,
};
static const struct gl_approval_store sq_approvals = {
    .get = sq_approval_get,
    .write = sq_approval_write,
    .reviews_due = sq_approval_reviews_due,
};
static const struct gl_calendar_store sq_calendar = {
    .window_create = sq_cal_window_create,
    .window_get = sq_cal_window_get,
    .window_delete = sq_cal_window_delete,
    .window_list = sq_cal_window_list,
    .blackout_create = sq_cal_blackout_create,
    .blackout_get = sq_cal_blackout_get,
    .blackout_delete = sq_cal_blackout_delete,
    .blackout_list = sq_cal_blackout_list,
    .schedule_summary = sq_schedule_summary_op,
    .schedule_check = sq_schedule_check_op,
    .schedule_write = sq_change_schedule_write,
    .changes = sq_cal_changes,
};
static const struct gl_doc_store sq_docs = {
    .create = sq_doc_create,
    .update = sq_doc_update,
    .get = sq_doc_get,
    .list = sq_doc_list,
    .version_get = sq_doc_version_get,
    .versions = sq_doc_versions,
    .link_change = sq_change_doc_link,
    .change_refs = sq_change_doc_refs,
    .complete_change = sq_change_complete_docs,
};
static const struct gl_auth_store sq_auth = {
    .user_create = sq_user_create,
    .user_get = sq_user_get,
    .token_create = sq_token_create,
    .token_revoke = sq_token_revoke,
    .token_lookup = sq_token_lookup,
    .token_list = sq_token_list,
    .token_revoke_owned = sq_token_revoke_owned,
    .user_set_password = sq_user_set_password,
    .user_credentials = sq_user_credentials,
    .session_create = sq_session_create,
    .session_lookup = sq_session_lookup,
    .session_revoke = sq_session_revoke,
    .login_failure_add = sq_login_failure_add,
    .login_failure_count = sq_login_failure_count,
    .login_failure_clear = sq_login_failure_clear,
    .feed_token_create = sq_feed_token_create,
    .feed_token_list = sq_feed_token_list,
    .feed_token_revoke = sq_feed_token_revoke,
    .feed_token_lookup = sq_feed_token_lookup,
};
static const struct gl_audit_store sq_audit = {
    .list = sq_audit_list,
    .export = sq_audit_export,
};
static const struct gl_policy_store sq_policy = {
    .get = sq_policy_get,
    .put = sq_policy_put,
    .versions = sq_policy_versions,
    .risk_inputs = sq_risk_inputs,
    .risk_save = sq_risk_save,
    .risk_current = sq_risk_current,
};
static const struct gl_template_store sq_templates = {
    .create = sq_template_create,
    .update = sq_template_update,
    .get = sq_template_get,
    .list = sq_template_list,
    .stats = sq_template_stats,
    .versions = sq_template_versions,
};

/* ---- open / close ------------------------------------------------------------------ */

static void sq_close(struct gl_store *st)
{
    struct sq_store *s = sq_store(st);
    sq_graph_cache_close(s); /* its builder thread uses the pool */
    sq_checkpointer_stop(s);
    sq_conn_close(s->writer);
    pthread_cond_destroy(&s->ckpt_cv);
    pthread_mutex_destroy(&s->ckpt_mu);
    /* Callers guarantee no operation is in flight, so every connection is idle. */
    while (s->idle) {
        struct sq_conn *c = s->idle;
        s->idle = c->next;
        sq_conn_close(c);
    }
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->write_cv);
    pthread_mutex_destroy(&s->write_mu);
    free(s->path);
    free(s);
}

/* The open itself migrates, so the first migrate call also reports what the open ran:
 * "greenlight db migrate" on a new file then says how many migrations it applied. */
int sq_migrate(struct gl_store *st, int *applied, struct gl_error *err)
{
    struct sq_store *s = sq_store(st);
    struct sq_conn *c = NULL;
    int n = 0;
    int rc = sq_acquire(s, &c, err);
    if (rc)
        return rc;
    rc = sq_migrate_conn(c, &n, err);
    sq_release(s, c);
    pthread_mutex_lock(&s->mu);
    n += s->opened_applied;
    s->opened_applied = 0;
    pthread_mutex_unlock(&s->mu);
    if (applied)
        *applied = rc ? 0 : n;
    return rc;
}

/* SQLite's allocation statistics take a global mutex on every malloc; nothing reads them. */
static void configure_sqlite(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

struct gl_store *gl_store_open_sqlite(const char *path, const struct gl_change_renderer *render,
                                      struct gl_error *err)
{
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    pthread_once(&configured, configure_sqlite);
    if (sodium_init() < 0) {
        gl_error_set(err, GL_E_INTERNAL, NULL, "libsodium failed to initialise");
        return NULL;
    }
    if (!path || !*path) {
        gl_error_set(err, GL_E_INVALID, "db", "no database path given");
        return NULL;
    }
    if (!render || !render->change || !render->with_risk) {
        gl_error_set(err, GL_E_INTERNAL, NULL, "no change renderer given");
        return NULL;
    }
    struct sq_store *s = calloc(1, sizeof *s);
    if (!s) {
        gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    s->base = (struct gl_store){
        .admin = &sq_admin,
        .clients = &sq_clients,
        .cis = &sq_cis,
        .graph = &sq_graph,
        .changes = &sq_changes,
        .approvals = &sq_approvals,
        .calendar = &sq_calendar,
        .docs = &sq_docs,
        .auth = &sq_auth,
        .audit = &sq_audit,
        .policy = &sq_policy,
        .templates = &sq_templates,
    };
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_mutex_init(&s->write_mu, NULL);
    pthread_cond_init(&s->write_cv, NULL);
    pthread_mutex_init(&s->ckpt_mu, NULL);
    pthread_cond_init(&s->ckpt_cv, NULL);
    s->render = render;
    s->path = strdup(path);
    if (!s->path) {
        gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    if (sq_migrate(&s->base, &s->opened_applied, err) != 0)
        goto fail;
    if (sq_checkpointer_start(s, err) != 0)
        goto fail;
    if (sq_graph_cache_open(s) != 0) {
        gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    return &s->base;
fail:
    sq_close(&s->base);
    return NULL;
}
