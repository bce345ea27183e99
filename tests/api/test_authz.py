"""Authorization: every endpoint against every role (allowed and refused), separation of
duties, and strict client isolation (a user of client A finds nothing of client B's, by id,
by list filter, by search, through references, nor through lifecycle actions)."""

from harness import (Failure, Module, check, eq, expect_problem, expect_status, short, to_json,
                     unique)

MODULE = Module("authz")
t = MODULE.test

ROLES = ("requester", "implementer", "change_manager", "cab_member", "emergency_approver",
         "client_approver", "auditor")
EVERYONE = set(ROLES) | {"admin"}
WRITERS = {"requester", "implementer", "change_manager", "admin"}
OPERATORS = {"implementer", "change_manager", "admin"}

# action -> (steps that bring a fresh normal change to where the action is legal, body,
#            roles allowed, state after). The fixture changes are low risk, so approve and
# reject are the self_or_peer tier's: any holder of change.approve (a peer). reopen is not
# here: a rejection returns the change to draft, so no API path reaches `rejected` any more.
ACTIONS = {
    "submit": ([], None, WRITERS, "submitted"),
    "assess": (["submit"], None, {"change_manager", "admin"}, "assessed"),
    "approve": (["submit", "assess"], {"comment": "ok"},
                {"change_manager", "cab_member", "admin"}, "approved"),
    "reject": (["submit", "assess"], {"reason": "no"},
               {"change_manager", "cab_member", "admin"}, "draft"),
    "schedule": (["submit", "assess", "approve"], None, OPERATORS, "scheduled"),
    "start": (["submit", "assess", "approve", "schedule"], None, OPERATORS, "in_progress"),
    "complete": (["submit", "assess", "approve", "schedule", "start"], {"notes": "ok"},
                 OPERATORS, "completed"),
    "fail": (["submit", "assess", "approve", "schedule", "start"], {"reason": "broke"},
             OPERATORS, "failed"),
    "rollback": (["submit", "assess", "approve", "schedule", "start"], {"notes": "undone"},
                 OPERATORS, "rolled_back"),
    "review": (["submit", "assess", "approve", "schedule", "start", "complete"],
               {"summary": "fine"}, OPERATORS, "reviewed"),
    "close": (["submit", "assess", "approve", "schedule", "start", "complete"], None,
              {"change_manager", "admin"}, "closed"),
    "cancel": ([], {"reason": "not needed"}, WRITERS, "cancelled"),
}
PREP_BODY = {"reject": {"reason": "no"}, "complete": {"notes": "ok"}}


# ---------------------------------------------------------------------------- fixtures


def world(ctx):
    """Clients A and B, their CIs and changes, and one user per role scoped to A."""
    w = ctx.store.get("world")
    if w:
        return w
    a, b = ctx.make_client()["key"], ctx.make_client()["key"]
    ci_b = ctx.make_ci(b)
    w = {"A": a, "B": b, "ci_a": ctx.make_ci(a)["id"], "ci_b": ci_b["id"],
         "ci_b_name": ci_b["name"], "ci_shared": ctx.make_ci(None)["id"],
         "secret": unique("zebraquux").replace("-", "")}
    w["change_b"] = raiser(ctx).post("/api/v1/changes", ctx.change_body(
        b, title=f"B only {w['secret']}", description=f"needle {w['secret']}",
        cis=[w["ci_b"]]))
    expect_status(w["change_b"], 201, "fixture: B's change")
    w["change_b"] = w["change_b"].json
    ctx.store["world"] = w
    return w


def raiser(ctx):
    """A requester on every client who raises the matrix's changes, so that the users under
    test (including the admin) are free of separation of duties."""
    return ctx.user_api("requester", name="raiser")


def as_role(ctx, role, w):
    return ctx.api if role == "admin" else ctx.user_api(role, [w["A"]])


def fresh_change(ctx, client, steps=(), type_="normal", **fields):
    # A CI of its own: changes piling up on one CI in one window conflict, and conflicts
    # raise the risk score, hence the approval tier the cases below rely on (low).
    fields.setdefault("cis", [ctx.make_ci(client, name=unique("own"))["id"]])
    r = raiser(ctx).post("/api/v1/changes", ctx.change_body(client, type_, **fields))
    expect_status(r, 201, "fixture: create change")
    ident = r.json["id"]
    for s in steps:
        ctx.act(ident, s, PREP_BODY.get(s))
    return ctx.get_change(ident)


