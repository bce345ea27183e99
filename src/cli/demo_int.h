/*
 * demo_int.h - what the demo's loaders share (demo.c drives them; see demo.h).
 *
 * demo.c holds the changes and drives the load; demo_cmdb.c the CMDB (clients, CIs and
 * their attributes, relations, documents) and demo_calendar.c the change calendar
 * (windows, blackouts) and the slots the future changes are planned in. Every
 * loader returns 0 or the gl_errcode of its first failing write, with err filled.
 */
#ifndef GL_CLI_DEMO_INT_H
#define GL_CLI_DEMO_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "store/store.h"

#define DEMO_ACTOR "demo"
#define DEMO_H(h) ((int64_t)(h)*3600) /* hours, in seconds */

#define DEMO_MAX_CLIENTS 8
#define DEMO_MAX_CIS 32
#define DEMO_MAX_CHANGES 32

/* Ids assigned while loading, by index in their table. */
struct demo_ids {
    int64_t client[DEMO_MAX_CLIENTS];
    int64_t ci[DEMO_MAX_CIS];
    int64_t change[DEMO_MAX_CHANGES];
    int64_t template_id; /* the standard changes' template */
};

/* The audit context of a demo write at `now` (demo.c). */
struct gl_write_ctx demo_ctx(const char *action, int64_t now, const char *reason);

/* ---- demo_cmdb.c -------------------------------------------------------------------- */

/* The id of a demo client by key / CI by name; 0 when unknown (NULL key: shared). */
int64_t demo_client_id(const struct demo_ids *ids, const char *key);
int64_t demo_ci_id(const struct demo_ids *ids, const char *name);

/* The clients, then the CIs with their attributes. */
int demo_load_clients(struct gl_store *st, int64_t base, struct demo_ids *ids,
                      struct gl_error *err);
int demo_load_cis(struct gl_store *st, int64_t base, struct demo_ids *ids, struct gl_error *err);
/* The relations between the demo CIs. */
int demo_load_relations(struct gl_store *st, int64_t base, const struct demo_ids *ids,
                        struct gl_error *err);
/* The documents and their earlier versions, all written before the changes. */
int demo_load_documents(struct gl_store *st, int64_t base, const struct demo_ids *ids,
                        struct gl_error *err);
/* Links the current version of the demo document `title` to the stored change c as its
 * baseline. */
int demo_doc_link(struct gl_store *st, const struct gl_write_ctx *ctx, const struct gl_change *c,
                  const char *title, struct gl_error *err);
/* Completes before -> after together with the documentation: the implementer writes the
 * new version of `title` (the one describing the new state) and names it as the result. */
int demo_doc_complete(struct gl_store *st, const struct gl_write_ctx *ctx,
                      const struct gl_change *before, struct gl_change *after, const char *title,
                      const char *author, struct gl_error *err);

/* ---- demo_calendar.c ---------------------------------------------------------------- */

/* The maintenance windows and blackouts (clients' and global), relative to base. */
int demo_load_calendar(struct gl_store *st, int64_t base, const struct demo_ids *ids,
                       struct gl_error *err);
/* The start of the first of client_id's window occurrences at or after `after` that holds
 * `duration` seconds beside the client's changes planned there and, with avoid_blackouts,
 * meets no blackout (client's or global); GL_E_NOT_FOUND when none within 120 days. */
int demo_window_slot(struct gl_store *st, int64_t client_id, int64_t after, int64_t duration,
                     bool avoid_blackouts, int64_t *start, struct gl_error *err);

#endif
