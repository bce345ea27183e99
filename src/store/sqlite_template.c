/*
 * sqlite_template.c - standard-change templates in SQLite: create, update, get, list, and
 * the history of the changes made from one.
 *
 * Invariants: every write is one sq_write job with its audit event (entity "template",
 * under the template's client, 0 for every client) and a row in template_versions holding
 * the version as the codec renders it; updates are optimistic on `version`. List columns
 * (ci_types, roles, users) are JSON arrays of names.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

#include "codec/json_template.h"
#include "util/buf.h"

#include "util/banned.h"

#define TPL_COLS                                                                                   \
    "t.id, t.version, t.client_id, k.key, t.name, t.description, t.steps, t.rollback_plan, "    \
    "t.test_plan, t.ci_types, t.max_risk, t.roles, t.users, t.preapproved, t.revoked_at, "       \
    "t.revoked_reason, t.created_by, t.created_at, t.updated_at "                                \
    "FROM templates t LEFT JOIN clients k ON k.id = t.client_id"

static const char insert_sql[] =
    "INSERT INTO templates (version, client_id, name, description, steps, rollback_plan, "
    "test_plan, ci_types, max_risk, roles, users, preapproved, revoked_at, revoked_reason, "
    "created_by, created_at, updated_at) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
    "?11, ?12, ?13, ?14, ?15, ?15)";
static const char update_sql[] =
    "UPDATE templates SET version = version + 1, name = ?2, description = ?3, steps = ?4, "
    "rollback_plan = ?5, test_plan = ?6, ci_types = ?7, max_risk = ?8, roles = ?9, users = ?10, "
    "preapproved = ?11, revoked_at = ?12, revoked_reason = ?13, updated_at = ?15 "
    "WHERE id = ?16 AND version = ?17";
static const char get_sql[] = "SELECT " TPL_COLS " WHERE t.id = ?";
static const char version_add_sql[] =
    "INSERT INTO template_versions (template_id, version, json, created_by, created_at) "
    "VALUES (?, ?, ?, ?, ?)";
/* Finished changes: what counts as an outcome, however far the change went after it. */
static const char stats_sql[] =
    "SELECT count(*), ifnull(sum(outcome IN ('failed', 'rolled_back')), 0) FROM changes "
    "WHERE template_id = ? AND state IN ('completed', 'failed', 'rolled_back', 'reviewed', "
    "'closed') AND outcome IS NOT NULL";

/* ---- row <-> struct ---------------------------------------------------------------- */

