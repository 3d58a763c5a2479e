/*
 * The plaintext side of an envelope. MACs make the payload parser
 * unreachable from random ciphertext, so this harness seals the input as
 * the plaintext stream (metadata length, metadata record, contents,
 * padding) to the fixed editor key and opens it again: every byte of the
 * stream behind a valid header is the fuzzer's to choose.
 *
 * Also checks the envelope layer both ways: any plaintext seals, the plain
 * opener returns exactly it whatever the piece sizes, and a cut, extended
 * or reordered copy does not open.
 */
#include <string.h>

#include <sodium.h>

#include <malyava/envelope.h>

#include "fuzz.h"

static void seal(const uint8_t *data, size_t size, mlv_fuzz_buf *out, mlv_fuzz_cutter *cutter)
{
    mlv_box_public recipient;
    mlv_env_sealer *s = NULL;
    uint8_t receipt[MLV_RECEIPT_BYTES], expect[MLV_RECEIPT_BYTES];
    size_t off = 0, n;

    mlv_fuzz_editor_public(&recipient);
    FUZZ_ASSERT(mlv_env_seal_new(&s, &recipient, 1, size, 0, mlv_fuzz_buf_write, out) == MLV_ENV_OK);
    while (off < size) {
        n = mlv_fuzz_cutter_next(cutter, size - off);
        FUZZ_ASSERT(mlv_env_seal_push(s, data + off, n) == MLV_ENV_OK);
        off += n;
    }
    FUZZ_ASSERT(mlv_env_seal_finish(s, receipt) == MLV_ENV_OK);
    mlv_env_seal_free(s);
    FUZZ_ASSERT(out->len == out->max); /* exactly mlv_env_total_bytes */
    crypto_generichash(expect, sizeof expect, out->data, out->len, NULL, 0);
    FUZZ_ASSERT(memcmp(expect, receipt, sizeof expect) == 0);
}

/* Opens with the plain envelope opener; the plaintext goes to `plain`. */
static mlv_env_status open_env(const uint8_t *env, size_t len, mlv_fuzz_buf *plain, mlv_fuzz_cutter *cutter)
{
    const mlv_box_keypair *keys[1] = { mlv_fuzz_editor_key() };
    mlv_env_opener *o = NULL;
    uint8_t receipt[MLV_RECEIPT_BYTES];
    mlv_env_status st;
    size_t off = 0, n;

    FUZZ_ASSERT(mlv_env_open_new(&o, keys, 1, mlv_fuzz_buf_write, plain) == MLV_ENV_OK);
    for (st = MLV_ENV_OK; st == MLV_ENV_OK && off < len; off += n) {
        n = mlv_fuzz_cutter_next(cutter, len - off);
        st = mlv_env_open_feed(o, env + off, n);
    }
    if (st == MLV_ENV_OK)
        st = mlv_env_open_finish(o, receipt);
    mlv_env_open_free(o);
    return st;
}

/* Exactly the sealed bytes open, to exactly the plaintext; a byte less, a
 * byte more or two chunks swapped do not. */
static void check_roundtrip(const mlv_fuzz_buf *env, const uint8_t *data, size_t size, mlv_fuzz_cutter *cutter)
{
    mlv_fuzz_buf plain = { .max = size };
    size_t at = MLV_ENV_HEADER_BYTES(1), chunk = MLV_ENV_CHUNK_CT_BYTES;
    uint8_t *changed = malloc(env->len + 1);

    FUZZ_ASSERT(changed != NULL);
    FUZZ_ASSERT(open_env(env->data, env->len, &plain, cutter) == MLV_ENV_OK);
    FUZZ_ASSERT(plain.len == size && (size == 0 || memcmp(plain.data, data, size) == 0));
    plain.len = 0;
    FUZZ_ASSERT(open_env(env->data, env->len - 1, &plain, cutter) != MLV_ENV_OK);
    memcpy(changed, env->data, env->len);
    changed[env->len] = 0;
    plain.len = 0;
    FUZZ_ASSERT(open_env(changed, env->len + 1, &plain, cutter) != MLV_ENV_OK);
    if (env->len >= at + 2 * chunk) {
        memcpy(changed + at, env->data + at + chunk, chunk);
        memcpy(changed + at + chunk, env->data + at, chunk);
        plain.len = 0;
        FUZZ_ASSERT(open_env(changed, env->len, &plain, cutter) != MLV_ENV_OK);
    }
    free(changed);
    mlv_fuzz_buf_free(&plain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mlv_fuzz_buf env = { .max = mlv_env_total_bytes(1, size) };
    mlv_fuzz_cutter cutter;

    mlv_fuzz_rng_reset();
    mlv_fuzz_cutter_init(&cutter, data, size);
    seal(data, size, &env, &cutter);
    check_roundtrip(&env, data, size, &cutter);
    (void)mlv_fuzz_open_payload(env.data, env.len, &cutter);
    mlv_fuzz_buf_free(&env);
    return 0;
}
