/*
 * demo_cmdb.c - the demo's CMDB: clients, CIs with their free attributes, the
 * relationship graph and versioned documents (see demo_int.h).
 *
 * The graph is what impact and what-changed walk: each client's application stack runs
 * on or depends on its own servers, and those on the MSP's shared storage and backup,
 * so a change on shared infrastructure reaches several clients. Documents are written
 * before any change, at times relative to base; the one a demo change updates gets its
 * next version when that change completes (demo_doc_complete), as the complete action
 * of the API would record it.
 */
#include "cli/demo_int.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cal/recur.h"

#include "util/banned.h"

/* ---- the tables ---------------------------------------------------------------------- */

struct demo_client {
    const char *key, *name, *timezone;
    int notice_hours;
    bool requires_signoff;
};

struct demo_ci {
    const char *client; /* NULL = shared infrastructure */
    const char *name, *type, *owner;
    int criticality;
    int users;
};


static const struct demo_client clients[] = {
    {"acme", "Acme Manufacturing", "Europe/London", 48, true},
    {"globex", "Globex Retail", "America/New_York", 72, false},
    {"initech", "Initech", "Australia/Sydney", 24, false},
};

static const struct demo_ci cis[] = {
    {"acme", "acme-erp-app", "application", "apps-team", 5, 850},
    {"acme", "acme-sql-01", "database", "dba-team", 5, 850},
    {"acme", "acme-fw-edge", "network_device", "network-team", 4, 1200},
    {"acme", "acme-fileserver-02", "server", "infra-team", 3, 400},
    {"globex", "globex-pos-gateway", "service", "payments-team", 5, 3000},
    {"globex", "globex-web-shop", "application", "ecommerce-team", 5, 12000},
    {"globex", "globex-k8s-prod", "service", "platform-team", 4, 12000},
    {"globex", "globex-store-wifi", "network_device", "network-team", 2, 600},
    {"initech", "initech-m365-tenant", "service", "workplace-team", 4, 320},
    {"initech", "initech-vpn-gw", "network_device", "network-team", 4, 320},
    {"initech", "initech-hq-site", "site", "facilities", 3, 180},
    {NULL, "msp-backup-cluster", "service", "msp-platform", 4, 4500},
    {NULL, "msp-rmm-platform", "service", "msp-platform", 3, 4500},
    {NULL, "msp-san-01", "storage", "msp-platform", 5, 4500},
    {"acme", "acme-erp-vm01", "server", "infra-team", 4, 850},
};

#define NCLIENTS (sizeof clients / sizeof clients[0])
#define NCIS (sizeof cis / sizeof cis[0])
_Static_assert(NCLIENTS <= DEMO_MAX_CLIENTS, "raise DEMO_MAX_CLIENTS");
_Static_assert(NCIS <= DEMO_MAX_CIS, "raise DEMO_MAX_CIS");

/* ---- attributes ---------------------------------------------------------------------- */

struct demo_attr {
    const char *ci, *key;
    enum gl_attr_kind kind;
    const char *str;
    int64_t i;
    double d;
    bool b;
};

static const struct demo_attr attrs[] = {
    {"acme-erp-vm01", "os", GL_ATTR_STRING, "Windows Server 2022", 0, 0, false},
    {"acme-erp-vm01", "vcpus", GL_ATTR_INT, NULL, 8, 0, false},
    {"acme-erp-vm01", "memory_gb", GL_ATTR_INT, NULL, 64, 0, false},
    {"acme-sql-01", "engine", GL_ATTR_STRING, "SQL Server 2019 CU25", 0, 0, false},
    {"acme-sql-01", "always_on", GL_ATTR_BOOL, NULL, 0, 0, false},
    {"acme-fw-edge", "vendor", GL_ATTR_STRING, "Fortinet", 0, 0, false},
    {"acme-fw-edge", "model", GL_ATTR_STRING, "FortiGate 200F", 0, 0, false},
    {"acme-fw-edge", "firmware", GL_ATTR_STRING, "7.2.8", 0, 0, false},
    {"acme-fw-edge", "ha_pair", GL_ATTR_BOOL, NULL, 0, 0, true},
    {"globex-k8s-prod", "kubernetes", GL_ATTR_STRING, "1.29", 0, 0, false},
    {"globex-k8s-prod", "nodes", GL_ATTR_INT, NULL, 6, 0, false},
    {"globex-pos-gateway", "pci_scope", GL_ATTR_BOOL, NULL, 0, 0, true},
    {"msp-san-01", "vendor", GL_ATTR_STRING, "NetApp AFF A250", 0, 0, false},
    {"msp-san-01", "capacity_tb", GL_ATTR_REAL, NULL, 0, 92.5, false},
};

