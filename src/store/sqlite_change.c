/*
 * sqlite_change.c - changes in SQLite: create, update, get and timeline, and the loader
 * the change list shares (sqlite_list.c).
 *
 * Invariants:
 *  - a change row, its child rows (CIs, related changes, incidents), its full-text entry
 *    (kept by triggers) and its audit event are written as one sq_write job (its own
 *    savepoint inside a group-committed BEGIN IMMEDIATE transaction); any failure rolls
 *    all of it back and nothing else;
 *  - every CI of a change exists and belongs to the change's client or is shared; every
 *    related change exists and is not the change itself (checked for references a write
 *    adds, so a CI moved to another client later does not block the change's lifecycle);
 *  - CI and related-change lists are sets: stored and returned ascending, duplicates
 *    dropped (create/update normalise the caller's struct the same way); incident
 *    references keep their order.
 *
 * The column list is one X-macro so the INSERT, UPDATE, SELECT and the binding/reading
 * code cannot disagree about order.
 */
#include "store/sqlite_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"

#include "util/banned.h"

/* Every mutable column except updated_at, in bind order ?1..?29. */
/* clang-format off */
#define CHANGE_FIELDS(X)                                                                       \
    X(version, I64) X(type, TYPE) X(state, STATE) X(client_id, I64) X(title, STR)            \
    X(description, STR) X(raised_by, STR) X(reason, STR) X(expected_return, STR)              \
    X(risks, STR) X(implementer, STR) X(resources, STR) X(implementation_plan, STR)           \
    X(test_plan, STR) X(rollback_plan, STR) X(rollback_tested, BOOL)                          \
    X(rollback_evidence, STR) X(planned_start, TIME) X(planned_end, TIME)                     \
    X(actual_start, TIME) X(actual_end, TIME) X(outcome, OUTCOME) X(outcome_notes, STR)       \
    X(review_summary, STR) X(review_lessons, STR) X(reviewed_by, STR) X(reviewed_at, TIME)    \
    X(state_reason, STR) X(template_id, OPTID)

enum fkind { F_I64, F_OPTID, F_TIME, F_STR, F_BOOL, F_TYPE, F_STATE, F_OUTCOME };
struct field {
    size_t off;
    enum fkind kind;
};

#define FIELD_ENTRY(col, kind) {offsetof(struct gl_change, col), F_##kind},
static const struct field fields[] = {CHANGE_FIELDS(FIELD_ENTRY)};
#define NFIELDS ((int)(sizeof fields / sizeof fields[0]))

#define COL_NAME(col, kind) #col ", "
#define COL_QMARK(col, kind) "?, "
#define COL_SET(col, kind) #col " = ?, "
#define COL_SELECT(col, kind) "c." #col ", "

static const char change_insert_sql[] =
    "INSERT INTO changes (" CHANGE_FIELDS(COL_NAME) "updated_at, created_by, created_at) "
    "VALUES (" CHANGE_FIELDS(COL_QMARK) "?, ?, ?)";
static const char change_update_sql[] =
    "UPDATE changes SET " CHANGE_FIELDS(COL_SET) "updated_at = ? WHERE id = ? AND version = ?";
/* Columns: 0 id, 1..NFIELDS fields, then updated_at, created_by, created_at, client key. */
static const char change_get_sql[] =
    "SELECT c.id, " CHANGE_FIELDS(COL_SELECT) "c.updated_at, c.created_by, c.created_at, k.key "
    "FROM changes c JOIN clients k ON k.id = c.client_id WHERE c.id = ?";
/* clang-format on */

static const char change_exists_sql[] = "SELECT client_id FROM changes WHERE id = ?";
static const char change_cis_sql[] =
    "SELECT ci_id FROM change_cis WHERE change_id = ? ORDER BY ci_id";
static const char change_rels_sql[] =
    "SELECT related_id FROM change_relations WHERE change_id = ? ORDER BY related_id";
static const char change_incs_sql[] =
    "SELECT ref FROM change_incidents WHERE change_id = ? ORDER BY pos";
static const char ci_add_sql[] = "INSERT INTO change_cis (change_id, ci_id) VALUES (?, ?)";
static const char ci_del_sql[] = "DELETE FROM change_cis WHERE change_id = ?";
static const char rel_add_sql[] =
    "INSERT INTO change_relations (change_id, related_id) VALUES (?, ?)";
