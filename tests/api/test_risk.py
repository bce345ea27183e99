"""Risk score and policy: GET /changes/{id}/risk (explained factors summing to the score,
inputs gathered from the CMDB walk, re-assessment after CI, relation and change edits,
?refresh=1), the "risk" summary in the change, GET/PUT /policy (admin only, If-Match, 400
with field, versions, audited) and re-scoring under a new policy; the CLI (change risk,
policy show/set/versions) and serve --policy.

The policy is global to the module's server: cases that replace it put the built-in
default back before they end."""

import json
import os

from harness import (Context, Failure, Module, Server, check, eq, expect_problem, expect_status,
                     qs, run_cli, sanitizer_findings, short)

MODULE = Module("risk")
t = MODULE.test

FACTORS = ["ci_criticality", "dependent_criticality", "users_affected", "reversibility",
           "blast_cis", "blast_clients", "outside_window", "blackout", "short_notice",
           "conflicts", "ci_history", "template_history"]
LEVELS = ["low", "moderate", "high", "critical"]


def assessed(ctx, client, **fields):
    """A change submitted and assessed (the assess action scores it)."""
    ch = ctx.make_change(client, **fields)
    ctx.act(ch["id"], "submit")
    ctx.act(ch["id"], "assess")
    return ch["id"]


def risk(ctx, ident, api=None, refresh=False):
    r = (api or ctx.api).get(f"/api/v1/changes/{ident}/risk" + ("?refresh=1" if refresh else ""))
    expect_status(r, 200, f"GET risk of {ident}")
    return r.json


def check_sums(a):
    eq([f["factor"] for f in a["factors"]], FACTORS, "factors in order")
    total = round(sum(f["points"] for f in a["factors"]), 1)
    if a["capped"]:
        eq(a["score"], 100, "capped score")
        check(total > 100, f"capped but the points sum to {total}")
    else:
        eq(round(a["score"], 1), total, "score is the sum of the factors' points")
    for f in a["factors"]:
        check(0 <= f["points"] <= f["weight"] + 0.05, f"points within the weight: {f}")
        check(isinstance(f["explanation"], str) and f["explanation"], f"explanation: {f}")
        eq(round(f["points"] * 10), f["points"] * 10, f"points in tenths: {f}")
    check(a["level"] in LEVELS, f"level {a['level']}")


def put_policy(ctx, body, version, api=None, status=200):
    r = (api or ctx.api).request("PUT", "/api/v1/policy", body=body,
                                 headers={"If-Match": f'"{version}"'})
    expect_status(r, status, "PUT policy")
    return r


def restore_default(ctx):
    cur = ctx.api.get("/api/v1/policy").json
    put_policy(ctx, {}, cur["version"])


def audit_events(ctx, client=None):
    """Every event of the export (client=None: all, the global ones included), page by page."""
    out, cursor = [], None
    while True:
        r = ctx.api.get("/api/v1/audit/export?" + qs(client=client, limit=200, cursor=cursor))
        expect_status(r, 200, "audit export")
        out.extend(r.json["items"])
        cursor = r.json.get("next_cursor")
        if not cursor:
            return out


def factor(a, name):
    return next(f for f in a["factors"] if f["factor"] == name)


