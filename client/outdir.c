/*
 * Writing an opened envelope into a directory, for `malyava open` and
 * `malyava extract`.
 *
 * Contents are written to temporaries as chunks authenticate, and only
 * renamed to their real names once the FINAL chunk has been
 * authenticated, so a tampered or truncated envelope leaves nothing
 * behind that could be mistaken for a testimony. Temporaries live in a
 * private directory of their own (.malyava-partial-TAG beside files/), so
 * no attachment's name, whatever it is, can meet one. Names come from the
 * envelope and are hostile: they were checked by the metadata parser (no
 * '/', no "..", no control characters), are only ever used relative to
 * the output directory's descriptor, and never replace anything. Every
 * attachment gets a name of its own, even when several share one. Files
 * are created 0600.
 */
#include "outdir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/termsafe.h>

#include "cli.h"

#define MESSAGE_NAME "message.txt"
#define METADATA_NAME "metadata.json"
#define FILES_DIR "files"
#define TMP_PREFIX ".malyava-partial-"
#define STRIP_TMP "stripping"

struct mlv_outdir {
    int dir_fd;
    int files_fd;
    int tmp_fd;             /* the private directory of temporaries */
    char tmp_dir[sizeof TMP_PREFIX + 16];
    mlv_metadata meta;      /* deep copy, wiped at the end */
    char **final_names;     /* per file, unique within this envelope */
    int current_fd;
    size_t current_index;
    size_t files_done;
};

static void tmp_name(char *buf, size_t size, const char *what, size_t index)
{
    snprintf(buf, size, "%s-%zu", what, index);
}

static int exists_at(int dir_fd, const char *name)
{
    struct stat st;

    return fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
}

/* Taken already? Without regard to ASCII case: the output may be a USB
 * stick whose filesystem folds it. */
static int taken(char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (names[i] != NULL && strcasecmp(names[i], name) == 0)
            return 1;
    }
    return 0;
}

/* prefix + name within MLV_MAX_NAME_BYTES (what filesystems allow): the
 * stem is cut at a character boundary, the extension kept. */
static char *prefixed(const char *prefix, const char *name)
{
    size_t plen = strlen(prefix), nlen = strlen(name), room = MLV_MAX_NAME_BYTES - plen, stem = nlen, ext = 0;
    const char *dot = strrchr(name, '.');
    char *out;

    if (nlen > room) {
        if (dot != NULL && dot != name && (size_t)(name + nlen - dot) <= room / 2)
            ext = (size_t)(name + nlen - dot);
        stem = room - ext;
        while (stem > 0 && ((unsigned char)name[stem] & 0xc0u) == 0x80u)
            stem--;
    }
    if ((out = malloc(plen + stem + ext + 1)) == NULL)
        return NULL;
    memcpy(out, prefix, plen);
    memcpy(out + plen, name, stem);
    memcpy(out + plen + stem, name + nlen - ext, ext);
    out[plen + stem + ext] = '\0';
    return out;
}

/*
 * One name per attachment, none alike: the first to carry a name keeps it
 * (so "2-x.jpg" keeps its own even after a second "x.jpg"); the others get
 * their position as a prefix, "N-name", then "N-K-name" until free.
 */
static int choose_names(mlv_outdir *o)
{
    size_t n = o->meta.nfiles;
    char prefix[48];

    o->final_names = calloc(n > 0 ? n : 1, sizeof *o->final_names);
    if (o->final_names == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!taken(o->final_names, n, o->meta.files[i].name) &&
            (o->final_names[i] = strdup(o->meta.files[i].name)) == NULL)
            return -1;
    }
    for (size_t i = 0; i < n; i++) {
        /* n + 1 tries always find a free name: n names cannot fill n + 1 slots. */
        for (size_t k = 1; o->final_names[i] == NULL && k <= n + 1; k++) {
            char *name;

            if (k == 1)
                snprintf(prefix, sizeof prefix, "%zu-", i + 1);
            else
                snprintf(prefix, sizeof prefix, "%zu-%zu-", i + 1, k);
            if ((name = prefixed(prefix, o->meta.files[i].name)) == NULL)
                return -1;
            if (taken(o->final_names, n, name))
                free(name);
            else
                o->final_names[i] = name;
        }
        if (o->final_names[i] == NULL)
            return -1;
    }
    return 0;
}