static const char rel_del_sql[] = "DELETE FROM change_relations WHERE change_id = ?";
static const char inc_add_sql[] =
    "INSERT INTO change_incidents (change_id, pos, ref) VALUES (?, ?, ?)";
static const char inc_del_sql[] = "DELETE FROM change_incidents WHERE change_id = ?";
static const char client_key_sql[] = "SELECT key FROM clients WHERE id = ?";
static const char ci_owner_sql[] = "SELECT client_id FROM cis WHERE id = ?";
static const char timeline_sql[] = "SELECT " SQ_AUDIT_COLS " FROM audit_events "
                                   "WHERE entity = 'change' AND entity_id = ? ORDER BY id";

/* ---- row <-> struct ---------------------------------------------------------------- */

static const char *enum_name(enum fkind kind, int v)
{
    switch (kind) {
    case F_TYPE:
        return (unsigned)v < GL_TYPE__COUNT ? gl_change_type_name((enum gl_change_type)v) : NULL;
    case F_STATE:
        return (unsigned)v < GL_STATE__COUNT ? gl_change_state_name((enum gl_change_state)v) : NULL;
    case F_OUTCOME:
        if (v == GL_OUTCOME_NONE || (unsigned)v >= GL_OUTCOME__COUNT)
            return NULL;
        return gl_outcome_name((enum gl_outcome)v);
    default:
        return NULL;
    }
}

static void bind_fields(sqlite3_stmt *st, const struct gl_change *c)
{
    const char *base = (const char *)c;
    for (int i = 0; i < NFIELDS; i++) {
        const void *p = base + fields[i].off;
        int at = i + 1;
        switch (fields[i].kind) {
        case F_I64:
            sqlite3_bind_int64(st, at, *(const int64_t *)p);
            break;
        case F_OPTID:
            sq_bind_optid(st, at, *(const int64_t *)p);
            break;
        case F_TIME:
            sq_bind_time(st, at, *(const int64_t *)p);
            break;
        case F_STR:
            sq_bind_text(st, at, *(char *const *)p);
            break;
        case F_BOOL:
            sqlite3_bind_int(st, at, *(const bool *)p ? 1 : 0);
            break;
        case F_TYPE:
        case F_STATE:
        case F_OUTCOME:
            sq_bind_text(st, at, enum_name(fields[i].kind, *(const int *)p));
            break;
        }
    }
    sqlite3_bind_int64(st, NFIELDS + 1, c->updated_at);
}

static int read_enum(enum fkind kind, const char *s, void *p)
{
    switch (kind) {
    case F_TYPE:
        return s ? gl_change_type_parse(s, p) : -1;
    case F_STATE:
        return s ? gl_change_state_parse(s, p) : -1;
    default:
        if (!s) {
            *(enum gl_outcome *)p = GL_OUTCOME_NONE;
            return 0;
        }
        return gl_outcome_parse(s, p);
    }
}

/* Fills out (initialised) from a row of change_get_sql. */
static int read_row(sqlite3_stmt *st, struct gl_change *out, struct gl_error *err)
{
    char *base = (char *)out;
    out->id = sqlite3_column_int64(st, 0);
    for (int i = 0; i < NFIELDS; i++) {
        void *p = base + fields[i].off;
        int col = i + 1;
        switch (fields[i].kind) {
        case F_I64:
        case F_OPTID: /* SQL NULL reads as 0 = none */
            *(int64_t *)p = sqlite3_column_int64(st, col);
            break;
        case F_TIME:
            *(int64_t *)p = sq_col_time(st, col);
            break;
        case F_STR:
            if (sq_col_text(st, col, (char **)p))
                return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
            break;
        case F_BOOL:
            *(bool *)p = sqlite3_column_int(st, col) != 0;
            break;
        case F_TYPE:
        case F_STATE:
        case F_OUTCOME:
            if (read_enum(fields[i].kind, (const char *)sqlite3_column_text(st, col), p))
                return gl_error_set(err, GL_E_INTERNAL, NULL,
                                    "change %lld has an unknown enum value in column %d",
                                    (long long)out->id, col);
            break;
        }
    }
    out->updated_at = sqlite3_column_int64(st, NFIELDS + 1);
    out->created_at = sqlite3_column_int64(st, NFIELDS + 3);
    if (sq_col_text(st, NFIELDS + 2, &out->created_by) ||
        sq_col_text(st, NFIELDS + 4, &out->client_key))
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    return 0;
}

