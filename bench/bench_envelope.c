/*
 * Sealing and opening a large file, against its peers measured in the same
 * run on the same file: libsodium's raw secretstream (the ceiling: the same
 * cipher with nothing else) and age (the tool an admin would otherwise use).
 *
 *   bench_envelope [FILE]     default: a fresh 1 GiB file of random bytes
 *
 * Every contender reads FILE and writes its output to a file in the same
 * directory, with the same 1 MiB reads, and none calls fsync (age does
 * not). Malyava's seal includes what the CLI does: a first pass for the
 * file's digest, then the sealing pass; both seal and open also hash every
 * byte for the file digest and the receipt, which the others do not.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/payload.h>

#define IO_BYTES (1u << 20)

extern char **environ;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_envelope: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int write_fd(void *ctx, const uint8_t *buf, size_t len)
{
    return mlv_file_write_all(*(int *)ctx, buf, len);
}

static int create(const char *path)
{
    int fd;

    unlink(path);
    fd = mlv_file_create(path);
    if (fd < 0)
        die(path);
    return fd;
}

/* The ceiling: the same cipher, chunk size and I/O, and nothing else. */
static void raw_secretstream(const char *in, const char *out, uint8_t *buf)
{
    crypto_secretstream_xchacha20poly1305_state st;
    uint8_t key[32], header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    uint8_t *ct = malloc(MLV_CHUNK_BYTES + 17);
    int ifd = mlv_file_open_read(in), ofd = create(out);
    ssize_t n;

    crypto_secretstream_xchacha20poly1305_keygen(key);
    crypto_secretstream_xchacha20poly1305_init_push(&st, header, key);
    mlv_file_write_all(ofd, header, sizeof header);
    while ((n = mlv_file_read_full(ifd, buf, IO_BYTES)) > 0) {
        for (size_t off = 0; off < (size_t)n; off += MLV_CHUNK_BYTES) {
            size_t len = (size_t)n - off < MLV_CHUNK_BYTES ? (size_t)n - off : MLV_CHUNK_BYTES;
            unsigned long long clen;

            crypto_secretstream_xchacha20poly1305_push(&st, ct, &clen, buf + off, len, NULL, 0, 0);
            mlv_file_write_all(ofd, ct, (size_t)clen);
        }
    }
    close(ofd);
    close(ifd);
    free(ct);
}

static void malyava_seal(const char *in, const char *out, uint8_t *buf, const mlv_box_public *to)
{
    crypto_generichash_state h;
    mlv_file_info file = { .name = "video.mp4", .media_type = "video/mp4" };
    mlv_metadata meta = { .message = "benchmark", .nfiles = 1, .files = &file };
    mlv_pay_sealer *s = NULL;
    uint8_t receipt[MLV_RECEIPT_BYTES];
    int ifd = mlv_file_open_read(in), ofd;
    ssize_t n;

    crypto_generichash_init(&h, NULL, 0, 32);
    while ((n = mlv_file_read_full(ifd, buf, IO_BYTES)) > 0) {
        crypto_generichash_update(&h, buf, (size_t)n);
        file.length += (uint64_t)n;
    }
    crypto_generichash_final(&h, file.digest, 32);
    lseek(ifd, 0, SEEK_SET);
    ofd = create(out);
    if (mlv_pay_seal_new(&s, to, 1, 0, &meta, write_fd, &ofd) != MLV_ENV_OK)
        die("seal");
    while ((n = mlv_file_read_full(ifd, buf, IO_BYTES)) > 0) {
        if (mlv_pay_seal_data(s, buf, (size_t)n) != MLV_ENV_OK)
            die("seal");
    }
    if (mlv_pay_seal_finish(s, receipt) != MLV_ENV_OK)
        die("seal");
    mlv_pay_seal_free(s);
    close(ofd);
    close(ifd);
}

static int sink_fd(void *ctx, size_t index, const uint8_t *buf, size_t len)
{
    (void)index;
    return mlv_file_write_all(*(int *)ctx, buf, len);
}

