/*
 * ci_import.c - CSV and JSON files of configuration items into rows (see ci_import.h).
 *
 * CSV is tokenised by libcsv in strict mode (RFC 4180: quoted fields may hold commas,
 * quotes and line breaks; CRLF or LF line ends); this file only maps the header to
 * columns and each record to a struct gl_ci. A file-level error stops the mapping; a
 * row-level error is stored in the row (gl_ci_row_reject) and parsing goes on, to the next
 * field and the next row, so one import reports every bad field of every row at once.
 */
#include "codec/ci_import.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <csv.h>
#include <jansson.h>

#include "codec/json.h"
#include "core/change.h"

#include "util/banned.h"

enum col {
    COL_ID,
    COL_CLIENT,
    COL_NAME,
    COL_TYPE,
    COL_CRIT,
    COL_USERS,
    COL_OWNER,
    COL_RUNS_ON, /* the relation columns follow enum gl_rel_kind's order */
    COL_DEPENDS_ON,
    COL_CONNECTS_TO,
    COL__COUNT,
    COL_ATTR = COL__COUNT, /* attr.KEY: any number of them */
};

static const char *const col_names[COL__COUNT] = {
    "id", "client", "name", "type", "criticality", "users_affected", "owner",
    "runs_on", "depends_on", "connects_to",
};
static const bool col_required[COL__COUNT] = {false, true, true, true, false,
                                              false, false, false, false, false};

#define ATTR_PREFIX "attr."
/* The fixed columns, every attribute a CI may have, and some slack for a clear error. */
#define MAX_COLS (COL__COUNT + GL_ATTRS_MAX + 8)

struct csv_state {
    struct gl_ci_rows *out;
    size_t cap;
    struct gl_error *err; /* file-level */
    bool failed, have_header;
    int ncols;
    int map[MAX_COLS];        /* column index -> enum col, -1 unknown */
    char *attr_key[MAX_COLS]; /* column index -> attribute key of an attr.KEY column */
    bool any_attr;            /* the header has an attr.KEY column */
    char *fields[MAX_COLS];   /* the current record */
    int nfields, extra_fields;
};

static int oom(struct gl_error *err)
{
    return gl_error_set(err, GL_E_INTERNAL, NULL, "out of memory");
}

/* A row's CI before any field is read: the defaults the file format documents. */
static void row_ci_init(struct gl_ci *ci)
{
    gl_ci_init(ci);
    ci->criticality = 3;
}

static struct gl_ci_row *new_row(struct gl_ci_rows *out, size_t *cap)
{
    if (out->len == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        struct gl_ci_row *n = realloc(out->items, ncap * sizeof *n);
        if (!n)
            return NULL;
        out->items = n;
        *cap = ncap;
    }
    struct gl_ci_row *r = &out->items[out->len++];
    memset(r, 0, sizeof *r);
    r->row = (int)out->len;
    row_ci_init(&r->ci);
    return r;
}

int gl_ci_row_reject(struct gl_ci_row *r, const struct gl_error *e)
{
    if (r->err.code == GL_OK) {
        r->err = *e;
        return 0;
    }
    if (strcmp(r->err.field, e->field) == 0 || r->nmore + 1 >= GL_CI_ROW_REASONS_MAX)
        return 0;
    for (size_t i = 0; i < r->nmore; i++)
        if (strcmp(r->more[i].field, e->field) == 0)
            return 0;
    struct gl_error *n = realloc(r->more, (r->nmore + 1) * sizeof *n);
    if (!n)
        return GL_E_INTERNAL;
    r->more = n;
    r->more[r->nmore++] = *e;
    return 0;
}

/* A whole decimal number in [lo, hi]; empty keeps *dst. */
static int take_int(const char *s, const char *col, int64_t lo, int64_t hi, int64_t *dst,
                    struct gl_error *err)
{
    if (!s || !*s)
        return 0;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi)
        return gl_error_set(err, GL_E_INVALID, col, "%s must be an integer from %lld to %lld",
                            col, (long long)lo, (long long)hi);
    *dst = v;
    return 0;
}

static int take_str(const char *s, char **dst, struct gl_error *err)
{
    return gl_change_set_str(dst, s && *s ? s : NULL) < 0 ? oom(err) : 0;
}

/* The value readers below fill err (GL_E_INVALID: a reason to reject the row;
 * GL_E_INTERNAL: out of memory) and return its code. */

