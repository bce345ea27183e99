/*
 * sqlite_change.c - changes in SQLite: create, update, get, list and timeline.
 *
 * Invariants:
 *  - a change row, its child rows (CIs, related changes, incidents), its full-text entry
 *    (kept by triggers) and its audit event are written in one BEGIN IMMEDIATE
 *    transaction; any failure rolls all of it back;
 *  - every CI of a change exists and belongs to the change's client or is shared; every
 *    related change exists and is not the change itself (checked for references a write
 *    adds, so a CI moved to another client later does not block the change's lifecycle);
 *  - CI and related-change lists are sets: stored and returned ascending, duplicates
 *    dropped (create/update normalise the caller's struct the same way); incident
 *    references keep their order;
 *  - list SQL is assembled from fixed fragments; every user value is a bound parameter,
 *    and free text reaches FTS5 only as quoted strings, never as query syntax.
 *
 * The column list is one X-macro so the INSERT, UPDATE, SELECT and the binding/reading
 * code cannot disagree about order.
 */
#include "store/sqlite_int.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "util/buf.h"

#include "util/banned.h"

/* Every mutable column except updated_at, in bind order ?1..?28. */
/* clang-format off */
#define CHANGE_FIELDS(X)                                                                       \
    X(version, I64) X(type, TYPE) X(state, STATE) X(client_id, I64) X(title, STR)            \
    X(description, STR) X(raised_by, STR) X(reason, STR) X(expected_return, STR)              \
    X(risks, STR) X(implementer, STR) X(resources, STR) X(implementation_plan, STR)           \
    X(test_plan, STR) X(rollback_plan, STR) X(rollback_tested, BOOL)                          \
    X(rollback_evidence, STR) X(planned_start, TIME) X(planned_end, TIME)                     \
    X(actual_start, TIME) X(actual_end, TIME) X(outcome, OUTCOME) X(outcome_notes, STR)       \
    X(review_summary, STR) X(review_lessons, STR) X(reviewed_by, STR) X(reviewed_at, TIME)    \
    X(state_reason, STR)

enum fkind { F_I64, F_TIME, F_STR, F_BOOL, F_TYPE, F_STATE, F_OUTCOME };
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

/* Loads change id with its lists into out (initialised); GL_E_NOT_FOUND when absent. */
static int load_change(struct sq_conn *c, int64_t id, struct gl_change *out, struct gl_error *err)
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

static int audit_change(struct sq_conn *c, const struct gl_write_ctx *ctx, const char *dflt,
                        const struct gl_change *prev, const struct gl_change *next,
                        struct gl_error *err)
{
    char *before = prev ? gl_json_change_dump(prev) : NULL;
    char *after = gl_json_change_dump(next);
    int rc;
    if ((prev && !before) || !after) {
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "cannot encode change snapshot");
        goto out;
    }
    struct gl_write_ctx actx = *ctx;
    if (!actx.action)
        actx.action = dflt;
    rc = sq_audit_append(c, &actx, "change", next->id, next->client_id, before, after, err);
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
        rc = audit_change(c, ctx, "change.create", NULL, ch, err);
    return rc;
}

int sq_change_create(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_change *ch,
                     struct gl_error *err)
{
    struct sq_store *s = sq_store(st);
    struct sq_conn *c = NULL;
    const struct gl_change saved = *ch; /* scalars restored on failure */
    bool set_creator = !ch->created_by && ctx->actor;
    int rc = sq_acquire(s, &c, err);
    if (rc)
        return rc;
    if (set_creator && gl_change_set_str(&ch->created_by, ctx->actor)) {
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
        goto out;
    }
    rc = sq_begin(c, true, err);
    if (!rc)
        rc = create_in_tx(c, ctx, ch, err);
    if (!rc)
        rc = sq_commit(c, err);
out:
    if (rc) {
        sq_rollback(c);
        ch->id = saved.id;
        ch->version = saved.version;
        ch->created_at = saved.created_at;
        ch->updated_at = saved.updated_at;
        if (set_creator)
            gl_change_set_str(&ch->created_by, NULL);
    }
    sq_release(s, c);
    return rc;
}

