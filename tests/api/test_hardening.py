"""Hardening at the HTTP edge: security headers on every answer, header size limits, and
slow clients cut off by the idle timeout. One server started with --idle-timeout 2."""

import socket
import time

from harness import Failure, Module, Server, check, eq, expect_status, sanitizer_findings, short

MODULE = Module("hardening", server=False)
t = MODULE.test

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def with_server(ctx, fn):
    srv = Server(ctx.binary, "hardening", ["--idle-timeout", "2"])
    try:
        srv.start()
        fn(srv)
        rc, err = srv.stop()
        found = sanitizer_findings(err)
        if rc != 0 or found:
            raise Failure(f"exit code {rc} after SIGTERM; sanitizer reports {found}; "
                          f"{short(err[-2000:], 2000)}")
    finally:
        srv.cleanup()


def raw(port, data, wait=5.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=wait)
    try:
        s.sendall(data)
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)
    finally:
        s.close()


@t("security headers on success, problem, 404 and 401 answers; CSP forbids everything")
def _(ctx):
    def body(srv):
        api = srv.api(ctx.log)
        anon = api.with_token(None)
        for r in (api.get("/healthz"), api.get("/api/v1/changes"), api.get("/nope"),
                  anon.get("/api/v1/changes"), api.get("/api/v1/changes?limit=0")):
            for name, value in SECURITY_HEADERS.items():
                eq(r.header(name), value, f"{name} on {r.method} {r.path} ({r.status})")
            csp = r.header("Content-Security-Policy") or ""
            check("default-src 'none'" in csp, f"CSP on {r.path}: {csp!r}")
            check(r.header("X-Request-Id"), f"X-Request-Id on {r.path}")
    with_server(ctx, body)


@t("a request header block over the limit answers 431 and the server keeps serving")
def _(ctx):
    def body(srv):
        got = raw(srv.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 +
                  b"\r\n\r\n")
        check(got.startswith(b"HTTP/1.1 431"), f"expected 431, got {got[:80]!r}")
        expect_status(srv.api(ctx.log).get("/healthz"), 200, "healthz after the big header")
    with_server(ctx, body)


@t("a client that stalls mid-request is disconnected after the idle timeout (2 s)")
def _(ctx):
    def body(srv):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        try:
            s.sendall(b"POST /api/v1/changes HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                      b"Content-Type: application/json\r\n\r\n{\"ti")
            started = time.monotonic()
            data = s.recv(4096)  # blocks until the server closes the connection
            took = time.monotonic() - started
        finally:
            s.close()
        check(1.0 <= took <= 6.0, f"connection closed after {took:.1f} s, expected about 2 s")
        check(b"201" not in data, f"a half-sent body must not be accepted: {data[:80]!r}")
        expect_status(srv.api(ctx.log).get("/healthz"), 200, "healthz after the stalled client")
    with_server(ctx, body)
