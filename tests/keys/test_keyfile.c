/*
 * Key ids and key files (lib/keyfile.c): round trips for both kinds, a
 * wrong passphrase told apart from damage at every byte, KDF caps checked
 * before Argon2id runs, public key files, and the file-level helpers
 * (0600, never overwrite, never follow a symlink, passwd).
 *
 * Most files here use libsodium's minimum Argon2id cost so the suite stays
 * fast; one round trip uses the "interactive" profile the CLI tests use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/keyfile.h>
#include <malyava/keyid.h>

#include "check.h"

#define PASS "correct horse battery staple"
#define OFF_VERSION 6
#define OFF_KIND 7
#define OFF_OPSLIMIT 9
#define OFF_MEMLIMIT 17
#define OFF_CHECKSUM 153

static const mlv_key_kdf fast_kdf = { crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN };

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void reseal_checksum(uint8_t file[MLV_KEY_SECRET_FILE_BYTES])
{
    crypto_generichash(file + OFF_CHECKSUM, 32, file, OFF_CHECKSUM, NULL, 0);
}

static void store64(uint8_t *p, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void key_ids(void)
{
    uint8_t pk[32], id[MLV_KEY_ID_BYTES];
    char hex[MLV_KEY_ID_STR_BYTES], fp[MLV_FINGERPRINT_STR_BYTES];

    /* Expected values from an independent BLAKE2b-256 (Python hashlib). */
    memset(pk, 0, sizeof pk);
    mlv_keyid_compute(id, pk, sizeof pk);
    mlv_keyid_to_hex(hex, id);
    CHECK(strcmp(hex, "89eb0d6a8a691dae") == 0);
    mlv_keyid_fingerprint(fp, pk, sizeof pk);
    CHECK(strcmp(fp, "89eb 0d6a 8a69 1dae 2cd1 5ed0 3699 31ce") == 0);
    for (unsigned i = 0; i < 32; i++)
        pk[i] = (uint8_t)i;
    mlv_keyid_compute(id, pk, sizeof pk);
    mlv_keyid_to_hex(hex, id);
    CHECK(strcmp(hex, "cb2f5160fc1f7e05") == 0);
}

/* A file of `kind` around a fresh random secret (returned in guarded memory). */
static uint8_t *make_file(uint8_t file[MLV_KEY_SECRET_FILE_BYTES], mlv_key_kind kind, const mlv_key_kdf *kdf)
{
    uint8_t *secret = sodium_malloc(MLV_KEY_SECRET_BYTES);

    randombytes_buf(secret, MLV_KEY_SECRET_BYTES);
    CHECK_EQ_INT(mlv_key_secret_encode(file, kind, secret, PASS, strlen(PASS), kdf, NULL, NULL), MLV_KEY_OK);
    return secret;
}