class Matrix:
    """Collects every mismatch of one endpoint's role table, then fails once with all."""

    def __init__(self, what):
        self.what = what
        self.errors = []

    def expect(self, role, allowed, r, ok_status=200):
        if allowed and r.status != ok_status:
            self.errors.append(f"{role}: expected {ok_status}, got {r.status} {short(r.body, 200)}")
        elif not allowed:
            try:
                expect_problem(r, 403, "/problems/forbidden")
            except Failure as e:
                self.errors.append(f"{role}: expected 403 forbidden: {e}")
        return allowed and r.status == ok_status

    def done(self):
        if self.errors:
            raise Failure(f"{self.what}:\n  " + "\n  ".join(self.errors))


# ---------------------------------------------------------------------------- the matrix


@t("clients: every role lists and reads its client; only the admin creates and edits")
def _(ctx):
    w = world(ctx)
    m = Matrix("clients")
    for role in sorted(EVERYONE):
        api = as_role(ctx, role, w)
        r = api.get("/api/v1/clients")
        m.expect(role, True, r)
        if role != "admin" and r.status == 200:
            eq([c["key"] for c in r.json["items"]], [w["A"]], f"clients {role} lists")
        m.expect(role, True, api.get(f"/api/v1/clients/{w['A']}"))
        key = unique("k")
        r = api.post("/api/v1/clients", {"key": key, "name": "N", "timezone": "UTC"})
        m.expect(role, role == "admin", r, 201)
        if role != "admin":
            expect_problem(ctx.api.get(f"/api/v1/clients/{key}"), 404, "/problems/not-found",
                           what=f"client refused for {role} must not exist")
        cur = ctx.api.get(f"/api/v1/clients/{w['A']}").json
        r = api.patch(f"/api/v1/clients/{w['A']}", {"name": f"A by {role}"},
                      if_match=f'"{cur["version"]}"')
        m.expect(role, role == "admin", r)
    m.done()


@t("CIs: every role reads; implementers and change managers write their client's CIs")
def _(ctx):
    w = world(ctx)
    m = Matrix("cis")
    for role in sorted(EVERYONE):
        api = as_role(ctx, role, w)
        writes = role in OPERATORS
        r = api.get("/api/v1/cis?" + f"client={w['A']}")
        m.expect(role, True, r)
        m.expect(role, True, api.get(f"/api/v1/cis/{w['ci_a']}"))
        m.expect(role, True, api.get(f"/api/v1/cis/{w['ci_shared']}"))
        r = api.post("/api/v1/cis", {"client": w["A"], "name": unique("ci"), "type": "server"})
        m.expect(role, writes, r, 201)
        cur = ctx.api.get(f"/api/v1/cis/{w['ci_a']}").json
        r = api.patch(f"/api/v1/cis/{w['ci_a']}", {"owner": role},
                      if_match=f'"{cur["version"]}"')
        m.expect(role, writes, r)
    m.done()


@t("shared CIs: readable by all; written only by admin or an all-clients change manager")
def _(ctx):
    w = world(ctx)
    m = Matrix("shared cis")
    for role in sorted(EVERYONE):
        api = as_role(ctx, role, w)
        r = api.post("/api/v1/cis", {"client": None, "name": unique("ci"), "type": "site"})
        m.expect(role, role == "admin", r, 201)
        cur = ctx.api.get(f"/api/v1/cis/{w['ci_shared']}").json
        r = api.patch(f"/api/v1/cis/{w['ci_shared']}", {"owner": role},
                      if_match=f'"{cur["version"]}"')
        m.expect(role, role == "admin", r)
    for role, allowed in (("change_manager", True), ("implementer", False), ("requester", False),
                          ("auditor", False)):
        api = ctx.user_api(role)   # on all clients
        r = api.post("/api/v1/cis", {"client": None, "name": unique("ci"), "type": "site"})
        m.expect(f"all-clients {role}", allowed, r, 201)
    m.done()


