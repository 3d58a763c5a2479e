/* See desk_sock.h. */
#include "desk_sock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <malyava/limits.h>

#define MAGIC "MLVD"
#define VERSION 1u
#define REQUEST_HEAD 9u /* magic, version, ask, argc (2), vault flag */
#define ANSWER_HEAD 10u /* magic, version, kind, status (4) */

_Static_assert(MLV_DESK_MAX_VERB_ARGS <= 0xFFFFu, "argc travels in 16 bits");

int mlv_desk_wire_request(mlv_desk_ask ask, int argc, char *const *argv, const char *vault_env, uint8_t *buf,
                          size_t cap, size_t *len)
{
    size_t n = REQUEST_HEAD;

    if (cap > MLV_DESK_MAX_VERB_BYTES)
        cap = MLV_DESK_MAX_VERB_BYTES;
    if (argc < 1 || (unsigned)argc > MLV_DESK_MAX_VERB_ARGS || cap < REQUEST_HEAD)
        return -1;
    memcpy(buf, MAGIC, 4);
    buf[4] = VERSION;
    buf[5] = (uint8_t)ask;
    buf[6] = (uint8_t)((unsigned)argc >> 8);
    buf[7] = (uint8_t)argc;
    buf[8] = vault_env != NULL;
    for (int i = 0; i <= argc; i++) {
        const char *s = i < argc ? argv[i] : vault_env;
        size_t sl;

        if (s == NULL)
            break;
        sl = strlen(s) + 1u;
        if (sl > cap - n)
            return -1;
        memcpy(buf + n, s, sl);
        n += sl;
    }
    *len = n;
    return 0;
}

int mlv_desk_wire_parse_request(uint8_t *buf, size_t len, mlv_desk_request *out)
{
    size_t pos = REQUEST_HEAD, want;
    int argc;

    memset(out, 0, sizeof *out);
    if (len < REQUEST_HEAD || len > MLV_DESK_MAX_VERB_BYTES || memcmp(buf, MAGIC, 4) != 0 || buf[4] != VERSION ||
        (buf[5] != MLV_DESK_ASK_RUN && buf[5] != MLV_DESK_ASK_ADDRESS) || buf[8] > 1)
        return -1;
    argc = (int)((unsigned)buf[6] << 8 | buf[7]);
    if (argc < 1 || (unsigned)argc > MLV_DESK_MAX_VERB_ARGS)
        return -1;
    want = (size_t)argc + buf[8];
    if ((out->argv = calloc((size_t)argc + 1u, sizeof *out->argv)) == NULL)
        return -1;
    for (size_t i = 0; i < want; i++) {
        uint8_t *nul = pos < len ? memchr(buf + pos, '\0', len - pos) : NULL;

        if (nul == NULL)
            goto bad;
        if (i < (size_t)argc)
            out->argv[i] = (char *)buf + pos;
        else
            out->vault_env = (const char *)buf + pos;
        pos = (size_t)(nul - buf) + 1u;
    }
    if (pos != len)
        goto bad;
    out->ask = (mlv_desk_ask)buf[5];
    out->argc = argc;
    return 0;
bad:
    mlv_desk_request_clear(out);
    return -1;
}

void mlv_desk_request_clear(mlv_desk_request *r)
{
    free(r->argv);
    memset(r, 0, sizeof *r);
}

int mlv_desk_wire_answer(mlv_desk_answer kind, int status, const char *text, uint8_t *buf, size_t cap, size_t *len)
{
    size_t tl = text != NULL ? strlen(text) + 1u : 0;
    uint32_t st = (uint32_t)status;

    if (cap < ANSWER_HEAD || tl > cap - ANSWER_HEAD)
        return -1;
    memcpy(buf, MAGIC, 4);
    buf[4] = VERSION;
    buf[5] = (uint8_t)kind;
    for (int i = 0; i < 4; i++)
        buf[6 + i] = (uint8_t)(st >> (24 - 8 * i));
    if (tl > 0)
        memcpy(buf + ANSWER_HEAD, text, tl);
    *len = ANSWER_HEAD + tl;
    return 0;
}

