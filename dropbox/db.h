/*
 * The server's database, DATA_DIR/malyava.db: pending uploads, received
 * submissions, the current and previous manifest, sources' reply accounts
 * and the sealed replies waiting for them. It also writes export bundles
 * and reads replies bundles (docs/FORMAT.md), being the program's only
 * SQLite user. SQLite with a rollback journal truncated at each commit and
 * synchronous=FULL, so a committed row survives power loss and a copy of
 * the files holds no history beyond the transaction in progress;
 * secure_delete on. It holds no address, agent or time finer than the
 * day, and the rows of pending uploads and submissions lie in id order.
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
    MLV_DB_CONFLICT,   /* a reply token or key already registered with another */
    MLV_DB_REFUSED,    /* a hostile or malformed bundle; the reason is in the report */
    MLV_DB_ERROR       /* logged */
} mlv_db_status;

/* Opens (create=1: creates, refusing an existing file) and checks the
 * schema version. */
mlv_db_status mlv_db_open(const char *path, int create, mlv_db **out);
void mlv_db_close(mlv_db *db);

typedef struct mlv_db_upload {
    char id[MLV_STORE_ID_HEX_BYTES];
    uint64_t length;
    uint64_t offset;   /* durable bytes */
    uint64_t reserved; /* counted against the quota: offset <= reserved <= length */
    int64_t day;       /* the day it last received bytes, or was created */
} mlv_db_upload;

typedef struct mlv_db_quota {
    uint64_t max_pending;
    uint64_t max_disk_bytes;
    uint64_t usable_bytes; /* free on the volume minus min_free_bytes */
} mlv_db_quota;

/* Inserts a pending upload (offset 0, u->reserved, u->day) if the count,
 * the quota (stored plus reserved) and the free space (minus what is
 * reserved and not yet written) all allow it. */
mlv_db_status mlv_db_upload_create(mlv_db *db, const mlv_db_upload *u, const mlv_db_quota *q);
mlv_db_status mlv_db_upload_get(mlv_db *db, const char *id, mlv_db_upload *out);
/* Records `offset` durable bytes received by `day`, and grows the
 * reservation to `want` (at most the length) if the quota and the free
 * space allow it; *reserved is what the upload holds after. FULL_DISK
 * when they do not: the offset is recorded all the same. */
mlv_db_status mlv_db_upload_progress(mlv_db *db, const char *id, uint64_t offset, uint64_t want, int64_t day,
                                     const mlv_db_quota *q, uint64_t *reserved);
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
/* Deletes the rows of `n` ids in one transaction (all or none). */
mlv_db_status mlv_db_submission_delete_many(mlv_db *db, const char (*ids)[MLV_STORE_ID_HEX_BYTES], size_t n);
/* Ids of all received submissions; *out is malloc'd. */
mlv_db_status mlv_db_submission_ids(mlv_db *db, char (**out)[MLV_STORE_ID_HEX_BYTES], size_t *n);
/* Ids of received submissions whose day is before `day`; *out is malloc'd. */
mlv_db_status mlv_db_submission_ids_before(mlv_db *db, int64_t day, char (**out)[MLV_STORE_ID_HEX_BYTES],
                                           size_t *n);

/* Marks a received submission as sealed by the server (the plain form),
 * after mlv_db_upload_finish: a crash between the two leaves one such
 * envelope uncounted by the plain form's share, nothing worse. */
mlv_db_status mlv_db_submission_mark_server_sealed(mlv_db *db, const char *id);
/* Bytes of the received envelopes the server sealed itself. */
mlv_db_status mlv_db_server_sealed_bytes(mlv_db *db, uint64_t *out);

/* 1 when another process has held the database for MLV_SRV_DB_BUSY_MS, so
 * the server's commits would give up (a reader keeps a writer out: the
 * journal is a rollback journal); 0 when it is free; -1 after logging.
 * Tries an exclusive lock every 100 ms without waiting for it, so the
 * server never waits on this. */
int mlv_db_held_elsewhere(mlv_db *db);

