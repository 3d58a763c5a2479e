/*
 * Replies with a proof of origin (docs/FORMAT.md §4.5): see reply.h.
 *
 *   reply = "MLVREPLY" ‖ 0x02 ‖ proof ‖ envelope
 *   proof = crypto_box_seal(editor id ‖ nonce ‖ crypto_box(digest, nonce, reply pk, editor sk), reply pk)
 *   digest = BLAKE2b-256(key "malyava reply v2", editor id ‖ reply key id ‖ envelope)
 *
 * The order of checks when opening is the order of trust: the proof is
 * opened, the editor key looked up in the manifest, the digest compared in
 * constant time; only then is a byte of the envelope decrypted.
 */
#include <malyava/reply.h>

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static const char digest_key[] = "malyava reply v2";

_Static_assert(sizeof digest_key - 1u == crypto_generichash_KEYBYTES_MIN, "digest key length");
_Static_assert(MLV_REPLY_NONCE_BYTES == crypto_box_NONCEBYTES, "nonce size");
_Static_assert(MLV_REPLY_CLAIM_BYTES ==
                   MLV_KEY_ID_BYTES + crypto_box_NONCEBYTES + MLV_REPLY_DIGEST_BYTES + crypto_box_MACBYTES,
               "claim size");
_Static_assert(MLV_REPLY_PROOF_BYTES == MLV_REPLY_CLAIM_BYTES + crypto_box_SEALBYTES, "proof size");

const char *mlv_reply_strerror(mlv_reply_status status)
{
    switch (status) {
    case MLV_REPLY_OK: return "ok";
    case MLV_REPLY_ERR_MALFORMED: return "not a reply: damaged, or not made by Malyava";
    case MLV_REPLY_ERR_VERSION: return "a reply format this version of malyava does not read; upgrade it";
    case MLV_REPLY_ERR_UNPROVEN:
        return "a reply without proof of origin (sealed by a malyava older than reply format 2, or by anyone who "
               "knows the reply key, such as whoever holds the server)";
    case MLV_REPLY_ERR_NOT_FOR_ME: return "not a reply to this codename";
    case MLV_REPLY_ERR_UNLISTED:
        return "its proof names an editor key the organisation's manifest does not list (retired, or never theirs)";
    case MLV_REPLY_ERR_FORGED: return "its proof of origin does not hold: forged, or changed after sealing";
    case MLV_REPLY_ERR_ENVELOPE: return "the reply's envelope does not open";
    case MLV_REPLY_ERR_LIMIT: return "larger than a reply may be";
    case MLV_REPLY_ERR_USAGE: return "internal error: bad arguments";
    case MLV_REPLY_ERR_SYSTEM: return "out of memory";
    }
    return "unknown error";
}

static int is_envelope(const uint8_t *buf, size_t len)
{
    return len >= MLV_ENV_MAGIC_BYTES && memcmp(buf, MLV_ENV_MAGIC, MLV_ENV_MAGIC_BYTES) == 0;
}

/* One stanza, exactly the declared length: the envelope a reply carries. */
static mlv_reply_status envelope_shape(const uint8_t *env, size_t len, uint8_t recipient[MLV_KEY_ID_BYTES])
{
    mlv_env_header h;
    mlv_env_status st = mlv_env_header_parse(env, len, &h);

    if (st == MLV_ENV_ERR_VERSION)
        return MLV_REPLY_ERR_VERSION;
    if (st != MLV_ENV_OK || h.nrecipients != 1 || mlv_env_total_bytes(1, h.payload_bytes) != len)
        return MLV_REPLY_ERR_MALFORMED;
    memcpy(recipient, h.key_ids[0], MLV_KEY_ID_BYTES);
    return MLV_REPLY_OK;
}

mlv_reply_status mlv_reply_check_shape(const uint8_t *reply, size_t len, uint8_t recipient[MLV_KEY_ID_BYTES])
{
    mlv_reply_status st;

    memset(recipient, 0, MLV_KEY_ID_BYTES);
    if (reply == NULL)
        return MLV_REPLY_ERR_USAGE;
    if (len > MLV_REPLY_MAX_BYTES)
        return MLV_REPLY_ERR_LIMIT;
    if (is_envelope(reply, len)) {
        st = envelope_shape(reply, len, recipient);
        return st == MLV_REPLY_OK ? MLV_REPLY_ERR_UNPROVEN : st;
    }
    if (len <= MLV_REPLY_PREFIX_BYTES || memcmp(reply, MLV_REPLY_MAGIC, MLV_REPLY_MAGIC_BYTES) != 0)
        return MLV_REPLY_ERR_MALFORMED;
    if (reply[MLV_REPLY_MAGIC_BYTES] != MLV_REPLY_VERSION)
        return MLV_REPLY_ERR_VERSION;
    return envelope_shape(reply + MLV_REPLY_PREFIX_BYTES, len - MLV_REPLY_PREFIX_BYTES, recipient);
}

