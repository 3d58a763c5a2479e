/*
 * Test tool: the flooder's proof-of-work solver, at native speed (Python
 * would make the attacker a hundred times poorer than it is). Reads lines
 * "<challenge, 64 hex> <bits>" and answers each with
 * "<challenge>:<nonce, 16 hex LE> <hashes tried>".
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include <malyava/pow.h>

int main(void)
{
    char line[256], hex[2u * MLV_POW_CHALLENGE_BYTES + 1u], nonce_hex[2u * MLV_POW_NONCE_BYTES + 1u];
    uint8_t challenge[MLV_POW_CHALLENGE_BYTES], le[MLV_POW_NONCE_BYTES];
    unsigned bits;
    uint64_t nonce;
    size_t got;

    if (sodium_init() < 0)
        return 1;
    while (fgets(line, sizeof line, stdin) != NULL) {
        if (sscanf(line, "%64s %u", hex, &bits) != 2 ||
            sodium_hex2bin(challenge, sizeof challenge, hex, strlen(hex), NULL, &got, NULL) != 0 ||
            got != sizeof challenge || mlv_pow_solve(challenge, bits, 0, &nonce) != 0) {
            fprintf(stderr, "fld_solve: bad line\n");
            return 2;
        }
        for (unsigned i = 0; i < MLV_POW_NONCE_BYTES; i++)
            le[i] = (uint8_t)(nonce >> (8u * i));
        sodium_bin2hex(nonce_hex, sizeof nonce_hex, le, sizeof le);
        printf("%s:%s %llu\n", hex, nonce_hex, (unsigned long long)nonce + 1u);
        fflush(stdout);
    }
    return 0;
}
