/*
 * The subcommands of `malyava`. Each takes the arguments after its own
 * name (argv[0] is the subcommand) and returns the process exit status:
 * 0 done, 1 failed, 2 usage error.
 */
#ifndef MALYAVA_CLIENT_COMMANDS_H
#define MALYAVA_CLIENT_COMMANDS_H

#include <stddef.h>

typedef struct mlv_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} mlv_command;

/* Every subcommand, in the order `malyava --help` lists them. */
extern const mlv_command mlv_commands[];
extern const size_t mlv_commands_count;
/* The subcommand called `name`, or NULL. */
const mlv_command *mlv_command_find(const char *name);

int mlv_cmd_seal(int argc, char **argv);
int mlv_cmd_open(int argc, char **argv);
int mlv_cmd_submit(int argc, char **argv);
int mlv_cmd_init(int argc, char **argv);
int mlv_cmd_key(int argc, char **argv);
int mlv_cmd_desk(int argc, char **argv);
int mlv_cmd_import(int argc, char **argv);
int mlv_cmd_list(int argc, char **argv);
int mlv_cmd_search(int argc, char **argv);
int mlv_cmd_show(int argc, char **argv);
int mlv_cmd_history(int argc, char **argv);
int mlv_cmd_report(int argc, char **argv);
int mlv_cmd_status(int argc, char **argv);
int mlv_cmd_tag(int argc, char **argv);
int mlv_cmd_note(int argc, char **argv);
int mlv_cmd_assign(int argc, char **argv);
int mlv_cmd_extract(int argc, char **argv);
int mlv_cmd_reply(int argc, char **argv);
int mlv_cmd_export_replies(int argc, char **argv);
int mlv_cmd_rewrap(int argc, char **argv);
int mlv_cmd_delete(int argc, char **argv);
int mlv_cmd_backup(int argc, char **argv);
int mlv_cmd_replies(int argc, char **argv);

#endif
