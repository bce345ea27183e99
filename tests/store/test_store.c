/*
 * test_store.c - the storage contract (store/store.h), run against a backend.
 *
 * Every test gets a fresh, empty database in its own temporary directory. The tests use
 * only the store.h interface, except the two functions in the "backend" section below
 * (open a store; run raw SQL to prove the audit log refuses tampering), which are all a
 * PostgreSQL run of this suite has to replace.
 */
#include <dirent.h>
#include <pthread.h>
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

#include "store/store.h"

#include "util/banned.h"

/* ---- backend ------------------------------------------------------------------------ */

static struct gl_store *backend_open(const char *dir, const char *name, struct gl_error *err)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return gl_store_open_sqlite(path, err);
}

/* Runs sql directly against the database, bypassing the store; returns 0 if it succeeded. */
static int backend_raw_exec(const char *dir, const char *sql)
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

/* ---- fixture ------------------------------------------------------------------------ */

#define T0 1764064800 /* 2025-11-25T10:00:00Z */
#define HOUR 3600

struct fx {
    char dir[64];
    struct gl_store *st;
};

static int setup(void **state)
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

static int teardown(void **state)
{
    struct fx *fx = *state;
    gl_store_close(fx->st);
    remove_dir(fx->dir);
    free(fx);
    return 0;
}

static struct gl_write_ctx wctx(int64_t now, const char *action)
{
    struct gl_write_ctx c = {
        .actor = "alice", .request_id = "req-1", .action = action, .reason = NULL, .now = now};
    return c;
}

static int64_t add_client(struct gl_store *st, const char *key)
{
    struct gl_client c;
    struct gl_error err;
    struct gl_write_ctx ctx = wctx(T0, "client.create");
    gl_client_init(&c);
    c.key = strdup(key);
    c.name = strdup(key);
    c.timezone = strdup("Europe/London");
    c.notice_hours = 48;
    assert_int_equal(st->ops->client_create(st, &ctx, &c, &err), 0);
    int64_t id = c.id;
    gl_client_release(&c);
    return id;
}

static int64_t add_ci(struct gl_store *st, int64_t client_id, const char *name, const char *type)
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
    assert_int_equal(st->ops->ci_create(st, &ctx, &ci, &err), 0);
    int64_t id = ci.id;
    gl_ci_release(&ci);
    return id;
}

struct spec {
    int64_t client;
    enum gl_change_type type;
    enum gl_change_state state;
    const char *title;
    const char *description;
    int64_t ci;
    int64_t start, end;
};

static int64_t add_change(struct gl_store *st, const struct spec *s)
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
    int rc = st->ops->change_create(st, &ctx, &c, &err);
    if (rc)
        print_error("change_create: %s\n", err.detail);
    assert_int_equal(rc, 0);
    int64_t id = c.id;
    gl_change_release(&c);
    return id;
}

static size_t audit_count(struct gl_store *st)
{
    struct gl_audit_list l;
    struct gl_error err;
    assert_int_equal(st->ops->audit_list(st, 0, 100000, &l, &err), 0);
    size_t n = l.len;
    gl_audit_list_release(&l);
    return n;
}

/* ---- schema, clients, CIs ------------------------------------------------------------ */

static void test_migrate_idempotent(void **state)
{
    struct fx *fx = *state;
    struct gl_error err;
    int applied = -1;
    /* the open migrated the new database; the first call reports it, later ones find nothing */
    assert_int_equal(fx->st->ops->migrate(fx->st, &applied, &err), 0);
    assert_true(applied > 0);
    assert_int_equal(fx->st->ops->migrate(fx->st, &applied, &err), 0);
    assert_int_equal(applied, 0);
    add_client(fx->st, "acme");
    gl_store_close(fx->st);
    fx->st = backend_open(fx->dir, "gl.db", &err);
    assert_non_null(fx->st);
    assert_int_equal(fx->st->ops->migrate(fx->st, &applied, &err), 0);
    assert_int_equal(applied, 0);
    struct gl_client c;
    assert_int_equal(fx->st->ops->client_get(fx->st, "acme", &c, &err), 0);
    gl_client_release(&c);

    /* a database from a newer program is refused, not written to */
    gl_store_close(fx->st);
    fx->st = NULL;
    assert_int_equal(backend_raw_exec(fx->dir, "INSERT INTO schema_migrations VALUES "
                                               "(9999, '2999-01-01T00:00:00Z')"),
                     0);
    struct gl_store *newer = backend_open(fx->dir, "gl.db", &err);
    assert_null(newer);
    assert_int_equal(err.code, GL_E_INTERNAL);
    assert_int_equal(
        backend_raw_exec(fx->dir, "DELETE FROM schema_migrations WHERE version = 9999"), 0);
    fx->st = backend_open(fx->dir, "gl.db", &err);
    assert_non_null(fx->st);
}

