/*
 * The parts of a tus request the server reads from hostile headers, as
 * functions over strings: no HTTP library, so a fuzzer drives them
 * directly (tests/fuzz/fuzz_tus_headers.c).
 */
#ifndef MALYAVA_DROPBOX_TUS_PARSE_H
#define MALYAVA_DROPBOX_TUS_PARSE_H

#include <stdint.h>

#include <sodium.h>

/* Strict decimal: digits only, no sign, no spaces, no overflow. 0 or -1. */
int mlv_tus_parse_u64(const char *s, uint64_t *out);

/*
 * Upload-Metadata: "key base64, key2 base64, key3" with keys non-empty,
 * without spaces or commas, distinct and at most MLV_SRV_MAX_METADATA_PAIRS,
 * values canonical base64. Only the syntax is checked: nothing of it is
 * kept, so a client's file name never touches the disk. 0 or -1.
 */
int mlv_tus_metadata_ok(const char *s);

typedef enum mlv_tus_checksum_status {
    MLV_TUS_CHECKSUM_OK = 0,
    MLV_TUS_CHECKSUM_ALGORITHM, /* not "sha256 <digest>" */
    MLV_TUS_CHECKSUM_DIGEST     /* not 32 bytes of base64 */
} mlv_tus_checksum_status;

/* Upload-Checksum: "sha256 <base64 of 32 bytes>". */
mlv_tus_checksum_status mlv_tus_checksum_parse(const char *value, uint8_t digest[crypto_hash_sha256_BYTES]);

#endif
