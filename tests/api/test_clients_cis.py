"""Clients (tenants) and configuration items: CRUD, uniqueness, validation, versions."""

from harness import (CI_IDENT, RFC3339_UTC, Module, check, eq, expect_problem, expect_status,
                     qs, to_json, unique)

MODULE = Module("clients_cis")
t = MODULE.test


def client_body(**kw):
    b = {"key": unique("acme"), "name": "Acme Ltd", "timezone": "Europe/London",
         "notice_hours": 48, "requires_signoff": True}
    b.update(kw)
    return b


# ---------------------------------------------------------------------------- clients


@t("POST /clients -> 201 with every field round-tripping, version 1, ETag \"1\"")
def _(ctx):
    body = client_body()
    r = ctx.api.post("/api/v1/clients", body)
    expect_status(r, 201)
    c = r.json
    for k, v in body.items():
        eq(c.get(k), v, f"client.{k}")
    eq(c.get("version"), 1, "client.version")
    eq(r.header("ETag"), '"1"', "ETag")
    for k in ("created_at", "updated_at"):
        if k in c:
            check(RFC3339_UTC.match(str(c[k])), f"client.{k} not RFC 3339 UTC: {c[k]!r}")
    g = ctx.api.get(f"/api/v1/clients/{body['key']}")
    expect_status(g, 200)
    eq(to_json(g.json), to_json(c), "GET equals the created record")
    eq(g.header("ETag"), '"1"', "ETag on GET")


@t("GET /clients lists created clients")
def _(ctx):
    a = ctx.make_client()
    b = ctx.make_client()
    r = ctx.api.get("/api/v1/clients")
    expect_status(r, 200)
    keys = [c.get("key") for c in r.json["items"]]
    check(a["key"] in keys and b["key"] in keys, f"created keys missing from list: {keys}")
    eq(len(keys), len(set(keys)), "client list has no duplicates")


@t("duplicate client key -> 409 duplicate, original untouched")
def _(ctx):
    a = ctx.make_client(name="Original")
    r = ctx.api.post("/api/v1/clients", client_body(key=a["key"], name="Impostor"))
    expect_problem(r, 409, "/problems/duplicate")
    g = ctx.api.get(f"/api/v1/clients/{a['key']}")
    expect_status(g, 200)
    eq(to_json(g.json), to_json(a), "original client after duplicate attempt")


@t("client validation: missing key -> 400 field key")
def _(ctx):
    b = client_body()
    del b["key"]
    expect_problem(ctx.api.post("/api/v1/clients", b), 400, "/problems/invalid-input",
                   field="key")


@t("client validation: key with bad characters -> 400 field key")
def _(ctx):
    r = ctx.api.post("/api/v1/clients", client_body(key="Bad Key!"))
    expect_problem(r, 400, "/problems/invalid-input", field="key")
    expect_problem(ctx.api.get("/api/v1/clients/Bad%20Key!"), 404, "/problems/not-found")


@t("client validation: missing name -> 400 field name")
def _(ctx):
    b = client_body()
    del b["name"]
    expect_problem(ctx.api.post("/api/v1/clients", b), 400, "/problems/invalid-input",
                   field="name")


@t("client validation: notice_hours of the wrong type -> 400 field notice_hours")
def _(ctx):
    r = ctx.api.post("/api/v1/clients", client_body(notice_hours="48"))
    expect_problem(r, 400, "/problems/invalid-input", field="notice_hours")


@t("client validation: negative notice_hours -> 400 field notice_hours")
def _(ctx):
    r = ctx.api.post("/api/v1/clients", client_body(notice_hours=-1))
    expect_problem(r, 400, "/problems/invalid-input", field="notice_hours")


@t("client validation: requires_signoff not a boolean -> 400 field requires_signoff")
def _(ctx):
    r = ctx.api.post("/api/v1/clients", client_body(requires_signoff="yes"))
    expect_problem(r, 400, "/problems/invalid-input", field="requires_signoff")


@t("client validation: unknown field -> 400 naming it")
def _(ctx):
    r = ctx.api.post("/api/v1/clients", client_body(colour="blue"))
    expect_problem(r, 400, "/problems/invalid-input", field="colour")


