/*
 * json_risk.c - risk assessments as JSON (see json_risk.h).
 *
 * The inputs' member names are the struct's; the schedule is nested as in
 * core/schedule.h. Parsing is lenient about absent members (zero) because stored inputs
 * from an older program must still load; it refuses wrong types.
 */
#include "codec/json_risk.h"

#include "codec/json.h"

#include <string.h>

#include "util/banned.h"

json_t *gl_json_risk_inputs(const struct gl_risk_inputs *in)
{
    const struct gl_schedule_summary *s = &in->schedule;
    json_t *sched = json_pack(
        "{s:b, s:b, s:b, s:b, s:b, s:b, s:f, s:I}", "planned", s->planned, "windows_defined",
        s->windows_defined, "outside_window", s->outside_window, "justified", s->justified,
        "in_blackout", s->in_blackout, "short_notice", s->short_notice, "notice_shortfall_hours",
        s->notice_shortfall_hours, "conflicts", (json_int_t)s->conflicts);
    json_t *o = json_pack(
        "{s:s, s:I, s:i, s:i, s:I, s:b, s:b, s:I, s:I, s:o, s:I, s:I, s:b, s:I, s:I}", "type",
        gl_change_type_name(in->type), "affected_cis", (json_int_t)in->affected_cis,
        "max_ci_criticality", in->max_ci_criticality, "max_dependent_criticality",
        in->max_dependent_criticality, "users_affected", (json_int_t)in->users_affected,
        "has_rollback_plan", in->has_rollback_plan, "rollback_tested", in->rollback_tested,
        "dependent_cis", (json_int_t)in->dependent_cis, "clients_touched",
        (json_int_t)in->clients_touched, "schedule", sched, "ci_changes",
        (json_int_t)in->ci_changes, "ci_failures", (json_int_t)in->ci_failures, "from_template",
        in->from_template, "template_changes", (json_int_t)in->template_changes,
        "template_failures", (json_int_t)in->template_failures);
    return o;
}

static int get_int(const json_t *o, const char *key, int64_t *out, struct gl_error *err)
{
    json_t *v = json_object_get(o, key);
    if (!v) {
        *out = 0;
        return 0;
    }
    if (!json_is_integer(v))
        return gl_error_set(err, GL_E_INVALID, key, "%s must be an integer", key);
    *out = json_integer_value(v);
    return 0;
}

static int get_bool(const json_t *o, const char *key, bool *out, struct gl_error *err)
{
    json_t *v = json_object_get(o, key);
    if (!v) {
        *out = false;
        return 0;
    }
    if (!json_is_boolean(v))
        return gl_error_set(err, GL_E_INVALID, key, "%s must be a boolean", key);
    *out = json_is_true(v);
    return 0;
}

static int get_size(const json_t *o, const char *key, size_t *out, struct gl_error *err)
{
    int64_t v = 0;
    if (get_int(o, key, &v, err))
        return GL_E_INVALID;
    *out = v < 0 ? 0 : (size_t)v;
    return 0;
}

int gl_json_risk_inputs_parse(const json_t *obj, struct gl_risk_inputs *out, struct gl_error *err)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(obj))
        return gl_error_set(err, GL_E_INVALID, "inputs", "risk inputs must be an object");
    json_t *t = json_object_get(obj, "type");
    out->type = GL_TYPE_NORMAL;
    if (t && (!json_is_string(t) || gl_change_type_parse(json_string_value(t), &out->type)))
        return gl_error_set(err, GL_E_INVALID, "type", "type must be a change type");
    int64_t crit = 0, dcrit = 0;
    json_t *s = json_object_get(obj, "schedule");
    if (s && !json_is_object(s))
        return gl_error_set(err, GL_E_INVALID, "schedule", "schedule must be an object");
    struct gl_schedule_summary *sc = &out->schedule;
    json_t *sh = s ? json_object_get(s, "notice_shortfall_hours") : NULL;
    if (sh && !json_is_number(sh))
        return gl_error_set(err, GL_E_INVALID, "notice_shortfall_hours",
                            "notice_shortfall_hours must be a number");
    sc->notice_shortfall_hours = sh ? json_number_value(sh) : 0;
    if (get_size(obj, "affected_cis", &out->affected_cis, err) ||
        get_int(obj, "max_ci_criticality", &crit, err) ||
        get_int(obj, "max_dependent_criticality", &dcrit, err) ||
        get_int(obj, "users_affected", &out->users_affected, err) ||
        get_bool(obj, "has_rollback_plan", &out->has_rollback_plan, err) ||
        get_bool(obj, "rollback_tested", &out->rollback_tested, err) ||
        get_size(obj, "dependent_cis", &out->dependent_cis, err) ||
        get_size(obj, "clients_touched", &out->clients_touched, err) ||
        get_int(obj, "ci_changes", &out->ci_changes, err) ||
        get_int(obj, "ci_failures", &out->ci_failures, err) ||
        get_bool(obj, "from_template", &out->from_template, err) ||
        get_int(obj, "template_changes", &out->template_changes, err) ||
        get_int(obj, "template_failures", &out->template_failures, err))
        return GL_E_INVALID;
    if (s && (get_bool(s, "planned", &sc->planned, err) ||
              get_bool(s, "windows_defined", &sc->windows_defined, err) ||
              get_bool(s, "outside_window", &sc->outside_window, err) ||
              get_bool(s, "justified", &sc->justified, err) ||
              get_bool(s, "in_blackout", &sc->in_blackout, err) ||
              get_bool(s, "short_notice", &sc->short_notice, err) ||
              get_size(s, "conflicts", &sc->conflicts, err)))
        return GL_E_INVALID;
    out->max_ci_criticality = (int)crit;
    out->max_dependent_criticality = (int)dcrit;
    return 0;
}