@t("GET /changes/{id}/risk: 404 before assessment; assess scores it, factors sum to the score")
def _(ctx):
    c = ctx.make_client()["key"]
    ch = ctx.make_change(c)
    expect_problem(ctx.api.get(f"/api/v1/changes/{ch['id']}/risk"), 404, "/problems/not-found")
    check("risk" not in ctx.get_change(ch["id"]), "a change never assessed has no risk member")
    ctx.act(ch["id"], "submit")
    ctx.act(ch["id"], "assess")
    a = risk(ctx, ch["id"])
    eq(a["change"], ch["id"], "change")
    eq(a["policy_version"], 0, "assessed under the built-in default")
    check_sums(a)
    eq(a["inputs"]["affected_cis"], 1, "inputs: affected CIs")
    eq(a["inputs"]["max_ci_criticality"], 3, "inputs: criticality of the fixture CI")
    eq(a["inputs"]["has_rollback_plan"], True, "inputs: the fixture has a rollback plan")
    # The change carries the summary.
    summary = ctx.get_change(ch["id"])["risk"]
    eq(summary, {"score": a["score"], "level": a["level"], "policy_version": 0,
                 "assessed_at": a["assessed_at"]}, "risk summary in the change")
    # The assessment is audited (entity "risk", the change's number), not in the timeline.
    def risk_events():
        return [e for e in audit_events(ctx, client=c) if e["entity"] == "risk"]
    ev = risk_events()
    eq([(e["action"], e["after"]["change"], e["after"]["score"]) for e in ev],
       [("risk.assess", ch["id"], a["score"])], "one risk.assess event with the assessment")
    check(all(e["action"] != "risk.assess" for e in ctx.timeline(ch["id"])),
          "the change's timeline keeps the record's own versions")
    # Nothing changed: asking again stores nothing new.
    a2 = risk(ctx, ch["id"], refresh=True)
    eq(a2["assessed_at"], a["assessed_at"], "unchanged inputs keep the assessment")
    eq(len(risk_events()), 1, "no new event when nothing changed")


@t("the score follows its inputs: dependents, other clients, criticality, rollback, relations")
def _(ctx):
    c = ctx.make_client()["key"]
    other = ctx.make_client()["key"]
    db = ctx.make_ci(c, criticality=2, users_affected=5)["id"]
    app = ctx.make_ci(c, criticality=4, users_affected=200)["id"]
    erp = ctx.make_ci(other, criticality=5, users_affected=900)["id"]
    quiet = ctx.make_ci(c, criticality=2, users_affected=5)["id"]
    for a_, b_ in ((app, db), (erp, app)):
        expect_status(ctx.api.post(f"/api/v1/cis/{a_}/relations", {"kind": "depends_on",
                                                                   "to": b_}), 201, "relate")
    busy = assessed(ctx, c, cis=[db])
    calm = assessed(ctx, c, cis=[quiet])
    rb, rc = risk(ctx, busy), risk(ctx, calm)
    check_sums(rb)
    eq(rb["inputs"]["dependent_cis"], 2, "app and erp depend on db")
    eq(rb["inputs"]["clients_touched"], 1, "erp belongs to another client")
    eq(rb["inputs"]["max_dependent_criticality"], 5, "erp's criticality")
    eq(rb["inputs"]["users_affected"], 5 + 200 + 900, "users of db, app and erp")
    eq(rc["inputs"]["dependent_cis"], 0, "nothing depends on the quiet CI")
    check(rb["score"] > rc["score"], f"blast radius raises the score: {rb['score']} vs "
                                     f"{rc['score']}")
    check(factor(rb, "blast_clients")["points"] > 0, "blast_clients counts erp's client")
    eq(factor(rc, "blast_clients")["points"], 0, "no other client for the quiet change")

    # A CI edit re-scores the open changes on it.
    r = ctx.api.patch(f"/api/v1/cis/{quiet}", {"criticality": 5},
                      if_match=ctx.api.get(f"/api/v1/cis/{quiet}").header("ETag"))
    expect_status(r, 200, "PATCH CI criticality")
    rc2 = risk(ctx, calm)
    eq(rc2["inputs"]["max_ci_criticality"], 5, "re-scored after the CI edit")
    check(rc2["score"] > rc["score"], "higher criticality, higher score")

    # A new relation on the quiet CI re-scores the change on it.
    expect_status(ctx.api.post(f"/api/v1/cis/{app}/relations", {"kind": "runs_on",
                                                                "to": quiet}), 201, "relate")
    rc3 = risk(ctx, calm)
    eq(rc3["inputs"]["dependent_cis"], 2, "app (and erp through it) now depend on it")
    check(rc3["score"] > rc2["score"], "more dependents, higher score")

    # Editing an assessed change re-scores it: no rollback plan is the worst case.
    cur = ctx.api.get(f"/api/v1/changes/{calm}")
    r = ctx.api.patch(f"/api/v1/changes/{calm}", {"rollback_plan": None},
                      if_match=cur.header("ETag"))
    expect_status(r, 200, "PATCH an assessed change")
    rc4 = risk(ctx, calm)
    eq(rc4["inputs"]["has_rollback_plan"], False, "re-scored after the edit")
    eq(factor(rc4, "reversibility")["points"], factor(rc4, "reversibility")["weight"],
       "no rollback plan: full reversibility points")
    check(rc4["score"] > rc3["score"], "no rollback plan raises the score")


