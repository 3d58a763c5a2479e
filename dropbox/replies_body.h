/*
 * The bodies of the sources' codename routes (docs/PROTOCOL.md), parsed
 * from bytes alone so they can be fuzzed:
 *   register  "<login token, 64 hex>\n<reply public key, 64 hex>[\n]"
 *   fetch     "<login token, 64 hex>[\n]"
 */
#ifndef MALYAVA_DROPBOX_REPLIES_BODY_H
#define MALYAVA_DROPBOX_REPLIES_BODY_H

#include <stddef.h>
#include <stdint.h>

#define MLV_REPLIES_TOKEN_BYTES 32u
#define MLV_REPLIES_KEY_BYTES 32u
/* Two hex lines and their newlines: the longest body either route takes. */
#define MLV_REPLIES_BODY_MAX (4u * 32u + 2u)

typedef enum mlv_replies_kind { MLV_REPLIES_FETCH, MLV_REPLIES_REGISTER } mlv_replies_kind;

/*
 * Checks a body of `kind` exactly; on success token_hash is BLAKE2b-256
 * of the decoded token (which is held only in guarded memory and wiped)
 * and, for REGISTER, key is the reply public key, never all zero. 0 or -1.
 */
int mlv_replies_body_parse(const char *body, size_t len, mlv_replies_kind kind, uint8_t token_hash[32],
                           uint8_t key[MLV_REPLIES_KEY_BYTES]);

#endif
