/*
 * Accept-Language against the pages' languages (dropbox/accept_lang.c).
 * The input is one header value, as libmicrohttpd hands it over (a C
 * string). The answer is always -1 or an index of the list, and the same
 * for the same input.
 */

#include "accept_lang.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const codes[] = { "en", "ru", "uk", "pt-br", "zh-hant" };
    const size_t n = sizeof codes / sizeof codes[0];
    char *value;
    int best;

    /* Headers are capped at 8 KiB in all; longer inputs only slow the run. */
    if (size > 16384)
        return 0;
    value = mlv_fuzz_cstring(data, size);
    best = mlv_lang_accept(value, codes, n);
    FUZZ_ASSERT(best >= -1 && best < (int)n);
    FUZZ_ASSERT(mlv_lang_accept(value, codes, n) == best);
    /* A language nobody listed is never chosen. */
    FUZZ_ASSERT(mlv_lang_accept(value, codes, 0) == -1);
    free(value);
    return 0;
}
