"""Approval routing, standard-change templates, CAB agenda and misuse signals (issue 4, part B):
whole flows through the API and the CLI.

The module's server runs one policy (set by the first case that needs it) in which CI
criticality counts (and, for the one case with dependants, their criticality a little) and
the thresholds are its own (25, 50, 75), so a change's level is chosen by its CI: criticality
1 -> low (20), 2 -> moderate (40), 3 -> high (60), 4 or 5 -> critical."""

import datetime
import json

from harness import (Module, check, eq, expect_problem, expect_status, run_cli, unique)

MODULE = Module("approvals")
t = MODULE.test

LEVEL_CRIT = {"low": 1, "moderate": 2, "high": 3, "critical": 5}


def policy(ctx):
    """Puts the module's policy in force once."""
    if ctx.store.get("policy"):
        return ctx.store["policy"]
    r = ctx.api.get("/api/v1/policy")
    expect_status(r, 200, "GET policy")
    p = r.json
    version = p.get("version", 0)
    p["weights"] = {k: 0 for k in p["weights"]}
    p["weights"]["ci_criticality"] = 100
    p["weights"]["dependent_criticality"] = 10  # only the decision-point case has dependents
    p["thresholds"] = {"moderate": 25, "high": 50, "critical": 75}
    p["cab_quorum"] = 2
    p["emergency_review_hours"] = 1
    p["template_min_changes"] = 2
    p["template_failure_threshold"] = 0.2
    p["client_signoff"] = {"default": ["high", "critical"], "clients": {}}
    body = {k: v for k, v in p.items() if k not in ("version", "created_at", "created_by")}
    r = ctx.api.request("PUT", "/api/v1/policy", body, headers={"If-Match": f'"{version}"'})
    expect_status(r, 200, "PUT policy")
    ctx.store["policy"] = r.json
    return r.json


def client(ctx, signoff=False):
    key = "client_signoff" if signoff else "client"
    if key not in ctx.store:
        ctx.store[key] = ctx.make_client(requires_signoff=signoff)["key"]
    return ctx.store[key]


def change_at(ctx, level, signoff=False, api=None, submit=True, **fields):
    """A normal change of the given risk level, submitted and assessed (by the admin)."""
    policy(ctx)
    c = client(ctx, signoff)
    ci = ctx.make_ci(c, criticality=LEVEL_CRIT[level], name=unique("lvl"))
    body = ctx.change_body(c, cis=[ci["id"]], **fields)
    r = (api or ctx.api).post("/api/v1/changes", body)
    expect_status(r, 201, "create change")
    ch = r.json
    if submit:
        expect_status((api or ctx.api).post(f"/api/v1/changes/{ch['id']}/submit"), 200, "submit")
        expect_status(ctx.api.post(f"/api/v1/changes/{ch['id']}/assess"), 200, "assess")
    return ch


def cab(ctx, c, n):
    """CAB member number n of client c (user names are per client: grants are made once)."""
    return ctx.user_api("cab_member", [c], name=f"cab{n}-{c}")


def vote(api, ident, action="approve", status=200, **body):
    if action == "approve" and not body:
        body = {"comment": "looks fine"}
    r = api.post(f"/api/v1/changes/{ident}/{action}", body)
    expect_status(r, status, f"{action} {ident}")
    return r


def approvals(ctx, ident):
    r = ctx.api.get(f"/api/v1/changes/{ident}/approvals")
    expect_status(r, 200, "GET approvals")
    return r.json


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------- routing


@t("routing follows the risk level: low -> self_or_peer, moderate -> change_manager, "
   "high -> cab (quorum 2) + client sign-off where required")
def _(ctx):
    for level, tier, stages in (("low", "self_or_peer", ["self_or_peer"]),
                                ("moderate", "change_manager", ["change_manager"]),
                                ("high", "cab", ["cab"]), ("critical", "cab", ["cab"])):
        a = approvals(ctx, change_at(ctx, level)["id"])
        eq(a["route"]["level"], level, f"level of a {level} change")
        eq(a["route"]["tier"], tier, f"tier of a {level} change")
        eq([s["stage"] for s in a["route"]["stages"]], stages, f"stages of a {level} change")
        eq(a["route"]["satisfied"], False, "satisfied before any vote")
    a = approvals(ctx, change_at(ctx, "high", signoff=True)["id"])
    eq([(s["stage"], s["quorum"]) for s in a["route"]["stages"]], [("cab", 2), ("client", 1)],
       "high change of a client that signs off")
    # A client that requires sign-off is asked wherever a manager is (issue 10), not only
    # at the levels of client_signoff.default.
    a = approvals(ctx, change_at(ctx, "moderate", signoff=True)["id"])
    eq([(s["stage"], s["rule"]) for s in a["route"]["stages"]],
       [("change_manager", "approval.normal.moderate"), ("client", "client.requires_signoff")],
       "moderate change of a client that signs off")
    a = approvals(ctx, change_at(ctx, "low", signoff=True)["id"])
    eq([s["stage"] for s in a["route"]["stages"]], ["self_or_peer"],
       "low: self or peer, no client stage")