static void round_trip(mlv_key_kind kind, const mlv_key_kdf *kdf)
{
    uint8_t file[MLV_KEY_SECRET_FILE_BYTES], *secret = make_file(file, kind, kdf);
    uint8_t *back = sodium_malloc(MLV_KEY_SECRET_BYTES), pk[32], sk64[64], id[MLV_KEY_ID_BYTES];
    mlv_key_kind other = kind == MLV_KEY_KIND_EDITOR ? MLV_KEY_KIND_ORGANISATION : MLV_KEY_KIND_EDITOR;
    mlv_key_info info, seen;

    CHECK(memcmp(file, "MLVSEC\x01", 7) == 0 && file[OFF_KIND] == (uint8_t)kind && file[8] == 2);
    CHECK_EQ_INT(mlv_key_secret_decode(file, sizeof file, kind, PASS, strlen(PASS), back, &info), MLV_KEY_OK);
    CHECK(sodium_memcmp(secret, back, MLV_KEY_SECRET_BYTES) == 0);
    if (kind == MLV_KEY_KIND_EDITOR)
        crypto_scalarmult_base(pk, secret);
    else
        crypto_sign_seed_keypair(pk, sk64, secret);
    mlv_keyid_compute(id, pk, sizeof pk);
    CHECK(memcmp(info.pk, pk, sizeof pk) == 0 && memcmp(info.id, id, sizeof id) == 0);
    CHECK(info.kind == kind && info.kdf.opslimit == kdf->opslimit && info.kdf.memlimit == kdf->memlimit);
    CHECK_EQ_INT(mlv_key_secret_inspect(file, sizeof file, &seen), MLV_KEY_OK);
    CHECK(seen.kind == info.kind && seen.kdf.opslimit == info.kdf.opslimit && seen.kdf.memlimit == info.kdf.memlimit &&
          memcmp(seen.id, info.id, sizeof seen.id) == 0 && memcmp(seen.pk, info.pk, sizeof seen.pk) == 0);
    CHECK_EQ_INT(mlv_key_secret_decode(file, sizeof file, other, PASS, strlen(PASS), back, &info), MLV_KEY_ERR_KIND);
    CHECK_EQ_INT(mlv_key_secret_decode(file, sizeof file, kind, "correct horse battery stapl", strlen(PASS) - 1,
                                       back, &info),
                 MLV_KEY_ERR_PASSPHRASE);
    CHECK_EQ_INT(mlv_key_secret_decode(file, sizeof file, kind, "", 0, back, &info), MLV_KEY_ERR_PASSPHRASE);
    sodium_free(secret);
    sodium_free(back);
}

static void damage_everywhere(void)
{
    uint8_t file[MLV_KEY_SECRET_FILE_BYTES], bad[MLV_KEY_SECRET_FILE_BYTES + 1];
    uint8_t *secret = make_file(file, MLV_KEY_KIND_EDITOR, &fast_kdf), *out = sodium_malloc(MLV_KEY_SECRET_BYTES);
    mlv_key_info info;
    unsigned wrong = 0;

    for (size_t i = 0; i < sizeof file; i++) {
        for (unsigned flip = 0x01; flip <= 0x80; flip <<= 1) {
            mlv_key_status st;

            /* A higher version byte is read as "newer", tested below. */
            if (i == OFF_VERSION && flip != 0x01)
                continue;
            memcpy(bad, file, sizeof file);
            bad[i] ^= (uint8_t)flip;
            st = mlv_key_secret_decode(bad, sizeof file, MLV_KEY_KIND_EDITOR, PASS, strlen(PASS), out, &info);
            if (st != MLV_KEY_ERR_CORRUPT && wrong++ < 5)
                fprintf(stderr, "byte %zu ^ 0x%02x gave status %d\n", i, flip, (int)st);
        }
    }
    CHECK_EQ_INT(wrong, 0);
    for (size_t len = 0; len < sizeof file; len++)
        CHECK_EQ_INT(mlv_key_secret_inspect(file, len, &info), MLV_KEY_ERR_CORRUPT);
    memcpy(bad, file, sizeof file);
    bad[sizeof file] = 0;
    CHECK_EQ_INT(mlv_key_secret_inspect(bad, sizeof bad, &info), MLV_KEY_ERR_CORRUPT);

    memcpy(bad, file, sizeof file);
    bad[OFF_VERSION] = 2;
    reseal_checksum(bad);
    CHECK_EQ_INT(mlv_key_secret_inspect(bad, sizeof file, &info), MLV_KEY_ERR_VERSION);
    /* Whoever can rewrite the checksum cannot forge the AEAD: a changed
     * public key in the header (its id fixed up too) fails like a wrong
     * passphrase, because the header is associated data. */
    memcpy(bad, file, sizeof file);
    bad[73] ^= 1;
    mlv_keyid_compute(bad + 65, bad + 73, 32);
    reseal_checksum(bad);
    CHECK_EQ_INT(mlv_key_secret_decode(bad, sizeof file, MLV_KEY_KIND_EDITOR, PASS, strlen(PASS), out, &info),
                 MLV_KEY_ERR_PASSPHRASE);
    /* Sealed properly, but around a secret that is not the stored key's:
     * only re-deriving the public key after opening catches it. */
    {
        uint8_t key[32], other[32];

        memcpy(bad, file, sizeof file);
        randombytes_buf(other, sizeof other);
        CHECK(crypto_pwhash(key, sizeof key, PASS, strlen(PASS), bad + 25, fast_kdf.opslimit,
                            (size_t)fast_kdf.memlimit, crypto_pwhash_ALG_ARGON2ID13) == 0);
        crypto_aead_xchacha20poly1305_ietf_encrypt(bad + 105, NULL, other, sizeof other, bad, 105, NULL, bad + 41,
                                                   key);
        reseal_checksum(bad);
        CHECK_EQ_INT(mlv_key_secret_decode(bad, sizeof file, MLV_KEY_KIND_EDITOR, PASS, strlen(PASS), out, &info),
                     MLV_KEY_ERR_CORRUPT);
        sodium_memzero(key, sizeof key);
    }
    memcpy(bad, file, sizeof file);
    bad[OFF_KIND] = 'X';
    reseal_checksum(bad);
    CHECK_EQ_INT(mlv_key_secret_inspect(bad, sizeof file, &info), MLV_KEY_ERR_CORRUPT);

    CHECK(strcmp(mlv_key_strerror(MLV_KEY_ERR_PASSPHRASE), mlv_key_strerror(MLV_KEY_ERR_CORRUPT)) != 0);
    CHECK(strstr(mlv_key_strerror(MLV_KEY_ERR_PASSPHRASE), "Try again") != NULL);
    CHECK(strstr(mlv_key_strerror(MLV_KEY_ERR_CORRUPT), "backup") != NULL);
    sodium_free(secret);
    sodium_free(out);
}

