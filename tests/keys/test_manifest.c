/*
 * The manifest (lib/manifest.c, lib/minisig.c): canonical text and its
 * strict parser, minisign signatures, and every refusal mlv_man_verify
 * promises, each caused on purpose.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <malyava/keyid.h>
#include <malyava/manifest.h>
#include <malyava/minisig.h>

#include "check.h"

#define ISSUED 20468 /* 2026-01-15 */

typedef struct org_key {
    mlv_org_public pub;
    uint8_t sk[64];
} org_key;

static void seeded(uint8_t seed[32], const char *label)
{
    crypto_generichash(seed, 32, (const uint8_t *)label, strlen(label), NULL, 0);
}

static void make_org(org_key *k, const char *label)
{
    uint8_t seed[32];

    seeded(seed, label);
    crypto_sign_seed_keypair(k->pub.pk, k->sk, seed);
    mlv_keyid_compute(k->pub.id, k->pub.pk, sizeof k->pub.pk);
}

static int by_id(const void *a, const void *b)
{
    return memcmp(((const mlv_box_public *)a)->id, ((const mlv_box_public *)b)->id, MLV_KEY_ID_BYTES);
}

static void make_manifest(mlv_manifest *m, uint64_t serial, size_t nkeys)
{
    uint8_t seed[32], sk[32];
    char label[32];

    memset(m, 0, sizeof *m);
    m->serial = serial;
    m->issued_day = ISSUED;
    m->expires_day = ISSUED + 90;
    m->nkeys = nkeys;
    for (size_t i = 0; i < nkeys; i++) {
        snprintf(label, sizeof label, "editor %zu", i);
        seeded(seed, label);
        crypto_box_seed_keypair(m->keys[i].pk, sk, seed);
        mlv_keyid_compute(m->keys[i].id, m->keys[i].pk, 32);
    }
    qsort(m->keys, nkeys, sizeof m->keys[0], by_id);
}

/* Text and signature of `m` by `k`. */
static void sign(const mlv_manifest *m, const org_key *k, char **text, size_t *text_len, char **sig, size_t *sig_len)
{
    *text = *sig = NULL;
    CHECK(mlv_man_format(m, text, text_len) == 0);
    CHECK(mlv_man_sign(*text, *text_len, m, k->pub.id, k->sk, sig, sig_len) == 0);
}

static mlv_man_status parse_str(const char *text)
{
    mlv_manifest m;

    return mlv_man_parse(text, strlen(text), &m);
}

static void format_and_parse(void)
{
    mlv_manifest m, back;
    char *text = NULL;
    size_t len = 0;

    make_manifest(&m, 7, 3);
    CHECK(mlv_man_format(&m, &text, &len) == 0);
    CHECK(strncmp(text, "malyava-manifest 1\nserial 7\nissued 2026-01-15\nexpires 2026-04-15\neditor ", 71) == 0);
    CHECK(len == 65 + 3 * 69 && text[len - 1] == '\n' && strlen(text) == len);
    CHECK_EQ_INT(mlv_man_parse(text, len, &back), MLV_MAN_OK);
    CHECK(back.serial == 7 && back.issued_day == ISSUED && back.expires_day == ISSUED + 90 && back.nkeys == 3);
    CHECK(memcmp(back.keys, m.keys, 3 * sizeof m.keys[0]) == 0);
    for (size_t i = 0; i < 3; i++)
        CHECK_EQ_INT(mlv_man_find(&back, m.keys[i].id), (int)i);
    CHECK_EQ_INT(mlv_man_find(&back, (const uint8_t *)"\0\0\0\0\0\0\0\0"), -1);
    free(text);

    /* The biggest manifest there is. */
    make_manifest(&m, UINT64_MAX, MLV_MAX_MANIFEST_KEYS);
    m.expires_day = m.issued_day + MLV_MAX_MANIFEST_DAYS;
    CHECK(mlv_man_format(&m, &text, &len) == 0);
    CHECK_EQ_INT(mlv_man_parse(text, len, &back), MLV_MAN_OK);
    CHECK(back.serial == UINT64_MAX && back.nkeys == MLV_MAX_MANIFEST_KEYS);
    free(text);
}

