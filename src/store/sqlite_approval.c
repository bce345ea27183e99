/*
 * sqlite_approval.c - approval rounds and votes, emergency review deadlines and the
 * emergency-ratio misuse signal, in SQLite.
 *
 * Invariants:
 *  - a vote is written in the same sq_write job as the change's move and its audit event
 *    (sq_change_update_conn), so the change's version orders concurrent votes: a vote
 *    computed from a stale read fails GL_E_STALE and writes nothing;
 *  - a change has no approval_rounds row until its first round ends or is approved; its
 *    current round is the highest row's, else 1;
 *  - approved_at of a round is set once, when the change enters approved in it.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#include "util/banned.h"

static const char round_sql[] =
    "SELECT round, approved_at, reason FROM approval_rounds WHERE change_id = ? "
    "ORDER BY round DESC LIMIT 1";
static const char votes_sql[] =
    "SELECT id, round, user, stage, decision, comment, assessed_at, at FROM change_approvals "
    "WHERE change_id = ? ORDER BY id";
static const char vote_insert_sql[] =
    "INSERT INTO change_approvals (change_id, round, user, stage, decision, comment, "
    "assessed_at, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char round_add_sql[] =
    "INSERT INTO approval_rounds (change_id, round, started_at, reason) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (change_id, round) DO NOTHING";
static const char round_approved_sql[] =
    "UPDATE approval_rounds SET approved_at = ? WHERE change_id = ? AND round = ? "
    "AND approved_at IS NULL";

/* The current round of a change: its number, approval time and reason. */
static int current_round(struct sq_conn *c, int64_t change_id, int *round, int64_t *approved_at,
                         char **reason, struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_APPROVAL_ROUND, round_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, change_id);
    int src = sqlite3_step(st), rc = 0;
    *round = 1;
    *approved_at = GL_TIME_UNSET;
    if (src == SQLITE_ROW) {
        *round = sqlite3_column_int(st, 0);
        *approved_at = sq_col_time(st, 1);
        if (reason && sq_col_text(st, 2, reason))
            rc = sq_oom(err);
    } else if (src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "read approval round", err);
    sqlite3_reset(st);
    return rc;
}

static int read_votes(struct sq_conn *c, int64_t change_id, struct gl_approval_votes *out,
                      struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_APPROVAL_VOTES, votes_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, change_id);
    size_t cap = 0;
    int src, rc = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (sq_grow((void **)&out->items, out->len, &cap, sizeof *out->items)) {
            rc = sq_oom(err);
            break;
        }
        struct gl_approval_vote *v = &out->items[out->len];
        memset(v, 0, sizeof *v);
        v->id = sqlite3_column_int64(st, 0);
        v->change_id = change_id;
        v->round = sqlite3_column_int(st, 1);
        const char *user = (const char *)sqlite3_column_text(st, 2);
        size_t n = user ? strlen(user) : 0;
        if (n >= sizeof v->user)
            n = sizeof v->user - 1;
        memcpy(v->user, user ? user : "", n);
        v->user[n] = '\0';
        if (gl_approval_stage_parse((const char *)sqlite3_column_text(st, 3), &v->stage) ||
            gl_vote_decision_parse((const char *)sqlite3_column_text(st, 4), &v->decision)) {
            rc = gl_error_set(err, GL_E_INTERNAL, NULL, "vote %lld has an unknown stage",
                              (long long)v->id);
            break;
        }
        if (sq_col_text(st, 5, &v->comment)) {
            rc = sq_oom(err);
            break;
        }
        v->assessed_at = sq_col_time(st, 6);
        v->at = sqlite3_column_int64(st, 7);
        out->len++;
    }
    if (!rc && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "read votes", err);
    sqlite3_reset(st);
    return rc;
}

struct approval_args {
    int64_t change_id;
    struct gl_approval_record *rec;
    const struct gl_write_ctx *ctx;
    const struct gl_change *before;
    struct gl_change *after;
    const struct gl_approval_vote *vote;
    bool new_round;
    const char *round_reason;
};

static int get_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct approval_args *a = arg;
    int rc = current_round(c, a->change_id, &a->rec->round, &a->rec->approved_at,
                           &a->rec->round_reason, err);
    return rc ? rc : read_votes(c, a->change_id, &a->rec->votes, err);
}

int sq_approval_get(struct gl_store *st, int64_t change_id, struct gl_approval_record *out,
                    struct gl_error *err)
{
    *out = (struct gl_approval_record){.round = 1, .approved_at = GL_TIME_UNSET};
    struct approval_args a = {.change_id = change_id, .rec = out};
    int rc = sq_with_tx(st, false, get_tx, &a, err);
    if (rc)
        gl_approval_record_release(out);
    return rc;
}