@t("changes: every role lists, reads and reads timelines; writers create and edit")
def _(ctx):
    w = world(ctx)
    ch = fresh_change(ctx, w["A"])
    m = Matrix("changes")
    for role in sorted(EVERYONE):
        api = as_role(ctx, role, w)
        r = api.get("/api/v1/changes?" + f"client={w['A']}&limit=200")
        if m.expect(role, True, r):
            check(ch["id"] in [i["id"] for i in r.json["items"]], f"{role} lists A's change")
        m.expect(role, True, api.get(f"/api/v1/changes/{ch['id']}"))
        m.expect(role, True, api.get(f"/api/v1/changes/{ch['id']}/timeline"))
        r = api.post("/api/v1/changes", ctx.change_body(w["A"]))
        if m.expect(role, role in WRITERS, r, 201) and role != "admin":
            eq(r.json["raised_by"], f"u-{role}-{w['A']}", "raised_by of a role's change")
        cur = ctx.get_change(ch["id"])
        r = api.patch(f"/api/v1/changes/{ch['id']}", {"risks": f"as seen by {role}"},
                      if_match=f'"{cur["version"]}"')
        m.expect(role, role in WRITERS, r)
    m.done()


def action_case(ctx, w, action, role):
    steps, body, allowed, state_after = ACTIONS[action]
    ch = fresh_change(ctx, w["A"], steps)
    api = as_role(ctx, role, w)
    r = api.post(f"/api/v1/changes/{ch['id']}/{action}", body) if body is not None else \
        api.post(f"/api/v1/changes/{ch['id']}/{action}")
    return ch, r, role in allowed, state_after


@t("lifecycle actions: each of the 12 reachable actions against each role (allowed -> 200, else 403)")
def _(ctx):
    w = world(ctx)
    m = Matrix("actions")
    for action in ACTIONS:
        for role in sorted(EVERYONE):
            ch, r, allowed, state_after = action_case(ctx, w, action, role)
            if m.expect(f"{action} as {role}", allowed, r):
                eq(r.json["state"], state_after, f"state after {action} as {role}")
            if not allowed:
                eq(to_json(ctx.get_change(ch["id"])), to_json(ch),
                   f"change after {action} refused to {role}")
    m.done()


@t("emergency approve/reject: emergency approvers and change managers, not CAB members")
def _(ctx):
    w = world(ctx)
    m = Matrix("emergency approval")
    allowed = {"emergency_approver", "change_manager", "admin"}
    for action, body in (("approve", {"comment": "go"}), ("reject", {"reason": "no"})):
        for role in sorted(EVERYONE):
            ch = fresh_change(ctx, w["A"], ["submit"], type_="emergency",
                              incidents=["INC-1"])
            r = as_role(ctx, role, w).post(f"/api/v1/changes/{ch['id']}/{action}", body)
            m.expect(f"emergency {action} as {role}", role in allowed, r)
    m.done()


@t("a 403 comes only after the record was found visible: unknown ids stay 404 for all")
def _(ctx):
    w = world(ctx)
    for role in sorted(EVERYONE):
        api = as_role(ctx, role, w)
        for path in ("/api/v1/changes/CHG-999999/approve", "/api/v1/changes/CHG-999999/close"):
            expect_problem(api.post(path, {"reason": "x"}), 404, "/problems/not-found",
                           what=f"{role} POST {path}")
        expect_problem(api.patch("/api/v1/clients/no-such-client", {"name": "x"},
                                 if_match='"1"'), 404, "/problems/not-found", what=role)
        expect_problem(api.patch("/api/v1/cis/CI-999999", {"owner": "x"}, if_match='"1"'), 404,
                       "/problems/not-found", what=role)


@t("a refusal names the roles that would allow the action")
def _(ctx):
    w = world(ctx)
    ch = fresh_change(ctx, w["A"], ["submit", "assess"])
    r = ctx.user_api("requester", [w["A"]]).post(f"/api/v1/changes/{ch['id']}/approve")
    p = expect_problem(r, 403, "/problems/forbidden")
    check("requester" in p["detail"] and "change_manager" in p["detail"]
          and "cab_member" in p["detail"], f"detail should name the roles: {p['detail']!r}")


