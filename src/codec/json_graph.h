/*
 * json_graph.h - the CI graph's answers as JSON (GET /api/v1/cis/{id}/impact and
 * GET /api/v1/what-changed, docs/api.md), written into a buffer rather than built as a
 * jansson tree (json_graph.c says why).
 */
#ifndef GL_CODEC_JSON_GRAPH_H
#define GL_CODEC_JSON_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/docs.h"
#include "core/impact.h"
#include "util/buf.h"

/* How the answer sees its caller: whether a client's CIs may be shown (client 0, shared
 * infrastructure, is asked too), and a client's key (NULL when unknown). Keys are
 * borrowed: they must live until gl_json_impact_write returns. */
struct gl_json_impact_view {
    bool (*visible)(void *ctx, int64_t client_id);
    const char *(*client_key)(void *ctx, int64_t client_id);
    void *ctx;
};

/* Appends {"ci", "depth", "items", "users_affected", "max_criticality", "clients",
 * "other_clients_cis", "truncated", "note"} for the walk im (nodes[0] the root) and its
 * totals t over the visible nodes. Returns 0 or -1 (out of memory, or the buffer's cap). */
int gl_json_impact_write(struct gl_buf *out, const struct gl_impact *im, int depth,
                         const struct gl_impact_totals *t, const struct gl_json_impact_view *v);

/* What-changed: the head ({"ci", "client", "since", "until", "depth", "items": [), then
 * items separated by commas, then the tail (], "truncated"}). ci_id 0 and client_key NULL
 * write null. Each returns 0 or -1. */
int gl_json_wc_head(struct gl_buf *out, int64_t ci_id, const char *client_key, int64_t since,
                    int64_t until, int depth);
int gl_json_wc_tail(struct gl_buf *out, bool truncated);

/* One what-changed item: the change row; where the walk met it (walked false in client
 * mode: ci, depth null and an empty path); the path from the CI asked about (ids, 0 for a
 * CI the caller may not see, written null); the documentation links to show. */
struct gl_json_wc_item {
    const struct gl_wc_row *row;
    bool walked;
    int64_t ci_id;
    int depth;
    const int64_t *path;
    size_t path_len;
    const struct gl_change_doc_link *const *docs;
    size_t ndocs;
};
int gl_json_wc_item_write(struct gl_buf *out, const struct gl_json_wc_item *it);

#endif
