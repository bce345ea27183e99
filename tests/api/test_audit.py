"""The audit log: GET /api/v1/audit/verify and /api/v1/audit/export, `greenlight audit`,
who may read it, and tamper detection end to end (the server stopped, the database file
edited with Python's sqlite3 after dropping the append-only triggers, the server started
again)."""

import json
import os
import re
import shutil
import sqlite3
import time

from harness import (Failure, Module, check, eq, expect_problem, expect_status, qs, run_cli,
                     short)

MODULE = Module("audit")
t = MODULE.test

HEX64 = re.compile(r"^[0-9a-f]{64}$")


def verify(ctx, api=None):
    r = (api or ctx.api).get("/api/v1/audit/verify")
    expect_status(r, 200, "audit verify")
    check(isinstance(r.json, dict), f"verify answer is not an object: {short(r.body)}")
    return r.json


def export(ctx, api=None, page=200, **params):
    """Follows next_cursor to the end; returns (items, pages)."""
    items, cursor, pages = [], None, 0
    while True:
        r = (api or ctx.api).get("/api/v1/audit/export?" +
                                 qs(limit=page, cursor=cursor, **params))
        expect_status(r, 200, "audit export")
        items.extend(r.json["items"])
        cursor = r.json.get("next_cursor")
        pages += 1
        check(pages < 1000, "export pagination does not end")
        if not cursor:
            return items, pages


def writes(ctx):
    """Two clients, each with a CI and a change moved along; returns their keys (once)."""
    if "clients" not in ctx.store:
        keys = []
        for _ in range(2):
            key = ctx.make_client()["key"]
            ch = ctx.make_change(key)
            ctx.act(ch["id"], "submit")
            r = ctx.api.patch(f"/api/v1/changes/{ch['id']}", {"title": "renamed"},
                              if_match='"2"')
            expect_status(r, 200, "patch change")
            keys.append(key)
        ctx.store["clients"] = keys
    return ctx.store["clients"]


@t("verify after a series of writes: intact, counts every event, names the last hash")
def _(ctx):
    writes(ctx)
    v = verify(ctx)
    eq(v.get("intact"), True, "intact")
    check(isinstance(v.get("events"), int) and v["events"] >= 10,
          f"events should count every write (>= 10): {v}")
    check(HEX64.match(v.get("last_hash") or ""), f"last_hash should be 64 hex digits: {v}")
    ctx.make_client()
    v2 = verify(ctx)
    eq(v2.get("intact"), True, "intact after another write")
    eq(v2.get("events"), v["events"] + 1, "one write appends one event")
    check(v2["last_hash"] != v["last_hash"], "the last hash moves with the log")


@t("export ?client= returns only that client's events, oldest first, chained by hashes")
def _(ctx):
    a, b = writes(ctx)
    items, _ = export(ctx, client=a)
    check(len(items) >= 5, f"client {a} should have >= 5 events, got {len(items)}")
    for ev in items:
        eq(ev.get("client"), a, f"event {ev.get('id')} client")
        for k in ("id", "at", "actor", "action", "entity", "entity_id", "request_id", "before",
                  "after", "hash", "prev_hash"):
            check(k in ev, f"exported event lacks {k!r}: {short(json.dumps(ev))}")
        check(HEX64.match(ev["hash"]) and HEX64.match(ev["prev_hash"]),
              f"hashes should be hex: {ev}")
    keys = [(ev["at"], ev["id"]) for ev in items]
    eq(keys, sorted(keys), "export order (at, id)")
    eq(items[0]["action"], "client.create", "a client's first event")
    actions = {ev["action"] for ev in items}
    check({"ci.create", "change.create", "change.submit"} <= actions,
          f"the client's writes should all be there: {sorted(actions)}")
    other, _ = export(ctx, client=b)
    check(not {ev["id"] for ev in items} & {ev["id"] for ev in other},
          "two clients' exports must not share events")


