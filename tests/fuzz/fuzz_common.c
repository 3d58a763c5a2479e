/*
 * Fixed keys, a replayable random generator and small buffers for the
 * harnesses and the seed generator. Nothing here is secret: these keys
 * are published in the source so that anyone can rebuild the corpora.
 */
#include <string.h>

#include <sodium.h>

#include <malyava/envelope.h>
#include <malyava/keyid.h>

#include "fuzz.h"

#define OTHER_KEYS 8u

static uint8_t rng_key[crypto_stream_chacha20_KEYBYTES];
static uint64_t rng_counter;

static mlv_box_keypair *editor_key, *replier_key;
static mlv_box_public other_keys[OTHER_KEYS];
static mlv_org_public org_public;
static uint8_t *org_secret;

static const char *rng_name(void)
{
    return "malyava-fuzz-fixed";
}

static void rng_buf(void *buf, size_t size)
{
    uint8_t nonce[crypto_stream_chacha20_NONCEBYTES];

    for (size_t i = 0; i < sizeof nonce; i++)
        nonce[i] = (uint8_t)(rng_counter >> (8 * i));
    rng_counter++;
    crypto_stream_chacha20(buf, size, nonce, rng_key);
}

static uint32_t rng_random(void)
{
    uint32_t r;

    rng_buf(&r, sizeof r);
    return r;
}

static struct randombytes_implementation rng_impl = {
    .implementation_name = rng_name,
    .random = rng_random,
    .buf = rng_buf,
};

void mlv_fuzz_rng_reset(void)
{
    rng_counter = 0;
}

static void seed_from_label(uint8_t seed[32], const char *label, unsigned index)
{
    char text[64];

    snprintf(text, sizeof text, "malyava fuzz %s %u", label, index);
    crypto_generichash(seed, 32, (const uint8_t *)text, strlen(text), NULL, 0);
}

void mlv_fuzz_init(void)
{
    uint8_t seed[32], sign_pk[crypto_sign_PUBLICKEYBYTES], box_sk[crypto_box_SECRETKEYBYTES];

    if (editor_key != NULL)
        return;
    seed_from_label(rng_key, "random", 0);
    if (randombytes_set_implementation(&rng_impl) != 0 || sodium_init() < 0) {
        fprintf(stderr, "fuzz: libsodium failed to start\n");
        abort();
    }
    editor_key = sodium_malloc(sizeof *editor_key);
    replier_key = sodium_malloc(sizeof *replier_key);
    org_secret = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    if (editor_key == NULL || replier_key == NULL || org_secret == NULL) {
        fprintf(stderr, "fuzz: out of guarded memory for the fixed keys\n");
        abort();
    }
    seed_from_label(seed, "editor", 0);
    crypto_box_seed_keypair(editor_key->pk, editor_key->sk, seed);
    mlv_keyid_compute(editor_key->id, editor_key->pk, sizeof editor_key->pk);
    seed_from_label(seed, "replier", 0);
    crypto_box_seed_keypair(replier_key->pk, replier_key->sk, seed);
    mlv_keyid_compute(replier_key->id, replier_key->pk, sizeof replier_key->pk);
    for (unsigned i = 0; i < OTHER_KEYS; i++) {
        seed_from_label(seed, "other", i);
        crypto_box_seed_keypair(other_keys[i].pk, box_sk, seed);
        mlv_keyid_compute(other_keys[i].id, other_keys[i].pk, sizeof other_keys[i].pk);
    }
    seed_from_label(seed, "organisation", 0);
    crypto_sign_seed_keypair(sign_pk, org_secret, seed);
    memcpy(org_public.pk, sign_pk, sizeof org_public.pk);
    mlv_keyid_compute(org_public.id, org_public.pk, sizeof org_public.pk);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(box_sk, sizeof box_sk);
}

/* Harnesses that need more set-up define their own. */
__attribute__((weak)) void mlv_fuzz_harness_init(void)
{
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    mlv_fuzz_init();
    mlv_fuzz_harness_init();
    return 0;
}

const mlv_box_keypair *mlv_fuzz_editor_key(void)
{
    return editor_key;
}

const mlv_box_keypair *mlv_fuzz_replier_key(void)
{
    return replier_key;
}

void mlv_fuzz_manifest_of_replier(mlv_manifest *out)
{
    memset(out, 0, sizeof *out);
    out->serial = 1;
    out->nkeys = 1;
    memcpy(out->keys[0].id, replier_key->id, sizeof out->keys[0].id);
    memcpy(out->keys[0].pk, replier_key->pk, sizeof out->keys[0].pk);
}

void mlv_fuzz_editor_public(mlv_box_public *out)
{
    memcpy(out->id, editor_key->id, sizeof out->id);
    memcpy(out->pk, editor_key->pk, sizeof out->pk);
}

void mlv_fuzz_other_public(unsigned i, mlv_box_public *out)
{
    *out = other_keys[i % OTHER_KEYS];
}

const mlv_org_public *mlv_fuzz_org_public(void)
{
    return &org_public;
}

const uint8_t *mlv_fuzz_org_secret(void)
{
    return org_secret;
}

int mlv_fuzz_buf_write(void *ctx, const uint8_t *buf, size_t len)
{
    mlv_fuzz_buf *b = ctx;

    if (len > b->max - b->len)
        return -1;
    if (b->len + len > b->cap) {
        size_t cap = b->cap > 0 ? b->cap : 4096;
        uint8_t *p;

        while (cap < b->len + len)
            cap = cap > b->max / 2 ? b->max : cap * 2;
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

void mlv_fuzz_buf_free(mlv_fuzz_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void mlv_fuzz_cutter_init(mlv_fuzz_cutter *c, const uint8_t *data, size_t size)
{
    uint64_t h = 0xcbf29ce484222325ull ^ size;

    for (size_t i = 0; i < size && i < 64; i++)
        h = (h ^ data[i]) * 0x100000001b3ull;
    c->state = h != 0 ? h : 1;
}

size_t mlv_fuzz_cutter_next(mlv_fuzz_cutter *c, size_t remaining)
{
    uint64_t r;
    size_t n;

    c->state ^= c->state << 13;
    c->state ^= c->state >> 7;
    c->state ^= c->state << 17;
    r = c->state;
    switch (r & 7u) {
    case 0: n = 1; break;
    case 1: n = 1 + (size_t)((r >> 8) % 16u); break;
    case 2: n = MLV_ENV_CHUNK_OVERHEAD; break;
    case 3: n = 1 + (size_t)((r >> 8) % 4096u); break;
    case 4: n = MLV_ENV_CHUNK_CT_BYTES; break;
    case 5: n = MLV_ENV_CHUNK_CT_BYTES + 1 - (size_t)((r >> 8) % 3u); break;
    default: n = remaining; break;
    }
    return n < remaining ? n : remaining;
}

char *mlv_fuzz_cstring(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    FUZZ_ASSERT(s != NULL);
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}
