"""Health, authentication and the problem format shared by every error."""

from harness import Module, check, eq, expect_problem, expect_status, short

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