static int add_round(struct sq_conn *c, int64_t change_id, int round, int64_t at,
                     const char *reason, struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_APPROVAL_ROUND_ADD, round_add_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, change_id);
    sqlite3_bind_int(st, 2, round);
    sqlite3_bind_int64(st, 3, at);
    sq_bind_text(st, 4, reason);
    return sq_exec_stmt(c, st, NULL, "start approval round", err);
}

static int insert_vote(struct sq_conn *c, const struct gl_approval_vote *v, int64_t change_id,
                       int round, int64_t at, struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_APPROVAL_INSERT, vote_insert_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, change_id);
    sqlite3_bind_int(st, 2, round);
    sq_bind_text(st, 3, v->user);
    sq_bind_text(st, 4, gl_approval_stage_name(v->stage));
    sq_bind_text(st, 5, gl_vote_decision_name(v->decision));
    sq_bind_text(st, 6, v->comment);
    sq_bind_time(st, 7, v->assessed_at);
    sqlite3_bind_int64(st, 8, at);
    int rc = sq_exec_stmt(c, st, NULL, "record vote", err);
    if (rc == GL_E_DUPLICATE)
        return gl_error_set(err, GL_E_DUPLICATE, NULL, "%s already voted in this approval round",
                            v->user);
    return rc;
}

static int mark_approved(struct sq_conn *c, int64_t change_id, int round, int64_t at,
                         struct gl_error *err)
{
    /* The round needs its row to carry approved_at; round 1 gets one now. */
    int rc = add_round(c, change_id, round, at, NULL, err);
    sqlite3_stmt *st = rc ? NULL : sq_stmt(c, SQ_APPROVAL_ROUND_APPROVED, round_approved_sql, err);
    if (rc || !st)
        return rc ? rc : GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, at);
    sqlite3_bind_int64(st, 2, change_id);
    sqlite3_bind_int(st, 3, round);
    return sq_exec_stmt(c, st, NULL, "mark round approved", err);
}

static int write_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct approval_args *a = arg;
    int64_t id = a->before->id, approved_at;
    int round;
    int rc = current_round(c, id, &round, &approved_at, NULL, err);
    if (rc || (rc = sq_change_update_conn(c, a->ctx, a->before, a->after, err)))
        return rc;
    if (a->vote) {
        if (a->vote->round != round)
            return gl_error_set(err, GL_E_STALE, "version",
                                "approval round %d has ended; read the approvals again",
                                a->vote->round);
        if ((rc = insert_vote(c, a->vote, id, round, a->ctx->now, err)))
            return rc;
    }
    if (a->after->state == GL_STATE_APPROVED && a->before->state != GL_STATE_APPROVED &&
        (rc = mark_approved(c, id, round, a->ctx->now, err)))
        return rc;
    if (!a->new_round)
        return 0;
    /* The ending round gets its row too, so round numbers stay dense. */
    rc = add_round(c, id, round, a->ctx->now, NULL, err);
    return rc ? rc : add_round(c, id, round + 1, a->ctx->now, a->round_reason, err);
}

int sq_approval_write(struct gl_store *st, const struct gl_write_ctx *ctx,
                      const struct gl_change *before, struct gl_change *after,
                      const struct gl_approval_vote *v, bool new_round, const char *round_reason,
                      struct gl_error *err)
{
    const int64_t saved_version = after->version, saved_updated = after->updated_at;
    struct approval_args a = {.ctx = ctx,
                              .before = before,
                              .after = after,
                              .vote = v,
                              .new_round = new_round,
                              .round_reason = round_reason};
    int rc = sq_with_tx(st, true, write_tx, &a, err);
    if (rc) {
        after->version = saved_version;
        after->updated_at = saved_updated;
    }
    return rc;
}

/* ---- emergency reviews ------------------------------------------------------------------ */

struct due_args {
    const struct gl_scope *scope;
    int64_t client_id, cutoff;
    struct gl_review_due_list *out;
};

static int due_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct due_args *a = arg;
    struct gl_buf sql = GL_BUF_INIT;
    int bad = gl_buf_puts(
        &sql, "SELECT ch.id, r.approved_at FROM changes ch JOIN approval_rounds r "
              "ON r.change_id = ch.id AND r.round = (SELECT max(round) FROM approval_rounds "
              "WHERE change_id = ch.id) WHERE ch.type = 'emergency' AND ch.state IN "
              "('approved', 'scheduled', 'in_progress', 'completed', 'failed', 'rolled_back') "
              "AND r.approved_at IS NOT NULL AND r.approved_at < ?");
    if (a->client_id)
        bad |= gl_buf_puts(&sql, " AND ch.client_id = ?");
    bad |= sq_scope_sql(&sql, " AND ch.client_id IN (", a->scope);
    bad |= gl_buf_printf(&sql, " ORDER BY r.approved_at, ch.id LIMIT %d", GL_LIST_MAX);
    if (bad) {
        gl_buf_release(&sql);
        return sq_oom(err);
    }
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(c->db, gl_buf_str(&sql), -1, &st, NULL);
    gl_buf_release(&sql);
    if (src != SQLITE_OK)
        return sq_error(c, src, NULL, "prepare review list", err);
    int at = 1;
    sqlite3_bind_int64(st, at++, a->cutoff);
    if (a->client_id)
        sqlite3_bind_int64(st, at++, a->client_id);
    sq_bind_scope(st, at, a->scope);
    size_t cap = 0;
    int rc = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (sq_grow((void **)&a->out->items, a->out->len, &cap, sizeof *a->out->items)) {
            rc = sq_oom(err);
            break;
        }
        a->out->items[a->out->len].change_id = sqlite3_column_int64(st, 0);
        a->out->items[a->out->len].approved_at = sqlite3_column_int64(st, 1);
        a->out->len++;
    }
    if (!rc && src != SQLITE_ROW && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "list reviews due", err);
    sqlite3_finalize(st);
    return rc;
}

