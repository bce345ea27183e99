/*
 * h_graph.c - the CI graph over HTTP: /api/v1/cis/{id}/relations (list, add, delete),
 * /api/v1/cis/{id}/impact (blast radius) and /api/v1/what-changed.
 *
 * The walks themselves are core/impact.c's, fed by the store's graph reader. Tenant
 * scoping: a relation end, an impact node or a change the caller may not see is never
 * named. Impact still walks through other clients' CIs (the blast radius is real) but
 * reports them only as a count and masks them in paths; what-changed does not walk
 * through them at all and lists only changes of the caller's clients.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cmdb.h"
#include "codec/json_graph.h"
#include "codec/json_report.h"
#include "core/authz.h"
#include "core/impact.h"
#include "core/timefmt.h"
#include "http/handler_util.h"
#include "http/handlers.h"

#include "util/banned.h"

#define WC_DEFAULT_DAYS 90
#define WC_DEFAULT_DEPTH 3
#define WC_LIMIT_DEFAULT 200
#define WC_LIMIT_MAX 1000

static bool client_visible(const struct gl_request *req, int64_t client_id)
{
    return client_id == 0 || gl_scope_contains(&req->scope, client_id);
}

static json_t *ci_ident_json(int64_t id)
{
    char ident[GL_IDENT_MAX];
    gl_ci_ident_format(id, ident);
    return json_string(ident);
}

/* Loads the CI named by ident if the caller may see it; GL_E_NOT_FOUND (field) else. */
static int load_visible_ci(struct gl_request *req, const char *ident, const char *field,
                           enum gl_errcode missing, struct gl_ci *ci, struct gl_error *err)
{
    int64_t id;
    int rc = gl_ci_ident_parse(ident, &id) < 0 ? GL_E_NOT_FOUND
                                               : req->store->cis->get(req->store, id, ci, err);
    if (rc == 0 && !client_visible(req, ci->client_id)) {
        gl_ci_release(ci);
        gl_ci_init(ci);
        rc = GL_E_NOT_FOUND;
    }
    if (rc == GL_E_NOT_FOUND)
        return gl_error_set(err, missing, missing == GL_E_NOT_FOUND ? NULL : field,
                            "configuration item %s does not exist", ident);
    return rc;
}

static json_t *relation_json(const struct gl_ci_relation *r, const char *direction)
{
    json_t *o = json_pack("{s:o, s:s, s:o}", "from", ci_ident_json(r->from_ci), "kind",
                          gl_rel_kind_name(r->kind), "to", ci_ident_json(r->to_ci));
    if (direction)
        json_object_set_new(o, "direction", json_string(direction));
    return o;
}

/* ---- relations ---------------------------------------------------------------------- */

int gl_h_ci_relations_list(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_ci ci;
    struct gl_ci_relation_list l = {0};
    gl_error_clear(&err);
    gl_ci_init(&ci);
    if (load_visible_ci(req, req->captures[0], NULL, GL_E_NOT_FOUND, &ci, &err) ||
        gl_authz_check(&req->user, GL_PERM_CI_READ, ci.client_id, &err) ||
        req->store->cis->relations(req->store, ci.id, &l, &err)) {
        gl_ci_release(&ci);
        return gl_res_problem(res, req, &err);
    }
    json_t *items = json_array();
    for (size_t i = 0; i < l.len; i++) {
        const struct gl_ci_relation *r = &l.items[i];
        bool out = r->from_ci == ci.id;
        if (!client_visible(req, out ? r->to_client : r->from_client))
            continue;
        json_array_append_new(items, relation_json(r, out ? "out" : "in"));
    }
    gl_res_json(res, 200, json_pack("{s:o, s:o}", "ci", ci_ident_json(ci.id), "items", items));
    gl_ci_relation_list_release(&l);
    gl_ci_release(&ci);
    return 0;
}

/* Parses {"kind", "to"} of a new relation into r and the target CI. */
static int relation_body(struct gl_request *req, struct gl_ci_relation *r, struct gl_ci *to,
                         struct gl_error *err)
{
    json_t *body = NULL;
    int rc = gl_req_json(req, false, &body, err);
    if (rc)
        return rc;
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        if (strcmp(key, "kind") != 0 && strcmp(key, "to") != 0) {
            rc = gl_error_set(err, GL_E_INVALID, key, "unknown field %s", key);
            goto out;
        }
    }
    const char *kind = json_string_value(json_object_get(body, "kind"));
    const char *ident = json_string_value(json_object_get(body, "to"));
    if (gl_rel_kind_parse(kind, &r->kind)) {
        rc = gl_error_set(err, GL_E_INVALID, "kind",
                          "kind must be runs_on, depends_on or connects_to");
        goto out;
    }
    if (!ident) {
        rc = gl_error_set(err, GL_E_INVALID, "to", "to (a CI id) is required");
        goto out;
    }
    rc = load_visible_ci(req, ident, "to", GL_E_INVALID, to, err);
    r->to_ci = to->id;