static void malyava_open(const char *in, const char *out, uint8_t *buf, const mlv_box_keypair *key)
{
    static const mlv_pay_callbacks cb = { NULL, sink_fd, NULL };
    uint8_t receipt[MLV_RECEIPT_BYTES];
    mlv_pay_opener *o = NULL;
    int ifd = mlv_file_open_read(in), ofd = create(out);
    ssize_t n;

    if (mlv_pay_open_new(&o, &key, 1, &cb, &ofd) != MLV_ENV_OK)
        die("open");
    while ((n = mlv_file_read_full(ifd, buf, IO_BYTES)) > 0) {
        if (mlv_pay_open_feed(o, buf, (size_t)n) != MLV_ENV_OK)
            die("open");
    }
    if (mlv_pay_open_finish(o, receipt) != MLV_ENV_OK)
        die("open");
    mlv_pay_open_free(o);
    close(ofd);
    close(ifd);
}

static int run(char *const argv[])
{
    pid_t pid;
    int status;

    if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
        return -1;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    return 0;
}

static void report(const char *what, double seconds, double bytes, double peer, const char *peer_name)
{
    printf("%-28s %7.2f s %8.1f MB/s", what, seconds, bytes / seconds / 1e6);
    if (peer > 0)
        printf("   %.2fx the speed of %s", peer / seconds, peer_name);
    putchar('\n');
}

int main(int argc, char **argv)
{
    char dir[] = "/tmp/malyava-bench-XXXXXX", path[4][512], id_path[512], recipient[128] = { 0 };
    const char *in;
    uint8_t *buf = malloc(IO_BYTES);
    mlv_box_keypair *key;
    mlv_box_public pub;
    double t, raw, seal, open_, age_enc = 0, age_dec = 0, size;
    struct stat st;
    FILE *f;

    if (sodium_init() < 0 || buf == NULL || (key = sodium_malloc(sizeof *key)) == NULL || mkdtemp(dir) == NULL)
        die("setup");
    crypto_box_keypair(key->pk, key->sk);
    mlv_keyid_compute(key->id, key->pk, 32);
    memcpy(pub.id, key->id, 8);
    memcpy(pub.pk, key->pk, 32);
    for (int i = 0; i < 4; i++)
        snprintf(path[i], sizeof path[i], "%s/%d", dir, i);
    if (argc > 1) {
        in = argv[1];
    } else {
        int fd = create(path[0]);

        in = path[0];
        for (int i = 0; i < 1024; i++) {
            randombytes_buf(buf, IO_BYTES);
            mlv_file_write_all(fd, buf, IO_BYTES);
        }
        close(fd);
    }
    if (stat(in, &st) != 0)
        die(in);
    size = (double)st.st_size;
    printf("input: %s, %.0f MiB\n\n", in, size / 1048576.0);

    t = now(), raw_secretstream(in, path[1], buf), raw = now() - t;
    t = now(), malyava_seal(in, path[2], buf, &pub), seal = now() - t;
    t = now(), malyava_open(path[2], path[3], buf, key), open_ = now() - t;

    snprintf(id_path, sizeof id_path, "%s/age-identity", dir);
    if (run((char *const[]){ "age-keygen", "-o", id_path, NULL }) == 0 && (f = fopen(id_path, "r")) != NULL) {
        char line[256];

        while (fgets(line, sizeof line, f) != NULL)
            if (sscanf(line, "# public key: %127s", recipient) == 1)
                break;
        fclose(f);
        unlink(path[1]);
        t = now();
        if (run((char *const[]){ "age", "-r", recipient, "-o", path[1], (char *)in, NULL }) == 0)
            age_enc = now() - t;
        unlink(path[3]);
        t = now();
        if (run((char *const[]){ "age", "-d", "-i", id_path, "-o", path[3], path[1], NULL }) == 0)
            age_dec = now() - t;
    }
    report("raw secretstream (ceiling)", raw, size, 0, "");
    report("malyava seal", seal, size, raw, "raw secretstream");
    if (age_enc > 0)
        report("age encrypt", age_enc, size, 0, "");
    report("malyava open", open_, size, raw, "raw secretstream");
    if (age_dec > 0)
        report("age decrypt", age_dec, size, 0, "");
    if (age_enc > 0 && age_dec > 0)
        printf("\nmalyava/age speed: seal %.2fx, open %.2fx (above 1: faster than age)\n", age_enc / seal,
               age_dec / open_);
    else
        printf("\nage not found: install it (apt-get install age) for the comparison\n");
    for (int i = 0; i < 4; i++)
        unlink(path[i]);
    unlink(id_path);
    rmdir(dir);
    sodium_free(key);
    free(buf);
    return 0;
}
