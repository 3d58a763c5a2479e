/*
 * The plaintext inside an envelope (docs/FORMAT.md §2): a length-prefixed
 * metadata record, the file contents back to back, zero padding to the
 * PADMÉ size. Sealing checks the files against what the record declares;
 * opening checks the record, every file's length and digest, and every
 * padding byte, with memory bounded by one chunk plus the record.
 */
#include <malyava/payload.h>

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define LENGTH_PREFIX_BYTES 4u
#define MIN_METADATA_BYTES 2u /* "{}" */

static const uint8_t zeros[4096];

/* L = 4 + M + sum of file lengths; fails past the hard payload cap. */
static int payload_length(size_t meta_len, const mlv_metadata *m, uint64_t *out)
{
    uint64_t total = LENGTH_PREFIX_BYTES + (uint64_t)meta_len;

    for (size_t i = 0; i < m->nfiles; i++) {
        if (m->files[i].length > MLV_MAX_PAYLOAD_BYTES - total)
            return -1;
        total += m->files[i].length;
    }
    *out = total;
    return 0;
}

/* ---- sealing ------------------------------------------------------------- */

struct mlv_pay_sealer {
    mlv_env_sealer *env;
    size_t nfiles;
    uint64_t *lengths;
    uint8_t (*digests)[MLV_FILE_DIGEST_BYTES];
    size_t file_index;
    uint64_t file_done;
    crypto_generichash_state file_hash;
    uint64_t padding;
    mlv_env_status status; /* sticky */
};

/* Closes every file whose declared bytes have all been fed, checking its
 * digest: a file that changed between the two reads is caught here. */
static mlv_env_status seal_close_files(mlv_pay_sealer *s)
{
    uint8_t digest[MLV_FILE_DIGEST_BYTES];

    while (s->file_index < s->nfiles && s->file_done == s->lengths[s->file_index]) {
        crypto_generichash_final(&s->file_hash, digest, sizeof digest);
        if (crypto_verify_32(digest, s->digests[s->file_index]) != 0)
            return s->status = MLV_ENV_ERR_INPUT_CHANGED;
        s->file_index++;
        s->file_done = 0;
        crypto_generichash_init(&s->file_hash, NULL, 0, MLV_FILE_DIGEST_BYTES);
    }
    return MLV_ENV_OK;
}

mlv_env_status mlv_pay_seal_new(mlv_pay_sealer **out, const mlv_box_public *recipients, size_t n,
                                uint8_t flags, const mlv_metadata *meta, mlv_env_write_fn write,
                                void *write_ctx)
{
    mlv_pay_sealer *s = NULL;
    mlv_env_status st;
    char *json = NULL;
    size_t json_len = 0;
    uint8_t prefix[LENGTH_PREFIX_BYTES];
    uint64_t total;

    *out = NULL;
    if (meta == NULL)
        return MLV_ENV_ERR_USAGE;
    st = mlv_meta_encode(meta, &json, &json_len);
    if (st != MLV_ENV_OK)
        return st;
    if (payload_length(json_len, meta, &total) != 0) {
        st = MLV_ENV_ERR_LIMIT;
        goto out;
    }
    st = MLV_ENV_ERR_SYSTEM;
    s = calloc(1, sizeof *s);
    if (s == NULL)
        goto out;
    s->nfiles = meta->nfiles;
    s->lengths = calloc(meta->nfiles + 1, sizeof *s->lengths);
    s->digests = calloc(meta->nfiles + 1, sizeof *s->digests);
    if (s->lengths == NULL || s->digests == NULL)
        goto out;
    for (size_t i = 0; i < meta->nfiles; i++) {
        s->lengths[i] = meta->files[i].length;
        memcpy(s->digests[i], meta->files[i].digest, MLV_FILE_DIGEST_BYTES);
    }
    s->padding = mlv_pad_padme(total) - total;
    crypto_generichash_init(&s->file_hash, NULL, 0, MLV_FILE_DIGEST_BYTES);
    for (unsigned i = 0; i < LENGTH_PREFIX_BYTES; i++)
        prefix[i] = (uint8_t)((uint64_t)json_len >> (8u * i));
    st = mlv_env_seal_new(&s->env, recipients, n, mlv_pad_padme(total), flags, write, write_ctx);
    if (st == MLV_ENV_OK)
        st = mlv_env_seal_push(s->env, prefix, sizeof prefix);
    if (st == MLV_ENV_OK)
        st = mlv_env_seal_push(s->env, (const uint8_t *)json, json_len);
    if (st == MLV_ENV_OK)
        st = seal_close_files(s);
    if (st != MLV_ENV_OK)
        goto out;
    *out = s;
    s = NULL;
out:
    if (json != NULL) {
        sodium_memzero(json, json_len);
        free(json);
    }
    mlv_pay_seal_free(s);
    return st;
}

