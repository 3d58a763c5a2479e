/*
 * The bodies of the codename routes a source's browser or `malyava
 * replies` sends (dropbox/replies_body.c): register (login token and
 * reply key, two hex lines) and fetch (the token). Each input is parsed
 * as both. Accepted means exactly the documented form, and the hash and
 * key are those of the hex digits sent.
 */
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "replies_body.h"

static void decode64(const char *s, uint8_t out[32])
{
    FUZZ_ASSERT(sodium_hex2bin(out, 32, s, 64, NULL, NULL, NULL) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    uint8_t hash[32], key[32], want[32], token[32];

    if (mlv_replies_body_parse(body, size, MLV_REPLIES_FETCH, hash, key) == 0) {
        FUZZ_ASSERT(size == 64 || (size == 65 && body[64] == '\n'));
        decode64(body, token);
        crypto_generichash(want, sizeof want, token, sizeof token, NULL, 0);
        FUZZ_ASSERT(memcmp(hash, want, sizeof want) == 0);
    }
    if (mlv_replies_body_parse(body, size, MLV_REPLIES_REGISTER, hash, key) == 0) {
        static const uint8_t zero[32];

        FUZZ_ASSERT(size == 129 || (size == 130 && body[129] == '\n'));
        FUZZ_ASSERT(body[64] == '\n');
        decode64(body, token);
        crypto_generichash(want, sizeof want, token, sizeof token, NULL, 0);
        FUZZ_ASSERT(memcmp(hash, want, sizeof want) == 0);
        decode64(body + 65, want);
        FUZZ_ASSERT(memcmp(key, want, sizeof want) == 0 && memcmp(key, zero, sizeof zero) != 0);
    }
    return 0;
}
