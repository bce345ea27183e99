/*
 * store.h - the one storage interface.
 *
 * A backend (SQLite in sqlite.c; PostgreSQL later) fills one method table per subject
 * (clients, CIs, graph, changes, approvals, calendar, documents, auth, audit, policy,
 * templates) with designated initialisers; everything above the store calls them by
 * subject (st->changes->get(st, ...)) and never sees SQL. The store persists and fetches; it never
 * decides. Every write is one transaction together with its audit event (hash-chained, see
 * core/audit.h), which the store builds from the gl_write_ctx and JSON snapshots of the record
 * before and after.
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

#include "core/approval.h"
#include "core/audit.h"
#include "core/calendar.h"
#include "core/change.h"
#include "core/cmdb.h"
#include "core/docs.h"
#include "core/error.h"
#include "core/impact.h"
#include "core/policy.h"
#include "core/report.h"
#include "core/risk.h"
#include "core/template.h"
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

/* Pages of stored change renderings (struct gl_change_doc, core/change.h). */
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

/* CI relationships (core/impact.h for the direction convention). */
struct gl_ci_relation {
    int64_t from_ci, to_ci;
    enum gl_rel_kind kind;
    int64_t from_client, to_client; /* 0 = shared */
};

struct gl_ci_relation_list {
    struct gl_ci_relation *items;
    size_t len;
};

/* A read snapshot for graph walks: one pooled connection in a read transaction, held
 * from graph_begin to graph_end, so a whole walk reads one consistent graph. Use it from
 * one thread. */
struct gl_graph_reader;

/* What-changed rows one query may return (struct gl_wc_rows, core/impact.h). */
#define GL_WC_ROWS_MAX 10000

/* Bulk import of CIs (ci_import). Each item is one row of the file. */
enum gl_import_outcome {
    GL_IMPORT_PENDING,  /* in: to be written */
    GL_IMPORT_CREATED,  /* out */
    GL_IMPORT_UPDATED,  /* out */
    GL_IMPORT_UNCHANGED, /* out: matched a CI that already holds these values; not written */
    GL_IMPORT_REJECTED, /* in: skip it (already refused); out: refused, *err says why */
};

struct gl_ci_import {
    struct gl_ci *ci;       /* borrowed; client_id resolved; on success the stored record */
    int64_t match_id;       /* update this CI; 0 = the CI of ci's client with ci's name, if any */
    enum gl_import_outcome outcome;
    struct gl_error *err;   /* borrowed; filled when rejected */
    /* Relations to add from this CI, by target name (borrowed): a CI of ci's client, else a
     * shared one, stored or in another item. Present ones are kept; none is removed. */
    const struct gl_ci_link *links;
    size_t nlinks;
    bool keep_attrs;        /* an update keeps the stored attributes (the file gave none) */
};

/* A CI's relation by its target's name (export): from_ci -link.kind-> link.name. */
struct gl_ci_named_link {
    int64_t from_ci;
    int64_t to_client; /* 0 = shared */
    struct gl_ci_link link; /* name owned */
};

struct gl_ci_named_links {
    struct gl_ci_named_link *items;
    size_t len;
};

/* The most changes one client report holds (struct gl_report_data, core/report.h). */
#define GL_REPORT_CHANGES_MAX 10000

/* The caller's decision on updating `stored` (visibility, permission): 0 or a gl_errcode
 * having filled err. Runs inside the write transaction. */
typedef int (*gl_ci_import_check)(void *ud, const struct gl_ci *stored, struct gl_error *err);

/* Documentation (core/docs.h). Lists are newest first, paged like changes. */
struct gl_doc_filter {
    const struct gl_scope *scope;
    int64_t client_id; /* 0 = any visible */
    int64_t ci_id;     /* 0 = any */
    int64_t before_id;
    int limit;
};

struct gl_document_page {
    struct gl_document *items;
    size_t len;
    int64_t next_cursor;
};

/* A document's versions, oldest first, without bodies. */
struct gl_doc_version_list {
    struct gl_doc_version *items;
    size_t len;
};