@t("?refresh=1 needs the right to assess; a bad value is 400 with field; unknown change 404")
def _(ctx):
    c = ctx.make_client()["key"]
    ident = assessed(ctx, c)
    req = ctx.user_api("requester", [c])
    a = risk(ctx, ident, api=req)  # reading is every reader's
    check_sums(a)
    expect_problem(req.get(f"/api/v1/changes/{ident}/risk?refresh=1"), 403,
                   "/problems/forbidden")
    expect_problem(ctx.api.get(f"/api/v1/changes/{ident}/risk?refresh=yes"), 400,
                   "/problems/invalid-input", field="refresh")
    expect_problem(ctx.api.get("/api/v1/changes/CHG-999999/risk"), 404, "/problems/not-found")
    # Another client's change is not visible.
    other = ctx.make_client()["key"]
    expect_problem(ctx.user_api("requester", [other]).get(f"/api/v1/changes/{ident}/risk"),
                   404, "/problems/not-found")


@t("GET/PUT /policy: default v0; admin only; If-Match; 400 with field; versions; audited")
def _(ctx):
    p = ctx.api.get("/api/v1/policy")
    expect_status(p, 200, "GET policy")
    eq(p.json["version"], 0, "built-in default")
    eq(sorted(p.json["weights"]), sorted(FACTORS), "a weight per factor")
    eq(p.json["approval"]["normal"]["high"], "cab", "normal high -> cab")
    anyone = ctx.user_api("requester", [ctx.make_client()["key"]])
    expect_status(anyone.get("/api/v1/policy"), 200, "every user reads the policy")
    body = {"weights": {"conflicts": 9}, "thresholds": {"high": 45}, "cab_quorum": 3,
            "client_signoff": {"default": ["critical"], "clients": {"acme": ["high"]}}}
    expect_problem(anyone.request("PUT", "/api/v1/policy", body=body, headers={"If-Match": "0"}),
                   403, "/problems/forbidden")
    expect_problem(ctx.api.request("PUT", "/api/v1/policy", body=body), 428,
                   "/problems/version-required")
    for bad, field in (({"thresholds": {"high": 10}}, "thresholds.high"),
                       ({"weights": {"conflicts": -1}}, "weights.conflicts"),
                       ({"weights": {"luck": 1}}, "weights.luck"),
                       ({"approval": {"normal": {"low": "preapproved"}}}, "approval.normal.low"),
                       ({"approval": {"normal": {"low": "boss"}}}, "approval.normal.low"),
                       ({"cab_quorum": 0}, "cab_quorum"),
                       ({"cab_quorum": "two"}, "cab_quorum"),
                       ({"history_prior": {"failures": 0}}, "history_prior.failures"),
                       ({"client_signoff": {"default": ["huge"]}}, "client_signoff.default"),
                       ({"colour": "red"}, "colour")):
        expect_problem(put_policy(ctx, bad, 0, status=400), 400, "/problems/invalid-input",
                       field=field)
    r = put_policy(ctx, body, 0)
    eq(r.json["version"], 1, "first stored version")
    eq(r.header("ETag"), '"1"', "ETag of the new version")
    eq(r.json["weights"]["conflicts"], 9, "weight stored")
    eq(r.json["thresholds"]["high"], 45, "threshold stored")
    eq(r.json["weights"]["blackout"], p.json["weights"]["blackout"], "others from the default")
    eq(r.json["client_signoff"]["clients"], {"acme": ["high"]}, "sign-off per client")
    expect_problem(put_policy(ctx, body, 0, status=409), 409, "/problems/stale-version")
    eq(ctx.api.get("/api/v1/policy").json["version"], 1, "in force")
    v = ctx.api.get("/api/v1/policy/versions")
    expect_status(v, 200, "versions")
    eq([i["version"] for i in v.json["items"]], [1], "one stored version")
    eq(v.json["items"][0]["created_by"], "admin", "who stored it")
    eq(v.json["items"][0]["policy"]["cab_quorum"], 3, "the stored body")
    restore_default(ctx)
    eq([i["version"] for i in ctx.api.get("/api/v1/policy/versions").json["items"]], [2, 1],
       "newest first")
    acts = [(e["action"], e["entity"]) for e in audit_events(ctx)]
    eq(acts.count(("policy.update", "policy")), 2, "each version is audited")


