/*
 * PADMÉ (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files
 * and Communication with PURBs", PETS 2019): round a length up so that
 * only O(log log L) bits of it remain, at most 12 % overhead. A 4 KB text
 * and a 3.9 KB text look the same; a photo and a video do not, which no
 * padding short of fixed-size envelopes could hide.
 */
#include <malyava/payload.h>

uint64_t mlv_pad_padme(uint64_t len)
{
    unsigned e, s, z;
    uint64_t mask;

    if (len < 2u)
        return len;
    e = 63u - (unsigned)__builtin_clzll(len);                  /* floor(log2 L) */
    s = (e == 0u ? 0u : 31u - (unsigned)__builtin_clz(e)) + 1u; /* floor(log2 E) + 1 */
    z = e - s;
    mask = (UINT64_C(1) << z) - 1u;
    return (len + mask) & ~mask;
}