/* Hostile costs are refused before Argon2id runs: the "too much memory"
 * case would otherwise allocate a terabyte or fail with SYSTEM. */
static void kdf_limits(void)
{
    static const struct {
        uint64_t ops, mem;
    } bad[] = {
        { 0, 8192 },
        { MLV_KDF_MAX_OPSLIMIT + 1, 8192 },
        { UINT64_MAX, 8192 },
        { 1, 4096 },
        { 1, MLV_KDF_MAX_MEMLIMIT + 1 },
        { 1, 1ull << 40 },
        { UINT64_MAX, UINT64_MAX },
    };
    uint8_t file[MLV_KEY_SECRET_FILE_BYTES], bad_file[MLV_KEY_SECRET_FILE_BYTES];
    uint8_t *secret = make_file(file, MLV_KEY_KIND_ORGANISATION, &fast_kdf), *out = sodium_malloc(32);
    mlv_key_info info;
    double start = now_seconds();

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mlv_key_kdf kdf = { bad[i].ops, bad[i].mem };

        memcpy(bad_file, file, sizeof file);
        store64(bad_file + OFF_OPSLIMIT, bad[i].ops);
        store64(bad_file + OFF_MEMLIMIT, bad[i].mem);
        reseal_checksum(bad_file);
        CHECK_EQ_INT(mlv_key_secret_decode(bad_file, sizeof bad_file, MLV_KEY_KIND_ORGANISATION, PASS, strlen(PASS),
                                           out, &info),
                     MLV_KEY_ERR_LIMIT);
        CHECK_EQ_INT(mlv_key_secret_encode(bad_file, MLV_KEY_KIND_EDITOR, secret, PASS, strlen(PASS), &kdf, NULL, NULL),
                     MLV_KEY_ERR_LIMIT);
    }
    /* Fourteen refusals in far less time than one Argon2id at the cap. */
    CHECK(now_seconds() - start < 0.5);
    sodium_free(secret);
    sodium_free(out);
}

