/*
 * lifecycle.c - the change state machine, edit rules and whole-record validation
 * (see lifecycle.h).
 *
 * Invariants: which action may leave which state, per type, is decided by the one table
 * `from_states` and nowhere else; an action is first checked against that table
 * (GL_E_TRANSITION), then against its preconditions (GL_E_PRECONDITION / GL_E_INVALID,
 * naming the wire field), and only then applied to a deep copy. `before` is never
 * modified; `after` is either the complete result or released. The clock is `now`.
 */
#include "core/lifecycle.h"

#include <stddef.h>
#include <string.h>

#include "util/banned.h"

#define TITLE_MAX 200
#define TEXT_MAX 65536
#define INCIDENT_REF_MAX 64
#define INCIDENTS_MAX 50
#define CIS_MAX 500
#define RELATED_MAX 100

static const char *const action_names[GL_ACTION__COUNT] = {
    [GL_ACTION_SUBMIT] = "submit",   [GL_ACTION_ASSESS] = "assess",
    [GL_ACTION_APPROVE] = "approve", [GL_ACTION_REJECT] = "reject",
    [GL_ACTION_REOPEN] = "reopen",   [GL_ACTION_SCHEDULE] = "schedule",
    [GL_ACTION_START] = "start",     [GL_ACTION_COMPLETE] = "complete",
    [GL_ACTION_FAIL] = "fail",       [GL_ACTION_ROLLBACK] = "rollback",
    [GL_ACTION_REVIEW] = "review",   [GL_ACTION_CLOSE] = "close",
    [GL_ACTION_CANCEL] = "cancel",
};

/* States as a sentence says them: "a change that is in progress". */
static const char *const state_labels[GL_STATE__COUNT] = {
    [GL_STATE_DRAFT] = "draft",
    [GL_STATE_SUBMITTED] = "submitted",
    [GL_STATE_ASSESSED] = "assessed",
    [GL_STATE_APPROVED] = "approved",
    [GL_STATE_REJECTED] = "rejected",
    [GL_STATE_SCHEDULED] = "scheduled",
    [GL_STATE_IN_PROGRESS] = "in progress",
    [GL_STATE_COMPLETED] = "completed",
    [GL_STATE_FAILED] = "failed",
    [GL_STATE_ROLLED_BACK] = "rolled back",
    [GL_STATE_REVIEWED] = "reviewed",
    [GL_STATE_CLOSED] = "closed",
    [GL_STATE_CANCELLED] = "cancelled",
};

#define S(x) (1u << GL_STATE_##x)
/* clang-format off */
#define ALL_TYPES(m) {(m), (m), (m)}
/* clang-format on */

/* from_states[action][type]: the states the action may leave. Order: standard, normal,
 * emergency. */
static const unsigned from_states[GL_ACTION__COUNT][GL_TYPE__COUNT] = {
    [GL_ACTION_SUBMIT] = ALL_TYPES(S(DRAFT)),
    [GL_ACTION_ASSESS] = ALL_TYPES(S(SUBMITTED)),
    [GL_ACTION_APPROVE] = {0, S(ASSESSED), S(SUBMITTED) | S(ASSESSED)},
    [GL_ACTION_REJECT] = {0, S(ASSESSED), S(SUBMITTED) | S(ASSESSED)},
    [GL_ACTION_REOPEN] = ALL_TYPES(S(REJECTED)),
    [GL_ACTION_SCHEDULE] = {S(APPROVED) | S(ASSESSED), S(APPROVED), S(APPROVED)},
    [GL_ACTION_START] = {S(SCHEDULED), S(SCHEDULED), S(SCHEDULED) | S(APPROVED)},
    [GL_ACTION_COMPLETE] = ALL_TYPES(S(IN_PROGRESS)),
    [GL_ACTION_FAIL] = ALL_TYPES(S(IN_PROGRESS)),
    [GL_ACTION_ROLLBACK] = ALL_TYPES(S(IN_PROGRESS) | S(FAILED)),
    [GL_ACTION_REVIEW] = ALL_TYPES(S(COMPLETED) | S(FAILED) | S(ROLLED_BACK)),
    /* Whether a review must come first is the policy's (do_close). */
    [GL_ACTION_CLOSE] = ALL_TYPES(S(REVIEWED) | S(COMPLETED) | S(FAILED) | S(ROLLED_BACK)),
    [GL_ACTION_CANCEL] =
        ALL_TYPES(S(DRAFT) | S(SUBMITTED) | S(ASSESSED) | S(APPROVED) | S(REJECTED) | S(SCHEDULED)),
};

