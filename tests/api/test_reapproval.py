"""Re-approval under the built-in policy: an approved change goes back for approval only when
its own risk inputs moved by what the policy calls material, by the actor "system" with the
changed inputs named; another change's work on the same CI is not that, and a change being
implemented (an emergency above all) is never sent back."""
from harness import Module, check, eq, expect_status

MODULE = Module("reapproval")
t = MODULE.test


def approved(ctx, client, type_="normal", **fields):
    ch = ctx.make_change(client, type_=type_, **fields)
    actions = ("submit", "approve") if type_ == "emergency" else ("submit", "assess", "approve")
    for a in actions:
        ctx.act(ch["id"], a)
    return ch["id"]


def reapprovals(ctx, ident):
    return [e for e in ctx.timeline(ident) if e["action"] == "change.reapproval"]


def patch_ci(ctx, ci, **fields):
    cur = ctx.api.get(f"/api/v1/cis/{ci}").json
    r = ctx.api.patch(f"/api/v1/cis/{ci}", fields, if_match=f'"{cur["version"]}"')
    expect_status(r, 200, "PATCH CI")


@t("another change started and completed on the same CI does not send an approved change "
   "back for approval: it starts")
def _(ctx):
    c = ctx.make_client()["key"]
    x, y = approved(ctx, c), approved(ctx, c)
    ctx.act(y, "schedule")
    for a in ("schedule", "start"):
        ctx.act(x, a)
    ctx.act(x, "complete", {"notes": "done", "no_documentation_affected": True})
    r = ctx.act(y, "start")
    eq(r.json["state"], "in_progress", "the other change's work is not this change's risk")
    eq(reapprovals(ctx, y), [], "no re-approval")


@t("a material change of this change's own inputs sends it back, by system, naming what "
   "changed")
def _(ctx):
    c = ctx.make_client()["key"]
    ci = ctx.make_ci(c, criticality=1, users_affected=5)["id"]
    z = approved(ctx, c, cis=[ci])
    patch_ci(ctx, ci, criticality=5, users_affected=50000)
    after = ctx.get_change(z)
    eq(after["state"], "assessed", "back for approval")
    events = reapprovals(ctx, z)
    eq(len(events), 1, "one re-approval event")
    eq(events[0]["actor"], "system", "written by the process, not by whoever edited the CI")
    check("max_ci_criticality" in (events[0]["reason"] or ""), events[0]["reason"])
    check("max_ci_criticality" in (after["state_reason"] or ""), after["state_reason"])


@t("an emergency change in progress is never sent back, whatever its inputs do")
def _(ctx):
    c = ctx.make_client()["key"]
    ci = ctx.make_ci(c, criticality=1, users_affected=5)["id"]
    e = approved(ctx, c, type_="emergency", cis=[ci], incidents=["INC-42"])
    for a in ("schedule", "start"):
        ctx.act(e, a)
    patch_ci(ctx, ci, criticality=5, users_affected=50000)
    eq(ctx.get_change(e)["state"], "in_progress", "still being implemented")
    eq(reapprovals(ctx, e), [], "no re-approval")
