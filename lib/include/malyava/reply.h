/*
 * A reply from the editors to a source (docs/FORMAT.md §4.5): an envelope
 * sealed to the source's reply key, preceded by a proof that an editor key
 * of the organisation-signed manifest made it.
 *
 * The reply key is public (the server stores it), so anyone can seal an
 * envelope to it; only the proof tells an editor's answer from a text
 * written by whoever holds the server. The proof is authenticated
 * public-key encryption (crypto_box) from the editor's secret key to the
 * reply key, over a digest that binds the whole envelope, the editor key
 * id and the reply key id, itself sealed to the reply key so the server
 * does not learn which editor answered.
 */
#ifndef MALYAVA_REPLY_H
#define MALYAVA_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "manifest.h"
#include "payload.h"

#define MLV_REPLY_MAGIC "MLVREPLY"
#define MLV_REPLY_MAGIC_BYTES 8u
/* 1 was a bare envelope, without proof of origin. */
#define MLV_REPLY_VERSION 2u
#define MLV_REPLY_NONCE_BYTES 24u  /* crypto_box_NONCEBYTES */
#define MLV_REPLY_DIGEST_BYTES 32u
/* editor key id ‖ nonce ‖ crypto_box(digest): 8 + 24 + 32 + 16 */
#define MLV_REPLY_CLAIM_BYTES (MLV_KEY_ID_BYTES + MLV_REPLY_NONCE_BYTES + MLV_REPLY_DIGEST_BYTES + 16u)
/* crypto_box_seal(claim): 32-byte ephemeral key, 16-byte tag */
#define MLV_REPLY_PROOF_BYTES (MLV_REPLY_CLAIM_BYTES + 48u)
#define MLV_REPLY_PREFIX_BYTES (MLV_REPLY_MAGIC_BYTES + 1u + MLV_REPLY_PROOF_BYTES)

typedef enum mlv_reply_status {
    MLV_REPLY_OK = 0,
    MLV_REPLY_ERR_MALFORMED, /* not a reply: bad magic, lengths, or an envelope not for exactly one key */
    MLV_REPLY_ERR_VERSION,   /* a reply format this build does not read */
    MLV_REPLY_ERR_UNPROVEN,  /* a bare envelope: no proof of origin at all */
    MLV_REPLY_ERR_NOT_FOR_ME,/* the proof does not open with this reply key */
    MLV_REPLY_ERR_UNLISTED,  /* the proof names an editor key the manifest does not list */
    MLV_REPLY_ERR_FORGED,    /* the proof does not hold for the key it names, or the envelope was changed */
    MLV_REPLY_ERR_ENVELOPE,  /* the proof holds, the envelope inside does not open (see env_status) */
    MLV_REPLY_ERR_LIMIT,     /* larger than MLV_REPLY_MAX_BYTES */
    MLV_REPLY_ERR_USAGE,
    MLV_REPLY_ERR_SYSTEM
} mlv_reply_status;

/* A short sentence for editors and tests; sources' tools word their own. */
const char *mlv_reply_strerror(mlv_reply_status status);

/*
 * Shape only, without any key (what the server can check): a reply of
 * this version whose envelope parses, has exactly one stanza and exactly
 * the length its header declares. The stanza's key id goes to `recipient`.
 * A bare envelope is UNPROVEN (its stanza's id still filled in).
 */
mlv_reply_status mlv_reply_check_shape(const uint8_t *reply, size_t len, uint8_t recipient[MLV_KEY_ID_BYTES])
    __attribute__((warn_unused_result));

/*
 * Seals `meta` (no files) to `reply_pk` as `editor`'s reply: the envelope,
 * then the proof. *out is malloc'd (ciphertext only). LIMIT past
 * MLV_REPLY_MAX_BYTES.
 */
mlv_reply_status mlv_reply_seal(const mlv_box_keypair *editor, const uint8_t reply_pk[MLV_BOX_PUBLIC_BYTES],
                                const mlv_metadata *meta, uint8_t **out, size_t *out_len)
    __attribute__((warn_unused_result));

typedef struct mlv_reply_result {
    int editor_index;              /* into manifest->keys, or -1 */
    uint8_t editor_id[MLV_KEY_ID_BYTES]; /* the id the proof names, once it opened */
    mlv_env_status env_status;     /* with MLV_REPLY_ERR_ENVELOPE */
} mlv_reply_result;

/*
 * Checks the proof with `reply_key` against the editor keys of `manifest`
 * (already verified by the caller), and only then opens the envelope,
 * handing its payload to `cb`. Nothing reaches `cb` from a reply whose
 * proof fails.
 */
mlv_reply_status mlv_reply_open(const uint8_t *reply, size_t len, const mlv_box_keypair *reply_key,
                                const mlv_manifest *manifest, const mlv_pay_callbacks *cb, void *cb_ctx,
                                mlv_reply_result *out) __attribute__((warn_unused_result));

#endif
