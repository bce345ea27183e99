"""Free CI attributes (API, CLI, import/export) and relations in bulk import (depends_on,
runs_on, connects_to by name, forward references, no half-imported row, round trips)."""

import csv
import io
import json
import os
import tempfile

from harness import Module, check, eq, expect_problem, expect_status, qs, run_cli, unique

MODULE = Module("ci-attributes")
t = MODULE.test


def post_file(api, text, ctype="text/csv", dry_run=False):
    path = "/api/v1/cis/import" + ("?dry_run=true" if dry_run else "")
    return api.request("POST", path, raw=text.encode("utf-8"), content_type=ctype)


def cis_by_name(ctx, client):
    r = ctx.api.get("/api/v1/cis?" + qs(client=client, limit=200))
    expect_status(r, 200)
    return {c["name"]: c for c in r.json["items"] if c["client"] == client}


def shared_ci(ctx, name):
    r = ctx.api.get("/api/v1/cis?" + qs(q=name, limit=200))
    expect_status(r, 200)
    found = [c for c in r.json["items"] if c["client"] is None and c["name"] == name]
    eq(len(found), 1, f"shared CI {name}")
    return found[0]


def out_edges(ctx, ci):
    r = ctx.api.get(f"/api/v1/cis/{ci}/relations")
    expect_status(r, 200)
    return sorted((x["kind"], x["to"]) for x in r.json["items"] if x["direction"] == "out")


@t("attributes: set on create, returned by get and list, merged by PATCH (null removes)")
def _(ctx):
    k = ctx.make_client()["key"]
    attrs = {"os": "debian 12", "ram_gb": 64, "load": 0.25, "managed": True, "rack.u": "r1-07"}
    ci = ctx.make_ci(k, attributes=attrs)
    eq(ci["attributes"], attrs, "create answer")
    eq(ctx.api.get(f"/api/v1/cis/{ci['id']}").json["attributes"], attrs, "get")
    listed = [c for c in ctx.api.get("/api/v1/cis?" + qs(client=k)).json["items"]
              if c["id"] == ci["id"]]
    eq(listed[0]["attributes"], attrs, "list")
    eq(ctx.make_ci(k)["attributes"], {}, "no attributes: an empty object")
    r = ctx.api.patch(f"/api/v1/cis/{ci['id']}",
                      {"attributes": {"os": None, "ram_gb": 128, "owner_team": "ops"}},
                      if_match=f'"{ci["version"]}"')
    expect_status(r, 200)
    want = {"ram_gb": 128, "load": 0.25, "managed": True, "rack.u": "r1-07", "owner_team": "ops"}
    eq(r.json["attributes"], want, "merge patch")
    eq(r.json["version"], 2, "version bumped")
    same = ctx.api.patch(f"/api/v1/cis/{ci['id']}", r.json, if_match='"2"')
    expect_status(same, 200, "sending back what was read is accepted")
    eq(same.json["attributes"], want, "unchanged")


@t("attributes: bad ones are precise 400s naming the field")
def _(ctx):
    k = ctx.make_client()["key"]
    base = {"client": k, "name": unique("bad"), "type": "server", "criticality": 3}
    cases = [("not an object", "attributes"),
             ({"OS": "x"}, "attributes"),
             ({"a b": "x"}, "attributes"),
             ({"k" * 65: "x"}, "attributes"),
             ({"nested": {"a": 1}}, "attributes.nested"),
             ({"list": [1]}, "attributes.list"),
             ({"long": "x" * 1025}, "attributes.long"),
             ({f"k{i}": i for i in range(65)}, "attributes")]
    for attrs, field in cases:
        r = ctx.api.post("/api/v1/cis", dict(base, attributes=attrs))
        expect_problem(r, 400, "/problems/invalid-input", field=field, what=str(attrs)[:60])
    ok = dict(base, attributes={"long": "x" * 1024, **{f"k{i}": i for i in range(63)}})
    expect_status(ctx.api.post("/api/v1/cis", ok), 201, "64 keys and 1 KiB values are allowed")
    ci = ctx.make_ci(k)
    r = ctx.api.patch(f"/api/v1/cis/{ci['id']}", {"attributes": {"x": {"y": 1}}},
                      if_match=f'"{ci["version"]}"')
    expect_problem(r, 400, "/problems/invalid-input", field="attributes.x")


