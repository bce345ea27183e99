/*
 * cmd_user.c - `greenlight user`: create users and API tokens on the database directly.
 *
 * This is how the first administrator comes to exist, so it cannot go through the API.
 * Tokens are "glt_" + 32 random bytes in unpadded base64url; only their BLAKE2b-256 hash
 * is stored, and the token itself is printed once, alone on stdout, so scripts can
 * capture it with $(...). Everything else this command says goes to stderr.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "core/user.h"
#include "store/store.h"

#include "util/banned.h"

#define TOKEN_PREFIX "glt_"
#define TOKEN_RAW_BYTES 32
#define TOKEN_MAX                                                                                  \
    (sizeof TOKEN_PREFIX +                                                                         \
     sodium_base64_ENCODED_LEN(TOKEN_RAW_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING))
#define MAX_CLIENTS 64
#define MAX_EXPIRY_DAYS 3650

struct user_args {
    const char *db;
    const char *name;
    bool admin;
    const char *role;
    const char *clients[MAX_CLIENTS];
    size_t nclients;
    bool token;
    int64_t expires_days; /* 0 = never */
};

static const char add_usage[] =
    "usage: greenlight user add NAME (--admin | --role ROLE [--client CLIENT]...)\n"
    "                           [--token] [--expires-days N] [--db PATH]\n"
    "\n"
    "  --admin            every role on every client\n"
    "  --role ROLE        requester, implementer, change_manager, cab_member,\n"
    "                     emergency_approver, client_approver or auditor\n"
    "  --client CLIENT    limit the role to this client key (repeatable; default: all)\n"
    "  --token            also create an API token and print it alone on stdout\n"
    "  --expires-days N   the token expires after N days (default: never)\n";

static const char token_usage[] =
    "usage: greenlight user token NAME [--expires-days N] [--db PATH]\n";

enum { OPT_ADMIN = 0x100, OPT_ROLE, OPT_CLIENT, OPT_TOKEN, OPT_EXPIRES, OPT_DB };

static int take_option(struct user_args *a, int c, const char *arg)
{
    switch (c) {
    case OPT_DB:
        a->db = arg;
        return 0;
    case OPT_ADMIN:
        a->admin = true;
        return 0;
    case OPT_ROLE:
        a->role = arg;
        return 0;
    case OPT_TOKEN:
        a->token = true;
        return 0;
    case OPT_CLIENT:
        if (a->nclients == MAX_CLIENTS)
            return gl_cli_usage_error("user: at most %d --client options", MAX_CLIENTS);
        a->clients[a->nclients++] = arg;
        return 0;
    case OPT_EXPIRES:
        if (gl_cli_parse_int(arg, 1, MAX_EXPIRY_DAYS, &a->expires_days) < 0)
            return gl_cli_usage_error("user: --expires-days wants 1..%d", MAX_EXPIRY_DAYS);
        return 0;
    default:
        return GL_EXIT_USAGE;
    }
}

/* Parses options and the one NAME. Returns 0, -1 after printing help, or GL_EXIT_USAGE. */
static int parse_args(int argc, char **argv, struct user_args *a, const char *usage)
{
    static const struct option opts[] = {
        {"admin", no_argument, NULL, OPT_ADMIN},
        {"role", required_argument, NULL, OPT_ROLE},
        {"client", required_argument, NULL, OPT_CLIENT},
        {"token", no_argument, NULL, OPT_TOKEN},
        {"expires-days", required_argument, NULL, OPT_EXPIRES},
        {"db", required_argument, NULL, OPT_DB},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, rc;
    gl_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return -1;
        }
        if ((rc = take_option(a, c, optarg)) != 0)
            return rc;
    }
    if (argc - optind != 1)
        return gl_cli_usage_error("%s: wants exactly one NAME (see --help)",
                                  gl_cli_cmdname(argv[0]));
    a->name = argv[optind];
    return 0;
}

static int check_add_args(const struct user_args *a)
{
    enum gl_role role;
    if (a->admin == (a->role != NULL))
        return gl_cli_usage_error("user add: give either --admin or --role ROLE");
    if (a->admin && a->nclients)
        return gl_cli_usage_error("user add: --client only goes with --role");
    if (a->role && gl_role_parse(a->role, &role) < 0)
        return gl_cli_usage_error("user add: unknown role '%s'", a->role);
    return 0;
}

static struct gl_store *open_store(const char *db)
{
    struct gl_error err = {0};
    if (gl_cli_make_parent_dir(db) < 0)
        return NULL;
    struct gl_store *st = gl_store_open_sqlite(db, &err);
    if (!st)
        gl_cli_fail("cannot open database %s: %s", db, err.detail);
    return st;
}

/* Fills u's name and admin flag and checks them, before any database is touched. */
static int build_identity(const struct user_args *a, struct gl_user *u)
{
    struct gl_error err = {0};
    if (!(u->name = strdup(a->name)))
        return gl_cli_fail("out of memory");
    u->admin = a->admin;
    if (gl_user_validate(u, &err) != 0)
        return gl_cli_usage_error("user add: %s", err.detail);
    return 0;
}

