/*
 * The answer to POST /api/v1/replies/fetch as `malyava replies` reads it
 * (client/replies_wire.c): a count, then length-prefixed envelopes, from
 * a server that may be hostile.
 *
 * Promises checked: accepted means every byte was accounted for, with
 * 1..32 replies of 1..MLV_REPLY_MAX_BYTES bytes lying inside the input.
 */
#include <malyava/limits.h>

#include "fuzz.h"
#include "replies_wire.h"

typedef struct seen {
    const uint8_t *start;
    size_t len, total, count;
} seen;

static int take(void *ctx, const uint8_t *env, size_t len)
{
    seen *s = ctx;

    FUZZ_ASSERT(len >= 1 && len <= MLV_REPLY_MAX_BYTES);
    FUZZ_ASSERT(env >= s->start && env + len <= s->start + s->len);
    s->total += len + 4u;
    s->count++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    seen s = { data, size, 0, 0 };

    if (mlv_replies_wire_split(data, size, take, &s) == 0) {
        FUZZ_ASSERT(s.count >= 1 && s.count <= MLV_SRV_FETCH_MAX_REPLIES);
        FUZZ_ASSERT(s.total + 4u == size);
    } else {
        FUZZ_ASSERT(s.count == 0);
    }
    return 0;
}
