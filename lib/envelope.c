/*
 * The envelope's encrypted stream (docs/FORMAT.md §1).
 *
 * Sealing: a random file key is sealed to each recipient; sub-keys for
 * the payload and the header MAC are derived from it; the plaintext is cut
 * into 64 KiB secretstream messages, the last tagged FINAL.
 *
 * Opening checks, in this order, and touches nothing further until each
 * check passes: structure of the header, a stanza for one of our keys,
 * that stanza's seal, the header MAC (constant time), then every chunk.
 * The header declares the payload length, so the opener knows each
 * chunk's size and which one must be FINAL: a cut-off envelope and one
 * with bytes appended are told apart wherever the cut or the addition is.
 */
#include <malyava/envelope.h>

#include <stddef.h>
#include <string.h>

#include <sodium.h>

#define FILE_KEY_BYTES MLV_ENV_FILE_KEY_BYTES
#define KDF_CONTEXT "MLVENV01"
#define KDF_ID_PAYLOAD 1u
#define KDF_ID_MAC 2u

_Static_assert(MLV_ENV_STANZA_BODY_BYTES == crypto_box_SEALBYTES + FILE_KEY_BYTES, "stanza body size");
_Static_assert(MLV_ENV_STREAM_HEADER_BYTES == crypto_secretstream_xchacha20poly1305_HEADERBYTES, "stream header");
_Static_assert(MLV_ENV_CHUNK_OVERHEAD == crypto_secretstream_xchacha20poly1305_ABYTES, "chunk overhead");
_Static_assert(FILE_KEY_BYTES == crypto_kdf_KEYBYTES, "file key is a kdf key");
_Static_assert(MLV_MAX_RECIPIENTS <= 255u, "recipient count fits one byte");

const char *mlv_env_strerror(mlv_env_status status)
{
    switch (status) {
    case MLV_ENV_OK: return "success";
    case MLV_ENV_NEED_MORE: return "the envelope header is incomplete; more bytes are needed";
    case MLV_ENV_ERR_MALFORMED:
        return "not a valid Malyava envelope (bad structure); it was not made by a Malyava sealer or was damaged";
    case MLV_ENV_ERR_VERSION:
        return "the envelope uses a format version this program does not read; update Malyava";
    case MLV_ENV_ERR_NOT_FOR_ME:
        return "the envelope is not addressed to any of the given keys; try another editor key (retired keys too)";
    case MLV_ENV_ERR_TAMPERED:
        return "the envelope failed authentication: it was altered or damaged; do not trust any part of it";
    case MLV_ENV_ERR_TRUNCATED:
        return "the envelope is cut short: its end is missing; fetch or copy it again";
    case MLV_ENV_ERR_TRAILING:
        return "the envelope has extra bytes after its end; it was altered or two files were joined";
    case MLV_ENV_ERR_LIMIT: return "the envelope exceeds a limit of this program (too many recipients or too large)";
    case MLV_ENV_ERR_USAGE: return "internal error: the envelope functions were called wrongly";
    case MLV_ENV_ERR_INPUT_CHANGED:
        return "a file changed while it was being sealed; seal again when nothing is writing to it";
    case MLV_ENV_ERR_SYSTEM: return "out of memory, or the output could not be written";
    }
    return "unknown envelope error";
}

void mlv_env_receipt_to_string(char out[MLV_RECEIPT_STR_BYTES], const uint8_t receipt[MLV_RECEIPT_BYTES])
{
    static const char hexdigits[] = "0123456789abcdef";
    size_t pos = 0;

    for (size_t i = 0; i < MLV_RECEIPT_BYTES; i++) {
        if (i > 0 && i % 2u == 0)
            out[pos++] = '-';
        out[pos++] = hexdigits[receipt[i] >> 4];
        out[pos++] = hexdigits[receipt[i] & 0x0f];
    }
    out[pos] = '\0';
}

/* ---- header structure ---------------------------------------------------- */

static uint64_t load_u64(const uint8_t *p)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8u * i);
    return v;
}

static void store_u64(uint8_t *p, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8u * i));
}

/* Chunks for a payload: all full but the last, which holds the rest (an
 * empty payload is one empty FINAL chunk). */
static uint64_t chunk_count(uint64_t payload)
{
    return payload == 0 ? 1 : (payload + MLV_CHUNK_BYTES - 1) / MLV_CHUNK_BYTES;
}

static size_t last_chunk_plain(uint64_t payload)
{
    return (size_t)(payload - (chunk_count(payload) - 1) * MLV_CHUNK_BYTES);
}