struct gl_doc_ref_list {
    struct gl_doc_ref *items;
    size_t len;
};

/* The change calendar's records and lists are in core/calendar.h. At most this many
 * changes answer one calendar query (struct gl_cal_change_list). */
#define GL_CAL_CHANGES_MAX 5000

/* What the calendar recorded when a change was scheduled or moved (change_schedule). */
struct gl_schedule_record {
    int64_t notified_at;
    const char *justification; /* borrowed; NULL = none */
    const char *flags;         /* borrowed; comma-separated, "" = none */
    const char *findings_json; /* borrowed JSON array */
};

/* One stored policy version as listed (GET /policy/versions), newest first. */
struct gl_policy_version {
    int64_t version;
    int64_t created_at;
    char *created_by; /* malloc'd */
    char *json;       /* malloc'd: the policy as stored, in the codec's wire form */
};

struct gl_policy_version_list {
    struct gl_policy_version *items;
    size_t len;
};

/* Approvals (core/approval.h; sqlite_approval.c). The votes of every round of a change,
 * oldest first, with the current round and when it was satisfied. */
struct gl_approval_record {
    int round;           /* the current round, >= 1 */
    int64_t approved_at; /* when the current round's approval completed; GL_TIME_UNSET */
    char *round_reason;  /* why the current round started (reject, re-approval); NULL = first */
    struct gl_approval_votes votes;
};

/* Emergency changes approved in their current round and not yet reviewed. */
struct gl_review_due {
    int64_t change_id;
    int64_t approved_at;
};

struct gl_review_due_list {
    struct gl_review_due *items;
    size_t len;
};

/* Emergency ratio rows: per requester (key = raised_by) or per client (key = client key). */
struct gl_emergency_row {
    char *key;
    int64_t client_id; /* per-client rows */
    int64_t total, emergency;
};

struct gl_emergency_rows {
    struct gl_emergency_row *items;
    size_t len;
};

/* Templates (core/template.h; sqlite_template.c). */
struct gl_template_filter {
    const struct gl_scope *scope; /* templates of every client (client 0) are always visible */
    int64_t client_id;            /* 0 = any visible */
    int64_t before_id;
    int limit;
};

struct gl_template_page {
    struct gl_template *items;
    size_t len;
    int64_t next_cursor;
};

/* One stored version of a template: its wire form (codec/json_template.h) when written. */
struct gl_template_version {
    int64_t version;
    int64_t created_at;
    char *created_by; /* malloc'd */
    char *json;       /* malloc'd */
};

struct gl_template_version_list {
    struct gl_template_version *items;
    size_t len;
};

/* An action run by admin->transact: every store call it makes (reads included) is part
 * of one transaction, which commits when it returns 0 and rolls back as a whole when it
 * returns an error. It may run on another thread than the caller's (group commit); it
 * must not wait for other threads that use the store. */
typedef int (*gl_store_tx_fn)(struct gl_store *st, void *arg, struct gl_error *err);

struct gl_store_admin {
    const char *name;
    /* Runs fn as one transaction (see gl_store_tx_fn); called from inside one, fn runs in
     * a savepoint of it. Returns fn's result, or GL_E_INTERNAL when the commit failed. */
    int (*transact)(struct gl_store *st, gl_store_tx_fn fn, void *arg, struct gl_error *err);
    void (*close)(struct gl_store *st);
    /* Applies pending migrations; *applied receives how many ran (may be NULL). Opening a
     * store already migrates it: the first call also counts the migrations the open ran. */
    int (*migrate)(struct gl_store *st, int *applied, struct gl_error *err);
    /* Consistent online copy of the whole database to a new file. */
    int (*backup)(struct gl_store *st, const char *dest_path, struct gl_error *err);
};

