/*
 * `malyava open`: decrypt an envelope into a directory.
 *
 * Contents are written to hidden temporary files as chunks authenticate,
 * and only renamed to their real names once the FINAL chunk has been
 * authenticated, so a tampered or truncated envelope leaves nothing
 * behind that could be mistaken for a testimony. Names come from the
 * envelope and are hostile: they were checked by the metadata parser
 * (no '/', no "..", no control characters), are only ever used relative
 * to the output directory's descriptor, and never replace anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/keyfile.h>
#include <malyava/passphrase.h>
#include <malyava/payload.h>
#include <malyava/termsafe.h>

#include "cli.h"
#include "commands.h"

#define OPEN_IO_BYTES (1024u * 1024u)
#define OPEN_MAX_KEYS 16u
#define MESSAGE_NAME "message.txt"
#define METADATA_NAME "metadata.json"
#define FILES_DIR "files"

typedef struct open_output {
    int dir_fd;
    int files_fd;
    char tmp_tag[17];       /* random, so temporaries never collide */
    mlv_metadata meta;      /* deep copy, wiped at the end */
    char **final_names;     /* per file, unique within this envelope */
    int current_fd;
    size_t current_index;
    size_t files_done;
} open_output;

static void tmp_name(const open_output *o, char *buf, size_t size, const char *what, size_t index)
{
    snprintf(buf, size, ".malyava-partial-%s-%s-%zu", o->tmp_tag, what, index);
}

static int exists_at(int dir_fd, const char *name)
{
    struct stat st;

    return fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
}

/* Two attachments may share a name; later ones get their position as a prefix. */
static int choose_names(open_output *o)
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

static int copy_metadata(open_output *o, const mlv_metadata *m)
{
    char *json = NULL;
    size_t json_len = 0;
    int rc;

    /* Re-decoding the canonical encoding is the simplest deep copy. */
    if (mlv_meta_encode(m, &json, &json_len) != MLV_ENV_OK)
        return -1;
    rc = mlv_meta_decode(json, json_len, &o->meta) == MLV_ENV_OK ? 0 : -1;
    sodium_memzero(json, json_len);
    free(json);
    return rc;
}

