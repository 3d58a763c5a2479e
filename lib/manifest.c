/* The manifest: canonical text, strict parse, signing and verification (manifest.h). */
#include <malyava/manifest.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <malyava/keyid.h>
#include <malyava/minisig.h>

#define MAN_MAGIC_LINE "malyava-manifest 1\n"
#define MAN_SERIAL "serial "
#define MAN_ISSUED "issued "
#define MAN_EXPIRES "expires "
#define MAN_EDITOR "editor "
#define LIT_LEN(s) (sizeof(s) - 1u)

#define DAY_CHARS 10u
#define SERIAL_MAX_DIGITS 20u /* UINT64_MAX */
#define PK_B64_CHARS (sodium_base64_ENCODED_LEN(MLV_BOX_PUBLIC_BYTES, sodium_base64_VARIANT_ORIGINAL) - 1u)
#define EDITOR_LINE_CHARS (LIT_LEN(MAN_EDITOR) + MLV_KEY_ID_BYTES * 2u + 1u + PK_B64_CHARS + 1u)
#define HEADER_MAX_CHARS                                                                                  \
    (LIT_LEN(MAN_MAGIC_LINE) + LIT_LEN(MAN_SERIAL) + SERIAL_MAX_DIGITS + 1u + LIT_LEN(MAN_ISSUED) + DAY_CHARS + \
     1u + LIT_LEN(MAN_EXPIRES) + DAY_CHARS + 1u)
/* The longest canonical text: anything longer is refused unread. */
#define MAN_TEXT_MAX (HEADER_MAX_CHARS + MLV_MAX_MANIFEST_KEYS * EDITOR_LINE_CHARS)

#define SIG_UNTRUSTED_COMMENT "signature from malyava organisation key"
/* "malyava-manifest serial=N expires=YYYY-MM-DD" with the longest N */
#define TRUSTED_COMMENT_MAX 64u

#define ORG_KEY_ALG "Ed"
#define ORG_KEY_COMMENT "minisign public key "

const char *mlv_man_strerror(mlv_man_status status)
{
    switch (status) {
    case MLV_MAN_OK:
        return "ok";
    case MLV_MAN_ERR_MALFORMED:
        return "not a well-formed Malyava manifest, signature or organisation key. Get the files again from the "
               "organisation";
    case MLV_MAN_ERR_WRONG_KEY:
        return "signed by another key than this organisation key. Check that you have the organisation's real "
               "public key (compare its fingerprint)";
    case MLV_MAN_ERR_SIGNATURE:
        return "the signature does not match: the manifest was altered or forged. Do not use it; get it again from "
               "the organisation";
    case MLV_MAN_ERR_EXPIRED:
        return "the manifest has expired. The organisation's admin must sign a new one (malyava-keys manifest sign)";
    case MLV_MAN_ERR_NOT_YET:
        return "the manifest is issued on a later day than today. Check this computer's date";
    case MLV_MAN_ERR_ROLLBACK:
        return "the manifest is older than one already seen (its serial went down), which is how a replay looks. "
               "Use the newest manifest";
    case MLV_MAN_ERR_SYSTEM:
        break;
    }
    return "out of memory or a system error. Try again";
}

static int key_cmp(const mlv_box_public *a, const mlv_box_public *b)
{
    return memcmp(a->id, b->id, MLV_KEY_ID_BYTES);
}

/* Everything a canonical manifest promises, checked before it is written. */
static int man_valid(const mlv_manifest *m)
{
    uint8_t id[MLV_KEY_ID_BYTES];

    if (m->serial < 1 || m->issued_day < 0 || m->issued_day > MLV_DAY_MAX || m->expires_day < m->issued_day ||
        m->expires_day - m->issued_day > (int64_t)MLV_MAX_MANIFEST_DAYS || m->expires_day > MLV_DAY_MAX ||
        m->nkeys < 1 || m->nkeys > MLV_MAX_MANIFEST_KEYS)
        return 0;
    for (size_t i = 0; i < m->nkeys; i++) {
        mlv_keyid_compute(id, m->keys[i].pk, sizeof m->keys[i].pk);
        if (memcmp(id, m->keys[i].id, sizeof id) != 0)
            return 0;
        if (i > 0 && key_cmp(&m->keys[i - 1], &m->keys[i]) >= 0)
            return 0;
    }
    return 1;
}