out:
    json_decref(body);
    return rc;
}

int gl_h_ci_relations_create(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_ci from, to;
    struct gl_ci_relation r = {0};
    gl_error_clear(&err);
    gl_ci_init(&from);
    gl_ci_init(&to);
    if (load_visible_ci(req, req->captures[0], NULL, GL_E_NOT_FOUND, &from, &err) ||
        relation_body(req, &r, &to, &err))
        goto fail;
    r.from_ci = from.id;
    if (r.to_ci == r.from_ci) {
        gl_error_set(&err, GL_E_INVALID, "to", "a configuration item cannot depend on itself");
        goto fail;
    }
    struct gl_app a = gl_h_app(req);
    if (gl_app_ci_relate(&a, &from, &to, &r, true, &err)) /* re-scores what it reaches */
        goto fail;
    gl_res_json(res, 201, relation_json(&r, NULL));
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    gl_ci_release(&from);
    gl_ci_release(&to);
    return 0;
}

int gl_h_ci_relation_delete(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_ci from, to;
    struct gl_ci_relation r = {0};
    gl_error_clear(&err);
    gl_ci_init(&from);
    gl_ci_init(&to);
    if (load_visible_ci(req, req->captures[0], NULL, GL_E_NOT_FOUND, &from, &err))
        goto fail;
    if (gl_rel_kind_parse(req->captures[1], &r.kind) ||
        load_visible_ci(req, req->captures[2], NULL, GL_E_NOT_FOUND, &to, &err)) {
        gl_error_set(&err, GL_E_NOT_FOUND, NULL, "no such relation");
        goto fail;
    }
    r.from_ci = from.id;
    r.to_ci = to.id;
    struct gl_app a = gl_h_app(req);
    if (gl_app_ci_relate(&a, &from, &to, &r, false, &err)) /* re-scores what it reached */
        goto fail;
    res->status = 204;
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    gl_ci_release(&from);
    gl_ci_release(&to);
    return 0;
}

/* ---- walks -------------------------------------------------------------------------- */

/* The adjacency the core walks: the store's reader in one direction; for what-changed,
 * edges into CIs the caller may not see are dropped (never walked through). */
struct walk_ctx {
    struct gl_request *req;
    struct gl_graph_reader *reader;
    bool forward;
    bool prune_hidden;
};

static int walk_adjacent(void *ctx, int64_t ci_id, struct gl_graph_edges *out, struct gl_error *err)
{
    struct walk_ctx *w = ctx;
    int rc = w->req->store->graph->adjacent(w->reader, ci_id, w->forward, out, err);
    if (rc || !w->prune_hidden)
        return rc;
    size_t kept = 0;
    for (size_t i = 0; i < out->len; i++)
        if (client_visible(w->req, out->items[i].node.client_id))
            out->items[kept++] = out->items[i];
    out->len = kept;
    return 0;
}

static bool node_visible(void *ctx, const struct gl_graph_node *n)
{
    return client_visible(ctx, n->client_id);
}

static int parse_int_param(const struct gl_request *req, const char *name, int min, int max,
                           int dflt, int *out, struct gl_error *err)
{
    const char *s = gl_req_query(req, name);
    *out = dflt;
    if (!s)
        return 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < min || v > max)
        return gl_error_set(err, GL_E_INVALID, name, "%s must be an integer %d..%d", name, min,
                            max);
    *out = (int)v;
    return 0;
}

/* The caller's view of an impact answer (codec/json_graph.h): its scope, and client keys
 * looked up once per distinct client reached. */
struct impact_view {
    struct gl_request *req;
    int64_t ids[64];
    char *keys[64];
    size_t n;
};

static bool view_visible(void *ctx, int64_t client_id)
{
    struct impact_view *v = ctx;
    return client_visible(v->req, client_id);
}

