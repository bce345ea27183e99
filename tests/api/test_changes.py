"""Changes: create/read round trips, identifiers, list filters, pagination, PATCH and
optimistic concurrency."""

import threading

from harness import (CHG_IDENT, RFC3339_UTC, Module, check, eq, expect_problem, expect_status,
                     qs, short, to_json, unique)

MODULE = Module("changes")
t = MODULE.test

WRITABLE = ("title", "description", "raised_by", "reason", "expected_return", "risks",
            "implementer", "resources", "related_changes", "cis", "implementation_plan",
            "test_plan", "rollback_plan", "rollback_tested", "rollback_evidence",
            "planned_start", "planned_end", "incidents")


def num(ident):
    return str(int(ident.split("-")[1]))


def full_body(ctx, client, cis, related):
    return {
        "client": client, "type": "normal", "title": "Upgrade PostgreSQL to 15.6",
        "description": "Minor upgrade of the primary cluster.",
        "raised_by": "alice", "reason": "Security fixes (CVE-2024-0985)",
        "expected_return": "Patched database, no downtime beyond 5 min",
        "risks": "Extension incompatibility", "implementer": "bob",
        "resources": "1 DBA, 1 hour", "related_changes": related, "cis": cis,
        "implementation_plan": "1. failover\n2. upgrade\n3. failback",
        "test_plan": "Run smoke tests", "rollback_plan": "Restore snapshot",
        "rollback_tested": True, "rollback_evidence": "Tested on staging 2026-11-01",
        "planned_start": "2026-12-05T22:00:00Z", "planned_end": "2026-12-05T23:00:00Z",
        "incidents": ["INC-4711", "INC-4712"],
    }


@t("create with every writable field -> 201, all fields round-trip, defaults set")
def _(ctx):
    c = ctx.make_client()
    ci1 = ctx.make_ci(c["key"])
    ci2 = ctx.make_ci(c["key"])
    rel = ctx.make_change(c["key"])
    body = full_body(ctx, c["key"], [ci1["id"], ci2["id"]], [rel["id"]])
    r = ctx.api.post("/api/v1/changes", body)
    expect_status(r, 201)
    ch = r.json
    for k, v in body.items():
        if k in ("cis", "related_changes", "incidents"):
            eq(sorted(ch.get(k) or []), sorted(v), f"change.{k}")
        else:
            eq(ch.get(k), v, f"change.{k}")
    check(CHG_IDENT.match(str(ch.get("id"))), f"id should look like CHG-000042: {ch.get('id')!r}")
    eq(ch.get("version"), 1, "version")
    eq(ch.get("state"), "draft", "state")
    eq(ch.get("created_by"), "admin", "created_by")
    for k in ("actual_start", "actual_end", "outcome", "outcome_notes", "state_reason"):
        eq(ch.get(k), None, k)
    eq(ch.get("review"), {"summary": None, "lessons": None, "reviewed_by": None,
                          "reviewed_at": None}, "review")
    for k in ("created_at", "updated_at"):
        check(RFC3339_UTC.match(str(ch.get(k))), f"{k} not RFC 3339 UTC: {ch.get(k)!r}")
    eq(r.header("ETag"), '"1"', "ETag")
    loc = r.header("Location") or ""
    check(loc.endswith(f"/api/v1/changes/{ch['id']}"),
          f"Location should point at /api/v1/changes/{ch['id']}, got {loc!r}")
    g = ctx.api.get(f"/api/v1/changes/{ch['id']}")
    expect_status(g, 200)
    eq(to_json(g.json), to_json(ch), "GET equals the create response")


@t("a chunked (Transfer-Encoding) JSON body is accepted")
def _(ctx):
    import json
    c = ctx.make_client()
    raw = json.dumps(ctx.change_body(c["key"], title="chunked")).encode()
    r = ctx.api.post("/api/v1/changes", raw=raw, chunked=True)
    expect_status(r, 201)
    eq(r.json.get("title"), "chunked", "title")