uint64_t mlv_env_total_bytes(uint32_t nrecipients, uint64_t payload_bytes)
{
    return MLV_ENV_HEADER_BYTES((uint64_t)nrecipients) + payload_bytes +
           chunk_count(payload_bytes) * MLV_ENV_CHUNK_OVERHEAD;
}

mlv_env_status mlv_env_header_parse(const uint8_t *buf, size_t len, mlv_env_header *out)
{
    uint64_t payload;
    size_t n, need;

    memset(out, 0, sizeof *out);
    if (len == 0)
        return MLV_ENV_NEED_MORE;
    /* Decide as early as the bytes allow: a server refuses on the first packet. */
    if (memcmp(buf, MLV_ENV_MAGIC, len < MLV_ENV_MAGIC_BYTES ? len : MLV_ENV_MAGIC_BYTES) != 0)
        return MLV_ENV_ERR_MALFORMED;
    if (len < MLV_ENV_MAGIC_BYTES + 1u)
        return MLV_ENV_NEED_MORE;
    if (buf[7] != MLV_ENV_VERSION)
        return MLV_ENV_ERR_VERSION;
    if (len < 9u)
        return MLV_ENV_NEED_MORE;
    if ((buf[8] & (uint8_t)~MLV_ENV_FLAG_SERVER_SEALED) != 0)
        return MLV_ENV_ERR_MALFORMED;
    if (len < 10u)
        return MLV_ENV_NEED_MORE;
    if (buf[9] == 0)
        return MLV_ENV_ERR_MALFORMED;
    if (buf[9] > MLV_MAX_RECIPIENTS)
        return MLV_ENV_ERR_LIMIT;
    if (len < MLV_ENV_FIXED_BYTES)
        return MLV_ENV_NEED_MORE;
    n = buf[9];
    if (n == 0)
        return MLV_ENV_ERR_MALFORMED;
    if (n > MLV_MAX_RECIPIENTS)
        return MLV_ENV_ERR_LIMIT;
    payload = load_u64(buf + 10);
    if (payload > MLV_MAX_PAYLOAD_BYTES)
        return MLV_ENV_ERR_LIMIT;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *s = buf + MLV_ENV_FIXED_BYTES + i * MLV_ENV_STANZA_BYTES;
        size_t have = len - MLV_ENV_FIXED_BYTES;
        size_t at = i * MLV_ENV_STANZA_BYTES;

        if (have <= at)
            break;
        have -= at;
        if (s[0] != MLV_ENV_STANZA_X25519)
            return MLV_ENV_ERR_MALFORMED;
        if (have < 1u + MLV_KEY_ID_BYTES)
            break;
        for (size_t j = 0; j < i; j++) {
            if (memcmp(out->key_ids[j], s + 1, MLV_KEY_ID_BYTES) == 0)
                return MLV_ENV_ERR_MALFORMED;
        }
        memcpy(out->key_ids[i], s + 1, MLV_KEY_ID_BYTES);
        if (have < 1u + MLV_KEY_ID_BYTES + 2u)
            break;
        if ((size_t)s[9] + ((size_t)s[10] << 8) != MLV_ENV_STANZA_BODY_BYTES)
            return MLV_ENV_ERR_MALFORMED;
    }
    need = MLV_ENV_HEADER_BYTES(n);
    if (len < need) {
        memset(out, 0, sizeof *out);
        return MLV_ENV_NEED_MORE;
    }
    out->version = buf[7];
    out->flags = buf[8];
    out->nrecipients = (uint32_t)n;
    out->payload_bytes = payload;
    out->header_bytes = need;
    return MLV_ENV_OK;
}

static void derive_keys(uint8_t payload_key[crypto_secretstream_xchacha20poly1305_KEYBYTES],
                        uint8_t mac_key[crypto_generichash_KEYBYTES], const uint8_t file_key[FILE_KEY_BYTES])
{
    crypto_kdf_derive_from_key(payload_key, crypto_secretstream_xchacha20poly1305_KEYBYTES, KDF_ID_PAYLOAD,
                               KDF_CONTEXT, file_key);
    crypto_kdf_derive_from_key(mac_key, crypto_generichash_KEYBYTES, KDF_ID_MAC, KDF_CONTEXT, file_key);
}

static void header_mac(uint8_t mac[MLV_ENV_MAC_BYTES], const uint8_t *header, size_t covered,
                       const uint8_t mac_key[crypto_generichash_KEYBYTES])
{
    crypto_generichash(mac, MLV_ENV_MAC_BYTES, header, covered, mac_key, crypto_generichash_KEYBYTES);
}

