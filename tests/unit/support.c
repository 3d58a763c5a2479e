/* Test support: see support.h. */
#include "support.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

int test_buf_write(void *ctx, const uint8_t *buf, size_t len)
{
    test_buf *b = ctx;

    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        uint8_t *p;

        while (cap < b->len + len)
            cap *= 2;
        p = realloc(b->data, cap);
        if (p == NULL)
            return -1;
        b->data = p;
        b->cap = cap;
    }
    if (len > 0)
        memcpy(b->data + b->len, buf, len);
    b->len += len;
    return 0;
}

void test_buf_free(test_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

mlv_box_keypair *test_editor(unsigned i)
{
    static mlv_box_keypair *cache[TEST_MAX_EDITORS];
    uint8_t seed[crypto_box_SEEDBYTES];

    if (i >= TEST_MAX_EDITORS)
        abort();
    if (cache[i] == NULL) {
        cache[i] = sodium_malloc(sizeof *cache[i]);
        if (cache[i] == NULL)
            abort();
        memset(seed, (int)(i + 1), sizeof seed);
        crypto_box_seed_keypair(cache[i]->pk, cache[i]->sk, seed);
        mlv_keyid_compute(cache[i]->id, cache[i]->pk, sizeof cache[i]->pk);
    }
    return cache[i];
}

void test_editor_public(unsigned i, mlv_box_public *out)
{
    const mlv_box_keypair *kp = test_editor(i);

    memcpy(out->id, kp->id, sizeof out->id);
    memcpy(out->pk, kp->pk, sizeof out->pk);
}

static char *dup_or_null(const char *s)
{
    return s == NULL ? NULL : strdup(s);
}

static int opened_metadata(void *ctx, const mlv_metadata *m)
{
    test_opened *o = ctx;

    o->meta.message = dup_or_null(m->message);
    o->meta.nfields = m->nfields;
    o->meta.fields = calloc(m->nfields + 1, sizeof *o->meta.fields);
    for (size_t i = 0; i < m->nfields; i++) {
        o->meta.fields[i].name = strdup(m->fields[i].name);
        o->meta.fields[i].value = strdup(m->fields[i].value);
    }
    o->meta.nfiles = m->nfiles;
    o->meta.files = calloc(m->nfiles + 1, sizeof *o->meta.files);
    for (size_t i = 0; i < m->nfiles; i++) {
        o->meta.files[i] = m->files[i];
        o->meta.files[i].name = strdup(m->files[i].name);
        o->meta.files[i].media_type = dup_or_null(m->files[i].media_type);
    }
    o->meta.has_reply_key = m->has_reply_key;
    memcpy(o->meta.reply_key, m->reply_key, sizeof m->reply_key);
    return 0;
}

static int opened_data(void *ctx, size_t index, const uint8_t *buf, size_t len)
{
    test_opened *o = ctx;

    return index < 8 ? test_buf_write(&o->files[index], buf, len) : 0;
}

static int opened_end(void *ctx, size_t index)
{
    test_opened *o = ctx;

    (void)index;
    o->ends++;
    return 0;
}

const mlv_pay_callbacks test_opened_callbacks = { opened_metadata, opened_data, opened_end };

void test_opened_free(test_opened *o)
{
    mlv_meta_clear(&o->meta);
    for (size_t i = 0; i < 8; i++)
        test_buf_free(&o->files[i]);
    memset(o, 0, sizeof *o);
}

mlv_env_status test_open(const uint8_t *env, size_t len, const mlv_box_keypair *const *keys, size_t nkeys,
                         size_t piece, test_opened *out, uint8_t receipt[MLV_RECEIPT_BYTES])
{
    mlv_pay_opener *o = NULL;
    mlv_env_status st;
    size_t at = 0;

    memset(out, 0, sizeof *out);
    st = mlv_pay_open_new(&o, keys, nkeys, &test_opened_callbacks, out);
    while (st == MLV_ENV_OK && at < len) {
        size_t take = piece == 0 || piece > len - at ? len - at : piece;

        st = mlv_pay_open_feed(o, env + at, take);
        at += take;
    }
    if (st == MLV_ENV_OK)
        st = mlv_pay_open_finish(o, receipt);
    mlv_pay_open_free(o);
    return st;
}

mlv_env_status test_seal(mlv_metadata *meta, const uint8_t *contents, size_t contents_len, unsigned n,
                         uint8_t flags, test_buf *out, uint8_t receipt[MLV_RECEIPT_BYTES])
{
    mlv_box_public recipients[TEST_MAX_EDITORS];
    mlv_pay_sealer *s = NULL;
    mlv_env_status st;
    size_t at = 0;

    for (unsigned i = 0; i < n; i++)
        test_editor_public(i, &recipients[i]);
    for (size_t i = 0; i < meta->nfiles; i++) {
        if (at + meta->files[i].length > contents_len)
            abort();
        crypto_generichash(meta->files[i].digest, MLV_FILE_DIGEST_BYTES, contents + at,
                           (size_t)meta->files[i].length, NULL, 0);
        at += (size_t)meta->files[i].length;
    }
    st = mlv_pay_seal_new(&s, recipients, n, flags, meta, test_buf_write, out);
    if (st == MLV_ENV_OK)
        st = mlv_pay_seal_data(s, contents, contents_len);
    if (st == MLV_ENV_OK)
        st = mlv_pay_seal_finish(s, receipt);
    mlv_pay_seal_free(s);
    return st;
}