/* Records mlv_man_format must refuse to write. */
static void format_refuses(void)
{
    mlv_manifest m;
    char *text = NULL;
    size_t len = 0;

    make_manifest(&m, 0, 2);
    CHECK(mlv_man_format(&m, &text, &len) == -1 && text == NULL);
    make_manifest(&m, 1, 0);
    CHECK(mlv_man_format(&m, &text, &len) == -1);
    make_manifest(&m, 1, 2);
    m.expires_day = m.issued_day - 1;
    CHECK(mlv_man_format(&m, &text, &len) == -1);
    m.expires_day = m.issued_day + MLV_MAX_MANIFEST_DAYS + 1;
    CHECK(mlv_man_format(&m, &text, &len) == -1);
    make_manifest(&m, 1, 2);
    m.keys[1].id[0] ^= 1; /* not the key's id */
    CHECK(mlv_man_format(&m, &text, &len) == -1);
    make_manifest(&m, 1, 2);
    m.keys[1] = m.keys[0]; /* duplicate */
    CHECK(mlv_man_format(&m, &text, &len) == -1);
    make_manifest(&m, 1, 2);
    mlv_box_public t = m.keys[0];
    m.keys[0] = m.keys[1];
    m.keys[1] = t; /* unsorted */
    CHECK(mlv_man_format(&m, &text, &len) == -1);
    make_manifest(&m, 1, 2);
    m.nkeys = MLV_MAX_MANIFEST_KEYS + 1;
    CHECK(mlv_man_format(&m, &text, &len) == -1);
}

/* Replaces the first `from` in `text` with `to`; malloc'd. */
static char *edit(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    size_t head, from_len = strlen(from), to_len = strlen(to), len = strlen(text);
    char *out;

    if (at == NULL)
        abort();
    head = (size_t)(at - text);
    out = malloc(len - from_len + to_len + 1);
    memcpy(out, text, head);
    memcpy(out + head, to, to_len);
    memcpy(out + head + to_len, at + from_len, len - head - from_len + 1);
    return out;
}

/*
 * Every non-canonical variant is MALFORMED, from mlv_man_parse and from
 * mlv_man_verify even when the organisation signed those exact bytes.
 */
