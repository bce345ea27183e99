/*
 * json_policy.c - the policy's wire form (see json_policy.h).
 *
 * Encoding walks the enums in order, so the output's member order is fixed and two equal
 * policies encode to the same text: that is how a policy file is compared with the
 * stored policy. Reals are printed with 15 significant digits, enough to give back the
 * same double for any value typed in decimal, without "0.20000000000000001".
 */
#include "codec/json_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

static json_t *levels_json(unsigned levels)
{
    json_t *a = json_array();
    for (int l = 0; l < GL_RISK__COUNT; l++)
        if (levels & (1u << l))
            json_array_append_new(a, json_string(gl_risk_level_name((enum gl_risk_level)l)));
    return a;
}

static json_t *outcomes_json(unsigned outcomes)
{
    json_t *a = json_array();
    for (int o = 0; o < GL_OUTCOME__COUNT; o++)
        if ((outcomes & (1u << o)) && gl_outcome_name((enum gl_outcome)o))
            json_array_append_new(a, json_string(gl_outcome_name((enum gl_outcome)o)));
    return a;
}

static json_t *policy_body(const struct gl_policy *p)
{
    json_t *o = json_object();
    json_t *w = json_object();
    for (int f = 0; f < GL_FACTOR__COUNT; f++)
        json_object_set_new(w, gl_risk_factor_name((enum gl_risk_factor)f),
                            json_real(p->weights[f]));
    json_object_set_new(o, "weights", w);
    json_t *t = json_object();
    for (int l = GL_RISK_MODERATE; l < GL_RISK__COUNT; l++)
        json_object_set_new(t, gl_risk_level_name((enum gl_risk_level)l),
                            json_real(p->threshold[l]));
    json_object_set_new(o, "thresholds", t);
    json_t *ap = json_object();
    for (int ty = 0; ty < GL_TYPE__COUNT; ty++) {
        json_t *byl = json_object();
        for (int l = 0; l < GL_RISK__COUNT; l++)
            json_object_set_new(byl, gl_risk_level_name((enum gl_risk_level)l),
                                json_string(gl_approval_tier_name(p->approval[ty][l])));
        json_object_set_new(ap, gl_change_type_name((enum gl_change_type)ty), byl);
    }
    json_object_set_new(o, "approval", ap);
    json_object_set_new(o, "cab_quorum", json_integer(p->cab_quorum));
    json_t *clients = json_object();
    for (size_t i = 0; i < p->nsignoff; i++)
        json_object_set_new(clients, p->signoff[i].client_key, levels_json(p->signoff[i].levels));
    json_object_set_new(o, "client_signoff",
                        json_pack("{s:o, s:o}", "default", levels_json(p->signoff_default_levels),
                                  "clients", clients));
    json_object_set_new(o, "emergency_review_hours", json_integer(p->emergency_review_hours));
    json_object_set_new(o, "template_failure_threshold", json_real(p->template_failure_threshold));
    json_object_set_new(o, "template_min_changes", json_integer(p->template_min_changes));
    json_object_set_new(
        o, "history_prior",
        json_pack("{s:f, s:f}", "failures", p->prior_failures, "successes", p->prior_successes));
    const struct gl_review_rule *rv = &p->review_before_close;
    json_object_set_new(o, "review_before_close",
                        json_pack("{s:o, s:o, s:b}", "levels", levels_json(rv->levels), "outcomes",
                                  outcomes_json(rv->outcomes), "emergency", rv->emergency));
    json_object_set_new(o, "reapproval",
                        json_pack("{s:f, s:b}", "score_delta", p->reapproval.score_delta,
                                  "on_level_increase", p->reapproval.on_level_increase));
    return o;
}

json_t *gl_json_policy(const struct gl_policy *p)
{
    json_t *o = json_pack("{s:I}", "version", (json_int_t)p->version);
    json_t *body = policy_body(p);
    json_object_update(o, body);
    json_decref(body);
    return o;
}

char *gl_json_policy_dump_body(const struct gl_policy *p)
{
    json_t *o = policy_body(p);
    char *s = o ? json_dumps(o, DUMP_FLAGS) : NULL;
    json_decref(o);
    return s;
}

/* ---- decoding ------------------------------------------------------------------------ */

static int bad(struct gl_error *err, const char *field, const char *what)
{
    return gl_error_set(err, GL_E_INVALID, field, "%s %s", field, what);
}

static int need_object(const json_t *v, const char *field, struct gl_error *err)
{
    return json_is_object(v) ? 0 : bad(err, field, "must be an object");
}

static int read_number(const json_t *v, const char *field, double *out, struct gl_error *err)
{
    if (!json_is_number(v))
        return bad(err, field, "must be a number");
    *out = json_number_value(v);
    return 0;
}

static int read_int(const json_t *v, const char *field, int *out, struct gl_error *err)
{
    if (!json_is_integer(v) || json_integer_value(v) < -1000000 || json_integer_value(v) > 1000000)
        return bad(err, field, "must be an integer");
    *out = (int)json_integer_value(v);
    return 0;
}