# ---------------------------------------------------------------------------- separation of duties


@t("separation of duties: the raiser cannot approve or reject; another change manager can")
def _(ctx):
    w = world(ctx)
    me = ctx.user_api("change_manager", [w["A"]], name="sod-raiser")
    r = me.post("/api/v1/changes", ctx.change_body(w["A"]))
    expect_status(r, 201)
    ident = r.json["id"]
    eq(r.json["raised_by"], "sod-raiser", "raised_by")
    for a in ("submit", "assess"):
        expect_status(me.post(f"/api/v1/changes/{ident}/{a}"), 200, f"raiser may {a}")
    before = ctx.get_change(ident)
    for a, body in (("approve", {"comment": "mine"}), ("reject", {"reason": "mine"})):
        p = expect_problem(me.post(f"/api/v1/changes/{ident}/{a}", body), 403,
                           "/problems/forbidden", what=f"raiser {a}")
        check("separation of duties" in p["detail"], f"detail: {p['detail']!r}")
    eq(to_json(ctx.get_change(ident)), to_json(before), "change after refused approvals")
    other = ctx.user_api("change_manager", [w["A"]], name="sod-other")
    expect_status(other.post(f"/api/v1/changes/{ident}/approve", {"comment": "ok"}), 200,
                  "another change manager approves")


@t("separation of duties: a requester voting on their own change is always told so, "
   "whatever its state and the roles they lack (issue 10)")
def _(ctx):
    w = world(ctx)
    me = ctx.user_api("requester", [w["A"]], name="sod-requester")
    r = me.post("/api/v1/changes", ctx.change_body(
        w["A"], cis=[ctx.make_ci(w["A"], name=unique("own"))["id"]]))
    expect_status(r, 201)
    ident = r.json["id"]
    eq(r.json["raised_by"], "sod-requester", "raised_by")
    votes = (("approve", {"comment": "mine"}), ("reject", {"reason": "mine"}))

    def refused(state):
        before = ctx.get_change(ident)
        eq(before["state"], state, "state")
        for a, body in votes:
            p = expect_problem(me.post(f"/api/v1/changes/{ident}/{a}", body), 403,
                               "/problems/forbidden", what=f"requester {a}s own {state} change")
            check(p["detail"].startswith("separation of duties: sod-requester raised this "
                                         f"change and may not {a} it"), f"detail: {p['detail']!r}")
        eq(to_json(ctx.get_change(ident)), to_json(before), "change after refused votes")

    refused("draft")
    expect_status(me.post(f"/api/v1/changes/{ident}/submit"), 200, "requester submits")
    refused("submitted")
    ctx.act(ident, "assess")
    refused("assessed")
    # The implementer (no approve role) of someone else's change is told the same.
    impl = ctx.user_api("implementer", [w["A"]], name="sod-implementer")
    ch = fresh_change(ctx, w["A"], ["submit", "assess"], implementer="sod-implementer")
    p = expect_problem(impl.post(f"/api/v1/changes/{ch['id']}/approve", {"comment": "x"}), 403,
                       "/problems/forbidden")
    check("separation of duties: sod-implementer implements" in p["detail"],
          f"detail: {p['detail']!r}")


@t("separation of duties: the implementer cannot approve, even as CAB member")
def _(ctx):
    w = world(ctx)
    impl = ctx.user_api("cab_member", [w["A"]], name="sod-impl")
    ch = fresh_change(ctx, w["A"], ["submit", "assess"], implementer="sod-impl")
    p = expect_problem(impl.post(f"/api/v1/changes/{ch['id']}/approve", {"comment": "x"}), 403,
                       "/problems/forbidden")
    check("separation of duties" in p["detail"], f"detail: {p['detail']!r}")
    expect_status(ctx.user_api("cab_member", [w["A"]], name="sod-cab").post(
        f"/api/v1/changes/{ch['id']}/approve", {"comment": "x"}), 200, "another CAB member")