static int on_metadata(void *ctx, const mlv_metadata *m)
{
    mlv_outdir *o = ctx;

    mlv_env_status st = mlv_meta_copy(m, &o->meta);

    if (st != MLV_ENV_OK) {
        mlv_cli_error("cannot take the metadata record: %s", mlv_env_strerror(st));
        return -1;
    }
    if (choose_names(o) != 0) {
        mlv_cli_error("out of memory");
        return -1;
    }
    if (exists_at(o->dir_fd, MESSAGE_NAME) || exists_at(o->dir_fd, METADATA_NAME)) {
        mlv_cli_error("the output directory already holds %s or %s; choose an empty directory "
                      "(nothing is overwritten)", MESSAGE_NAME, METADATA_NAME);
        return -1;
    }
    if (o->meta.nfiles == 0)
        return 0;
    if (mkdirat(o->dir_fd, FILES_DIR, 0700) != 0 && errno != EEXIST) {
        mlv_cli_error("cannot create the files directory: %s", strerror(errno));
        return -1;
    }
    o->files_fd = openat(o->dir_fd, FILES_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (o->files_fd < 0) {
        mlv_cli_error("cannot open the files directory: %s", strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < o->meta.nfiles; i++) {
        if (exists_at(o->files_fd, o->final_names[i])) {
            mlv_cli_error("%s/ already holds a file of the same name as attachment %zu; choose an "
                          "empty directory (nothing is overwritten)", FILES_DIR, i + 1);
            return -1;
        }
    }
    return 0;
}

static int start_file(mlv_outdir *o, size_t index)
{
    char name[64];

    tmp_name(name, sizeof name, "file", index);
    o->current_fd = mlv_file_create_at(o->tmp_fd, name);
    if (o->current_fd < 0) {
        mlv_cli_error("cannot create a temporary file for attachment %zu: %s", index + 1, strerror(errno));
        return -1;
    }
    o->current_index = index;
    return 0;
}

static int on_file_data(void *ctx, size_t index, const uint8_t *buf, size_t len)
{
    mlv_outdir *o = ctx;

    if (o->current_fd < 0 && start_file(o, index) != 0)
        return -1;
    if (mlv_file_write_all(o->current_fd, buf, len) != 0) {
        mlv_cli_error("cannot write attachment %zu: %s", index + 1, strerror(errno));
        return -1;
    }
    return 0;
}

static int on_file_end(void *ctx, size_t index)
{
    mlv_outdir *o = ctx;
    int rc;

    if (o->current_fd < 0 && start_file(o, index) != 0) /* an empty file */
        return -1;
    rc = fsync(o->current_fd);
    if (close(o->current_fd) != 0)
        rc = -1;
    o->current_fd = -1;
    if (rc != 0) {
        mlv_cli_error("cannot write attachment %zu: %s", index + 1, strerror(errno));
        return -1;
    }
    o->files_done = index + 1;
    return 0;
}

static int write_tmp(int dir_fd, const char *name, const char *data, size_t len)
{
    int fd = mlv_file_create_at(dir_fd, name);

    if (fd < 0)
        return -1;
    if (mlv_file_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        close(fd);
        return -1;
    }
    return close(fd);
}

/* After the FINAL chunk: write message and metadata, then give every
 * temporary its real name. Any failure takes back what was renamed. */
int mlv_outdir_publish(mlv_outdir *o)
{
    char tmp[64], meta_tmp[64], *json = NULL;
    size_t json_len = 0, renamed = 0;
    int rc = -1, have_message = o->meta.message != NULL;

    tmp_name(tmp, sizeof tmp, "message", 0);
    tmp_name(meta_tmp, sizeof meta_tmp, "metadata", 0);
    if (mlv_meta_encode(&o->meta, &json, &json_len) != MLV_ENV_OK)
        goto out;
    if ((have_message && write_tmp(o->tmp_fd, tmp, o->meta.message, strlen(o->meta.message)) != 0) ||
        write_tmp(o->tmp_fd, meta_tmp, json, json_len) != 0)
        goto out;
    for (; renamed < o->meta.nfiles; renamed++) {
        char name[64];

        tmp_name(name, sizeof name, "file", renamed);
        if (renameat2(o->tmp_fd, name, o->files_fd, o->final_names[renamed], RENAME_NOREPLACE) != 0)
            goto out;
    }
    if (have_message && renameat2(o->tmp_fd, tmp, o->dir_fd, MESSAGE_NAME, RENAME_NOREPLACE) != 0)
        goto out;
    if (renameat2(o->tmp_fd, meta_tmp, o->dir_fd, METADATA_NAME, RENAME_NOREPLACE) != 0) {
        if (have_message)
            unlinkat(o->dir_fd, MESSAGE_NAME, 0);
        goto out;
    }
    if ((o->files_fd >= 0 && mlv_file_sync_dir_fd(o->files_fd) != 0) || mlv_file_sync_dir_fd(o->dir_fd) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0) {
        mlv_cli_error("cannot write the opened envelope: %s", strerror(errno));
        while (renamed > 0)
            unlinkat(o->files_fd, o->final_names[--renamed], 0);
    }
    if (json != NULL) {
        sodium_memzero(json, json_len);
        free(json);
    }
    return rc;
}

/* Whatever is left in the private directory, then the directory itself. */
static void remove_temporaries(mlv_outdir *o)
{
    char name[64];

    if (o->tmp_fd < 0)
        return;
    for (size_t i = 0; i < o->meta.nfiles; i++) {
        tmp_name(name, sizeof name, "file", i);
        unlinkat(o->tmp_fd, name, 0);
    }
    tmp_name(name, sizeof name, "message", 0);
    unlinkat(o->tmp_fd, name, 0);
    tmp_name(name, sizeof name, "metadata", 0);
    unlinkat(o->tmp_fd, name, 0);
    unlinkat(o->tmp_fd, STRIP_TMP, 0);
    close(o->tmp_fd);
    o->tmp_fd = -1;
    unlinkat(o->dir_fd, o->tmp_dir, AT_REMOVEDIR);
}

static void discard(mlv_outdir *o)
{
    if (o->current_fd >= 0)
        close(o->current_fd);
    o->current_fd = -1;
    /* Only removes files/ if this run created it and left it empty. */
    if (o->files_fd >= 0)
        unlinkat(o->dir_fd, FILES_DIR, AT_REMOVEDIR);
}

static const char *meta_word(mlv_file_meta m)
{
    switch (m) {
    case MLV_FILE_META_STRIPPED: return "metadata removed by the source's device";
    case MLV_FILE_META_KEPT: return "metadata KEPT on purpose by the source (may show place and time)";
    case MLV_FILE_META_NONE: break;
    }
    return "metadata not inspected (may identify the source: check before sharing)";
}

void mlv_outdir_summary(const mlv_outdir *o, int server_sealed, const char *dir, const char *receipt)
{
    char hex[65];

    printf("opened into %s\nreceipt: %s\n", dir, receipt);
    if (server_sealed)
        printf("sealed by the server (no-JavaScript form): the server saw this text while sealing it\n");
    if (o->meta.message != NULL)
        printf("message: %s (%zu bytes)\n", MESSAGE_NAME, strlen(o->meta.message));
    for (size_t i = 0; i < o->meta.nfields; i++) {
        printf("field %s: ", o->meta.fields[i].name);
        mlv_termsafe_write(stdout, o->meta.fields[i].value, strlen(o->meta.fields[i].value), 0);
        putchar('\n');
    }
    for (size_t i = 0; i < o->meta.nfiles; i++) {
        const mlv_file_info *f = &o->meta.files[i];

        sodium_bin2hex(hex, sizeof hex, f->digest, sizeof f->digest);
        printf("file %s/", FILES_DIR);
        mlv_termsafe_write(stdout, o->final_names[i], strlen(o->final_names[i]), 0);
        printf(": %llu bytes, ", (unsigned long long)f->length);
        if (f->media_type != NULL)
            mlv_termsafe_write(stdout, f->media_type, strlen(f->media_type), 0);
        printf(", blake2b %s\n    %s\n", hex, meta_word(f->meta));
    }
}

static int open_dir(const char *dir)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        mlv_cli_error("cannot create output directory '%s': %s", dir, strerror(errno));
        return -1;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        mlv_cli_error("cannot open output directory '%s': %s", dir, strerror(errno));
    return fd;
}


const mlv_pay_callbacks mlv_outdir_callbacks = { on_metadata, on_file_data, on_file_end };

mlv_outdir *mlv_outdir_new(const char *dir)
{
    mlv_outdir *o = calloc(1, sizeof *o);
    char tag[17];
    uint8_t rnd[8];

    if (o == NULL) {
        mlv_cli_error("out of memory");
        return NULL;
    }
    o->files_fd = o->current_fd = o->tmp_fd = -1;
    o->dir_fd = open_dir(dir);
    if (o->dir_fd < 0) {
        free(o);
        return NULL;
    }
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(tag, sizeof tag, rnd, sizeof rnd);
    snprintf(o->tmp_dir, sizeof o->tmp_dir, "%s%s", TMP_PREFIX, tag);
    if (mkdirat(o->dir_fd, o->tmp_dir, 0700) != 0 ||
        (o->tmp_fd = openat(o->dir_fd, o->tmp_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        mlv_cli_error("cannot make a directory for temporaries in '%s': %s", dir, strerror(errno));
        close(o->dir_fd);
        free(o);
        return NULL;
    }
    return o;
}

void mlv_outdir_free(mlv_outdir *o, int published)
{
    if (o == NULL)
        return;
    if (!published)
        discard(o);
    remove_temporaries(o);
    if (o->final_names != NULL) {
        for (size_t i = 0; i < o->meta.nfiles; i++)
            free(o->final_names[i]);
        free(o->final_names);
    }
    mlv_meta_clear(&o->meta);
    if (o->current_fd >= 0)
        close(o->current_fd);
    if (o->files_fd >= 0)
        close(o->files_fd);
    if (o->dir_fd >= 0)
        close(o->dir_fd);
    free(o);
}

const mlv_metadata *mlv_outdir_meta(const mlv_outdir *o)
{
    return &o->meta;
}

int mlv_outdir_files_fd(const mlv_outdir *o)
{
    return o->files_fd;
}

int mlv_outdir_scratch_create(const mlv_outdir *o)
{
    unlinkat(o->tmp_fd, STRIP_TMP, 0);
    return mlv_file_create_at(o->tmp_fd, STRIP_TMP);
}

int mlv_outdir_scratch_publish(const mlv_outdir *o, size_t index)
{
    if (index >= o->meta.nfiles)
        return -1;
    return renameat(o->tmp_fd, STRIP_TMP, o->files_fd, o->final_names[index]);
}

void mlv_outdir_scratch_drop(const mlv_outdir *o)
{
    unlinkat(o->tmp_fd, STRIP_TMP, 0);
}

const char *mlv_outdir_file_name(const mlv_outdir *o, size_t index)
{
    return index < o->meta.nfiles ? o->final_names[index] : NULL;
}
