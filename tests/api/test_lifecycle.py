"""The change lifecycle end to end: every path of normal, standard and emergency changes,
refusals (illegal transitions and named preconditions) and the timeline."""

from harness import (RFC3339_UTC, Module, check, eq, expect_problem, expect_status, short,
                     to_json)

MODULE = Module("lifecycle")
t = MODULE.test

STATE_AFTER = {
    "submit": "submitted", "assess": "assessed", "approve": "approved", "reject": "draft",
    "reopen": "draft", "schedule": "scheduled", "start": "in_progress",
    "complete": "completed", "fail": "failed", "rollback": "rolled_back",
    "review": "reviewed", "close": "closed", "cancel": "cancelled",
}

# a body that satisfies each action's own input requirements
GOOD_BODY = {
    "approve": {"comment": "ok"}, "reject": {"reason": "too risky"},
    "complete": {"notes": "went fine"}, "fail": {"reason": "disk full"},
    "rollback": {"notes": "restored"}, "review": {"summary": "fine", "lessons": "none"},
    "cancel": {"reason": "no longer needed"},
}

ACTIONS = list(STATE_AFTER)

FIELD_ALIASES = {"summary": {"summary", "review.summary", "review_summary"}}


def client(ctx):
    if "client" not in ctx.store:
        ctx.store["client"] = ctx.make_client()["key"]
    return ctx.store["client"]


def step(ctx, ident, action, body=None):
    """Performs one action and checks: 200, state, version+1, one more timeline event."""
    before = ctx.get_change(ident)
    n_events = len(ctx.timeline(ident))
    if body is None:
        body = GOOD_BODY.get(action)
    r = ctx.act(ident, action, body)
    if isinstance(r.json, dict) and "state" in r.json:
        eq(r.json["state"], STATE_AFTER[action], f"state in the {action} response")
    after = ctx.get_change(ident)
    eq(r.header("ETag"), f'"{after["version"]}"', f"ETag of the {action} response")
    eq(after["state"], STATE_AFTER[action], f"state after {action}")
    eq(after["version"], before["version"] + 1, f"version after {action}")
    eq(len(ctx.timeline(ident)), n_events + 1, f"timeline events after {action}")
    return after


def walk(ctx, ident, actions):
    ch = None
    for a in actions:
        ch = step(ctx, ident, a)
    return ch


def refuse(ctx, ident, action, body, status, ptype, field=None, fields=None):
    """Performs a refused action and checks the problem and that nothing changed."""
    before = ctx.get_change(ident)
    n_events = len(ctx.timeline(ident))
    api = ctx.api_for(action)
    if body is None:
        r = api.post(f"/api/v1/changes/{ident}/{action}")
    else:
        r = api.post(f"/api/v1/changes/{ident}/{action}", body)
    p = expect_problem(r, status, ptype, field=field, fields=fields,
                       what=f"{action} from {before['state']}")
    eq(to_json(ctx.get_change(ident)), to_json(before), f"change after refused {action}")
    eq(len(ctx.timeline(ident)), n_events, f"timeline after refused {action}")
    return p


def illegal(ctx, ident, action):
    return refuse(ctx, ident, action, GOOD_BODY.get(action), 409, "/problems/illegal-transition")


# ---------------------------------------------------------------------------- normal


@t("normal: draft -> submitted -> assessed -> approved -> scheduled -> in_progress -> "
   "completed -> reviewed -> closed, with times, outcome and review recorded")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    i = ch["id"]
    walk(ctx, i, ["submit", "assess", "approve", "schedule"])
    s = step(ctx, i, "start")
    check(RFC3339_UTC.match(str(s.get("actual_start"))),
          f"actual_start after start: {s.get('actual_start')!r}")
    c = step(ctx, i, "complete", {"notes": "went fine"})
    check(RFC3339_UTC.match(str(c.get("actual_end"))),
          f"actual_end after complete: {c.get('actual_end')!r}")
    check(isinstance(c.get("outcome"), str) and c["outcome"] not in ("failed", "rolled_back"),
          f"outcome after complete: {c.get('outcome')!r}")
    eq(c.get("outcome_notes"), "went fine", "outcome_notes")
    rv = step(ctx, i, "review", {"summary": "all good", "lessons": "book more time"})
    eq((rv["review"].get("summary"), rv["review"].get("lessons"),
        rv["review"].get("reviewed_by")), ("all good", "book more time", "admin"), "review")
    check(RFC3339_UTC.match(str(rv["review"].get("reviewed_at"))),
          f"review.reviewed_at: {rv['review'].get('reviewed_at')!r}")
    done = step(ctx, i, "close")
    eq(done["state"], "closed", "final state")


