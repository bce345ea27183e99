"""Bulk import and export of configuration items: CSV and JSON, the rejected-row report,
no half-imported row, re-import as updates, round trips, tenant scoping, the CLI."""

import csv
import io
import os
import tempfile

from harness import Module, check, eq, expect_problem, expect_status, qs, run_cli, unique

MODULE = Module("import")
t = MODULE.test


def post_csv(api, text, dry_run=False, ctype="text/csv"):
    path = "/api/v1/cis/import" + ("?dry_run=true" if dry_run else "")
    return api.request("POST", path, raw=text.encode("utf-8"), content_type=ctype)


def list_cis(ctx, client):
    r = ctx.api.get("/api/v1/cis?" + qs(client=client, limit=200))
    expect_status(r, 200)
    return {c["name"]: c for c in r.json["items"] if c["client"] == client}


@t("CSV import creates every row (quotes, embedded commas and newlines, BOM, CRLF)")
def _(ctx):
    k = ctx.make_client()["key"]
    text = ("\ufeffName,CLIENT,type,criticality,users_affected,owner\r\n"
            f"web-01,{k},server,4,250,ops\r\n"
            f"\"db, primary\",{k},database,5,1000,\"dba \"\"team\"\"\"\r\n"
            f"\"note\nline\",{k},other,,,\r\n")
    r = post_csv(ctx.api, text)
    expect_status(r, 200)
    eq((r.json["created"], r.json["updated"], r.json["rejected"]), (3, 0, []), "report")
    cis = list_cis(ctx, k)
    eq(cis["db, primary"]["owner"], 'dba "team"', "quoted owner")
    eq(cis["web-01"]["users_affected"], 250, "users")
    eq(cis["note\nline"]["criticality"], 3, "default criticality")


@t("mixed good and bad rows: exact report, bad rows not written at all")
def _(ctx):
    k = ctx.make_client()["key"]
    text = ("client,name,type,criticality,users_affected\n"
            f"{k},good-1,server,3,1\n"
            f"{k},bad-crit,server,high,1\n"
            f"nosuchclient,bad-client,server,3,1\n"
            f"{k},bad-type,toaster,3,1\n"
            f"{k},good-2,server,2,0\n"
            f"{k},,server,2,0\n"
            f"{k},bad-fields,server\n")
    r = post_csv(ctx.api, text)
    expect_status(r, 200)
    eq(r.json["created"], 2, "created")
    rej = [(x["row"], x["field"]) for x in r.json["rejected"]]
    eq(rej, [(2, "criticality"), (3, "client"), (4, "type"), (6, "name"), (7, None)], "rejected")
    check("unknown client nosuchclient" in r.json["rejected"][1]["error"], r.json["rejected"][1])
    eq(sorted(list_cis(ctx, k)), ["good-1", "good-2"], "only good rows written")


@t("a row with several bad fields is reported once per field: reading, client, validation")
def _(ctx):
    k = ctx.make_client()["key"]
    text = ("id,client,name,type,criticality,users_affected\n"
            f"nope,{k},,toaster,high,-4\n"
            f",{k},fine,server,2,1\n"
            f",nosuchclient,,server,9,1\n")
    r = post_csv(ctx.api, text)
    expect_status(r, 200)
    eq(r.json["created"], 1, "created")
    rej = [(x["row"], x["field"]) for x in r.json["rejected"]]
    eq(rej, [(1, "id"), (1, "criticality"), (1, "users_affected"), (1, "name"), (1, "type"),
             (3, "criticality"), (3, "client"), (3, "name")], "every bad field")
    check(all(isinstance(x["error"], str) and x["error"] for x in r.json["rejected"]),
          f"each entry explains itself: {r.json['rejected']}")
    eq(r.json["rejected_rows"], 2, "rejected_rows counts rows, not fields")
    eq(sorted(list_cis(ctx, k)), ["fine"], "only the good row written")
    r = ctx.api.post("/api/v1/cis/import", [
        {"client": k, "name": "", "type": "toaster", "criticality": "high", "colour": 1}])
    expect_status(r, 200)
    eq([(x["row"], x["field"]) for x in r.json["rejected"]],
       [(1, "criticality"), (1, "colour"), (1, "name"), (1, "type")], "JSON: every bad field")
    eq(r.json["rejected_rows"], 1, "JSON rejected_rows")