struct gl_client_store {
    int (*create)(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_client *c,
                  struct gl_error *err);
    int (*update)(struct gl_store *st, const struct gl_write_ctx *ctx,
                  const struct gl_client *before, struct gl_client *after, struct gl_error *err);
    int (*get)(struct gl_store *st, const char *key, struct gl_client *out, struct gl_error *err);
    int (*get_by_id)(struct gl_store *st, int64_t id, struct gl_client *out, struct gl_error *err);
    int (*list)(struct gl_store *st, const struct gl_scope *scope, struct gl_client_list *out,
                struct gl_error *err);
    /* The client report's data (struct gl_report_data) in one read transaction;
     * GL_E_TOO_LARGE beyond GL_REPORT_CHANGES_MAX changes. */
    int (*report)(struct gl_store *st, int64_t client_id, int64_t from, int64_t to,
                  struct gl_report_data *out, struct gl_error *err);
};

struct gl_ci_store {
    int (*create)(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_ci *ci,
                  struct gl_error *err);
    int (*update)(struct gl_store *st, const struct gl_write_ctx *ctx, const struct gl_ci *before,
                  struct gl_ci *after, struct gl_error *err);
    int (*get)(struct gl_store *st, int64_t id, struct gl_ci *out, struct gl_error *err);
    int (*list)(struct gl_store *st, const struct gl_ci_filter *f, struct gl_ci_page *out,
                struct gl_error *err);
    /* Relationships. add: GL_E_DUPLICATE when present, GL_E_INVALID when a CI does not
     * exist; delete: GL_E_NOT_FOUND when absent. Both audited on the from CI. */
    int (*relation_add)(struct gl_store *st, const struct gl_write_ctx *ctx,
                        const struct gl_ci_relation *r, struct gl_error *err);
    int (*relation_delete)(struct gl_store *st, const struct gl_write_ctx *ctx,
                           const struct gl_ci_relation *r, struct gl_error *err);
    /* Every edge from or to ci_id (out edges first), with both ends' clients. */
    int (*relations)(struct gl_store *st, int64_t ci_id, struct gl_ci_relation_list *out,
                     struct gl_error *err);
    /* Writes the PENDING items in file order, many per transaction, each atomic with its
     * audit event (ci.create / ci.update) in a savepoint of its own: a row that fails is
     * rolled back alone and marked REJECTED. An item with match_id, or whose (client, name)
     * matches a stored CI, updates that CI after check() allows it; others are created.
     * dry_run rolls every row back after doing all of it. Returns non-zero only when the
     * database fails as a whole (rows of transactions already committed stay written). */
    int (*import)(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_ci_import *items,
                  size_t n, bool dry_run, gl_ci_import_check check, void *ud, struct gl_error *err);
    /* The relations out of the n CIs ci_ids, with their targets' names and clients, ordered
     * by from_ci, kind, name. One query. */
    int (*named_links)(struct gl_store *st, const int64_t *ci_ids, size_t n,
                       struct gl_ci_named_links *out, struct gl_error *err);
};

struct gl_graph_store {
    int (*begin)(struct gl_store *st, struct gl_graph_reader **out, struct gl_error *err);
    /* Accepts NULL. */
    void (*end)(struct gl_graph_reader *r);
    /* Whether this reader walks the backend's in-memory copy of the graph rather than
     * querying (diagnostics and tests: both must answer alike). */
    bool (*in_memory)(const struct gl_graph_reader *r);
    /* Appends the neighbours of ci_id to out: forward = the CIs it depends on (edges
     * out of it), else the CIs that depend on it (edges into it). */
    int (*adjacent)(struct gl_graph_reader *r, int64_t ci_id, bool forward,
                    struct gl_graph_edges *out, struct gl_error *err);
    /* Appends what-changed rows on the nci CIs ci_ids (one row per change and CI), or,
     * with nci 0, of client client_id; at most GL_WC_ROWS_MAX in all (GL_E_TOO_LARGE
     * beyond). One query, whatever nci. */
    int (*changes)(struct gl_graph_reader *r, const int64_t *ci_ids, size_t nci, int64_t client_id,
                   int64_t since, int64_t until, struct gl_wc_rows *out, struct gl_error *err);
    /* Appends the documentation links of the n changes change_ids (one query). */
    int (*change_docs)(struct gl_graph_reader *r, const int64_t *change_ids, size_t n,
                       struct gl_change_doc_links *out, struct gl_error *err);
};