static int read_levels(const json_t *v, const char *field, unsigned *out, struct gl_error *err)
{
    if (!json_is_array(v))
        return bad(err, field, "must be an array of levels (low, moderate, high, critical)");
    unsigned m = 0;
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        enum gl_risk_level l;
        if (!json_is_string(x) || gl_risk_level_parse(json_string_value(x), &l))
            return bad(err, field, "must list levels: low, moderate, high, critical");
        m |= 1u << l;
    }
    *out = m;
    return 0;
}

static int parse_weights(const json_t *v, struct gl_policy *p, struct gl_error *err)
{
    const char *key;
    json_t *x;
    if (need_object(v, "weights", err))
        return GL_E_INVALID;
    json_object_foreach((json_t *)v, key, x)
    {
        char field[64];
        snprintf(field, sizeof field, "weights.%.40s", key);
        enum gl_risk_factor f;
        if (gl_risk_factor_parse(key, &f))
            return bad(err, field, "is not a risk factor");
        if (read_number(x, field, &p->weights[f], err))
            return GL_E_INVALID;
    }
    return 0;
}

static int parse_thresholds(const json_t *v, struct gl_policy *p, struct gl_error *err)
{
    const char *key;
    json_t *x;
    if (need_object(v, "thresholds", err))
        return GL_E_INVALID;
    json_object_foreach((json_t *)v, key, x)
    {
        char field[64];
        snprintf(field, sizeof field, "thresholds.%.40s", key);
        enum gl_risk_level l;
        if (gl_risk_level_parse(key, &l) || l == GL_RISK_LOW)
            return bad(err, field, "is not a threshold (moderate, high, critical)");
        if (read_number(x, field, &p->threshold[l], err))
            return GL_E_INVALID;
    }
    return 0;
}

static int parse_approval(const json_t *v, struct gl_policy *p, struct gl_error *err)
{
    const char *tkey, *lkey;
    json_t *byl, *x;
    if (need_object(v, "approval", err))
        return GL_E_INVALID;
    json_object_foreach((json_t *)v, tkey, byl)
    {
        char field[64];
        snprintf(field, sizeof field, "approval.%.40s", tkey);
        enum gl_change_type t;
        if (gl_change_type_parse(tkey, &t))
            return bad(err, field, "is not a change type (standard, normal, emergency)");
        if (need_object(byl, field, err))
            return GL_E_INVALID;
        json_object_foreach(byl, lkey, x)
        {
            snprintf(field, sizeof field, "approval.%s.%.30s", gl_change_type_name(t), lkey);
            enum gl_risk_level l;
            enum gl_approval_tier tier;
            if (gl_risk_level_parse(lkey, &l))
                return bad(err, field, "is not a risk level");
            if (!json_is_string(x) || gl_approval_tier_parse(json_string_value(x), &tier))
                return bad(err, field,
                           "must be preapproved, self_or_peer, change_manager, cab or emergency");
            p->approval[t][l] = tier;
        }
    }
    return 0;
}

static int parse_signoff(const json_t *v, struct gl_policy *p, struct gl_error *err)
{
    const char *key;
    json_t *x;
    if (need_object(v, "client_signoff", err))
        return GL_E_INVALID;
    json_object_foreach((json_t *)v, key, x)
    {
        if (strcmp(key, "default") == 0) {
            if (read_levels(x, "client_signoff.default", &p->signoff_default_levels, err))
                return GL_E_INVALID;
        } else if (strcmp(key, "clients") == 0) {
            if (need_object(x, "client_signoff.clients", err))
                return GL_E_INVALID;
            if (json_object_size(x) > GL_POLICY_MAX_CLIENTS)
                return bad(err, "client_signoff.clients", "lists too many clients");
            const char *ck;
            json_t *lv;
            p->nsignoff = 0;
            json_object_foreach(x, ck, lv)
            {
                char field[64];
                snprintf(field, sizeof field, "client_signoff.clients.%.40s", ck);
                struct gl_policy_signoff *s = &p->signoff[p->nsignoff];
                if (strlen(ck) >= sizeof s->client_key)
                    return bad(err, "client_signoff.clients", "names a key that is too long");
                snprintf(s->client_key, sizeof s->client_key, "%s", ck);
                if (read_levels(lv, field, &s->levels, err))
                    return GL_E_INVALID;
                p->nsignoff++;
            }
        } else {
            char field[64];
            snprintf(field, sizeof field, "client_signoff.%.40s", key);
            return bad(err, field, "is not a member (default, clients)");
        }
    }
    return 0;
}