@t("normal: completed -> closed directly (review optional for a successful normal change)")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    walk(ctx, ch["id"], ["submit", "assess", "approve", "schedule", "start", "complete",
                         "close"])


@t("normal: submit without implementation_plan -> 422 naming implementation_plan")
def _(ctx):
    ch = ctx.make_change(client(ctx), implementation_plan=None)
    refuse(ctx, ch["id"], "submit", None, 422, "/problems/precondition-failed",
           field="implementation_plan")


@t("normal: submit without test_plan -> 422 naming test_plan")
def _(ctx):
    ch = ctx.make_change(client(ctx), test_plan=None)
    refuse(ctx, ch["id"], "submit", None, 422, "/problems/precondition-failed", field="test_plan")


@t("normal: submit without rollback_plan -> 422 naming rollback_plan; succeeds once added")
def _(ctx):
    ch = ctx.make_change(client(ctx), rollback_plan=None)
    p = refuse(ctx, ch["id"], "submit", None, 422, "/problems/precondition-failed",
               field="rollback_plan")
    check("rollback" in p["detail"].lower(), f"detail should say what is missing: {p['detail']!r}")
    r = ctx.api.patch(f"/api/v1/changes/{ch['id']}", {"rollback_plan": "restore"},
                      if_match='"1"')
    expect_status(r, 200)
    step(ctx, ch["id"], "submit")


@t("normal: submit with an empty-string plan is refused like a missing one")
def _(ctx):
    ch = ctx.make_change(client(ctx), test_plan="")
    refuse(ctx, ch["id"], "submit", None, 422, "/problems/precondition-failed", field="test_plan")


@t("normal: approve refused from submitted (must be assessed first) -> 409")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    walk(ctx, ch["id"], ["submit"])
    illegal(ctx, ch["id"], "approve")


@t("normal: schedule refused from assessed (needs approval) -> 409")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    walk(ctx, ch["id"], ["submit", "assess"])
    illegal(ctx, ch["id"], "schedule")


@t("normal: start refused from approved (must be scheduled) -> 409")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    walk(ctx, ch["id"], ["submit", "assess", "approve"])
    illegal(ctx, ch["id"], "start")


@t("every action other than submit/cancel is refused from draft with 409 illegal-transition")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    for a in ACTIONS:
        if a not in ("submit", "cancel"):
            illegal(ctx, ch["id"], a)


@t("every action is refused from closed with 409 illegal-transition")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    walk(ctx, ch["id"], ["submit", "assess", "approve", "schedule", "start", "complete",
                         "close"])
    for a in ACTIONS:
        illegal(ctx, ch["id"], a)


# ---------------------------------------------------------------------------- standard


@t("standard: submit assesses, pre-approves and schedules it at once -> ... -> closed")
def _(ctx):
    ch = ctx.make_standard_change(client(ctx))
    r = ctx.act(ch["id"], "submit")
    eq(r.json["state"], "scheduled", "state after submit of a standard change")
    actions = [e["action"] for e in ctx.timeline(ch["id"])]
    for a in ("change.submit", "change.assess", "change.schedule"):
        check(a in actions, f"timeline has {a}: {actions}")
    walk(ctx, ch["id"], ["start", "complete", "review", "close"])