/* One stanza: type, key id, body length, the file key sealed to the key. */
static int write_stanza(uint8_t *p, const mlv_box_public *to, const uint8_t file_key[FILE_KEY_BYTES])
{
    p[0] = MLV_ENV_STANZA_X25519;
    memcpy(p + 1, to->id, MLV_KEY_ID_BYTES);
    p[9] = (uint8_t)(MLV_ENV_STANZA_BODY_BYTES & 0xffu);
    p[10] = (uint8_t)(MLV_ENV_STANZA_BODY_BYTES >> 8);
    return crypto_box_seal(p + 11, file_key, FILE_KEY_BYTES, to->pk);
}

/* ---- sealing ------------------------------------------------------------- */

struct mlv_env_sealer {
    crypto_secretstream_xchacha20poly1305_state stream;
    crypto_generichash_state receipt;
    mlv_env_write_fn write;
    void *write_ctx;
    mlv_env_status status; /* sticky */
    int finished;
    uint64_t declared; /* plaintext bytes promised in the header */
    uint64_t pushed;
    size_t fill;
    uint8_t plain[MLV_CHUNK_BYTES];
    uint8_t cipher[MLV_ENV_CHUNK_CT_BYTES];
    uint8_t header[MLV_ENV_MAX_HEADER_BYTES];
};

static mlv_env_status seal_emit(mlv_env_sealer *s, const uint8_t *plain, size_t len, unsigned char tag)
{
    unsigned long long clen = 0;

    crypto_secretstream_xchacha20poly1305_push(&s->stream, s->cipher, &clen, plain, len, NULL, 0, tag);
    crypto_generichash_update(&s->receipt, s->cipher, (size_t)clen);
    if (s->write(s->write_ctx, s->cipher, (size_t)clen) != 0)
        return s->status = MLV_ENV_ERR_SYSTEM;
    return MLV_ENV_OK;
}

mlv_env_status mlv_env_seal_new(mlv_env_sealer **out, const mlv_box_public *recipients, size_t n,
                                uint64_t payload_bytes, uint8_t flags, mlv_env_write_fn write, void *write_ctx)
{
    uint8_t file_key[FILE_KEY_BYTES], mac_key[crypto_generichash_KEYBYTES];
    uint8_t payload_key[crypto_secretstream_xchacha20poly1305_KEYBYTES], id[MLV_KEY_ID_BYTES];
    mlv_env_sealer *s = NULL;
    mlv_env_status status = MLV_ENV_ERR_USAGE;
    uint8_t *p;
    size_t header_len;

    *out = NULL;
    if (recipients == NULL || write == NULL || n == 0 || (flags & (uint8_t)~MLV_ENV_FLAG_SERVER_SEALED) != 0)
        return MLV_ENV_ERR_USAGE;
    if (n > MLV_MAX_RECIPIENTS || payload_bytes > MLV_MAX_PAYLOAD_BYTES)
        return MLV_ENV_ERR_LIMIT;
    for (size_t i = 0; i < n; i++) {
        /* An id that does not belong to its key would send a file key nowhere. */
        mlv_keyid_compute(id, recipients[i].pk, MLV_BOX_PUBLIC_BYTES);
        if (memcmp(id, recipients[i].id, MLV_KEY_ID_BYTES) != 0)
            return MLV_ENV_ERR_USAGE;
        for (size_t j = 0; j < i; j++) {
            if (memcmp(recipients[i].id, recipients[j].id, MLV_KEY_ID_BYTES) == 0)
                return MLV_ENV_ERR_MALFORMED;
        }
    }
    s = sodium_malloc(sizeof *s);
    if (s == NULL)
        return MLV_ENV_ERR_SYSTEM;
    memset(s, 0, sizeof *s);
    s->write = write;
    s->write_ctx = write_ctx;
    s->declared = payload_bytes;
    crypto_generichash_init(&s->receipt, NULL, 0, MLV_RECEIPT_BYTES);

    /* Random draws in this order (docs/FORMAT.md §1.5): file key, each
     * stanza's ephemeral key, the stream header. */
    randombytes_buf(file_key, sizeof file_key);
    derive_keys(payload_key, mac_key, file_key);
    p = s->header;
    memcpy(p, MLV_ENV_MAGIC, MLV_ENV_MAGIC_BYTES);
    p[7] = MLV_ENV_VERSION;
    p[8] = flags;
    p[9] = (uint8_t)n;
    store_u64(p + 10, payload_bytes);
    p += MLV_ENV_FIXED_BYTES;
    for (size_t i = 0; i < n; i++) {
        if (write_stanza(p, &recipients[i], file_key) != 0) {
            status = MLV_ENV_ERR_USAGE; /* not a valid X25519 public key */
            goto out;
        }
        p += MLV_ENV_STANZA_BYTES;
    }
    crypto_secretstream_xchacha20poly1305_init_push(&s->stream, p, payload_key);
    p += MLV_ENV_STREAM_HEADER_BYTES;
    header_len = MLV_ENV_HEADER_BYTES(n);
    header_mac(p, s->header, header_len - MLV_ENV_MAC_BYTES, mac_key);
    crypto_generichash_update(&s->receipt, s->header, header_len);
    if (write(write_ctx, s->header, header_len) != 0) {
        status = MLV_ENV_ERR_SYSTEM;
        goto out;
    }
    *out = s;
    s = NULL;
    status = MLV_ENV_OK;
out:
    sodium_memzero(file_key, sizeof file_key);
    sodium_memzero(payload_key, sizeof payload_key);
    sodium_memzero(mac_key, sizeof mac_key);
    mlv_env_seal_free(s);
    return status;
}

