/*
 * json_report.c - the client report as JSON (see json_report.h).
 *
 * The summary counts every change of the period: by type, by outcome ("none" for changes
 * without one yet); emergency_ratio = emergency / all; success_rate = successful / those
 * with an outcome (null while none has one). Ratios are rounded to 4 decimals so the JSON
 * and the page read the same.
 */
#include "codec/json_report.h"

#include <string.h>

#include "core/change.h"
#include "core/docs.h"
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

static json_t *version_or_null(int64_t v)
{
    return v > 0 ? json_integer(v) : json_null();
}

json_t *gl_json_change_doc_link(const struct gl_change_doc_link *l)
{
    char ident[GL_DOC_IDENT_MAX];
    gl_doc_ident_format(l->document_id, ident);
    return json_pack("{s:s, s:s?, s:o, s:o, s:b}", "document", ident, "title", l->title,
                     "base_version", version_or_null(l->base_version), "result_version",
                     version_or_null(l->result_version), "no_doc_affected", l->no_doc_affected);
}

/* What an approval event says: its decision from the action name, who, when, and the
 * comment or reason given. */
static json_t *approval_json(const struct gl_audit_event *ev)
{
    const char *action = ev->action ? ev->action : "";
    const char *dot = strrchr(action, '.');
    const char *decision = dot ? dot + 1 : action;
    return json_pack("{s:s, s:s, s:s?, s:o, s:s?}", "action", action, "decision", decision,
                     "actor", ev->actor, "at", time_or_null(ev->at), "comment", ev->reason);
}

/* Copies the named members of the stored change into the report's change. */
static int pick(json_t *dst, const json_t *src, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_object_get(src, names[i]);
        if (json_object_set(dst, names[i], v ? v : json_null()))
            return -1;
    }
    return 0;
}

static const char *const change_members[] = {
    "id", "title", "type", "state", "planned_start", "planned_end", "actual_start",
    "actual_end", "outcome", "outcome_notes", "risk",
};

static double ratio(size_t num, size_t den)
{
    /* num <= den, so the value is in [0, 1]: rounding half up needs no libm. */
    return (double)(long long)((double)num / (double)den * 10000.0 + 0.5) / 10000.0;
}

struct counts {
    size_t type[GL_TYPE__COUNT];
    size_t outcome[GL_OUTCOME__COUNT];
};

static void count(struct counts *c, const json_t *ch)
{
    enum gl_change_type t;
    enum gl_outcome o = GL_OUTCOME_NONE;
    if (gl_change_type_parse(json_string_value(json_object_get(ch, "type")), &t) == 0)
        c->type[t]++;
    const char *os = json_string_value(json_object_get(ch, "outcome"));
    if (os && gl_outcome_parse(os, &o) != 0)
        o = GL_OUTCOME_NONE;
    c->outcome[o]++;
}

static json_t *summary_json(const struct counts *c, size_t n)
{
    json_t *by_type = json_object(), *by_outcome = json_object();
    for (int t = 0; t < GL_TYPE__COUNT; t++)
        json_object_set_new(by_type, gl_change_type_name((enum gl_change_type)t),
                            json_integer((json_int_t)c->type[t]));
    size_t decided = 0;
    for (int o = 0; o < GL_OUTCOME__COUNT; o++) {
        const char *name = o == GL_OUTCOME_NONE ? "none" : gl_outcome_name((enum gl_outcome)o);
        json_object_set_new(by_outcome, name, json_integer((json_int_t)c->outcome[o]));
        if (o != GL_OUTCOME_NONE)
            decided += c->outcome[o];
    }
    return json_pack("{s:I, s:o, s:o, s:o, s:o}", "changes", (json_int_t)n, "by_type", by_type,
                     "by_outcome", by_outcome, "emergency_ratio",
                     n ? json_real(ratio(c->type[GL_TYPE_EMERGENCY], n)) : json_null(),
                     "success_rate",
                     decided ? json_real(ratio(c->outcome[GL_OUTCOME_SUCCESSFUL], decided))
                             : json_null());
}

/* The first approval of change id (approvals are ordered by entity_id, id). */
static size_t first_approval(const struct gl_audit_list *l, int64_t id)
{
    size_t lo = 0, hi = l->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->items[mid].entity_id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The first documentation link of change id (links are ordered by change_id). */
static size_t first_doc(const struct gl_change_doc_links *l, int64_t id)
{
    size_t lo = 0, hi = l->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->items[mid].change_id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* One change of the report, with its approvals and documentation (found by search: the
 * changes are in time order, those lists in change order). */
static json_t *change_json(const struct gl_change_doc *cd, const struct gl_report_data *d)
{
    json_t *src = cd->json ? json_loads(cd->json, 0, NULL) : NULL;
    json_t *out = json_object(), *approvals = json_array(), *docs = json_array();
    if (!src || !out || !approvals || !docs || pick(out, src, change_members,
                                                    sizeof change_members /
                                                        sizeof change_members[0]))
        goto fail;
    for (size_t i = first_approval(&d->approvals, cd->id);
         i < d->approvals.len && d->approvals.items[i].entity_id == cd->id; i++)
        if (json_array_append_new(approvals, approval_json(&d->approvals.items[i])))
            goto fail;
    for (size_t i = first_doc(&d->docs, cd->id);
         i < d->docs.len && d->docs.items[i].change_id == cd->id; i++)
        if (json_array_append_new(docs, gl_json_change_doc_link(&d->docs.items[i])))
            goto fail;
    json_decref(src);
    json_object_set_new(out, "approvals", approvals);
    json_object_set_new(out, "documents", docs);
    return out;
fail:
    json_decref(src);
    json_decref(out);
    json_decref(approvals);
    json_decref(docs);
    return NULL;
}

json_t *gl_json_report(const struct gl_client *client, int64_t from, int64_t to, int64_t now,
                       const struct gl_report_data *d)
{
    struct counts c = {0};
    json_t *changes = json_array();
    for (size_t i = 0; changes && i < d->nchanges; i++) {
        json_t *ch = change_json(&d->changes[i], d);
        if (!ch || json_array_append_new(changes, ch)) {
            json_decref(changes);
            return NULL;
        }
        count(&c, ch);
    }
    if (!changes)
        return NULL;
    return json_pack("{s:{s:s?, s:s?, s:s?}, s:o, s:o, s:o, s:o, s:o}", "client", "key",
                     client->key, "name", client->name, "timezone", client->timezone, "from",
                     time_or_null(from), "to", time_or_null(to), "generated_at",
                     time_or_null(now), "summary", summary_json(&c, d->nchanges), "changes",
                     changes);
}
