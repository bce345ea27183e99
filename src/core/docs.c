/*
 * docs.c - documents and versions: lifetime, names, validation, and the two rules of
 * documentation (possibly stale; what completing a change needs). See docs.h.
 *
 * Invariants: every refusal names its wire field; release functions accept NULL and
 * leave the struct re-initialised; nothing here reads the clock.
 */
#include "core/docs.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/change.h"
#include "util/utf8.h"

#include "util/banned.h"

static const char *const kind_names[GL_DOC_KIND__COUNT] = {"baseline", "runbook", "network_note",
                                                           "other"};
static const char *const format_names[GL_DOC_FORMAT__COUNT] = {"markdown", "text"};

void gl_document_init(struct gl_document *d)
{
    memset(d, 0, sizeof *d);
    d->kind = GL_DOC_OTHER;
    d->reviewed_at = GL_TIME_UNSET;
    d->last_version_at = GL_TIME_UNSET;
}

void gl_document_release(struct gl_document *d)
{
    if (!d)
        return;
    free(d->client_key);
    free(d->title);
    free(d->reviewed_by);
    gl_document_init(d);
}

void gl_doc_version_init(struct gl_doc_version *v)
{
    memset(v, 0, sizeof *v);
    v->format = GL_DOC_MARKDOWN;
}

void gl_doc_version_release(struct gl_doc_version *v)
{
    if (!v)
        return;
    free(v->body);
    free(v->author);
    gl_doc_version_init(v);
}

void gl_change_doc_links_release(struct gl_change_doc_links *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->len; i++)
        free(l->items[i].title);
    free(l->items);
    memset(l, 0, sizeof *l);
}

const char *gl_doc_kind_name(enum gl_doc_kind k)
{
    return (unsigned)k < GL_DOC_KIND__COUNT ? kind_names[k] : "unknown";
}

const char *gl_doc_format_name(enum gl_doc_format f)
{
    return (unsigned)f < GL_DOC_FORMAT__COUNT ? format_names[f] : "unknown";
}

static int parse_name(const char *s, const char *const *names, int n)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

int gl_doc_kind_parse(const char *s, enum gl_doc_kind *out)
{
    int i = parse_name(s, kind_names, GL_DOC_KIND__COUNT);
    if (i < 0)
        return -1;
    *out = (enum gl_doc_kind)i;
    return 0;
}

int gl_doc_format_parse(const char *s, enum gl_doc_format *out)
{
    int i = parse_name(s, format_names, GL_DOC_FORMAT__COUNT);
    if (i < 0)
        return -1;
    *out = (enum gl_doc_format)i;
    return 0;
}

void gl_doc_ident_format(int64_t id, char out[GL_DOC_IDENT_MAX])
{
    snprintf(out, GL_DOC_IDENT_MAX, "DOC-%06" PRId64, id);
}

int gl_doc_ident_parse(const char *s, int64_t *id)
{
    if (!s)
        return -1;
    if (strncmp(s, "DOC-", 4) == 0)
        s += 4;
    if (!*s || strlen(s) > 18)
        return -1;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (v <= 0)
        return -1;
    *id = v;
    return 0;
}

int gl_document_validate(const struct gl_document *d, struct gl_error *err)
{
    size_t n = d->title ? strlen(d->title) : 0;
    if (n == 0)
        return gl_error_set(err, GL_E_INVALID, "title", "a document needs a title");
    if (n > GL_DOC_TITLE_MAX || !gl_utf8_valid(d->title, n))
        return gl_error_set(err, GL_E_INVALID, "title",
                            "title must be UTF-8 text of at most %d bytes", GL_DOC_TITLE_MAX);
    if ((unsigned)d->kind >= GL_DOC_KIND__COUNT)
        return gl_error_set(err, GL_E_INVALID, "kind",
                            "kind must be baseline, runbook, network_note or other");
    if (d->client_id <= 0)
        return gl_error_set(err, GL_E_INVALID, "client", "a document belongs to a client");
    return 0;
}