static const char *view_client_key(void *ctx, int64_t client_id)
{
    struct impact_view *v = ctx;
    for (size_t i = 0; i < v->n; i++)
        if (v->ids[i] == client_id)
            return v->keys[i];
    if (v->n == sizeof v->ids / sizeof v->ids[0])
        return NULL; /* a walk across more clients than this lists the rest without keys */
    struct gl_client cl;
    struct gl_error err;
    gl_client_init(&cl);
    if (v->req->store->clients->get_by_id(v->req->store, client_id, &cl, &err) == 0) {
        v->ids[v->n] = client_id;
        v->keys[v->n++] = cl.key;
        cl.key = NULL;
    }
    gl_client_release(&cl);
    return v->n && v->ids[v->n - 1] == client_id ? v->keys[v->n - 1] : NULL;
}

static void answer_impact(struct gl_request *req, struct gl_response *res,
                          const struct gl_impact *im, int depth)
{
    struct gl_impact_totals t;
    struct impact_view view = {.req = req};
    struct gl_json_impact_view v = {view_visible, view_client_key, &view};
    struct gl_buf out;
    gl_buf_init(&out, 0);
    gl_impact_totals(im, node_visible, req, &t);
    if (gl_json_impact_write(&out, im, depth, &t, &v) == 0) {
        size_t len = out.len;
        gl_res_json_text(res, 200, gl_buf_detach(&out), len);
    } else {
        struct gl_error err;
        gl_error_set(&err, GL_E_INTERNAL, NULL, "out of memory");
        gl_res_problem(res, req, &err);
    }
    gl_buf_release(&out);
    for (size_t i = 0; i < view.n; i++)
        free(view.keys[i]);
}

static struct gl_graph_node node_of(const struct gl_ci *ci)
{
    return (struct gl_graph_node){ci->id, ci->client_id, ci->criticality, ci->users_affected};
}

int gl_h_ci_impact(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_ci ci;
    struct gl_impact im = {0};
    struct walk_ctx w = {.req = req, .forward = false};
    int depth;
    gl_error_clear(&err);
    gl_ci_init(&ci);
    if (load_visible_ci(req, req->captures[0], NULL, GL_E_NOT_FOUND, &ci, &err) ||
        gl_authz_check(&req->user, GL_PERM_CI_READ, ci.client_id, &err) ||
        parse_int_param(req, "depth", 0, GL_IMPACT_DEPTH_MAX, GL_IMPACT_DEPTH_MAX, &depth, &err) ||
        req->store->graph->begin(req->store, &w.reader, &err))
        goto fail;
    struct gl_graph_node root = node_of(&ci);
    int rc = gl_impact_walk(&root, depth, walk_adjacent, &w, &im, &err);
    req->store->graph->end(w.reader);
    if (rc)
        goto fail;
    answer_impact(req, res, &im, depth);
    goto out;
fail:
    gl_res_problem(res, req, &err);
out:
    gl_impact_release(&im);
    gl_ci_release(&ci);
    return 0;
}

/* ---- what changed ------------------------------------------------------------------- */

struct wc_query {
    int64_t ci_id, client_id; /* either or both */
    int64_t since, until;
    int depth, limit;
};

static int parse_time_or(const struct gl_request *req, const char *name, int64_t dflt, int64_t *out,
                         struct gl_error *err)
{
    const char *s = gl_req_query(req, name);
    *out = dflt;
    if (s && gl_time_parse(s, out) < 0)
        return gl_error_set(err, GL_E_INVALID, name, "%s must be an RFC 3339 time", name);
    return 0;
}

static int wc_parse(struct gl_request *req, struct wc_query *q, struct gl_ci *ci,
                    struct gl_error *err)
{
    const char *s;
    int rc;
    if ((s = gl_req_query(req, "client")) &&
        (rc = gl_h_resolve_client(req, s, "client", &q->client_id, err)))
        return rc;
    if ((s = gl_req_query(req, "ci")) &&
        (rc = load_visible_ci(req, s, "ci", GL_E_INVALID, ci, err)))
        return rc;
    q->ci_id = ci->id;
    if (!q->ci_id && !q->client_id)
        return gl_error_set(err, GL_E_INVALID, "ci", "give ci (a CI id) or client (a key)");
    /* until defaults to the end of the current second: a change that started this
     * second has happened. */
    if ((rc = parse_time_or(req, "until", req->now + 1, &q->until, err)) ||
        (rc = parse_time_or(req, "since", q->until - WC_DEFAULT_DAYS * 86400, &q->since, err)) ||
        (rc = parse_int_param(req, "depth", 0, GL_IMPACT_DEPTH_MAX, WC_DEFAULT_DEPTH, &q->depth,
                              err)) ||
        (rc = parse_int_param(req, "limit", 1, WC_LIMIT_MAX, WC_LIMIT_DEFAULT, &q->limit, err)))
        return rc;
    if (q->until <= q->since)
        return gl_error_set(err, GL_E_INVALID, "until", "until must be later than since");
    return gl_authz_check(&req->user, q->ci_id ? GL_PERM_CI_READ : GL_PERM_CHANGE_READ,
                          q->ci_id ? ci->client_id : q->client_id, err);
}

