"""The client report (JSON and printable HTML, summary, approvals, documentation, bounds,
tenant isolation, escaping, the CLI) and the documentation items of what-changed."""

import json
import os
import tempfile

from harness import (Module, check, eq, expect_problem, expect_status, qs, run_cli, short,
                     unique)

MODULE = Module("report")
t = MODULE.test

TO_IMPLEMENT = ["submit", "assess", "approve", "schedule", "start"]
PERIOD = {"from": "2030-05-01", "to": "2030-07-01T00:00:00Z"}  # around the fixtures' window


def add_doc(ctx, client, ci, title="Runbook"):
    r = ctx.api.post("/api/v1/documents", {"client": client, "ci": ci, "kind": "runbook",
                                           "title": title, "format": "markdown",
                                           "body": "v1\n"})
    expect_status(r, 201, "create document")
    return r.json


def edit_doc(ctx, ident, body):
    cur = ctx.api.get(f"/api/v1/documents/{ident}")
    expect_status(cur, 200)
    r = ctx.api.patch(f"/api/v1/documents/{ident}", {"body": body},
                      if_match=f'"{cur.json["version"]}"')
    expect_status(r, 200, "edit document")
    return r.json


def implemented(ctx, client, ci, title, complete=None, comment="looks right"):
    """A change taken to in_progress (approved with `comment`), then completed with the
    `complete` body when one is given."""
    ch = ctx.make_change(client, cis=[ci], title=title)
    for a in TO_IMPLEMENT:
        ctx.act(ch["id"], a, {"comment": comment} if a == "approve" else None)
    if complete is not None:
        ctx.act(ch["id"], "complete", complete)
    return ch["id"]


def report(api, key, status=200, **params):
    r = api.get(f"/api/v1/clients/{key}/report?" + qs(**(params or PERIOD)))
    expect_status(r, status, "report")
    return r


@t("what-changed items carry the documentation the change altered (versions or none)")
def _(ctx):
    c = ctx.make_client()["key"]
    ci = ctx.make_ci(c)["id"]
    d = add_doc(ctx, c, ci)
    documented = implemented(ctx, c, ci, "documented")
    link = ctx.api.post(f"/api/v1/changes/{documented}/documents", {"document": d["id"]})
    expect_status(link, (200, 201), "link the baseline")
    edit_doc(ctx, d["id"], "v2\n")
    ctx.act(documented, "complete", {"notes": "done", "documents": {d["id"]: 2}})
    undocumented = implemented(ctx, c, ci, "no docs",
                               {"notes": "done", "no_documentation_affected": True})
    r = ctx.api.get("/api/v1/what-changed?" + qs(ci=ci))
    expect_status(r, 200)
    items = {i["id"]: i for i in r.json["items"]}
    eq(items[documented]["documents"],
       [{"document": d["id"], "title": "Runbook", "base_version": 1, "result_version": 2,
         "no_doc_affected": False}], "documented change")
    eq(items[undocumented]["documents"],
       [{"document": d["id"], "title": "Runbook", "base_version": None,
         "result_version": None, "no_doc_affected": True}], "no documentation affected")
    whole = ctx.api.get("/api/v1/what-changed?" + qs(client=c))
    expect_status(whole, 200)
    eq({i["id"]: len(i["documents"]) for i in whole.json["items"]},
       {documented: 1, undocumented: 1}, "client mode too")
    env = {"GREENLIGHT_URL": ctx.server.url, "GREENLIGHT_TOKEN": ctx.server.token}
    r = run_cli(ctx.binary, ["what-changed", "--ci", ci], env, log=ctx.log)
    eq(r.returncode, 0, r.stderr)
    check("DOCS" in r.stdout and f"{d['id']} 1>2" in r.stdout and
          f"{d['id']} no change" in r.stdout, r.stdout)


@t("report JSON: every change of the period with type, state, times, outcome, risk, "
   "approvals and documents; summary counts and ratios")
