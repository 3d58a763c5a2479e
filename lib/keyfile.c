/* Secret and public key files: see keyfile.h and docs/FORMAT.md §3. */
#include <malyava/keyfile.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/limits.h>
#include <malyava/minisig.h>

/* Secret key file layout. */
#define SK_MAGIC "MLVSEC"
#define SK_MAGIC_LEN 6u
#define SK_VERSION 0x01u
#define SK_KDF_ARGON2ID13 0x02u
#define OFF_VERSION 6u
#define OFF_KIND 7u
#define OFF_KDF_ALG 8u
#define OFF_OPSLIMIT 9u
#define OFF_MEMLIMIT 17u
#define OFF_SALT 25u
#define OFF_NONCE 41u
#define OFF_ID 65u
#define OFF_PK 73u
#define OFF_SEALED 105u /* also the length of the associated data */
#define OFF_CHECKSUM 153u
#define CHECKSUM_BYTES 32u
#define SEALED_BYTES (MLV_KEY_SECRET_BYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES)
#define PUBLIC_BYTES 32u

_Static_assert(OFF_CHECKSUM + CHECKSUM_BYTES == MLV_KEY_SECRET_FILE_BYTES, "secret key file size");
_Static_assert(OFF_SEALED + SEALED_BYTES == OFF_CHECKSUM, "sealed secret size");
_Static_assert(MLV_KEY_SALT_BYTES == crypto_pwhash_argon2id_SALTBYTES, "salt size");
_Static_assert(MLV_KEY_NONCE_BYTES == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "nonce size");
_Static_assert(SK_KDF_ARGON2ID13 == crypto_pwhash_argon2id_ALG_ARGON2ID13, "KDF algorithm number");
_Static_assert(MLV_KEY_SECRET_BYTES == crypto_box_SECRETKEYBYTES && MLV_KEY_SECRET_BYTES == crypto_sign_SEEDBYTES,
               "secret size");

/* Editor public key files. */
#define EDITOR_KEY_ALG "EX"
#define EDITOR_KEY_COMMENT "malyava editor public key "
#define EDITOR_KEY_COMMENT_LEN (sizeof EDITOR_KEY_COMMENT - 1u)

const char *mlv_key_strerror(mlv_key_status status)
{
    switch (status) {
    case MLV_KEY_OK:
        return "ok";
    case MLV_KEY_ERR_PASSPHRASE:
        return "wrong passphrase. Try again (mind the keyboard layout and Caps Lock)";
    case MLV_KEY_ERR_CORRUPT:
        return "the key file is damaged or is not a Malyava key file. Restore it from your backup";
    case MLV_KEY_ERR_VERSION:
        return "the key file was written by a newer version of Malyava. Use that version";
    case MLV_KEY_ERR_SECRET_GIVEN:
        return "this is a secret key, give the .pub file beside it (a secret key never leaves its machine)";
    case MLV_KEY_ERR_KIND:
        return "this is the wrong kind of key (an organisation key where an editor key is needed, or the "
               "reverse). Check which file you named";
    case MLV_KEY_ERR_LIMIT:
        return "the key file asks for key-derivation costs outside the accepted range, so it was not tried. "
               "Restore it from your backup: a file like this may have been tampered with";
    case MLV_KEY_ERR_IO:
        return "the file could not be read or written. Check the path and its permissions";
    case MLV_KEY_ERR_SYSTEM:
        break;
    }
    return "out of memory (the key derivation needs up to 1 GiB). Close other programs or use a machine with more "
           "memory";
}

void mlv_key_kdf_default(mlv_key_kdf *out)
{
    out->opslimit = crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE;
    out->memlimit = crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE;
}

int mlv_key_kdf_from_name(const char *name, mlv_key_kdf *out)
{
    if (strcmp(name, "interactive") == 0) {
        out->opslimit = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
        out->memlimit = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
    } else if (strcmp(name, "moderate") == 0) {
        out->opslimit = crypto_pwhash_argon2id_OPSLIMIT_MODERATE;
        out->memlimit = crypto_pwhash_argon2id_MEMLIMIT_MODERATE;
    } else if (strcmp(name, "sensitive") == 0) {
        mlv_key_kdf_default(out);
    } else {
        return -1;
    }
    return 0;
}