static char *list_text(const struct gl_strlist *l)
{
    json_t *a = gl_json_strlist(l);
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

static char *roles_text(unsigned roles)
{
    json_t *a = gl_json_role_mask(roles);
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

/* Binds ?1..?15 (client .. created_at/updated_at = ctx->now). Owned texts go to *texts. */
static int bind_template(sqlite3_stmt *st, const struct gl_template *t, int64_t now,
                         char *texts[3])
{
    texts[0] = list_text(&t->ci_types);
    texts[1] = roles_text(t->roles);
    texts[2] = list_text(&t->users);
    if (!texts[0] || !texts[1] || !texts[2])
        return -1;
    sq_bind_optid(st, 1, t->client_id);
    sq_bind_text(st, 2, t->name);
    sq_bind_text(st, 3, t->description);
    sq_bind_text(st, 4, t->steps);
    sq_bind_text(st, 5, t->rollback_plan);
    sq_bind_text(st, 6, t->test_plan);
    sq_bind_text(st, 7, texts[0]);
    sq_bind_text(st, 8, gl_risk_level_name(t->max_risk));
    sq_bind_text(st, 9, texts[1]);
    sq_bind_text(st, 10, texts[2]);
    sqlite3_bind_int(st, 11, t->preapproved ? 1 : 0);
    sq_bind_time(st, 12, t->revoked_at);
    sq_bind_text(st, 13, t->revoked_reason);
    sq_bind_text(st, 14, t->created_by);
    sqlite3_bind_int64(st, 15, now);
    return 0;
}

static void free_texts(char *texts[3])
{
    for (int i = 0; i < 3; i++)
        free(texts[i]);
}

static int parse_list_col(sqlite3_stmt *st, int col, const char *field, struct gl_strlist *l,
                          unsigned *mask, struct gl_error *err)
{
    const char *text = (const char *)sqlite3_column_text(st, col);
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    int rc = !v ? gl_error_set(err, GL_E_INTERNAL, NULL, "template %s is not JSON", field)
             : mask ? gl_json_role_mask_parse(v, field, mask, err)
                    : gl_json_strlist_parse(v, field, l, err);
    json_decref(v);
    return rc ? GL_E_INTERNAL : 0;
}

static int read_template(sqlite3_stmt *st, struct gl_template *t, struct gl_error *err)
{
    t->id = sqlite3_column_int64(st, 0);
    t->version = sqlite3_column_int64(st, 1);
    t->client_id = sqlite3_column_int64(st, 2);
    if (sq_col_text(st, 3, &t->client_key) || sq_col_text(st, 4, &t->name) ||
        sq_col_text(st, 5, &t->description) || sq_col_text(st, 6, &t->steps) ||
        sq_col_text(st, 7, &t->rollback_plan) || sq_col_text(st, 8, &t->test_plan) ||
        sq_col_text(st, 15, &t->revoked_reason) || sq_col_text(st, 16, &t->created_by))
        return sq_oom(err);
    if (parse_list_col(st, 9, "ci_types", &t->ci_types, NULL, err) ||
        parse_list_col(st, 11, "roles", NULL, &t->roles, err) ||
        parse_list_col(st, 12, "users", &t->users, NULL, err))
        return GL_E_INTERNAL;
    if (gl_risk_level_parse((const char *)sqlite3_column_text(st, 10), &t->max_risk) < 0)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "template %lld has an unknown max_risk",
                            (long long)t->id);
    t->preapproved = sqlite3_column_int(st, 13) != 0;
    t->revoked_at = sq_col_time(st, 14);
    t->created_at = sqlite3_column_int64(st, 17);
    t->updated_at = sqlite3_column_int64(st, 18);
    return 0;
}

static int load(struct sq_conn *c, int64_t id, struct gl_template *out, struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_TEMPLATE_GET, get_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int src = sqlite3_step(st), rc;
    if (src == SQLITE_ROW)
        rc = read_template(st, out, err);
    else if (src == SQLITE_DONE)
        rc = gl_error_set(err, GL_E_NOT_FOUND, NULL, "no such template");
    else
        rc = sq_error(c, src, NULL, "read template", err);
    sqlite3_reset(st);
    if (rc)
        gl_template_release(out);
    return rc;
}

/* The version row and the audit event of a write, from one rendering. */
static int record(struct sq_conn *c, const struct gl_write_ctx *ctx, const char *dflt,
                  const struct gl_template *prev, const struct gl_template *next,
                  struct gl_error *err)
{
    char *after = gl_json_template_dump(next);
    sqlite3_stmt *st = sq_stmt(c, SQ_TEMPLATE_VERSION_ADD, version_add_sql, err);
    if (!st || !after) {
        free(after);
        return st ? sq_oom(err) : GL_E_INTERNAL;
    }
    sqlite3_bind_int64(st, 1, next->id);
    sqlite3_bind_int64(st, 2, next->version);
    sq_bind_text(st, 3, after);
    sq_bind_text(st, 4, ctx->actor);
    sqlite3_bind_int64(st, 5, ctx->now);
    int rc = sq_exec_stmt(c, st, NULL, "store template version", err);
    if (rc) {
        free(after);
        return rc;
    }
    return sq_audit_json(c, ctx, dflt, "template", next->id, next->client_id,
                         prev ? gl_json_template_dump(prev) : NULL, after, prev != NULL, err);
}

/* ---- operations -------------------------------------------------------------------- */

struct tpl_write {
    const struct gl_write_ctx *ctx;
    struct gl_template *t;
};

/* Re-reads the row just written so the caller holds exactly what is stored. */
static int reload(struct sq_conn *c, int64_t id, struct gl_template *t, struct gl_error *err)
{
    struct gl_template stored;
    gl_template_init(&stored);
    int rc = load(c, id, &stored, err);
    if (rc)
        return rc;
    gl_template_release(t);
    *t = stored;
    return 0;
}

static int create_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct tpl_write *w = arg;
    sqlite3_stmt *st = sq_stmt(c, SQ_TEMPLATE_INSERT, insert_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    char *texts[3] = {0};
    int rc = bind_template(st, w->t, w->ctx->now, texts) ? sq_oom(err)
                                                         : sq_exec_stmt(c, st, "name",
                                                                        "insert template", err);
    free_texts(texts);
    if (rc == GL_E_DUPLICATE)
        return gl_error_set(err, GL_E_DUPLICATE, "name",
                            "a template of this client is already called %.80s", w->t->name);
    if (rc || (rc = reload(c, sqlite3_last_insert_rowid(c->db), w->t, err)))
        return rc;
    return record(c, w->ctx, "template.create", NULL, w->t, err);
}

int sq_template_create(struct gl_store *st, const struct gl_write_ctx *ctx, struct gl_template *t,
                       struct gl_error *err)
{
    if (!t->created_by && ctx->actor && gl_change_set_str(&t->created_by, ctx->actor))
        return sq_oom(err);
    struct tpl_write w = {ctx, t};
    return sq_with_tx(st, true, create_tx, &w, err);
}

SQ_VERSIONED_ADAPTERS(tpl, struct gl_template, gl_template_init, gl_template_release, load)

/* Writes the row, then re-reads it so the caller holds exactly what is stored. */
static int tpl_write(struct sq_conn *c, const struct sq_update *u, struct gl_error *err)
{
    const struct gl_template *stored = u->stored;
    struct gl_template *t = u->after;
    sqlite3_stmt *st = sq_stmt(c, SQ_TEMPLATE_UPDATE, update_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    char *texts[3] = {0};
    int rc = bind_template(st, t, t->updated_at, texts);
    if (rc) {
        free_texts(texts);
        return sq_oom(err);
    }
    sqlite3_bind_int64(st, 16, stored->id);
    sqlite3_bind_int64(st, 17, stored->version);
    rc = sq_exec_stmt(c, st, "name", "update template", err);
    free_texts(texts);
    if (rc == GL_E_DUPLICATE)
        return gl_error_set(err, GL_E_DUPLICATE, "name",
                            "a template of this client is already called %.80s", t->name);
    return rc ? rc : reload(c, stored->id, t, err);
}

static int tpl_record(struct sq_conn *c, const struct sq_update *u, struct gl_error *err)
{
    return record(c, u->ctx, "template.update", u->before, u->after, err);
}

static const struct sq_versioned tpl_versioned = {
    SQ_VERSIONED_RECORD(tpl, struct gl_template),
    .noun = "template",
    .write = tpl_write,
    .record = tpl_record,
};

int sq_template_update(struct gl_store *st, const struct gl_write_ctx *ctx,
                       const struct gl_template *before, struct gl_template *after,
                       struct gl_error *err)
{
    return sq_versioned_update(st, &tpl_versioned, ctx, before, after, NULL, err);
}

struct tpl_read {
    int64_t id;
    struct gl_template *out;
    const struct gl_template_filter *f;
    struct gl_template_page *page;
    int64_t *changes, *failures;
};

static int get_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct tpl_read *r = arg;
    return load(c, r->id, r->out, err);
}

int sq_template_get(struct gl_store *st, int64_t id, struct gl_template *out,
                    struct gl_error *err)
{
    gl_template_init(out);
    struct tpl_read r = {.id = id, .out = out};
    return sq_with_tx(st, false, get_tx, &r, err);
}

static int list_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct tpl_read *r = arg;
    const struct gl_template_filter *f = r->f;
    struct gl_buf sql = GL_BUF_INIT;
    int bad = gl_buf_puts(&sql, "SELECT " TPL_COLS " WHERE 1");
    if (f->client_id)
        bad |= gl_buf_puts(&sql, " AND (t.client_id IS NULL OR t.client_id = ?)");
    if (f->before_id)
        bad |= gl_buf_puts(&sql, " AND t.id < ?");
    bool scoped = f->scope && !f->scope->all;
    if (scoped)
        bad |= sq_scope_sql(&sql, " AND (t.client_id IS NULL OR t.client_id IN (", f->scope) |
               gl_buf_puts(&sql, ")");
    bad |= gl_buf_puts(&sql, " ORDER BY t.id DESC LIMIT ?");
    if (bad)
        goto oom;
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(c->db, gl_buf_str(&sql), -1, &st, NULL);
    gl_buf_release(&sql);
    if (src != SQLITE_OK)
        return sq_error(c, src, NULL, "prepare template list", err);
    int at = 1;
    if (f->client_id)
        sqlite3_bind_int64(st, at++, f->client_id);
    if (f->before_id)
        sqlite3_bind_int64(st, at++, f->before_id);
    if (scoped)
        at = sq_bind_scope(st, at, f->scope);
    sqlite3_bind_int(st, at, f->limit + 1);
    size_t cap = 0;
    int rc = 0;
    struct gl_template_page *p = r->page;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if ((int)p->len == f->limit) {
            p->next_cursor = p->items[p->len - 1].id;
            break;
        }
        if (sq_grow((void **)&p->items, p->len, &cap, sizeof *p->items)) {
            rc = sq_oom(err);
            break;
        }
        gl_template_init(&p->items[p->len]);
        if ((rc = read_template(st, &p->items[p->len], err))) {
            gl_template_release(&p->items[p->len]);
            break;
        }
        p->len++;
    }
    if (!rc && src != SQLITE_ROW && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "list templates", err);
    sqlite3_finalize(st);
    return rc;
