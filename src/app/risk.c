/*
 * risk.c - when changes are scored, and what a new score sets off (risk.h).
 */
#include "app/risk.h"

#include <stdlib.h>
#include <string.h>

#include "app/route.h"

#include "util/banned.h"

/* Finished, closed or cancelled changes keep the assessment they were decided on. */
static bool open_state(enum gl_change_state s)
{
    switch (s) {
    case GL_STATE_COMPLETED:
    case GL_STATE_FAILED:
    case GL_STATE_ROLLED_BACK:
    case GL_STATE_REVIEWED:
    case GL_STATE_CLOSED:
    case GL_STATE_CANCELLED:
        return false;
    default:
        return true;
    }
}

static uint32_t open_mask(void)
{
    uint32_t m = 0;
    for (int s = 0; s < GL_STATE__COUNT; s++)
        if (open_state((enum gl_change_state)s))
            m |= 1u << s;
    return m;
}

int gl_app_risk_assess(const struct gl_app *a, const struct gl_change *c,
                       struct gl_risk_assessment *out, struct gl_risk_assessment *prev,
                       bool *had_prev, bool *changed, struct gl_error *err)
{
    struct gl_store *st = a->st;
    struct gl_policy *p = malloc(sizeof *p); /* 12 KiB: not on a worker's stack */
    struct gl_risk_inputs in;
    bool stored = false, moved = false;
    if (had_prev)
        *had_prev = false;
    if (changed)
        *changed = false;
    if (!p)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    int rc = st->policy->get(st, p, err);
    if (!rc)
        rc = st->policy->risk_inputs(st, c, a->now, &in, err);
    if (!rc && prev) {
        rc = st->policy->risk_current(st, c->id, prev, err);
        if (had_prev)
            *had_prev = rc == 0;
        if (rc == GL_E_NOT_FOUND)
            rc = 0;
    }
    if (!rc) {
        memset(out, 0, sizeof *out);
        gl_risk_score(&in, p, out);
        out->change_id = c->id;
        out->assessed_at = a->now;
        struct gl_write_ctx ctx = gl_app_write_ctx(a, "risk.assess", NULL);
        rc = st->policy->risk_save(st, &ctx, c->client_id, out, &stored, &moved, err);
    }
    if (!rc && stored)
        rc = gl_app_fault(a, "risk.written", err);
    if (!rc && changed)
        *changed = moved;
    free(p);
    return rc;
}

/* Scores c and, with reapprove, re-routes it when its inputs moved. */
static int assess_and_route(const struct gl_app *a, struct gl_change *c, bool reapprove,
                            struct gl_risk_assessment *now, struct gl_error *err)
{
    struct gl_risk_assessment *before = malloc(sizeof *before);
    bool had = false, changed = false;
    if (!before)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    int rc = gl_app_risk_assess(a, c, now, before, &had, &changed, err);
    if (!rc && changed && reapprove)
        rc = gl_app_route_after_assess(a, c, had ? before : NULL, now, NULL, err);
    free(before);
    return rc;
}

int gl_app_risk_after_write(const struct gl_app *a, struct gl_change *c, bool reapprove,
                            struct gl_error *err)
{
    if (!c->id || !open_state(c->state))
        return 0;
    struct gl_risk_assessment *now = malloc(sizeof *now);
    if (!now)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    int rc = 0;
    bool wanted = c->state != GL_STATE_DRAFT;
    if (!wanted) { /* a draft is scored only once someone asked for its score */
        rc = a->st->policy->risk_current(a->st, c->id, now, err);
        wanted = rc == 0;
        if (rc == GL_E_NOT_FOUND)
            rc = 0;
    }
    if (!rc && wanted)
        rc = assess_and_route(a, c, reapprove, now, err);
    free(now);
    return rc;
}

int gl_app_risk_after_ci(const struct gl_app *a, int64_t ci_id, struct gl_error *err)
{
    struct gl_change_filter f = {
        .ci_id = ci_id,
        .state_mask = open_mask(),
        .from = GL_TIME_UNSET,
        .to = GL_TIME_UNSET,
        .limit = GL_LIST_MAX,
    };
    int rc = 0;
    do {
        struct gl_change_page page = {0};
        rc = a->st->changes->list(a->st, &f, &page, err);
        for (size_t i = 0; !rc && i < page.len; i++)
            rc = gl_app_risk_after_write(a, &page.items[i], true, err);
        f.before_id = page.next_cursor;
        gl_change_page_release(&page);
    } while (!rc && f.before_id);
    return rc;
}

struct reassess_args {
    const struct gl_app *a;
    int64_t change_id;
    struct gl_risk_assessment *out;
};

static int reassess_tx(struct gl_store *st, void *arg, struct gl_error *err)
{
    struct reassess_args *x = arg;
    struct gl_change c;
    gl_change_init(&c);
    int rc = gl_app_load_change(x->a, x->change_id, &c, err);
    if (!rc)
        rc = gl_authz_check(x->a->user, GL_PERM_CHANGE_ASSESS, c.client_id, err);
    if (!rc)
        rc = assess_and_route(x->a, &c, true, x->out, err);
    gl_change_release(&c);
    return rc;
}

int gl_app_change_reassess(const struct gl_app *a, int64_t change_id,
                           struct gl_risk_assessment *out, struct gl_error *err)
{
    struct reassess_args x = {a, change_id, out};
    return a->st->admin->transact(a->st, reassess_tx, &x, err);
}
