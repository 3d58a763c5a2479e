/* See server.h. */
#include "server.h"

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "log.h"
#include "render.h"

/* jansson's memory is wiped before it is freed: the no-JavaScript form
 * passes the source's text through it on the way into the envelope. */
static void *json_alloc(size_t n)
{
    return malloc(n);
}

static void json_release(void *p)
{
    if (p != NULL)
        sodium_memzero(p, malloc_usable_size(p));
    free(p);
}

/* What the pages show of the organisation key: its fingerprint, and the
 * base64 line of org.pub (the last line of its canonical form). */
static int org_for_pages(mlv_srv *s)
{
    const mlv_org_public *org = mlv_trust_org(s->trust);
    char *text = NULL, *line;
    size_t len;
    int rc = -1;

    mlv_keyid_fingerprint(s->org_fingerprint, org->pk, sizeof org->pk);
    if (mlv_org_public_format(org, &text, &len) != 0)
        goto out;
    while (len > 0 && text[len - 1] == '\n')
        text[--len] = '\0';
    line = strrchr(text, '\n');
    line = line != NULL ? line + 1 : text;
    if (strlen(line) < sizeof s->org_pub) {
        memcpy(s->org_pub, line, strlen(line) + 1u);
        rc = 0;
    }
out:
    free(text);
    return rc;
}

