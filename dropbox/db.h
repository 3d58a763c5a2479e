/*
 * The server's database, DATA_DIR/malyava.db: pending uploads, received
 * submissions, the current and previous manifest. SQLite in WAL mode with
 * synchronous=FULL, so a committed row survives power loss. It holds no
 * address, agent or exact time: expiries to the hour, receipt days only.
 *
 * Every function is safe to call from any thread (one connection behind a
 * mutex; each call is one transaction) and returns a status the caller
 * can act on; internal errors are logged here.
 */
#ifndef MALYAVA_DROPBOX_DB_H
#define MALYAVA_DROPBOX_DB_H

#include <stddef.h>
#include <stdint.h>

#include <malyava/envelope.h>

#include "store.h"

typedef struct mlv_db mlv_db;

typedef enum mlv_db_status {
    MLV_DB_OK = 0,
    MLV_DB_NOT_FOUND,
    MLV_DB_FULL_COUNT, /* too many pending uploads */
    MLV_DB_FULL_DISK,  /* over the quota or into the reserved free space */
    MLV_DB_ROLLBACK,   /* a manifest serial not above the current one */
    MLV_DB_ERROR       /* logged */
} mlv_db_status;

/* Opens (create=1: creates, refusing an existing file) and checks the
 * schema version. */
mlv_db_status mlv_db_open(const char *path, int create, mlv_db **out);
void mlv_db_close(mlv_db *db);

typedef struct mlv_db_upload {
    char id[MLV_STORE_ID_HEX_BYTES];
    uint64_t length;
    uint64_t offset;      /* durable bytes */
    int64_t expires_hour; /* hours since the epoch, rounded up */
} mlv_db_upload;

typedef struct mlv_db_quota {
    uint64_t max_pending;
    uint64_t max_disk_bytes;
    uint64_t usable_bytes; /* free on the volume minus min_free_bytes */
} mlv_db_quota;

/* Inserts a pending upload if the count, the quota and the free space
 * (minus what pending uploads have yet to write) all allow it. */
mlv_db_status mlv_db_upload_create(mlv_db *db, const mlv_db_upload *u, const mlv_db_quota *q);
mlv_db_status mlv_db_upload_get(mlv_db *db, const char *id, mlv_db_upload *out);
mlv_db_status mlv_db_upload_progress(mlv_db *db, const char *id, uint64_t offset, int64_t expires_hour);
mlv_db_status mlv_db_upload_delete(mlv_db *db, const char *id);
/* Pending -> received, in one transaction. */
mlv_db_status mlv_db_upload_finish(mlv_db *db, const char *id, const uint8_t receipt[MLV_RECEIPT_BYTES],
                                   int64_t day);
/* All pending uploads; *out is malloc'd. */
mlv_db_status mlv_db_upload_list(mlv_db *db, mlv_db_upload **out, size_t *n);

typedef struct mlv_db_submission {
    uint64_t length;
    uint8_t receipt[MLV_RECEIPT_BYTES];
    int64_t day;
} mlv_db_submission;

mlv_db_status mlv_db_submission_get(mlv_db *db, const char *id, mlv_db_submission *out);
mlv_db_status mlv_db_submission_delete(mlv_db *db, const char *id);
/* Ids of all received submissions; *out is malloc'd. */
mlv_db_status mlv_db_submission_ids(mlv_db *db, char (**out)[MLV_STORE_ID_HEX_BYTES], size_t *n);

typedef struct mlv_db_stats {
    uint64_t received, received_bytes;
    uint64_t pending, pending_bytes, pending_written;
} mlv_db_stats;

mlv_db_status mlv_db_stats_get(mlv_db *db, mlv_db_stats *out);

typedef enum mlv_db_slot { MLV_DB_CURRENT = 0, MLV_DB_PREVIOUS = 1 } mlv_db_slot;

typedef struct mlv_db_manifest {
    uint64_t serial;
    int64_t replaced_day; /* PREVIOUS only: the day it stopped being current */
    char *text;           /* malloc'd, NUL-terminated */
    size_t text_len;
    char *sig;
    size_t sig_len;
} mlv_db_manifest;

mlv_db_status mlv_db_manifest_get(mlv_db *db, mlv_db_slot slot, mlv_db_manifest *out);
void mlv_db_manifest_clear(mlv_db_manifest *m);
/* Makes `m` current and the current one previous (replaced `today`), in
 * one transaction; MLV_DB_ROLLBACK unless m->serial grows. */
mlv_db_status mlv_db_manifest_install(mlv_db *db, const mlv_db_manifest *m, int64_t today);

#endif
