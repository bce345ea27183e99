/*
 * fixture.h - what the store contract tests share (test_store*.c).
 *
 * The suites talk to storage only through store/store.h. The two "backend" helpers are
 * the exception and the whole of it: they open a database and run raw SQL behind the
 * store's back. They live in their own section of fixture.c, the only code that knows
 * the backend is SQLite; a PostgreSQL run of the suites replaces those two and nothing
 * else.
 *
 * Every helper below that can fail does so with a cmocka assertion, failing the current
 * test, so call them only from a test's own thread (cmocka asserts are not thread-safe).
 *
 * Ownership: helpers that create records keep nothing; they return the new id and release
 * their temporaries. Structs a helper fills (fill_full_change) belong to the caller.
 */
#ifndef GL_TESTS_STORE_FIXTURE_H
#define GL_TESTS_STORE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define T0 1764064800 /* 2025-11-25T10:00:00Z */
#define HOUR 3600

/* ---- backend ------------------------------------------------------------------------ */

/* Opens (creating when absent) the database called name inside dir and migrates it.
 * Returns NULL and fills err on failure; close with gl_store_close. */
struct gl_store *backend_open(const char *dir, const char *name, struct gl_error *err);
/* Runs sql directly against dir's main database ("gl.db"), bypassing the store. Returns 0
 * if it succeeded, non-zero if the database refused it. */
int backend_raw_exec(const char *dir, const char *sql);

/* ---- per-test database -------------------------------------------------------------- */

/* The state each test receives: a fresh database in its own temporary directory. */
struct fx {
    char dir[64];
    struct gl_store *st; /* owned by the fixture; a test that closes it must reopen or NULL it */
};

/* cmocka setup/teardown: setup makes the directory and opens an empty store in it;
 * teardown closes the store (NULL is fine) and removes the directory and its files. */
int setup(void **state);
int teardown(void **state);

/* ---- records ------------------------------------------------------------------------ */

/* A write context by "alice", request "req-1", no reason. Strings are static. */
struct gl_write_ctx wctx(int64_t now, const char *action);

/* Creates a client with key and name `key` (Europe/London, 48h notice) at T0; returns its id. */
int64_t add_client(struct gl_store *st, const char *key);
/* Creates a CI of client_id (0 = shared), criticality 3, 10 users, at T0; returns its id. */
int64_t add_ci(struct gl_store *st, int64_t client_id, const char *name, const char *type);

/* The fields of a change the list tests vary; zero means unset (title "a change"). */
struct spec {
    int64_t client;
    enum gl_change_type type;
    enum gl_change_state state;
    const char *title;
    const char *description;
    int64_t ci; /* one CI, or 0 for none */
    int64_t start, end;
};

/* Creates a change from s at T0 and returns its id. */
int64_t add_change(struct gl_store *st, const struct spec *s);

/* Initialises c and sets every field of a change, including lists and times, for
 * round-trip tests. ci_ids are pushed unordered (ci2, ci1) on purpose. The caller
 * releases c with gl_change_release. */
void fill_full_change(struct gl_change *c, int64_t client, int64_t ci1, int64_t ci2,
                      int64_t related);

/* ---- assertions --------------------------------------------------------------------- */

/* Equal strings, or both NULL. */
void assert_str_eq(const char *a, const char *b);
/* Every stored field of a and b is equal (client_key excepted). */
void assert_change_equal(const struct gl_change *a, const struct gl_change *b);

/* The number of audit events in the store. */
size_t audit_count(struct gl_store *st);
/* Recomputes the whole audit chain page by page (ids dense from 1, each prev_hash the hash
 * before it, each hash recomputable); returns the number of events verified. */
size_t verify_chain(struct gl_store *st);

#endif
