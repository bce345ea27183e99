/*
 * calendar.h - the change calendar's rules on plain time intervals: overlap, "inside a
 * maintenance window", blackout hits, notice, next free slot. Pure: no I/O, no clock
 * (`now` is passed in), no time-zone arithmetic (recurrences are expanded to UTC intervals
 * beforehand by cal/recur.h); everything here is UTC seconds.
 *
 * Intervals are half-open [start, end): a change ending at 02:00 does not conflict with
 * one starting at 02:00.
 *
 * Ownership: a gl_ivlist owns its items, and the records and their lists own their strings;
 * every *_release frees them and accepts NULL.
 */
#ifndef GL_CALENDAR_H
#define GL_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/change.h"
#include "core/error.h"
#include "core/schedule.h"

/* The most occurrences one expansion may produce; a larger range is refused, not cut. */
#define GL_CAL_EXPAND_MAX 20000
/* The longest range a calendar view or an expansion may cover. */
#define GL_CAL_RANGE_MAX_DAYS 366
/* How far ahead the slot search looks from the earliest allowed start. */
#define GL_CAL_SLOT_HORIZON_DAYS 90
#define GL_CAL_SLOTS_MAX 20
/* Conflicts: how far through the CI graph "connected" reaches, by default and at most. */
#define GL_CAL_DEPTH_DEFAULT 2
#define GL_CAL_DEPTH_MAX 4

struct gl_interval {
    int64_t start, end; /* [start, end), UTC seconds */
    int64_t ref;        /* the window / blackout it came from (0 = none) */
};

struct gl_ivlist {
    struct gl_interval *items;
    size_t len, cap;
};

/* Appends one interval; 0 or -1 (no memory). */
int gl_ivlist_push(struct gl_ivlist *l, int64_t start, int64_t end, int64_t ref);
void gl_ivlist_release(struct gl_ivlist *l);
/* Sorts by start and merges overlapping or touching intervals (ref of the first kept). */
void gl_ivlist_normalize(struct gl_ivlist *l);

static inline bool gl_overlaps(int64_t a_start, int64_t a_end, int64_t b_start, int64_t b_end)
{
    return a_start < b_end && b_start < a_end;
}

/* The intersection of two normalized lists, appended to out (normalized); 0 or -1. */
int gl_ivlist_intersect(const struct gl_ivlist *a, const struct gl_ivlist *b,
                        struct gl_ivlist *out);

/* Whether [start, end) lies within one interval of a normalized list. */
bool gl_cal_inside(const struct gl_ivlist *windows, int64_t start, int64_t end);
/* The first interval of l (any order) overlapping [start, end), or NULL. */
const struct gl_interval *gl_cal_first_overlap(const struct gl_ivlist *l, int64_t start,
                                               int64_t end);

/* Notice: the hours missing between `notified_at` and `start` for a notice period of
 * notice_hours (0 when enough notice was given). */
double gl_cal_notice_shortfall(int64_t notified_at, int64_t start, int notice_hours);

/*
 * Next free slots. Candidate starts are the starts of the (normalized) windows and, inside
 * a window already open at `earliest`, `earliest` itself; with no windows at all, every
 * whole hour. A candidate [s, s + duration) is taken when it lies inside a window (when
 * there are windows), overlaps no interval of `busy` (blackouts and conflicting changes)
 * and starts at or after `earliest`; a busy interval inside a window moves the candidate to
 * the end of that interval, still inside the window. Search stops at `horizon`. Writes up
 * to max starts into out and returns how many.
 */
size_t gl_cal_slots(const struct gl_ivlist *windows, bool have_windows,
                    const struct gl_ivlist *busy, int64_t earliest, int64_t horizon,
                    int64_t duration, int64_t *out, size_t max);

/* One finding about a change's schedule, explained for humans and machines. */
enum gl_finding_kind {
    GL_FINDING_BLACKOUT,
    GL_FINDING_OUTSIDE_WINDOW,
    GL_FINDING_SHORT_NOTICE,
    GL_FINDING_CONFLICT,
    GL_FINDING_IMPLEMENTER_BUSY,
};

const char *gl_finding_kind_name(enum gl_finding_kind k);