mlv_env_status mlv_env_seal_push(mlv_env_sealer *s, const uint8_t *plaintext, size_t len)
{
    if (s == NULL || (plaintext == NULL && len > 0))
        return MLV_ENV_ERR_USAGE;
    if (s->status != MLV_ENV_OK)
        return s->status;
    if (s->finished || len > s->declared - s->pushed)
        return s->status = MLV_ENV_ERR_USAGE;
    s->pushed += len;
    while (len > 0) {
        size_t take;

        /* A full buffer is not the last chunk: more bytes are here. */
        if (s->fill == MLV_CHUNK_BYTES) {
            if (seal_emit(s, s->plain, s->fill, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) != MLV_ENV_OK)
                return s->status;
            s->fill = 0;
        }
        /* Whole chunks with bytes after them skip the copy. */
        if (s->fill == 0 && len > MLV_CHUNK_BYTES) {
            if (seal_emit(s, plaintext, MLV_CHUNK_BYTES, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) !=
                MLV_ENV_OK)
                return s->status;
            plaintext += MLV_CHUNK_BYTES;
            len -= MLV_CHUNK_BYTES;
            continue;
        }
        take = MLV_CHUNK_BYTES - s->fill;
        if (take > len)
            take = len;
        memcpy(s->plain + s->fill, plaintext, take);
        s->fill += take;
        plaintext += take;
        len -= take;
    }
    return MLV_ENV_OK;
}

mlv_env_status mlv_env_seal_finish(mlv_env_sealer *s, uint8_t receipt[MLV_RECEIPT_BYTES])
{
    if (s == NULL || receipt == NULL)
        return MLV_ENV_ERR_USAGE;
    if (s->status != MLV_ENV_OK)
        return s->status;
    if (s->finished || s->pushed != s->declared)
        return s->status = MLV_ENV_ERR_USAGE;
    if (seal_emit(s, s->plain, s->fill, crypto_secretstream_xchacha20poly1305_TAG_FINAL) != MLV_ENV_OK)
        return s->status;
    s->finished = 1;
    crypto_generichash_final(&s->receipt, receipt, MLV_RECEIPT_BYTES);
    return MLV_ENV_OK;
}

void mlv_env_seal_free(mlv_env_sealer *s)
{
    /* sodium_free wipes the whole allocation: stream state and plaintext. */
    if (s != NULL)
        sodium_free(s);
}

/* ---- opening ------------------------------------------------------------- */

struct mlv_env_opener {
    crypto_secretstream_xchacha20poly1305_state stream;
    crypto_generichash_state receipt;
    uint8_t file_key[FILE_KEY_BYTES];
    const mlv_box_keypair *const *keys;
    size_t nkeys;
    int key_index;
    int file_key_given;    /* opened with mlv_env_open_new_file_key */
    mlv_env_write_fn write;
    void *write_ctx;
    mlv_env_status status; /* sticky */
    int unlocked;          /* header authenticated */
    int final_seen;
    uint64_t chunks_left;  /* including the FINAL one */
    size_t last_chunk_bytes; /* ciphertext bytes of the FINAL chunk */
    mlv_env_header header;
    size_t header_fill;
    size_t cipher_fill;
    uint8_t header_buf[MLV_ENV_MAX_HEADER_BYTES];
    uint8_t cipher[MLV_ENV_CHUNK_CT_BYTES];
    uint8_t plain[MLV_CHUNK_BYTES];
};