int gl_doc_version_validate(const struct gl_doc_version *v, struct gl_error *err)
{
    if (!v->body)
        return gl_error_set(err, GL_E_INVALID, "body", "a version needs a body (it may be empty)");
    size_t n = strlen(v->body);
    if (n > GL_DOC_BODY_MAX)
        return gl_error_set(err, GL_E_TOO_LARGE, "body", "body is over %d bytes", GL_DOC_BODY_MAX);
    if (!gl_utf8_valid(v->body, n))
        return gl_error_set(err, GL_E_INVALID, "body", "body must be UTF-8 text");
    if ((unsigned)v->format >= GL_DOC_FORMAT__COUNT)
        return gl_error_set(err, GL_E_INVALID, "format", "format must be markdown or text");
    return 0;
}

bool gl_doc_possibly_stale(const struct gl_document *d)
{
    if (d->ci_id == 0)
        return false;
    int64_t touched = d->last_version_at;
    if (d->reviewed_at != GL_TIME_UNSET && d->reviewed_at > touched)
        touched = d->reviewed_at;
    for (size_t i = 0; i < d->nfacts && i < GL_DOC_FACTS_MAX; i++) {
        const struct gl_doc_fact *f = &d->facts[i];
        if (f->actual_end != GL_TIME_UNSET && f->actual_end > touched && !f->acknowledged)
            return true;
    }
    return false;
}

static const struct gl_doc_ref *find_ref(const struct gl_doc_ref *docs, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (docs[i].id == id)
            return &docs[i];
    return NULL;
}

/* "DOC-000001, DOC-000002" into b (capped by the error detail's size). */
static void list_docs(struct gl_buf *b, const struct gl_doc_ref *docs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ident[GL_DOC_IDENT_MAX];
        gl_doc_ident_format(docs[i].id, ident);
        gl_buf_printf(b, "%s%s", i ? ", " : "", ident);
    }
}

static int check_result(const struct gl_doc_ref *docs, size_t ndocs,
                        const struct gl_doc_result *r, struct gl_error *err)
{
    char ident[GL_DOC_IDENT_MAX];
    gl_doc_ident_format(r->id, ident);
    const struct gl_doc_ref *ref = find_ref(docs, ndocs, r->id);
    if (!ref)
        return gl_error_set(err, GL_E_PRECONDITION, "documents",
                            "%s is not documentation of this change's CIs", ident);
    if (r->version < 1 || r->version > ref->current_version)
        return gl_error_set(err, GL_E_PRECONDITION, "documents",
                            "%s has no version %lld (its current version is %lld)", ident,
                            (long long)r->version, (long long)ref->current_version);
    if (ref->base_version && r->version < ref->base_version)
        return gl_error_set(err, GL_E_PRECONDITION, "documents",
                            "%s version %lld is older than the change's baseline (version %lld)",
                            ident, (long long)r->version, (long long)ref->base_version);
    return 0;
}

int gl_docs_check_completion(const struct gl_doc_ref *docs, size_t ndocs,
                             const struct gl_doc_result *results, size_t nresults,
                             bool no_doc_affected, struct gl_error *err)
{
    if (no_doc_affected && nresults)
        return gl_error_set(err, GL_E_INVALID, "documents",
                            "give either documents or no_documentation_affected, not both");
    for (size_t i = 0; i < nresults; i++) {
        int rc = check_result(docs, ndocs, &results[i], err);
        if (rc)
            return rc;
    }
    if (ndocs == 0 || no_doc_affected || nresults)
        return 0;
    struct gl_buf b;
    gl_buf_init(&b, 200);
    list_docs(&b, docs, ndocs);
    int rc = gl_error_set(err, GL_E_PRECONDITION, "documents",
                          "this change alters documented CIs: name the updated versions of %s "
                          "(\"documents\": {\"DOC-...\": N}) or declare "
                          "\"no_documentation_affected\": true",
                          gl_buf_str(&b));
    gl_buf_release(&b);
    return rc;
}
