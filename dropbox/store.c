/* See store.h. */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/manifest.h>

#include "log.h"

/* Reading back a finished upload for its receipt: large enough to run at
 * disk speed, small enough to be no lasting cost for the thread. */
#define STORE_HASH_IO_BYTES (256u * 1024u)

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

void mlv_store_id_new(char out[MLV_STORE_ID_HEX_BYTES])
{
    uint8_t raw[MLV_STORE_ID_BYTES];

    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, MLV_STORE_ID_HEX_BYTES, raw, sizeof raw);
}

int mlv_store_id_valid(const char *s, size_t len)
{
    if (len != 2u * MLV_STORE_ID_BYTES)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    }
    return 1;
}

static int file_name(char *buf, size_t size, const char *id, const char *ext)
{
    if (!mlv_store_id_valid(id, strlen(id))) {
        errno = EINVAL;
        return -1;
    }
    snprintf(buf, size, "%s%s", id, ext);
    return 0;
}

/* A directory's modification time would tell when a file last came or
 * went in it: it is set back to the start of the day, like the files. */
static int date_dir(int dir_fd)
{
    return mlv_store_set_day(dir_fd, mlv_day_today());
}

int mlv_store_create(const char *path)
{
    int fd = open(path, DIR_FLAGS), rc = -1;

    if (fd < 0)
        return -1;
    if (mkdirat(fd, MLV_STORE_UPLOADS, 0700) == 0 && mkdirat(fd, MLV_STORE_ENVELOPES, 0700) == 0 &&
        mlv_file_sync_dir_fd(fd) == 0)
        rc = 0;
    close(fd);
    return rc;
}

