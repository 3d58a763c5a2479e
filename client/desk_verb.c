/* See desk_verb.h. */
#include "desk_verb.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/limits.h>

#include "commands.h"
#include "desk_client.h"
#include "desk_index.h"

/* A request must arrive this soon after the connection. */
#define REQUEST_WAIT_MS 5000

/* Verbs that change what the index holds. */
static int writes(const char *verb)
{
    static const char *const w[] = { "status", "tag", "note", "assign", "reply", "import" };

    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        if (strcmp(verb, w[i]) == 0)
            return 1;
    }
    return 0;
}

typedef struct swap {
    int saved[3];
    int cwd;
} swap;

static void swap_undo(swap *s)
{
    fflush(stdout);
    for (int i = 0; i < 3; i++) {
        if (s->saved[i] >= 0) {
            dup2(s->saved[i], i);
            close(s->saved[i]);
        }
    }
    if (s->cwd >= 0) {
        if (fchdir(s->cwd) != 0)
            perror("malyava: cannot return to the desk's directory");
        close(s->cwd);
    }
    clearerr(stdin);
    clearerr(stdout);
    clearerr(stderr);
}

/* Points fds 0, 1, 2 and the working directory at the given ones. */
static int swap_in(swap *s, int cwd, int in, int out, int err)
{
    const int want[3] = { in, out, err };

    s->cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    for (int i = 0; i < 3; i++)
        s->saved[i] = -1;
    fflush(stdout);
    for (int i = 0; i < 3; i++) {
        if ((s->saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 3)) < 0 || dup2(want[i], i) < 0)
            goto fail;
    }
    if (s->cwd < 0 || fchdir(cwd) != 0)
        goto fail;
    return 0;
fail:
    swap_undo(s);
    return -1;
}

/* getopt keeps a pointer into the last argv it parsed: start it afresh. */
static void reset_getopt(void)
{
    static char name[] = "malyava";
    char *none[] = { name, NULL };

    optind = 0;
    opterr = 1;
    (void)getopt(1, none, "");
    optind = 1;
}

/* Runs a verb on the lent vault; *refused when it named another vault. */
static int run(mlv_desk *d, int argc, char **argv, const char *vault_env, const int fds[4], int *refused)
{
    const mlv_command *cmd = mlv_command_find(argv[0]);
    swap s;
    int status;

    if (cmd == NULL || swap_in(&s, fds[0], fds[1], fds[2], fds[3]) != 0)
        return -1;
    reset_getopt();
    mlv_vault_lend(&d->vault, vault_env);
    status = cmd->run(argc, argv);
    *refused = mlv_vault_lend_refused();
    mlv_vault_lend(NULL, NULL);
    swap_undo(&s);
    if (!*refused && writes(argv[0]))
        mlv_desk_refresh(d, 1);
    return status;
}

