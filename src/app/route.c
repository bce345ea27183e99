/*
 * route.c - approval routes and re-approval (route.h).
 */
#include "app/route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

void gl_app_route_free(struct gl_app_route *r)
{
    if (!r)
        return;
    gl_template_release(&r->tpl);
    gl_approval_record_release(&r->record);
    free(r);
}

static int load_standing(const struct gl_app *a, const struct gl_change *c,
                         struct gl_app_route *r, enum gl_template_standing *standing,
                         struct gl_error *err)
{
    *standing = GL_TEMPLATE_NONE;
    if (!c->template_id)
        return 0;
    int rc = a->st->templates->get(a->st, c->template_id, &r->tpl, err);
    if (rc == GL_E_NOT_FOUND) {
        *standing = GL_TEMPLATE_NOT_PREAPPROVED;
        return 0;
    }
    if (rc)
        return rc;
    r->has_template = true;
    *standing = gl_template_standing(&r->tpl);
    return 0;
}

int gl_app_route_load(const struct gl_app *a, const struct gl_change *c,
                      struct gl_app_route **out, struct gl_error *err)
{
    struct gl_store *st = a->st;
    struct gl_app_route *r = calloc(1, sizeof *r);
    *out = NULL;
    if (!r)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    gl_template_init(&r->tpl);
    struct gl_client client;
    gl_client_init(&client);
    enum gl_template_standing standing;
    int rc = st->policy->get(st, &r->policy, err);
    if (!rc) {
        rc = st->policy->risk_current(st, c->id, &r->risk, err);
        r->assessed = rc == 0;
        if (rc == GL_E_NOT_FOUND)
            rc = 0;
    }
    if (!rc)
        rc = load_standing(a, c, r, &standing, err);
    if (!rc)
        rc = st->clients->get_by_id(st, c->client_id, &client, err);
    if (!rc)
        rc = st->approvals->get(st, c->id, &r->record, err);
    if (rc) {
        gl_client_release(&client);
        gl_app_route_free(r);
        return rc;
    }
    /* Never assessed: a change manager decides, the middle of the road. */
    enum gl_risk_level level = r->assessed ? r->risk.level : GL_RISK_MODERATE;
    gl_approval_route(c->type, level, &r->policy, &client, standing, &r->route);
    gl_client_release(&client);
    gl_approval_evaluate(&r->route, r->record.votes.items, r->record.votes.len, r->record.round,
                         &r->status);
    *out = r;
    return 0;
}

/* What one approval of a stage is called in a sentence. */
static const char *const stage_words[GL_STAGE__COUNT] = {
    [GL_STAGE_SELF_OR_PEER] = "self or peer approval",
    [GL_STAGE_CHANGE_MANAGER] = "change manager approval",
    [GL_STAGE_CAB] = "CAB approval",
    [GL_STAGE_EMERGENCY] = "emergency approver's approval",
    [GL_STAGE_CLIENT] = "client sign-off",
};

void gl_app_route_missing_text(const struct gl_app_route *r, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < r->route.nstages && used < size; i++) {
        enum gl_approval_stage s = r->route.stages[i].stage;
        int missing = gl_approval_missing(&r->status, s);
        if (missing <= 0)
            continue;
        int n = snprintf(buf + used, size - used, "%s%d %s%s (%s)", used ? ", " : "", missing,
                         stage_words[s], missing == 1 ? "" : "s", gl_approval_stage_name(s));
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (used >= size)
        buf[size - 1] = '\0';
}

static bool round_has_votes(const struct gl_app_route *r)
{
    for (size_t i = 0; i < r->record.votes.len; i++)
        if (r->record.votes.items[i].round == r->record.round)
            return true;
    return false;
}

int gl_app_route_after_assess(const struct gl_app *a, struct gl_change *c,
                              const struct gl_risk_assessment *before,
                              const struct gl_risk_assessment *after, bool *reopened,
                              struct gl_error *err)
{
    if (reopened)
        *reopened = false;
    if (!before || c->type == GL_TYPE_STANDARD)
        return 0; /* a first score moves nothing; standard changes are pre-approved */
    struct gl_app_route *r = NULL;
    struct gl_change next;
    gl_change_init(&next);
    int rc = gl_app_route_load(a, c, &r, err);
    bool holds = !rc && gl_approval_holds(c);
    bool voting = !rc && !holds && round_has_votes(r) &&
                  (c->state == GL_STATE_ASSESSED || c->state == GL_STATE_SUBMITTED);
    struct gl_reapproval verdict;
    if (rc || !(holds || voting) ||
        !gl_reapproval_decide(&r->policy, before, after, c->type, c->state, &verdict))
        goto out;
    const char *why = verdict.reason;
    if (gl_change_copy(&next, c)) {
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
        goto out;
    }
    if (holds && (rc = gl_approval_reopen(&next, why, err)))
        goto out;
    struct gl_write_ctx ctx = gl_app_system_ctx(a, "change.reapproval", why);
    if ((rc = a->st->approvals->write(a->st, &ctx, c, &next, NULL, true, why, err)) ||
        (rc = gl_app_fault(a, "route.written", err)))
        goto out;
    gl_change_release(c);
    *c = next;
    gl_change_init(&next);
    if (reopened)
        *reopened = true;
out:
    gl_change_release(&next);
    gl_app_route_free(r);
    return rc;
}

int gl_app_route_edit(const struct gl_app *a, const struct gl_write_ctx *ctx,
                      const struct gl_change *before, struct gl_change *after, bool *written,
                      struct gl_error *err)
{
    *written = false;
    const char *why = gl_approval_edit_needs_reapproval(before, after);
    if (!why)
        return 0;
    int rc = gl_approval_reopen(after, why, err);
    if (!rc)
        rc = a->st->approvals->write(a->st, ctx, before, after, NULL, true, after->state_reason,
                                     err);
    *written = rc == 0;
    return rc ? rc : gl_app_fault(a, "change.written", err);
}