static void reply_digest(uint8_t out[MLV_REPLY_DIGEST_BYTES], const uint8_t editor_id[MLV_KEY_ID_BYTES],
                         const uint8_t reply_id[MLV_KEY_ID_BYTES], const uint8_t *env, size_t env_len)
{
    crypto_generichash_state h;

    crypto_generichash_init(&h, (const unsigned char *)digest_key, sizeof digest_key - 1u, MLV_REPLY_DIGEST_BYTES);
    crypto_generichash_update(&h, editor_id, MLV_KEY_ID_BYTES);
    crypto_generichash_update(&h, reply_id, MLV_KEY_ID_BYTES);
    crypto_generichash_update(&h, env, env_len);
    crypto_generichash_final(&h, out, MLV_REPLY_DIGEST_BYTES);
}

/* ---- sealing ------------------------------------------------------------ */

typedef struct growbuf {
    uint8_t *data;
    size_t len;
    int over;
} growbuf;

/* The envelope lands after room for the prefix; never past a reply's size. */
static int grow_write(void *ctx, const uint8_t *buf, size_t len)
{
    growbuf *g = ctx;
    uint8_t *grown;

    if (len > MLV_REPLY_MAX_BYTES - g->len) {
        g->over = 1;
        return -1;
    }
    if ((grown = realloc(g->data, g->len + len)) == NULL)
        return -1;
    memcpy(grown + g->len, buf, len);
    g->data = grown;
    g->len += len;
    return 0;
}

mlv_reply_status mlv_reply_seal(const mlv_box_keypair *editor, const uint8_t reply_pk[MLV_BOX_PUBLIC_BYTES],
                                const mlv_metadata *meta, uint8_t **out, size_t *out_len)
{
    uint8_t claim[MLV_REPLY_CLAIM_BYTES], digest[MLV_REPLY_DIGEST_BYTES], receipt[MLV_RECEIPT_BYTES];
    uint8_t *nonce = claim + MLV_KEY_ID_BYTES;
    growbuf g = { 0 };
    mlv_box_public to;
    mlv_pay_sealer *s = NULL;
    mlv_reply_status rc = MLV_REPLY_ERR_SYSTEM;
    mlv_env_status st;

    *out = NULL;
    *out_len = 0;
    if (editor == NULL || reply_pk == NULL || meta == NULL || meta->nfiles != 0)
        return MLV_REPLY_ERR_USAGE;
    if ((g.data = calloc(1, MLV_REPLY_PREFIX_BYTES)) == NULL)
        return MLV_REPLY_ERR_SYSTEM;
    g.len = MLV_REPLY_PREFIX_BYTES;
    memcpy(to.pk, reply_pk, sizeof to.pk);
    mlv_keyid_compute(to.id, to.pk, sizeof to.pk);
    st = mlv_pay_seal_new(&s, &to, 1, 0, meta, grow_write, &g);
    if (st == MLV_ENV_OK)
        st = mlv_pay_seal_finish(s, receipt);
    mlv_pay_seal_free(s);
    if (st != MLV_ENV_OK) {
        rc = g.over || st == MLV_ENV_ERR_LIMIT ? MLV_REPLY_ERR_LIMIT
             : st == MLV_ENV_ERR_MALFORMED   ? MLV_REPLY_ERR_USAGE
                                              : MLV_REPLY_ERR_SYSTEM;
        goto out;
    }
    /* Drawn after the envelope: the order docs/FORMAT.md §4.5 gives for vectors. */
    reply_digest(digest, editor->id, to.id, g.data + MLV_REPLY_PREFIX_BYTES, g.len - MLV_REPLY_PREFIX_BYTES);
    memcpy(claim, editor->id, MLV_KEY_ID_BYTES);
    randombytes_buf(nonce, MLV_REPLY_NONCE_BYTES);
    if (crypto_box_easy(nonce + MLV_REPLY_NONCE_BYTES, digest, sizeof digest, nonce, reply_pk, editor->sk) != 0 ||
        crypto_box_seal(g.data + MLV_REPLY_MAGIC_BYTES + 1u, claim, sizeof claim, reply_pk) != 0) {
        rc = MLV_REPLY_ERR_USAGE; /* a reply key that is not a usable X25519 point */
        goto out;
    }
    memcpy(g.data, MLV_REPLY_MAGIC, MLV_REPLY_MAGIC_BYTES);
    g.data[MLV_REPLY_MAGIC_BYTES] = MLV_REPLY_VERSION;
    *out = g.data;
    *out_len = g.len;
    g.data = NULL;
    rc = MLV_REPLY_OK;
out:
    free(g.data);
    sodium_memzero(claim, sizeof claim);
    sodium_memzero(digest, sizeof digest);
    return rc;
}