struct gl_change_store {
    /* Re-renders every stored change rendering of an older codec format (an upgrade that
     * bumped GL_JSON_CHANGE_FORMAT) or missing, many per transaction; *done counts them. Reads are
     * right meanwhile (they re-encode the record), only slower. */
    int (*rerender)(struct gl_store *st, int64_t *done, struct gl_error *err);
    /* Assigns id, version 1, created_at = updated_at = ctx->now. Fails GL_E_INVALID when a
     * CI or related change does not exist or a CI belongs to another client. */
    int (*create)(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_change *c,
                  struct gl_error *err);
    /* Writes `after` if the stored version still equals before->version (else GL_E_STALE);
     * sets after->version = before->version + 1 and after->updated_at = ctx->now. */
    int (*update)(struct gl_store *st, const struct gl_write_ctx *ctx,
                  const struct gl_change *before, struct gl_change *after, struct gl_error *err);
    int (*get)(struct gl_store *st, int64_t id, struct gl_change *out, struct gl_error *err);
    int (*list)(struct gl_store *st, const struct gl_change_filter *f, struct gl_change_page *out,
                struct gl_error *err);
    /* The same reads, returning the stored wire form (see struct gl_change_doc). */
    int (*get_doc)(struct gl_store *st, int64_t id, struct gl_change_doc *out,
                   struct gl_error *err);
    int (*list_docs)(struct gl_store *st, const struct gl_change_filter *f,
                     struct gl_change_doc_page *out, struct gl_error *err);
    /* Audit events of one change, oldest first. */
    int (*timeline)(struct gl_store *st, int64_t change_id, struct gl_audit_list *out,
                    struct gl_error *err);
    /* Changes that left draft, created in [from, to) (GL_TIME_UNSET = open), of the scope
     * (client_id 0 = any), counted per requester (by_client false) or per client, with how
     * many of them are emergencies; most emergencies first. */
    int (*emergency_ratio)(struct gl_store *st, const struct gl_scope *scope, int64_t client_id,
                           int64_t from, int64_t to, bool by_client, struct gl_emergency_rows *out,
                           struct gl_error *err);
};

struct gl_approval_store {
    /* Approvals. approval_get: the change's rounds and votes (round 1 and no votes for a
     * change never voted on). approval_write: the change's move before -> after (always
     * written, so concurrent votes on one change serialise on its version: GL_E_STALE)
     * with, in the same transaction and audit event, the vote v (may be NULL; its round
     * must be the current one, else GL_E_STALE), the round's approved_at = ctx->now when
     * `after` enters approved, and, with new_round, a new round started for round_reason.
     * approval_reviews_due: emergency changes of the scope (client_id 0 = any) approved
     * in their current round before `approved_before` and neither reviewed, closed nor
     * cancelled, oldest approval first, at most GL_LIST_MAX. */
    int (*get)(struct gl_store *st, int64_t change_id, struct gl_approval_record *out,
               struct gl_error *err);
    int (*write)(struct gl_store *st, const struct gl_write_ctx *ctx,
                 const struct gl_change *before, struct gl_change *after,
                 const struct gl_approval_vote *v, bool new_round, const char *round_reason,
                 struct gl_error *err);
    int (*reviews_due)(struct gl_store *st, const struct gl_scope *scope, int64_t client_id,
                       int64_t approved_before, struct gl_review_due_list *out,
                       struct gl_error *err);
};