static int add_link(struct gl_ci_row *r, enum gl_rel_kind kind, const char *name, size_t len,
                    struct gl_error *err)
{
    if (r->nlinks >= GL_CI_LINKS_MAX)
        return gl_error_set(err, GL_E_INVALID, gl_rel_kind_name(kind),
                            "a row names at most %d related CIs", GL_CI_LINKS_MAX);
    struct gl_ci_link *n = realloc(r->links, (r->nlinks + 1) * sizeof *n);
    if (!n)
        return oom(err);
    r->links = n;
    if (!(n[r->nlinks].name = strndup(name, len)))
        return oom(err);
    n[r->nlinks++].kind = kind;
    return 0;
}

/* "a; b;c" into links of kind: names trimmed, empty ones skipped. */
static int take_links(struct gl_ci_row *r, enum gl_rel_kind kind, const char *s,
                      struct gl_error *err)
{
    while (s && *s) {
        const char *end = strchr(s, ';');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        const char *b = s, *e = s + len;
        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        int rc = e > b ? add_link(r, kind, b, (size_t)(e - b), err) : 0;
        if (rc)
            return rc;
        s = end ? end + 1 : NULL;
    }
    return 0;
}

static int take_attr(struct gl_ci_row *r, const char *key, const char *s, struct gl_error *err)
{
    if (!s || !*s)
        return 0;
    struct gl_attr v;
    if (gl_attr_from_text(s, &v) < 0)
        return oom(err);
    v.key = (char *)key;
    int rc = gl_attrs_set(&r->ci.attrs, &v);
    free(v.str);
    return rc < 0 ? oom(err) : 0;
}

/* Maps one value of column c into row r. */
static int take_value(struct gl_ci_row *r, enum col c, const char *attr_key, const char *s,
                      struct gl_error *err)
{
    int64_t n;
    switch (c) {
    case COL_ATTR:
        return take_attr(r, attr_key, s, err);
    case COL_RUNS_ON:
    case COL_DEPENDS_ON:
    case COL_CONNECTS_TO:
        return take_links(r, (enum gl_rel_kind)(c - COL_RUNS_ON), s, err);
    case COL_ID:
        if (s && *s && gl_ci_ident_parse(s, &r->id) < 0)
            return gl_error_set(err, GL_E_INVALID, "id", "malformed CI id %s", s);
        return 0;
    case COL_CLIENT:
        return take_str(s, &r->ci.client_key, err);
    case COL_NAME:
        return take_str(s, &r->ci.name, err);
    case COL_TYPE:
        return take_str(s, &r->ci.type, err);
    case COL_OWNER:
        return take_str(s, &r->ci.owner, err);
    case COL_CRIT:
        n = r->ci.criticality;
        if (take_int(s, "criticality", 1, 5, &n, err))
            return GL_E_INVALID;
        r->ci.criticality = (int)n;
        return 0;
    case COL_USERS:
        return take_int(s, "users_affected", 0, INT64_MAX, &r->ci.users_affected, err);
    default:
        return 0;
    }
}

static int col_lookup(const char *name)
{
    for (int c = 0; c < COL__COUNT; c++)
        if (strcasecmp(name, col_names[c]) == 0)
            return c;
    return -1;
}

/* An attr.KEY header: the key into s->attr_key[i]; false when it is no valid key or
 * repeats one (s->err filled). */
static bool take_attr_header(struct csv_state *s, int i, const char *name)
{
    const char *key = name + strlen(ATTR_PREFIX);
    if (!gl_attr_key_valid(key)) {
        gl_error_set(s->err, GL_E_INVALID, "attributes",
                     "column \"%.80s\": an attribute key is 1 to 64 of a-z, 0-9, '_', '.' "
                     "and '-'", name);
        return false;
    }
    for (int j = 0; j < i; j++)
        if (s->attr_key[j] && strcmp(s->attr_key[j], key) == 0) {
            gl_error_set(s->err, GL_E_INVALID, "attributes", "column %.80s appears twice", name);
            return false;
        }
    if (!(s->attr_key[i] = strdup(key))) {
        oom(s->err);
        return false;
    }
    s->map[i] = COL_ATTR;
    s->any_attr = true;
    return true;
}