static int kdf_acceptable(const mlv_key_kdf *kdf)
{
    return kdf->opslimit >= crypto_pwhash_argon2id_OPSLIMIT_MIN && kdf->opslimit <= MLV_KDF_MAX_OPSLIMIT &&
           kdf->memlimit >= crypto_pwhash_argon2id_MEMLIMIT_MIN && kdf->memlimit <= MLV_KDF_MAX_MEMLIMIT &&
           kdf->memlimit <= SIZE_MAX;
}

static uint64_t load64_le(const uint8_t *p)
{
    uint64_t v = 0;

    for (unsigned i = 8; i-- > 0;)
        v = (v << 8) | p[i];
    return v;
}

static void store64_le(uint8_t *p, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The public half of `secret`. */
static int public_from_secret(mlv_key_kind kind, const uint8_t secret[MLV_KEY_SECRET_BYTES], uint8_t pk[PUBLIC_BYTES])
{
    uint8_t *sign_sk;
    int rc;

    if (kind == MLV_KEY_KIND_EDITOR)
        return crypto_scalarmult_base(pk, secret);
    sign_sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    if (sign_sk == NULL)
        return -1;
    rc = crypto_sign_seed_keypair(pk, sign_sk, secret);
    sodium_free(sign_sk);
    return rc;
}

static void checksum(uint8_t out[CHECKSUM_BYTES], const uint8_t file[MLV_KEY_SECRET_FILE_BYTES])
{
    crypto_generichash(out, CHECKSUM_BYTES, file, OFF_CHECKSUM, NULL, 0);
}

/* Argon2id of the passphrase into guarded memory; NULL if it cannot run. */
static uint8_t *derive_key(const char *pass, size_t pass_len, const uint8_t *salt, const mlv_key_kdf *kdf)
{
    uint8_t *key = sodium_malloc(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

    if (key == NULL)
        return NULL;
    if (crypto_pwhash(key, crypto_aead_xchacha20poly1305_ietf_KEYBYTES, pass != NULL ? pass : "", pass_len, salt,
                      kdf->opslimit, (size_t)kdf->memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        sodium_free(key);
        return NULL;
    }
    return key;
}

mlv_key_status mlv_key_secret_encode(uint8_t out[MLV_KEY_SECRET_FILE_BYTES], mlv_key_kind kind,
                                     const uint8_t secret[MLV_KEY_SECRET_BYTES], const char *pass, size_t pass_len,
                                     const mlv_key_kdf *kdf, const uint8_t salt[MLV_KEY_SALT_BYTES],
                                     const uint8_t nonce[MLV_KEY_NONCE_BYTES])
{
    uint8_t *key = NULL;
    mlv_key_status st = MLV_KEY_ERR_SYSTEM;

    memset(out, 0, MLV_KEY_SECRET_FILE_BYTES);
    if (kind != MLV_KEY_KIND_EDITOR && kind != MLV_KEY_KIND_ORGANISATION)
        goto out;
    /* A file we could not read back is worse than no file. */
    if (!kdf_acceptable(kdf)) {
        st = MLV_KEY_ERR_LIMIT;
        goto out;
    }
    memcpy(out, SK_MAGIC, SK_MAGIC_LEN);
    out[OFF_VERSION] = SK_VERSION;
    out[OFF_KIND] = (uint8_t)kind;
    out[OFF_KDF_ALG] = SK_KDF_ARGON2ID13;
    store64_le(out + OFF_OPSLIMIT, kdf->opslimit);
    store64_le(out + OFF_MEMLIMIT, kdf->memlimit);
    if (salt != NULL)
        memcpy(out + OFF_SALT, salt, MLV_KEY_SALT_BYTES);
    else
        randombytes_buf(out + OFF_SALT, MLV_KEY_SALT_BYTES);
    if (nonce != NULL)
        memcpy(out + OFF_NONCE, nonce, MLV_KEY_NONCE_BYTES);
    else
        randombytes_buf(out + OFF_NONCE, MLV_KEY_NONCE_BYTES);
    if (public_from_secret(kind, secret, out + OFF_PK) != 0)
        goto out;
    mlv_keyid_compute(out + OFF_ID, out + OFF_PK, PUBLIC_BYTES);
    key = derive_key(pass, pass_len, out + OFF_SALT, kdf);
    if (key == NULL)
        goto out;
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + OFF_SEALED, NULL, secret, MLV_KEY_SECRET_BYTES, out,
                                               OFF_SEALED, NULL, out + OFF_NONCE, key);
    checksum(out + OFF_CHECKSUM, out);
    st = MLV_KEY_OK;
out:
    sodium_free(key);
    if (st != MLV_KEY_OK)
        sodium_memzero(out, MLV_KEY_SECRET_FILE_BYTES);
    return st;
}

/*
 * The order matters: the checksum comes before anything it covers is
 * believed, so any damaged byte reads as CORRUPT, and the limits come
 * before Argon2id runs.
 */
mlv_key_status mlv_key_secret_inspect(const uint8_t *file, size_t len, mlv_key_info *out)
{
    uint8_t sum[CHECKSUM_BYTES], id[MLV_KEY_ID_BYTES];
    mlv_key_info info;

    memset(out, 0, sizeof *out);
    memset(&info, 0, sizeof info);
    if (len < OFF_KIND || memcmp(file, SK_MAGIC, SK_MAGIC_LEN) != 0 || file[OFF_VERSION] == 0)
        return MLV_KEY_ERR_CORRUPT;
    /* A later version may lay the file out differently: say so rather
     * than calling it damaged. */
    if (file[OFF_VERSION] != SK_VERSION)
        return MLV_KEY_ERR_VERSION;
    if (len != MLV_KEY_SECRET_FILE_BYTES)
        return MLV_KEY_ERR_CORRUPT;
    checksum(sum, file);
    if (crypto_verify_32(sum, file + OFF_CHECKSUM) != 0)
        return MLV_KEY_ERR_CORRUPT;
    if ((file[OFF_KIND] != MLV_KEY_KIND_EDITOR && file[OFF_KIND] != MLV_KEY_KIND_ORGANISATION) ||
        file[OFF_KDF_ALG] != SK_KDF_ARGON2ID13)
        return MLV_KEY_ERR_CORRUPT;
    info.kind = (mlv_key_kind)file[OFF_KIND];
    info.kdf.opslimit = load64_le(file + OFF_OPSLIMIT);
    info.kdf.memlimit = load64_le(file + OFF_MEMLIMIT);
    if (!kdf_acceptable(&info.kdf))
        return MLV_KEY_ERR_LIMIT;
    memcpy(info.id, file + OFF_ID, MLV_KEY_ID_BYTES);
    memcpy(info.pk, file + OFF_PK, PUBLIC_BYTES);
    mlv_keyid_compute(id, info.pk, PUBLIC_BYTES);
    if (memcmp(id, info.id, MLV_KEY_ID_BYTES) != 0)
        return MLV_KEY_ERR_CORRUPT;
    *out = info;
    return MLV_KEY_OK;
}

mlv_key_status mlv_key_secret_decode(const uint8_t *file, size_t len, mlv_key_kind kind, const char *pass,
                                     size_t pass_len, uint8_t secret[MLV_KEY_SECRET_BYTES], mlv_key_info *info)
{
    uint8_t *key = NULL, *plain = NULL, pk[PUBLIC_BYTES];
    mlv_key_info found;
    mlv_key_status st;

    memset(info, 0, sizeof *info);
    st = mlv_key_secret_inspect(file, len, &found);
    if (st != MLV_KEY_OK)
        goto out;
    if (found.kind != kind) {
        st = MLV_KEY_ERR_KIND;
        goto out;
    }
    st = MLV_KEY_ERR_SYSTEM;
    plain = sodium_malloc(MLV_KEY_SECRET_BYTES);
    if (plain == NULL)
        goto out;
    key = derive_key(pass, pass_len, file + OFF_SALT, &found.kdf);
    if (key == NULL)
        goto out;
    /* The checksum held, so a failing tag means another passphrase. */
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL, file + OFF_SEALED, SEALED_BYTES, file,
                                                   OFF_SEALED, file + OFF_NONCE, key) != 0) {
        st = MLV_KEY_ERR_PASSPHRASE;
        goto out;
    }
    /* Whoever wrote the checksum also sealed the secret, yet the public key
     * and id are only promises until the secret reproduces them. */
    if (public_from_secret(kind, plain, pk) != 0)
        goto out;
    if (memcmp(pk, found.pk, PUBLIC_BYTES) != 0) {
        st = MLV_KEY_ERR_CORRUPT;
        goto out;
    }
    memcpy(secret, plain, MLV_KEY_SECRET_BYTES);
    *info = found;
    st = MLV_KEY_OK;
out:
    sodium_free(key);
    sodium_free(plain);
    return st;
}