static const struct gl_action_input no_input = {
    .planned_start = GL_TIME_UNSET,
    .planned_end = GL_TIME_UNSET,
};

const char *gl_action_name(enum gl_action a)
{
    return (unsigned)a < GL_ACTION__COUNT ? action_names[a] : "unknown";
}

int gl_action_parse(const char *s, enum gl_action *out)
{
    if (!s)
        return -1;
    for (int i = 0; i < GL_ACTION__COUNT; i++) {
        if (strcmp(action_names[i], s) == 0) {
            *out = (enum gl_action)i;
            return 0;
        }
    }
    return -1;
}

bool gl_lifecycle_allows(const struct gl_change *before, enum gl_action action)
{
    if ((unsigned)action >= GL_ACTION__COUNT || (unsigned)before->type >= GL_TYPE__COUNT ||
        (unsigned)before->state >= GL_STATE__COUNT)
        return false;
    return (from_states[action][before->type] & (1u << before->state)) != 0;
}

/* ---- helpers ---------------------------------------------------------------------- */

static bool has_text(const char *s)
{
    if (!s)
        return false;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return true;
    return false;
}

static bool time_set(int64_t t)
{
    return t != GL_TIME_UNSET;
}

/* Input times: zero counts as unset too, so a `{0}`-initialised input is harmless. */
static bool input_time_set(int64_t t)
{
    return t != GL_TIME_UNSET && t != 0;
}

static const char *state_label(enum gl_change_state s)
{
    return (unsigned)s < GL_STATE__COUNT ? state_labels[s] : "unknown";
}

/* "a normal change", "an emergency change" */
static const char *type_phrase(enum gl_change_type t)
{
    switch (t) {
    case GL_TYPE_STANDARD:
        return "a standard change";
    case GL_TYPE_NORMAL:
        return "a normal change";
    case GL_TYPE_EMERGENCY:
        return "an emergency change";
    default:
        return "a change";
    }
}

static int set_str(char **field, const char *value, struct gl_error *err)
{
    if (gl_change_set_str(field, value) < 0)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    return 0;
}

static int refuse_transition(const struct gl_change *c, enum gl_action action, struct gl_error *err)
{
    if (c->type == GL_TYPE_STANDARD && action == GL_ACTION_APPROVE)
        return gl_error_set(err, GL_E_TRANSITION, NULL,
                            "standard changes are pre-approved; schedule them directly");
    if (c->type == GL_TYPE_STANDARD && action == GL_ACTION_REJECT)
        return gl_error_set(err, GL_E_TRANSITION, NULL,
                            "standard changes are pre-approved and cannot be rejected; "
                            "cancel them instead");
    return gl_error_set(err, GL_E_TRANSITION, NULL, "cannot %s a change that is %s",
                        gl_action_name(action), state_label(c->state));
}

/*
 * What a change must hold before it may move forward (submit, and again at approve and
 * schedule, since edits in between may have removed something). `verb` completes
 * "cannot be ... without".
 */