/* Reads the header record: every column known, none twice, the required ones present. */
static void take_header(struct csv_state *s)
{
    struct gl_buf unknown = GL_BUF_INIT, missing = GL_BUF_INIT;
    bool seen[COL__COUNT] = {false};
    s->ncols = s->nfields;
    for (int i = 0; i < s->nfields; i++) {
        const char *name = s->fields[i] ? s->fields[i] : "";
        if (strncasecmp(name, ATTR_PREFIX, strlen(ATTR_PREFIX)) == 0) {
            if (!s->failed && !take_attr_header(s, i, name))
                s->failed = true;
            continue;
        }
        int c = col_lookup(name);
        s->map[i] = c;
        if (c < 0)
            gl_buf_printf(&unknown, "%s\"%s\"", unknown.len ? ", " : "", name);
        else if (seen[c] && !s->failed) {
            s->failed = true;
            gl_error_set(s->err, GL_E_INVALID, col_names[c], "column %s appears twice",
                         col_names[c]);
        }
        if (c >= 0)
            seen[c] = true;
    }
    for (int c = 0; c < COL__COUNT; c++)
        if (col_required[c] && !seen[c])
            gl_buf_printf(&missing, "%s%s", missing.len ? ", " : "", col_names[c]);
    if (!s->failed && unknown.len) {
        s->failed = true;
        gl_error_set(s->err, GL_E_INVALID, NULL,
                     "unknown column(s) %s; the columns are id, client, name, type, "
                     "criticality, users_affected, owner, attr.KEY, depends_on, runs_on, "
                     "connects_to", gl_buf_str(&unknown));
    } else if (!s->failed && missing.len) {
        s->failed = true;
        gl_error_set(s->err, GL_E_INVALID, NULL, "missing required column(s): %s",
                     gl_buf_str(&missing));
    }
    s->have_header = true;
    gl_buf_release(&unknown);
    gl_buf_release(&missing);
}

static void take_record(struct csv_state *s)
{
    struct gl_ci_row *r = new_row(s->out, &s->cap);
    if (!r) {
        s->failed = true;
        oom(s->err);
        return;
    }
    r->has_attrs = s->any_attr;
    int got = s->nfields + s->extra_fields;
    if (got != s->ncols) {
        gl_error_set(&r->err, GL_E_INVALID, NULL, "the row has %d fields, the header %d", got,
                     s->ncols);
        return;
    }
    for (int i = 0; i < s->nfields; i++) {
        struct gl_error e;
        int rc = take_value(r, (enum col)s->map[i], s->attr_key[i], s->fields[i], &e);
        if (rc == GL_E_INVALID)
            rc = gl_ci_row_reject(r, &e);
        if (rc) {
            s->failed = true;
            oom(s->err);
            return;
        }
    }
}

static void clear_fields(struct csv_state *s)
{
    for (int i = 0; i < s->nfields; i++) {
        free(s->fields[i]);
        s->fields[i] = NULL;
    }
    s->nfields = s->extra_fields = 0;
}

static void on_field(void *data, size_t len, void *ud)
{
    struct csv_state *s = ud;
    if (s->failed)
        return;
    if (s->nfields == MAX_COLS) {
        s->extra_fields++;
        return;
    }
    char *v = malloc(len + 1);
    if (!v) {
        s->failed = true;
        oom(s->err);
        return;
    }
    if (len)
        memcpy(v, data, len);
    v[len] = '\0';
    s->fields[s->nfields++] = v;
}

static void on_record(int term, void *ud)
{
    struct csv_state *s = ud;
    if (!s->failed) {
        if (!s->have_header)
            take_header(s);
        else
            take_record(s);
    }
    clear_fields(s);
}

int gl_ci_rows_from_csv(const char *data, size_t len, struct gl_ci_rows *out,
                        struct gl_error *err)
{
    struct csv_parser p;
    struct csv_state s = {.out = out, .err = err};
    out->items = NULL;
    out->len = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) { /* spreadsheets write a BOM */
        data += 3;
        len -= 3;
    }
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return oom(err);
    if (csv_parse(&p, data, len, on_field, on_record, &s) != len ||
        csv_fini(&p, on_field, on_record, &s) != 0) {
        if (!s.failed)
            gl_error_set(err, GL_E_INVALID, NULL, "malformed CSV after row %zu: %s",
                         out->len, csv_strerror(csv_error(&p)));
        s.failed = true;
    }
    clear_fields(&s);
    for (int i = 0; i < MAX_COLS; i++)
        free(s.attr_key[i]);
    csv_free(&p);
    if (!s.failed && !s.have_header) {
        s.failed = true;
        gl_error_set(err, GL_E_INVALID, NULL, "the CSV file is empty: a header row is required");
    }
    if (s.failed) {
        gl_ci_rows_release(out);
        return err && err->code ? (int)err->code : GL_E_INVALID;
    }
    return 0;
}

/* ---- JSON -------------------------------------------------------------------------- */

static int json_row_id(json_t *obj, struct gl_ci_row *r, struct gl_error *err)
{
    json_t *v = json_object_get(obj, "id");
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        r->id = json_integer_value(v);
        return 0;
    }
    if (json_is_string(v) && gl_ci_ident_parse(json_string_value(v), &r->id) == 0)
        return 0;
    return gl_error_set(err, GL_E_INVALID, "id", "malformed CI id");
}

