"""Rules of the policy that decide a change's process (issue 10): which changes need a
post-implementation review before they may be closed (review_before_close), the re-approval
materiality rule (reapproval), and how a client's own requires_signoff and the policy's
client_signoff agree on the route.

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


# ---------------------------------------------------------------------------- re-approval rule


@t("reapproval: the policy's materiality rule reads, validates and stores like any member")
def _(ctx):
    eq(ctx.api.get("/api/v1/policy").json.get("reapproval"),
       {"score_delta": 5, "on_level_increase": True}, "reapproval of the built-in default")
    for bad, field in (({"score_delta": 0}, "reapproval.score_delta"),
                       ({"score_delta": 101}, "reapproval.score_delta"),
                       ({"score_delta": "5"}, "reapproval.score_delta"),
                       ({"on_level_increase": "yes"}, "reapproval.on_level_increase"),
                       ({"inputs": ["users_affected"]}, "reapproval.inputs")):
        expect_problem(put_policy(ctx, {"reapproval": bad}, status=400), 400,
                       "/problems/invalid-input", field=field)
    r = put_policy(ctx, {"reapproval": {"score_delta": 8}})
    eq(r.json["reapproval"], {"score_delta": 8, "on_level_increase": True}, "stored, rest default")
    ctx.store["policy"] = put_policy(ctx).json


# ---------------------------------------------------------------------------- client sign-off

TIERS = {"low": "self_or_peer", "moderate": "change_manager", "high": "cab", "critical": "cab"}


def route(ctx, ident):
    r = ctx.api.get(f"/api/v1/changes/{ident}/approvals")
    expect_status(r, 200, "GET approvals")
    return r.json["route"]


def assessed_at(ctx, level, signoff=False, c=None):
    """A normal change of `level` submitted and assessed; c: a client key of its own."""
    if c is None:
        c = client(ctx, signoff)
    ci = ctx.make_ci(c, criticality=LEVEL_CRIT[level], name=unique("lvl"))
    ident = ctx.make_change(c, cis=[ci["id"]])["id"]
    walk(ctx, ident, ["submit", "assess"])
    return ident


def stage_rules(rt):
    return [(s["stage"], s["rule"]) for s in rt["stages"]]


@t("requires_signoff: the client's flag and the policy agree — a client that requires sign-off "
   "gets a client stage wherever the policy asks more than self or peer, and each stage names "
   "its rule")
def _(ctx):
    listed = ctx.make_client()["key"]   # no flag, but listed in the policy at low
    plain = ctx.make_client()["key"]    # no flag, not listed
    ctx.store["policy"] = put_policy(ctx, {"approval": {"normal": TIERS}, "client_signoff": {
        "default": ["high", "critical"], "clients": {listed: ["low"]}}}).json
    for level, tier in (("moderate", "change_manager"), ("high", "cab"), ("critical", "cab")):
        rt = route(ctx, assessed_at(ctx, level, signoff=True))
        eq(stage_rules(rt), [(tier, f"approval.normal.{level}"),
                             ("client", "client.requires_signoff")],
           f"{level} change of a client that requires sign-off")
        check(rt["stages"][1]["reason"].startswith("client requires sign-off "
                                                   "(client.requires_signoff)"),
              f"client stage reason: {rt['stages'][1]['reason']!r}")
        check(rt["stages"][0]["reason"].startswith(f"policy: a normal change at level {level}"),
              f"tier stage reason: {rt['stages'][0]['reason']!r}")
        eq(rt["client_signoff"]["required"], True, "client_signoff.required")
        eq(rt["client_signoff"]["rule"], "client.requires_signoff", "client_signoff.rule")
    # Low risk is the requester's or a peer's routine work: no client stage, and why not.
    rt = route(ctx, assessed_at(ctx, "low", signoff=True))
    eq(stage_rules(rt), [("self_or_peer", "approval.normal.low")], "low, requires sign-off")
    eq(rt["client_signoff"]["required"], False, "no sign-off at low")
    check("self or peer" in rt["client_signoff"]["reason"],
          f"why no client stage: {rt['client_signoff']['reason']!r}")
    # The policy may ask more: a listed client signs off at its levels, flag or not.
    rt = route(ctx, assessed_at(ctx, "low", c=listed))
    eq(stage_rules(rt), [("self_or_peer", "approval.normal.low"),
                         ("client", f"client_signoff.clients.{listed}")], "listed client at low")
    check(rt["stages"][1]["reason"].startswith("policy: client stage at level low"),
          f"listed client stage reason: {rt['stages'][1]['reason']!r}")
    rt = route(ctx, assessed_at(ctx, "high", c=plain))
    eq(stage_rules(rt), [("cab", "approval.normal.high")], "client without the flag, unlisted")
    eq(rt["client_signoff"]["required"], False, "no sign-off without the flag")
    check("client.requires_signoff" in rt["client_signoff"]["reason"],
          f"why no client stage: {rt['client_signoff']['reason']!r}")
    # client_signoff.default adds levels for clients that require sign-off.
    ctx.store["policy"] = put_policy(ctx, {"approval": {"normal": TIERS}, "client_signoff": {
        "default": ["low", "high", "critical"], "clients": {}}}).json
    rt = route(ctx, assessed_at(ctx, "low", signoff=True))
    eq(stage_rules(rt), [("self_or_peer", "approval.normal.low"),
                         ("client", "client_signoff.default")], "default levels include low")
    ctx.store["policy"] = put_policy(ctx).json


@t("requires_signoff: a moderate change of such a client is approved only once the client "
   "signed off")
def _(ctx):
    c = client(ctx, signoff=True)
    ctx.store["policy"] = put_policy(ctx, {"approval": {"normal": TIERS}}).json
    i = assessed_at(ctx, "moderate", signoff=True)
    mgr = ctx.user_api("change_manager", [c], name=f"mgr-{c}")
    r = mgr.post(f"/api/v1/changes/{i}/approve", {"comment": "fine"})
    expect_status(r, 200, "change manager approves")
    eq(r.json["state"], "assessed", "still waiting for the client")
    eq(r.json["approval"]["route"]["missing"], ["client"], "missing after the change manager")
    signer = ctx.user_api("client_approver", [c], name=f"signer-{c}")
    r = signer.post(f"/api/v1/changes/{i}/approve", {"comment": "ok for us"})
    expect_status(r, 200, "client signs off")
    eq(r.json["state"], "approved", "approved once the client signed off")
    ctx.store["policy"] = put_policy(ctx).json