static int check_ready(const struct gl_change *c, const char *verb, struct gl_error *err)
{
    const char *tp = type_phrase(c->type);
    if (!has_text(c->title))
        return gl_error_set(err, GL_E_PRECONDITION, "title", "%s cannot be %s without a title", tp,
                            verb);
    if (!has_text(c->description))
        return gl_error_set(err, GL_E_PRECONDITION, "description",
                            "%s cannot be %s without a description", tp, verb);
    if (!c->ci_ids.len)
        return gl_error_set(err, GL_E_PRECONDITION, "cis",
                            "%s cannot be %s without at least one affected configuration item", tp,
                            verb);
    if (c->type == GL_TYPE_EMERGENCY) {
        if (!c->incidents.len)
            return gl_error_set(err, GL_E_PRECONDITION, "incidents",
                                "%s cannot be %s without a linked incident", tp, verb);
        return 0;
    }
    if (!has_text(c->implementation_plan))
        return gl_error_set(err, GL_E_PRECONDITION, "implementation_plan",
                            "%s cannot be %s without an implementation plan", tp, verb);
    if (c->type == GL_TYPE_NORMAL && !has_text(c->test_plan))
        return gl_error_set(err, GL_E_PRECONDITION, "test_plan",
                            "%s cannot be %s without a test plan", tp, verb);
    if (c->type == GL_TYPE_NORMAL && !has_text(c->rollback_plan))
        return gl_error_set(err, GL_E_PRECONDITION, "rollback_plan",
                            "%s cannot be %s without a rollback plan", tp, verb);
    if (!time_set(c->planned_start))
        return gl_error_set(err, GL_E_PRECONDITION, "planned_start",
                            "%s cannot be %s without a planned start and end", tp, verb);
    if (!time_set(c->planned_end))
        return gl_error_set(err, GL_E_PRECONDITION, "planned_end",
                            "%s cannot be %s without a planned start and end", tp, verb);
    if (c->planned_end <= c->planned_start)
        return gl_error_set(err, GL_E_PRECONDITION, "planned_end",
                            "the planned end must be after the planned start");
    return 0;
}

static int require_reason(const struct gl_action_input *in, const char *verb, struct gl_error *err)
{
    if (!has_text(in->reason))
        return gl_error_set(err, GL_E_PRECONDITION, "reason", "a reason is required to %s a change",
                            verb);
    return 0;
}

/* ---- one function per action; each checks, then mutates its copy --------------------- */

typedef int (*action_fn)(struct gl_change *c, const struct gl_action_input *in, int64_t now,
                         struct gl_error *err);

static int do_submit(struct gl_change *c, const struct gl_action_input *in, int64_t now,
                     struct gl_error *err)
{
    int rc = check_ready(c, "submitted", err);
    if (rc)
        return rc;
    c->state = GL_STATE_SUBMITTED;
    return 0;
}

static int do_assess(struct gl_change *c, const struct gl_action_input *in, int64_t now,
                     struct gl_error *err)
{
    c->state = GL_STATE_ASSESSED;
    return 0;
}

static int do_approve(struct gl_change *c, const struct gl_action_input *in, int64_t now,
                      struct gl_error *err)
{
    int rc = check_ready(c, "approved", err);
    if (rc)
        return rc;
    c->state = GL_STATE_APPROVED;
    return 0;
}

static int do_reject(struct gl_change *c, const struct gl_action_input *in, int64_t now,
                     struct gl_error *err)
{
    int rc = require_reason(in, "reject", err);
    if (rc || (rc = set_str(&c->state_reason, in->reason, err)))
        return rc;
    /* Back to its author to rework, with the reason (issue 4); the rejected state is
     * kept for records rejected before, which reopen still returns to draft. */
    c->state = GL_STATE_DRAFT;
    return 0;
}

static int do_reopen(struct gl_change *c, const struct gl_action_input *in, int64_t now,
                     struct gl_error *err)
{
    int rc = set_str(&c->state_reason, NULL, err);
    if (rc)
        return rc;
    c->state = GL_STATE_DRAFT;
    return 0;
}

