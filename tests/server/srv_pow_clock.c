/*
 * The proof-of-work gate (dropbox/powcheck.c) with its clock in the
 * test's hand: a challenge is good through its 30th minute and refused
 * from the 31st; forged, edited, weak, reused and malformed ones are
 * refused; a refused attempt does not spend a challenge; the memory of
 * used challenges is bounded and frees itself as they expire; another
 * key (a restart) voids every challenge; the price of a length.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include <malyava/limits.h>

#include "check.h"
#include "powcheck.h"

#define T0 29000000 /* minutes since the epoch, in 2025 */

/* The header value for `challenge` with the first nonce from `start`
 * that has at least (weak: fewer than) `bits` zero bits. */
static void header(char out[MLV_POWCHECK_HEADER_BYTES + 1u], const uint8_t challenge[MLV_POW_CHALLENGE_BYTES],
                   unsigned bits, int weak)
{
    uint8_t le[8];
    uint64_t n = 0;

    if (weak) {
        while (mlv_pow_zero_bits(challenge, n) >= bits)
            n++;
    } else {
        CHECK(mlv_pow_solve(challenge, bits, 0, &n) == 0);
    }
    for (unsigned i = 0; i < 8; i++)
        le[i] = (uint8_t)(n >> (8u * i));
    sodium_bin2hex(out, 65, challenge, MLV_POW_CHALLENGE_BYTES);
    out[64] = ':';
    sodium_bin2hex(out + 65, 17, le, sizeof le);
}

static mlv_powcheck_status fresh(mlv_powcheck *p, int64_t issued, int64_t checked, unsigned bits)
{
    uint8_t ch[MLV_POW_CHALLENGE_BYTES];
    char h[MLV_POWCHECK_HEADER_BYTES + 1u];

    mlv_powcheck_issue(p, issued, ch);
    header(h, ch, bits, 0);
    return mlv_powcheck_verify(p, h, checked);
}

static void test_parse(void)
{
    uint8_t ch[MLV_POW_CHALLENGE_BYTES];
    uint64_t n = 0;
    char h[MLV_POWCHECK_HEADER_BYTES + 8u]; /* room for a value one digit too long */

    memset(h, 'a', 64);
    strcpy(h + 64, ":0100000000000000");
    CHECK(mlv_powcheck_parse(h, ch, &n) == 0 && n == 1 && ch[0] == 0xaa);
    strcpy(h + 64, ":00000000000000FF");
    CHECK(mlv_powcheck_parse(h, ch, &n) == 0 && n == 0xff00000000000000ull);
    strcpy(h + 64, ":00000000000000F");
    CHECK(mlv_powcheck_parse(h, ch, &n) == -1);
    strcpy(h + 64, ":000000000000000g");
    CHECK(mlv_powcheck_parse(h, ch, &n) == -1);
    strcpy(h + 64, "-0000000000000000");
    CHECK(mlv_powcheck_parse(h, ch, &n) == -1);
    strcpy(h + 64, ":00000000000000000");
    CHECK(mlv_powcheck_parse(h, ch, &n) == -1);
    CHECK(mlv_powcheck_parse("", ch, &n) == -1);
}

static void test_clock(void)
{
    mlv_powcheck *p = mlv_powcheck_new(8), *other = mlv_powcheck_new(8);
    uint8_t ch[MLV_POW_CHALLENGE_BYTES];
    char h[MLV_POWCHECK_HEADER_BYTES + 1u], weak[MLV_POWCHECK_HEADER_BYTES + 1u];

    CHECK(p != NULL && other != NULL);
    CHECK_EQ_INT(fresh(p, T0, T0, 8), MLV_POWCHECK_OK);
    CHECK_EQ_INT(fresh(p, T0, T0 + MLV_SRV_POW_VALID_MINUTES, 8), MLV_POWCHECK_OK);
    CHECK_EQ_INT(fresh(p, T0, T0 + MLV_SRV_POW_VALID_MINUTES + 1, 8), MLV_POWCHECK_EXPIRED);
    CHECK_EQ_INT(fresh(p, T0, T0 + 100000, 8), MLV_POWCHECK_EXPIRED);

    mlv_powcheck_issue(p, T0, ch);
    header(h, ch, 8, 0);
    header(weak, ch, 8, 1);
    CHECK_EQ_INT(mlv_powcheck_verify(p, weak, T0), MLV_POWCHECK_WEAK);
    CHECK_EQ_INT(mlv_powcheck_verify(other, h, T0), MLV_POWCHECK_FORGED);
    CHECK_EQ_INT(mlv_powcheck_verify(p, h, T0 + 1), MLV_POWCHECK_OK);
    CHECK_EQ_INT(mlv_powcheck_verify(p, h, T0 + 2), MLV_POWCHECK_REUSED);
    /* Raising the bits applies to challenges already handed out. */
    mlv_powcheck_issue(p, T0, ch);
    header(h, ch, 8, 0);
    mlv_powcheck_set_bits(p, 24);
    CHECK(mlv_powcheck_bits(p) == 24);
    if (mlv_pow_zero_bits(ch, 0) < 24) /* the solution for 8 bits rarely has 24 */
        CHECK_EQ_INT(mlv_powcheck_verify(p, h, T0), MLV_POWCHECK_WEAK);
    mlv_powcheck_set_bits(p, 8);

    /* Every edit of the signed part or the tag is caught, whatever the work. */
    for (unsigned i = 0; i < MLV_POW_CHALLENGE_BYTES; i++) {
        mlv_powcheck_issue(p, T0, ch);
        ch[i] ^= 0x01;
        header(h, ch, 8, 0);
        CHECK_EQ_INT(mlv_powcheck_verify(p, h, T0), MLV_POWCHECK_FORGED);
    }
    CHECK_EQ_INT(mlv_powcheck_verify(p, "not a header", T0), MLV_POWCHECK_MALFORMED);
    mlv_powcheck_free(p);
    mlv_powcheck_free(other);
}

