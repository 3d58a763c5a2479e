/*
 * Key files (docs/FORMAT.md §3).
 *
 * Secret key files hold one 32-byte secret (an editor's X25519 key or the
 * organisation's Ed25519 seed) encrypted under a key that Argon2id derives
 * from a passphrase, with the parameters stored in the file and capped
 * when read. A checksum over the file tells a damaged file from a wrong
 * passphrase. Public key files are text in minisign's shape.
 *
 * The byte-level functions do no I/O (they are what the fuzzers and
 * known-answer tests drive); the path-level ones read and write with
 * fileio.h: created 0600, never over an existing file, never through a
 * symlink. Secrets handed out live in sodium_malloc memory.
 */
#ifndef MALYAVA_KEYFILE_H
#define MALYAVA_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "boxkey.h"
#include "keyid.h"
#include "manifest.h"

typedef enum mlv_key_status {
    MLV_KEY_OK = 0,
    MLV_KEY_ERR_PASSPHRASE, /* the file is intact; the passphrase is not its own */
    MLV_KEY_ERR_CORRUPT,    /* damaged, truncated, or not a key file at all */
    MLV_KEY_ERR_VERSION,    /* written by a newer format version */
    MLV_KEY_ERR_KIND,       /* an organisation key where an editor key was wanted, or back */
    MLV_KEY_ERR_SECRET_GIVEN, /* a secret key file where a public key was wanted */
    MLV_KEY_ERR_LIMIT,      /* its Argon2id parameters are outside what we accept */
    MLV_KEY_ERR_IO,         /* reading or writing failed; errno says why */
    MLV_KEY_ERR_SYSTEM      /* out of (guarded) memory, or the KDF failed to run */
} mlv_key_status;

/* "<why>. <what to do>", for "<what failed>: " to precede. */
const char *mlv_key_strerror(mlv_key_status status);

#define MLV_KEY_SECRET_FILE_BYTES 185u
/* An X25519 secret key, or an Ed25519 seed. */
#define MLV_KEY_SECRET_BYTES 32u
#define MLV_KEY_SALT_BYTES 16u
#define MLV_KEY_NONCE_BYTES 24u

typedef enum mlv_key_kind {
    MLV_KEY_KIND_EDITOR = 'E',      /* X25519, crypto_box */
    MLV_KEY_KIND_ORGANISATION = 'O' /* Ed25519, crypto_sign */
} mlv_key_kind;

/* Argon2id cost. Reading accepts [libsodium's minimum, MLV_KDF_MAX_*]. */
typedef struct mlv_key_kdf {
    uint64_t opslimit;
    uint64_t memlimit;
} mlv_key_kdf;

/* libsodium's SENSITIVE profile: what a new key gets unless told. */
void mlv_key_kdf_default(mlv_key_kdf *out);
/* "interactive", "moderate" or "sensitive"; -1 for anything else. */
int mlv_key_kdf_from_name(const char *name, mlv_key_kdf *out);

/* What a secret key file says about itself, readable without the
 * passphrase (and checked: checksum, kind, limits, id against key). */
typedef struct mlv_key_info {
    mlv_key_kind kind;
    mlv_key_kdf kdf;
    uint8_t id[MLV_KEY_ID_BYTES];
    uint8_t pk[32];
} mlv_key_info;

/*
 * Seals `secret` into a secret key file image. salt and nonce are drawn
 * at random when NULL; only known-answer tests pass fixed ones.
 */
mlv_key_status mlv_key_secret_encode(uint8_t out[MLV_KEY_SECRET_FILE_BYTES], mlv_key_kind kind,
                                     const uint8_t secret[MLV_KEY_SECRET_BYTES], const char *pass,
                                     size_t pass_len, const mlv_key_kdf *kdf,
                                     const uint8_t salt[MLV_KEY_SALT_BYTES],
                                     const uint8_t nonce[MLV_KEY_NONCE_BYTES]) __attribute__((warn_unused_result));
