/*
 * json_impact.h - the impact answer as JSON (GET /api/v1/cis/{id}/impact, docs/api.md),
 * written into a buffer rather than built as a jansson tree (json_impact.c says why).
 */
#ifndef GL_CODEC_JSON_IMPACT_H
#define GL_CODEC_JSON_IMPACT_H

#include <stdbool.h>
#include <stdint.h>

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

#endif
