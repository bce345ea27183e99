/*
 * sqlite_rerender.c - brings stored change renderings up to the codec's current format.
 *
 * Each change keeps the JSON the API answers with (change_docs), tagged with the codec
 * format it was encoded in (or has none: databases from before renderings existed). A release that changes the encoding bumps
 * GL_JSON_CHANGE_FORMAT; until a rendering is redone, reads of that change re-encode the
 * record, which is correct but several times slower. `greenlight db migrate` calls this
 * after the schema migrations, so an upgrade ends with every rendering current.
 *
 * Batches of SQ_RERENDER_BATCH changes, each batch one write transaction through the group
 * commit (so a running server's writes interleave), walking change ids upwards so each
 * batch starts where the last ended. A re-rendering is not a change to the record: no
 * version bump and no audit event, as for any derived data.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>

#include "codec/json.h"

#include "util/banned.h"

#define SQ_RERENDER_BATCH 500

/* Changes whose rendering is of another format, or missing (written before renderings). */
static const char stale_sql[] = "SELECT id FROM changes c WHERE id > ?1 AND NOT EXISTS"
                                "  (SELECT 1 FROM change_docs d WHERE d.change_id = c.id"
                                "   AND d.format = ?2) ORDER BY id LIMIT ?3";

struct rerender_batch {
    int64_t after_id; /* in: last id done; out: last id of this batch */
    int64_t done;
};

/* Re-renders one change as record_change would (sqlite_change.c), risk summary included. */
static int rerender_one(struct sq_conn *c, int64_t id, struct gl_error *err)
{
    struct gl_change ch;
    gl_change_init(&ch);
    char *json = NULL, *with_risk = NULL;
    int rc = sq_change_load(c, id, &ch, err);
    if (rc)
        goto out;
    json = c->render->change(&ch);
    if (!json) {
        rc = sq_oom(err);
        goto out;
    }
    rc = sq_risk_render(c, id, json, &with_risk, err);
    if (!rc)
        rc = sq_change_put_doc(c, &ch, with_risk ? with_risk : json, err);
out:
    free(with_risk);
    free(json);
    gl_change_release(&ch);
    return rc;
}

static int rerender_job(struct sq_conn *c, void *arg, struct gl_error *err)
{
    struct rerender_batch *b = arg;
    int64_t ids[SQ_RERENDER_BATCH];
    size_t n = 0;
    sqlite3_stmt *st = sq_stmt(c, SQ_CHANGE_STALE_DOCS, stale_sql, err);
    if (!st)
        return GL_E_INTERNAL;
    sqlite3_bind_int64(st, 1, b->after_id);
    sqlite3_bind_int(st, 2, c->render->format);
    sqlite3_bind_int(st, 3, SQ_RERENDER_BATCH);
    int src;
    while (n < SQ_RERENDER_BATCH && (src = sqlite3_step(st)) == SQLITE_ROW)
        ids[n++] = sqlite3_column_int64(st, 0);
    int rc = n == SQ_RERENDER_BATCH || src == SQLITE_DONE
                 ? 0
                 : sq_error(c, src, NULL, "find stale renderings", err);
    sqlite3_reset(st);
    for (size_t i = 0; !rc && i < n; i++)
        rc = rerender_one(c, ids[i], err);
    if (!rc) {
        b->done = (int64_t)n;
        if (n)
            b->after_id = ids[n - 1];
    }
    return rc;
}

int sq_change_rerender(struct gl_store *st, int64_t *done, struct gl_error *err)
{
    struct rerender_batch b = {0, 0};
    *done = 0;
    do {
        int rc = sq_write(sq_store(st), rerender_job, &b, err);
        if (rc)
            return rc;
        *done += b.done;
    } while (b.done == SQ_RERENDER_BATCH);
    return 0;
}
