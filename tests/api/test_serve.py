"""`greenlight serve` itself: --demo, a second start on an existing database, a taken port.
These cases start their own servers (the module has no shared one) and check each one's
clean SIGTERM shutdown inline."""

import socket
import subprocess

from harness import (Context, Failure, Module, Server, check, eq, expect_status,
                     sanitizer_env, sanitizer_findings, short)

MODULE = Module("serve", server=False)
t = MODULE.test


def stop_clean(server, what):
    rc, err = server.stop()
    found = sanitizer_findings(err)
    if rc != 0 or found:
        raise Failure(f"{what}: exit code {rc} after SIGTERM (expected 0); sanitizer reports "
                      f"{found}; stderr: {short(err[-3000:], 3000)}")


def check_demo_features(api, changes):
    """The demo shows the CMDB graph, the calendar, documents and risk, not only changes."""
    r = api.get("/api/v1/cis?limit=200")
    expect_status(r, 200)
    edges = 0
    for ci in r.json["items"]:
        rel = api.get(f"/api/v1/cis/{ci['id']}/relations")
        expect_status(rel, 200)
        edges += sum(1 for e in rel.json["items"] if e["direction"] == "out")
    check(edges >= 5, f"demo data has {edges} CI relations (expected several)")
    check(any(ci.get("attributes") for ci in r.json["items"]), "demo CIs have no attributes")
    for client in ("acme", "globex", "initech"):
        w = api.get(f"/api/v1/clients/{client}/windows")
        expect_status(w, 200)
        check(len(w.json["items"]) > 0, f"demo client {client} has no maintenance window")
    b = api.get("/api/v1/blackouts?client=globex")
    expect_status(b, 200)
    check(any(not x["global"] for x in b.json["items"]), "demo has no client blackout")
    check(any(x["global"] for x in b.json["items"]), "demo has no global blackout")
    d = api.get("/api/v1/documents")
    expect_status(d, 200)
    check(len(d.json["items"]) > 0, "demo data has no documents")
    check(any(x["current_version"] > 1 for x in d.json["items"]),
          "no demo document has a second version")
    open_ones = [c for c in changes if c["state"] in ("submitted", "assessed", "approved",
                                                      "scheduled", "in_progress")]
    check(open_ones, "demo data has no open changes")
    for c in open_ones:
        risk = api.get(f"/api/v1/changes/{c['id']}/risk")
        expect_status(risk, 200, f"risk of demo change {c['id']}")
        check(risk.json["score"] >= 0, f"demo change {c['id']} has no risk score")


@t("serve --demo starts, loads demo data (clients and changes), stops cleanly")
def _(ctx):
    srv = Server(ctx.binary, "demo", ["--demo"])
    try:
        srv.start()
        api = srv.api(ctx.log)
        r = api.get("/api/v1/clients")
        expect_status(r, 200)
        check(len(r.json["items"]) > 0, "demo data has no clients")
        r = api.get("/api/v1/changes?limit=200")
        expect_status(r, 200)
        check(len(r.json["items"]) > 0, "demo data has no changes")
        ident = r.json["items"][0]["id"]
        expect_status(api.get(f"/api/v1/changes/{ident}/timeline"), 200, "demo timeline")
        check_demo_features(api, r.json["items"])
        stop_clean(srv, "demo server")
    finally:
        srv.cleanup()


@t("a restarted server keeps the data of the existing database (no re-migration loss)")
def _(outer):
    srv = Server(outer.binary, "restart")
    ctx = Context(outer.binary, srv, MODULE)
    ctx.log = outer.log
    try:
        srv.start()
        ctx.refresh()
        c = ctx.make_client()
        ch = ctx.make_change(c["key"])
        stop_clean(srv, "first run")
        srv.start()  # same database file, same token
        ctx.refresh()
        r = ctx.api.get(f"/api/v1/changes/{ch['id']}")
        expect_status(r, 200, "change after restart")
        eq(r.json["title"], ch["title"], "title after restart")
        eq(len(ctx.timeline(ch["id"])), 1, "timeline after restart")
        stop_clean(srv, "second run")
    finally:
        srv.cleanup()


@t("serve on a port that is already taken exits non-zero with a message")
def _(ctx):
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 0)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    srv = Server(ctx.binary, "taken")
    try:
        p = subprocess.run([ctx.binary, "serve", "--listen", f"127.0.0.1:{port}", "--db",
                            srv.db], capture_output=True, timeout=20, env=sanitizer_env(),
                           stdin=subprocess.DEVNULL)
        err = p.stderr.decode("utf-8", "replace")
        check(p.returncode != 0, f"serve on a taken port exited 0 (stderr {short(err)})")
        check(err.strip(), "no message on stderr")
        eq(sanitizer_findings(err), [], f"sanitizer reports ({short(err, 2000)})")
    except subprocess.TimeoutExpired:
        raise Failure("serve on a taken port kept running instead of failing")
    finally:
        holder.close()
        srv.cleanup()


@t("serve --listen with a malformed address exits non-zero without starting")
def _(ctx):
    srv = Server(ctx.binary, "badlisten")
    try:
        for listen in ("nonsense", "127.0.0.1:99999", "127.0.0.1:-1"):
            p = subprocess.run([ctx.binary, "serve", "--listen", listen, "--db", srv.db],
                               capture_output=True, timeout=20, env=sanitizer_env(),
                               stdin=subprocess.DEVNULL)
            err = p.stderr.decode("utf-8", "replace")
            check(p.returncode != 0, f"--listen {listen}: exited 0")
            eq(sanitizer_findings(err), [], f"sanitizer reports ({short(err, 2000)})")
    except subprocess.TimeoutExpired:
        raise Failure("serve with a malformed --listen kept running")
    finally:
        srv.cleanup()
