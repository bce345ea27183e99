/*
 * store.h - the one storage interface.
 *
 * A backend (SQLite in sqlite.c; PostgreSQL later) fills a struct gl_store_ops with
 * designated initialisers; everything above the store calls the gl_store_* wrappers
 * below and never sees SQL. The store persists and fetches; it never decides. Every write
 * is one transaction together with its audit event (hash-chained, see core/audit.h),
 * which the store builds from the gl_write_ctx and JSON snapshots of the record before
 * and after.
 *
 * Threading: a gl_store may be used from many threads at once; each call takes a
 * connection from the backend's pool for its duration.
 *
 * Ownership: output structs (gl_change, lists, pages) are filled by the store and owned
 * by the caller, who releases them with the matching *_release. Input structs are
 * borrowed; create calls write back the assigned id, version and timestamps.
 *
 * Every call returns 0 or a gl_errcode (also stored in err): GL_E_NOT_FOUND for a missing
 * record, GL_E_STALE when expected versions differ, GL_E_DUPLICATE for a taken unique
 * key, GL_E_INVALID for a reference to a record that does not exist (err->field names
 * it), GL_E_INTERNAL for database failures.
 */
#ifndef GL_STORE_H
#define GL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/audit.h"
#include "core/change.h"
#include "core/cmdb.h"
#include "core/error.h"
#include "core/user.h"

struct gl_store;

/* Who writes, when, and why: becomes the audit event. Strings are borrowed. */
struct gl_write_ctx {
    const char *actor;      /* user name, "system" for set-up */
    const char *request_id; /* may be NULL */
    const char *action;     /* audit action, e.g. "change.submit" */
    const char *reason;     /* may be NULL */
    int64_t now;            /* UTC seconds; becomes created_at / updated_at / event time */
};

#define GL_LIST_MAX 200

struct gl_change_filter {
    const struct gl_scope *scope; /* NULL or all = every client */
    int64_t client_id;            /* 0 = any */
    uint32_t state_mask;          /* bit (1u << state); 0 = any */
    uint32_t type_mask;           /* bit (1u << type); 0 = any */
    int64_t ci_id;                /* 0 = any */
    int64_t from, to;             /* planned window overlaps [from, to); GL_TIME_UNSET = open */
    const char *text;             /* free-text search over title, description, plans; NULL = none */
    int64_t before_id;            /* cursor: only ids below it (newest first); 0 = from the top */
    int limit;                    /* 1..GL_LIST_MAX */
};

struct gl_change_page {
    struct gl_change *items;
    size_t len;
    int64_t next_cursor; /* pass as before_id for the next page; 0 = no more */
};

/*
 * A change as stored on the wire: every write renders the record with the codec
 * (gl_json_change_dump) and keeps the text beside the row, in the same transaction. Reads
 * that only return the record (GET, lists) then cost one lookup and no decoding or
 * encoding. `format` is the codec's GL_JSON_CHANGE_FORMAT at the time of the write; a
 * reader that finds another value must fall back to change_get / change_list.
 */
struct gl_change_doc {
    int64_t id;
    int64_t version;
    int64_t client_id;
    int format;
    char *json; /* malloc'd */
};

struct gl_change_doc_page {
    struct gl_change_doc *items;
    size_t len;
    int64_t next_cursor;
};

struct gl_ci_filter {
    const struct gl_scope *scope;
    int64_t client_id; /* 0 = any (shared CIs are visible to every scope) */
    const char *type;  /* NULL = any */
    const char *text;  /* substring of name; NULL = none */
    int64_t before_id;
    int limit;
};

struct gl_ci_page {
    struct gl_ci *items;
    size_t len;
    int64_t next_cursor;
};

struct gl_client_list {
    struct gl_client *items;
    size_t len;
};

/* An API token as listed: never its hash. */
struct gl_token_info {
    int64_t id;
    int64_t user_id;
    int64_t created_at;
    int64_t expires_at; /* GL_TIME_UNSET = never */
    int64_t revoked_at; /* GL_TIME_UNSET = still valid */
};

struct gl_token_list {
    struct gl_token_info *items;
    size_t len;
};

#define GL_CSRF_MAX 64

/* A browser session as the store returns it (the cookie itself is never stored). */
struct gl_session {
    int64_t id;
    int64_t user_id;
    char csrf_token[GL_CSRF_MAX];
    int64_t created_at;
    int64_t expires_at;
};

