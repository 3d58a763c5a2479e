/* See replies_body.h. */
#include "replies_body.h"

#include <sodium.h>

#define HEX32 (2u * 32u)

/* 64 hex digits (either case) at `s` into 32 bytes. */
static int hex32(const char *s, size_t len, uint8_t out[32])
{
    size_t bin_len = 0;

    return len == HEX32 && sodium_hex2bin(out, 32, s, len, NULL, &bin_len, NULL) == 0 && bin_len == 32 ? 0 : -1;
}

int mlv_replies_body_parse(const char *body, size_t len, mlv_replies_kind kind, uint8_t token_hash[32],
                           uint8_t key[MLV_REPLIES_KEY_BYTES])
{
    static const uint8_t zero[MLV_REPLIES_KEY_BYTES];
    uint8_t *token = NULL;
    const char *rest = body + HEX32;
    size_t rest_len = len - HEX32;
    int rc = -1;

    if (len < HEX32 || len > MLV_REPLIES_BODY_MAX)
        return -1;
    if (kind == MLV_REPLIES_FETCH) {
        if (rest_len > 1u || (rest_len == 1u && rest[0] != '\n'))
            return -1;
    } else if (rest_len < 1u + HEX32 || rest_len > 2u + HEX32 || rest[0] != '\n' ||
               hex32(rest + 1, HEX32, key) != 0 || (rest_len == 2u + HEX32 && rest[1u + HEX32] != '\n') ||
               sodium_memcmp(key, zero, sizeof zero) == 0) {
        return -1;
    }
    token = sodium_malloc(MLV_REPLIES_TOKEN_BYTES);
    if (token == NULL || hex32(body, HEX32, token) != 0)
        goto out;
    crypto_generichash(token_hash, 32, token, MLV_REPLIES_TOKEN_BYTES, NULL, 0);
    rc = 0;
out:
    sodium_free(token);
    return rc;
}
