/*
 * The manifest: the signed list of editor keys sources must encrypt to
 * (docs/FORMAT.md §4). A canonical text, signed in minisign's format with
 * the organisation key, so `minisign -V` checks it too.
 */
#ifndef MALYAVA_MANIFEST_H
#define MALYAVA_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "boxkey.h"
#include "limits.h"

#define MLV_SIGN_PUBLIC_BYTES 32u
#define MLV_SIGN_SECRET_BYTES 64u
#define MLV_SIGN_BYTES 64u

typedef enum mlv_man_status {
    MLV_MAN_OK = 0,
    MLV_MAN_ERR_MALFORMED,   /* not a canonical manifest or signature file */
    MLV_MAN_ERR_WRONG_KEY,   /* signed by another key than the organisation's */
    MLV_MAN_ERR_SIGNATURE,   /* the signature does not verify: edited or forged */
    MLV_MAN_ERR_EXPIRED,     /* past its expiry day */
    MLV_MAN_ERR_NOT_YET,     /* issued in the future */
    MLV_MAN_ERR_ROLLBACK,    /* serial lower than one already seen */
    MLV_MAN_ERR_SYSTEM
} mlv_man_status;

const char *mlv_man_strerror(mlv_man_status status);

/* The organisation's Ed25519 public key, as minisign sees it. */
typedef struct mlv_org_public {
    uint8_t id[8]; /* minisign key id = BLAKE2b key id of pk (keyid.h) */
    uint8_t pk[MLV_SIGN_PUBLIC_BYTES];
} mlv_org_public;

typedef struct mlv_manifest {
    uint64_t serial;      /* 1.. ; only grows */
    int64_t issued_day;   /* days since 1970-01-01, UTC */
    int64_t expires_day;  /* last day it is valid, inclusive */
    size_t nkeys;
    mlv_box_public keys[MLV_MAX_MANIFEST_KEYS]; /* sorted by id, distinct */
} mlv_manifest;

/* Canonical text. *out is malloc'd and NUL-terminated. -1 on a bad record. */
int mlv_man_format(const mlv_manifest *m, char **out, size_t *out_len);
/* Strict parse: only the exact canonical text is accepted. */
mlv_man_status mlv_man_parse(const char *text, size_t len, mlv_manifest *out)
    __attribute__((warn_unused_result));

/*
 * Everything a reader must check, in one call: the signature file is in
 * minisign's format and made by `org`, the global signature over the
 * trusted comment holds, the trusted comment names the same serial, the
 * text is canonical, `today` lies in [issued, expires], and the serial is
 * at least `min_serial` (pass 0 when nothing has been seen yet).
 */
mlv_man_status mlv_man_verify(const char *text, size_t text_len, const char *sig, size_t sig_len,
                              const mlv_org_public *org, int64_t today, uint64_t min_serial,
                              mlv_manifest *out) __attribute__((warn_unused_result));

/* Signs `text` (canonical) with the organisation secret key; *sig_out is a
 * malloc'd minisign signature file. */
int mlv_man_sign(const char *text, size_t text_len, const mlv_manifest *m, const uint8_t org_id[8],
                 const uint8_t org_sk[MLV_SIGN_SECRET_BYTES], char **sig_out, size_t *sig_len);

/* Is `id` one of the manifest's keys? Returns its index, or -1. */
int mlv_man_find(const mlv_manifest *m, const uint8_t id[MLV_KEY_ID_BYTES]);

/* Days since 1970-01-01 UTC for `now` seconds; and YYYY-MM-DD conversions. */
int64_t mlv_day_from_time(int64_t unix_seconds);
int64_t mlv_day_today(void);
/* 9999-12-31, the last day a YYYY-MM-DD names. Days before 1970 are never
 * valid: no Malyava date can precede the epoch. */
#define MLV_DAY_MAX 2932896
/* 0 on success; -1 unless `s` is exactly a valid YYYY-MM-DD in [1970, 9999]. */
int mlv_day_parse(const char *s, size_t len, int64_t *day);
/* out must hold 11 bytes; a day outside [0, MLV_DAY_MAX] gives "----------". */
void mlv_day_format(char out[11], int64_t day);

/* Organisation public key files are minisign public key files. */
mlv_man_status mlv_org_public_parse(const char *text, size_t len, mlv_org_public *out)
    __attribute__((warn_unused_result));
int mlv_org_public_format(const mlv_org_public *org, char **out, size_t *out_len);

#endif
