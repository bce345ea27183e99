/*
 * cmd_policy.c - the change policy and risk scores from the command line:
 * `greenlight policy show|set FILE|versions` and `greenlight change risk CHG-... [--refresh]`
 * through the API, and the policy file `greenlight serve --policy FILE` loads into the
 * database before the server starts.
 */
#include "cli/cmd_policy.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cmdb.h"
#include "cli/api_client.h"
#include "cli/cli.h"
#include "cli/table.h"
#include "codec/json_policy.h"
#include "util/buf.h"

#include "util/banned.h"

#define POLICY_FILE_MAX (1024 * 1024)

struct pol_args {
    struct gl_api_opts api;
    bool refresh;
    char **pos;
    int npos;
};

/* Parses the common options and exactly npos positional arguments. -1: help printed. */
static int parse(int argc, char **argv, struct pol_args *a, int npos, bool refresh_opt,
                 const char *usage)
{
    memset(a, 0, sizeof *a);
    const struct gl_cli_opt opts[] = {GL_CLI_FLAG("refresh", &a->refresh)};
    int rc = gl_cli_parse(argc, argv, usage, &a->api, opts, refresh_opt ? 1 : 0, npos, npos,
                          npos ? "exactly one argument" : "no arguments");
    if (rc)
        return rc;
    a->pos = argv + optind;
    a->npos = npos;
    return 0;
}

static int call(struct pol_args *a, const char *method, const char *path, const json_t *body,
                const char *header, struct gl_api_response *r)
{
    return gl_api_call(&a->api, method, path, body, header, r);
}

/* Reads a whole file into out (NUL-terminated); prints why and returns -1 on failure. */
static int read_file(const char *what, const char *path, struct gl_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        gl_cli_fail("%s: cannot read %s: %s", what, path, strerror(errno));
        return -1;
    }
    char chunk[4096];
    size_t n;
    int rc = 0;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (gl_buf_append(out, chunk, n) < 0) {
            gl_cli_fail("%s: %s is larger than %d bytes", what, path, POLICY_FILE_MAX);
            rc = -1;
        }
    if (!rc && ferror(f)) {
        gl_cli_fail("%s: cannot read %s", what, path);
        rc = -1;
    }
    fclose(f);
    return rc;
}

/* ---- policy show / set / versions -------------------------------------------------- */

static void print_policy(const json_t *p)
{
    char line[160];
    snprintf(line, sizeof line, "%lld",
             (long long)json_integer_value(json_object_get(p, "version")));
    gl_view_line(stdout, "version", line);
    const json_t *t = json_object_get(p, "thresholds");
    snprintf(line, sizeof line, "moderate >= %g, high >= %g, critical >= %g",
             json_number_value(json_object_get(t, "moderate")),
             json_number_value(json_object_get(t, "high")),
             json_number_value(json_object_get(t, "critical")));
    gl_view_line(stdout, "thresholds", line);
    snprintf(line, sizeof line, "%lld",
             (long long)json_integer_value(json_object_get(p, "cab_quorum")));
    gl_view_line(stdout, "CAB quorum", line);
    snprintf(line, sizeof line, "%lld h",
             (long long)json_integer_value(json_object_get(p, "emergency_review_hours")));
    gl_view_line(stdout, "emergency review", line);

    gl_view_heading(stdout, "Weights (most points each factor adds)");
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(p, "weights"), key, v)
    {
        snprintf(line, sizeof line, "%g", json_number_value(v));
        gl_view_line(stdout, key, line);
    }
    gl_view_heading(stdout, "Approval (type: low / moderate / high / critical)");
    json_object_foreach(json_object_get(p, "approval"), key, v)
    {
        snprintf(line, sizeof line, "%s / %s / %s / %s", gl_api_str(v, "low"),
                 gl_api_str(v, "moderate"), gl_api_str(v, "high"), gl_api_str(v, "critical"));
        gl_view_line(stdout, key, line);
    }
    gl_view_heading(stdout, "Client sign-off");
    const json_t *so = json_object_get(p, "client_signoff");
    struct gl_buf b = GL_BUF_INIT;
    gl_api_text(&b, so, "default");
    gl_view_line(stdout, "default", b.len ? gl_buf_str(&b) : "none");
    json_object_foreach(json_object_get(so, "clients"), key, v)
    {
        gl_buf_reset(&b);
        size_t i;
        json_t *l;
        json_array_foreach(v, i, l)
        {
            if (i)
                gl_buf_puts(&b, ", ");
            gl_buf_puts(&b, json_string_value(l));
        }
        gl_view_line(stdout, key, b.len ? gl_buf_str(&b) : "none");
    }
    gl_buf_release(&b);
}