int mlv_key_name_valid(const char *name, size_t len)
{
    if (len < 1 || len > MLV_MAX_EDITOR_NAME_BYTES || name[0] == '.')
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return 0;
    }
    return 1;
}

/* ---- files ---- */

static mlv_key_status read_secret_file(const char *path, uint8_t **file, size_t *len)
{
    if (mlv_file_read_small(path, MLV_KEY_SECRET_FILE_BYTES, file, len) == 0)
        return MLV_KEY_OK;
    return errno == EFBIG ? MLV_KEY_ERR_CORRUPT : MLV_KEY_ERR_IO;
}

/* Loads and opens a secret key file of `kind` into guarded `secret`. */
static mlv_key_status load_secret(const char *path, mlv_key_kind kind, const char *pass, size_t pass_len,
                                  uint8_t secret[MLV_KEY_SECRET_BYTES], mlv_key_info *info)
{
    uint8_t *file = NULL;
    size_t len = 0;
    mlv_key_status st = read_secret_file(path, &file, &len);

    if (st == MLV_KEY_OK)
        st = mlv_key_secret_decode(file, len, kind, pass, pass_len, secret, info);
    free(file);
    return st;
}

/*
 * Writes a new secret key file and its public twin, both with O_EXCL. If
 * the public file cannot be made, the secret one just created goes too:
 * a key nobody can encrypt to is only a liability.
 */
