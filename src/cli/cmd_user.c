/*
 * cmd_user.c - `greenlight user`: create users and API tokens on the database directly.
 *
 * This is how the first administrator comes to exist, so it cannot go through the API.
 * Tokens are "glt_" + 32 random bytes in unpadded base64url; only their BLAKE2b-256 hash
 * is stored, and the token itself is printed once, alone on stdout, so scripts can
 * capture it with $(...). Everything else this command says goes to stderr.
 *
 * Passwords are never taken from the command line (it shows in `ps` and shell history):
 * --password and `user passwd` read one line from stdin, without echo when it is a
 * terminal, and store only its Argon2id hash (http/secret.h).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "codec/json_risk.h"
#include "core/user.h"
#include "http/secret.h"
#include "store/store.h"

#include "util/banned.h"

#define TOKEN_PREFIX "glt_"
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
    bool password;
    int64_t expires_days; /* 0 = never */
};

static const char add_usage[] =
    "usage: greenlight user add NAME (--admin | --role ROLE [--client CLIENT]...)\n"
    "                           [--token] [--expires-days N] [--password] [--db PATH]\n"
    "\n"
    "  --admin            every role on every client\n"
    "  --role ROLE        requester, implementer, change_manager, cab_member,\n"
    "                     emergency_approver, client_approver or auditor\n"
    "  --client CLIENT    limit the role to this client key (repeatable; default: all)\n"
    "  --token            also create an API token and print it alone on stdout\n"
    "  --expires-days N   the token expires after N days (default: never)\n"
    "  --password         also set a password for logging in, read from stdin\n"
    "                     (without echo on a terminal; never on the command line)\n";

static const char token_usage[] =
    "usage: greenlight user token NAME [--expires-days N] [--db PATH]\n";
static const char passwd_usage[] =
    "usage: greenlight user passwd NAME [--db PATH]\n"
    "\n"
    "Reads the new password from stdin (without echo on a terminal), ends the user's\n"
    "open sessions and lifts a log-in lockout of the account.\n";
static const char revoke_usage[] =
    "usage: greenlight user revoke-token ID [--db PATH]\n"
    "\n"
    "A server using the database refuses the token within 5 seconds (at once when it is\n"
    "revoked through DELETE /api/v1/tokens/ID).\n";

enum { OPT_ADMIN = 0x100, OPT_ROLE, OPT_CLIENT, OPT_TOKEN, OPT_EXPIRES, OPT_DB, OPT_PASSWORD };

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
    case OPT_PASSWORD:
        a->password = true;
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
        {"password", no_argument, NULL, OPT_PASSWORD},
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
    struct gl_store *st = gl_store_open_sqlite(db, gl_json_change_renderer(), &err);
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
        int rc = st->clients->get(st, a->clients[i], &client, &err);
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
    unsigned char hash[GL_SECRET_HASH_LEN];
    char token[GL_SECRET_MAX];
    struct gl_error err = {0};
    int64_t token_id = 0;
    int rc = GL_EXIT_OK;

    gl_secret_new(TOKEN_PREFIX, token, hash);
    struct gl_write_ctx ctx = {.actor = "system", .action = "token.create", .now = now};
    int64_t expires = expires_days ? now + expires_days * 86400 : GL_TIME_UNSET;
    if (st->auth->token_create(st, &ctx, user_id, hash, expires, &token_id, &err) != 0)
        rc = gl_cli_fail("cannot store the token: %s", err.detail);
    else
        printf("%s\n", token);
    sodium_memzero(token, sizeof token);
    return rc;
}

/* Reads one line into buf (newline removed); -1 at end of input or when it is too long. */
static int read_line(char *buf, size_t size)
{
    if (!fgets(buf, (int)size, stdin))
        return -1;
    size_t n = strcspn(buf, "\n");
    bool whole = buf[n] == '\n' || feof(stdin);
    buf[n] = '\0';
    if (n && buf[n - 1] == '\r')
        buf[n - 1] = '\0';
    return whole ? 0 : -1;
}

/* Reads a line from the terminal with echo off. */
static int read_hidden(const char *prompt, char *buf, size_t size)
{
    struct termios saved, quiet;
    fputs(prompt, stderr);
    fflush(stderr);
    bool tty = tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty) {
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    int rc = read_line(buf, size);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        fputc('\n', stderr);
    }
    return rc;
}

/* Reads the new password of `name` from stdin (twice, hidden, on a terminal), checks it and
 * hashes it into hash. Returns 0 or an exit code, having said why. */
static int read_password(const char *name, char hash[GL_PASSWORD_HASH_MAX])
{
    char pw[GL_PASSWORD_MAX + 2], again[GL_PASSWORD_MAX + 2];
    struct gl_error err = {0};
    int rc = GL_EXIT_OK;
    if (isatty(STDIN_FILENO)) {
        char prompt[128];
        snprintf(prompt, sizeof prompt, "New password for %s: ", name);
        if (read_hidden(prompt, pw, sizeof pw) || read_hidden("Again: ", again, sizeof again))
            rc = gl_cli_fail("no password given");
        else if (strcmp(pw, again) != 0)
            rc = gl_cli_fail("the two passwords differ");
    } else if (read_line(pw, sizeof pw) != 0) {
        rc = gl_cli_fail("expected the password as one line on stdin (at most %d characters)",
                         GL_PASSWORD_MAX);
    }
    if (!rc && gl_password_check(pw, &err) != 0)
        rc = gl_cli_usage_error("%s", err.detail);
    if (!rc && gl_password_hash(pw, hash, &err) != 0)
        rc = gl_cli_fail("%s", err.detail);
    sodium_memzero(pw, sizeof pw);
    sodium_memzero(again, sizeof again);
    return rc;
}