int mlv_man_format(const mlv_manifest *m, char **out, size_t *out_len)
{
    char issued[11], expires[11], id_hex[MLV_KEY_ID_STR_BYTES], pk_b64[PK_B64_CHARS + 1u];
    char *buf = NULL;
    size_t cap, pos;
    int n;

    *out = NULL;
    *out_len = 0;
    if (!man_valid(m))
        return -1;
    cap = MAN_TEXT_MAX + 1u;
    buf = malloc(cap);
    if (buf == NULL)
        return -1;
    mlv_day_format(issued, m->issued_day);
    mlv_day_format(expires, m->expires_day);
    n = snprintf(buf, cap, MAN_MAGIC_LINE MAN_SERIAL "%" PRIu64 "\n" MAN_ISSUED "%s\n" MAN_EXPIRES "%s\n", m->serial,
                 issued, expires);
    if (n < 0 || (size_t)n >= cap)
        goto fail;
    pos = (size_t)n;
    for (size_t i = 0; i < m->nkeys; i++) {
        mlv_keyid_to_hex(id_hex, m->keys[i].id);
        sodium_bin2base64(pk_b64, sizeof pk_b64, m->keys[i].pk, sizeof m->keys[i].pk,
                          sodium_base64_VARIANT_ORIGINAL);
        n = snprintf(buf + pos, cap - pos, MAN_EDITOR "%s %s\n", id_hex, pk_b64);
        if (n < 0 || (size_t)n >= cap - pos)
            goto fail;
        pos += (size_t)n;
    }
    *out = buf;
    *out_len = pos;
    return 0;
fail:
    free(buf);
    return -1;
}

/* The next LF-ended line; -1 at the end of the text or without its LF. */
static int next_line(const char **p, const char *end, const char **line, size_t *len)
{
    const char *nl;

    if (*p >= end)
        return -1;
    nl = memchr(*p, '\n', (size_t)(end - *p));
    if (nl == NULL)
        return -1;
    *line = *p;
    *len = (size_t)(nl - *p);
    *p = nl + 1;
    return 0;
}

/* A line "<prefix><value>": returns the value. */
static int field_line(const char **p, const char *end, const char *prefix, size_t prefix_len, const char **value,
                      size_t *value_len)
{
    const char *line;
    size_t len;

    if (next_line(p, end, &line, &len) != 0 || len < prefix_len || memcmp(line, prefix, prefix_len) != 0)
        return -1;
    *value = line + prefix_len;
    *value_len = len - prefix_len;
    return 0;
}

/* Decimal digits only; leading zeros are caught by the canonical compare. */
static int parse_serial(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;

    if (len == 0 || len > SERIAL_MAX_DIGITS)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned digit;

        if (s[i] < '0' || s[i] > '9')
            return -1;
        digit = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - digit) / 10u)
            return -1;
        v = v * 10u + digit;
    }
    *out = v;
    return 0;
}

