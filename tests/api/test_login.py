"""Authentication: passwords and browser sessions (cookie + CSRF), log-in rate limiting,
API tokens (expiry, revocation through the API and the CLI), TLS, and no secrets in logs.

The cases share one server, so their order matters in one place: every failed log-in
counts against 127.0.0.1, and the per-address lockout case runs last among them."""

import http.client
import os
import re
import socket
import sqlite3
import ssl
import subprocess
import time

from harness import (Api, Failure, Module, Server, check, eq, expect_problem, expect_status,
                     run_cli, sanitizer_env, sanitizer_findings, short, unique)

MODULE = Module("login")
t = MODULE.test

PASSWORD = "correct horse battery"
WINDOW_S = 15 * 60


# ---- helpers ---------------------------------------------------------------------------


def secrets(ctx):
    """Every secret this module handled; the no-secrets-in-logs case looks for them."""
    return ctx.store.setdefault("secrets", set())


def cli_stdin(ctx, args, stdin):
    env = sanitizer_env()
    p = subprocess.run([ctx.binary] + args, input=stdin.encode(), capture_output=True, env=env,
                       timeout=60)
    out, err = p.stdout.decode(), p.stderr.decode()
    ctx.log.append(f"greenlight {' '.join(args)} -> rc {p.returncode}, stderr {short(err, 300)}")
    found = sanitizer_findings(err)
    check(not found, f"`greenlight {' '.join(args)}` reported {found}: {short(err, 1500)}")
    ctx.store.setdefault("cli_stderr", []).append(err)
    return p.returncode, out, err


def add_user(ctx, name=None, password=PASSWORD, role_args=("--role", "requester"), token=False):
    """Creates a user with a password (from stdin); returns (name, token or None)."""
    name = name or unique("u")
    args = ["user", "add", name, *role_args, "--password", "--db", ctx.server.db]
    if token:
        args.append("--token")
    rc, out, err = cli_stdin(ctx, args, password + "\n")
    eq(rc, 0, f"user add --password: {short(err)}")
    secrets(ctx).add(password)
    tok = out.strip() or None
    if token:
        check(tok and tok.startswith("glt_") and "\n" not in tok,
              f"--token should print the token alone, printed {out!r}")
        secrets(ctx).add(tok)
    else:
        eq(out, "", "stdout of user add without --token")
    return name, tok


def login(ctx, user, password=PASSWORD, api=None):
    api = api or ctx.api
    return api.post("/api/v1/session", {"user": user, "password": password}, token=None)


class Session:
    """A logged-in browser: the cookie and the CSRF token."""

    def __init__(self, ctx, resp):
        expect_status(resp, 201, "log-in")
        self.set_cookie = resp.header("Set-Cookie") or ""
        m = re.match(r"gl_session=([^;]+)", self.set_cookie)
        check(m, f"log-in should set the gl_session cookie, Set-Cookie: {self.set_cookie!r}")
        self.cookie = m.group(1)
        self.csrf = resp.json.get("csrf_token")
        check(isinstance(self.csrf, str) and len(self.csrf) >= 32,
              f"log-in should return a csrf_token: {short(resp.body)}")
        secrets(ctx).add(self.cookie)
        self.api = ctx.api
        self.body = resp.json

    def call(self, method, path, body=None, csrf=True, csrf_value=None):
        headers = {"Cookie": f"gl_session={self.cookie}"}
        if csrf:
            headers["X-CSRF-Token"] = csrf_value or self.csrf
        kw = {"headers": headers, "token": None}
        if body is not None:
            kw["body"] = body
        return self.api.request(method, path, **kw)


def logged_in(ctx, **kw):
    name, _ = add_user(ctx, **kw)
    return name, Session(ctx, login(ctx, name))


def db_exec(ctx, sql, params=()):
    con = sqlite3.connect(ctx.server.db, timeout=10)
    try:
        con.execute(sql, params)
        con.commit()
    finally:
        con.close()


def cookie_attrs(set_cookie):
    return {p.strip().split("=")[0].lower() for p in set_cookie.split(";")[1:]}


# ---- log-in and sessions ---------------------------------------------------------------


@t("user add --password reads stdin; log-in answers 201 with an HttpOnly SameSite=Strict "
   "cookie and a CSRF token")