int mlv_srv_open(mlv_srv *s, const char *data_dir, const mlv_cfg *cfg)
{
    char path[PATH_MAX];

    memset(s, 0, sizeof *s);
    json_set_alloc_funcs(json_alloc, json_release);
    s->store.dir_fd = s->store.uploads_fd = s->store.envelopes_fd = -1;
    s->data_dir = data_dir;
    s->cfg = *cfg;
    pthread_mutex_init(&s->busy_lock, NULL);
    /* One request per connection, plus the sweep. */
    s->busy_cap = (size_t)cfg->max_connections + 1u;
    s->busy = calloc(s->busy_cap, sizeof *s->busy);
    s->pow = mlv_powcheck_new((unsigned)cfg->pow_bits);
    s->nojs = mlv_nojs_gate_new((unsigned)cfg->nojs_max_concurrent, cfg->nojs_min_rate,
                                cfg->nojs_grace_seconds * 1000u);
    s->clocks = mlv_pending_new((int64_t)cfg->upload_expiry_hours * 3600);
    if (s->busy == NULL || s->pow == NULL || s->nojs == NULL || s->clocks == NULL) {
        mlv_log_msg("out of memory");
        return -1;
    }
    if (mlv_store_open(data_dir, &s->store) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/%s", data_dir, MLV_STORE_DB);
    if (mlv_db_open(path, 0, &s->db) != MLV_DB_OK)
        return -1;
    snprintf(path, sizeof path, "%s/%s", data_dir, MLV_STORE_ORG_KEY);
    if (mlv_trust_load(&s->trust, path, s->db, mlv_day_from_time(time(NULL)), cfg->manifest_grace_days) != 0)
        return -1;
    if (org_for_pages(s) != 0) {
        mlv_log_msg("out of memory");
        return -1;
    }
    if (mlv_i18n_load(&s->i18n) != 0 || mlv_render_check(s->i18n) != 0) {
        mlv_log_msg("the built-in pages are broken (see above); this build cannot serve them");
        return -1;
    }
    return 0;
}

void mlv_srv_close(mlv_srv *s)
{
    mlv_trust_free(s->trust);
    mlv_powcheck_free(s->pow);
    mlv_nojs_gate_free(s->nojs);
    mlv_pending_free(s->clocks);
    mlv_i18n_free(s->i18n);
    mlv_db_close(s->db);
    mlv_store_close(&s->store);
    free(s->busy);
    pthread_mutex_destroy(&s->busy_lock);
    memset(s, 0, sizeof *s);
}

int mlv_srv_claim(mlv_srv *s, const char *id)
{
    size_t free_slot = s->busy_cap;
    int rc = -1;

    pthread_mutex_lock(&s->busy_lock);
    for (size_t i = 0; i < s->busy_cap; i++) {
        if (s->busy[i][0] == '\0') {
            if (free_slot == s->busy_cap)
                free_slot = i;
        } else if (strcmp(s->busy[i], id) == 0) {
            goto out;
        }
    }
    if (free_slot < s->busy_cap) {
        memcpy(s->busy[free_slot], id, MLV_STORE_ID_HEX_BYTES);
        rc = 0;
    }
out:
    pthread_mutex_unlock(&s->busy_lock);
    return rc;
}

void mlv_srv_release(mlv_srv *s, const char *id)
{
    pthread_mutex_lock(&s->busy_lock);
    for (size_t i = 0; i < s->busy_cap; i++) {
        if (strcmp(s->busy[i], id) == 0) {
            s->busy[i][0] = '\0';
            break;
        }
    }
    pthread_mutex_unlock(&s->busy_lock);
}

static int quota_now(mlv_srv *s, mlv_db_quota *q)
{
    uint64_t free_bytes;

    if (mlv_store_free_bytes(&s->store, &free_bytes) != 0) {
        mlv_log_msg("cannot query free space of the data directory: %s", strerror(errno));
        return -1;
    }
    q->max_pending = s->cfg.max_pending_uploads;
    q->max_disk_bytes = s->cfg.max_disk_bytes;
    q->usable_bytes = free_bytes > s->cfg.min_free_bytes ? free_bytes - s->cfg.min_free_bytes : 0;
    return 0;
}

/* At the pending cap: the upload that never received a byte and has
 * waited longest goes, if it has waited long enough. 0 if one went. */
static int evict_unstarted(mlv_srv *s, int64_t now)
{
    char id[MLV_STORE_ID_HEX_BYTES];
    mlv_db_upload u;
    int rc = -1;

    if (mlv_pending_victim(s->clocks, now, id) != 0 || mlv_srv_claim(s, id) != 0)
        return -1;
    /* Claimed, so no PATCH moves it now; one may have just before. */
    switch (mlv_db_upload_get(s->db, id, &u)) {
    case MLV_DB_OK:
        if (u.offset == 0 && mlv_srv_discard(s, id) == MLV_DB_OK)
            rc = 0;
        break;
    case MLV_DB_NOT_FOUND:
        mlv_pending_remove(s->clocks, id);
        rc = 0;
        break;
    default:
        break;
    }
    mlv_srv_release(s, id);
    return rc;
}

mlv_db_status mlv_srv_reserve(mlv_srv *s, mlv_db_upload *u, mlv_srv_share share)
{
    int64_t now = (int64_t)time(NULL);
    mlv_db_quota q;
    mlv_db_status dst;

    if (quota_now(s, &q) != 0)
        return MLV_DB_ERROR;
    mlv_store_id_new(u->id);
    u->offset = 0;
    u->reserved = share == MLV_SRV_SHARE_NOJS || u->length <= MLV_SRV_RESERVE_AHEAD_BYTES
                      ? u->length
                      : MLV_SRV_RESERVE_AHEAD_BYTES;
    u->day = mlv_day_from_time(now);
    /* At the cap, expired uploads go first, then one that never sent a
     * byte; a few tries, as an evicted clock may be of an upload gone. */
    for (unsigned tries = 0;; tries++) {
        dst = mlv_db_upload_create(s->db, u, &q);
        if (dst != MLV_DB_FULL_COUNT || tries == 4u || (mlv_srv_sweep(s, now) == 0 && evict_unstarted(s, now) != 0))
            break;
    }
    /* The plain form finishes within its request; recovery gives it a
     * clock if a crash leaves it pending. */
    if (dst == MLV_DB_OK && share == MLV_SRV_SHARE_TUS)
        mlv_pending_add(s->clocks, u->id, now, 0);
    return dst;
}

mlv_db_status mlv_srv_progress(mlv_srv *s, const char *id, uint64_t before, uint64_t offset, uint64_t written,
                               uint64_t *reserved)
{
    int64_t now = (int64_t)time(NULL);
    mlv_db_quota q;
    mlv_db_status dst;

    if (quota_now(s, &q) != 0)
        return MLV_DB_ERROR;
    dst = mlv_db_upload_progress(s->db, id, offset, written + MLV_SRV_RESERVE_AHEAD_BYTES, mlv_day_from_time(now), &q,
                                 reserved);
    if ((dst == MLV_DB_OK || dst == MLV_DB_FULL_DISK) && offset > before)
        mlv_pending_touch(s->clocks, id, now);
    return dst;
}

int64_t mlv_srv_deadline(mlv_srv *s, const mlv_db_upload *u)
{
    return mlv_pending_deadline(s->clocks, u->id, (int64_t)time(NULL), u->offset > 0);
}

mlv_db_status mlv_srv_discard(mlv_srv *s, const char *id)
{
    mlv_db_status dst = mlv_db_upload_delete(s->db, id);

    /* The row goes first: a file without a row is swept at start, a row
     * without a file would be offered to the client. */
    if (dst == MLV_DB_OK && mlv_store_part_remove(&s->store, id) != 0)
        mlv_log_msg("cannot remove a pending upload's file; it is removed at the next start");
    if (dst == MLV_DB_OK || dst == MLV_DB_NOT_FOUND)
        mlv_pending_remove(s->clocks, id);
    return dst;
}

void mlv_srv_received(mlv_srv *s, const char *id)
{
    mlv_pending_remove(s->clocks, id);
}

size_t mlv_srv_sweep(mlv_srv *s, int64_t now)
{
    char (*ids)[MLV_STORE_ID_HEX_BYTES] = NULL;
    size_t n = mlv_pending_expired(s->clocks, now, &ids), removed = 0;

    for (size_t i = 0; i < n; i++) {
        if (mlv_srv_claim(s, ids[i]) != 0)
            continue;
        if (mlv_srv_discard(s, ids[i]) == MLV_DB_OK)
            removed++;
        mlv_srv_release(s, ids[i]);
    }
    free(ids);
    return removed;
}
