/*
 * The payload opener's contract, checked from the outside: what the
 * harnesses of envelopes and plaintext streams assert on every input.
 */
#include <string.h>

#include <sodium.h>

#include <malyava/envelope.h>
#include <malyava/payload.h>

#include "fuzz.h"

static void check_string(const char *s, size_t max)
{
    FUZZ_ASSERT(s != NULL);
    FUZZ_ASSERT(strnlen(s, max + 1) <= max);
}

void mlv_fuzz_check_metadata(const mlv_metadata *m)
{
    mlv_metadata again;
    char *first = NULL, *second = NULL;
    size_t first_len = 0, second_len = 0;

    FUZZ_ASSERT(m->nfields <= MLV_MAX_FIELDS && (m->nfields == 0 || m->fields != NULL));
    FUZZ_ASSERT(m->nfiles <= MLV_MAX_FILES && (m->nfiles == 0 || m->files != NULL));
    if (m->message != NULL)
        check_string(m->message, MLV_MAX_METADATA_BYTES);
    for (size_t i = 0; i < m->nfields; i++) {
        check_string(m->fields[i].name, MLV_MAX_FIELD_NAME_BYTES);
        check_string(m->fields[i].value, MLV_MAX_FIELD_VALUE_BYTES);
    }
    for (size_t i = 0; i < m->nfiles; i++) {
        const mlv_file_info *f = &m->files[i];

        check_string(f->name, MLV_MAX_NAME_BYTES);
        /* `malyava open` creates files by these names. */
        FUZZ_ASSERT(mlv_meta_name_ok(f->name, strlen(f->name)) == 0);
        FUZZ_ASSERT(f->name[0] != '\0' && strcmp(f->name, ".") != 0 && strcmp(f->name, "..") != 0);
        FUZZ_ASSERT(strchr(f->name, '/') == NULL && strchr(f->name, '\\') == NULL);
        if (f->media_type != NULL)
            check_string(f->media_type, MLV_MAX_MEDIA_TYPE_BYTES);
        FUZZ_ASSERT(f->length <= MLV_MAX_PAYLOAD_BYTES);
        FUZZ_ASSERT(f->meta == MLV_FILE_META_NONE || f->meta == MLV_FILE_META_STRIPPED ||
                    f->meta == MLV_FILE_META_KEPT);
    }
    /* Whatever was accepted must re-encode (the client copies records that
     * way), and the encoding must be a fixed point. */
    memset(&again, 0, sizeof again);
    FUZZ_ASSERT(mlv_meta_encode(m, &first, &first_len) == MLV_ENV_OK);
    FUZZ_ASSERT(mlv_meta_decode(first, first_len, &again) == MLV_ENV_OK);
    FUZZ_ASSERT(mlv_meta_encode(&again, &second, &second_len) == MLV_ENV_OK);
    FUZZ_ASSERT(first_len == second_len && memcmp(first, second, first_len) == 0);
    mlv_meta_clear(&again);
    free(first);
    free(second);
}

typedef struct open_check {
    int have_meta;
    size_t nfiles;
    mlv_file_info *files; /* lengths and digests only */
    size_t ended;         /* files whose end was reported */
    uint64_t got;         /* bytes of file `ended` so far */
    crypto_generichash_state hash;
} open_check;

static int on_metadata(void *ctx, const mlv_metadata *m)
{
    open_check *c = ctx;

    FUZZ_ASSERT(!c->have_meta);
    mlv_fuzz_check_metadata(m);
    c->have_meta = 1;
    c->nfiles = m->nfiles;
    c->files = calloc(m->nfiles > 0 ? m->nfiles : 1, sizeof *c->files);
    FUZZ_ASSERT(c->files != NULL);
    for (size_t i = 0; i < m->nfiles; i++) {
        c->files[i].length = m->files[i].length;
        memcpy(c->files[i].digest, m->files[i].digest, MLV_FILE_DIGEST_BYTES);
    }
    crypto_generichash_init(&c->hash, NULL, 0, MLV_FILE_DIGEST_BYTES);
    return 0;
}