static mlv_env_opener *opener_alloc(mlv_env_write_fn write, void *write_ctx)
{
    mlv_env_opener *o = sodium_malloc(sizeof *o);

    if (o == NULL)
        return NULL;
    memset(o, 0, sizeof *o);
    o->key_index = -1;
    o->write = write;
    o->write_ctx = write_ctx;
    crypto_generichash_init(&o->receipt, NULL, 0, MLV_RECEIPT_BYTES);
    return o;
}

mlv_env_status mlv_env_open_new(mlv_env_opener **out, const mlv_box_keypair *const *keys, size_t nkeys,
                                mlv_env_write_fn write, void *write_ctx)
{
    mlv_env_opener *o;

    *out = NULL;
    if (keys == NULL || nkeys == 0 || write == NULL)
        return MLV_ENV_ERR_USAGE;
    for (size_t i = 0; i < nkeys; i++) {
        if (keys[i] == NULL)
            return MLV_ENV_ERR_USAGE;
    }
    o = opener_alloc(write, write_ctx);
    if (o == NULL)
        return MLV_ENV_ERR_SYSTEM;
    o->keys = keys;
    o->nkeys = nkeys;
    *out = o;
    return MLV_ENV_OK;
}

mlv_env_status mlv_env_open_reset_file_key(mlv_env_opener *o, const uint8_t file_key[MLV_ENV_FILE_KEY_BYTES])
{
    mlv_env_write_fn write;
    void *write_ctx;

    if (o == NULL || file_key == NULL || !o->file_key_given)
        return MLV_ENV_ERR_USAGE;
    /* Everything before the buffers is state, but where output goes; the
     * buffers are refilled from their fill counts, and the whole opener
     * is wiped when freed. */
    write = o->write;
    write_ctx = o->write_ctx;
    sodium_memzero(o, offsetof(mlv_env_opener, header_buf));
    o->write = write;
    o->write_ctx = write_ctx;
    o->key_index = -1;
    o->file_key_given = 1;
    memcpy(o->file_key, file_key, FILE_KEY_BYTES);
    crypto_generichash_init(&o->receipt, NULL, 0, MLV_RECEIPT_BYTES);
    return MLV_ENV_OK;
}

mlv_env_status mlv_env_open_new_file_key(mlv_env_opener **out, const uint8_t file_key[MLV_ENV_FILE_KEY_BYTES],
                                         mlv_env_write_fn write, void *write_ctx)
{
    mlv_env_opener *o;

    *out = NULL;
    if (file_key == NULL || write == NULL)
        return MLV_ENV_ERR_USAGE;
    o = opener_alloc(write, write_ctx);
    if (o == NULL)
        return MLV_ENV_ERR_SYSTEM;
    memcpy(o->file_key, file_key, FILE_KEY_BYTES);
    o->file_key_given = 1;
    *out = o;
    return MLV_ENV_OK;
}

/* Checks the header MAC under `file_key`; leaves the MAC key in `mac_key`. */
static mlv_env_status header_mac_check(const uint8_t *hdr, const mlv_env_header *h,
                                       const uint8_t file_key[FILE_KEY_BYTES],
                                       uint8_t mac_key[crypto_generichash_KEYBYTES])
{
    uint8_t payload_key[crypto_secretstream_xchacha20poly1305_KEYBYTES], mac[MLV_ENV_MAC_BYTES];
    size_t covered = h->header_bytes - MLV_ENV_MAC_BYTES;

    derive_keys(payload_key, mac_key, file_key);
    sodium_memzero(payload_key, sizeof payload_key);
    header_mac(mac, hdr, covered, mac_key);
    return crypto_verify_32(mac, hdr + covered) == 0 ? MLV_ENV_OK : MLV_ENV_ERR_TAMPERED;
}

/*
 * Finds a stanza for one of `keys`, opens the file key from it and checks
 * the header MAC: everything that proves a header is authentic, shared by
 * opening and rewrapping.
 */