@t("raised_by defaults to the caller; optional fields default to null/empty")
def _(ctx):
    c = ctx.make_client()
    r = ctx.api.post("/api/v1/changes", {"client": c["key"], "type": "standard",
                                         "title": "Minimal"})
    expect_status(r, 201)
    ch = r.json
    eq(ch.get("raised_by"), "admin", "raised_by default")
    eq(ch.get("client"), c["key"], "client")
    eq(ch.get("type"), "standard", "type")
    for k in ("description", "implementation_plan", "planned_start", "planned_end"):
        eq(ch.get(k), None, k)
    for k in ("cis", "incidents", "related_changes"):
        eq(ch.get(k), [], k)
    eq(ch.get("rollback_tested"), False, "rollback_tested default")


@t("GET by CHG-000NNN, by plain number and by CHG-N all return the same record")
def _(ctx):
    c = ctx.make_client()
    ch = ctx.make_change(c["key"])
    n = num(ch["id"])
    eq(ch["id"], f"CHG-{int(n):06d}", "identifier format")
    a = ctx.api.get(f"/api/v1/changes/{ch['id']}")
    b = ctx.api.get(f"/api/v1/changes/{n}")
    d = ctx.api.get(f"/api/v1/changes/CHG-{n}")
    for r in (a, b, d):
        expect_status(r, 200)
        eq(to_json(r.json), to_json(ch), f"{r.path}")
        eq(r.header("ETag"), '"1"', f"ETag of {r.path}")


@t("the first change of a fresh database is CHG-000001, reachable as /changes/1")
def _(ctx):
    ctx.make_change(ctx.make_client()["key"])  # so that at least one exists
    r = ctx.api.get("/api/v1/changes/CHG-000001")
    expect_status(r, 200)
    eq(r.json.get("id"), "CHG-000001", "id")
    r2 = ctx.api.get("/api/v1/changes/1")
    expect_status(r2, 200)
    eq(to_json(r2.json), to_json(r.json), "/changes/1 equals /changes/CHG-000001")


@t("GET missing change -> 404 not-found (CHG-999999, 999999)")
def _(ctx):
    for ident in ("CHG-999999", "999999"):
        expect_problem(ctx.api.get(f"/api/v1/changes/{ident}"), 404, "/problems/not-found")


@t("GET change with a malformed id -> 404 or 400 problem, never 5xx")
def _(ctx):
    # docs/api.md names only the two valid id forms; either 404 (no such record) or 400
    # (malformed identifier) is a reasonable reading.
    for ident in ("CHG-abc", "abc", "CHG-", "-1", "0", "99999999999999999999999"):
        r = ctx.api.get(f"/api/v1/changes/{ident}")
        expect_problem(r, (400, 404), {400: "/problems/invalid-input",
                                       404: "/problems/not-found"}, what=ident)


@t("create refers to an unknown CI -> 400 field cis; CI of another client -> 400 field cis")
def _(ctx):
    a = ctx.make_client()
    b = ctx.make_client()
    b_ci = ctx.make_ci(b["key"])
    before = len(ctx.list_all_changes(client=a["key"]))
    r = ctx.api.post("/api/v1/changes", ctx.change_body(a["key"], cis=["CI-999999"]))
    expect_problem(r, 400, "/problems/invalid-input", field="cis")
    r = ctx.api.post("/api/v1/changes", ctx.change_body(a["key"], cis=[b_ci["id"]]))
    expect_problem(r, 400, "/problems/invalid-input", field="cis")
    eq(len(ctx.list_all_changes(client=a["key"])), before, "changes of the client afterwards")


@t("create with a shared CI (client null) is allowed")
def _(ctx):
    a = ctx.make_client()
    shared = ctx.make_ci(None)
    ch = ctx.make_change(a["key"], cis=[shared["id"]])
    eq(ch.get("cis"), [shared["id"]], "cis")


