"""Rules of the policy that decide a change's process (issue 10): which changes need a
post-implementation review before they may be closed (review_before_close), and how a
client's own requires_signoff and the policy's client_signoff agree on the route.

The module's server runs a policy in which only CI criticality counts, so a change's level is
chosen by its CI: criticality 1 -> low (20), 2 -> moderate (40), 3 -> high (60), 5 ->
critical (100), under thresholds of its own; one change manager approves every normal level, so a change reaches any state in a
few calls. Cases that change the policy put the module's policy back before they end."""

from harness import Module, check, eq, expect_problem, expect_status, to_json, unique

MODULE = Module("policy_rules")
t = MODULE.test

LEVEL_CRIT = {"low": 1, "moderate": 2, "high": 3, "critical": 5}
REVIEW_DEFAULT = {"levels": ["high", "critical"], "outcomes": ["failed", "rolled_back"],
                  "emergency": True}


def put_policy(ctx, extra=None, status=200):
    """Puts the module's policy (plus `extra` members) in force; returns the answer."""
    cur = ctx.api.get("/api/v1/policy").json
    body = {"weights": {k: (100 if k == "ci_criticality" else 0) for k in cur["weights"]},
            "thresholds": {"moderate": 30, "high": 50, "critical": 80},
            "approval": {"normal": {lvl: "change_manager" for lvl in LEVEL_CRIT}}}
    body.update(extra or {})
    r = ctx.api.request("PUT", "/api/v1/policy", body, headers={"If-Match": f'"{cur["version"]}"'})
    expect_status(r, status, "PUT policy")
    return r


def policy(ctx):
    if not ctx.store.get("policy"):
        ctx.store["policy"] = put_policy(ctx).json
    return ctx.store["policy"]


def client(ctx, signoff=False):
    key = "client_signoff" if signoff else "client"
    if key not in ctx.store:
        ctx.store[key] = ctx.make_client(requires_signoff=signoff)["key"]
    return ctx.store[key]


def change_at(ctx, level, type_="normal", signoff=False, **fields):
    """A change of the given risk level (its own CI), created by the admin."""
    policy(ctx)
    c = client(ctx, signoff)
    ci = ctx.make_ci(c, criticality=LEVEL_CRIT[level], name=unique("lvl"))
    if type_ == "emergency":
        fields.setdefault("incidents", ["INC-1"])
    return ctx.make_change(c, type_, cis=[ci["id"]], **fields)["id"]


def walk(ctx, ident, actions):
    bodies = {"complete": {"notes": "done"}, "fail": {"reason": "broke"},
              "review": {"summary": "what we learned"}}
    for a in actions:
        ctx.act(ident, a, bodies.get(a))
    return ctx.get_change(ident)


NORMAL_TO_COMPLETED = ["submit", "assess", "approve", "schedule", "start", "complete"]


def close_refused(ctx, ident, rule):
    """close answers 422 naming the rule and the review action; nothing is written."""
    before = ctx.get_change(ident)
    n = len(ctx.timeline(ident))
    p = expect_problem(ctx.api.post(f"/api/v1/changes/{ident}/close"), 422,
                       "/problems/precondition-failed", field="summary",
                       what=f"close of a {before['state']} change")
    check(rule in p["detail"] and "post-implementation review" in p["detail"],
          f"the detail should name {rule}: {p['detail']!r}")
    eq(to_json(ctx.get_change(ident)), to_json(before), "change after the refused close")
    eq(len(ctx.timeline(ident)), n, "timeline after the refused close")
    return p


# ---------------------------------------------------------------------------- review before close


@t("review_before_close: the built-in default asks a review of high and critical, failed and "
   "rolled back, and emergency changes; bad values are 400 naming the member")
def _(ctx):
    eq(ctx.api.get("/api/v1/policy").json.get("review_before_close"), REVIEW_DEFAULT,
       "review_before_close of the policy in force")
    for bad, field in (({"levels": ["huge"]}, "review_before_close.levels"),
                       ({"levels": "high"}, "review_before_close.levels"),
                       ({"outcomes": ["none"]}, "review_before_close.outcomes"),
                       ({"outcomes": ["broken"]}, "review_before_close.outcomes"),
                       ({"emergency": "yes"}, "review_before_close.emergency"),
                       ({"always": True}, "review_before_close.always")):
        p = expect_problem(put_policy(ctx, {"review_before_close": bad}, status=400), 400,
                           "/problems/invalid-input", field=field)
        check(field in p["detail"], f"detail names {field}: {p['detail']!r}")
    expect_problem(put_policy(ctx, {"review_before_close": []}, status=400), 400,
                   "/problems/invalid-input", field="review_before_close")
    r = put_policy(ctx, {"review_before_close": {"levels": ["moderate"]}})
    eq(r.json["review_before_close"], {"levels": ["moderate"], "outcomes": ["failed",
                                       "rolled_back"], "emergency": True},
       "members left out take the default")
    ctx.store["policy"] = put_policy(ctx).json


@t("a completed high or critical change cannot be closed before its review (422 naming "
   "review_before_close.levels); a low one can")
def _(ctx):
    for level in ("high", "critical"):
        i = change_at(ctx, level)
        walk(ctx, i, NORMAL_TO_COMPLETED)
        p = close_refused(ctx, i, "review_before_close.levels")
        check(f"risk level is {level}" in p["detail"], f"detail names the level: {p['detail']!r}")
        eq(walk(ctx, i, ["review", "close"])["state"], "closed", f"{level}: closed after review")
    i = change_at(ctx, "low")
    eq(walk(ctx, i, NORMAL_TO_COMPLETED + ["close"])["state"], "closed", "low: closed directly")


@t("failed, rolled back and emergency changes need their review; the policy decides, so "
   "without those rules they close directly")
def _(ctx):
    failed = change_at(ctx, "low")
    walk(ctx, failed, NORMAL_TO_COMPLETED[:-1] + ["fail"])
    close_refused(ctx, failed, "review_before_close.outcomes")
    rolled = change_at(ctx, "low")
    walk(ctx, rolled, NORMAL_TO_COMPLETED[:-1] + ["rollback"])
    close_refused(ctx, rolled, "review_before_close.outcomes")
    em = change_at(ctx, "low", "emergency")
    walk(ctx, em, ["submit", "approve", "start", "complete"])
    close_refused(ctx, em, "review_before_close.emergency")
    high = change_at(ctx, "high")
    walk(ctx, high, NORMAL_TO_COMPLETED)
    ctx.store["policy"] = put_policy(ctx, {"review_before_close": {
        "levels": [], "outcomes": [], "emergency": False}}).json
    for ident in (failed, rolled, em, high):
        eq(walk(ctx, ident, ["close"])["state"], "closed", f"{ident} closes without a review")
    ctx.store["policy"] = put_policy(ctx).json