static int on_file_data(void *ctx, size_t index, const uint8_t *buf, size_t len)
{
    open_check *c = ctx;

    FUZZ_ASSERT(c->have_meta && index == c->ended && index < c->nfiles);
    FUZZ_ASSERT(len <= c->files[index].length - c->got);
    crypto_generichash_update(&c->hash, buf, len);
    c->got += len;
    return 0;
}

static int on_file_end(void *ctx, size_t index)
{
    open_check *c = ctx;
    uint8_t digest[MLV_FILE_DIGEST_BYTES];

    FUZZ_ASSERT(c->have_meta && index == c->ended && index < c->nfiles);
    FUZZ_ASSERT(c->got == c->files[index].length);
    crypto_generichash_final(&c->hash, digest, sizeof digest);
    FUZZ_ASSERT(memcmp(digest, c->files[index].digest, sizeof digest) == 0);
    crypto_generichash_init(&c->hash, NULL, 0, MLV_FILE_DIGEST_BYTES);
    c->ended++;
    c->got = 0;
    return 0;
}

static void check_opened(const mlv_pay_opener *o, const open_check *c, const uint8_t *env, size_t len,
                         const uint8_t receipt[MLV_RECEIPT_BYTES])
{
    const mlv_env_opener *eo = mlv_pay_open_envelope(o);
    const mlv_env_header *h;
    mlv_env_header parsed;
    uint8_t expect[MLV_RECEIPT_BYTES];

    FUZZ_ASSERT(c->have_meta && c->ended == c->nfiles);
    FUZZ_ASSERT(eo != NULL && mlv_env_open_key_index(eo) == 0);
    h = mlv_env_open_header(eo);
    FUZZ_ASSERT(h != NULL);
    /* What the server checked from the first bytes agrees with what the
     * editor authenticated. */
    FUZZ_ASSERT(mlv_env_header_parse(env, len, &parsed) == MLV_ENV_OK);
    FUZZ_ASSERT(parsed.header_bytes == h->header_bytes && parsed.nrecipients == h->nrecipients &&
                parsed.flags == h->flags && parsed.payload_bytes == h->payload_bytes);
    /* The length a server checks an upload against is the length that opens. */
    FUZZ_ASSERT(mlv_env_total_bytes(h->nrecipients, h->payload_bytes) == len);
    crypto_generichash(expect, sizeof expect, env, len, NULL, 0);
    FUZZ_ASSERT(memcmp(expect, receipt, sizeof expect) == 0);
}

mlv_env_status mlv_fuzz_open_payload(const uint8_t *env, size_t len, mlv_fuzz_cutter *cutter)
{
    static const mlv_pay_callbacks callbacks = { on_metadata, on_file_data, on_file_end };
    const mlv_box_keypair *keys[1] = { mlv_fuzz_editor_key() };
    uint8_t receipt[MLV_RECEIPT_BYTES];
    mlv_pay_opener *o = NULL;
    open_check c;
    mlv_env_status st;
    size_t off = 0, n;

    memset(&c, 0, sizeof c);
    st = mlv_pay_open_new(&o, keys, 1, &callbacks, &c);
    FUZZ_ASSERT(st == MLV_ENV_OK && o != NULL);
    while (st == MLV_ENV_OK && off < len) {
        n = mlv_fuzz_cutter_next(cutter, len - off);
        st = mlv_pay_open_feed(o, env + off, n);
        off += n;
    }
    if (st != MLV_ENV_OK) {
        /* A feed error sticks: a caller that keeps feeding learns nothing new. */
        FUZZ_ASSERT(mlv_pay_open_feed(o, env, len) == st);
        FUZZ_ASSERT(mlv_pay_open_finish(o, receipt) == st);
    } else {
        st = mlv_pay_open_finish(o, receipt);
        if (st == MLV_ENV_OK)
            check_opened(o, &c, env, len, receipt);
    }
    mlv_pay_open_free(o);
    free(c.files);
    return st;
}
