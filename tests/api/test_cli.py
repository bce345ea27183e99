"""The command-line client against a running server (GREENLIGHT_URL / GREENLIGHT_TOKEN),
and the local commands (user add, db backup, db migrate) on the database directly."""

import json
import os
import sqlite3

from harness import (CHG_IDENT, Failure, Module, check, eq, expect_status, run_cli, short, to_json,
                     unique)

MODULE = Module("cli")
t = MODULE.test


def cli(ctx, *args, env=True, expect_rc=0, token=None):
    extra = {"GREENLIGHT_URL": ctx.server.url,
             "GREENLIGHT_TOKEN": token or ctx.server.token} if env else {}
    r = run_cli(ctx.binary, list(args), env_extra=extra, log=ctx.log)
    if expect_rc is not None:
        if expect_rc == "nonzero":
            check(r.returncode != 0, f"expected a non-zero exit: {r!r}")
        else:
            eq(r.returncode, expect_rc, f"exit code of `greenlight {' '.join(args)}` "
               f"(stderr {short(r.stderr, 300)!r})")
    return r


def cli_json(ctx, *args):
    r = cli(ctx, *args, "--json")
    try:
        return json.loads(r.stdout)
    except ValueError:
        raise Failure(f"`greenlight {' '.join(args)} --json` printed no JSON: "
                             f"{short(r.stdout, 500)}")


def one_line_error(r):
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    eq(len(lines), 1, f"stderr lines of a failing command ({r.stderr!r})")
    return lines[0]


def items_of(doc):
    if isinstance(doc, dict) and isinstance(doc.get("items"), list):
        return doc["items"]
    check(isinstance(doc, list), f"--json list output should be a list or {{items}}: "
          f"{short(json.dumps(doc), 300)}")
    return doc


def new_client(ctx):
    key = unique("cli")
    cli(ctx, "client", "add", key, "--name", f"CLI {key}", "--timezone", "Europe/Berlin")
    return key


def new_change(ctx, key, *extra):
    """`change new` with everything a normal change needs to move through its lifecycle."""
    doc = cli_json(ctx, "change", "new", "--client", key, "--type", "normal", "--title",
                   "CLI change " + unique("t"), "--description", "made by the CLI test",
                   "--ci", ctx.default_ci(key), "--implementation-plan", "steps",
                   "--test-plan", "tests", "--rollback-plan", "undo",
                   "--start", "2030-06-01T22:00:00Z", "--end", "2030-06-01T23:00:00Z", *extra)
    check(isinstance(doc, dict) and CHG_IDENT.match(str(doc.get("id"))),
          f"`change new --json` should print the change: {short(json.dumps(doc), 300)}")
    return doc


# ---------------------------------------------------------------------------- clients, CIs


@t("client add, then client list shows it (text and --json)")
def _(ctx):
    key = unique("cli")
    r = cli(ctx, "client", "add", key, "--name", "CLI Client Ltd", "--timezone",
            "Europe/Berlin")
    g = ctx.api.get(f"/api/v1/clients/{key}")
    expect_status(g, 200, "client created by the CLI is visible in the API")
    eq((g.json["name"], g.json["timezone"]), ("CLI Client Ltd", "Europe/Berlin"), "stored client")
    r = cli(ctx, "client", "list")
    check(key in r.stdout, f"`client list` should show {key}: {short(r.stdout, 500)}")
    keys = [c.get("key") for c in items_of(cli_json(ctx, "client", "list"))]
    check(key in keys, f"`client list --json` lacks {key}: {keys}")


@t("client add with a taken key exits non-zero with a one-line message")
def _(ctx):
    key = new_client(ctx)
    r = cli(ctx, "client", "add", key, "--name", "again", "--timezone", "UTC",
            expect_rc="nonzero")
    line = one_line_error(r)
    check("greenlight" in line.lower() or key in line or "exist" in line.lower()
          or "duplicate" in line.lower(), f"message should explain the refusal: {line!r}")


