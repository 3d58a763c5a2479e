/*
 * The editors' SQLite files: the vault (docs/EDITORS.md, docs/FORMAT.md
 * §6), export bundles read from the server (§4.2, hostile input) and
 * replies bundles written for it (§4.4). This is malyava's only file that
 * includes sqlite3.h; callers see rows as plain structs. Nothing here
 * decrypts: every secret the vault holds is stored sealed by vault.c.
 */
#ifndef MALYAVA_CLIENT_DB_H
#define MALYAVA_CLIENT_DB_H

#include <stddef.h>
#include <stdint.h>

#include <malyava/envelope.h>
#include <malyava/keyfile.h>
#include <malyava/keyid.h>
#include <malyava/limits.h>

typedef enum mlv_vdb_status {
    MLV_VDB_OK = 0,
    MLV_VDB_NOT_FOUND,  /* no such row */
    MLV_VDB_REFUSED,    /* a hostile or foreign file; the reason says why */
    MLV_VDB_ERROR       /* SQLite or the system failed; the reason says why */
} mlv_vdb_status;

#define MLV_VDB_REASON_BYTES 256u
#define MLV_VDB_UPLOAD_ID_BYTES 33u   /* 32 hex digits and NUL */

typedef struct mlv_vdb mlv_vdb;

/* Creates a new, empty vault (0600, never over an existing file). */
mlv_vdb_status mlv_vdb_create(const char *path, mlv_vdb **out, char reason[MLV_VDB_REASON_BYTES]);
/* Opens an existing vault after checking it is one, of this version. */
mlv_vdb_status mlv_vdb_open(const char *path, mlv_vdb **out, char reason[MLV_VDB_REASON_BYTES]);
void mlv_vdb_close(mlv_vdb *db);
const char *mlv_vdb_reason(const mlv_vdb *db); /* the last failure, for messages */

/* One write transaction around a whole command: all of it or nothing. */
mlv_vdb_status mlv_vdb_begin(mlv_vdb *db);
mlv_vdb_status mlv_vdb_commit(mlv_vdb *db);
void mlv_vdb_rollback(mlv_vdb *db);
/* A nested step inside it that can be taken back alone. */
mlv_vdb_status mlv_vdb_savepoint(mlv_vdb *db);
mlv_vdb_status mlv_vdb_release(mlv_vdb *db);
void mlv_vdb_rollback_to(mlv_vdb *db);

/* ---- editor keys ---- */

#define MLV_VDB_SEALED_KEY_BYTES 80u /* crypto_box_seal of a 32-byte key */
#define MLV_VDB_BOXED_KEY_BYTES 72u  /* nonce ‖ secretbox of a 32-byte key */

typedef struct mlv_vdb_key {
    uint8_t id[MLV_KEY_ID_BYTES];
    char name[MLV_MAX_EDITOR_NAME_BYTES + 1u];
    uint8_t pk[32];
    uint8_t secret_file[MLV_KEY_SECRET_FILE_BYTES]; /* passphrase-protected, as malyava-keys wrote it */
    uint8_t vault_key[MLV_VDB_SEALED_KEY_BYTES];    /* the vault key sealed to pk */
    uint8_t secret_box[MLV_VDB_BOXED_KEY_BYTES];    /* the secret key under the vault key */
    int64_t added_day;
    int64_t retired_day; /* -1 while in use */
} mlv_vdb_key;

mlv_vdb_status mlv_vdb_key_add(mlv_vdb *db, const mlv_vdb_key *key);
/* All keys, oldest first; *out is malloc'd (wipe-free: nothing secret in clear). */
mlv_vdb_status mlv_vdb_keys(mlv_vdb *db, mlv_vdb_key **out, size_t *n);
mlv_vdb_status mlv_vdb_key_retire(mlv_vdb *db, const uint8_t id[MLV_KEY_ID_BYTES], int64_t day);

/* ---- envelopes ---- */

typedef struct mlv_vdb_env {
    int64_t id;                              /* the vault's number, shown to editors */
    char upload_id[MLV_VDB_UPLOAD_ID_BYTES]; /* the server's */
    char receipt[MLV_RECEIPT_STR_BYTES];     /* of the envelope as received */
    int64_t received_day;
    int64_t imported_day;
    uint64_t size;                           /* of the envelope as received */
    int server_sealed;
    uint8_t *header;                         /* current header (rewrap changes it) */
    size_t header_len;
    uint8_t *file_key_box;                   /* NULL when no vault key opened it yet */
    size_t file_key_box_len;
    int deleted;                             /* `malyava delete`: only the row and its history are left */
} mlv_vdb_env;