static int update_in_tx(struct sq_conn *c, const struct gl_write_ctx *ctx,
                        const struct gl_change *before, struct gl_change *after,
                        struct gl_change *stored, struct gl_error *err)
{
    int rc = load_change(c, before->id, stored, err);
    if (rc)
        return rc;
    if (stored->version != before->version)
        return gl_error_set(err, GL_E_STALE, "version", "the change is at version %lld, not %lld",
                            (long long)stored->version, (long long)before->version);

    idlist_normalise(&after->ci_ids);
    idlist_normalise(&after->related_changes);
    bool moved = after->client_id != stored->client_id;
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
    if (rc)
        return rc;

    after->id = stored->id;
    after->version = stored->version + 1;
    after->updated_at = ctx->now;
    after->created_at = stored->created_at;
    sqlite3_stmt *st = sq_stmt(c, SQ_CHANGE_UPDATE, change_update_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    bind_fields(st, after);
    sqlite3_bind_int64(st, NFIELDS + 2, stored->id);
    sqlite3_bind_int64(st, NFIELDS + 3, stored->version);
    rc = sq_exec_stmt(c, st, NULL, "update change", err);
    if (rc)
        return rc;
    if (sqlite3_changes(c->db) != 1) /* cannot happen inside BEGIN IMMEDIATE; be sure */
        return gl_error_set(err, GL_E_STALE, "version", "the change was modified concurrently");
    rc = write_children(c, after, stored, err);
    if (!rc)
        rc = audit_change(c, ctx, "change.update", stored, after, err);
    return rc;
}

int sq_change_update(struct gl_store *st, const struct gl_write_ctx *ctx,
                     const struct gl_change *before, struct gl_change *after, struct gl_error *err)
{
    struct sq_store *s = sq_store(st);
    struct sq_conn *c = NULL;
    struct gl_change stored;
    gl_change_init(&stored);
    const int64_t saved_id = after->id, saved_version = after->version,
                  saved_updated = after->updated_at, saved_created = after->created_at;
    int rc = sq_acquire(s, &c, err);
    if (rc)
        return rc;
    rc = sq_begin(c, true, err);
    if (!rc)
        rc = update_in_tx(c, ctx, before, after, &stored, err);
    if (!rc)
        rc = sq_commit(c, err);
    if (rc) {
        sq_rollback(c);
        after->id = saved_id;
        after->version = saved_version;
        after->updated_at = saved_updated;
        after->created_at = saved_created;
    }
    sq_release(s, c);
    gl_change_release(&stored);
    return rc;
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
        rc = load_change(c, id, out, err);
    if (!rc)
        rc = sq_commit(c, err);
    if (rc)
        gl_change_release(out);
    sq_release(s, c);
    return rc;
}

/* ---- list -------------------------------------------------------------------------- */

/* A list query under construction: SQL text plus its parameters, in order. */
struct qarg {
    const char *text; /* borrowed; NULL for an integer */
    int64_t num;
};

struct query {
    struct gl_buf sql;
    struct qarg *args;
    size_t nargs, cap;
    bool oom;
};

static void q_sql(struct query *q, const char *s)
{
    if (gl_buf_puts(&q->sql, s))
        q->oom = true;
}

static void q_arg(struct query *q, const char *text, int64_t num)
{
    if (sq_grow((void **)&q->args, q->nargs, &q->cap, sizeof *q->args)) {
        q->oom = true;
        return;
    }
    q->args[q->nargs].text = text;
    q->args[q->nargs].num = num;
    q->nargs++;
}

static void q_bind(const struct query *q, sqlite3_stmt *st)
{
    for (size_t i = 0; i < q->nargs; i++) {
        if (q->args[i].text)
            sqlite3_bind_text(st, (int)i + 1, q->args[i].text, -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(st, (int)i + 1, q->args[i].num);
    }
}

/* Free text as FTS5 input: every whitespace-separated word becomes a quoted string (inner
 * quotes doubled), all of which must match. Nothing the user types is FTS syntax. */
static int fts_query(const char *text, struct gl_buf *out)
{
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        while (*p && isspace(*p))
            p++;
        if (!*p)
            break;
        if (out->len && gl_buf_putc(out, ' '))
            return -1;
        if (gl_buf_putc(out, '"'))
            return -1;
        for (; *p && !isspace(*p); p++)
            if ((*p == '"' && gl_buf_putc(out, '"')) || gl_buf_putc(out, (char)*p))
                return -1;
        if (gl_buf_putc(out, '"'))
            return -1;
    }
    return 0;
}

/*
 * Query plans. Lists are newest first with a LIMIT, so the aim is a plan that yields rows
 * already in id order and stops after limit+1 of them, whatever the data looks like:
 *  - a CI: walk change_cis(ci_id, change_id) backwards; text is checked per row;
 *  - text: walk the FTS5 doclist backwards (FTS5 delivers rowid order natively);
 *  - a time filter matching fewer than SQ_WINDOW_PROBE rows (counted first, with a LIMIT):
 *    range-scan planned_start (from - the longest stored window) .. to and sort those few;
 *    a time filter matching more rows is dense enough to be checked per row instead;
 *  - otherwise one "arm" per combination of the equality filters (client, state, type),
 *    each an index range already in id order, merged by a UNION ALL ... ORDER BY: SQLite
 *    runs the arms as coroutines and pulls only what the LIMIT needs. Without equality
 *    filters the single arm is a backwards scan of the table.
 * Every other condition is checked per row. User values are always bound parameters.
 */
#define SQ_WINDOW_PROBE 10000
#define SQ_ARMS_MAX 32

/* One arm: equality values that replace the corresponding IN filters (0 / -1 = none). */
struct arm {
    int64_t client;
    int state, type;
};

static void q_id_list(struct query *q, const char *prefix, const int64_t *ids, size_t n)
{
    q_sql(q, prefix);
    for (size_t i = 0; i < n; i++) {
        q_sql(q, i ? ", ?" : "?");
        q_arg(q, NULL, ids[i]);
    }
    q_sql(q, ")");
}

static void q_enum(struct query *q, const char *col, uint32_t mask, int count, enum fkind kind,
                   int eq)
{
    if (eq >= 0) {
        q_sql(q, " AND ");
        q_sql(q, col);
        q_sql(q, " = ?");
        q_arg(q, enum_name(kind, eq), 0);
        return;
    }
    if (!mask)
        return;
    q_sql(q, " AND ");
    q_sql(q, col);
    q_sql(q, " IN (");
    bool any = false;
    for (int v = 0; v < count; v++)
        if (mask & (1u << v)) {
            q_sql(q, any ? ", ?" : "?");
            q_arg(q, enum_name(kind, v), 0);
            any = true;
        }
    q_sql(q, ")");
}

/* Overlap of [planned_start, planned_end) with [from, to); open ends are unbounded. */
static void q_time(struct query *q, const struct gl_change_filter *f)
{
    if (f->from != GL_TIME_UNSET) {
        q_sql(q, " AND c.planned_end > ?");
        q_arg(q, NULL, f->from);
    }
    if (f->to != GL_TIME_UNSET) {
        q_sql(q, " AND c.planned_start < ?");
        q_arg(q, NULL, f->to);
    }
}

/* The start of the window plan: a planned_start range that covers every window that can
 * overlap [from, to), using the longest stored window as the lower margin. */
static void q_window(struct query *q, const struct gl_change_filter *f)
{
    q_sql(q, "SELECT c.id FROM changes c INDEXED BY changes_planned_start WHERE 1");
    if (f->from != GL_TIME_UNSET) {
        q_sql(q, " AND c.planned_start >= ? - (SELECT ifnull(max(planned_end - planned_start), 0)"
                 " FROM changes)");
        q_arg(q, NULL, f->from);
    }
}

/* The per-row conditions of f, with the arm's equalities in place of their IN lists. */
static void q_filters(struct query *q, const struct gl_change_filter *f, const char *idcol,
                      const struct arm *a)
{
    if (f->before_id > 0) {
        q_sql(q, " AND ");
        q_sql(q, idcol);
        q_sql(q, " < ?");
        q_arg(q, NULL, f->before_id);
    }
    if (a->client) {
        q_sql(q, " AND c.client_id = ?");
        q_arg(q, NULL, a->client);
    } else if (f->client_id) {
        q_sql(q, " AND c.client_id = ?");
        q_arg(q, NULL, f->client_id);
    } else if (f->scope && !f->scope->all) {
        q_id_list(q, " AND c.client_id IN (", f->scope->client_ids, f->scope->n);
    }
    q_enum(q, "c.state", f->state_mask, GL_STATE__COUNT, F_STATE, a->state);
    q_enum(q, "c.type", f->type_mask, GL_TYPE__COUNT, F_TYPE, a->type);
    q_time(q, f);
}

static void q_order(struct query *q, const char *idcol, int limit)
{
    q_sql(q, " ORDER BY ");
    q_sql(q, idcol);
    q_sql(q, " DESC LIMIT ?");
    q_arg(q, NULL, limit + 1);
}

static size_t bit_values(uint32_t mask, int count, int *out)
{
    size_t n = 0;
    for (int v = 0; v < count; v++)
        if (mask & (1u << v))
            out[n++] = v;
    return n;
}

/* Emits the arms: the cross product of the split dimensions, or one plain arm. */
static void q_arms(struct query *q, const struct gl_change_filter *f)
{
    int vals[32];
    const int64_t *clients = f->client_id ? &f->client_id : NULL;
    size_t nc = f->client_id ? 1 : 0;
    if (!nc && f->scope && !f->scope->all) {
        clients = f->scope->client_ids;
        nc = f->scope->n;
    }
    /* Second split: states when filtered (indexes client_state, state), else types. */
    bool by_state = f->state_mask != 0;
    size_t n2 = by_state ? bit_values(f->state_mask, GL_STATE__COUNT, vals)
                         : bit_values(f->type_mask, GL_TYPE__COUNT, vals);
    if (nc * (n2 ? n2 : 1) > SQ_ARMS_MAX)
        nc = 0; /* a wide scope: filter clients per row instead */
    size_t k = 0;
    for (size_t i = 0; i < (nc ? nc : 1); i++) {
        bool repeated = false; /* a scope listing a client twice must not repeat rows */
        for (size_t r = 0; r < i; r++)
            repeated |= clients[r] == clients[i];
        if (repeated)
            continue;
        for (size_t j = 0; j < (n2 ? n2 : 1); j++, k++) {
            struct arm a = {nc ? clients[i] : 0, -1, -1};
            if (n2 && by_state)
                a.state = vals[j];
            else if (n2)
                a.type = vals[j];
            q_sql(q, k ? " UNION ALL SELECT c.id FROM changes c WHERE 1"
                       : "SELECT c.id FROM changes c WHERE 1");
            q_filters(q, f, "c.id", &a);
        }
    }
    q_order(q, "1", f->limit);
}

/* Builds the id query; returns false when the filter cannot match anything. */
static bool build_list_query(const struct gl_change_filter *f, const char *fts, bool small_window,
                             struct query *q)
{
    const struct arm plain = {0, -1, -1};
    bool restricted = f->scope && !f->scope->all;
    if (restricted &&
        (f->scope->n == 0 || (f->client_id && !gl_scope_contains(f->scope, f->client_id))))
        return false;
    if ((f->state_mask && !(f->state_mask & ((1u << GL_STATE__COUNT) - 1))) ||
        (f->type_mask && !(f->type_mask & ((1u << GL_TYPE__COUNT) - 1))))
        return false;
    bool window = f->from != GL_TIME_UNSET && f->to != GL_TIME_UNSET;
    if (window && f->from >= f->to)
        return false;

