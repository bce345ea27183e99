"""Versioned documentation: documents and versions, diffs, stale edits, reviews, the
possibly-stale flag, the documentation rule of the complete action, tenant scoping and the
`greenlight doc` CLI."""

import json
import os
import time

from harness import (Module, check, eq, expect_problem, expect_status, run_cli, short)

MODULE = Module("documents")
t = MODULE.test

TO_IMPLEMENT = ["submit", "assess", "approve", "schedule", "start"]


def setup(ctx):
    """A fresh client with one CI."""
    key = ctx.make_client()["key"]
    return key, ctx.make_ci(key)["id"]


def add_doc(ctx, client, ci=None, body="line 1\nline 2\nline 3\n", title="Baseline", api=None):
    r = (api or ctx.api).post("/api/v1/documents", {"client": client, "ci": ci,
                                                    "kind": "baseline", "title": title,
                                                    "format": "markdown", "body": body})
    expect_status(r, 201, "create document")
    return r.json


def edit_doc(ctx, ident, body, status=200, if_match=None):
    if if_match is None:
        if_match = f'"{get_doc(ctx, ident)["version"]}"'
    r = ctx.api.patch(f"/api/v1/documents/{ident}", {"body": body}, if_match=if_match)
    expect_status(r, status, "edit document")
    return r.json


def get_doc(ctx, ident):
    r = ctx.api.get(f"/api/v1/documents/{ident}")
    expect_status(r, 200, "GET document")
    return r.json


def implementing_change(ctx, client, ci):
    ch = ctx.make_change(client, cis=[ci])
    for a in TO_IMPLEMENT:
        ctx.act(ch["id"], a, {"comment": "ok"} if a == "approve" else None)
    return ch["id"]


@t("create, edit and history: every body edit makes a new version authored by the caller")
def _(ctx):
    key, ci = setup(ctx)
    d = add_doc(ctx, key, ci)
    check(d["id"].startswith("DOC-"), f"id: {d['id']!r}")
    eq((d["current_version"], d["client"], d["ci"], d["body"], d["possibly_stale"]),
       (1, key, ci, "line 1\nline 2\nline 3\n", False), "created document")
    ops = ctx.user_api("implementer", [key], name="docs-writer")
    r = ops.patch(f"/api/v1/documents/{d['id']}", {"body": "line 1\nline two\nline 3\n"},
                  if_match=f'"{d["version"]}"')
    expect_status(r, 200, "edit as implementer")
    eq(r.json["current_version"], 2, "current_version after edit")
    h = ctx.api.get(f"/api/v1/documents/{d['id']}/versions")
    expect_status(h, 200)
    eq([(v["version"], v["author"]) for v in h.json["items"]], [(1, "admin"), (2, "docs-writer")],
       "history")
    v1 = ctx.api.get(f"/api/v1/documents/{d['id']}/versions/1")
    expect_status(v1, 200)
    eq(v1.json["body"], "line 1\nline 2\nline 3\n", "version 1 body")
    eq(get_doc(ctx, d["id"])["body"], "line 1\nline two\nline 3\n", "current body")
    expect_status(ctx.api.get(f"/api/v1/documents/{d['id']}/versions/9"), 404)


@t("diff between two versions is the unified diff of the edit")
def _(ctx):
    key, ci = setup(ctx)
    d = add_doc(ctx, key, ci)
    edit_doc(ctx, d["id"], "line 1\nline two\nline 3\n")
    r = ctx.api.get(f"/api/v1/documents/{d['id']}/diff?from=1&to=2")
    expect_status(r, 200)
    eq((r.json["from"], r.json["to"]), (1, 2), "from/to")
    lines = r.json["diff"].splitlines()
    check(lines[0].startswith("--- ") and lines[1].startswith("+++ "), f"headers: {lines[:2]}")
    eq(lines[2:], ["@@ -1,3 +1,3 @@", " line 1", "-line 2", "+line two", " line 3"], "hunk")
    same = ctx.api.get(f"/api/v1/documents/{d['id']}/diff?from=2&to=2")
    eq(same.json["diff"], "", "diff of a version with itself")
    expect_problem(ctx.api.get(f"/api/v1/documents/{d['id']}/diff?from=1&to=7"), 400,
                   "/problems/invalid-input", field="to")


