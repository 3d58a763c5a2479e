/*
 * Secret key files: what an editor's machine reads from a USB stick or a
 * backup before asking for the passphrase. mlv_key_secret_inspect (no
 * KDF) runs on every input; mlv_key_secret_decode with the fixed
 * passphrase only when the file asks for a trivial Argon2id cost, since
 * the accepted range reaches 1 GiB and 16 passes: that is a few seconds
 * per input by design, and fuzzing it would only measure Argon2id.
 *
 * The file ends in an unkeyed BLAKE2b checksum of the rest, which random
 * mutations never get right; so each input of the file's size is also
 * tried with its checksum made good, which opens every later check to
 * the fuzzer.
 */
#include <string.h>

#include <sodium.h>

#include <malyava/keyfile.h>
#include <malyava/keyid.h>

#include "fuzz.h"

/* Costs at which one Argon2id run takes well under a millisecond. */
#define CHEAP_OPSLIMIT 3u
#define CHEAP_MEMLIMIT (64u * 1024u)

/* The checksum: BLAKE2b-256 of everything before it, at the end. */
#define CHECKSUM_BYTES 32u
#define CHECKSUMMED_BYTES (MLV_KEY_SECRET_FILE_BYTES - CHECKSUM_BYTES)

static uint8_t *secret;

void mlv_fuzz_harness_init(void)
{
    secret = sodium_malloc(MLV_KEY_SECRET_BYTES);
    FUZZ_ASSERT(secret != NULL);
}

static int same_info(const mlv_key_info *a, const mlv_key_info *b)
{
    return a->kind == b->kind && a->kdf.opslimit == b->kdf.opslimit && a->kdf.memlimit == b->kdf.memlimit &&
           memcmp(a->id, b->id, sizeof a->id) == 0 && memcmp(a->pk, b->pk, sizeof a->pk) == 0;
}

static void check_opened(const mlv_key_info *info, const mlv_key_info *inspected)
{
    uint8_t pk[32], sign_sk[crypto_sign_SECRETKEYBYTES];

    FUZZ_ASSERT(same_info(info, inspected));
    /* The secret handed out is the one the public key belongs to. */
    if (info->kind == MLV_KEY_KIND_EDITOR)
        FUZZ_ASSERT(crypto_scalarmult_base(pk, secret) == 0);
    else
        FUZZ_ASSERT(crypto_sign_seed_keypair(pk, sign_sk, secret) == 0);
    FUZZ_ASSERT(memcmp(pk, info->pk, sizeof pk) == 0);
    sodium_memzero(sign_sk, sizeof sign_sk);
}

static void check_file(const uint8_t *data, size_t size)
{
    static const char pass[] = MLV_FUZZ_PASSPHRASE;
    mlv_key_info inspected, info;
    mlv_key_kind other;
    mlv_key_status st, ds;
    uint8_t id[MLV_KEY_ID_BYTES];

    st = mlv_key_secret_inspect(data, size, &inspected);
    if (st != MLV_KEY_OK) {
        /* Whatever inspect refuses, decode refuses the same way, before any KDF. */
        FUZZ_ASSERT(mlv_key_secret_decode(data, size, MLV_KEY_KIND_EDITOR, pass, sizeof pass - 1, secret, &info) == st);
        FUZZ_ASSERT(mlv_key_secret_decode(data, size, MLV_KEY_KIND_ORGANISATION, pass, sizeof pass - 1, secret,
                                          &info) == st);
        return;
    }
    FUZZ_ASSERT(size == MLV_KEY_SECRET_FILE_BYTES);
    FUZZ_ASSERT(inspected.kind == MLV_KEY_KIND_EDITOR || inspected.kind == MLV_KEY_KIND_ORGANISATION);
    FUZZ_ASSERT(inspected.kdf.opslimit >= crypto_pwhash_argon2id_OPSLIMIT_MIN &&
                inspected.kdf.opslimit <= MLV_KDF_MAX_OPSLIMIT);
    FUZZ_ASSERT(inspected.kdf.memlimit >= crypto_pwhash_argon2id_MEMLIMIT_MIN &&
                inspected.kdf.memlimit <= MLV_KDF_MAX_MEMLIMIT);
    mlv_keyid_compute(id, inspected.pk, sizeof inspected.pk);
    FUZZ_ASSERT(memcmp(id, inspected.id, sizeof id) == 0);

    other = inspected.kind == MLV_KEY_KIND_EDITOR ? MLV_KEY_KIND_ORGANISATION : MLV_KEY_KIND_EDITOR;
    FUZZ_ASSERT(mlv_key_secret_decode(data, size, other, pass, sizeof pass - 1, secret, &info) == MLV_KEY_ERR_KIND);
    if (inspected.kdf.opslimit > CHEAP_OPSLIMIT || inspected.kdf.memlimit > CHEAP_MEMLIMIT)
        return;
    ds = mlv_key_secret_decode(data, size, inspected.kind, pass, sizeof pass - 1, secret, &info);
    FUZZ_ASSERT(ds == MLV_KEY_OK || ds == MLV_KEY_ERR_PASSPHRASE || ds == MLV_KEY_ERR_CORRUPT);
    if (ds == MLV_KEY_OK) {
        check_opened(&info, &inspected);
        /* Intact file, other passphrase: told apart from damage. */
        FUZZ_ASSERT(mlv_key_secret_decode(data, size, inspected.kind, "wrong", 5, secret, &info) ==
                    MLV_KEY_ERR_PASSPHRASE);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t fixed[MLV_KEY_SECRET_FILE_BYTES];

    mlv_fuzz_rng_reset();
    check_file(data, size);
    if (size != sizeof fixed)
        return 0;
    memcpy(fixed, data, CHECKSUMMED_BYTES);
    crypto_generichash(fixed + CHECKSUMMED_BYTES, CHECKSUM_BYTES, fixed, CHECKSUMMED_BYTES, NULL, 0);
    if (memcmp(fixed, data, sizeof fixed) != 0)
        check_file(fixed, sizeof fixed);
    return 0;
}