static int read_ids(struct sq_conn *c, enum sq_stmt_id id, const char *sql, int64_t change_id,
                    struct gl_idlist *out, struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, id, sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, change_id);
    int src, rc = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW)
        if (gl_idlist_push(out, sqlite3_column_int64(st, 0))) {
            rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
            break;
        }
    if (!rc && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "read change list", err);
    sqlite3_reset(st);
    return rc;
}

static int read_incidents(struct sq_conn *c, int64_t change_id, struct gl_strlist *out,
                          struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CHANGE_INCS, change_incs_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, change_id);
    int src, rc = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW)
        if (gl_strlist_push(out, (const char *)sqlite3_column_text(st, 0))) {
            rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
            break;
        }
    if (!rc && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "read incidents", err);
    sqlite3_reset(st);
    return rc;
}

int sq_change_load(struct sq_conn *c, int64_t id, struct gl_change *out, struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CHANGE_GET, change_get_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int rc, src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        rc = read_row(st, out, err);
    else if (src == SQLITE_DONE)
        rc = gl_error_set(err, GL_E_NOT_FOUND, NULL, "no such change");
    else
        rc = sq_error(c, src, NULL, "read change", err);
    sqlite3_reset(st);
    if (!rc)
        rc = read_ids(c, SQ_CHANGE_CIS, change_cis_sql, id, &out->ci_ids, err);
    if (!rc)
        rc = read_ids(c, SQ_CHANGE_RELS, change_rels_sql, id, &out->related_changes, err);
    if (!rc)
        rc = read_incidents(c, id, &out->incidents, err);
    if (rc)
        gl_change_release(out);
    return rc;
}

/* ---- references -------------------------------------------------------------------- */

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts ascending and drops duplicates, in place. */
static void idlist_normalise(struct gl_idlist *l)
{
    if (l->len < 2)
        return;
    qsort(l->items, l->len, sizeof *l->items, cmp_id);
    size_t n = 1;
    for (size_t i = 1; i < l->len; i++)
        if (l->items[i] != l->items[n - 1])
            l->items[n++] = l->items[i];
    l->len = n;
}

static bool idlist_equal(const struct gl_idlist *a, const struct gl_idlist *b)
{
    return a->len == b->len &&
           (a->len == 0 || memcmp(a->items, b->items, a->len * sizeof *a->items) == 0);
}

static bool strlist_equal(const struct gl_strlist *a, const struct gl_strlist *b)
{
    if (a->len != b->len)
        return false;
    for (size_t i = 0; i < a->len; i++)
        if (strcmp(a->items[i], b->items[i]) != 0)
            return false;
    return true;
}

/* Replaces *key with the key of client id; GL_E_INVALID "client" when there is none. */
static int lookup_client(struct sq_conn *c, int64_t id, char **key, struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CLIENT_KEY, client_key_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int rc = 0, src = sqlite3_step(st);
    char *k = NULL;
    if (src == SQLITE_ROW) {
        if (sq_col_text(st, 0, &k))
            rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    } else if (src == SQLITE_DONE) {
        rc = gl_error_set(err, GL_E_INVALID, "client", "no such client");
    } else {
        rc = sq_error(c, src, NULL, "read client", err);
    }
    sqlite3_reset(st);
    if (!rc) {
        free(*key);
        *key = k;
    }
    return rc;
}

/* Checks the CIs of `want` that are not in `have` (NULL: all of them). */
static int check_cis(struct sq_conn *c, int64_t client_id, const struct gl_idlist *want,
                     const struct gl_idlist *have, struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CI_OWNER, ci_owner_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    for (size_t i = 0; i < want->len; i++) {
        int64_t id = want->items[i];
        if (have && gl_idlist_contains(have, id))
            continue;
        char ident[GL_IDENT_MAX];
        gl_ci_ident_format(id, ident);
        sqlite3_bind_int64(st, 1, id);
        int src = sqlite3_step(st);
        int rc = 0;
        if (src == SQLITE_DONE)
            rc = gl_error_set(err, GL_E_INVALID, "cis", "%s does not exist", ident);
        else if (src != SQLITE_ROW)
            rc = sq_error(c, src, NULL, "read CI", err);
        else if (sqlite3_column_type(st, 0) != SQLITE_NULL &&
                 sqlite3_column_int64(st, 0) != client_id)
            rc = gl_error_set(err, GL_E_INVALID, "cis", "%s belongs to another client", ident);
        sqlite3_reset(st);
        if (rc)
            return rc;
    }
    return 0;
}

