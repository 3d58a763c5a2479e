/*
 * mlv_org_public_parse: the organisation's public key file (minisign's
 * format), which a source's CLI pins and every manifest check trusts.
 * Anything accepted must format and parse back to the same key.
 */
#include <string.h>

#include <malyava/manifest.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mlv_org_public org, again;
    char *text = NULL;
    size_t text_len = 0;

    mlv_fuzz_rng_reset();
    if (mlv_org_public_parse((const char *)data, size, &org) != MLV_MAN_OK)
        return 0;
    FUZZ_ASSERT(mlv_org_public_format(&org, &text, &text_len) == 0);
    FUZZ_ASSERT(mlv_org_public_parse(text, text_len, &again) == MLV_MAN_OK);
    FUZZ_ASSERT(memcmp(org.id, again.id, sizeof org.id) == 0 && memcmp(org.pk, again.pk, sizeof org.pk) == 0);
    free(text);
    return 0;
}
