/* Codenames: see codename.h and docs/FORMAT.md §5. */
#include <malyava/codename.h>

#include <string.h>

#include <sodium.h>

#include <malyava/keyid.h>
#include <malyava/limits.h>

/* 16 × 4 × 8 × 4 = 2048 words: eleven bits each, 110 bits in ten words. */
static const char first_consonants[] = "bdfghjklmnprstvz";
static const char vowels[] = "aeio";
static const char second_consonants[] = "dklmnrst";

static const char seed_key[] = "malyava codename v1";
static const char kdf_context[crypto_kdf_CONTEXTBYTES + 1] = "MLVCODE1";

enum { KDF_ID_REPLY_SEED = 1, KDF_ID_LOGIN_TOKEN = 2 };

void mlv_codename_word(char out[MLV_CODENAME_WORD_LETTERS + 1u], unsigned index)
{
    index &= MLV_CODENAME_WORD_COUNT - 1u;
    out[0] = first_consonants[index >> 7];
    out[1] = vowels[(index >> 5) & 3u];
    out[2] = second_consonants[(index >> 2) & 7u];
    out[3] = vowels[index & 3u];
    out[4] = '\0';
}

static int index_of(const char *set, char c)
{
    const char *p = c != '\0' ? strchr(set, c) : NULL;
    return p != NULL ? (int)(p - set) : -1;
}

/* The index of a four-letter lower-case word, or -1 if it is not in the list. */
static int word_index(const char w[MLV_CODENAME_WORD_LETTERS])
{
    int c1 = index_of(first_consonants, w[0]), v1 = index_of(vowels, w[1]);
    int c2 = index_of(second_consonants, w[2]), v2 = index_of(vowels, w[3]);

    if (c1 < 0 || v1 < 0 || c2 < 0 || v2 < 0)
        return -1;
    return (c1 << 7) | (v1 << 5) | (c2 << 2) | v2;
}

void mlv_codename_generate(char out[MLV_CODENAME_STR_BYTES])
{
    for (unsigned i = 0; i < MLV_CODENAME_WORDS; i++) {
        mlv_codename_word(out + i * (MLV_CODENAME_WORD_LETTERS + 1u),
                          randombytes_uniform(MLV_CODENAME_WORD_COUNT));
        out[i * (MLV_CODENAME_WORD_LETTERS + 1u) + MLV_CODENAME_WORD_LETTERS] = ' ';
    }
    out[MLV_CODENAME_STR_BYTES - 1u] = '\0';
}

static int is_separator(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '-' || c == '.' || c == ',';
}

int mlv_codename_normalize(const char *typed, size_t len, char out[MLV_CODENAME_STR_BYTES],
                           unsigned *bad_word)
{
    char word[MLV_CODENAME_WORD_LETTERS];
    unsigned words = 0;
    size_t i = 0;

    if (bad_word != NULL)
        *bad_word = 0;
    if (typed == NULL || len > MLV_CODENAME_MAX_TYPED_BYTES)
        return -1;
    for (;;) {
        size_t letters = 0;

        while (i < len && is_separator(typed[i]))
            i++;
        if (i == len)
            break;
        for (; i < len && !is_separator(typed[i]); i++, letters++) {
            if (letters < MLV_CODENAME_WORD_LETTERS) {
                char c = typed[i];
                word[letters] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
            }
        }
        if (words == MLV_CODENAME_WORDS)
            goto wrong_count;
        words++;
        if (letters != MLV_CODENAME_WORD_LETTERS || word_index(word) < 0) {
            if (bad_word != NULL)
                *bad_word = words;
            goto fail;
        }
        memcpy(out + (words - 1u) * (MLV_CODENAME_WORD_LETTERS + 1u), word, MLV_CODENAME_WORD_LETTERS);
        out[(words - 1u) * (MLV_CODENAME_WORD_LETTERS + 1u) + MLV_CODENAME_WORD_LETTERS] = ' ';
    }
    if (words != MLV_CODENAME_WORDS)
        goto wrong_count;
    out[MLV_CODENAME_STR_BYTES - 1u] = '\0';
    return 0;
wrong_count:
    if (bad_word != NULL)
        *bad_word = 0;
fail:
    sodium_memzero(out, MLV_CODENAME_STR_BYTES);
    sodium_memzero(word, sizeof word);
    return -1;
}

int mlv_codename_derive(const char *typed, size_t len, mlv_box_keypair *reply,
                        uint8_t token[MLV_CODENAME_TOKEN_BYTES])
{
    char canonical[MLV_CODENAME_STR_BYTES];
    uint8_t seed[crypto_generichash_BYTES];
    uint8_t reply_seed[crypto_box_SEEDBYTES];
    int ret = -1;

    if (reply == NULL || mlv_codename_normalize(typed, len, canonical, NULL) != 0)
        goto out;
    /* Ten words carry 110 bits: a fast hash suffices, no password KDF. */
    if (crypto_generichash(seed, sizeof seed, (const uint8_t *)canonical, strlen(canonical),
                           (const uint8_t *)seed_key, sizeof seed_key - 1u) != 0)
        goto out;
    if (crypto_kdf_derive_from_key(reply_seed, sizeof reply_seed, KDF_ID_REPLY_SEED, kdf_context, seed) != 0 ||
        crypto_box_seed_keypair(reply->pk, reply->sk, reply_seed) != 0)
        goto out;
    mlv_keyid_compute(reply->id, reply->pk, sizeof reply->pk);
    if (token != NULL &&
        crypto_kdf_derive_from_key(token, MLV_CODENAME_TOKEN_BYTES, KDF_ID_LOGIN_TOKEN, kdf_context, seed) != 0)
        goto out;
    ret = 0;
out:
    sodium_memzero(canonical, sizeof canonical);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(reply_seed, sizeof reply_seed);
    return ret;
}