struct gl_calendar_store {
    /* The change calendar (sqlite_calendar*.c). Window and blackout writes are audited
     * under their client (global blackouts under client 0); delete answers GL_E_NOT_FOUND
     * when absent. window_list gives a client's windows (its own and its CIs');
     * blackout_list a client's and, with include_global, the global ones (client_id 0 and
     * include_global: global ones only). */
    int (*window_create)(struct gl_store *st, const struct gl_write_ctx *ctx,
                         struct gl_cal_window *w, struct gl_error *err);
    int (*window_get)(struct gl_store *st, int64_t id, struct gl_cal_window *out,
                      struct gl_error *err);
    int (*window_delete)(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t id,
                         struct gl_error *err);
    int (*window_list)(struct gl_store *st, int64_t client_id, struct gl_cal_window_list *out,
                       struct gl_error *err);
    int (*blackout_create)(struct gl_store *st, const struct gl_write_ctx *ctx,
                           struct gl_cal_blackout *b, struct gl_error *err);
    int (*blackout_get)(struct gl_store *st, int64_t id, struct gl_cal_blackout *out,
                        struct gl_error *err);
    int (*blackout_delete)(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t id,
                           struct gl_error *err);
    int (*blackout_list)(struct gl_store *st, int64_t client_id, bool include_global,
                         struct gl_cal_blackout_list *out, struct gl_error *err);
    /* The numbers the risk score needs about c's planned time (core/schedule.h): windows
     * (CI windows override the client's), blackouts, notice counted from the recorded
     * notification (else `now`), conflicts at GL_CAL_DEPTH_DEFAULT. */
    int (*schedule_summary)(struct gl_store *st, const struct gl_change *c, int64_t now,
                            struct gl_schedule_summary *out, struct gl_error *err);
    /* The same, explained: which blackouts, which changes on which CIs by which path.
     * notified_at GL_TIME_UNSET = the recorded one, else now. out is released by
     * gl_cal_check_release. */
    int (*schedule_check)(struct gl_store *st, const struct gl_change *c, int64_t now,
                          int64_t notified_at, int depth, struct gl_cal_check *out,
                          struct gl_error *err);
    /* change_update together with the change's schedule record, in one transaction with
     * the change's audit event and a "change.schedule_findings" event (entity
     * "change_schedule", id = the change's) carrying rec. */
    int (*schedule_write)(struct gl_store *st, const struct gl_write_ctx *ctx,
                          const struct gl_change *before, struct gl_change *after,
                          const struct gl_schedule_record *rec, struct gl_error *err);
    /* Changes of client_id (0 = every client in scope) in flight or done whose planned
     * time overlaps [from, to), by planned start; GL_E_TOO_LARGE over GL_CAL_CHANGES_MAX. */
    int (*changes)(struct gl_store *st, const struct gl_scope *scope, int64_t client_id,
                   int64_t from, int64_t to, struct gl_cal_change_list *out, struct gl_error *err);
};

struct gl_doc_store {
    /* Documentation. doc_create stores d (id, version 1, current_version 1, times
     * assigned) with v as its version 1 (author and format given; created_at = now).
     * doc_update writes `after` if the stored version is before->version (else
     * GL_E_STALE), and with v not NULL appends it as version current_version + 1.
     * Reads fill last_version_at and the facts of core/docs.h (gl_doc_possibly_stale). */
    int (*create)(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_document *d,
                  struct gl_doc_version *v, struct gl_error *err);
    int (*update)(struct gl_store *st, const struct gl_write_ctx *ctx,
                  const struct gl_document *before, struct gl_document *after,
                  struct gl_doc_version *v, struct gl_error *err);
    int (*get)(struct gl_store *st, int64_t id, struct gl_document *out, struct gl_error *err);
    int (*list)(struct gl_store *st, const struct gl_doc_filter *f, struct gl_document_page *out,
                struct gl_error *err);
    /* One version with its body; GL_E_NOT_FOUND when absent. */
    int (*version_get)(struct gl_store *st, int64_t doc_id, int64_t version,
                       struct gl_doc_version *out, struct gl_error *err);
    int (*versions)(struct gl_store *st, int64_t doc_id, struct gl_doc_version_list *out,
                    struct gl_error *err);
    /* Links doc_id's current version to change c as its baseline (audited on the change;
     * linking again moves the baseline to the current version). */
    int (*link_change)(struct gl_store *st, const struct gl_write_ctx *ctx,
                       const struct gl_change *c, int64_t doc_id, int64_t *base_version,
                       struct gl_error *err);
    /* The documents a change touches: those of its CIs and those linked to it. */
    int (*change_refs)(struct gl_store *st, const struct gl_change *c, struct gl_doc_ref_list *out,
                       struct gl_error *err);
    /* change_update of a completion together with its documentation: the resulting
     * versions, or (no_doc_affected) a "none affected" mark on every document in refs. */
    int (*complete_change)(struct gl_store *st, const struct gl_write_ctx *ctx,
                           const struct gl_change *before, struct gl_change *after,
                           const struct gl_doc_result *results, size_t nresults,
                           const struct gl_doc_ref_list *refs, bool no_doc_affected,
                           struct gl_error *err);
};

