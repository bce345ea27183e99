/*
 * json_calendar.c - JSON encoding of the change calendar (see json_calendar.h).
 *
 * Times are RFC 3339 UTC like everywhere on the wire; a window's start is the local wall
 * time in its client's zone (named beside it), because that is what recurs.
 */
#include "codec/json_calendar.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/timefmt.h"
#include "util/buf.h"

#include "util/banned.h"

static json_t *time_or_null(int64_t t)
{
    if (t == GL_TIME_UNSET)
        return json_null();
    char s[GL_TIME_STR_MAX];
    gl_time_format(t, s);
    return json_string(s);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *ci_ident(int64_t id)
{
    if (!id)
        return json_null();
    char s[GL_IDENT_MAX];
    gl_ci_ident_format(id, s);
    return json_string(s);
}

static char *dump(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

json_t *gl_json_cal_window(const struct gl_cal_window *w)
{
    return json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:o}", "id",
                     (json_int_t)w->id, "version", (json_int_t)w->version, "client",
                     str_or_null(w->client_key), "ci", ci_ident(w->ci_id), "name",
                     str_or_null(w->name), "rrule", str_or_null(w->rrule), "start",
                     str_or_null(w->start), "timezone", str_or_null(w->timezone),
                     "duration_minutes", (json_int_t)(w->duration / 60), "created_by",
                     str_or_null(w->created_by), "created_at", time_or_null(w->created_at),
                     "updated_at", time_or_null(w->updated_at));
}

char *gl_json_cal_window_dump(const struct gl_cal_window *w)
{
    return dump(gl_json_cal_window(w));
}

json_t *gl_json_cal_blackout(const struct gl_cal_blackout *b)
{
    return json_pack("{s:I, s:I, s:o, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
                     (json_int_t)b->id, "version", (json_int_t)b->version, "client",
                     str_or_null(b->client_key), "global", b->client_id == 0, "reason",
                     str_or_null(b->reason), "start", time_or_null(b->start), "end",
                     time_or_null(b->end), "rrule", str_or_null(b->rrule), "timezone",
                     str_or_null(b->timezone), "created_by", str_or_null(b->created_by),
                     "created_at", time_or_null(b->created_at), "updated_at",
                     time_or_null(b->updated_at));
}

char *gl_json_cal_blackout_dump(const struct gl_cal_blackout *b)
{
    return dump(gl_json_cal_blackout(b));
}

static json_t *change_ident(int64_t id)
{
    char s[GL_IDENT_MAX];
    gl_change_ident_format(id, s);
    return json_string(s);
}

json_t *gl_json_cal_change(const struct gl_cal_change *c)
{
    return json_pack("{s:o, s:I, s:o, s:o, s:s, s:s, s:o, s:o, s:o}", "id", change_ident(c->id),
                     "version", (json_int_t)c->version, "client", str_or_null(c->client_key),
                     "title", str_or_null(c->title), "type", gl_change_type_name(c->type),
                     "state", gl_change_state_name(c->state), "planned_start",
                     time_or_null(c->planned_start), "planned_end", time_or_null(c->planned_end),
                     "schedule_flags", str_or_null(c->schedule_flags));
}

json_t *gl_json_feed_token(const struct gl_feed_token *t)
{
    return json_pack("{s:I, s:o, s:o, s:o}", "id", (json_int_t)t->id, "client",
                     str_or_null(t->client_key), "created_at", time_or_null(t->created_at),
                     "revoked_at", time_or_null(t->revoked_at));
}

static json_t *path_json(const struct gl_cal_conflict *k)
{
    json_t *a = json_array();
    for (int i = 0; i < k->path_len; i++)
        json_array_append_new(a, ci_ident(k->path[i]));
    return a;
}

