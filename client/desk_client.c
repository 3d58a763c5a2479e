/* See desk_client.h. */
#include "desk_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/limits.h>

#include "desk_sock.h"

/* The verbs a desk runs: those that read or change what the vault holds
 * sealed. Key management, init and the source's verbs run here always. */
static const char *const verbs[] = {
    "list", "search", "show", "status", "tag", "note", "assign", "history",
    "report", "extract", "reply", "export-replies", "import",
};

int mlv_desk_verb_shared(const char *name)
{
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        if (strcmp(name, verbs[i]) == 0)
            return 1;
    }
    return 0;
}

int mlv_desk_forward(int argc, char **argv, int *status)
{
    char path[MLV_DESK_SOCK_PATH_BYTES];
    uint8_t *buf = NULL, answer[MLV_DESK_ANSWER_BYTES];
    int fds[MLV_DESK_SOCK_FDS] = { -1, 0, 1, 2 };
    int sock = -1, ret = -1;
    size_t len = 0, nfds = 0;
    mlv_desk_answer kind;
    const char *text;
    ssize_t n;

    if (argc < 1 || !mlv_desk_verb_shared(argv[0]) || mlv_desk_sock_path(path, 0) != 0)
        return -1;
    if ((sock = mlv_desk_sock_connect(path)) < 0)
        return -1;
    if ((buf = malloc(MLV_DESK_MAX_VERB_BYTES)) == NULL ||
        mlv_desk_wire_request(MLV_DESK_ASK_RUN, argc, argv, getenv("MALYAVA_VAULT"), buf, MLV_DESK_MAX_VERB_BYTES,
                              &len) != 0)
        goto out;
    /* The verb works where this process works, on its streams. */
    if ((fds[0] = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        goto out;
    fflush(stdout);
    if (mlv_desk_sock_send(sock, buf, len, fds, MLV_DESK_SOCK_FDS) != 0)
        goto out;
    n = mlv_desk_sock_recv(sock, answer, sizeof answer, NULL, 0, &nfds);
    if (n < 0 || mlv_desk_wire_parse_answer(answer, (size_t)n, &kind, status, &text) != 0) {
        fprintf(stderr, "malyava: the desk stopped before the command finished; "
                        "check what it did (e.g. `malyava history`) before running it again\n");
        *status = 1;
        ret = 0;
        goto out;
    }
    if (kind == MLV_DESK_LOCKED)
        fprintf(stderr, "malyava: the desk is locked; unlocking here for this command\n");
    ret = kind == MLV_DESK_DONE ? 0 : -1;
out:
    if (fds[0] >= 0)
        close(fds[0]);
    if (buf != NULL) {
        sodium_memzero(buf, len);
        free(buf);
    }
    close(sock);
    return ret;
}