static mlv_key_status write_pair(const char *secret_path, const uint8_t image[MLV_KEY_SECRET_FILE_BYTES],
                                 const char *public_path, const char *public_text, size_t public_len)
{
    int saved;

    if (mlv_file_write_new(secret_path, image, MLV_KEY_SECRET_FILE_BYTES) != 0)
        return MLV_KEY_ERR_IO;
    if (mlv_file_write_new(public_path, public_text, public_len) != 0) {
        saved = errno;
        unlink(secret_path);
        mlv_file_sync_parent(secret_path);
        errno = saved;
        return MLV_KEY_ERR_IO;
    }
    return MLV_KEY_OK;
}

mlv_box_keypair *mlv_key_box_new(void)
{
    mlv_box_keypair *kp = sodium_malloc(sizeof *kp);

    if (kp != NULL)
        sodium_memzero(kp, sizeof *kp);
    return kp;
}

void mlv_key_box_free(mlv_box_keypair *kp)
{
    sodium_free(kp);
}

mlv_key_status mlv_key_box_generate(const char *secret_path, const char *public_path, const char *name,
                                    const char *pass, size_t pass_len, const mlv_key_kdf *kdf, mlv_box_public *out)
{
    uint8_t image[MLV_KEY_SECRET_FILE_BYTES];
    mlv_box_keypair *kp = mlv_key_box_new();
    mlv_box_public pub;
    char *text = NULL;
    size_t text_len = 0;
    mlv_key_status st = MLV_KEY_ERR_SYSTEM;

    if (kp == NULL)
        goto out;
    crypto_box_keypair(kp->pk, kp->sk);
    mlv_keyid_compute(kp->id, kp->pk, sizeof kp->pk);
    memcpy(pub.id, kp->id, sizeof pub.id);
    memcpy(pub.pk, kp->pk, sizeof pub.pk);
    if (mlv_key_box_public_format(&pub, name, &text, &text_len) != 0) {
        errno = EINVAL;
        goto out;
    }
    st = mlv_key_secret_encode(image, MLV_KEY_KIND_EDITOR, kp->sk, pass, pass_len, kdf, NULL, NULL);
    if (st != MLV_KEY_OK)
        goto out;
    st = write_pair(secret_path, image, public_path, text, text_len);
    if (st == MLV_KEY_OK && out != NULL)
        *out = pub;
out:
    mlv_key_box_free(kp);
    free(text);
    return st;
}

mlv_key_status mlv_key_box_load(const char *path, const char *pass, size_t pass_len, mlv_box_keypair **out)
{
    mlv_box_keypair *kp = mlv_key_box_new();
    mlv_key_info info;
    mlv_key_status st = MLV_KEY_ERR_SYSTEM;

    *out = NULL;
    if (kp == NULL)
        goto out;
    st = load_secret(path, MLV_KEY_KIND_EDITOR, pass, pass_len, kp->sk, &info);
    if (st != MLV_KEY_OK)
        goto out;
    memcpy(kp->id, info.id, sizeof kp->id);
    memcpy(kp->pk, info.pk, sizeof kp->pk);
    *out = kp;
    kp = NULL;
out:
    mlv_key_box_free(kp);
    return st;
}

