/*
 * Known-answer vectors (tests/vectors/keys-* and manifest-*): keys from
 * fixed seeds, a manifest and its signature (Ed25519 is deterministic),
 * and secret key files sealed with a fixed salt and nonce. Everything is
 * rebuilt here and compared byte for byte with the committed files; the
 * committed signature must verify and its tampered twins must not.
 * keys-README.md says how each value is derived.
 *
 *   test_vectors DIR           check the vectors in DIR
 *   test_vectors --write DIR   write them (only when the format changes on purpose)
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/keyfile.h>
#include <malyava/keyid.h>
#include <malyava/manifest.h>

#include "check.h"

#define PASSPHRASE "malyava test vector passphrase"
#define VECTOR_DAY 20468 /* 2026-01-15 */
#define NEDITORS 2

typedef struct vector_file {
    const char *name;
    uint8_t *data;
    size_t len;
} vector_file;

enum { ORG_PUB, EDITOR_A_PUB, EDITOR_B_PUB, MANIFEST, MANIFEST_SIG, FORGED, FORGED_SIG, ORG_KEY, EDITOR_A_KEY,
       DAMAGED_KEY, NFILES };

static vector_file files[NFILES] = {
    [ORG_PUB] = { "manifest-org.pub", NULL, 0 },
    [EDITOR_A_PUB] = { "manifest-editor-a.pub", NULL, 0 },
    [EDITOR_B_PUB] = { "manifest-editor-b.pub", NULL, 0 },
    [MANIFEST] = { "manifest-valid", NULL, 0 },
    [MANIFEST_SIG] = { "manifest-valid.minisig", NULL, 0 },
    [FORGED] = { "manifest-forged", NULL, 0 },
    [FORGED_SIG] = { "manifest-forged.minisig", NULL, 0 },
    [ORG_KEY] = { "keys-org.key", NULL, 0 },
    [EDITOR_A_KEY] = { "keys-editor-a.key", NULL, 0 },
    [DAMAGED_KEY] = { "keys-editor-a-damaged.key", NULL, 0 },
};

static void derive(uint8_t out[32], const char *label)
{
    char text[128];

    snprintf(text, sizeof text, "malyava test vector %s", label);
    crypto_generichash(out, 32, (const uint8_t *)text, strlen(text), NULL, 0);
}

static void put(unsigned which, const void *data, size_t len)
{
    files[which].data = malloc(len);
    memcpy(files[which].data, data, len);
    files[which].len = len;
}

static void put_text(unsigned which, char *text, size_t len)
{
    files[which].data = (uint8_t *)text;
    files[which].len = len;
}

static int by_id(const void *a, const void *b)
{
    return memcmp(((const mlv_box_public *)a)->id, ((const mlv_box_public *)b)->id, MLV_KEY_ID_BYTES);
}

/* Builds every vector from the seeds; returns the organisation key. */
static void build(mlv_org_public *org, uint8_t editor_a_secret[32])
{
    static const mlv_key_kdf kdf = { crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN };
    uint8_t seed[32], org_sk[64], box_sk[32], salt[32], nonce[32], image[MLV_KEY_SECRET_FILE_BYTES];
    mlv_manifest m;
    char *text, *sig;
    size_t len, sig_len;

    derive(seed, "organisation");
    crypto_sign_seed_keypair(org->pk, org_sk, seed);
    mlv_keyid_compute(org->id, org->pk, sizeof org->pk);
    CHECK(mlv_org_public_format(org, &text, &len) == 0);
    put_text(ORG_PUB, text, len);
    derive(salt, "organisation salt");
    derive(nonce, "organisation nonce");
    CHECK_EQ_INT(mlv_key_secret_encode(image, MLV_KEY_KIND_ORGANISATION, seed, PASSPHRASE, strlen(PASSPHRASE), &kdf,
                                       salt, nonce),
                 MLV_KEY_OK);
    put(ORG_KEY, image, sizeof image);

    memset(&m, 0, sizeof m);
    m.serial = 3;
    m.issued_day = VECTOR_DAY;
    m.expires_day = VECTOR_DAY + 90;
    m.nkeys = NEDITORS;
    for (unsigned i = 0; i < NEDITORS; i++) {
        char label[32];

        snprintf(label, sizeof label, "editor %c", 'a' + i);
        derive(seed, label);
        crypto_box_seed_keypair(m.keys[i].pk, box_sk, seed);
        mlv_keyid_compute(m.keys[i].id, m.keys[i].pk, 32);
        CHECK(mlv_key_box_public_format(&m.keys[i], i == 0 ? "editor-a" : "editor-b", &text, &len) == 0);
        put_text(EDITOR_A_PUB + i, text, len);
        if (i == 0) {
            memcpy(editor_a_secret, box_sk, 32);
            derive(salt, "editor a salt");
            derive(nonce, "editor a nonce");
            CHECK_EQ_INT(mlv_key_secret_encode(image, MLV_KEY_KIND_EDITOR, box_sk, PASSPHRASE, strlen(PASSPHRASE),
                                               &kdf, salt, nonce),
                         MLV_KEY_OK);
            put(EDITOR_A_KEY, image, sizeof image);
            image[120] ^= 0x10; /* inside the sealed secret */
            put(DAMAGED_KEY, image, sizeof image);
        }
    }
    qsort(m.keys, m.nkeys, sizeof m.keys[0], by_id);
    CHECK(mlv_man_format(&m, &text, &len) == 0);
    CHECK(mlv_man_sign(text, len, &m, org->id, org_sk, &sig, &sig_len) == 0);
    put_text(MANIFEST, text, len);
    put_text(MANIFEST_SIG, sig, sig_len);
    /* The forged twin: one more day of validity, same signature. */
    put(FORGED, text, len);
    memcpy(strstr((char *)files[FORGED].data, "expires 2026-04-15") + 17, "6", 1);
    put(FORGED_SIG, sig, sig_len);
    sodium_memzero(org_sk, sizeof org_sk);
    sodium_memzero(box_sk, sizeof box_sk);
}