/* Adds the role grants, resolving client keys to ids (no --client: all clients). */
static int add_grants(struct gl_store *st, const struct user_args *a, struct gl_user *u)
{
    struct gl_error err = {0};
    enum gl_role role = GL_ROLE_REQUESTER;
    if (a->admin)
        return 0;
    gl_role_parse(a->role, &role);
    if (a->nclients == 0 && gl_user_add_grant(u, role, 0) != 0)
        return gl_cli_fail("out of memory");
    for (size_t i = 0; i < a->nclients; i++) {
        struct gl_client client;
        gl_client_init(&client);
        int rc = st->ops->client_get(st, a->clients[i], &client, &err);
        int64_t id = client.id;
        gl_client_release(&client);
        if (rc == GL_E_NOT_FOUND)
            return gl_cli_fail("user add: unknown client '%s'", a->clients[i]);
        if (rc != 0)
            return gl_cli_fail("user add: cannot read client '%s': %s", a->clients[i], err.detail);
        if (gl_user_add_grant(u, role, id) != 0)
            return gl_cli_fail("out of memory");
    }
    return 0;
}

/* Creates a token for user_id and prints it alone on stdout. */
static int issue_token(struct gl_store *st, int64_t user_id, int64_t expires_days, int64_t now)
{
    unsigned char raw[TOKEN_RAW_BYTES], hash[32];
    char token[TOKEN_MAX];
    struct gl_error err = {0};
    int64_t token_id = 0;
    int rc = GL_EXIT_OK;

    memcpy(token, TOKEN_PREFIX, sizeof TOKEN_PREFIX);
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(token + sizeof TOKEN_PREFIX - 1, sizeof token - (sizeof TOKEN_PREFIX - 1),
                      raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    crypto_generichash(hash, sizeof hash, (const unsigned char *)token, strlen(token), NULL, 0);

    struct gl_write_ctx ctx = {.actor = "system", .action = "token.create", .now = now};
    int64_t expires = expires_days ? now + expires_days * 86400 : GL_TIME_UNSET;
    if (st->ops->token_create(st, &ctx, user_id, hash, expires, &token_id, &err) != 0)
        rc = gl_cli_fail("cannot store the token: %s", err.detail);
    else
        printf("%s\n", token);
    sodium_memzero(raw, sizeof raw);
    sodium_memzero(token, sizeof token);
    return rc;
}

static int user_add(int argc, char **argv)
{
    struct user_args a = {.db = GL_CLI_DEFAULT_DB};
    struct gl_store *st = NULL;
    struct gl_error err = {0};
    struct gl_user u;
    int64_t now = gl_cli_now();
    int rc = parse_args(argc, argv, &a, add_usage);

    gl_user_init(&u);
    if (rc)
        goto out;
    if ((rc = check_add_args(&a)) != 0 || (rc = build_identity(&a, &u)) != 0)
        goto out;
    rc = GL_EXIT_FAIL;
    if (!(st = open_store(a.db)) || add_grants(st, &a, &u) != 0)
        goto out;
    struct gl_write_ctx ctx = {.actor = "system", .action = "user.create", .now = now};
    int src = st->ops->user_create(st, &ctx, &u, &err);
    if (src == GL_E_DUPLICATE) {
        gl_cli_fail("user add: user '%s' already exists", a.name);
        goto out;
    }
    if (src != 0) {
        gl_cli_fail("user add: %s", err.detail);
        goto out;
    }
    fprintf(stderr, "greenlight: created user %s\n", a.name);
    rc = a.token ? issue_token(st, u.id, a.expires_days, now) : GL_EXIT_OK;
out:
    gl_user_release(&u);
    gl_store_close(st);
    return rc < 0 ? GL_EXIT_OK : rc;
}

static int user_token(int argc, char **argv)
{
    struct user_args a = {.db = GL_CLI_DEFAULT_DB};
    struct gl_store *st = NULL;
    struct gl_error err = {0};
    struct gl_user u;
    int rc = parse_args(argc, argv, &a, token_usage);

    gl_user_init(&u);
    if (rc)
        goto out;
    if (a.admin || a.role || a.nclients || a.token) {
        rc = gl_cli_usage_error("user token: takes only NAME, --expires-days and --db");
        goto out;
    }
    rc = GL_EXIT_FAIL;
    if (!(st = open_store(a.db)))
        goto out;
    int src = st->ops->user_get(st, a.name, &u, &err);
    if (src == GL_E_NOT_FOUND) {
        gl_cli_fail("user token: no user '%s'", a.name);
        goto out;
    }
    if (src != 0) {
        gl_cli_fail("user token: %s", err.detail);
        goto out;
    }
    rc = issue_token(st, u.id, a.expires_days, gl_cli_now());
out:
    gl_user_release(&u);
    gl_store_close(st);
    return rc < 0 ? GL_EXIT_OK : rc;
}

static const struct gl_cli_cmd user_cmds[] = {
    {"add", user_add, "create a user with roles, optionally with an API token"},
    {"token", user_token, "issue a new API token for an existing user"},
};

int gl_cmd_user(int argc, char **argv)
{
    return gl_cli_dispatch(user_cmds, sizeof user_cmds / sizeof user_cmds[0],
                           "usage: greenlight user COMMAND NAME [OPTIONS] [--db PATH]\n", argc,
                           argv);
}