@t("a high-risk change is blocked until CAB quorum and the client's sign-off")
def _(ctx):
    c = client(ctx, signoff=True)
    ch = change_at(ctx, "high", signoff=True)
    i = ch["id"]
    cab1, cab2 = cab(ctx, c, 1), cab(ctx, c, 2)
    r = vote(cab1, i)
    eq(r.json["state"], "assessed", "state after one CAB vote")
    eq(r.json["approval"]["route"]["missing"], ["cab", "client"], "missing after one vote")
    p = expect_problem(cab1.post(f"/api/v1/changes/{i}/approve", {"comment": "again"}), 409,
                       "/problems/duplicate")
    check("already voted" in p["detail"], p["detail"])
    # A change manager is not the CAB; an all-clients client approver is not this client's.
    expect_problem(ctx.user_api("change_manager", [c], name="cm-high").post(
        f"/api/v1/changes/{i}/approve", {}), 403, "/problems/forbidden")
    expect_problem(ctx.user_api("client_approver", name="ca-all").post(
        f"/api/v1/changes/{i}/approve", {}), 403, "/problems/forbidden")
    # Another client's approver does not even see it.
    other = ctx.make_client()["key"]
    expect_problem(ctx.user_api("client_approver", [other]).post(
        f"/api/v1/changes/{i}/approve", {}), 404, "/problems/not-found")
    r = vote(cab2, i)
    eq(r.json["state"], "assessed", "quorum without sign-off")
    eq(r.json["approval"]["route"]["missing"], ["client"], "missing after quorum")
    expect_problem(cab(ctx, c, 3).post(f"/api/v1/changes/{i}/approve", {}), 422,
                   "/problems/precondition-failed")
    r = vote(ctx.user_api("client_approver", [c], name="client-signer"), i,
             comment="the client agrees")
    eq(r.json["state"], "approved", "state after sign-off")
    a = approvals(ctx, i)
    eq(a["route"]["satisfied"], True, "satisfied")
    eq([(v["user"], v["as"], v["decision"]) for v in a["votes"]],
       [(f"cab1-{c}", "cab", "approve"), (f"cab2-{c}", "cab", "approve"),
        ("client-signer", "client", "approve")], "votes")
    check(a["approved_at"] is not None, "approved_at")
    events = [e["action"] for e in ctx.timeline(i)]
    eq(events.count("change.approve"), 3, f"one audited event per vote: {events}")


@t("rejection returns the change to draft with the reason; the next round starts afresh")
def _(ctx):
    c = client(ctx)
    ch = change_at(ctx, "high")
    i = ch["id"]
    vote(cab(ctx, c, 1), i)
    cab2 = cab(ctx, c, 2)
    expect_problem(cab2.post(f"/api/v1/changes/{i}/reject", {}), 422,
                   "/problems/precondition-failed", field="reason")
    expect_problem(cab2.post(f"/api/v1/changes/{i}/approve", {"reason": "x"}), 400,
                   "/problems/invalid-input", field="reason")
    r = vote(cab2, i, "reject", reason="needs a tested rollback")
    eq(r.json["state"], "draft", "state after reject")
    eq(r.json["state_reason"], "needs a tested rollback", "state_reason")
    for a in ("submit", "assess"):
        expect_status(ctx.api.post(f"/api/v1/changes/{i}/{a}"), 200, f"{a} again")
    a = approvals(ctx, i)
    eq(a["route"]["round"], 2, "round after a rejection")
    eq(a["route"]["stages"][0]["approvals"], 0, "earlier approvals do not count")
    check(f"rejected by cab2-{c}" in (a["round_reason"] or ""),
          f"round_reason {a['round_reason']}")
    eq(len(a["votes"]), 2, "the first round's votes are kept as history")
    # cab-two may vote again in the new round.
    vote(cab2, i)