@t("export pages with the cursor: limit=2 gives the same events as one page, no repeats")
def _(ctx):
    a, _ = writes(ctx)
    whole, pages = export(ctx, client=a)
    eq(pages, 1, "pages at limit 200")
    paged, pages = export(ctx, page=2, client=a)
    eq([ev["id"] for ev in paged], [ev["id"] for ev in whole], "paged export")
    eq(pages, (len(whole) + 1) // 2, "number of pages of 2")


@t("export ?from=&to= selects the events whose time is in [from, to)")
def _(ctx):
    a, _ = writes(ctx)
    before, _ = export(ctx, client=a)
    time.sleep(1.1)  # the next events are at least one second later
    r = ctx.api.patch(f"/api/v1/clients/{a}", {"name": "Renamed client"},
                      if_match=f'"{ctx.api.get("/api/v1/clients/" + a).json["version"]}"')
    expect_status(r, 200, "patch client")
    after, _ = export(ctx, client=a)
    eq(len(after), len(before) + 1, "one more event")
    last = after[-1]
    eq(last["action"], "client.update", "the newest event")
    got, _ = export(ctx, client=a, **{"from": last["at"]})
    eq([ev["id"] for ev in got], [last["id"]], "from = the newest event's time")
    got, _ = export(ctx, client=a, to=last["at"])
    eq([ev["id"] for ev in got], [ev["id"] for ev in before], "to = the newest event's time")
    got, _ = export(ctx, client=a, **{"from": "2000-01-01T00:00:00Z",
                                      "to": "2000-01-02T00:00:00Z"})
    eq(got, [], "a range before any event")


@t("export without client (admin): every event, global ones with client null")
def _(ctx):
    writes(ctx)
    items, _ = export(ctx)
    eq(len(items), verify(ctx)["events"], "every event exported")
    check(any(ev["client"] is None and ev["action"] == "user.create" for ev in items),
          "global events (user.create) appear with client null")


@t("export refuses bad input: time, range, limit, cursor, unknown client -> 400")
def _(ctx):
    a, _ = writes(ctx)
    cases = [({"client": a, "from": "yesterday"}, "from"),
             ({"client": a, "to": "2026-13-01T00:00:00Z"}, "to"),
             ({"client": a, "from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "to"),
             ({"client": a, "limit": "0"}, "limit"),
             ({"client": a, "limit": "201"}, "limit"),
             ({"client": a, "cursor": "abc"}, "cursor"),
             ({"client": a, "cursor": "999999999"}, "cursor"),
             ({"client": "no-such-client"}, "client")]
    for params, field in cases:
        r = ctx.api.get("/api/v1/audit/export?" + qs(**params))
        expect_problem(r, 400, "/problems/invalid-input", field=field, what=str(params))


@t("a requester may neither verify nor export (403); another client's key is unknown (400)")
def _(ctx):
    a, b = writes(ctx)
    req = ctx.user_api("requester", [a])
    expect_problem(req.get("/api/v1/audit/verify"), 403, "/problems/forbidden")
    expect_problem(req.get("/api/v1/audit/export?" + qs(client=a)), 403, "/problems/forbidden")
    expect_problem(req.get("/api/v1/audit/export"), 403, "/problems/forbidden")
    expect_problem(req.get("/api/v1/audit/export?" + qs(client=b)), 400,
                   "/problems/invalid-input", field="client")
    expect_problem(ctx.api.get("/api/v1/audit/verify", token=None), 401, "/problems/unauthorized")


@t("an auditor of one client exports it, not another (400) nor all (403); cannot verify all")
def _(ctx):
    a, b = writes(ctx)
    aud = ctx.user_api("auditor", [a])
    items, _ = export(ctx, api=aud, client=a)
    eq(items, export(ctx, client=a)[0], "the scoped auditor's export equals the admin's")
    expect_problem(aud.get("/api/v1/audit/export?" + qs(client=b)), 400,
                   "/problems/invalid-input", field="client")
    expect_problem(aud.get("/api/v1/audit/export"), 403, "/problems/forbidden")
    expect_problem(aud.get("/api/v1/audit/verify"), 403, "/problems/forbidden")


@t("an auditor of all clients verifies and exports everything")
def _(ctx):
    writes(ctx)
    aud = ctx.user_api("auditor")
    eq(verify(ctx, aud).get("intact"), True, "intact")
    items, _ = export(ctx, api=aud)
    eq(len(items), verify(ctx)["events"], "every event")


@t("verify and export are GET only (405 with Allow)")
def _(ctx):
    for path in ("/api/v1/audit/verify", "/api/v1/audit/export"):
        r = ctx.api.post(path, {})
        expect_problem(r, 405, "/problems/method-not-allowed")
        eq(r.header("Allow"), "GET", f"{path} Allow")


@t("`greenlight audit export` prints the API's items as JSON Lines, via --server and --db")
def _(ctx):
    a, _ = writes(ctx)
    want, _ = export(ctx, client=a)
    r = run_cli(ctx.binary, ["audit", "export", "--client", a, "--server", ctx.server.url,
                             "--token", ctx.server.token], log=ctx.log)
    eq(r.returncode, 0, f"export via the API: {r.stderr}")
    eq([json.loads(line) for line in r.stdout.splitlines()], want, "JSON Lines via --server")
    r = run_cli(ctx.binary, ["audit", "export", "--client", a, "--db", ctx.server.db],
                log=ctx.log)
    eq(r.returncode, 0, f"export via --db: {r.stderr}")
    eq([json.loads(line) for line in r.stdout.splitlines()], want, "JSON Lines via --db")
    r = run_cli(ctx.binary, ["audit", "export", "--client", a, "--from", last_at(want),
                             "--db", ctx.server.db], log=ctx.log)
    eq([json.loads(line)["id"] for line in r.stdout.splitlines()],
       [ev["id"] for ev in want if ev["at"] >= last_at(want)], "--from")
    r = run_cli(ctx.binary, ["audit", "export", "--db", ctx.server.db], log=ctx.log)
    eq(r.returncode, 2, "export without --client is a usage error")
    r = run_cli(ctx.binary, ["audit", "export", "--client", "nope", "--server", ctx.server.url,
                             "--token", ctx.server.token], log=ctx.log)
    eq(r.returncode, 1, "unknown client via the API")
    check("unknown client" in r.stderr, f"names the problem: {r.stderr!r}")


def last_at(items):
    return items[-1]["at"]


@t("`greenlight audit verify --db` on a live database: intact, N events, the API's last hash")
def _(ctx):
    writes(ctx)
    v = verify(ctx)
    r = run_cli(ctx.binary, ["audit", "verify", "--db", ctx.server.db], log=ctx.log)
    eq(r.returncode, 0, f"verify exit code ({r.stderr})")
    eq(r.stdout.strip(), f"audit log intact: {v['events']} events, last hash {v['last_hash']}",
       "verify output")
    r = run_cli(ctx.binary, ["audit", "verify", "--db", ctx.server.db + ".missing"], log=ctx.log)
    eq(r.returncode, 1, "a missing database")
    check(not os.path.exists(ctx.server.db + ".missing"), "verify must not create a database")


# ---- tampering: the server is stopped, the file edited, the server started again ----------

def pristine(ctx):
    """Stops the server and restores (saving on first use) a copy of the intact database."""
    rc, err = ctx.server.stop()
    eq(rc, 0, f"server stop ({short(err, 500)})")
    db, saved = ctx.server.db, ctx.server.db + ".pristine"
    if not os.path.exists(saved):
        src, dst = sqlite3.connect(db), sqlite3.connect(saved)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
        return
    for ext in ("-wal", "-shm"):
        if os.path.exists(db + ext):
            os.unlink(db + ext)
    shutil.copyfile(saved, db)


def tamper(ctx, *sql):
    db = sqlite3.connect(ctx.server.db)
    try:
        db.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        db.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
        for s in sql:
            db.execute(s)
        db.commit()
    finally:
        db.close()


def restart_and_verify(ctx):
    ctx.server.start()
    ctx.refresh()
    return verify(ctx)


def middle_event(ctx):
    """An event id with events on both sides, from the intact log."""
    if "middle" not in ctx.store:
        n = verify(ctx)["events"]
        check(n >= 6, f"need a few events to tamper with, have {n}")
        ctx.store["middle"] = n // 2
    return ctx.store["middle"]


def expect_broken(ctx, v, first, reason):
    eq(v.get("intact"), False, f"verify after tampering: {v}")
    eq(v.get("first_broken_id"), first, "first_broken_id")
    eq(v.get("reason"), reason, "reason")
    r = run_cli(ctx.binary, ["audit", "verify", "--db", ctx.server.db], log=ctx.log)
    eq(r.returncode, 1, "CLI verify exit code on a broken log")
    eq(r.stdout.strip(), f"audit log broken at event {first}: {reason}", "CLI verify output")


@t("the stored log refuses UPDATE and DELETE while its triggers stand")
def _(ctx):
    writes(ctx)
    k = middle_event(ctx)
    pristine(ctx)
    db = sqlite3.connect(ctx.server.db)
    try:
        for s in (f"UPDATE audit_events SET actor = 'mallory' WHERE id = {k}",
                  f"DELETE FROM audit_events WHERE id = {k}"):
            try:
                db.execute(s)
                raise Failure(f"{s!r} should be refused by the append-only triggers")
            except sqlite3.DatabaseError as e:
                check("append-only" in str(e), f"refused for the right reason: {e}")
    finally:
        db.close()
    eq(restart_and_verify(ctx).get("intact"), True, "still intact")


@t("tampering: an altered event is named by verify (hash mismatch)")
def _(ctx):
    k = middle_event(ctx)
    pristine(ctx)
    tamper(ctx, f"UPDATE audit_events SET after_json = '{{\"forged\":true}}' WHERE id = {k}")
    expect_broken(ctx, restart_and_verify(ctx), k, "hash mismatch")


@t("tampering: a deleted event is named by verify (missing event)")
def _(ctx):
    k = middle_event(ctx)
    pristine(ctx)
    tamper(ctx, f"DELETE FROM audit_events WHERE id = {k}")
    expect_broken(ctx, restart_and_verify(ctx), k + 1, f"missing event(s) before {k + 1}")


@t("tampering: two reordered events are named by verify (chain broken)")
def _(ctx):
    k = middle_event(ctx)
    pristine(ctx)
    tamper(ctx, f"UPDATE audit_events SET id = -1 WHERE id = {k}",
           f"UPDATE audit_events SET id = {k} WHERE id = {k + 1}",
           f"UPDATE audit_events SET id = {k + 1} WHERE id = -1")
    expect_broken(ctx, restart_and_verify(ctx), k,
                  f"chain broken: prev_hash does not match event {k - 1}")


@t("tampering: the server keeps working on a broken log, and verify keeps naming the break")
def _(ctx):
    k = middle_event(ctx)
    v = verify(ctx)
    eq(v.get("first_broken_id"), k, "still broken from the previous case")
    ctx.make_client()
    eq(verify(ctx).get("first_broken_id"), k, "a later write does not heal the chain")