@t("client validation: refused creates store nothing")
def _(ctx):
    key = unique("never")
    for bad in (client_body(key=key, notice_hours="x"), client_body(key=key, colour=1),
                client_body(key=key, timezone=5)):
        expect_status(ctx.api.post("/api/v1/clients", bad), 400)
    expect_problem(ctx.api.get(f"/api/v1/clients/{key}"), 404, "/problems/not-found")


@t("client validation: a well-formed but unknown time zone (Mars/Base) -> 400 field timezone")
def _(ctx):
    key = unique("mars")
    for tz in ("Mars/Base", "Europe/Atlantis", "Etc/GMT+99"):
        p = expect_problem(ctx.api.post("/api/v1/clients", client_body(key=key, timezone=tz)),
                           400, "/problems/invalid-input", field="timezone", what=tz)
        check(tz in p["detail"], f"the refusal should name the zone {tz}: {p['detail']!r}")
    expect_problem(ctx.api.get(f"/api/v1/clients/{key}"), 404, "/problems/not-found")
    for tz in ("UTC", "Etc/UTC", "America/Argentina/Buenos_Aires", "Asia/Kolkata"):
        r = ctx.api.post("/api/v1/clients", client_body(key=unique("earth"), timezone=tz))
        expect_status(r, 201, f"known zone {tz}")
        eq(r.json["timezone"], tz, "stored zone")


@t("PATCH client to an unknown time zone -> 400 field timezone, unchanged")
def _(ctx):
    c = ctx.make_client()
    r = ctx.api.patch(f"/api/v1/clients/{c['key']}", {"timezone": "Mars/Base"}, if_match='"1"')
    expect_problem(r, 400, "/problems/invalid-input", field="timezone")
    eq(to_json(ctx.api.get(f"/api/v1/clients/{c['key']}").json), to_json(c),
       "client after the refused PATCH")


@t("GET missing client -> 404 not-found problem")
def _(ctx):
    expect_problem(ctx.api.get("/api/v1/clients/no-such-client"), 404, "/problems/not-found")


@t("PATCH client with current If-Match -> 200, version 2, ETag \"2\", fields updated")
def _(ctx):
    c = ctx.make_client()
    r = ctx.api.patch(f"/api/v1/clients/{c['key']}",
                      {"name": "Renamed", "notice_hours": 72, "requires_signoff": True,
                       "timezone": "America/New_York"}, if_match='"1"')
    expect_status(r, 200)
    eq(r.json.get("version"), 2, "version after PATCH")
    eq(r.header("ETag"), '"2"', "ETag after PATCH")
    g = ctx.api.get(f"/api/v1/clients/{c['key']}").json
    eq((g["name"], g["notice_hours"], g["requires_signoff"], g["timezone"], g["version"]),
       ("Renamed", 72, True, "America/New_York", 2), "stored client after PATCH")


@t("PATCH client with stale If-Match -> 409 stale-version, unchanged")
def _(ctx):
    c = ctx.make_client()
    expect_status(ctx.api.patch(f"/api/v1/clients/{c['key']}", {"name": "v2"}, if_match='"1"'),
                  200)
    before = ctx.api.get(f"/api/v1/clients/{c['key']}").json
    r = ctx.api.patch(f"/api/v1/clients/{c['key']}", {"name": "lost update"}, if_match='"1"')
    expect_problem(r, 409, "/problems/stale-version")
    eq(to_json(ctx.api.get(f"/api/v1/clients/{c['key']}").json), to_json(before),
       "client after stale PATCH")


@t("PATCH client without If-Match -> 428 version-required, unchanged")
def _(ctx):
    c = ctx.make_client()
    r = ctx.api.patch(f"/api/v1/clients/{c['key']}", {"name": "no version"})
    expect_problem(r, 428, "/problems/version-required")
    eq(to_json(ctx.api.get(f"/api/v1/clients/{c['key']}").json), to_json(c),
       "client after PATCH without If-Match")