def _(ctx):
    name, _ = add_user(ctx, role_args=("--admin",))
    r = login(ctx, name)
    s = Session(ctx, r)
    attrs = cookie_attrs(s.set_cookie)
    for a in ("httponly", "samesite", "path"):
        check(a in attrs, f"cookie lacks {a}: {s.set_cookie!r}")
    check("samesite=strict" in s.set_cookie.lower().replace(" ", ""),
          f"cookie should be SameSite=Strict: {s.set_cookie!r}")
    check("secure" not in attrs, f"plain HTTP cookie should not be Secure: {s.set_cookie!r}")
    eq(r.json["user"]["name"], name, "user in the log-in answer")
    check(PASSWORD not in r.body.decode() and s.cookie not in r.body.decode(),
          "the log-in body must not echo the password or the cookie")
    g = s.call("GET", "/api/v1/session", csrf=False)
    expect_status(g, 200, "who am I")
    eq(g.json["user"]["name"], name, "GET /session user")
    eq(g.json["auth"], "session", "GET /session auth")
    eq(g.json["csrf_token"], s.csrf, "GET /session csrf_token")
    expect_status(s.call("GET", "/api/v1/changes", csrf=False), 200, "read with the cookie")


@t("wrong password and unknown user get the same 401; a user without a password cannot log in")
def _(ctx):
    name, _ = add_user(ctx)
    wrong = login(ctx, name, "not the password")
    unknown = login(ctx, unique("ghost"), "not the password")
    p1 = expect_problem(wrong, 401, "/problems/unauthorized")
    p2 = expect_problem(unknown, 401, "/problems/unauthorized")
    eq(p1["detail"], p2["detail"], "unknown user and wrong password give the same detail")
    check(wrong.header("Set-Cookie") is None, "a failed log-in sets no cookie")
    nopw = unique("nopw")
    tok = ctx.server.make_token(nopw, ["--role", "requester"])
    secrets(ctx).add(tok)
    expect_status(ctx.api.get("/api/v1/session", token=tok), 200, "token user: who am I")
    expect_problem(login(ctx, nopw, "any password at all"), 401, "/problems/unauthorized",
                   what="a user without a password")
    # malformed bodies are 400, not 401
    r = ctx.api.post("/api/v1/session", {"user": name}, token=None)
    expect_problem(r, 400, "/problems/invalid-input", field="password")
    r = ctx.api.post("/api/v1/session", {"user": name, "password": PASSWORD, "x": 1}, token=None)
    expect_problem(r, 400, "/problems/invalid-input", field="x")


@t("CSRF: a cookie-authenticated write without or with a wrong X-CSRF-Token is 403 and "
   "changes nothing; with the token it works; Bearer writes need none")
def _(ctx):
    _, s = logged_in(ctx, role_args=("--admin",))
    key = unique("csrf")
    body = {"key": key, "name": "CSRF test", "timezone": "UTC"}
    r = s.call("POST", "/api/v1/clients", body, csrf=False)
    expect_problem(r, 403, "/problems/forbidden")
    r = s.call("POST", "/api/v1/clients", body, csrf_value="A" * len(s.csrf))
    expect_problem(r, 403, "/problems/forbidden")
    expect_problem(ctx.api.get(f"/api/v1/clients/{key}"), 404, "/problems/not-found")
    expect_status(s.call("POST", "/api/v1/clients", body), 201, "write with the CSRF token")
    r = ctx.api.post("/api/v1/clients", {"key": unique("bearer"), "name": "B", "timezone": "UTC"})
    expect_status(r, 201, "bearer write without a CSRF token")


@t("log-out needs the CSRF token, expires the cookie and ends the session")
def _(ctx):
    _, s = logged_in(ctx)
    expect_problem(s.call("DELETE", "/api/v1/session", csrf=False), 403, "/problems/forbidden")
    r = s.call("DELETE", "/api/v1/session")
    expect_status(r, 204, "log-out")
    sc = r.header("Set-Cookie") or ""
    check(sc.startswith("gl_session=;") and "max-age=0" in sc.lower(),
          f"log-out should expire the cookie: {sc!r}")
    expect_problem(s.call("GET", "/api/v1/session", csrf=False), 401, "/problems/unauthorized")
    expect_problem(s.call("GET", "/api/v1/changes", csrf=False), 401, "/problems/unauthorized")