@t("unknown and missing columns refuse the whole file, naming them")
def _(ctx):
    k = ctx.make_client()["key"]
    r = post_csv(ctx.api, f"client,name,type,colour,size\n{k},x,server,red,1\n")
    expect_problem(r, 400, "/problems/invalid-input")
    check('"colour"' in r.json["detail"] and '"size"' in r.json["detail"], r.json["detail"])
    r = post_csv(ctx.api, f"client,name\n{k},x\n")
    expect_problem(r, 400, "/problems/invalid-input")
    check("type" in r.json["detail"], r.json["detail"])
    r = post_csv(ctx.api, f"client,name,type\n{k},\"x,server\n")
    expect_problem(r, 400, "/problems/invalid-input")
    r = post_csv(ctx.api, "a;b", ctype="text/plain")
    expect_problem(r, 415, "/problems/unsupported-media-type")
    eq(list_cis(ctx, k), {}, "nothing written")


@t("re-import updates by (client, name) and by id instead of duplicating")
def _(ctx):
    k = ctx.make_client()["key"]
    expect_status(post_csv(ctx.api, f"client,name,type,criticality\n{k},app-1,application,2\n"),
                  200)
    r = post_csv(ctx.api, f"client,name,type,criticality\n{k},app-1,application,4\n")
    eq((r.json["created"], r.json["updated"]), (0, 1), "by name")
    ci = list_cis(ctx, k)["app-1"]
    eq((ci["criticality"], ci["version"]), (4, 2), "updated")
    r = post_csv(ctx.api, f"id,client,name,type\n{ci['id']},{k},app-renamed,application\n")
    eq((r.json["created"], r.json["updated"]), (0, 1), "by id")
    eq(sorted(list_cis(ctx, k)), ["app-renamed"], "renamed, not duplicated")
    r = post_csv(ctx.api, f"id,client,name,type\nCI-999999,{k},ghost,server\n")
    eq([(x["row"], x["field"]) for x in r.json["rejected"]], [(1, "id")], "unknown id")


@t("dry run validates and reports but writes nothing")
def _(ctx):
    k = ctx.make_client()["key"]
    r = post_csv(ctx.api, f"client,name,type\n{k},d-1,server\n{k},d-2,bogus\n", dry_run=True)
    expect_status(r, 200)
    eq((r.json["created"], len(r.json["rejected"]), r.json["dry_run"]), (1, 1, True), "report")
    eq(list_cis(ctx, k), {}, "nothing written")


@t("export -> import round trip (CSV and JSON) changes nothing")
def _(ctx):
    k = ctx.make_client()["key"]
    expect_status(post_csv(ctx.api, f"client,name,type,owner\n{k},r-1,server,\"a, b\"\n"
                                    f"{k},r-2,site,\n"), 200)
    r = ctx.api.get("/api/v1/cis/export?" + qs(client=k))
    expect_status(r, 200)
    check(r.header("Content-Type").startswith("text/csv"), r.header("Content-Type"))
    text = r.body.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    eq(sorted(x["name"] for x in rows if x["client"] == k), ["r-1", "r-2"], "exported")
    r2 = post_csv(ctx.api, text)
    eq((r2.json["created"], r2.json["updated"], r2.json["rejected"]), (0, 0, []), "csv again")
    j = ctx.api.get("/api/v1/cis/export?" + qs(client=k, format="json"))
    expect_status(j, 200)
    r3 = ctx.api.post("/api/v1/cis/import", j.json)
    expect_status(r3, 200)
    eq((r3.json["created"], r3.json["updated"], r3.json["rejected"]), (0, 0, []), "json again")
    eq(r3.json["unchanged"], len(j.json["cis"]), "unchanged")


@t("JSON import: array, {\"cis\": [...]}, per-row errors")
def _(ctx):
    k = ctx.make_client()["key"]
    r = ctx.api.post("/api/v1/cis/import", [
        {"client": k, "name": "j-1", "type": "server", "criticality": 2},
        {"client": k, "name": "j-2", "type": "server", "colour": "red"},
        {"name": "j-3", "type": "server"}, 7])
    expect_status(r, 200)
    eq(r.json["created"], 1, "created")
    eq([(x["row"], x["field"]) for x in r.json["rejected"]],
       [(2, "colour"), (3, "client"), (4, None)], "rejected")
    r = ctx.api.post("/api/v1/cis/import", {"cis": [{"client": k, "name": "j-4", "type": "site"}]})
    eq(r.json["created"], 1, "wrapped form")


