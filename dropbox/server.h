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
    /* The source's pages: languages, and what they show of the
     * organisation key (its fingerprint, and the base64 key line the
     * page's script checks the manifest with). */
    mlv_i18n *i18n;
    char org_fingerprint[MLV_FINGERPRINT_STR_BYTES];
    char org_pub[128];
    /* The plain form's slots and disk share (nojs_gate.h). */
    mlv_nojs_gate *nojs;
    /* Ids some request is changing right now: PATCH, DELETE and the
     * expiry sweep claim an upload first, so two never interleave. */
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

/*
 * Records a new pending upload of u->length bytes if the pending count,
 * the disk quota and the free space allow it: fills u's id, offset and
 * expiry. MLV_DB_OK, MLV_DB_FULL_COUNT, MLV_DB_FULL_DISK, or MLV_DB_ERROR
 * (logged). Both ways in (tus and the no-JavaScript form) go through it.
 */
mlv_db_status mlv_srv_reserve(mlv_srv *s, mlv_db_upload *u);

/* Removes pending uploads whose expiry hour has passed (skipping claimed
 * ones); returns how many. */
size_t mlv_srv_sweep(mlv_srv *s, int64_t now);

/* The expiry hour of an upload that progresses now. */
int64_t mlv_srv_upload_expiry(const mlv_srv *s);

/* Whole hours since the epoch, rounded up: the only precision at which
 * the server keeps a time of its own. */
int64_t mlv_srv_hour_ceil(int64_t unix_seconds);

#endif
