"""The CI graph: relations CRUD and its authorization, impact (blast radius) on hand-built
graphs (chain, diamond, cycle, shared infrastructure across clients) with tenant scoping,
what-changed ranking and scoping, and the CLI (ci relate, ci relations, what-changed).

Direction: A -kind-> B means A depends on B; impact of B walks backwards (who depends on
B), what-changed of A walks forwards (what A depends on)."""

import json

from harness import (Module, check, eq, expect_problem, expect_status, qs, run_cli, short,
                     unique)

MODULE = Module("graph")
t = MODULE.test


def relate(ctx, a, kind, b, api=None, status=201):
    r = (api or ctx.api).post(f"/api/v1/cis/{a}/relations", {"kind": kind, "to": b})
    expect_status(r, status, f"relate {a} {kind} {b}")
    return r


def impact(ctx, ci, api=None, **params):
    r = (api or ctx.api).get(f"/api/v1/cis/{ci}/impact?" + qs(**params))
    expect_status(r, 200, "impact")
    return r.json


def by_ci(items):
    return {i["ci"]: i for i in items}


def cis(ctx, client, n, **fields):
    return [ctx.make_ci(client, **fields)["id"] for _ in range(n)]


# ---------------------------------------------------------------------------- relations


@t("POST/GET/DELETE /cis/{id}/relations: add, list both directions, 409 twice, delete")
def _(ctx):
    c = ctx.make_client()["key"]
    app, vm = cis(ctx, c, 2)
    r = relate(ctx, app, "runs_on", vm)
    eq(r.json, {"from": app, "kind": "runs_on", "to": vm}, "created relation")
    expect_problem(ctx.api.post(f"/api/v1/cis/{app}/relations", {"kind": "runs_on", "to": vm}),
                   409, "/problems/duplicate")
    out = ctx.api.get(f"/api/v1/cis/{app}/relations")
    expect_status(out, 200)
    eq(out.json["items"], [{"from": app, "kind": "runs_on", "to": vm, "direction": "out"}],
       "relations of app")
    inn = ctx.api.get(f"/api/v1/cis/{vm}/relations").json["items"]
    eq(inn, [{"from": app, "kind": "runs_on", "to": vm, "direction": "in"}], "relations of vm")
    d = ctx.api.request("DELETE", f"/api/v1/cis/{app}/relations/runs_on/{vm}")
    expect_status(d, 204, "delete relation")
    expect_problem(ctx.api.request("DELETE", f"/api/v1/cis/{app}/relations/runs_on/{vm}"),
                   404, "/problems/not-found")
    eq(ctx.api.get(f"/api/v1/cis/{app}/relations").json["items"], [], "after delete")


@t("relations: bad kind, missing or unknown target, self-loop, unknown field -> 400")
def _(ctx):
    c = ctx.make_client()["key"]
    a, b = cis(ctx, c, 2)
    p = f"/api/v1/cis/{a}/relations"
    expect_problem(ctx.api.post(p, {"kind": "hosts", "to": b}), 400, "/problems/invalid-input",
                   field="kind")
    expect_problem(ctx.api.post(p, {"kind": "runs_on"}), 400, "/problems/invalid-input",
                   field="to")
    expect_problem(ctx.api.post(p, {"kind": "runs_on", "to": "CI-999999"}), 400,
                   "/problems/invalid-input", field="to")
    expect_problem(ctx.api.post(p, {"kind": "runs_on", "to": a}), 400,
                   "/problems/invalid-input", field="to")
    expect_problem(ctx.api.post(p, {"kind": "runs_on", "to": b, "x": 1}), 400,
                   "/problems/invalid-input", field="x")
    expect_problem(ctx.api.post("/api/v1/cis/CI-999999/relations", {"kind": "runs_on", "to": b}),
                   404, "/problems/not-found")


