/*
 * Writing an opened envelope into a directory, for `malyava open` and
 * `malyava extract`.
 *
 * Contents are written to hidden temporary files as chunks authenticate,
 * and only renamed to their real names once the FINAL chunk has been
 * authenticated, so a tampered or truncated envelope leaves nothing
 * behind that could be mistaken for a testimony. Names come from the
 * envelope and are hostile: they were checked by the metadata parser
 * (no '/', no "..", no control characters), are only ever used relative
 * to the output directory's descriptor, and never replace anything.
 * Files are created 0600.
 */
#include "outdir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/termsafe.h>

#include "cli.h"

#define MESSAGE_NAME "message.txt"
#define METADATA_NAME "metadata.json"
#define FILES_DIR "files"

struct mlv_outdir {
    int dir_fd;
    int files_fd;
    char tmp_tag[17];       /* random, so temporaries never collide */
    mlv_metadata meta;      /* deep copy, wiped at the end */
    char **final_names;     /* per file, unique within this envelope */
    int current_fd;
    size_t current_index;
    size_t files_done;
};

static void tmp_name(const mlv_outdir *o, char *buf, size_t size, const char *what, size_t index)
{
    snprintf(buf, size, ".malyava-partial-%s-%s-%zu", o->tmp_tag, what, index);
}

static int exists_at(int dir_fd, const char *name)
{
    struct stat st;

    return fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
}

/* Two attachments may share a name; later ones get their position as a prefix. */
static int choose_names(mlv_outdir *o)
{
    o->final_names = calloc(o->meta.nfiles > 0 ? o->meta.nfiles : 1, sizeof *o->final_names);
    if (o->final_names == NULL)
        return -1;
    for (size_t i = 0; i < o->meta.nfiles; i++) {
        int clash = 0;

        for (size_t j = 0; j < i; j++)
            clash |= strcmp(o->meta.files[i].name, o->meta.files[j].name) == 0;
        if (clash ? asprintf(&o->final_names[i], "%zu-%s", i + 1, o->meta.files[i].name) < 0
                  : (o->final_names[i] = strdup(o->meta.files[i].name)) == NULL) {
            o->final_names[i] = NULL;
            return -1;
        }
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
    char name[96];

    tmp_name(o, name, sizeof name, "file", index);
    o->current_fd = mlv_file_create_at(o->files_fd, name);
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
    char tmp[96], meta_tmp[96], *json = NULL;
    size_t json_len = 0, renamed = 0;
    int rc = -1, have_message = o->meta.message != NULL;

    tmp_name(o, tmp, sizeof tmp, "message", 0);
    tmp_name(o, meta_tmp, sizeof meta_tmp, "metadata", 0);
    if (mlv_meta_encode(&o->meta, &json, &json_len) != MLV_ENV_OK)
        goto out;
    if ((have_message && write_tmp(o->dir_fd, tmp, o->meta.message, strlen(o->meta.message)) != 0) ||
        write_tmp(o->dir_fd, meta_tmp, json, json_len) != 0)
        goto out;
    for (; renamed < o->meta.nfiles; renamed++) {
        char name[96];

        tmp_name(o, name, sizeof name, "file", renamed);
        if (renameat2(o->files_fd, name, o->files_fd, o->final_names[renamed], RENAME_NOREPLACE) != 0)
            goto out;
    }
    if (have_message && renameat2(o->dir_fd, tmp, o->dir_fd, MESSAGE_NAME, RENAME_NOREPLACE) != 0)
        goto out;
    if (renameat2(o->dir_fd, meta_tmp, o->dir_fd, METADATA_NAME, RENAME_NOREPLACE) != 0) {
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
        unlinkat(o->dir_fd, tmp, 0);
        unlinkat(o->dir_fd, meta_tmp, 0);
    }
    if (json != NULL) {
        sodium_memzero(json, json_len);
        free(json);
    }
    return rc;
}

static void discard(mlv_outdir *o)
{
    char name[96];

    if (o->current_fd >= 0)
        close(o->current_fd);
    o->current_fd = -1;
    if (o->files_fd < 0)
        return;
    for (size_t i = 0; i < o->meta.nfiles; i++) {
        tmp_name(o, name, sizeof name, "file", i);
        unlinkat(o->files_fd, name, 0);
    }
    /* Only removes the directory if this run created it and left it empty. */
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
    uint8_t rnd[8];

    if (o == NULL) {
        mlv_cli_error("out of memory");
        return NULL;
    }
    o->files_fd = o->current_fd = -1;
    o->dir_fd = open_dir(dir);
    if (o->dir_fd < 0) {
        free(o);
        return NULL;
    }
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(o->tmp_tag, sizeof o->tmp_tag, rnd, sizeof rnd);
    return o;
}

void mlv_outdir_free(mlv_outdir *o, int published)
{
    if (o == NULL)
        return;
    if (!published)
        discard(o);
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

const char *mlv_outdir_file_name(const mlv_outdir *o, size_t index)
{
    return index < o->meta.nfiles ? o->final_names[index] : NULL;
}
