/* malyava-keys show: what a key file or manifest is, without any passphrase. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <malyava/fileio.h>
#include <malyava/keyid.h>

#include "keys.h"

#define SHOW_USAGE "malyava-keys show FILE..."

static int starts_with(const uint8_t *buf, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);

    return len >= n && memcmp(buf, prefix, n) == 0;
}

static void print_ids(const uint8_t id[MLV_KEY_ID_BYTES], const uint8_t pk[32])
{
    char hex[MLV_KEY_ID_STR_BYTES], fp[MLV_FINGERPRINT_STR_BYTES];

    mlv_keyid_to_hex(hex, id);
    mlv_keyid_fingerprint(fp, pk, 32);
    printf("  key id:      %s\n  fingerprint: %s\n", hex, fp);
}

static int show_secret(const char *path, const uint8_t *buf, size_t len)
{
    mlv_key_info info;
    mlv_key_status st = mlv_key_secret_inspect(buf, len, &info);

    if (st != MLV_KEY_OK)
        return mlv_keys_key_fail("cannot read the secret key", path, st);
    printf("%s: %s secret key, passphrase-protected (Argon2id, %llu passes, %llu MiB)\n", path,
           info.kind == MLV_KEY_KIND_EDITOR ? "editor" : "organisation", (unsigned long long)info.kdf.opslimit,
           (unsigned long long)(info.kdf.memlimit >> 20));
    print_ids(info.id, info.pk);
    return 0;
}

static int show_public(const char *path, const uint8_t *buf, size_t len)
{
    char name[MLV_MAX_EDITOR_NAME_BYTES + 1u];
    mlv_box_public editor;
    mlv_org_public org;

    if (mlv_key_box_public_parse((const char *)buf, len, &editor, name, sizeof name) == MLV_KEY_OK) {
        printf("%s: editor public key '%s'\n", path, name);
        print_ids(editor.id, editor.pk);
        return 0;
    }
    if (mlv_org_public_parse((const char *)buf, len, &org) == MLV_MAN_OK) {
        printf("%s: organisation public key (minisign format)\n", path);
        print_ids(org.id, org.pk);
        return 0;
    }
    return mlv_keys_fail("cannot read '%s': not a Malyava public key file. Check the path", path);
}

static int show_manifest(const char *dir, const char *path, const uint8_t *buf, size_t len)
{
    mlv_manifest m;
    mlv_man_status st = mlv_man_parse((const char *)buf, len, &m);

    if (st != MLV_MAN_OK)
        return mlv_keys_fail("cannot read the manifest '%s': %s", path, mlv_man_strerror(st));
    printf("%s: manifest (signature not checked here; use malyava-keys manifest verify)\n", path);
    mlv_keys_print_manifest(dir, &m);
    return 0;
}

static int show_one(const char *dir, const char *path)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc;

    if (mlv_file_read_small(path, MLV_MAX_SMALL_FILE_BYTES, &buf, &len) != 0)
        return mlv_keys_fail("cannot read '%s': %s. Check the path", path,
                             errno == EFBIG ? "too large for a key file or manifest" : strerror(errno));
    if (starts_with(buf, len, "MLVSEC"))
        rc = show_secret(path, buf, len);
    else if (starts_with(buf, len, "untrusted comment: "))
        rc = show_public(path, buf, len);
    else if (starts_with(buf, len, "malyava-manifest "))
        rc = show_manifest(dir, path, buf, len);
    else
        rc = mlv_keys_fail("cannot read '%s': not a Malyava key file or manifest. Check the path", path);
    free(buf);
    return rc;
}

int mlv_keys_cmd_show(int argc, char **argv, mlv_keys_opts *o)
{
    static const struct option options[] = { MLV_KEYS_OPT_DIR, MLV_KEYS_OPT_HELP, { NULL, 0, NULL, 0 } };
    int c, rc = MLV_KEYS_EXIT_OK;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        int r = mlv_keys_common_option(c, optarg, o, SHOW_USAGE);

        if (r < 0)
            return MLV_KEYS_EXIT_USAGE;
        if (r > 0)
            continue;
        if (c == 'h') {
            printf("usage: %s\n", SHOW_USAGE);
            return MLV_KEYS_EXIT_OK;
        }
        return mlv_keys_bad_option(argv, SHOW_USAGE);
    }
    if (optind == argc)
        return mlv_keys_usage(SHOW_USAGE, "show needs at least one FILE");
    for (int i = optind; i < argc; i++) {
        if (i > optind)
            putchar('\n');
        if (show_one(o->dir, argv[i]) != 0)
            rc = MLV_KEYS_EXIT_FAIL;
    }
    return rc;
}
