/*
 * `malyava open`: decrypt one envelope file into a directory with editor
 * key files (outdir.c does the careful writing).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/keyfile.h>
#include <malyava/passphrase.h>
#include <malyava/payload.h>

#include "cli.h"
#include "commands.h"
#include "outdir.h"

#define OPEN_IO_BYTES (1024u * 1024u)
#define OPEN_MAX_KEYS 16u

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
    const char *key_paths[OPEN_MAX_KEYS], *pass_file = NULL, *dir = NULL, *env_path;
    mlv_box_keypair *keys[OPEN_MAX_KEYS] = { NULL };
    size_t nkeys = 0;
    mlv_pay_opener *opener = NULL;
    mlv_outdir *out_dir = NULL;
    uint8_t receipt[MLV_RECEIPT_BYTES], *buf = NULL;
    char receipt_str[MLV_RECEIPT_STR_BYTES];
    mlv_env_status st = MLV_ENV_OK;
    ssize_t n;
    int c, in_fd = -1, rc = 1;

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
    out_dir = mlv_outdir_new(dir);
    if (out_dir == NULL)
        goto out;
    buf = malloc(OPEN_IO_BYTES);
    if (buf == NULL) {
        mlv_cli_error("out of memory");
        goto out;
    }
    st = mlv_pay_open_new(&opener, (const mlv_box_keypair *const *)keys, nkeys, &mlv_outdir_callbacks, out_dir);
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
    if (mlv_outdir_publish(out_dir) != 0)
        goto out;
    mlv_env_receipt_to_string(receipt_str, receipt);
    mlv_outdir_summary(out_dir, (mlv_env_open_header(mlv_pay_open_envelope(opener))->flags &
                                 MLV_ENV_FLAG_SERVER_SEALED) != 0, dir, receipt_str);
    rc = 0;
out:
    mlv_outdir_free(out_dir, rc == 0);
    mlv_pay_open_free(opener);
    for (size_t i = 0; i < nkeys; i++)
        mlv_key_box_free(keys[i]);
    if (in_fd >= 0)
        close(in_fd);
    if (buf != NULL) {
        sodium_memzero(buf, OPEN_IO_BYTES);
        free(buf);
    }
    return rc;
}
