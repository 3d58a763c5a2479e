/* PADMÉ: known values, never shrinking, monotonic, overhead bounded. */
#include <malyava/payload.h>

#include "check.h"

int main(void)
{
    static const struct {
        uint64_t in, out;
    } known[] = {
        { 0, 0 },         { 1, 1 },          { 2, 2 },         { 3, 3 },
        { 100, 104 },     { 1000, 1024 },    { 4096, 4096 },   { 4100, 4352 },
        { 65536, 65536 }, { 65537, 67584 },  { 1000000, 1015808 },
        { (UINT64_C(1) << 30) + 12345, 1107296256 },
    };
    uint64_t previous = 0, worst_ppm = 0;

    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        CHECK_EQ_INT(mlv_pad_padme(known[i].in), known[i].out);
    for (uint64_t len = 0; len < 300000; len++) {
        uint64_t p = mlv_pad_padme(len);

        if (p < len || p < previous) /* one CHECK per failure, not per length */
            CHECK(p >= len && p >= previous);
        previous = p;
        if (len >= 1024) {
            uint64_t ppm = (p - len) * 1000000 / len;
            worst_ppm = ppm > worst_ppm ? ppm : worst_ppm;
        }
    }
    /* The paper's bound: at most 12 % once sizes are past the small range. */
    CHECK(worst_ppm <= 120000);
    for (unsigned shift = 20; shift <= 36; shift++) {
        uint64_t len = (UINT64_C(1) << shift) + 1, p = mlv_pad_padme(len);

        CHECK(p >= len && (p - len) * 100 <= len * 12);
    }
    return check_exit();
}