def _(ctx):
    c = ctx.make_client()["key"]
    other = ctx.make_client()["key"]
    ci = ctx.make_ci(c)["id"]
    d = add_doc(ctx, c, ci)
    ok = implemented(ctx, c, ci, "upgrade", comment="fine by me")
    edit_doc(ctx, d["id"], "v2\n")
    ctx.act(ok, "complete", {"notes": "all green", "documents": {d["id"]: 2}})
    failed = implemented(ctx, c, ci, "patch")
    ctx.act(failed, "fail", {"reason": "disk full"})
    emergency = ctx.make_change(c, type_="emergency", cis=[ci], title="hotfix",
                                incidents=["INC-1"])["id"]
    outside = ctx.make_change(c, cis=[ci], title="later",
                              planned_start="2031-01-01T00:00:00Z",
                              planned_end="2031-01-01T01:00:00Z")["id"]
    ctx.make_change(other, title="other client's")
    r = report(ctx.api, c).json
    eq(r["client"]["key"], c, "client")
    eq((r["from"], r["to"]), ("2030-05-01T00:00:00Z", "2030-07-01T00:00:00Z"), "period")
    ids = [x["id"] for x in r["changes"]]
    eq(sorted(ids), sorted([ok, failed, emergency]), "changes in the period, this client only")
    check(outside not in ids, "a change outside the period is left out")
    byid = {x["id"]: x for x in r["changes"]}
    up = byid[ok]
    eq((up["title"], up["type"], up["state"], up["outcome"], up["outcome_notes"]),
       ("upgrade", "normal", "completed", "successful", "all green"), "completed change")
    eq((up["planned_start"], up["planned_end"]), ("2030-06-01T22:00:00Z", "2030-06-01T23:00:00Z"),
       "planned times")
    check(up["actual_start"] and up["actual_end"], "actual times")
    check("risk" in up, "risk member (null or the stored risk object)")
    check(up["risk"] is None or isinstance(up["risk"], dict), f"risk: {up['risk']!r}")
    approvals = [a for a in up["approvals"] if a["decision"] == "approve"]
    eq(len(approvals), 1, f"one approval decision in {up['approvals']}")
    eq((approvals[0]["actor"], approvals[0]["comment"]), ("approver", "fine by me"), "approval")
    eq(up["documents"], [{"document": d["id"], "title": "Runbook", "base_version": None,
                          "result_version": 2, "no_doc_affected": False}],
       "documentation (no baseline was linked)")
    eq((byid[failed]["outcome"], byid[emergency]["type"], byid[emergency]["approvals"]),
       ("failed", "emergency", []), "failed and emergency")
    s = r["summary"]
    eq(s["changes"], 3, "count")
    eq(s["by_type"], {"standard": 0, "normal": 2, "emergency": 1}, "by type")
    eq(s["by_outcome"]["successful"], 1, "successful")
    eq(s["by_outcome"]["failed"], 1, "failed")
    eq(s["by_outcome"]["none"], 1, "no outcome yet")
    eq(s["emergency_ratio"], 0.3333, "emergency ratio")
    eq(s["success_rate"], 0.5, "success rate: successful / with an outcome")
    empty = report(ctx.api, c, **{"from": "2020-01-01", "to": "2020-02-01"}).json
    eq((empty["changes"], empty["summary"]["changes"], empty["summary"]["success_rate"],
        empty["summary"]["emergency_ratio"]), ([], 0, None, None), "an empty period")


@t("report HTML: self-contained printable page, user text escaped (<script> in a title)")
def _(ctx):
    c = ctx.make_client(name="Acme <b>&</b>")["key"]
    ci = ctx.make_ci(c)["id"]
    evil = "<script>alert('x')</script> & \"quoted\""
    ch = implemented(ctx, c, ci, evil, {"notes": "<img src=x onerror=alert(1)>",
                                        "no_documentation_affected": True})
    for path, headers in ((f"/api/v1/clients/{c}/report.html", None),
                          (f"/api/v1/clients/{c}/report?format=html", None),
                          (f"/api/v1/clients/{c}/report", {"Accept": "text/html,*/*"})):
        sep = "&" if "?" in path else "?"
        r = ctx.api.get(path + sep + qs(**PERIOD), headers=headers)
        expect_status(r, 200, path)
        check(r.header("Content-Type").startswith("text/html"), r.header("Content-Type"))
        page = r.body.decode()
        check(page.startswith("<!DOCTYPE html>"), short(page))
        check("<style>" in page and "@media print" in page, "inline print CSS")
        check("<script" not in page, f"no script element may appear: {short(page, 3000)}")
        check("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;" in page,
              "the title is escaped")
        check("&lt;img src=x onerror=alert(1)&gt;" in page, "outcome notes are escaped")
        check("Acme &lt;b&gt;&amp;&lt;/b&gt;" in page, "the client name is escaped")
        check(ch in page and "No documentation linked" in page, "the change and its docs")
        check("style-src 'unsafe-inline'" in r.header("Content-Security-Policy"),
              "the page's CSP lets its inline style apply")
        check("script-src" not in r.header("Content-Security-Policy"), "no scripts allowed")
    j = ctx.api.get(f"/api/v1/clients/{c}/report?" + qs(**PERIOD),
                    headers={"Accept": "application/json"})
    expect_status(j, 200)
    eq(j.json["changes"][0]["title"], evil, "JSON keeps the title as it is")