struct wc_result {
    struct gl_impact im;
    struct gl_wc_rows rows;
    struct gl_wc_hit *hits;
    size_t nhits;                    /* after ranking: the distinct changes, best first */
    struct gl_change_doc_links docs; /* of the changes answered, by change id */
};

/* (ci id, walk node) pairs sorted by id, to find the node a row was found on. */
struct node_key {
    int64_t ci_id;
    size_t node;
};

static int by_ci_id(const void *pa, const void *pb)
{
    const struct node_key *a = pa, *b = pb;
    return a->ci_id < b->ci_id ? -1 : a->ci_id > b->ci_id;
}

/* Turns the rows the caller may see (and of the asked client, if any) into hits: at the
 * depth of the walk node they were found on (keys NULL: client mode, depth 0). */
static int wc_collect(const struct gl_request *req, const struct wc_query *q,
                      const struct node_key *keys, size_t nkeys, struct wc_result *r,
                      struct gl_error *err)
{
    r->hits = calloc(r->rows.len ? r->rows.len : 1, sizeof *r->hits);
    if (!r->hits)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    for (size_t i = 0; i < r->rows.len; i++) {
        const struct gl_wc_row *w = &r->rows.items[i];
        if (!gl_scope_contains(&req->scope, w->client_id) ||
            (q->client_id && w->client_id != q->client_id))
            continue;
        struct node_key want = {w->ci_id, 0}, *k = NULL;
        if (keys && !(k = bsearch(&want, keys, nkeys, sizeof *keys, by_ci_id)))
            continue;
        r->hits[r->nhits++] =
            (struct gl_wc_hit){.change_id = w->change_id,
                               .depth = k ? r->im.nodes[k->node].depth : 0,
                               .node = k ? k->node : 0,
                               .row = i,
                               .recency = gl_wc_recency(w->planned_start, w->actual_start)};
    }
    return 0;
}

/* The walk's CIs as ids (for the query) and as sorted keys (to map rows back). */
static int wc_nodes(const struct gl_impact *im, int64_t **ids, struct node_key **keys,
                    struct gl_error *err)
{
    *ids = malloc(im->len * sizeof **ids);
    *keys = malloc(im->len * sizeof **keys);
    if (!*ids || !*keys)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    for (size_t i = 0; i < im->len; i++) {
        (*ids)[i] = im->nodes[i].ci.ci_id;
        (*keys)[i] = (struct node_key){im->nodes[i].ci.ci_id, i};
    }
    qsort(*keys, im->len, sizeof **keys, by_ci_id);
    return 0;
}

/* Ranks the hits and reads the documentation of the changes that will be answered: one
 * query for all of them, in the walk's snapshot. */
static int wc_rank_docs(struct gl_graph_reader *reader, const struct gl_graph_store *graph,
                        const struct wc_query *q, struct wc_result *r, struct gl_error *err)
{
    r->nhits = gl_wc_rank(r->hits, r->nhits);
    size_t n = r->nhits < (size_t)q->limit ? r->nhits : (size_t)q->limit;
    if (!n)
        return 0;
    int64_t *ids = malloc(n * sizeof *ids);
    if (!ids)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    for (size_t i = 0; i < n; i++)
        ids[i] = r->hits[i].change_id;
    int rc = graph->change_docs(reader, ids, n, &r->docs, err);
    free(ids);
    return rc;
}