@t("an expired session is refused with 401")
def _(ctx):
    _, s = logged_in(ctx)
    expect_status(s.call("GET", "/api/v1/session", csrf=False), 200, "fresh session")
    db_exec(ctx, "UPDATE sessions SET expires_at = ? WHERE id = (SELECT max(id) FROM sessions)",
            (int(time.time()) - 1,))
    expect_problem(s.call("GET", "/api/v1/session", csrf=False), 401, "/problems/unauthorized")


@t("`user passwd` (stdin) ends open sessions; the new password logs in, the old one not")
def _(ctx):
    name, s = logged_in(ctx)
    rc, out, err = cli_stdin(ctx, ["user", "passwd", name, "--db", ctx.server.db],
                             "another long password\n")
    eq(rc, 0, f"user passwd: {short(err)}")
    secrets(ctx).add("another long password")
    expect_problem(s.call("GET", "/api/v1/session", csrf=False), 401, "/problems/unauthorized")
    expect_problem(login(ctx, name), 401, "/problems/unauthorized")
    Session(ctx, login(ctx, name, "another long password"))
    rc, _, err = cli_stdin(ctx, ["user", "passwd", name, "--db", ctx.server.db], "short\n")
    check(rc != 0, "a password under 8 characters should be refused")
    rc, _, err = cli_stdin(ctx, ["user", "passwd", unique("nobody"), "--db", ctx.server.db],
                           "long enough pw\n")
    eq(rc, 1, "passwd of an unknown user")


# ---- API tokens ------------------------------------------------------------------------


@t("POST /api/v1/tokens shows a token once; GET lists it without secret; it authenticates")
def _(ctx):
    name, s = logged_in(ctx)
    r = s.call("POST", "/api/v1/tokens", {"expires_days": 30})
    expect_status(r, 201, "create token")
    tok = r.json.get("token")
    check(isinstance(tok, str) and tok.startswith("glt_"), f"token in body: {short(r.body)}")
    secrets(ctx).add(tok)
    check(r.json.get("expires_at"), "expires_at set for expires_days")
    lst = s.call("GET", "/api/v1/tokens", csrf=False)
    expect_status(lst, 200, "list tokens")
    eq([i["id"] for i in lst.json["items"]], [r.json["id"]], "own tokens listed")
    check(tok not in lst.body.decode() and "hash" not in lst.body.decode(),
          f"the list must not carry the token or its hash: {short(lst.body)}")
    g = ctx.api.get("/api/v1/session", token=tok)
    expect_status(g, 200, "the new token authenticates")
    eq(g.json["user"]["name"], name, "token's user")
    eq(g.json["auth"], "token", "auth kind")
    check("csrf_token" not in g.json, "a token caller has no CSRF token")
    r = s.call("POST", "/api/v1/tokens", {"expires_days": 0})
    expect_problem(r, 400, "/problems/invalid-input", field="expires_days")


@t("revoking a token through the API refuses it at once (despite the token cache)")
def _(ctx):
    _, tok = add_user(ctx, token=True)
    api = ctx.api.with_token(tok)
    expect_status(api.get("/api/v1/changes"), 200, "token works (and is now cached)")
    lst = api.get("/api/v1/tokens")
    tid = lst.json["items"][0]["id"]
    r = api.request("DELETE", f"/api/v1/tokens/{tid}")
    expect_status(r, 204, "revoke own token")
    expect_problem(api.get("/api/v1/changes"), 401, "/problems/unauthorized")
    lst = ctx.api.get("/api/v1/tokens")  # admin's own list does not show it
    check(tid not in [i["id"] for i in lst.json["items"]], "tokens of others are not listed")


