/*
 * The plain form's share of the server (POST /nojs, docs/PROTOCOL.md): a
 * few slots, each holding one form's body in guarded memory while it
 * arrives and is sealed, and the disk its envelopes may take.
 *
 * The form asks no proof of work (it has no script to compute one), so
 * its share is bounded instead of priced. A form must keep up with a
 * minimum rate once a grace period has passed: at `t` seconds it must have
 * sent min_rate * (t - grace) bytes. A slot that has fallen behind is taken
 * away when another form needs one, its memory wiped and freed at once,
 * and a form found behind when its next bytes arrive is cut off. So a
 * client trickling a byte now and then holds nothing, and holding a slot
 * costs min_rate bytes of upload for every second it is held.
 *
 * Times are passed in (monotonic milliseconds), so tests move the clock.
 * Every function is safe from any thread.
 */
#ifndef MALYAVA_DROPBOX_NOJS_GATE_H
#define MALYAVA_DROPBOX_NOJS_GATE_H

#include <stddef.h>
#include <stdint.h>

typedef struct mlv_nojs_gate mlv_nojs_gate;

/* A slot as one request holds it: a later holder of the same slot has
 * another generation, so a request whose slot was taken away can tell. */
typedef struct mlv_nojs_ticket {
    unsigned slot;
    uint64_t gen;
} mlv_nojs_ticket;

typedef enum mlv_nojs_gate_status {
    MLV_NOJS_GATE_OK = 0,
    MLV_NOJS_GATE_BUSY,  /* every slot held by a form keeping up (or being sealed) */
    MLV_NOJS_GATE_NOMEM, /* the body's memory could not be had */
    MLV_NOJS_GATE_GONE   /* the slot was taken away, or the form is behind the rate now */
} mlv_nojs_gate_status;

/* NULL when out of memory. `slots` >= 1, `min_rate` in bytes a second. */
mlv_nojs_gate *mlv_nojs_gate_new(unsigned slots, uint64_t min_rate, uint64_t grace_ms);
void mlv_nojs_gate_free(mlv_nojs_gate *g);

/* Takes a slot for a body of `len` (> 0) bytes, allocated in guarded
 * memory. When every slot is held, the one furthest behind the rate (if
 * any is) is taken away first. */
mlv_nojs_gate_status mlv_nojs_gate_enter(mlv_nojs_gate *g, size_t len, uint64_t now_ms, mlv_nojs_ticket *t);

/* Appends `n` bytes (at most what the body still lacks). GONE when the
 * slot was taken away, or when even with these bytes the form is behind
 * the rate: then the slot is released and the caller drops the request. */
mlv_nojs_gate_status mlv_nojs_gate_feed(mlv_nojs_gate *g, const mlv_nojs_ticket *t, const void *data, size_t n,
                                        uint64_t now_ms);

/* The whole body once every byte was fed, else NULL. From then on the
 * slot is never taken away: the caller reads the body until it leaves. */
const uint8_t *mlv_nojs_gate_body(mlv_nojs_gate *g, const mlv_nojs_ticket *t);

/* Wipes and frees the body and releases the slot, if the ticket still
 * holds it. */
void mlv_nojs_gate_leave(mlv_nojs_gate *g, const mlv_nojs_ticket *t);

/* How many bytes the plain form's stored envelopes hold now (from the
 * database); 0 or -1. */
typedef int (*mlv_nojs_stored_fn)(void *ctx, uint64_t *out);

/*
 * Reserves `bytes` of the disk share `share` for an envelope about to be
 * stored: what is stored (asked of `stored` while no other reservation can
 * change) plus what is being stored must stay within it. 0, or -1 when it
 * does not fit or `stored` failed (*full tells which).
 */
int mlv_nojs_gate_reserve_disk(mlv_nojs_gate *g, uint64_t bytes, uint64_t share, mlv_nojs_stored_fn stored, void *ctx,
                               int *full);
/* After the envelope is stored (and counted by `stored`) or abandoned. */
void mlv_nojs_gate_release_disk(mlv_nojs_gate *g, uint64_t bytes);

#endif
