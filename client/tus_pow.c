/* See tus_pow.h. */
#include "tus_pow.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

int mlv_tus_pow_parse(const char *json, size_t len, uint8_t challenge[MLV_POW_CHALLENGE_BYTES], unsigned *bits)
{
    json_t *root = NULL, *ch, *b;
    const char *hex;
    size_t bin_len = 0;
    int rc = -1;

    if (len > MLV_TUS_POW_ANSWER_MAX)
        return -1;
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    ch = json_object_get(root, "challenge");
    b = json_object_get(root, "bits");
    if (!json_is_object(root) || json_object_size(root) != 2 || !json_is_string(ch) || !json_is_integer(b))
        goto out;
    hex = json_string_value(ch);
    if (json_string_length(ch) != 2u * MLV_POW_CHALLENGE_BYTES ||
        sodium_hex2bin(challenge, MLV_POW_CHALLENGE_BYTES, hex, 2u * MLV_POW_CHALLENGE_BYTES, NULL, &bin_len,
                       NULL) != 0 ||
        bin_len != MLV_POW_CHALLENGE_BYTES)
        goto out;
    if (json_integer_value(b) < 0 || json_integer_value(b) > (json_int_t)MLV_POW_MAX_BITS)
        goto out;
    *bits = (unsigned)json_integer_value(b);
    rc = 0;
out:
    json_decref(root);
    return rc;
}

int mlv_tus_pow_line(const uint8_t challenge[MLV_POW_CHALLENGE_BYTES], unsigned bits,
                     char line[MLV_TUS_POW_LINE_BYTES])
{
    char ch_hex[2u * MLV_POW_CHALLENGE_BYTES + 1u], nonce_hex[2u * MLV_POW_NONCE_BYTES + 1u];
    uint8_t le[MLV_POW_NONCE_BYTES];
    uint64_t nonce;

    if (mlv_pow_solve(challenge, bits, 0, &nonce) != 0)
        return -1;
    for (unsigned i = 0; i < MLV_POW_NONCE_BYTES; i++)
        le[i] = (uint8_t)(nonce >> (8u * i));
    sodium_bin2hex(ch_hex, sizeof ch_hex, challenge, MLV_POW_CHALLENGE_BYTES);
    sodium_bin2hex(nonce_hex, sizeof nonce_hex, le, sizeof le);
    snprintf(line, MLV_TUS_POW_LINE_BYTES, "Malyava-Pow: %s:%s", ch_hex, nonce_hex);
    return 0;
}