struct gl_auth_store {
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
    int (*token_revoke_owned)(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t token_id,
                              int64_t owner_id, int64_t *user_id, struct gl_error *err);
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
    /* Calendar feed tokens (hash only). lookup: the owner of an unrevoked token and the
     * feed's client (0 = per-user), else GL_E_UNAUTHORIZED. revoke: GL_E_NOT_FOUND for
     * another owner's (owner_id 0 = any) or an unknown token. */
    int (*feed_token_create)(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t user_id,
                             int64_t client_id, const unsigned char hash[32], int64_t *id,
                             struct gl_error *err);
    int (*feed_token_list)(struct gl_store *st, int64_t user_id, struct gl_feed_token_list *out,
                           struct gl_error *err);
    int (*feed_token_revoke)(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t id,
                             int64_t owner_id, struct gl_error *err);
    int (*feed_token_lookup)(struct gl_store *st, const unsigned char hash[32], struct gl_user *out,
                             int64_t *client_id, struct gl_error *err);
};

struct gl_audit_store {
    /* Audit events with id > after_id, oldest first, at most limit. */
    int (*list)(struct gl_store *st, int64_t after_id, int limit, struct gl_audit_list *out,
                struct gl_error *err);
    /* A page of the audit export (struct gl_audit_filter); GL_E_INVALID for a bad limit
     * or a cursor that names no event. */
    int (*export)(struct gl_store *st, const struct gl_audit_filter *f, struct gl_audit_page *out,
                  struct gl_error *err);
};

struct gl_policy_store {
    /* Policy (core/policy.h). policy_get: the stored policy in force, or gl_policy_default
     * (version 0) when none is stored. policy_put: validates p (GL_E_INVALID with the
     * field), stores it as the next version with a "policy.update" audit event and sets
     * p->version. On input p->version is the version it replaces (GL_E_STALE when the
     * one in force differs; 0 = the built-in default), or -1 to replace whatever is in
     * force. policy_versions: every stored version, newest first. */
    int (*get)(struct gl_store *st, struct gl_policy *out, struct gl_error *err);
    int (*put)(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_policy *p,
               struct gl_error *err);
    int (*versions)(struct gl_store *st, struct gl_policy_version_list *out, struct gl_error *err);
    /* Risk (core/risk.h). The store gathers and saves; the score is the core's, asked for by
     * the app layer (app/risk.c).
     * risk_inputs: what the score of change c needs (CMDB walk downstream of its CIs, its
     * CIs' criticality and users, history on the same CIs and template, the calendar's
     * numbers at `now`, the rollback plan).
     * risk_save: stores `a` (its change_id, inputs, factors, score, level, policy_version,
     * assessed_at) when its inputs or policy version differ from the latest stored
     * assessment, with an audit event (action "risk.assess", entity "risk", entity id the
     * change's, under client_id) and the rendering's "risk" summary. *stored tells whether
     * it was; when not, a->assessed_at becomes the standing one's. *changed: the INPUTS
     * differ from a previous assessment (false for the first one and for a policy-only
     * change). Re-checked inside the write, so concurrent saves of one change store one.
     * risk_current: the latest stored assessment; GL_E_NOT_FOUND when never assessed. */
    int (*risk_inputs)(struct gl_store *st, const struct gl_change *c, int64_t now,
                       struct gl_risk_inputs *out, struct gl_error *err);
    int (*risk_save)(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t client_id,
                     struct gl_risk_assessment *a, bool *stored, bool *changed,
                     struct gl_error *err);
    int (*risk_current)(struct gl_store *st, int64_t change_id, struct gl_risk_assessment *out,
                        struct gl_error *err);
};

