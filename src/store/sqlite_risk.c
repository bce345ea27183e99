/*
 * sqlite_risk.c - risk assessments in SQLite: gathering a change's risk inputs, storing
 * assessments, and the "risk" summary in the change's rendering (see store.h).
 *
 * Gathering, for one change:
 *  - everything downstream of the affected CIs: one breadth-first walk (core/impact.c)
 *    through the graph reader (the in-memory graph when current) from a virtual root
 *    whose neighbours are the affected CIs, so CIs shared by several affected ones are
 *    expanded once; at most RISK_DEPTH edges below the affected CIs and at most
 *    RISK_WALK_MAX CIs expanded, which bounds the cost on a huge graph (the counts the
 *    score saturates on are long reached by then);
 *  - the affected CIs' own criticality and users (one indexed lookup each), in one read
 *    transaction;
 *  - history: finished changes (those with an outcome) on the same CIs and from the same
 *    template, the change itself excluded;
 *  - the schedule summary comes from the calendar's store op before the transaction.
 *
 * The score is not made here: the app layer scores the inputs under the policy
 * (core/risk.c) and hands the assessment back to be saved.
 *
 * Invariants: risk_assessments is append-only and the latest row per change is current;
 * a new row is written only when the inputs or the policy version differ from the latest,
 * in one write job with its "risk.assess" audit event (entity "risk", id the change's)
 * and the rendering's update. The
 * read-then-write is re-checked inside the write job, so concurrent assessments of one
 * change store one row.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "codec/json_risk.h"
#include "core/impact.h"

#include "util/banned.h"

/* Edges followed below the affected CIs, and CIs expanded at most. */
#define RISK_DEPTH 5
#define RISK_WALK_MAX 5000
/* The walk's virtual root: no CI has this id (ids are positive; the walk's visited set
 * reserves 0). */
#define VIRTUAL_ROOT (-1)

#define RENDER_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

static const char risk_ci_sql[] =
    "SELECT ifnull(client_id, 0), criticality, users_affected FROM cis WHERE id = ?";
/* Reads outcomes from the small changes_finished index, not the wide change rows (which
 * cost a page read each on a large database; bench/RESULTS.md). */
static const char risk_ci_history_sql[] =
    "SELECT count(*), ifnull(sum(outcome IN ('failed', 'rolled_back')), 0)"
    "  FROM changes INDEXED BY changes_finished"
    " WHERE outcome IS NOT NULL AND id IN ("
    "   SELECT cc.change_id FROM change_cis cc"
    "    WHERE cc.ci_id IN (SELECT ci_id FROM change_cis WHERE change_id = ?1)"
    "      AND cc.change_id <> ?1)";
/* changes.template_id arrives with the templates' migration; until then this statement
 * does not prepare and template history is none. */
static const char risk_template_history_sql[] =
    "SELECT ifnull(me.template_id, 0),"
    "       (SELECT count(*) FROM changes o WHERE o.template_id = me.template_id"
    "           AND o.id <> me.id AND o.outcome IS NOT NULL),"
    "       (SELECT count(*) FROM changes o WHERE o.template_id = me.template_id"
    "           AND o.id <> me.id AND o.outcome IN ('failed', 'rolled_back'))"
    "  FROM changes me WHERE me.id = ?";
static const char risk_latest_sql[] =
    "SELECT id, assessed_at, score, level, policy_version, inputs_json, factors_json"
    "  FROM risk_assessments WHERE change_id = ? ORDER BY id DESC LIMIT 1";
static const char risk_head_sql[] =
    "SELECT assessed_at, policy_version, inputs_json"
    "  FROM risk_assessments WHERE change_id = ? ORDER BY id DESC LIMIT 1";
static const char risk_insert_sql[] =
    "INSERT INTO risk_assessments (change_id, assessed_at, score, level, policy_version,"
    " inputs_json, factors_json) VALUES (?, ?, ?, ?, ?, ?, ?)";
static const char risk_doc_set_sql[] = "UPDATE change_docs SET json = ? WHERE change_id = ?";
/* ---- gathering ---------------------------------------------------------------------- */

struct walk_ctx {
    struct gl_graph_reader *r;
    const struct gl_graph_node *affected;
    size_t naffected;
    size_t expanded;
    bool cut; /* RISK_WALK_MAX reached */
};

static int risk_adjacent(void *ctx, int64_t ci_id, struct gl_graph_edges *out, struct gl_error *err)
{
    struct walk_ctx *w = ctx;
    if (ci_id == VIRTUAL_ROOT) {
        for (size_t i = 0; i < w->naffected; i++)
            if (gl_graph_edges_push(out, &w->affected[i], GL_REL_DEPENDS_ON))
                return sq_oom(err);
        return 0;
    }
    if (++w->expanded > RISK_WALK_MAX) {
        w->cut = true;
        return 0;
    }
    return sq_graph_adjacent(w->r, ci_id, false, out, err);
}