/* Checks everything that needs no passphrase; runs no KDF. */
mlv_key_status mlv_key_secret_inspect(const uint8_t *file, size_t len, mlv_key_info *out)
    __attribute__((warn_unused_result));
/*
 * Opens a secret key file image of the expected kind. `secret` should be
 * sodium_malloc'd by the caller; it is written only on success, and the
 * public key is re-derived from it and compared with the stored one.
 */
mlv_key_status mlv_key_secret_decode(const uint8_t *file, size_t len, mlv_key_kind kind, const char *pass,
                                     size_t pass_len, uint8_t secret[MLV_KEY_SECRET_BYTES], mlv_key_info *info)
    __attribute__((warn_unused_result));

/* Editor names: 1..MLV_MAX_EDITOR_NAME_BYTES of [A-Za-z0-9._-], no leading
 * dot, so a name is always a safe file name. */
int mlv_key_name_valid(const char *name, size_t len);

/* 1 if `bytes` begin as a secret key file does (either kind): a mistake
 * worth naming where a public key is wanted. */
int mlv_key_is_secret_file(const uint8_t *bytes, size_t len);

/* ---- editor keys (X25519) ---- */

/* A zeroed key pair in guarded memory, or NULL. Free with mlv_key_box_free. */
mlv_box_keypair *mlv_key_box_new(void);
void mlv_key_box_free(mlv_box_keypair *kp);

/* Creates both files (neither may exist); *out (optional) gets the public key. */
mlv_key_status mlv_key_box_generate(const char *secret_path, const char *public_path, const char *name,
                                    const char *pass, size_t pass_len, const mlv_key_kdf *kdf, mlv_box_public *out)
    __attribute__((warn_unused_result));
mlv_key_status mlv_key_box_load(const char *path, const char *pass, size_t pass_len, mlv_box_keypair **out)
    __attribute__((warn_unused_result));

/* Editor public key files. `name` (optional, size name_size) receives the
 * NUL-terminated editor name from the comment line. */
mlv_key_status mlv_key_box_public_parse(const char *text, size_t len, mlv_box_public *out, char *name,
                                        size_t name_size) __attribute__((warn_unused_result));
int mlv_key_box_public_format(const mlv_box_public *pub, const char *name, char **out, size_t *out_len);
mlv_key_status mlv_key_box_public_load(const char *path, mlv_box_public *out, char *name, size_t name_size)
    __attribute__((warn_unused_result));
mlv_key_status mlv_key_box_public_save(const char *path, const mlv_box_public *pub, const char *name)
    __attribute__((warn_unused_result));

/* ---- the organisation key (Ed25519) ---- */

mlv_key_status mlv_key_org_generate(const char *secret_path, const char *public_path, const char *pass,
                                    size_t pass_len, const mlv_key_kdf *kdf, mlv_org_public *out)
    __attribute__((warn_unused_result));
/* *sk_out: the 64-byte Ed25519 signing key in guarded memory; free it with
 * mlv_key_org_free. *pub_out (optional) gets the public key. */
mlv_key_status mlv_key_org_load(const char *path, const char *pass, size_t pass_len, uint8_t **sk_out,
                                mlv_org_public *pub_out) __attribute__((warn_unused_result));
void mlv_key_org_free(uint8_t *sk);
/* The organisation public key file (via mlv_org_public_parse). */
mlv_key_status mlv_key_org_public_load(const char *path, mlv_org_public *out) __attribute__((warn_unused_result));

/* ---- either kind ---- */

/* Re-encrypts a secret key file under a new passphrase (fresh salt and
 * nonce, `kdf` cost) and replaces it atomically. */
mlv_key_status mlv_key_passwd(const char *path, const char *old_pass, size_t old_len, const char *new_pass,
                              size_t new_len, const mlv_key_kdf *kdf) __attribute__((warn_unused_result));

#endif
