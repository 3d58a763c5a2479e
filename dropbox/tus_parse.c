/* Parsers of the tus headers the server reads: see tus_parse.h. */
#include "tus_parse.h"

#include <string.h>
#include <strings.h>

#include <malyava/limits.h>

int mlv_tus_parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (s == NULL || *s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - d) / 10u)
            return -1;
        v = v * 10u + d;
    }
    *out = v;
    return 0;
}

static int decode_base64(const char *s, size_t len, uint8_t *out, size_t max, size_t *out_len)
{
    return sodium_base642bin(out, max, s, len, NULL, out_len, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 ? 0 : -1;
}

int mlv_tus_metadata_ok(const char *s)
{
    const char *keys[MLV_SRV_MAX_METADATA_PAIRS];
    size_t key_lens[MLV_SRV_MAX_METADATA_PAIRS], npairs = 0;
    uint8_t scratch[MLV_SRV_MAX_HEADER_BYTES];
    int rc = -1;

    while (*s != '\0') {
        const char *key = s, *val, *end = strchr(s, ',');
        size_t key_len, val_len, decoded;

        if (end == NULL)
            end = s + strlen(s);
        key_len = strcspn(key, " ,");
        if (key_len == 0 || npairs == MLV_SRV_MAX_METADATA_PAIRS)
            goto out;
        for (size_t i = 0; i < npairs; i++) {
            if (key_lens[i] == key_len && memcmp(keys[i], key, key_len) == 0)
                goto out;
        }
        keys[npairs] = key;
        key_lens[npairs++] = key_len;
        val = key + key_len;
        if (val < end) {
            val++;
            val_len = (size_t)(end - val);
            if (val_len == 0 || val_len % 4u != 0 ||
                decode_base64(val, val_len, scratch, sizeof scratch, &decoded) != 0)
                goto out;
        }
        s = *end == ',' ? end + 1 : end;
        while (*s == ' ')
            s++;
        if (end[0] == ',' && *s == '\0')
            goto out;
    }
    rc = 0;
out:
    sodium_memzero(scratch, sizeof scratch);
    return rc;
}

mlv_tus_checksum_status mlv_tus_checksum_parse(const char *value, uint8_t digest[crypto_hash_sha256_BYTES])
{
    const char *b64 = strchr(value, ' ');
    size_t len = 0;

    if (b64 == NULL || (size_t)(b64 - value) != 6 || strncasecmp(value, "sha256", 6) != 0)
        return MLV_TUS_CHECKSUM_ALGORITHM;
    b64++;
    if (decode_base64(b64, strlen(b64), digest, crypto_hash_sha256_BYTES, &len) != 0 ||
        len != crypto_hash_sha256_BYTES)
        return MLV_TUS_CHECKSUM_DIGEST;
    return MLV_TUS_CHECKSUM_OK;
}
