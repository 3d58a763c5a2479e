/*
 * The server's side of the proof of work (docs/PROTOCOL.md): issuing
 * challenges, the difficulty an upload's declared length asks, checking
 * the Malyava-Pow header on upload creation, and remembering used
 * challenges until they expire.
 *
 * A challenge is 16 random bytes ‖ its expiry (u64 LE, minutes since the
 * epoch) ‖ an 8-byte tag: the first half of a keyed BLAKE2b-128 over the
 * first 24 bytes, under a key made at start and kept only in memory. So
 * the server stores nothing per challenge it hands out, a forged or edited
 * one fails the tag, and a restart voids every outstanding challenge.
 * Times are passed in, never read here, so tests can move the clock.
 */
#ifndef MALYAVA_DROPBOX_POWCHECK_H
#define MALYAVA_DROPBOX_POWCHECK_H

#include <stddef.h>
#include <stdint.h>

#include <malyava/pow.h>

/* "<64 hex>:<16 hex>" */
#define MLV_POWCHECK_HEADER_BYTES (2u * MLV_POW_CHALLENGE_BYTES + 1u + 2u * MLV_POW_NONCE_BYTES)

typedef struct mlv_powcheck mlv_powcheck;

typedef enum mlv_powcheck_status {
    MLV_POWCHECK_OK = 0,
    MLV_POWCHECK_MALFORMED, /* not "<64 hex>:<16 hex>" */
    MLV_POWCHECK_FORGED,    /* the tag does not match: not ours, or from before a restart */
    MLV_POWCHECK_EXPIRED,   /* older than MLV_SRV_POW_VALID_MINUTES */
    MLV_POWCHECK_WEAK,      /* fewer zero bits than asked */
    MLV_POWCHECK_REUSED,    /* already spent on an upload */
    MLV_POWCHECK_FULL       /* too many unexpired challenges spent: try in a few minutes */
} mlv_powcheck_status;

/* Parses "<challenge 64 hex>:<nonce 16 hex, the 8 LE bytes>"; lower or
 * upper case hex, nothing else. 0 or -1. */
int mlv_powcheck_parse(const char *value, uint8_t challenge[MLV_POW_CHALLENGE_BYTES], uint64_t *nonce);

/* A fresh key (sodium_malloc'd) and an empty memory of used challenges.
 * NULL when out of memory. `bits` may change later (SIGHUP). */
mlv_powcheck *mlv_powcheck_new(unsigned bits);
void mlv_powcheck_free(mlv_powcheck *p);
void mlv_powcheck_set_bits(mlv_powcheck *p, unsigned bits);
unsigned mlv_powcheck_bits(mlv_powcheck *p);

/* A new challenge valid until `now_minute` + MLV_SRV_POW_VALID_MINUTES. */
void mlv_powcheck_issue(mlv_powcheck *p, int64_t now_minute, uint8_t challenge[MLV_POW_CHALLENGE_BYTES]);

/* The bits an upload of `length` bytes needs under a quota of
 * `quota_bytes` (docs/PROTOCOL.md): the configured bits up to
 * quota_bytes / MLV_SRV_POW_QUOTA_SHARES, one more for each doubling past
 * that, at most MLV_POW_MAX_BITS; 0 while the configured bits are 0. */
unsigned mlv_powcheck_bits_for(mlv_powcheck *p, uint64_t length, uint64_t quota_bytes);

/* Checks a Malyava-Pow header value at `now_minute` against `bits` and,
 * when good, marks its challenge used. One BLAKE2b for the tag, one for
 * the work: microseconds. */
mlv_powcheck_status mlv_powcheck_verify_bits(mlv_powcheck *p, const char *value, int64_t now_minute, unsigned bits);
/* The same against the configured bits. */
mlv_powcheck_status mlv_powcheck_verify(mlv_powcheck *p, const char *value, int64_t now_minute);

/* Minutes since the epoch, the only clock the module is given. */
int64_t mlv_powcheck_minute(int64_t unix_seconds);

#endif