static void kdf_names(void)
{
    mlv_key_kdf k;

    CHECK(mlv_key_kdf_from_name("interactive", &k) == 0 && k.opslimit == 2 && k.memlimit == 64ull << 20);
    CHECK(mlv_key_kdf_from_name("moderate", &k) == 0 && k.opslimit == 3 && k.memlimit == 256ull << 20);
    CHECK(mlv_key_kdf_from_name("sensitive", &k) == 0 && k.opslimit == 4 && k.memlimit == 1024ull << 20);
    CHECK(mlv_key_kdf_from_name("Sensitive", &k) == -1);
    CHECK(mlv_key_kdf_from_name("", &k) == -1);
    mlv_key_kdf_default(&k);
    /* The default must be readable back: within the caps. */
    CHECK(k.opslimit <= MLV_KDF_MAX_OPSLIMIT && k.memlimit <= MLV_KDF_MAX_MEMLIMIT && k.opslimit == 4);
}

static void names(void)
{
    CHECK(mlv_key_name_valid("alice", 5));
    CHECK(mlv_key_name_valid("a.b_c-D9", 8));
    CHECK(mlv_key_name_valid("x", 1));
    CHECK(!mlv_key_name_valid("", 0));
    CHECK(!mlv_key_name_valid(".hidden", 7));
    CHECK(!mlv_key_name_valid("a/b", 3));
    CHECK(!mlv_key_name_valid("a b", 3));
    CHECK(!mlv_key_name_valid("ünïcode", strlen("ünïcode")));
    CHECK(mlv_key_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 64));
    CHECK(!mlv_key_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 65));
}

static void editor_public_files(void)
{
    mlv_box_public pub, back;
    char name[MLV_MAX_EDITOR_NAME_BYTES + 1u], small[4], *text = NULL, *bad = NULL;
    size_t len = 0;
    uint8_t sk[32];

    crypto_box_keypair(pub.pk, sk);
    mlv_keyid_compute(pub.id, pub.pk, sizeof pub.pk);
    CHECK(mlv_key_box_public_format(&pub, "alice", &text, &len) == 0);
    CHECK(len == strlen(text) && strncmp(text, "untrusted comment: malyava editor public key alice\n", 51) == 0);
    CHECK(len == 51 + 56 + 1 && text[len - 1] == '\n');
    CHECK_EQ_INT(mlv_key_box_public_parse(text, len, &back, name, sizeof name), MLV_KEY_OK);
    CHECK(memcmp(&pub, &back, sizeof pub) == 0 && strcmp(name, "alice") == 0);
    CHECK_EQ_INT(mlv_key_box_public_parse(text, len, &back, small, sizeof small), MLV_KEY_OK);
    CHECK(strcmp(small, "ali") == 0);
    free(text);
    CHECK(mlv_key_box_public_format(&pub, ".x", &text, &len) == -1 && text == NULL);

    CHECK(mlv_key_box_public_format(&pub, "alice", &text, &len) == 0);
    bad = malloc(len + 2);
    /* Without its final line end, or with CRLF, or cut short. */
    CHECK_EQ_INT(mlv_key_box_public_parse(text, len - 1, &back, NULL, 0), MLV_KEY_ERR_CORRUPT);
    memcpy(bad, text, len - 1);
    memcpy(bad + len - 1, "\r\n", 2);
    CHECK_EQ_INT(mlv_key_box_public_parse(bad, len + 1, &back, NULL, 0), MLV_KEY_ERR_CORRUPT);
    CHECK_EQ_INT(mlv_key_box_public_parse(text, 40, &back, NULL, 0), MLV_KEY_ERR_CORRUPT);
    /* An id that is not the key's own. */
    memcpy(bad, text, len);
    bad[51 + 3] = bad[51 + 3] == 'A' ? 'B' : 'A';
    CHECK_EQ_INT(mlv_key_box_public_parse(bad, len, &back, NULL, 0), MLV_KEY_ERR_CORRUPT);
    /* Another name rule broken in the comment. */
    memcpy(bad, text, len);
    bad[45] = '.';
    CHECK_EQ_INT(mlv_key_box_public_parse(bad, len, &back, NULL, 0), MLV_KEY_ERR_CORRUPT);
    free(text);
    free(bad);
}

