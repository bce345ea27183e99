/*
 * gen.c - loads a benchmark data set: N clients, M CIs per client, K changes.
 *
 *   gl-bench-gen --db PATH [--clients 100] [--cis-per-client 1000] [--changes 1000000]
 *                [--relations 500000] [--shared 1000]
 *
 * The database is created and migrated through the store (so the schema is the product's),
 * then filled with plain SQL in large transactions, because a million audited one-row
 * transactions would measure the disk, not the data. Each change still gets its creation
 * audit event with a real JSON snapshot and a correct hash chain. Layout, relied on by the
 * wrk scripts: client k has key "c<k>" and the CIs with ids (k-1)*M+1 .. k*M; the S shared
 * CIs (client NULL) follow, ids N*M+1 .. N*M+S.
 *
 * Relations (A -depends_on-> B: A depends on B) form a layered graph per client: the
 * client's CIs are split into five tiers by id (tier 0 lowest); each CI of tier t > 0
 * depends on a few random CIs of tier t-1 of its own client, and each CI of tier 0 on one
 * random shared CI, so every client reaches shared infrastructure and the shared CIs have
 * dependents in many clients. The tier-0 edges are counted first; the rest of --relations
 * is spread evenly over the other tiers (duplicates are skipped, so the count is a bound).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "codec/json.h"
#include "codec/json_risk.h"
#include "core/audit.h"
#include "core/change.h"
#include "store/store.h"
#include "util/banned.h"

static const char *const verbs[] = {"Upgrade", "Patch", "Replace", "Reboot", "Migrate",
                                    "Reconfigure", "Decommission", "Resize", "Renew certificate on",
                                    "Update firmware of"};
static const char *const things[] = {"web server", "database cluster", "core switch", "firewall",
                                     "mail gateway", "file server", "VPN concentrator",
                                     "backup appliance", "ERP application", "load balancer"};
static const char *const states[] = {"draft", "submitted", "assessed", "approved", "scheduled",
                                     "in_progress", "completed", "failed", "rolled_back",
                                     "reviewed", "closed", "closed", "closed", "closed",
                                     "cancelled"};
static const char *const types[] = {"normal", "normal", "normal", "standard", "standard",
                                    "emergency"};

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

/* xorshift64*: fast, deterministic, good enough to spread benchmark data. */
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static long rnd_below(long n)
{
    return (long)(rnd() % (uint64_t)n);
}

static int exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "gl-bench-gen: %s: %s\n", sql, msg);
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fprintf(stderr, "gl-bench-gen: %s: %s\n", sql, sqlite3_errmsg(db));
    return st;
}

