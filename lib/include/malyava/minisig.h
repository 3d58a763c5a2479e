/*
 * minisign's file formats, as far as Malyava uses them (internal to
 * libmalyava; programs use manifest.h and keyfile.h). docs/FORMAT.md §3
 * has the bytes.
 *
 * Key files are two lines: "untrusted comment: ..." and the base64 of a
 * 2-byte algorithm tag, an 8-byte key number and a 32-byte public key.
 * Signature files are only ever the prehashed variant ("ED"): one way to
 * sign leaves nothing to downgrade to.
 */
#ifndef MALYAVA_MINISIG_H
#define MALYAVA_MINISIG_H

#include <stddef.h>
#include <stdint.h>

#include "limits.h"

#define MLV_MINISIG_ALG_BYTES 2u
#define MLV_MINISIG_KEYNUM_BYTES 8u
#define MLV_MINISIG_PUBLIC_BYTES 32u
#define MLV_MINISIG_SECRET_BYTES 64u
#define MLV_MINISIG_SIG_BYTES 64u

typedef struct mlv_minisig {
    uint8_t keynum[MLV_MINISIG_KEYNUM_BYTES];
    uint8_t sig[MLV_MINISIG_SIG_BYTES];        /* over BLAKE2b-512 of the message */
    uint8_t global_sig[MLV_MINISIG_SIG_BYTES]; /* over sig || trusted comment */
    char trusted_comment[MLV_MAX_MINISIG_COMMENT_BYTES + 1u];
    size_t trusted_comment_len;
} mlv_minisig;

/*
 * A key file whose second line decodes to `alg` || keynum || pk. The
 * untrusted comment (prefix excluded, not NUL-terminated) is returned so
 * the caller can apply its own rules. 0, or -1 if not exactly that shape.
 */
int mlv_minisig_key_parse(const char *text, size_t len, const char alg[MLV_MINISIG_ALG_BYTES],
                          const char **comment, size_t *comment_len,
                          uint8_t keynum[MLV_MINISIG_KEYNUM_BYTES],
                          uint8_t pk[MLV_MINISIG_PUBLIC_BYTES]) __attribute__((warn_unused_result));
/* *out is malloc'd and NUL-terminated. -1 if `comment` holds a line end. */
int mlv_minisig_key_format(const char alg[MLV_MINISIG_ALG_BYTES], const char *comment,
                           const uint8_t keynum[MLV_MINISIG_KEYNUM_BYTES],
                           const uint8_t pk[MLV_MINISIG_PUBLIC_BYTES], char **out, size_t *out_len);

/* Strict parse of a prehashed signature file: four LF-ended lines. */
int mlv_minisig_parse(const char *text, size_t len, mlv_minisig *out) __attribute__((warn_unused_result));
/* 0 only if both signatures hold under `pk` (the key number is the
 * caller's business: it says which key, not whether the signature holds). */
int mlv_minisig_verify(const mlv_minisig *s, const uint8_t *msg, size_t msg_len,
                       const uint8_t pk[MLV_MINISIG_PUBLIC_BYTES]) __attribute__((warn_unused_result));
/* Signs `msg` (prehashed) with an Ed25519 secret key; *out is a malloc'd,
 * NUL-terminated signature file. Comments must be single lines. */
int mlv_minisig_sign(const uint8_t *msg, size_t msg_len, const uint8_t keynum[MLV_MINISIG_KEYNUM_BYTES],
                     const uint8_t sk[MLV_MINISIG_SECRET_BYTES], const char *untrusted_comment,
                     const char *trusted_comment, char **out, size_t *out_len);

#endif