static int do_schedule(struct gl_change *c, const struct gl_action_input *in, int64_t now,
                       struct gl_error *err)
{
    if (input_time_set(in->planned_start))
        c->planned_start = in->planned_start;
    if (input_time_set(in->planned_end))
        c->planned_end = in->planned_end;
    if (!time_set(c->planned_start))
        return gl_error_set(err, GL_E_PRECONDITION, "planned_start",
                            "a change cannot be scheduled without a planned start and end");
    if (!time_set(c->planned_end))
        return gl_error_set(err, GL_E_PRECONDITION, "planned_end",
                            "a change cannot be scheduled without a planned start and end");
    if (c->planned_end <= c->planned_start)
        return gl_error_set(err, GL_E_PRECONDITION, "planned_end",
                            "the planned end must be after the planned start");
    if (c->planned_end <= now)
        return gl_error_set(err, GL_E_PRECONDITION, "planned_end",
                            "a change cannot be scheduled entirely in the past");
    int rc = check_ready(c, "scheduled", err);
    if (rc)
        return rc;
    c->state = GL_STATE_SCHEDULED;
    return 0;
}

static int do_start(struct gl_change *c, const struct gl_action_input *in, int64_t now,
                    struct gl_error *err)
{
    if (!time_set(c->planned_start))
        c->planned_start = now; /* an emergency started straight from approval */
    c->actual_start = now;
    c->state = GL_STATE_IN_PROGRESS;
    return 0;
}

static int do_complete(struct gl_change *c, const struct gl_action_input *in, int64_t now,
                       struct gl_error *err)
{
    int rc = in->outcome_notes ? set_str(&c->outcome_notes, in->outcome_notes, err) : 0;
    if (rc)
        return rc;
    c->outcome = GL_OUTCOME_SUCCESSFUL;
    c->actual_end = now;
    c->state = GL_STATE_COMPLETED;
    return 0;
}

static int do_fail(struct gl_change *c, const struct gl_action_input *in, int64_t now,
                   struct gl_error *err)
{
    int rc = require_reason(in, "fail", err);
    if (rc || (rc = set_str(&c->state_reason, in->reason, err)))
        return rc;
    if (in->outcome_notes && (rc = set_str(&c->outcome_notes, in->outcome_notes, err)))
        return rc;
    c->outcome = GL_OUTCOME_FAILED;
    c->actual_end = now;
    c->state = GL_STATE_FAILED;
    return 0;
}

static int do_rollback(struct gl_change *c, const struct gl_action_input *in, int64_t now,
                       struct gl_error *err)
{
    int rc = in->outcome_notes ? set_str(&c->outcome_notes, in->outcome_notes, err) : 0;
    if (rc)
        return rc;
    c->outcome = GL_OUTCOME_ROLLED_BACK;
    if (!time_set(c->actual_end))
        c->actual_end = now;
    c->state = GL_STATE_ROLLED_BACK;
    return 0;
}

static int do_review(struct gl_change *c, const struct gl_action_input *in, int64_t now,
                     struct gl_error *err)
{
    if (!has_text(in->review_summary))
        return gl_error_set(err, GL_E_PRECONDITION, "summary",
                            "a post-implementation review needs a summary");
    int rc = set_str(&c->review_summary, in->review_summary, err);
    if (rc || (rc = set_str(&c->review_lessons, in->review_lessons, err)) ||
        (rc = set_str(&c->reviewed_by, in->actor, err)))
        return rc;
    c->reviewed_at = now;
    c->state = GL_STATE_REVIEWED;
    return 0;
}

