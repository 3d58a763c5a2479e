/*
 * malyava-keys: the organisation key, editor keys and the signed manifest.
 * Meant for an offline machine. This file parses the options before the
 * command and dispatches; the commands live in cmd_*.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include <malyava/proc.h>

#include "keys.h"

#ifndef MALYAVA_VERSION
#define MALYAVA_VERSION "unknown"
#endif

static const struct {
    const char *name;
    int (*run)(int argc, char **argv, mlv_keys_opts *o);
    const char *synopsis;
} commands[] = {
    { "init", mlv_keys_cmd_init, "init [--kdf P] [--passphrase-file F]" },
    { "editor", mlv_keys_cmd_editor, "editor new NAME [--kdf P] [--passphrase-file F]" },
    { "manifest", mlv_keys_cmd_manifest,
      "manifest sign [--add PUB]... [--retire KEYID|PUB]... [--days N] [--passphrase-file F]\n"
      "       malyava-keys [--dir DIR] manifest verify [--org-key ORG.pub] [MANIFEST]" },
    { "show", mlv_keys_cmd_show, "show FILE..." },
    { "passwd", mlv_keys_cmd_passwd,
      "passwd KEYFILE [--kdf P] [--passphrase-file OLD] [--new-passphrase-file NEW]" },
};

static void usage(FILE *out)
{
    fputs("usage:", out);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "%s malyava-keys [--dir DIR] %s\n", i == 0 ? "" : "      ", commands[i].synopsis);
    fputs("\nDIR (default: the current directory) holds org.key, org.pub, editors/ and the manifest.\n"
          "P is interactive, moderate or sensitive (the default): the Argon2id cost of a new secret key file.\n"
          "Passphrases come from the terminal, or from the first line of a file; never from the command line.\n"
          "man malyava-keys has the rest.\n",
          out);
}

int main(int argc, char **argv)
{
    mlv_keys_opts o = { .dir = ".", .pass_file = NULL };
    int i = 1;

    if (mlv_proc_no_core_dumps() != 0)
        return mlv_keys_fail("cannot turn core dumps off: %s", strerror(errno));
    mlv_key_kdf_default(&o.kdf);
    for (; i < argc && strncmp(argv[i], "-", 1) == 0; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return MLV_KEYS_EXIT_OK;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("malyava-keys %s\n", MALYAVA_VERSION);
            return MLV_KEYS_EXIT_OK;
        }
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            o.dir = argv[++i];
        } else if (strncmp(argv[i], "--dir=", 6) == 0) {
            o.dir = argv[i] + 6;
        } else {
            fprintf(stderr, "malyava-keys: option '%s' is unknown or lacks its value\n", argv[i]);
            usage(stderr);
            return MLV_KEYS_EXIT_USAGE;
        }
    }
    if (i == argc) {
        fputs("malyava-keys: no command given\n", stderr);
        usage(stderr);
        return MLV_KEYS_EXIT_USAGE;
    }
    if (sodium_init() < 0)
        return mlv_keys_fail("cannot start libsodium: no usable random source. Check /dev/urandom");
    for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++) {
        if (strcmp(argv[i], commands[c].name) == 0)
            return commands[c].run(argc - i, argv + i, &o);
    }
    fprintf(stderr, "malyava-keys: unknown command '%s'\n", argv[i]);
    usage(stderr);
    return MLV_KEYS_EXIT_USAGE;
}