@t("a new policy version re-scores under it: weights and thresholds change score and level")
def _(ctx):
    c = ctx.make_client()["key"]
    ident = assessed(ctx, c)
    before = risk(ctx, ident)
    cur = ctx.api.get("/api/v1/policy").json["version"]
    weights = {f: 100 for f in FACTORS}
    put_policy(ctx, {"weights": weights, "thresholds": {"moderate": 2, "high": 3,
                                                        "critical": 4}}, cur)
    try:
        after = risk(ctx, ident, refresh=True)
        eq(after["policy_version"], cur + 1, "assessed under the new version")
        check(after["score"] > before["score"], "heavier weights, higher score")
        eq(after["level"], "critical", "low thresholds")
        eq(after["inputs"], before["inputs"], "same inputs")
        check_sums(after)
        eq(ctx.get_change(ident)["risk"]["policy_version"], cur + 1, "summary follows")
    finally:
        restore_default(ctx)


@t("history: failures on the same CIs and from the same template count, with the prior")
def _(ctx):
    c = ctx.make_client()["key"]
    ci = ctx.make_ci(c, type="server")["id"]
    tpl = ctx.api.post("/api/v1/templates", {
        "client": c, "name": "Patch " + c, "steps": "1. patch", "rollback_plan": "revert",
        "ci_types": ["server"], "max_risk": "critical"})
    expect_status(tpl, 201, "create template")
    window = {"planned_start": "2030-07-01T22:00:00Z", "planned_end": "2030-07-01T23:00:00Z"}

    def from_template():
        r = ctx.api.post("/api/v1/changes", dict({"template": tpl.json["id"], "client": c,
                                                  "cis": [ci]}, **window))
        expect_status(r, 201, "change from the template")
        ident = r.json["id"]
        ctx.act(ident, "submit")
        return ident

    first = from_template()
    a = risk(ctx, first)
    eq((a["inputs"]["from_template"], a["inputs"]["template_changes"],
        a["inputs"]["ci_changes"]), (True, 0, 0), "no history yet")
    prior = factor(a, "template_history")["points"]
    check(prior > 0, "no history reads as the prior rate, not as zero")
    if ctx.get_change(first)["state"] != "scheduled":
        ctx.act(first, "schedule", window)
    ctx.act(first, "start")
    ctx.act(first, "fail", {"reason": "broke it"})
    second = from_template()
    b = risk(ctx, second)
    eq((b["inputs"]["template_changes"], b["inputs"]["template_failures"],
        b["inputs"]["ci_changes"], b["inputs"]["ci_failures"]), (1, 1, 1, 1),
       "the failed change counts for the template and the CI")
    check(prior < factor(b, "template_history")["points"] < factor(b, "template_history")
          ["weight"] * 0.25, "one failure of one moves the rate, but far from 100 %")
    check(factor(b, "ci_history")["points"] > factor(a, "ci_history")["points"],
          "CI history rises too")


