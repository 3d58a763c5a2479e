/* See recover.h. */
#include "recover.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <malyava/fileio.h>
#include <malyava/limits.h>

#include "log.h"

/* "<id><ext>" -> id, or 0 if the name is not of that form. */
static int id_of(const char *name, const char *ext, char id[MLV_STORE_ID_HEX_BYTES])
{
    size_t len = strlen(name), elen = strlen(ext);

    if (len != 2u * MLV_STORE_ID_BYTES + elen || strcmp(name + len - elen, ext) != 0 ||
        !mlv_store_id_valid(name, len - elen))
        return 0;
    memcpy(id, name, len - elen);
    id[len - elen] = '\0';
    return 1;
}

static void remove_stray(int dir_fd, const char *name, mlv_recover_report *rep)
{
    if (unlinkat(dir_fd, name, 0) == 0)
        rep->strays++;
    else
        mlv_log_msg("cannot remove stray entry in the data directory (%s); remove it by hand", strerror(errno));
}

/* Only a definite "no row" removes anything: a database error stops
 * recovery (and the start) instead of costing a received envelope. */
static int recover_envelopes(mlv_srv *s, mlv_recover_report *rep)
{
    char **names;
    char id[MLV_STORE_ID_HEX_BYTES];
    mlv_db_submission sub;
    mlv_db_upload u;
    mlv_db_status dst = MLV_DB_OK;
    size_t n;

    if (mlv_store_list(s->store.envelopes_fd, &names, &n) != 0)
        return -1;
    for (size_t i = 0; i < n && dst != MLV_DB_ERROR; i++) {
        if (!id_of(names[i], ".env", id)) {
            remove_stray(s->store.envelopes_fd, names[i], rep);
            continue;
        }
        dst = mlv_db_submission_get(s->db, id, &sub);
        if (dst != MLV_DB_NOT_FOUND)
            continue;
        dst = mlv_db_upload_get(s->db, id, &u);
        if (dst == MLV_DB_OK && mlv_store_demote(&s->store, id) != 0)
            mlv_log_msg("cannot move an unrecorded envelope back to uploads/: %s", strerror(errno));
        else if (dst == MLV_DB_NOT_FOUND)
            remove_stray(s->store.envelopes_fd, names[i], rep);
    }
    mlv_store_names_free(names, n);
    return dst == MLV_DB_ERROR ? -1 : 0;
}

static mlv_db_status recover_part(mlv_srv *s, const char *name, const char *id, int64_t now,
                                  mlv_recover_report *rep)
{
    mlv_db_upload u;
    mlv_db_status dst = mlv_db_upload_get(s->db, id, &u);
    struct stat st;
    int fd;

    if (dst == MLV_DB_NOT_FOUND)
        remove_stray(s->store.uploads_fd, name, rep);
    if (dst != MLV_DB_OK)
        return dst;
    /* Only the day of the last byte was kept: an upload goes when even a
     * byte at that day's last second would have expired by now; the
     * others start their clocks again from now. */
    if ((u.day + 1) * 86400 + (u.offset > 0 ? (int64_t)s->cfg.upload_expiry_hours * 3600
                                             : (int64_t)MLV_SRV_UNSTARTED_EXPIRY_SECONDS) <= now) {
        mlv_srv_discard(s, id);
        return MLV_DB_OK;
    }
    fd = mlv_store_part_open(&s->store, id);
    if (fd < 0 || fstat(fd, &st) != 0 || (uint64_t)st.st_size < u.offset) {
        /* Fewer bytes than were acknowledged: the disk lost them. */
        mlv_log_msg("a pending upload is shorter than its committed offset; it was dropped, check the disk");
        mlv_srv_discard(s, id);
        rep->rows++;
    } else {
        if ((uint64_t)st.st_size > u.offset &&
            (ftruncate(fd, (off_t)u.offset) != 0 || mlv_store_set_day(fd, u.day) != 0 || fsync(fd) != 0))
            mlv_log_msg("cannot truncate a pending upload: %s", strerror(errno));
        mlv_pending_add(s->clocks, id, now, u.offset > 0);
    }
    if (fd >= 0)
        close(fd);
    return MLV_DB_OK;
}