/* Adds client id to the set (ids[0..*n)); ids has room for every node. */
static void client_add(int64_t *ids, size_t *n, int64_t id)
{
    for (size_t i = 0; i < *n; i++)
        if (ids[i] == id)
            return;
    ids[(*n)++] = id;
}

/* The affected CIs' own numbers (criticality, users). */
static int gather_affected(struct sq_conn *c, const struct gl_change *ch, struct gl_risk_inputs *in,
                           struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_RISK_CI, risk_ci_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    for (size_t i = 0; i < ch->ci_ids.len; i++) {
        sqlite3_bind_int64(st, 1, ch->ci_ids.items[i]);
        int src = sqlite3_step(st);
        if (src == SQLITE_ROW) {
            in->affected_cis++;
            int crit = sqlite3_column_int(st, 1);
            if (crit > in->max_ci_criticality)
                in->max_ci_criticality = crit;
            in->users_affected += sqlite3_column_int64(st, 2);
        }
        sqlite3_reset(st);
        if (src != SQLITE_ROW && src != SQLITE_DONE)
            return sq_error(c, src, NULL, "risk CI read", err);
    }
    return 0;
}

/* Everything downstream of the affected CIs, through the graph reader (the in-memory
 * graph when current, else SQL) in a read transaction of its own. */
static int gather_graph(struct gl_store *st, const struct gl_change *ch, struct gl_risk_inputs *in,
                        struct gl_error *err)
{
    size_t naff = ch->ci_ids.len;
    if (naff == 0)
        return 0;
    struct gl_graph_node *affected = calloc(naff, sizeof *affected);
    struct gl_impact im = {0};
    int64_t *clients = NULL;
    struct gl_graph_reader *r = NULL;
    if (!affected)
        return sq_oom(err);
    for (size_t i = 0; i < naff; i++)
        affected[i].ci_id = ch->ci_ids.items[i];
    int rc = sq_graph_begin(st, &r, err);
    if (rc)
        goto out;
    struct walk_ctx w = {.r = r, .affected = affected, .naffected = naff};
    struct gl_graph_node root = {.ci_id = VIRTUAL_ROOT};
    rc = gl_impact_walk(&root, RISK_DEPTH + 1, risk_adjacent, &w, &im, err);
    if (rc)
        goto out;
    /* nodes[0] is the virtual root and nodes[1..naff] the affected CIs (the root's
     * neighbours, distinct, all new to the walk); the rest is downstream. */
    if (!(clients = calloc(im.len + 1, sizeof *clients))) {
        rc = sq_oom(err);
        goto out;
    }
    size_t nclients = 0;
    for (size_t i = 1 + naff; i < im.len; i++) {
        const struct gl_graph_node *n = &im.nodes[i].ci;
        in->dependent_cis++;
        in->users_affected += n->users_affected;
        if (n->criticality > in->max_dependent_criticality)
            in->max_dependent_criticality = n->criticality;
        if (n->client_id != 0 && n->client_id != ch->client_id)
            client_add(clients, &nclients, n->client_id);
    }
    in->clients_touched = nclients;
out:
    sq_graph_end(r);
    free(affected);
    free(clients);
    gl_impact_release(&im);
    return rc;
}

static int gather_history(struct sq_conn *c, const struct gl_change *ch, struct gl_risk_inputs *in,
                          struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_RISK_CI_HISTORY, risk_ci_history_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, ch->id);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        in->ci_changes = sqlite3_column_int64(st, 0);
        in->ci_failures = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (src != SQLITE_ROW)
        return sq_error(c, src, NULL, "risk CI history", err);

    struct gl_error scratch;
    st = sq_stmt(c, SQ_RISK_TEMPLATE_HISTORY, risk_template_history_sql, &scratch);
    if (!st)
        return 0; /* no template column yet: no template history */
    sqlite3_bind_int64(st, 1, ch->id);
    src = sqlite3_step(st);
    if (src == SQLITE_ROW && sqlite3_column_int64(st, 0) != 0) {
        in->from_template = true;
        in->template_changes = sqlite3_column_int64(st, 1);
        in->template_failures = sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return sq_error(c, src, NULL, "risk template history", err);
    return 0;
}

/* The inputs read in the assessment's own transaction (the graph part is already in). */
static int gather_rest(struct sq_conn *c, const struct gl_change *ch, struct gl_risk_inputs *in,
                       struct gl_error *err)
{
    int rc = gather_affected(c, ch, in, err);
    if (!rc)
        rc = gather_history(c, ch, in, err);
    return rc;
}

struct rest_args {
    const struct gl_change *ch;
    struct gl_risk_inputs *in;
};