static void strict_rejections(const org_key *k)
{
    mlv_manifest m, out, two;
    char *text = NULL, *sig = NULL, *variant[32], first_id[17];
    size_t len = 0, sig_len = 0, n = 0;

    make_manifest(&m, 12, 2);
    CHECK(mlv_man_format(&m, &text, &len) == 0);
    variant[n++] = edit(text, "serial 12", "serial  12");       /* extra space */
    variant[n++] = edit(text, "serial 12", "serial 12 ");       /* trailing space */
    variant[n++] = edit(text, "\nissued", "\r\nissued");        /* CRLF */
    variant[n++] = edit(text, "serial 12", "serial 012");       /* leading zero */
    variant[n++] = edit(text, "serial 12", "serial 0");         /* serial 0 */
    variant[n++] = edit(text, "serial 12", "serial +12");
    variant[n++] = edit(text, "serial 12", "serial 18446744073709551616"); /* 2^64 */
    variant[n++] = edit(text, "expires 2026-04-15", "expires 2026-01-14"); /* before issue */
    variant[n++] = edit(text, "expires 2026-04-15", "expires 2027-01-17"); /* over the longest validity */
    variant[n++] = edit(text, "issued 2026-01-15", "issued 2026-1-15");
    variant[n++] = edit(text, "malyava-manifest 1", "malyava-manifest 2");
    variant[n++] = edit(text, "\nexpires", "\n\nexpires");      /* blank line */
    variant[n++] = edit(text, "editor ", "editor  ");
    variant[n++] = edit(text, "issued", "Issued");
    variant[n++] = edit(text, "\nissued", "\nnote x\nissued");  /* unknown line */
    variant[n++] = strndup(text, len - 1);                      /* final newline missing */
    variant[n++] = strndup(text, 4 * 20);                       /* no editor line... and cut */
    /* Upper-case hex id. */
    memcpy(first_id, text + len - 2 * 69 + 7, 16);
    first_id[16] = '\0';
    {
        char upper[17];
        for (int i = 0; i < 17; i++)
            upper[i] = (char)(first_id[i] >= 'a' && first_id[i] <= 'f' ? first_id[i] - 32 : first_id[i]);
        variant[n++] = strcmp(upper, first_id) != 0 ? edit(text, first_id, upper) : edit(text, "editor", "EDITOR");
    }
    /* An id that is not its key's. */
    {
        char other[17];
        memcpy(other, first_id, 17);
        other[15] = other[15] == '0' ? '1' : '0';
        variant[n++] = edit(text, first_id, other);
    }
    /* Unsorted, and duplicated. */
    {
        size_t head = len - 2 * 69;
        char *u = malloc(len + 1);
        memcpy(u, text, head);
        memcpy(u + head, text + len - 69, 69);
        memcpy(u + head + 69, text + head, 69);
        u[len] = '\0';
        variant[n++] = u;
        char *d = malloc(len + 1);
        memcpy(d, text, len - 69);
        memcpy(d + len - 69, text + len - 2 * 69, 69);
        d[len] = '\0';
        variant[n++] = d;
    }
    /* Padding bits set in the base64 of a key (a second spelling of it). */
    {
        char *b = strdup(text);
        char *last = b + len - 3; /* the character before "=\n" */
        *last = *last == 'A' ? 'B' : (char)(*last ^ 1);
        variant[n++] = b;
    }
    variant[n++] = strdup("");

    for (size_t i = 0; i < n; i++) {
        mlv_man_status ps = parse_str(variant[i]), vs;
        char *vsig = NULL;
        size_t vsig_len = 0;

        if (ps != MLV_MAN_ERR_MALFORMED)
            fprintf(stderr, "variant %zu accepted:\n%s\n", i, variant[i]);
        CHECK_EQ_INT(ps, MLV_MAN_ERR_MALFORMED);
        CHECK(mlv_minisig_sign((const uint8_t *)variant[i], strlen(variant[i]), k->pub.id, k->sk,
                               "signature from malyava organisation key", "malyava-manifest serial=12 expires=2026-04-15",
                               &vsig, &vsig_len) == 0);
        vs = mlv_man_verify(variant[i], strlen(variant[i]), vsig, vsig_len, &k->pub, ISSUED, 0, &out);
        CHECK_EQ_INT(vs, MLV_MAN_ERR_MALFORMED);
        free(vsig);
        free(variant[i]);
    }
    /* mlv_man_sign signs only the canonical text of its record. */
    make_manifest(&two, 12, 1);
    CHECK(mlv_man_sign(text, len, &two, k->pub.id, k->sk, &sig, &sig_len) == -1 && sig == NULL);
    CHECK(mlv_man_sign(text, len - 1, &m, k->pub.id, k->sk, &sig, &sig_len) == -1);
    CHECK(mlv_man_sign(text, len, &m, (const uint8_t *)"\1\2\3\4\5\6\7\10", k->sk, &sig, &sig_len) == -1);
    free(text);
}