@t("self-approval: only the implementer who raised a low-risk change, never above low")
def _(ctx):
    c = client(ctx)
    me = ctx.user_api("implementer", [c], name="self-doer")
    low = change_at(ctx, "low", api=me, implementer="self-doer")
    eq(low["raised_by"], "self-doer", "raised_by")
    r = vote(me, low["id"], comment="my own routine change")
    eq(r.json["state"], "approved", "self-approved low change")
    eq(approvals(ctx, low["id"])["votes"][0]["as"], "self_or_peer", "vote counted as")
    # A low change someone else implements: the raiser is no "self".
    other = change_at(ctx, "low", api=me, implementer="someone-else")
    expect_problem(me.post(f"/api/v1/changes/{other['id']}/approve", {}), 403,
                   "/problems/forbidden")
    mod = change_at(ctx, "moderate", api=me, implementer="self-doer")
    p = expect_problem(me.post(f"/api/v1/changes/{mod['id']}/approve", {}), 403,
                       "/problems/forbidden")
    check("may not" in p["detail"], p["detail"])
    # A peer with change.approve may approve the low one; a change manager the moderate one.
    vote(ctx.user_api("cab_member", [c], name="peer-cab"), other["id"])
    r = vote(ctx.approver(), mod["id"])
    eq(r.json["state"], "approved", "moderate approved by a change manager")


@t("scheduling a change that still awaits approval names the approvals missing")
def _(ctx):
    ch = change_at(ctx, "moderate")
    p = expect_problem(ctx.api.post(f"/api/v1/changes/{ch['id']}/schedule"), 409,
                       "/problems/illegal-transition")
    check("1 change manager approval (change_manager)" in p["detail"], p["detail"])
    c = client(ctx, signoff=True)
    hi = change_at(ctx, "high", signoff=True)
    vote(cab(ctx, c, 1), hi["id"])
    p = expect_problem(ctx.api.post(f"/api/v1/changes/{hi['id']}/schedule"), 409,
                       "/problems/illegal-transition")
    check("1 CAB approval (cab)" in p["detail"] and "1 client sign-off (client)" in p["detail"],
          p["detail"])
    eq(ctx.get_change(hi["id"])["state"], "assessed", "nothing moved")


@t("re-approval: a new implementer after approval, or changed risk inputs, need approval again")
def _(ctx):
    c = client(ctx)
    ch = change_at(ctx, "moderate")
    vote(ctx.approver(), ch["id"])
    cur = ctx.get_change(ch["id"])
    eq(cur["state"], "approved", "approved")
    r = ctx.api.patch(f"/api/v1/changes/{ch['id']}", {"implementer": "new-person"},
                      if_match=f'"{cur["version"]}"')
    expect_status(r, 200, "PATCH implementer")
    eq(r.json["state"], "assessed", "state after a new implementer")
    check(r.json["state_reason"].startswith("re-approval needed: "), r.json["state_reason"])
    a = approvals(ctx, ch["id"])
    eq((a["route"]["round"], a["route"]["satisfied"]), (2, False), "a new round")
    r = vote(ctx.approver(), ch["id"])
    eq((r.json["state"], r.json["state_reason"]), ("approved", None), "approved again")
    # The CI becomes more critical: the risk inputs change, the approval is gone.
    ci = ctx.get_change(ch["id"])["cis"][0]
    cur = ctx.api.get(f"/api/v1/cis/{ci}").json
    r = ctx.api.patch(f"/api/v1/cis/{ci}", {"criticality": 4}, if_match=f'"{cur["version"]}"')
    expect_status(r, 200, "PATCH CI criticality")
    after = ctx.get_change(ch["id"])
    eq(after["state"], "assessed", "state after the risk inputs changed")
    check("risk" in after["state_reason"], after["state_reason"])
    a = approvals(ctx, ch["id"])
    eq((a["route"]["round"], a["route"]["tier"]), (3, "cab"), "round and tier after re-assess")


@t("re-approval at the decision points: inputs that changed materially without re-scoring the "
   "change (a critical CI two hops down) are caught by start and by the next approval vote")