@t("client add with an unknown time zone exits non-zero with a one-line message naming it")
def _(ctx):
    key = unique("cli-mars")
    r = cli(ctx, "client", "add", key, "--name", "Base", "--timezone", "Mars/Base",
            expect_rc="nonzero")
    line = one_line_error(r)
    check("timezone" in line and "Mars/Base" in line,
          f"message should name the field and the zone: {line!r}")
    expect_status(ctx.api.get(f"/api/v1/clients/{key}"), 404, "nothing was created")


@t("ci add, then ci list shows it (text and --json)")
def _(ctx):
    key = new_client(ctx)
    name = unique("cli-web")
    doc = cli_json(ctx, "ci", "add", name, "--client", key, "--type", "server",
                   "--criticality", "4")
    eq((doc.get("name"), doc.get("client"), doc.get("criticality")), (name, key, 4),
       "CI printed by `ci add --json`")
    r = cli(ctx, "ci", "list", "--client", key)
    check(name in r.stdout, f"`ci list` should show {name}: {short(r.stdout, 500)}")
    names = [c.get("name") for c in items_of(cli_json(ctx, "ci", "list", "--client", key))]
    eq(names, [name], "`ci list --client --json` names")


# ---------------------------------------------------------------------------- changes


@t("change new --json prints the created change; the API sees the same record")
def _(ctx):
    key = new_client(ctx)
    doc = new_change(ctx, key)
    g = ctx.api.get(f"/api/v1/changes/{doc['id']}")
    expect_status(g, 200)
    eq(to_json(g.json), to_json(doc), "API record vs CLI output")
    eq((doc["state"], doc["client"], doc["implementation_plan"]), ("draft", key, "steps"),
       "fields")


@t("change list shows changes (text and --json, filtered by client)")
def _(ctx):
    key = new_client(ctx)
    a = new_change(ctx, key)
    b = new_change(ctx, key)
    r = cli(ctx, "change", "list", "--client", key)
    check(a["id"] in r.stdout and b["id"] in r.stdout,
          f"`change list` should show {a['id']} and {b['id']}: {short(r.stdout, 500)}")
    ids = [c.get("id") for c in items_of(cli_json(ctx, "change", "list", "--client", key))]
    eq(ids, [b["id"], a["id"]], "`change list --client --json` ids (newest first)")


@t("change show prints the change (text and --json)")
def _(ctx):
    key = new_client(ctx)
    a = new_change(ctx, key)
    r = cli(ctx, "change", "show", a["id"])
    check(a["id"] in r.stdout and a["title"] in r.stdout,
          f"`change show` should show id and title: {short(r.stdout, 500)}")
    doc = cli_json(ctx, "change", "show", a["id"])
    eq(to_json(doc), to_json(ctx.get_change(a["id"])), "`change show --json` vs API")


@t("change submit/assess/approve/schedule/start/complete/close move the change")
def _(ctx):
    key = new_client(ctx)
    a = new_change(ctx, key)
    for action, state in (("submit", "submitted"), ("assess", "assessed"),
                          ("approve", "approved"), ("schedule", "scheduled"),
                          ("start", "in_progress"), ("complete", "completed"),
                          ("close", "closed")):
        # separation of duties: the admin raised it, so another change manager approves
        token = ctx.approver().token if action == "approve" else None
        cli(ctx, "change", action, a["id"], token=token)
        eq(ctx.get_change(a["id"])["state"], state, f"state after `change {action}`")


@t("change cancel --reason records the reason")
def _(ctx):
    key = new_client(ctx)
    a = new_change(ctx, key)
    cli(ctx, "change", "cancel", a["id"], "--reason", "superseded")
    g = ctx.get_change(a["id"])
    eq((g["state"], g["state_reason"]), ("cancelled", "superseded"), "after CLI cancel")


@t("change timeline lists the events (text and --json)")
def _(ctx):
    key = new_client(ctx)
    a = new_change(ctx, key)
    cli(ctx, "change", "submit", a["id"])
    r = cli(ctx, "change", "timeline", a["id"])
    check("submit" in r.stdout, f"`change timeline` should mention submit: {short(r.stdout)}")
    items = items_of(cli_json(ctx, "change", "timeline", a["id"]))
    eq(len(items), 2, "events in `change timeline --json`")