static int check_related(struct sq_conn *c, int64_t self, const struct gl_idlist *want,
                         const struct gl_idlist *have, struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CHANGE_EXISTS, change_exists_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    for (size_t i = 0; i < want->len; i++) {
        int64_t id = want->items[i];
        if (have && gl_idlist_contains(have, id))
            continue;
        char ident[GL_IDENT_MAX];
        gl_change_ident_format(id, ident);
        if (id == self)
            return gl_error_set(err, GL_E_INVALID, "related_changes",
                                "a change cannot be related to itself");
        sqlite3_bind_int64(st, 1, id);
        int src = sqlite3_step(st);
        sqlite3_reset(st);
        if (src == SQLITE_DONE)
            return gl_error_set(err, GL_E_INVALID, "related_changes", "%s does not exist", ident);
        if (src != SQLITE_ROW)
            return sq_error(c, src, NULL, "read change", err);
    }
    return 0;
}

/* ---- child rows ---------------------------------------------------------------------- */

static int write_idlist(struct sq_conn *c, int64_t change_id, const struct gl_idlist *l,
                        enum sq_stmt_id del_id, const char *del_sql, enum sq_stmt_id add_id,
                        const char *add_sql, const char *field, bool replace, struct gl_error *err)
{
    sqlite3_stmt *del = sq_stmt(c, del_id, del_sql, err);
    sqlite3_stmt *add = sq_stmt(c, add_id, add_sql, err);
    if (!del || !add)
        return GL_E_INTERNAL;
    int rc = 0;
    if (replace) {
        sqlite3_bind_int64(del, 1, change_id);
        rc = sq_exec_stmt(c, del, field, "delete change list", err);
    }
    for (size_t i = 0; !rc && i < l->len; i++) {
        sqlite3_bind_int64(add, 1, change_id);
        sqlite3_bind_int64(add, 2, l->items[i]);
        rc = sq_exec_stmt(c, add, field, "insert change list", err);
    }
    return rc;
}

static int write_incidents(struct sq_conn *c, int64_t change_id, const struct gl_strlist *l,
                           bool replace, struct gl_error *err)
{
    sqlite3_stmt *del = sq_stmt(c, SQ_CHANGE_INC_DEL, inc_del_sql, err);
    sqlite3_stmt *add = sq_stmt(c, SQ_CHANGE_INC_ADD, inc_add_sql, err);
    if (!del || !add)
        return GL_E_INTERNAL;
    int rc = 0;
    if (replace) {
        sqlite3_bind_int64(del, 1, change_id);
        rc = sq_exec_stmt(c, del, "incidents", "delete incidents", err);
    }
    for (size_t i = 0; !rc && i < l->len; i++) {
        sqlite3_bind_int64(add, 1, change_id);
        sqlite3_bind_int64(add, 2, (int64_t)i);
        sq_bind_text(add, 3, l->items[i]);
        rc = sq_exec_stmt(c, add, "incidents", "insert incident", err);
    }
    return rc;
}

/* Writes the lists of `next`, skipping those equal to `prev` (NULL: a new change). */
static int write_children(struct sq_conn *c, const struct gl_change *next,
                          const struct gl_change *prev, struct gl_error *err)
{
    int rc = 0;
    if (!prev || !idlist_equal(&prev->ci_ids, &next->ci_ids))
        rc = write_idlist(c, next->id, &next->ci_ids, SQ_CHANGE_CI_DEL, ci_del_sql,
                          SQ_CHANGE_CI_ADD, ci_add_sql, "cis", prev != NULL, err);
    if (!rc && (!prev || !idlist_equal(&prev->related_changes, &next->related_changes)))
        rc = write_idlist(c, next->id, &next->related_changes, SQ_CHANGE_REL_DEL, rel_del_sql,
                          SQ_CHANGE_REL_ADD, rel_add_sql, "related_changes", prev != NULL, err);
    if (!rc && (!prev || !strlist_equal(&prev->incidents, &next->incidents)))
        rc = write_incidents(c, next->id, &next->incidents, prev != NULL, err);
    return rc;
}