/* The review the policy asks for (in->review, else the floor) must be there. */
static int check_review(const struct gl_change *c, const struct gl_action_input *in,
                        struct gl_error *err)
{
    struct gl_review_need floor;
    const struct gl_review_need *need = in->review;
    if (c->state == GL_STATE_REVIEWED || has_text(c->review_summary))
        return 0;
    if (!need)
        need = (gl_review_before_close(&gl_review_rule_floor, c, NULL, &floor), &floor);
    if (!need->needed)
        return 0;
    return gl_error_set(err, GL_E_PRECONDITION, "summary",
                        "a %s change cannot be closed before its post-implementation review "
                        "(the review action): %s",
                        state_label(c->state), need->why);
}

static int do_close(struct gl_change *c, const struct gl_action_input *in, int64_t now,
                    struct gl_error *err)
{
    int rc = check_review(c, in, err);
    if (rc)
        return rc;
    if (c->type == GL_TYPE_EMERGENCY) {
        if (!has_text(c->implementation_plan))
            return gl_error_set(err, GL_E_PRECONDITION, "implementation_plan",
                                "an emergency change cannot be closed without an "
                                "implementation plan");
        if (!has_text(c->test_plan))
            return gl_error_set(err, GL_E_PRECONDITION, "test_plan",
                                "an emergency change cannot be closed without a test plan");
        if (!has_text(c->rollback_plan))
            return gl_error_set(err, GL_E_PRECONDITION, "rollback_plan",
                                "an emergency change cannot be closed without a rollback plan");
    }
    c->state = GL_STATE_CLOSED;
    return 0;
}

static int do_cancel(struct gl_change *c, const struct gl_action_input *in, int64_t now,
                     struct gl_error *err)
{
    int rc = require_reason(in, "cancel", err);
    if (rc || (rc = set_str(&c->state_reason, in->reason, err)))
        return rc;
    c->state = GL_STATE_CANCELLED;
    return 0;
}

static const action_fn action_fns[GL_ACTION__COUNT] = {
    [GL_ACTION_SUBMIT] = do_submit,   [GL_ACTION_ASSESS] = do_assess,
    [GL_ACTION_APPROVE] = do_approve, [GL_ACTION_REJECT] = do_reject,
    [GL_ACTION_REOPEN] = do_reopen,   [GL_ACTION_SCHEDULE] = do_schedule,
    [GL_ACTION_START] = do_start,     [GL_ACTION_COMPLETE] = do_complete,
    [GL_ACTION_FAIL] = do_fail,       [GL_ACTION_ROLLBACK] = do_rollback,
    [GL_ACTION_REVIEW] = do_review,   [GL_ACTION_CLOSE] = do_close,
    [GL_ACTION_CANCEL] = do_cancel,
};

int gl_lifecycle_apply(const struct gl_change *before, enum gl_action action,
                       const struct gl_action_input *in, int64_t now, struct gl_change *after,
                       struct gl_error *err)
{
    int rc;
    gl_change_release(after);
    if ((unsigned)action >= GL_ACTION__COUNT) {
        rc = gl_error_set(err, GL_E_INVALID, "action", "unknown action");
        goto out;
    }
    if (!gl_lifecycle_allows(before, action)) {
        rc = refuse_transition(before, action, err);
        goto out;
    }
    if (gl_change_copy(after, before) != 0) {
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
        goto out;
    }
    rc = action_fns[action](after, in ? in : &no_input, now, err);
    if (rc == 0)
        after->updated_at = now;
out:
    if (rc)
        gl_change_release(after);
    return rc;
}

/* ---- edits ------------------------------------------------------------------------ */

static const char *const writable_fields[] = {
    "type",
    "client",
    "title",
    "description",
    "raised_by",
    "reason",
    "expected_return",
    "risks",
    "implementer",
    "resources",
    "related_changes",
    "cis",
    "implementation_plan",
    "test_plan",
    "rollback_plan",
    "rollback_tested",
    "rollback_evidence",
    "planned_start",
    "planned_end",
    "incidents",
};

/* Approved or scheduled: what may move without undoing the approval outright. */
static const char *const approved_fields[] = {
    "planned_start",     "planned_end", "implementer",     "resources",   "rollback_tested",
    "rollback_evidence", "incidents",   "related_changes", "description",
};