static int rest_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct rest_args *x = arg;
    return gather_rest(c, x->ch, x->in, err);
}

/* ---- stored assessments -------------------------------------------------------------- */

static int parse_json_col(sqlite3_stmt *st, int col, json_t **out, struct gl_error *err)
{
    const char *text = (const char *)sqlite3_column_text(st, col);
    *out = text ? json_loads(text, 0, NULL) : NULL;
    if (!*out)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "stored risk assessment is unreadable");
    return 0;
}

/* The latest assessment of change_id into out; GL_E_NOT_FOUND when none. */
static int latest_load(struct sq_conn *c, int64_t change_id, struct gl_risk_assessment *out,
                       struct gl_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_RISK_LATEST, risk_latest_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, change_id);
    int src = sqlite3_step(st), rc = 0;
    json_t *inputs = NULL, *factors = NULL;
    memset(out, 0, sizeof *out);
    if (src == SQLITE_DONE) {
        rc = gl_error_set(err, GL_E_NOT_FOUND, NULL, "the change has not been assessed");
    } else if (src != SQLITE_ROW) {
        rc = sq_error(c, src, NULL, "read risk assessment", err);
    } else {
        out->change_id = change_id;
        out->assessed_at = sqlite3_column_int64(st, 1);
        out->score = sqlite3_column_double(st, 2);
        out->policy_version = sqlite3_column_int64(st, 4);
        if (gl_risk_level_parse((const char *)sqlite3_column_text(st, 3), &out->level))
            out->level = GL_RISK_LOW;
        if (!(rc = parse_json_col(st, 5, &inputs, err)) &&
            !(rc = parse_json_col(st, 6, &factors, err)) &&
            (gl_json_risk_inputs_parse(inputs, &out->inputs, NULL) ||
             gl_json_risk_factors_parse(factors, out, NULL)))
            rc = gl_error_set(err, GL_E_INTERNAL, NULL, "stored risk assessment is unreadable");
        long tenths = 0;
        for (int f = 0; f < GL_FACTOR__COUNT; f++)
            tenths += (long)(out->factors[f].points * 10 + 0.5);
        out->uncapped = tenths / 10.0;
        out->capped = tenths > 1000;
    }
    sqlite3_reset(st);
    json_decref(inputs);
    json_decref(factors);
    return rc;
}

/* Puts the summary of a into the change's stored rendering (when it has a current one). */
static int update_rendering(struct sq_conn *c, const struct gl_risk_assessment *a,
                            struct gl_error *err)
{
    struct gl_change_doc doc = {0};
    int rc = sq_change_doc_load(c, a->change_id, &doc, err);
    if (rc || !doc.json || doc.format != c->render->format)
        goto out; /* no rendering: readers re-encode the record */
    char *text = c->render->with_risk(doc.json, a);
    if (!text) {
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "cannot render the change's risk");
        goto out;
    }
    sqlite3_stmt *st = sq_stmt(c, SQ_RISK_DOC_SET, risk_doc_set_sql, err);
    if (!st) {
        free(text);
        rc = GL_E_INTERNAL;
        goto out;
    }
    sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, a->change_id);
    rc = sq_exec_stmt(c, st, NULL, "store change rendering", err);
    free(text);
out:
    gl_change_doc_release(&doc);
    return rc;
}

static char *dump(json_t *o)
{
    char *s = o ? json_dumps(o, RENDER_FLAGS) : NULL;
    json_decref(o);
    return s;
}

/* What decides whether an assessment is new: the latest one's policy version and inputs,
 * compared as the stored text (the codec's output is deterministic), so the common
 * "nothing changed" answer parses no JSON. */
struct head {
    bool have;
    int64_t assessed_at, policy_version;
    char *inputs; /* malloc'd */
};

static int head_load(struct sq_conn *c, int64_t change_id, struct head *h, struct gl_error *err)
{
    memset(h, 0, sizeof *h);
    sqlite3_stmt *st = sq_stmt(c, SQ_RISK_HEAD, risk_head_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, change_id);
    int src = sqlite3_step(st), rc = 0;
    if (src == SQLITE_ROW) {
        h->have = true;
        h->assessed_at = sqlite3_column_int64(st, 0);
        h->policy_version = sqlite3_column_int64(st, 1);
        if (sq_col_text(st, 2, &h->inputs))
            rc = sq_oom(err);
    } else if (src != SQLITE_DONE) {
        rc = sq_error(c, src, NULL, "read risk assessment", err);
    }
    sqlite3_reset(st);
    return rc;
}

static bool same_inputs(const struct head *h, const char *inputs)
{
    return h->have && h->inputs && inputs && strcmp(h->inputs, inputs) == 0;
}

