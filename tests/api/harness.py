"""
harness.py - the small test harness of Greenlight's black-box API suite.

Only the Python standard library. It starts `greenlight serve` on a free loopback port with a
fresh database in a temporary directory, creates an admin token with
`greenlight user add admin --admin --token --db ...`, and speaks HTTP with raw sockets (so
that oversized or malformed bodies can be sent and the answer still read). Every call
returns a Response with .status, .headers, .body (bytes) and .json (parsed or None).

Test modules build a Module, register cases with @mod.test("name"), and receive a Context
(server, api client, fixture helpers). run.py prints TAP.
"""

import http.client
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse

SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")
HEALTH_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 20.0
HTTP_TIMEOUT_S = 15.0

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
CHG_IDENT = re.compile(r"^CHG-\d{6,}$")
CI_IDENT = re.compile(r"^CI-\d{6,}$")


# --------------------------------------------------------------------------------------------
# assertions


class Failure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def eq(got, want, what):
    if got != want:
        raise Failure(f"{what}: expected {want!r}, got {got!r}")


def one_of(got, allowed, what):
    if got not in allowed:
        raise Failure(f"{what}: expected one of {sorted(allowed, key=repr)!r}, got {got!r}")


def short(b, n=400):
    if b is None:
        return "None"
    if isinstance(b, (bytes, bytearray)):
        b = b.decode("utf-8", "replace")
    b = str(b).replace("\n", "\\n")
    return b if len(b) <= n else b[:n] + f"...({len(b)} chars)"


def expect_status(resp, status, what=""):
    if isinstance(status, int):
        status = (status,)
    if resp.status not in status:
        raise Failure(f"{what + ': ' if what else ''}{resp.method} {resp.path}: expected status "
                      f"{'/'.join(map(str, status))}, got {resp.status}; body {short(resp.body)}")
    return resp


def expect_problem(resp, status, ptype, field=None, fields=None, what=""):
    """Asserts an RFC 9457 problem response: status, Content-Type, type, status member,
    title and detail strings, and (when asked) the offending field. `status` may be a tuple
    of allowed statuses when the contract is ambiguous; `ptype` then may be a dict
    status -> type."""
    expect_status(resp, status, what)
    ctype = resp.header("Content-Type") or ""
    check(ctype.split(";")[0].strip().lower() == "application/problem+json",
          f"{resp.method} {resp.path}: problem Content-Type should be application/problem+json, "
          f"got {ctype!r}")
    p = resp.json
    check(isinstance(p, dict), f"{resp.method} {resp.path}: problem body is not a JSON object: "
          f"{short(resp.body)}")
    want_type = ptype[resp.status] if isinstance(ptype, dict) else ptype
    eq(p.get("type"), want_type, f"{resp.method} {resp.path}: problem type")
    eq(p.get("status"), resp.status, f"{resp.method} {resp.path}: problem status member")
    check(isinstance(p.get("title"), str) and p["title"],
          f"{resp.method} {resp.path}: problem lacks a title: {short(resp.body)}")
    check(isinstance(p.get("detail"), str) and p["detail"],
          f"{resp.method} {resp.path}: problem lacks a detail: {short(resp.body)}")
    if field is not None:
        eq(p.get("field"), field, f"{resp.method} {resp.path}: problem field (detail: "
           f"{p.get('detail')!r})")
    if fields is not None:
        one_of(p.get("field"), set(fields), f"{resp.method} {resp.path}: problem field (detail: "
               f"{p.get('detail')!r})")
    return p


# --------------------------------------------------------------------------------------------
# HTTP