@t("create refers to an unknown related change -> 400 field related_changes")
def _(ctx):
    a = ctx.make_client()
    r = ctx.api.post("/api/v1/changes", ctx.change_body(a["key"], related_changes=["CHG-999999"]))
    expect_problem(r, 400, "/problems/invalid-input", field="related_changes")


@t("create for an unknown client -> 400 field client")
def _(ctx):
    r = ctx.api.post("/api/v1/changes", ctx.change_body("no-such-client", ready=False))
    expect_problem(r, 400, "/problems/invalid-input", field="client")


# ---------------------------------------------------------------------------- lists


@t("list is newest first and filters by client")
def _(ctx):
    a = ctx.make_client()
    b = ctx.make_client()
    mine = [ctx.make_change(a["key"])["id"] for _ in range(3)]
    other = ctx.make_change(b["key"])["id"]
    items = ctx.list_all_changes(client=a["key"])
    ids = [x["id"] for x in items]
    eq(ids, list(reversed(mine)), "client filter, newest first")
    check(other not in ids, "other client's change listed")
    check(all(x.get("client") == a["key"] for x in items), "items of another client")


@t("list filters by state (single and comma list) and type")
def _(ctx):
    a = ctx.make_client()
    d = ctx.make_change(a["key"])
    s = ctx.make_change(a["key"])
    ctx.act(s["id"], "submit")
    x = ctx.make_change(a["key"])
    ctx.act(x["id"], "cancel", {"reason": "not needed"})
    std = ctx.make_change(a["key"], type_="standard")
    em = ctx.make_change(a["key"], type_="emergency", incidents=["INC-1"])

    def ids(**p):
        return {i["id"] for i in ctx.list_all_changes(client=a["key"], **p)}

    eq(ids(state="submitted"), {s["id"]}, "state=submitted")
    eq(ids(state="cancelled"), {x["id"]}, "state=cancelled")
    eq(ids(state="submitted,cancelled"), {s["id"], x["id"]}, "state=submitted,cancelled")
    eq(ids(state="draft"), {d["id"], std["id"], em["id"]}, "state=draft")
    eq(ids(type="standard"), {std["id"]}, "type=standard")
    eq(ids(type="emergency"), {em["id"]}, "type=emergency")
    eq(ids(type="normal", state="draft"), {d["id"]}, "type=normal&state=draft")


@t("list with unknown state or type value -> 400 naming the parameter")
def _(ctx):
    expect_problem(ctx.api.get("/api/v1/changes?state=bogus"), 400, "/problems/invalid-input",
                   field="state")
    expect_problem(ctx.api.get("/api/v1/changes?state=draft,bogus"), 400,
                   "/problems/invalid-input", field="state")
    expect_problem(ctx.api.get("/api/v1/changes?type=urgent"), 400, "/problems/invalid-input",
                   field="type")


@t("list filters by ci")
def _(ctx):
    a = ctx.make_client()
    ci1 = ctx.make_ci(a["key"])
    ci2 = ctx.make_ci(a["key"])
    c1 = ctx.make_change(a["key"], cis=[ci1["id"]])
    c12 = ctx.make_change(a["key"], cis=[ci1["id"], ci2["id"]])
    ctx.make_change(a["key"])
    eq({i["id"] for i in ctx.list_all_changes(ci=ci1["id"])}, {c1["id"], c12["id"]},
       "ci=ci1")
    eq({i["id"] for i in ctx.list_all_changes(ci=ci2["id"])}, {c12["id"]}, "ci=ci2")