static void test_clients(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    struct gl_client c, got, dup, after;
    struct gl_write_ctx ctx = wctx(T0, "client.create");

    gl_client_init(&c);
    c.key = strdup("acme");
    c.name = strdup("Acme Ltd");
    c.timezone = strdup("Europe/London");
    c.notice_hours = 48;
    c.requires_signoff = true;
    assert_int_equal(st->ops->client_create(st, &ctx, &c, &err), 0);
    assert_true(c.id > 0);
    assert_int_equal(c.version, 1);
    assert_int_equal(c.created_at, T0);

    assert_int_equal(st->ops->client_get(st, "acme", &got, &err), 0);
    assert_int_equal(got.id, c.id);
    assert_string_equal(got.name, "Acme Ltd");
    assert_string_equal(got.timezone, "Europe/London");
    assert_int_equal(got.notice_hours, 48);
    assert_true(got.requires_signoff);
    assert_int_equal(got.version, 1);
    gl_client_release(&got);
    assert_int_equal(st->ops->client_get_by_id(st, c.id, &got, &err), 0);
    assert_string_equal(got.key, "acme");
    gl_client_release(&got);
    assert_int_equal(st->ops->client_get(st, "nope", &got, &err), GL_E_NOT_FOUND);

    gl_client_init(&dup);
    dup.key = strdup("acme");
    dup.name = strdup("Other");
    assert_int_equal(st->ops->client_create(st, &ctx, &dup, &err), GL_E_DUPLICATE);
    assert_int_equal(err.code, GL_E_DUPLICATE);
    assert_int_equal(dup.id, 0);
    gl_client_release(&dup);

    /* update, then a stale update */
    gl_client_init(&after);
    after.key = strdup("acme");
    after.name = strdup("Acme Group");
    after.timezone = strdup("UTC");
    ctx = wctx(T0 + 60, "client.update");
    assert_int_equal(st->ops->client_update(st, &ctx, &c, &after, &err), 0);
    assert_int_equal(after.version, 2);
    assert_int_equal(after.updated_at, T0 + 60);
    assert_int_equal(st->ops->client_update(st, &ctx, &c, &after, &err), GL_E_STALE);
    assert_int_equal(st->ops->client_get(st, "acme", &got, &err), 0);
    assert_string_equal(got.name, "Acme Group");
    assert_int_equal(got.version, 2);
    gl_client_release(&got);
    gl_client_release(&after);

    /* list, whole and scoped */
    int64_t globex = add_client(st, "globex");
    struct gl_client_list l;
    assert_int_equal(st->ops->client_list(st, NULL, &l, &err), 0);
    assert_int_equal(l.len, 2);
    assert_string_equal(l.items[0].key, "acme");
    gl_client_list_release(&l);
    struct gl_scope scope = {.all = false, .client_ids = &globex, .n = 1};
    assert_int_equal(st->ops->client_list(st, &scope, &l, &err), 0);
    assert_int_equal(l.len, 1);
    assert_string_equal(l.items[0].key, "globex");
    gl_client_list_release(&l);
    gl_client_release(&c);
}

static void test_cis(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    int64_t acme = add_client(st, "acme"), globex = add_client(st, "globex");
    int64_t web = add_ci(st, acme, "web-01", "server");
    int64_t db = add_ci(st, acme, "db-01", "database");
    int64_t core = add_ci(st, 0, "core-switch", "network_device");
    int64_t gx = add_ci(st, globex, "web-02", "server");

    struct gl_ci ci;
    assert_int_equal(st->ops->ci_get(st, web, &ci, &err), 0);
    assert_int_equal(ci.client_id, acme);
    assert_string_equal(ci.client_key, "acme");
    assert_string_equal(ci.name, "web-01");
    assert_int_equal(ci.criticality, 3);
    assert_int_equal(ci.users_affected, 10);
    assert_int_equal(ci.version, 1);
    gl_ci_release(&ci);
    assert_int_equal(st->ops->ci_get(st, core, &ci, &err), 0);
    assert_int_equal(ci.client_id, 0);
    assert_null(ci.client_key);
    gl_ci_release(&ci);
    assert_int_equal(st->ops->ci_get(st, 999, &ci, &err), GL_E_NOT_FOUND);

    /* unknown client */
    struct gl_write_ctx ctx = wctx(T0, "ci.create");
    gl_ci_init(&ci);
    ci.client_id = 4242;
    ci.name = strdup("x");
    ci.type = strdup("server");
    ci.criticality = 1;
    assert_int_equal(st->ops->ci_create(st, &ctx, &ci, &err), GL_E_INVALID);
    assert_string_equal(err.field, "client");
    gl_ci_release(&ci);

    /* update */
    struct gl_ci before, after;
    assert_int_equal(st->ops->ci_get(st, db, &before, &err), 0);
    assert_int_equal(st->ops->ci_get(st, db, &after, &err), 0);
    after.criticality = 5;
    ctx = wctx(T0 + 5, "ci.update");
    assert_int_equal(st->ops->ci_update(st, &ctx, &before, &after, &err), 0);
    assert_int_equal(after.version, 2);
    assert_int_equal(st->ops->ci_update(st, &ctx, &before, &after, &err), GL_E_STALE);
    gl_ci_release(&before);
    gl_ci_release(&after);

    /* lists: scope sees own and shared; filters; cursor */
    struct gl_scope scope = {.all = false, .client_ids = &acme, .n = 1};
    struct gl_ci_filter f = {.scope = &scope, .limit = 50};
    struct gl_ci_page p;
    assert_int_equal(st->ops->ci_list(st, &f, &p, &err), 0);
    assert_int_equal(p.len, 3);
    assert_int_equal(p.items[0].id, core);
    assert_int_equal(p.items[1].id, db);
    assert_int_equal(p.items[2].id, web);
    assert_int_equal(p.next_cursor, 0);
    gl_ci_page_release(&p);

    f = (struct gl_ci_filter){.type = "server", .limit = 50};
    assert_int_equal(st->ops->ci_list(st, &f, &p, &err), 0);
    assert_int_equal(p.len, 2);
    assert_int_equal(p.items[0].id, gx);
    gl_ci_page_release(&p);

    f = (struct gl_ci_filter){.text = "WEB", .client_id = acme, .limit = 50};
    assert_int_equal(st->ops->ci_list(st, &f, &p, &err), 0);
    assert_int_equal(p.len, 1);
    assert_int_equal(p.items[0].id, web);
    gl_ci_page_release(&p);

    f = (struct gl_ci_filter){.text = "%", .limit = 50};
    assert_int_equal(st->ops->ci_list(st, &f, &p, &err), 0);
    assert_int_equal(p.len, 0);
    gl_ci_page_release(&p);

    f = (struct gl_ci_filter){.limit = 3};
    assert_int_equal(st->ops->ci_list(st, &f, &p, &err), 0);
    assert_int_equal(p.len, 3);
    assert_int_equal(p.next_cursor, db);
    f.before_id = p.next_cursor;
    gl_ci_page_release(&p);
    assert_int_equal(st->ops->ci_list(st, &f, &p, &err), 0);
    assert_int_equal(p.len, 1);
    assert_int_equal(p.items[0].id, web);
    assert_int_equal(p.next_cursor, 0);
    gl_ci_page_release(&p);
}

