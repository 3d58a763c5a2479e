/*
 * The clocks of pending uploads, kept in memory only: when each last
 * received a byte (or was created, until its first byte), and whether it
 * has received any. The database keeps no more than the day of that (a
 * live image of the server must show no hour); a restart loses these
 * clocks and recovery starts them again from the restart (recover.h).
 *
 * An upload expires upload_expiry_hours after its last byte, or
 * MLV_SRV_UNSTARTED_EXPIRY_SECONDS after its creation if it never sent
 * one; a request that carries no byte moves nothing. Times are Unix
 * seconds passed in, never read here, so tests can move the clock.
 * Every function is safe from any thread.
 */
#ifndef MALYAVA_DROPBOX_PENDING_H
#define MALYAVA_DROPBOX_PENDING_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

typedef struct mlv_pending mlv_pending;

/* NULL when out of memory. `expiry_seconds`: after the last byte. */
mlv_pending *mlv_pending_new(int64_t expiry_seconds);
void mlv_pending_free(mlv_pending *t);

/* Starts the clock of `id` at `now` (replacing any). `started`: it has
 * bytes already (recovery), or will have them at once (the plain form). */
int mlv_pending_add(mlv_pending *t, const char *id, int64_t now, int started);
/* Bytes arrived for `id` at `now`: its clock restarts. */
void mlv_pending_touch(mlv_pending *t, const char *id, int64_t now);
void mlv_pending_remove(mlv_pending *t, const char *id);

/* When `id` expires (Unix seconds); an id without a clock gets one from
 * `now` first, so it cannot outlive its expiry by being forgotten. */
int64_t mlv_pending_deadline(mlv_pending *t, const char *id, int64_t now, int started);

/* The ids whose deadline is at or before `now`: *out is malloc'd (NULL
 * when there are none or memory ran out); returns how many. */
size_t mlv_pending_expired(mlv_pending *t, int64_t now, char (**out)[MLV_STORE_ID_HEX_BYTES]);

/* The upload that never received a byte and was created longest ago, if
 * at least MLV_SRV_EVICT_UNSTARTED_SECONDS ago: 0 and its id, else -1. */
int mlv_pending_victim(mlv_pending *t, int64_t now, char out[MLV_STORE_ID_HEX_BYTES]);

#endif