/* The audit export: events of one client in a time range, oldest first by (at, id). */
#define GL_AUDIT_PAGE_MAX 1000

struct gl_audit_filter {
    int64_t client_id; /* 0 = every event, the global ones (users, tokens) included */
    int64_t from, to;  /* at in [from, to); GL_TIME_UNSET = open */
    int64_t after_id;  /* cursor: the next_cursor of the previous page; 0 = from the start */
    int limit;         /* 1..GL_AUDIT_PAGE_MAX */
};

struct gl_audit_page {
    struct gl_audit_event *items;
    size_t len;
    int64_t next_cursor; /* pass as after_id for the next page; 0 = no more */
};

struct gl_store_ops {
    const char *name;
    void (*close)(struct gl_store *st);
    /* Applies pending migrations; *applied receives how many ran (may be NULL). Opening a
     * store already migrates it: the first call also counts the migrations the open ran. */
    int (*migrate)(struct gl_store *st, int *applied, struct gl_error *err);
    /* Consistent online copy of the whole database to a new file. */
    int (*backup)(struct gl_store *st, const char *dest_path, struct gl_error *err);

    int (*client_create)(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_client *c,
                         struct gl_error *err);
    int (*client_update)(struct gl_store *st, const struct gl_write_ctx *ctx,
                         const struct gl_client *before, struct gl_client *after,
                         struct gl_error *err);
    int (*client_get)(struct gl_store *st, const char *key, struct gl_client *out,
                      struct gl_error *err);
    int (*client_get_by_id)(struct gl_store *st, int64_t id, struct gl_client *out,
                            struct gl_error *err);
    int (*client_list)(struct gl_store *st, const struct gl_scope *scope,
                       struct gl_client_list *out, struct gl_error *err);

    int (*ci_create)(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_ci *ci,
                     struct gl_error *err);
    int (*ci_update)(struct gl_store *st, const struct gl_write_ctx *ctx,
                     const struct gl_ci *before, struct gl_ci *after, struct gl_error *err);
    int (*ci_get)(struct gl_store *st, int64_t id, struct gl_ci *out, struct gl_error *err);
    int (*ci_list)(struct gl_store *st, const struct gl_ci_filter *f, struct gl_ci_page *out,
                   struct gl_error *err);

    /* Assigns id, version 1, created_at = updated_at = ctx->now. Fails GL_E_INVALID when a
     * CI or related change does not exist or a CI belongs to another client. */
    int (*change_create)(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_change *c,
                         struct gl_error *err);
    /* Writes `after` if the stored version still equals before->version (else GL_E_STALE);
     * sets after->version = before->version + 1 and after->updated_at = ctx->now. */
    int (*change_update)(struct gl_store *st, const struct gl_write_ctx *ctx,
                         const struct gl_change *before, struct gl_change *after,
                         struct gl_error *err);
    int (*change_get)(struct gl_store *st, int64_t id, struct gl_change *out,
                      struct gl_error *err);
    int (*change_list)(struct gl_store *st, const struct gl_change_filter *f,
                       struct gl_change_page *out, struct gl_error *err);
    /* The same reads, returning the stored wire form (see struct gl_change_doc). */
    int (*change_get_doc)(struct gl_store *st, int64_t id, struct gl_change_doc *out,
                          struct gl_error *err);
    int (*change_list_docs)(struct gl_store *st, const struct gl_change_filter *f,
                            struct gl_change_doc_page *out, struct gl_error *err);
    /* Audit events of one change, oldest first. */
    int (*change_timeline)(struct gl_store *st, int64_t change_id, struct gl_audit_list *out,
                           struct gl_error *err);

    int (*user_create)(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_user *u,
                       struct gl_error *err);
    int (*user_get)(struct gl_store *st, const char *name, struct gl_user *out,
                    struct gl_error *err);
    /* Stores a token's hash (never the token). expires_at may be GL_TIME_UNSET. */
    int (*token_create)(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t user_id,
                        const unsigned char hash[32], int64_t expires_at, int64_t *token_id,
                        struct gl_error *err);
    /* Marks a token revoked at ctx->now (idempotent); GL_E_NOT_FOUND for an unknown id. */
    int (*token_revoke)(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t token_id,
                        struct gl_error *err);
    /* The user holding an unexpired, unrevoked token with this hash; GL_E_UNAUTHORIZED else. */
    int (*token_lookup)(struct gl_store *st, const unsigned char hash[32], int64_t now,
                        struct gl_user *out, struct gl_error *err);
    /* The tokens of user_id, newest first. */
    int (*token_list)(struct gl_store *st, int64_t user_id, struct gl_token_list *out,
                      struct gl_error *err);
    /* token_revoke limited to the tokens of owner_id (0 = any owner): another user's token
     * is GL_E_NOT_FOUND. *user_id (may be NULL) receives the token's owner. */
    int (*token_revoke_owned)(struct gl_store *st, const struct gl_write_ctx *ctx,
                              int64_t token_id, int64_t owner_id, int64_t *user_id,
                              struct gl_error *err);

