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

    /* Audit events with id > after_id, oldest first, at most limit. */
    int (*audit_list)(struct gl_store *st, int64_t after_id, int limit, struct gl_audit_list *out,
                      struct gl_error *err);
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

#endif