@t("list from/to selects changes whose planned window overlaps the range")
def _(ctx):
    a = ctx.make_client()
    k = a["key"]
    early = ctx.make_change(k, planned_start="2027-01-01T10:00:00Z",
                            planned_end="2027-01-01T12:00:00Z")
    mid = ctx.make_change(k, planned_start="2027-01-02T10:00:00Z",
                          planned_end="2027-01-02T12:00:00Z")
    late = ctx.make_change(k, planned_start="2027-01-03T10:00:00Z",
                           planned_end="2027-01-03T12:00:00Z")
    ctx.make_change(k, planned=False)  # unplanned: has no window, overlaps nothing

    def ids(**p):
        return {i["id"] for i in ctx.list_all_changes(client=k, **p)}

    eq(ids(**{"from": "2027-01-02T00:00:00Z", "to": "2027-01-03T00:00:00Z"}), {mid["id"]},
       "day 2 only")
    # partial overlap at both edges
    eq(ids(**{"from": "2027-01-01T11:00:00Z", "to": "2027-01-02T11:00:00Z"}),
       {early["id"], mid["id"]}, "overlap across early end and mid start")
    eq(ids(**{"from": "2027-01-03T11:59:00Z"}), {late["id"]}, "from only")
    eq(ids(to="2027-01-01T10:30:00Z"), {early["id"]}, "to only")
    eq(ids(**{"from": "2027-02-01T00:00:00Z", "to": "2027-03-01T00:00:00Z"}), set(),
       "empty range")


@t("list with a malformed from/to -> 400 naming the parameter")
def _(ctx):
    expect_problem(ctx.api.get("/api/v1/changes?from=yesterday"), 400,
                   "/problems/invalid-input", field="from")
    expect_problem(ctx.api.get("/api/v1/changes?to=2026-13-01T00:00:00Z"), 400,
                   "/problems/invalid-input", field="to")


@t("list q searches title, description and implementation plan")
def _(ctx):
    a = ctx.make_client()
    k = a["key"]
    word = unique("zebra").replace("-", "")
    t1 = ctx.make_change(k, title=f"Replace {word} firewall")
    t2 = ctx.make_change(k, description=f"touches the {word} cluster")
    t3 = ctx.make_change(k, implementation_plan=f"1. drain {word} node")
    ctx.make_change(k, title="unrelated")
    eq({i["id"] for i in ctx.list_all_changes(q=word)}, {t1["id"], t2["id"], t3["id"]},
       f"q={word}")
    eq({i["id"] for i in ctx.list_all_changes(q=f"{word} firewall")}, {t1["id"]},
       "q with two words matches changes holding both")
    eq(ctx.list_all_changes(q=word + "nomatch"), [], "q without a match")


@t("list q also searches the test and rollback plans")
def _(ctx):
    # docs/api.md only says "q" (free text); src/store/store.h documents the filter as
    # "free-text search over title, description, plans", which includes these two.
    a = ctx.make_client()
    k = a["key"]
    word = unique("okapi").replace("-", "")
    t1 = ctx.make_change(k, test_plan=f"probe {word} endpoint")
    t2 = ctx.make_change(k, rollback_plan=f"restore {word} snapshot")
    eq({i["id"] for i in ctx.list_all_changes(q=word)}, {t1["id"], t2["id"]}, f"q={word}")


@t("list q with FTS syntax characters is treated as plain text (no error)")
def _(ctx):
    for q in ('"', "a OR b", "title:x", "*", "NEAR(a b)", "a AND", "(", "'; DROP TABLE changes;--"):
        r = ctx.api.get("/api/v1/changes?" + qs(q=q))
        expect_status(r, 200, f"q={q!r}")
        check(isinstance(r.json.get("items"), list), f"q={q!r}: items")


@t("cursor pagination walks every change exactly once, newest first")
def _(ctx):
    a = ctx.make_client()
    made = [ctx.make_change(a["key"])["id"] for _ in range(7)]
    seen, cursor, sizes = [], None, []
    for _ in range(10):
        r = ctx.api.get("/api/v1/changes?" + qs(client=a["key"], limit=3, cursor=cursor))
        expect_status(r, 200)
        sizes.append(len(r.json["items"]))
        seen += [x["id"] for x in r.json["items"]]
        cursor = r.json.get("next_cursor")
        if not cursor:
            break
    eq(sizes, [3, 3, 1], "page sizes")
    eq(seen, list(reversed(made)), "ids across pages")
    eq(cursor, None, "next_cursor on the last page")