json_t *gl_json_risk_factors(const struct gl_risk_assessment *a)
{
    json_t *arr = json_array();
    for (int f = 0; f < GL_FACTOR__COUNT; f++) {
        const struct gl_risk_contribution *c = &a->factors[f];
        json_array_append_new(arr, json_pack("{s:s, s:f, s:f, s:s}", "factor",
                                             gl_risk_factor_name(c->factor), "points", c->points,
                                             "weight", c->weight, "explanation", c->explanation));
    }
    return arr;
}

int gl_json_risk_factors_parse(const json_t *arr, struct gl_risk_assessment *a,
                               struct gl_error *err)
{
    if (!json_is_array(arr))
        return gl_error_set(err, GL_E_INVALID, "factors", "factors must be an array");
    for (int f = 0; f < GL_FACTOR__COUNT; f++) {
        a->factors[f] = (struct gl_risk_contribution){.factor = (enum gl_risk_factor)f};
        snprintf(a->factors[f].explanation, sizeof a->factors[f].explanation, "not assessed");
    }
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
    {
        enum gl_risk_factor f;
        json_t *name = json_object_get(x, "factor"), *pts = json_object_get(x, "points"),
               *w = json_object_get(x, "weight"), *why = json_object_get(x, "explanation");
        if (!json_is_string(name) || gl_risk_factor_parse(json_string_value(name), &f))
            continue; /* a factor this program no longer knows */
        if (!json_is_number(pts) || (w && !json_is_number(w)) || !json_is_string(why))
            return gl_error_set(err, GL_E_INVALID, "factors", "malformed factor %s",
                                json_string_value(name));
        struct gl_risk_contribution *c = &a->factors[f];
        c->points = json_number_value(pts);
        c->weight = w ? json_number_value(w) : 0;
        snprintf(c->explanation, sizeof c->explanation, "%s", json_string_value(why));
    }
    return 0;
}

json_t *gl_json_risk_summary(const struct gl_risk_assessment *a)
{
    return json_pack("{s:f, s:s, s:I, s:o}", "score", a->score, "level",
                     gl_risk_level_name(a->level), "policy_version", (json_int_t)a->policy_version,
                     "assessed_at", gl_json_time(a->assessed_at));
}

json_t *gl_json_risk_assessment(const struct gl_risk_assessment *a)
{
    char ident[GL_IDENT_MAX];
    gl_change_ident_format(a->change_id, ident);
    return json_pack("{s:s, s:f, s:s, s:b, s:f, s:I, s:o, s:o, s:o}", "change", ident, "score",
                     a->score, "level", gl_risk_level_name(a->level), "capped", a->capped,
                     "uncapped_score", a->uncapped, "policy_version", (json_int_t)a->policy_version,
                     "assessed_at", gl_json_time(a->assessed_at), "factors",
                     gl_json_risk_factors(a), "inputs", gl_json_risk_inputs(&a->inputs));
}

/* ---- the stored rendering of a change ------------------------------------------------- */

static char *render_change(const struct gl_change *c)
{
    return gl_json_change_dump(c);
}

static char *render_with_risk(const char *rendering, const struct gl_risk_assessment *a)
{
    json_t *doc = json_loads(rendering, 0, NULL);
    json_t *summary = gl_json_risk_summary(a);
    char *s = NULL;
    if (json_is_object(doc) && summary) {
        json_object_set(doc, "risk", summary);
        s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    }
    json_decref(summary);
    json_decref(doc);
    return s;
}

static const struct gl_change_renderer json_renderer = {
    .format = GL_JSON_CHANGE_FORMAT,
    .change = render_change,
    .with_risk = render_with_risk,
};

const struct gl_change_renderer *gl_json_change_renderer(void)
{
    return &json_renderer;
}