@t("relations authz: client implementer may relate to shared CIs, not to another client's")
def _(ctx):
    a = ctx.make_client()["key"]
    b = ctx.make_client()["key"]
    (x,) = cis(ctx, a, 1)
    (y,) = cis(ctx, b, 1)
    s = ctx.make_ci(None, name=unique("san"), type="storage")["id"]
    impl = ctx.user_api("implementer", [a])
    relate(ctx, x, "depends_on", s, api=impl)
    # another client's CI is invisible: answered like a missing one
    expect_problem(impl.post(f"/api/v1/cis/{x}/relations", {"kind": "connects_to", "to": y}),
                   400, "/problems/invalid-input", field="to")
    # a requester cannot write CIs at all
    req = ctx.user_api("requester", [a])
    expect_problem(req.post(f"/api/v1/cis/{x}/relations", {"kind": "runs_on", "to": s}), 403,
                   "/problems/forbidden")
    # an implementer of both clients may link them; a shared CI's own edges need more
    both = ctx.user_api("implementer", [a, b])
    relate(ctx, x, "connects_to", y, api=both)
    expect_problem(both.post(f"/api/v1/cis/{s}/relations", {"kind": "runs_on", "to": x}), 403,
                   "/problems/forbidden")
    # the client-A user does not see the edge to B's CI in the list
    items = impl.get(f"/api/v1/cis/{x}/relations").json["items"]
    eq([i["to"] for i in items], [s], "edges visible to client A's implementer")


# ---------------------------------------------------------------------------- impact


@t("impact: chain with depth and path; depth limit truncates")
def _(ctx):
    c = ctx.make_client()["key"]
    a, b, cc, d = cis(ctx, c, 4)
    relate(ctx, a, "runs_on", b)
    relate(ctx, b, "runs_on", cc)
    relate(ctx, cc, "depends_on", d)
    im = impact(ctx, d)
    got = by_ci(im["items"])
    eq(sorted(got), sorted([a, b, cc]), "downstream of d")
    eq(got[a]["depth"], 3, "depth of a")
    eq(got[a]["path"], [d, cc, b, a], "path to a")
    eq(got[cc]["kind"], "depends_on", "edge kind")
    eq(im["users_affected"], 40, "users (4 CIs x 10, the root included)")
    eq(im["clients"], [c], "clients")
    eq(im["truncated"], False, "truncated")
    im2 = impact(ctx, d, depth=1)
    eq([i["ci"] for i in im2["items"]], [cc], "depth 1")
    eq(im2["truncated"], True, "truncated at depth 1")
    expect_problem(ctx.api.get(f"/api/v1/cis/{d}/impact?depth=11"), 400,
                   "/problems/invalid-input", field="depth")


@t("impact: diamond reaches the top once; highest criticality reached")
def _(ctx):
    c = ctx.make_client()["key"]
    top = ctx.make_ci(c, criticality=5, users_affected=1000)["id"]
    left, right, base = cis(ctx, c, 3)
    relate(ctx, left, "runs_on", base)
    relate(ctx, right, "runs_on", base)
    relate(ctx, top, "depends_on", left)
    relate(ctx, top, "depends_on", right)
    im = impact(ctx, base)
    eq(len(im["items"]), 3, "three CIs downstream")
    eq(by_ci(im["items"])[top]["depth"], 2, "top at depth 2")
    eq(im["users_affected"], 1030, "users counted once per CI")
    eq(im["max_criticality"], 5, "max criticality")


@t("impact: a cycle terminates and lists each CI once")
def _(ctx):
    c = ctx.make_client()["key"]
    a, b, cc = cis(ctx, c, 3)
    relate(ctx, a, "connects_to", b)
    relate(ctx, b, "connects_to", cc)
    relate(ctx, cc, "connects_to", a)
    im = impact(ctx, a)
    eq(sorted(i["ci"] for i in im["items"]), sorted([b, cc]), "cycle members")