@t("changes created between pages neither duplicate nor hide older ones")
def _(ctx):
    a = ctx.make_client()
    made = [ctx.make_change(a["key"])["id"] for _ in range(4)]
    r = ctx.api.get("/api/v1/changes?" + qs(client=a["key"], limit=2))
    expect_status(r, 200)
    first = [x["id"] for x in r.json["items"]]
    cur = r.json["next_cursor"]
    check(cur, "first page of 4 with limit 2 should have a next_cursor")
    ctx.make_change(a["key"])
    r = ctx.api.get("/api/v1/changes?" + qs(client=a["key"], limit=2, cursor=cur))
    second = [x["id"] for x in r.json["items"]]
    eq(first + second, list(reversed(made)), "pages around a concurrent insert")


@t("limit 1 and 200 accepted; default page is at most 50")
def _(ctx):
    a = ctx.make_client()
    for _ in range(2):
        ctx.make_change(a["key"])
    r = ctx.api.get("/api/v1/changes?" + qs(client=a["key"], limit=1))
    expect_status(r, 200)
    eq(len(r.json["items"]), 1, "items with limit=1")
    check(r.json.get("next_cursor"), "next_cursor with more to come")
    r = ctx.api.get("/api/v1/changes?limit=200")
    expect_status(r, 200)
    r = ctx.api.get("/api/v1/changes")
    expect_status(r, 200)
    check(len(r.json["items"]) <= 50, f"default page has {len(r.json['items'])} items")


@t("bad limit values -> 400 field limit: 0, -1, 201, 99999999999999999999, abc, empty")
def _(ctx):
    for v in ("0", "-1", "201", "99999999999999999999", "abc", "1.5", "", "10abc"):
        r = ctx.api.get(f"/api/v1/changes?limit={v}")
        expect_problem(r, 400, "/problems/invalid-input", field="limit", what=f"limit={v!r}")


@t("bad cursor values -> 400 field cursor")
def _(ctx):
    for v in ("garbage!", "-5", "99999999999999999999999999"):
        r = ctx.api.get("/api/v1/changes?" + qs(cursor=v))
        expect_problem(r, 400, "/problems/invalid-input", field="cursor", what=f"cursor={v!r}")


# ---------------------------------------------------------------------------- PATCH


@t("PATCH with current If-Match -> 200, version+1, ETag, fields changed, others kept")
def _(ctx):
    a = ctx.make_client()
    ch = ctx.make_change(a["key"], description="old", risks="low")
    r = ctx.api.patch(f"/api/v1/changes/{ch['id']}", {"description": "new", "title": "T2"},
                      if_match='"1"')
    expect_status(r, 200)
    eq(r.json.get("version"), 2, "version")
    eq(r.header("ETag"), '"2"', "ETag")
    g = ctx.get_change(ch["id"])
    eq((g["description"], g["title"], g["risks"], g["version"]), ("new", "T2", "low", 2),
       "stored after PATCH")
    # unquoted If-Match is accepted too
    r = ctx.api.patch(f"/api/v1/changes/{ch['id']}", {"risks": "medium"}, if_match="2")
    expect_status(r, 200, "PATCH with If-Match: 2")
    eq(r.json.get("version"), 3, "version after unquoted If-Match")


@t("PATCH can clear a field with null and replace lists")
def _(ctx):
    a = ctx.make_client()
    ci1, ci2 = ctx.make_ci(a["key"]), ctx.make_ci(a["key"])
    ch = ctx.make_change(a["key"], description="x", cis=[ci1["id"]], incidents=["INC-1"])
    r = ctx.api.patch(f"/api/v1/changes/{ch['id']}",
                      {"description": None, "cis": [ci2["id"]], "incidents": []}, if_match='"1"')
    expect_status(r, 200)
    g = ctx.get_change(ch["id"])
    eq((g["description"], g["cis"], g["incidents"]), (None, [ci2["id"]], []), "after PATCH")