@t("an edit with a stale If-Match is 409 and makes no version; no If-Match is 428")
def _(ctx):
    key, ci = setup(ctx)
    d = add_doc(ctx, key, ci)
    edit_doc(ctx, d["id"], "v2\n", if_match=f'"{d["version"]}"')
    edit_doc(ctx, d["id"], "v3 lost\n", status=409, if_match=f'"{d["version"]}"')
    r = ctx.api.patch(f"/api/v1/documents/{d['id']}", {"body": "x"})
    expect_status(r, 428)
    eq(get_doc(ctx, d["id"])["current_version"], 2, "current_version")


@t("review records who and when, and is audited")
def _(ctx):
    key, ci = setup(ctx)
    d = add_doc(ctx, key, ci)
    r = ctx.api.post(f"/api/v1/documents/{d['id']}/review")
    expect_status(r, 200)
    eq(r.json["reviewed_by"], "admin", "reviewed_by")
    check(r.json["reviewed_at"], "reviewed_at set")
    eq(r.json["version"], d["version"] + 1, "record version after review")
    ex = ctx.api.get("/api/v1/audit/export?" + f"client={key}")
    if ex.status == 200:
        check("document.review" in ex.body.decode(), "audit export has document.review")


@t("possibly_stale: set by a finished change on the CI, cleared by a review or a resulting "
   "version")
def _(ctx):
    key, ci = setup(ctx)
    a = add_doc(ctx, key, ci, title="A")
    b = add_doc(ctx, key, ci, title="B")
    chg = implementing_change(ctx, key, ci)
    edit_doc(ctx, a["id"], "new state\n")
    time.sleep(1.1)  # times are whole seconds: the change must end after the documents
    ctx.act(chg, "complete", {"notes": "done", "documents": {a["id"]: 2}})
    eq(get_doc(ctx, a["id"])["possibly_stale"], False, "A (resulting version named)")
    eq(get_doc(ctx, b["id"])["possibly_stale"], True, "B (not updated)")
    listed = ctx.api.get(f"/api/v1/documents?ci={ci}")
    expect_status(listed, 200)
    eq({x["title"]: x["possibly_stale"] for x in listed.json["items"]}, {"A": False, "B": True},
       "possibly_stale in the list")
    time.sleep(1.1)
    r = ctx.api.post(f"/api/v1/documents/{b['id']}/review")
    expect_status(r, 200)
    eq(r.json["possibly_stale"], False, "B after review")
    # a failed change needs no documentation but still flags the document
    chg2 = implementing_change(ctx, key, ci)
    time.sleep(1.1)
    ctx.act(chg2, "fail", {"reason": "broke"})
    eq(get_doc(ctx, b["id"])["possibly_stale"], True, "B after a failed change")


@t("complete: refused (422 naming the document) without documentation info; accepted with "
   "no_documentation_affected or with a resulting version")
def _(ctx):
    key, ci = setup(ctx)
    d = add_doc(ctx, key, ci)
    chg = implementing_change(ctx, key, ci)
    r = ctx.api.post(f"/api/v1/changes/{chg}/complete", {"notes": "done"})
    p = expect_problem(r, 422, "/problems/precondition-failed", field="documents")
    check(d["id"] in p["detail"], f"detail names {d['id']}: {p['detail']!r}")
    eq(ctx.get_change(chg)["state"], "in_progress", "state after refusal")
    r = ctx.api.post(f"/api/v1/changes/{chg}/complete",
                     {"notes": "done", "documents": {d["id"]: 5}})
    expect_problem(r, 422, "/problems/precondition-failed", field="documents")
    r = ctx.api.post(f"/api/v1/changes/{chg}/complete",
                     {"documents": {d["id"]: 1}, "no_documentation_affected": True})
    expect_status(r, 400)
    ctx.act(chg, "complete", {"notes": "done", "no_documentation_affected": True})
    # the other form, with a linked baseline
    chg2 = implementing_change(ctx, key, ci)
    link = ctx.api.post(f"/api/v1/changes/{chg2}/documents", {"document": d["id"]})
    expect_status(link, 200, "link baseline")
    eq(link.json["base_version"], 1, "base_version")
    edit_doc(ctx, d["id"], "after change\n")
    ctx.act(chg2, "complete", {"notes": "done", "documents": {d["id"]: 2}})
    eq(ctx.get_change(chg2)["state"], "completed", "state")
    # a change without documents completes as before; documentation fields elsewhere are 400
    key2, ci2 = setup(ctx)
    chg3 = implementing_change(ctx, key2, ci2)
    expect_status(ctx.api.post(f"/api/v1/changes/{chg3}/fail",
                               {"reason": "x", "no_documentation_affected": True}), 400)
    ctx.act(chg3, "complete", {"notes": "done"})


