/*
 * test_store.c - the storage contract (store/store.h), run against a backend: schema
 * migrations, clients, CIs, the audit chain, users and tokens, and backup.
 *
 * Every test gets a fresh, empty database in its own temporary directory (fixture.h).
 * The tests use only the store.h interface and the fixture; the fixture's two backend
 * helpers are all a PostgreSQL run of this suite has to replace. Changes are covered by
 * test_store_changes.c, their stored renderings by test_store_docs.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "store/store.h"

#include "util/banned.h"

/* ---- schema, clients, CIs ------------------------------------------------------------ */

static void test_migrate_idempotent(void **state)
{
    struct fx *fx = *state;
    struct gl_error err;
    int applied = -1;
    /* the open migrated the new database; the first call reports it, later ones find nothing */
    assert_int_equal(fx->st->admin->migrate(fx->st, &applied, &err), 0);
    assert_true(applied > 0);
    assert_int_equal(fx->st->admin->migrate(fx->st, &applied, &err), 0);
    assert_int_equal(applied, 0);
    add_client(fx->st, "acme");
    gl_store_close(fx->st);
    fx->st = backend_open(fx->dir, "gl.db", &err);
    assert_non_null(fx->st);
    assert_int_equal(fx->st->admin->migrate(fx->st, &applied, &err), 0);
    assert_int_equal(applied, 0);
    struct gl_client c;
    assert_int_equal(fx->st->clients->get(fx->st, "acme", &c, &err), 0);
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

    /* a migration missing below the newest applied one (entries written in parallel) is
     * still applied: here migration 6, the (client, name) index of CIs */
    gl_store_close(fx->st);
    fx->st = NULL;
    assert_int_equal(backend_raw_exec(fx->dir, "DROP INDEX cis_client_name;"
                                               "DELETE FROM schema_migrations WHERE version = 6"),
                     0);
    fx->st = backend_open(fx->dir, "gl.db", &err);
    assert_non_null(fx->st);
    assert_int_equal(fx->st->admin->migrate(fx->st, &applied, &err), 0);
    assert_int_equal(applied, 1);
    assert_int_equal(backend_raw_exec(fx->dir, "DROP INDEX cis_client_name"), 0); /* it is back */
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
    assert_int_equal(st->clients->create(st, &ctx, &c, &err), 0);
    assert_true(c.id > 0);
    assert_int_equal(c.version, 1);
    assert_int_equal(c.created_at, T0);

    assert_int_equal(st->clients->get(st, "acme", &got, &err), 0);
    assert_int_equal(got.id, c.id);
    assert_string_equal(got.name, "Acme Ltd");
    assert_string_equal(got.timezone, "Europe/London");
    assert_int_equal(got.notice_hours, 48);
    assert_true(got.requires_signoff);
    assert_int_equal(got.version, 1);
    gl_client_release(&got);
    assert_int_equal(st->clients->get_by_id(st, c.id, &got, &err), 0);
    assert_string_equal(got.key, "acme");
    gl_client_release(&got);
    assert_int_equal(st->clients->get(st, "nope", &got, &err), GL_E_NOT_FOUND);

    gl_client_init(&dup);
    dup.key = strdup("acme");
    dup.name = strdup("Other");
    assert_int_equal(st->clients->create(st, &ctx, &dup, &err), GL_E_DUPLICATE);
    assert_int_equal(err.code, GL_E_DUPLICATE);
    assert_int_equal(dup.id, 0);
    gl_client_release(&dup);

    /* update, then a stale update */
    gl_client_init(&after);
    after.key = strdup("acme");
    after.name = strdup("Acme Group");
    after.timezone = strdup("UTC");
    ctx = wctx(T0 + 60, "client.update");
    assert_int_equal(st->clients->update(st, &ctx, &c, &after, &err), 0);
    assert_int_equal(after.version, 2);
    assert_int_equal(after.updated_at, T0 + 60);
    assert_int_equal(st->clients->update(st, &ctx, &c, &after, &err), GL_E_STALE);
    assert_int_equal(st->clients->get(st, "acme", &got, &err), 0);
    assert_string_equal(got.name, "Acme Group");
    assert_int_equal(got.version, 2);
    gl_client_release(&got);
    gl_client_release(&after);

    /* list, whole and scoped */
    int64_t globex = add_client(st, "globex");
    struct gl_client_list l;
    assert_int_equal(st->clients->list(st, NULL, &l, &err), 0);
    assert_int_equal(l.len, 2);
    assert_string_equal(l.items[0].key, "acme");
    gl_client_list_release(&l);
    struct gl_scope scope = {.all = false, .client_ids = &globex, .n = 1};
    assert_int_equal(st->clients->list(st, &scope, &l, &err), 0);
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
    assert_int_equal(st->cis->get(st, web, &ci, &err), 0);
    assert_int_equal(ci.client_id, acme);
    assert_string_equal(ci.client_key, "acme");
    assert_string_equal(ci.name, "web-01");
    assert_int_equal(ci.criticality, 3);
    assert_int_equal(ci.users_affected, 10);
    assert_int_equal(ci.version, 1);
    gl_ci_release(&ci);
    assert_int_equal(st->cis->get(st, core, &ci, &err), 0);
    assert_int_equal(ci.client_id, 0);
    assert_null(ci.client_key);
    gl_ci_release(&ci);
    assert_int_equal(st->cis->get(st, 999, &ci, &err), GL_E_NOT_FOUND);

    /* unknown client */
    struct gl_write_ctx ctx = wctx(T0, "ci.create");
    gl_ci_init(&ci);
    ci.client_id = 4242;
    ci.name = strdup("x");
    ci.type = strdup("server");
    ci.criticality = 1;
    assert_int_equal(st->cis->create(st, &ctx, &ci, &err), GL_E_INVALID);
    assert_string_equal(err.field, "client");
    gl_ci_release(&ci);

    /* update */
    struct gl_ci before, after;
    assert_int_equal(st->cis->get(st, db, &before, &err), 0);
    assert_int_equal(st->cis->get(st, db, &after, &err), 0);
    after.criticality = 5;
    ctx = wctx(T0 + 5, "ci.update");
    assert_int_equal(st->cis->update(st, &ctx, &before, &after, &err), 0);
    assert_int_equal(after.version, 2);
    assert_int_equal(st->cis->update(st, &ctx, &before, &after, &err), GL_E_STALE);
    gl_ci_release(&before);
    gl_ci_release(&after);

    /* lists: scope sees own and shared; filters; cursor */
    struct gl_scope scope = {.all = false, .client_ids = &acme, .n = 1};
    struct gl_ci_filter f = {.scope = &scope, .limit = 50};
    struct gl_ci_page p;
    assert_int_equal(st->cis->list(st, &f, &p, &err), 0);
    assert_int_equal(p.len, 3);
    assert_int_equal(p.items[0].id, core);
    assert_int_equal(p.items[1].id, db);
    assert_int_equal(p.items[2].id, web);
    assert_int_equal(p.next_cursor, 0);
    gl_ci_page_release(&p);

    f = (struct gl_ci_filter){.type = "server", .limit = 50};
    assert_int_equal(st->cis->list(st, &f, &p, &err), 0);
    assert_int_equal(p.len, 2);
    assert_int_equal(p.items[0].id, gx);
    gl_ci_page_release(&p);

    f = (struct gl_ci_filter){.text = "WEB", .client_id = acme, .limit = 50};
    assert_int_equal(st->cis->list(st, &f, &p, &err), 0);
    assert_int_equal(p.len, 1);
    assert_int_equal(p.items[0].id, web);
    gl_ci_page_release(&p);

    f = (struct gl_ci_filter){.text = "%", .limit = 50};
    assert_int_equal(st->cis->list(st, &f, &p, &err), 0);
    assert_int_equal(p.len, 0);
    gl_ci_page_release(&p);

    f = (struct gl_ci_filter){.limit = 3};
    assert_int_equal(st->cis->list(st, &f, &p, &err), 0);
    assert_int_equal(p.len, 3);
    assert_int_equal(p.next_cursor, db);
    f.before_id = p.next_cursor;
    gl_ci_page_release(&p);
    assert_int_equal(st->cis->list(st, &f, &p, &err), 0);
    assert_int_equal(p.len, 1);
    assert_int_equal(p.items[0].id, web);
    assert_int_equal(p.next_cursor, 0);
    gl_ci_page_release(&p);
}

