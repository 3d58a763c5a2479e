/* Key ids and fingerprints: see keyid.h. */
#include <malyava/keyid.h>

#include <string.h>

#include <sodium.h>

#define KEYID_DIGEST_BYTES 32u

static void keyid_digest(uint8_t digest[KEYID_DIGEST_BYTES], const uint8_t *pk, size_t pk_len)
{
    crypto_generichash(digest, KEYID_DIGEST_BYTES, pk, pk_len, NULL, 0);
}

void mlv_keyid_compute(uint8_t id[MLV_KEY_ID_BYTES], const uint8_t *pk, size_t pk_len)
{
    uint8_t digest[KEYID_DIGEST_BYTES];

    keyid_digest(digest, pk, pk_len);
    memcpy(id, digest, MLV_KEY_ID_BYTES);
}

void mlv_keyid_to_hex(char out[MLV_KEY_ID_STR_BYTES], const uint8_t id[MLV_KEY_ID_BYTES])
{
    sodium_bin2hex(out, MLV_KEY_ID_STR_BYTES, id, MLV_KEY_ID_BYTES);
}

int mlv_keyid_from_hex(uint8_t id[MLV_KEY_ID_BYTES], const char *hex, size_t hex_len)
{
    size_t bin_len = 0;
    const char *end = NULL;

    if (hex_len != MLV_KEY_ID_BYTES * 2u)
        return -1;
    if (sodium_hex2bin(id, MLV_KEY_ID_BYTES, hex, hex_len, NULL, &bin_len, &end) != 0 ||
        bin_len != MLV_KEY_ID_BYTES || end != hex + hex_len)
        return -1;
    return 0;
}

void mlv_keyid_fingerprint(char out[MLV_FINGERPRINT_STR_BYTES], const uint8_t *pk, size_t pk_len)
{
    static const char hexdigits[] = "0123456789abcdef";
    uint8_t digest[KEYID_DIGEST_BYTES];
    size_t pos = 0;

    keyid_digest(digest, pk, pk_len);
    /* 16 bytes as 8 groups of two bytes: short enough to read aloud. */
    for (size_t i = 0; i < 16u; i++) {
        if (i > 0 && i % 2u == 0)
            out[pos++] = ' ';
        out[pos++] = hexdigits[digest[i] >> 4];
        out[pos++] = hexdigits[digest[i] & 0x0f];
    }
    out[pos] = '\0';
}