static int parse_editor(const char *s, size_t len, mlv_box_public *key)
{
    const char *b64_end = NULL;
    size_t pk_len = 0;

    if (len != MLV_KEY_ID_BYTES * 2u + 1u + PK_B64_CHARS || s[MLV_KEY_ID_BYTES * 2u] != ' ')
        return -1;
    if (mlv_keyid_from_hex(key->id, s, MLV_KEY_ID_BYTES * 2u) != 0)
        return -1;
    s += MLV_KEY_ID_BYTES * 2u + 1u;
    if (sodium_base642bin(key->pk, sizeof key->pk, s, PK_B64_CHARS, NULL, &pk_len, &b64_end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        pk_len != sizeof key->pk || b64_end != s + PK_B64_CHARS)
        return -1;
    return 0;
}

/*
 * Reads the fields leniently enough to rebuild the record, then demands
 * that the record formats back to exactly the input: one check covers
 * spacing, case, leading zeros, order, duplicates and line ends.
 */
mlv_man_status mlv_man_parse(const char *text, size_t len, mlv_manifest *out)
{
    const char *p = text, *end = text + len, *v;
    size_t vlen;
    char *again = NULL;
    size_t again_len = 0;
    mlv_man_status st = MLV_MAN_ERR_MALFORMED;

    memset(out, 0, sizeof *out);
    if (len > MAN_TEXT_MAX || len < LIT_LEN(MAN_MAGIC_LINE) ||
        memcmp(text, MAN_MAGIC_LINE, LIT_LEN(MAN_MAGIC_LINE)) != 0)
        goto out;
    p += LIT_LEN(MAN_MAGIC_LINE);
    if (field_line(&p, end, MAN_SERIAL, LIT_LEN(MAN_SERIAL), &v, &vlen) != 0 ||
        parse_serial(v, vlen, &out->serial) != 0)
        goto out;
    if (field_line(&p, end, MAN_ISSUED, LIT_LEN(MAN_ISSUED), &v, &vlen) != 0 ||
        mlv_day_parse(v, vlen, &out->issued_day) != 0)
        goto out;
    if (field_line(&p, end, MAN_EXPIRES, LIT_LEN(MAN_EXPIRES), &v, &vlen) != 0 ||
        mlv_day_parse(v, vlen, &out->expires_day) != 0)
        goto out;
    while (p < end) {
        if (out->nkeys == MLV_MAX_MANIFEST_KEYS ||
            field_line(&p, end, MAN_EDITOR, LIT_LEN(MAN_EDITOR), &v, &vlen) != 0 ||
            parse_editor(v, vlen, &out->keys[out->nkeys]) != 0)
            goto out;
        out->nkeys++;
    }
    if (mlv_man_format(out, &again, &again_len) != 0) {
        /* Only a record that breaks a rule gets here, or no memory. */
        if (man_valid(out))
            st = MLV_MAN_ERR_SYSTEM;
        goto out;
    }
    if (again_len == len && memcmp(again, text, len) == 0)
        st = MLV_MAN_OK;
out:
    free(again);
    if (st != MLV_MAN_OK)
        memset(out, 0, sizeof *out);
    return st;
}

static int trusted_comment(char out[TRUSTED_COMMENT_MAX], const mlv_manifest *m)
{
    char expires[11];
    int n;

    mlv_day_format(expires, m->expires_day);
    n = snprintf(out, TRUSTED_COMMENT_MAX, "malyava-manifest serial=%" PRIu64 " expires=%s", m->serial, expires);
    return n < 0 || (size_t)n >= TRUSTED_COMMENT_MAX ? -1 : n;
}

mlv_man_status mlv_man_verify(const char *text, size_t text_len, const char *sig, size_t sig_len,
                              const mlv_org_public *org, int64_t today, uint64_t min_serial, mlv_manifest *out)
{
    mlv_minisig s;
    mlv_manifest m;
    char expected[TRUSTED_COMMENT_MAX];
    int expected_len;
    mlv_man_status st;

    memset(out, 0, sizeof *out);
    if (mlv_minisig_parse(sig, sig_len, &s) != 0)
        return MLV_MAN_ERR_MALFORMED;
    if (memcmp(s.keynum, org->id, sizeof org->id) != 0)
        return MLV_MAN_ERR_WRONG_KEY;
    /* The text is only read once the organisation is known to have signed it. */
    if (mlv_minisig_verify(&s, (const uint8_t *)text, text_len, org->pk) != 0)
        return MLV_MAN_ERR_SIGNATURE;
    st = mlv_man_parse(text, text_len, &m);
    if (st != MLV_MAN_OK)
        return st;
    /* The trusted comment is what `minisign -V` shows an admin; a comment
     * lifted from another signature of the same key must not pass. */
    expected_len = trusted_comment(expected, &m);
    if (expected_len < 0)
        return MLV_MAN_ERR_SYSTEM;
    if (s.trusted_comment_len != (size_t)expected_len ||
        memcmp(s.trusted_comment, expected, (size_t)expected_len) != 0)
        return MLV_MAN_ERR_SIGNATURE;
    if (today < m.issued_day)
        return MLV_MAN_ERR_NOT_YET;
    if (today > m.expires_day)
        return MLV_MAN_ERR_EXPIRED;
    if (m.serial < min_serial)
        return MLV_MAN_ERR_ROLLBACK;
    *out = m;
    return MLV_MAN_OK;
}

int mlv_man_sign(const char *text, size_t text_len, const mlv_manifest *m, const uint8_t org_id[8],
                 const uint8_t org_sk[MLV_SIGN_SECRET_BYTES], char **sig_out, size_t *sig_len)
{
    uint8_t pk[MLV_SIGN_PUBLIC_BYTES], id[MLV_KEY_ID_BYTES];
    char tc[TRUSTED_COMMENT_MAX], *canonical = NULL;
    size_t canonical_len = 0;
    int rc = -1;

    *sig_out = NULL;
    *sig_len = 0;
    /* Signing is the one step that cannot be taken back: refuse a text
     * that is not exactly `m`, or a key that is not the one named. */
    if (mlv_man_format(m, &canonical, &canonical_len) != 0 || canonical_len != text_len ||
        memcmp(canonical, text, text_len) != 0)
        goto out;
    if (crypto_sign_ed25519_sk_to_pk(pk, org_sk) != 0)
        goto out;
    mlv_keyid_compute(id, pk, sizeof pk);
    if (memcmp(id, org_id, sizeof id) != 0 || trusted_comment(tc, m) < 0)
        goto out;
    rc = mlv_minisig_sign((const uint8_t *)text, text_len, org_id, org_sk, SIG_UNTRUSTED_COMMENT, tc, sig_out,
                          sig_len);
out:
    free(canonical);
    return rc;
}

int mlv_man_find(const mlv_manifest *m, const uint8_t id[MLV_KEY_ID_BYTES])
{
    for (size_t i = 0; i < m->nkeys && i < MLV_MAX_MANIFEST_KEYS; i++) {
        if (memcmp(m->keys[i].id, id, MLV_KEY_ID_BYTES) == 0)
            return (int)i;
    }
    return -1;
}

/* minisign reads its key number as a little-endian integer and prints it
 * in upper-case hex without leading zeros; the comment matches that. */
static uint64_t le64_load(const uint8_t b[8])
{
    uint64_t v = 0;

    for (unsigned i = 8; i-- > 0;)
        v = (v << 8) | b[i];
    return v;
}

mlv_man_status mlv_org_public_parse(const char *text, size_t len, mlv_org_public *out)
{
    uint8_t id[MLV_KEY_ID_BYTES];
    const char *comment;
    size_t comment_len;

    memset(out, 0, sizeof *out);
    if (mlv_minisig_key_parse(text, len, ORG_KEY_ALG, &comment, &comment_len, out->id, out->pk) != 0)
        goto malformed;
    /* A minisign key with a random key number is not ours: our key number
     * is the key id, so it can never be paired with the wrong key. */
    mlv_keyid_compute(id, out->pk, sizeof out->pk);
    if (memcmp(id, out->id, sizeof id) != 0)
        goto malformed;
    return MLV_MAN_OK;
malformed:
    memset(out, 0, sizeof *out);
    return MLV_MAN_ERR_MALFORMED;
}

int mlv_org_public_format(const mlv_org_public *org, char **out, size_t *out_len)
{
    char comment[LIT_LEN(ORG_KEY_COMMENT) + 17u];
    int n = snprintf(comment, sizeof comment, ORG_KEY_COMMENT "%" PRIX64, le64_load(org->id));

    *out = NULL;
    *out_len = 0;
    if (n < 0 || (size_t)n >= sizeof comment)
        return -1;
    return mlv_minisig_key_format(ORG_KEY_ALG, comment, org->id, org->pk, out, out_len);
}