@t("standard: approve and reject refused with 409 illegal-transition (pre-approved)")
def _(ctx):
    ch = ctx.make_standard_change(client(ctx))
    r = ctx.act(ch["id"], "submit")
    eq(r.json["state"], "scheduled", "state after submit")
    eq(r.json["approval"]["route"]["tier"], "preapproved", "tier")
    p = illegal(ctx, ch["id"], "approve")
    check("pre-approved" in p["detail"], f"detail: {p['detail']!r}")
    illegal(ctx, ch["id"], "reject")


@t("standard: a standard change without a template is refused at submit, offered as normal")
def _(ctx):
    ch = ctx.make_change(client(ctx), type_="standard")
    p = refuse(ctx, ch["id"], "submit", None, 422, "/problems/precondition-failed",
               field="template")
    eq(p.get("suggested_type"), "normal", "suggested_type")


# ---------------------------------------------------------------------------- emergency


@t("emergency: submit without an incident -> 422 naming incidents")
def _(ctx):
    ch = ctx.make_change(client(ctx), type_="emergency")
    eq(ch.get("incidents"), [], "incidents")
    refuse(ctx, ch["id"], "submit", None, 422, "/problems/precondition-failed",
           field="incidents")


@t("emergency: approve from submitted, start from approved, complete, review, close")
def _(ctx):
    ch = ctx.make_change(client(ctx), type_="emergency", incidents=["INC-4711"])
    walk(ctx, ch["id"], ["submit", "approve", "start", "complete", "review", "close"])


@t("emergency: reject from submitted needs a reason and records it")
def _(ctx):
    ch = ctx.make_change(client(ctx), type_="emergency", incidents=["INC-9"])
    walk(ctx, ch["id"], ["submit"])
    refuse(ctx, ch["id"], "reject", {}, (400, 422),
           {400: "/problems/invalid-input", 422: "/problems/precondition-failed"},
           field="reason")
    r = step(ctx, ch["id"], "reject", {"reason": "not an emergency"})
    eq(r.get("state_reason"), "not an emergency", "state_reason")


@t("emergency: cannot be closed from completed before review")
def _(ctx):
    ch = ctx.make_change(client(ctx), type_="emergency", incidents=["INC-1"])
    walk(ctx, ch["id"], ["submit", "approve", "start", "complete"])
    # docs/api.md: close is allowed from "completed (not emergency)", so this is an illegal
    # transition (409); a 422 naming the missing review is an equally honest refusal.
    refuse(ctx, ch["id"], "close", None, (409, 422),
           {409: "/problems/illegal-transition", 422: "/problems/precondition-failed"})


@t("emergency: may start undocumented but cannot close until plans are written "
   "(422 naming the plan), then closes")
def _(ctx):
    ch = ctx.make_change(client(ctx), type_="emergency", documented=False,
                         incidents=["INC-2"])
    i = ch["id"]
    walk(ctx, i, ["submit", "approve", "start", "complete", "review"])
    refuse(ctx, i, "close", None, 422, "/problems/precondition-failed",
           fields=("implementation_plan", "test_plan", "rollback_plan"))
    cur = ctx.get_change(i)
    r = ctx.api.patch(f"/api/v1/changes/{i}",
                      {"implementation_plan": "what we did", "test_plan": "what we checked",
                       "rollback_plan": "how to undo"}, if_match=f'"{cur["version"]}"')
    expect_status(r, 200, "documenting an emergency change after the fact")
    step(ctx, i, "close")


@t("emergency: schedule path also allowed (approved -> scheduled -> in_progress)")
def _(ctx):
    ch = ctx.make_change(client(ctx), type_="emergency", incidents=["INC-3"])
    walk(ctx, ch["id"], ["submit", "approve", "schedule", "start"])


# ---------------------------------------------------------------------------- failure paths


@t("failed -> reviewed -> closed; fail needs a reason and records outcome failed")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    i = ch["id"]
    walk(ctx, i, ["submit", "assess", "approve", "schedule", "start"])
    refuse(ctx, i, "fail", {}, (400, 422),
           {400: "/problems/invalid-input", 422: "/problems/precondition-failed"},
           field="reason")
    f = step(ctx, i, "fail", {"reason": "disk full"})
    eq(f.get("outcome"), "failed", "outcome")
    eq(f.get("state_reason"), "disk full", "state_reason")
    step(ctx, i, "review", {"summary": "ran out of disk"})
    step(ctx, i, "close")