    /* Sets (hash = crypto_pwhash_str output) or clears (NULL) a user's password and ends
     * the user's open sessions at ctx->now. GL_E_NOT_FOUND for an unknown id. */
    int (*user_set_password)(struct gl_store *st, const struct gl_write_ctx *ctx,
                             int64_t user_id, const char *hash, struct gl_error *err);
    /* The user called name and its password hash (*hash malloc'd; NULL when the user has
     * no password). GL_E_NOT_FOUND for an unknown name. */
    int (*user_credentials)(struct gl_store *st, const char *name, struct gl_user *out,
                            char **hash, struct gl_error *err);
    /* Stores a session by the hash of its cookie, with its CSRF token. */
    int (*session_create)(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t user_id,
                          const unsigned char hash[32], const char *csrf_token,
                          int64_t expires_at, int64_t *session_id, struct gl_error *err);
    /* The user of an unexpired, unrevoked session with this hash, and the session;
     * GL_E_UNAUTHORIZED else. */
    int (*session_lookup)(struct gl_store *st, const unsigned char hash[32], int64_t now,
                          struct gl_user *out, struct gl_session *s, struct gl_error *err);
    /* Marks a session revoked at ctx->now (idempotent); GL_E_NOT_FOUND when unknown. */
    int (*session_revoke)(struct gl_store *st, const struct gl_write_ctx *ctx,
                          const unsigned char hash[32], struct gl_error *err);
    /* Failed logins, counted per key ("user:NAME", "addr:IP"). add records one at `at`
     * (and forgets the key's failures older than a day); count gives how many are at or
     * after `since` and the earliest of them (GL_TIME_UNSET when none); clear forgets all
     * of the key's failures. Bookkeeping, not records: none of them is audited. */
    int (*login_failure_add)(struct gl_store *st, const char *key, int64_t at,
                             struct gl_error *err);
    int (*login_failure_count)(struct gl_store *st, const char *key, int64_t since, int *count,
                               int64_t *earliest, struct gl_error *err);
    int (*login_failure_clear)(struct gl_store *st, const char *key, struct gl_error *err);

    /* Audit events with id > after_id, oldest first, at most limit. */
    int (*audit_list)(struct gl_store *st, int64_t after_id, int limit, struct gl_audit_list *out,
                      struct gl_error *err);
    /* A page of the audit export (struct gl_audit_filter); GL_E_INVALID for a bad limit
     * or a cursor that names no event. */
    int (*audit_export)(struct gl_store *st, const struct gl_audit_filter *f,
                        struct gl_audit_page *out, struct gl_error *err);
};

struct gl_store {
    const struct gl_store_ops *ops;
};

/* Opens (creating when absent) the SQLite database at path and migrates it.
 * Returns NULL and fills err on failure. Close with gl_store_close. */
struct gl_store *gl_store_open_sqlite(const char *path, struct gl_error *err);
/* Accepts NULL. */
void gl_store_close(struct gl_store *st);

void gl_change_page_release(struct gl_change_page *p);
void gl_change_doc_release(struct gl_change_doc *d);
void gl_change_doc_page_release(struct gl_change_doc_page *p);
void gl_ci_page_release(struct gl_ci_page *p);
void gl_client_list_release(struct gl_client_list *l);
void gl_audit_page_release(struct gl_audit_page *p);

/* Verifies the whole audit chain (see struct gl_audit_verifier), reading it through
 * audit_list a page at a time, so memory stays constant however long the log is. Events
 * appended while it runs are verified too when they are reached. Returns 0 with v filled
 * (v->broken_id != 0 when the chain is broken), or a gl_errcode when the log cannot be
 * read. */
int gl_store_audit_verify(struct gl_store *st, struct gl_audit_verifier *v,
                          struct gl_error *err);
void gl_token_list_release(struct gl_token_list *l);

#endif