@t("an illegal transition exits non-zero with a one-line stderr message, state unchanged")
def _(ctx):
    key = new_client(ctx)
    a = new_change(ctx, key)
    r = cli(ctx, "change", "approve", a["id"], expect_rc="nonzero",
            token=ctx.approver().token)
    line = one_line_error(r)
    check("approve" in line.lower() or "transition" in line.lower() or "draft" in line.lower(),
          f"message should say what was refused: {line!r}")
    eq(r.stdout.strip(), "", "stdout of a failed command")
    eq(ctx.get_change(a["id"])["state"], "draft", "state after refused CLI approve")


@t("a refused precondition exits non-zero naming the missing field")
def _(ctx):
    key = new_client(ctx)
    doc = cli_json(ctx, "change", "new", "--client", key, "--type", "normal", "--title",
                   "no plans", "--description", "d", "--ci", ctx.default_ci(key),
                   "--start", "2030-06-01T22:00:00Z", "--end", "2030-06-01T23:00:00Z")
    r = cli(ctx, "change", "submit", doc["id"], expect_rc="nonzero")
    line = one_line_error(r)
    check("plan" in line.lower(), f"message should name the missing plan: {line!r}")


@t("change show of a missing change exits non-zero with one line")
def _(ctx):
    r = cli(ctx, "change", "show", "CHG-999999", expect_rc="nonzero")
    one_line_error(r)


@t("--server/--token flags work without the environment")
def _(ctx):
    r = cli(ctx, "client", "list", "--json", "--server", ctx.server.url, "--token",
            ctx.server.token, env=False)
    items_of(json.loads(r.stdout))


@t("a bad token exits non-zero with a one-line message")
def _(ctx):
    r = run_cli(ctx.binary, ["change", "list"], log=ctx.log,
                env_extra={"GREENLIGHT_URL": ctx.server.url, "GREENLIGHT_TOKEN": "bogus"})
    check(r.returncode != 0, f"bad token should fail: {r!r}")
    one_line_error(r)


@t("an unreachable server exits non-zero with a one-line message")
def _(ctx):
    r = run_cli(ctx.binary, ["change", "list"], log=ctx.log,
                env_extra={"GREENLIGHT_URL": "http://127.0.0.1:9",
                           "GREENLIGHT_TOKEN": ctx.server.token})
    check(r.returncode != 0, f"unreachable server should fail: {r!r}")
    one_line_error(r)


# ---------------------------------------------------------------------------- local commands


@t("user add x --role requester --token prints only a token line")
def _(ctx):
    r = run_cli(ctx.binary, ["user", "add", "x", "--role", "requester", "--token", "--db",
                             ctx.server.db], log=ctx.log)
    eq(r.returncode, 0, f"exit code ({short(r.stderr)})")
    lines = r.stdout.splitlines()
    eq(len(lines), 1, f"stdout lines ({r.stdout!r})")
    tok = lines[0]
    check(tok and tok == tok.strip() and " " not in tok and len(tok) >= 20,
          f"token line looks wrong: {tok!r}")
    g = ctx.api.get("/api/v1/clients", token=tok)
    check(g.status != 401, f"the printed token is not accepted: {g.status} {short(g.body)}")


@t("user add without --token prints nothing on stdout; a duplicate name fails")
def _(ctx):
    name = unique("u").replace("-", "_")
    r = run_cli(ctx.binary, ["user", "add", name, "--role", "auditor", "--db", ctx.server.db],
                log=ctx.log)
    eq((r.returncode, r.stdout), (0, ""), "exit code and stdout")
    r = run_cli(ctx.binary, ["user", "add", name, "--role", "auditor", "--db", ctx.server.db],
                log=ctx.log)
    check(r.returncode != 0, f"duplicate user should fail: {r!r}")
    one_line_error(r)