/* The CI names of one relation array into r->links. */
static int json_link_array(const json_t *arr, struct gl_ci_row *r, enum gl_rel_kind kind,
                           struct gl_error *err)
{
    const char *name = gl_rel_kind_name(kind);
    size_t i;
    json_t *v;
    if (!json_is_array(arr))
        return gl_error_set(err, GL_E_INVALID, name, "%s must be an array of CI names", name);
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v) || !*json_string_value(v))
            return gl_error_set(err, GL_E_INVALID, name, "%s must be an array of CI names",
                                name);
        int rc = add_link(r, kind, json_string_value(v), strlen(json_string_value(v)), err);
        if (rc)
            return rc;
    }
    return 0;
}

/* Moves the relation arrays of obj into r->links (deleting them from obj); a bad one is a
 * reason to reject r. 0 or GL_E_INTERNAL. */
static int json_links(json_t *obj, struct gl_ci_row *r)
{
    for (int k = 0; k < GL_REL__COUNT; k++) {
        const char *name = gl_rel_kind_name((enum gl_rel_kind)k);
        const json_t *arr = json_object_get(obj, name);
        struct gl_error e;
        int rc = arr && !json_is_null(arr)
                     ? json_link_array(arr, r, (enum gl_rel_kind)k, &e)
                     : 0;
        if (rc == GL_E_INVALID)
            rc = gl_ci_row_reject(r, &e);
        if (rc)
            return GL_E_INTERNAL;
        json_object_del(obj, name);
    }
    return 0;
}

/* The members of obj into r->ci. The decoder stops at the first bad member, so when there
 * is one the members are applied again one at a time to a fresh CI, each bad one a reason
 * to reject r (rows without errors take the one pass). 0 or GL_E_INTERNAL. */
static int json_members(json_t *obj, struct gl_ci_row *r)
{
    struct gl_error e;
    const char *key;
    json_t *v;
    int rc = gl_json_ci_apply(obj, &r->ci, true, &e);
    if (rc != GL_E_INVALID)
        return rc ? GL_E_INTERNAL : 0;
    gl_ci_release(&r->ci);
    row_ci_init(&r->ci);
    json_object_foreach(obj, key, v)
    {
        json_t *one = json_pack("{s:O}", key, v);
        if (!one)
            return GL_E_INTERNAL;
        rc = gl_json_ci_apply(one, &r->ci, true, &e);
        json_decref(one);
        if (rc == GL_E_INVALID)
            rc = gl_ci_row_reject(r, &e);
        if (rc)
            return GL_E_INTERNAL;
    }
    return 0;
}

/* One element of the array into r: 0, or GL_E_INTERNAL (out of memory). */
static int json_row(json_t *item, struct gl_ci_row *r)
{
    static const char *const readonly[] = {"id", "version", "created_at", "updated_at"};
    struct gl_error e;
    if (!json_is_object(item)) {
        gl_error_set(&r->err, GL_E_INVALID, NULL, "the row must be a JSON object");
        return 0;
    }
    if (!json_object_get(item, "client")) {
        gl_error_set(&e, GL_E_INVALID, "client",
                     "client is required: a client key, or null for shared infrastructure");
        if (gl_ci_row_reject(r, &e))
            return GL_E_INTERNAL;
    }
    json_t *obj = json_copy(item);
    if (!obj)
        return GL_E_INTERNAL;
    r->has_attrs = json_object_get(obj, "attributes") != NULL;
    int rc = json_row_id(obj, r, &e);
    if (rc == GL_E_INVALID)
        rc = gl_ci_row_reject(r, &e);
    if (!rc)
        rc = json_links(obj, r);
    if (!rc) {
        for (size_t i = 0; i < sizeof readonly / sizeof readonly[0]; i++)
            json_object_del(obj, readonly[i]);
        rc = json_members(obj, r);
    }
    json_decref(obj);
    return rc ? GL_E_INTERNAL : 0;
}

static int json_rows(json_t *arr, struct gl_ci_rows *out, struct gl_error *err)
{
    size_t cap = 0, i;
    json_t *item;
    json_array_foreach(arr, i, item)
    {
        struct gl_ci_row *r = new_row(out, &cap);
        if (!r)
            return oom(err);
        if (json_row(item, r))
            return oom(err);
    }
    return 0;
}

