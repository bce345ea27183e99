/*
 * cmd_serve.c - `greenlight serve`: open the store, optionally load the demo data, run the
 * HTTP server until SIGINT or SIGTERM, then shut down cleanly.
 *
 * The two signals are blocked before the server's threads exist, so every thread inherits
 * the mask and only the main thread's sigwait sees them: shutdown runs in ordinary code,
 * not in a signal handler, and frees everything before exit.
 *
 * --tls-cert and --tls-key name PEM files; their contents stay in memory until the server
 * stops (the key is wiped then). With them the server speaks only HTTPS.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "codec/json_risk.h"
#include "cli/cmd_policy.h"
#include "cli/demo.h"
#include "http/server.h"
#include "store/store.h"
#include "util/buf.h"

#include "util/banned.h"

#define DEFAULT_LISTEN "127.0.0.1:8080"
#define MAX_THREADS 1024
#define MAX_PEM (1024 * 1024)

struct serve_args {
    const char *listen;
    const char *db;
    bool demo;
    unsigned threads;
    unsigned write_threads;
    unsigned idle_timeout;
    struct gl_buf host; /* parsed from listen, without [] */
    uint16_t port;
    const char *tls_cert, *tls_key; /* file names */
    const char *policy;             /* policy file to put in force, or NULL */
    struct gl_buf cert_pem, key_pem;
};

static const char usage[] =
    "usage: greenlight serve [--listen HOST:PORT] [--db PATH] [--demo] [--threads N]\n"
    "                        [--write-threads N] [--idle-timeout SECONDS] [--policy FILE]\n"
    "\n"
    "  --listen HOST:PORT  address to bind (default " DEFAULT_LISTEN "; port 0 picks one)\n"
    "  --db PATH           SQLite database, created and migrated when absent\n"
    "                      (default " GL_CLI_DEFAULT_DB ")\n"
    "  --demo              load the demo data set when the database has no clients yet\n"
    "  --threads N         event threads answering reads (default: one per CPU)\n"
    "  --write-threads N   threads running writes; more in flight commit together\n"
    "                      (default 32)\n"
    "  --tls-cert FILE     serve HTTPS with this PEM certificate (chain) ...\n"
    "  --tls-key FILE      ... and this PEM private key\n"
    "  --policy FILE       put this change policy (JSON) in force; refuses to start when it\n"
    "                      is invalid (docs/api.md, Policy)\n";