enum { EK, EP, OK, OP, LINK, NEWPUB, FKEY, MISSING, NPATHS };
static const char *const path_names[NPATHS] = { "e.key", "e.pub", "o.key", "o.pub", "link.key", "new.pub", "f.key",
                                                "missing.key" };

static int mode_is_0600(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && (st.st_mode & 0777) == 0600;
}

static void files(char *const path[NPATHS])
{
    const char *ek = path[EK], *ep = path[EP], *ok = path[OK], *op = path[OP];
    char name[65];
    uint8_t *before = NULL, *after = NULL, *sk = NULL, msg_sig[64];
    size_t before_len = 0, after_len = 0;
    mlv_box_public pub, loaded_pub;
    mlv_box_keypair *kp = NULL;
    mlv_org_public org, org_loaded, org_pub_file;

    CHECK_EQ_INT(mlv_key_box_generate(ek, ep, "eve", PASS, strlen(PASS), &fast_kdf, &pub), MLV_KEY_OK);
    CHECK(mode_is_0600(ek) && mode_is_0600(ep));
    CHECK_EQ_INT(mlv_key_box_load(ek, PASS, strlen(PASS), &kp), MLV_KEY_OK);
    CHECK(kp != NULL && memcmp(kp->pk, pub.pk, 32) == 0 && memcmp(kp->id, pub.id, 8) == 0);
    if (kp != NULL) {
        uint8_t pk[32];
        crypto_scalarmult_base(pk, kp->sk);
        CHECK(memcmp(pk, kp->pk, 32) == 0);
    }
    mlv_key_box_free(kp);
    kp = NULL;
    CHECK_EQ_INT(mlv_key_box_public_load(ep, &loaded_pub, name, sizeof name), MLV_KEY_OK);
    CHECK(memcmp(&loaded_pub, &pub, sizeof pub) == 0 && strcmp(name, "eve") == 0);
    CHECK_EQ_INT(mlv_key_box_load(ek, "wrong passphrase", 16, &kp), MLV_KEY_ERR_PASSPHRASE);
    CHECK(kp == NULL);

    /* Never over an existing file: both stay as they were. */
    CHECK(mlv_file_read_small(ek, 4096, &before, &before_len) == 0);
    errno = 0;
    CHECK_EQ_INT(mlv_key_box_generate(ek, path[NEWPUB], "eve", PASS, strlen(PASS), &fast_kdf, NULL),
                 MLV_KEY_ERR_IO);
    CHECK(errno == EEXIST);
    CHECK(mlv_file_read_small(ek, 4096, &after, &after_len) == 0);
    CHECK(before_len == after_len && memcmp(before, after, before_len) == 0);
    free(after);
    after = NULL;
    /* A public file in the way: the secret just made is removed again. */
    CHECK_EQ_INT(mlv_key_box_generate(path[FKEY], ep, "fay", PASS, strlen(PASS), &fast_kdf, NULL),
                 MLV_KEY_ERR_IO);
    CHECK(access(path[FKEY], F_OK) != 0);
    CHECK_EQ_INT(mlv_key_box_public_save(ep, &pub, "eve"), MLV_KEY_ERR_IO);

    /* Symlinks are not followed. */
    CHECK(symlink(ek, path[LINK]) == 0);
    CHECK_EQ_INT(mlv_key_box_load(path[LINK], PASS, strlen(PASS), &kp), MLV_KEY_ERR_IO);

    CHECK_EQ_INT(mlv_key_org_generate(ok, op, PASS, strlen(PASS), &fast_kdf, &org), MLV_KEY_OK);
    CHECK(mode_is_0600(ok) && mode_is_0600(op));
    CHECK_EQ_INT(mlv_key_org_load(ok, PASS, strlen(PASS), &sk, &org_loaded), MLV_KEY_OK);
    CHECK(memcmp(&org, &org_loaded, sizeof org) == 0);
    CHECK_EQ_INT(mlv_key_org_public_load(op, &org_pub_file), MLV_KEY_OK);
    CHECK(memcmp(&org, &org_pub_file, sizeof org) == 0);
    if (sk != NULL) {
        crypto_sign_detached(msg_sig, NULL, (const uint8_t *)"m", 1, sk);
        CHECK(crypto_sign_verify_detached(msg_sig, (const uint8_t *)"m", 1, org.pk) == 0);
    }
    mlv_key_org_free(sk);
    sk = NULL;
    CHECK_EQ_INT(mlv_key_org_load(ek, PASS, strlen(PASS), &sk, NULL), MLV_KEY_ERR_KIND);
    CHECK_EQ_INT(mlv_key_box_load(ok, PASS, strlen(PASS), &kp), MLV_KEY_ERR_KIND);
    CHECK_EQ_INT(mlv_key_org_public_load(ep, &org_pub_file), MLV_KEY_ERR_CORRUPT);
    CHECK_EQ_INT(mlv_key_box_public_load(op, &loaded_pub, NULL, 0), MLV_KEY_ERR_CORRUPT);
    CHECK_EQ_INT(mlv_key_box_load(path[MISSING], PASS, strlen(PASS), &kp), MLV_KEY_ERR_IO);
    CHECK_EQ_INT(mlv_key_box_load(ep, PASS, strlen(PASS), &kp), MLV_KEY_ERR_CORRUPT);

    /* passwd: the new passphrase opens the same key, the old no longer does. */
    CHECK_EQ_INT(mlv_key_passwd(ek, "bad", 3, "new passphrase!", 15, &fast_kdf), MLV_KEY_ERR_PASSPHRASE);
    CHECK_EQ_INT(mlv_key_passwd(ek, PASS, strlen(PASS), "new passphrase!", 15, &fast_kdf), MLV_KEY_OK);
    CHECK(mode_is_0600(ek));
    CHECK_EQ_INT(mlv_key_box_load(ek, PASS, strlen(PASS), &kp), MLV_KEY_ERR_PASSPHRASE);
    CHECK_EQ_INT(mlv_key_box_load(ek, "new passphrase!", 15, &kp), MLV_KEY_OK);
    CHECK(kp != NULL && memcmp(kp->pk, pub.pk, 32) == 0);
    mlv_key_box_free(kp);
    CHECK(mlv_file_read_small(ek, 4096, &after, &after_len) == 0);
    CHECK(after_len == before_len && memcmp(after + 25, before + 25, 40) != 0); /* fresh salt and nonce */
    CHECK_EQ_INT(mlv_key_passwd(ok, PASS, strlen(PASS), "x", 1, &fast_kdf), MLV_KEY_OK);
    CHECK_EQ_INT(mlv_key_org_load(ok, "x", 1, &sk, NULL), MLV_KEY_OK);
    mlv_key_org_free(sk);
    free(before);
    free(after);
}

int main(void)
{
    char dir[] = "/tmp/malyava-keyfile-XXXXXX", *path[NPATHS];
    mlv_key_kdf interactive;

    if (sodium_init() < 0 || mkdtemp(dir) == NULL)
        return 1;
    for (unsigned i = 0; i < NPATHS; i++) {
        if (asprintf(&path[i], "%s/%s", dir, path_names[i]) < 0)
            return 1;
    }
    key_ids();
    round_trip(MLV_KEY_KIND_EDITOR, &fast_kdf);
    round_trip(MLV_KEY_KIND_ORGANISATION, &fast_kdf);
    mlv_key_kdf_from_name("interactive", &interactive);
    round_trip(MLV_KEY_KIND_ORGANISATION, &interactive);
    damage_everywhere();
    kdf_limits();
    kdf_names();
    names();
    editor_public_files();
    files(path);
    for (unsigned i = 0; i < NPATHS; i++) {
        unlink(path[i]);
        free(path[i]);
    }
    CHECK(rmdir(dir) == 0);
    return check_exit();
}