@t("failed change cannot be closed without review")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    i = ch["id"]
    walk(ctx, i, ["submit", "assess", "approve", "schedule", "start", "fail"])
    refuse(ctx, i, "close", None, (409, 422),
           {409: "/problems/illegal-transition", 422: "/problems/precondition-failed"})


@t("review needs a summary -> refused naming summary")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    i = ch["id"]
    walk(ctx, i, ["submit", "assess", "approve", "schedule", "start", "fail"])
    refuse(ctx, i, "review", {"lessons": "only lessons"}, (400, 422),
           {400: "/problems/invalid-input", 422: "/problems/precondition-failed"},
           fields=FIELD_ALIASES["summary"])


@t("in_progress -> rolled_back -> reviewed -> closed; outcome rolled_back")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    i = ch["id"]
    walk(ctx, i, ["submit", "assess", "approve", "schedule", "start"])
    r = step(ctx, i, "rollback", {"notes": "restored snapshot"})
    eq(r.get("outcome"), "rolled_back", "outcome")
    walk(ctx, i, ["review", "close"])


@t("failed -> rolled_back is allowed")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    walk(ctx, ch["id"], ["submit", "assess", "approve", "schedule", "start", "fail",
                         "rollback"])


@t("rolled_back cannot be closed without review")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    walk(ctx, ch["id"], ["submit", "assess", "approve", "schedule", "start", "rollback"])
    refuse(ctx, ch["id"], "close", None, (409, 422),
           {409: "/problems/illegal-transition", 422: "/problems/precondition-failed"})


# ---------------------------------------------------------------------------- reject / cancel


@t("reject needs a reason and returns the change to draft -> edit -> submit again")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    i = ch["id"]
    walk(ctx, i, ["submit", "assess"])
    refuse(ctx, i, "reject", None, (400, 422),
           {400: "/problems/invalid-input", 422: "/problems/precondition-failed"},
           field="reason")
    refuse(ctx, i, "reject", {"reason": ""}, (400, 422),
           {400: "/problems/invalid-input", 422: "/problems/precondition-failed"},
           field="reason")
    r = step(ctx, i, "reject", {"reason": "too risky"})
    eq(r.get("state_reason"), "too risky", "state_reason")
    illegal(ctx, i, "reopen")  # a rejection already returns the change to draft
    rr = ctx.api.patch(f"/api/v1/changes/{i}", {"risks": "mitigated"},
                       if_match=f'"{r["version"]}"')
    expect_status(rr, 200, "edit after rejection")
    walk(ctx, i, ["submit", "assess", "approve"])


@t("cancel needs a reason and is allowed from draft, submitted, assessed, approved, "
   "draft after a rejection, scheduled")
def _(ctx):
    paths = {"draft": [], "submitted": ["submit"], "assessed": ["submit", "assess"],
             "approved": ["submit", "assess", "approve"],
             "rejected": ["submit", "assess", "reject"],
             "scheduled": ["submit", "assess", "approve", "schedule"]}
    for state, path in paths.items():
        ch = ctx.make_change(client(ctx))
        walk(ctx, ch["id"], path)
        refuse(ctx, ch["id"], "cancel", None, (400, 422),
               {400: "/problems/invalid-input", 422: "/problems/precondition-failed"},
               field="reason")
        c = step(ctx, ch["id"], "cancel", {"reason": f"cancel from {state}"})
        eq(c.get("state_reason"), f"cancel from {state}", "state_reason")


@t("cancel refused once in_progress (and after) -> 409 illegal-transition")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    i = ch["id"]
    walk(ctx, i, ["submit", "assess", "approve", "schedule", "start"])
    illegal(ctx, i, "cancel")
    walk(ctx, i, ["complete"])
    illegal(ctx, i, "cancel")


@t("a cancelled change accepts no further action")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    walk(ctx, ch["id"], ["cancel"])
    for a in ACTIONS:
        illegal(ctx, ch["id"], a)