    if (f->ci_id) {
        q_sql(q, "SELECT cc.change_id FROM change_cis cc CROSS JOIN changes c "
                 "ON c.id = cc.change_id WHERE cc.ci_id = ?");
        q_arg(q, NULL, f->ci_id);
        if (fts) {
            q_sql(q, " AND EXISTS (SELECT 1 FROM changes_fts WHERE changes_fts MATCH ?"
                     " AND changes_fts.rowid = c.id)");
            q_arg(q, fts, 0);
        }
        q_filters(q, f, "cc.change_id", &plain);
        q_order(q, "cc.change_id", f->limit);
    } else if (fts) {
        q_sql(q, "SELECT changes_fts.rowid FROM changes_fts CROSS JOIN changes c "
                 "ON c.id = changes_fts.rowid WHERE changes_fts MATCH ?");
        q_arg(q, fts, 0);
        q_filters(q, f, "changes_fts.rowid", &plain);
        q_order(q, "changes_fts.rowid", f->limit);
    } else if (small_window) {
        q_window(q, f);
        q_filters(q, f, "c.id", &plain);
        q_order(q, "c.id", f->limit);
    } else {
        q_arms(q, f);
    }
    return true;
}

static sqlite3_stmt *q_prepare(struct sq_conn *c, const struct query *q, struct gl_error *err)
{
    sqlite3_stmt *st = NULL;
    if (q->oom) {
        gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    int src = sqlite3_prepare_v2(c->db, gl_buf_str(&q->sql), -1, &st, NULL);
    if (src != SQLITE_OK) {
        sqlite3_finalize(st);
        sq_error(c, src, NULL, "prepare change list", err);
        return NULL;
    }
    q_bind(q, st);
    return st;
}

/* Whether the time filter of f matches few enough rows for the window plan. */
static int window_is_small(struct sq_conn *c, const struct gl_change_filter *f, bool *small,
                           struct gl_error *err)
{
    struct query q = {.args = NULL, .nargs = 0, .cap = 0, .oom = false};
    gl_buf_init(&q.sql, 0);
    q_sql(&q, "SELECT count(*) FROM (");
    q_window(&q, f);
    q_time(&q, f);
    q_sql(&q, " LIMIT ?)");
    q_arg(&q, NULL, SQ_WINDOW_PROBE);
    int rc = 0;
    sqlite3_stmt *st = q_prepare(c, &q, err);
    if (!st) {
        rc = err ? err->code : GL_E_INTERNAL;
        goto out;
    }
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        *small = sqlite3_column_int64(st, 0) < SQ_WINDOW_PROBE;
    else
        rc = sq_error(c, src, NULL, "change list", err);
out:
    sqlite3_finalize(st);
    gl_buf_release(&q.sql);
    free(q.args);
    return rc;
}

/* Runs the id query; ids receives up to limit+1 ids. */
static int list_ids(struct sq_conn *c, const struct gl_change_filter *f, const char *fts,
                    int64_t *ids, size_t *n, struct gl_error *err)
{
    struct query q = {.args = NULL, .nargs = 0, .cap = 0, .oom = false};
    sqlite3_stmt *st = NULL;
    bool small = false;
    int rc = 0, src = SQLITE_DONE;
    gl_buf_init(&q.sql, 0);
    *n = 0;
    if (!f->ci_id && !fts && (f->from != GL_TIME_UNSET || f->to != GL_TIME_UNSET))
        rc = window_is_small(c, f, &small, err);
    if (rc || !build_list_query(f, fts, small, &q))
        goto out; /* an error, or a filter that matches nothing */
    st = q_prepare(c, &q, err);
    if (!st) {
        rc = GL_E_INTERNAL;
        goto out;
    }
    while (*n <= GL_LIST_MAX && (src = sqlite3_step(st)) == SQLITE_ROW)
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    if (*n <= GL_LIST_MAX && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "change list", err);
out:
    sqlite3_finalize(st);
    gl_buf_release(&q.sql);
    free(q.args);
    return rc;
}

int sq_change_list(struct gl_store *st, const struct gl_change_filter *f,
                   struct gl_change_page *out, struct gl_error *err)
{
    struct sq_store *s = sq_store(st);
    struct sq_conn *c = NULL;
    struct gl_buf fts = GL_BUF_INIT;
    int64_t ids[GL_LIST_MAX + 1];
    size_t n = 0;

    out->items = NULL;
    out->len = 0;
    out->next_cursor = 0;
    if (f->limit < 1 || f->limit > GL_LIST_MAX)
        return gl_error_set(err, GL_E_INVALID, "limit", "limit must be 1..%d", GL_LIST_MAX);
    if (f->text && fts_query(f->text, &fts)) {
        gl_buf_release(&fts);
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    }
    int rc = sq_acquire(s, &c, err);
    if (rc)
        goto out;
    rc = sq_begin(c, false, err);
    if (!rc)
        rc = list_ids(c, f, fts.len ? gl_buf_str(&fts) : NULL, ids, &n, err);
    if (!rc && n > (size_t)f->limit) {
        n = (size_t)f->limit;
        out->next_cursor = ids[n - 1];
    }
    if (!rc && n && !(out->items = calloc(n, sizeof *out->items)))
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    for (size_t i = 0; !rc && i < n; i++) {
        gl_change_init(&out->items[i]);
        rc = load_change(c, ids[i], &out->items[i], err);
        if (!rc)
            out->len++;
    }
    if (!rc)
        rc = sq_commit(c, err);
    sq_release(s, c);
    if (rc)
        gl_change_page_release(out);
out:
    gl_buf_release(&fts);
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
