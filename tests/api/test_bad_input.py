"""Bad input of every kind: each gets a precise 4xx problem, never a crash, and nothing
already stored changes (checked after every case against a baseline snapshot)."""

import json

from harness import Failure, Module, check, eq, expect_problem, expect_status, short, to_json

MODULE = Module("bad_input")
t = MODULE.test

MiB = 1024 * 1024
INVALID = "/problems/invalid-input"


def baseline(ctx):
    """Creates (once) a client, a CI and two changes, and remembers their exact JSON."""
    b = ctx.store.get("baseline")
    if b is None:
        c = ctx.make_client()
        ci = ctx.make_ci(c["key"])
        ctx.store.setdefault("_default_ci", {})[c["key"]] = ci["id"]
        ch = ctx.make_change(c["key"], cis=[ci["id"]], description="baseline")
        ch2 = ctx.make_change(c["key"], type_="emergency", incidents=["INC-7"])
        ctx.act(ch2["id"], "submit")
        b = {"client": c["key"], "ci": ci["id"], "change": ch["id"], "change2": ch2["id"]}
        ctx.store["baseline"] = b
        ctx.store["snapshot"] = snapshot(ctx)
    return b


def snapshot(ctx):
    b = ctx.store["baseline"]
    snap = {}
    for name, path in (("client", f"/api/v1/clients/{b['client']}"),
                       ("ci", f"/api/v1/cis/{b['ci']}"),
                       ("change", f"/api/v1/changes/{b['change']}"),
                       ("change2", f"/api/v1/changes/{b['change2']}"),
                       ("timeline", f"/api/v1/changes/{b['change']}/timeline"),
                       ("timeline2", f"/api/v1/changes/{b['change2']}/timeline"),
                       ("clients", "/api/v1/clients"),
                       ("changes", "/api/v1/changes?limit=200"),
                       ("cis", "/api/v1/cis?limit=200")):
        r = ctx.api.get(path)
        expect_status(r, 200, f"snapshot {name}")
        snap[name] = to_json(r.json)
    return snap


def unchanged(ctx):
    """Asserts that nothing stored moved since the baseline was taken."""
    now = snapshot(ctx)
    for k, v in ctx.store["snapshot"].items():
        if now[k] != v:
            raise Failure(f"stored data changed after bad input: {k}\n"
                                 f"  before: {short(v, 600)}\n  after:  {short(now[k], 600)}")


def post_raw(ctx, path, raw, **kw):
    return ctx.api.post(path, raw=raw, **kw)


def valid_create(ctx):
    return ctx.change_body(baseline(ctx)["client"])


def case(name):
    """Registers a bad-input case: it runs with the baseline in place and is followed by the
    check that nothing stored changed."""
    def deco(fn):
        def run(ctx):
            b = baseline(ctx)
            fn(ctx, b)
            unchanged(ctx)
        MODULE.test(name + " (stored data unchanged)")(run)
        return fn
    return deco


# ---------------------------------------------------------------------------- JSON syntax


@case("malformed JSON on create -> 400 invalid-input")
def _(ctx, b):
    r = post_raw(ctx, "/api/v1/changes", b'{"client": "x", "type": "normal", "title": ')
    expect_problem(r, 400, INVALID)


@case("malformed JSON on PATCH -> 400 invalid-input")
def _(ctx, b):
    r = ctx.api.patch(f"/api/v1/changes/{b['change']}", raw=b"{title: 'x'}", if_match='"1"')
    expect_problem(r, 400, INVALID)


@case("trailing garbage after the JSON object -> 400")
def _(ctx, b):
    raw = json.dumps(valid_create(ctx)).encode() + b" xyz"
    expect_problem(post_raw(ctx, "/api/v1/changes", raw), 400, INVALID)


@case("JSON array instead of an object -> 400")
def _(ctx, b):
    raw = json.dumps([valid_create(ctx)]).encode()
    expect_problem(post_raw(ctx, "/api/v1/changes", raw), 400, INVALID)
    r = ctx.api.patch(f"/api/v1/changes/{b['change']}", raw=b'["title"]', if_match='"1"')
    expect_problem(r, 400, INVALID)


@case("JSON scalars (null, 42, \"s\") instead of an object -> 400")
def _(ctx, b):
    for raw in (b"null", b"42", b'"string"', b"true"):
        expect_problem(post_raw(ctx, "/api/v1/changes", raw), 400, INVALID, what=raw.decode())


@case("empty body on create -> 400")
def _(ctx, b):
    expect_problem(post_raw(ctx, "/api/v1/changes", b""), 400, INVALID)
    expect_problem(ctx.api.post("/api/v1/changes"), 400, INVALID, what="no body at all")


