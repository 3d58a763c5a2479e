/*
 * The proof of work a drop-box asks before creating an upload
 * (docs/PROTOCOL.md): its GET /api/v1/pow answer read strictly, and the
 * Malyava-Pow header line made from the solution. No I/O, so
 * tests/fuzz/fuzz_pow.c feeds the reader hostile answers.
 */
#ifndef MALYAVA_CLIENT_TUS_POW_H
#define MALYAVA_CLIENT_TUS_POW_H

#include <stddef.h>
#include <stdint.h>

#include <malyava/pow.h>

/* The answer is about 90 bytes; anything much longer is not a drop-box's. */
#define MLV_TUS_POW_ANSWER_MAX 512u
/* "Malyava-Pow: " + 64 hex + ":" + 16 hex + NUL */
#define MLV_TUS_POW_LINE_BYTES (13u + 2u * MLV_POW_CHALLENGE_BYTES + 1u + 2u * MLV_POW_NONCE_BYTES + 1u)

/* {"challenge":"<64 hex>","bits":N}, N at most MLV_POW_MAX_BITS, nothing
 * else. 0 or -1. */
int mlv_tus_pow_parse(const char *json, size_t len, uint8_t challenge[MLV_POW_CHALLENGE_BYTES], unsigned *bits);

/* Solves and writes the header line for libcurl. 0 or -1. */
int mlv_tus_pow_line(const uint8_t challenge[MLV_POW_CHALLENGE_BYTES], unsigned bits,
                     char line[MLV_TUS_POW_LINE_BYTES]);

#endif