class Response:
    def __init__(self, method, path, status, headers, body):
        self.method = method
        self.path = path
        self.status = status
        self.headers = headers  # list of (name, value)
        self.body = body
        self.json = None
        if body:
            try:
                self.json = json.loads(body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                self.json = None

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def __repr__(self):
        return f"<{self.method} {self.path} -> {self.status} {short(self.body, 200)}>"


_DEFAULT = object()


class Api:
    """HTTP client for one server. Each request uses its own connection."""

    def __init__(self, host, port, token=None, log=None):
        self.host = host
        self.port = port
        self.token = token
        self.log = log if log is not None else []

    def with_token(self, token):
        return Api(self.host, self.port, token, self.log)

    def request(self, method, path, body=_DEFAULT, raw=None, headers=None, token=_DEFAULT,
                content_type="application/json", chunked=False, timeout=HTTP_TIMEOUT_S):
        """body: a Python value sent as JSON; raw: bytes sent verbatim. Returns a Response;
        raises Failure when the server gives no HTTP answer at all."""
        if token is _DEFAULT:
            token = self.token
        data = None
        if raw is not None:
            data = raw
        elif body is not _DEFAULT:
            data = json.dumps(body).encode("utf-8")
        hdrs = {"Host": f"{self.host}:{self.port}", "Connection": "close",
                "Accept": "application/json"}
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        if data is not None and content_type is not None:
            hdrs["Content-Type"] = content_type
        if data is not None:
            if chunked:
                hdrs["Transfer-Encoding"] = "chunked"
            else:
                hdrs["Content-Length"] = str(len(data))
        elif method in ("POST", "PATCH", "PUT"):
            hdrs["Content-Length"] = "0"
        for k, v in (headers or {}).items():
            if v is None:
                hdrs.pop(k, None)
            else:
                hdrs[k] = v
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
        head = head.encode("latin-1") + b"\r\n"
        entry = f"{method} {path}"
        try:
            sock = socket.create_connection((self.host, self.port), timeout=timeout)
        except OSError as e:
            self.log.append(f"{entry} -> connect failed: {e}")
            raise Failure(f"{entry}: cannot connect to the server: {e}")
        try:
            send_error = None
            try:
                sock.sendall(head)
                if data is not None:
                    if chunked:
                        step = 65536
                        for i in range(0, len(data), step):
                            piece = data[i:i + step]
                            sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                        sock.sendall(b"0\r\n\r\n")
                    else:
                        sock.sendall(data)
            except OSError as e:  # the server may answer early (413) and stop reading
                send_error = e
            resp = http.client.HTTPResponse(sock, method=method)
            try:
                resp.begin()
                rbody = resp.read()
            except (OSError, http.client.HTTPException) as e:
                self.log.append(f"{entry} -> no response ({e!r}; send error {send_error!r})")
                raise Failure(f"{entry}: no HTTP response ({e!r}"
                              f"{'; send failed: ' + repr(send_error) if send_error else ''})")
            r = Response(method, path, resp.status, resp.getheaders(), rbody)
            self.log.append(f"{entry} -> {r.status} {short(rbody, 300)}")
            return r
        finally:
            sock.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=_DEFAULT, **kw):
        return self.request("POST", path, body=body, **kw)

    def patch(self, path, body=_DEFAULT, if_match=None, **kw):
        headers = dict(kw.pop("headers", {}) or {})
        if if_match is not None:
            headers["If-Match"] = if_match
        return self.request("PATCH", path, body=body, headers=headers, **kw)


def qs(**params):
    return urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})


# --------------------------------------------------------------------------------------------
# the server process


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sanitizer_env():
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    return env


def sanitizer_findings(text):
    return [m for m in SANITIZER_MARKERS if m in text]


