/*
 * Editor public key files (minisign's shape, "EX" tag): what an admin
 * adds to a manifest, maybe received from an editor over a channel an
 * adversary can touch. Anything accepted must carry a safe name and an
 * id that matches its key, and must format and parse back unchanged.
 */
#include <string.h>

#include <malyava/keyfile.h>
#include <malyava/keyid.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mlv_box_public pub, again, bare;
    char name[MLV_MAX_EDITOR_NAME_BYTES + 1], again_name[MLV_MAX_EDITOR_NAME_BYTES + 1], *small, *text = NULL;
    uint8_t id[MLV_KEY_ID_BYTES];
    size_t text_len = 0;
    mlv_key_status st;

    mlv_fuzz_rng_reset();
    st = mlv_key_box_public_parse((const char *)data, size, &pub, name, sizeof name);
    /* The name is optional, and a short buffer must truncate, not overflow
     * (heap-allocated at its exact size so the sanitizer sees the edge). */
    FUZZ_ASSERT(mlv_key_box_public_parse((const char *)data, size, &bare, NULL, 0) == st);
    small = malloc(4);
    FUZZ_ASSERT(small != NULL);
    FUZZ_ASSERT(mlv_key_box_public_parse((const char *)data, size, &bare, small, 4) == st);
    FUZZ_ASSERT(st != MLV_KEY_OK || strncmp(small, name, 3) == 0);
    free(small);
    if (st != MLV_KEY_OK)
        return 0;
    FUZZ_ASSERT(mlv_key_name_valid(name, strlen(name)));
    mlv_keyid_compute(id, pub.pk, sizeof pub.pk);
    FUZZ_ASSERT(memcmp(id, pub.id, sizeof id) == 0);
    FUZZ_ASSERT(mlv_key_box_public_format(&pub, name, &text, &text_len) == 0);
    FUZZ_ASSERT(mlv_key_box_public_parse(text, text_len, &again, again_name, sizeof again_name) == MLV_KEY_OK);
    FUZZ_ASSERT(memcmp(&pub, &again, sizeof pub) == 0 && strcmp(name, again_name) == 0);
    free(text);
    return 0;
}
