/*
 * The proof of work a drop-box asks before it creates an upload
 * (docs/PROTOCOL.md): find a nonce such that
 * BLAKE2b-256(challenge ‖ nonce as 8 bytes little-endian) starts with at
 * least `bits` zero bits, bit 7 of byte 0 first. The server checks with
 * one hash; a client pays about 2^bits of them.
 */
#ifndef MALYAVA_POW_H
#define MALYAVA_POW_H

#include <stddef.h>
#include <stdint.h>

#define MLV_POW_CHALLENGE_BYTES 32u
#define MLV_POW_NONCE_BYTES 8u
/* The most any side asks or solves: 2^32 hashes is hours on a phone, so
 * no sane drop-box sets more and no client should try. */
#define MLV_POW_MAX_BITS 32u

/* Leading zero bits (0..256) of the digest for `nonce`. */
unsigned mlv_pow_zero_bits(const uint8_t challenge[MLV_POW_CHALLENGE_BYTES], uint64_t nonce);

/* The first nonce from `start` on that has at least `bits` zero bits.
 * -1 if `bits` is over MLV_POW_MAX_BITS. */
int mlv_pow_solve(const uint8_t challenge[MLV_POW_CHALLENGE_BYTES], unsigned bits, uint64_t start,
                  uint64_t *nonce) __attribute__((warn_unused_result));

#endif