mlv_env_status mlv_pay_seal_data(mlv_pay_sealer *s, const uint8_t *buf, size_t len)
{
    mlv_env_status st;

    if (s == NULL || (buf == NULL && len > 0))
        return MLV_ENV_ERR_USAGE;
    if (s->status != MLV_ENV_OK)
        return s->status;
    while (len > 0) {
        uint64_t left;
        size_t take;

        if (s->file_index == s->nfiles)
            return s->status = MLV_ENV_ERR_INPUT_CHANGED; /* more bytes than declared */
        left = s->lengths[s->file_index] - s->file_done;
        take = left < (uint64_t)len ? (size_t)left : len;
        crypto_generichash_update(&s->file_hash, buf, take);
        st = mlv_env_seal_push(s->env, buf, take);
        if (st != MLV_ENV_OK)
            return s->status = st;
        s->file_done += take;
        buf += take;
        len -= take;
        if (seal_close_files(s) != MLV_ENV_OK)
            return s->status;
    }
    return MLV_ENV_OK;
}

mlv_env_status mlv_pay_seal_finish(mlv_pay_sealer *s, uint8_t receipt[MLV_RECEIPT_BYTES])
{
    mlv_env_status st;

    if (s == NULL || receipt == NULL)
        return MLV_ENV_ERR_USAGE;
    if (s->status != MLV_ENV_OK)
        return s->status;
    if (s->file_index != s->nfiles)
        return s->status = MLV_ENV_ERR_INPUT_CHANGED; /* fewer bytes than declared */
    while (s->padding > 0) {
        size_t take = s->padding < sizeof zeros ? (size_t)s->padding : sizeof zeros;

        st = mlv_env_seal_push(s->env, zeros, take);
        if (st != MLV_ENV_OK)
            return s->status = st;
        s->padding -= take;
    }
    st = mlv_env_seal_finish(s->env, receipt);
    if (st != MLV_ENV_OK)
        return s->status = st;
    s->status = MLV_ENV_ERR_USAGE; /* finished */
    return MLV_ENV_OK;
}

void mlv_pay_seal_free(mlv_pay_sealer *s)
{
    if (s == NULL)
        return;
    mlv_env_seal_free(s->env);
    free(s->lengths);
    free(s->digests);
    sodium_memzero(s, sizeof *s);
    free(s);
}

/* ---- opening ------------------------------------------------------------- */

typedef enum { PHASE_LENGTH, PHASE_RECORD, PHASE_FILES, PHASE_PADDING } pay_phase;

struct mlv_pay_opener {
    mlv_env_opener *env;
    const mlv_pay_callbacks *cb;
    void *cb_ctx;
    pay_phase phase;
    uint8_t prefix[LENGTH_PREFIX_BYTES];
    size_t prefix_fill;
    char *record;          /* sodium_malloc'd: plaintext of the testimony */
    size_t record_cap;     /* kept across resets, wiped after each use */
    size_t record_len;
    size_t record_fill;
    mlv_metadata meta;
    size_t file_index;
    uint64_t file_done;
    crypto_generichash_state file_hash;
    uint64_t padding_left;
    mlv_env_status status; /* set by the plaintext sink, reported over SYSTEM */
};

static int sink_fail(mlv_pay_opener *o, mlv_env_status st)
{
    o->status = st;
    return -1;
}

/* Ends every file whose bytes are all here: digest, then on_file_end. */
static int open_close_files(mlv_pay_opener *o)
{
    uint8_t digest[MLV_FILE_DIGEST_BYTES];

    while (o->file_index < o->meta.nfiles && o->file_done == o->meta.files[o->file_index].length) {
        crypto_generichash_final(&o->file_hash, digest, sizeof digest);
        if (crypto_verify_32(digest, o->meta.files[o->file_index].digest) != 0)
            return sink_fail(o, MLV_ENV_ERR_MALFORMED);
        if (o->cb->on_file_end != NULL && o->cb->on_file_end(o->cb_ctx, o->file_index) != 0)
            return sink_fail(o, MLV_ENV_ERR_SYSTEM);
        o->file_index++;
        o->file_done = 0;
        crypto_generichash_init(&o->file_hash, NULL, 0, MLV_FILE_DIGEST_BYTES);
    }
    if (o->file_index == o->meta.nfiles)
        o->phase = PHASE_PADDING;
    return 0;
}

