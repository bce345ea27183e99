/*
 * demo.c - the demo data set (see demo.h): clients, CIs, the template and the changes.
 *
 * The data is three tables (clients, CIs, changes); the code only walks them. A change's
 * history is a list of lifecycle steps, each applied with gl_lifecycle_apply and stored
 * with change_update at its own time, so the audit timeline reads like real use. Times
 * are minutes relative to `now` rounded down to the hour: negative means in the past.
 * Every step lies in the past; planned windows may lie in the future, where the future
 * ones sit in a free maintenance window. The CMDB graph, attributes and documents come
 * from demo_cmdb.c, windows and blackouts from demo_calendar.c (before the changes, which
 * use them); the changes still open are risk-assessed last.
 */
#include "cli/demo.h"
#include "cli/demo_int.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "app/risk.h"
#include "core/lifecycle.h"
#include "store/store.h"
#include "util/buf.h"

#include "util/banned.h"

#define H(h) ((h)*60)
#define MAX_CIS 3
#define MAX_STEPS 8

struct demo_step {
    enum gl_action action;
    int at;            /* minutes */
    const char *actor; /* who performed it; NULL ends the list */
    const char *text;  /* reason, notes, review summary or approval comment */
    const char *lessons;
};

struct demo_change {
    const char *client;
    enum gl_change_type type;
    const char *title, *description;
    const char *raised_by, *reason, *expected_return, *risks, *implementer, *resources;
    const char *cis[MAX_CIS];
    const char *impl_plan, *test_plan, *rollback_plan;
    const char *rollback_evidence; /* non-NULL: the rollback was tested */
    int start, duration;           /* planned window in minutes; duration 0 = none */
    int created;
    int related; /* 1-based index of a related change in this table, 0 = none */
    const char *incident;
    bool in_window;  /* planned into the first free maintenance window from `start` on */
    bool urgent;     /* in_window: a blackout does not hold it back (the CAB decides) */
    const char *doc; /* a demo document (demo_cmdb.c) linked when assessed, updated when
                        completed */
    struct demo_step steps[MAX_STEPS];
};

