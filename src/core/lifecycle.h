/*
 * lifecycle.h - the one state machine every change passes through.
 *
 *   draft -> submitted -> assessed -> approved -> scheduled -> in_progress
 *         -> completed | failed | rolled_back -> reviewed -> closed
 *   cancel from any state before in_progress; reject returns an assessed change to draft
 *   with its reason (state_reason); a change left in the older `rejected` state can be
 *   reopened as draft. Whether an approve vote completes the approval is decided by
 *   core/approval.c; gl_lifecycle_apply(APPROVE) is the move once it does.
 *
 * Type-specific paths: standard changes are pre-approved (assessed -> scheduled without an
 * approval); emergency changes may be approved straight from submitted and started straight
 * from approved, but cannot be closed before they are fully documented. Which finished
 * changes must be reviewed before close is the policy's (core/review.h): close leaves
 * completed, failed, rolled back or reviewed, and is refused (GL_E_PRECONDITION, field
 * "summary", the rule named) while a needed review is missing.
 *
 * gl_lifecycle_apply is pure: it checks the action against the state and its preconditions
 * and, when they hold, writes the resulting record into `after` (state, times, outcome,
 * review, reason). It never touches storage or reads the clock: `now` is passed in.
 */
#ifndef GL_LIFECYCLE_H
#define GL_LIFECYCLE_H

#include <stdint.h>

#include "core/change.h"
#include "core/error.h"
#include "core/review.h"

enum gl_action {
    GL_ACTION_SUBMIT,
    GL_ACTION_ASSESS,
    GL_ACTION_APPROVE,
    GL_ACTION_REJECT,
    GL_ACTION_REOPEN,
    GL_ACTION_SCHEDULE,
    GL_ACTION_START,
    GL_ACTION_COMPLETE,
    GL_ACTION_FAIL,
    GL_ACTION_ROLLBACK,
    GL_ACTION_REVIEW,
    GL_ACTION_CLOSE,
    GL_ACTION_CANCEL,
    GL_ACTION__COUNT
};

/* What the caller supplies with an action; every field is optional unless the action's
 * preconditions say otherwise. Strings are borrowed. */
struct gl_action_input {
    const char *actor;          /* who performs it (recorded as reviewed_by for review) */
    const char *reason;         /* reject, cancel, fail: required */
    const char *outcome_notes;  /* complete, fail, rollback */
    const char *review_summary; /* review: required */
    const char *review_lessons; /* review */
    int64_t planned_start;      /* schedule: optional new window, else the planned one; */
    int64_t planned_end;        /* GL_TIME_UNSET or 0 means "not given" */
    /* close: whether the policy in force asks a post-implementation review first
     * (gl_review_before_close). NULL: gl_review_rule_floor applies (failed, rolled back
     * and emergency changes), which is never less than the policy's default asks but for
     * the risk levels, which the caller must supply. */
    const struct gl_review_need *review;
};

/* An input with nothing given: `struct gl_action_input in = GL_ACTION_INPUT_INIT;`.
 * A NULL input to gl_lifecycle_apply means the same. */
#define GL_ACTION_INPUT_INIT {.planned_start = GL_TIME_UNSET, .planned_end = GL_TIME_UNSET}

const char *gl_action_name(enum gl_action a);
/* Returns 0 or -1 for an unknown name. Names are the URL segment: "submit", "rollback". */
int gl_action_parse(const char *s, enum gl_action *out);

/* Whether `action` is allowed from `before`'s state for its type, ignoring preconditions. */
bool gl_lifecycle_allows(const struct gl_change *before, enum gl_action action);

/*
 * Checks `action` on `before` at time `now`. On success returns 0 and fills `after`
 * (which must be initialised; it receives a deep copy of before with the transition
 * applied). On refusal returns GL_E_TRANSITION (not allowed from this state) or
 * GL_E_PRECONDITION / GL_E_INVALID (a named precondition or input is missing; err->field
 * names the field) and leaves `after` released. `after` must not be `before`. `in` may be
 * NULL (nothing given). GL_E_TRANSITION carries no field. On success after->updated_at is
 * `now`; version is left for the store to bump.
 */
int gl_lifecycle_apply(const struct gl_change *before, enum gl_action action,
                       const struct gl_action_input *in, int64_t now, struct gl_change *after,
                       struct gl_error *err);

/*
 * Field-level rules for edits (PATCH): whether `field` (wire name, e.g. "rollback_plan")
 * may be changed while the change is in `before`'s state. Returns 0, GL_E_PRECONDITION
 * with a reason naming the field and the state, or GL_E_INVALID for a name that is not a
 * writable field. Terminal states (closed, cancelled) allow nothing.
 */
int gl_change_check_edit(const struct gl_change *before, const char *field, struct gl_error *err);

/*
 * Validates a record as a whole (create and after every edit): required fields, lengths,
 * planned_end after planned_start, enum ranges. Returns 0 or GL_E_INVALID with the field.
 */
int gl_change_validate(const struct gl_change *c, struct gl_error *err);

#endif