int mlv_store_lock(const mlv_store *s, const char *path)
{
    struct stat st;
    int fd = openat(s->dir_fd, MLV_STORE_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd < 0 || fstat(fd, &st) != 0) {
        mlv_log_msg("cannot open the lock file '%s/%s': %s", path, MLV_STORE_LOCK, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        mlv_log_msg("'%s/%s' is not a regular file; remove it, it is only a lock", path, MLV_STORE_LOCK);
        goto fail;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            mlv_log_msg("another malyava-dropbox serve is already running on '%s' (it holds %s/%s); stop it first "
                        "(systemctl stop malyava-dropbox) or give this one its own data directory",
                        path, path, MLV_STORE_LOCK);
        else
            mlv_log_msg("cannot lock '%s/%s': %s", path, MLV_STORE_LOCK, strerror(errno));
        goto fail;
    }
    return fd;
fail:
    if (fd >= 0)
        close(fd);
    return -1;
}

int mlv_store_open(const char *path, mlv_store *out)
{
    struct stat st;

    out->uploads_fd = out->envelopes_fd = -1;
    out->dir_fd = open(path, DIR_FLAGS);
    if (out->dir_fd < 0) {
        mlv_log_msg("cannot open data directory '%s': %s; create it with `malyava-dropbox init`", path,
                    strerror(errno));
        return -1;
    }
    if (fstat(out->dir_fd, &st) == 0 && (st.st_mode & 077) != 0)
        mlv_log_msg("warning: data directory '%s' is readable by others; run chmod 700 on it", path);
    out->uploads_fd = openat(out->dir_fd, MLV_STORE_UPLOADS, DIR_FLAGS);
    out->envelopes_fd = openat(out->dir_fd, MLV_STORE_ENVELOPES, DIR_FLAGS);
    if (out->uploads_fd < 0 || out->envelopes_fd < 0) {
        mlv_log_msg("data directory '%s' lacks %s/ or %s/ (%s); it was not made by `malyava-dropbox init`",
                    path, MLV_STORE_UPLOADS, MLV_STORE_ENVELOPES, strerror(errno));
        mlv_store_close(out);
        return -1;
    }
    return 0;
}

void mlv_store_close(mlv_store *s)
{
    if (s->dir_fd >= 0)
        close(s->dir_fd);
    if (s->uploads_fd >= 0)
        close(s->uploads_fd);
    if (s->envelopes_fd >= 0)
        close(s->envelopes_fd);
    s->dir_fd = s->uploads_fd = s->envelopes_fd = -1;
}

int mlv_store_part_create(const mlv_store *s, const char *id)
{
    char name[MLV_STORE_ID_HEX_BYTES + 8];
    int fd;

    if (file_name(name, sizeof name, id, ".part") != 0)
        return -1;
    fd = mlv_file_create_at(s->uploads_fd, name);
    if (fd < 0)
        return -1;
    /* The new name must survive a crash before the row that points to it
     * is committed, or recovery would drop the row as fileless. */
    if (date_dir(s->uploads_fd) != 0 || mlv_file_sync_dir_fd(s->uploads_fd) != 0) {
        close(fd);
        unlinkat(s->uploads_fd, name, 0);
        return -1;
    }
    return fd;
}

int mlv_store_part_open(const mlv_store *s, const char *id)
{
    char name[MLV_STORE_ID_HEX_BYTES + 8];
    struct stat st;
    int fd;

    if (file_name(name, sizeof name, id, ".part") != 0)
        return -1;
    fd = openat(s->uploads_fd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

int mlv_store_part_remove(const mlv_store *s, const char *id)
{
    char name[MLV_STORE_ID_HEX_BYTES + 8];

    if (file_name(name, sizeof name, id, ".part") != 0)
        return -1;
    if (unlinkat(s->uploads_fd, name, 0) != 0 && errno != ENOENT)
        return -1;
    if (date_dir(s->uploads_fd) != 0)
        return -1;
    return mlv_file_sync_dir_fd(s->uploads_fd);
}

int mlv_store_set_day(int fd, int64_t day)
{
    struct timespec ts[2];

    ts[0].tv_sec = ts[1].tv_sec = (time_t)(day * 86400);
    ts[0].tv_nsec = ts[1].tv_nsec = 0;
    return futimens(fd, ts);
}

void mlv_store_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int mlv_store_list(int dir_fd, char ***out, size_t *n)
{
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *de;
    /* A descriptor of its own (openat, not dup: this also runs under the
     * seccomp filter), so the caller's keeps its position. */
    int fd = openat(dir_fd, ".", DIR_FLAGS), rc = -1;
    DIR *d;

    *out = NULL;
    *n = 0;
    if (fd < 0)
        return -1;
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (count == cap) {
            size_t ncap = cap == 0 ? 64 : cap * 2u;
            char **grown = reallocarray(names, ncap, sizeof *names);
            if (grown == NULL)
                goto out;
            names = grown;
            cap = ncap;
        }
        names[count] = strdup(de->d_name);
        if (names[count] == NULL)
            goto out;
        count++;
    }
    *out = names;
    *n = count;
    names = NULL;
    rc = 0;
out:
    if (names != NULL)
        mlv_store_names_free(names, count);
    closedir(d);
    return rc;
}

/* Sets the times of every file in `dir_fd` to what they are, which moves
 * each one's ctime to now. */
static int touch_dir(int dir_fd)
{
    struct timespec ts[2];
    struct stat st;
    char **names;
    size_t n;
    int rc = 0;

    if (mlv_store_list(dir_fd, &names, &n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (fstatat(dir_fd, names[i], &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        ts[0] = ts[1] = st.st_mtim;
        if (utimensat(dir_fd, names[i], ts, AT_SYMLINK_NOFOLLOW) != 0 && errno != ENOENT)
            rc = -1;
    }
    mlv_store_names_free(names, n);
    return rc;
}

int mlv_store_touch_all(const mlv_store *s)
{
    int up = touch_dir(s->uploads_fd), env = touch_dir(s->envelopes_fd);

    return up == 0 && env == 0 && date_dir(s->uploads_fd) == 0 && date_dir(s->envelopes_fd) == 0 ? 0 : -1;
}

static int receipt_of(int fd, uint64_t length, uint8_t receipt[MLV_RECEIPT_BYTES])
{
    crypto_generichash_state st;
    uint8_t *buf = malloc(STORE_HASH_IO_BYTES);
    uint64_t done = 0;
    int rc = -1;

    if (buf == NULL)
        return -1;
    crypto_generichash_init(&st, NULL, 0, MLV_RECEIPT_BYTES);
    while (done < length) {
        size_t want = length - done < STORE_HASH_IO_BYTES ? (size_t)(length - done) : STORE_HASH_IO_BYTES;
        ssize_t n = pread(fd, buf, want, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            goto out;
        }
        crypto_generichash_update(&st, buf, (size_t)n);
        done += (uint64_t)n;
    }
    crypto_generichash_final(&st, receipt, MLV_RECEIPT_BYTES);
    rc = 0;
out:
    free(buf);
    return rc;
}

int mlv_store_promote(const mlv_store *s, const char *id, int fd, uint64_t length, int64_t day,
                      uint8_t receipt[MLV_RECEIPT_BYTES])
{
    char from[MLV_STORE_ID_HEX_BYTES + 8], to[MLV_STORE_ID_HEX_BYTES + 8];
    struct stat st;

    if (file_name(from, sizeof from, id, ".part") != 0 || file_name(to, sizeof to, id, ".env") != 0)
        return -1;
    if (fstat(fd, &st) != 0)
        return -1;
    if ((uint64_t)st.st_size != length) {
        errno = EIO;
        return -1;
    }
    /* Hashing what is on disk, not what was received, is what lets equal
     * receipts prove the stored bytes. */
    if (fsync(fd) != 0 || receipt_of(fd, length, receipt) != 0 || mlv_store_set_day(fd, day) != 0 ||
        fsync(fd) != 0)
        return -1;
    if (renameat(s->uploads_fd, from, s->envelopes_fd, to) != 0)
        return -1;
    if (date_dir(s->envelopes_fd) != 0 || date_dir(s->uploads_fd) != 0 ||
        mlv_file_sync_dir_fd(s->envelopes_fd) != 0 || mlv_file_sync_dir_fd(s->uploads_fd) != 0)
        return -1;
    return 0;
}

int mlv_store_demote(const mlv_store *s, const char *id)
{
    char from[MLV_STORE_ID_HEX_BYTES + 8], to[MLV_STORE_ID_HEX_BYTES + 8];

    if (file_name(from, sizeof from, id, ".env") != 0 || file_name(to, sizeof to, id, ".part") != 0)
        return -1;
    if (renameat(s->envelopes_fd, from, s->uploads_fd, to) != 0)
        return -1;
    if (date_dir(s->uploads_fd) != 0 || date_dir(s->envelopes_fd) != 0 ||
        mlv_file_sync_dir_fd(s->uploads_fd) != 0 || mlv_file_sync_dir_fd(s->envelopes_fd) != 0)
        return -1;
    return 0;
}

int mlv_store_free_bytes(const mlv_store *s, uint64_t *out)
{
    struct statvfs vfs;

    if (fstatvfs(s->dir_fd, &vfs) != 0)
        return -1;
    if (vfs.f_frsize != 0 && vfs.f_bavail > UINT64_MAX / vfs.f_frsize)
        *out = UINT64_MAX;
    else
        *out = (uint64_t)vfs.f_bavail * vfs.f_frsize;
    return 0;
}
