/*
 * What `serve` gives up once its sockets, files and threads exist: a
 * seccomp allowlist of the system calls serving needs (libseccomp), so a
 * bug exploited in a request handler cannot start programs, open network
 * connections or trace other processes. Config key `seccomp`.
 */
#ifndef MALYAVA_DROPBOX_HARDEN_H
#define MALYAVA_DROPBOX_HARDEN_H

/* Values of the `seccomp` setting. */
typedef enum mlv_harden_mode {
    MLV_HARDEN_OFF = 0,    /* no filter: for debugging only */
    MLV_HARDEN_ON = 1,     /* the default: allowlist enforced */
    MLV_HARDEN_REPORT = 2, /* a call outside the list fails with EPERM and is logged by number */
} mlv_harden_mode;

/*
 * Installs the filter on every thread of the process (TSYNC), with
 * no_new_privs. Call once, after the listening socket is open and the
 * HTTP threads run. 0, or -1 after logging why (the server must then
 * not serve).
 */
int mlv_harden_apply(mlv_harden_mode mode);

/*
 * `malyava-dropbox seccomp-selftest`, for the tests: applies the filter,
 * then calls socket(2), which it forbids. Never returns when the filter
 * works (the kernel kills the process with SIGSYS); returns 1 if it
 * does not.
 */
int mlv_harden_selftest(void);

#endif