@t("db backup creates a readable copy with the same data")
def _(ctx):
    key = new_client(ctx)
    a = new_change(ctx, key)
    dest = os.path.join(ctx.server.tmp, unique("backup") + ".db")
    r = run_cli(ctx.binary, ["db", "backup", "--db", ctx.server.db, dest], log=ctx.log)
    eq(r.returncode, 0, f"exit code ({short(r.stderr)})")
    check(os.path.getsize(dest) > 0, "backup file is empty")
    con = sqlite3.connect(f"file:{dest}?mode=ro", uri=True)
    try:
        eq(con.execute("PRAGMA integrity_check").fetchone()[0], "ok", "backup integrity")
        tables = {row[0] for row in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        check(tables, "backup has no tables")
        dump = "\n".join(con.iterdump())
        check(key in dump and a["title"] in dump,
              "backup lacks the client/change created just before it")
    finally:
        con.close()
    r = run_cli(ctx.binary, ["db", "backup", "--db", ctx.server.db, dest], log=ctx.log)
    check(r.returncode != 0, f"backup onto an existing file should refuse: {r!r}")


@t("db migrate on an up-to-date database applies 0 migrations")
def _(ctx):
    r = run_cli(ctx.binary, ["db", "migrate", "--db", ctx.server.db], log=ctx.log)
    eq(r.returncode, 0, f"exit code ({short(r.stderr)})")
    check(r.stdout.strip().startswith("0 "), f"should report 0 applied: {r.stdout!r}")


@t("db migrate on a new path creates the database and applies > 0 migrations")
def _(ctx):
    path = os.path.join(ctx.server.tmp, "sub", "fresh.db")
    r = run_cli(ctx.binary, ["db", "migrate", "--db", path], log=ctx.log)
    eq(r.returncode, 0, f"exit code ({short(r.stderr)})")
    n = r.stdout.strip().split()[0] if r.stdout.strip() else ""
    check(n.isdigit() and int(n) > 0, f"should report >0 migrations applied: {r.stdout!r}")
    r = run_cli(ctx.binary, ["db", "migrate", "--db", path], log=ctx.log)
    check(r.stdout.strip().startswith("0 "), f"second migrate should apply 0: {r.stdout!r}")


@t("db migrate warns, one line per client, about stored clients with unknown time zones")
def _(ctx):
    path = os.path.join(ctx.server.tmp, "legacy-tz.db")
    r = run_cli(ctx.binary, ["db", "migrate", "--db", path], log=ctx.log)
    eq(r.returncode, 0, f"exit code ({short(r.stderr)})")
    # What an older release let through: written behind the API's back, as it was stored.
    con = sqlite3.connect(path)
    try:
        with con:
            for key, tz in (("good", "Europe/London"), ("mars", "Mars/Base"),
                            ("atlantis", "Europe/Atlantis"), ("nozone", None)):
                con.execute("INSERT INTO clients (key, name, timezone, created_at, updated_at) "
                            "VALUES (?, ?, ?, 0, 0)", (key, f"Client {key}", tz))
        ids = dict(con.execute("SELECT key, id FROM clients"))
    finally:
        con.close()
    r = run_cli(ctx.binary, ["db", "migrate", "--db", path], log=ctx.log)
    eq(r.returncode, 0, f"migrate still succeeds (stderr {short(r.stderr)})")
    check(r.stdout.strip().startswith("0 "), f"should report 0 applied: {r.stdout!r}")
    warnings = [ln for ln in r.stderr.splitlines() if ln.strip()]
    eq(len(warnings), 3, f"one warning line per bad client: {r.stderr!r}")
    for key, shown in (("mars", '"Mars/Base"'), ("atlantis", '"Europe/Atlantis"'),
                       ("nozone", "no time zone")):
        line = [ln for ln in warnings if f" {key} " in ln]
        eq(len(line), 1, f"warning line for client {key} in {warnings!r}")
        check(f"client {ids[key]} " in line[0] and shown in line[0] and "warning" in line[0],
              f"warning should name id {ids[key]}, key and {shown}: {line[0]!r}")
    check(not any(" good " in ln for ln in warnings), f"the good client is not named: {warnings}")
    r = run_cli(ctx.binary, ["db", "migrate", "--help"], log=ctx.log)
    check("time zone" in r.stdout, f"--help should document the warning: {r.stdout!r}")


@t("unknown command exits 2 with a one-line message")
def _(ctx):
    r = run_cli(ctx.binary, ["frobnicate"], log=ctx.log)
    eq(r.returncode, 2, "exit code")
    one_line_error(r)