/*
 * Records. A window is a recurrence in its client's zone (cal/recur.h): local start,
 * optional RRULE, elapsed duration; a window with a CI overrides the client's windows for
 * that CI. A blackout's first occurrence is [start, end) in UTC; with an RRULE it repeats
 * in `timezone` (the client's, "UTC" for a global blackout). Records own their strings;
 * *_release frees them and accepts NULL.
 */
struct gl_cal_window {
    int64_t id, version;
    int64_t client_id;
    char *client_key; /* filled on read */
    int64_t ci_id;    /* 0 = the client's own window */
    char *name;       /* optional label */
    char *rrule;      /* NULL = a single occurrence */
    char *start;      /* local "YYYY-MM-DDTHH:MM:SS" */
    int64_t duration; /* seconds */
    char *timezone;   /* the client's zone, filled on read */
    char *created_by;
    int64_t created_at, updated_at;
};

struct gl_cal_blackout {
    int64_t id, version;
    int64_t client_id; /* 0 = global */
    char *client_key;  /* filled on read; NULL for global */
    char *reason;
    int64_t start, end; /* first occurrence, UTC */
    char *rrule;        /* NULL = one-off */
    char *timezone;     /* zone the rule repeats in */
    char *created_by;
    int64_t created_at, updated_at;
};

void gl_cal_window_release(struct gl_cal_window *w);
void gl_cal_blackout_release(struct gl_cal_blackout *b);

/* Lists of records as the store returns them. */
struct gl_cal_window_list {
    struct gl_cal_window *items;
    size_t len;
};

struct gl_cal_blackout_list {
    struct gl_cal_blackout *items;
    size_t len;
};

/* A change as the calendar shows it. */
struct gl_cal_change {
    int64_t id, version, client_id;
    char *client_key;
    char *title;
    enum gl_change_type type;
    enum gl_change_state state;
    int64_t planned_start, planned_end;
    char *schedule_flags; /* "blackout_override,outside_window,..."; NULL when none */
};

struct gl_cal_change_list {
    struct gl_cal_change *items;
    size_t len;
};

/* A calendar feed token as listed: never its hash. client_id 0 = the per-user feed. */
struct gl_feed_token {
    int64_t id, user_id, client_id;
    char *client_key;
    int64_t created_at, revoked_at;
};

struct gl_feed_token_list {
    struct gl_feed_token *items;
    size_t len;
};

/* Each frees its items' strings and the array and leaves the list empty. Accept NULL. */
void gl_cal_window_list_release(struct gl_cal_window_list *l);
void gl_cal_blackout_list_release(struct gl_cal_blackout_list *l);
void gl_cal_change_list_release(struct gl_cal_change_list *l);
void gl_feed_token_list_release(struct gl_feed_token_list *l);

/* A blackout occurrence a change overlaps. */
struct gl_cal_blackout_hit {
    int64_t id;
    bool global;
    char *reason;
    int64_t start, end;
};

/* Another change overlapping in time on the same or a connected CI, or with the same
 * implementer (double booking). */
struct gl_cal_conflict {
    int64_t change_id, client_id;
    char *title;
    enum gl_change_state state;
    int64_t planned_start, planned_end;
    int64_t ci_id;                        /* its CI where it meets ours; 0 = implementer only */
    int64_t path[GL_CAL_DEPTH_MAX + 1];   /* from one of our CIs to ci_id */
    int path_len;                         /* 1 = the same CI */
    bool shared;                          /* the path passes through shared infrastructure */
    bool implementer;                     /* also (or only) the same implementer */
};

/* Everything the calendar found about one change's planned time. */
struct gl_cal_check {
    struct gl_schedule_summary sum;
    int64_t notified_at; /* the time notice is counted from */
    int notice_hours;
    int depth; /* graph depth used for connected CIs */
    bool graph_truncated; /* the connected set hit its cap; conflicts may be missing */
    struct gl_cal_blackout_hit *blackouts;
    size_t nblackouts;
    struct gl_cal_conflict *conflicts;
    size_t nconflicts;
    char *justification; /* the recorded one, if any */
};

void gl_cal_check_release(struct gl_cal_check *c);

#endif