void mlv_vdb_env_clear(mlv_vdb_env *e);

/* Inserts the envelope's row; its payload follows with mlv_vdb_env_chunk. */
mlv_vdb_status mlv_vdb_env_insert(mlv_vdb *db, const mlv_vdb_env *e, int64_t *id);
mlv_vdb_status mlv_vdb_env_chunk(mlv_vdb *db, int64_t id, int64_t seq, const uint8_t *data, size_t len);
/* The receipt stored for a server upload id, and whether a vault key has
 * opened it: MLV_VDB_NOT_FOUND if none. */
mlv_vdb_status mlv_vdb_env_receipt(mlv_vdb *db, const char *upload_id, char receipt[MLV_RECEIPT_STR_BYTES],
                                   int *openable);
mlv_vdb_status mlv_vdb_env_get(mlv_vdb *db, int64_t id, mlv_vdb_env *out);
/* The highest envelope id (0 when empty), or -1 on failure. */
int64_t mlv_vdb_env_max_id(mlv_vdb *db);
typedef enum mlv_vdb_counter {
    MLV_VDB_COUNT_CHANGES,         /* changes by other connections: grows when another process wrote */
    MLV_VDB_COUNT_REPLIES_WAITING  /* replies not yet exported */
} mlv_vdb_counter;
/* The counter's value, or -1 on failure. */
int64_t mlv_vdb_count(mlv_vdb *db, mlv_vdb_counter what);
/* Every envelope in id order but the deleted; `fn` returns nonzero to stop. */
mlv_vdb_status mlv_vdb_env_each(mlv_vdb *db, int (*fn)(void *ctx, const mlv_vdb_env *e), void *ctx);
mlv_vdb_status mlv_vdb_env_update_keys(mlv_vdb *db, int64_t id, const uint8_t *header, size_t header_len,
                                       const uint8_t *file_key_box, size_t file_key_box_len);
/* The payload (everything after the header) in order; `fn` returns nonzero
 * to stop early, e.g. once the metadata record is read. */
mlv_vdb_status mlv_vdb_env_payload(mlv_vdb *db, int64_t id,
                                   int (*fn)(void *ctx, const uint8_t *data, size_t len), void *ctx);

/* ---- triage events (sealed by vault.c) ---- */

typedef struct mlv_vdb_event {
    int64_t id;
    int64_t envelope;
    int64_t day;
    const uint8_t *box;
    size_t box_len;
} mlv_vdb_event;

mlv_vdb_status mlv_vdb_event_add(mlv_vdb *db, int64_t envelope, int64_t day, const uint8_t *box, size_t len);
/* The events of one envelope (envelope > 0) or of all, by envelope then order. */
mlv_vdb_status mlv_vdb_event_each(mlv_vdb *db, int64_t envelope,
                                  int (*fn)(void *ctx, const mlv_vdb_event *ev), void *ctx);

/* ---- replies waiting to leave ---- */

mlv_vdb_status mlv_vdb_reply_add(mlv_vdb *db, const char id[MLV_VDB_UPLOAD_ID_BYTES], int64_t envelope,
                                 const char *reply_key_hex, int64_t day, const uint8_t *data, size_t len);
/* Whether a waiting reply may leave (1) or stays, unmarked (0). */
typedef int (*mlv_vdb_reply_filter)(void *ctx, const char *id, int64_t envelope, const uint8_t *data, size_t len);
/* Writes every reply not yet exported that `keep` accepts into a new
 * replies bundle at `path` and marks those exported on `day`. *count gets
 * how many. */
mlv_vdb_status mlv_vdb_replies_export(mlv_vdb *db, const char *path, int64_t day, mlv_vdb_reply_filter keep,
                                      void *keep_ctx, size_t *count);

/* ---- the vault's upkeep (vdb_upkeep.c) ---- */

/* Re-keying (revocation): a key row's vault key sealed anew and its
 * secret under the new sub-key; removing a row for good (secure_delete
 * zeroes its bytes in the file). MLV_VDB_NOT_FOUND if no row has the id. */
