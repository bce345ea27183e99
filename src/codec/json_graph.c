/*
 * json_graph.c - the CI graph's answers (impact, what-changed), written straight into a
 * buffer.
 *
 * A blast radius of a few hundred CIs is ~18 KB of JSON; built as a jansson tree it was
 * thousands of small allocations per answer, and with the walk itself in memory that tree
 * was most of the impact endpoint's CPU (bench/RESULTS.md, issue 5). Almost every value
 * here is an integer, an identifier, a time, a fixed name or a client key, so writing it
 * directly is short; the output is the same document the tree gave, member for member.
 * (Documentation links, rare, still go through their jansson codec.)
 */
#include "codec/json_graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json_report.h"
#include "core/change.h"
#include "core/timefmt.h"

#include "util/banned.h"

/* A JSON string; client keys are [a-z0-9-], but nothing here relies on that. */
static int put_str(struct gl_buf *b, const char *s)
{
    int rc = gl_buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; !rc && *p; p++) {
        if (*p == '"' || *p == '\\')
            rc = gl_buf_putc(b, '\\') || gl_buf_putc(b, (char)*p);
        else if (*p < 0x20)
            rc = gl_buf_printf(b, "\\u%04x", *p);
        else
            rc = gl_buf_putc(b, (char)*p);
    }
    return rc || gl_buf_putc(b, '"');
}

