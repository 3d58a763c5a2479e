/*
 * A new data directory from the files the admin carries to the server:
 * the organisation key and a signed manifest, read and verified first,
 * then written with the config and a fresh database. `init` and `setup`
 * share it; `install-manifest` shares the reading and verifying.
 */
#ifndef MALYAVA_DROPBOX_DATADIR_H
#define MALYAVA_DROPBOX_DATADIR_H

#include <stddef.h>
#include <stdint.h>

#include <malyava/manifest.h>

/* What was carried in: org.pub's text and key, a manifest, its signature. */
typedef struct mlv_dd_carried {
    char *org_text, *text, *sig;
    size_t org_len, text_len, sig_len;
    mlv_org_public org;
    mlv_manifest m;
} mlv_dd_carried;

void mlv_dd_carried_clear(mlv_dd_carried *c);

/* Reads an organisation public key file; -1 after logging. */
int mlv_dd_read_org(const char *path, mlv_dd_carried *c);
/* Reads FILE and FILE.minisig and verifies them against c->org as of
 * today, with `min_serial` as the floor (`installed` names the serial in
 * the message when the floor refuses it). -1 after logging. */
int mlv_dd_read_manifest(const char *path, uint64_t min_serial, uint64_t installed, mlv_dd_carried *c);
/* Reads a small text file whole (NUL-terminated); -1 after logging what
 * `what` is and why. */
int mlv_dd_read_text(const char *path, const char *what, char **out, size_t *len);
/* dir/name written whole and fsynced, created new or replaced; -1 after logging. */
int mlv_dd_write(const char *dir, const char *name, const char *buf, size_t len, int replace);

/* Creates `path` 0700, or takes an existing empty directory and makes it
 * 0700; -1 after logging (anything in it refuses). */
int mlv_dd_make_dir(const char *path);
/* Fills the (empty) directory: uploads/, envelopes/, `cfg_text` as config,
 * the carried files, and the database with the manifest installed. -1
 * after logging. */
int mlv_dd_fill(const char *path, const char *cfg_text, size_t cfg_len, const mlv_dd_carried *c);

#endif
