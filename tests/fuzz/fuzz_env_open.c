/*
 * The whole opening path an editor runs on an envelope from the server:
 * header, stanzas, header MAC, chunks, metadata record, files, padding,
 * with the fixed editor key and the input fed in uneven pieces. Seeds are
 * real envelopes sealed to that key, so mutations reach every check; most
 * stop at a MAC, which is the point.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mlv_fuzz_cutter cutter;

    mlv_fuzz_rng_reset();
    mlv_fuzz_cutter_init(&cutter, data, size);
    (void)mlv_fuzz_open_payload(data, size, &cutter);
    return 0;
}
