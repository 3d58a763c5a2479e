/*
 * Both sides of the proof of work read hostile text: the server a
 * Malyava-Pow header (dropbox/powcheck.c), `malyava submit` a server's
 * GET /api/v1/pow answer (client/tus_pow.c). The input goes to both.
 * An accepted header is exactly 64 + 1 + 16 hex characters and decodes
 * back to itself; a made-up challenge never passes the server's check;
 * an accepted answer never asks more than MLV_POW_MAX_BITS.
 */
#include <ctype.h>
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "powcheck.h"
#include "tus_pow.h"

static mlv_powcheck *gate;

void mlv_fuzz_harness_init(void)
{
    gate = mlv_powcheck_new(0);
    FUZZ_ASSERT(gate != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t challenge[MLV_POW_CHALLENGE_BYTES];
    char *value, again[2u * MLV_POW_CHALLENGE_BYTES + 1u];
    uint64_t nonce;
    unsigned bits;

    if (size > 4096)
        return 0;
    value = mlv_fuzz_cstring(data, size);
    if (mlv_powcheck_parse(value, challenge, &nonce) == 0) {
        FUZZ_ASSERT(strlen(value) == MLV_POWCHECK_HEADER_BYTES);
        sodium_bin2hex(again, sizeof again, challenge, sizeof challenge);
        for (size_t i = 0; i < 2u * MLV_POW_CHALLENGE_BYTES; i++)
            FUZZ_ASSERT(again[i] == tolower((unsigned char)value[i]));
    }
    /* The gate's key is its own: a guessed tag is a 2^-64 event. */
    FUZZ_ASSERT(mlv_powcheck_verify(gate, value, 29000000) != MLV_POWCHECK_OK);
    if (mlv_tus_pow_parse((const char *)data, size, challenge, &bits) == 0)
        FUZZ_ASSERT(bits <= MLV_POW_MAX_BITS);
    free(value);
    return 0;
}