@t("a client user cannot import into another client (unknown client) nor update its CIs")
def _(ctx):
    mine, theirs = ctx.make_client()["key"], ctx.make_client()["key"]
    r = post_csv(ctx.api, f"client,name,type\n{theirs},victim,server\n")
    victim = list_cis(ctx, theirs)["victim"]
    api = ctx.user_api("implementer", [mine])
    r = post_csv(api, f"client,name,type\n{mine},ok,server\n{theirs},evil,server\n"
                      f",shared-evil,server\n")
    expect_status(r, 200)
    eq(r.json["created"], 1, "own row")
    rej = r.json["rejected"]
    eq([(x["row"], x["field"]) for x in rej], [(2, "client"), (3, None)], "rejected")
    eq(rej[0]["error"], f"unknown client {theirs}", "as if absent")
    r = post_csv(api, f"id,client,name,type\n{victim['id']},{mine},stolen,server\n")
    eq([(x["row"], x["field"]) for x in r.json["rejected"]], [(1, "id")], "other's CI")
    eq(sorted(list_cis(ctx, theirs)), ["victim"], "theirs untouched")
    e = api.get("/api/v1/cis/export?" + qs(format="json"))
    check(all(c["client"] in (mine, None) for c in e.json["cis"]), "export scoped")


@t("audit: one ci.create event per written row, none for rejected rows")
def _(ctx):
    k = ctx.make_client()["key"]
    r = post_csv(ctx.api, f"client,name,type\n{k},a-1,server\n{k},a-2,nope\n{k},a-3,server\n")
    eq(r.json["created"], 2, "created")
    eq(len(list_cis(ctx, k)), 2, "written")
    body = ctx.api.get("/api/v1/audit/export?" + qs(client=k)).body.decode()
    eq(body.count('"ci.create"'), 2, "ci.create events")


@t("CLI: ci import FILE [--dry-run] and ci export round trip")
def _(ctx):
    k = ctx.make_client()["key"]
    env = {"GREENLIGHT_URL": ctx.server.url, "GREENLIGHT_TOKEN": ctx.server.token}
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "cis.csv")
        with open(f, "w") as fh:
            fh.write(f"client,name,type\n{k},cli-1,server\n{k},cli-2,bogus\n")
        r = run_cli(ctx.binary, ["ci", "import", f, "--dry-run"], env_extra=env, log=ctx.log)
        eq(r.returncode, 1, "exit 1 when a row is rejected")
        check("dry run" in r.stdout and "row 2: type" in r.stdout, r.stdout)
        eq(list_cis(ctx, k), {}, "dry run wrote nothing")
        r = run_cli(ctx.binary, ["ci", "import", f], env_extra=env, log=ctx.log)
        check(r.stdout.startswith("created 1, updated 0"), r.stdout)
        with open(f, "w") as fh:
            fh.write(f"client,name,type,criticality\n{k},,bogus,high\n{k},cli-3,bogus,2\n")
        r = run_cli(ctx.binary, ["ci", "import", f, "--dry-run"], env_extra=env, log=ctx.log)
        eq(r.returncode, 1, "exit 1 when a row is rejected")
        lines = r.stdout.splitlines()
        check(lines[0].startswith("created 0, updated 0, unchanged 0, rejected 2"),
              f"the summary counts rejected rows: {r.stdout!r}")
        eq([ln.split(":")[0:2] for ln in lines[1:]],
           [["row 1", " criticality"], ["row 1", " name"], ["row 1", " type"],
            ["row 2", " type"]], f"one line per bad field: {r.stdout!r}")
        r = run_cli(ctx.binary, ["ci", "export", "--client", k], env_extra=env, log=ctx.log)
        eq(r.returncode, 0, r.stderr)
        with open(f, "w") as fh:
            fh.write(r.stdout)
        r = run_cli(ctx.binary, ["ci", "import", f], env_extra=env, log=ctx.log)
        eq(r.returncode, 0, r.stdout + r.stderr)
        check("unchanged 1" in r.stdout, r.stdout)
