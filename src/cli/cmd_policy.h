/*
 * cmd_policy.h - the policy and risk commands (cmd_policy.c).
 */
#ifndef GL_CLI_CMD_POLICY_H
#define GL_CLI_CMD_POLICY_H

#include <stdint.h>

#include "store/store.h"

/* `greenlight policy show|set FILE|versions` */
int gl_cmd_policy(int argc, char **argv);
/* `greenlight change risk ID [--refresh]` */
int gl_cmd_change_risk(int argc, char **argv);

/* serve --policy FILE: parses and validates FILE and, when it differs from the policy in
 * force, stores it as the next version (actor "system"). Returns GL_EXIT_OK, or
 * GL_EXIT_FAIL having printed one line. */
int gl_cli_policy_load(struct gl_store *st, const char *path, int64_t now);

#endif
