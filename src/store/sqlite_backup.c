/*
 * sqlite_backup.c - a consistent online copy of the whole database to a new file
 * (admin->backup), through SQLite's backup API on a pooled connection.
 *
 * Invariants:
 *  - a backup never overwrites an existing file: the name is claimed with O_EXCL first;
 *  - the copy is one snapshot (a single backup step), retried while a checkpoint holds a
 *    lock; writers are not blocked meanwhile (WAL);
 *  - a failed backup removes the file it created.
 */
#include "store/sqlite_int.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "util/banned.h"

static int copy_to(struct sq_conn *c, const char *dest_path, struct gl_error *err)
{
    sqlite3 *dest = NULL;
    int rc = 0, src = sqlite3_open_v2(dest_path, &dest, SQLITE_OPEN_READWRITE, NULL);
    if (src != SQLITE_OK) {
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "cannot open backup file: %s",
                          dest ? sqlite3_errmsg(dest) : sqlite3_errstr(src));
        goto out;
    }
    sqlite3_backup *b = sqlite3_backup_init(dest, "main", c->db, "main");
    if (!b) {
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "backup failed: %s", sqlite3_errmsg(dest));
        goto out;
    }
    /* One step copies a consistent snapshot; retry while a checkpoint holds a lock. */
    while ((src = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || src == SQLITE_LOCKED)
        sqlite3_sleep(20);
    sqlite3_backup_finish(b);
    if (src != SQLITE_DONE)
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "backup failed: %s", sqlite3_errstr(src));
out:
    if (sqlite3_close(dest) != SQLITE_OK && !rc)
        rc = gl_error_set(err, GL_E_INTERNAL, NULL, "backup failed: cannot close the copy");
    return rc;
}

int sq_backup(struct gl_store *st, const char *dest_path, struct gl_error *err)
{
    struct sq_store *s = sq_store(st);
    struct sq_conn *c = NULL;
    if (!dest_path || !*dest_path)
        return gl_error_set(err, GL_E_INVALID, "path", "no backup path given");
    /* O_EXCL claims the name atomically: an existing file is never overwritten. */
    int fd = open(dest_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return gl_error_set(err, GL_E_INVALID, "path", "cannot create %s: %s", dest_path,
                            errno == EEXIST ? "the file already exists" : "open failed");
    close(fd);
    int rc = sq_acquire(s, &c, err);
    if (!rc) {
        rc = copy_to(c, dest_path, err);
        sq_release(s, c);
    }
    if (rc)
        unlink(dest_path);
    return rc;
}
