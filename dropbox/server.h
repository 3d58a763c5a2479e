/*
 * One running drop-box: its configuration, data directory, database and
 * trust state, shared by every request thread.
 */
#ifndef MALYAVA_DROPBOX_SERVER_H
#define MALYAVA_DROPBOX_SERVER_H

#include <pthread.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "i18n.h"
#include "nojs_gate.h"
#include "pending.h"
#include "powcheck.h"
#include "store.h"
#include "trust.h"

typedef struct mlv_srv {
    const char *data_dir;
    mlv_cfg cfg;
    mlv_store store;
    mlv_db *db;
    mlv_trust *trust;
    mlv_powcheck *pow;
    /* When each pending upload last received a byte: memory only. */
    mlv_pending *clocks;
    /* The source's pages: languages, and what they show of the
     * organisation key (its fingerprint, and the base64 key line the
     * page's script checks the manifest with). */
    mlv_i18n *i18n;
    char org_fingerprint[MLV_FINGERPRINT_STR_BYTES];
    char org_pub[128];
    /* The plain form's slots and disk share (nojs_gate.h). */
    mlv_nojs_gate *nojs;
    /* Ids some request is changing right now: PATCH, DELETE, the expiry
     * sweep and an eviction claim an upload first, so two never
     * interleave. */
    pthread_mutex_t busy_lock;
    char (*busy)[MLV_STORE_ID_HEX_BYTES];
    size_t busy_cap;
    /* The day retention last ran (it runs at start, then daily). */
    int64_t retention_day;
    int64_t notice_day; /* the last day the log was told of the manifest's expiry */
} mlv_srv;

/* Opens the data directory, its database and trust state, with `cfg`
 * already loaded. Logs and returns -1 on failure. */
int mlv_srv_open(mlv_srv *s, const char *data_dir, const mlv_cfg *cfg);
void mlv_srv_close(mlv_srv *s);

/* 0 when the caller now owns `id`, -1 if another request does. */
int mlv_srv_claim(mlv_srv *s, const char *id);
void mlv_srv_release(mlv_srv *s, const char *id);

/* Which way a submission comes in. The reservation takes it so that a
 * way can be given a share of the quota of its own; today both count
 * against the same quota and pending cap. */
typedef enum mlv_srv_share {
    MLV_SRV_SHARE_TUS = 0, /* resumable uploads: reserved as bytes arrive */
    MLV_SRV_SHARE_NOJS     /* the plain form: written whole at once, so reserved whole */
} mlv_srv_share;

/*
 * Records a new pending upload of u->length bytes if the pending count,
 * the disk quota and the free space allow it: fills u's id, offset,
 * reservation (the whole length for NOJS; for TUS at most
 * MLV_SRV_RESERVE_AHEAD_BYTES, grown by mlv_srv_progress) and day, and
 * starts its clock. At the pending cap, expired uploads are removed, else
 * an upload that never received a byte is evicted if one has waited
 * MLV_SRV_EVICT_UNSTARTED_SECONDS. MLV_DB_OK,
 * MLV_DB_FULL_COUNT, MLV_DB_FULL_DISK, or MLV_DB_ERROR (logged).
 */
mlv_db_status mlv_srv_reserve(mlv_srv *s, mlv_db_upload *u, mlv_srv_share share);

/* The pending upload `id` now durably holds `offset` bytes, `before` of
 * them before this call, and has been sent `written` (>= offset): records
 * the offset, restarts its clock if bytes arrived, and grows its
 * reservation to MLV_SRV_RESERVE_AHEAD_BYTES past `written` if the quota
 * allows. *reserved: what it holds now. MLV_DB_FULL_DISK when the
 * reservation could not grow (the offset is recorded all the same). */
mlv_db_status mlv_srv_progress(mlv_srv *s, const char *id, uint64_t before, uint64_t offset, uint64_t written,
                               uint64_t *reserved);

/* Unix second at which the pending upload `u` expires. */
int64_t mlv_srv_deadline(mlv_srv *s, const mlv_db_upload *u);

/* Deletes a pending upload the caller has claimed (or just made): the row
 * first, then its file and its clock. */
mlv_db_status mlv_srv_discard(mlv_srv *s, const char *id);

/* The pending upload became a received submission: its clock goes. */
void mlv_srv_received(mlv_srv *s, const char *id);

/* Removes pending uploads whose clock has run out (skipping claimed
 * ones); returns how many. */
size_t mlv_srv_sweep(mlv_srv *s, int64_t now);

#endif