int mlv_desk_wire_parse_answer(const uint8_t *buf, size_t len, mlv_desk_answer *kind, int *status, const char **text)
{
    uint32_t st = 0;

    *text = NULL;
    if (len < ANSWER_HEAD || len > MLV_DESK_ANSWER_BYTES || memcmp(buf, MAGIC, 4) != 0 || buf[4] != VERSION ||
        buf[5] > MLV_DESK_REFUSED)
        return -1;
    for (int i = 0; i < 4; i++)
        st = st << 8 | buf[6 + i];
    if (len > ANSWER_HEAD) {
        if (memchr(buf + ANSWER_HEAD, '\0', len - ANSWER_HEAD) != buf + len - 1)
            return -1;
        *text = (const char *)buf + ANSWER_HEAD;
    }
    *kind = (mlv_desk_answer)buf[5];
    *status = (int)st;
    return 0;
}

/* ---- the socket ----------------------------------------------------------- */

/* A directory only this user may enter: ours, 0700, not a link. */
static int dir_ours(const char *dir, int create)
{
    struct stat st;

    if (create && mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -1;
    if (lstat(dir, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077) != 0) {
        errno = EPERM;
        return -1;
    }
    return 0;
}

int mlv_desk_sock_path(char out[MLV_DESK_SOCK_PATH_BYTES], int create)
{
    const char *run = getenv("XDG_RUNTIME_DIR");
    char dir[MLV_DESK_SOCK_PATH_BYTES];
    int n;

    if (run != NULL && run[0] == '/')
        n = snprintf(dir, sizeof dir, "%s/malyava", run);
    else
        n = snprintf(dir, sizeof dir, "/tmp/malyava-%lu", (unsigned long)getuid());
    if (n < 0 || (size_t)n >= sizeof dir - sizeof "/desk.sock") {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (dir_ours(dir, create) != 0)
        return -1;
    memcpy(out, dir, (size_t)n);
    memcpy(out + n, "/desk.sock", sizeof "/desk.sock");
    return 0;
}

int mlv_desk_sock_peer_ok(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof cred;

    return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && len == sizeof cred &&
           cred.uid == getuid();
}

static int address(const char *path, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa->sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(sa->sun_path, path, strlen(path));
    return 0;
}

int mlv_desk_sock_connect(const char *path)
{
    struct sockaddr_un sa;
    int fd, size = (int)MLV_DESK_MAX_VERB_BYTES + 4096;

    if (address(path, &sa) != 0 || (fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    /* A request is one datagram: room for the largest one. */
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    if (connect(fd, (const struct sockaddr *)&sa, sizeof sa) != 0 || !mlv_desk_sock_peer_ok(fd)) {
        close(fd);
        return -1;
    }
    return fd;
}

int mlv_desk_sock_listen(const char *path)
{
    struct sockaddr_un sa;
    struct stat st;
    mode_t old;
    int fd, live, rc;

    if (address(path, &sa) != 0)
        return -1;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode) || st.st_uid != getuid()) {
            errno = EPERM;
            return -1;
        }
        live = mlv_desk_sock_connect(path);
        if (live >= 0) {
            close(live);
            errno = EADDRINUSE;
            return -1;
        }
        /* A desk that died without cleaning up. */
        if (unlink(path) != 0)
            return -1;
    }
    if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
        return -1;
    old = umask(0177);
    rc = bind(fd, (const struct sockaddr *)&sa, sizeof sa);
    umask(old);
    if (rc != 0 || chmod(path, 0600) != 0 || listen(fd, 8) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int mlv_desk_sock_send(int fd, const uint8_t *buf, size_t len, const int *fds, size_t nfds)
{
    union {
        char buf[CMSG_SPACE(MLV_DESK_SOCK_FDS * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { (void *)(uintptr_t)buf, len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n;

    if (nfds > MLV_DESK_SOCK_FDS)
        return -1;
    if (nfds > 0) {
        struct cmsghdr *c;

        memset(&ctl, 0, sizeof ctl);
        msg.msg_control = ctl.buf;
        msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
    }
    do
        n = sendmsg(fd, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)len ? 0 : -1;
}

ssize_t mlv_desk_sock_recv(int fd, uint8_t *buf, size_t cap, int *fds, size_t maxfds, size_t *nfds)
{
    union {
        char buf[CMSG_SPACE(MLV_DESK_SOCK_FDS * sizeof(int)) + 64];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { buf, cap };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
    ssize_t n;
    int bad = 0;

    *nfds = 0;
    do
        n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        size_t k;

        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0))
            continue;
        k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; i++) {
            int got;

            memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof got);
            if (*nfds < maxfds)
                fds[(*nfds)++] = got;
            else {
                close(got);
                bad = 1;
            }
        }
    }
    if (bad || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 || n == 0) {
        for (size_t i = 0; i < *nfds; i++)
            close(fds[i]);
        *nfds = 0;
        return -1;
    }
    return n;
}