@t("a user cannot revoke another user's token (404); an admin can, effective at once")
def _(ctx):
    _, tok_a = add_user(ctx, token=True)
    _, tok_b = add_user(ctx, token=True)
    a, b = ctx.api.with_token(tok_a), ctx.api.with_token(tok_b)
    tid_b = b.get("/api/v1/tokens").json["items"][0]["id"]
    expect_problem(a.request("DELETE", f"/api/v1/tokens/{tid_b}"), 404, "/problems/not-found")
    expect_status(b.get("/api/v1/changes"), 200, "b's token still works")
    expect_status(ctx.api.request("DELETE", f"/api/v1/tokens/{tid_b}"), 204, "admin revokes")
    expect_problem(b.get("/api/v1/changes"), 401, "/problems/unauthorized")
    expect_problem(ctx.api.request("DELETE", "/api/v1/tokens/999999"), 404, "/problems/not-found")
    expect_problem(ctx.api.request("DELETE", "/api/v1/tokens/abc"), 404, "/problems/not-found")


@t("an expired token is refused with 401 (expires_at in the past)")
def _(ctx):
    name, _ = add_user(ctx)
    r = run_cli(ctx.binary, ["user", "token", name, "--expires-days", "1", "--db", ctx.server.db])
    eq(r.returncode, 0, f"user token: {short(r.stderr)}")
    tok = r.stdout.strip()
    secrets(ctx).add(tok)
    db_exec(ctx, "UPDATE api_tokens SET expires_at = ? WHERE id = (SELECT max(id) FROM "
            "api_tokens)", (int(time.time()) - 1,))
    expect_problem(ctx.api.get("/api/v1/changes", token=tok), 401, "/problems/unauthorized")
    lst = ctx.api.get("/api/v1/session", token=ctx.server.token)
    expect_status(lst, 200, "other tokens unaffected")


@t("`greenlight user revoke-token ID` revokes on the database")
def _(ctx):
    _, tok = add_user(ctx, token=True)
    api = ctx.api.with_token(tok)
    tid = api.get("/api/v1/tokens").json["items"][0]["id"]
    r = run_cli(ctx.binary, ["user", "revoke-token", str(tid), "--db", ctx.server.db])
    eq(r.returncode, 0, f"revoke-token: {short(r.stderr)}")
    deadline = time.monotonic() + 7  # the server's cache may hold it for up to 5 s
    while api.get("/api/v1/changes").status != 401:
        check(time.monotonic() < deadline, "a token revoked by the CLI still works after 7 s")
        time.sleep(0.5)
    r = run_cli(ctx.binary, ["user", "revoke-token", "999999", "--db", ctx.server.db])
    eq(r.returncode, 1, "revoke-token of an unknown id")


# ---- brute force -----------------------------------------------------------------------


@t("brute force per account: after 5 failures 429 with Retry-After, even for the right "
   "password; other accounts unaffected")
def _(ctx):
    name, _ = add_user(ctx)
    other, _ = add_user(ctx)
    for i in range(5):
        expect_problem(login(ctx, name, f"guess-{i}-xx"), 401, "/problems/unauthorized",
                       what=f"failure {i + 1}")
    r = login(ctx, name)
    expect_problem(r, 429, "/problems/rate-limited", what="right password while locked")
    ra = r.header("Retry-After")
    check(ra and ra.isdigit() and 0 < int(ra) <= WINDOW_S, f"Retry-After: {ra!r}")
    check(r.header("Set-Cookie") is None, "no session while locked")
    Session(ctx, login(ctx, other))
    # the administrator lifts the lockout by setting a new password
    rc, _, err = cli_stdin(ctx, ["user", "passwd", name, "--db", ctx.server.db], PASSWORD + "\n")
    eq(rc, 0, f"user passwd: {short(err)}")
    Session(ctx, login(ctx, name))


@t("no token, password or cookie appears in the server's or the CLI's stderr")
def _(ctx):
    check(secrets(ctx), "the module handled no secrets?")
    server_log = ctx.server.stderr_text()
    cli_logs = "\n".join(ctx.store.get("cli_stderr", []))
    check(cli_logs, "no CLI stderr was collected")
    for sec in secrets(ctx):
        check(sec not in server_log, f"a secret ({sec[:4]}...) appears in the server's stderr")
        check(sec not in cli_logs, f"a secret ({sec[:4]}...) appears in the CLI's stderr")


@t("brute force per address: at most 20 failures from one address, then 429 for every "
   "account (runs last: it locks 127.0.0.1 out)")
