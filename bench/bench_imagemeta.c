/*
 * How much stripping metadata costs next to copying the file: a JPEG and
 * a PNG of SIZE MiB (default 128) with Exif and text at the front are
 * stripped from one memfd to another, then copied plainly with the same
 * 64 KiB buffers; the ratio is what checking every segment, chunk and
 * CRC adds. Usage: bench_imagemeta [SIZE_MIB]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include <malyava/fileio.h>
#include <malyava/imagemeta.h>

#define BENCH_BLOCK (64u * 1024u)

static double bench_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int bench_put(int fd, const void *p, size_t n)
{
    return mlv_file_write_all(fd, p, n);
}

static int bench_png_chunk(int fd, const char *type, const uint8_t *data, uint32_t n)
{
    uint8_t h[8] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    uint32_t crc = (uint32_t)crc32(crc32(0, (const Bytef *)type, 4), data, n);
    uint8_t t[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8), (uint8_t)crc};

    memcpy(h + 4, type, 4);
    return bench_put(fd, h, 8) || bench_put(fd, data, n) || bench_put(fd, t, 4) ? -1 : 0;
}

/* Entropy-coded data or IDAT payload: varied bytes, a stuffed 0xFF00 now and then. */
static void bench_fill(uint8_t *block)
{
    for (size_t i = 0; i < BENCH_BLOCK; i++)
        block[i] = (uint8_t)((i * 131u) % 255u);
    for (size_t i = 0; i + 1 < BENCH_BLOCK; i += 997) {
        block[i] = 0xff;
        block[i + 1] = 0x00;
    }
}

static int bench_jpeg(int fd, size_t blocks, uint8_t *block)
{
    static const uint8_t head[] = {
        0xff, 0xd8, 0xff, 0xe1, 0x00, 0x12, 'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 0x2a, 0, 8, 0, 0, 0, 0, 0,
        0xff, 0xfe, 0x00, 0x06, 'n', 'o', 't', 'e',
        0xff, 0xc0, 0x00, 0x0b, 8, 0x10, 0, 0x10, 0, 1, 1, 0x11, 0,
        0xff, 0xda, 0x00, 0x08, 1, 1, 0, 0, 63, 0};

    if (bench_put(fd, head, sizeof head) != 0)
        return -1;
    for (size_t i = 0; i < blocks; i++)
        if (bench_put(fd, block, BENCH_BLOCK) != 0)
            return -1;
    return bench_put(fd, "\xff\xd9", 2);
}

static int bench_png(int fd, size_t blocks, uint8_t *block)
{
    static const uint8_t ihdr[13] = {0, 0, 16, 0, 0, 0, 16, 0, 8, 0, 0, 0, 0};

    if (bench_put(fd, "\x89PNG\r\n\x1a\n", 8) != 0 || bench_png_chunk(fd, "IHDR", ihdr, sizeof ihdr) != 0 ||
        bench_png_chunk(fd, "tEXt", (const uint8_t *)"Author\0someone", 14) != 0)
        return -1;
    for (size_t i = 0; i < blocks; i++)
        if (bench_png_chunk(fd, "IDAT", block, BENCH_BLOCK) != 0)
            return -1;
    return bench_png_chunk(fd, "IEND", block, 0);
}

/* The peer: read and write the same bytes, nothing looked at. */
static int bench_copy(int in, int out, uint8_t *buf)
{
    for (;;) {
        ssize_t n = mlv_file_read_full(in, buf, BENCH_BLOCK);

        if (n < 0 || (n > 0 && mlv_file_write_all(out, buf, (size_t)n) != 0))
            return -1;
        if ((size_t)n < BENCH_BLOCK)
            return 0;
    }
}

static int bench_one(const char *name, int in, size_t mib, uint8_t *buf)
{
    int out = memfd_create("bench-out", MFD_CLOEXEC);
    double t0, strip, copy;
    mlv_img_report r;
    mlv_img_status st;

    if (out < 0 || lseek(in, 0, SEEK_SET) != 0)
        return -1;
    t0 = bench_now();
    st = mlv_img_strip_fd(in, out, &r);
    strip = bench_now() - t0;
    if (st != MLV_IMG_OK) {
        fprintf(stderr, "bench_imagemeta: %s: %s (%s at byte %llu)\n", name, mlv_img_strerror(st),
                r.problem ? r.problem : "?", (unsigned long long)r.problem_offset);
        close(out);
        return -1;
    }
    if (ftruncate(out, 0) != 0 || lseek(out, 0, SEEK_SET) != 0 || lseek(in, 0, SEEK_SET) != 0)
        return -1;
    t0 = bench_now();
    if (bench_copy(in, out, buf) != 0)
        return -1;
    copy = bench_now() - t0;
    printf("%-5s %5zu MiB  strip %7.0f MiB/s  copy %7.0f MiB/s  strip/copy time %.2f  (removed %llu bytes)\n", name,
           mib, (double)mib / strip, (double)mib / copy, strip / copy, (unsigned long long)r.removed_bytes);
    close(out);
    return 0;
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 128u;
    uint8_t *block = malloc(BENCH_BLOCK), *buf = malloc(BENCH_BLOCK);
    int jpeg = memfd_create("bench-jpeg", MFD_CLOEXEC), png = memfd_create("bench-png", MFD_CLOEXEC);
    size_t blocks = mib * 1024u * 1024u / BENCH_BLOCK;

    if (argc > 2 || mib == 0 || mib > 4096) {
        fprintf(stderr, "usage: bench_imagemeta [SIZE_MIB]   (1 to 4096, default 128)\n");
        return 2;
    }
    if (block == NULL || buf == NULL || jpeg < 0 || png < 0) {
        perror("bench_imagemeta");
        return 1;
    }
    bench_fill(block);
    if (bench_jpeg(jpeg, blocks, block) != 0 || bench_png(png, blocks, block) != 0 ||
        bench_one("JPEG", jpeg, mib, buf) != 0 || bench_one("PNG", png, mib, buf) != 0) {
        perror("bench_imagemeta");
        return 1;
    }
    free(block);
    free(buf);
    return 0;
}