static int wc_run(struct gl_request *req, const struct wc_query *q, const struct gl_ci *ci,
                  struct wc_result *r, struct gl_error *err)
{
    struct walk_ctx w = {.req = req, .forward = true, .prune_hidden = true};
    int64_t *ids = NULL;
    struct node_key *keys = NULL;
    int rc = req->store->graph->begin(req->store, &w.reader, err);
    if (rc)
        return rc;
    const struct gl_graph_store *graph = req->store->graph;
    if (!q->ci_id) {
        rc = graph->changes(w.reader, NULL, 0, q->client_id, q->since, q->until, &r->rows, err);
        if (!rc)
            rc = wc_collect(req, q, NULL, 0, r, err);
        if (!rc)
            rc = wc_rank_docs(w.reader, graph, q, r, err);
        goto out;
    }
    struct gl_graph_node root = node_of(ci);
    rc = gl_impact_walk(&root, q->depth, walk_adjacent, &w, &r->im, err);
    if (!rc)
        rc = wc_nodes(&r->im, &ids, &keys, err);
    if (!rc)
        rc = graph->changes(w.reader, ids, r->im.len, 0, q->since, q->until, &r->rows, err);
    if (!rc)
        rc = wc_collect(req, q, keys, r->im.len, r, err);
    if (!rc)
        rc = wc_rank_docs(w.reader, graph, q, r, err);
out:
    graph->end(w.reader);
    free(ids);
    free(keys);
    return rc;
}

/* Appends hit h as one item (codec/json_graph.h): the path as the caller may see it, and
 * the documentation the change altered in clients the caller sees (a change's documents
 * are its client's, so that is a guard, not a filter in practice). */
static int wc_item_write(struct gl_buf *out, struct gl_request *req, const struct wc_result *r,
                         const struct gl_wc_hit *h, bool walked)
{
    const struct gl_wc_row *w = &r->rows.items[h->row];
    size_t at[GL_IMPACT_DEPTH_MAX + 1];
    int64_t path[GL_IMPACT_DEPTH_MAX + 1];
    size_t npath = walked ? gl_impact_path(&r->im, h->node, at, GL_IMPACT_DEPTH_MAX + 1) : 0;
    for (size_t k = 0; k < npath; k++) {
        const struct gl_graph_node *c = &r->im.nodes[at[k]].ci;
        path[k] = client_visible(req, c->client_id) ? c->ci_id : 0;
    }
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, so a pointer's size */
    const struct gl_change_doc_link **docs = malloc((r->docs.len + 1) * sizeof *docs);
    size_t ndocs = 0;
    if (!docs)
        return -1;
    for (size_t i = 0; i < r->docs.len; i++) {
        const struct gl_change_doc_link *l = &r->docs.items[i];
        if (l->change_id == w->change_id && gl_scope_contains(&req->scope, l->client_id))
            docs[ndocs++] = l;
    }
    struct gl_json_wc_item it = {
        .row = w,
        .walked = walked,
        .ci_id = walked ? r->im.nodes[h->node].ci.ci_id : 0,
        .depth = h->depth,
        .path = path,
        .path_len = npath,
        .docs = docs,
        .ndocs = ndocs,
    };
    int rc = gl_json_wc_item_write(out, &it);
    free(docs);
    return rc;
}

int gl_h_what_changed(struct gl_request *req, struct gl_response *res)
{
    struct gl_error err;
    struct gl_ci ci;
    struct wc_query q = {0};
    struct wc_result r = {0};
    gl_error_clear(&err);
    gl_ci_init(&ci);
    if (wc_parse(req, &q, &ci, &err) || wc_run(req, &q, &ci, &r, &err)) {
        gl_res_problem(res, req, &err);
        goto out;
    }
    size_t n = r.nhits; /* ranked by wc_run */
    struct gl_buf out;
    gl_buf_init(&out, 0);
    char *key = NULL;
    if (q.client_id) {
        struct gl_client cl;
        gl_client_init(&cl);
        if (req->store->clients->get_by_id(req->store, q.client_id, &cl, &err) == 0) {
            key = cl.key;
            cl.key = NULL;
        }
        gl_client_release(&cl);
    }
    int rc = gl_json_wc_head(&out, q.ci_id, key, q.since, q.until, q.ci_id ? q.depth : 0);
    free(key);
    for (size_t i = 0; !rc && i < n && i < (size_t)q.limit; i++)
        rc =
            (i && gl_buf_putc(&out, ',')) || wc_item_write(&out, req, &r, &r.hits[i], q.ci_id != 0);
    if (!rc)
        rc = gl_json_wc_tail(&out, n > (size_t)q.limit);
    if (rc) {
        gl_error_set(&err, GL_E_INTERNAL, NULL, "out of memory");
        gl_res_problem(res, req, &err);
    } else {
        size_t len = out.len;
        gl_res_json_text(res, 200, gl_buf_detach(&out), len);
    }
    gl_buf_release(&out);
out:
    free(r.hits);
    gl_change_doc_links_release(&r.docs);
    gl_wc_rows_release(&r.rows);
    gl_impact_release(&r.im);
    gl_ci_release(&ci);
    return 0;
}
