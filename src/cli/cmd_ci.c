/*
 * cmd_ci.c - `greenlight ci`: list, show and add configuration items through the API.
 *
 * A CI belongs to one client or, with --shared, to nobody: shared infrastructure (backup
 * clusters, RMM platforms) that changes of several clients can touch. Free attributes are
 * given as --attr KEY=VALUE (repeatable; true/false and numbers are typed like JSON, the
 * rest is a string; on update an empty VALUE removes the attribute).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api_client.h"
#include "cli/cli.h"
#include "cli/table.h"
#include "codec/json_attrs.h"
#include "core/cmdb.h"
#include "util/buf.h"

#include "util/banned.h"

static const char usage[] =
    "usage: greenlight ci COMMAND [ARGS] [--server URL] [--token T] [--json]\n"
    "\n"
    "  list [--client K] [--type T] [-q TEXT] [--limit N] [--cursor C] [--all]\n"
    "  show ID\n"
    "  add NAME (--client K | --shared) --type T --criticality 1-5 [--users N]\n"
    "      [--owner O] [--attr KEY=VALUE]...   (the name may also be given as --name NAME)\n"
    "  update ID [--name N] [--type T] [--criticality 1-5] [--users N] [--owner O]\n"
    "      [--attr KEY=VALUE]...   (--attr KEY= removes an attribute)\n"
    "  relate FROM KIND TO   (KIND: runs_on, depends_on, connects_to)\n"
    "  relations ID\n"
    "  import FILE [--dry-run]\n"
    "  export [--client K] [--format csv|json]\n";

enum cmd { C_LIST = 1, C_SHOW = 2, C_ADD = 4, C_UPDATE = 8 };

enum {
    O_CLIENT = 0x200,
    O_TYPE,
    O_Q,
    O_LIMIT,
    O_CURSOR,
    O_ALL,
    O_SHARED,
    O_NAME,
    O_CRIT,
    O_USERS,
    O_OWNER,
    O_ATTR
};

struct ci_args {
    struct gl_api_opts api;
    enum cmd cmd;
    const char *client, *type, *q, *limit, *cursor, *name, *owner;
    bool all, shared;
    int64_t criticality, users; /* -1 = not given */
    const char *id;
    json_t *attrs; /* --attr values as a JSON object (null = remove); NULL when none */
};

/* Which commands take each option, indexed by option - O_CLIENT. */
static const unsigned allowed[] = {
    C_LIST | C_ADD,
    C_LIST | C_ADD | C_UPDATE,
    C_LIST,
    C_LIST,
    C_LIST,
    C_LIST,
    C_ADD,
    C_ADD | C_UPDATE,
    C_ADD | C_UPDATE,
    C_ADD | C_UPDATE,
    C_ADD | C_UPDATE,
    C_ADD | C_UPDATE,
};

/* KEY=VALUE into a->attrs: the value typed by gl_attr_from_text; empty = null (remove). */
static int take_attr(struct ci_args *a, const char *cmd, const char *v)
{
    const char *eq = strchr(v, '=');
    char key[GL_ATTR_KEY_MAX + 1];
    if (!eq || eq == v || (size_t)(eq - v) > GL_ATTR_KEY_MAX)
        return gl_cli_usage_error("%s: --attr wants KEY=VALUE", cmd);
    memcpy(key, v, (size_t)(eq - v));
    key[eq - v] = '\0';
    if (!gl_attr_key_valid(key))
        return gl_cli_usage_error("%s: attribute key %s is not 1 to 64 of a-z, 0-9, '_', '.' "
                                  "and '-'",
                                  cmd, key);
    if (!a->attrs && !(a->attrs = json_object()))
        return gl_cli_fail("out of memory");
    if (!eq[1])
        return json_object_set_new(a->attrs, key, json_null()) ? gl_cli_fail("out of memory") : 0;
    struct gl_attrs one = {0};
    struct gl_attr val;
    if (gl_attr_from_text(eq + 1, &val) < 0)
        return gl_cli_fail("out of memory");
    val.key = key;
    int rc = gl_attrs_set(&one, &val);
    free(val.str);
    json_t *obj = rc ? NULL : gl_json_attrs(&one);
    gl_attrs_release(&one);
    if (!obj || json_object_update(a->attrs, obj)) {
        json_decref(obj);
        return gl_cli_fail("out of memory");
    }
    json_decref(obj);
    return 0;
}

