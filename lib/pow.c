/* See pow.h. */
#include <malyava/pow.h>

#include <string.h>

#include <sodium.h>

unsigned mlv_pow_zero_bits(const uint8_t challenge[MLV_POW_CHALLENGE_BYTES], uint64_t nonce)
{
    uint8_t in[MLV_POW_CHALLENGE_BYTES + MLV_POW_NONCE_BYTES], digest[32];
    unsigned bits = 0;

    memcpy(in, challenge, MLV_POW_CHALLENGE_BYTES);
    for (unsigned i = 0; i < MLV_POW_NONCE_BYTES; i++)
        in[MLV_POW_CHALLENGE_BYTES + i] = (uint8_t)(nonce >> (8u * i));
    crypto_generichash(digest, sizeof digest, in, sizeof in, NULL, 0);
    for (size_t i = 0; i < sizeof digest; i++) {
        if (digest[i] != 0) {
            bits += (unsigned)__builtin_clz(digest[i]) - 24u;
            break;
        }
        bits += 8u;
    }
    return bits;
}

int mlv_pow_solve(const uint8_t challenge[MLV_POW_CHALLENGE_BYTES], unsigned bits, uint64_t start,
                  uint64_t *nonce)
{
    uint64_t n = start;

    if (bits > MLV_POW_MAX_BITS)
        return -1;
    while (mlv_pow_zero_bits(challenge, n) < bits)
        n++;
    *nonce = n;
    return 0;
}