static void sign_and_verify(const org_key *k, const org_key *other)
{
    mlv_manifest m, out;
    char *text, *sig, *bad, *other_sig;
    size_t len, sig_len, other_len;
    mlv_minisig parsed;

    make_manifest(&m, 5, 3);
    sign(&m, k, &text, &len, &sig, &sig_len);
    CHECK(strncmp(sig, "untrusted comment: signature from malyava organisation key\nRUR", 62) == 0);
    CHECK(strstr(sig, "\ntrusted comment: malyava-manifest serial=5 expires=2026-04-15\n") != NULL);
    CHECK(sig[sig_len - 1] == '\n' && strlen(sig) == sig_len);
    CHECK(mlv_minisig_parse(sig, sig_len, &parsed) == 0 && memcmp(parsed.keynum, k->pub.id, 8) == 0);
    /* mlv_minisig_verify itself holds the trusted comment to its global
     * signature (mlv_man_verify's comparison with the text would hide a
     * verifier that did not): any byte of either changed is refused. */
    CHECK(mlv_minisig_verify(&parsed, (const uint8_t *)text, len, k->pub.pk) == 0);
    for (size_t i = 0; i < parsed.trusted_comment_len; i++) {
        parsed.trusted_comment[i] ^= 0x01;
        if (mlv_minisig_verify(&parsed, (const uint8_t *)text, len, k->pub.pk) != -1) {
            fprintf(stderr, "trusted comment byte %zu changed, still verified\n", i);
            CHECK(!"a changed trusted comment is refused");
        }
        parsed.trusted_comment[i] ^= 0x01;
    }
    parsed.trusted_comment_len--;
    CHECK(mlv_minisig_verify(&parsed, (const uint8_t *)text, len, k->pub.pk) == -1);
    parsed.trusted_comment_len++;
    parsed.global_sig[17] ^= 0x80;
    CHECK(mlv_minisig_verify(&parsed, (const uint8_t *)text, len, k->pub.pk) == -1);
    parsed.global_sig[17] ^= 0x80;
    CHECK(mlv_minisig_verify(&parsed, (const uint8_t *)text, len, k->pub.pk) == 0);

    CHECK_EQ_INT(mlv_man_verify(text, len, sig, sig_len, &k->pub, ISSUED, 0, &out), MLV_MAN_OK);
    CHECK(out.serial == 5 && out.nkeys == 3 && memcmp(out.keys, m.keys, 3 * sizeof m.keys[0]) == 0);
    /* Dates: valid from the issue day through the expiry day, inclusive. */
    CHECK_EQ_INT(mlv_man_verify(text, len, sig, sig_len, &k->pub, ISSUED + 90, 5, &out), MLV_MAN_OK);
    CHECK_EQ_INT(mlv_man_verify(text, len, sig, sig_len, &k->pub, ISSUED + 91, 0, &out), MLV_MAN_ERR_EXPIRED);
    CHECK(out.nkeys == 0); /* nothing handed out on refusal */
    CHECK_EQ_INT(mlv_man_verify(text, len, sig, sig_len, &k->pub, ISSUED - 1, 0, &out), MLV_MAN_ERR_NOT_YET);
    CHECK_EQ_INT(mlv_man_verify(text, len, sig, sig_len, &k->pub, ISSUED, 6, &out), MLV_MAN_ERR_ROLLBACK);

    /* One edited byte of the text. */
    bad = edit(text, "serial 5", "serial 6");
    CHECK_EQ_INT(mlv_man_verify(bad, len, sig, sig_len, &k->pub, ISSUED, 0, &out), MLV_MAN_ERR_SIGNATURE);
    free(bad);
    bad = strdup(text);
    bad[len - 5] ^= 1;
    CHECK_EQ_INT(mlv_man_verify(bad, len, sig, sig_len, &k->pub, ISSUED, 0, &out), MLV_MAN_ERR_SIGNATURE);
    free(bad);
    /* An edited trusted comment, keeping its (now wrong) global signature. */
    bad = edit(sig, "serial=5", "serial=9");
    CHECK_EQ_INT(mlv_man_verify(text, len, bad, sig_len, &k->pub, ISSUED, 0, &out), MLV_MAN_ERR_SIGNATURE);
    free(bad);

    /* Checked against another organisation's key. */
    CHECK_EQ_INT(mlv_man_verify(text, len, sig, sig_len, &other->pub, ISSUED, 0, &out), MLV_MAN_ERR_WRONG_KEY);
    /* Signed by another key that claims this key's id. */
    CHECK(mlv_minisig_sign((const uint8_t *)text, len, k->pub.id, other->sk, "x",
                           "malyava-manifest serial=5 expires=2026-04-15", &other_sig, &other_len) == 0);
    CHECK_EQ_INT(mlv_man_verify(text, len, other_sig, other_len, &k->pub, ISSUED, 0, &out), MLV_MAN_ERR_SIGNATURE);
    free(other_sig);
    /* Properly signed, but the trusted comment names another serial or expiry. */
    CHECK(mlv_minisig_sign((const uint8_t *)text, len, k->pub.id, k->sk, "x",
                           "malyava-manifest serial=6 expires=2026-04-15", &other_sig, &other_len) == 0);
    CHECK_EQ_INT(mlv_man_verify(text, len, other_sig, other_len, &k->pub, ISSUED, 0, &out), MLV_MAN_ERR_SIGNATURE);
    free(other_sig);
    CHECK(mlv_minisig_sign((const uint8_t *)text, len, k->pub.id, k->sk, "x",
                           "malyava-manifest serial=5 expires=2027-01-01", &other_sig, &other_len) == 0);
    CHECK_EQ_INT(mlv_man_verify(text, len, other_sig, other_len, &k->pub, ISSUED, 0, &out), MLV_MAN_ERR_SIGNATURE);
    free(other_sig);
    /* The untrusted comment is just that: changing it changes nothing. */
    bad = edit(sig, "signature from malyava organisation key", "anything at all");
    CHECK_EQ_INT(mlv_man_verify(text, strlen(text), bad, strlen(bad), &k->pub, ISSUED, 0, &out), MLV_MAN_OK);
    free(bad);
    free(text);
    free(sig);
}