static int start_record(mlv_pay_opener *o)
{
    uint32_t len = 0;

    for (unsigned i = 0; i < LENGTH_PREFIX_BYTES; i++)
        len |= (uint32_t)o->prefix[i] << (8u * i);
    if (len < MIN_METADATA_BYTES)
        return sink_fail(o, MLV_ENV_ERR_MALFORMED);
    if (len > MLV_MAX_METADATA_BYTES)
        return sink_fail(o, MLV_ENV_ERR_LIMIT);
    if (o->record == NULL || o->record_cap < len) {
        if (o->record != NULL)
            sodium_free(o->record);
        o->record_cap = 0;
        o->record = sodium_malloc(len);
        if (o->record == NULL)
            return sink_fail(o, MLV_ENV_ERR_SYSTEM);
        o->record_cap = len;
    }
    o->record_len = len;
    o->phase = PHASE_RECORD;
    return 0;
}

static int finish_record(mlv_pay_opener *o)
{
    mlv_env_status st = mlv_meta_decode(o->record, o->record_len, &o->meta);
    uint64_t total;

    sodium_memzero(o->record, o->record_len);
    if (st != MLV_ENV_OK)
        return sink_fail(o, st);
    if (payload_length(o->record_len, &o->meta, &total) != 0)
        return sink_fail(o, MLV_ENV_ERR_LIMIT);
    /* The record and the authenticated header must agree on the size. */
    if (mlv_pad_padme(total) != mlv_env_open_header(o->env)->payload_bytes)
        return sink_fail(o, MLV_ENV_ERR_MALFORMED);
    o->padding_left = mlv_pad_padme(total) - total;
    if (o->cb->on_metadata != NULL && o->cb->on_metadata(o->cb_ctx, &o->meta) != 0)
        return sink_fail(o, MLV_ENV_ERR_SYSTEM);
    o->phase = PHASE_FILES;
    return open_close_files(o);
}

/* Plaintext from the envelope layer, one authenticated chunk at a time. */
static int pay_sink(void *ctx, const uint8_t *buf, size_t len)
{
    mlv_pay_opener *o = ctx;

    while (len > 0) {
        size_t take;

        switch (o->phase) {
        case PHASE_LENGTH:
            take = LENGTH_PREFIX_BYTES - o->prefix_fill;
            take = take < len ? take : len;
            memcpy(o->prefix + o->prefix_fill, buf, take);
            o->prefix_fill += take;
            if (o->prefix_fill == LENGTH_PREFIX_BYTES && start_record(o) != 0)
                return -1;
            break;
        case PHASE_RECORD:
            take = o->record_len - o->record_fill;
            take = take < len ? take : len;
            memcpy(o->record + o->record_fill, buf, take);
            o->record_fill += take;
            if (o->record_fill == o->record_len && finish_record(o) != 0)
                return -1;
            break;
        case PHASE_FILES: {
            uint64_t left = o->meta.files[o->file_index].length - o->file_done;

            take = left < (uint64_t)len ? (size_t)left : len;
            crypto_generichash_update(&o->file_hash, buf, take);
            if (o->cb->on_file_data != NULL && o->cb->on_file_data(o->cb_ctx, o->file_index, buf, take) != 0)
                return sink_fail(o, MLV_ENV_ERR_SYSTEM);
            o->file_done += take;
            if (open_close_files(o) != 0)
                return -1;
            break;
        }
        case PHASE_PADDING:
            /* Exactly the PADMÉ size, all zero: nothing can hide in the padding. */
            if ((uint64_t)len > o->padding_left)
                return sink_fail(o, MLV_ENV_ERR_MALFORMED);
            for (size_t i = 0; i < len; i++) {
                if (buf[i] != 0)
                    return sink_fail(o, MLV_ENV_ERR_MALFORMED);
            }
            o->padding_left -= len;
            take = len;
            break;
        default:
            return sink_fail(o, MLV_ENV_ERR_USAGE);
        }
        buf += take;
        len -= take;
    }
    return 0;
}

