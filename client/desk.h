/*
 * `malyava desk`: one unlock for a working session (docs/DESK.md).
 *
 * The desk holds the vault open and, while unlocked, its keys and a
 * decrypted index of every testimony (desk_index.h) in guarded memory.
 * It serves the editors' pages to one browser tab on 127.0.0.1
 * (desk_http.c, desk_gate.c, desk_routes.c) and runs command-line verbs
 * for scripts over a Unix socket (desk_verb.c), all from one thread. After
 * --idle-minutes without a request, or when the editor presses Lock, it
 * wipes the keys and the index; the page then asks for the passphrase
 * again (or, with --exit-on-lock, the process ends).
 */
#ifndef MALYAVA_CLIENT_DESK_H
#define MALYAVA_CLIENT_DESK_H

#include <stddef.h>
#include <stdint.h>

#include "desk_gate.h"
#include "desk_req.h"
#include "vault.h"

typedef struct mlv_desk_index mlv_desk_index;

typedef struct mlv_desk {
    mlv_vault vault;            /* open for the whole session */
    const char *vault_path;
    mlv_desk_index *index;      /* NULL while locked */
    mlv_desk_gate *gate;
    uint64_t idle_ms;           /* lock after this long without a request */
    uint64_t last_active_ms;
    int64_t changes;            /* the vault's change counter the index has seen */
    int exit_on_lock;
    int quit;                   /* set to end the event loop */
    unsigned port;
} mlv_desk;

/* Milliseconds on a clock that never jumps. */
uint64_t mlv_desk_now_ms(void);
/* A request from the editor: the idle clock starts again. */
void mlv_desk_touch(mlv_desk *d);
int mlv_desk_is_locked(const mlv_desk *d);

/* Wipes keys and index; with --exit-on-lock, ends the session. */
void mlv_desk_lock(mlv_desk *d);
/* Unlocks with key `key` (NULL: the oldest in use) and builds the index.
 * -1 after a message on stderr. */
int mlv_desk_unlock(mlv_desk *d, const char *key, const char *pass, size_t pass_len);
/* Builds the index after an unlock from the terminal. */
int mlv_desk_open_index(mlv_desk *d);
/*
 * Brings the index up to date with the vault: new testimonies, triage
 * changes, keys. With `force` always; otherwise only when another process
 * wrote to the vault since (the desk's own writes call it with force).
 */
int mlv_desk_refresh(mlv_desk *d, int force);

/* The pages' request handler (desk_routes.c). */
void mlv_desk_handle(void *desk, const mlv_desk_req *req, mlv_desk_resp *resp);

#endif
