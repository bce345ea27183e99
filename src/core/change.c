/*
 * change.c - the change record: lifetime, deep copy, wire names and identifiers
 * (see change.h).
 *
 * Invariants: every string field of struct gl_change is listed once in change_str_fields,
 * so release and copy cannot forget one; a released record is indistinguishable from a
 * freshly initialised one; "" is never stored (gl_change_set_str normalises it to NULL).
 * Identifier parsing accepts only positive ids that fit in an int64_t.
 */
#include "core/change.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/banned.h"

static const size_t change_str_fields[] = {
    offsetof(struct gl_change, client_key),
    offsetof(struct gl_change, title),
    offsetof(struct gl_change, description),
    offsetof(struct gl_change, raised_by),
    offsetof(struct gl_change, reason),
    offsetof(struct gl_change, expected_return),
    offsetof(struct gl_change, risks),
    offsetof(struct gl_change, implementer),
    offsetof(struct gl_change, resources),
    offsetof(struct gl_change, implementation_plan),
    offsetof(struct gl_change, test_plan),
    offsetof(struct gl_change, rollback_plan),
    offsetof(struct gl_change, rollback_evidence),
    offsetof(struct gl_change, outcome_notes),
    offsetof(struct gl_change, review_summary),
    offsetof(struct gl_change, review_lessons),
    offsetof(struct gl_change, reviewed_by),
    offsetof(struct gl_change, state_reason),
    offsetof(struct gl_change, created_by),
};

#define N_STR_FIELDS (sizeof change_str_fields / sizeof change_str_fields[0])

static char **str_field(struct gl_change *c, size_t i)
{
    return (char **)(void *)((char *)c + change_str_fields[i]);
}

static const char *const type_names[GL_TYPE__COUNT] = {
    [GL_TYPE_STANDARD] = "standard",
    [GL_TYPE_NORMAL] = "normal",
    [GL_TYPE_EMERGENCY] = "emergency",
};

static const char *const state_names[GL_STATE__COUNT] = {
    [GL_STATE_DRAFT] = "draft",
    [GL_STATE_SUBMITTED] = "submitted",
    [GL_STATE_ASSESSED] = "assessed",
    [GL_STATE_APPROVED] = "approved",
    [GL_STATE_REJECTED] = "rejected",
    [GL_STATE_SCHEDULED] = "scheduled",
    [GL_STATE_IN_PROGRESS] = "in_progress",
    [GL_STATE_COMPLETED] = "completed",
    [GL_STATE_FAILED] = "failed",
    [GL_STATE_ROLLED_BACK] = "rolled_back",
    [GL_STATE_REVIEWED] = "reviewed",
    [GL_STATE_CLOSED] = "closed",
    [GL_STATE_CANCELLED] = "cancelled",
};

/* GL_OUTCOME_NONE has no wire name: it is JSON null. */
static const char *const outcome_names[GL_OUTCOME__COUNT] = {
    [GL_OUTCOME_NONE] = NULL,
    [GL_OUTCOME_SUCCESSFUL] = "successful",
    [GL_OUTCOME_FAILED] = "failed",
    [GL_OUTCOME_ROLLED_BACK] = "rolled_back",
};

void gl_change_init(struct gl_change *c)
{
    memset(c, 0, sizeof *c);
    c->type = GL_TYPE_STANDARD;
    c->state = GL_STATE_DRAFT;
    c->outcome = GL_OUTCOME_NONE;
    c->planned_start = GL_TIME_UNSET;
    c->planned_end = GL_TIME_UNSET;
    c->actual_start = GL_TIME_UNSET;
    c->actual_end = GL_TIME_UNSET;
    c->reviewed_at = GL_TIME_UNSET;
    c->created_at = GL_TIME_UNSET;
    c->updated_at = GL_TIME_UNSET;
}

void gl_change_release(struct gl_change *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < N_STR_FIELDS; i++)
        free(*str_field(c, i));
    gl_idlist_release(&c->related_changes);
    gl_idlist_release(&c->ci_ids);
    gl_strlist_release(&c->incidents);
    gl_change_init(c);
}

void gl_change_doc_release(struct gl_change_doc *d)
{
    if (!d)
        return;
    free(d->json);
    d->json = NULL;
}

static int idlist_copy(struct gl_idlist *dst, const struct gl_idlist *src)
{
    dst->items = NULL;
    dst->len = 0;
    if (!src->len)
        return 0;
    dst->items = malloc(src->len * sizeof *dst->items);
    if (!dst->items)
        return -1;
    memcpy(dst->items, src->items, src->len * sizeof *dst->items);
    dst->len = src->len;
    return 0;
}

static int strlist_copy(struct gl_strlist *dst, const struct gl_strlist *src)
{
    dst->items = NULL;
    dst->len = 0;
    for (size_t i = 0; i < src->len; i++)
        if (gl_strlist_push(dst, src->items[i]) < 0)
            return -1;
    return 0;
}