static const char show_usage[] =
    "usage: greenlight policy show [--server URL] [--token T] [--json]\n"
    "  the change policy in force (version 0: the built-in default)\n";

static int policy_show(int argc, char **argv)
{
    struct pol_args a;
    struct gl_api_response r = {0};
    int rc = parse(argc, argv, &a, 0, false, show_usage);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    rc = call(&a, "GET", "/api/v1/policy", NULL, NULL, &r);
    if (!rc && a.api.json)
        gl_api_print_json(r.body);
    else if (!rc)
        print_policy(r.body);
    gl_api_response_release(&r);
    return rc;
}

static const char set_usage[] =
    "usage: greenlight policy set FILE [--server URL] [--token T] [--json]\n"
    "  replaces the policy with FILE (JSON; members left out take the built-in default);\n"
    "  admin only. Prints the new version.\n";

static int policy_set(int argc, char **argv)
{
    struct pol_args a;
    struct gl_api_response cur = {0}, r = {0};
    struct gl_buf text;
    gl_buf_init(&text, POLICY_FILE_MAX);
    json_t *body = NULL;
    int rc = parse(argc, argv, &a, 1, false, set_usage);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    rc = GL_EXIT_FAIL;
    json_error_t jerr;
    if (read_file("policy set", a.pos[0], &text))
        goto out;
    if (!(body = json_loads(gl_buf_str(&text), JSON_REJECT_DUPLICATES, &jerr))) {
        gl_cli_fail("policy set: %s is not valid JSON: line %d: %s", a.pos[0], jerr.line,
                    jerr.text);
        goto out;
    }
    /* Replace exactly the version shown now: If-Match from a fresh GET. */
    if (call(&a, "GET", "/api/v1/policy", NULL, NULL, &cur))
        goto out;
    char header[64];
    snprintf(header, sizeof header, "If-Match: \"%lld\"",
             (long long)json_integer_value(json_object_get(cur.body, "version")));
    if (call(&a, "PUT", "/api/v1/policy", body, header, &r))
        goto out;
    if (a.api.json)
        gl_api_print_json(r.body);
    else
        printf("policy version %lld\n",
               (long long)json_integer_value(json_object_get(r.body, "version")));
    rc = GL_EXIT_OK;
out:
    json_decref(body);
    gl_buf_release(&text);
    gl_api_response_release(&cur);
    gl_api_response_release(&r);
    return rc;
}

static const char versions_usage[] =
    "usage: greenlight policy versions [--server URL] [--token T] [--json]\n"
    "  every stored policy version, newest first\n";

static int policy_versions(int argc, char **argv)
{
    struct pol_args a;
    struct gl_api_response r = {0};
    int rc = parse(argc, argv, &a, 0, false, versions_usage);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    rc = call(&a, "GET", "/api/v1/policy/versions", NULL, NULL, &r);
    if (!rc && a.api.json) {
        gl_api_print_json(r.body);
    } else if (!rc) {
        static const struct gl_api_col cols[] = {
            {.head = "VERSION", .key = "version"},
            {.head = "AT", .key = "created_at", .cell = gl_api_cell_time},
            {.head = "BY", .key = "created_by"},
        };
        gl_api_table(json_object_get(r.body, "items"), cols, GL_NCOLS(cols));
    }
    gl_api_response_release(&r);
    return rc;
}

static const struct gl_cli_cmd policy_cmds[] = {
    {"show", policy_show, "the change policy in force"},
    {"set", policy_set, "replace the policy with a JSON file (admin)"},
    {"versions", policy_versions, "every stored policy version"},
};

static const char policy_intro[] =
    "usage: greenlight policy COMMAND [options]\n"
    "  the change policy: risk weights, level thresholds, approval tiers, sign-off\n";