oom:
    gl_buf_release(&sql);
    return sq_oom(err);
}

int sq_template_list(struct gl_store *st, const struct gl_template_filter *f,
                     struct gl_template_page *out, struct gl_error *err)
{
    *out = (struct gl_template_page){0};
    struct tpl_read r = {.f = f, .page = out};
    int rc = sq_with_tx(st, false, list_tx, &r, err);
    if (rc)
        gl_template_page_release(out);
    return rc;
}

static int stats_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct tpl_read *r = arg;
    sqlite3_stmt *st = sq_stmt(c, SQ_TEMPLATE_STATS, stats_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, r->id);
    int src = sqlite3_step(st), rc = 0;
    if (src == SQLITE_ROW) {
        *r->changes = sqlite3_column_int64(st, 0);
        *r->failures = sqlite3_column_int64(st, 1);
    } else
        rc = sq_error(c, src, NULL, "template history", err);
    sqlite3_reset(st);
    return rc;
}

int sq_template_stats(struct gl_store *st, int64_t template_id, int64_t *changes,
                      int64_t *failures, struct gl_error *err)
{
    *changes = *failures = 0;
    struct tpl_read r = {.id = template_id, .changes = changes, .failures = failures};
    return sq_with_tx(st, false, stats_tx, &r, err);
}