@case("deeply nested JSON (100000 levels) -> 400, no crash")
def _(ctx, b):
    raw = b'{"title": ' + b"[" * 100000 + b"]" * 100000 + b"}"
    expect_problem(post_raw(ctx, "/api/v1/changes", raw), 400, INVALID)


@case("non-UTF-8 bytes in a JSON string -> 400")
def _(ctx, b):
    body = json.dumps(valid_create(ctx)).encode().replace(b'"Change ', b'"Chang\xff\xfe ')
    check(b"\xff" in body, "test setup: invalid byte inserted")
    expect_problem(post_raw(ctx, "/api/v1/changes", body), 400, INVALID)


@case("non-UTF-8 bytes in a PATCH -> 400")
def _(ctx, b):
    r = ctx.api.patch(f"/api/v1/changes/{b['change']}", raw=b'{"title": "caf\xe9"}',
                      if_match='"1"')
    expect_problem(r, 400, INVALID)


@case("overlong UTF-8 / lone surrogate escapes -> 400")
def _(ctx, b):
    for raw in (b'{"title": "\xc0\xaf"}', b'{"title": "\xed\xa0\x80"}',
                b'{"title": "\\ud800"}'):
        r = ctx.api.patch(f"/api/v1/changes/{b['change']}", raw=raw, if_match='"1"')
        expect_problem(r, 400, INVALID, what=repr(raw))


@case("NUL escape (\\u0000) in a string -> 400")
def _(ctx, b):
    r = ctx.api.patch(f"/api/v1/changes/{b['change']}", raw=b'{"title": "a\\u0000b"}',
                      if_match='"1"')
    expect_problem(r, 400, INVALID)


# ---------------------------------------------------------------------------- types and fields


@case("wrong types: title 5, cis \"x\", rollback_tested \"yes\", incidents [1] -> 400 field")
def _(ctx, b):
    for field, value in (("title", 5), ("cis", "CI-000001"), ("rollback_tested", "yes"),
                         ("incidents", [1]), ("description", {"a": 1}),
                         ("related_changes", "CHG-000001"), ("planned_start", 1767225600),
                         ("title", None)):
        body = valid_create(ctx)
        body[field] = value
        r = ctx.api.post("/api/v1/changes", body)
        expect_problem(r, 400, INVALID, field=field, what=f"{field}={value!r}")


@case("wrong type on PATCH (title 5) -> 400 field title")
def _(ctx, b):
    r = ctx.api.patch(f"/api/v1/changes/{b['change']}", {"title": 5}, if_match='"1"')
    expect_problem(r, 400, INVALID, field="title")


@case("unknown field -> 400 naming it")
def _(ctx, b):
    body = valid_create(ctx)
    body["colour"] = "blue"
    expect_problem(ctx.api.post("/api/v1/changes", body), 400, INVALID, field="colour")
    r = ctx.api.patch(f"/api/v1/changes/{b['change']}", {"priority": 1}, if_match='"1"')
    expect_problem(r, 400, INVALID, field="priority")


@case("unknown enum value type \"urgent\" -> 400 field type")
def _(ctx, b):
    body = valid_create(ctx)
    body["type"] = "urgent"
    expect_problem(ctx.api.post("/api/v1/changes", body), 400, INVALID, field="type")
    body["type"] = "Normal"
    expect_problem(ctx.api.post("/api/v1/changes", body), 400, INVALID, field="type",
                   what="enum values are case-sensitive")


@case("missing required fields (client, type, title) -> 400 naming each")
def _(ctx, b):
    for field in ("client", "type", "title"):
        body = valid_create(ctx)
        del body[field]
        expect_problem(ctx.api.post("/api/v1/changes", body), 400, INVALID, field=field,
                       what=f"without {field}")


@case("empty title -> 400 field title")
def _(ctx, b):
    for v in ("",):
        body = valid_create(ctx)
        body["title"] = v
        expect_problem(ctx.api.post("/api/v1/changes", body), 400, INVALID, field="title",
                       what=repr(v))


@case("invalid times -> 400 naming the field")
def _(ctx, b):
    for v in ("2026-13-01T00:00:00Z", "2026-02-30T10:00:00Z", "2026-12-01T25:00:00Z",
              "yesterday", "2026-12-01", "2026-12-01T00:00:00", ""):
        body = valid_create(ctx)
        body["planned_start"] = v
        expect_problem(ctx.api.post("/api/v1/changes", body), 400, INVALID,
                       field="planned_start", what=repr(v))
    r = ctx.api.patch(f"/api/v1/changes/{b['change']}",
                      {"planned_end": "2026-13-01T00:00:00Z"}, if_match='"1"')
    expect_problem(r, 400, INVALID, field="planned_end")


