/* Careful file handling shared by every program: see fileio.h. */
#include <malyava/fileio.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define FILEIO_CREATE_FLAGS (O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)

int mlv_file_create(const char *path)
{
    return open(path, FILEIO_CREATE_FLAGS, 0600);
}

int mlv_file_create_at(int dir_fd, const char *name)
{
    return openat(dir_fd, name, FILEIO_CREATE_FLAGS, 0600);
}

int mlv_file_open_read(const char *path)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    /* A FIFO or device would let a caller block forever or read without end. */
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        return -1;
    }
    return fd;
}

int mlv_file_write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += (size_t)n;
        len -= (size_t)n;
    }
    return 0;
}

ssize_t mlv_file_read_full(int fd, void *buf, size_t len)
{
    uint8_t *p = buf;
    size_t done = 0;

    if (len > SSIZE_MAX) {
        errno = EINVAL;
        return -1;
    }
    while (done < len) {
        ssize_t n = read(fd, p + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

int mlv_file_read_small(const char *path, size_t max, uint8_t **out, size_t *out_len)
{
    uint8_t *buf = NULL;
    ssize_t n;
    int saved, fd, rc = -1;

    *out = NULL;
    *out_len = 0;
    if (max >= SIZE_MAX - 1u) {
        errno = EINVAL;
        return -1;
    }
    fd = mlv_file_open_read(path);
    if (fd < 0)
        return -1;
    buf = malloc(max + 2u);
    if (buf == NULL)
        goto out;
    /* One byte more than allowed tells "too large" without trusting st_size. */
    n = mlv_file_read_full(fd, buf, max + 1u);
    if (n < 0)
        goto out;
    if ((size_t)n > max) {
        errno = EFBIG;
        goto out;
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = (size_t)n;
    buf = NULL;
    rc = 0;
out:
    saved = errno;
    free(buf);
    close(fd);
    errno = saved;
    return rc;
}

int mlv_file_sync_dir_fd(int dir_fd)
{
    /* Some filesystems refuse fsync on directories; they also do not need it. */
    if (fsync(dir_fd) != 0 && errno != EINVAL && errno != EROFS)
        return -1;
    return 0;
}

int mlv_file_sync_parent(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    struct stat st;
    size_t len;
    int fd, rc, saved;

    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        len = strlen(path);
        if (len >= sizeof dir) {
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(dir, path, len + 1u);
    } else if (slash == NULL) {
        memcpy(dir, ".", 2);
    } else if (slash == path) {
        memcpy(dir, "/", 2);
    } else {
        len = (size_t)(slash - path);
        if (len >= sizeof dir) {
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(dir, path, len);
        dir[len] = '\0';
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    rc = mlv_file_sync_dir_fd(fd);
    saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int mlv_file_write_new(const char *path, const void *buf, size_t len)
{
    int saved, fd = mlv_file_create(path);

    if (fd < 0)
        return -1;
    if (mlv_file_write_all(fd, buf, len) != 0 || fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    return mlv_file_sync_parent(path);
fail:
    saved = errno;
    if (fd >= 0)
        close(fd);
    unlink(path);
    errno = saved;
    return -1;
}

int mlv_file_replace(const char *path, const void *buf, size_t len)
{
    char tmp[PATH_MAX];
    char suffix[17];
    uint8_t rnd[8];
    int n, saved, fd = -1;

    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(suffix, sizeof suffix, rnd, sizeof rnd);
    n = snprintf(tmp, sizeof tmp, "%s.tmp-%s", path, suffix);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    fd = mlv_file_create(tmp);
    if (fd < 0)
        return -1;
    if (mlv_file_write_all(fd, buf, len) != 0 || fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto fail;
    return mlv_file_sync_parent(path);
fail:
    saved = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    errno = saved;
    return -1;
}

char *mlv_file_immutable_uri(const char *path)
{
    static const char hex[] = "0123456789abcdef";
    size_t len = strlen(path), j = 5;
    char *uri;

    if (len > PATH_MAX)
        return NULL;
    uri = malloc(5u + 3u * len + sizeof "?immutable=1");
    if (uri == NULL)
        return NULL;
    memcpy(uri, "file:", 5);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)path[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '/' ||
            ch == '.' || ch == '-' || ch == '_') {
            uri[j++] = (char)ch;
        } else {
            uri[j++] = '%';
            uri[j++] = hex[ch >> 4];
            uri[j++] = hex[ch & 15u];
        }
    }
    memcpy(uri + j, "?immutable=1", sizeof "?immutable=1");
    return uri;
}
