/*
 * The tus headers the server parses from every client (dropbox/tus_parse.c):
 * Upload-Length and Upload-Offset (strict decimal), Upload-Metadata
 * (syntax only; nothing is kept), Upload-Checksum. The input is one header
 * value; each parser gets it as a NUL-terminated string, as
 * libmicrohttpd hands it over.
 */
#include <string.h>

#include "fuzz.h"
#include "tus_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t digest[crypto_hash_sha256_BYTES];
    char *value;
    uint64_t n;

    /* Headers are capped far below this; longer inputs only slow the run. */
    if (size > 16384)
        return 0;
    value = malloc(size + 1);
    FUZZ_ASSERT(value != NULL);
    memcpy(value, data, size);
    value[size] = '\0';

    if (mlv_tus_parse_u64(value, &n) == 0) {
        /* Accepted means digits only, and the number prints back the same
         * unless it had leading zeros. */
        char again[24];

        FUZZ_ASSERT(strspn(value, "0123456789") == strlen(value));
        snprintf(again, sizeof again, "%llu", (unsigned long long)n);
        FUZZ_ASSERT(value[0] == '0' || strcmp(again, value) == 0);
    }
    (void)mlv_tus_metadata_ok(value);
    if (mlv_tus_checksum_parse(value, digest) == MLV_TUS_CHECKSUM_OK)
        FUZZ_ASSERT(strlen(value) > 7);
    free(value);
    return 0;
}