class Server:
    """One `greenlight serve` with its own temporary directory and database."""

    def __init__(self, binary, name, extra_args=()):
        self.binary = os.path.abspath(binary)
        self.extra_args = list(extra_args)
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix=f"gl-api-{name}-")
        self.db = os.path.join(self.tmp, "greenlight.db")
        self.proc = None
        self.port = None
        self.token = None
        self.users = {}       # name -> token of users made by Context.user_api
        self.incidents = []   # crashes seen while tests ran: (rc, stderr tail)
        self.starts = 0
        self._stderr_path = None

    # -- process

    def _spawn(self):
        self.starts += 1
        self.port = free_port()
        self._stderr_path = os.path.join(self.tmp, f"serve-{self.starts}.stderr")
        stdout_path = os.path.join(self.tmp, f"serve-{self.starts}.stdout")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--db", self.db]
            + self.extra_args,
            stdin=subprocess.DEVNULL, stdout=open(stdout_path, "wb"),
            stderr=open(self._stderr_path, "wb"), env=sanitizer_env(), cwd=self.tmp)

    def stderr_text(self):
        try:
            with open(self._stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""

    def _wait_healthy(self):
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        last = "no attempt"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Failure(f"server exited with code {self.proc.returncode} before it was "
                              f"ready; stderr: {short(self.stderr_text(), 1500)}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                r = conn.getresponse()
                r.read()
                conn.close()
                if r.status == 200:
                    return
                last = f"status {r.status}"
            except OSError as e:
                last = repr(e)
            time.sleep(0.05)
        raise Failure(f"GET /healthz did not answer 200 within {HEALTH_TIMEOUT_S:.0f} s "
                      f"(last: {last}); stderr: {short(self.stderr_text(), 1500)}")

    def start(self):
        attempts = 0
        while True:
            attempts += 1
            self._spawn()
            try:
                self._wait_healthy()
                break
            except Failure:
                # another process may have taken the port between probe and bind: retry once
                if attempts < 2 and self.proc.poll() is not None and \
                        "addr" in self.stderr_text().lower():
                    continue
                self.kill()
                raise
        if self.token is None:
            self.token = self.make_token("admin", ["--admin"])

    def make_token(self, user, role_args):
        r = run_cli(self.binary, ["user", "add", user] + role_args + ["--token", "--db", self.db],
                    env_extra={}, timeout=30)
        if r.returncode != 0:
            raise Failure(f"`greenlight user add {user}` exited {r.returncode}: "
                          f"{short(r.stderr, 600)}")
        tok = r.stdout.strip()
        check(tok and "\n" not in tok and " " not in tok,
              f"`user add {user} --token` should print a token alone, printed {r.stdout!r}")
        return tok

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def restart_after_crash(self):
        """Records the crash and starts a new process on the same database so that the
        remaining cases of the module still run; the lifecycle test reports the crash."""
        rc = self.proc.returncode
        self.incidents.append((rc, self.stderr_text()))
        self.start()

    def stop(self):
        """SIGTERM and wait. Returns (exit code or None when it had to be killed, stderr)."""
        if self.proc is None:
            return None, ""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None, self.stderr_text()
        return self.proc.returncode, self.stderr_text()

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def cleanup(self):
        self.kill()
        if os.environ.get("GL_KEEP_TMP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def api(self, log=None):
        return Api("127.0.0.1", self.port, self.token, log)


class CliResult:
    def __init__(self, args, returncode, stdout, stderr):
        self.args = args
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self):
        return (f"<greenlight {' '.join(self.args)} -> rc {self.returncode}, stdout "
                f"{short(self.stdout, 300)}, stderr {short(self.stderr, 300)}>")


def run_cli(binary, args, env_extra=None, timeout=30, log=None):
    env = sanitizer_env()
    for k in ("GREENLIGHT_URL", "GREENLIGHT_TOKEN"):
        env.pop(k, None)
    env.update(env_extra or {})
    p = subprocess.run([binary] + list(args), stdin=subprocess.DEVNULL, capture_output=True,
                       env=env, timeout=timeout)
    r = CliResult(list(args), p.returncode, p.stdout.decode("utf-8", "replace"),
                  p.stderr.decode("utf-8", "replace"))
    if log is not None:
        log.append(repr(r))
    found = sanitizer_findings(r.stderr)
    if found:
        raise Failure(f"`greenlight {' '.join(args)}` reported {found}: {short(r.stderr, 1500)}")
    return r


# --------------------------------------------------------------------------------------------
# modules, cases and the per-module context


class Module:
    def __init__(self, name, server=True):
        self.name = name
        self.server = server
        self.cases = []

    def test(self, name):
        def deco(fn):
            self.cases.append((name, fn))
            return fn
        return deco


_seq = itertools.count(1)


def unique(prefix="t"):
    return f"{prefix}-{os.getpid() % 10000}-{next(_seq)}"


class Context:
    """What a case receives: the server, an API client with the admin token, helpers."""

    def __init__(self, binary, server, module):
        self.binary = binary
        self.server = server
        self.module = module
        self.log = []
        self.api = server.api(self.log)
        self.store = {}   # per-module scratch space shared by its cases

    def refresh(self):
        self.api = self.server.api(self.log)

    # -- fixtures

    def make_client(self, **fields):
        body = {"key": unique("c"), "name": "Client " + unique("n"), "timezone": "Europe/London",
                "notice_hours": 24, "requires_signoff": False}
        body.update(fields)
        r = self.api.post("/api/v1/clients", body)
        expect_status(r, 201, "fixture: create client")
        return r.json

    def make_ci(self, client, **fields):
        body = {"client": client, "name": unique("ci"), "type": "server", "criticality": 3,
                "users_affected": 10, "owner": "ops"}
        body.update(fields)
        r = self.api.post("/api/v1/cis", body)
        expect_status(r, 201, "fixture: create CI")
        return r.json

    def default_ci(self, client):
        """One CI per client, created on first use, for changes that need an affected CI."""
        cis = self.store.setdefault("_default_ci", {})
        if client not in cis:
            cis[client] = self.make_ci(client)["id"]
        return cis[client]

    def change_body(self, client, type_="normal", documented=True, planned=True, ready=True,
                    **fields):
        """A create body. ready: description and one affected CI (what every submit needs);
        documented: the three plans; planned: a future planned window."""
        body = {"client": client, "type": type_, "title": "Change " + unique("t")}
        if ready:
            body.update({"description": "what and why", "cis": [self.default_ci(client)]})
        if planned:
            body.update({"planned_start": "2030-06-01T22:00:00Z",
                         "planned_end": "2030-06-01T23:00:00Z"})
        if documented:
            body.update({"implementation_plan": "1. do it", "test_plan": "check it",
                         "rollback_plan": "undo it"})
        body.update(fields)
        return body

    def make_change(self, client, type_="normal", documented=True, planned=True, ready=True,
                    **fields):
        r = self.api.post("/api/v1/changes",
                          self.change_body(client, type_, documented, planned, ready, **fields))
        expect_status(r, 201, "fixture: create change")
        return r.json

    def standard_template(self, **fields):
        """A pre-approved template for every client (servers, any risk), made once per
        module by the admin; fields make a separate one."""
        if fields or "_template" not in self.store:
            body = {"name": unique("tpl"), "description": "routine work",
                    "steps": "1. drain 2. patch 3. reboot", "rollback_plan": "previous kernel",
                    "ci_types": ["server"], "max_risk": "critical"}
            body.update(fields)
            r = self.api.post("/api/v1/templates", body)
            expect_status(r, 201, "fixture: create template")
            if fields:
                return r.json
            self.store["_template"] = r.json
        return self.store["_template"]

    def make_standard_change(self, client, template=None, planned=True, **fields):
        """A standard change made from a template (the only way to make one)."""
        body = {"template": template or self.standard_template()["id"], "client": client,
                "cis": [self.default_ci(client)]}
        if planned:
            body.update({"planned_start": "2030-06-01T22:00:00Z",
                         "planned_end": "2030-06-01T23:00:00Z"})
        body.update(fields)
        r = self.api.post("/api/v1/changes", body)
        expect_status(r, 201, "fixture: create standard change from a template")
        return r.json

    def get_change(self, ident):
        r = self.api.get(f"/api/v1/changes/{ident}")
        expect_status(r, 200, "GET change")
        return r.json

    # -- users and roles

    def user_api(self, role, clients=(), name=None):
        """An Api authenticated as a user holding `role` on the client keys `clients` (none:
        all clients), created on first use by `greenlight user add` while the server runs.
        `role` "admin" makes an administrator."""
        name = name or "-".join(["u", role] + list(clients))
        if name not in self.server.users:
            args = ["--admin"] if role == "admin" else \
                ["--role", role] + [a for c in clients for a in ("--client", c)]
            self.server.users[name] = self.server.make_token(name, args)
        return self.server.api(self.log).with_token(self.server.users[name])

    def approver(self):
        """A change manager on every client who neither raised nor implements the
        fixtures' changes (the admin raises them): separation of duties lets it approve."""
        return self.user_api("change_manager", name="approver")

    def api_for(self, action):
        """Who performs `action` in tests of other subjects: the approver approves and
        rejects, the admin does the rest."""
        return self.approver() if action in ("approve", "reject") else self.api

    def act(self, ident, action, body=None, status=200, **kw):
        api = kw.pop("api", None) or self.api_for(action)
        if body is None:
            r = api.post(f"/api/v1/changes/{ident}/{action}", **kw)
        else:
            r = api.post(f"/api/v1/changes/{ident}/{action}", body, **kw)
        expect_status(r, status, f"action {action}")
        return r

    def timeline(self, ident):
        r = self.api.get(f"/api/v1/changes/{ident}/timeline")
        expect_status(r, 200, "GET timeline")
        check(isinstance(r.json, dict) and isinstance(r.json.get("items"), list),
              f"timeline should be {{\"items\": [...]}}, got {short(r.body)}")
        return r.json["items"]

    def list_all_changes(self, **params):
        """Follows next_cursor to the end; returns every item."""
        items, cursor, pages = [], None, 0
        while True:
            r = self.api.get("/api/v1/changes?" + qs(limit=200, cursor=cursor, **params))
            expect_status(r, 200, "list changes")
            items.extend(r.json["items"])
            cursor = r.json.get("next_cursor")
            pages += 1
            check(pages < 1000, "pagination does not end")
            if not cursor:
                return items


def to_json(x):
    return json.dumps(x, sort_keys=True)