@t("CLI: ci add/update --attr KEY=VALUE (typed; empty removes), shown by ci show")
def _(ctx):
    k = ctx.make_client()["key"]
    env = {"GREENLIGHT_URL": ctx.server.url, "GREENLIGHT_TOKEN": ctx.server.token}
    r = run_cli(ctx.binary, ["ci", "add", "cli-attr", "--client", k, "--type", "server",
                             "--criticality", "2", "--attr", "os=debian", "--attr", "cores=8",
                             "--attr", "ssd=true", "--attr", "note=a=b"], env, log=ctx.log)
    eq(r.returncode, 0, r.stderr)
    ident = r.stdout.strip()
    ci = ctx.api.get(f"/api/v1/cis/{ident}").json
    eq(ci["attributes"], {"os": "debian", "cores": 8, "ssd": True, "note": "a=b"}, "typed")
    r = run_cli(ctx.binary, ["ci", "update", ident, "--attr", "os=", "--attr", "cores=16",
                             "--owner", "team-x"], env, log=ctx.log)
    eq(r.returncode, 0, r.stderr)
    ci = ctx.api.get(f"/api/v1/cis/{ident}").json
    eq((ci["attributes"], ci["owner"]), ({"cores": 16, "ssd": True, "note": "a=b"}, "team-x"),
       "updated")
    r = run_cli(ctx.binary, ["ci", "show", ident], env, log=ctx.log)
    check("Attributes" in r.stdout and "cores=16" in r.stdout and "note=a=b" in r.stdout,
          r.stdout)
    for bad in (["ci", "add", "x", "--client", k, "--type", "server", "--criticality", "2",
                 "--attr", "Bad=1"],
                ["ci", "update", ident, "--attr", "novalue"],
                ["ci", "update", ident]):
        r = run_cli(ctx.binary, bad, env, log=ctx.log)
        eq(r.returncode, 2, f"usage error for {bad}")
        eq(len(r.stderr.strip().splitlines()), 1, f"one line: {r.stderr!r}")
    r = run_cli(ctx.binary, ["ci", "update", ident, "--attr", "long=" + "x" * 1025], env,
                log=ctx.log)
    eq(r.returncode, 1, "the server refuses")
    check("attributes.long" in r.stderr, r.stderr)


@t("import: attr.KEY columns and JSON attributes; a file without attributes keeps them")
def _(ctx):
    k = ctx.make_client()["key"]
    r = post_file(ctx.api, f"client,name,type,attr.os,attr.cores,attr.ssd\n"
                           f"{k},a-1,server,debian,4,true\n{k},a-2,server,,2.5,\n")
    expect_status(r, 200)
    eq((r.json["created"], r.json["rejected"]), (2, []), "created")
    got = cis_by_name(ctx, k)
    eq(got["a-1"]["attributes"], {"os": "debian", "cores": 4, "ssd": True}, "a-1")
    eq(got["a-2"]["attributes"], {"cores": 2.5}, "a-2: empty cells are absent")
    r = post_file(ctx.api, f"client,name,type,criticality\n{k},a-1,server,5\n")
    eq(r.json["updated"], 1, "updated")
    eq(cis_by_name(ctx, k)["a-1"]["attributes"], {"os": "debian", "cores": 4, "ssd": True},
       "a file without attributes keeps the stored ones")
    r = post_file(ctx.api, f"client,name,type,criticality,attr.os\n{k},a-1,server,5,bsd\n")
    eq(r.json["updated"], 1, "updated")
    eq(cis_by_name(ctx, k)["a-1"]["attributes"], {"os": "bsd"}, "a file with attributes "
       "gives the row's whole set")
    r = post_file(ctx.api, f"client,name,type,attr.Bad\n{k},x,server,1\n")
    expect_problem(r, 400, "/problems/invalid-input", field="attributes")
    r = post_file(ctx.api, f"client,name,type,attr.v\n{k},x,server,{'y' * 1025}\n")
    eq([(x["row"], x["field"]) for x in r.json["rejected"]], [(1, "attributes.v")], "too long")
    r = ctx.api.post("/api/v1/cis/import", [
        {"client": k, "name": "j-1", "type": "server", "attributes": {"zone": "eu", "n": 1}},
        {"client": k, "name": "j-2", "type": "server", "attributes": {"zone": ["eu"]}}])
    eq(r.json["created"], 1, "json created")
    eq([(x["row"], x["field"]) for x in r.json["rejected"]], [(2, "attributes.zone")], "json bad")
    eq(cis_by_name(ctx, k)["j-1"]["attributes"], {"zone": "eu", "n": 1}, "json attributes")