/* The trusted comment and its global signature lifted from a signature of
 * a later manifest, pasted under the earlier one's signature. */
static void spliced_comment(const org_key *k)
{
    mlv_manifest a, b, out;
    char *ta, *sa, *tb, *sb, *spliced;
    size_t la, lsa, lb, lsb;
    const char *tail_a, *tail_b;

    make_manifest(&a, 1, 2);
    make_manifest(&b, 2, 2);
    b.expires_day = a.expires_day + 30;
    sign(&a, k, &ta, &la, &sa, &lsa);
    sign(&b, k, &tb, &lb, &sb, &lsb);
    tail_a = strstr(sa, "trusted comment: ");
    tail_b = strstr(sb, "trusted comment: ");
    /* The first two lines of a's signature, the last two of b's. */
    spliced = malloc(lsa + lsb);
    memcpy(spliced, sa, (size_t)(tail_a - sa));
    strcpy(spliced + (tail_a - sa), tail_b);
    CHECK_EQ_INT(mlv_man_verify(ta, la, spliced, strlen(spliced), &k->pub, ISSUED, 0, &out), MLV_MAN_ERR_SIGNATURE);
    /* And the reverse: b's text signature under a's comment. */
    memcpy(spliced, sb, (size_t)(tail_b - sb));
    strcpy(spliced + (tail_b - sb), tail_a);
    CHECK_EQ_INT(mlv_man_verify(tb, lb, spliced, strlen(spliced), &k->pub, ISSUED, 0, &out), MLV_MAN_ERR_SIGNATURE);
    free(spliced);
    free(ta);
    free(sa);
    free(tb);
    free(sb);
}

