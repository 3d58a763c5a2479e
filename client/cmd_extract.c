/*
 * `malyava extract ID -o DIR [--strip]`: a testimony's text and files
 * out of the vault, for work off the vault — written only after the whole
 * envelope authenticated (outdir.c), files 0600.
 *
 * Photos and videos can name the person who took them: place, time,
 * camera serial, owner. Every file is inspected and what it carries is
 * said; with --strip, Exif, XMP, GPS, IPTC and comments are removed from
 * JPEG and PNG copies (the vault keeps the original as evidence). Video
 * metadata is only flagged.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <malyava/fileio.h>
#include <malyava/imagemeta.h>
#include <malyava/termsafe.h>

#include "cli.h"
#include "commands.h"
#include "outdir.h"
#include "vault.h"

/* Replaces attachment `index` by its stripped copy; the copy is made among
 * the temporaries (where no attachment's name can be) and renamed over it
 * only when complete. */
static mlv_img_status strip_in_place(const mlv_outdir *o, size_t index, mlv_img_report *removed)
{
    int in = openat(mlv_outdir_files_fd(o), mlv_outdir_file_name(o, index), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    int out = -1;
    mlv_img_status st = MLV_IMG_IO;

    if (in < 0)
        return MLV_IMG_IO;
    out = mlv_outdir_scratch_create(o);
    if (out < 0)
        goto out;
    st = mlv_img_strip_fd(in, out, removed);
    if (st == MLV_IMG_OK && (fsync(out) != 0 || mlv_outdir_scratch_publish(o, index) != 0))
        st = MLV_IMG_IO;
out:
    if (out >= 0)
        close(out);
    if (st != MLV_IMG_OK)
        mlv_outdir_scratch_drop(o);
    close(in);
    return st;
}

/* Says what each file may reveal, and strips photos when asked. */
static int check_files(const mlv_outdir *o, int strip)
{
    const mlv_metadata *m = mlv_outdir_meta(o);
    int dir_fd = mlv_outdir_files_fd(o), ret = 0;

    for (size_t i = 0; i < m->nfiles; i++) {
        const char *name = mlv_outdir_file_name(o, i);
        mlv_img_report rep;
        mlv_img_status st;
        char what[256];
        int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0)
            return -1;
        st = mlv_img_inspect_fd(fd, &rep);
        close(fd);
        if (st != MLV_IMG_OK || rep.kind == MLV_IMG_UNKNOWN)
            continue;
        mlv_img_describe(&rep, what, sizeof what);
        printf("files/");
        mlv_termsafe_write(stdout, name, strlen(name), 0);
        if (rep.flags == 0) {
            printf(": %s, no identifying metadata found\n", mlv_img_kind_name(rep.kind));
            continue;
        }
        printf(": %s carries %s\n", mlv_img_kind_name(rep.kind), what);
        if (!strip) {
            printf("    could identify the person who took it; --strip removes it from JPEG and PNG copies\n");
            continue;
        }
        if (rep.kind != MLV_IMG_JPEG && rep.kind != MLV_IMG_PNG) {
            printf("    NOT removed: only JPEG and PNG are cleaned; treat this file as identifying\n");
            continue;
        }
        st = strip_in_place(o, i, &rep);
        if (st != MLV_IMG_OK) {
            fputs("malyava: could not strip files/", stderr);
            mlv_termsafe_write(stderr, name, strlen(name), 0);
            fprintf(stderr, ": %s%s%s; do not share it as it is\n", mlv_img_strerror(st),
                    rep.problem != NULL ? ": " : "", rep.problem != NULL ? rep.problem : "");
            ret = -1;
            continue;
        }
        printf("    removed (%llu bytes); the vault keeps the original\n", (unsigned long long)rep.removed_bytes);
    }
    return ret;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: malyava extract [--vault V] [--key NAME] [--passphrase-file F] [--strip] ID -o DIR\n");
}

int mlv_cmd_extract(int argc, char **argv)
{
    static const struct option options[] = {
        MLV_VAULT_LONG_OPTIONS,
        { "output", required_argument, NULL, 'o' },
        { "strip", no_argument, NULL, 's' },
        { NULL, 0, NULL, 0 },
    };
    mlv_vault_args a = { 0 };
    const char *dir = NULL;
    mlv_outdir *out = NULL;
    uint8_t receipt[MLV_RECEIPT_BYTES];
    mlv_vault v;
    mlv_vdb_env e;
    mlv_env_status st;
    int c, strip = 0, rc = 1, published = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "V:K:P:o:h", options, NULL)) != -1) {
        if (mlv_vault_arg(c, optarg, &a))
            continue;
        switch (c) {
        case 'o': dir = optarg; break;
        case 's': strip = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind + 1 != argc || dir == NULL) {
        usage(stderr);
        return 2;
    }
    memset(&e, 0, sizeof e);
    if (mlv_cli_check_out_dir(dir) != 0)
        return 2;
    if (mlv_vault_start(&a, &v, 0) != 0)
        return 1;
    if (mlv_vault_check_id(&v, argv[optind], 0, NULL) != 0) {
        rc = 2;
        goto out;
    }
    if (mlv_vault_unlock_late(&a, &v) != 0 || mlv_vault_get_env(&v, argv[optind], &e) != 0 ||
        (out = mlv_outdir_new(dir)) == NULL)
        goto out;
    st = mlv_vault_read(&v, &e, &mlv_outdir_callbacks, out, 0, receipt);
    if (st != MLV_ENV_OK) {
        if (st != MLV_ENV_ERR_SYSTEM)
            mlv_cli_error("cannot open testimony %lld: %s", (long long)e.id, mlv_env_strerror(st));
        goto out;
    }
    if (mlv_outdir_publish(out) != 0)
        goto out;
    published = 1;
    /* The receipt as the source was given it, whatever rewrap did since. */
    mlv_outdir_summary(out, e.server_sealed, dir, e.receipt);
    rc = check_files(out, strip) == 0 ? 0 : 1;
out:
    mlv_outdir_free(out, published);
    mlv_vdb_env_clear(&e);
    mlv_vault_close(&v);
    return rc;
}