/* ---- opening ------------------------------------------------------------ */

/* The proof, checked: which manifest key made it. */
static mlv_reply_status check_proof(const uint8_t *reply, size_t len, const mlv_box_keypair *reply_key,
                                    const mlv_manifest *manifest, mlv_reply_result *res)
{
    uint8_t claim[MLV_REPLY_CLAIM_BYTES], digest[MLV_REPLY_DIGEST_BYTES], want[MLV_REPLY_DIGEST_BYTES];
    const uint8_t *env = reply + MLV_REPLY_PREFIX_BYTES, *nonce = claim + MLV_KEY_ID_BYTES;
    size_t env_len = len - MLV_REPLY_PREFIX_BYTES;
    mlv_reply_status rc;
    int k;

    if (crypto_box_seal_open(claim, reply + MLV_REPLY_MAGIC_BYTES + 1u, MLV_REPLY_PROOF_BYTES, reply_key->pk,
                             reply_key->sk) != 0)
        return MLV_REPLY_ERR_NOT_FOR_ME;
    memcpy(res->editor_id, claim, MLV_KEY_ID_BYTES);
    k = mlv_man_find(manifest, claim);
    if (k < 0) {
        rc = MLV_REPLY_ERR_UNLISTED;
        goto out;
    }
    rc = MLV_REPLY_ERR_FORGED;
    if (crypto_box_open_easy(digest, nonce + MLV_REPLY_NONCE_BYTES, MLV_REPLY_DIGEST_BYTES + crypto_box_MACBYTES,
                             nonce, manifest->keys[k].pk, reply_key->sk) != 0)
        goto out;
    reply_digest(want, claim, reply_key->id, env, env_len);
    if (crypto_verify_32(digest, want) != 0)
        goto out;
    res->editor_index = k;
    rc = MLV_REPLY_OK;
out:
    sodium_memzero(claim, sizeof claim);
    return rc;
}

mlv_reply_status mlv_reply_open(const uint8_t *reply, size_t len, const mlv_box_keypair *reply_key,
                                const mlv_manifest *manifest, const mlv_pay_callbacks *cb, void *cb_ctx,
                                mlv_reply_result *out)
{
    uint8_t recipient[MLV_KEY_ID_BYTES], receipt[MLV_RECEIPT_BYTES];
    mlv_pay_opener *o = NULL;
    mlv_reply_status rc;
    mlv_env_status st;

    memset(out, 0, sizeof *out);
    out->editor_index = -1;
    out->env_status = MLV_ENV_OK;
    if (reply_key == NULL || manifest == NULL || cb == NULL)
        return MLV_REPLY_ERR_USAGE;
    rc = mlv_reply_check_shape(reply, len, recipient);
    if (rc != MLV_REPLY_OK)
        return rc;
    if (sodium_memcmp(recipient, reply_key->id, MLV_KEY_ID_BYTES) != 0)
        return MLV_REPLY_ERR_NOT_FOR_ME;
    rc = check_proof(reply, len, reply_key, manifest, out);
    if (rc != MLV_REPLY_OK)
        return rc;
    st = mlv_pay_open_new(&o, &reply_key, 1, cb, cb_ctx);
    if (st == MLV_ENV_OK)
        st = mlv_pay_open_feed(o, reply + MLV_REPLY_PREFIX_BYTES, len - MLV_REPLY_PREFIX_BYTES);
    if (st == MLV_ENV_OK)
        st = mlv_pay_open_finish(o, receipt);
    mlv_pay_open_free(o);
    out->env_status = st;
    if (st == MLV_ENV_ERR_SYSTEM)
        return MLV_REPLY_ERR_SYSTEM;
    return st == MLV_ENV_OK ? MLV_REPLY_OK : MLV_REPLY_ERR_ENVELOPE;
}
