/*
 * The command line's side of the desk: a verb that would unlock the vault
 * is run by an open desk instead, over its Unix socket (desk_sock.h), so
 * that scripts and the browser share one unlock.
 */
#ifndef MALYAVA_CLIENT_DESK_CLIENT_H
#define MALYAVA_CLIENT_DESK_CLIENT_H

/*
 * When `argv[0]` is a verb the desk runs and a desk of this user answers
 * for the vault the verb names, the desk runs it with this process's
 * working directory and standard streams: 0, and *status is its exit
 * status. -1 when there is no such desk (none open, locked, another
 * vault): the caller runs the verb itself.
 */
int mlv_desk_forward(int argc, char **argv, int *status);

/* 1 for the verbs a desk runs for the command line. */
int mlv_desk_verb_shared(const char *name);

#endif