static json_t *conflict_json(const struct gl_cal_conflict *k)
{
    char detail[512], id[GL_IDENT_MAX], ci[GL_IDENT_MAX], mine[GL_IDENT_MAX];
    gl_change_ident_format(k->change_id, id);
    gl_ci_ident_format(k->ci_id, ci);
    gl_ci_ident_format(k->path_len ? k->path[0] : 0, mine);
    if (!k->ci_id)
        snprintf(detail, sizeof detail, "%s (%s) has the same implementer at an overlapping time",
                 id, k->title ? k->title : "");
    else if (k->path_len <= 1)
        snprintf(detail, sizeof detail, "%s (%s) touches %s at an overlapping time", id,
                 k->title ? k->title : "", ci);
    else
        snprintf(detail, sizeof detail,
                 "%s (%s) touches %s, connected to %s in %d step%s%s, at an overlapping time", id,
                 k->title ? k->title : "", ci, mine, k->path_len - 1, k->path_len == 2 ? "" : "s",
                 k->shared ? " through shared infrastructure" : "");
    return json_pack("{s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:b, s:b, s:s}", "kind",
                     k->ci_id ? "conflict" : "implementer_busy", "change",
                     change_ident(k->change_id), "title", str_or_null(k->title), "state",
                     gl_change_state_name(k->state), "planned_start",
                     time_or_null(k->planned_start), "planned_end", time_or_null(k->planned_end),
                     "ci", ci_ident(k->ci_id), "path", path_json(k), "shared_infrastructure",
                     k->shared, "same_implementer", k->implementer, "detail", detail);
}

json_t *gl_json_cal_findings(const struct gl_cal_check *k)
{
    json_t *a = json_array();
    char detail[512];
    for (size_t i = 0; i < k->nblackouts; i++) {
        const struct gl_cal_blackout_hit *h = &k->blackouts[i];
        snprintf(detail, sizeof detail, "overlaps %sblackout %lld: %s",
                 h->global ? "global " : "", (long long)h->id, h->reason ? h->reason : "");
        json_array_append_new(
            a, json_pack("{s:s, s:I, s:b, s:o, s:o, s:o, s:s}", "kind", "blackout", "blackout",
                         (json_int_t)h->id, "global", h->global, "reason", str_or_null(h->reason),
                         "start", time_or_null(h->start), "end", time_or_null(h->end), "detail",
                         detail));
    }
    if (k->sum.outside_window)
        json_array_append_new(
            a, json_pack("{s:s, s:b, s:s}", "kind", "outside_window", "justified",
                         k->sum.justified, "detail",
                         "the planned time is not inside a maintenance window of the client "
                         "(or of a CI with windows of its own)"));
    if (k->sum.short_notice) {
        snprintf(detail, sizeof detail,
                 "the client needs %d hours' notice; %.1f hours are missing", k->notice_hours,
                 k->sum.notice_shortfall_hours);
        json_array_append_new(a, json_pack("{s:s, s:i, s:f, s:o, s:s}", "kind", "short_notice",
                                           "notice_hours", k->notice_hours, "shortfall_hours",
                                           k->sum.notice_shortfall_hours, "notified_at",
                                           time_or_null(k->notified_at), "detail", detail));
    }
    for (size_t i = 0; i < k->nconflicts; i++)
        json_array_append_new(a, conflict_json(&k->conflicts[i]));
    return a;
}

json_t *gl_json_cal_check(const struct gl_cal_check *k)
{
    return json_pack("{s:b, s:b, s:b, s:b, s:b, s:b, s:f, s:i, s:o, s:i, s:I, s:b, s:o}",
                     "planned", k->sum.planned, "windows_defined", k->sum.windows_defined,
                     "outside_window", k->sum.outside_window, "justified", k->sum.justified,
                     "in_blackout", k->sum.in_blackout, "short_notice", k->sum.short_notice,
                     "notice_shortfall_hours", k->sum.notice_shortfall_hours, "notice_hours",
                     k->notice_hours, "notified_at", time_or_null(k->notified_at), "depth",
                     k->depth, "conflicts", (json_int_t)k->sum.conflicts, "graph_truncated",
                     k->graph_truncated, "findings", gl_json_cal_findings(k));
}

char *gl_cal_flags(const struct gl_cal_check *k, bool emergency_override)
{
    struct gl_buf b;
    gl_buf_init(&b, 0);
    const char *sep = "";
    if (k->nblackouts && emergency_override) {
        gl_buf_printf(&b, "%sblackout_override", sep);
        sep = ",";
    }
    if (k->sum.outside_window) {
        gl_buf_printf(&b, "%soutside_window", sep);
        sep = ",";
    }
    if (k->sum.short_notice) {
        gl_buf_printf(&b, "%sshort_notice", sep);
        sep = ",";
    }
    if (k->sum.conflicts)
        gl_buf_printf(&b, "%sconflicts", sep);
    return gl_buf_detach(&b);
}
