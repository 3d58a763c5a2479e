/* The body of POST /api/v1/replies/fetch (docs/PROTOCOL.md): hostile bytes. */
#ifndef MALYAVA_CLIENT_REPLIES_WIRE_H
#define MALYAVA_CLIENT_REPLIES_WIRE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Splits `u32 LE count, then per reply u32 LE length and the envelope`
 * into envelopes, each handed to `fn` (nonzero stops). -1 unless the
 * counts and lengths account for every byte exactly, within
 * MLV_SRV_FETCH_MAX_REPLIES and MLV_REPLY_MAX_BYTES.
 */
int mlv_replies_wire_split(const uint8_t *body, size_t len,
                           int (*fn)(void *ctx, const uint8_t *envelope, size_t len), void *ctx);

#endif