static mlv_env_status open_status(mlv_pay_opener *o, mlv_env_status st)
{
    /* The sink's own reason beats the envelope layer's "write failed". */
    if (st == MLV_ENV_ERR_SYSTEM && o->status != MLV_ENV_OK)
        return o->status;
    return st;
}

/* The payload opener around an envelope opener made by `env_new`. */
static mlv_env_status pay_open_make(mlv_pay_opener **out, const mlv_box_keypair *const *keys, size_t nkeys,
                                    const uint8_t *file_key, const mlv_pay_callbacks *cb, void *cb_ctx)
{
    mlv_pay_opener *o;
    mlv_env_status st;

    *out = NULL;
    if (cb == NULL)
        return MLV_ENV_ERR_USAGE;
    o = calloc(1, sizeof *o);
    if (o == NULL)
        return MLV_ENV_ERR_SYSTEM;
    o->cb = cb;
    o->cb_ctx = cb_ctx;
    crypto_generichash_init(&o->file_hash, NULL, 0, MLV_FILE_DIGEST_BYTES);
    st = file_key != NULL ? mlv_env_open_new_file_key(&o->env, file_key, pay_sink, o)
                          : mlv_env_open_new(&o->env, keys, nkeys, pay_sink, o);
    if (st != MLV_ENV_OK) {
        free(o);
        return st;
    }
    *out = o;
    return MLV_ENV_OK;
}

mlv_env_status mlv_pay_open_new(mlv_pay_opener **out, const mlv_box_keypair *const *keys, size_t nkeys,
                                const mlv_pay_callbacks *cb, void *cb_ctx)
{
    return pay_open_make(out, keys, nkeys, NULL, cb, cb_ctx);
}

mlv_env_status mlv_pay_open_new_file_key(mlv_pay_opener **out, const uint8_t file_key[MLV_ENV_FILE_KEY_BYTES],
                                         const mlv_pay_callbacks *cb, void *cb_ctx)
{
    if (file_key == NULL)
        return MLV_ENV_ERR_USAGE;
    return pay_open_make(out, NULL, 0, file_key, cb, cb_ctx);
}

mlv_env_status mlv_pay_open_feed(mlv_pay_opener *o, const uint8_t *buf, size_t len)
{
    if (o == NULL)
        return MLV_ENV_ERR_USAGE;
    return open_status(o, mlv_env_open_feed(o->env, buf, len));
}

mlv_env_status mlv_pay_open_finish(mlv_pay_opener *o, uint8_t receipt[MLV_RECEIPT_BYTES])
{
    mlv_env_status st;

    if (o == NULL)
        return MLV_ENV_ERR_USAGE;
    st = open_status(o, mlv_env_open_finish(o->env, receipt));
    if (st != MLV_ENV_OK)
        return st;
    /* Authentic, but is it whole? A sealer that stopped early or padded
     * wrongly made an envelope no honest sealer makes. */
    if (o->phase != PHASE_PADDING || o->padding_left != 0)
        return MLV_ENV_ERR_MALFORMED;
    return MLV_ENV_OK;
}

const mlv_env_opener *mlv_pay_open_envelope(const mlv_pay_opener *o)
{
    return o != NULL ? o->env : NULL;
}

mlv_env_status mlv_pay_open_reset_file_key(mlv_pay_opener *o, const uint8_t file_key[MLV_ENV_FILE_KEY_BYTES])
{
    mlv_env_status st;

    if (o == NULL || file_key == NULL)
        return MLV_ENV_ERR_USAGE;
    st = mlv_env_open_reset_file_key(o->env, file_key);
    if (st != MLV_ENV_OK)
        return st;
    mlv_meta_clear(&o->meta);
    if (o->record != NULL)
        sodium_memzero(o->record, o->record_len); /* a record cut short */
    o->phase = PHASE_LENGTH;
    o->prefix_fill = 0;
    o->record_len = o->record_fill = 0;
    o->file_index = 0;
    o->file_done = 0;
    o->padding_left = 0;
    o->status = MLV_ENV_OK;
    crypto_generichash_init(&o->file_hash, NULL, 0, MLV_FILE_DIGEST_BYTES);
    return MLV_ENV_OK;
}

void mlv_pay_open_free(mlv_pay_opener *o)
{
    if (o == NULL)
        return;
    mlv_env_open_free(o->env);
    if (o->record != NULL)
        sodium_free(o->record);
    mlv_meta_clear(&o->meta);
    sodium_memzero(o, sizeof *o);
    free(o);
}