def _(ctx):
    c = client(ctx)
    ch = change_at(ctx, "moderate")
    ci = ctx.get_change(ch["id"])["cis"][0]
    mid = ctx.make_ci(c, criticality=1)["id"]
    r = ctx.api.post(f"/api/v1/cis/{mid}/relations", {"kind": "depends_on", "to": ci})
    expect_status(r, 201, "relate mid -> the change's CI")  # re-scores the change: no votes yet
    vote(ctx.approver(), ch["id"])
    expect_status(ctx.api.post(f"/api/v1/changes/{ch['id']}/schedule"), 200, "schedule")
    eq(ctx.get_change(ch["id"])["state"], "scheduled", "scheduled")
    # Two hops down: only changes on `far` and `mid` are re-scored by the relation write.
    far = ctx.make_ci(c, criticality=5)["id"]
    r = ctx.api.post(f"/api/v1/cis/{far}/relations", {"kind": "depends_on", "to": mid})
    expect_status(r, 201, "relate far -> mid")
    eq(ctx.get_change(ch["id"])["state"], "scheduled", "not re-scored by that write")
    r = ctx.api.post(f"/api/v1/changes/{ch['id']}/start")
    expect_problem(r, 409, "/problems/illegal-transition")
    after = ctx.get_change(ch["id"])
    eq(after["state"], "assessed", "back for approval at start")
    check("risk" in (after["state_reason"] or ""), after["state_reason"])
    risk = ctx.api.get(f"/api/v1/changes/{ch['id']}/risk").json
    eq(risk["inputs"]["dependent_cis"], 2, "the new dependent is in the inputs")

    # A vote: the CAB's first vote is cast, then the inputs change two hops down; the next
    # vote re-scores the change, so the round restarts and that vote is the first again.
    hi = change_at(ctx, "high")
    hci = ctx.get_change(hi["id"])["cis"][0]
    hmid = ctx.make_ci(c, criticality=1)["id"]
    expect_status(ctx.api.post(f"/api/v1/cis/{hmid}/relations",
                               {"kind": "depends_on", "to": hci}), 201, "relate hmid")
    vote(cab(ctx, c, 1), hi["id"])
    eq(approvals(ctx, hi["id"])["route"]["round"], 1, "round of the first vote")
    hfar = ctx.make_ci(c, criticality=5)["id"]
    expect_status(ctx.api.post(f"/api/v1/cis/{hfar}/relations",
                               {"kind": "depends_on", "to": hmid}), 201, "relate hfar")
    r = vote(cab(ctx, c, 2), hi["id"])
    eq(r.json["state"], "assessed", "not approved on a stale round")
    a = approvals(ctx, hi["id"])
    eq((a["route"]["round"], a["route"]["stages"][0]["approvals"]), (2, 1),
       "a new round holding only the second vote")


# ---------------------------------------------------------------------------- emergency


@t("emergency: refused without an incident; one emergency approver suffices; "
   "an overdue review is listed and flagged")
def _(ctx):
    policy(ctx)
    c = client(ctx)
    bare = ctx.make_change(c, type_="emergency")
    expect_problem(ctx.api.post(f"/api/v1/changes/{bare['id']}/submit"), 422,
                   "/problems/precondition-failed", field="incidents")
    ch = ctx.make_change(c, type_="emergency", incidents=["INC-77"])
    i = ch["id"]
    expect_status(ctx.api.post(f"/api/v1/changes/{i}/submit"), 200, "submit")
    expect_problem(cab(ctx, c, 1).post(f"/api/v1/changes/{i}/approve", {}), 403,
                   "/problems/forbidden")
    r = vote(ctx.user_api("emergency_approver", [c]), i, comment="go")
    eq(r.json["state"], "approved", "one emergency approval")
    a = r.json["approval"]
    eq(a["review_overdue"], False, "not overdue right away")
    check(a["review_due"] is not None, "review_due")
    now = datetime.datetime.now(datetime.timezone.utc)
    r = ctx.api.get("/api/v1/emergency/overdue")
    expect_status(r, 200)
    check(i not in [x["id"] for x in r.json["items"]], "not listed before the deadline")
    later = iso(now + datetime.timedelta(hours=2))
    for path in (f"/api/v1/emergency/overdue?at={later}",
                 f"/api/v1/changes?overdue_review=true&at={later}&client={c}"):
        r = ctx.api.get(path)
        expect_status(r, 200, path)
        hit = [x for x in r.json["items"] if x["id"] == i]
        eq(len(hit), 1, f"listed by {path}")
        eq(hit[0]["review_overdue"], True, "flagged")
    expect_problem(ctx.api.get("/api/v1/changes?overdue_review=maybe"), 400,
                   "/problems/invalid-input", field="overdue_review")
    expect_problem(ctx.api.get("/api/v1/emergency/overdue?at=tomorrow"), 400,
                   "/problems/invalid-input", field="at")
    # Reviewed: no longer overdue.
    for a, body in (("start", None), ("complete", {"notes": "fixed"}),
                    ("review", {"summary": "done"})):
        expect_status(ctx.api.post(f"/api/v1/changes/{i}/{a}", body) if body else
                      ctx.api.post(f"/api/v1/changes/{i}/{a}"), 200, a)
    r = ctx.api.get(f"/api/v1/emergency/overdue?at={later}")
    check(i not in [x["id"] for x in r.json["items"]], "a reviewed change is not overdue")


