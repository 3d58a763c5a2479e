/*
 * mlv_env_header_parse: what the server runs on the first bytes of every
 * upload. Besides not crashing it must be consistent about prefixes: the
 * server refuses an upload as soon as a prefix is an error, and accepts the
 * header as soon as a prefix is OK, so a longer input may never turn either
 * verdict around.
 */
#include <string.h>

#include <malyava/envelope.h>

#include "fuzz.h"

static void check_ok(const mlv_env_header *h, size_t len)
{
    FUZZ_ASSERT(h->nrecipients >= 1 && h->nrecipients <= MLV_MAX_RECIPIENTS);
    FUZZ_ASSERT(h->header_bytes == MLV_ENV_HEADER_BYTES(h->nrecipients));
    FUZZ_ASSERT(h->header_bytes <= len);
    FUZZ_ASSERT(h->payload_bytes <= MLV_MAX_PAYLOAD_BYTES);
    FUZZ_ASSERT(mlv_env_total_bytes(h->nrecipients, h->payload_bytes) > h->header_bytes);
    FUZZ_ASSERT(h->version == MLV_ENV_VERSION);
    FUZZ_ASSERT((h->flags & ~MLV_ENV_FLAG_SERVER_SEALED) == 0);
    for (uint32_t i = 0; i < h->nrecipients; i++)
        for (uint32_t j = 0; j < i; j++)
            FUZZ_ASSERT(memcmp(h->key_ids[i], h->key_ids[j], MLV_KEY_ID_BYTES) != 0);
}

static int same_header(const mlv_env_header *a, const mlv_env_header *b)
{
    return a->version == b->version && a->flags == b->flags && a->nrecipients == b->nrecipients &&
           a->payload_bytes == b->payload_bytes && a->header_bytes == b->header_bytes &&
           memcmp(a->key_ids, b->key_ids, (size_t)a->nrecipients * MLV_KEY_ID_BYTES) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mlv_env_header full, part;
    mlv_env_status st, pst;
    size_t cut;

    mlv_fuzz_rng_reset();
    memset(&full, 0, sizeof full);
    st = mlv_env_header_parse(data, size, &full);
    if (st == MLV_ENV_OK) {
        check_ok(&full, size);
        memset(&part, 0, sizeof part);
        FUZZ_ASSERT(mlv_env_header_parse(data, full.header_bytes, &part) == MLV_ENV_OK);
        FUZZ_ASSERT(same_header(&part, &full));
        FUZZ_ASSERT(mlv_env_header_parse(data, full.header_bytes - 1, &part) == MLV_ENV_NEED_MORE);
    }
    /* Two prefixes: an early one and one inside the stanzas. */
    for (unsigned k = 0; k < 2; k++) {
        cut = k == 0 ? size / 3 : size - size / 5;
        if (cut >= size)
            continue;
        memset(&part, 0, sizeof part);
        pst = mlv_env_header_parse(data, cut, &part);
        if (pst == MLV_ENV_OK) {
            FUZZ_ASSERT(st == MLV_ENV_OK && same_header(&part, &full));
        } else if (pst != MLV_ENV_NEED_MORE) {
            /* Same verdict class: refused stays refused. */
            FUZZ_ASSERT(st != MLV_ENV_OK && st != MLV_ENV_NEED_MORE);
        }
    }
    return 0;
}