typedef struct mlv_db_stats {
    uint64_t received, received_bytes;
    uint64_t pending, pending_bytes /* reserved */, pending_written;
    uint64_t accounts, replies, replies_bytes;
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

/* ---- export bundles ---------------------------------------------------- */

typedef struct mlv_db_export_report {
    uint64_t submissions, bytes; /* in the bundle */
    uint64_t skipped;            /* unreadable, or no longer matching their receipt: logged, left out */
    uint64_t left;               /* beyond MLV_BUNDLE_MAX_SUBMISSIONS: for the next export */
} mlv_db_export_report;

/*
 * Writes the export bundle of every received submission, oldest first,
 * into `path`: an empty file the caller created (0600, O_EXCL). Each
 * envelope is streamed from store's envelopes/ in MLV_BUNDLE_CHUNK_BYTES
 * rows and its receipt recomputed on the way: an envelope that no longer
 * matches is left out (and logged) rather than spoiling the whole bundle,
 * which readers refuse as a whole. The caller fsyncs or serves the file.
 * `org_fingerprint` names the drop-box (bundle_info org_key): the
 * editors' vault takes bundles from the drop-boxes it knows.
 */
mlv_db_status mlv_db_export_write(mlv_db *db, const mlv_store *store, const char *path, int64_t today,
                                  const char *org_fingerprint, mlv_db_export_report *rep);

/* ---- replies ----------------------------------------------------------- */

#define MLV_DB_HASH_BYTES 32u
#define MLV_DB_REPLY_KEY_BYTES 32u

/*
 * Creates the account of (hash of the login token, reply public key),
 * dated `today`. An account already registered with exactly this pair is
 * left as it is (its day does not move). CONFLICT when the token is
 * registered with another key or the key with another token. When a new
 * account would pass `max_accounts`, the oldest accounts no reply waits
 * for make room; FULL_COUNT only when every account has replies waiting.
 */
mlv_db_status mlv_db_account_register(mlv_db *db, const uint8_t token_hash[MLV_DB_HASH_BYTES],
                                      const uint8_t reply_key[MLV_DB_REPLY_KEY_BYTES], int64_t today,
                                      uint64_t max_accounts);

/*
 * The account's replies, newest first, at most MLV_SRV_FETCH_MAX_REPLIES
 * and MLV_SRV_FETCH_MAX_BYTES, as docs/PROTOCOL.md's answer: u32 LE count,
 * then per reply u32 LE length and the envelope. *out is malloc'd (NULL
 * when *count is 0). When there are replies the account's day becomes
 * `today`. A token with no account gets OK and no reply, after the same
 * queries as an account without replies, and nothing is created.
 */
mlv_db_status mlv_db_replies_fetch(mlv_db *db, const uint8_t token_hash[MLV_DB_HASH_BYTES], int64_t today,
                                   uint8_t **out, size_t *out_len, size_t *count);

typedef struct mlv_db_import_report {
    uint64_t stored;  /* new replies */
    uint64_t present; /* ids already stored: skipped, so importing twice is harmless */
    char reason[256]; /* REFUSED: what is wrong with the bundle, for the editor */
} mlv_db_import_report;

/*
 * Checks the replies bundle at `path` whole (docs/FORMAT.md: SQLite file,
 * application_id, user_version, exact schema, ids, keys, sizes, each reply
 * an envelope to exactly its reply key), then stores every reply in one
 * transaction, dated `today`. All or nothing: REFUSED stores none.
 */
mlv_db_status mlv_db_replies_import(mlv_db *db, const char *path, int64_t today, mlv_db_import_report *rep);

typedef struct mlv_db_retention_report {
    uint64_t accounts, replies;
} mlv_db_retention_report;

/* Deletes the accounts whose day and newest reply are both before
 * `idle_before`, with their replies, and replies stored before
 * `old_before`. Submissions are the caller's (they have files): see
 * mlv_db_submission_ids_before. */
mlv_db_status mlv_db_retention(mlv_db *db, int64_t idle_before, int64_t old_before, mlv_db_retention_report *rep);

#endif
