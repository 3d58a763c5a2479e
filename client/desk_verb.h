/*
 * Running `malyava` verbs inside the desk, with its unlocked vault lent
 * to them (mlv_vault_lend): for the command line over the desk's socket,
 * and for the pages' actions (import, extract, reply, export-replies,
 * retire, rewrap), so that both run exactly the code of the command line
 * and change with it.
 *
 * A verb runs in the desk's one thread with its streams and working
 * directory swapped in for the run: the client's (sent over the socket)
 * or memory files whose text the page shows.
 */
#ifndef MALYAVA_CLIENT_DESK_VERB_H
#define MALYAVA_CLIENT_DESK_VERB_H

#include <stddef.h>

#include "desk.h"
#include "desk_sock.h"

/* What a verb run for a page printed. */
typedef struct mlv_desk_output {
    int status;       /* its exit status */
    char *out, *err;  /* NUL-terminated, malloc'd, at most MLV_DESK_MAX_OUTPUT_BYTES each */
} mlv_desk_output;

/* Runs `argv` (NULL-ended) on the desk's vault with output captured;
 * 0, or -1 when it could not be run at all. */
int mlv_desk_verb_capture(mlv_desk *d, char **argv, mlv_desk_output *o);
void mlv_desk_output_clear(mlv_desk_output *o);
/* Empties and closes a memory file that held plaintext (-1: nothing). */
void mlv_desk_memfd_drop(int fd);

/* Takes one connection waiting on the socket and answers it. */
void mlv_desk_sock_serve(mlv_desk *d, int listen_fd);

#endif
