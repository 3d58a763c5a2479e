/*
 * The manifest a source's CLI, the server and the browser check before
 * sealing to its keys. Input: manifest text, a NUL byte, then the minisign
 * signature file (canonical text never holds a NUL). Runs the strict
 * parser alone, then the full verification with the fixed organisation
 * key on a fixed day.
 */
#include <string.h>

#include <malyava/keyid.h>
#include <malyava/manifest.h>

#include "fuzz.h"

static int same_manifest(const mlv_manifest *a, const mlv_manifest *b)
{
    return a->serial == b->serial && a->issued_day == b->issued_day && a->expires_day == b->expires_day &&
           a->nkeys == b->nkeys && memcmp(a->keys, b->keys, a->nkeys * sizeof a->keys[0]) == 0;
}

static void check_parsed(const mlv_manifest *m, const char *text, size_t len)
{
    uint8_t id[MLV_KEY_ID_BYTES];
    char *again = NULL;
    size_t again_len = 0;

    FUZZ_ASSERT(m->serial >= 1);
    FUZZ_ASSERT(m->nkeys >= 1 && m->nkeys <= MLV_MAX_MANIFEST_KEYS);
    for (size_t i = 0; i < m->nkeys; i++) {
        /* An id is always the one its key hashes to. */
        mlv_keyid_compute(id, m->keys[i].pk, sizeof m->keys[i].pk);
        FUZZ_ASSERT(memcmp(id, m->keys[i].id, sizeof id) == 0);
        FUZZ_ASSERT(i == 0 || memcmp(m->keys[i - 1].id, m->keys[i].id, sizeof id) < 0);
        FUZZ_ASSERT(mlv_man_find(m, m->keys[i].id) == (int)i);
    }
    /* Only the canonical text is accepted, so formatting gives it back. */
    FUZZ_ASSERT(mlv_man_format(m, &again, &again_len) == 0);
    FUZZ_ASSERT(again_len == len && memcmp(again, text, len) == 0);
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mlv_manifest parsed, verified;
    const char *text = (const char *)data, *sig;
    const uint8_t *nul = memchr(data, 0, size);
    size_t text_len = nul != NULL ? (size_t)(nul - data) : size;
    size_t sig_len = nul != NULL ? size - text_len - 1 : 0;
    mlv_man_status ps, vs;

    mlv_fuzz_rng_reset();
    sig = nul != NULL ? (const char *)nul + 1 : text + size;
    memset(&parsed, 0, sizeof parsed);
    ps = mlv_man_parse(text, text_len, &parsed);
    if (ps == MLV_MAN_OK)
        check_parsed(&parsed, text, text_len);
    memset(&verified, 0, sizeof verified);
    vs = mlv_man_verify(text, text_len, sig, sig_len, mlv_fuzz_org_public(), MLV_FUZZ_TODAY, 0, &verified);
    if (vs != MLV_MAN_OK)
        return 0;
    FUZZ_ASSERT(ps == MLV_MAN_OK && same_manifest(&parsed, &verified));
    FUZZ_ASSERT(verified.issued_day <= MLV_FUZZ_TODAY && MLV_FUZZ_TODAY <= verified.expires_day);
    /* The same bytes, checked later or after a newer serial, must fail. */
    FUZZ_ASSERT(mlv_man_verify(text, text_len, sig, sig_len, mlv_fuzz_org_public(), verified.expires_day + 1, 0,
                               &verified) == MLV_MAN_ERR_EXPIRED);
    if (parsed.serial < UINT64_MAX)
        FUZZ_ASSERT(mlv_man_verify(text, text_len, sig, sig_len, mlv_fuzz_org_public(), MLV_FUZZ_TODAY,
                                   parsed.serial + 1, &verified) == MLV_MAN_ERR_ROLLBACK);
    return 0;
}
