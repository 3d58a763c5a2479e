/*
 * Shared by the envelope tests: fixed editor keys, a growable byte buffer
 * to seal into, and helpers that seal and open whole buffers.
 */
#ifndef MALYAVA_TEST_SUPPORT_H
#define MALYAVA_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include <malyava/payload.h>

#define TEST_MAX_EDITORS 16u

typedef struct test_buf {
    uint8_t *data;
    size_t len, cap;
} test_buf;

int test_buf_write(void *ctx, const uint8_t *buf, size_t len); /* an mlv_env_write_fn */
void test_buf_free(test_buf *b);

/* Editor i's key pair comes from the seed of 32 bytes equal to i + 1. */
mlv_box_keypair *test_editor(unsigned i);
void test_editor_public(unsigned i, mlv_box_public *out);

/* What an opener delivered. */
typedef struct test_opened {
    mlv_metadata meta;    /* deep copy */
    test_buf files[8];    /* contents of the first 8 files */
    size_t ends;          /* on_file_end calls */
} test_opened;

extern const mlv_pay_callbacks test_opened_callbacks;
void test_opened_free(test_opened *o);

/* Opens `env` with `keys`, feeding it in pieces of `piece` bytes (0: all at
 * once). Returns the status of the first failing call. */
mlv_env_status test_open(const uint8_t *env, size_t len, const mlv_box_keypair *const *keys, size_t nkeys,
                         size_t piece, test_opened *out, uint8_t receipt[MLV_RECEIPT_BYTES]);

/* Seals `meta` whose file contents are `contents` (concatenated) to editors
 * 0..n-1. Fills in each file's digest from the contents first. */
mlv_env_status test_seal(mlv_metadata *meta, const uint8_t *contents, size_t contents_len, unsigned n,
                         uint8_t flags, test_buf *out, uint8_t receipt[MLV_RECEIPT_BYTES]);

#endif