/* A refused update (stale, duplicate key, bad reference, unknown id) writes nothing and
 * leaves the caller's id, version and times as they were. */
static void test_refused_update_keeps_record(void **state)
{
    struct gl_store *st = ((struct fx *)*state)->st;
    struct gl_error err;
    int64_t acme = add_client(st, "acme"), globex = add_client(st, "globex");
    struct gl_client before, after;
    assert_int_equal(st->clients->get_by_id(st, globex, &before, &err), 0);
    assert_int_equal(st->clients->get_by_id(st, globex, &after, &err), 0);
    const struct gl_client read = before;
    free(after.key);
    after.key = strdup("acme");
    struct gl_write_ctx ctx = wctx(T0 + 60, "client.update");
    assert_int_equal(st->clients->update(st, &ctx, &before, &after, &err), GL_E_DUPLICATE);
    assert_string_equal(err.field, "key");
    assert_int_equal(after.id, read.id);
    assert_int_equal(after.version, read.version);
    assert_int_equal(after.created_at, read.created_at);
    assert_int_equal(after.updated_at, read.updated_at);
    before.version = 7;
    assert_int_equal(st->clients->update(st, &ctx, &before, &after, &err), GL_E_STALE);
    assert_string_equal(err.field, "version");
    assert_int_equal(after.version, read.version);
    before.id = 4242;
    assert_int_equal(st->clients->update(st, &ctx, &before, &after, &err), GL_E_NOT_FOUND);
    assert_int_equal(after.id, read.id);
    gl_client_release(&before);
    gl_client_release(&after);

    int64_t web = add_ci(st, acme, "web-01", "server");
    struct gl_ci cb, ca;
    assert_int_equal(st->cis->get(st, web, &cb, &err), 0);
    assert_int_equal(st->cis->get(st, web, &ca, &err), 0);
    ca.client_id = 4242;
    ctx = wctx(T0 + 60, "ci.update");
    assert_int_equal(st->cis->update(st, &ctx, &cb, &ca, &err), GL_E_INVALID);
    assert_string_equal(err.field, "client");
    assert_int_equal(ca.version, cb.version);
    assert_int_equal(ca.updated_at, cb.updated_at);
    gl_ci_release(&ca);
    assert_int_equal(st->cis->get(st, web, &ca, &err), 0);
    assert_int_equal(ca.version, 1);
    assert_int_equal(ca.client_id, acme);
    gl_ci_release(&cb);
    gl_ci_release(&ca);
}