@case("reversed or empty planned window -> 400 naming planned_end/planned_start")
def _(ctx, b):
    body = valid_create(ctx)
    body.update(planned_start="2026-12-05T23:00:00Z", planned_end="2026-12-05T22:00:00Z")
    expect_problem(ctx.api.post("/api/v1/changes", body), 400, INVALID,
                   fields=("planned_end", "planned_start"))
    body.update(planned_start="2026-12-05T23:00:00Z", planned_end="2026-12-05T23:00:00Z")
    expect_problem(ctx.api.post("/api/v1/changes", body), 400, INVALID,
                   fields=("planned_end", "planned_start"), what="zero-length window")
    # PATCH only the end so that it falls before the stored start
    r = ctx.api.patch(f"/api/v1/changes/{b['change']}",
                      {"planned_end": "2026-12-05T21:00:00Z"}, if_match='"1"')
    expect_problem(r, 400, INVALID, fields=("planned_end", "planned_start"))


@case("huge and negative numbers -> 400 (naming the field where the value parsed)")
def _(ctx, b):
    # Integers beyond 64 bits fail in the JSON parser itself, which cannot name the member;
    # values that parse but break a rule must name it.
    for raw, field in ((b"99999999999999999999", None), (b"1e400", None), (b"-5", "notice_hours"),
                       (b"4.5", "notice_hours"), (b'"12"', "notice_hours")):
        r = ctx.api.patch(f"/api/v1/clients/{b['client']}",
                          raw=b'{"notice_hours": ' + raw + b"}", if_match='"1"')
        expect_problem(r, 400, INVALID, field=field, what=raw.decode())
    for raw, field in ((b"99999999999999999999", None), (b"-1", "users_affected"),
                       (b"1e3", "users_affected")):
        r = ctx.api.patch(f"/api/v1/cis/{b['ci']}", raw=b'{"users_affected": ' + raw + b"}",
                          if_match='"1"')
        expect_problem(r, 400, INVALID, field=field, what=raw.decode())


# ---------------------------------------------------------------------------- size and media


@case("body of 1 MiB + 1 byte -> 413 too-large")
def _(ctx, b):
    body = valid_create(ctx)
    body["description"] = ""
    base = len(json.dumps(body).encode())
    body["description"] = "d" * (MiB + 1 - base)
    raw = json.dumps(body).encode()
    eq(len(raw), MiB + 1, "test setup: body size")
    expect_problem(post_raw(ctx, "/api/v1/changes", raw), 413, "/problems/too-large")


@case("body of 1 MiB + 1 on PATCH -> 413 too-large")
def _(ctx, b):
    prefix, suffix = b'{"description": "', b'"}'
    raw = prefix + b"d" * (MiB + 1 - len(prefix) - len(suffix)) + suffix
    r = ctx.api.patch(f"/api/v1/changes/{b['change']}", raw=raw, if_match='"1"')
    expect_problem(r, 413, "/problems/too-large")


@case("chunked body over 1 MiB (no Content-Length) -> 413 too-large")
def _(ctx, b):
    body = valid_create(ctx)
    body["description"] = "d" * (2 * MiB)
    raw = json.dumps(body).encode()
    expect_problem(ctx.api.post("/api/v1/changes", raw=raw, chunked=True), 413,
                   "/problems/too-large")


@case("Content-Length announcing 5 MiB -> 413 too-large")
def _(ctx, b):
    raw = b'{"title": "x"}'
    r = ctx.api.post("/api/v1/changes", raw=raw + b" " * 1000,
                     headers={"Content-Length": str(5 * MiB)}, timeout=5)
    expect_problem(r, 413, "/problems/too-large")


@case("body of exactly 1 MiB is not refused as too large")
def _(ctx, b):
    prefix, suffix = b'{"description": "', b'"}'
    raw = prefix + b"d" * (MiB - len(prefix) - len(suffix)) + suffix
    eq(len(raw), MiB, "test setup: body size")
    r = ctx.api.patch(f"/api/v1/changes/{b['change']}", raw=raw, if_match='"99"')
    # The body is within the limit, so the request is judged on its content: If-Match "99"
    # is stale (409), or a length rule on description refuses it (400). Never 413 or 5xx.
    expect_problem(r, (400, 409), {400: INVALID, 409: "/problems/stale-version"})