static const struct demo_change changes[] = {
    {
        .client = "acme",
        .type = GL_TYPE_NORMAL,
        .title = "Upgrade Acme ERP to release 2024.2",
        .description = "Vendor release 2024.2 brings the new MRP planning engine and ends "
                       "support for 2022.x at year end.",
        .raised_by = "a.khan",
        .reason = "Current release leaves vendor support on 31 Dec.",
        .expected_return = "Supported release; MRP runs 40% faster per vendor benchmarks.",
        .risks = "Schema migration on acme-sql-01 is long; custom reports may break.",
        .implementer = "a.khan",
        .resources = "Vendor consultant (1 day), DBA on call.",
        .cis = {"acme-erp-app", "acme-sql-01"},
        .impl_plan = "1. Freeze ERP postings\n2. Back up ERP database\n3. Run vendor "
                     "installer 2024.2\n4. Run schema migration\n5. Reopen postings",
        .start = H(24 * 14), /* a week after the firewall upgrade's window */
        .duration = H(4),
        .created = -H(5),
        .related = 7,
        .in_window = true,
    },
    {
        .client = "globex",
        .type = GL_TYPE_NORMAL,
        .title = "Patch POS gateway to 5.8.1 (vendor advisory VSA-2024-17)",
        .description = "Apply the vendor's security release to the payment gateway pair.",
        .raised_by = "j.osei",
        .reason = "Vendor advisory rates the TLS flaw as high.",
        .expected_return = "Closes the advisory before the PCI quarterly scan.",
        .risks = "Card payments in stores stop if both nodes fail to come back.",
        .implementer = "j.osei",
        .resources = "Payments engineer, vendor support line.",
        .cis = {"globex-pos-gateway"},
        .impl_plan = "1. Drain node B\n2. Patch node B, health check\n3. Fail over\n"
                     "4. Patch node A, health check\n5. Rebalance",
        .test_plan = "Test transaction from the lab till on each node; check settlement file.",
        .rollback_plan = "Reinstall 5.7.4 package from the local repository on the "
                         "affected node; fail over to the untouched node meanwhile.",
        .start = H(30), /* the advisory waits for neither the full notice nor a freeze */
        .duration = H(2),
        .created = -H(30),
        .in_window = true,
        .urgent = true,
        .steps = {{GL_ACTION_SUBMIT, -H(26), "j.osei", NULL, NULL},
                  {GL_ACTION_ASSESS, -H(20), "m.reyes", NULL, NULL}},
    },
    {
        .client = "acme",
        .type = GL_TYPE_NORMAL,
        .title = "Firmware upgrade on edge firewall acme-fw-edge to 7.4.3",
        .description = "HA pair upgrade; fixes the IPsec rekey bug seen twice this month.",
        .raised_by = "s.lindqvist",
        .reason = "IPsec tunnels to the Leeds plant drop on rekey.",
        .expected_return = "Stable site-to-site VPN; vendor-supported firmware.",
        .risks = "Short failover interruption; config conversion issues on upgrade.",
        .implementer = "s.lindqvist",
        .resources = "Network engineer, console access.",
        .cis = {"acme-fw-edge"},
        .impl_plan = "1. Export config\n2. Upgrade passive member\n3. Fail over\n"
                     "4. Upgrade former active\n5. Verify tunnels and policies",
        .test_plan = "Ping and traceroute to Leeds plant; check all 14 tunnels are up.",
        .rollback_plan = "Boot the alternate partition holding 7.2.8 on each member.",
        .rollback_evidence = "Partition switch rehearsed on lab pair on 3 Nov, 4 min.",
        .start = H(168),
        .duration = H(3),
        .created = -H(96),
        .in_window = true,
        .steps = {{GL_ACTION_SUBMIT, -H(90), "s.lindqvist", NULL, NULL},
                  {GL_ACTION_ASSESS, -H(72), "m.reyes", NULL, NULL},
                  {GL_ACTION_APPROVE, -H(20), "r.walsh",
                   "CAB approved; client sign-off received from Acme IT.", NULL}},
    },
    {
        .client = "acme",
        .type = GL_TYPE_NORMAL,
        .title = "Disable SMBv1 and TLS 1.0 on acme-fileserver-02",
        .description = "Remove legacy protocols flagged by the annual penetration test.",
        .raised_by = "a.khan",
        .reason = "Pen test finding PT-2024-06 (medium).",
        .expected_return = "Finding closed; smaller attack surface.",
        .risks = "Old shop-floor devices may lose access to their shares.",
        .implementer = "a.khan",
        .resources = "Infra engineer, 1 hour.",
        .cis = {"acme-fileserver-02"},
        .impl_plan = "Apply GPO 'Harden-FS' to the server and reboot.",
        .test_plan = "Open shares from a Windows 11 client.",
        .rollback_plan = "Unlink the GPO and reboot.",
        .start = H(-48),
        .duration = H(1),
        .created = -H(120),
        .steps = {{GL_ACTION_SUBMIT, -H(118), "a.khan", NULL, NULL},
                  {GL_ACTION_ASSESS, -H(100), "m.reyes", NULL, NULL},
                  {GL_ACTION_REJECT, -H(80), "r.walsh",
                   "Test plan does not cover the label printers on the shop floor; "
                   "resubmit with a pilot group.",
                   NULL}},
    },
    {
        .client = "globex",
        .type = GL_TYPE_NORMAL,
        .title = "Scale web shop Kubernetes node pool ahead of holiday peak",
        .description = "Grow the production node pool from 6 to 10 nodes for the peak.",
        .raised_by = "p.alvarez",
        .reason = "Last year's peak saturated CPU at 92%.",
        .expected_return = "Headroom for 2x Black Friday traffic.",
        .risks = "Pod rescheduling during scale-out; higher cloud spend.",
        .implementer = "j.osei",
        .resources = "Platform engineer; budget approved (PO 7713).",
        .cis = {"globex-k8s-prod", "globex-web-shop"},
        .impl_plan = "1. Raise node pool max to 10\n2. Add 4 nodes\n3. Rebalance with "
                     "descheduler\n4. Raise HPA limits",
        .test_plan = "Load test at 2x last peak from the staging injector; p95 < 400 ms.",
        .rollback_plan = "Cordon and drain new nodes, lower pool size back to 6.",
        .rollback_evidence = "Drain procedure run in staging on 12 Nov.",
        .start = H(96),
        .duration = H(2),
        .created = -H(100),
        .in_window = true,
        .steps = {{GL_ACTION_SUBMIT, -H(98), "p.alvarez", NULL, NULL},
                  {GL_ACTION_ASSESS, -H(90), "m.reyes", NULL, NULL},
                  {GL_ACTION_APPROVE, -H(60), "m.reyes", "Low risk, well rehearsed.", NULL},
                  {GL_ACTION_SCHEDULE, -H(48), "m.reyes", NULL, NULL}},
    },
    {
        .client = "initech",
        .type = GL_TYPE_STANDARD,
        .title = "Monthly Windows patching - Initech HQ workstations",
        .description = "Standard change from template 'Workstation patching'.",
        .raised_by = "l.chen",
        .reason = "Monthly security updates.",
        .expected_return = "Workstations at current patch level.",
        .risks = "Individual machines may need a second reboot.",
        .implementer = "l.chen",
        .resources = "RMM policy, service desk on standby.",
        .cis = {"initech-hq-site", "msp-rmm-platform"},
        .impl_plan = "Release the approved update ring through the RMM platform.",
        .test_plan = "RMM compliance report shows 100% installed or pending reboot.",
        .rollback_plan = "Uninstall the offending KB through RMM.",
        .rollback_evidence = "Template rollback used successfully in March.",
        .start = -H(1),
        .duration = H(4),
        .created = -H(200),
        .steps = {{GL_ACTION_SUBMIT, -H(190), "l.chen", NULL, NULL},
                  {GL_ACTION_ASSESS, -H(189), "l.chen", NULL, NULL},
                  {GL_ACTION_SCHEDULE, -H(188), "l.chen", NULL, NULL},
                  {GL_ACTION_START, -H(1), "l.chen", NULL, NULL}},
    },
    {
        .client = "acme",
        .type = GL_TYPE_NORMAL,
        .title = "Add tempdb data files on acme-sql-01",
        .description = "Split tempdb into four files to remove allocation contention.",
        .raised_by = "t.nguyen",
        .reason = "PAGELATCH waits on tempdb during MRP runs.",
        .expected_return = "MRP batch 20 minutes shorter.",
        .risks = "Service restart needed; ERP unavailable for ~5 minutes.",
        .implementer = "t.nguyen",
        .resources = "DBA, 30 minutes.",
        .cis = {"acme-sql-01"},
        .impl_plan = "1. ALTER DATABASE tempdb ADD FILE x3\n2. Restart SQL service",
        .test_plan = "Run the MRP batch; compare wait stats with last week.",
        .rollback_plan = "Remove the added files with DBCC SHRINKFILE and ALTER DATABASE.",
        .rollback_evidence = "Rehearsed on acme-sql-test on 2 Nov.",
        .start = -H(26),
        .duration = H(2),
        .created = -H(170),
        .doc = "acme-sql-01 SQL Server build sheet",
        .steps = {{GL_ACTION_SUBMIT, -H(168), "t.nguyen", NULL, NULL},
                  {GL_ACTION_ASSESS, -H(150), "m.reyes", NULL, NULL},
                  {GL_ACTION_APPROVE, -H(120), "r.walsh", "Approved by CAB.", NULL},
                  {GL_ACTION_SCHEDULE, -H(100), "m.reyes", NULL, NULL},
                  {GL_ACTION_START, -H(26), "t.nguyen", NULL, NULL},
                  {GL_ACTION_COMPLETE, -H(25), "t.nguyen",
                   "Four tempdb files added; PAGELATCH waits gone.", NULL}},
    },
    {
        .client = "globex",
        .type = GL_TYPE_NORMAL,
        .title = "Move web shop static assets to new CDN provider",
        .description = "Switch the asset host CNAME to the new CDN for lower cost.",
        .raised_by = "p.alvarez",
        .reason = "Contract with the current CDN ends in January.",
        .expected_return = "30% lower CDN cost; HTTP/3 support.",
        .risks = "Broken assets on checkout if origin or certificates are wrong.",
        .implementer = "j.osei",
        .resources = "Platform engineer, CDN account manager.",
        .cis = {"globex-web-shop"},
        .impl_plan = "1. Lower DNS TTL\n2. Point assets CNAME to new CDN\n3. Purge caches",
        .test_plan = "Synthetic checkout journey from three regions.",
        .rollback_plan = "Point the CNAME back to the old CDN (TTL 60 s).",
        .start = -H(50),
        .duration = H(3),
        .created = -H(200),
        .steps = {{GL_ACTION_SUBMIT, -H(196), "p.alvarez", NULL, NULL},
                  {GL_ACTION_ASSESS, -H(180), "m.reyes", NULL, NULL},
                  {GL_ACTION_APPROVE, -H(150), "r.walsh", NULL, NULL},
                  {GL_ACTION_SCHEDULE, -H(149), "m.reyes", NULL, NULL},
                  {GL_ACTION_START, -H(50), "j.osei", NULL, NULL},
                  {GL_ACTION_FAIL, -H(49), "j.osei",
                   "Origin certificate rejected by the new CDN; checkout served mixed "
                   "content.",
                   NULL}},
    },
    {
        .client = "initech",
        .type = GL_TYPE_EMERGENCY,
        .title = "Emergency: patch VPN gateway against actively exploited CVE",
        .description = "Vendor hotfix for the pre-auth RCE being exploited in the wild.",
        .raised_by = "l.chen",
        .reason = "Exploit attempts seen in the gateway logs.",
        .expected_return = "Gateway no longer exploitable.",
        .risks = "Remote staff lose VPN during the reboot.",
        .implementer = "s.lindqvist",
        .resources = "Network engineer, vendor hotfix.",
        .cis = {"initech-vpn-gw"},
        .impl_plan = "1. Apply hotfix\n2. Reboot gateway\n3. Run vendor integrity check",
        .test_plan = "Connect from two remote laptops; integrity check clean.",
        .rollback_plan = "Boot previous image from the backup partition.",
        .start = -H(30),
        .duration = H(1),
        .created = -H(31),
        .incident = "INC-20431",
        .steps = {{GL_ACTION_SUBMIT, -H(31) + 10, "l.chen", NULL, NULL},
                  {GL_ACTION_APPROVE, -H(31) + 20, "m.reyes",
                   "Emergency approval: active exploitation.", NULL},
                  {GL_ACTION_START, -H(30), "s.lindqvist", NULL, NULL},
                  {GL_ACTION_COMPLETE, -H(29), "s.lindqvist",
                   "Hotfix applied, integrity check clean.", NULL},
                  {GL_ACTION_REVIEW, -H(6), "m.reyes",
                   "Patched within 2 hours of detection; no compromise found.",
                   "Subscribe Initech's gateway to the vendor's advisory feed."}},
    },
    {
        .client = "globex",
        .type = GL_TYPE_EMERGENCY,
        .title = "Emergency: raise POS gateway connection pool after payment timeouts",
        .description = "Card payments time out in 40 stores; gateway pool exhausted.",
        .raised_by = "j.osei",
        .reason = "Major incident: card payments failing in stores.",
        .expected_return = "Payments flowing again within the hour.",
        .risks = "A larger pool may overload the acquirer link.",
        .implementer = "j.osei",
        .resources = "Payments engineer, acquirer on the bridge.",
        .cis = {"globex-pos-gateway"},
        .impl_plan = "Raise max_connections from 200 to 400 and reload the gateway.",
        .test_plan = "Watch authorisation latency and error rate for 15 minutes.",
        .rollback_plan = "Restore max_connections=200 and reload.",
        .start = -H(8),
        .duration = H(1),
        .created = -H(9),
        .incident = "INC-31877",
        .steps = {{GL_ACTION_SUBMIT, -H(9) + 5, "j.osei", NULL, NULL},
                  {GL_ACTION_APPROVE, -H(9) + 15, "m.reyes",
                   "Emergency approval on the incident bridge.", NULL},
                  {GL_ACTION_START, -H(8), "j.osei", NULL, NULL},
                  {GL_ACTION_ROLLBACK, -H(8) + 25, "j.osei",
                   "Acquirer rejected the extra sessions; pool restored to 200. Root cause "
                   "was a slow acquirer, not the pool.",
                   NULL}},
    },
    {
        .client = "acme",
        .type = GL_TYPE_NORMAL,
        .title = "Rotate backup encryption keys for Acme on msp-backup-cluster",
        .description = "Yearly rotation of the Acme backup encryption key.",
        .raised_by = "k.brandt",
        .reason = "Key management policy: rotate yearly.",
        .expected_return = "Compliance with the Acme data protection schedule.",
        .risks = "Restores of old backups need the archived key.",
        .implementer = "k.brandt",
        .resources = "Backup engineer, key escrow officer.",
        .cis = {"msp-backup-cluster", "acme-fileserver-02"},
        .impl_plan = "1. Generate new key in the HSM\n2. Re-key Acme backup jobs\n"
                     "3. Escrow the old key",
        .test_plan = "Back up and restore a test folder with the new key.",
        .rollback_plan = "Re-key the jobs back to the previous key (kept in escrow).",
        .rollback_evidence = "Re-key procedure tested on the lab cluster.",
        .start = -H(240),
        .duration = H(2),
        .created = -H(330),
        .steps = {{GL_ACTION_SUBMIT, -H(328), "k.brandt", NULL, NULL},
                  {GL_ACTION_ASSESS, -H(320), "m.reyes", NULL, NULL},
                  {GL_ACTION_APPROVE, -H(300), "r.walsh", NULL, NULL},
                  {GL_ACTION_SCHEDULE, -H(299), "m.reyes", NULL, NULL},
                  {GL_ACTION_START, -H(240), "k.brandt", NULL, NULL},
                  {GL_ACTION_COMPLETE, -H(239), "k.brandt", "Test restore succeeded.", NULL},
                  {GL_ACTION_REVIEW, -H(200), "m.reyes", "Went to plan.", NULL},
                  {GL_ACTION_CLOSE, -H(199), "m.reyes", NULL, NULL}},
    },
    {
        .client = "globex",
        .type = GL_TYPE_NORMAL,
        .title = "Replace Wi-Fi access points in 12 stores",
        .description = "Swap end-of-life access points for Wi-Fi 6 models.",
        .raised_by = "p.alvarez",
        .reason = "Access points end of support in March.",
        .expected_return = "Reliable handheld scanners in stores.",
        .risks = "Store Wi-Fi down for about 30 minutes per store.",
        .implementer = "s.lindqvist",
        .resources = "Field technicians, 12 site visits.",
        .cis = {"globex-store-wifi"},
        .impl_plan = "Replace access points store by store after closing time.",
        .test_plan = "Scanner roaming test in each store.",
        .rollback_plan = "Re-mount the old access point; it stays on site for a week.",
        .start = H(200),
        .duration = H(8),
        .created = -H(150),
        .steps = {{GL_ACTION_SUBMIT, -H(148), "p.alvarez", NULL, NULL},
                  {GL_ACTION_ASSESS, -H(140), "m.reyes", NULL, NULL},
                  {GL_ACTION_APPROVE, -H(120), "r.walsh", NULL, NULL},
                  {GL_ACTION_CANCEL, -H(10), "p.alvarez",
                   "Superseded: the vendor replaces the access points under the managed "
                   "service contract.",
                   NULL}},
    },
    {
        .client = "initech",
        .type = GL_TYPE_STANDARD,
        .title = "Add 15 Microsoft 365 E3 licences for new starters",
        .description = "Standard change from template 'Licence change'.",
        .raised_by = "l.chen",
        .reason = "15 new starters on 1 December.",
        .expected_return = "New starters have mailboxes on day one.",
        .risks = "None beyond cost.",
        .implementer = "l.chen",
        .resources = "Purchase order 2291.",
        .cis = {"initech-m365-tenant"},
        .impl_plan = "Buy licences in the partner portal and assign to the starter group.",
        .test_plan = "Sign in as one new starter.",
        .rollback_plan = "Unassign and cancel licences within 7 days.",
        .rollback_evidence = "Standard template, used 9 times.",
        .start = -H(72),
        .duration = H(1),
        .created = -H(80),
        .steps = {{GL_ACTION_SUBMIT, -H(79), "l.chen", NULL, NULL},
                  {GL_ACTION_ASSESS, -H(78), "l.chen", NULL, NULL},
                  {GL_ACTION_SCHEDULE, -H(77), "l.chen", NULL, NULL},
                  {GL_ACTION_START, -H(72), "l.chen", NULL, NULL},
                  {GL_ACTION_COMPLETE, -H(71), "l.chen", "Licences assigned.", NULL},
                  {GL_ACTION_CLOSE, -H(70), "l.chen", NULL, NULL}},
    },
};