/* Sets the free attributes the demo gives ci (by its name; most CIs have none). */
static int ci_attrs(struct gl_ci *ci)
{
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
        const struct demo_attr *a = &attrs[i];
        if (strcmp(a->ci, ci->name) != 0)
            continue;
        struct gl_attr v = {.key = (char *)a->key, .kind = a->kind, .str = (char *)a->str,
                            .i = a->i, .d = a->d, .b = a->b};
        if (gl_attrs_set(&ci->attrs, &v) < 0)
            return -1;
    }
    return 0;
}

/* ---- clients and CIs ---------------------------------------------------------------- */

int64_t demo_client_id(const struct demo_ids *ids, const char *key)
{
    for (size_t i = 0; key && i < NCLIENTS; i++)
        if (!strcmp(clients[i].key, key))
            return ids->client[i];
    return 0;
}

int64_t demo_ci_id(const struct demo_ids *ids, const char *name)
{
    for (size_t i = 0; i < NCIS; i++)
        if (!strcmp(cis[i].name, name))
            return ids->ci[i];
    return 0;
}

int demo_load_clients(struct gl_store *st, int64_t base, struct demo_ids *ids,
                      struct gl_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < NCLIENTS && rc == 0; i++) {
        struct gl_client c;
        gl_client_init(&c);
        struct gl_write_ctx ctx = demo_ctx("client.create", base - DEMO_H(24 * 30), NULL);
        c.notice_hours = clients[i].notice_hours;
        c.requires_signoff = clients[i].requires_signoff;
        if (gl_change_set_str(&c.key, clients[i].key) < 0 ||
            gl_change_set_str(&c.name, clients[i].name) < 0 ||
            gl_change_set_str(&c.timezone, clients[i].timezone) < 0)
            rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
        /* The checks of POST /api/v1/clients, so the demo data cannot drift from them. */
        if (rc == 0)
            rc = gl_client_validate(&c, err);
        if (rc == 0)
            rc = gl_tz_check(c.timezone, err);
        if (rc == 0)
            rc = st->clients->create(st, &ctx, &c, err);
        ids->client[i] = c.id;
        gl_client_release(&c);
    }
    return rc;
}

int demo_load_cis(struct gl_store *st, int64_t base, struct demo_ids *ids, struct gl_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < NCIS && rc == 0; i++) {
        struct gl_ci ci;
        gl_ci_init(&ci);
        struct gl_write_ctx ctx = demo_ctx("ci.create", base - DEMO_H(24 * 29), NULL);
        ci.client_id = demo_client_id(ids, cis[i].client);
        ci.criticality = cis[i].criticality;
        ci.users_affected = cis[i].users;
        if (gl_change_set_str(&ci.name, cis[i].name) < 0 ||
            gl_change_set_str(&ci.type, cis[i].type) < 0 ||
            gl_change_set_str(&ci.owner, cis[i].owner) < 0 || ci_attrs(&ci) < 0)
            rc = gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
        if (rc == 0)
            rc = st->cis->create(st, &ctx, &ci, err);
        ids->ci[i] = ci.id;
        gl_ci_release(&ci);
    }
    return rc;
}

/* ---- relations ----------------------------------------------------------------------- */

/* from -kind-> to: `from` depends on `to` (core/impact.h). */
struct demo_relation {
    const char *from;
    enum gl_rel_kind kind;
    const char *to;
};

static const struct demo_relation relations[] = {
    {"acme-erp-app", GL_REL_RUNS_ON, "acme-erp-vm01"},
    {"acme-erp-app", GL_REL_DEPENDS_ON, "acme-sql-01"},
    {"acme-erp-vm01", GL_REL_DEPENDS_ON, "msp-san-01"},
    {"acme-sql-01", GL_REL_DEPENDS_ON, "msp-san-01"},
    {"acme-erp-vm01", GL_REL_CONNECTS_TO, "acme-fw-edge"},
    {"acme-fileserver-02", GL_REL_DEPENDS_ON, "msp-backup-cluster"},
    {"globex-web-shop", GL_REL_RUNS_ON, "globex-k8s-prod"},
    {"globex-web-shop", GL_REL_DEPENDS_ON, "globex-pos-gateway"},
    {"globex-k8s-prod", GL_REL_DEPENDS_ON, "msp-san-01"},
    {"globex-pos-gateway", GL_REL_DEPENDS_ON, "msp-backup-cluster"},
    {"initech-hq-site", GL_REL_CONNECTS_TO, "initech-vpn-gw"},
    {"initech-hq-site", GL_REL_DEPENDS_ON, "msp-rmm-platform"},
    {"initech-m365-tenant", GL_REL_DEPENDS_ON, "msp-backup-cluster"},
    {"msp-backup-cluster", GL_REL_DEPENDS_ON, "msp-san-01"},
};