# ---------------------------------------------------------------------------- details


@t("schedule with a body sets the planned window; reversed window refused with 400")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    i = ch["id"]
    walk(ctx, i, ["submit", "assess", "approve"])
    # docs/api.md: 400 for a "bad time"; the core names it a 422 rule. Either is a precise
    # refusal naming the field (create/PATCH answer 400 for the same window, see bad_input).
    refuse(ctx, i, "schedule", {"planned_start": "2030-03-01T12:00:00Z",
                                "planned_end": "2030-03-01T10:00:00Z"},
           (400, 422), {400: "/problems/invalid-input", 422: "/problems/precondition-failed"},
           fields=("planned_end", "planned_start"))
    refuse(ctx, i, "schedule", {"planned_start": "2030-02-30T12:00:00Z",
                                "planned_end": "2030-03-01T10:00:00Z"},
           400, "/problems/invalid-input", field="planned_start")
    s = step(ctx, i, "schedule", {"planned_start": "2030-03-01T10:00:00Z",
                                  "planned_end": "2030-03-01T12:00:00Z"})
    eq((s["planned_start"], s["planned_end"]), ("2030-03-01T10:00:00Z", "2030-03-01T12:00:00Z"),
       "planned window after schedule")


@t("action with stale If-Match -> 409 stale-version; with current If-Match -> 200")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    i = ch["id"]
    ctx.api.patch(f"/api/v1/changes/{i}", {"risks": "x"}, if_match='"1"')
    before = ctx.get_change(i)
    r = ctx.api.post(f"/api/v1/changes/{i}/submit", headers={"If-Match": '"1"'})
    expect_problem(r, 409, "/problems/stale-version")
    eq(to_json(ctx.get_change(i)), to_json(before), "after stale submit")
    r = ctx.api.post(f"/api/v1/changes/{i}/submit", headers={"If-Match": '"2"'})
    expect_status(r, 200)
    eq(ctx.get_change(i)["state"], "submitted", "state")


@t("unknown action -> 404 not-found; action on a missing change -> 404")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    r = ctx.api.post(f"/api/v1/changes/{ch['id']}/frobnicate")
    expect_problem(r, 404, "/problems/not-found")
    r = ctx.api.post("/api/v1/changes/CHG-999999/submit")
    expect_problem(r, 404, "/problems/not-found")
    eq(to_json(ctx.get_change(ch["id"])), to_json(ch), "after unknown action")


@t("GET on an action URL -> 405 with Allow: POST")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    r = ctx.api.get(f"/api/v1/changes/{ch['id']}/submit")
    expect_problem(r, 405, "/problems/method-not-allowed")
    allow = {m.strip().upper() for m in (r.header("Allow") or "").split(",") if m.strip()}
    check("POST" in allow, f"Allow header should list POST: {r.header('Allow')!r}")
    eq(ctx.get_change(ch["id"])["state"], "draft", "state after GET on action URL")


@t("action with a malformed JSON body -> 400, state unchanged")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    r = ctx.api.post(f"/api/v1/changes/{ch['id']}/cancel", raw=b'{"reason": ')
    expect_problem(r, 400, "/problems/invalid-input")
    r = ctx.api.post(f"/api/v1/changes/{ch['id']}/cancel", {"reason": 5})
    expect_problem(r, 400, "/problems/invalid-input", field="reason")
    r = ctx.api.post(f"/api/v1/changes/{ch['id']}/cancel", {"reason": "x", "bogus": 1})
    expect_problem(r, 400, "/problems/invalid-input", field="bogus")
    eq(to_json(ctx.get_change(ch["id"])), to_json(ch), "after bad action bodies")


# ---------------------------------------------------------------------------- timeline


