/*
 * main.c - entry point of the greenlight binary; everything happens in src/cli/.
 */
#include "cli/cli.h"

int main(int argc, char **argv)
{
    return gl_cli_main(argc, argv);
}