@t("import relations: by name, forward references, shared targets, written with the rows")
def _(ctx):
    k = ctx.make_client()["key"]
    host = unique("host")
    text = (f"client,name,type,depends_on,runs_on,connects_to\n"
            f"{k},app,application, db ; cache ,{host},\n"
            f"{k},db,database,,{host},\n"
            f"{k},cache,service,,,db\n"
            f",{host},server,,,\n")
    r = post_file(ctx.api, text)
    expect_status(r, 200)
    eq((r.json["created"], r.json["rejected"]), (4, []), "all four created")
    got = cis_by_name(ctx, k)
    ids = {n: got[n]["id"] for n in ("app", "db", "cache")}
    ids[host] = shared_ci(ctx, host)["id"]
    eq(out_edges(ctx, ids["app"]), sorted([("depends_on", ids["db"]), ("depends_on", ids["cache"]),
                                           ("runs_on", ids[host])]), "app")
    eq(out_edges(ctx, ids["db"]), [("runs_on", ids[host])], "db runs on the shared host")
    eq(out_edges(ctx, ids["cache"]), [("connects_to", ids["db"])], "cache")
    again = post_file(ctx.api, text)
    eq((again.json["created"], again.json["updated"], again.json["unchanged"]), (0, 0, 4),
       "present relations change nothing")
    more = post_file(ctx.api, f"client,name,type,connects_to\n{k},db,database,cache\n")
    eq(more.json["updated"], 1, "a new relation updates the row")
    eq(out_edges(ctx, ids["db"]), sorted([("runs_on", ids[host]), ("connects_to", ids["cache"])]),
       "relations are added, never removed")
    body = ctx.api.get("/api/v1/audit/export?" + qs(client=k)).body.decode()
    eq(body.count('"ci.relate"'), 6, "one ci.relate event per relation added")


@t("import relations: a row naming a missing CI is rejected whole, and so is a row that "
   "needed it; nothing of them is written")
def _(ctx):
    k = ctx.make_client()["key"]
    other = ctx.make_client()["key"]
    ctx.make_ci(other, name="theirs")
    text = (f"client,name,type,depends_on\n"
            f"{k},ok-1,server,ok-2\n"
            f"{k},ok-2,server,\n"
            f"{k},needs-ghost,server,ok-1;ghost\n"
            f"{k},needs-bad,server,needs-ghost\n"
            f"{k},self,server,self\n"
            f"{k},cross,server,theirs\n"
            f"{k},bad-type,toaster,\n"
            f"{k},needs-bad-type,server,bad-type\n")
    r = post_file(ctx.api, text)
    expect_status(r, 200)
    eq(r.json["created"], 2, "created")
    rej = {x["row"]: (x["field"], x["error"]) for x in r.json["rejected"]}
    eq(sorted(rej), [3, 4, 5, 6, 7, 8], "rejected rows")
    eq(rej[3][0], "depends_on", "field")
    check('"ghost"' in rej[3][1] and k in rej[3][1], rej[3][1])
    check('"needs-ghost"' in rej[4][1], rej[4][1])
    check("itself" in rej[5][1], rej[5][1])
    check('"theirs"' in rej[6][1], "another client's CI cannot be named: " + rej[6][1])
    eq(rej[7][0], "type", "bad type")
    check('"bad-type"' in rej[8][1], rej[8][1])
    got = cis_by_name(ctx, k)
    eq(sorted(n for n in got if got[n]["client"] == k), ["ok-1", "ok-2"], "only good rows")
    eq(out_edges(ctx, got["ok-1"]["id"]), [("depends_on", got["ok-2"]["id"])], "its relation")
    eq(out_edges(ctx, got["ok-2"]["id"]), [], "no relation of a rejected row")
    # a long chain whose last link is missing is rejected all the way back
    n = 500
    chain = "client,name,type,depends_on\n" + "".join(
        f"{k},ch-{i},server,{'ch-%d' % (i + 1) if i + 1 < n else 'missing'}\n"
        for i in range(n))
    r = post_file(ctx.api, chain)
    eq((r.json["created"], len(r.json["rejected"])), (0, n), "the whole chain")
    check('"ch-1"' in r.json["rejected"][0]["error"], r.json["rejected"][0])
    check('"missing"' in r.json["rejected"][-1]["error"], r.json["rejected"][-1])
    # with a stored CI of the last name, the same chain imports whole
    ctx.make_ci(k, name="missing")
    eq(post_file(ctx.api, chain).json["created"], n, "the chain once its end exists")
    r = ctx.api.post("/api/v1/cis/import", [
        {"client": k, "name": "j", "type": "server", "depends_on": "ok-1"},
        {"client": k, "name": "j2", "type": "server", "runs_on": [1]}])
    eq([(x["row"], x["field"]) for x in r.json["rejected"]], [(1, "depends_on"), (2, "runs_on")],
       "JSON relations must be arrays of names")