static int store_password(struct gl_store *st, const struct gl_user *u, const char *hash,
                          int64_t now)
{
    struct gl_error err = {0};
    struct gl_write_ctx ctx = {.actor = "system", .action = "user.password", .now = now};
    if (st->auth->user_set_password(st, &ctx, u->id, hash, &err) != 0)
        return gl_cli_fail("cannot store the password: %s", err.detail);
    char key[96];
    snprintf(key, sizeof key, "user:%s", u->name);
    st->auth->login_failure_clear(st, key, &err); /* a new password lifts a lockout */
    return GL_EXIT_OK;
}

static int user_add(int argc, char **argv)
{
    struct user_args a = {.db = GL_CLI_DEFAULT_DB};
    struct gl_store *st = NULL;
    struct gl_error err = {0};
    struct gl_user u;
    char hash[GL_PASSWORD_HASH_MAX] = "";
    int64_t now = gl_cli_now();
    int rc = parse_args(argc, argv, &a, add_usage);

    gl_user_init(&u);
    if (rc)
        goto out;
    if ((rc = check_add_args(&a)) != 0 || (rc = build_identity(&a, &u)) != 0)
        goto out;
    if (a.password && (rc = read_password(a.name, hash)) != 0)
        goto out;
    rc = GL_EXIT_FAIL;
    if (!(st = open_store(a.db)) || add_grants(st, &a, &u) != 0)
        goto out;
    struct gl_write_ctx ctx = {.actor = "system", .action = "user.create", .now = now};
    int src = st->auth->user_create(st, &ctx, &u, &err);
    if (src == GL_E_DUPLICATE) {
        gl_cli_fail("user add: user '%s' already exists", a.name);
        goto out;
    }
    if (src != 0) {
        gl_cli_fail("user add: %s", err.detail);
        goto out;
    }
    fprintf(stderr, "greenlight: created user %s\n", a.name);
    if (a.password && (rc = store_password(st, &u, hash, now)) != 0)
        goto out;
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
    if (a.admin || a.role || a.nclients || a.token || a.password) {
        rc = gl_cli_usage_error("user token: takes only NAME, --expires-days and --db");
        goto out;
    }
    rc = GL_EXIT_FAIL;
    if (!(st = open_store(a.db)))
        goto out;
    int src = st->auth->user_get(st, a.name, &u, &err);
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

static bool only_db(const struct user_args *a)
{
    return !a->admin && !a->role && !a->nclients && !a->token && !a->password &&
           !a->expires_days;
}

static int user_passwd(int argc, char **argv)
{
    struct user_args a = {.db = GL_CLI_DEFAULT_DB};
    struct gl_store *st = NULL;
    struct gl_error err = {0};
    struct gl_user u;
    char hash[GL_PASSWORD_HASH_MAX] = "";
    int rc = parse_args(argc, argv, &a, passwd_usage);

    gl_user_init(&u);
    if (rc)
        goto out;
    if (!only_db(&a)) {
        rc = gl_cli_usage_error("user passwd: takes only NAME and --db");
        goto out;
    }
    rc = GL_EXIT_FAIL;
    if (!(st = open_store(a.db)))
        goto out;
    if (st->auth->user_get(st, a.name, &u, &err) != 0) {
        gl_cli_fail("user passwd: %s", err.code == GL_E_NOT_FOUND ? "no such user" : err.detail);
        goto out;
    }
    if ((rc = read_password(a.name, hash)) != 0 ||
        (rc = store_password(st, &u, hash, gl_cli_now())) != 0)
        goto out;
    fprintf(stderr, "greenlight: password of %s set; open sessions ended\n", a.name);
out:
    sodium_memzero(hash, sizeof hash);
    gl_user_release(&u);
    gl_store_close(st);
    return rc < 0 ? GL_EXIT_OK : rc;
}

static int user_revoke_token(int argc, char **argv)
{
    struct user_args a = {.db = GL_CLI_DEFAULT_DB};
    struct gl_store *st = NULL;
    struct gl_error err = {0};
    int64_t id;
    int rc = parse_args(argc, argv, &a, revoke_usage);
    if (rc)
        return rc < 0 ? GL_EXIT_OK : rc;
    if (!only_db(&a) || gl_cli_parse_int(a.name, 1, INT64_MAX, &id) < 0)
        return gl_cli_usage_error("user revoke-token: takes a token ID and --db");
    if (!(st = open_store(a.db)))
        return GL_EXIT_FAIL;
    struct gl_write_ctx ctx = {.actor = "system", .action = "token.revoke", .now = gl_cli_now()};
    rc = st->auth->token_revoke(st, &ctx, id, &err);
    if (rc == GL_E_NOT_FOUND)
        rc = gl_cli_fail("user revoke-token: no token %lld", (long long)id);
    else if (rc)
        rc = gl_cli_fail("user revoke-token: %s", err.detail);
    else
        fprintf(stderr, "greenlight: token %lld revoked\n", (long long)id);
    gl_store_close(st);
    return rc;
}

static const struct gl_cli_cmd user_cmds[] = {
    {"add", user_add, "create a user with roles, optionally with an API token and a password"},
    {"token", user_token, "issue a new API token for an existing user"},
    {"passwd", user_passwd, "set a user's password (read from stdin)"},
    {"revoke-token", user_revoke_token, "revoke an API token by its id"},
};

int gl_cmd_user(int argc, char **argv)
{
    return gl_cli_dispatch(user_cmds, sizeof user_cmds / sizeof user_cmds[0],
                           "usage: greenlight user COMMAND NAME [OPTIONS] [--db PATH]\n", argc,
                           argv);
}
