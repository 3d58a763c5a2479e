/*
 * Process-wide safety every program sets first: no core dumps, so a
 * crash never writes passphrases, secret keys or plaintext to disk, and
 * no other process of the same user may read this one's memory.
 */
#ifndef MALYAVA_PROC_H
#define MALYAVA_PROC_H

/* RLIMIT_CORE 0 and PR_SET_DUMPABLE 0. 0, or -1 with errno. */
int mlv_proc_no_core_dumps(void);

#endif
