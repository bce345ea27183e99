"""Health, authentication and the problem format shared by every error."""

from harness import Module, check, eq, expect_problem, expect_status, short, to_json

MODULE = Module("auth")
t = MODULE.test


@t("GET /healthz answers 200 {\"status\": \"ok\"} without a token")
def _(ctx):
    r = ctx.api.get("/healthz", token=None)
    expect_status(r, 200)
    check(isinstance(r.json, dict), f"healthz body is not JSON: {short(r.body)}")
    eq(r.json.get("status"), "ok", "healthz status")


@t("API call without Authorization -> 401 unauthorized problem")
def _(ctx):
    r = ctx.api.get("/api/v1/changes", token=None)
    expect_problem(r, 401, "/problems/unauthorized")


@t("API call with an unknown bearer token -> 401 unauthorized problem")
def _(ctx):
    r = ctx.api.get("/api/v1/clients", token="not-a-real-token-0123456789abcdef")
    expect_problem(r, 401, "/problems/unauthorized")


@t("Authorization with a non-Bearer scheme -> 401")
def _(ctx):
    r = ctx.api.get("/api/v1/clients", token=None,
                    headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
    expect_problem(r, 401, "/problems/unauthorized")


@t("Bearer with an empty token -> 401")
def _(ctx):
    r = ctx.api.get("/api/v1/clients", token=None, headers={"Authorization": "Bearer "})
    expect_problem(r, 401, "/problems/unauthorized")


@t("a slightly altered valid token -> 401")
def _(ctx):
    tok = ctx.server.token
    bad = tok[:-1] + ("A" if tok[-1] != "A" else "B")
    r = ctx.api.get("/api/v1/clients", token=bad)
    expect_problem(r, 401, "/problems/unauthorized")


@t("unauthenticated write -> 401 and nothing is created")
def _(ctx):
    key = "unauth-write"
    r = ctx.api.post("/api/v1/clients", {"key": key, "name": "X", "timezone": "UTC"},
                     token=None)
    expect_problem(r, 401, "/problems/unauthorized")
    r = ctx.api.get(f"/api/v1/clients/{key}")
    expect_problem(r, 404, "/problems/not-found")


@t("valid admin token -> 200 on GET /api/v1/changes with {items, next_cursor}")
def _(ctx):
    r = ctx.api.get("/api/v1/changes")
    expect_status(r, 200)
    check(isinstance(r.json, dict) and isinstance(r.json.get("items"), list),
          f"list should have items: {short(r.body)}")
    check("next_cursor" in r.json, f"list should have next_cursor: {short(r.body)}")
    ctype = (r.header("Content-Type") or "").split(";")[0].strip()
    eq(ctype, "application/json", "Content-Type of a JSON answer")


@t("a token made by `user add --role requester` authenticates (not 401)")
def _(ctx):
    tok = ctx.server.make_token("reqr", ["--role", "requester"])
    r = ctx.api.get("/api/v1/changes", token=tok)
    check(r.status != 401, f"requester token refused with 401: {short(r.body)}")
    check(r.status < 500, f"requester token -> {r.status}: {short(r.body)}")


@t("problem documents carry instance = the request path")
def _(ctx):
    r = ctx.api.get("/api/v1/changes/CHG-999999")
    p = expect_problem(r, 404, "/problems/not-found")
    eq(p.get("instance"), "/api/v1/changes/CHG-999999", "problem instance")


@t("a user scoped to one client sees another client's records as 404, never their data")
def _(ctx):
    a = ctx.make_client()
    b = ctx.make_client()
    mine = ctx.make_change(a["key"])
    theirs = ctx.make_change(b["key"])
    b_ci = ctx.make_ci(b["key"])
    tok = ctx.server.make_token("scoped_" + a["key"].replace("-", "_"),
                                ["--role", "requester", "--client", a["key"]])
    api = ctx.api.with_token(tok)
    expect_status(api.get(f"/api/v1/changes/{mine['id']}"), 200, "own client's change")
    for path in (f"/api/v1/changes/{theirs['id']}", f"/api/v1/changes/{theirs['id']}/timeline",
                 f"/api/v1/clients/{b['key']}", f"/api/v1/cis/{b_ci['id']}"):
        expect_problem(api.get(path), 404, "/problems/not-found", what=f"GET {path}")
    expect_problem(api.patch(f"/api/v1/changes/{theirs['id']}", {"title": "mine now"},
                             if_match='"1"'), 404, "/problems/not-found")
    expect_problem(api.post(f"/api/v1/changes/{theirs['id']}/cancel", {"reason": "x"}), 404,
                   "/problems/not-found")
    r = api.get("/api/v1/changes?limit=200")
    expect_status(r, 200)
    clients = {i.get("client") for i in r.json["items"]}
    eq(clients, {a["key"]}, "clients of the changes a scoped user lists")
    r = api.get("/api/v1/changes?" + f"client={b['key']}")
    check(r.status in (400, 404) or (r.status == 200 and r.json["items"] == []),
          f"filtering by another tenant's client must not list its changes: {r.status} "
          f"{short(r.body)}")
    r = api.get("/api/v1/clients")
    expect_status(r, 200)
    eq([c.get("key") for c in r.json["items"]], [a["key"]], "clients a scoped user lists")
    r = api.post("/api/v1/changes", ctx.change_body(b["key"], ready=False))
    check(r.status in (400, 403, 404), f"creating a change for another tenant: {r.status} "
          f"{short(r.body)}")
    eq(to_json(ctx.get_change(theirs["id"])), to_json(theirs), "other tenant's change untouched")


@t("HTTP/1.1 keep-alive: several requests on one connection")
def _(ctx):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", ctx.server.port, timeout=10)
    try:
        for _ in range(3):
            conn.request("GET", "/api/v1/clients",
                         headers={"Authorization": f"Bearer {ctx.server.token}"})
            r = conn.getresponse()
            body = r.read()
            eq(r.status, 200, f"status on a kept-alive connection ({short(body)})")
        conn.request("POST", "/api/v1/clients", body=b"{bad",
                     headers={"Authorization": f"Bearer {ctx.server.token}",
                              "Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        eq(r.status, 400, "malformed body on a kept-alive connection")
        conn.request("GET", "/healthz")
        r = conn.getresponse()
        r.read()
        eq(r.status, 200, "request after an error on the same connection")
    finally:
        conn.close()
