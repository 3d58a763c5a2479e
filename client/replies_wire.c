/* See replies_wire.h. */
#include "replies_wire.h"

#include <malyava/limits.h>

static uint32_t load_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int mlv_replies_wire_split(const uint8_t *body, size_t len,
                           int (*fn)(void *ctx, const uint8_t *envelope, size_t len), void *ctx)
{
    uint32_t count;
    size_t at = 4;

    if (len < 4 || len > MLV_SRV_FETCH_MAX_BYTES)
        return -1;
    count = load_u32(body);
    if (count == 0 || count > MLV_SRV_FETCH_MAX_REPLIES)
        return -1;
    /* Everything is checked before anything is handed out. */
    for (uint32_t i = 0; i < count; i++) {
        uint32_t n;

        if (len - at < 4)
            return -1;
        n = load_u32(body + at);
        at += 4;
        if (n == 0 || n > MLV_REPLY_MAX_BYTES || n > len - at)
            return -1;
        at += n;
    }
    if (at != len)
        return -1;
    at = 4;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t n = load_u32(body + at);

        if (fn(ctx, body + at + 4, n) != 0)
            break;
        at += 4u + n;
    }
    return 0;
}