int mlv_key_is_secret_file(const uint8_t *bytes, size_t len)
{
    return len >= SK_MAGIC_LEN && memcmp(bytes, SK_MAGIC, SK_MAGIC_LEN) == 0;
}

mlv_key_status mlv_key_box_public_parse(const char *text, size_t len, mlv_box_public *out, char *name,
                                        size_t name_size)
{
    uint8_t id[MLV_KEY_ID_BYTES];
    const char *comment;
    size_t comment_len, name_len;

    memset(out, 0, sizeof *out);
    if (name != NULL && name_size > 0)
        name[0] = '\0';
    if (mlv_key_is_secret_file((const uint8_t *)text, len))
        return MLV_KEY_ERR_SECRET_GIVEN;
    if (mlv_minisig_key_parse(text, len, EDITOR_KEY_ALG, &comment, &comment_len, out->id, out->pk) != 0 ||
        comment_len <= EDITOR_KEY_COMMENT_LEN || memcmp(comment, EDITOR_KEY_COMMENT, EDITOR_KEY_COMMENT_LEN) != 0)
        goto corrupt;
    name_len = comment_len - EDITOR_KEY_COMMENT_LEN;
    if (!mlv_key_name_valid(comment + EDITOR_KEY_COMMENT_LEN, name_len))
        goto corrupt;
    mlv_keyid_compute(id, out->pk, sizeof out->pk);
    if (memcmp(id, out->id, sizeof id) != 0)
        goto corrupt;
    if (name != NULL && name_size > 0) {
        size_t n = name_len < name_size - 1u ? name_len : name_size - 1u;
        memcpy(name, comment + EDITOR_KEY_COMMENT_LEN, n);
        name[n] = '\0';
    }
    return MLV_KEY_OK;
corrupt:
    memset(out, 0, sizeof *out);
    return MLV_KEY_ERR_CORRUPT;
}

int mlv_key_box_public_format(const mlv_box_public *pub, const char *name, char **out, size_t *out_len)
{
    char comment[EDITOR_KEY_COMMENT_LEN + MLV_MAX_EDITOR_NAME_BYTES + 1u];
    size_t name_len = strnlen(name, MLV_MAX_EDITOR_NAME_BYTES + 1u);

    *out = NULL;
    *out_len = 0;
    if (!mlv_key_name_valid(name, name_len))
        return -1;
    memcpy(comment, EDITOR_KEY_COMMENT, EDITOR_KEY_COMMENT_LEN);
    memcpy(comment + EDITOR_KEY_COMMENT_LEN, name, name_len);
    comment[EDITOR_KEY_COMMENT_LEN + name_len] = '\0';
    return mlv_minisig_key_format(EDITOR_KEY_ALG, comment, pub->id, pub->pk, out, out_len);
}

static mlv_key_status read_text(const char *path, uint8_t **text, size_t *len)
{
    if (mlv_file_read_small(path, MLV_MAX_SMALL_FILE_BYTES, text, len) == 0)
        return MLV_KEY_OK;
    return errno == EFBIG ? MLV_KEY_ERR_CORRUPT : MLV_KEY_ERR_IO;
}

mlv_key_status mlv_key_box_public_load(const char *path, mlv_box_public *out, char *name, size_t name_size)
{
    uint8_t *text = NULL;
    size_t len = 0;
    mlv_key_status st = read_text(path, &text, &len);

    if (st == MLV_KEY_OK)
        st = mlv_key_box_public_parse((const char *)text, len, out, name, name_size);
    free(text);
    return st;
}

mlv_key_status mlv_key_box_public_save(const char *path, const mlv_box_public *pub, const char *name)
{
    char *text = NULL;
    size_t len = 0;
    mlv_key_status st = MLV_KEY_ERR_SYSTEM;

    if (mlv_key_box_public_format(pub, name, &text, &len) != 0) {
        errno = EINVAL;
        goto out;
    }
    st = mlv_file_write_new(path, text, len) == 0 ? MLV_KEY_OK : MLV_KEY_ERR_IO;
out:
    free(text);
    return st;
}