static void test_memory_bound(void)
{
    mlv_powcheck *p = mlv_powcheck_new(0);
    unsigned ok = 0;

    CHECK(p != NULL);
    for (unsigned i = 0; i < MLV_SRV_POW_MAX_USED; i++)
        ok += fresh(p, T0, T0, 0) == MLV_POWCHECK_OK;
    CHECK_EQ_INT(ok, MLV_SRV_POW_MAX_USED);
    CHECK_EQ_INT(fresh(p, T0, T0 + 1, 0), MLV_POWCHECK_FULL);
    /* Once those have expired they are forgotten, and room returns. */
    CHECK_EQ_INT(fresh(p, T0 + 40, T0 + 40, 0), MLV_POWCHECK_OK);
    CHECK_EQ_INT(fresh(p, T0 + 40, T0 + 41, 0), MLV_POWCHECK_OK);
    mlv_powcheck_free(p);
}

/* The price of a length (docs/PROTOCOL.md): pow_bits up to 1/512 of the
 * quota, one bit per doubling past it, never over 32, none when off; and
 * the gate asks exactly that. */
static void test_price(void)
{
    const uint64_t quota = 64ull << 30, unit = quota / MLV_SRV_POW_QUOTA_SHARES;
    mlv_powcheck *p = mlv_powcheck_new(20), *off = mlv_powcheck_new(0), *hard = mlv_powcheck_new(30);
    uint8_t ch[MLV_POW_CHALLENGE_BYTES];
    char h[MLV_POWCHECK_HEADER_BYTES + 1u];

    CHECK(p != NULL && off != NULL && hard != NULL);
    CHECK_EQ_INT(unit, 128u << 20);
    CHECK_EQ_INT(mlv_powcheck_bits_for(p, 0, quota), 20);
    CHECK_EQ_INT(mlv_powcheck_bits_for(p, 1000000, quota), 20);
    CHECK_EQ_INT(mlv_powcheck_bits_for(p, unit, quota), 20);
    CHECK_EQ_INT(mlv_powcheck_bits_for(p, unit + 1, quota), 21);
    CHECK_EQ_INT(mlv_powcheck_bits_for(p, 2 * unit, quota), 21);
    CHECK_EQ_INT(mlv_powcheck_bits_for(p, 3 * unit, quota), 22);
    CHECK_EQ_INT(mlv_powcheck_bits_for(p, 2ull << 30, quota), 24);
    CHECK_EQ_INT(mlv_powcheck_bits_for(p, UINT64_MAX, quota), MLV_POW_MAX_BITS);
    CHECK_EQ_INT(mlv_powcheck_bits_for(hard, 2ull << 30, quota), MLV_POW_MAX_BITS);
    CHECK_EQ_INT(mlv_powcheck_bits_for(p, 1000, 100), 30); /* a quota under 512 bytes: a unit of 1 */
    CHECK_EQ_INT(mlv_powcheck_bits_for(off, 2ull << 30, quota), 0);
    mlv_powcheck_set_bits(p, 8);
    mlv_powcheck_issue(p, T0, ch);
    header(h, ch, 9, 1);
    CHECK_EQ_INT(mlv_powcheck_verify_bits(p, h, T0, 9), MLV_POWCHECK_WEAK);
    header(h, ch, 9, 0);
    CHECK_EQ_INT(mlv_powcheck_verify_bits(p, h, T0, 9), MLV_POWCHECK_OK);
    mlv_powcheck_free(p);
    mlv_powcheck_free(off);
    mlv_powcheck_free(hard);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    test_parse();
    test_clock();
    test_memory_bound();
    test_price();
    return check_exit();
}