static char *slurp(int fd)
{
    off_t size = lseek(fd, 0, SEEK_END);
    size_t len = size > 0 ? (size_t)size : 0, got = 0;
    char *out;

    if (len > MLV_DESK_MAX_OUTPUT_BYTES)
        len = MLV_DESK_MAX_OUTPUT_BYTES;
    if ((out = malloc(len + 1u)) == NULL)
        return NULL;
    while (got < len) {
        ssize_t n = pread(fd, out + got, len - got, (off_t)got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    out[got] = '\0';
    return out;
}

int mlv_desk_verb_capture(mlv_desk *d, char **argv, mlv_desk_output *o)
{
    int out = memfd_create("malyava-desk-out", MFD_CLOEXEC), err = memfd_create("malyava-desk-err", MFD_CLOEXEC);
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC), root = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    int argc = 0, refused = 0, ret = -1;

    memset(o, 0, sizeof *o);
    while (argv[argc] != NULL)
        argc++;
    if (out >= 0 && err >= 0 && in >= 0 && root >= 0) {
        const int fds[4] = { root, in, out, err };

        o->status = run(d, argc, argv, d->vault_path, fds, &refused);
        if (o->status >= 0 && !refused && (o->out = slurp(out)) != NULL && (o->err = slurp(err)) != NULL)
            ret = 0;
    }
    /* What the verb printed may quote a testimony: drop the pages now. */
    mlv_desk_memfd_drop(out);
    mlv_desk_memfd_drop(err);
    if (in >= 0)
        close(in);
    if (root >= 0)
        close(root);
    if (ret != 0)
        mlv_desk_output_clear(o);
    return ret;
}

void mlv_desk_memfd_drop(int fd)
{
    if (fd < 0)
        return;
    if (ftruncate(fd, 0) != 0) {
        /* Closing frees the pages all the same. */
    }
    close(fd);
}

void mlv_desk_output_clear(mlv_desk_output *o)
{
    if (o->out != NULL)
        sodium_memzero(o->out, strlen(o->out));
    if (o->err != NULL)
        sodium_memzero(o->err, strlen(o->err));
    free(o->out);
    free(o->err);
    memset(o, 0, sizeof *o);
}

/* ---- the socket ----------------------------------------------------------- */

static int same_vault(const mlv_desk *d, const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && (uint64_t)st.st_dev == d->vault.file_dev &&
           (uint64_t)st.st_ino == d->vault.file_ino;
}

static void reply(int conn, mlv_desk_answer kind, int status, const char *text)
{
    uint8_t buf[MLV_DESK_ANSWER_BYTES];
    size_t len = 0;

    if (mlv_desk_wire_answer(kind, status, text, buf, sizeof buf, &len) == 0)
        (void)mlv_desk_sock_send(conn, buf, len, NULL, 0);
}

static void answer_run(mlv_desk *d, int conn, mlv_desk_request *r, const int *fds, size_t nfds)
{
    struct stat st;
    int refused = 0, status;

    if (nfds != MLV_DESK_SOCK_FDS || fstat(fds[0], &st) != 0 || !S_ISDIR(st.st_mode) ||
        !mlv_desk_verb_shared(r->argv[0])) {
        reply(conn, MLV_DESK_REFUSED, 2, NULL);
        return;
    }
    /* Another process may have written since, keys included (a key
     * added, or removed and the vault re-keyed): catch up first, which
     * locks the desk if its own key is gone. */
    if (mlv_desk_refresh(d, 0) != 0 || mlv_desk_is_locked(d)) {
        reply(conn, MLV_DESK_LOCKED, 0, NULL);
        return;
    }
    status = run(d, r->argc, r->argv, r->vault_env, fds, &refused);
    if (status < 0)
        reply(conn, MLV_DESK_REFUSED, 1, NULL);
    else
        reply(conn, refused ? MLV_DESK_FOREIGN : MLV_DESK_DONE, status, NULL);
    if (!refused)
        mlv_desk_touch(d);
}

void mlv_desk_sock_serve(mlv_desk *d, int listen_fd)
{
    int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC), fds[MLV_DESK_SOCK_FDS];
    struct pollfd p = { .fd = conn, .events = POLLIN };
    uint8_t *buf = NULL;
    mlv_desk_request r = { 0 };
    size_t nfds = 0;
    ssize_t n = -1;

    if (conn < 0)
        return;
    if (!mlv_desk_sock_peer_ok(conn) || poll(&p, 1, REQUEST_WAIT_MS) != 1 ||
        (buf = malloc(MLV_DESK_MAX_VERB_BYTES)) == NULL ||
        (n = mlv_desk_sock_recv(conn, buf, MLV_DESK_MAX_VERB_BYTES, fds, MLV_DESK_SOCK_FDS, &nfds)) < 0 ||
        mlv_desk_wire_parse_request(buf, (size_t)n, &r) != 0) {
        reply(conn, MLV_DESK_REFUSED, 2, NULL);
    } else if (r.ask == MLV_DESK_ASK_ADDRESS) {
        char url[MLV_DESK_ADDRESS_BYTES];

        if (nfds != 0 || !same_vault(d, r.argv[0])) {
            reply(conn, MLV_DESK_FOREIGN, 1, NULL);
        } else {
            mlv_desk_gate_address(d->gate, url);
            reply(conn, MLV_DESK_DONE, 0, url);
            sodium_memzero(url, sizeof url);
        }
    } else {
        answer_run(d, conn, &r, fds, nfds);
    }
    for (size_t i = 0; i < nfds; i++)
        close(fds[i]);
    mlv_desk_request_clear(&r);
    if (buf != NULL) {
        sodium_memzero(buf, n > 0 ? (size_t)n : 0);
        free(buf);
    }
    close(conn);
}
