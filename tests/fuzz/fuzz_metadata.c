/*
 * mlv_meta_decode: the metadata record an editor's machine parses after
 * decryption (JSON written by a possibly hostile source). Anything it
 * accepts must keep the rules (safe file names, limits) and re-encode to
 * a canonical fixed point.
 */
#include <string.h>

#include <malyava/payload.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mlv_metadata m;

    mlv_fuzz_rng_reset();
    memset(&m, 0, sizeof m);
    if (mlv_meta_decode((const char *)data, size, &m) == MLV_ENV_OK)
        mlv_fuzz_check_metadata(&m);
    /* A failed decode must leave nothing that clearing would free twice. */
    mlv_meta_clear(&m);
    return 0;
}
