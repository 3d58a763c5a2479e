/* minisign key and signature files: see minisig.h and docs/FORMAT.md §3. */
#include <malyava/minisig.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define UNTRUSTED_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX "trusted comment: "
#define PREFIX_LEN(p) (sizeof(p) - 1u)

/* minisign prehashes with the longest BLAKE2b output. */
#define PREHASH_BYTES crypto_generichash_BYTES_MAX

static const char sig_alg_prehashed[MLV_MINISIG_ALG_BYTES] = { 'E', 'D' };

#define KEY_BLOB_BYTES (MLV_MINISIG_ALG_BYTES + MLV_MINISIG_KEYNUM_BYTES + MLV_MINISIG_PUBLIC_BYTES)
#define SIG_BLOB_BYTES (MLV_MINISIG_ALG_BYTES + MLV_MINISIG_KEYNUM_BYTES + MLV_MINISIG_SIG_BYTES)

/*
 * Takes the next LF-ended line. Controls other than tab are refused: a CR
 * means a file mangled in transit, and nothing else belongs in a comment
 * or in base64.
 */
static int take_line(const char **p, const char *end, const char **line, size_t *line_len)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));

    if (nl == NULL)
        return -1;
    for (const char *c = *p; c < nl; c++) {
        unsigned char b = (unsigned char)*c;
        if ((b < 0x20 && b != '\t') || b == 0x7f)
            return -1;
    }
    *line = *p;
    *line_len = (size_t)(nl - *p);
    *p = nl + 1;
    return 0;
}

/* A line that starts with `prefix`; returns what follows it. */
static int take_prefixed(const char **p, const char *end, const char *prefix, size_t prefix_len,
                         const char **rest, size_t *rest_len)
{
    const char *line;
    size_t len;

    if (take_line(p, end, &line, &len) != 0 || len < prefix_len || memcmp(line, prefix, prefix_len) != 0 ||
        len - prefix_len > MLV_MAX_MINISIG_COMMENT_BYTES)
        return -1;
    *rest = line + prefix_len;
    *rest_len = len - prefix_len;
    return 0;
}

