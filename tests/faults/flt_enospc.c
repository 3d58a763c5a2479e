/*
 * LD_PRELOAD shim for the disk-full test where mounting a small tmpfs is
 * not allowed: while the file named by MLV_FAULT_FULL_FLAG exists, every
 * write to a regular file fails with ENOSPC, as on a full volume. Sockets
 * and pipes are untouched, so the server can still answer, and so are
 * standard output and error, so it can still say what happened.
 * Test-only; it is never linked into a program.
 */
/* Both pwrite and pwrite64 are defined here, so neither may be renamed
 * to the other. */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off);

static int full(int fd)
{
    const char *flag = getenv("MLV_FAULT_FULL_FLAG");
    struct stat sb;

    return fd > 2 && flag != NULL && access(flag, F_OK) == 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The next definition of `name`, assigned through void ** as POSIX's
 * dlsym page suggests, since ISO C has no object-to-function cast. */
#define REAL(name, fn) (*(void **)&(fn) = dlsym(RTLD_NEXT, #name))

ssize_t write(int fd, const void *buf, size_t n)
{
    ssize_t (*fn)(int, const void *, size_t);

    if (full(fd)) {
        errno = ENOSPC;
        return -1;
    }
    return REAL(write, fn) != NULL ? fn(fd, buf, n) : -1;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    ssize_t (*fn)(int, const void *, size_t, off_t);

    if (full(fd)) {
        errno = ENOSPC;
        return -1;
    }
    return REAL(pwrite, fn) != NULL ? fn(fd, buf, n, off) : -1;
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    ssize_t (*fn)(int, const void *, size_t, off_t);

    if (full(fd)) {
        errno = ENOSPC;
        return -1;
    }
    return REAL(pwrite64, fn) != NULL ? fn(fd, buf, n, off) : -1;
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    ssize_t (*fn)(int, const struct iovec *, int);

    if (full(fd)) {
        errno = ENOSPC;
        return -1;
    }
    return REAL(writev, fn) != NULL ? fn(fd, iov, cnt) : -1;
}

int fallocate(int fd, int mode, off_t off, off_t len)
{
    int (*fn)(int, int, off_t, off_t);

    if (full(fd)) {
        errno = ENOSPC;
        return -1;
    }
    return REAL(fallocate, fn) != NULL ? fn(fd, mode, off, len) : -1;
}

int posix_fallocate(int fd, off_t off, off_t len)
{
    int (*fn)(int, off_t, off_t);

    if (full(fd))
        return ENOSPC;
    return REAL(posix_fallocate, fn) != NULL ? fn(fd, off, len) : ENOSYS;
}