static const char doc_put_sql[] =
    "INSERT INTO change_docs (change_id, version, client_id, format, json) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (change_id) DO UPDATE SET version = excluded.version, "
    "client_id = excluded.client_id, format = excluded.format, json = excluded.json";

int sq_change_put_doc(struct sq_conn *c, const struct gl_change *ch, const char *json,
                      struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CHANGE_DOC_PUT, doc_put_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, ch->id);
    sqlite3_bind_int64(st, 2, ch->version);
    sqlite3_bind_int64(st, 3, ch->client_id);
    sqlite3_bind_int(st, 4, c->render->format);
    sqlite3_bind_text(st, 5, json, -1, SQLITE_STATIC);
    return sq_exec_stmt(c, st, NULL, "store change rendering", err);
}

/* The latest assessment's numbers the rendering shows as its "risk" summary. */
static const char risk_summary_sql[] =
    "SELECT score, level, policy_version, assessed_at FROM risk_assessments"
    " WHERE change_id = ? ORDER BY id DESC LIMIT 1";

/* The latest assessment's summary numbers (what the rendering shows), from risk_summary_sql. */
static void summary_row(sqlite3_stmt *st, struct gl_risk_assessment *a)
{
    memset(a, 0, sizeof *a);
    a->score = sqlite3_column_double(st, 0);
    if (gl_risk_level_parse((const char *)sqlite3_column_text(st, 1), &a->level))
        a->level = GL_RISK_LOW;
    a->policy_version = sqlite3_column_int64(st, 2);
    a->assessed_at = sqlite3_column_int64(st, 3);
}

int sq_risk_render(struct sq_conn *c, int64_t change_id, const char *json, char **out,
                   struct gl_error *err)
{
    *out = NULL;
    sqlite3_stmt *st = sq_stmt(c, SQ_RISK_SUMMARY, risk_summary_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, change_id);
    int src = sqlite3_step(st), rc = 0;
    if (src == SQLITE_ROW) {
        struct gl_risk_assessment *a = malloc(sizeof *a);
        if (a)
            summary_row(st, a);
        if (!a || !(*out = c->render->with_risk(json, a)))
            rc = gl_error_set(err, GL_E_INTERNAL, NULL, "cannot render the change's risk");
        free(a);
    } else if (src != SQLITE_DONE) {
        rc = sq_error(c, src, NULL, "read risk summary", err);
    }
    sqlite3_reset(st);
    return rc;
}

/* The audit event of a change write, and the rendering kept for reads: both come from the
 * same snapshot of the record as stored. */
static int record_change(struct sq_conn *c, const struct gl_write_ctx *ctx, const char *dflt,
                         const struct gl_change *prev, const struct gl_change *next,
                         struct gl_error *err)
{
    char *before = prev ? c->render->change(prev) : NULL;
    char *after = c->render->change(next);
    int rc;
    if ((prev && !before) || !after) {
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "cannot encode change snapshot");
        goto out;
    }
    struct gl_write_ctx actx = *ctx;
    if (!actx.action)
        actx.action = dflt;
    rc = sq_audit_append(c, &actx, "change", next->id, next->client_id, before, after, err);
    if (!rc) {
        char *doc = NULL; /* the rendering keeps the change's risk summary (sqlite_risk.c) */
        rc = sq_risk_render(c, next->id, after, &doc, err);
        if (!rc)
            rc = sq_change_put_doc(c, next, doc ? doc : after, err);
        free(doc);
    }
out:
    free(before);
    free(after);
    return rc;
}

/* ---- operations -------------------------------------------------------------------- */

static int create_in_tx(struct sq_conn *c, const struct gl_write_ctx *ctx, struct gl_change *ch,
                        struct gl_error *err)
{
    idlist_normalise(&ch->ci_ids);
    idlist_normalise(&ch->related_changes);
    int rc = lookup_client(c, ch->client_id, &ch->client_key, err);
    if (!rc)
        rc = check_cis(c, ch->client_id, &ch->ci_ids, NULL, err);
    if (!rc)
        rc = check_related(c, 0, &ch->related_changes, NULL, err);
    if (rc)
        return rc;