int sq_approval_reviews_due(struct gl_store *st, const struct gl_scope *scope, int64_t client_id,
                            int64_t approved_before, struct gl_review_due_list *out,
                            struct gl_error *err)
{
    *out = (struct gl_review_due_list){0};
    struct due_args a = {scope, client_id, approved_before, out};
    int rc = sq_with_tx(st, false, due_tx, &a, err);
    if (rc)
        gl_review_due_list_release(out);
    return rc;
}

/* ---- emergency ratio ------------------------------------------------------------------ */

struct ratio_args {
    const struct gl_scope *scope;
    int64_t client_id, from, to;
    bool by_client;
    struct gl_emergency_rows *out;
};

static int ratio_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct ratio_args *a = arg;
    struct gl_buf sql = GL_BUF_INIT;
    int bad = gl_buf_puts(&sql, a->by_client
                                    ? "SELECT k.key, ch.client_id, count(*), "
                                      "sum(ch.type = 'emergency') FROM changes ch "
                                      "JOIN clients k ON k.id = ch.client_id WHERE "
                                      "ch.state <> 'draft'"
                                    : "SELECT ifnull(ch.raised_by, ''), 0, count(*), "
                                      "sum(ch.type = 'emergency') FROM changes ch WHERE "
                                      "ch.state <> 'draft'");
    if (a->from != GL_TIME_UNSET)
        bad |= gl_buf_puts(&sql, " AND ch.created_at >= ?");
    if (a->to != GL_TIME_UNSET)
        bad |= gl_buf_puts(&sql, " AND ch.created_at < ?");
    if (a->client_id)
        bad |= gl_buf_puts(&sql, " AND ch.client_id = ?");
    bad |= sq_scope_sql(&sql, " AND ch.client_id IN (", a->scope);
    bad |= gl_buf_puts(&sql, a->by_client ? " GROUP BY ch.client_id" : " GROUP BY 1");
    bad |= gl_buf_printf(&sql, " ORDER BY 4 DESC, 3 DESC, 1 LIMIT %d", GL_LIST_MAX);
    if (bad) {
        gl_buf_release(&sql);
        return sq_oom(err);
    }
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(c->db, gl_buf_str(&sql), -1, &st, NULL);
    gl_buf_release(&sql);
    if (src != SQLITE_OK)
        return sq_error(c, src, NULL, "prepare emergency ratio", err);
    int at = 1;
    if (a->from != GL_TIME_UNSET)
        sqlite3_bind_int64(st, at++, a->from);
    if (a->to != GL_TIME_UNSET)
        sqlite3_bind_int64(st, at++, a->to);
    if (a->client_id)
        sqlite3_bind_int64(st, at++, a->client_id);
    sq_bind_scope(st, at, a->scope);
    size_t cap = 0;
    int rc = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (sq_grow((void **)&a->out->items, a->out->len, &cap, sizeof *a->out->items)) {
            rc = sq_oom(err);
            break;
        }
        struct gl_emergency_row *r = &a->out->items[a->out->len];
        memset(r, 0, sizeof *r);
        if (sq_col_text(st, 0, &r->key)) {
            rc = sq_oom(err);
            break;
        }
        r->client_id = sqlite3_column_int64(st, 1);
        r->total = sqlite3_column_int64(st, 2);
        r->emergency = sqlite3_column_int64(st, 3);
        a->out->len++;
    }
    if (!rc && src != SQLITE_ROW && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "emergency ratio", err);
    sqlite3_finalize(st);
    return rc;
}

int sq_emergency_ratio(struct gl_store *st, const struct gl_scope *scope, int64_t client_id,
                       int64_t from, int64_t to, bool by_client, struct gl_emergency_rows *out,
                       struct gl_error *err)
{
    *out = (struct gl_emergency_rows){0};
    struct ratio_args a = {scope, client_id, from, to, by_client, out};
    int rc = sq_with_tx(st, false, ratio_tx, &a, err);
    if (rc)
        gl_emergency_rows_release(out);
    return rc;
}