@t("separation of duties: whoever created the change cannot approve it under another name")
def _(ctx):
    w = world(ctx)
    me = ctx.user_api("change_manager", [w["A"]], name="sod-creator")
    r = me.post("/api/v1/changes", ctx.change_body(w["A"], raised_by="someone-else"))
    expect_status(r, 201)
    ident = r.json["id"]
    for a in ("submit", "assess"):
        ctx.act(ident, a)
    expect_problem(me.post(f"/api/v1/changes/{ident}/approve"), 403, "/problems/forbidden")


@t("separation of duties binds admins: an admin cannot approve a change it raised")
def _(ctx):
    w = world(ctx)
    ch = ctx.make_change(w["A"])   # raised by admin
    for a in ("submit", "assess"):
        ctx.act(ch["id"], a)
    expect_problem(ctx.api.post(f"/api/v1/changes/{ch['id']}/approve"), 403,
                   "/problems/forbidden", what="admin approving its own change")
    em = ctx.make_change(w["A"], "emergency", incidents=["INC-9"])
    ctx.act(em["id"], "submit")
    expect_problem(ctx.api.post(f"/api/v1/changes/{em['id']}/approve"), 403,
                   "/problems/forbidden", what="admin approving its own emergency change")
    expect_status(ctx.user_api("emergency_approver", [w["A"]]).post(
        f"/api/v1/changes/{em['id']}/approve"), 200, "an emergency approver approves it")


# ---------------------------------------------------------------------------- cross-tenant


def same_problem(r, ref, secret_ident, missing_ident, what):
    """r must be the very answer a nonexistent record gets (ref), up to the identifier."""
    expect_problem(r, ref.status, ref.json["type"], what=what)
    eq(r.json["detail"].replace(secret_ident, "X"), ref.json["detail"].replace(missing_ident, "X"),
       f"{what}: detail")
    eq(r.json.get("field"), ref.json.get("field"), f"{what}: field")


def check_no_b(w, r, what):
    expect_status(r, 200, what)
    text = r.body.decode("utf-8", "replace")
    for needle in (f'"{w["B"]}"', f'"{w["ci_b"]}"', f'"{w["change_b"]["id"]}"', w["secret"],
                   w["ci_b_name"]):
        check(needle not in text, f"{what}: the answer mentions {needle!r}: {short(text, 600)}")


@t("cross-tenant: a user of A reads nothing of B by id, list, filter or search (every role)")
def _(ctx):
    w = world(ctx)
    chb, cib = w["change_b"]["id"], w["ci_b"]
    for role in ROLES:
        api = ctx.user_api(role, [w["A"]])
        pairs = ((f"/api/v1/clients/{w['B']}", "/api/v1/clients/no-such-client", w["B"],
                  "no-such-client"),
                 (f"/api/v1/cis/{cib}", "/api/v1/cis/CI-999999", cib, "CI-999999"),
                 (f"/api/v1/changes/{chb}", "/api/v1/changes/CHG-999999", chb, "CHG-999999"),
                 (f"/api/v1/changes/{chb}/timeline", "/api/v1/changes/CHG-999999/timeline", chb,
                  "CHG-999999"))
        for path, missing, ident, missing_ident in pairs:
            same_problem(api.get(path), api.get(missing), ident, missing_ident,
                         f"{role} GET {path}")
        n = int(chb.split("-")[1])
        expect_problem(api.get(f"/api/v1/changes/{n}"), 404, "/problems/not-found")
        for q in (f"client={w['B']}",):
            for base in ("/api/v1/changes?", "/api/v1/cis?"):
                same_problem(api.get(base + q), api.get(base + "client=no-such-client"), w["B"],
                             "no-such-client", f"{role} {base}{q}")
        for path in ("/api/v1/clients", "/api/v1/cis?limit=200", "/api/v1/changes?limit=200",
                     f"/api/v1/changes?ci={cib}", f"/api/v1/changes?q={w['secret']}",
                     "/api/v1/changes?q=needle", f"/api/v1/cis?q={w['ci_b_name']}",
                     "/api/v1/changes?state=draft,submitted,assessed",
                     "/api/v1/changes?type=normal",
                     "/api/v1/changes?from=2030-06-01T00:00:00Z&to=2030-06-02T00:00:00Z"):
            check_no_b(w, api.get(path), f"{role} GET {path}")
        r = api.get(f"/api/v1/changes?ci={cib}")
        eq(r.json["items"], [], f"{role}: changes on B's CI")
        eq(api.get(f"/api/v1/changes?q={w['secret']}").json["items"], [],
           f"{role}: search for B's text")