/* A base64 line (ORIGINAL variant, padded) of exactly `want` bytes. */
static int take_base64(const char **p, const char *end, uint8_t *bin, size_t want)
{
    const char *line, *b64_end = NULL;
    size_t len, bin_len = 0;

    if (take_line(p, end, &line, &len) != 0 || len != sodium_base64_ENCODED_LEN(want, sodium_base64_VARIANT_ORIGINAL) - 1u)
        return -1;
    if (sodium_base642bin(bin, want, line, len, NULL, &bin_len, &b64_end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        bin_len != want || b64_end != line + len)
        return -1;
    return 0;
}

static int single_line(const char *s, size_t max)
{
    size_t len = strnlen(s, max + 1u);

    return len <= max && strpbrk(s, "\r\n") == NULL;
}

int mlv_minisig_key_parse(const char *text, size_t len, const char alg[MLV_MINISIG_ALG_BYTES],
                          const char **comment, size_t *comment_len, uint8_t keynum[MLV_MINISIG_KEYNUM_BYTES],
                          uint8_t pk[MLV_MINISIG_PUBLIC_BYTES])
{
    uint8_t blob[KEY_BLOB_BYTES];
    const char *p = text, *end = text + len;

    if (len > MLV_MAX_SMALL_FILE_BYTES ||
        take_prefixed(&p, end, UNTRUSTED_PREFIX, PREFIX_LEN(UNTRUSTED_PREFIX), comment, comment_len) != 0 ||
        take_base64(&p, end, blob, sizeof blob) != 0 || p != end ||
        memcmp(blob, alg, MLV_MINISIG_ALG_BYTES) != 0)
        return -1;
    memcpy(keynum, blob + MLV_MINISIG_ALG_BYTES, MLV_MINISIG_KEYNUM_BYTES);
    memcpy(pk, blob + MLV_MINISIG_ALG_BYTES + MLV_MINISIG_KEYNUM_BYTES, MLV_MINISIG_PUBLIC_BYTES);
    return 0;
}

int mlv_minisig_key_format(const char alg[MLV_MINISIG_ALG_BYTES], const char *comment,
                           const uint8_t keynum[MLV_MINISIG_KEYNUM_BYTES], const uint8_t pk[MLV_MINISIG_PUBLIC_BYTES],
                           char **out, size_t *out_len)
{
    uint8_t blob[KEY_BLOB_BYTES];
    char b64[sodium_base64_ENCODED_LEN(KEY_BLOB_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    int n;

    *out = NULL;
    *out_len = 0;
    if (!single_line(comment, MLV_MAX_MINISIG_COMMENT_BYTES))
        return -1;
    memcpy(blob, alg, MLV_MINISIG_ALG_BYTES);
    memcpy(blob + MLV_MINISIG_ALG_BYTES, keynum, MLV_MINISIG_KEYNUM_BYTES);
    memcpy(blob + MLV_MINISIG_ALG_BYTES + MLV_MINISIG_KEYNUM_BYTES, pk, MLV_MINISIG_PUBLIC_BYTES);
    sodium_bin2base64(b64, sizeof b64, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
    n = asprintf(out, UNTRUSTED_PREFIX "%s\n%s\n", comment, b64);
    if (n < 0) {
        *out = NULL;
        return -1;
    }
    *out_len = (size_t)n;
    return 0;
}

int mlv_minisig_parse(const char *text, size_t len, mlv_minisig *out)
{
    uint8_t blob[SIG_BLOB_BYTES];
    const char *p = text, *end = text + len, *comment, *tc;
    size_t comment_len, tc_len;

    memset(out, 0, sizeof *out);
    if (len > MLV_MAX_SMALL_FILE_BYTES ||
        take_prefixed(&p, end, UNTRUSTED_PREFIX, PREFIX_LEN(UNTRUSTED_PREFIX), &comment, &comment_len) != 0 ||
        take_base64(&p, end, blob, sizeof blob) != 0 ||
        take_prefixed(&p, end, TRUSTED_PREFIX, PREFIX_LEN(TRUSTED_PREFIX), &tc, &tc_len) != 0 ||
        take_base64(&p, end, out->global_sig, sizeof out->global_sig) != 0 || p != end ||
        memcmp(blob, sig_alg_prehashed, MLV_MINISIG_ALG_BYTES) != 0) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    memcpy(out->keynum, blob + MLV_MINISIG_ALG_BYTES, MLV_MINISIG_KEYNUM_BYTES);
    memcpy(out->sig, blob + MLV_MINISIG_ALG_BYTES + MLV_MINISIG_KEYNUM_BYTES, MLV_MINISIG_SIG_BYTES);
    memcpy(out->trusted_comment, tc, tc_len);
    out->trusted_comment[tc_len] = '\0';
    out->trusted_comment_len = tc_len;
    return 0;
}

int mlv_minisig_verify(const mlv_minisig *s, const uint8_t *msg, size_t msg_len,
                       const uint8_t pk[MLV_MINISIG_PUBLIC_BYTES])
{
    uint8_t hash[PREHASH_BYTES];
    uint8_t signed_comment[MLV_MINISIG_SIG_BYTES + MLV_MAX_MINISIG_COMMENT_BYTES];

    if (s->trusted_comment_len > MLV_MAX_MINISIG_COMMENT_BYTES)
        return -1;
    crypto_generichash(hash, sizeof hash, msg, msg_len, NULL, 0);
    if (crypto_sign_verify_detached(s->sig, hash, sizeof hash, pk) != 0)
        return -1;
    memcpy(signed_comment, s->sig, MLV_MINISIG_SIG_BYTES);
    memcpy(signed_comment + MLV_MINISIG_SIG_BYTES, s->trusted_comment, s->trusted_comment_len);
    if (crypto_sign_verify_detached(s->global_sig, signed_comment, MLV_MINISIG_SIG_BYTES + s->trusted_comment_len,
                                    pk) != 0)
        return -1;
    return 0;
}

int mlv_minisig_sign(const uint8_t *msg, size_t msg_len, const uint8_t keynum[MLV_MINISIG_KEYNUM_BYTES],
                     const uint8_t sk[MLV_MINISIG_SECRET_BYTES], const char *untrusted_comment,
                     const char *trusted_comment, char **out, size_t *out_len)
{
    uint8_t hash[PREHASH_BYTES], blob[SIG_BLOB_BYTES], global_sig[MLV_MINISIG_SIG_BYTES];
    uint8_t signed_comment[MLV_MINISIG_SIG_BYTES + MLV_MAX_MINISIG_COMMENT_BYTES];
    char blob_b64[sodium_base64_ENCODED_LEN(SIG_BLOB_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    char global_b64[sodium_base64_ENCODED_LEN(MLV_MINISIG_SIG_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    uint8_t *sig = blob + MLV_MINISIG_ALG_BYTES + MLV_MINISIG_KEYNUM_BYTES;
    size_t tc_len;
    int n;

    *out = NULL;
    *out_len = 0;
    if (!single_line(untrusted_comment, MLV_MAX_MINISIG_COMMENT_BYTES) ||
        !single_line(trusted_comment, MLV_MAX_MINISIG_COMMENT_BYTES))
        return -1;
    tc_len = strlen(trusted_comment);
    memcpy(blob, sig_alg_prehashed, MLV_MINISIG_ALG_BYTES);
    memcpy(blob + MLV_MINISIG_ALG_BYTES, keynum, MLV_MINISIG_KEYNUM_BYTES);
    crypto_generichash(hash, sizeof hash, msg, msg_len, NULL, 0);
    if (crypto_sign_detached(sig, NULL, hash, sizeof hash, sk) != 0)
        return -1;
    memcpy(signed_comment, sig, MLV_MINISIG_SIG_BYTES);
    memcpy(signed_comment + MLV_MINISIG_SIG_BYTES, trusted_comment, tc_len);
    if (crypto_sign_detached(global_sig, NULL, signed_comment, MLV_MINISIG_SIG_BYTES + tc_len, sk) != 0)
        return -1;
    sodium_bin2base64(blob_b64, sizeof blob_b64, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(global_b64, sizeof global_b64, global_sig, sizeof global_sig, sodium_base64_VARIANT_ORIGINAL);
    n = asprintf(out, UNTRUSTED_PREFIX "%s\n%s\n" TRUSTED_PREFIX "%s\n%s\n", untrusted_comment, blob_b64,
                 trusted_comment, global_b64);
    if (n < 0) {
        *out = NULL;
        return -1;
    }
    *out_len = (size_t)n;
    return 0;
}
