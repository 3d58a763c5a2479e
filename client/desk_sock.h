/*
 * The desk's Unix socket: where it is and what travels on it.
 *
 * It lives in a directory only this user can enter (0700, owned by us,
 * not a link): $XDG_RUNTIME_DIR/malyava/, else /tmp/malyava-UID/. The
 * socket is 0600 and each side checks the other's uid (SO_PEERCRED).
 * It is a SOCK_SEQPACKET socket: a request is one datagram, so it
 * arrives whole with the descriptors it carries, or not at all.
 *
 * A request: "MLVD", version 1, what is asked (run a verb, or a new
 * address for the browser), a 16-bit argument count, a flag saying
 * whether the client's $MALYAVA_VAULT follows, then the arguments and
 * that value as NUL-terminated strings, nothing after. A run carries the
 * client's working directory, stdin, stdout and stderr as SCM_RIGHTS.
 * An answer: "MLVD", version 1, a kind, a 32-bit exit status, and an
 * optional NUL-terminated text (the address).
 */
#ifndef MALYAVA_CLIENT_DESK_SOCK_H
#define MALYAVA_CLIENT_DESK_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MLV_DESK_SOCK_PATH_BYTES 108u /* sun_path */
#define MLV_DESK_SOCK_FDS 4u          /* cwd, stdin, stdout, stderr */
#define MLV_DESK_ANSWER_BYTES 512u

typedef enum mlv_desk_ask {
    MLV_DESK_ASK_RUN = 1,     /* run argv with the descriptors sent */
    MLV_DESK_ASK_ADDRESS = 2  /* argv[0] is the vault path: a new one-time address */
} mlv_desk_ask;

typedef enum mlv_desk_answer {
    MLV_DESK_DONE = 0,    /* ran; the status is its exit status */
    MLV_DESK_LOCKED = 1,  /* the desk is locked: unlock here */
    MLV_DESK_FOREIGN = 2, /* another vault or key than the desk's */
    MLV_DESK_REFUSED = 3  /* a verb the desk does not run, or a bad request */
} mlv_desk_answer;

typedef struct mlv_desk_request {
    mlv_desk_ask ask;
    int argc;
    char **argv;           /* argc + 1 (NULL-ended), into the request's buffer; malloc'd */
    const char *vault_env; /* the client's $MALYAVA_VAULT, or NULL */
} mlv_desk_request;

/* Encodes a request into buf; -1 if it does not fit (or breaks a limit). */
int mlv_desk_wire_request(mlv_desk_ask ask, int argc, char *const *argv, const char *vault_env, uint8_t *buf,
                          size_t cap, size_t *len);
/* Decodes a request; its strings stay in `buf` (which the verbs may
 * change, as getopt's callers do). -1 for anything malformed. */
int mlv_desk_wire_parse_request(uint8_t *buf, size_t len, mlv_desk_request *out);
void mlv_desk_request_clear(mlv_desk_request *r);

int mlv_desk_wire_answer(mlv_desk_answer kind, int status, const char *text, uint8_t *buf, size_t cap, size_t *len);
/* *text points into buf (NULL when none). -1 for anything malformed. */
int mlv_desk_wire_parse_answer(const uint8_t *buf, size_t len, mlv_desk_answer *kind, int *status,
                               const char **text);

/* The socket's path; with `create`, its directory is made (0700) when
 * missing. -1 with errno set: EPERM when the directory is not ours alone. */
int mlv_desk_sock_path(char out[MLV_DESK_SOCK_PATH_BYTES], int create);
/* Connects to a desk of this user; -1 when none answers. */
int mlv_desk_sock_connect(const char *path);
/* Listens at `path` (0600), replacing a dead desk's socket; -1 with errno
 * (EADDRINUSE: a live desk is there). */
int mlv_desk_sock_listen(const char *path);
/* 1 if the peer runs as this user. */
int mlv_desk_sock_peer_ok(int fd);
/* One datagram with descriptors (nfds may be 0); 0 or -1. */
int mlv_desk_sock_send(int fd, const uint8_t *buf, size_t len, const int *fds, size_t nfds);
/* One datagram into buf, descriptors into fds (closed on failure); its
 * length, or -1 (nothing, truncated, or more descriptors than room). */
ssize_t mlv_desk_sock_recv(int fd, uint8_t *buf, size_t cap, int *fds, size_t maxfds, size_t *nfds);

#endif
