/*
 * docs.h - versioned client documentation: documents, their versions, the staleness rule,
 * the completion rule for changes, and a line diff between versions.
 *
 * A document belongs to one client and optionally to one CI (of that client, or shared).
 * Its text lives in immutable versions 1, 2, 3, ...: every edit appends one, with author
 * and time; current_version names the newest. A change links the version it starts from
 * (its baseline) and, when completed, the version that describes the new state.
 *
 * Everything here is pure: no I/O and no clock (times are passed in). Structs own their
 * strings; *_release frees them, accepts NULL and leaves the struct re-initialised.
 */
#ifndef GL_DOCS_H
#define GL_DOCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "util/buf.h"

#define GL_DOC_TITLE_MAX 200
#define GL_DOC_BODY_MAX (1024 * 1024) /* bytes of one version's body */
/* Finished changes on a document's CI the store reports per document (newest first). */
#define GL_DOC_FACTS_MAX 20

enum gl_doc_kind { GL_DOC_BASELINE, GL_DOC_RUNBOOK, GL_DOC_NETWORK_NOTE, GL_DOC_OTHER, GL_DOC_KIND__COUNT };
enum gl_doc_format { GL_DOC_MARKDOWN, GL_DOC_TEXT, GL_DOC_FORMAT__COUNT };

/* A finished (completed, failed, rolled back) change on the document's CI that ended after
 * the document was last written or reviewed; `acknowledged` when the change linked a
 * resulting version of this document or declared "no documentation affected". */
struct gl_doc_fact {
    int64_t change_id;
    int64_t actual_end;
    bool acknowledged;
};

struct gl_document {
    int64_t id;
    int64_t version; /* the record's version (If-Match), +1 per edit or review */
    int64_t client_id;
    char *client_key; /* filled by the store on read */
    int64_t ci_id;    /* 0 = about the client as a whole */
    enum gl_doc_kind kind;
    char *title;
    int64_t current_version; /* newest text version */
    int64_t last_version_at; /* created_at of the current version (filled on read) */
    int64_t reviewed_at;     /* GL_TIME_UNSET = never */
    char *reviewed_by;
    int64_t created_at;
    int64_t updated_at;
    struct gl_doc_fact facts[GL_DOC_FACTS_MAX]; /* filled on read; see gl_doc_possibly_stale */
    size_t nfacts;
};

struct gl_doc_version {
    int64_t document_id;
    int64_t version;
    char *body;
    enum gl_doc_format format;
    char *author;
    int64_t created_at;
};

void gl_document_init(struct gl_document *d);
void gl_document_release(struct gl_document *d);
void gl_doc_version_init(struct gl_doc_version *v);
void gl_doc_version_release(struct gl_doc_version *v);

const char *gl_doc_kind_name(enum gl_doc_kind k);
const char *gl_doc_format_name(enum gl_doc_format f);
/* Return 0, or -1 for an unknown name. */
int gl_doc_kind_parse(const char *s, enum gl_doc_kind *out);
int gl_doc_format_parse(const char *s, enum gl_doc_format *out);

/* "DOC-000042"; parse accepts that or the bare number and returns 0 or -1. */
#define GL_DOC_IDENT_MAX 24
void gl_doc_ident_format(int64_t id, char out[GL_DOC_IDENT_MAX]);
int gl_doc_ident_parse(const char *s, int64_t *id);

/* Title 1..200 bytes of UTF-8, kind and client set. Returns 0 or GL_E_INVALID (field). */
int gl_document_validate(const struct gl_document *d, struct gl_error *err);
/* Body present, valid UTF-8 without NUL, at most GL_DOC_BODY_MAX bytes (GL_E_TOO_LARGE
 * beyond), known format. Returns 0 or the error, naming field "body" or "format". */
int gl_doc_version_validate(const struct gl_doc_version *v, struct gl_error *err);

/*
 * The staleness rule: a document is possibly stale when a finished change on its CI ended
 * after the later of its current version and its last review, and did not acknowledge it
 * (link a resulting version, or declare no documentation affected). Reads d->facts, which
 * the store fills with exactly such recent changes; documents without a CI are never stale.
 */
bool gl_doc_possibly_stale(const struct gl_document *d);

/* A document that a completing change touches: one of its CIs' documents, or one the
 * change linked. base_version is the linked baseline, 0 when none. */
struct gl_doc_ref {
    int64_t id;
    int64_t current_version;
    int64_t base_version;
};

/* A resulting version named in the complete action: {"documents": {"DOC-1": 3}}. */
struct gl_doc_result {
    int64_t id;
    int64_t version;
};

/*
 * The completion rule: completing a change whose CIs are documented needs either at least
 * one resulting version of those documents, or an explicit "no documentation affected".
 * Each named result must be one of `docs`, between its baseline (when linked) and its
 * current version. Naming results and declaring none affected at once is GL_E_INVALID.
 * Returns 0 or GL_E_PRECONDITION / GL_E_INVALID with field "documents" and a detail naming
 * the documents.
 */
int gl_docs_check_completion(const struct gl_doc_ref *docs, size_t ndocs,
                             const struct gl_doc_result *results, size_t nresults,
                             bool no_doc_affected, struct gl_error *err);

/* The documentation a change altered (change_documents): the version it started from and
 * the one describing the new state (0 = none yet), or the "none affected" mark. */
struct gl_change_doc_link {
    int64_t change_id, document_id, client_id;
    char *title; /* owned */
    int64_t base_version, result_version;
    bool no_doc_affected;
};

struct gl_change_doc_links {
    struct gl_change_doc_link *items;
    size_t len, cap;
};

/* Frees the titles and the array; leaves l empty. Accepts NULL. */
void gl_change_doc_links_release(struct gl_change_doc_links *l);

/*
 * Unified diff of two texts, line by line (Myers' O(ND) algorithm in linear space, with a
 * cost bound), three lines of context, "--- from_label" / "+++ to_label" headers and
 * "@@ -a,b +c,d @@" hunks, appended to out. Lines end at "\n"; a "\r" before it is not
 * part of the line, so CRLF and LF texts with the same lines are identical. Identical
 * texts give an empty diff. Returns 0, GL_E_TOO_LARGE when out's cap is reached, or
 * GL_E_INTERNAL when memory runs out.
 */
int gl_diff_unified(const char *a, const char *b, const char *from_label, const char *to_label,
                    struct gl_buf *out, struct gl_error *err);

#endif