@t("import relations: dry run writes neither rows nor relations; existing targets resolve")
def _(ctx):
    k = ctx.make_client()["key"]
    stored = ctx.make_ci(k, name="stored-db")["id"]
    r = post_file(ctx.api, f"client,name,type,depends_on\n{k},d-app,application,stored-db\n",
                  dry_run=True)
    eq((r.json["created"], r.json["rejected"], r.json["dry_run"]), (1, [], True), "dry run")
    check("d-app" not in cis_by_name(ctx, k), "no row written")
    r = ctx.api.get(f"/api/v1/cis/{stored}/relations")
    eq(r.json["items"], [], "no relation written")
    r = post_file(ctx.api, f"client,name,type,depends_on\n{k},d-app,application,stored-db\n")
    eq(r.json["created"], 1, "written")
    eq(out_edges(ctx, cis_by_name(ctx, k)["d-app"]["id"]), [("depends_on", stored)], "relation")


@t("export -> import round trip with attributes and relations (CSV and JSON), also by CLI")
def _(ctx):
    k = ctx.make_client()["key"]
    text = (f"client,name,type,attr.os,attr.ram,attr.ha,depends_on,runs_on\n"
            f"{k},rt-app,application,\"linux, lts\",16,false,rt-db,rt-vm\n"
            f"{k},rt-db,database,,0.5,,,rt-vm\n"
            f"{k},rt-vm,server,,,true,,\n")
    eq(post_file(ctx.api, text).json["created"], 3, "created")
    other = ctx.make_ci(k, name="rt-lonely")["id"]
    expect_status(ctx.api.post(f"/api/v1/cis/{other}/relations",
                               {"kind": "connects_to", "to": cis_by_name(ctx, k)["rt-vm"]["id"]}),
                  201)
    r = ctx.api.get("/api/v1/cis/export?" + qs(client=k))
    expect_status(r, 200)
    exported = r.body.decode()
    rows = {x["name"]: x for x in csv.DictReader(io.StringIO(exported))}
    eq((rows["rt-app"]["attr.os"], rows["rt-app"]["attr.ram"], rows["rt-app"]["attr.ha"]),
       ("linux, lts", "16", "false"), "attribute columns")
    eq((rows["rt-app"]["depends_on"], rows["rt-app"]["runs_on"]), ("rt-db", "rt-vm"), "relations")
    eq(rows["rt-lonely"]["connects_to"], "rt-vm", "a relation made through the API")
    again = post_file(ctx.api, exported)
    eq((again.json["created"], again.json["updated"], again.json["rejected"]), (0, 0, []),
       "CSV round trip")
    j = ctx.api.get("/api/v1/cis/export?" + qs(client=k, format="json")).json
    app = [c for c in j["cis"] if c["name"] == "rt-app"][0]
    eq((app["attributes"], app["depends_on"], app["runs_on"], app["connects_to"]),
       ({"os": "linux, lts", "ram": 16, "ha": False}, ["rt-db"], ["rt-vm"], []), "JSON export")
    again = ctx.api.post("/api/v1/cis/import", j)
    eq((again.json["created"], again.json["updated"], again.json["rejected"]), (0, 0, []),
       "JSON round trip")
    # the same file imported into a fresh client recreates the graph
    k2 = ctx.make_client()["key"]
    src = list(csv.DictReader(io.StringIO(exported)))
    out = io.StringIO()
    w = csv.DictWriter(out, [f for f in src[0] if f != "id"])
    w.writeheader()
    for row in src:
        row.pop("id")
        row["client"] = k2
        w.writerow(row)
    moved = out.getvalue()
    r = post_file(ctx.api, moved)
    eq((r.json["created"], r.json["rejected"]), (4, []), "a copy into another client")
    got = cis_by_name(ctx, k2)
    eq(out_edges(ctx, got["rt-app"]["id"]), sorted([("depends_on", got["rt-db"]["id"]),
                                                    ("runs_on", got["rt-vm"]["id"])]),
       "graph rebuilt from names")
    env = {"GREENLIGHT_URL": ctx.server.url, "GREENLIGHT_TOKEN": ctx.server.token}
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "cis.json")
        r = run_cli(ctx.binary, ["ci", "export", "--client", k, "--format", "json"], env,
                    log=ctx.log)
        eq(r.returncode, 0, r.stderr)
        with open(f, "w") as fh:
            fh.write(r.stdout)
        r = run_cli(ctx.binary, ["ci", "import", f], env, log=ctx.log)
        eq(r.returncode, 0, r.stdout + r.stderr)
        check("unchanged 4" in r.stdout, r.stdout)
    json.loads(json.dumps(j))  # the export is plain JSON