int demo_load_relations(struct gl_store *st, int64_t base, const struct demo_ids *ids,
                        struct gl_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < sizeof relations / sizeof relations[0] && !rc; i++) {
        struct gl_ci_relation r = {.from_ci = demo_ci_id(ids, relations[i].from),
                                   .to_ci = demo_ci_id(ids, relations[i].to),
                                   .kind = relations[i].kind};
        struct gl_write_ctx ctx = demo_ctx("ci.relate", base - DEMO_H(24 * 29), NULL);
        rc = st->cis->relation_add(st, &ctx, &r, err);
    }
    return rc;
}

/* ---- documents ----------------------------------------------------------------------- */

/* A document: its first version, at most one later edit, and (for the document a demo
 * change updates) the version that change's completion writes. */
struct demo_doc {
    const char *client, *ci, *title;
    enum gl_doc_kind kind;
    const char *author;
    int created_h; /* hours relative to base */
    const char *body;
    const char *editor;
    int edited_h;
    const char *edit; /* NULL = never edited */
    const char *result; /* written by the change that links it */
};

static const struct demo_doc docs[] = {
    {
        .client = "acme",
        .ci = "acme-fw-edge",
        .title = "Edge firewall baseline (acme-fw-edge)",
        .kind = GL_DOC_BASELINE,
        .author = "s.lindqvist",
        .created_h = -24 * 25,
        .body = "# acme-fw-edge baseline\n\n"
                "- Model: FortiGate 200F HA pair (active/passive)\n"
                "- Firmware: 7.2.8\n"
                "- WAN: 2 x 1 Gbit/s, SD-WAN performance SLA to 8.8.8.8\n"
                "- Site-to-site VPN: 14 IPsec tunnels (Leeds plant, suppliers)\n"
                "- Admin access: management VLAN 99 only, MFA via FortiToken\n",
        .editor = "s.lindqvist",
        .edited_h = -24 * 6,
        .edit = "# acme-fw-edge baseline\n\n"
                "- Model: FortiGate 200F HA pair (active/passive)\n"
                "- Firmware: 7.2.8\n"
                "- WAN: 2 x 1 Gbit/s, SD-WAN performance SLA to 8.8.8.8\n"
                "- Site-to-site VPN: 14 IPsec tunnels (Leeds plant, suppliers)\n"
                "- IPsec phase 2 lifetime raised to 28800 s (fixes rekey drops to Leeds)\n"
                "- Admin access: management VLAN 99 only, MFA via FortiToken\n",
    },
    {
        .client = "globex",
        .ci = "globex-pos-gateway",
        .title = "POS gateway failover runbook",
        .kind = GL_DOC_RUNBOOK,
        .author = "j.osei",
        .created_h = -24 * 20,
        .body = "# POS gateway failover\n\n"
                "1. Check both nodes in the load balancer pool (`pool pos-gw`).\n"
                "2. Drain the node to be serviced; wait for open sessions to reach 0.\n"
                "3. Service the node; run a test transaction from the lab till.\n"
                "4. Return it to the pool; repeat for the other node.\n"
                "5. Check the settlement file at 06:00 the next morning.\n",
    },
    {
        .client = "acme",
        .ci = "acme-sql-01",
        .title = "acme-sql-01 SQL Server build sheet",
        .kind = GL_DOC_BASELINE,
        .author = "t.nguyen",
        .created_h = -24 * 22,
        .body = "# acme-sql-01\n\n"
                "- SQL Server 2019 CU25, default instance\n"
                "- max server memory: 48 GB\n"
                "- tempdb: 1 data file (8 GB), 1 log file\n"
                "- Backups: full nightly to msp-backup-cluster, log every 15 min\n",
        .result = "# acme-sql-01\n\n"
                  "- SQL Server 2019 CU25, default instance\n"
                  "- max server memory: 48 GB\n"
                  "- tempdb: 4 data files (4 x 2 GB), 1 log file\n"
                  "- Backups: full nightly to msp-backup-cluster, log every 15 min\n",
    },
};

#define NDOCS (sizeof docs / sizeof docs[0])

static int oom(struct gl_error *err)
{
    return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
}

static int doc_by_title(const char *title)
{
    for (size_t i = 0; i < NDOCS; i++)
        if (!strcmp(docs[i].title, title))
            return (int)i;
    return -1;
}