@t("PATCH with stale If-Match -> 409 stale-version, record unchanged")
def _(ctx):
    a = ctx.make_client()
    ch = ctx.make_change(a["key"])
    expect_status(ctx.api.patch(f"/api/v1/changes/{ch['id']}", {"title": "v2"},
                                if_match='"1"'), 200)
    before = ctx.get_change(ch["id"])
    r = ctx.api.patch(f"/api/v1/changes/{ch['id']}", {"title": "lost update"}, if_match='"1"')
    expect_problem(r, 409, "/problems/stale-version")
    eq(to_json(ctx.get_change(ch["id"])), to_json(before), "after stale PATCH")
    r = ctx.api.patch(f"/api/v1/changes/{ch['id']}", {"title": "future"}, if_match='"7"')
    expect_problem(r, 409, "/problems/stale-version", what="If-Match from the future")
    eq(to_json(ctx.get_change(ch["id"])), to_json(before), "after future-version PATCH")


@t("PATCH without If-Match -> 428 version-required, record unchanged")
def _(ctx):
    a = ctx.make_client()
    ch = ctx.make_change(a["key"])
    r = ctx.api.patch(f"/api/v1/changes/{ch['id']}", {"title": "no version"})
    expect_problem(r, 428, "/problems/version-required")
    eq(to_json(ctx.get_change(ch["id"])), to_json(ch), "after PATCH without If-Match")


@t("PATCH with a malformed If-Match -> 4xx problem, record unchanged")
def _(ctx):
    a = ctx.make_client()
    ch = ctx.make_change(a["key"])
    for v in ('"abc"', "W/\"1\"x", "-1", "99999999999999999999999"):
        r = ctx.api.patch(f"/api/v1/changes/{ch['id']}", {"title": "x"}, if_match=v)
        check(400 <= r.status < 500 and r.status != 404,
              f"If-Match {v!r}: expected a 4xx refusal, got {r.status} {short(r.body)}")
    eq(to_json(ctx.get_change(ch["id"])), to_json(ch), "after malformed If-Match")


@t("concurrent PATCHes with the same If-Match: exactly one wins, the rest get 409")
def _(ctx):
    a = ctx.make_client()
    ch = ctx.make_change(a["key"])
    results = [None] * 8

    def worker(i):
        try:
            results[i] = ctx.api.patch(f"/api/v1/changes/{ch['id']}", {"title": f"writer {i}"},
                                       if_match='"1"')
        except Exception as e:  # noqa: BLE001
            results[i] = e

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(results))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    statuses = [getattr(r, "status", repr(r)) for r in results]
    eq(sorted(statuses, key=str), sorted([200] + [409] * (len(results) - 1), key=str),
       "statuses of 8 racing PATCHes")
    winner = results[statuses.index(200)].json["title"]
    g = ctx.get_change(ch["id"])
    eq((g["version"], g["title"]), (2, winner), "stored record is the winner's")
    eq(len(ctx.timeline(ch["id"])), 2, "timeline events (create + one update)")


@t("PATCH of read-only fields (id, state, version, created_by) -> 400 naming the field")
def _(ctx):
    a = ctx.make_client()
    ch = ctx.make_change(a["key"])
    for field, value in (("state", "approved"), ("version", 5), ("id", "CHG-000777"),
                         ("created_by", "mallory"), ("outcome", "successful")):
        r = ctx.api.patch(f"/api/v1/changes/{ch['id']}", {field: value}, if_match='"1"')
        expect_problem(r, 400, "/problems/invalid-input", field=field, what=field)
    eq(to_json(ctx.get_change(ch["id"])), to_json(ch), "after read-only PATCHes")


