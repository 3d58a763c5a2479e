/*
 * mlv_reply_check_shape and mlv_reply_open (lib/reply.c): a reply as a
 * source's tool receives it from a drop-box that may be hostile, opened
 * with the fixed editor key as the reply key against a manifest that
 * lists only the fixed replier. Seeds are genuine replies, bare envelopes
 * and replies proven with a key of the forger's own. Promises: nothing
 * reaches the callbacks unless the proof holds; what opens had the right
 * shape, was sealed to this key and names the replier.
 */
#include <string.h>

#include <malyava/reply.h>

#include "fuzz.h"

static mlv_manifest manifest;

void mlv_fuzz_harness_init(void)
{
    mlv_fuzz_manifest_of_replier(&manifest);
}

typedef struct got {
    int metadata;
} got;

static int on_metadata(void *ctx, const mlv_metadata *m)
{
    got *g = ctx;

    mlv_fuzz_check_metadata(m);
    g->metadata++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const mlv_pay_callbacks cb = { on_metadata, NULL, NULL };
    const mlv_box_keypair *me = mlv_fuzz_editor_key();
    uint8_t recipient[MLV_KEY_ID_BYTES];
    mlv_reply_status shape, st;
    mlv_reply_result res;
    got g = { 0 };

    mlv_fuzz_rng_reset();
    shape = mlv_reply_check_shape(data, size, recipient);
    st = mlv_reply_open(data, size, me, &manifest, &cb, &g, &res);
    FUZZ_ASSERT(st != MLV_REPLY_ERR_USAGE && st != MLV_REPLY_ERR_SYSTEM);
    /* Opening never accepts what the server's shape check refuses. */
    FUZZ_ASSERT(shape == MLV_REPLY_OK || st == shape);
    if (st == MLV_REPLY_OK || st == MLV_REPLY_ERR_ENVELOPE) {
        FUZZ_ASSERT(memcmp(recipient, me->id, MLV_KEY_ID_BYTES) == 0);
        FUZZ_ASSERT(res.editor_index == 0);
        FUZZ_ASSERT(memcmp(res.editor_id, mlv_fuzz_replier_key()->id, MLV_KEY_ID_BYTES) == 0);
    } else {
        FUZZ_ASSERT(g.metadata == 0);
    }
    FUZZ_ASSERT(st != MLV_REPLY_OK || g.metadata == 1);
    return 0;
}