@t("misuse signal: emergency ratio per requester and per client, flagged above 25 %")
def _(ctx):
    policy(ctx)
    c = ctx.make_client()["key"]
    heavy = ctx.user_api("requester", [c], name="cries-wolf")
    calm = ctx.user_api("requester", [c], name="plans-ahead")
    for api, n_emergency, n_normal in ((heavy, 3, 1), (calm, 0, 4)):
        for k in range(n_emergency + n_normal):
            kind = "emergency" if k < n_emergency else "normal"
            extra = {"incidents": ["INC-1"]} if kind == "emergency" else {}
            r = api.post("/api/v1/changes", ctx.change_body(c, kind, **extra))
            expect_status(r, 201)
            expect_status(api.post(f"/api/v1/changes/{r.json['id']}/submit"), 200, "submit")
    api.post("/api/v1/changes", ctx.change_body(c, "emergency", incidents=["INC-2"]))  # draft
    r = ctx.api.get(f"/api/v1/metrics/emergency?client={c}")
    expect_status(r, 200)
    people = {p["requester"]: p for p in r.json["requesters"]}
    eq((people["cries-wolf"]["changes"], people["cries-wolf"]["emergency"],
        people["cries-wolf"]["flagged"]), (4, 3, True), "cries-wolf")
    eq((people["plans-ahead"]["changes"], people["plans-ahead"]["emergency"],
        people["plans-ahead"]["flagged"]), (4, 0, False), "plans-ahead (drafts do not count)")
    eq([(x["client"], x["changes"], x["emergency"], x["flagged"]) for x in r.json["clients"]],
       [(c, 8, 3, True)], "per client")
    eq(r.json["threshold"], 0.25, "threshold")
    expect_problem(ctx.api.get("/api/v1/metrics/emergency?from=yesterday"), 400,
                   "/problems/invalid-input", field="from")
    # Scoped: a user of another client sees none of it.
    r = ctx.user_api("requester", [ctx.make_client()["key"]]).get("/api/v1/metrics/emergency")
    check(all(p["requester"] not in ("cries-wolf", "plans-ahead") for p in r.json["requesters"]),
          "another client's user sees no one of this client")


# ---------------------------------------------------------------------------- templates


@t("standard change in two calls: create from a template, submit -> pre-approved, scheduled")
def _(ctx):
    policy(ctx)
    c = client(ctx)
    tpl = ctx.standard_template()
    eq((tpl["standing"], tpl["preapproved"], tpl["version"]), ("good", True, 1), "template")
    ci = ctx.make_ci(c, criticality=1)
    r = ctx.api.post("/api/v1/changes", {"template": tpl["id"], "client": c, "cis": [ci["id"]],
                                         "planned_start": "2030-07-01T22:00:00Z",
                                         "planned_end": "2030-07-01T23:00:00Z"})
    expect_status(r, 201, "create from template")
    ch = r.json
    eq((ch["type"], ch["template"], ch["implementation_plan"], ch["rollback_plan"]),
       ("standard", tpl["id"], tpl["steps"], tpl["rollback_plan"]), "filled from the template")
    r = ctx.api.post(f"/api/v1/changes/{ch['id']}/submit")
    expect_status(r, 200, "submit")
    eq(r.json["state"], "scheduled", "state after submit")
    eq(r.json["approval"]["route"]["tier"], "preapproved", "tier")
    eq(r.json["approval"]["votes"], [], "no votes")