@t("PATCH client key (not writable) -> 400 field key, unchanged")
def _(ctx):
    c = ctx.make_client()
    r = ctx.api.patch(f"/api/v1/clients/{c['key']}", {"key": "new-key"}, if_match='"1"')
    expect_problem(r, 400, "/problems/invalid-input", field="key")
    eq(to_json(ctx.api.get(f"/api/v1/clients/{c['key']}").json), to_json(c),
       "client after refused key PATCH")
    expect_status(ctx.api.get("/api/v1/clients/new-key"), 404)


@t("PATCH missing client -> 404")
def _(ctx):
    r = ctx.api.patch("/api/v1/clients/no-such-client", {"name": "x"}, if_match='"1"')
    expect_problem(r, 404, "/problems/not-found")


# ---------------------------------------------------------------------------- CIs


def ci_body(client, **kw):
    b = {"client": client, "name": unique("web"), "type": "server", "criticality": 4,
         "users_affected": 250, "owner": "ops"}
    b.update(kw)
    return b


@t("POST /cis -> 201, CI-NNNNNN id, every field round-trips, GET by CI-id and by number")
def _(ctx):
    c = ctx.make_client()
    body = ci_body(c["key"])
    r = ctx.api.post("/api/v1/cis", body)
    expect_status(r, 201)
    ci = r.json
    for k, v in body.items():
        eq(ci.get(k), v, f"ci.{k}")
    check(CI_IDENT.match(str(ci.get("id"))), f"CI id should look like CI-000042: {ci.get('id')!r}")
    eq(ci.get("version"), 1, "ci.version")
    eq(r.header("ETag"), '"1"', "ETag")
    g1 = ctx.api.get(f"/api/v1/cis/{ci['id']}")
    expect_status(g1, 200)
    eq(to_json(g1.json), to_json(ci), "GET by CI-id")
    num = str(int(ci["id"].split("-")[1]))
    g2 = ctx.api.get(f"/api/v1/cis/{num}")
    expect_status(g2, 200)
    eq(to_json(g2.json), to_json(ci), "GET by number")


@t("shared CI (client null) is stored with client null")
def _(ctx):
    r = ctx.api.post("/api/v1/cis", ci_body(None, name=unique("core-switch"),
                                            type="network_device"))
    expect_status(r, 201)
    eq(r.json.get("client"), None, "shared CI client")
    g = ctx.api.get(f"/api/v1/cis/{r.json['id']}")
    eq(g.json.get("client"), None, "shared CI client on GET")


@t("CI validation: criticality 6 and 0 -> 400 field criticality")
def _(ctx):
    c = ctx.make_client()
    for v in (6, 0):
        r = ctx.api.post("/api/v1/cis", ci_body(c["key"], criticality=v))
        expect_problem(r, 400, "/problems/invalid-input", field="criticality",
                       what=f"criticality {v}")


@t("CI validation: negative users_affected -> 400 field users_affected")
def _(ctx):
    c = ctx.make_client()
    r = ctx.api.post("/api/v1/cis", ci_body(c["key"], users_affected=-5))
    expect_problem(r, 400, "/problems/invalid-input", field="users_affected")


@t("CI validation: missing name -> 400 field name")
def _(ctx):
    c = ctx.make_client()
    b = ci_body(c["key"])
    del b["name"]
    expect_problem(ctx.api.post("/api/v1/cis", b), 400, "/problems/invalid-input", field="name")


@t("CI validation: criticality as string -> 400 field criticality")
def _(ctx):
    c = ctx.make_client()
    r = ctx.api.post("/api/v1/cis", ci_body(c["key"], criticality="4"))
    expect_problem(r, 400, "/problems/invalid-input", field="criticality")


@t("CI for an unknown client -> 400 field client, nothing created")
def _(ctx):
    name = unique("orphan")
    r = ctx.api.post("/api/v1/cis", ci_body("no-such-client", name=name))
    expect_problem(r, 400, "/problems/invalid-input", field="client")
    r = ctx.api.get("/api/v1/cis?" + qs(q=name))
    expect_status(r, 200)
    eq(r.json["items"], [], "CIs named like the refused one")