/* Splits "HOST:PORT" (HOST may be "[v6]") into args->host and args->port. */
static int parse_listen(struct serve_args *a)
{
    /* a->listen is the default or a required_argument's optarg, never NULL: */
    /* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
    const char *colon = strrchr(a->listen, ':');
    int64_t port;
    if (!colon || colon == a->listen || gl_cli_parse_int(colon + 1, 0, 65535, &port) < 0)
        return gl_cli_usage_error("serve: --listen wants HOST:PORT, not '%s'", a->listen);
    const char *host = a->listen;
    size_t len = (size_t)(colon - host);
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        host++;
        len -= 2;
    }
    if (gl_buf_append(&a->host, host, len) < 0)
        return gl_cli_fail("out of memory");
    a->port = (uint16_t)port;
    return 0;
}

static int parse_args(int argc, char **argv, struct serve_args *a)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'}, {"db", required_argument, NULL, 'd'},
        {"demo", no_argument, NULL, 'D'},         {"threads", required_argument, NULL, 't'},
        {"write-threads", required_argument, NULL, 'w'},
        {"idle-timeout", required_argument, NULL, 'i'},
        {"tls-cert", required_argument, NULL, 'C'}, {"tls-key", required_argument, NULL, 'K'},
        {"policy", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    int64_t n;
    int c;
    gl_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            a->listen = optarg;
            break;
        case 'd':
            a->db = optarg;
            break;
        case 'P':
            a->policy = optarg;
            break;
        case 'D':
            a->demo = true;
            break;
        case 't':
            if (gl_cli_parse_int(optarg, 0, MAX_THREADS, &n) < 0)
                return gl_cli_usage_error("serve: --threads wants 0..%d", MAX_THREADS);
            a->threads = (unsigned)n;
            break;
        case 'w':
            if (gl_cli_parse_int(optarg, 0, MAX_THREADS, &n) < 0)
                return gl_cli_usage_error("serve: --write-threads wants 0..%d", MAX_THREADS);
            a->write_threads = (unsigned)n;
            break;
        case 'i':
            if (gl_cli_parse_int(optarg, 1, 3600, &n) < 0)
                return gl_cli_usage_error("serve: --idle-timeout wants 1..3600 seconds");
            a->idle_timeout = (unsigned)n;
            break;
        case 'C':
            a->tls_cert = optarg;
            break;
        case 'K':
            a->tls_key = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default:
            return GL_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return gl_cli_usage_error("serve: unexpected argument '%s'", argv[optind]);
    if (!a->tls_cert != !a->tls_key)
        return gl_cli_usage_error("serve: --tls-cert and --tls-key go together");
    return parse_listen(a);
}

static int count_clients(struct gl_store *st, size_t *n, struct gl_error *err)
{
    struct gl_scope all = {.all = true};
    struct gl_client_list list = {0};
    int rc = st->clients->list(st, &all, &list, err);
    *n = list.len;
    gl_client_list_release(&list);
    return rc;
}

/* Loads the demo data unless the database already has clients (a restart). */
static int load_demo(struct gl_store *st)
{
    struct gl_error err = {0};
    size_t n = 0;
    if (count_clients(st, &n, &err) != 0)
        return gl_cli_fail("cannot read clients: %s", err.detail);
    if (n > 0)
        return 0;
    if (gl_demo_load(st, gl_cli_now(), &err) != 0)
        return gl_cli_fail("cannot load the demo data: %s", err.detail);
    fputs("greenlight: demo data loaded\n", stderr);
    return 0;
}

/* Reads a whole PEM file into out (NUL-terminated). */
static int read_pem(const char *path, struct gl_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return gl_cli_fail("serve: cannot read %s: %s", path, strerror(errno));
    char chunk[4096];
    size_t n;
    int rc = 0;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (gl_buf_append(out, chunk, n) < 0)
            rc = gl_cli_fail("serve: %s is larger than %d bytes", path, MAX_PEM);
    if (!rc && ferror(f))
        rc = gl_cli_fail("serve: cannot read %s", path);
    sodium_memzero(chunk, sizeof chunk);
    fclose(f);
    if (!rc && out->len == 0)
        rc = gl_cli_fail("serve: %s is empty", path);
    return rc;
}

static void block_signals(sigset_t *set)
{
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigaction(SIGPIPE, &ign, NULL);
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
}

static int run(struct serve_args *a)
{
    struct gl_error err = {0};
    struct gl_server *srv = NULL;
    struct gl_store *st = NULL;
    sigset_t set;
    int sig, rc = GL_EXIT_FAIL;

    /* Before anything can start a thread, so every thread inherits the mask. */
    block_signals(&set);
    if (gl_cli_make_parent_dir(a->db) < 0)
        goto out;
    if (!(st = gl_store_open_sqlite(a->db, gl_json_change_renderer(), &err))) {
        gl_cli_fail("cannot open database %s: %s", a->db, err.detail);
        goto out;
    }
    if (a->demo && load_demo(st) != 0)
        goto out;
    if (a->policy && gl_cli_policy_load(st, a->policy, gl_cli_now()) != GL_EXIT_OK)
        goto out;
    if (a->tls_cert && (read_pem(a->tls_cert, &a->cert_pem) || read_pem(a->tls_key, &a->key_pem)))
        goto out;

    struct gl_server_config cfg = {
        .host = gl_buf_str(&a->host), .port = a->port, .threads = a->threads,
        .write_threads = a->write_threads,
        .timeout_s = a->idle_timeout,
        .tls_cert_pem = a->tls_cert ? gl_buf_str(&a->cert_pem) : NULL,
        .tls_key_pem = a->tls_cert ? gl_buf_str(&a->key_pem) : NULL};
    if (!(srv = gl_server_start(st, &cfg, &err))) {
        gl_cli_fail("serve: %s", err.detail[0] ? err.detail : "cannot listen");
        goto out;
    }
    const char *host = gl_buf_str(&a->host);
    bool v6 = strchr(host, ':') != NULL;
    fprintf(stderr, "greenlight: listening on %s://%s%s%s:%u\n", a->tls_cert ? "https" : "http",
            v6 ? "[" : "", host, v6 ? "]" : "", (unsigned)gl_server_port(srv));
    if (sigwait(&set, &sig) == 0)
        fprintf(stderr, "greenlight: %s received, shutting down\n", strsignal(sig));
    rc = GL_EXIT_OK;
out:
    gl_server_stop(srv);
    gl_store_close(st);
    return rc;
}

int gl_cmd_serve(int argc, char **argv)
{
    struct serve_args a = {.listen = DEFAULT_LISTEN, .db = GL_CLI_DEFAULT_DB};
    gl_buf_init(&a.host, 0);
    gl_buf_init(&a.cert_pem, MAX_PEM);
    gl_buf_init(&a.key_pem, MAX_PEM);
    int rc = parse_args(argc, argv, &a);
    if (rc == 0)
        rc = run(&a);
    else if (rc < 0)
        rc = GL_EXIT_OK;
    gl_buf_release(&a.host);
    gl_buf_release(&a.cert_pem);
    if (a.key_pem.data)
        sodium_memzero(a.key_pem.data, a.key_pem.len);
    gl_buf_release(&a.key_pem);
    return rc;
}