@t("report bounds and bad input: precise 400s")
def _(ctx):
    c = ctx.make_client()["key"]
    cases = [({"from": "2030-01-01", "to": "2031-01-03"}, "to"),       # 367 days
             ({"from": "2030-02-01", "to": "2030-01-01"}, "to"),       # reversed
             ({"from": "yesterday", "to": "2030-01-01"}, "from"),
             ({"from": "2030-01-01", "to": "2030-13-01"}, "to"),
             ({"from": "2030-01-01", "to": "2030-02-01", "format": "pdf"}, "format")]
    for params, field in cases:
        r = ctx.api.get(f"/api/v1/clients/{c}/report?" + qs(**params))
        expect_problem(r, 400, "/problems/invalid-input", field=field, what=str(params))
    expect_status(ctx.api.get(f"/api/v1/clients/{c}/report?" +
                              qs(**{"from": "2030-01-01", "to": "2031-01-02"})), 200)
    expect_status(ctx.api.get(f"/api/v1/clients/{c}/report"), 200)  # the last 30 days


@t("report tenant isolation: another client's key is 404; read on the client is required")
def _(ctx):
    a = ctx.make_client()["key"]
    b = ctx.make_client()["key"]
    ctx.make_change(b, title="secret of b")
    user = ctx.user_api("requester", [a])
    expect_status(user.get(f"/api/v1/clients/{a}/report?" + qs(**PERIOD)), 200)
    for path in (f"/api/v1/clients/{b}/report", f"/api/v1/clients/{b}/report.html",
                 "/api/v1/clients/nosuch/report"):
        r = user.get(path + "?" + qs(**PERIOD))
        expect_problem(r, 404, "/problems/not-found", what=path)
        check(b"secret of b" not in r.body, "nothing of b leaks")


@t("CLI: greenlight report prints a summary, --json the answer, --html the page; errors are "
   "one line")
def _(ctx):
    c = ctx.make_client()["key"]
    ci = ctx.make_ci(c)["id"]
    ch = implemented(ctx, c, ci, "cli <report>", {"notes": "ok",
                                                  "no_documentation_affected": True})
    env = {"GREENLIGHT_URL": ctx.server.url, "GREENLIGHT_TOKEN": ctx.server.token}
    args = ["report", c, "--from", PERIOD["from"], "--to", PERIOD["to"]]
    r = run_cli(ctx.binary, args, env, log=ctx.log)
    eq(r.returncode, 0, f"exit status: {r.stderr}")
    check(ch in r.stdout and "Success rate" in r.stdout and "100.0%" in r.stdout, r.stdout)
    r = run_cli(ctx.binary, args + ["--json"], env, log=ctx.log)
    eq(r.returncode, 0, r.stderr)
    eq([x["id"] for x in json.loads(r.stdout)["changes"]], [ch], "--json")
    r = run_cli(ctx.binary, args + ["--html"], env, log=ctx.log)
    eq(r.returncode, 0, r.stderr)
    check(r.stdout.startswith("<!DOCTYPE html>") and "cli &lt;report&gt;" in r.stdout,
          short(r.stdout))
    r = run_cli(ctx.binary, ["report", c, "--from", "2030-01-01", "--to", "2032-01-01"], env,
                log=ctx.log)
    eq(r.returncode, 1, "a period too long fails")
    eq(len(r.stderr.strip().splitlines()), 1, f"one line: {r.stderr!r}")
    check("366" in r.stderr, r.stderr)
    r = run_cli(ctx.binary, ["report"], env, log=ctx.log)
    eq(r.returncode, 2, "usage error")