int gl_cmd_policy(int argc, char **argv)
{
    return gl_cli_dispatch(policy_cmds, sizeof policy_cmds / sizeof policy_cmds[0], policy_intro,
                           argc, argv);
}

/* ---- change risk ------------------------------------------------------------------- */

static const char risk_usage[] =
    "usage: greenlight change risk ID [--refresh] [--server URL] [--token T] [--json]\n"
    "  the change's risk score: each factor's points and why, the total and the level;\n"
    "  --refresh re-assesses it first (needs the right to assess)\n";

static void print_risk(const json_t *a)
{
    static const char *const heads[] = {"FACTOR", "POINTS", "OF", "WHY"};
    struct gl_table *t = gl_table_new(4, heads);
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(a, "factors"), i, f)
    {
        char pts[24], of[24];
        snprintf(pts, sizeof pts, "%.1f", json_number_value(json_object_get(f, "points")));
        snprintf(of, sizeof of, "%g", json_number_value(json_object_get(f, "weight")));
        const char *cells[] = {gl_api_str(f, "factor"), pts, of, gl_api_str(f, "explanation")};
        gl_table_add_row(t, cells);
    }
    gl_table_print(t, stdout);
    gl_table_free(t);
    printf("\n%s: %.1f / 100%s, %s (policy version %lld)\n", gl_api_str(a, "change"),
           json_number_value(json_object_get(a, "score")),
           json_is_true(json_object_get(a, "capped")) ? " (capped)" : "", gl_api_str(a, "level"),
           (long long)json_integer_value(json_object_get(a, "policy_version")));
}

int gl_cmd_change_risk(int argc, char **argv)
{
    struct pol_args a;
    struct gl_api_response r = {0};
    struct gl_buf path = GL_BUF_INIT;
    int rc = parse(argc, argv, &a, 1, true, risk_usage);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    rc = GL_EXIT_FAIL;
    if (gl_buf_puts(&path, "/api/v1/changes") == 0 && gl_api_segment(&path, a.pos[0]) == 0 &&
        gl_buf_puts(&path, "/risk") == 0 &&
        gl_api_query(&path, "refresh", a.refresh ? "1" : NULL) == 0)
        rc = call(&a, "GET", path.data, NULL, NULL, &r);
    if (!rc && a.api.json)
        gl_api_print_json(r.body);
    else if (!rc)
        print_risk(r.body);
    gl_buf_release(&path);
    gl_api_response_release(&r);
    return rc;
}

/* ---- serve --policy ---------------------------------------------------------------- */

int gl_cli_policy_load(struct gl_store *st, const char *path, int64_t now)
{
    struct gl_buf text;
    gl_buf_init(&text, POLICY_FILE_MAX);
    struct gl_policy *file = malloc(sizeof *file), *cur = malloc(sizeof *cur);
    char *want = NULL, *have = NULL;
    struct gl_error err = {0};
    int rc = GL_EXIT_FAIL;
    if (!file || !cur) {
        gl_cli_fail("serve: out of memory");
        goto out;
    }
    if (read_file("serve", path, &text))
        goto out;
    if (gl_json_policy_loads(gl_buf_str(&text), file, &err)) {
        gl_cli_fail("serve: policy %s is invalid: %s", path, err.detail);
        goto out;
    }
    if (st->policy->get(st, cur, &err)) {
        gl_cli_fail("serve: cannot read the policy: %s", err.detail);
        goto out;
    }
    want = gl_json_policy_dump_body(file);
    have = gl_json_policy_dump_body(cur);
    if (want && have && strcmp(want, have) == 0) {
        rc = GL_EXIT_OK; /* already in force */
        goto out;
    }
    struct gl_user system = {.name = "system", .admin = true};
    struct gl_scope all = {.all = true};
    struct gl_app app = {.st = st, .user = &system, .scope = &all, .now = now};
    file->version = cur->version;
    if (gl_app_policy_put(&app, file, "policy file loaded at start", &err)) {
        gl_cli_fail("serve: cannot store policy %s: %s", path, err.detail);
        goto out;
    }
    fprintf(stderr, "greenlight: policy %s stored as version %lld\n", path,
            (long long)file->version);
    rc = GL_EXIT_OK;
out:
    free(want);
    free(have);
    free(file);
    free(cur);
    gl_buf_release(&text);
    return rc;
}