@t("timeline lists every event oldest first with actor, action, at, before/after states")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    i = ch["id"]
    ctx.api.patch(f"/api/v1/changes/{i}", {"risks": "some"}, if_match='"1"')
    actions = ["submit", "assess", "approve", "schedule", "start", "fail", "review", "close"]
    for a in actions:
        ctx.act(i, a, GOOD_BODY.get(a))
    tl = ctx.timeline(i)
    eq(len(tl), 2 + len(actions), "number of events")
    for e in tl:
        for k in ("id", "at", "actor", "action", "reason", "request_id", "before", "after"):
            check(k in e, f"event lacks {k!r}: {short(e)}")
        # the approver approves (separation of duties), the admin does everything else
        want = "approver" if str(e["action"]).endswith("approve") else "admin"
        eq(e["actor"], want, "event actor")
        check(isinstance(e["request_id"], str) and e["request_id"],
              f"event request_id should be a non-empty string: {e['request_id']!r}")
        check(RFC3339_UTC.match(str(e["at"])), f"event at not RFC 3339 UTC: {e['at']!r}")
    ids = [e["id"] for e in tl]
    eq(ids, sorted(ids), "event ids oldest first")
    eq(len(set(map(str, ids))), len(ids), "event ids unique")
    ats = [e["at"] for e in tl]
    eq(ats, sorted(ats), "event times non-decreasing")

    def act_name(e):
        a = str(e["action"])
        return a.split(".", 1)[1] if a.startswith("change.") else a

    check(act_name(tl[0]) in ("create", "created"), f"first event action: {tl[0]['action']!r}")
    eq(tl[0]["before"], None, "create event before")
    eq(tl[0]["after"].get("state"), "draft", "create event after.state")
    check(act_name(tl[1]) in ("update", "edit", "patch", "updated"),
          f"second event should be the edit: {tl[1]['action']!r}")
    eq((tl[1]["before"].get("risks"), tl[1]["after"].get("risks")), (None, "some"),
       "edit event before/after risks")
    prev = "draft"
    for e, a in zip(tl[2:], actions):
        eq(act_name(e), a, "event action")
        eq(e["before"].get("state"), prev, f"{a} event before.state")
        eq(e["after"].get("state"), STATE_AFTER[a], f"{a} event after.state")
        prev = STATE_AFTER[a]
    fail_ev = tl[2 + actions.index("fail")]
    eq(fail_ev["reason"], "disk full", "fail event reason")


@t("timeline of a missing change -> 404")
def _(ctx):
    expect_problem(ctx.api.get("/api/v1/changes/CHG-999999/timeline"), 404,
                   "/problems/not-found")


@t("refused actions leave no trace in the timeline")
def _(ctx):
    ch = ctx.make_change(client(ctx), rollback_plan=None)
    i = ch["id"]
    for a, body in (("submit", None), ("approve", None), ("cancel", {}), ("frobnicate", None)):
        ctx.api.post(f"/api/v1/changes/{i}/{a}", body) if body is not None else \
            ctx.api.post(f"/api/v1/changes/{i}/{a}")
    tl = ctx.timeline(i)
    eq(len(tl), 1, "events after only refused actions")


@t("concurrent submits of one change: exactly one succeeds, one submit event recorded")
def _(ctx):
    import threading
    ch = ctx.make_change(client(ctx))
    results = [None] * 8

    def worker(k):
        try:
            results[k] = ctx.api.post(f"/api/v1/changes/{ch['id']}/submit")
        except Exception as e:  # noqa: BLE001
            results[k] = e

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(len(results))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    statuses = [getattr(r, "status", repr(r)) for r in results]
    eq(statuses.count(200), 1, f"successful submits among {statuses}")
    check(all(s in (200, 409) for s in statuses), f"statuses should be 200 or 409: {statuses}")
    g = ctx.get_change(ch["id"])
    eq((g["state"], g["version"]), ("submitted", 2), "state and version")
    eq(len(ctx.timeline(ch["id"])), 2, "timeline events (create + one submit)")


@t("a change cannot be related to itself (400 field related_changes)")
def _(ctx):
    ch = ctx.make_change(client(ctx))
    r = ctx.api.patch(f"/api/v1/changes/{ch['id']}", {"related_changes": [ch["id"]]},
                      if_match='"1"')
    expect_problem(r, 400, "/problems/invalid-input", field="related_changes")
    eq(to_json(ctx.get_change(ch["id"])), to_json(ch), "after refused self-relation")
