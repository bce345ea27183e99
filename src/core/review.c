/*
 * review.c - the policy's review-before-close rule (see review.h).
 *
 * Invariant: out->why lists exactly the rules that apply, in a fixed order (outcome,
 * emergency, level: what happened, then what kind of change, then how risky it was), and
 * out->rule is the first of them, so the refusal and the rule named in it cannot disagree.
 */
#include "core/review.h"

#include <stdio.h>
#include <string.h>

#include "util/buf.h"

#include "util/banned.h"

const struct gl_review_rule gl_review_rule_floor = {
    .levels = 0,
    .outcomes = (1u << GL_OUTCOME_FAILED) | (1u << GL_OUTCOME_ROLLED_BACK),
    .emergency = true,
};

static void add_reason(struct gl_review_need *out, struct gl_buf *b, const char *rule,
                       const char *text)
{
    if (!out->rule)
        out->rule = rule;
    else
        gl_buf_puts(b, "; ");
    gl_buf_printf(b, "%s (%s)", text, rule);
}

bool gl_review_before_close(const struct gl_review_rule *rule, const struct gl_change *c,
                            const struct gl_risk_assessment *risk, struct gl_review_need *out)
{
    struct gl_buf b;
    char text[80];
    memset(out, 0, sizeof *out);
    gl_buf_init(&b, sizeof out->why - 1);
    if ((unsigned)c->outcome < GL_OUTCOME__COUNT && c->outcome != GL_OUTCOME_NONE &&
        (rule->outcomes & (1u << c->outcome))) {
        snprintf(text, sizeof text, "its outcome is %s", gl_outcome_name(c->outcome));
        add_reason(out, &b, "review_before_close.outcomes", text);
    }
    if (c->type == GL_TYPE_EMERGENCY && rule->emergency)
        add_reason(out, &b, "review_before_close.emergency", "it is an emergency change");
    if (risk && (unsigned)risk->level < GL_RISK__COUNT && (rule->levels & (1u << risk->level))) {
        snprintf(text, sizeof text, "its risk level is %s, %.1f", gl_risk_level_name(risk->level),
                 risk->score);
        add_reason(out, &b, "review_before_close.levels", text);
    }
    out->needed = out->rule != NULL;
    snprintf(out->why, sizeof out->why, "%s", gl_buf_str(&b));
    gl_buf_release(&b);
    return out->needed;
}
