/*
 * fixture.c - the shared fixture of the store contract tests (see fixture.h).
 *
 * The "backend" section is the only code here that knows the store is SQLite; everything
 * after it goes through store/store.h.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fixture.h"

#include "util/banned.h"
#include "codec/json_risk.h"

/* ---- backend ------------------------------------------------------------------------ */

struct gl_store *backend_open(const char *dir, const char *name, struct gl_error *err)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return gl_store_open_sqlite(path, gl_json_change_renderer(), err);
}

int backend_raw_exec(const char *dir, const char *sql)
{
    char path[512];
    sqlite3 *db = NULL;
    snprintf(path, sizeof path, "%s/gl.db", dir);
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

/* ---- per-test database -------------------------------------------------------------- */

int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/gl-store-XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    struct gl_error err;
    fx->st = backend_open(fx->dir, "gl.db", &err);
    if (!fx->st) {
        print_error("open: %s\n", err.detail);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[512];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

int teardown(void **state)
{
    struct fx *fx = *state;
    gl_store_close(fx->st);
    remove_dir(fx->dir);
    free(fx);
    return 0;
}

/* ---- records ------------------------------------------------------------------------ */

struct gl_write_ctx wctx(int64_t now, const char *action)
{
    struct gl_write_ctx c = {
        .actor = "alice", .request_id = "req-1", .action = action, .reason = NULL, .now = now};
    return c;
}

int64_t add_client(struct gl_store *st, const char *key)
{
    struct gl_client c;
    struct gl_error err;
    struct gl_write_ctx ctx = wctx(T0, "client.create");
    gl_client_init(&c);
    c.key = strdup(key);
    c.name = strdup(key);
    c.timezone = strdup("Europe/London");
    c.notice_hours = 48;
    assert_int_equal(st->clients->create(st, &ctx, &c, &err), 0);
    int64_t id = c.id;
    gl_client_release(&c);
    return id;
}

int64_t add_ci(struct gl_store *st, int64_t client_id, const char *name, const char *type)
{
    struct gl_ci ci;
    struct gl_error err;
    struct gl_write_ctx ctx = wctx(T0, "ci.create");
    gl_ci_init(&ci);
    ci.client_id = client_id;
    ci.name = strdup(name);
    ci.type = strdup(type);
    ci.criticality = 3;
    ci.users_affected = 10;
    assert_int_equal(st->cis->create(st, &ctx, &ci, &err), 0);
    int64_t id = ci.id;
    gl_ci_release(&ci);
    return id;
}

int64_t add_change(struct gl_store *st, const struct spec *s)
{
    struct gl_change c;
    struct gl_error err;
    struct gl_write_ctx ctx = wctx(T0, "change.create");
    gl_change_init(&c);
    c.client_id = s->client;
    c.type = s->type;
    c.state = s->state;
    gl_change_set_str(&c.title, s->title ? s->title : "a change");
    gl_change_set_str(&c.description, s->description);
    if (s->ci)
        gl_idlist_push(&c.ci_ids, s->ci);
    c.planned_start = s->start ? s->start : GL_TIME_UNSET;
    c.planned_end = s->end ? s->end : GL_TIME_UNSET;
    int rc = st->changes->create(st, &ctx, &c, &err);
    if (rc)
        print_error("change_create: %s\n", err.detail);
    assert_int_equal(rc, 0);
    int64_t id = c.id;
    gl_change_release(&c);
    return id;
}

void fill_full_change(struct gl_change *c, int64_t client, int64_t ci1, int64_t ci2,
                      int64_t related)
{
    gl_change_init(c);
    c->type = GL_TYPE_EMERGENCY;
    c->state = GL_STATE_ROLLED_BACK;
    c->client_id = client;
    gl_change_set_str(&c->title, "Upgrade PostgreSQL to 15.6");
    gl_change_set_str(&c->description, "Minor upgrade with \"quotes\" and 'apostrophes'");
    gl_change_set_str(&c->raised_by, "alice");
    gl_change_set_str(&c->reason, "security fixes");
    gl_change_set_str(&c->expected_return, "no CVEs");
    gl_change_set_str(&c->risks, "replication lag");
    gl_change_set_str(&c->implementer, "bob");
    gl_change_set_str(&c->resources, "2 DBAs");
    gl_idlist_push(&c->related_changes, related);
    gl_idlist_push(&c->ci_ids, ci2); /* unordered on purpose: stored as a sorted set */
    gl_idlist_push(&c->ci_ids, ci1);
    gl_change_set_str(&c->implementation_plan, "1. stop\n2. upgrade\n3. start");
    gl_change_set_str(&c->test_plan, "smoke tests");
    gl_change_set_str(&c->rollback_plan, "restore snapshot");
    c->rollback_tested = true;
    gl_change_set_str(&c->rollback_evidence, "ticket 99");
    c->planned_start = T0 + 10 * HOUR;
    c->planned_end = T0 + 11 * HOUR;
    c->actual_start = T0 + 10 * HOUR + 60;
    c->actual_end = T0 + 10 * HOUR + 1800;
    c->outcome = GL_OUTCOME_ROLLED_BACK;
    gl_change_set_str(&c->outcome_notes, "lag too high");
    gl_change_set_str(&c->review_summary, "rolled back cleanly");
    gl_change_set_str(&c->review_lessons, "test lag first");
    gl_change_set_str(&c->reviewed_by, "carol");
    c->reviewed_at = T0 + 12 * HOUR;
    gl_strlist_push(&c->incidents, "INC-9");
    gl_strlist_push(&c->incidents, "INC-1");
    gl_change_set_str(&c->state_reason, "lag");
    gl_change_set_str(&c->created_by, "alice");
}

/* ---- assertions --------------------------------------------------------------------- */

void assert_str_eq(const char *a, const char *b)
{
    if (!a || !b)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

void assert_change_equal(const struct gl_change *a, const struct gl_change *b)
{
    assert_int_equal(a->id, b->id);
    assert_int_equal(a->version, b->version);
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->state, b->state);
    assert_int_equal(a->client_id, b->client_id);
    assert_str_eq(a->title, b->title);
    assert_str_eq(a->description, b->description);
    assert_str_eq(a->raised_by, b->raised_by);
    assert_str_eq(a->reason, b->reason);
    assert_str_eq(a->expected_return, b->expected_return);
    assert_str_eq(a->risks, b->risks);
    assert_str_eq(a->implementer, b->implementer);
    assert_str_eq(a->resources, b->resources);
    assert_int_equal(a->related_changes.len, b->related_changes.len);
    for (size_t i = 0; i < a->related_changes.len; i++)
        assert_int_equal(a->related_changes.items[i], b->related_changes.items[i]);
    assert_int_equal(a->ci_ids.len, b->ci_ids.len);
    for (size_t i = 0; i < a->ci_ids.len; i++)
        assert_int_equal(a->ci_ids.items[i], b->ci_ids.items[i]);
    assert_str_eq(a->implementation_plan, b->implementation_plan);
    assert_str_eq(a->test_plan, b->test_plan);
    assert_str_eq(a->rollback_plan, b->rollback_plan);
    assert_int_equal(a->rollback_tested, b->rollback_tested);
    assert_str_eq(a->rollback_evidence, b->rollback_evidence);
    assert_int_equal(a->planned_start, b->planned_start);
    assert_int_equal(a->planned_end, b->planned_end);
    assert_int_equal(a->actual_start, b->actual_start);
    assert_int_equal(a->actual_end, b->actual_end);
    assert_int_equal(a->outcome, b->outcome);
    assert_str_eq(a->outcome_notes, b->outcome_notes);
    assert_str_eq(a->review_summary, b->review_summary);
    assert_str_eq(a->review_lessons, b->review_lessons);
    assert_str_eq(a->reviewed_by, b->reviewed_by);
    assert_int_equal(a->reviewed_at, b->reviewed_at);
    assert_int_equal(a->incidents.len, b->incidents.len);
    for (size_t i = 0; i < a->incidents.len; i++)
        assert_string_equal(a->incidents.items[i], b->incidents.items[i]);
    assert_str_eq(a->state_reason, b->state_reason);
    assert_str_eq(a->created_by, b->created_by);
    assert_int_equal(a->created_at, b->created_at);
    assert_int_equal(a->updated_at, b->updated_at);
}

/* ---- audit -------------------------------------------------------------------------- */

size_t audit_count(struct gl_store *st)
{
    struct gl_audit_list l;
    struct gl_error err;
    assert_int_equal(st->audit->list(st, 0, 100000, &l, &err), 0);
    size_t n = l.len;
    gl_audit_list_release(&l);
    return n;
}

size_t verify_chain(struct gl_store *st)
{
    struct gl_error err;
    unsigned char prev[GL_AUDIT_HASH_LEN] = {0};
    int64_t after = 0;
    size_t n = 0;
    for (;;) {
        struct gl_audit_list l;
        assert_int_equal(st->audit->list(st, after, 7, &l, &err), 0);
        if (l.len == 0) {
            gl_audit_list_release(&l);
            return n;
        }
        for (size_t i = 0; i < l.len; i++) {
            struct gl_audit_event *ev = &l.items[i];
            unsigned char stored[GL_AUDIT_HASH_LEN];
            assert_int_equal(ev->id, after + 1);
            assert_memory_equal(ev->prev_hash, prev, GL_AUDIT_HASH_LEN);
            memcpy(stored, ev->hash, sizeof stored);
            gl_audit_hash(ev);
            assert_memory_equal(ev->hash, stored, GL_AUDIT_HASH_LEN);
            memcpy(prev, stored, sizeof prev);
            after = ev->id;
            n++;
        }
        gl_audit_list_release(&l);
    }
}