static char *path_of(const char *dir, const char *name)
{
    char *p = NULL;

    if (asprintf(&p, "%s/%s", dir, name) < 0)
        abort();
    return p;
}

static int write_all(const char *dir)
{
    for (unsigned i = 0; i < NFILES; i++) {
        char *p = path_of(dir, files[i].name);

        if (mlv_file_write_new(p, files[i].data, files[i].len) != 0) {
            perror(p);
            return 1;
        }
        free(p);
    }
    return 0;
}

static void check_committed(const char *dir, const mlv_org_public *org, const uint8_t editor_a_secret[32])
{
    uint8_t *committed[NFILES] = { NULL }, *secret = sodium_malloc(32);
    size_t len[NFILES] = { 0 };
    mlv_org_public org_file;
    mlv_manifest m;
    mlv_key_info info;

    for (unsigned i = 0; i < NFILES; i++) {
        char *p = path_of(dir, files[i].name);
        int ok = mlv_file_read_small(p, 1u << 16, &committed[i], &len[i]) == 0 && len[i] == files[i].len &&
                 memcmp(committed[i], files[i].data, len[i]) == 0;

        if (!ok)
            fprintf(stderr, "%s differs from what the code produces\n", p);
        CHECK(ok);
        free(p);
    }
    CHECK_EQ_INT(mlv_org_public_parse((const char *)committed[ORG_PUB], len[ORG_PUB], &org_file), MLV_MAN_OK);
    CHECK(memcmp(&org_file, org, sizeof *org) == 0);
    CHECK_EQ_INT(mlv_man_verify((const char *)committed[MANIFEST], len[MANIFEST], (const char *)committed[MANIFEST_SIG],
                                len[MANIFEST_SIG], &org_file, VECTOR_DAY, 3, &m),
                 MLV_MAN_OK);
    CHECK(m.serial == 3 && m.nkeys == NEDITORS);
    CHECK_EQ_INT(mlv_man_verify((const char *)committed[FORGED], len[FORGED], (const char *)committed[FORGED_SIG],
                                len[FORGED_SIG], &org_file, VECTOR_DAY, 0, &m),
                 MLV_MAN_ERR_SIGNATURE);
    CHECK_EQ_INT(mlv_key_secret_decode(committed[EDITOR_A_KEY], len[EDITOR_A_KEY], MLV_KEY_KIND_EDITOR, PASSPHRASE,
                                       strlen(PASSPHRASE), secret, &info),
                 MLV_KEY_OK);
    CHECK(sodium_memcmp(secret, editor_a_secret, 32) == 0);
    CHECK_EQ_INT(mlv_key_secret_decode(committed[ORG_KEY], len[ORG_KEY], MLV_KEY_KIND_ORGANISATION, PASSPHRASE,
                                       strlen(PASSPHRASE), secret, &info),
                 MLV_KEY_OK);
    CHECK(memcmp(info.pk, org->pk, 32) == 0);
    CHECK_EQ_INT(mlv_key_secret_decode(committed[DAMAGED_KEY], len[DAMAGED_KEY], MLV_KEY_KIND_EDITOR, PASSPHRASE,
                                       strlen(PASSPHRASE), secret, &info),
                 MLV_KEY_ERR_CORRUPT);
    for (unsigned i = 0; i < NFILES; i++)
        free(committed[i]);
    sodium_free(secret);
}

int main(int argc, char **argv)
{
    mlv_org_public org;
    uint8_t editor_a_secret[32];
    int rc = 0;

    if (sodium_init() < 0 || argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[1], "--write") != 0)) {
        fprintf(stderr, "usage: test_vectors [--write] DIR\n");
        return 2;
    }
    build(&org, editor_a_secret);
    if (argc == 3)
        rc = write_all(argv[2]);
    else
        check_committed(argv[1], &org, editor_a_secret);
    for (unsigned i = 0; i < NFILES; i++)
        free(files[i].data);
    sodium_memzero(editor_a_secret, sizeof editor_a_secret);
    return rc != 0 ? rc : check_exit();
}
