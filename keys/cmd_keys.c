/* malyava-keys init, editor new, passwd: making and re-protecting secret keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <malyava/keyid.h>

#include "keys.h"

#define INIT_USAGE "malyava-keys [--dir DIR] init [--kdf P] [--passphrase-file F]"
#define EDITOR_USAGE "malyava-keys [--dir DIR] editor new NAME [--kdf P] [--passphrase-file F]"
#define PASSWD_USAGE "malyava-keys passwd KEYFILE [--kdf P] [--passphrase-file OLD] [--new-passphrase-file NEW]"

/* Parses the options of a command that writes a secret key; the operands
 * that remain start at argv[optind]. -1 after a usage error, 1 for --help. */
static int parse_key_options(int argc, char **argv, mlv_keys_opts *o, const char *usage, const char **new_pass_file)
{
    static const struct option options[] = {
        MLV_KEYS_OPT_DIR, MLV_KEYS_OPT_KDF, MLV_KEYS_OPT_PASS, MLV_KEYS_OPT_HELP,
        { "new-passphrase-file", required_argument, NULL, 'N' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        int r = mlv_keys_common_option(c, optarg, o, usage);

        if (r < 0)
            return -1;
        if (r > 0)
            continue;
        if (c == 'h') {
            printf("usage: %s\n", usage);
            return 1;
        }
        if (c == 'N' && new_pass_file != NULL) {
            *new_pass_file = optarg;
            continue;
        }
        mlv_keys_bad_option(argv, usage);
        return -1;
    }
    return 0;
}

static void print_created(const char *what, const char *secret_path, const char *public_path,
                          const uint8_t id[MLV_KEY_ID_BYTES], const uint8_t pk[32])
{
    char hex[MLV_KEY_ID_STR_BYTES], fp[MLV_FINGERPRINT_STR_BYTES];

    mlv_keyid_to_hex(hex, id);
    mlv_keyid_fingerprint(fp, pk, 32);
    printf("%s created\n  secret key:  %s\n  public key:  %s\n  key id:      %s\n  fingerprint: %s\n", what,
           secret_path, public_path, hex, fp);
}

/* Asks for a new passphrase and makes the key; shared by init and editor new. */
static int make_key(mlv_keys_opts *o, const char *secret_path, const char *public_path, const char *name)
{
    char prompt[512], *pass = NULL;
    size_t pass_len = 0;
    mlv_key_status st;
    int rc = MLV_KEYS_EXIT_FAIL;

    if (mlv_keys_refuse_existing(secret_path) != 0 || mlv_keys_refuse_existing(public_path) != 0)
        return MLV_KEYS_EXIT_FAIL;
    snprintf(prompt, sizeof prompt, "New passphrase for %s: ", secret_path);
    if (mlv_keys_passphrase(o->pass_file, prompt, secret_path, 1, &pass, &pass_len) != 0)
        goto out;
    if (name == NULL) {
        mlv_org_public org;

        st = mlv_key_org_generate(secret_path, public_path, pass, pass_len, &o->kdf, &org);
        if (st != MLV_KEY_OK) {
            mlv_keys_key_fail("cannot create the organisation key", secret_path, st);
            goto out;
        }
        if (mlv_keys_make_public(public_path) != 0)
            goto out;
        print_created("organisation key", secret_path, public_path, org.id, org.pk);
        printf("\nKeep %s offline and back it up with its passphrase. Publish %s and its fingerprint\n"
               "on every channel sources trust. Next: malyava-keys editor new NAME, then\n"
               "malyava-keys manifest sign --add %s/editors/NAME.pub\n",
               secret_path, public_path, o->dir);
    } else {
        mlv_box_public pub;

        st = mlv_key_box_generate(secret_path, public_path, name, pass, pass_len, &o->kdf, &pub);
        if (st != MLV_KEY_OK) {
            mlv_keys_key_fail("cannot create the editor key", secret_path, st);
            goto out;
        }
        if (mlv_keys_make_public(public_path) != 0)
            goto out;
        print_created("editor key", secret_path, public_path, pub.id, pub.pk);
        printf("\nCarry %s to the editor's offline machine and delete it here once it is safe there.\n"
               "Next: malyava-keys manifest sign --add %s, then install the new manifest on the server.\n",
               secret_path, public_path);
    }
    rc = MLV_KEYS_EXIT_OK;
out:
    mlv_pass_free(pass);
    return rc;
}

int mlv_keys_cmd_init(int argc, char **argv, mlv_keys_opts *o)
{
    char *secret_path = NULL, *public_path = NULL;
    int r = parse_key_options(argc, argv, o, INIT_USAGE, NULL), rc = MLV_KEYS_EXIT_FAIL;

    if (r != 0)
        return r > 0 ? MLV_KEYS_EXIT_OK : MLV_KEYS_EXIT_USAGE;
    if (optind != argc)
        return mlv_keys_usage(INIT_USAGE, "init takes no operand, got '%s'", argv[optind]);
    secret_path = mlv_keys_path(o->dir, "org.key");
    public_path = mlv_keys_path(o->dir, "org.pub");
    if (secret_path == NULL || public_path == NULL) {
        mlv_keys_fail("out of memory. Close other programs");
        goto out;
    }
    if (mlv_keys_ensure_dir(o->dir) != 0)
        goto out;
    rc = make_key(o, secret_path, public_path, NULL);
out:
    free(secret_path);
    free(public_path);
    return rc;
}

int mlv_keys_cmd_editor(int argc, char **argv, mlv_keys_opts *o)
{
    char *editors = NULL, *secret_path = NULL, *public_path = NULL;
    const char *name;
    int r = parse_key_options(argc, argv, o, EDITOR_USAGE, NULL), rc = MLV_KEYS_EXIT_FAIL;

    if (r != 0)
        return r > 0 ? MLV_KEYS_EXIT_OK : MLV_KEYS_EXIT_USAGE;
    if (argc - optind != 2 || strcmp(argv[optind], "new") != 0)
        return mlv_keys_usage(EDITOR_USAGE, "editor needs the subcommand new and a NAME");
    name = argv[optind + 1];
    if (!mlv_key_name_valid(name, strlen(name)))
        return mlv_keys_usage(EDITOR_USAGE,
                              "editor name '%s' is not allowed; use 1 to %u of A-Z, a-z, 0-9, '.', '_' and '-', "
                              "not starting with '.'",
                              name, MLV_MAX_EDITOR_NAME_BYTES);
    editors = mlv_keys_path(o->dir, "editors");
    if (editors == NULL || asprintf(&secret_path, "%s/%s.key", editors, name) < 0 ||
        asprintf(&public_path, "%s/%s.pub", editors, name) < 0) {
        mlv_keys_fail("out of memory. Close other programs");
        goto out;
    }
    if (mlv_keys_ensure_dir(o->dir) != 0 || mlv_keys_ensure_dir(editors) != 0)
        goto out;
    rc = make_key(o, secret_path, public_path, name);
out:
    free(editors);
    free(secret_path);
    free(public_path);
    return rc;
}

int mlv_keys_cmd_passwd(int argc, char **argv, mlv_keys_opts *o)
{
    const char *new_pass_file = NULL, *path;
    char prompt[512], *old_pass = NULL, *new_pass = NULL;
    size_t old_len = 0, new_len = 0;
    mlv_key_status st;
    int r = parse_key_options(argc, argv, o, PASSWD_USAGE, &new_pass_file), rc = MLV_KEYS_EXIT_FAIL;

    if (r != 0)
        return r > 0 ? MLV_KEYS_EXIT_OK : MLV_KEYS_EXIT_USAGE;
    if (argc - optind != 1)
        return mlv_keys_usage(PASSWD_USAGE, "passwd needs exactly one KEYFILE");
    path = argv[optind];
    snprintf(prompt, sizeof prompt, "Current passphrase for %s: ", path);
    if (mlv_keys_passphrase(o->pass_file, prompt, path, 0, &old_pass, &old_len) != 0)
        goto out;
    snprintf(prompt, sizeof prompt, "New passphrase for %s: ", path);
    if (mlv_keys_passphrase(new_pass_file, prompt, path, 1, &new_pass, &new_len) != 0)
        goto out;
    st = mlv_key_passwd(path, old_pass, old_len, new_pass, new_len, &o->kdf);
    if (st != MLV_KEY_OK) {
        mlv_keys_key_fail("cannot change the passphrase of", path, st);
        goto out;
    }
    printf("passphrase of %s changed. Back up the file again: the old backup still opens with the old passphrase\n",
           path);
    rc = MLV_KEYS_EXIT_OK;
out:
    mlv_pass_free(old_pass);
    mlv_pass_free(new_pass);
    return rc;
}