static int take_number(const char *v, const char *what, int64_t min, int64_t max, int64_t *out)
{
    if (gl_cli_parse_int(v, min, max, out) < 0)
        return gl_cli_usage_error("ci: --%s wants %lld..%lld", what, (long long)min,
                                  (long long)max);
    return 0;
}

static int take_option(struct ci_args *a, const char *cmd, int c, const char *v)
{
    int64_t n;
    if (c < O_CLIENT || c > O_ATTR)
        return GL_EXIT_USAGE;
    if (!(allowed[c - O_CLIENT] & a->cmd))
        return gl_cli_usage_error("%s: option not valid here (see --help)", cmd);
    switch (c) {
    case O_CLIENT:
        a->client = v;
        return 0;
    case O_TYPE:
        a->type = v;
        return 0;
    case O_Q:
        a->q = v;
        return 0;
    case O_CURSOR:
        a->cursor = v;
        return 0;
    case O_ALL:
        a->all = true;
        return 0;
    case O_SHARED:
        a->shared = true;
        return 0;
    case O_NAME:
        a->name = v;
        return 0;
    case O_OWNER:
        a->owner = v;
        return 0;
    case O_ATTR:
        return take_attr(a, cmd, v);
    case O_LIMIT:
        a->limit = v;
        return take_number(v, "limit", 1, 200, &n);
    case O_CRIT:
        return take_number(v, "criticality", 1, 5, &a->criticality);
    default:
        return take_number(v, "users", 0, INT64_MAX, &a->users);
    }
}

static int parse_args(int argc, char **argv, struct ci_args *a)
{
    static const struct option opts[] = {
        GL_API_LONG_OPTIONS,
        {"client", required_argument, NULL, O_CLIENT},
        {"type", required_argument, NULL, O_TYPE},
        {"q", required_argument, NULL, O_Q},
        {"limit", required_argument, NULL, O_LIMIT},
        {"cursor", required_argument, NULL, O_CURSOR},
        {"all", no_argument, NULL, O_ALL},
        {"shared", no_argument, NULL, O_SHARED},
        {"name", required_argument, NULL, O_NAME},
        {"criticality", required_argument, NULL, O_CRIT},
        {"users", required_argument, NULL, O_USERS},
        {"owner", required_argument, NULL, O_OWNER},
        {"attr", required_argument, NULL, O_ATTR},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, rc;
    gl_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "hq:", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return -1;
        }
        if (gl_api_opts_take(&a->api, c, optarg))
            continue;
        if ((rc = take_option(a, gl_cli_cmdname(argv[0]), c == 'q' ? O_Q : c, optarg)) != 0)
            return rc;
    }
    int given = argc - optind;
    if (a->cmd == C_ADD && given == 1 && !a->name) {
        a->name = argv[optind]; /* `ci add NAME` */
        return 0;
    }
    int npos = a->cmd == C_SHOW || a->cmd == C_UPDATE ? 1 : 0;
    if (given != npos)
        return gl_cli_usage_error("%s: %s", gl_cli_cmdname(argv[0]),
                                  npos ? "wants exactly one CI ID" : "takes no arguments");
    a->id = npos ? argv[optind] : NULL;
    return 0;
}

static int begin(int argc, char **argv, enum cmd cmd, struct ci_args *a, struct gl_api **api)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    a->criticality = a->users = -1;
    int rc = parse_args(argc, argv, a);
    if (rc)
        return rc;
    *api = gl_api_new(&a->api);
    return *api ? 0 : GL_EXIT_FAIL;
}

static int finish(int rc, struct gl_api *api, struct gl_api_response *r)
{
    gl_api_response_release(r);
    gl_api_free(api);
    return rc < 0 ? GL_EXIT_OK : rc;
}

/* ---- list ---- */

static int fetch_page(struct gl_api *api, const struct ci_args *a, const char *cursor, json_t *all,
                      char **next)
{
    struct gl_buf path = GL_BUF_INIT;
    struct gl_api_response r = {0};
    int rc = -1;
    *next = NULL;
    if (gl_buf_puts(&path, "/api/v1/cis") < 0 || gl_api_query(&path, "client", a->client) < 0 ||
        gl_api_query(&path, "type", a->type) < 0 || gl_api_query(&path, "q", a->q) < 0 ||
        gl_api_query(&path, "limit", a->limit) < 0 || gl_api_query(&path, "cursor", cursor) < 0)
        goto out;
    if (gl_api_request(api, "GET", path.data, NULL, NULL, &r) < 0)
        goto out;
    json_array_extend(all, json_object_get(r.body, "items"));
    const char *nc = gl_api_str(r.body, "next_cursor");
    if (nc && !(*next = strdup(nc)))
        goto out;
    rc = 0;
out:
    gl_api_response_release(&r);
    gl_buf_release(&path);
    return rc;
}

