/* See health.h. */
#include "health.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <malyava/limits.h>

#include "log.h"

int mlv_health_gather(mlv_db *db, const mlv_store *store, mlv_trust *trust, const mlv_cfg *cfg, int64_t today,
                      mlv_health_facts *out)
{
    char (*due)[MLV_STORE_ID_HEX_BYTES] = NULL;

    memset(out, 0, sizeof *out);
    out->today = today;
    mlv_trust_current(trust, &out->serial, &out->expires_day);
    if (mlv_db_stats_get(db, &out->st) != MLV_DB_OK)
        return -1;
    if (mlv_store_free_bytes(store, &out->free_bytes) != 0) {
        mlv_log_msg("cannot query free space of the data directory: %s", strerror(errno));
        return -1;
    }
    out->db_held = mlv_db_held_elsewhere(db);
    if (out->db_held < 0)
        return -1;
    if (mlv_db_submission_ids_before(db, today - (int64_t)cfg->retention_days + MLV_SRV_RETENTION_WARN_DAYS, &due,
                                     &out->retention_due) != MLV_DB_OK)
        return -1;
    free(due);
    return 0;
}

/* x is at least MLV_SRV_CHECK_QUOTA_PERCENT of `of`. Settings are capped
 * far below UINT64_MAX / 100 (MLV_SRV_MAX_BYTES_SETTING); a larger x is
 * past any of them anyway. */
static int near(uint64_t x, uint64_t of)
{
    if (x > UINT64_MAX / 100u)
        return 1;
    return of > 0 && x * 100u >= of * MLV_SRV_CHECK_QUOTA_PERCENT;
}

size_t mlv_health_print(FILE *out, const char *prefix, const mlv_health_facts *f, const mlv_cfg *cfg,
                        const char *data_dir)
{
    const uint64_t mib = 1024u * 1024u, used = f->st.received_bytes + f->st.pending_bytes;
    char msg[MLV_EXPIRY_MSG_BYTES];
    size_t n = 0;

    if (f->expires_day - f->today <= (int64_t)MLV_SRV_MANIFEST_WARN_DAYS) {
        mlv_expiry_text(msg, f->serial, f->expires_day, f->today, data_dir);
        fprintf(out, "%s%s\n", prefix, msg);
        n++;
    }
    if (near(used, cfg->max_disk_bytes)) {
        fprintf(out, "%sthe disk quota is nearly used: %llu of %llu MiB (max_disk_bytes); when it is full uploads "
                "are refused (507). Have the editors export and ack, or raise max_disk_bytes in %s/config and "
                "restart if the volume has room\n", prefix, (unsigned long long)(used / mib),
                (unsigned long long)(cfg->max_disk_bytes / mib), data_dir);
        n++;
    }
    if (f->free_bytes < cfg->min_free_bytes + cfg->max_submission_bytes) {
        fprintf(out, "%sthe data volume has %llu MiB free, less than min_free_bytes (%llu MiB) plus one largest "
                "submission (%llu MiB): uploads are refused (507) soon. Free space on the volume, or have the "
                "editors export and ack\n", prefix, (unsigned long long)(f->free_bytes / mib),
                (unsigned long long)(cfg->min_free_bytes / mib),
                (unsigned long long)(cfg->max_submission_bytes / mib));
        n++;
    }
    if (f->db_held) {
        fprintf(out, "%sanother process has held the database (%s/%s) for %u s or more: the server's writes wait "
                "that long, then fail (uploads get 500). End any sqlite3 or backup process reading it; back up "
                "with `sqlite3 %s \".backup FILE\"`, which is quick\n", prefix, data_dir, MLV_STORE_DB,
                MLV_SRV_DB_BUSY_MS / 1000u, MLV_STORE_DB);
        n++;
    }
    if (near(f->st.pending, cfg->max_pending_uploads)) {
        fprintf(out, "%s%llu uploads are pending, near max_pending_uploads (%llu): past it new uploads are "
                "refused (503). Under a flood of fake uploads raise pow_bits and reload (docs/DEPLOY.md, Limits "
                "and load)\n", prefix, (unsigned long long)f->st.pending,
                (unsigned long long)cfg->max_pending_uploads);
        n++;
    }
    if (f->retention_due > 0) {
        fprintf(out, "%s%zu submissions are deleted by retention within %u days (retention_days = %llu), exported "
                "or not: have the editors export and ack them now\n", prefix, f->retention_due,
                MLV_SRV_RETENTION_WARN_DAYS, (unsigned long long)cfg->retention_days);
        n++;
    }
    return n;
}