/* The stored document called title (of the demo's, the only ones at load time). */
static int find_doc(struct gl_store *st, const char *title, struct gl_document *out,
                    struct gl_error *err)
{
    struct gl_doc_filter f = {.limit = GL_LIST_MAX};
    struct gl_document_page p = {0};
    int rc = st->docs->list(st, &f, &p, err);
    int64_t id = 0;
    for (size_t i = 0; !rc && i < p.len; i++)
        if (p.items[i].title && !strcmp(p.items[i].title, title))
            id = p.items[i].id;
    gl_document_page_release(&p);
    if (!rc && !id)
        rc = gl_error_set(err, GL_E_NOT_FOUND, "document", "no demo document %s", title);
    return rc ? rc : st->docs->get(st, id, out, err);
}

/* Appends a version with body by author at `at` to the stored document called title. */
static int add_version(struct gl_store *st, const char *title, const char *author,
                       const char *body, int64_t at, struct gl_error *err)
{
    struct gl_document before, after;
    struct gl_doc_version v;
    gl_document_init(&before);
    gl_document_init(&after);
    gl_doc_version_init(&v);
    int rc = find_doc(st, title, &before, err);
    if (!rc)
        rc = st->docs->get(st, before.id, &after, err);
    if (!rc && (!(v.body = strdup(body)) || !(v.author = strdup(author))))
        rc = oom(err);
    struct gl_write_ctx ctx = demo_ctx("document.update", at, NULL);
    if (!rc)
        rc = st->docs->update(st, &ctx, &before, &after, &v, err);
    gl_document_release(&before);
    gl_document_release(&after);
    gl_doc_version_release(&v);
    return rc;
}

static int create_doc(struct gl_store *st, int64_t base, const struct demo_doc *x,
                      const struct demo_ids *ids, struct gl_error *err)
{
    struct gl_document d;
    struct gl_doc_version v;
    gl_document_init(&d);
    gl_doc_version_init(&v);
    d.client_id = demo_client_id(ids, x->client);
    d.ci_id = demo_ci_id(ids, x->ci);
    d.kind = x->kind;
    v.format = GL_DOC_MARKDOWN;
    int rc = !(d.title = strdup(x->title)) || !(v.body = strdup(x->body)) ||
                     !(v.author = strdup(x->author))
                 ? oom(err)
                 : 0;
    struct gl_write_ctx ctx = demo_ctx("document.create", base + DEMO_H(x->created_h), NULL);
    if (!rc)
        rc = st->docs->create(st, &ctx, &d, &v, err);
    gl_document_release(&d);
    gl_doc_version_release(&v);
    if (!rc && x->edit)
        rc = add_version(st, x->title, x->editor, x->edit, base + DEMO_H(x->edited_h), err);
    return rc;
}

int demo_load_documents(struct gl_store *st, int64_t base, const struct demo_ids *ids,
                        struct gl_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < NDOCS && !rc; i++)
        rc = create_doc(st, base, &docs[i], ids, err);
    return rc;
}

int demo_doc_link(struct gl_store *st, const struct gl_write_ctx *ctx, const struct gl_change *c,
                  const char *title, struct gl_error *err)
{
    struct gl_document d;
    int64_t base_version = 0;
    gl_document_init(&d);
    struct gl_write_ctx link = *ctx;
    link.action = "change.link_document";
    link.reason = NULL;
    int rc = find_doc(st, title, &d, err);
    if (!rc)
        rc = st->docs->link_change(st, &link, c, d.id, &base_version, err);
    gl_document_release(&d);
    return rc;
}

int demo_doc_complete(struct gl_store *st, const struct gl_write_ctx *ctx,
                      const struct gl_change *before, struct gl_change *after, const char *title,
                      const char *author, struct gl_error *err)
{
    int i = doc_by_title(title);
    struct gl_document d;
    struct gl_doc_ref_list refs = {0};
    gl_document_init(&d);
    if (i < 0 || !docs[i].result)
        return gl_error_set(err, GL_E_INVALID, "document", "demo document %s has no result",
                            title);
    int rc = add_version(st, title, author, docs[i].result, ctx->now, err);
    if (!rc)
        rc = find_doc(st, title, &d, err);
    if (!rc)
        rc = st->docs->change_refs(st, before, &refs, err);
    struct gl_doc_result res = {.id = d.id, .version = d.current_version};
    if (!rc)
        rc = gl_docs_check_completion(refs.items, refs.len, &res, 1, false, err);
    if (!rc)
        rc = st->docs->complete_change(st, ctx, before, after, &res, 1, &refs, false, err);
    gl_doc_ref_list_release(&refs);
    gl_document_release(&d);
    return rc;
}
