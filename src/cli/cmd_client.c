/*
 * cmd_client.c - `greenlight client`: list, show and add clients (tenants) through the API.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/api_client.h"
#include "cli/cli.h"
#include "util/buf.h"

#include "util/banned.h"

static const char usage[] =
    "usage: greenlight client COMMAND [ARGS] [--server URL] [--token T] [--json]\n"
    "\n"
    "  list\n"
    "  show KEY\n"
    "  add KEY --name N --timezone TZ [--notice-hours H] [--requires-signoff]\n"
    "      (the key may also be given as --key KEY)\n";

struct client_args {
    struct gl_api_opts api;
    const char *key, *name, *timezone;
    int64_t notice_hours; /* -1 = not given */
    bool signoff;
    bool adding; /* add: the record options are allowed */
    const char *positional;
};

/* Parses argv; `npos` is how many positional arguments the command takes (0 or 1; -1
 * for an optional one). Returns 0, -1 after printing help, or an exit code. */
static int parse_args(int argc, char **argv, struct client_args *a, int npos)
{
    const char *notice = NULL;
    const struct gl_cli_opt opts[] = {
        GL_CLI_STR("key", &a->key),
        GL_CLI_STR("name", &a->name),
        GL_CLI_STR("timezone", &a->timezone),
        GL_CLI_STR("notice-hours", &notice),
        GL_CLI_FLAG("requires-signoff", &a->signoff),
    };
    /* Only `add` takes the record options. */
    size_t nopts = a->adding ? sizeof opts / sizeof opts[0] : 0;
    int rc = gl_cli_parse(argc, argv, usage, &a->api, opts, nopts, npos < 0 ? 0 : npos,
                          npos < 0 ? 1 : npos, "one client KEY");
    if (rc)
        return rc;
    if (notice && gl_cli_parse_int(notice, 0, 24 * 365, &a->notice_hours) < 0)
        return gl_cli_usage_error("client add: --notice-hours wants 0..%d", 24 * 365);
    a->positional = argc > optind ? argv[optind] : NULL;
    return 0;
}

static int begin(int argc, char **argv, struct client_args *a, int npos, struct gl_api **api)
{
    int rc = parse_args(argc, argv, a, npos);
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

static const struct gl_api_col client_cols[] = {
    {.head = "KEY", .key = "key"},
    {.head = "NAME", .key = "name", .max = 40},
    {.head = "TIME ZONE", .key = "timezone"},
    {.head = "NOTICE (H)", .key = "notice_hours"},
    {.head = "SIGN-OFF", .key = "requires_signoff"},
};

static int client_list(int argc, char **argv)
{
    struct client_args a = {.notice_hours = -1};
    struct gl_api *api = NULL;
    struct gl_api_response r = {0};
    int rc = begin(argc, argv, &a, 0, &api);
    if (rc)
        goto out;
    rc = GL_EXIT_FAIL;
    if (gl_api_request(api, "GET", "/api/v1/clients", NULL, NULL, &r) < 0)
        goto out;
    if (a.api.json)
        gl_api_print_json(r.body);
    else
        gl_api_table(json_object_get(r.body, "items"), client_cols, GL_NCOLS(client_cols));
    rc = GL_EXIT_OK;
out:
    return finish(rc, api, &r);
}

static void print_client(const json_t *c)
{
    gl_api_view(c, "Key", "key");
    gl_api_view(c, "Name", "name");
    gl_api_view(c, "Time zone", "timezone");
    gl_api_view(c, "Notice (hours)", "notice_hours");
    gl_api_view(c, "Requires sign-off", "requires_signoff");
    gl_api_view(c, "Version", "version");
    gl_api_view(c, "Created at", "created_at");
    gl_api_view(c, "Updated at", "updated_at");
}

static int client_show(int argc, char **argv)
{
    struct client_args a = {.notice_hours = -1};
    struct gl_api *api = NULL;
    struct gl_api_response r = {0};
    struct gl_buf path = GL_BUF_INIT;
    int rc = begin(argc, argv, &a, 1, &api);
    if (rc)
        goto out;
    rc = GL_EXIT_FAIL;
    if (gl_buf_puts(&path, "/api/v1/clients") < 0 || gl_api_segment(&path, a.positional) < 0 ||
        gl_api_request(api, "GET", path.data, NULL, NULL, &r) < 0)
        goto out;
    if (a.api.json)
        gl_api_print_json(r.body);
    else
        print_client(r.body);
    rc = GL_EXIT_OK;
out:
    gl_buf_release(&path);
    return finish(rc, api, &r);
}

static json_t *client_body(const struct client_args *a)
{
    json_t *body = json_pack("{s:s,s:s,s:s,s:b}", "key", a->key, "name", a->name, "timezone",
                             a->timezone, "requires_signoff", a->signoff);
    if (body && a->notice_hours >= 0)
        json_object_set_new(body, "notice_hours", json_integer(a->notice_hours));
    return body;
}

static int client_add(int argc, char **argv)
{
    struct client_args a = {.notice_hours = -1, .adding = true};
    struct gl_api *api = NULL;
    struct gl_api_response r = {0};
    json_t *body = NULL;
    int rc = begin(argc, argv, &a, -1, &api);
    if (rc)
        goto out;
    if (a.positional && a.key && strcmp(a.positional, a.key) != 0) {
        rc = gl_cli_usage_error("client add: KEY and --key disagree");
        goto out;
    }
    if (a.positional)
        a.key = a.positional;
    if (!a.key || !a.name || !a.timezone) {
        rc = gl_cli_usage_error("client add: KEY, --name and --timezone are required");
        goto out;
    }
    rc = GL_EXIT_FAIL;
    if (!(body = client_body(&a))) {
        gl_cli_fail("out of memory");
        goto out;
    }
    if (gl_api_request(api, "POST", "/api/v1/clients", body, NULL, &r) < 0)
        goto out;
    if (a.api.json)
        gl_api_print_json(r.body);
    else
        printf("%s\n", gl_api_str(r.body, "key") ? gl_api_str(r.body, "key") : a.key);
    rc = GL_EXIT_OK;
out:
    json_decref(body);
    return finish(rc, api, &r);
}

static const struct gl_cli_cmd client_cmds[] = {
    {"list", client_list, "every client you may see"},
    {"show", client_show, "one client by key"},
    {"add", client_add, "create a client (prints its key)"},
};

int gl_cmd_client(int argc, char **argv)
{
    return gl_cli_dispatch(client_cmds, sizeof client_cmds / sizeof client_cmds[0], usage, argc,
                           argv);
}
