/* See powcheck.h. */
#include "powcheck.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <malyava/limits.h>

#define RANDOM_BYTES 16u
#define SIGNED_BYTES 24u /* random bytes and expiry: what the tag covers */
#define TAG_BYTES 8u
#define KEY_BYTES 32u
/* Twice the entries, so linear probing stays short. */
#define SLOTS (2u * MLV_SRV_POW_MAX_USED)

typedef struct used_entry {
    uint8_t random[RANDOM_BYTES];
    int64_t expiry; /* 0: empty slot */
} used_entry;

struct mlv_powcheck {
    uint8_t *key; /* sodium_malloc'd */
    atomic_uint bits;
    pthread_mutex_t lock;
    used_entry *used;
    size_t nused;
};

/* Exactly 2*n hex digits into n bytes. */
static int hex_bytes(const char *s, uint8_t *out, size_t n)
{
    size_t got = 0;

    return sodium_hex2bin(out, n, s, 2u * n, NULL, &got, NULL) == 0 && got == n ? 0 : -1;
}

int mlv_powcheck_parse(const char *value, uint8_t challenge[MLV_POW_CHALLENGE_BYTES], uint64_t *nonce)
{
    uint8_t n[MLV_POW_NONCE_BYTES];

    if (strnlen(value, MLV_POWCHECK_HEADER_BYTES + 1u) != MLV_POWCHECK_HEADER_BYTES ||
        value[2u * MLV_POW_CHALLENGE_BYTES] != ':' ||
        hex_bytes(value, challenge, MLV_POW_CHALLENGE_BYTES) != 0 ||
        hex_bytes(value + 2u * MLV_POW_CHALLENGE_BYTES + 1u, n, sizeof n) != 0)
        return -1;
    *nonce = 0;
    for (unsigned i = 0; i < MLV_POW_NONCE_BYTES; i++)
        *nonce |= (uint64_t)n[i] << (8u * i);
    return 0;
}

mlv_powcheck *mlv_powcheck_new(unsigned bits)
{
    mlv_powcheck *p = calloc(1, sizeof *p);

    if (p == NULL)
        return NULL;
    p->key = sodium_malloc(KEY_BYTES);
    p->used = calloc(SLOTS, sizeof *p->used);
    if (p->key == NULL || p->used == NULL) {
        sodium_free(p->key);
        free(p->used);
        free(p);
        return NULL;
    }
    randombytes_buf(p->key, KEY_BYTES);
    atomic_init(&p->bits, bits);
    pthread_mutex_init(&p->lock, NULL);
    return p;
}

void mlv_powcheck_free(mlv_powcheck *p)
{
    if (p == NULL)
        return;
    sodium_free(p->key);
    free(p->used);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

void mlv_powcheck_set_bits(mlv_powcheck *p, unsigned bits)
{
    atomic_store(&p->bits, bits);
}

unsigned mlv_powcheck_bits(mlv_powcheck *p)
{
    return atomic_load(&p->bits);
}

int64_t mlv_powcheck_minute(int64_t unix_seconds)
{
    return unix_seconds < 0 ? 0 : unix_seconds / 60;
}

static void tag_of(const mlv_powcheck *p, const uint8_t challenge[MLV_POW_CHALLENGE_BYTES], uint8_t tag[TAG_BYTES])
{
    /* BLAKE2b's shortest output through libsodium is 16 bytes; half of it
     * is plenty for a tag only this server ever checks. */
    uint8_t full[crypto_generichash_BYTES_MIN];

    crypto_generichash(full, sizeof full, challenge, SIGNED_BYTES, p->key, KEY_BYTES);
    memcpy(tag, full, TAG_BYTES);
}

static void put_i64(uint8_t *out, int64_t v)
{
    for (unsigned i = 0; i < 8u; i++)
        out[i] = (uint8_t)((uint64_t)v >> (8u * i));
}

static int64_t get_i64(const uint8_t *in)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < 8u; i++)
        v |= (uint64_t)in[i] << (8u * i);
    return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