static void cell_owner_client(struct gl_buf *out, const json_t *ci, const char *key)
{
    const char *client = gl_api_str(ci, key);
    gl_buf_puts(out, client ? client : "(shared)");
}

static const struct gl_api_col ci_cols[] = {
    {.head = "ID", .key = "id"},
    {.head = "CLIENT", .key = "client", .cell = cell_owner_client},
    {.head = "NAME", .key = "name", .max = 40},
    {.head = "TYPE", .key = "type"},
    {.head = "CRIT", .key = "criticality"},
    {.head = "USERS", .key = "users_affected"},
    {.head = "OWNER", .key = "owner"},
};

static void print_list(const struct ci_args *a, json_t *items, const char *next)
{
    if (a->api.json) {
        json_t *doc = json_pack("{s:O,s:s?}", "items", items, "next_cursor", next);
        gl_api_print_json(doc);
        json_decref(doc);
        return;
    }
    gl_api_table(items, ci_cols, GL_NCOLS(ci_cols));
    if (next)
        fprintf(stderr, "greenlight: more CIs: add --cursor %s (or --all)\n", next);
}

static int ci_list(int argc, char **argv)
{
    struct ci_args a;
    struct gl_api *api = NULL;
    struct gl_api_response r = {0};
    json_t *items = json_array();
    char *next = NULL;
    int rc = begin(argc, argv, C_LIST, &a, &api);
    if (rc)
        goto out;
    rc = GL_EXIT_FAIL;
    if (fetch_page(api, &a, a.cursor, items, &next) < 0)
        goto out;
    while (a.all && next) {
        char *cursor = next;
        int frc = fetch_page(api, &a, cursor, items, &next);
        free(cursor);
        if (frc < 0)
            goto out;
    }
    print_list(&a, items, next);
    rc = GL_EXIT_OK;
out:
    free(next);
    json_decref(items);
    return finish(rc, api, &r);
}

/* ---- show ---- */

static void print_ci(const json_t *ci)
{
    printf("%s  %s\n\n", gl_api_str(ci, "id") ? gl_api_str(ci, "id") : "?",
           gl_api_str(ci, "name") ? gl_api_str(ci, "name") : "");
    gl_view_line(stdout, "Client",
                 gl_api_str(ci, "client") ? gl_api_str(ci, "client") : "(shared)");
    gl_api_view(ci, "Type", "type");
    gl_api_view(ci, "Criticality", "criticality");
    gl_api_view(ci, "Users affected", "users_affected");
    gl_api_view(ci, "Owner", "owner");
    const char *key;
    json_t *v;
    bool first = true;
    json_object_foreach(json_object_get(ci, "attributes"), key, v)
    {
        struct gl_buf line = GL_BUF_INIT;
        char *text = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY);
        gl_buf_printf(&line, "%s=%s", key, text ? text : json_string_value(v));
        gl_view_line(stdout, first ? "Attributes" : "", gl_buf_str(&line));
        first = false;
        free(text);
        gl_buf_release(&line);
    }
    gl_api_view(ci, "Version", "version");
    gl_api_view(ci, "Created at", "created_at");
    gl_api_view(ci, "Updated at", "updated_at");
}

static int ci_show(int argc, char **argv)
{
    struct ci_args a;
    struct gl_api *api = NULL;
    struct gl_api_response r = {0};
    struct gl_buf path = GL_BUF_INIT;
    int rc = begin(argc, argv, C_SHOW, &a, &api);
    if (rc)
        goto out;
    rc = GL_EXIT_FAIL;
    if (gl_buf_puts(&path, "/api/v1/cis") < 0 || gl_api_segment(&path, a.id) < 0 ||
        gl_api_request(api, "GET", path.data, NULL, NULL, &r) < 0)
        goto out;
    if (a.api.json)
        gl_api_print_json(r.body);
    else
        print_ci(r.body);
    rc = GL_EXIT_OK;
out:
    gl_buf_release(&path);
    return finish(rc, api, &r);
}

/* ---- add ---- */

static int check_add(const struct ci_args *a)
{
    if (!a->client == !a->shared)
        return gl_cli_usage_error("ci add: give either --client KEY or --shared");
    if (!a->name || !a->type || a->criticality < 0)
        return gl_cli_usage_error("ci add: NAME, --type and --criticality are required");
    return 0;
}

