/*
 * cli_opts.c - the option parsing every API command shares (gl_cli_parse).
 *
 * Most commands take a handful of string options and flags plus the API options; writing
 * the getopt_long loop, --help, the API options and the positional count check in each
 * command repeated the same twenty lines everywhere. Commands with their own option
 * tables (change, ci) or repeated options (user) keep their own loops.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/api_client.h"
#include "cli/cli.h"

#include "util/banned.h"

#define OPT_BASE 0x300
#define OPTS_MAX 32

int gl_cli_parse(int argc, char **argv, const char *usage, struct gl_api_opts *api,
                 const struct gl_cli_opt *opts, size_t nopts, int npos_min, int npos_max,
                 const char *positional)
{
    static const struct option api_opts[] = {GL_API_LONG_OPTIONS};
    struct option table[OPTS_MAX + 5];
    size_t n = 0;
    if (nopts > OPTS_MAX)
        return gl_cli_fail("internal error: too many options for %s", gl_cli_cmdname(argv[0]));
    if (api)
        for (size_t i = 0; i < sizeof api_opts / sizeof api_opts[0]; i++)
            table[n++] = api_opts[i];
    for (size_t i = 0; i < nopts; i++)
        table[n++] = (struct option){opts[i].name, opts[i].str ? required_argument : no_argument,
                                     NULL, OPT_BASE + (int)i};
    table[n++] = (struct option){"help", no_argument, NULL, 'h'};
    table[n] = (struct option){NULL, 0, NULL, 0};

    int c;
    gl_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "h", table, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return -1;
        }
        if (api && gl_api_opts_take(api, c, optarg))
            continue;
        if (c < OPT_BASE || c >= OPT_BASE + (int)nopts)
            return GL_EXIT_USAGE; /* getopt_long has said what was wrong */
        const struct gl_cli_opt *o = &opts[c - OPT_BASE];
        if (o->str)
            *o->str = optarg;
        else
            *o->flag = true;
    }
    int given = argc - optind;
    if (given < npos_min || given > npos_max) {
        if (npos_max == 0)
            return gl_cli_usage_error("%s: unexpected argument '%s' (see --help)",
                                      gl_cli_cmdname(argv[0]), argv[optind]);
        return gl_cli_usage_error("%s: wants %s (see --help)", gl_cli_cmdname(argv[0]),
                                  positional ? positional : "other arguments");
    }
    return 0;
}