@t("GET missing CI -> 404")
def _(ctx):
    expect_problem(ctx.api.get("/api/v1/cis/CI-999999"), 404, "/problems/not-found")


@t("CI list filters by client, type and q")
def _(ctx):
    a = ctx.make_client()
    b = ctx.make_client()
    tag = unique("zz")
    a_srv = ctx.make_ci(a["key"], name=f"{tag}-web", type="server")
    a_app = ctx.make_ci(a["key"], name=f"{tag}-app", type="application")
    b_srv = ctx.make_ci(b["key"], name=f"{tag}-db", type="server")

    def ids(params):
        r = ctx.api.get("/api/v1/cis?" + qs(**params))
        expect_status(r, 200, f"list cis {params}")
        return {x["id"] for x in r.json["items"]}

    a_ids = ids({"client": a["key"]})
    check({a_srv["id"], a_app["id"]} <= a_ids, f"client filter misses a's CIs: {a_ids}")
    check(b_srv["id"] not in a_ids, "client filter includes another client's CI")
    eq(ids({"client": a["key"], "type": "server"}), {a_srv["id"]}, "client+type filter")
    eq(ids({"q": tag}), {a_srv["id"], a_app["id"], b_srv["id"]}, "q filter")
    eq(ids({"q": f"{tag}-ap"}), {a_app["id"]}, "q substring filter")


@t("CI list pagination: limit and next_cursor walk every CI once")
def _(ctx):
    c = ctx.make_client()
    made = {ctx.make_ci(c["key"])["id"] for _ in range(5)}
    seen, cursor, pages = [], None, 0
    while True:
        r = ctx.api.get("/api/v1/cis?" + qs(client=c["key"], limit=2, cursor=cursor))
        expect_status(r, 200)
        check(len(r.json["items"]) <= 2, f"page larger than limit: {len(r.json['items'])}")
        seen += [x["id"] for x in r.json["items"]]
        cursor = r.json.get("next_cursor")
        pages += 1
        check(pages <= 5, "too many pages")
        if not cursor:
            break
    eq(len(seen), len(set(seen)), "no CI listed twice")
    eq(set(seen), made, "every CI listed")
    check(pages >= 3, f"5 CIs with limit 2 should take 3 pages, took {pages}")


@t("CI list with bad limit -> 400 field limit")
def _(ctx):
    for v in ("0", "-1", "201", "abc"):
        r = ctx.api.get(f"/api/v1/cis?limit={v}")
        expect_problem(r, 400, "/problems/invalid-input", field="limit", what=f"limit={v}")


@t("PATCH CI with If-Match -> 200, version+1; stale -> 409; without -> 428")
def _(ctx):
    c = ctx.make_client()
    ci = ctx.make_ci(c["key"])
    r = ctx.api.patch(f"/api/v1/cis/{ci['id']}", {"criticality": 5, "owner": "dba"},
                      if_match='"1"')
    expect_status(r, 200)
    eq((r.json.get("criticality"), r.json.get("owner"), r.json.get("version")), (5, "dba", 2),
       "CI after PATCH")
    eq(r.header("ETag"), '"2"', "ETag after PATCH")
    after = ctx.api.get(f"/api/v1/cis/{ci['id']}").json
    r = ctx.api.patch(f"/api/v1/cis/{ci['id']}", {"criticality": 1}, if_match='"1"')
    expect_problem(r, 409, "/problems/stale-version")
    r = ctx.api.patch(f"/api/v1/cis/{ci['id']}", {"criticality": 1})
    expect_problem(r, 428, "/problems/version-required")
    r = ctx.api.patch(f"/api/v1/cis/{ci['id']}", {"criticality": 9}, if_match='"2"')
    expect_problem(r, 400, "/problems/invalid-input", field="criticality")
    eq(to_json(ctx.api.get(f"/api/v1/cis/{ci['id']}").json), to_json(after),
       "CI after refused PATCHes")


@t("PATCH missing CI -> 404")
def _(ctx):
    r = ctx.api.patch("/api/v1/cis/CI-999999", {"owner": "x"}, if_match='"1"')
    expect_problem(r, 404, "/problems/not-found")