mlv_vdb_status mlv_vdb_key_reseal(mlv_vdb *db, const uint8_t id[MLV_KEY_ID_BYTES],
                                  const uint8_t vault_key[MLV_VDB_SEALED_KEY_BYTES],
                                  const uint8_t secret_box[MLV_VDB_BOXED_KEY_BYTES]);
mlv_vdb_status mlv_vdb_key_remove(mlv_vdb *db, const uint8_t id[MLV_KEY_ID_BYTES]);
/* Up to `max` envelope ids above `after`, deleted ones too, in order:
 * for walks that change the rows they visit. */
mlv_vdb_status mlv_vdb_env_ids(mlv_vdb *db, int64_t after, int64_t *ids, size_t max, size_t *n);
/* Replaces every triage event's box with what `fn` makes of it (*out
 * malloc'd). Rows are read in batches, never while one is written. `fn`
 * returns -1 to stop: MLV_VDB_REFUSED. */
typedef int (*mlv_vdb_reseal_fn)(void *ctx, int64_t envelope, const uint8_t *box, size_t len, uint8_t **out,
                                 size_t *out_len);
mlv_vdb_status mlv_vdb_event_reseal(mlv_vdb *db, mlv_vdb_reseal_fn fn, void *ctx);
/* Deletes an envelope's payload and header for good, keeping its row
 * (number, upload id, receipt, days) and its events, and marks the vault
 * format 2 (docs/FORMAT.md §6). */
mlv_vdb_status mlv_vdb_env_delete(mlv_vdb *db, int64_t id);

/* The drop-boxes whose export bundles this vault takes, by the
 * fingerprint of their organisation key: whether `fingerprint` is one,
 * and how many there are. */
mlv_vdb_status mlv_vdb_dropbox_known(mlv_vdb *db, const char *fingerprint, int *known, size_t *count);
mlv_vdb_status mlv_vdb_dropbox_add(mlv_vdb *db, const char *fingerprint, int64_t day);

/* What a vault file holds, counted without a key. */
typedef struct mlv_vdb_census {
    int64_t testimonies, deleted, keys, events, replies;
} mlv_vdb_census;

/*
 * A copy of the vault at `path` (a new file, 0600, never over one) made
 * with SQLite's online backup, so a desk may keep working meanwhile:
 * written beside `path` and given its name only once synced and checked
 * (mlv_vdb_check, and the same counts as the vault). Sealed exactly as
 * the vault is. *copy gets the counts.
 */
mlv_vdb_status mlv_vdb_backup(mlv_vdb *db, const char *path, mlv_vdb_census *copy);
/* Checks that the file at `path` is an intact vault, read-only, and
 * counts it. MLV_VDB_REFUSED with `reason` for a damaged or foreign file. */
mlv_vdb_status mlv_vdb_check(const char *path, mlv_vdb_census *out, char reason[MLV_VDB_REASON_BYTES]);

/* ---- export bundles from the server (hostile) ---- */

typedef struct mlv_bundle mlv_bundle;

typedef struct mlv_bundle_sub {
    char id[MLV_VDB_UPLOAD_ID_BYTES];
    int64_t received_day;
    uint64_t size;
    char receipt[MLV_RECEIPT_STR_BYTES];
    int server_sealed;
} mlv_bundle_sub;

/*
 * Opens a bundle read-only (no journal, no lock, defensive), and checks
 * identity, version, exact schema, bundle_info, and every row's shape and
 * sizes before any envelope is read. MLV_VDB_REFUSED with `reason` set
 * for anything else.
 */
mlv_vdb_status mlv_bundle_open(const char *path, mlv_bundle **out, size_t *count, char reason[MLV_VDB_REASON_BYTES]);
void mlv_bundle_close(mlv_bundle *b);
/* The fingerprint of the organisation key of the drop-box that wrote the
 * bundle (its bundle_info org_key), or "" when it does not say. */
const char *mlv_bundle_dropbox(const mlv_bundle *b);
/* Submissions in bundle order; `fn` returns nonzero to stop. */
mlv_vdb_status mlv_bundle_each(mlv_bundle *b, int (*fn)(void *ctx, const mlv_bundle_sub *s), void *ctx);
/* One submission's chunks in order, each at most MLV_BUNDLE_CHUNK_BYTES. */
mlv_vdb_status mlv_bundle_chunks(mlv_bundle *b, const char *id,
                                 int (*fn)(void *ctx, const uint8_t *data, size_t len), void *ctx);

#endif
