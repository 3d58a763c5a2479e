/*
 * The data directory and the files in it:
 *
 *   config, org.pub, manifest, manifest.minisig   written by init / install-manifest
 *   malyava.db                                     db.h
 *   lock                                           held (flock) by the one running `serve`
 *   uploads/<id>.part                              pending upload: ciphertext so far
 *   envelopes/<id>.env                             received submission
 *
 * Ids are 16 random bytes as 32 lowercase hex digits. Every stored file,
 * and uploads/ and envelopes/ when a file comes or goes, has its times set
 * to the start of the day; ctimes are blurred together
 * (mlv_store_touch_all, docs/DEPLOY.md).
 */
#ifndef MALYAVA_DROPBOX_STORE_H
#define MALYAVA_DROPBOX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <malyava/envelope.h>

#define MLV_STORE_ID_BYTES 16u
#define MLV_STORE_ID_HEX_BYTES (2u * MLV_STORE_ID_BYTES + 1u)

#define MLV_STORE_CONFIG "config"
#define MLV_STORE_ORG_KEY "org.pub"
#define MLV_STORE_MANIFEST "manifest"
#define MLV_STORE_MANIFEST_SIG "manifest.minisig"
#define MLV_STORE_DB "malyava.db"
#define MLV_STORE_LOCK "lock"
#define MLV_STORE_UPLOADS "uploads"
#define MLV_STORE_ENVELOPES "envelopes"

typedef struct mlv_store {
    int dir_fd;
    int uploads_fd;
    int envelopes_fd;
} mlv_store;

/* A fresh random id. */
void mlv_store_id_new(char out[MLV_STORE_ID_HEX_BYTES]);
/* 1 if `s` is exactly 32 lowercase hex digits. */
int mlv_store_id_valid(const char *s, size_t len);

/* Creates uploads/ and envelopes/ (0700) inside an existing directory. */
int mlv_store_create(const char *path);
/* Opens the three directories (no symlinks); -1 with a logged reason. */
int mlv_store_open(const char *path, mlv_store *out);
void mlv_store_close(mlv_store *s);

/*
 * Takes DATA_DIR/lock (created 0600, never through a symlink) with an
 * exclusive flock and returns its descriptor, to be held open for as long
 * as the data directory is served: the kernel drops the lock when the
 * process ends, however it ends. -1 after logging why, naming a server
 * already running there.
 */
int mlv_store_lock(const mlv_store *s, const char *path);

/* uploads/<id>.part: a new empty file, or an existing one read-write. */
int mlv_store_part_create(const mlv_store *s, const char *id);
int mlv_store_part_open(const mlv_store *s, const char *id);
int mlv_store_part_remove(const mlv_store *s, const char *id);

/* Sets a file's access and modification times to 00:00 UTC of `day`. */
int mlv_store_set_day(int fd, int64_t day);

/* The names in a directory (not "." and ".."), read whole before the
 * caller changes anything: *out is malloc'd, free it with
 * mlv_store_names_free. */
int mlv_store_list(int dir_fd, char ***out, size_t *n);
void mlv_store_names_free(char **names, size_t n);

/*
 * A file's ctime is the kernel's and cannot be set back, but every change
 * to the file moves it to now: when a file was written or renamed is in
 * it, to the nanosecond. Setting the times of every file in uploads/ and
 * envelopes/ to what they already are gives all of them the same ctime,
 * that of this call, so none tells its own. Run after each received
 * submission and at each sweep; O(files).
 */
int mlv_store_touch_all(const mlv_store *s);

/*
 * Makes a complete upload a received envelope: fsyncs `fd` (which must
 * hold exactly `length` bytes), computes the receipt, dates the file,
 * renames uploads/<id>.part to envelopes/<id>.env and fsyncs both
 * directories. Only the database commit remains after it.
 */
int mlv_store_promote(const mlv_store *s, const char *id, int fd, uint64_t length, int64_t day,
                      uint8_t receipt[MLV_RECEIPT_BYTES]);
/* Moves envelopes/<id>.env back to uploads/<id>.part (crash recovery). */
int mlv_store_demote(const mlv_store *s, const char *id);

/* Bytes unprivileged users may still write on the data volume. */
int mlv_store_free_bytes(const mlv_store *s, uint64_t *out);

#endif