static int parse_prior(const json_t *v, struct gl_policy *p, struct gl_error *err)
{
    const char *key;
    json_t *x;
    if (need_object(v, "history_prior", err))
        return GL_E_INVALID;
    json_object_foreach((json_t *)v, key, x)
    {
        int rc;
        if (strcmp(key, "failures") == 0)
            rc = read_number(x, "history_prior.failures", &p->prior_failures, err);
        else if (strcmp(key, "successes") == 0)
            rc = read_number(x, "history_prior.successes", &p->prior_successes, err);
        else {
            char field[64];
            snprintf(field, sizeof field, "history_prior.%.40s", key);
            rc = bad(err, field, "is not a member (failures, successes)");
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int read_outcomes(const json_t *v, const char *field, unsigned *out, struct gl_error *err)
{
    static const char what[] = "must list outcomes: successful, failed, rolled_back";
    if (!json_is_array(v))
        return bad(err, field, what);
    unsigned m = 0;
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        enum gl_outcome o;
        if (!json_is_string(x) || gl_outcome_parse(json_string_value(x), &o))
            return bad(err, field, what);
        m |= 1u << o;
    }
    *out = m;
    return 0;
}

static int read_bool(const json_t *v, const char *field, bool *out, struct gl_error *err)
{
    if (!json_is_boolean(v))
        return bad(err, field, "must be true or false");
    *out = json_is_true(v);
    return 0;
}

static int parse_review(const json_t *v, struct gl_policy *p, struct gl_error *err)
{
    struct gl_review_rule *r = &p->review_before_close;
    const char *key;
    json_t *x;
    if (need_object(v, "review_before_close", err))
        return GL_E_INVALID;
    json_object_foreach((json_t *)v, key, x)
    {
        int rc;
        if (strcmp(key, "levels") == 0)
            rc = read_levels(x, "review_before_close.levels", &r->levels, err);
        else if (strcmp(key, "outcomes") == 0)
            rc = read_outcomes(x, "review_before_close.outcomes", &r->outcomes, err);
        else if (strcmp(key, "emergency") == 0)
            rc = read_bool(x, "review_before_close.emergency", &r->emergency, err);
        else {
            char field[64];
            snprintf(field, sizeof field, "review_before_close.%.40s", key);
            rc = bad(err, field, "is not a member (levels, outcomes, emergency)");
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_reapproval(const json_t *v, struct gl_policy *p, struct gl_error *err)
{
    const char *key;
    json_t *x;
    if (need_object(v, "reapproval", err))
        return GL_E_INVALID;
    json_object_foreach((json_t *)v, key, x)
    {
        int rc;
        if (strcmp(key, "score_delta") == 0)
            rc = read_number(x, "reapproval.score_delta", &p->reapproval.score_delta, err);
        else if (strcmp(key, "on_level_increase") == 0)
            rc =
                read_bool(x, "reapproval.on_level_increase", &p->reapproval.on_level_increase, err);
        else {
            char field[64];
            snprintf(field, sizeof field, "reapproval.%.40s", key);
            rc = bad(err, field, "is not a member (score_delta, on_level_increase)");
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_member(const char *key, const json_t *v, struct gl_policy *p, struct gl_error *err)
{
    if (strcmp(key, "version") == 0)
        return 0; /* read-only: the store assigns it */
    if (strcmp(key, "weights") == 0)
        return parse_weights(v, p, err);
    if (strcmp(key, "thresholds") == 0)
        return parse_thresholds(v, p, err);
    if (strcmp(key, "approval") == 0)
        return parse_approval(v, p, err);
    if (strcmp(key, "client_signoff") == 0)
        return parse_signoff(v, p, err);
    if (strcmp(key, "history_prior") == 0)
        return parse_prior(v, p, err);
    if (strcmp(key, "review_before_close") == 0)
        return parse_review(v, p, err);
    if (strcmp(key, "reapproval") == 0)
        return parse_reapproval(v, p, err);
    if (strcmp(key, "cab_quorum") == 0)
        return read_int(v, key, &p->cab_quorum, err);
    if (strcmp(key, "emergency_review_hours") == 0)
        return read_int(v, key, &p->emergency_review_hours, err);
    if (strcmp(key, "template_min_changes") == 0)
        return read_int(v, key, &p->template_min_changes, err);
    if (strcmp(key, "template_failure_threshold") == 0)
        return read_number(v, key, &p->template_failure_threshold, err);
    char field[64];
    snprintf(field, sizeof field, "%.60s", key);
    return gl_error_set(err, GL_E_INVALID, field, "unknown field %s", field);
}

int gl_json_policy_parse(const json_t *obj, struct gl_policy *out, struct gl_error *err)
{
    gl_policy_default(out);
    if (!json_is_object(obj))
        return gl_error_set(err, GL_E_INVALID, NULL, "the policy must be a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        if (parse_member(key, v, out, err))
            return GL_E_INVALID;
    }
    out->version = 0;
    return gl_policy_validate(out, err);
}

int gl_json_policy_loads(const char *text, struct gl_policy *out, struct gl_error *err)
{
    json_error_t jerr;
    json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!o)
        return gl_error_set(err, GL_E_INVALID, NULL, "the policy is not valid JSON: line %d: %s",
                            jerr.line, jerr.text);
    int rc = gl_json_policy_parse(o, out, err);
    json_decref(o);
    return rc;
}
