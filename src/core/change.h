/*
 * change.h - the change record, Greenlight's central type.
 *
 * A struct gl_change owns every string and list it points to; gl_change_release frees
 * them and leaves the struct zeroed (reusable after gl_change_init). String fields are
 * NULL when unset; an empty string is normalised to NULL by gl_change_set_str so "unset"
 * has one representation. Times are UTC seconds since the epoch, GL_TIME_UNSET when
 * absent.
 *
 * Identifiers: the numeric id is the store's; humans see "CHG-000123"
 * (gl_change_ident_format / _parse). Clients are referenced by numeric id in the record
 * and by their key (e.g. "acme") on the wire; CIs by numeric id and "CI-000042".
 */
#ifndef GL_CHANGE_H
#define GL_CHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define GL_TIME_UNSET INT64_MIN

enum gl_change_type {
    GL_TYPE_STANDARD,
    GL_TYPE_NORMAL,
    GL_TYPE_EMERGENCY,
    GL_TYPE__COUNT
};

enum gl_change_state {
    GL_STATE_DRAFT,
    GL_STATE_SUBMITTED,
    GL_STATE_ASSESSED,
    GL_STATE_APPROVED,
    GL_STATE_REJECTED,
    GL_STATE_SCHEDULED,
    GL_STATE_IN_PROGRESS,
    GL_STATE_COMPLETED,
    GL_STATE_FAILED,
    GL_STATE_ROLLED_BACK,
    GL_STATE_REVIEWED,
    GL_STATE_CLOSED,
    GL_STATE_CANCELLED,
    GL_STATE__COUNT
};

enum gl_outcome {
    GL_OUTCOME_NONE,
    GL_OUTCOME_SUCCESSFUL,
    GL_OUTCOME_FAILED,
    GL_OUTCOME_ROLLED_BACK,
    GL_OUTCOME__COUNT
};

/* A list of owned strings (incident references). */
struct gl_strlist {
    char **items;
    size_t len;
};

/* A list of ids (affected CIs, related changes). */
struct gl_idlist {
    int64_t *items;
    size_t len;
};

struct gl_change {
    int64_t id;      /* 0 until stored */
    int64_t version; /* 1 on creation, +1 on every write */
    enum gl_change_type type;
    enum gl_change_state state;
    int64_t client_id;
    char *client_key; /* filled by the store on read, for display */

    char *title;
    char *description;

    /* The 7 R's. */
    char *raised_by;       /* who raised it */
    char *reason;          /* why */
    char *expected_return; /* what it should bring */
    char *risks;           /* risks as the requester sees them */
    char *implementer;     /* who is responsible for implementing it */
    char *resources;       /* people, tools, budget needed */
    struct gl_idlist related_changes; /* relationship to other changes */

    struct gl_idlist ci_ids; /* affected configuration items */
    int64_t template_id;     /* standard-change template it was created from; 0 = none */

    char *implementation_plan;
    char *test_plan;
    char *rollback_plan;
    bool rollback_tested;
    char *rollback_evidence;

    int64_t planned_start;
    int64_t planned_end;
    int64_t actual_start;
    int64_t actual_end;

    enum gl_outcome outcome;
    char *outcome_notes;

    /* Post-implementation review. */
    char *review_summary;
    char *review_lessons;
    char *reviewed_by;
    int64_t reviewed_at;

    struct gl_strlist incidents; /* linked incident references, e.g. "INC-4711" */

    char *state_reason; /* reason given with the last transition (reject, cancel, fail) */

    char *created_by;
    int64_t created_at;
    int64_t updated_at;
};

void gl_change_init(struct gl_change *c);
/* Frees everything c owns and re-initialises it. Accepts NULL. */
void gl_change_release(struct gl_change *c);
/* Deep copy; returns 0 or GL_E_INTERNAL on allocation failure. dst must be initialised. */
int gl_change_copy(struct gl_change *dst, const struct gl_change *src);

/* Replaces *field with a copy of value; NULL or "" clears it. Returns 0 or -1 (no memory). */
int gl_change_set_str(char **field, const char *value);

/*
 * A change as stored on the wire: every write renders the record with the codec
 * (codec/json.h, gl_json_change_dump) and keeps the text beside the row, in the same
 * transaction. Reads that only return the record (GET, lists) then cost one lookup and no
 * decoding or encoding. `format` is the codec's GL_JSON_CHANGE_FORMAT at the time of the write; a
 * reader that finds another value must fall back to change_get / change_list (store.h).
 */
struct gl_change_doc {
    int64_t id;
    int64_t version;
    int64_t client_id;
    int format;
    char *json; /* malloc'd */
};

/* Frees json (leaving it NULL). Accepts NULL. */
void gl_change_doc_release(struct gl_change_doc *d);

/* Wire names. Out-of-range values give "unknown"; gl_outcome_name gives NULL for
 * GL_OUTCOME_NONE (JSON null) and out-of-range values, and gl_outcome_parse refuses "none". */
const char *gl_change_type_name(enum gl_change_type t);
const char *gl_change_state_name(enum gl_change_state s);
const char *gl_outcome_name(enum gl_outcome o);
/* Parse a wire name ("normal", "in_progress", "rolled_back"); returns 0 or -1 when unknown. */
int gl_change_type_parse(const char *s, enum gl_change_type *out);
int gl_change_state_parse(const char *s, enum gl_change_state *out);
int gl_outcome_parse(const char *s, enum gl_outcome *out);

/* "CHG-000123". out must hold at least GL_IDENT_MAX bytes. */
#define GL_IDENT_MAX 32
void gl_change_ident_format(int64_t id, char out[GL_IDENT_MAX]);
/* Accepts "CHG-000123", "CHG-123" and "123" (prefix case-insensitive); returns 0 or -1.
 * Refuses 0, signs, spaces, trailing junk and values that overflow int64_t. */
int gl_change_ident_parse(const char *s, int64_t *id);
/* The same for configuration items: "CI-000042". */
void gl_ci_ident_format(int64_t id, char out[GL_IDENT_MAX]);
int gl_ci_ident_parse(const char *s, int64_t *id);

/* List helpers return 0 or -1 (no memory; NULL string). Pushing copies s. */
int gl_strlist_push(struct gl_strlist *l, const char *s);
void gl_strlist_release(struct gl_strlist *l);
int gl_idlist_push(struct gl_idlist *l, int64_t id);
bool gl_idlist_contains(const struct gl_idlist *l, int64_t id);
void gl_idlist_release(struct gl_idlist *l);

#endif