struct gl_template_store {
    /* Templates: create (id, version 1, times), update (optimistic on before->version;
     * ctx->action names the audit action: template.update, template.revoke,
     * template.reapprove), get, list (newest first), and the finished changes made from
     * a template (completed, failed, rolled back, and the reviewed/closed ones among
     * them) with how many failed or were rolled back. Names are unique per client
     * (GL_E_DUPLICATE "name"). */
    int (*create)(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_template *t,
                  struct gl_error *err);
    int (*update)(struct gl_store *st, const struct gl_write_ctx *ctx,
                  const struct gl_template *before, struct gl_template *after,
                  struct gl_error *err);
    int (*get)(struct gl_store *st, int64_t id, struct gl_template *out, struct gl_error *err);
    int (*list)(struct gl_store *st, const struct gl_template_filter *f,
                struct gl_template_page *out, struct gl_error *err);
    int (*stats)(struct gl_store *st, int64_t template_id, int64_t *changes, int64_t *failures,
                 struct gl_error *err);
    /* Every version of a template, oldest first (GL_E_NOT_FOUND for an unknown id). */
    int (*versions)(struct gl_store *st, int64_t template_id, struct gl_template_version_list *out,
                    struct gl_error *err);
};

/* A backend's method tables, one per subject, so a second backend can be built and
 * tested one subject at a time. Call sites name the subject: st->changes->get(st, ...). */
struct gl_store {
    const struct gl_store_admin *admin;
    const struct gl_client_store *clients;
    const struct gl_ci_store *cis;
    const struct gl_graph_store *graph;
    const struct gl_change_store *changes;
    const struct gl_approval_store *approvals;
    const struct gl_calendar_store *calendar;
    const struct gl_doc_store *docs;
    const struct gl_auth_store *auth;
    const struct gl_audit_store *audit;
    const struct gl_policy_store *policy;
    const struct gl_template_store *templates;
};

/* Opens (creating when absent) the SQLite database at path and migrates it. render makes
 * the change renderings the store keeps for reads (borrowed; must outlive the store: the
 * codec's gl_json_change_renderer()). Returns NULL and fills err on failure. Close with
 * gl_store_close. */
struct gl_store *gl_store_open_sqlite(const char *path, const struct gl_change_renderer *render,
                                      struct gl_error *err);
/* Accepts NULL. */
void gl_store_close(struct gl_store *st);

void gl_change_page_release(struct gl_change_page *p);
void gl_change_doc_page_release(struct gl_change_doc_page *p);
void gl_ci_page_release(struct gl_ci_page *p);
void gl_client_list_release(struct gl_client_list *l);
void gl_audit_page_release(struct gl_audit_page *p);
void gl_document_page_release(struct gl_document_page *p);
void gl_doc_version_list_release(struct gl_doc_version_list *l);
void gl_doc_ref_list_release(struct gl_doc_ref_list *l);

/* Verifies the whole audit chain (see struct gl_audit_verifier), reading it through
 * audit_list a page at a time, so memory stays constant however long the log is. Events
 * appended while it runs are verified too when they are reached. Returns 0 with v filled
 * (v->broken_id != 0 when the chain is broken), or a gl_errcode when the log cannot be
 * read. */
int gl_store_audit_verify(struct gl_store *st, struct gl_audit_verifier *v,
                          struct gl_error *err);
void gl_token_list_release(struct gl_token_list *l);
void gl_ci_relation_list_release(struct gl_ci_relation_list *l);
void gl_ci_named_links_release(struct gl_ci_named_links *l);
void gl_policy_version_list_release(struct gl_policy_version_list *l);
void gl_approval_record_release(struct gl_approval_record *r);
void gl_review_due_list_release(struct gl_review_due_list *l);
void gl_emergency_rows_release(struct gl_emergency_rows *r);
void gl_template_page_release(struct gl_template_page *p);
void gl_template_version_list_release(struct gl_template_version_list *l);

#endif