@t("impact scoping: other clients' CIs through shared infrastructure are only a count")
def _(ctx):
    a = ctx.make_client()["key"]
    b = ctx.make_client()["key"]
    s = ctx.make_ci(None, name=unique("dc"), type="site")["id"]
    (x,) = cis(ctx, a, 1)
    y1, y2 = cis(ctx, b, 2)
    relate(ctx, x, "runs_on", s)
    relate(ctx, y1, "runs_on", s)
    relate(ctx, y2, "depends_on", y1)
    full = impact(ctx, s)
    eq(sorted(i["ci"] for i in full["items"]), sorted([x, y1, y2]), "admin sees all")
    eq(sorted(full["clients"]), sorted([a, b]), "admin: clients touched")
    eq(full["other_clients_cis"], 0, "admin: nothing hidden")
    user = ctx.user_api("requester", [a])
    mine = impact(ctx, s, api=user)
    eq([i["ci"] for i in mine["items"]], [x], "client A sees its own CI only")
    eq(mine["clients"], [a], "client A: clients")
    eq(mine["other_clients_cis"], 2, "client A: count of other clients' CIs")
    eq(mine["note"], "2 CIs of other clients", "note")
    text = json.dumps(mine)
    for hidden in (y1, y2, b):
        check(hidden not in text, f"{hidden} leaked to client A: {short(text)}")
    expect_problem(user.get(f"/api/v1/cis/{y1}/impact"), 404, "/problems/not-found")


# ---------------------------------------------------------------------------- what changed


def completed_change(ctx, client, ci_ids, title):
    ch = ctx.make_change(client, cis=ci_ids, title=title)
    for action in ("submit", "assess", "approve", "schedule", "start", "complete"):
        ctx.act(ch["id"], action, {"notes": "ok"} if action == "complete" else None)
    return ch["id"]


def what_changed(api, **params):
    r = api.get("/api/v1/what-changed?" + qs(**params))
    expect_status(r, 200, "what-changed")
    return r.json


@t("what-changed: ranked by depth then recency, with outcome, path and documents")
def _(ctx):
    c = ctx.make_client()["key"]
    app, vm, host, unrelated = cis(ctx, c, 4)
    relate(ctx, app, "runs_on", vm)
    relate(ctx, vm, "runs_on", host)
    on_host = completed_change(ctx, c, [host], "host firmware")
    on_vm = completed_change(ctx, c, [vm], "vm resize")
    on_app_old = completed_change(ctx, c, [app], "app 1.0")
    on_app_new = completed_change(ctx, c, [app], "app 1.1")
    completed_change(ctx, c, [unrelated], "elsewhere")
    draft = ctx.make_change(c, cis=[app])["id"]
    wc = what_changed(ctx.api, ci=app)
    ids = [i["id"] for i in wc["items"]]
    eq(ids, [on_app_new, on_app_old, on_vm, on_host], "ranking")
    first = wc["items"][0]
    eq(first["depth"], 0, "depth of a change on the CI")
    eq(first["outcome"], "successful", "outcome")
    eq(first["state"], "completed", "state")
    eq(first["documents"], [], "documents (none: these CIs have no documentation)")
    eq(wc["items"][3]["path"], [app, vm, host], "path of the host change")
    check(draft not in ids, "a draft is not a change that happened")
    eq(wc["depth"], 3, "default depth")
    shallow = what_changed(ctx.api, ci=app, depth=1)
    eq([i["id"] for i in shallow["items"]], [on_app_new, on_app_old, on_vm], "depth 1")
    whole = what_changed(ctx.api, client=c)
    eq(len(whole["items"]), 5, "whole client: every completed change")
    check(all(i["depth"] is None and i["path"] == [] for i in whole["items"]),
          "client mode has no depth/path")


@t("what-changed: scheduled changes count when their window is in range; since/until checked")
def _(ctx):
    c = ctx.make_client()["key"]
    (x,) = cis(ctx, c, 1)
    ch = ctx.make_change(c, cis=[x])
    for action in ("submit", "assess", "approve", "schedule"):
        ctx.act(ch["id"], action)
    now = what_changed(ctx.api, ci=x)
    eq(now["items"], [], "a change planned for 2030 is not in the last 90 days")
    later = what_changed(ctx.api, ci=x, since="2030-06-01T00:00:00Z",
                         until="2030-06-02T00:00:00Z")
    eq([i["id"] for i in later["items"]], [ch["id"]], "scheduled in range")
    eq(later["items"][0]["outcome"], None, "no outcome yet")
    expect_problem(ctx.api.get("/api/v1/what-changed?" + qs(ci=x, since="yesterday")), 400,
                   "/problems/invalid-input", field="since")
    expect_problem(ctx.api.get("/api/v1/what-changed?" + qs(
        ci=x, since="2030-06-02T00:00:00Z", until="2030-06-01T00:00:00Z")), 400,
        "/problems/invalid-input", field="until")
    expect_problem(ctx.api.get("/api/v1/what-changed"), 400, "/problems/invalid-input",
                   field="ci")
    expect_problem(ctx.api.get("/api/v1/what-changed?" + qs(ci=x, depth=11)), 400,
                   "/problems/invalid-input", field="depth")