static int recover_uploads(mlv_srv *s, int64_t now, mlv_recover_report *rep)
{
    char **names;
    char id[MLV_STORE_ID_HEX_BYTES];
    mlv_db_status dst = MLV_DB_OK;
    size_t n;

    if (mlv_store_list(s->store.uploads_fd, &names, &n) != 0)
        return -1;
    for (size_t i = 0; i < n && dst != MLV_DB_ERROR; i++) {
        if (id_of(names[i], ".part", id))
            dst = recover_part(s, names[i], id, now, rep);
        else
            remove_stray(s->store.uploads_fd, names[i], rep);
    }
    mlv_store_names_free(names, n);
    return dst == MLV_DB_ERROR ? -1 : 0;
}

/* Only a name that is certainly gone counts as missing: an I/O error
 * must not cost a row. */
static int missing_at(int dir_fd, const char *id, const char *ext)
{
    char name[MLV_STORE_ID_HEX_BYTES + 8];
    struct stat st;

    snprintf(name, sizeof name, "%s%s", id, ext);
    return fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT;
}

static int recover_rows(mlv_srv *s, mlv_recover_report *rep)
{
    char (*ids)[MLV_STORE_ID_HEX_BYTES] = NULL;
    mlv_db_upload *list = NULL;
    size_t n;

    if (mlv_db_upload_list(s->db, &list, &n) != MLV_DB_OK)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (missing_at(s->store.uploads_fd, list[i].id, ".part") && mlv_db_upload_delete(s->db, list[i].id) == MLV_DB_OK)
            rep->rows++;
    }
    free(list);
    if (mlv_db_submission_ids(s->db, &ids, &n) != MLV_DB_OK)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (missing_at(s->store.envelopes_fd, ids[i], ".env") && mlv_db_submission_delete(s->db, ids[i]) == MLV_DB_OK)
            rep->lost++;
    }
    free(ids);
    return 0;
}

/* "<file>.tmp-<16 hex>": what mlv_file_replace leaves when an admin
 * command dies between writing and renaming. */
static int is_replace_temp(const char *name)
{
    static const char *const files[] = { MLV_STORE_CONFIG, MLV_STORE_ORG_KEY, MLV_STORE_MANIFEST,
                                         MLV_STORE_MANIFEST_SIG };
    const char *tmp = strstr(name, ".tmp-");

    if (tmp == NULL || strlen(tmp + 5) != 16 || strspn(tmp + 5, "0123456789abcdef") != 16)
        return 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if ((size_t)(tmp - name) == strlen(files[i]) && strncmp(name, files[i], strlen(files[i])) == 0)
            return 1;
    }
    return 0;
}

/* "bundle-<32 hex>.tmp": an export or replies bundle a stopped request
 * left behind. */
static int is_bundle_temp(const char *name)
{
    size_t len = strlen(name);

    return len == 7u + 2u * MLV_STORE_ID_BYTES + 4u && strncmp(name, "bundle-", 7) == 0 &&
           mlv_store_id_valid(name + 7, 2u * MLV_STORE_ID_BYTES) && strcmp(name + len - 4u, ".tmp") == 0;
}

static int recover_root(mlv_srv *s, mlv_recover_report *rep)
{
    char **names;
    size_t n;

    if (mlv_store_list(s->store.dir_fd, &names, &n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (is_replace_temp(names[i]) || is_bundle_temp(names[i]))
            remove_stray(s->store.dir_fd, names[i], rep);
    }
    mlv_store_names_free(names, n);
    return 0;
}

int mlv_recover_run(mlv_srv *s, int64_t now, mlv_recover_report *out)
{
    memset(out, 0, sizeof *out);
    if (recover_root(s, out) != 0 || recover_envelopes(s, out) != 0 || recover_uploads(s, now, out) != 0 || recover_rows(s, out) != 0 ||
        mlv_file_sync_dir_fd(s->store.uploads_fd) != 0 || mlv_file_sync_dir_fd(s->store.envelopes_fd) != 0) {
        mlv_log_msg("start-up recovery of the data directory failed: %s", strerror(errno));
        return -1;
    }
    return 0;
}
