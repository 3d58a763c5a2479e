/* See datadir.h. */
#include "datadir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <malyava/fileio.h>
#include <malyava/limits.h>

#include "db.h"
#include "log.h"
#include "store.h"

void mlv_dd_carried_clear(mlv_dd_carried *c)
{
    free(c->org_text);
    free(c->text);
    free(c->sig);
    memset(c, 0, sizeof *c);
}

int mlv_dd_read_text(const char *path, const char *what, char **out, size_t *len)
{
    uint8_t *buf = NULL;

    if (mlv_file_read_small(path, MLV_MAX_SMALL_FILE_BYTES, &buf, len) != 0) {
        mlv_log_msg("cannot read %s '%s': %s", what, path, errno == EFBIG ? "too large to be one" : strerror(errno));
        return -1;
    }
    *out = (char *)buf;
    return 0;
}

int mlv_dd_read_org(const char *path, mlv_dd_carried *c)
{
    mlv_man_status st;

    if (mlv_dd_read_text(path, "organisation key", &c->org_text, &c->org_len) != 0)
        return -1;
    st = mlv_org_public_parse(c->org_text, c->org_len, &c->org);
    if (st != MLV_MAN_OK) {
        mlv_log_msg("'%s' is not an organisation public key: %s", path, mlv_man_strerror(st));
        return -1;
    }
    return 0;
}

int mlv_dd_read_manifest(const char *path, uint64_t min_serial, uint64_t installed, mlv_dd_carried *c)
{
    char sig_path[PATH_MAX];
    mlv_man_status st;

    snprintf(sig_path, sizeof sig_path, "%s.minisig", path);
    if (mlv_dd_read_text(path, "manifest", &c->text, &c->text_len) != 0 ||
        mlv_dd_read_text(sig_path, "manifest signature", &c->sig, &c->sig_len) != 0)
        return -1;
    st = mlv_man_verify(c->text, c->text_len, c->sig, c->sig_len, &c->org, mlv_day_from_time((int64_t)time(NULL)),
                        min_serial, &c->m);
    if (st == MLV_MAN_ERR_ROLLBACK) {
        mlv_log_msg("manifest '%s' is not newer than the installed one (serial %llu); sign one with a higher serial",
                    path, (unsigned long long)installed);
        return -1;
    }
    if (st != MLV_MAN_OK) {
        mlv_log_msg("manifest '%s' refused: %s", path, mlv_man_strerror(st));
        return -1;
    }
    return 0;
}

int mlv_dd_write(const char *dir, const char *name, const char *buf, size_t len, int replace)
{
    char path[PATH_MAX];

    snprintf(path, sizeof path, "%s/%s", dir, name);
    if ((replace ? mlv_file_replace(path, buf, len) : mlv_file_write_new(path, buf, len)) != 0) {
        mlv_log_msg("cannot write '%s': %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int mlv_dd_make_dir(const char *path)
{
    struct dirent *de;
    DIR *d;
    int fd;

    if (mkdir(path, 0700) == 0)
        return mlv_file_sync_parent(path);
    if (errno != EEXIST) {
        mlv_log_msg("cannot create data directory '%s': %s", path, strerror(errno));
        return -1;
    }
    fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        mlv_log_msg("'%s' exists and is not a directory (%s); choose a new path", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            mlv_log_msg("'%s' is not empty; only a new or empty directory becomes a data directory", path);
            closedir(d);
            return -1;
        }
    }
    if (fchmod(dirfd(d), 0700) != 0) {
        mlv_log_msg("cannot make '%s' private (chmod 700): %s", path, strerror(errno));
        closedir(d);
        return -1;
    }
    closedir(d);
    return 0;
}

int mlv_dd_fill(const char *path, const char *cfg_text, size_t cfg_len, const mlv_dd_carried *c)
{
    char db_path[PATH_MAX];
    mlv_db_manifest dm;
    mlv_db *db = NULL;
    int rc = -1;

    if (mlv_store_create(path) != 0) {
        mlv_log_msg("cannot create the directories inside '%s': %s", path, strerror(errno));
        return -1;
    }
    if (mlv_dd_write(path, MLV_STORE_CONFIG, cfg_text, cfg_len, 0) != 0 ||
        mlv_dd_write(path, MLV_STORE_ORG_KEY, c->org_text, c->org_len, 0) != 0 ||
        mlv_dd_write(path, MLV_STORE_MANIFEST, c->text, c->text_len, 0) != 0 ||
        mlv_dd_write(path, MLV_STORE_MANIFEST_SIG, c->sig, c->sig_len, 0) != 0)
        return -1;
    snprintf(db_path, sizeof db_path, "%s/%s", path, MLV_STORE_DB);
    if (mlv_db_open(db_path, 1, &db) != MLV_DB_OK)
        goto out;
    dm = (mlv_db_manifest){ c->m.serial, 0, c->text, c->text_len, c->sig, c->sig_len };
    if (mlv_db_manifest_install(db, &dm, mlv_day_from_time((int64_t)time(NULL))) != MLV_DB_OK)
        goto out;
    rc = 0;
out:
    mlv_db_close(db);
    return rc;
}
