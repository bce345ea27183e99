/*
 * json_docs.c - documents and versions to JSON (see json_docs.h). Decoding of request
 * bodies is the handler's (h_documents.c): each member is checked where it is used.
 */
#include "codec/json_docs.h"

#include <stdlib.h>

#include "core/change.h"
#include "core/timefmt.h"

#include "util/banned.h"

static json_t *time_or_null(int64_t t)
{
    if (t == GL_TIME_UNSET)
        return json_null();
    char buf[GL_TIME_STR_MAX];
    gl_time_format(t, buf);
    return json_string(buf);
}

static json_t *ci_or_null(int64_t id)
{
    if (!id)
        return json_null();
    char ident[GL_IDENT_MAX];
    gl_ci_ident_format(id, ident);
    return json_string(ident);
}

static json_t *document(const struct gl_document *d)
{
    char ident[GL_DOC_IDENT_MAX];
    gl_doc_ident_format(d->id, ident);
    return json_pack("{s:s, s:s?, s:o, s:s, s:s?, s:I, s:o, s:s?, s:I, s:o, s:o}", "id", ident,
                     "client", d->client_key, "ci", ci_or_null(d->ci_id), "kind",
                     gl_doc_kind_name(d->kind), "title", d->title, "current_version",
                     (json_int_t)d->current_version, "reviewed_at", time_or_null(d->reviewed_at),
                     "reviewed_by", d->reviewed_by, "version", (json_int_t)d->version,
                     "created_at", time_or_null(d->created_at), "updated_at",
                     time_or_null(d->updated_at));
}

json_t *gl_json_document(const struct gl_document *d)
{
    json_t *o = document(d);
    if (o)
        json_object_set_new(o, "possibly_stale", json_boolean(gl_doc_possibly_stale(d)));
    return o;
}

char *gl_json_document_dump(const struct gl_document *d)
{
    json_t *o = document(d);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    return s;
}

json_t *gl_json_doc_version(const struct gl_doc_version *v, bool with_body)
{
    char ident[GL_DOC_IDENT_MAX];
    gl_doc_ident_format(v->document_id, ident);
    json_t *o = json_pack("{s:s, s:I, s:s, s:s?, s:o}", "document", ident, "version",
                          (json_int_t)v->version, "format", gl_doc_format_name(v->format),
                          "author", v->author, "created_at", time_or_null(v->created_at));
    if (o && with_body)
        json_object_set_new(o, "body", json_string(v->body ? v->body : ""));
    return o;
}
