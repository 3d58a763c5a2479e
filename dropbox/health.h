/*
 * What needs the admin before it hurts a source: a manifest close to its
 * last valid day (every upload is refused after it), a disk quota or
 * volume nearly full, another process holding the database so long that
 * the server's writes give up,
 * pending uploads near their cap, submissions about to be deleted by
 * retention. One list, with what to do for each, shared by `check` (for
 * monitoring), `stats` and the server's log.
 */
#ifndef MALYAVA_DROPBOX_HEALTH_H
#define MALYAVA_DROPBOX_HEALTH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "expiry.h"
#include "db.h"
#include "store.h"
#include "trust.h"

typedef struct mlv_health_facts {
    int64_t today;
    uint64_t serial;     /* the current manifest's */
    int64_t expires_day; /* its last valid day */
    mlv_db_stats st;
    uint64_t free_bytes;  /* unprivileged users may still write on the data volume */
    int db_held;          /* another process held the database MLV_SRV_DB_BUSY_MS */
    size_t retention_due; /* submissions retention deletes within MLV_SRV_RETENTION_WARN_DAYS */
} mlv_health_facts;

/* Gathers the facts from an open database, store and trust state; -1
 * after logging. */
int mlv_health_gather(mlv_db *db, const mlv_store *store, mlv_trust *trust, const mlv_cfg *cfg, int64_t today,
                      mlv_health_facts *out);

/* Prints one line per matter that needs the admin, each "<prefix><what>
 * <what to do>", naming `data_dir` in commands; returns how many. */
size_t mlv_health_print(FILE *out, const char *prefix, const mlv_health_facts *f, const mlv_cfg *cfg,
                        const char *data_dir);

#endif