#define NCHANGES (sizeof changes / sizeof changes[0])
_Static_assert(NCHANGES <= DEMO_MAX_CHANGES, "raise DEMO_MAX_CHANGES");

/* Ids assigned while loading, by table index. */
struct gl_write_ctx demo_ctx(const char *action, int64_t now, const char *reason)
{
    return (struct gl_write_ctx){
        .actor = DEMO_ACTOR, .action = action, .reason = reason, .now = now};
}

static int set_strings(struct gl_change *c, const struct demo_change *d)
{
    struct {
        char **field;
        const char *value;
    } s[] = {
        {&c->title, d->title},
        {&c->description, d->description},
        {&c->raised_by, d->raised_by},
        {&c->reason, d->reason},
        {&c->expected_return, d->expected_return},
        {&c->risks, d->risks},
        {&c->implementer, d->implementer},
        {&c->resources, d->resources},
        {&c->implementation_plan, d->impl_plan},
        {&c->test_plan, d->test_plan},
        {&c->rollback_plan, d->rollback_plan},
        {&c->rollback_evidence, d->rollback_evidence},
        {&c->created_by, d->raised_by},
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        if (gl_change_set_str(s[i].field, s[i].value) < 0)
            return -1;
    return 0;
}

/* Fills c with the draft of d. */
static int build_draft(struct gl_change *c, const struct demo_change *d, const struct demo_ids *ids,
                       int64_t base)
{
    c->type = d->type;
    c->state = GL_STATE_DRAFT;
    c->client_id = demo_client_id(ids, d->client);
    c->rollback_tested = d->rollback_evidence != NULL;
    if (d->type == GL_TYPE_STANDARD)
        c->template_id = ids->template_id;
    if (d->duration) {
        c->planned_start = base + (int64_t)d->start * 60;
        c->planned_end = c->planned_start + (int64_t)d->duration * 60;
    }
    if (set_strings(c, d) < 0 || gl_change_set_str(&c->client_key, d->client) < 0)
        return -1;
    for (size_t i = 0; i < MAX_CIS && d->cis[i]; i++)
        if (gl_idlist_push(&c->ci_ids, demo_ci_id(ids, d->cis[i])) < 0)
            return -1;
    if (d->incident && gl_strlist_push(&c->incidents, d->incident) < 0)
        return -1;
    if (d->related && gl_idlist_push(&c->related_changes, ids->change[d->related - 1]) < 0)
        return -1;
    return 0;
}

/* Prefixes err's detail with the record that failed, so a broken data set is findable. */
static int blame(struct gl_error *err, int rc, const char *what)
{
    if (rc == 0 || !err)
        return rc;
    struct gl_error inner = *err;
    gl_error_set(err, (enum gl_errcode)rc, inner.field, "%s: %s", what, inner.detail);
    return rc;
}

static struct gl_action_input step_input(const struct demo_step *s)
{
    struct gl_action_input in = {
        .actor = s->actor, .planned_start = GL_TIME_UNSET, .planned_end = GL_TIME_UNSET};
    switch (s->action) {
    case GL_ACTION_REJECT:
    case GL_ACTION_FAIL:
    case GL_ACTION_CANCEL:
        in.reason = s->text;
        break;
    case GL_ACTION_COMPLETE:
    case GL_ACTION_ROLLBACK:
        in.outcome_notes = s->text;
        break;
    case GL_ACTION_REVIEW:
        in.review_summary = s->text;
        in.review_lessons = s->lessons;
        break;
    default:
        break;
    }
    return in;
}

/* Stores a step; approvals and rejections as the vote they are (one approver decides
 * each demo change: its tier's stage), a rejection starting the next round. */
static int record_step(struct gl_store *st, const struct gl_write_ctx *ctx,
                       const struct demo_step *s, const struct gl_change *cur,
                       struct gl_change *after, struct gl_error *err)
{
    if (s->action != GL_ACTION_APPROVE && s->action != GL_ACTION_REJECT)
        return st->changes->update(st, ctx, cur, after, err);
    struct gl_approval_vote v = {
        .round = 1,
        .stage = cur->type == GL_TYPE_EMERGENCY ? GL_STAGE_EMERGENCY : GL_STAGE_CHANGE_MANAGER,
        .decision = s->action == GL_ACTION_REJECT ? GL_VOTE_REJECT : GL_VOTE_APPROVE,
        .comment = (char *)s->text,
        .assessed_at = GL_TIME_UNSET,
        .at = ctx->now,
    };
    size_t n = strlen(s->actor);
    memcpy(v.user, s->actor, n < sizeof v.user ? n + 1 : sizeof v.user - 1);
    v.user[sizeof v.user - 1] = '\0';
    bool reject = s->action == GL_ACTION_REJECT;
    return st->approvals->write(st, ctx, cur, after, &v, reject,
                                reject ? "rejected in the demo" : NULL, err);
}

/* The catalogue's one template, for the standard changes: every client, pre-approved. */
static int load_template(struct gl_store *st, int64_t base, struct demo_ids *ids,
                         struct gl_error *err)
{
    struct gl_template t;
    gl_template_init(&t);
    int rc = gl_change_set_str(&t.name, "Workstation patching") ||
                     gl_change_set_str(&t.description,
                                       "Monthly OS updates released through the RMM platform.") ||
                     gl_change_set_str(&t.steps,
                                       "Release the approved update ring through the RMM "
                                       "platform.") ||
                     gl_change_set_str(&t.rollback_plan, "Uninstall the offending KB through RMM.") ||
                     gl_change_set_str(&t.test_plan, "RMM compliance report shows 100% installed.") ||
                     gl_strlist_push(&t.ci_types, "site") || gl_strlist_push(&t.ci_types, "service") ||
                     gl_strlist_push(&t.ci_types, "endpoint")
                 ? gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory")
                 : 0;
    t.max_risk = GL_RISK_MODERATE;
    t.roles = (1u << GL_ROLE_IMPLEMENTER) | (1u << GL_ROLE_CHANGE_MANAGER);
    t.preapproved = true;
    struct gl_write_ctx ctx = demo_ctx("template.create", base - (int64_t)H(400) * 60, NULL);
    if (!rc)
        rc = st->templates->create(st, &ctx, &t, err);
    ids->template_id = t.id;
    gl_template_release(&t);
    return rc;
}

/* Applies one lifecycle step of d to *cur and stores it; *cur becomes the stored result.
 * A change with a document links it when assessed and completes with its new version. */
static int apply_step(struct gl_store *st, struct gl_change *cur, const struct demo_change *d,
                      const struct demo_step *s, int64_t base, struct gl_error *err)
{
    struct gl_change after;
    struct gl_buf action = GL_BUF_INIT;
    int64_t at = base + (int64_t)s->at * 60;
    struct gl_action_input in = step_input(s);
    int rc;

    gl_change_init(&after);
    rc = gl_lifecycle_apply(cur, s->action, &in, at, &after, err);
    if (rc != 0)
        goto out;
    if (gl_buf_printf(&action, "change.%s", gl_action_name(s->action)) < 0) {
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
        goto out;
    }
    struct gl_write_ctx ctx = demo_ctx(action.data, at, s->text);
    if (d->doc && s->action == GL_ACTION_COMPLETE)
        rc = demo_doc_complete(st, &ctx, cur, &after, d->doc, s->actor, err);
    else
        rc = record_step(st, &ctx, s, cur, &after, err);
    if (rc == 0 && d->doc && s->action == GL_ACTION_ASSESS)
        rc = demo_doc_link(st, &ctx, &after, d->doc, err);
    if (rc != 0)
        goto out;
    gl_change_release(cur);
    *cur = after;
    gl_change_init(&after);
out:
    gl_change_release(&after);
    gl_buf_release(&action);
    return rc;
}

static int create_change(struct gl_store *st, size_t idx, struct gl_change *c, int64_t base,
                         struct demo_ids *ids, struct gl_error *err)
{
    const struct demo_change *d = &changes[idx];
    if (build_draft(c, d, ids, base) < 0)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    int64_t len = c->planned_end - c->planned_start;
    if (d->in_window) {
        int rc = demo_window_slot(st, c->client_id, c->planned_start, len, !d->urgent,
                                  &c->planned_start, err);
        if (rc != 0)
            return rc;
        c->planned_end = c->planned_start + len;
    }
    struct gl_write_ctx ctx = demo_ctx("change.create", base + (int64_t)d->created * 60, NULL);
    int rc = st->changes->create(st, &ctx, c, err);
    ids->change[idx] = c->id;
    return rc;
}

/* One write in the demo's history: a change's creation (step -1) or one of its steps. */
struct demo_event {
    int at;
    int change;
    int step;
};

/* Lists every creation and step, in time order (stable, so a change's own steps keep
 * their order), so the audit log is chronological across changes. */
static size_t collect_events(struct demo_event *ev)
{
    size_t n = 0;
    for (size_t i = 0; i < NCHANGES; i++) {
        ev[n++] = (struct demo_event){changes[i].created, (int)i, -1};
        for (int k = 0; k < MAX_STEPS && changes[i].steps[k].actor; k++)
            ev[n++] = (struct demo_event){changes[i].steps[k].at, (int)i, k};
    }
    for (size_t i = 1; i < n; i++) {
        struct demo_event e = ev[i];
        size_t j = i;
        for (; j > 0 && ev[j - 1].at > e.at; j--)
            ev[j] = ev[j - 1];
        ev[j] = e;
    }
    return n;
}

/* Assesses the risk of the changes still on their way to implementation, as the API does
 * on each of their moves, so the risk view and the CAB agenda have the real scores. */
static int assess_open(struct gl_store *st, int64_t base, const struct gl_change *c,
                       struct gl_error *err)
{
    const uint32_t open = 1u << GL_STATE_SUBMITTED | 1u << GL_STATE_ASSESSED |
                          1u << GL_STATE_APPROVED | 1u << GL_STATE_SCHEDULED |
                          1u << GL_STATE_IN_PROGRESS;
    if (!(open & 1u << c->state))
        return 0;
    struct gl_risk_assessment *a = malloc(sizeof *a); /* large: not on the stack */
    if (!a)
        return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
    struct gl_user demo = {.name = DEMO_ACTOR, .admin = true};
    struct gl_scope all = {.all = true};
    struct gl_app app = {.st = st, .user = &demo, .scope = &all, .now = base};
    int rc = blame(err, gl_app_risk_assess(&app, c, a, NULL, NULL, NULL, err), c->title);
    free(a);
    return rc;
}

static int load_changes(struct gl_store *st, int64_t base, struct demo_ids *ids,
                        struct gl_error *err)
{
    struct demo_event ev[NCHANGES * (MAX_STEPS + 1)];
    struct gl_change cur[NCHANGES];
    size_t n = collect_events(ev);
    int rc = 0;

    for (size_t i = 0; i < NCHANGES; i++)
        gl_change_init(&cur[i]);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct demo_change *d = &changes[ev[i].change];
        struct gl_change *c = &cur[ev[i].change];
        if (ev[i].step < 0)
            rc = create_change(st, (size_t)ev[i].change, c, base, ids, err);
        else
            rc = apply_step(st, c, d, &d->steps[ev[i].step], base, err);
        blame(err, rc, d->title);
    }
    for (size_t i = 0; i < NCHANGES && rc == 0; i++)
        rc = assess_open(st, base, &cur[i], err);
    for (size_t i = 0; i < NCHANGES; i++)
        gl_change_release(&cur[i]);
    return rc;
}

int gl_demo_load(struct gl_store *st, int64_t now, struct gl_error *err)
{
    struct demo_ids ids;
    int64_t base = now - now % 3600;
    int rc;

    memset(&ids, 0, sizeof ids);
    if ((rc = blame(err, demo_load_clients(st, base, &ids, err), "demo clients")) != 0)
        return rc;
    if ((rc = blame(err, demo_load_cis(st, base, &ids, err), "demo CIs")) != 0)
        return rc;
    if ((rc = blame(err, load_template(st, base, &ids, err), "demo template")) != 0)
        return rc;
    if ((rc = blame(err, demo_load_relations(st, base, &ids, err), "demo relations")) != 0)
        return rc;
    if ((rc = blame(err, demo_load_calendar(st, base, &ids, err), "demo calendar")) != 0)
        return rc;
    if ((rc = blame(err, demo_load_documents(st, base, &ids, err), "demo documents")) != 0)
        return rc;
    return load_changes(st, base, &ids, err);
}