static mlv_env_status header_authenticate(const uint8_t *hdr, const mlv_env_header *h,
                                          const mlv_box_keypair *const *keys, size_t nkeys,
                                          uint8_t file_key[FILE_KEY_BYTES], uint8_t mac_key[crypto_generichash_KEYBYTES],
                                          int *key_index)
{
    mlv_env_status status = MLV_ENV_ERR_NOT_FOR_ME;

    *key_index = -1;
    for (size_t i = 0; i < h->nrecipients && *key_index < 0; i++) {
        const uint8_t *stanza = hdr + MLV_ENV_FIXED_BYTES + i * MLV_ENV_STANZA_BYTES;

        for (size_t k = 0; k < nkeys; k++) {
            if (memcmp(stanza + 1, keys[k]->id, MLV_KEY_ID_BYTES) != 0)
                continue;
            if (crypto_box_seal_open(file_key, stanza + 11, MLV_ENV_STANZA_BODY_BYTES, keys[k]->pk,
                                     keys[k]->sk) != 0) {
                status = MLV_ENV_ERR_TAMPERED;
                goto out;
            }
            *key_index = (int)k;
            break;
        }
    }
    if (*key_index < 0)
        goto out;
    status = header_mac_check(hdr, h, file_key, mac_key);
out:
    if (status != MLV_ENV_OK) {
        *key_index = -1;
        sodium_memzero(file_key, FILE_KEY_BYTES);
        sodium_memzero(mac_key, crypto_generichash_KEYBYTES);
    }
    return status;
}

mlv_env_status mlv_env_header_open(const uint8_t *header, size_t len, const mlv_box_keypair *const *keys, size_t nkeys,
                                   uint8_t file_key[MLV_ENV_FILE_KEY_BYTES], int *key_index)
{
    uint8_t mac_key[crypto_generichash_KEYBYTES];
    mlv_env_header h;
    mlv_env_status status;

    *key_index = -1;
    if (header == NULL || keys == NULL || nkeys == 0)
        return MLV_ENV_ERR_USAGE;
    status = mlv_env_header_parse(header, len, &h);
    if (status == MLV_ENV_NEED_MORE)
        return MLV_ENV_ERR_TRUNCATED;
    if (status != MLV_ENV_OK)
        return status;
    status = header_authenticate(header, &h, keys, nkeys, file_key, mac_key, key_index);
    sodium_memzero(mac_key, sizeof mac_key);
    return status;
}

/* The header is complete: authenticate it and start the stream. */
static mlv_env_status open_unlock(mlv_env_opener *o)
{
    uint8_t payload_key[crypto_secretstream_xchacha20poly1305_KEYBYTES], mac_key[crypto_generichash_KEYBYTES];
    const uint8_t *stream_header;
    mlv_env_status status;

    status = o->file_key_given ? header_mac_check(o->header_buf, &o->header, o->file_key, mac_key)
                               : header_authenticate(o->header_buf, &o->header, o->keys, o->nkeys, o->file_key,
                                                     mac_key, &o->key_index);
    if (status != MLV_ENV_OK)
        goto out;
    derive_keys(payload_key, mac_key, o->file_key);
    stream_header = o->header_buf + o->header.header_bytes - MLV_ENV_MAC_BYTES - MLV_ENV_STREAM_HEADER_BYTES;
    if (crypto_secretstream_xchacha20poly1305_init_pull(&o->stream, stream_header, payload_key) != 0) {
        status = MLV_ENV_ERR_TAMPERED;
        goto out;
    }
    o->unlocked = 1;
    o->chunks_left = chunk_count(o->header.payload_bytes);
    o->last_chunk_bytes = last_chunk_plain(o->header.payload_bytes) + MLV_ENV_CHUNK_OVERHEAD;
out:
    if (status != MLV_ENV_OK) {
        o->key_index = -1;
        sodium_memzero(o->file_key, sizeof o->file_key);
    }
    sodium_memzero(payload_key, sizeof payload_key);
    sodium_memzero(mac_key, sizeof mac_key);
    return status;
}

/* Decrypts the next chunk, whose size the header fixed: only the last may
 * be FINAL, and it must be. */
static mlv_env_status open_chunk(mlv_env_opener *o, const uint8_t *cipher, size_t len)
{
    unsigned long long plen = 0;
    unsigned char tag = 0;
    int is_last = o->chunks_left == 1;

    if (crypto_secretstream_xchacha20poly1305_pull(&o->stream, o->plain, &plen, &tag, cipher, len, NULL, 0) != 0)
        return MLV_ENV_ERR_TAMPERED;
    /* A FINAL too early would be a forged stream; our sealer never rekeys. */
    if (tag != (is_last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
                        : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE))
        return MLV_ENV_ERR_TAMPERED;
    o->chunks_left--;
    o->final_seen = is_last;
    if (plen > 0 && o->write(o->write_ctx, o->plain, (size_t)plen) != 0)
        return MLV_ENV_ERR_SYSTEM;
    return MLV_ENV_OK;
}

