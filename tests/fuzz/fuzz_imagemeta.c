/*
 * mlv_img_inspect_fd and mlv_img_strip_fd: photos and videos a source
 * sent, read on the editors' machine. The input goes in through a memfd
 * (the lseek path) and, when it fits, a pipe (the read-through path).
 * Promised beyond not crashing: both paths and both calls agree on kind,
 * status and flags; a strip that succeeded accounts for every byte it left
 * out, and its output inspects clean and strips to itself; the description
 * of what was found fits in what it says it needs.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <malyava/fileio.h>
#include <malyava/imagemeta.h>

#include "fuzz.h"

static int fuzz_memfd(const uint8_t *p, size_t n)
{
    int fd = memfd_create("fuzz_imagemeta", MFD_CLOEXEC);

    FUZZ_ASSERT(fd >= 0);
    FUZZ_ASSERT(mlv_file_write_all(fd, p, n) == 0);
    FUZZ_ASSERT(lseek(fd, 0, SEEK_SET) == 0);
    return fd;
}

/* A pipe already holding all of the input with its writing end closed,
 * or -1 if the input is larger than the pipe can hold. */
static int fuzz_pipe(const uint8_t *p, size_t n)
{
    int fds[2];
    int cap;

    FUZZ_ASSERT(pipe(fds) == 0);
    cap = fcntl(fds[1], F_GETPIPE_SZ);
    if (cap < 0 || (size_t)cap < n) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    FUZZ_ASSERT(mlv_file_write_all(fds[1], p, n) == 0);
    close(fds[1]);
    return fds[0];
}

/* The whole content of a memfd, read back (malloc'd). */
static uint8_t *fuzz_contents(int fd, size_t *len)
{
    off_t end = lseek(fd, 0, SEEK_END);
    uint8_t *p;

    FUZZ_ASSERT(end >= 0 && lseek(fd, 0, SEEK_SET) == 0);
    p = malloc((size_t)end + 1u);
    FUZZ_ASSERT(p != NULL);
    FUZZ_ASSERT(mlv_file_read_full(fd, p, (size_t)end) == end);
    *len = (size_t)end;
    return p;
}

/* The stripped output: clean, and a fixed point. */
static void fuzz_check_output(const uint8_t *out, size_t len, mlv_img_kind kind)
{
    mlv_img_report r;
    int in = fuzz_memfd(out, len), again = fuzz_memfd(NULL, 0);
    uint8_t *twice;
    size_t twice_len;

    FUZZ_ASSERT(mlv_img_inspect_fd(in, &r) == MLV_IMG_OK);
    FUZZ_ASSERT(r.kind == kind && r.flags == 0u);
    FUZZ_ASSERT(lseek(in, 0, SEEK_SET) == 0);
    FUZZ_ASSERT(mlv_img_strip_fd(in, again, &r) == MLV_IMG_OK);
    FUZZ_ASSERT(r.removed_bytes == 0u);
    twice = fuzz_contents(again, &twice_len);
    FUZZ_ASSERT(twice_len == len && memcmp(twice, out, len) == 0);
    free(twice);
    close(in);
    close(again);
}

/* The description fits what it says it needs, cut or whole. */
static void fuzz_check_describe(const mlv_img_report *r)
{
    char whole[1024], cut[16];
    size_t need = mlv_img_describe(r, whole, sizeof whole);

    FUZZ_ASSERT(need > 0u && need < sizeof whole && strlen(whole) == need);
    FUZZ_ASSERT(mlv_img_describe(r, cut, sizeof cut) == need);
    FUZZ_ASSERT(strlen(cut) == (need < sizeof cut ? need : sizeof cut - 1u));
    FUZZ_ASSERT(strncmp(cut, whole, strlen(cut)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mlv_img_report seen, removed, piped;
    int in = fuzz_memfd(data, size), out = fuzz_memfd(NULL, 0), pipe_fd;
    mlv_img_status inspected, stripped;
    uint8_t *result;
    size_t result_len;

    mlv_fuzz_rng_reset();
    inspected = mlv_img_inspect_fd(in, &seen);
    FUZZ_ASSERT(inspected == MLV_IMG_OK || inspected == MLV_IMG_MALFORMED || inspected == MLV_IMG_LIMIT);
    FUZZ_ASSERT((inspected == MLV_IMG_OK) == (seen.problem == NULL));
    FUZZ_ASSERT(seen.problem_offset <= size);
    FUZZ_ASSERT(lseek(in, 0, SEEK_SET) == 0);
    stripped = mlv_img_strip_fd(in, out, &removed);
    FUZZ_ASSERT(removed.kind == seen.kind);
    result = fuzz_contents(out, &result_len);
    if (seen.kind == MLV_IMG_JPEG || seen.kind == MLV_IMG_PNG) {
        FUZZ_ASSERT(stripped == inspected);
        FUZZ_ASSERT(removed.flags == seen.flags && removed.removed_bytes == seen.removed_bytes);
        if (stripped == MLV_IMG_OK) {
            FUZZ_ASSERT(result_len + removed.removed_bytes == size);
            fuzz_check_output(result, result_len, seen.kind);
        }
    } else {
        FUZZ_ASSERT(stripped == MLV_IMG_UNSUPPORTED && result_len == 0u);
    }
    free(result);
    close(in);
    close(out);
    fuzz_check_describe(&seen);

    if ((pipe_fd = fuzz_pipe(data, size)) >= 0) {
        FUZZ_ASSERT(mlv_img_inspect_fd(pipe_fd, &piped) == inspected);
        FUZZ_ASSERT(piped.kind == seen.kind && piped.flags == seen.flags);
        FUZZ_ASSERT(piped.removed_bytes == seen.removed_bytes && piped.problem_offset == seen.problem_offset);
        close(pipe_fd);
    }
    return 0;
}
