/*
 * json_docs.h - documents and their versions on the wire (see core/docs.h).
 *
 * A document: {"id": "DOC-000001", "client", "ci": "CI-000007"|null, "kind", "title",
 * "current_version", "reviewed_at", "reviewed_by", "possibly_stale", "version",
 * "created_at", "updated_at"}; a version: {"document", "version", "format", "author",
 * "created_at"} plus "body" when asked for. Returned json_t are new references; *_dump
 * returns malloc'd text (NULL when out of memory).
 */
#ifndef GL_CODEC_JSON_DOCS_H
#define GL_CODEC_JSON_DOCS_H

#include <stdbool.h>

#include <jansson.h>

#include "core/docs.h"

json_t *gl_json_document(const struct gl_document *d);
/* The audit snapshot: the document without the computed staleness. */
char *gl_json_document_dump(const struct gl_document *d);
json_t *gl_json_doc_version(const struct gl_doc_version *v, bool with_body);

#endif