static const char versions_sql[] =
    "SELECT v.version, v.created_at, v.created_by, v.json, t.id FROM templates t "
    "LEFT JOIN template_versions v ON v.template_id = t.id WHERE t.id = ? ORDER BY v.version";

struct versions_args {
    int64_t id;
    struct gl_template_version_list *out;
};

static int versions_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct versions_args *a = arg;
    sqlite3_stmt *st = sq_stmt(c, SQ_TEMPLATE_VERSIONS, versions_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, a->id);
    size_t cap = 0;
    int src, rc = 0;
    bool found = false;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        found = true;
        if (sqlite3_column_type(st, 0) == SQLITE_NULL)
            continue; /* a template without versions (none: every write adds one) */
        if (sq_grow((void **)&a->out->items, a->out->len, &cap, sizeof *a->out->items)) {
            rc = sq_oom(err);
            break;
        }
        struct gl_template_version *v = &a->out->items[a->out->len];
        memset(v, 0, sizeof *v);
        v->version = sqlite3_column_int64(st, 0);
        v->created_at = sqlite3_column_int64(st, 1);
        a->out->len++;
        if (sq_col_text(st, 2, &v->created_by) || sq_col_text(st, 3, &v->json)) {
            rc = sq_oom(err);
            break;
        }
    }
    if (!rc && src != SQLITE_ROW && src != SQLITE_DONE)
        rc = sq_error(c, src, NULL, "template versions", err);
    sqlite3_reset(st);
    if (!rc && !found)
        rc = gl_error_set(err, GL_E_NOT_FOUND, NULL, "no such template");
    return rc;
}

int sq_template_versions(struct gl_store *st, int64_t template_id,
                         struct gl_template_version_list *out, struct gl_error *err)
{
    *out = (struct gl_template_version_list){0};
    struct versions_args a = {template_id, out};
    int rc = sq_with_tx(st, false, versions_tx, &a, err);
    if (rc)
        gl_template_version_list_release(out);
    return rc;
}
