/*
 * The server's side of the air gap, shared by the CLI and the HTTP
 * routes: ack files (editors -> server) and the purges they and
 * retention make. Parsing takes bytes only, so it is testable alone.
 */
#ifndef MALYAVA_DROPBOX_AIRGAP_H
#define MALYAVA_DROPBOX_AIRGAP_H

#include <stddef.h>
#include <stdint.h>

#include <malyava/envelope.h>

#include "config.h"
#include "db.h"
#include "store.h"

#define MLV_ACK_MAGIC "malyava-ack 1"

typedef struct mlv_ack_entry {
    char id[MLV_STORE_ID_HEX_BYTES];
    uint8_t receipt[MLV_RECEIPT_BYTES];
} mlv_ack_entry;

/*
 * "malyava-ack 1\n" then "<id> <receipt>\n" lines (docs/FORMAT.md). Strict:
 * any other line, a duplicate id, more than MLV_BUNDLE_MAX_SUBMISSIONS
 * lines or a missing final newline refuses the whole file, with the reason
 * in `why`. *out is malloc'd.
 */
int mlv_airgap_ack_parse(const char *text, size_t len, mlv_ack_entry **out, size_t *n, char *why, size_t why_size);

/* Called for each ack line that matched nothing (unknown id, or a
 * receipt that differs): reported, never acted on. */
typedef void (*mlv_airgap_unknown_fn)(void *ctx, const mlv_ack_entry *e);

/* Purges exactly the submissions whose id and receipt (compared in
 * constant time) both match: their rows in one transaction, then their
 * files. -1 on a storage error (a file left behind goes at the next
 * start). */
int mlv_airgap_ack_apply(mlv_db *db, const mlv_store *store, const mlv_ack_entry *e, size_t n, uint64_t *purged,
                         uint64_t *unknown, mlv_airgap_unknown_fn on_unknown, void *ctx);

typedef struct mlv_airgap_retention {
    uint64_t submissions, accounts, replies;
} mlv_airgap_retention;

/* Deletes submissions and replies older than retention_days and reply
 * accounts idle for reply_account_days (with their replies). */
int mlv_airgap_retention_run(mlv_db *db, const mlv_store *store, const mlv_cfg *cfg, int64_t today,
                             mlv_airgap_retention *out);

#endif