static mlv_env_status open_fail(mlv_env_opener *o, mlv_env_status status)
{
    o->status = status;
    sodium_memzero(o->plain, sizeof o->plain);
    return status;
}

mlv_env_status mlv_env_open_feed(mlv_env_opener *o, const uint8_t *in, size_t len)
{
    mlv_env_status st;

    if (o == NULL || (in == NULL && len > 0))
        return MLV_ENV_ERR_USAGE;
    if (o->status != MLV_ENV_OK)
        return o->status;
    if (len == 0)
        return MLV_ENV_OK;
    if (o->final_seen)
        return open_fail(o, MLV_ENV_ERR_TRAILING);
    crypto_generichash_update(&o->receipt, in, len);

    while (!o->unlocked && len > 0) {
        /* Take only what the header can still need, then re-parse: the
         * fixed part first, then exactly the stanzas it announces (a bad
         * count has already been refused by the parser). */
        size_t take = o->header_fill < MLV_ENV_FIXED_BYTES
                          ? MLV_ENV_FIXED_BYTES - o->header_fill
                          : MLV_ENV_HEADER_BYTES((size_t)o->header_buf[9]) - o->header_fill;

        if (take > len)
            take = len;
        memcpy(o->header_buf + o->header_fill, in, take);
        o->header_fill += take;
        in += take;
        len -= take;
        st = mlv_env_header_parse(o->header_buf, o->header_fill, &o->header);
        if (st == MLV_ENV_NEED_MORE)
            continue;
        if (st != MLV_ENV_OK)
            return open_fail(o, st);
        st = open_unlock(o);
        if (st != MLV_ENV_OK)
            return open_fail(o, st);
    }

    while (len > 0) {
        size_t need, take;

        if (o->final_seen)
            return open_fail(o, MLV_ENV_ERR_TRAILING);
        need = o->chunks_left == 1 ? o->last_chunk_bytes : MLV_ENV_CHUNK_CT_BYTES;
        /* A whole chunk in the input is opened in place, without a copy. */
        if (o->cipher_fill == 0 && len >= need) {
            st = open_chunk(o, in, need);
            if (st != MLV_ENV_OK)
                return open_fail(o, st);
            in += need;
            len -= need;
            continue;
        }
        take = need - o->cipher_fill;
        if (take > len)
            take = len;
        memcpy(o->cipher + o->cipher_fill, in, take);
        o->cipher_fill += take;
        in += take;
        len -= take;
        if (o->cipher_fill == need) {
            o->cipher_fill = 0;
            st = open_chunk(o, o->cipher, need);
            if (st != MLV_ENV_OK)
                return open_fail(o, st);
        }
    }
    return MLV_ENV_OK;
}

mlv_env_status mlv_env_open_finish(mlv_env_opener *o, uint8_t receipt[MLV_RECEIPT_BYTES])
{
    if (o == NULL || receipt == NULL)
        return MLV_ENV_ERR_USAGE;
    if (o->status != MLV_ENV_OK)
        return o->status;
    /* The header said how long the envelope is: anything short is cut off. */
    if (!o->unlocked || !o->final_seen)
        return open_fail(o, MLV_ENV_ERR_TRUNCATED);
    crypto_generichash_final(&o->receipt, receipt, MLV_RECEIPT_BYTES);
    o->status = MLV_ENV_ERR_USAGE; /* finished: no more feeding */
    return MLV_ENV_OK;
}

const mlv_env_header *mlv_env_open_header(const mlv_env_opener *o)
{
    return o != NULL && o->unlocked ? &o->header : NULL;
}

int mlv_env_open_key_index(const mlv_env_opener *o)
{
    return o != NULL && o->unlocked ? o->key_index : -1;
}

const uint8_t *mlv_env_open_file_key(const mlv_env_opener *o)
{
    return o != NULL && o->unlocked ? o->file_key : NULL;
}

void mlv_env_open_free(mlv_env_opener *o)
{
    if (o != NULL)
        sodium_free(o);
}

/* ---- rewrapping ---------------------------------------------------------- */

/* `ids` holds n key ids back to back. */
static int id_listed(const uint8_t *id, const uint8_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (memcmp(id, ids + i * MLV_KEY_ID_BYTES, MLV_KEY_ID_BYTES) == 0)
            return 1;
    }
    return 0;
}

