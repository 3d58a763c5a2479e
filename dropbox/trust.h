/*
 * What the server trusts: the organisation key (DATA_DIR/org.pub) and the
 * signed manifests in the database, the current one and the one it
 * replaced, and the grace the previous one still gets. Decides whether an
 * envelope header names only keys it may be sealed to. Thread-safe; SIGHUP
 * swaps in a reloaded state (manifests and grace together) atomically, so
 * every check after the swap uses both.
 */
#ifndef MALYAVA_DROPBOX_TRUST_H
#define MALYAVA_DROPBOX_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include <malyava/envelope.h>
#include <malyava/manifest.h>

#include "db.h"

typedef struct mlv_trust mlv_trust;

typedef enum mlv_trust_status {
    MLV_TRUST_OK = 0,
    MLV_TRUST_EXPIRED,     /* the current manifest is past its last day */
    MLV_TRUST_UNKNOWN_KEY, /* a key id in no manifest this server knows */
    MLV_TRUST_RETIRED_KEY  /* sealed to the previous manifest after its grace period */
} mlv_trust_status;

typedef enum mlv_trust_file { MLV_TRUST_MANIFEST, MLV_TRUST_MANIFEST_SIG, MLV_TRUST_ORG_KEY } mlv_trust_file;

/*
 * mlv_man_verify without the date test when `allow_expired`: the signature,
 * the canonical text and the serial floor are still checked, so a server
 * can load (and keep serving) a manifest that has run out.
 */
mlv_man_status mlv_trust_verify(const char *text, size_t text_len, const char *sig, size_t sig_len,
                                const mlv_org_public *org, int64_t today, int allow_expired,
                                uint64_t min_serial, mlv_manifest *out) __attribute__((warn_unused_result));

/* Reads the org key file and both manifests; logs and returns -1 if the
 * current manifest is missing or does not verify. `grace_days`: how long
 * after its replacement the previous manifest's keys are still taken. */
int mlv_trust_load(mlv_trust **out, const char *org_key_path, mlv_db *db, int64_t today, uint64_t grace_days);
/* Rereads the manifests and takes the new grace; on failure the loaded
 * state, grace included, stays in force. */
int mlv_trust_reload(mlv_trust *t, mlv_db *db, int64_t today, uint64_t grace_days);
void mlv_trust_free(mlv_trust *t);

/* MLV_TRUST_EXPIRED while the current manifest is past its last day. */
mlv_trust_status mlv_trust_uploads_open(mlv_trust *t, int64_t today);
/* Every key id of `h` in the current manifest, or every one in the
 * previous while fewer than the grace's days have passed since it was
 * replaced. */
mlv_trust_status mlv_trust_check(mlv_trust *t, const mlv_env_header *h, int64_t today);
/* A malloc'd copy of a served file. */
int mlv_trust_copy(mlv_trust *t, mlv_trust_file which, char **out, size_t *out_len);
/* The organisation key (loaded once; never changes while serving). */
const mlv_org_public *mlv_trust_org(const mlv_trust *t);
/* Serial and last day of the current manifest. */
void mlv_trust_current(mlv_trust *t, uint64_t *serial, int64_t *expires_day);
/* The grace in force (manifest_grace_days as last loaded). */
uint64_t mlv_trust_grace(mlv_trust *t);
/* The current manifest's editor keys, copied: what the server seals to
 * for the no-JavaScript form. MLV_TRUST_EXPIRED past its last day. */
mlv_trust_status mlv_trust_recipients(mlv_trust *t, int64_t today, mlv_box_public keys[MLV_MAX_MANIFEST_KEYS],
                                      size_t *n);

#endif