@case("Content-Type text/plain -> 415 unsupported-media-type")
def _(ctx, b):
    raw = json.dumps(valid_create(ctx)).encode()
    r = post_raw(ctx, "/api/v1/changes", raw, content_type="text/plain")
    expect_problem(r, 415, "/problems/unsupported-media-type")
    r = ctx.api.patch(f"/api/v1/changes/{b['change']}", raw=b'{"title": "t"}',
                      content_type="application/x-www-form-urlencoded", if_match='"1"')
    expect_problem(r, 415, "/problems/unsupported-media-type")


@case("Content-Type application/json; charset=utf-8 is accepted")
def _(ctx, b):
    # deliberately targets a throw-away client so the baseline stays untouched
    c = ctx.make_client()
    body = ctx.change_body(c["key"])
    r = post_raw(ctx, "/api/v1/changes", json.dumps(body).encode(),
                 content_type="application/json; charset=utf-8")
    expect_status(r, 201)
    ctx.store["snapshot"] = snapshot(ctx)  # the global list legitimately grew


# ---------------------------------------------------------------------------- routes, methods


@case("unknown routes -> 404 not-found problem")
def _(ctx, b):
    for path in ("/api/v1/nope", "/api/v2/changes", "/api/v1/changes/CHG-000001/timeline/x",
                 "/api/v1/", "/api/v1/changes/1/2/3/4", "/api/v1/clients/x/y"):
        expect_problem(ctx.api.get(path), 404, "/problems/not-found", what=path)
    expect_problem(ctx.api.post("/api/v1/nope", {"a": 1}), 404, "/problems/not-found")


@case("wrong method -> 405 method-not-allowed with an Allow header")
def _(ctx, b):
    cases = (("DELETE", "/api/v1/changes", {"GET", "POST"}),
             ("PUT", f"/api/v1/changes/{b['change']}", {"GET", "PATCH"}),
             ("DELETE", f"/api/v1/changes/{b['change']}", {"GET", "PATCH"}),
             ("PATCH", "/api/v1/clients", {"GET", "POST"}),
             ("POST", f"/api/v1/clients/{b['client']}", {"GET", "PATCH"}),
             ("DELETE", "/api/v1/cis", {"GET", "POST"}))
    for method, path, want in cases:
        if method == "DELETE":
            r = ctx.api.request(method, path, headers={"If-Match": '"1"'})
        else:
            r = ctx.api.request(method, path, body={"title": "x"}, headers={"If-Match": '"1"'})
        expect_problem(r, 405, "/problems/method-not-allowed", what=f"{method} {path}")
        allow = {m.strip().upper() for m in (r.header("Allow") or "").split(",") if m.strip()}
        check(want <= allow, f"{method} {path}: Allow should list {sorted(want)}, got "
              f"{r.header('Allow')!r}")


@case("unknown action -> 404 not-found")
def _(ctx, b):
    r = ctx.api.post(f"/api/v1/changes/{b['change']}/approve-everything")
    expect_problem(r, 404, "/problems/not-found")
    r = ctx.api.post(f"/api/v1/changes/{b['change']}/SUBMIT")
    expect_problem(r, 404, "/problems/not-found", what="action names are case-sensitive")


@case("huge, negative and non-numeric pagination values -> 400 field limit/cursor")
def _(ctx, b):
    for q, field in (("limit=0", "limit"), ("limit=-1", "limit"), ("limit=201", "limit"),
                     ("limit=99999999999999999999", "limit"), ("limit=abc", "limit"),
                     ("limit=%00", "limit"), ("cursor=-1", "cursor"),
                     ("cursor=%FF%FE", "cursor")):
        expect_problem(ctx.api.get("/api/v1/changes?" + q), 400, INVALID, field=field, what=q)


@case("non-UTF-8 bytes in the query string -> 400, no crash")
def _(ctx, b):
    for q in ("q=%FF%FE", "client=%C0%AF", "q=caf%E9"):
        r = ctx.api.get("/api/v1/changes?" + q)
        expect_problem(r, 400, INVALID, what=q)


@case("request with an absurdly long URL -> 4xx, no crash")
def _(ctx, b):
    r = ctx.api.get("/api/v1/changes?q=" + "a" * 70000)
    check(400 <= r.status < 500, f"70 KB URL: expected a 4xx, got {r.status} {short(r.body)}")


@case("missing token on a malformed request still answers 401 first")
def _(ctx, b):
    r = post_raw(ctx, "/api/v1/changes", b"{not json", token=None)
    expect_problem(r, 401, "/problems/unauthorized")


@case("the server is still healthy after all of the above")
def _(ctx, b):
    r = ctx.api.get("/healthz", token=None)
    expect_status(r, 200)