mlv_key_status mlv_key_org_generate(const char *secret_path, const char *public_path, const char *pass,
                                    size_t pass_len, const mlv_key_kdf *kdf, mlv_org_public *out)
{
    uint8_t image[MLV_KEY_SECRET_FILE_BYTES];
    uint8_t *seed = sodium_malloc(MLV_KEY_SECRET_BYTES);
    mlv_org_public pub;
    char *text = NULL;
    size_t text_len = 0;
    mlv_key_status st = MLV_KEY_ERR_SYSTEM;

    if (seed == NULL)
        goto out;
    randombytes_buf(seed, MLV_KEY_SECRET_BYTES);
    st = mlv_key_secret_encode(image, MLV_KEY_KIND_ORGANISATION, seed, pass, pass_len, kdf, NULL, NULL);
    if (st != MLV_KEY_OK)
        goto out;
    memcpy(pub.id, image + OFF_ID, sizeof pub.id);
    memcpy(pub.pk, image + OFF_PK, sizeof pub.pk);
    st = MLV_KEY_ERR_SYSTEM;
    if (mlv_org_public_format(&pub, &text, &text_len) != 0)
        goto out;
    st = write_pair(secret_path, image, public_path, text, text_len);
    if (st == MLV_KEY_OK && out != NULL)
        *out = pub;
out:
    sodium_free(seed);
    free(text);
    return st;
}

mlv_key_status mlv_key_org_load(const char *path, const char *pass, size_t pass_len, uint8_t **sk_out,
                                mlv_org_public *pub_out)
{
    uint8_t *seed = sodium_malloc(MLV_KEY_SECRET_BYTES), *sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    mlv_key_info info;
    mlv_key_status st = MLV_KEY_ERR_SYSTEM;

    *sk_out = NULL;
    if (seed == NULL || sk == NULL)
        goto out;
    st = load_secret(path, MLV_KEY_KIND_ORGANISATION, pass, pass_len, seed, &info);
    if (st != MLV_KEY_OK)
        goto out;
    st = MLV_KEY_ERR_SYSTEM;
    if (crypto_sign_seed_keypair(pk, sk, seed) != 0)
        goto out;
    if (pub_out != NULL) {
        memcpy(pub_out->id, info.id, sizeof pub_out->id);
        memcpy(pub_out->pk, info.pk, sizeof pub_out->pk);
    }
    *sk_out = sk;
    sk = NULL;
    st = MLV_KEY_OK;
out:
    sodium_free(seed);
    sodium_free(sk);
    return st;
}

void mlv_key_org_free(uint8_t *sk)
{
    sodium_free(sk);
}

mlv_key_status mlv_key_org_public_load(const char *path, mlv_org_public *out)
{
    uint8_t *text = NULL;
    size_t len = 0;
    mlv_key_status st = read_text(path, &text, &len);

    memset(out, 0, sizeof *out);
    if (st == MLV_KEY_OK && mlv_key_is_secret_file(text, len))
        st = MLV_KEY_ERR_SECRET_GIVEN;
    else if (st == MLV_KEY_OK && mlv_org_public_parse((const char *)text, len, out) != MLV_MAN_OK)
        st = MLV_KEY_ERR_CORRUPT;
    free(text);
    return st;
}

mlv_key_status mlv_key_passwd(const char *path, const char *old_pass, size_t old_len, const char *new_pass,
                              size_t new_len, const mlv_key_kdf *kdf)
{
    uint8_t *file = NULL, *secret = sodium_malloc(MLV_KEY_SECRET_BYTES), image[MLV_KEY_SECRET_FILE_BYTES];
    size_t len = 0;
    mlv_key_info info;
    mlv_key_status st = MLV_KEY_ERR_SYSTEM;

    if (secret == NULL)
        goto out;
    st = read_secret_file(path, &file, &len);
    if (st != MLV_KEY_OK)
        goto out;
    st = mlv_key_secret_inspect(file, len, &info);
    if (st != MLV_KEY_OK)
        goto out;
    st = mlv_key_secret_decode(file, len, info.kind, old_pass, old_len, secret, &info);
    if (st != MLV_KEY_OK)
        goto out;
    st = mlv_key_secret_encode(image, info.kind, secret, new_pass, new_len, kdf, NULL, NULL);
    if (st != MLV_KEY_OK)
        goto out;
    if (mlv_file_replace(path, image, sizeof image) != 0)
        st = MLV_KEY_ERR_IO;
out:
    sodium_free(secret);
    free(file);
    return st;
}