/* ---- audit chain -------------------------------------------------------------------- */

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
    assert_int_equal(st->audit->list(st, 0, 1, &l, &err), 0);
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
    assert_int_equal(st->auth->user_create(st, &ctx, &u, &err), 0);
    assert_true(u.id > 0);

    assert_int_equal(st->auth->user_get(st, "bob", &got, &err), 0);
    assert_int_equal(got.id, u.id);
    assert_false(got.admin);
    assert_int_equal(got.created_at, T0);
    assert_int_equal(got.ngrants, 2);
    assert_int_equal(got.grants[0].role, GL_ROLE_IMPLEMENTER);
    assert_int_equal(got.grants[0].client_id, acme);
    assert_int_equal(got.grants[1].role, GL_ROLE_AUDITOR);
    assert_int_equal(got.grants[1].client_id, 0);
    gl_user_release(&got);
    assert_int_equal(st->auth->user_get(st, "nobody", &got, &err), GL_E_NOT_FOUND);

    struct gl_user dup;
    gl_user_init(&dup);
    dup.name = strdup("bob");
    assert_int_equal(st->auth->user_create(st, &ctx, &dup, &err), GL_E_DUPLICATE);
    gl_user_release(&dup);
    gl_user_init(&dup);
    dup.name = strdup("eve");
    gl_user_add_grant(&dup, GL_ROLE_REQUESTER, 4242);
    assert_int_equal(st->auth->user_create(st, &ctx, &dup, &err), GL_E_INVALID);
    assert_int_equal(st->auth->user_get(st, "eve", &got, &err), GL_E_NOT_FOUND);
    gl_user_release(&dup);

    unsigned char forever[32], shortlived[32], unknown[32];
    memset(forever, 0xaa, sizeof forever);
    memset(shortlived, 0xbb, sizeof shortlived);
    memset(unknown, 0xcc, sizeof unknown);
    int64_t t1 = 0, t2 = 0;
    ctx.action = "token.create";
    assert_int_equal(st->auth->token_create(st, &ctx, u.id, forever, GL_TIME_UNSET, &t1, &err), 0);
    assert_int_equal(st->auth->token_create(st, &ctx, u.id, shortlived, T0 + HOUR, &t2, &err), 0);
    assert_true(t1 > 0 && t2 > t1);
    assert_int_equal(st->auth->token_create(st, &ctx, 9999, unknown, GL_TIME_UNSET, NULL, &err),
                     GL_E_INVALID);

    assert_int_equal(st->auth->token_lookup(st, forever, T0 + 10, &got, &err), 0);
    assert_string_equal(got.name, "bob");
    assert_int_equal(got.ngrants, 2);
    gl_user_release(&got);
    assert_int_equal(st->auth->token_lookup(st, shortlived, T0 + HOUR - 1, &got, &err), 0);
    gl_user_release(&got);
    assert_int_equal(st->auth->token_lookup(st, shortlived, T0 + HOUR, &got, &err),
                     GL_E_UNAUTHORIZED);
    assert_int_equal(st->auth->token_lookup(st, unknown, T0, &got, &err), GL_E_UNAUTHORIZED);

    ctx.action = "token.revoke";
    assert_int_equal(st->auth->token_revoke(st, &ctx, t1, &err), 0);
    assert_int_equal(st->auth->token_revoke(st, &ctx, t1, &err), 0);
    assert_int_equal(st->auth->token_revoke(st, &ctx, 9999, &err), GL_E_NOT_FOUND);
    assert_int_equal(st->auth->token_lookup(st, forever, T0 + 10, &got, &err), GL_E_UNAUTHORIZED);
    assert_int_equal(err.code, GL_E_UNAUTHORIZED);

    /* the token's hash is never in the log */
    struct gl_audit_list l;
    assert_int_equal(st->audit->list(st, 0, 1000, &l, &err), 0);
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
    assert_int_equal(st->changes->create(st, &ctx, &c, &err), 0);

    char dest[512];
    snprintf(dest, sizeof dest, "%s/backup.db", fx->dir);
    assert_int_equal(st->admin->backup(st, dest, &err), 0);
    assert_int_not_equal(st->admin->backup(st, dest, &err), 0); /* never overwrites */

    struct gl_store *bk = backend_open(fx->dir, "backup.db", &err);
    assert_non_null(bk);
    assert_int_equal(st->changes->get(st, c.id, &orig, &err), 0);
    assert_int_equal(bk->changes->get(bk, c.id, &copy, &err), 0);
    assert_change_equal(&copy, &orig);
    assert_string_equal(copy.client_key, "acme");
    struct gl_change_filter f = {
        .text = "postgresql", .from = GL_TIME_UNSET, .to = GL_TIME_UNSET, .limit = 5};
    struct gl_change_page p;
    assert_int_equal(bk->changes->list(bk, &f, &p, &err), 0);
    assert_int_equal(p.len, 1);
    gl_change_page_release(&p);
    assert_int_equal(verify_chain(bk), verify_chain(st));
    gl_store_close(bk);
    gl_change_release(&c);
    gl_change_release(&orig);
    gl_change_release(&copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrate_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cis, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_update_keeps_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_users_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup, setup, teardown),
    };
    return cmocka_run_group_tests_name("store-sqlite", tests, NULL, NULL);
}