/* ---- changes ------------------------------------------------------------------------ */

static void fill_full_change(struct gl_change *c, int64_t client, int64_t ci1, int64_t ci2,
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

static void assert_str_eq(const char *a, const char *b)
{
    if (!a || !b)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void assert_change_equal(const struct gl_change *a, const struct gl_change *b)
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

static void test_change_roundtrip(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    int64_t acme = add_client(st, "acme");
    int64_t ci1 = add_ci(st, acme, "web-01", "server");
    int64_t ci2 = add_ci(st, 0, "core", "network_device");
    int64_t rel = add_change(st, &(struct spec){.client = acme});

    struct gl_change c, got;
    fill_full_change(&c, acme, ci1, ci2, rel);
    struct gl_write_ctx ctx = wctx(T0 + 5, "change.create");
    assert_int_equal(st->ops->change_create(st, &ctx, &c, &err), 0);
    assert_int_equal(c.id, rel + 1);
    assert_int_equal(c.version, 1);
    assert_int_equal(c.created_at, T0 + 5);
    assert_int_equal(c.updated_at, T0 + 5);
    assert_string_equal(c.client_key, "acme");
    assert_int_equal(c.ci_ids.items[0], ci1); /* normalised in place */

    assert_int_equal(st->ops->change_get(st, c.id, &got, &err), 0);
    assert_change_equal(&got, &c);
    assert_string_equal(got.client_key, "acme");
    assert_string_equal(got.incidents.items[0], "INC-9"); /* incident order is kept */
    gl_change_release(&got);

    /* a sparse change: unset times and strings stay unset */
    int64_t bare = add_change(st, &(struct spec){.client = acme, .title = "bare"});
    assert_int_equal(st->ops->change_get(st, bare, &got, &err), 0);
    assert_int_equal(got.planned_start, GL_TIME_UNSET);
    assert_int_equal(got.reviewed_at, GL_TIME_UNSET);
    assert_int_equal(got.outcome, GL_OUTCOME_NONE);
    assert_null(got.description);
    assert_int_equal(got.ci_ids.len, 0);
    assert_int_equal(got.incidents.len, 0);
    gl_change_release(&got);

    assert_int_equal(st->ops->change_get(st, 12345, &got, &err), GL_E_NOT_FOUND);
    gl_change_release(&c);
}

static void test_change_bad_references(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    int64_t acme = add_client(st, "acme"), globex = add_client(st, "globex");
    int64_t theirs = add_ci(st, globex, "gx", "server");
    int64_t shared = add_ci(st, 0, "core", "network_device");
    size_t events = audit_count(st);
    struct gl_write_ctx ctx = wctx(T0, "change.create");
    struct gl_change c;

    const struct {
        int64_t client, ci, related;
        const char *field;
    } cases[] = {
        {acme, 777, 0, "cis"},
        {acme, theirs, 0, "cis"},
        {acme, shared, 555, "related_changes"},
        {999, 0, 0, "client"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gl_change_init(&c);
        c.client_id = cases[i].client;
        gl_change_set_str(&c.title, "bad");
        if (cases[i].ci)
            gl_idlist_push(&c.ci_ids, cases[i].ci);
        if (cases[i].related)
            gl_idlist_push(&c.related_changes, cases[i].related);
        assert_int_equal(st->ops->change_create(st, &ctx, &c, &err), GL_E_INVALID);
        assert_string_equal(err.field, cases[i].field);
        assert_int_equal(c.id, 0);
        gl_change_release(&c);
    }
    /* nothing was written: no change, no audit event */
    struct gl_change_filter f = {.from = GL_TIME_UNSET, .to = GL_TIME_UNSET, .limit = 10};
    struct gl_change_page p;
    assert_int_equal(st->ops->change_list(st, &f, &p, &err), 0);
    assert_int_equal(p.len, 0);
    gl_change_page_release(&p);
    assert_int_equal(audit_count(st), events);

    /* shared CIs are fine for any client */
    int64_t ok = add_change(st, &(struct spec){.client = acme, .ci = shared});
    assert_true(ok > 0);
    assert_int_equal(audit_count(st), events + 1);
}

static void test_change_update(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    int64_t acme = add_client(st, "acme");
    int64_t ci1 = add_ci(st, acme, "a", "server"), ci2 = add_ci(st, acme, "b", "server");
    int64_t id = add_change(st, &(struct spec){.client = acme, .title = "old title", .ci = ci1});

    struct gl_change before, after, got;
    assert_int_equal(st->ops->change_get(st, id, &before, &err), 0);
    gl_change_init(&after);
    assert_int_equal(gl_change_copy(&after, &before), 0);
    gl_change_set_str(&after.title, "new title");
    after.state = GL_STATE_SUBMITTED;
    gl_idlist_push(&after.ci_ids, ci2);
    gl_strlist_push(&after.incidents, "INC-7");
    struct gl_write_ctx ctx = wctx(T0 + 100, "change.submit");
    assert_int_equal(st->ops->change_update(st, &ctx, &before, &after, &err), 0);
    assert_int_equal(after.version, 2);
    assert_int_equal(after.updated_at, T0 + 100);

    assert_int_equal(st->ops->change_get(st, id, &got, &err), 0);
    assert_change_equal(&got, &after);
    assert_int_equal(got.created_at, T0);
    gl_change_release(&got);

    /* stale: `before` is still version 1; nothing changes */
    struct gl_change again;
    gl_change_init(&again);
    assert_int_equal(gl_change_copy(&again, &before), 0);
    gl_change_set_str(&again.title, "lost update");
    again.ci_ids.len = 0;
    size_t events = audit_count(st);
    assert_int_equal(st->ops->change_update(st, &ctx, &before, &again, &err), GL_E_STALE);
    assert_int_equal(err.code, GL_E_STALE);
    assert_int_equal(again.version, 1);
    assert_int_equal(st->ops->change_get(st, id, &got, &err), 0);
    assert_string_equal(got.title, "new title");
    assert_int_equal(got.version, 2);
    assert_int_equal(got.ci_ids.len, 2);
    gl_change_release(&got);
    assert_int_equal(audit_count(st), events);

    /* a missing change */
    before.id = 9999;
    assert_int_equal(st->ops->change_update(st, &ctx, &before, &again, &err), GL_E_NOT_FOUND);

    /* an update adding an unknown CI fails and changes nothing */
    struct gl_change cur, bad;
    assert_int_equal(st->ops->change_get(st, id, &cur, &err), 0);
    gl_change_init(&bad);
    assert_int_equal(gl_change_copy(&bad, &cur), 0);
    gl_idlist_push(&bad.ci_ids, 31337);
    gl_change_set_str(&bad.title, "should not stick");
    assert_int_equal(st->ops->change_update(st, &ctx, &cur, &bad, &err), GL_E_INVALID);
    assert_string_equal(err.field, "cis");
    assert_int_equal(st->ops->change_get(st, id, &got, &err), 0);
    assert_change_equal(&got, &cur);
    gl_change_release(&got);
    gl_change_release(&cur);
    gl_change_release(&bad);

    gl_change_release(&before);
    gl_change_release(&after);
    gl_change_release(&again);
}

/* Runs a list and compares the ids it returns with `want` (newest first, 0-terminated). */
static void expect_ids(struct gl_store *st, const struct gl_change_filter *f, const int64_t *want)
{
    struct gl_change_page p;
    struct gl_error err;
    int rc = st->ops->change_list(st, f, &p, &err);
    if (rc)
        print_error("change_list: %s\n", err.detail);
    assert_int_equal(rc, 0);
    size_t n = 0;
    while (want[n])
        n++;
    for (size_t i = 0; i < p.len && i < n; i++)
        assert_int_equal(p.items[i].id, want[i]);
    assert_int_equal(p.len, n);
    gl_change_page_release(&p);
}

static void test_change_list_filters(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    int64_t acme = add_client(st, "acme"), globex = add_client(st, "globex");
    int64_t web = add_ci(st, acme, "web", "server"), shared = add_ci(st, 0, "core", "switch");
    int64_t a1 =
        add_change(st, &(struct spec){acme, GL_TYPE_NORMAL, GL_STATE_DRAFT, "Upgrade PostgreSQL",
                                      "database work", web, T0, T0 + HOUR});
    int64_t a2 = add_change(st, &(struct spec){acme, GL_TYPE_STANDARD, GL_STATE_SCHEDULED,
                                               "Patch web servers", "monthly patching", web,
                                               T0 + 2 * HOUR, T0 + 3 * HOUR});
    int64_t g1 = add_change(st, &(struct spec){globex, GL_TYPE_EMERGENCY, GL_STATE_SUBMITTED,
                                               "Replace core switch", "fail-over", shared,
                                               T0 + 5 * HOUR, T0 + 6 * HOUR});
    int64_t g2 = add_change(st, &(struct spec){globex, GL_TYPE_NORMAL, GL_STATE_DRAFT,
                                               "Upgrade firewall", NULL, 0, 0, 0});
    const int64_t U = GL_TIME_UNSET;

    expect_ids(st, &(struct gl_change_filter){.from = U, .to = U, .limit = 50},
               (int64_t[]){g2, g1, a2, a1, 0});
    expect_ids(st, &(struct gl_change_filter){.client_id = acme, .from = U, .to = U, .limit = 50},
               (int64_t[]){a2, a1, 0});
    expect_ids(st,
               &(struct gl_change_filter){
                   .state_mask = 1u << GL_STATE_DRAFT, .from = U, .to = U, .limit = 50},
               (int64_t[]){g2, a1, 0});
    expect_ids(st,
               &(struct gl_change_filter){.state_mask = (1u << GL_STATE_SCHEDULED) |
                                                        (1u << GL_STATE_SUBMITTED),
                                          .from = U,
                                          .to = U,
                                          .limit = 50},
               (int64_t[]){g1, a2, 0});
    expect_ids(st,
               &(struct gl_change_filter){.client_id = globex,
                                          .state_mask = 1u << GL_STATE_DRAFT,
                                          .from = U,
                                          .to = U,
                                          .limit = 50},
               (int64_t[]){g2, 0});
    expect_ids(st,
               &(struct gl_change_filter){
                   .type_mask = 1u << GL_TYPE_NORMAL, .from = U, .to = U, .limit = 50},
               (int64_t[]){g2, a1, 0});
    expect_ids(st, &(struct gl_change_filter){.ci_id = web, .from = U, .to = U, .limit = 50},
               (int64_t[]){a2, a1, 0});
    expect_ids(st, &(struct gl_change_filter){.ci_id = shared, .from = U, .to = U, .limit = 50},
               (int64_t[]){g1, 0});

    /* time overlap of [planned_start, planned_end) with [from, to) */
    expect_ids(
        st, &(struct gl_change_filter){.from = T0 + HOUR / 2, .to = T0 + 2 * HOUR + 1, .limit = 50},
        (int64_t[]){a2, a1, 0});
    expect_ids(st, &(struct gl_change_filter){.from = T0 + HOUR, .to = T0 + 2 * HOUR, .limit = 50},
               (int64_t[]){0}); /* touching ends do not overlap */
    expect_ids(st, &(struct gl_change_filter){.from = T0 + 4 * HOUR, .to = U, .limit = 50},
               (int64_t[]){g1, 0});
    expect_ids(st, &(struct gl_change_filter){.from = U, .to = T0 + 1, .limit = 50},
               (int64_t[]){a1, 0});

    /* free text, case- and accent-insensitive, word based; FTS syntax is inert */
    expect_ids(st, &(struct gl_change_filter){.text = "upgrade", .from = U, .to = U, .limit = 50},
               (int64_t[]){g2, a1, 0});
    expect_ids(
        st,
        &(struct gl_change_filter){.text = "UPGRADE postgresql", .from = U, .to = U, .limit = 50},
        (int64_t[]){a1, 0});
    expect_ids(st, &(struct gl_change_filter){.text = "patching", .from = U, .to = U, .limit = 50},
               (int64_t[]){a2, 0});
    expect_ids(st,
               &(struct gl_change_filter){
                   .text = "upgrade", .ci_id = web, .from = U, .to = U, .limit = 50},
               (int64_t[]){a1, 0});
    const char *hostile[] = {"\"", "upgrade OR patch", "NEAR(a b)", "title:upgrade", "-x", "up*",
                             "(",  "\"\"\"",           "a\"b",      "^upgrade",      "   "};
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        struct gl_change_page p;
        struct gl_error err;
        struct gl_change_filter f = {.text = hostile[i], .from = U, .to = U, .limit = 50};
        assert_int_equal(st->ops->change_list(st, &f, &p, &err), 0);
        gl_change_page_release(&p);
    }

    /* combinations */
    expect_ids(
        st,
        &(struct gl_change_filter){.client_id = globex,
                                   .type_mask = (1u << GL_TYPE_NORMAL) | (1u << GL_TYPE_EMERGENCY),
                                   .from = U,
                                   .to = U,
                                   .limit = 50},
        (int64_t[]){g2, g1, 0});
    expect_ids(st,
               &(struct gl_change_filter){.state_mask =
                                              (1u << GL_STATE_DRAFT) | (1u << GL_STATE_SUBMITTED),
                                          .type_mask = 1u << GL_TYPE_NORMAL,
                                          .from = U,
                                          .to = U,
                                          .limit = 50},
               (int64_t[]){g2, a1, 0});
    expect_ids(
        st,
        &(struct gl_change_filter){.text = "upgrade", .from = T0, .to = T0 + 6 * HOUR, .limit = 50},
        (int64_t[]){a1, 0});
    expect_ids(
        st, &(struct gl_change_filter){.ci_id = web, .from = T0 + 2 * HOUR, .to = U, .limit = 50},
        (int64_t[]){a2, 0});
    expect_ids(st,
               &(struct gl_change_filter){.client_id = acme,
                                          .from = T0,
                                          .to = T0 + 6 * HOUR,
                                          .state_mask = 1u << GL_STATE_SCHEDULED,
                                          .limit = 50},
               (int64_t[]){a2, 0});
    expect_ids(st, &(struct gl_change_filter){.from = T0 + HOUR, .to = T0, .limit = 50},
               (int64_t[]){0}); /* an empty range */

    /* scope: restricted, empty, and combined with a client outside it */
    int64_t both_twice[] = {acme, globex, acme};
    struct gl_scope both = {.all = false, .client_ids = both_twice, .n = 3};
    expect_ids(st,
               &(struct gl_change_filter){.scope = &both,
                                          .state_mask =
                                              (1u << GL_STATE_DRAFT) | (1u << GL_STATE_SUBMITTED),
                                          .from = U,
                                          .to = U,
                                          .limit = 50},
               (int64_t[]){g2, g1, a1, 0});
    expect_ids(st, &(struct gl_change_filter){.scope = &both, .from = U, .to = U, .limit = 3},
               (int64_t[]){g2, g1, a2, 0});
    struct gl_scope only_acme = {.all = false, .client_ids = &acme, .n = 1};
    struct gl_scope nothing = {.all = false, .client_ids = NULL, .n = 0};
    struct gl_scope all = {.all = true};
    expect_ids(st, &(struct gl_change_filter){.scope = &only_acme, .from = U, .to = U, .limit = 50},
               (int64_t[]){a2, a1, 0});
    expect_ids(st, &(struct gl_change_filter){.scope = &nothing, .from = U, .to = U, .limit = 50},
               (int64_t[]){0});
    expect_ids(st, &(struct gl_change_filter){.scope = &all, .from = U, .to = U, .limit = 50},
               (int64_t[]){g2, g1, a2, a1, 0});
    expect_ids(st,
               &(struct gl_change_filter){
                   .scope = &only_acme, .client_id = globex, .from = U, .to = U, .limit = 50},
               (int64_t[]){0});
    expect_ids(st,
               &(struct gl_change_filter){
                   .scope = &only_acme, .text = "upgrade", .from = U, .to = U, .limit = 50},
               (int64_t[]){a1, 0});

    struct gl_change_page p;
    struct gl_error err;
    struct gl_change_filter bad = {.from = U, .to = U, .limit = 0};
    assert_int_equal(st->ops->change_list(st, &bad, &p, &err), GL_E_INVALID);
    bad.limit = GL_LIST_MAX + 1;
    assert_int_equal(st->ops->change_list(st, &bad, &p, &err), GL_E_INVALID);
}

/* Free text covers title, description and all three plans, and follows updates. */
static void test_change_text_search(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    const int64_t U = GL_TIME_UNSET;
    int64_t acme = add_client(st, "acme");
    struct gl_write_ctx ctx = wctx(T0, "change.create");
    struct gl_change c, next;
    gl_change_init(&c);
    c.client_id = acme;
    gl_change_set_str(&c.title, "Quarterly work");
    gl_change_set_str(&c.implementation_plan, "drain the aardvark pool");
    gl_change_set_str(&c.test_plan, "probe the okapi endpoint");
    gl_change_set_str(&c.rollback_plan, "restore the zebra snapshot");
    assert_int_equal(st->ops->change_create(st, &ctx, &c, &err), 0);
    const char *words[] = {"quarterly", "aardvark", "okapi", "zebra"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        expect_ids(st, &(struct gl_change_filter){.text = words[i], .from = U, .to = U, .limit = 5},
                   (int64_t[]){c.id, 0});

    gl_change_init(&next);
    assert_int_equal(gl_change_copy(&next, &c), 0);
    gl_change_set_str(&next.rollback_plan, "restore the gnu snapshot");
    ctx = wctx(T0 + 1, "change.update");
    assert_int_equal(st->ops->change_update(st, &ctx, &c, &next, &err), 0);
    expect_ids(st, &(struct gl_change_filter){.text = "zebra", .from = U, .to = U, .limit = 5},
               (int64_t[]){0});
    expect_ids(st, &(struct gl_change_filter){.text = "gnu", .from = U, .to = U, .limit = 5},
               (int64_t[]){c.id, 0});
    expect_ids(st, &(struct gl_change_filter){.text = "okapi", .from = U, .to = U, .limit = 5},
               (int64_t[]){c.id, 0});
    gl_change_release(&c);
    gl_change_release(&next);
}

/* Walks every page of f and checks the pages tile `total` ids without gaps or repeats. */
static void walk_pages(struct gl_store *st, struct gl_change_filter f, size_t total, int64_t first,
                       int64_t step)
{
    struct gl_error err;
    size_t seen = 0, pages = 0;
    int64_t expect = first;
    do {
        struct gl_change_page p;
        assert_int_equal(st->ops->change_list(st, &f, &p, &err), 0);
        pages++;
        for (size_t i = 0; i < p.len; i++) {
            assert_int_equal(p.items[i].id, expect);
            expect -= step;
        }
        seen += p.len;
        assert_true(p.len == (size_t)f.limit || p.next_cursor == 0);
        f.before_id = p.next_cursor;
        gl_change_page_release(&p);
    } while (f.before_id);
    assert_int_equal(seen, total);
    assert_int_equal(pages, (total + (size_t)f.limit - 1) / (size_t)f.limit + (total == 0));
}

static void test_change_list_pagination(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    int64_t acme = add_client(st, "acme"), globex = add_client(st, "globex");
    int64_t web = add_ci(st, acme, "web", "server");
    int64_t first = 0, last = 0;
    for (int i = 0; i < 46; i++) {
        int64_t client = i % 2 ? globex : acme;
        int64_t id =
            add_change(st, &(struct spec){client, GL_TYPE_NORMAL, GL_STATE_DRAFT, "routine upgrade",
                                          NULL, client == acme ? web : 0, 0, 0});
        if (!first)
            first = id;
        last = id;
    }
    const int64_t U = GL_TIME_UNSET;
    walk_pages(st, (struct gl_change_filter){.from = U, .to = U, .limit = 5}, 46, last, 1);
    walk_pages(st, (struct gl_change_filter){.from = U, .to = U, .limit = 23}, 46, last, 1);
    walk_pages(st, (struct gl_change_filter){.from = U, .to = U, .limit = 200}, 46, last, 1);
    walk_pages(st, (struct gl_change_filter){.client_id = acme, .from = U, .to = U, .limit = 4}, 23,
               last - 1, 2);
    walk_pages(st, (struct gl_change_filter){.ci_id = web, .from = U, .to = U, .limit = 7}, 23,
               last - 1, 2);
    walk_pages(st, (struct gl_change_filter){.text = "routine", .from = U, .to = U, .limit = 6}, 46,
               last, 1);
    assert_int_equal(first, last - 45);
}

static void test_change_timeline(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    int64_t acme = add_client(st, "acme");
    int64_t other = add_change(st, &(struct spec){.client = acme});
    int64_t id = add_change(st, &(struct spec){.client = acme, .title = "v1"});
    struct gl_change cur, next;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(st->ops->change_get(st, id, &cur, &err), 0);
        gl_change_init(&next);
        assert_int_equal(gl_change_copy(&next, &cur), 0);
        gl_change_set_str(&next.title, i ? "v3" : "v2");
        struct gl_write_ctx ctx = wctx(T0 + 10 + i, i ? "change.assess" : "change.submit");
        ctx.reason = "because";
        assert_int_equal(st->ops->change_update(st, &ctx, &cur, &next, &err), 0);
        gl_change_release(&cur);
        gl_change_release(&next);
    }
    struct gl_audit_list tl;
    assert_int_equal(st->ops->change_timeline(st, id, &tl, &err), 0);
    assert_int_equal(tl.len, 3);
    assert_string_equal(tl.items[0].action, "change.create");
    assert_string_equal(tl.items[1].action, "change.submit");
    assert_string_equal(tl.items[2].action, "change.assess");
    assert_null(tl.items[0].before_json);
    assert_non_null(strstr(tl.items[0].after_json, "\"v1\""));
    assert_non_null(strstr(tl.items[1].before_json, "\"v1\""));
    assert_non_null(strstr(tl.items[1].after_json, "\"v2\""));
    assert_non_null(strstr(tl.items[2].after_json, "\"v3\""));
    assert_string_equal(tl.items[1].reason, "because");
    assert_string_equal(tl.items[1].actor, "alice");
    assert_string_equal(tl.items[1].request_id, "req-1");
    assert_int_equal(tl.items[2].at, T0 + 11);
    assert_int_equal(tl.items[1].client_id, acme);
    for (size_t i = 0; i < tl.len; i++) {
        assert_string_equal(tl.items[i].entity, "change");
        assert_int_equal(tl.items[i].entity_id, id);
        assert_true(i == 0 || tl.items[i].id > tl.items[i - 1].id);
    }
    gl_audit_list_release(&tl);
    assert_int_equal(st->ops->change_timeline(st, other, &tl, &err), 0);
    assert_int_equal(tl.len, 1);
    gl_audit_list_release(&tl);
    assert_int_equal(st->ops->change_timeline(st, 9999, &tl, &err), GL_E_NOT_FOUND);
}

/* ---- audit chain -------------------------------------------------------------------- */

/* Recomputes the whole chain page by page; returns the number of events verified. */
static size_t verify_chain(struct gl_store *st)
{
    struct gl_error err;
    unsigned char prev[GL_AUDIT_HASH_LEN] = {0};
    int64_t after = 0;
    size_t n = 0;
    for (;;) {
        struct gl_audit_list l;
        assert_int_equal(st->ops->audit_list(st, after, 7, &l, &err), 0);
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

static void test_audit_chain(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    struct gl_error err;
    int64_t acme = add_client(st, "acme");
    int64_t ci = add_ci(st, acme, "web", "server");
    for (int i = 0; i < 20; i++)
        add_change(st, &(struct spec){.client = acme, .ci = i % 2 ? ci : 0});
    assert_int_equal(verify_chain(st), 22);

    struct gl_audit_list l;
    assert_int_equal(st->ops->audit_list(st, 0, 1, &l, &err), 0);
    assert_int_equal(l.len, 1);
    assert_string_equal(l.items[0].action, "client.create");
    assert_string_equal(l.items[0].entity, "client");
    assert_int_equal(l.items[0].entity_id, acme);
    gl_audit_list_release(&l);

    /* the log is append-only below the store too */
    assert_int_not_equal(backend_raw_exec(fx->dir, "UPDATE audit_events SET actor = 'mallory'"), 0);
    assert_int_not_equal(backend_raw_exec(fx->dir, "DELETE FROM audit_events WHERE id = 3"), 0);
    assert_int_equal(verify_chain(st), 22);
}

/* ---- users and tokens --------------------------------------------------------------- */

static void test_users_tokens(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    int64_t acme = add_client(st, "acme");
    struct gl_write_ctx ctx = wctx(T0, "user.create");
    struct gl_user u, got;
    gl_user_init(&u);
    u.name = strdup("bob");
    gl_user_add_grant(&u, GL_ROLE_IMPLEMENTER, acme);
    gl_user_add_grant(&u, GL_ROLE_AUDITOR, 0);
    assert_int_equal(st->ops->user_create(st, &ctx, &u, &err), 0);
    assert_true(u.id > 0);

    assert_int_equal(st->ops->user_get(st, "bob", &got, &err), 0);
    assert_int_equal(got.id, u.id);
    assert_false(got.admin);
    assert_int_equal(got.created_at, T0);
    assert_int_equal(got.ngrants, 2);
    assert_int_equal(got.grants[0].role, GL_ROLE_IMPLEMENTER);
    assert_int_equal(got.grants[0].client_id, acme);
    assert_int_equal(got.grants[1].role, GL_ROLE_AUDITOR);
    assert_int_equal(got.grants[1].client_id, 0);
    gl_user_release(&got);
    assert_int_equal(st->ops->user_get(st, "nobody", &got, &err), GL_E_NOT_FOUND);

    struct gl_user dup;
    gl_user_init(&dup);
    dup.name = strdup("bob");
    assert_int_equal(st->ops->user_create(st, &ctx, &dup, &err), GL_E_DUPLICATE);
    gl_user_release(&dup);
    gl_user_init(&dup);
    dup.name = strdup("eve");
    gl_user_add_grant(&dup, GL_ROLE_REQUESTER, 4242);
    assert_int_equal(st->ops->user_create(st, &ctx, &dup, &err), GL_E_INVALID);
    assert_int_equal(st->ops->user_get(st, "eve", &got, &err), GL_E_NOT_FOUND);
    gl_user_release(&dup);

    unsigned char forever[32], shortlived[32], unknown[32];
    memset(forever, 0xaa, sizeof forever);
    memset(shortlived, 0xbb, sizeof shortlived);
    memset(unknown, 0xcc, sizeof unknown);
    int64_t t1 = 0, t2 = 0;
    ctx.action = "token.create";
    assert_int_equal(st->ops->token_create(st, &ctx, u.id, forever, GL_TIME_UNSET, &t1, &err), 0);
    assert_int_equal(st->ops->token_create(st, &ctx, u.id, shortlived, T0 + HOUR, &t2, &err), 0);
    assert_true(t1 > 0 && t2 > t1);
    assert_int_equal(st->ops->token_create(st, &ctx, 9999, unknown, GL_TIME_UNSET, NULL, &err),
                     GL_E_INVALID);

    assert_int_equal(st->ops->token_lookup(st, forever, T0 + 10, &got, &err), 0);
    assert_string_equal(got.name, "bob");
    assert_int_equal(got.ngrants, 2);
    gl_user_release(&got);
    assert_int_equal(st->ops->token_lookup(st, shortlived, T0 + HOUR - 1, &got, &err), 0);
    gl_user_release(&got);
    assert_int_equal(st->ops->token_lookup(st, shortlived, T0 + HOUR, &got, &err),
                     GL_E_UNAUTHORIZED);
    assert_int_equal(st->ops->token_lookup(st, unknown, T0, &got, &err), GL_E_UNAUTHORIZED);

    ctx.action = "token.revoke";
    assert_int_equal(st->ops->token_revoke(st, &ctx, t1, &err), 0);
    assert_int_equal(st->ops->token_revoke(st, &ctx, t1, &err), 0);
    assert_int_equal(st->ops->token_revoke(st, &ctx, 9999, &err), GL_E_NOT_FOUND);
    assert_int_equal(st->ops->token_lookup(st, forever, T0 + 10, &got, &err), GL_E_UNAUTHORIZED);
    assert_int_equal(err.code, GL_E_UNAUTHORIZED);

    /* the token's hash is never in the log */
    struct gl_audit_list l;
    assert_int_equal(st->ops->audit_list(st, 0, 1000, &l, &err), 0);
    size_t token_events = 0;
    for (size_t i = 0; i < l.len; i++)
        if (strncmp(l.items[i].action, "token.", 6) == 0) {
            token_events++;
            assert_null(strstr(l.items[i].after_json, "aaaa"));
        }
    assert_int_equal(token_events, 3); /* two creates, one revocation */
    gl_audit_list_release(&l);
    gl_user_release(&u);
}

/* ---- backup ------------------------------------------------------------------------- */

static void test_backup(void **state)
{
    struct fx *fx = *state;
    struct gl_store *st = fx->st;
    struct gl_error err;
    int64_t acme = add_client(st, "acme");
    int64_t ci1 = add_ci(st, acme, "web", "server"), ci2 = add_ci(st, 0, "core", "switch");
    int64_t rel = add_change(st, &(struct spec){.client = acme});
    struct gl_change c, orig, copy;
    fill_full_change(&c, acme, ci1, ci2, rel);
    struct gl_write_ctx ctx = wctx(T0, "change.create");
    assert_int_equal(st->ops->change_create(st, &ctx, &c, &err), 0);

    char dest[512];
    snprintf(dest, sizeof dest, "%s/backup.db", fx->dir);
    assert_int_equal(st->ops->backup(st, dest, &err), 0);
    assert_int_not_equal(st->ops->backup(st, dest, &err), 0); /* never overwrites */

    struct gl_store *bk = backend_open(fx->dir, "backup.db", &err);
    assert_non_null(bk);
    assert_int_equal(st->ops->change_get(st, c.id, &orig, &err), 0);
    assert_int_equal(bk->ops->change_get(bk, c.id, &copy, &err), 0);
    assert_change_equal(&copy, &orig);
    assert_string_equal(copy.client_key, "acme");
    struct gl_change_filter f = {
        .text = "postgresql", .from = GL_TIME_UNSET, .to = GL_TIME_UNSET, .limit = 5};
    struct gl_change_page p;
    assert_int_equal(bk->ops->change_list(bk, &f, &p, &err), 0);
    assert_int_equal(p.len, 1);
    gl_change_page_release(&p);
    assert_int_equal(verify_chain(bk), verify_chain(st));
    gl_store_close(bk);
    gl_change_release(&c);
    gl_change_release(&orig);
    gl_change_release(&copy);
}

/* ---- concurrency -------------------------------------------------------------------- */

struct worker {
    struct gl_store *st;
    int64_t client;
    int failures;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 15; i++) {
        struct gl_change c, got;
        struct gl_error err;
        struct gl_write_ctx ctx = wctx(T0 + i, "change.create");
        gl_change_init(&c);
        c.client_id = w->client;
        gl_change_set_str(&c.title, "parallel");
        if (w->st->ops->change_create(w->st, &ctx, &c, &err) != 0 ||
            w->st->ops->change_get(w->st, c.id, &got, &err) != 0)
            w->failures++;
        else
            gl_change_release(&got);
        gl_change_release(&c);
        struct gl_change_filter f = {
            .client_id = w->client, .from = GL_TIME_UNSET, .to = GL_TIME_UNSET, .limit = 10};
        struct gl_change_page p;
        if (w->st->ops->change_list(w->st, &f, &p, &err) != 0)
            w->failures++;
        gl_change_page_release(&p);
    }
    return NULL;
}

static void test_concurrent_writers(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    enum { NTHREADS = 12 }; /* more than the pool holds */
    pthread_t t[NTHREADS];
    struct worker w[NTHREADS];
    int64_t acme = add_client(st, "acme");
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (struct worker){st, acme, 0};
        assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    assert_int_equal(verify_chain(st), 1 + NTHREADS * 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrate_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cis, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_bad_references, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_list_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_text_search, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_list_pagination, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_timeline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_users_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
    };
    return cmocka_run_group_tests_name("store-sqlite", tests, NULL, NULL);
}
