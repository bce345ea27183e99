/*
 * cli.h - the greenlight command line: subcommand table and shared helpers.
 *
 * Each subcommand lives in its own cmd_*.c and has the signature of gl_cli_fn. Local
 * commands (serve, db, user) work on the database directly; everything else is a client
 * of the HTTP API (api_client.h), so the CLI exercises the same API as every other tool.
 * Exit codes: 0 success, 1 the operation was refused or failed, 2 usage error.
 *
 * Argument vectors: a command receives argv with argv[0] naming it in full (e.g.
 * "greenlight change list"), so getopt's own messages read naturally. Options are parsed
 * with getopt_long after resetting optind (gl_cli_getopt_reset).
 */
#ifndef GL_CLI_H
#define GL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GL_CLI_DEFAULT_DB "var/greenlight.db"

enum {
    GL_EXIT_OK = 0,
    GL_EXIT_FAIL = 1,
    GL_EXIT_USAGE = 2,
};

typedef int (*gl_cli_fn)(int argc, char **argv);

/* One entry of a command table: the top level and every command family use one. */
struct gl_cli_cmd {
    const char *name;
    gl_cli_fn fn;
    const char *summary;
};

int gl_cli_main(int argc, char **argv);

int gl_cmd_serve(int argc, char **argv);
int gl_cmd_db(int argc, char **argv);
int gl_cmd_user(int argc, char **argv);
int gl_cmd_change(int argc, char **argv);
int gl_cmd_client(int argc, char **argv);
int gl_cmd_ci(int argc, char **argv);
/* `ci import` and `ci export` (cmd_import.c). */
int gl_cmd_ci_import(int argc, char **argv);
int gl_cmd_ci_export(int argc, char **argv);
int gl_cmd_audit(int argc, char **argv);
int gl_cmd_ci_relate(int argc, char **argv);
int gl_cmd_ci_relations(int argc, char **argv);
int gl_cmd_what_changed(int argc, char **argv);
int gl_cmd_doc(int argc, char **argv);
int gl_cmd_report(int argc, char **argv);
int gl_cmd_calendar(int argc, char **argv);
int gl_cmd_window(int argc, char **argv);
int gl_cmd_blackout(int argc, char **argv);
/* Templates (cmd_template.c); the CAB agenda and emergency metrics (cmd_cab.c). */
int gl_cmd_template(int argc, char **argv);
int gl_cmd_cab(int argc, char **argv);
int gl_cmd_metrics(int argc, char **argv);

/*
 * Runs the subcommand named by argv[1] from `cmds` (n entries), passing it argv + 1 with
 * its argv[0] replaced by "<argv[0]> <name>". "help", "--help", "-h" and no subcommand
 * print `intro` and the table to stdout (exit 0 for help, 2 when nothing was given); an
 * unknown name prints one line to stderr and returns 2.
 */
int gl_cli_dispatch(const struct gl_cli_cmd *cmds, size_t n, const char *intro, int argc,
                    char **argv);

/* argv[0] of a command without the leading "greenlight ", for messages that already
 * start with "greenlight: " ("change list"). */
const char *gl_cli_cmdname(const char *argv0);

/* Prepares getopt_long for a fresh parse of a new argv (GNU: optind = 0). */
void gl_cli_getopt_reset(void);

/* One option of a command for gl_cli_parse: `--name ARG` stores ARG (borrowed from argv)
 * in *str; a flag (`--name`, str NULL) sets *flag. */
struct gl_cli_opt {
    const char *name;
    const char **str;
    bool *flag;
};
#define GL_CLI_STR(name, slot)                                                                     \
    {                                                                                              \
        (name), (slot), NULL                                                                       \
    }
#define GL_CLI_FLAG(name, slot)                                                                    \
    {                                                                                              \
        (name), NULL, (slot)                                                                       \
    }

/*
 * Parses a command's argv (cli_opts.c): -h/--help prints usage on stdout and returns -1;
 * with api not NULL the API options (--server, --token, --json) go to *api; each of the
 * nopts options (at most 32) lands in its slot; anything else is a usage error. Then the
 * positional arguments, from argv[optind], must number npos_min..npos_max, else the usage
 * error says the command "wants <positional>" ("exactly one CLIENT key"). Returns 0, -1
 * (help printed) or GL_EXIT_USAGE (the reason printed).
 */
struct gl_api_opts;
int gl_cli_parse(int argc, char **argv, const char *usage, struct gl_api_opts *api,
                 const struct gl_cli_opt *opts, size_t nopts, int npos_min, int npos_max,
                 const char *positional);

/* Prints "greenlight: <message>" on stderr and returns GL_EXIT_USAGE. */
int gl_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "greenlight: <message>" on stderr and returns GL_EXIT_FAIL. */
int gl_cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#ifdef __clang_analyzer__
/* For the static analyser, which sees one file at a time: the results are the constants
 * above (cli.c defines the functions with their names in parentheses). */
#define gl_cli_usage_error(...) (gl_cli_usage_error(__VA_ARGS__), GL_EXIT_USAGE)
#define gl_cli_fail(...) (gl_cli_fail(__VA_ARGS__), GL_EXIT_FAIL)
#endif
/* Prints "greenlight: warning: <message>" on stderr; the command goes on. */
void gl_cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses a whole decimal integer in [min, max]; returns 0 or -1. */
int gl_cli_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);

/* Creates the directory holding `path` (one level, like var/) when it is missing.
 * Returns 0, or -1 having printed why. */
int gl_cli_make_parent_dir(const char *path);

/* The current time in UTC seconds: the CLI is the edge where the clock is read. */
int64_t gl_cli_now(void);

#endif