    sqlite3_stmt *st = sq_stmt(c, SQ_CHANGE_INSERT, change_insert_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    ch->version = 1;
    ch->created_at = ch->updated_at = ctx->now;
    bind_fields(st, ch);
    sq_bind_text(st, NFIELDS + 2, ch->created_by);
    sqlite3_bind_int64(st, NFIELDS + 3, ch->created_at);
    rc = sq_exec_stmt(c, st, NULL, "insert change", err);
    if (rc)
        return rc;
    ch->id = sqlite3_last_insert_rowid(c->db);
    rc = write_children(c, ch, NULL, err);
    if (!rc)
        rc = record_change(c, ctx, "change.create", NULL, ch, err);
    return rc;
}

/* Arguments of a queued change create (see sq_write). */
struct change_write {
    const struct gl_write_ctx *ctx;
    struct gl_change *change;
};

static int create_job(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct change_write *w = arg;
    return create_in_tx(c, w->ctx, w->change, err);
}

SQ_VERSIONED_ADAPTERS(change, struct gl_change, gl_change_init, gl_change_release, sq_change_load)

/* The references an update adds must exist; the client key follows the client. */
static int change_prepare(struct sq_conn *c, const struct sq_update *u, struct gl_error *err)
{
    const struct gl_change *stored = u->stored;
    struct gl_change *after = u->after;
    idlist_normalise(&after->ci_ids);
    idlist_normalise(&after->related_changes);
    bool moved = after->client_id != stored->client_id;
    int rc = 0;
    if (moved)
        rc = lookup_client(c, after->client_id, &after->client_key, err);
    else if (!after->client_key || strcmp(after->client_key, stored->client_key) != 0)
        rc = gl_change_set_str(&after->client_key, stored->client_key)
                 ? gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory")
                 : 0;
    if (!rc)
        rc = check_cis(c, after->client_id, &after->ci_ids, moved ? NULL : &stored->ci_ids, err);
    if (!rc)
        rc = check_related(c, stored->id, &after->related_changes, &stored->related_changes, err);
    return rc;
}

static int change_write(struct sq_conn *c, const struct sq_update *u, struct gl_error *err)
{
    const struct gl_change *stored = u->stored, *after = u->after;
    sqlite3_stmt *st = sq_stmt(c, SQ_CHANGE_UPDATE, change_update_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    bind_fields(st, after);
    sqlite3_bind_int64(st, NFIELDS + 2, stored->id);
    sqlite3_bind_int64(st, NFIELDS + 3, stored->version);
    int rc = sq_exec_stmt(c, st, NULL, "update change", err);
    if (rc)
        return rc;
    if (sqlite3_changes(c->db) != 1) /* cannot happen inside BEGIN IMMEDIATE; be sure */
        return gl_error_set(err, GL_E_STALE, "version", "the change was modified concurrently");
    return write_children(c, after, stored, err);
}

static int change_record(struct sq_conn *c, const struct sq_update *u, struct gl_error *err)
{
    return record_change(c, u->ctx, "change.update", u->stored, u->after, err);
}

static const struct sq_versioned change_versioned = {
    SQ_VERSIONED_RECORD(change, struct gl_change),
    .noun = "change",
    .prepare = change_prepare,
    .write = change_write,
    .record = change_record,
};

int sq_change_create(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_change *ch,
                     struct gl_error *err)
{
    bool set_creator = !ch->created_by && ctx->actor;
    if (set_creator && gl_change_set_str(&ch->created_by, ctx->actor))
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    struct change_write w = {.ctx = ctx, .change = ch};
    int rc = sq_versioned_write(st, &change_versioned, ch, create_job, &w, err);
    if (rc && set_creator)
        gl_change_set_str(&ch->created_by, NULL);
    return rc;
}

int sq_change_update_conn(struct sq_conn *c, const struct gl_write_ctx *ctx,
                          const struct gl_change *before, struct gl_change *after,
                          struct gl_error *err)
{
    return sq_versioned_update_conn(c, &change_versioned, ctx, before, after, NULL, err);
}

int sq_change_update(struct gl_store *st, const struct gl_write_ctx *ctx,
                     const struct gl_change *before, struct gl_change *after, struct gl_error *err)
{
    return sq_versioned_update(st, &change_versioned, ctx, before, after, NULL, err);
}

int sq_change_get(struct gl_store *st, int64_t id, struct gl_change *out, struct gl_error *err)
{
    struct sq_store *s = sq_store(st);
    struct sq_conn *c = NULL;
    gl_change_init(out);
    int rc = sq_acquire(s, &c, err);
    if (rc)
        return rc;
    rc = sq_begin(c, false, err);
    if (!rc)
        rc = sq_change_load(c, id, out, err);
    if (!rc)
        rc = sq_commit(c, err);
    if (rc)
        gl_change_release(out);
    sq_release(s, c);
    return rc;
}

int sq_change_timeline(struct gl_store *st, int64_t change_id, struct gl_audit_list *out,
                       struct gl_error *err)
{
    struct sq_store *s = sq_store(st);
    struct sq_conn *c = NULL;
    out->items = NULL;
    out->len = 0;
    int rc = sq_acquire(s, &c, err);
    if (rc)
        return rc;
    rc = sq_begin(c, false, err);
    if (rc)
        goto out;
    sqlite3_stmt *ex = sq_stmt(c, SQ_CHANGE_EXISTS, change_exists_sql, err);
    sqlite3_stmt *tl = sq_stmt(c, SQ_AUDIT_ENTITY, timeline_sql, err);
    if (!ex || !tl) {
        rc = GL_E_INTERNAL;
        goto out;
    }
    sqlite3_bind_int64(ex, 1, change_id);
    int src = sqlite3_step(ex);
    sqlite3_reset(ex);
    if (src != SQLITE_ROW) {
        rc = src == SQLITE_DONE ? gl_error_set(err, GL_E_NOT_FOUND, NULL, "no such change")
                                : sq_error(c, src, NULL, "read change", err);
        goto out;
    }
    sqlite3_bind_int64(tl, 1, change_id);
    rc = sq_audit_read_all(c, tl, out, err);
    if (!rc)
        rc = sq_commit(c, err);
out:
    if (rc)
        gl_audit_list_release(out);
    sq_release(s, c);
    return rc;
}

/* ---- stored renderings ------------------------------------------------------------- */

static const char doc_get_sql[] =
    "SELECT version, client_id, format, json FROM change_docs WHERE change_id = ?";
static const char head_sql[] = "SELECT version, client_id FROM changes WHERE id = ?";

int sq_change_doc_load(struct sq_conn *c, int64_t id, struct gl_change_doc *out,
                       struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CHANGE_DOC_GET, doc_get_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int src = sqlite3_step(st), rc = 0;
    out->id = id;
    if (src == SQLITE_ROW) {
        out->version = sqlite3_column_int64(st, 0);
        out->client_id = sqlite3_column_int64(st, 1);
        out->format = sqlite3_column_int(st, 2);
        if (sq_col_text(st, 3, &out->json))
            rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
        sqlite3_reset(st);
        return rc;
    }
    sqlite3_reset(st);
    if (src != SQLITE_DONE)
        return sq_error(c, src, NULL, "read change rendering", err);
    /* No rendering (written before they existed): the caller re-encodes the record. */
    st = sq_stmt(c, SQ_CHANGE_HEAD, head_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, id);
    src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        out->version = sqlite3_column_int64(st, 0);
        out->client_id = sqlite3_column_int64(st, 1);
        out->format = 0;
    } else
        rc = src == SQLITE_DONE ? gl_error_set(err, GL_E_NOT_FOUND, NULL, "no change %lld",
                                               (long long)id)
                                : sq_error(c, src, NULL, "read change", err);
    sqlite3_reset(st);
    return rc;
}

/* One statement reads one consistent row, so no explicit transaction is needed. */
int sq_change_get_doc(struct gl_store *st, int64_t id, struct gl_change_doc *out,
                      struct gl_error *err)
{
    struct sq_store *s = sq_store(st);
    struct sq_conn *c = NULL;
    *out = (struct gl_change_doc){0};
    int rc = sq_acquire(s, &c, err);
    if (rc)
        return rc;
    rc = sq_change_doc_load(c, id, out, err);
    if (rc)
        gl_change_doc_release(out);
    sq_release(s, c);
    return rc;
}