@t("templates: CRUD with versions and audit; only change managers write; bad input is precise")
def _(ctx):
    policy(ctx)
    c = ctx.make_client()["key"]
    body = {"name": unique("tpl"), "client": c, "steps": "s", "rollback_plan": "r",
            "ci_types": ["server", "database"], "max_risk": "moderate", "roles": ["implementer"]}
    expect_problem(ctx.user_api("implementer", [c]).post("/api/v1/templates", body), 403,
                   "/problems/forbidden")
    for bad, field in (({"ci_types": ["spaceship"]}, "ci_types"), ({"max_risk": "huge"}, "max_risk"),
                       ({"roles": ["boss"]}, "roles"), ({"steps": ""}, "steps"),
                       ({"colour": "red"}, "colour"), ({"client": "nope"}, "client")):
        expect_problem(ctx.api.post("/api/v1/templates", dict(body, **bad)), 400,
                       "/problems/invalid-input", field=field)
    cm = ctx.user_api("change_manager", [c], name="tpl-cm")
    r = cm.post("/api/v1/templates", body)
    expect_status(r, 201, "change manager creates")
    tpl = r.json
    expect_problem(cm.post("/api/v1/templates", body), 409, "/problems/duplicate", field="name")
    r = cm.patch(f"/api/v1/templates/{tpl['id']}", {"steps": "s2"}, if_match='"1"')
    expect_status(r, 200, "PATCH")
    eq((r.json["version"], r.json["steps"]), (2, "s2"), "after PATCH")
    expect_problem(cm.patch(f"/api/v1/templates/{tpl['id']}", {"steps": "s3"}, if_match='"1"'),
                   409, "/problems/stale-version")
    r = ctx.api.get(f"/api/v1/templates/{tpl['id']}/versions")
    expect_status(r, 200, "versions")
    eq([(v["version"], v["created_by"], v["template"]["steps"]) for v in r.json["items"]],
       [(1, "tpl-cm", "s"), (2, "tpl-cm", "s2")], "every version kept")
    r = ctx.api.get(f"/api/v1/templates?client={c}")
    check(tpl["id"] in [x["id"] for x in r.json["items"]], "listed")
    other = ctx.make_client()["key"]
    expect_problem(ctx.user_api("requester", [other]).get(f"/api/v1/templates/{tpl['id']}"),
                   404, "/problems/not-found")
    # Only the named roles use it: a requester may not.
    req = ctx.user_api("requester", [c], name="tpl-req")
    r = req.post("/api/v1/changes", {"template": tpl["id"], "client": c,
                                     "cis": [ctx.default_ci(c)]})
    expect_problem(r, 403, "/problems/forbidden", field="template")
    r = ctx.api.get(f"/api/v1/audit/export?client={c}&limit=200")
    expect_status(r, 200, "audit export")
    actions = [e["action"] for e in r.json["items"] if e.get("entity") == "template"]
    eq(actions, ["template.create", "template.update"], "template events of the client")


@t("templates: a change that does not fit (CI type, risk above the maximum) is offered as normal")
def _(ctx):
    policy(ctx)
    c = client(ctx)
    tpl = ctx.standard_template(max_risk="low")
    db = ctx.make_ci(c, type="database", criticality=1)
    r = ctx.api.post("/api/v1/changes", {"template": tpl["id"], "client": c, "cis": [db["id"]],
                                         "planned_start": "2030-07-02T22:00:00Z",
                                         "planned_end": "2030-07-02T23:00:00Z"})
    p = expect_problem(r, 422, "/problems/precondition-failed", field="cis")
    eq(p.get("suggested_type"), "normal", "suggested_type")
    for bad, field in (({"template": "TPL-999999"}, "template"),
                       ({"template": 7}, "template"),
                       ({"implementation_plan": "mine"}, "implementation_plan"),
                       ({"type": "normal"}, "type")):
        r = ctx.api.post("/api/v1/changes", dict({"template": tpl["id"], "client": c,
                                                  "cis": [ctx.default_ci(c)]}, **bad))
        expect_problem(r, 400, "/problems/invalid-input", field=field)
    risky = ctx.make_ci(c, criticality=3)
    ch = ctx.make_standard_change(c, template=tpl["id"], cis=[risky["id"]])
    r = ctx.api.post(f"/api/v1/changes/{ch['id']}/submit")
    p = expect_problem(r, 422, "/problems/precondition-failed", field="risk")
    eq(p.get("suggested_type"), "normal", "suggested_type")
    eq(ctx.get_change(ch["id"])["state"], "draft", "a refused standard change stays draft")


@t("templates: failures above the threshold revoke pre-approval until a change manager "
   "re-approves")