def _(ctx):
    name, _ = add_user(ctx)
    seen = None
    for i in range(25):
        r = login(ctx, unique("nobody"), "wrong-password")
        if r.status == 429:
            seen = i
            break
        expect_problem(r, 401, "/problems/unauthorized", what=f"attempt {i + 1}")
    check(seen is not None, "25 failed log-ins from one address were never rate-limited")
    r = login(ctx, name)
    expect_problem(r, 429, "/problems/rate-limited", what="a fresh account from a locked address")
    check((r.header("Retry-After") or "").isdigit(), "Retry-After on the address lockout")


# ---- TLS -------------------------------------------------------------------------------


class TlsServer(Server):
    """A server with --tls-cert/--tls-key; health is checked over HTTPS."""

    def __init__(self, binary, cert, key, ssl_ctx):
        super().__init__(binary, "tls", ["--tls-cert", cert, "--tls-key", key])
        self.ssl_ctx = ssl_ctx

    def https(self, method, path, body=None, headers=None):
        conn = http.client.HTTPSConnection("localhost", self.port, context=self.ssl_ctx,
                                           timeout=15)
        conn.connect = _connect_to_loopback(conn)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.getheaders(), r.read()
        finally:
            conn.close()

    def _wait_healthy(self):
        deadline = time.monotonic() + 15
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Failure(f"TLS server exited {self.proc.returncode}: "
                              f"{short(self.stderr_text(), 1500)}")
            try:
                status, _, _ = self.https("GET", "/healthz")
                if status == 200:
                    return
            except (OSError, ssl.SSLError) as e:
                last = e
            time.sleep(0.1)
        raise Failure(f"no HTTPS health within 15 s: {last!r}; {short(self.stderr_text(), 1500)}")


def _connect_to_loopback(conn):
    """Connects to 127.0.0.1 but verifies the certificate for the name 'localhost'."""
    def connect():
        sock = socket.create_connection(("127.0.0.1", conn.port), conn.timeout)
        conn.sock = conn._context.wrap_socket(sock, server_hostname="localhost")
    return connect


@t("TLS: serve --tls-cert/--tls-key answers HTTPS (verified), the cookie is Secure, plain "
   "HTTP is refused")
def _(ctx):
    tmp = ctx.server.tmp
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out",
                        cert], capture_output=True, timeout=60)
    eq(p.returncode, 0, f"openssl req: {short(p.stderr)}")
    sctx = ssl.create_default_context(cafile=cert)
    srv = TlsServer(ctx.binary, cert, key, sctx)
    try:
        srv.start()
        name = unique("tls")
        r = subprocess.run([ctx.binary, "user", "add", name, "--role", "requester", "--password",
                            "--db", srv.db], input=(PASSWORD + "\n").encode(),
                           capture_output=True, env=sanitizer_env(), timeout=60)
        eq(r.returncode, 0, f"user add: {short(r.stderr)}")
        status, headers, body = srv.https(
            "POST", "/api/v1/session", body=f'{{"user":"{name}","password":"{PASSWORD}"}}',
            headers={"Content-Type": "application/json"})
        eq(status, 201, f"HTTPS log-in: {short(body)}")
        sc = dict((k.lower(), v) for k, v in headers).get("set-cookie", "")
        check("secure" in cookie_attrs(sc), f"cookie over TLS should be Secure: {sc!r}")
        hsts = dict((k.lower(), v) for k, v in headers).get("strict-transport-security")
        check(hsts, "HTTPS answers carry Strict-Transport-Security")
        status, _, _ = srv.https("GET", "/api/v1/changes",
                                 headers={"Authorization": f"Bearer {srv.token}"})
        eq(status, 200, "bearer over HTTPS")
        plain = Api("127.0.0.1", srv.port, srv.token, ctx.log)
        try:
            r = plain.get("/healthz", timeout=3)
            check(r.status >= 400, f"plain HTTP to the TLS port answered {r.status}")
        except Failure:
            pass  # no HTTP answer at all: what we want
        rc, err = srv.stop()
        check(rc == 0 and not sanitizer_findings(err), f"TLS server stop: rc {rc}, "
              f"{short(err[-2000:], 2000)}")
        check("BEGIN" not in err and "PRIVATE" not in err, "key material in the server's stderr")
    finally:
        srv.cleanup()
