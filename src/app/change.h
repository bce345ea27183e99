/*
 * change.h - the actions on a change: create, edit, each lifecycle action, and votes.
 *
 * Each is one transaction (app.h). Permissions are checked here, after the change was
 * found visible (core/authz.c); moves are the lifecycle's (core/lifecycle.c); what
 * follows a write (a new score, a re-approval, the calendar's record, a template losing
 * its pre-approval) is written in the same transaction.
 */
#ifndef GL_APP_CHANGE_H
#define GL_APP_CHANGE_H

#include <stdbool.h>

#include "app/app.h"
#include "app/route.h"
#include "app/schedule.h"
#include "core/docs.h"
#include "core/lifecycle.h"

/* Action: create c (parsed; client_id resolved and visible) as a draft raised by the
 * caller. c receives its id, version and times. */
int gl_app_change_create(const struct gl_app *a, struct gl_change *c, struct gl_error *err);

/* Applies the caller's edit to `after`, a copy of `before` (e.g. a JSON merge patch). */
typedef int (*gl_app_change_edit_fn)(void *ud, const struct gl_change *before,
                                     struct gl_change *after, struct gl_error *err);

struct gl_app_edit {
    int64_t if_match; /* the version the caller read; required */
    gl_app_change_edit_fn apply;
    void *ud;
    struct gl_app_sched_opts sched; /* when the edit moves a scheduled change */
};

/* Action: edit change id. out receives the stored change; sched (may be NULL) the gate's
 * findings when the edit moved a scheduled change. */
int gl_app_change_edit(const struct gl_app *a, int64_t id, const struct gl_app_edit *e,
                       struct gl_change *out, struct gl_app_sched *sched, struct gl_error *err);

/* A lifecycle action (not approve / reject: see gl_app_change_vote). */
struct gl_app_act {
    enum gl_action action;
    int64_t if_match; /* 0 = not given */
    struct gl_action_input in;
    const char *comment;            /* recorded with the audit event when no reason */
    struct gl_app_sched_opts sched; /* schedule */
    /* complete: the documents' resulting versions, or none affected (doc_info: either
     * was given) */
    const struct gl_doc_result *doc_results;
    size_t ndoc_results;
    bool no_doc_affected, doc_info;
};

struct gl_app_act_result {
    struct gl_change change;   /* the change as stored afterwards */
    struct gl_app_sched sched; /* schedule: what the gate found */
    /* A standard change's submit runs the pre-approved path (submit, assess, and schedule
     * when planned): standard is set, and a schedule refused on the way is kept in
     * schedule_problem (the change stays assessed). */
    bool standard;
    bool has_schedule_problem;
    struct gl_error schedule_problem;
    /* Refused because the change does not fit its template: offer a normal change. */
    bool suggest_normal;
};

/* Action: x on change id. A refusal after the process wrote something that must stand
 * (starting a change whose score moved sends it back for approval first) commits that
 * write and still answers the refusal. */
int gl_app_change_act(const struct gl_app *a, int64_t id, const struct gl_app_act *x,
                      struct gl_app_act_result *out, struct gl_error *err);
void gl_app_act_result_release(struct gl_app_act_result *r);

struct gl_app_vote {
    enum gl_vote_decision decision;
    int64_t if_match; /* 0 = not given */
    const char *comment; /* approve */
    const char *reason;  /* reject: required */
};

/* Action: the caller's vote on change id. out receives the change as stored afterwards
 * (moved to approved when the vote completes the route, to rejected on a rejection). */
int gl_app_change_vote(const struct gl_app *a, int64_t id, const struct gl_app_vote *v,
                       struct gl_change *out, struct gl_error *err);

#endif