static json_t *ci_body(const struct ci_args *a)
{
    json_t *body = json_pack("{s:s?,s:s,s:s,s:I}", "client", a->client, "name", a->name, "type",
                             a->type, "criticality", (json_int_t)a->criticality);
    if (body && a->users >= 0)
        json_object_set_new(body, "users_affected", json_integer(a->users));
    if (body && a->owner)
        json_object_set_new(body, "owner", json_string(a->owner));
    if (body && a->attrs)
        json_object_set(body, "attributes", a->attrs);
    return body;
}

static int ci_add(int argc, char **argv)
{
    struct ci_args a;
    struct gl_api *api = NULL;
    struct gl_api_response r = {0};
    json_t *body = NULL;
    int rc = begin(argc, argv, C_ADD, &a, &api);
    if (rc || (rc = check_add(&a)) != 0)
        goto out;
    rc = GL_EXIT_FAIL;
    if (!(body = ci_body(&a))) {
        gl_cli_fail("out of memory");
        goto out;
    }
    if (gl_api_request(api, "POST", "/api/v1/cis", body, NULL, &r) < 0)
        goto out;
    if (a.api.json)
        gl_api_print_json(r.body);
    else
        printf("%s\n", gl_api_str(r.body, "id") ? gl_api_str(r.body, "id") : "?");
    rc = GL_EXIT_OK;
out:
    json_decref(body);
    json_decref(a.attrs);
    return finish(rc, api, &r);
}

/* ---- update ---- */

static json_t *update_body(const struct ci_args *a)
{
    json_t *body = json_object();
    if (!body)
        return NULL;
    if (a->name)
        json_object_set_new(body, "name", json_string(a->name));
    if (a->type)
        json_object_set_new(body, "type", json_string(a->type));
    if (a->criticality >= 0)
        json_object_set_new(body, "criticality", json_integer(a->criticality));
    if (a->users >= 0)
        json_object_set_new(body, "users_affected", json_integer(a->users));
    if (a->owner)
        json_object_set_new(body, "owner", *a->owner ? json_string(a->owner) : json_null());
    if (a->attrs)
        json_object_set(body, "attributes", a->attrs);
    return body;
}

static int ci_update(int argc, char **argv)
{
    struct ci_args a;
    struct gl_api *api = NULL;
    struct gl_api_response r = {0}, cur = {0};
    struct gl_buf path = GL_BUF_INIT;
    json_t *body = NULL;
    char if_match[48];
    int rc = begin(argc, argv, C_UPDATE, &a, &api);
    if (rc)
        goto out;
    if (!(body = update_body(&a)) || !json_object_size(body)) {
        rc = body ? gl_cli_usage_error("ci update: nothing to change (see --help)")
                  : gl_cli_fail("out of memory");
        goto out;
    }
    rc = GL_EXIT_FAIL;
    if (gl_buf_puts(&path, "/api/v1/cis") < 0 || gl_api_segment(&path, a.id) < 0 ||
        gl_api_request(api, "GET", path.data, NULL, NULL, &cur) < 0)
        goto out;
    snprintf(if_match, sizeof if_match, "If-Match: \"%lld\"", (long long)cur.version);
    if (gl_api_request(api, "PATCH", path.data, body, if_match, &r) < 0)
        goto out;
    if (a.api.json)
        gl_api_print_json(r.body);
    else
        print_ci(r.body);
    rc = GL_EXIT_OK;
out:
    json_decref(body);
    json_decref(a.attrs);
    gl_api_response_release(&cur);
    gl_buf_release(&path);
    return finish(rc, api, &r);
}

static const struct gl_cli_cmd ci_cmds[] = {
    {"list", ci_list, "configuration items you may see (shared ones included)"},
    {"show", ci_show, "one CI by ID (CI-000042 or 42)"},
    {"add", ci_add, "create a CI (prints its ID)"},
    {"update", ci_update, "change fields or attributes of a CI"},
    {"import", gl_cmd_ci_import, "create or update CIs from a CSV or JSON file"},
    {"export", gl_cmd_ci_export, "print CIs as CSV (or JSON), ready to import back"},
    {"relate", gl_cmd_ci_relate, "add a relationship FROM KIND TO (FROM depends on TO)"},
    {"relations", gl_cmd_ci_relations, "the relationships of one CI, both directions"},
};

int gl_cmd_ci(int argc, char **argv)
{
    return gl_cli_dispatch(ci_cmds, sizeof ci_cmds / sizeof ci_cmds[0], usage, argc, argv);
}