@t("PATCH client (only on create) -> refused naming client, unchanged")
def _(ctx):
    a = ctx.make_client()
    b = ctx.make_client()
    ch = ctx.make_change(a["key"])
    r = ctx.api.patch(f"/api/v1/changes/{ch['id']}", {"client": b["key"]}, if_match='"1"')
    # "client (only on create)": a 400 (not a writable field) or 422 (a rule) both name it
    expect_problem(r, (400, 422), {400: "/problems/invalid-input",
                                   422: "/problems/precondition-failed"}, field="client")
    eq(to_json(ctx.get_change(ch["id"])), to_json(ch), "after client PATCH")


@t("PATCH type after submit -> 422 precondition-failed field type; allowed in draft")
def _(ctx):
    a = ctx.make_client()
    ch = ctx.make_change(a["key"])
    r = ctx.api.patch(f"/api/v1/changes/{ch['id']}", {"type": "emergency",
                                                       "incidents": ["INC-1"]}, if_match='"1"')
    expect_status(r, 200, "type edit in draft")
    eq(r.json.get("type"), "emergency", "type after edit in draft")
    ctx.act(ch["id"], "submit")
    before = ctx.get_change(ch["id"])
    r = ctx.api.patch(f"/api/v1/changes/{ch['id']}", {"type": "normal"},
                      if_match=f'"{before["version"]}"')
    expect_problem(r, 422, "/problems/precondition-failed", field="type")
    eq(to_json(ctx.get_change(ch["id"])), to_json(before), "after refused type edit")


@t("PATCH of a cancelled change -> 422 precondition-failed, unchanged")
def _(ctx):
    a = ctx.make_client()
    ch = ctx.make_change(a["key"])
    ctx.act(ch["id"], "cancel", {"reason": "dup"})
    before = ctx.get_change(ch["id"])
    r = ctx.api.patch(f"/api/v1/changes/{ch['id']}", {"title": "zombie"},
                      if_match=f'"{before["version"]}"')
    expect_problem(r, 422, "/problems/precondition-failed", fields=("title", "state"))
    eq(to_json(ctx.get_change(ch["id"])), to_json(before), "cancelled change after PATCH")


@t("PATCH of a closed change -> 422 precondition-failed, unchanged")
def _(ctx):
    a = ctx.make_client()
    ch = ctx.make_change(a["key"])
    for step in ("submit", "assess", "approve", "schedule", "start", "complete", "close"):
        ctx.act(ch["id"], step, {"comment": "ok"} if step == "approve" else None)
    before = ctx.get_change(ch["id"])
    eq(before["state"], "closed", "state")
    r = ctx.api.patch(f"/api/v1/changes/{ch['id']}", {"description": "rewrite history"},
                      if_match=f'"{before["version"]}"')
    expect_problem(r, 422, "/problems/precondition-failed", fields=("description", "state"))
    eq(to_json(ctx.get_change(ch["id"])), to_json(before), "closed change after PATCH")


@t("PATCH missing change -> 404")
def _(ctx):
    r = ctx.api.patch("/api/v1/changes/CHG-999999", {"title": "x"}, if_match='"1"')
    expect_problem(r, 404, "/problems/not-found")


@t("every write is recorded: create + 2 PATCHes = 3 timeline events, versions 1..3")
def _(ctx):
    a = ctx.make_client()
    ch = ctx.make_change(a["key"], title="first")
    ctx.api.patch(f"/api/v1/changes/{ch['id']}", {"title": "second"}, if_match='"1"')
    ctx.api.patch(f"/api/v1/changes/{ch['id']}", {"title": "third"}, if_match='"2"')
    tl = ctx.timeline(ch["id"])
    eq(len(tl), 3, "timeline length")
    eq(tl[0].get("before"), None, "create event has before null")
    eq([(e.get("after") or {}).get("title") for e in tl], ["first", "second", "third"],
       "after.title per event")
    eq([(e.get("before") or {}).get("title") for e in tl[1:]], ["first", "second"],
       "before.title per update event")
    eq([(e.get("after") or {}).get("version") for e in tl], [1, 2, 3], "after.version")