def _(ctx):
    policy(ctx)  # at least 2 changes; prior 1/(1+9); threshold 0.2
    c = client(ctx)
    tpl = ctx.standard_template()
    for k in range(2):
        ch = ctx.make_standard_change(c, template=tpl["id"])
        for a, body in (("submit", None), ("start", None), ("fail", {"reason": "broke"})):
            r = ctx.api.post(f"/api/v1/changes/{ch['id']}/{a}", body) if body else \
                ctx.api.post(f"/api/v1/changes/{ch['id']}/{a}")
            expect_status(r, 200, f"{a} #{k}")
        standing = ctx.api.get(f"/api/v1/templates/{tpl['id']}").json["standing"]
        eq(standing, "good" if k == 0 else "not_preapproved", f"standing after {k + 1} failures")
    got = ctx.api.get(f"/api/v1/templates/{tpl['id']}").json
    check(got["revoked_at"] and "failure rate" in got["revoked_reason"], str(got))
    r = ctx.api.post("/api/v1/changes", {"template": tpl["id"], "client": c,
                                         "cis": [ctx.default_ci(c)]})
    p = expect_problem(r, 422, "/problems/precondition-failed", field="template")
    eq(p.get("suggested_type"), "normal", "suggested_type")
    expect_problem(ctx.user_api("implementer", [c]).post(
        f"/api/v1/templates/{tpl['id']}/reapprove", {}), 403, "/problems/forbidden")
    r = ctx.approver().post(f"/api/v1/templates/{tpl['id']}/reapprove",
                            {"comment": "root cause fixed"})
    expect_status(r, 200, "reapprove")
    eq((r.json["standing"], r.json["revoked_at"]), ("good", None), "after reapproval")
    expect_problem(ctx.approver().post(f"/api/v1/templates/{tpl['id']}/reapprove", {}), 409,
                   "/problems/illegal-transition")
    ctx.make_standard_change(c, template=tpl["id"])


# ---------------------------------------------------------------------------- CAB


@t("CAB agenda: changes awaiting the CAB in the range, by planned start then risk, with "
   "risk explanation, blast radius, conflicts and votes")
def _(ctx):
    policy(ctx)
    c = ctx.make_client()["key"]
    ctx.store["client"] = c  # change_at uses it
    early_hi = change_at(ctx, "critical", planned_start="2030-08-01T20:00:00Z",
                         planned_end="2030-08-01T21:00:00Z")
    early_lo = change_at(ctx, "high", planned_start="2030-08-01T20:00:00Z",
                         planned_end="2030-08-01T21:00:00Z")
    late = change_at(ctx, "high", planned_start="2030-08-03T20:00:00Z",
                     planned_end="2030-08-03T21:00:00Z")
    change_at(ctx, "moderate", planned_start="2030-08-02T20:00:00Z",
              planned_end="2030-08-02T21:00:00Z")  # change manager, not CAB
    outside = change_at(ctx, "high", planned_start="2030-09-01T20:00:00Z",
                        planned_end="2030-09-01T21:00:00Z")
    vote(cab(ctx, c, 1), late["id"])
    r = ctx.api.get(f"/api/v1/cab/agenda?from=2030-08-01T00:00:00Z&to=2030-08-05T00:00:00Z"
                    f"&client={c}")
    expect_status(r, 200)
    ids = [x["change"]["id"] for x in r.json["items"]]
    eq(ids, [early_hi["id"], early_lo["id"], late["id"]], "agenda order")
    check(outside["id"] not in ids, "out of range")
    item = r.json["items"][2]
    eq([v["user"] for v in item["approval"]["votes"]], [f"cab1-{c}"], "votes so far")
    check(item["risk"]["factors"] and item["risk"]["level"] == "high", "risk explanation")
    check(set(item["blast_radius"]) >= {"affected_cis", "dependent_cis", "clients_touched"},
          str(item["blast_radius"]))
    check("count" in item["conflicts"], str(item["conflicts"]))
    expect_problem(ctx.api.get("/api/v1/cab/agenda?from=2030-08-05T00:00:00Z"
                               "&to=2030-08-01T00:00:00Z"), 400, "/problems/invalid-input",
                   field="to")
    expect_problem(ctx.api.get("/api/v1/cab/agenda?from=soon"), 400, "/problems/invalid-input",
                   field="from")