int gl_ci_rows_from_json(const char *data, size_t len, struct gl_ci_rows *out,
                         struct gl_error *err)
{
    json_error_t jerr;
    out->items = NULL;
    out->len = 0;
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc)
        return gl_error_set(err, GL_E_INVALID, NULL, "malformed JSON at line %d column %d: %s",
                            jerr.line, jerr.column, jerr.text);
    json_t *arr = doc;
    if (json_is_object(doc) && json_object_size(doc) == 1)
        arr = json_object_get(doc, "cis");
    int rc = 0;
    if (!json_is_array(arr))
        rc = gl_error_set(err, GL_E_INVALID, NULL,
                          "the body must be a JSON array of CIs or {\"cis\": [...]}");
    else
        rc = json_rows(arr, out, err);
    json_decref(doc);
    if (rc)
        gl_ci_rows_release(out);
    return rc;
}

void gl_ci_rows_release(struct gl_ci_rows *rows)
{
    if (!rows)
        return;
    for (size_t i = 0; i < rows->len; i++) {
        gl_ci_release(&rows->items[i].ci);
        for (size_t j = 0; j < rows->items[i].nlinks; j++)
            free(rows->items[i].links[j].name);
        free(rows->items[i].links);
        free(rows->items[i].more);
    }
    free(rows->items);
    rows->items = NULL;
    rows->len = 0;
}

/* ---- CSV out ----------------------------------------------------------------------- */

/* Quotes (through libcsv) only what needs it, so plain values stay readable. */
static int put_field(struct gl_buf *out, const char *s, bool first)
{
    if (!first && gl_buf_putc(out, ',') < 0)
        return -1;
    if (!s)
        return 0;
    size_t n = strlen(s);
    if (strcspn(s, ",\"\r\n") == n && (n == 0 || (s[0] != ' ' && s[n - 1] != ' ')))
        return gl_buf_append(out, s, n);
    size_t need = csv_write(NULL, 0, s, n);
    char *q = malloc(need);
    if (!q)
        return -1;
    csv_write(q, need, s, n);
    int rc = gl_buf_append(out, q, need);
    free(q);
    return rc;
}

int gl_ci_csv_header(struct gl_buf *out, const char *const *attr_keys, size_t nkeys)
{
    if (gl_buf_puts(out, "id,client,name,type,criticality,users_affected,owner"))
        return -1;
    for (size_t i = 0; i < nkeys; i++)
        if (gl_buf_printf(out, "," ATTR_PREFIX "%s", attr_keys[i]))
            return -1;
    return gl_buf_puts(out, ",depends_on,runs_on,connects_to\r\n");
}

/* The names of links of one kind, ';'-separated, as one field. */
static int put_links(struct gl_buf *out, const struct gl_ci_link *links, size_t n,
                     enum gl_rel_kind kind)
{
    struct gl_buf b = GL_BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        if (links[i].kind == kind)
            rc = gl_buf_printf(&b, "%s%s", b.len ? ";" : "", links[i].name);
    if (!rc)
        rc = put_field(out, gl_buf_str(&b), false);
    gl_buf_release(&b);
    return rc;
}

int gl_ci_csv_row(struct gl_buf *out, const struct gl_ci *ci, const char *const *attr_keys,
                  size_t nkeys, const struct gl_ci_link *links, size_t nlinks)
{
    char ident[GL_IDENT_MAX], num[40];
    gl_ci_ident_format(ci->id, ident);
    if (put_field(out, ident, true) || put_field(out, ci->client_key, false) ||
        put_field(out, ci->name, false) || put_field(out, ci->type, false) ||
        gl_buf_printf(out, ",%d,%lld,", ci->criticality, (long long)ci->users_affected) ||
        put_field(out, ci->owner, true))
        return -1;
    for (size_t i = 0; i < nkeys; i++) {
        const struct gl_attr *v = gl_attrs_get(&ci->attrs, attr_keys[i]);
        if (put_field(out, v ? gl_attr_text(v, num, sizeof num) : NULL, false))
            return -1;
    }
    if (put_links(out, links, nlinks, GL_REL_DEPENDS_ON) ||
        put_links(out, links, nlinks, GL_REL_RUNS_ON) ||
        put_links(out, links, nlinks, GL_REL_CONNECTS_TO) || gl_buf_puts(out, "\r\n"))
        return -1;
    return 0;
}

int gl_ci_json_links(json_t *obj, const struct gl_ci_link *links, size_t nlinks)
{
    for (int k = 0; k < GL_REL__COUNT; k++) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < nlinks; i++)
            if ((int)links[i].kind == k && json_array_append_new(arr, json_string(links[i].name)))
                return -1;
        if (json_object_set_new(obj, gl_rel_kind_name((enum gl_rel_kind)k), arr))
            return -1;
    }
    return 0;
}
