/*
 * malyava: the editors' tool. This file only dispatches; each subcommand
 * lives in its own file (commands.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include <malyava/proc.h>

#include "commands.h"
#include "desk_client.h"

#ifndef MALYAVA_VERSION
#define MALYAVA_VERSION "unknown"
#endif

static void usage(FILE *out)
{
    fprintf(out, "usage: malyava COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < mlv_commands_count; i++)
        fprintf(out, "  %-15s %s\n", mlv_commands[i].name, mlv_commands[i].summary);
    fprintf(out, "\n`malyava COMMAND --help` shows a command's options; man malyava has the rest.\n");
}

int main(int argc, char **argv)
{
    const mlv_command *cmd;
    int status = 1;

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("malyava %s\n", MALYAVA_VERSION);
        return 0;
    }
    if (mlv_proc_no_core_dumps() != 0) {
        fprintf(stderr, "malyava: cannot turn core dumps off: %s\n", strerror(errno));
        return 1;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "malyava: libsodium failed to initialise; check that the system has a working random source\n");
        return 1;
    }
    cmd = mlv_command_find(argv[1]);
    if (cmd == NULL) {
        fprintf(stderr, "malyava: unknown command '%s'; run `malyava --help` for the list\n", argv[1]);
        return 2;
    }
    /* An open desk has the vault unlocked already: it runs the command. */
    if (mlv_desk_forward(argc - 1, argv + 1, &status) == 0)
        return status;
    return cmd->run(argc - 1, argv + 1);
}