/* Appends u in decimal, zero-padded to at least `width` digits. */
static int put_digits(struct gl_buf *b, uint64_t u, size_t width)
{
    char rev[24], out[24];
    size_t n = 0;
    do
        rev[n++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    while (n < width)
        rev[n++] = '0';
    for (size_t i = 0; i < n; i++)
        out[i] = rev[n - 1 - i];
    return gl_buf_append(b, out, n);
}

static int put_int(struct gl_buf *b, int64_t v)
{
    if (v < 0)
        return gl_buf_putc(b, '-') || put_digits(b, (uint64_t)0 - (uint64_t)v, 1);
    return put_digits(b, (uint64_t)v, 1);
}

/* "CI-000042": as gl_ci_ident_format, without a printf per identifier. */
static int put_ident(struct gl_buf *b, int64_t id)
{
    return gl_buf_puts(b, "\"CI-") || put_digits(b, id < 0 ? 0 : (uint64_t)id, 6) ||
           gl_buf_putc(b, '"');
}

static int put_client(struct gl_buf *b, const struct gl_json_impact_view *v, int64_t client_id)
{
    const char *key = client_id ? v->client_key(v->ctx, client_id) : NULL;
    return key ? put_str(b, key) : gl_buf_puts(b, "null");
}

static int put_path(struct gl_buf *b, const struct gl_impact *im, size_t i,
                    const struct gl_json_impact_view *v)
{
    size_t path[GL_IMPACT_DEPTH_MAX + 1];
    size_t n = gl_impact_path(im, i, path, GL_IMPACT_DEPTH_MAX + 1);
    int rc = gl_buf_putc(b, '[');
    for (size_t k = 0; !rc && k < n; k++) {
        const struct gl_graph_node *c = &im->nodes[path[k]].ci;
        if (k)
            rc = gl_buf_putc(b, ',');
        if (!rc)
            rc = v->visible(v->ctx, c->client_id) ? put_ident(b, c->ci_id) : gl_buf_puts(b, "null");
    }
    return rc || gl_buf_putc(b, ']');
}

static int put_item(struct gl_buf *b, const struct gl_impact *im, size_t i,
                    const struct gl_json_impact_view *v)
{
    const struct gl_impact_node *n = &im->nodes[i];
    return gl_buf_puts(b, "{\"ci\":") || put_ident(b, n->ci.ci_id) ||
           gl_buf_puts(b, ",\"client\":") || put_client(b, v, n->ci.client_id) ||
           gl_buf_puts(b, ",\"criticality\":") || put_int(b, n->ci.criticality) ||
           gl_buf_puts(b, ",\"users_affected\":") || put_int(b, n->ci.users_affected) ||
           gl_buf_puts(b, ",\"depth\":") || put_int(b, n->depth) || gl_buf_puts(b, ",\"kind\":") ||
           put_str(b, gl_rel_kind_name(n->kind)) || gl_buf_puts(b, ",\"path\":") ||
           put_path(b, im, i, v) || gl_buf_putc(b, '}');
}

int gl_json_impact_write(struct gl_buf *b, const struct gl_impact *im, int depth,
                         const struct gl_impact_totals *t, const struct gl_json_impact_view *v)
{
    int rc = gl_buf_puts(b, "{\"ci\":") || put_ident(b, im->nodes[0].ci.ci_id) ||
             gl_buf_puts(b, ",\"depth\":") || put_int(b, depth) || gl_buf_puts(b, ",\"items\":[");
    bool first = true;
    for (size_t i = 1; !rc && i < im->len; i++) {
        if (!v->visible(v->ctx, im->nodes[i].ci.client_id))
            continue;
        rc = (!first && gl_buf_putc(b, ',')) || put_item(b, im, i, v);
        first = false;
    }
    rc = rc || gl_buf_puts(b, "],\"users_affected\":") || put_int(b, t->users_affected) ||
         gl_buf_puts(b, ",\"max_criticality\":") || put_int(b, t->max_criticality) ||
         gl_buf_puts(b, ",\"clients\":[");
    /* The visible clients reached, each once, in walk order. */
    int64_t *seen = rc ? NULL : malloc(im->len * sizeof *seen);
    size_t nseen = 0;
    rc = rc || !seen;
    first = true;
    for (size_t i = 0; !rc && i < im->len; i++) {
        int64_t id = im->nodes[i].ci.client_id;
        size_t k = 0;
        while (k < nseen && seen[k] != id)
            k++;
        if (id == 0 || k < nseen || !v->visible(v->ctx, id))
            continue;
        seen[nseen++] = id;
        const char *key = v->client_key(v->ctx, id);
        if (!key)
            continue;
        rc = (!first && gl_buf_putc(b, ',')) || put_str(b, key);
        first = false;
    }
    free(seen);
    rc = rc || gl_buf_puts(b, "],\"other_clients_cis\":") || put_int(b, (int64_t)t->left_out) ||
         gl_buf_puts(b, im->truncated ? ",\"truncated\":true" : ",\"truncated\":false") ||
         gl_buf_puts(b, ",\"note\":");
    if (!rc && t->left_out)
        rc = gl_buf_printf(b, "\"%zu CIs of other clients\"", t->left_out);
    else if (!rc)
        rc = gl_buf_puts(b, "null");
    return rc || gl_buf_putc(b, '}') ? -1 : 0;
}

/* ---- what changed ------------------------------------------------------------------- */

static int put_time(struct gl_buf *b, int64_t t)
{
    if (t == GL_TIME_UNSET)
        return gl_buf_puts(b, "null");
    char s[GL_TIME_STR_MAX];
    gl_time_format(t, s);
    return gl_buf_putc(b, '"') || gl_buf_puts(b, s) || gl_buf_putc(b, '"');
}

static int put_change_ident(struct gl_buf *b, int64_t id)
{
    char ident[GL_IDENT_MAX];
    gl_change_ident_format(id, ident);
    return put_str(b, ident);
}

static int put_name(struct gl_buf *b, const char *name)
{
    return name ? put_str(b, name) : gl_buf_puts(b, "null");
}

static int put_docs(struct gl_buf *b, const struct gl_json_wc_item *it)
{
    int rc = gl_buf_putc(b, '[');
    for (size_t i = 0; !rc && i < it->ndocs; i++) {
        json_t *d = gl_json_change_doc_link(it->docs[i]);
        char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
        rc = !text || (i && gl_buf_putc(b, ',')) || gl_buf_puts(b, text);
        free(text);
        json_decref(d);
    }
    return rc || gl_buf_putc(b, ']');
}

int gl_json_wc_head(struct gl_buf *b, int64_t ci_id, const char *client_key, int64_t since,
                    int64_t until, int depth)
{
    return gl_buf_puts(b, "{\"ci\":") || (ci_id ? put_ident(b, ci_id) : gl_buf_puts(b, "null")) ||
                   gl_buf_puts(b, ",\"client\":") || put_name(b, client_key) ||
                   gl_buf_puts(b, ",\"since\":") || put_time(b, since) ||
                   gl_buf_puts(b, ",\"until\":") || put_time(b, until) ||
                   gl_buf_puts(b, ",\"depth\":") || put_int(b, depth) ||
                   gl_buf_puts(b, ",\"items\":[")
               ? -1
               : 0;
}

int gl_json_wc_tail(struct gl_buf *b, bool truncated)
{
    return gl_buf_puts(b, truncated ? "],\"truncated\":true}" : "],\"truncated\":false}") ? -1 : 0;
}

int gl_json_wc_item_write(struct gl_buf *b, const struct gl_json_wc_item *it)
{
    const struct gl_wc_row *w = it->row;
    int rc = gl_buf_puts(b, "{\"id\":") || put_change_ident(b, w->change_id) ||
             gl_buf_puts(b, ",\"client\":") || put_name(b, w->client_key) ||
             gl_buf_puts(b, ",\"title\":") || put_str(b, w->title ? w->title : "") ||
             gl_buf_puts(b, ",\"type\":") || put_str(b, gl_change_type_name(w->type)) ||
             gl_buf_puts(b, ",\"state\":") || put_str(b, gl_change_state_name(w->state)) ||
             gl_buf_puts(b, ",\"outcome\":") || put_name(b, gl_outcome_name(w->outcome)) ||
             gl_buf_puts(b, ",\"planned_start\":") || put_time(b, w->planned_start) ||
             gl_buf_puts(b, ",\"planned_end\":") || put_time(b, w->planned_end) ||
             gl_buf_puts(b, ",\"actual_start\":") || put_time(b, w->actual_start) ||
             gl_buf_puts(b, ",\"actual_end\":") || put_time(b, w->actual_end) ||
             gl_buf_puts(b, ",\"ci\":") ||
             (it->walked ? put_ident(b, it->ci_id) : gl_buf_puts(b, "null")) ||
             gl_buf_puts(b, ",\"depth\":") ||
             (it->walked ? put_int(b, it->depth) : gl_buf_puts(b, "null")) ||
             gl_buf_puts(b, ",\"path\":[");
    for (size_t i = 0; !rc && i < it->path_len; i++)
        rc = (i && gl_buf_putc(b, ',')) ||
             (it->path[i] ? put_ident(b, it->path[i]) : gl_buf_puts(b, "null"));
    return rc || gl_buf_puts(b, "],\"documents\":") || put_docs(b, it) || gl_buf_putc(b, '}') ? -1
                                                                                              : 0;
}