void mlv_powcheck_issue(mlv_powcheck *p, int64_t now_minute, uint8_t challenge[MLV_POW_CHALLENGE_BYTES])
{
    randombytes_buf(challenge, RANDOM_BYTES);
    put_i64(challenge + RANDOM_BYTES, now_minute + (int64_t)MLV_SRV_POW_VALID_MINUTES);
    tag_of(p, challenge, challenge + SIGNED_BYTES);
}

static size_t slot_of(const uint8_t random[RANDOM_BYTES])
{
    uint64_t h;

    /* The random half was drawn by this server and is covered by the tag,
     * so it is already a uniform hash no client can steer. */
    memcpy(&h, random, sizeof h);
    return (size_t)(h % SLOTS);
}

/* 1 if present, else inserts it and returns 0. */
static int used_insert(used_entry *table, const uint8_t random[RANDOM_BYTES], int64_t expiry)
{
    size_t i = slot_of(random);

    while (table[i].expiry != 0) {
        if (memcmp(table[i].random, random, RANDOM_BYTES) == 0)
            return 1;
        i = (i + 1u) % SLOTS;
    }
    memcpy(table[i].random, random, RANDOM_BYTES);
    table[i].expiry = expiry;
    return 0;
}

/* Forgets expired challenges by rebuilding the table (linear probing
 * cannot simply empty a slot). Runs only when the table is full. */
static void used_purge(mlv_powcheck *p, int64_t now_minute)
{
    used_entry *fresh = calloc(SLOTS, sizeof *fresh);
    size_t kept = 0;

    if (fresh == NULL)
        return;
    for (size_t i = 0; i < SLOTS; i++) {
        if (p->used[i].expiry >= now_minute) {
            used_insert(fresh, p->used[i].random, p->used[i].expiry);
            kept++;
        }
    }
    free(p->used);
    p->used = fresh;
    p->nused = kept;
}

unsigned mlv_powcheck_bits_for(mlv_powcheck *p, uint64_t length, uint64_t quota_bytes)
{
    uint64_t unit = quota_bytes / MLV_SRV_POW_QUOTA_SHARES, units;
    unsigned bits = mlv_powcheck_bits(p);

    if (bits == 0)
        return 0;
    if (unit == 0)
        unit = 1;
    /* One bit per doubling: the work is at least proportional to the
     * share of the quota the upload may take. */
    units = length / unit + (length % unit != 0);
    for (uint64_t covered = 1; covered < units && bits < MLV_POW_MAX_BITS; covered <<= 1)
        bits++;
    return bits;
}

mlv_powcheck_status mlv_powcheck_verify(mlv_powcheck *p, const char *value, int64_t now_minute)
{
    return mlv_powcheck_verify_bits(p, value, now_minute, mlv_powcheck_bits(p));
}

mlv_powcheck_status mlv_powcheck_verify_bits(mlv_powcheck *p, const char *value, int64_t now_minute, unsigned bits)
{
    uint8_t challenge[MLV_POW_CHALLENGE_BYTES], tag[TAG_BYTES];
    mlv_powcheck_status st = MLV_POWCHECK_OK;
    uint64_t nonce;
    int64_t expiry;

    if (mlv_powcheck_parse(value, challenge, &nonce) != 0)
        return MLV_POWCHECK_MALFORMED;
    tag_of(p, challenge, tag);
    if (sodium_memcmp(tag, challenge + SIGNED_BYTES, TAG_BYTES) != 0)
        return MLV_POWCHECK_FORGED;
    expiry = get_i64(challenge + RANDOM_BYTES);
    if (expiry < now_minute)
        return MLV_POWCHECK_EXPIRED;
    if (mlv_pow_zero_bits(challenge, nonce) < bits)
        return MLV_POWCHECK_WEAK;
    pthread_mutex_lock(&p->lock);
    if (p->nused >= MLV_SRV_POW_MAX_USED)
        used_purge(p, now_minute);
    if (p->nused >= MLV_SRV_POW_MAX_USED)
        st = MLV_POWCHECK_FULL;
    else if (used_insert(p->used, challenge, expiry) != 0)
        st = MLV_POWCHECK_REUSED;
    else
        p->nused++;
    pthread_mutex_unlock(&p->lock);
    return st;
}