/* In progress and after: links and evidence only... */
static const char *const started_fields[] = {
    "incidents",
    "related_changes",
    "rollback_evidence",
};

/* ...except that an emergency change is documented after the fact. */
static const char *const emergency_late_fields[] = {
    "implementation_plan", "test_plan", "rollback_plan", "description", "reason", "risks",
};

#define IN_LIST(list, f) in_list((list), sizeof(list) / sizeof((list)[0]), (f))

static bool in_list(const char *const *list, size_t n, const char *field)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], field) == 0)
            return true;
    return false;
}

static bool edit_allowed(const struct gl_change *c, const char *field)
{
    switch (c->state) {
    case GL_STATE_DRAFT:
    case GL_STATE_SUBMITTED:
    case GL_STATE_ASSESSED:
    case GL_STATE_REJECTED:
        return true;
    case GL_STATE_APPROVED:
    case GL_STATE_SCHEDULED:
        return IN_LIST(approved_fields, field);
    case GL_STATE_IN_PROGRESS:
    case GL_STATE_COMPLETED:
    case GL_STATE_FAILED:
    case GL_STATE_ROLLED_BACK:
    case GL_STATE_REVIEWED:
        return IN_LIST(started_fields, field) ||
               (c->type == GL_TYPE_EMERGENCY && IN_LIST(emergency_late_fields, field));
    default:
        return false;
    }
}

int gl_change_check_edit(const struct gl_change *before, const char *field, struct gl_error *err)
{
    if (!field || !IN_LIST(writable_fields, field))
        return gl_error_set(err, GL_E_INVALID, field, "%s is not a writable field of a change",
                            field ? field : "(null)");
    const char *st = state_label(before->state);
    if (before->state == GL_STATE_CLOSED || before->state == GL_STATE_CANCELLED)
        return gl_error_set(err, GL_E_PRECONDITION, field,
                            "%s cannot be changed: a change that is %s cannot be edited", field,
                            st);
    if (strcmp(field, "client") == 0)
        return gl_error_set(err, GL_E_PRECONDITION, field,
                            "client cannot be changed after a change is created");
    if (strcmp(field, "type") == 0 && before->state != GL_STATE_DRAFT)
        return gl_error_set(err, GL_E_PRECONDITION, field,
                            "type can only be changed while a change is draft, not %s", st);
    /* Separation of duties keys on who raised a change: once it is submitted, renaming
     * the requester would let its approver launder their own change. */
    if (strcmp(field, "raised_by") == 0 && before->state != GL_STATE_DRAFT)
        return gl_error_set(err, GL_E_PRECONDITION, field,
                            "raised_by can only be changed while a change is draft, not %s", st);
    if (!edit_allowed(before, field))
        return gl_error_set(err, GL_E_PRECONDITION, field,
                            "%s cannot be changed while the change is %s", field, st);
    return 0;
}

/* ---- whole-record validation ------------------------------------------------------- */

static bool ids_ok(const struct gl_idlist *l)
{
    for (size_t i = 0; i < l->len; i++) {
        if (l->items[i] <= 0)
            return false;
        for (size_t j = 0; j < i; j++)
            if (l->items[j] == l->items[i])
                return false;
    }
    return true;
}