mlv_env_status mlv_env_rewrap(const uint8_t *header, size_t header_len, const mlv_box_keypair *const *keys,
                              size_t nkeys, const mlv_box_public *add, size_t nadd,
                              const uint8_t *remove, size_t nremove, uint8_t **out, size_t *out_len)
{
    uint8_t file_key[FILE_KEY_BYTES], mac_key[crypto_generichash_KEYBYTES], id[MLV_KEY_ID_BYTES];
    uint8_t kept_ids[MLV_MAX_RECIPIENTS * MLV_KEY_ID_BYTES];
    mlv_env_header h;
    mlv_env_status status;
    uint8_t *buf = NULL, *p;
    size_t kept = 0, n, new_len;
    int key_index;

    *out = NULL;
    *out_len = 0;
    if (header == NULL || keys == NULL || nkeys == 0 || (add == NULL && nadd > 0) || (remove == NULL && nremove > 0))
        return MLV_ENV_ERR_USAGE;
    status = mlv_env_header_parse(header, header_len, &h);
    if (status == MLV_ENV_NEED_MORE)
        return MLV_ENV_ERR_TRUNCATED;
    if (status != MLV_ENV_OK)
        return status;
    status = header_authenticate(header, &h, keys, nkeys, file_key, mac_key, &key_index);
    if (status != MLV_ENV_OK)
        return status;

    for (size_t i = 0; i < h.nrecipients; i++) {
        if (!id_listed(h.key_ids[i], remove, nremove))
            memcpy(kept_ids + MLV_KEY_ID_BYTES * kept++, h.key_ids[i], MLV_KEY_ID_BYTES);
    }
    n = kept;
    for (size_t i = 0; i < nadd; i++) {
        mlv_keyid_compute(id, add[i].pk, MLV_BOX_PUBLIC_BYTES);
        if (memcmp(id, add[i].id, MLV_KEY_ID_BYTES) != 0) {
            status = MLV_ENV_ERR_USAGE;
            goto out;
        }
        /* Adding a key that is already there is done already. */
        if (!id_listed(add[i].id, kept_ids, n)) {
            if (n == MLV_MAX_RECIPIENTS) {
                status = MLV_ENV_ERR_LIMIT;
                goto out;
            }
            memcpy(kept_ids + MLV_KEY_ID_BYTES * n++, add[i].id, MLV_KEY_ID_BYTES);
        }
    }
    if (n == 0) {
        status = MLV_ENV_ERR_USAGE; /* nobody could open it any more */
        goto out;
    }
    new_len = MLV_ENV_HEADER_BYTES(n);
    buf = malloc(new_len);
    if (buf == NULL) {
        status = MLV_ENV_ERR_SYSTEM;
        goto out;
    }
    memcpy(buf, header, MLV_ENV_FIXED_BYTES);
    buf[9] = (uint8_t)n;
    p = buf + MLV_ENV_FIXED_BYTES;
    for (size_t i = 0; i < h.nrecipients; i++) {
        if (!id_listed(h.key_ids[i], remove, nremove)) {
            memcpy(p, header + MLV_ENV_FIXED_BYTES + i * MLV_ENV_STANZA_BYTES, MLV_ENV_STANZA_BYTES);
            p += MLV_ENV_STANZA_BYTES;
        }
    }
    for (size_t i = 0; i < nadd; i++) {
        int present = 0;

        for (const uint8_t *q = buf + MLV_ENV_FIXED_BYTES; q < p; q += MLV_ENV_STANZA_BYTES)
            present |= memcmp(q + 1, add[i].id, MLV_KEY_ID_BYTES) == 0;
        if (present)
            continue;
        if (write_stanza(p, &add[i], file_key) != 0) {
            status = MLV_ENV_ERR_USAGE;
            goto out;
        }
        p += MLV_ENV_STANZA_BYTES;
    }
    memcpy(p, header + h.header_bytes - MLV_ENV_MAC_BYTES - MLV_ENV_STREAM_HEADER_BYTES,
           MLV_ENV_STREAM_HEADER_BYTES);
    p += MLV_ENV_STREAM_HEADER_BYTES;
    header_mac(p, buf, new_len - MLV_ENV_MAC_BYTES, mac_key);
    *out = buf;
    *out_len = new_len;
    buf = NULL;
    status = MLV_ENV_OK;
out:
    sodium_memzero(file_key, sizeof file_key);
    sodium_memzero(mac_key, sizeof mac_key);
    free(buf);
    return status;
}