/* Whether an assessment under policy_version with these inputs must be stored over h. */
static bool differs(const struct head *h, int64_t policy_version, const char *inputs)
{
    return !h->have || h->policy_version != policy_version || !same_inputs(h, inputs);
}

struct store_args {
    const struct gl_write_ctx *ctx;
    struct gl_risk_assessment *a;
    const char *inputs; /* a's inputs as stored */
    int64_t client_id;
    bool stored, changed;
    int64_t standing_at; /* not stored: when the standing assessment was made */
};

static int store_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct store_args *s = arg;
    struct gl_risk_assessment prev;
    struct head h;
    char *factors = NULL;
    int rc = head_load(c, s->a->change_id, &h, err);
    if (rc || !differs(&h, s->a->policy_version, s->inputs)) {
        s->standing_at = h.assessed_at; /* same inputs, same policy: it stands */
        goto out;
    }
    s->changed = h.have && !same_inputs(&h, s->inputs);
    bool have_prev = false;
    if (h.have) {
        if ((rc = latest_load(c, s->a->change_id, &prev, err)))
            goto out;
        have_prev = true;
    }
    factors = dump(gl_json_risk_factors(s->a));
    sqlite3_stmt *st = sq_stmt(c, SQ_RISK_INSERT, risk_insert_sql, err);
    if (!factors || !st) {
        rc = st ? sq_oom(err) : GL_E_INTERNAL;
        goto out;
    }
    sqlite3_bind_int64(st, 1, s->a->change_id);
    sqlite3_bind_int64(st, 2, s->a->assessed_at);
    sqlite3_bind_double(st, 3, s->a->score);
    sq_bind_text(st, 4, gl_risk_level_name(s->a->level));
    sqlite3_bind_int64(st, 5, s->a->policy_version);
    sq_bind_text(st, 6, s->inputs);
    sq_bind_text(st, 7, factors);
    rc = sq_exec_stmt(c, st, NULL, "store risk assessment", err);
    if (rc)
        goto out;
    /* Entity "risk" (id: the change's): in the audit log and the client's export, but not
     * in the change's timeline, which holds the versions of the change record itself. */
    struct gl_write_ctx actx = *s->ctx;
    actx.action = "risk.assess"; /* whatever write triggered it */
    rc = sq_audit_json(c, &actx, "risk.assess", "risk", s->a->change_id, s->client_id,
                       have_prev ? dump(gl_json_risk_assessment(&prev)) : strdup("null"),
                       dump(gl_json_risk_assessment(s->a)), true, err);
    if (!rc)
        rc = update_rendering(c, s->a, err);
    s->stored = rc == 0;
out:
    free(h.inputs);
    free(factors);
    return rc;
}

/* ---- operations ---------------------------------------------------------------------- */

int sq_risk_inputs(struct gl_store *st, const struct gl_change *ch, int64_t now,
                   struct gl_risk_inputs *out, struct gl_error *err)
{
    memset(out, 0, sizeof *out);
    out->type = ch->type;
    out->has_rollback_plan = ch->rollback_plan != NULL && ch->rollback_plan[0] != '\0';
    out->rollback_tested = out->has_rollback_plan && ch->rollback_tested;
    /* Each part reads in a transaction of its own, one pooled connection at a time (two
     * held at once could starve the pool under load); inside an action's transaction
     * they all read in it. */
    int rc = st->calendar->schedule_summary(st, ch, now, &out->schedule, err);
    if (!rc)
        rc = gather_graph(st, ch, out, err);
    if (rc)
        return rc;
    return sq_with_tx(st, false, rest_tx, &(struct rest_args){ch, out}, err);
}

int sq_risk_save(struct gl_store *st, const struct gl_write_ctx *ctx, int64_t client_id,
                 struct gl_risk_assessment *a, bool *stored, bool *changed, struct gl_error *err)
{
    char *inputs = dump(gl_json_risk_inputs(&a->inputs));
    *stored = *changed = false;
    if (!inputs)
        return sq_oom(err);
    struct store_args s = {.ctx = ctx, .a = a, .inputs = inputs, .client_id = client_id};
    int rc = sq_write(sq_store(st), store_tx, &s, err);
    if (!rc) {
        *stored = s.stored;
        *changed = s.changed;
        if (!s.stored)
            a->assessed_at = s.standing_at; /* the stored assessment stands, with its time */
    }
    free(inputs);
    return rc;
}

static int current_tx(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct gl_risk_assessment *out = arg;
    return latest_load(c, out->change_id, out, err);
}

int sq_risk_current(struct gl_store *st, int64_t change_id, struct gl_risk_assessment *out,
                    struct gl_error *err)
{
    memset(out, 0, sizeof *out);
    out->change_id = change_id;
    return sq_with_tx(st, false, current_tx, out, err);
}