int gl_change_copy(struct gl_change *dst, const struct gl_change *src)
{
    gl_change_release(dst);
    *dst = *src;
    /* Detach every owned pointer first so a failure part-way leaves dst releasable. */
    for (size_t i = 0; i < N_STR_FIELDS; i++)
        *str_field(dst, i) = NULL;
    memset(&dst->related_changes, 0, sizeof dst->related_changes);
    memset(&dst->ci_ids, 0, sizeof dst->ci_ids);
    memset(&dst->incidents, 0, sizeof dst->incidents);

    for (size_t i = 0; i < N_STR_FIELDS; i++) {
        const char *s = *str_field((struct gl_change *)src, i);
        if (s && !(*str_field(dst, i) = strdup(s)))
            goto fail;
    }
    if (idlist_copy(&dst->related_changes, &src->related_changes) < 0 ||
        idlist_copy(&dst->ci_ids, &src->ci_ids) < 0 ||
        strlist_copy(&dst->incidents, &src->incidents) < 0)
        goto fail;
    return 0;
fail:
    gl_change_release(dst);
    return GL_E_INTERNAL;
}

int gl_change_set_str(char **field, const char *value)
{
    char *copy = NULL;
    if (value && *value && !(copy = strdup(value)))
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

const char *gl_change_type_name(enum gl_change_type t)
{
    return (unsigned)t < GL_TYPE__COUNT ? type_names[t] : "unknown";
}

const char *gl_change_state_name(enum gl_change_state s)
{
    return (unsigned)s < GL_STATE__COUNT ? state_names[s] : "unknown";
}

const char *gl_outcome_name(enum gl_outcome o)
{
    return (unsigned)o < GL_OUTCOME__COUNT ? outcome_names[o] : NULL;
}

static int name_lookup(const char *const *names, int n, const char *s)
{
    if (!s)
        return -1;
    for (int i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], s) == 0)
            return i;
    return -1;
}

int gl_change_type_parse(const char *s, enum gl_change_type *out)
{
    int i = name_lookup(type_names, GL_TYPE__COUNT, s);
    if (i < 0)
        return -1;
    *out = (enum gl_change_type)i;
    return 0;
}

int gl_change_state_parse(const char *s, enum gl_change_state *out)
{
    int i = name_lookup(state_names, GL_STATE__COUNT, s);
    if (i < 0)
        return -1;
    *out = (enum gl_change_state)i;
    return 0;
}

int gl_outcome_parse(const char *s, enum gl_outcome *out)
{
    int i = name_lookup(outcome_names, GL_OUTCOME__COUNT, s);
    if (i < 0)
        return -1;
    *out = (enum gl_outcome)i;
    return 0;
}

/* Parses a positive decimal without sign, spaces or overflow. */
static int parse_positive(const char *s, int64_t *out)
{
    if (!*s)
        return -1;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        int d = *s - '0';
        if (v > (INT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (v <= 0)
        return -1;
    *out = v;
    return 0;
}

/* "PREFIX-digits" (prefix case-insensitive) or bare digits. */
static int ident_parse(const char *prefix, const char *s, int64_t *id)
{
    if (!s)
        return -1;
    size_t n = strlen(prefix);
    if (strncasecmp(s, prefix, n) == 0 && s[n] == '-')
        s += n + 1;
    return parse_positive(s, id);
}

void gl_change_ident_format(int64_t id, char out[GL_IDENT_MAX])
{
    snprintf(out, GL_IDENT_MAX, "CHG-%06lld", (long long)id);
}

int gl_change_ident_parse(const char *s, int64_t *id)
{
    return ident_parse("CHG", s, id);
}

void gl_ci_ident_format(int64_t id, char out[GL_IDENT_MAX])
{
    snprintf(out, GL_IDENT_MAX, "CI-%06lld", (long long)id);
}

int gl_ci_ident_parse(const char *s, int64_t *id)
{
    return ident_parse("CI", s, id);
}

int gl_strlist_push(struct gl_strlist *l, const char *s)
{
    if (!s)
        return -1;
    char *copy = strdup(s);
    if (!copy)
        return -1;
    char **items = realloc(l->items, (l->len + 1) * sizeof *items);
    if (!items) {
        free(copy);
        return -1;
    }
    items[l->len++] = copy;
    l->items = items;
    return 0;
}

void gl_strlist_release(struct gl_strlist *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->len; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->len = 0;
}

int gl_idlist_push(struct gl_idlist *l, int64_t id)
{
    int64_t *items = realloc(l->items, (l->len + 1) * sizeof *items);
    if (!items)
        return -1;
    items[l->len++] = id;
    l->items = items;
    return 0;
}

bool gl_idlist_contains(const struct gl_idlist *l, int64_t id)
{
    for (size_t i = 0; i < l->len; i++)
        if (l->items[i] == id)
            return true;
    return false;
}

void gl_idlist_release(struct gl_idlist *l)
{
    if (!l)
        return;
    free(l->items);
    l->items = NULL;
    l->len = 0;
}