@t("cross-tenant: every write on B's records from a change manager of A answers 404 / 400")
def _(ctx):
    w = world(ctx)
    chb, cib = w["change_b"]["id"], w["ci_b"]
    snapshot = to_json(ctx.get_change(chb))
    ci_snapshot = to_json(ctx.api.get(f"/api/v1/cis/{cib}").json)
    b_client = to_json(ctx.api.get(f"/api/v1/clients/{w['B']}").json)
    for role in ("change_manager", "implementer", "requester"):
        api = ctx.user_api(role, [w["A"]])
        same_problem(api.patch(f"/api/v1/clients/{w['B']}", {"name": "mine"}, if_match='"1"'),
                     api.patch("/api/v1/clients/no-such-client", {"name": "mine"},
                               if_match='"1"'), w["B"], "no-such-client", f"{role} PATCH client")
        same_problem(api.patch(f"/api/v1/cis/{cib}", {"owner": "me"}, if_match='"1"'),
                     api.patch("/api/v1/cis/CI-999999", {"owner": "me"}, if_match='"1"'), cib,
                     "CI-999999", f"{role} PATCH CI")
        same_problem(api.patch(f"/api/v1/changes/{chb}", {"title": "mine"}, if_match='"1"'),
                     api.patch("/api/v1/changes/CHG-999999", {"title": "mine"}, if_match='"1"'),
                     chb, "CHG-999999", f"{role} PATCH change")
        for action, (_, body, _, _) in ACTIONS.items():
            b = body or {}
            same_problem(api.post(f"/api/v1/changes/{chb}/{action}", b),
                         api.post(f"/api/v1/changes/CHG-999999/{action}", b), chb, "CHG-999999",
                         f"{role} {action} B's change")
        # creating in B, or referencing B's CI or change from A, is refused like a missing one
        same_problem(api.post("/api/v1/changes", ctx.change_body(w["B"], ready=False)),
                     api.post("/api/v1/changes", ctx.change_body("no-such-client", ready=False)),
                     w["B"], "no-such-client", f"{role} create change in B")
        same_problem(api.post("/api/v1/cis", {"client": w["B"], "name": "x", "type": "server"}),
                     api.post("/api/v1/cis", {"client": "no-such-client", "name": "x",
                                              "type": "server"}),
                     w["B"], "no-such-client", f"{role} create CI in B")
        if role in WRITERS:
            same_problem(api.post("/api/v1/changes", ctx.change_body(w["A"], cis=[cib])),
                         api.post("/api/v1/changes", ctx.change_body(w["A"], cis=["CI-999999"])),
                         cib, "CI-999999", f"{role} change in A on B's CI")
            same_problem(api.post("/api/v1/changes",
                                  ctx.change_body(w["A"], related_changes=[chb])),
                         api.post("/api/v1/changes",
                                  ctx.change_body(w["A"], related_changes=["CHG-999999"])),
                         chb, "CHG-999999", f"{role} change in A related to B's change")
            mine = api.post("/api/v1/changes", ctx.change_body(w["A"]))
            expect_status(mine, 201)
            same_problem(api.patch(f"/api/v1/changes/{mine.json['id']}", {"cis": [cib]},
                                   if_match='"1"'),
                         api.patch(f"/api/v1/changes/{mine.json['id']}", {"cis": ["CI-999999"]},
                                   if_match='"1"'), cib, "CI-999999", f"{role} PATCH cis to B's")
    eq(to_json(ctx.get_change(chb)), snapshot, "B's change after A's attempts")
    eq(to_json(ctx.api.get(f"/api/v1/cis/{cib}").json), ci_snapshot, "B's CI after A's attempts")
    eq(to_json(ctx.api.get(f"/api/v1/clients/{w['B']}").json), b_client, "B after A's attempts")
    eq(len(ctx.timeline(chb)), 1, "B's change timeline (only its creation)")