def cli(ctx, *args, expect_rc=0):
    r = run_cli(ctx.binary, list(args), env_extra={"GREENLIGHT_URL": ctx.server.url,
                                                   "GREENLIGHT_TOKEN": ctx.server.token},
                log=ctx.log)
    if expect_rc == "nonzero":
        check(r.returncode != 0, f"expected a non-zero exit: {r!r}")
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        eq(len(lines), 1, f"one line on stderr: {r.stderr!r}")
    else:
        eq(r.returncode, expect_rc, f"exit of {args}: {short(r.stderr, 300)}")
    return r


@t("CLI: change risk (table, --json, --refresh), policy show/set/versions, errors one line")
def _(ctx):
    c = ctx.make_client()["key"]
    ident = assessed(ctx, c)
    out = cli(ctx, "change", "risk", ident).stdout
    for f in FACTORS:
        check(f in out, f"{f} in the table: {out}")
    a = risk(ctx, ident)
    check(f"{a['score']:.1f} / 100" in out and a["level"] in out, f"total and level: {out}")
    j = json.loads(cli(ctx, "change", "risk", ident, "--json", "--refresh").stdout)
    eq(j["score"], a["score"], "--json")
    cli(ctx, "change", "risk", "CHG-999999", expect_rc="nonzero")
    cli(ctx, "change", "risk", expect_rc=2)

    show = cli(ctx, "policy", "show").stdout
    check("thresholds" in show and "ci_criticality" in show, f"policy show: {show}")
    path = os.path.join(ctx.server.tmp, "policy.json")
    with open(path, "w") as f:
        json.dump({"cab_quorum": 4}, f)
    cur = ctx.api.get("/api/v1/policy").json["version"]
    r = cli(ctx, "policy", "set", path)
    eq(r.stdout.strip(), f"policy version {cur + 1}", "policy set prints the version")
    eq(ctx.api.get("/api/v1/policy").json["cab_quorum"], 4, "set through the CLI")
    vers = cli(ctx, "policy", "versions").stdout
    check(str(cur + 1) in vers, f"versions: {vers}")
    with open(path, "w") as f:
        json.dump({"thresholds": {"moderate": 90}}, f)
    err = cli(ctx, "policy", "set", path, expect_rc="nonzero").stderr
    check("thresholds" in err, f"names the field: {err}")
    with open(path, "w") as f:
        f.write("{not json")
    cli(ctx, "policy", "set", path, expect_rc="nonzero")
    cli(ctx, "policy", "set", os.path.join(ctx.server.tmp, "missing.json"), expect_rc="nonzero")
    restore_default(ctx)


def stop_clean(server, what):
    rc, err = server.stop()
    if rc != 0 or sanitizer_findings(err):
        raise Failure(f"{what}: exit {rc}; stderr {short(err[-2000:], 2000)}")


@t("serve --policy FILE: stored once as a new version, not again when unchanged; invalid "
   "refuses to start with one line")
def _(outer):
    srv = Server(outer.binary, "risk-policy")
    try:
        path = os.path.join(srv.tmp, "policy.json")
        with open(path, "w") as f:
            json.dump({"cab_quorum": 5, "thresholds": {"critical": 80}}, f)
        srv.extra_args = ["--policy", path]
        srv.start()
        ctx = Context(outer.binary, srv, MODULE)
        ctx.log = outer.log
        p = ctx.api.get("/api/v1/policy").json
        eq((p["version"], p["cab_quorum"], p["thresholds"]["critical"]), (1, 5, 80),
           "the file is in force")
        stop_clean(srv, "first start")
        srv.start()
        ctx.refresh()
        eq(ctx.api.get("/api/v1/policy").json["version"], 1, "same file: no new version")
        stop_clean(srv, "second start")
        with open(path, "w") as f:
            json.dump({"cab_quorum": 0}, f)
        r = run_cli(outer.binary, ["serve", "--listen", "127.0.0.1:0", "--db", srv.db,
                                   "--policy", path], timeout=30, log=outer.log)
        check(r.returncode != 0, f"an invalid policy must refuse to start: {r!r}")
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        eq(len(lines), 1, f"one line: {r.stderr!r}")
        check("cab_quorum" in lines[0], f"names the member: {lines[0]}")
    finally:
        srv.cleanup()