static int step_done(sqlite3 *db, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "gl-bench-gen: %s\n", sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

static int load_clients_and_cis(sqlite3 *db, long nclients, long per_client, int64_t now)
{
    sqlite3_stmt *cl = prepare(db, "INSERT INTO clients (key, name, timezone, notice_hours, "
                                   "requires_signoff, created_at, updated_at, version) "
                                   "VALUES (?, ?, 'Europe/London', 24, 0, ?, ?, 1)");
    sqlite3_stmt *ci = prepare(db, "INSERT INTO cis (client_id, name, type, criticality, "
                                   "users_affected, created_at, updated_at, version) "
                                   "VALUES (?, ?, ?, ?, ?, ?, ?, 1)");
    static const char *const ci_types[] = {"server", "application", "database", "network_device",
                                           "service"};
    int rc = cl && ci ? 0 : -1;
    for (long k = 1; rc == 0 && k <= nclients; k++) {
        char key[32], name[64];
        snprintf(key, sizeof key, "c%ld", k);
        snprintf(name, sizeof name, "Bench client %ld", k);
        sqlite3_bind_text(cl, 1, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(cl, 2, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(cl, 3, now);
        sqlite3_bind_int64(cl, 4, now);
        rc = step_done(db, cl);
        for (long j = 1; rc == 0 && j <= per_client; j++) {
            snprintf(name, sizeof name, "c%ld-host-%ld", k, j);
            sqlite3_bind_int64(ci, 1, k);
            sqlite3_bind_text(ci, 2, name, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(ci, 3, ci_types[j % 5], -1, SQLITE_STATIC);
            sqlite3_bind_int(ci, 4, 1 + (int)rnd_below(5));
            sqlite3_bind_int64(ci, 5, rnd_below(5000));
            sqlite3_bind_int64(ci, 6, now);
            sqlite3_bind_int64(ci, 7, now);
            rc = step_done(db, ci);
        }
    }
    sqlite3_finalize(cl);
    sqlite3_finalize(ci);
    return rc;
}

static int load_shared_cis(sqlite3 *db, long nshared, int64_t now)
{
    sqlite3_stmt *ci = prepare(db, "INSERT INTO cis (client_id, name, type, criticality, "
                                   "users_affected, created_at, updated_at, version) "
                                   "VALUES (NULL, ?, 'network_device', 5, ?, ?, ?, 1)");
    int rc = ci ? 0 : -1;
    for (long j = 1; rc == 0 && j <= nshared; j++) {
        char name[64];
        snprintf(name, sizeof name, "shared-%ld", j);
        sqlite3_bind_text(ci, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ci, 2, rnd_below(5000));
        sqlite3_bind_int64(ci, 3, now);
        sqlite3_bind_int64(ci, 4, now);
        rc = step_done(db, ci);
    }
    sqlite3_finalize(ci);
    return rc;
}

/* Edges of client k (see the header); degree = edges per CI of tiers 1..4. */
static int relate_client(sqlite3 *db, sqlite3_stmt *ins, long k, long per_client, long nclients,
                         long nshared, long degree)
{
    long tier = per_client / 5;
    int64_t base = (k - 1) * per_client;
    int rc = 0;
    for (long j = 0; rc == 0 && j < per_client; j++) {
        long t = tier ? j / tier : 0;
        long n = t == 0 ? (nshared ? 1 : 0) : degree;
        for (long e = 0; rc == 0 && e < n && t < 5; e++) {
            int64_t to = t == 0 ? nclients * per_client + 1 + rnd_below(nshared)
                                : base + (t - 1) * tier + 1 + rnd_below(tier);
            sqlite3_bind_int64(ins, 1, base + j + 1);
            sqlite3_bind_int64(ins, 2, to);
            rc = step_done(db, ins);
        }
    }
    return rc;
}

static int load_relations(sqlite3 *db, long nclients, long per_client, long nshared,
                          long nrelations)
{
    long tier0 = nshared ? nclients * (per_client / 5) : 0;
    long upper = nclients * (per_client - per_client / 5);
    long degree = upper > 0 && nrelations > tier0 ? (nrelations - tier0 + upper - 1) / upper : 0;
    sqlite3_stmt *ins = prepare(db, "INSERT OR IGNORE INTO ci_relations (from_ci, to_ci, kind) "
                                    "VALUES (?, ?, 'depends_on')");
    int rc = ins ? 0 : -1;
    for (long k = 1; rc == 0 && nrelations > 0 && k <= nclients; k++)
        rc = relate_client(db, ins, k, per_client, nclients, nshared, degree);
    sqlite3_finalize(ins);
    return rc;
}

/* Fills c with a plausible change of client k; state and type by weighted choice. */
static void make_change(struct gl_change *c, long k, long per_client, int64_t now)
{
    char text[160];
    gl_change_init(c);
    c->client_id = k;
    gl_change_type_parse(types[rnd_below(6)], &c->type);
    gl_change_state_parse(states[rnd_below(15)], &c->state);
    snprintf(text, sizeof text, "%s %s %ld", verbs[rnd_below(10)], things[rnd_below(10)],
             rnd_below(100));
    gl_change_set_str(&c->title, text);
    gl_change_set_str(&c->description, "Routine maintenance generated for the benchmark.");
    gl_change_set_str(&c->raised_by, "bench");
    gl_change_set_str(&c->implementer, "ops");
    gl_change_set_str(&c->reason, "Keep the estate supported and secure.");
    gl_change_set_str(&c->implementation_plan, "1. Announce\n2. Apply\n3. Verify");
    gl_change_set_str(&c->test_plan, "Smoke test the service.");
    gl_change_set_str(&c->rollback_plan, "Restore the snapshot taken before the change.");
    snprintf(text, sizeof text, "c%ld", k);
    gl_change_set_str(&c->client_key, text);
    /* Up to three CIs, ascending, as the store keeps them. */
    int64_t first = (k - 1) * per_client + 1 + rnd_below(per_client);
    for (long i = 0, ncis = 1 + rnd_below(3); i < ncis; i++) {
        int64_t ci = first + i * 7;
        if (ci <= k * per_client)
            gl_idlist_push(&c->ci_ids, ci);
    }
    if (c->type == GL_TYPE_EMERGENCY)
        gl_strlist_push(&c->incidents, "INC-1000");
    /* Planned over the last two years and the next three months, 1-4 hours long. */
    c->planned_start = now - 730 * 86400 + rnd_below(820 * 86400);
    c->planned_end = c->planned_start + 3600 * (1 + rnd_below(4));
    c->created_at = c->updated_at = c->planned_start - 7 * 86400;
    c->version = 1;
    gl_change_set_str(&c->created_by, "bench");
}

struct change_stmts {
    sqlite3_stmt *change, *ci, *inc, *audit, *doc;
};

static int insert_change(sqlite3 *db, struct change_stmts *s, struct gl_change *c,
                         unsigned char prev_hash[GL_AUDIT_HASH_LEN])
{
    sqlite3_stmt *st = s->change;
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_text(st, 2, gl_change_type_name(c->type), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, gl_change_state_name(c->state), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, c->client_id);
    sqlite3_bind_text(st, 5, c->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, c->description, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, c->implementation_plan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, c->test_plan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, c->rollback_plan, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, c->planned_start);
    sqlite3_bind_int64(st, 11, c->planned_end);
    sqlite3_bind_int64(st, 12, c->created_at);
    sqlite3_bind_text(st, 13, c->reason, -1, SQLITE_STATIC);
    if (step_done(db, st))
        return -1;
    for (size_t i = 0; i < c->ci_ids.len; i++) {
        sqlite3_bind_int64(s->ci, 1, c->id);
        sqlite3_bind_int64(s->ci, 2, c->ci_ids.items[i]);
        if (step_done(db, s->ci))
            return -1;
    }
    for (size_t i = 0; i < c->incidents.len; i++) {
        sqlite3_bind_int64(s->inc, 1, c->id);
        sqlite3_bind_int64(s->inc, 2, (int64_t)i);
        sqlite3_bind_text(s->inc, 3, c->incidents.items[i], -1, SQLITE_STATIC);
        if (step_done(db, s->inc))
            return -1;
    }
    struct gl_audit_event ev;
    gl_audit_event_init(&ev);
    ev.id = c->id;
    ev.at = c->created_at;
    gl_change_set_str(&ev.actor, "bench");
    gl_change_set_str(&ev.action, "change.create");
    gl_change_set_str(&ev.entity, "change");
    ev.entity_id = c->id;
    ev.client_id = c->client_id;
    ev.after_json = gl_json_change_dump(c);
    memcpy(ev.prev_hash, prev_hash, GL_AUDIT_HASH_LEN);
    gl_audit_hash(&ev);
    memcpy(prev_hash, ev.hash, GL_AUDIT_HASH_LEN);
    st = s->audit;
    sqlite3_bind_int64(st, 1, ev.id);
    sqlite3_bind_int64(st, 2, ev.at);
    sqlite3_bind_int64(st, 3, ev.entity_id);
    sqlite3_bind_int64(st, 4, ev.client_id);
    sqlite3_bind_text(st, 5, ev.after_json, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 6, ev.prev_hash, GL_AUDIT_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 7, ev.hash, GL_AUDIT_HASH_LEN, SQLITE_STATIC);
    int rc = step_done(db, st);
    if (rc == 0) { /* the rendering the server serves reads from, as the store writes it */
        st = s->doc;
        sqlite3_bind_int64(st, 1, c->id);
        sqlite3_bind_int64(st, 2, c->client_id);
        sqlite3_bind_int(st, 3, GL_JSON_CHANGE_FORMAT);
        sqlite3_bind_text(st, 4, ev.after_json, -1, SQLITE_STATIC);
        rc = step_done(db, st);
    }
    gl_audit_event_release(&ev);
    return rc;
}

static int load_changes(sqlite3 *db, long nclients, long per_client, long nchanges, int64_t now)
{
    struct change_stmts s = {
        prepare(db, "INSERT INTO changes (id, version, type, state, client_id, title, "
                    "description, implementation_plan, test_plan, rollback_plan, planned_start, "
                    "planned_end, created_at, updated_at, reason, raised_by, implementer, "
                    "created_by) VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                    "?12, ?13, 'bench', 'ops', 'bench')"),
        prepare(db, "INSERT INTO change_cis (change_id, ci_id) VALUES (?, ?)"),
        prepare(db, "INSERT INTO change_incidents (change_id, pos, ref) VALUES (?, ?, ?)"),
        prepare(db, "INSERT INTO audit_events (id, at, actor, action, entity, entity_id, "
                    "client_id, after_json, prev_hash, hash) VALUES (?1, ?2, 'bench', "
                    "'change.create', 'change', ?3, ?4, ?5, ?6, ?7)"),
        prepare(db, "INSERT INTO change_docs (change_id, version, client_id, format, json) "
                    "VALUES (?, 1, ?, ?, ?)"),
    };
    unsigned char prev[GL_AUDIT_HASH_LEN] = {0};
    int rc = s.change && s.ci && s.inc && s.audit && s.doc ? 0 : -1;
    for (long i = 1; rc == 0 && i <= nchanges; i++) {
        struct gl_change c;
        make_change(&c, 1 + rnd_below(nclients), per_client, now);
        c.id = i;
        rc = insert_change(db, &s, &c, prev);
        gl_change_release(&c);
        if (rc == 0 && i % 50000 == 0) {
            rc = exec(db, "COMMIT; BEGIN");
            fprintf(stderr, "gl-bench-gen: %ld changes\n", i);
        }
    }
    sqlite3_finalize(s.change);
    sqlite3_finalize(s.ci);
    sqlite3_finalize(s.inc);
    sqlite3_finalize(s.audit);
    sqlite3_finalize(s.doc);
    return rc;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    long nclients = 100, per_client = 1000, nchanges = 1000000, nrelations = 500000;
    long nshared = 1000;
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"clients", required_argument, NULL, 'c'},
                                         {"cis-per-client", required_argument, NULL, 'i'},
                                         {"changes", required_argument, NULL, 'n'},
                                         {"relations", required_argument, NULL, 'r'},
                                         {"shared", required_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'd': path = optarg; break;
        case 'c': nclients = atol(optarg); break;
        case 'i': per_client = atol(optarg); break;
        case 'n': nchanges = atol(optarg); break;
        case 'r': nrelations = atol(optarg); break;
        case 's': nshared = atol(optarg); break;
        default: return 2;
        }
    }
    if (!path || nclients < 1 || per_client < 1 || nchanges < 0 || nrelations < 0 ||
        nshared < 0) {
        fprintf(stderr, "usage: gl-bench-gen --db PATH [--clients N] [--cis-per-client N] "
                        "[--changes N] [--relations N] [--shared N]\n");
        return 2;
    }
    if (sodium_init() < 0)
        return 1;
    struct gl_error err;
    struct gl_store *st = gl_store_open_sqlite(path, gl_json_change_renderer(), &err);
    if (!st) {
        fprintf(stderr, "gl-bench-gen: %s\n", err.detail);
        return 1;
    }
    gl_store_close(st);
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db) == SQLITE_OK ? 0 : -1;
    int64_t now = (int64_t)time(NULL);
    if (rc == 0)
        rc = exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; "
                      "PRAGMA cache_size=-262144; BEGIN");
    if (rc == 0)
        rc = load_clients_and_cis(db, nclients, per_client, now);
    if (rc == 0)
        rc = load_shared_cis(db, nshared, now);
    if (rc == 0)
        rc = load_relations(db, nclients, per_client, nshared, nrelations);
    if (rc == 0)
        rc = load_changes(db, nclients, per_client, nchanges, now);
    if (rc == 0)
        rc = exec(db, "COMMIT; ANALYZE; PRAGMA wal_checkpoint(TRUNCATE)");
    sqlite3_close(db);
    if (rc == 0)
        fprintf(stderr, "gl-bench-gen: %ld clients, %ld + %ld shared CIs, %ld changes, up to %ld "
                        "relations in %s\n", nclients, nclients * per_client, nshared, nchanges,
                nrelations, path);
    return rc == 0 ? 0 : 1;
}