@t("tenant scoping: another client's document is 404; a requester may read but not edit (403)")
def _(ctx):
    key, ci = setup(ctx)
    other, _ = setup(ctx)
    d = add_doc(ctx, key, ci)
    outsider = ctx.user_api("implementer", [other], name="docs-outsider")
    expect_status(outsider.get(f"/api/v1/documents/{d['id']}"), 404)
    expect_status(outsider.get(f"/api/v1/documents/{d['id']}/versions"), 404)
    expect_status(outsider.patch(f"/api/v1/documents/{d['id']}", {"body": "x"},
                                 if_match=f'"{d["version"]}"'), 404)
    listed = outsider.get("/api/v1/documents")
    expect_status(listed, 200)
    check(all(x["id"] != d["id"] for x in listed.json["items"]), "outsider's list")
    r = outsider.post("/api/v1/documents", {"client": key, "kind": "runbook", "title": "x",
                                            "body": "x"})
    expect_problem(r, 400, "/problems/invalid-input", field="client")
    req = ctx.user_api("requester", [key], name="docs-requester")
    expect_status(req.get(f"/api/v1/documents/{d['id']}"), 200)
    expect_problem(req.patch(f"/api/v1/documents/{d['id']}", {"body": "x"},
                             if_match=f'"{d["version"]}"'), 403, "/problems/forbidden")
    expect_status(req.post(f"/api/v1/documents/{d['id']}/review"), 403)
    eq(get_doc(ctx, d["id"])["current_version"], 1, "current_version")


@t("CLI: doc add, edit, history, diff, show, review")
def _(ctx):
    key, ci = setup(ctx)
    env = {"GREENLIGHT_URL": ctx.server.url, "GREENLIGHT_TOKEN": ctx.server.token}
    path = os.path.join(ctx.server.tmp, "doc.md")

    def cli(*args, rc=0):
        r = run_cli(ctx.binary, ["doc"] + list(args), env_extra=env, log=ctx.log)
        eq(r.returncode, rc, f"exit code of doc {' '.join(args)} (stderr {short(r.stderr)})")
        return r

    with open(path, "w") as f:
        f.write("alpha\nbeta\n")
    ident = cli("add", "--client", key, "--ci", ci, "--kind", "runbook", "--title", "Run",
                "--file", path).stdout.strip()
    check(ident.startswith("DOC-"), f"doc add prints the ID: {ident!r}")
    with open(path, "w") as f:
        f.write("alpha\ngamma\n")
    cli("edit", ident, "--file", path, "--title", "Runbook")
    hist = json.loads(cli("history", ident, "--json").stdout)
    eq([v["version"] for v in hist["items"]], [1, 2], "history")
    diff = cli("diff", ident, "--from", "1", "--to", "2").stdout
    check("-beta\n" in diff and "+gamma\n" in diff, f"diff output: {diff!r}")
    shown = cli("show", ident).stdout
    check("Runbook" in shown and "gamma" in shown, f"show: {shown!r}")
    check("beta" in cli("show", ident, "--version", "1").stdout, "show --version 1")
    check(ident in cli("list", "--client", key).stdout, "list")
    check("reviewed by admin" in cli("review", ident).stdout, "review")
    cli("diff", ident, "--from", "1", rc=2)