static int validate_text(const struct gl_change *c, struct gl_error *err)
{
    static const struct {
        size_t off;
        const char *field;
    } texts[] = {
        {offsetof(struct gl_change, description), "description"},
        {offsetof(struct gl_change, raised_by), "raised_by"},
        {offsetof(struct gl_change, reason), "reason"},
        {offsetof(struct gl_change, expected_return), "expected_return"},
        {offsetof(struct gl_change, risks), "risks"},
        {offsetof(struct gl_change, implementer), "implementer"},
        {offsetof(struct gl_change, resources), "resources"},
        {offsetof(struct gl_change, implementation_plan), "implementation_plan"},
        {offsetof(struct gl_change, test_plan), "test_plan"},
        {offsetof(struct gl_change, rollback_plan), "rollback_plan"},
        {offsetof(struct gl_change, rollback_evidence), "rollback_evidence"},
        {offsetof(struct gl_change, outcome_notes), "outcome_notes"},
        {offsetof(struct gl_change, review_summary), "summary"},
        {offsetof(struct gl_change, review_lessons), "lessons"},
        {offsetof(struct gl_change, reviewed_by), "reviewed_by"},
        {offsetof(struct gl_change, state_reason), "state_reason"},
        {offsetof(struct gl_change, created_by), "created_by"},
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        const char *s = *(char *const *)(const void *)((const char *)c + texts[i].off);
        if (s && strlen(s) > TEXT_MAX)
            return gl_error_set(err, GL_E_INVALID, texts[i].field, "%s is longer than %d bytes",
                                texts[i].field, TEXT_MAX);
    }
    return 0;
}

static int validate_lists(const struct gl_change *c, struct gl_error *err)
{
    if (c->incidents.len > INCIDENTS_MAX)
        return gl_error_set(err, GL_E_INVALID, "incidents", "a change links at most %d incidents",
                            INCIDENTS_MAX);
    for (size_t i = 0; i < c->incidents.len; i++) {
        const char *ref = c->incidents.items[i];
        if (!ref || !*ref || strlen(ref) > INCIDENT_REF_MAX)
            return gl_error_set(err, GL_E_INVALID, "incidents",
                                "an incident reference is 1 to %d bytes", INCIDENT_REF_MAX);
    }
    if (c->ci_ids.len > CIS_MAX)
        return gl_error_set(err, GL_E_INVALID, "cis",
                            "a change touches at most %d configuration items", CIS_MAX);
    if (!ids_ok(&c->ci_ids))
        return gl_error_set(err, GL_E_INVALID, "cis",
                            "configuration items must be valid and listed once");
    if (c->related_changes.len > RELATED_MAX)
        return gl_error_set(err, GL_E_INVALID, "related_changes",
                            "a change relates to at most %d other changes", RELATED_MAX);
    if (!ids_ok(&c->related_changes))
        return gl_error_set(err, GL_E_INVALID, "related_changes",
                            "related changes must be valid and listed once");
    if (c->id > 0 && gl_idlist_contains(&c->related_changes, c->id))
        return gl_error_set(err, GL_E_INVALID, "related_changes",
                            "a change cannot be related to itself");
    return 0;
}

int gl_change_validate(const struct gl_change *c, struct gl_error *err)
{
    if ((unsigned)c->type >= GL_TYPE__COUNT)
        return gl_error_set(err, GL_E_INVALID, "type", "unknown change type");
    if ((unsigned)c->state >= GL_STATE__COUNT)
        return gl_error_set(err, GL_E_INVALID, "state", "unknown change state");
    if ((unsigned)c->outcome >= GL_OUTCOME__COUNT)
        return gl_error_set(err, GL_E_INVALID, "outcome", "unknown outcome");
    if (c->client_id <= 0)
        return gl_error_set(err, GL_E_INVALID, "client", "a change needs a client");
    if (!has_text(c->title))
        return gl_error_set(err, GL_E_INVALID, "title", "a change needs a title");
    if (strlen(c->title) > TITLE_MAX)
        return gl_error_set(err, GL_E_INVALID, "title", "a title is at most %d bytes", TITLE_MAX);
    int rc = validate_text(c, err);
    if (rc || (rc = validate_lists(c, err)))
        return rc;
    if (time_set(c->planned_start) && time_set(c->planned_end) &&
        c->planned_end <= c->planned_start)
        return gl_error_set(err, GL_E_INVALID, "planned_end",
                            "the planned end must be after the planned start");
    return 0;
}