@t("bad input: precise 400s with field; unknown or invisible changes and templates are 404")
def _(ctx):
    policy(ctx)
    c = client(ctx)
    ch = change_at(ctx, "moderate")
    i = ch["id"]
    cm = ctx.approver()
    for body, field in (({"comment": 5}, "comment"), ({"vote": "yes"}, "vote"),
                        ({"reason": ["x"]}, "reason")):
        expect_problem(cm.post(f"/api/v1/changes/{i}/approve", body), 400,
                       "/problems/invalid-input", field=field)
    r = cm.request("POST", f"/api/v1/changes/{i}/approve", raw=b"{nope",
                   content_type="application/json")
    expect_problem(r, 400, "/problems/invalid-input")
    eq(approvals(ctx, i)["votes"], [], "no vote was recorded")
    expect_problem(ctx.api.get("/api/v1/changes/CHG-999999/approvals"), 404, "/problems/not-found")
    other = ctx.make_client()["key"]
    expect_problem(ctx.user_api("requester", [other]).get(f"/api/v1/changes/{i}/approvals"), 404,
                   "/problems/not-found")
    expect_problem(ctx.api.get("/api/v1/cab/agenda?from=2030-01-01T00:00:00Z"
                               "&to=2032-01-01T00:00:00Z"), 400, "/problems/invalid-input",
                   field="to")
    expect_problem(ctx.api.get("/api/v1/metrics/emergency?from=2030-01-02T00:00:00Z"
                               "&to=2030-01-01T00:00:00Z"), 400, "/problems/invalid-input",
                   field="to")
    expect_problem(ctx.api.get("/api/v1/metrics/emergency?client=nobody"), 400,
                   "/problems/invalid-input", field="client")
    tpl = ctx.api.get(f"/api/v1/templates/{ctx.standard_template()['id']}").json  # current
    expect_problem(ctx.api.post(f"/api/v1/templates/{tpl['id']}/reapprove", {"why": "x"}), 400,
                   "/problems/invalid-input", field="why")
    expect_problem(ctx.api.get("/api/v1/templates/TPL-999999"), 404, "/problems/not-found")
    expect_problem(ctx.api.get("/api/v1/templates/garbage"), 404, "/problems/not-found")
    expect_problem(ctx.api.patch(f"/api/v1/templates/{tpl['id']}", {"name": "x"}), 428,
                   "/problems/version-required")
    expect_problem(ctx.api.patch(f"/api/v1/templates/{tpl['id']}", {"client": c},
                                 if_match=f'"{tpl["version"]}"'), 400, "/problems/invalid-input",
                   field="client")


# ---------------------------------------------------------------------------- CLI


@t("CLI: template list/show, cab agenda, metrics emergency; errors are one line, exit != 0")
def _(ctx):
    policy(ctx)
    tpl = ctx.standard_template()
    env = {"GREENLIGHT_URL": ctx.server.url, "GREENLIGHT_TOKEN": ctx.server.token}
    r = run_cli(ctx.binary, ["template", "list"], env_extra=env)
    eq(r.returncode, 0, f"template list: {r.stderr}")
    check(tpl["id"] in r.stdout, r.stdout)
    r = run_cli(ctx.binary, ["template", "show", tpl["id"]], env_extra=env)
    eq(r.returncode, 0, f"template show: {r.stderr}")
    check(tpl["name"] in r.stdout, r.stdout)
    r = run_cli(ctx.binary, ["template", "show", "TPL-999999"], env_extra=env)
    check(r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1, repr(r))
    c = client(ctx)
    r = run_cli(ctx.binary, ["change", "new", "--template", tpl["id"], "--client", c, "--ci",
                             ctx.default_ci(c), "--start", "2030-10-01T22:00:00Z", "--end",
                             "2030-10-01T23:00:00Z", "--json"], env_extra=env)
    eq(r.returncode, 0, f"change new --template: {r.stderr}")
    made = json.loads(r.stdout)
    eq((made["type"], made["template"]), ("standard", tpl["id"]), "change from the CLI")
    r = run_cli(ctx.binary, ["change", "submit", made["id"]], env_extra=env)
    eq(r.returncode, 0, f"submit: {r.stderr}")
    check("scheduled" in r.stdout, r.stdout)
    r = run_cli(ctx.binary, ["cab", "agenda", "--from", "2030-01-01T00:00:00Z", "--to",
                             "2030-12-31T00:00:00Z"], env_extra=env)
    eq(r.returncode, 0, f"cab agenda: {r.stderr}")
    r = run_cli(ctx.binary, ["cab", "agenda", "--from", "nonsense"], env_extra=env)
    check(r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1, repr(r))
    r = run_cli(ctx.binary, ["metrics", "emergency", "--json"], env_extra=env)
    eq(r.returncode, 0, f"metrics emergency: {r.stderr}")
    check('"requesters"' in r.stdout, r.stdout)