static void signature_file_strictness(const org_key *k)
{
    mlv_manifest m, out;
    char *text, *sig, *bad;
    size_t len, sig_len;
    uint8_t blob[74];
    char b64[101], *line2;
    mlv_minisig parsed;

    make_manifest(&m, 3, 1);
    sign(&m, k, &text, &len, &sig, &sig_len);
    CHECK_EQ_INT(mlv_man_verify(text, len, sig, sig_len - 1, &k->pub, ISSUED, 0, &out), MLV_MAN_ERR_MALFORMED);
    bad = edit(sig, "\ntrusted", "\r\ntrusted");
    CHECK_EQ_INT(mlv_man_verify(text, len, bad, strlen(bad), &k->pub, ISSUED, 0, &out), MLV_MAN_ERR_MALFORMED);
    free(bad);
    bad = edit(sig, "untrusted comment: ", "untrusted comment:");
    CHECK_EQ_INT(mlv_man_verify(text, len, bad, strlen(bad), &k->pub, ISSUED, 0, &out), MLV_MAN_ERR_MALFORMED);
    free(bad);
    CHECK_EQ_INT(mlv_man_verify(text, len, "", 0, &k->pub, ISSUED, 0, &out), MLV_MAN_ERR_MALFORMED);
    /* The legacy, not prehashed, variant "Ed" is not accepted. */
    line2 = strchr(sig, '\n') + 1;
    memcpy(b64, line2, 100);
    b64[100] = '\0';
    CHECK(sodium_base642bin(blob, sizeof blob, b64, 100, NULL, NULL, NULL, sodium_base64_VARIANT_ORIGINAL) == 0);
    CHECK(blob[0] == 'E' && blob[1] == 'D');
    blob[1] = 'd';
    sodium_bin2base64(b64, sizeof b64, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
    bad = strdup(sig);
    memcpy(strchr(bad, '\n') + 1, b64, 100);
    CHECK(mlv_minisig_parse(bad, sig_len, &parsed) == -1);
    CHECK_EQ_INT(mlv_man_verify(text, len, bad, sig_len, &k->pub, ISSUED, 0, &out), MLV_MAN_ERR_MALFORMED);
    free(bad);
    free(text);
    free(sig);
}

static void org_public_files(const org_key *k)
{
    char *text = NULL, *bad;
    size_t len = 0;
    mlv_org_public back;
    char want_comment[64];
    uint64_t le = 0;

    CHECK(mlv_org_public_format(&k->pub, &text, &len) == 0);
    for (unsigned i = 8; i-- > 0;)
        le = (le << 8) | k->pub.id[i];
    snprintf(want_comment, sizeof want_comment, "untrusted comment: minisign public key %llX\nRW",
             (unsigned long long)le);
    CHECK(strncmp(text, want_comment, strlen(want_comment)) == 0);
    CHECK_EQ_INT(mlv_org_public_parse(text, len, &back), MLV_MAN_OK);
    CHECK(memcmp(&back, &k->pub, sizeof back) == 0);
    /* Any untrusted comment is fine, a key number that is not the id is not. */
    bad = edit(text, "minisign public key", "our organisation");
    CHECK_EQ_INT(mlv_org_public_parse(bad, strlen(bad), &back), MLV_MAN_OK);
    free(bad);
    bad = strdup(text);
    bad[strchr(text, '\n') - text + 5] ^= 1;
    CHECK_EQ_INT(mlv_org_public_parse(bad, len, &back), MLV_MAN_ERR_MALFORMED);
    free(bad);
    CHECK_EQ_INT(mlv_org_public_parse(text, len - 1, &back), MLV_MAN_ERR_MALFORMED);
    free(text);
}

int main(void)
{
    org_key k, other;

    if (sodium_init() < 0)
        return 1;
    make_org(&k, "organisation");
    make_org(&other, "another organisation");
    format_and_parse();
    format_refuses();
    strict_rejections(&k);
    sign_and_verify(&k, &other);
    spliced_comment(&k);
    signature_file_strictness(&k);
    org_public_files(&k);
    CHECK(strcmp(mlv_man_strerror(MLV_MAN_ERR_SIGNATURE), mlv_man_strerror(MLV_MAN_ERR_MALFORMED)) != 0);
    return check_exit();
}
