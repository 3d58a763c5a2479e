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
    if (s->busy == NULL || s->pow == NULL || s->nojs == NULL) {
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

mlv_db_status mlv_srv_reserve(mlv_srv *s, mlv_db_upload *u)
{
    mlv_db_quota q;
    uint64_t free_bytes;

    if (mlv_store_free_bytes(&s->store, &free_bytes) != 0) {
        mlv_log_msg("cannot query free space of the data directory: %s", strerror(errno));
        return MLV_DB_ERROR;
    }
    q.max_pending = s->cfg.max_pending_uploads;
    q.max_disk_bytes = s->cfg.max_disk_bytes;
    q.usable_bytes = free_bytes > s->cfg.min_free_bytes ? free_bytes - s->cfg.min_free_bytes : 0;
    mlv_store_id_new(u->id);
    u->offset = 0;
    u->expires_hour = mlv_srv_upload_expiry(s);
    return mlv_db_upload_create(s->db, u, &q);
}

int64_t mlv_srv_upload_expiry(const mlv_srv *s)
{
    return mlv_srv_hour_ceil((int64_t)time(NULL) + (int64_t)s->cfg.upload_expiry_hours * 3600);
}

int64_t mlv_srv_hour_ceil(int64_t unix_seconds)
{
    return unix_seconds <= 0 ? 0 : (unix_seconds + 3599) / 3600;
}

size_t mlv_srv_sweep(mlv_srv *s, int64_t now)
{
    mlv_db_upload *list = NULL;
    size_t n = 0, removed = 0;

    if (mlv_db_upload_list(s->db, &list, &n) != MLV_DB_OK)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (list[i].expires_hour > now / 3600 || mlv_srv_claim(s, list[i].id) != 0)
            continue;
        /* The row goes first: a file without a row is swept at start, a
         * row without a file would be offered to the client. */
        if (mlv_db_upload_delete(s->db, list[i].id) == MLV_DB_OK) {
            if (mlv_store_part_remove(&s->store, list[i].id) != 0)
                mlv_log_msg("cannot remove an expired upload's file; it is removed at the next start");
            removed++;
        }
        mlv_srv_release(s, list[i].id);
    }
    free(list);
    return removed;
}