@t("what-changed scoping: another client's change on shared infrastructure is never shown")
def _(ctx):
    a = ctx.make_client()["key"]
    b = ctx.make_client()["key"]
    s = ctx.make_ci(None, name=unique("fw"), type="network_device")["id"]
    (x,) = cis(ctx, a, 1)
    (y,) = cis(ctx, b, 1)
    relate(ctx, x, "connects_to", s)
    relate(ctx, s, "runs_on", y)  # admin-made edge into client B (unusual, but possible)
    mine = completed_change(ctx, a, [s], "A's firewall rule")
    theirs = completed_change(ctx, b, [s], "B's firewall rule")
    behind = completed_change(ctx, b, [y], "B's server")
    full = [i["id"] for i in what_changed(ctx.api, ci=x)["items"]]
    eq(sorted(full), sorted([mine, theirs, behind]), "admin sees every client's changes")
    user = ctx.user_api("requester", [a])
    wc = what_changed(user, ci=x)
    eq([i["id"] for i in wc["items"]], [mine], "client A sees only its own change")
    text = json.dumps(wc)
    for hidden in (theirs, behind, y, b):
        check(hidden not in text, f"{hidden} leaked to client A: {short(text)}")
    expect_problem(user.get("/api/v1/what-changed?" + qs(client=b)), 400,
                   "/problems/invalid-input", field="client")
    expect_problem(user.get("/api/v1/what-changed?" + qs(ci=y)), 400,
                   "/problems/invalid-input", field="ci")
    eq([i["id"] for i in what_changed(user, client=a)["items"]], [mine], "client mode")


# ---------------------------------------------------------------------------- CLI


@t("CLI: ci relate, ci relations, what-changed")
def _(ctx):
    c = ctx.make_client()["key"]
    app, vm = cis(ctx, c, 2)
    env = {"GREENLIGHT_URL": ctx.server.url, "GREENLIGHT_TOKEN": ctx.server.token}
    r = run_cli(ctx.binary, ["ci", "relate", app, "runs_on", vm], env_extra=env, log=ctx.log)
    eq(r.returncode, 0, f"ci relate exit ({r.stderr!r})")
    eq(r.stdout.strip(), f"{app} runs_on {vm}", "ci relate output")
    r = run_cli(ctx.binary, ["ci", "relations", vm], env_extra=env, log=ctx.log)
    eq(r.returncode, 0, "ci relations exit")
    rows = [ln.split() for ln in r.stdout.splitlines()]
    eq(rows[0], ["DIR", "FROM", "KIND", "TO"], f"ci relations header: {r.stdout!r}")
    check(["in", app, "runs_on", vm] in rows, f"ci relations output: {r.stdout!r}")
    r = run_cli(ctx.binary, ["ci", "relate", app, "hosts", vm], env_extra=env, log=ctx.log)
    eq(r.returncode, 1, "bad kind refused")
    done = completed_change(ctx, c, [vm], "resize")
    r = run_cli(ctx.binary, ["what-changed", "--ci", app, "--days", "7", "--json"],
                env_extra=env, log=ctx.log)
    eq(r.returncode, 0, f"what-changed exit ({r.stderr!r})")
    eq([i["id"] for i in json.loads(r.stdout)["items"]], [done], "what-changed --json")
    r = run_cli(ctx.binary, ["what-changed", "--client", c], env_extra=env, log=ctx.log)
    eq(r.returncode, 0, "what-changed --client exit")
    check(done in r.stdout and "resize" in r.stdout, f"table output: {r.stdout!r}")
    r = run_cli(ctx.binary, ["what-changed"], env_extra=env, log=ctx.log)
    eq(r.returncode, 2, "what-changed without --ci/--client is a usage error")