static int on_metadata(void *ctx, const mlv_metadata *m)
{
    open_output *o = ctx;

    if (copy_metadata(o, m) != 0 || choose_names(o) != 0) {
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

static int start_file(open_output *o, size_t index)
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
    open_output *o = ctx;

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
    open_output *o = ctx;
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
static int publish(open_output *o)
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

static void discard(open_output *o)
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

static void print_summary(const open_output *o, const mlv_env_opener *env, const char *dir,
                          const char *receipt)
{
    const mlv_env_header *h = mlv_env_open_header(env);
    char hex[65];

    printf("opened into %s\nreceipt: %s\n", dir, receipt);
    if (h != NULL && (h->flags & MLV_ENV_FLAG_SERVER_SEALED))
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

static int open_output_dir(const char *dir)
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

static int load_keys(const char *const *paths, size_t n, const char *pass_file, mlv_box_keypair **keys)
{
    for (size_t i = 0; i < n; i++) {
        char prompt[256], *pass = NULL;
        size_t pass_len = 0;
        mlv_pass_status ps;
        mlv_key_status ks;

        snprintf(prompt, sizeof prompt, "Passphrase for %s: ", paths[i]);
        ps = mlv_pass_read(pass_file, prompt, 0, &pass, &pass_len);
        if (ps != MLV_PASS_OK) {
            mlv_cli_error("cannot read the passphrase: %s", mlv_pass_strerror(ps));
            return -1;
        }
        ks = mlv_key_box_load(paths[i], pass, pass_len, &keys[i]);
        mlv_pass_free(pass);
        if (ks != MLV_KEY_OK) {
            mlv_cli_error("cannot use key '%s': %s", paths[i], mlv_key_strerror(ks));
            return -1;
        }
    }
    return 0;
}

static void open_usage(FILE *out)
{
    fprintf(out, "usage: malyava open --key EDITOR.key [--key OTHER.key]... [--passphrase-file F] ENVELOPE -o DIR\n");
}

int mlv_cmd_open(int argc, char **argv)
{
    static const struct option options[] = {
        { "key", required_argument, NULL, 'k' }, { "passphrase-file", required_argument, NULL, 'p' },
        { "output", required_argument, NULL, 'o' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const mlv_pay_callbacks callbacks = { on_metadata, on_file_data, on_file_end };
    const char *key_paths[OPEN_MAX_KEYS], *pass_file = NULL, *dir = NULL, *env_path;
    mlv_box_keypair *keys[OPEN_MAX_KEYS] = { NULL };
    size_t nkeys = 0;
    mlv_pay_opener *opener = NULL;
    open_output out_state;
    uint8_t receipt[MLV_RECEIPT_BYTES], rnd[8], *buf = NULL;
    char receipt_str[MLV_RECEIPT_STR_BYTES];
    mlv_env_status st = MLV_ENV_OK;
    ssize_t n;
    int c, in_fd = -1, rc = 1;

    memset(&out_state, 0, sizeof out_state);
    out_state.dir_fd = out_state.files_fd = out_state.current_fd = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
        switch (c) {
        case 'k':
            if (nkeys == OPEN_MAX_KEYS) {
                mlv_cli_error("at most %u --key options", OPEN_MAX_KEYS);
                return 2;
            }
            key_paths[nkeys++] = optarg;
            break;
        case 'p': pass_file = optarg; break;
        case 'o': dir = optarg; break;
        case 'h': open_usage(stdout); return 0;
        default: open_usage(stderr); return 2;
        }
    }
    if (nkeys == 0 || dir == NULL || argc - optind != 1) {
        mlv_cli_error("open needs --key, one ENVELOPE and -o DIR");
        open_usage(stderr);
        return 2;
    }
    env_path = argv[optind];
    in_fd = mlv_file_open_read(env_path);
    if (in_fd < 0) {
        mlv_cli_error("cannot open envelope '%s': %s", env_path, strerror(errno));
        goto out;
    }
    if (load_keys(key_paths, nkeys, pass_file, keys) != 0)
        goto out;
    out_state.dir_fd = open_output_dir(dir);
    if (out_state.dir_fd < 0)
        goto out;
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(out_state.tmp_tag, sizeof out_state.tmp_tag, rnd, sizeof rnd);
    buf = malloc(OPEN_IO_BYTES);
    if (buf == NULL) {
        mlv_cli_error("out of memory");
        goto out;
    }
    st = mlv_pay_open_new(&opener, (const mlv_box_keypair *const *)keys, nkeys, &callbacks, &out_state);
    while (st == MLV_ENV_OK && (n = mlv_file_read_full(in_fd, buf, OPEN_IO_BYTES)) > 0)
        st = mlv_pay_open_feed(opener, buf, (size_t)n);
    if (st == MLV_ENV_OK && n < 0) {
        mlv_cli_error("cannot read envelope '%s': %s", env_path, strerror(errno));
        goto out;
    }
    if (st == MLV_ENV_OK)
        st = mlv_pay_open_finish(opener, receipt);
    if (st != MLV_ENV_OK) {
        if (st != MLV_ENV_ERR_SYSTEM)
            mlv_cli_error("cannot open '%s': %s", env_path, mlv_env_strerror(st));
        goto out;
    }
    if (publish(&out_state) != 0)
        goto out;
    mlv_env_receipt_to_string(receipt_str, receipt);
    print_summary(&out_state, mlv_pay_open_envelope(opener), dir, receipt_str);
    rc = 0;
out:
    if (rc != 0)
        discard(&out_state);
    mlv_pay_open_free(opener);
    for (size_t i = 0; i < nkeys; i++)
        mlv_key_box_free(keys[i]);
    if (out_state.final_names != NULL) {
        for (size_t i = 0; i < out_state.meta.nfiles; i++)
            free(out_state.final_names[i]);
        free(out_state.final_names);
    }
    mlv_meta_clear(&out_state.meta);
    if (out_state.current_fd >= 0)
        close(out_state.current_fd);
    if (out_state.files_fd >= 0)
        close(out_state.files_fd);
    if (out_state.dir_fd >= 0)
        close(out_state.dir_fd);
    if (in_fd >= 0)
        close(in_fd);
    if (buf != NULL) {
        sodium_memzero(buf, OPEN_IO_BYTES);
        free(buf);
    }
    return rc;
}
