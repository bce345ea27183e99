/*
 * app.c - what every action shares (app.h): write contexts, the fault hook, loading a
 * visible change, the version check and the reference checks of a change write.
 */
#include "app/app.h"

#include <stdio.h>

#include "util/banned.h"

struct gl_write_ctx gl_app_write_ctx(const struct gl_app *a, const char *action,
                                     const char *reason)
{
    return (struct gl_write_ctx){
        .actor = a->user && a->user->name ? a->user->name : "anonymous",
        .request_id = a->request_id,
        .action = action,
        .reason = reason,
        .now = a->now,
    };
}

struct gl_write_ctx gl_app_system_ctx(const struct gl_app *a, const char *action,
                                      const char *reason)
{
    struct gl_write_ctx ctx = gl_app_write_ctx(a, action, reason);
    ctx.actor = GL_APP_SYSTEM_ACTOR;
    return ctx;
}

int gl_app_fault(const struct gl_app *a, const char *point, struct gl_error *err)
{
    if (!a->fault)
        return 0;
    int rc = a->fault(a->fault_ud, point, err);
    if (rc && err && err->code == GL_OK)
        gl_error_set(err, rc, NULL, "fault injected at %s", point);
    return rc;
}

int gl_app_load_change(const struct gl_app *a, int64_t id, struct gl_change *out,
                       struct gl_error *err)
{
    char ident[GL_IDENT_MAX];
    gl_change_ident_format(id, ident);
    int rc = a->st->changes->get(a->st, id, out, err);
    if (rc == GL_E_NOT_FOUND)
        return gl_error_set(err, GL_E_NOT_FOUND, NULL, "no change %s", ident);
    if (rc)
        return rc;
    if (!gl_scope_contains(a->scope, out->client_id)) {
        gl_change_release(out);
        return gl_error_set(err, GL_E_NOT_FOUND, NULL, "no change %s", ident);
    }
    return 0;
}

int gl_app_check_version(int64_t current, int64_t wanted, bool required, struct gl_error *err)
{
    if (wanted == 0 && required)
        return gl_error_set(err, GL_E_VERSION_REQUIRED, NULL,
                            "send If-Match with the version you read (ETag), e.g. If-Match: \"%lld\"",
                            (long long)current);
    if (wanted > 0 && wanted != current)
        return gl_error_set(err, GL_E_STALE, "version",
                            "the record is at version %lld, not %lld: read it again and retry",
                            (long long)current, (long long)wanted);
    return 0;
}

/* Whether the caller may see CI id: shared, or of a client in scope. A missing CI is not. */
static int ci_visible(const struct gl_app *a, int64_t id, bool *visible, struct gl_error *err)
{
    struct gl_ci ci;
    gl_ci_init(&ci);
    int rc = a->st->cis->get(a->st, id, &ci, err);
    *visible = rc == 0 && (ci.client_id == 0 || gl_scope_contains(a->scope, ci.client_id));
    gl_ci_release(&ci);
    return rc == GL_E_NOT_FOUND ? 0 : rc;
}

static int change_visible(const struct gl_app *a, int64_t id, bool *visible,
                          struct gl_error *err)
{
    struct gl_change c;
    gl_change_init(&c);
    int rc = a->st->changes->get(a->st, id, &c, err);
    *visible = rc == 0 && gl_scope_contains(a->scope, c.client_id);
    gl_change_release(&c);
    return rc == GL_E_NOT_FOUND ? 0 : rc;
}

typedef int (*visible_fn)(const struct gl_app *, int64_t, bool *, struct gl_error *);

/* An invisible reference is refused exactly like a missing one, so a reference cannot be
 * used to probe or link another client's records. */
static int check_refs(const struct gl_app *a, const struct gl_idlist *want,
                      const struct gl_idlist *have, visible_fn visible, const char *field,
                      void (*format)(int64_t, char *), struct gl_error *err)
{
    for (size_t i = 0; i < want->len; i++) {
        bool ok;
        if (have && gl_idlist_contains(have, want->items[i]))
            continue;
        int rc = visible(a, want->items[i], &ok, err);
        if (rc)
            return rc;
        if (!ok) {
            char ident[GL_IDENT_MAX];
            format(want->items[i], ident);
            return gl_error_set(err, GL_E_INVALID, field, "%s does not exist", ident);
        }
    }
    return 0;
}

int gl_app_check_change_refs(const struct gl_app *a, const struct gl_change *before,
                             const struct gl_change *after, struct gl_error *err)
{
    const struct gl_idlist *had_cis = before ? &before->ci_ids : NULL;
    const struct gl_idlist *had_related = before ? &before->related_changes : NULL;
    int rc = check_refs(a, &after->ci_ids, had_cis, ci_visible, "cis", gl_ci_ident_format, err);
    return rc ? rc : check_refs(a, &after->related_changes, had_related, change_visible,
                                "related_changes", gl_change_ident_format, err);
}
