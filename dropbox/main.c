/*
 * malyava-dropbox: the submission server. This file dispatches and holds
 * the option handling the subcommands share.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include <malyava/proc.h>

#include "commands.h"
#include "harden.h"

#ifndef MALYAVA_VERSION
#define MALYAVA_VERSION "unknown"
#endif

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *args;
    const char *summary;
} commands[] = {
    { "setup", mlv_cmd_setup, "DATA_DIR --from DIR [--user NAME] [SETTINGS]",
      "as root: the first set-up (or a restore) from the files carried from the offline machine" },
    { "init", mlv_cmd_init, "DATA_DIR --org-key ORG.pub --manifest FILE [SETTINGS]",
      "create a data directory for a verified manifest; prints the export token once" },
    { "serve", mlv_cmd_serve, "DATA_DIR [--listen ADDR:PORT] [--editors-listen ADDR:PORT|off] [SETTINGS] [--check-config]",
      "accept submissions (SIGHUP reloads the manifests, pow_bits and manifest_grace_days; SIGTERM stops)" },
    { "install-manifest", mlv_cmd_install_manifest, "DATA_DIR FILE",
      "install a newer signed manifest (FILE.minisig beside it)" },
    { "stats", mlv_cmd_stats, "DATA_DIR", "counts and disk use, nothing identifying" },
    { "check", mlv_cmd_check, "DATA_DIR [--quiet]",
      "for monitoring: exit status 1, with what to do, when something needs the admin" },
    { "export", mlv_cmd_export, "DATA_DIR -o FILE", "write the export bundle for the editors" },
    { "ack", mlv_cmd_ack, "DATA_DIR ACKFILE", "purge the submissions the editors' ack file confirms" },
    { "import-replies", mlv_cmd_import_replies, "DATA_DIR FILE", "check and store a replies bundle" },
    { "new-export-token", mlv_cmd_new_export_token, "DATA_DIR",
      "replace the editors' export token (printed once; the old one stops working at once)" },
};

void mlv_cmd_print_usage(FILE *out)
{
    fprintf(out, "usage: malyava-dropbox COMMAND ...\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  malyava-dropbox %s %s\n      %s\n", commands[i].name, commands[i].args, commands[i].summary);
    fprintf(out, "\nSETTINGS override DATA_DIR/config for one run (init writes them into it):\n");
    mlv_cfg_print_flags(out);
    fprintf(out, "\nExit status: 0 ok, 1 failure, 2 usage error. man 8 malyava-dropbox has the rest.\n");
}

int mlv_cmd_usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("malyava-dropbox: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("; run `malyava-dropbox --help` for usage\n", stderr);
    return 2;
}

int mlv_cmd_take_setting(mlv_cmd_overrides *o, int argc, char **argv, int *i)
{
    const char *arg = argv[*i], *eq, *key, *value;
    size_t flag_len;
    int is_switch = 0;

    if (strncmp(arg, "--", 2) != 0)
        return 0;
    eq = strchr(arg, '=');
    flag_len = eq != NULL ? (size_t)(eq - arg - 2) : strlen(arg + 2);
    key = mlv_cfg_flag_key(arg + 2, flag_len, &is_switch);
    if (key == NULL)
        return 0;
    if (eq != NULL) {
        value = eq + 1;
    } else if (is_switch) {
        value = "1";
    } else {
        if (*i + 1 >= argc) {
            mlv_cmd_usage_error("%s needs a value", arg);
            return -1;
        }
        value = argv[++*i];
    }
    if (o->n == MLV_CMD_MAX_OVERRIDES) {
        mlv_cmd_usage_error("too many settings on the command line");
        return -1;
    }
    o->key[o->n] = key;
    o->value[o->n] = value;
    o->flag[o->n] = arg;
    o->n++;
    (*i)++;
    return 1;
}

int mlv_cmd_apply_settings(mlv_cfg *c, const mlv_cmd_overrides *o)
{
    for (size_t i = 0; i < o->n; i++) {
        char where[80];
        const char *eq = strchr(o->flag[i], '=');

        snprintf(where, sizeof where, "%.*s", eq != NULL ? (int)(eq - o->flag[i]) : 64, o->flag[i]);
        if (mlv_cfg_set(c, o->key[i], strlen(o->key[i]), o->value[i], where) != 0)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        mlv_cmd_print_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        mlv_cmd_print_usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("malyava-dropbox %s\n", MALYAVA_VERSION);
        return 0;
    }
    if (mlv_proc_no_core_dumps() != 0) {
        fprintf(stderr, "malyava-dropbox: cannot turn core dumps off: %s\n", strerror(errno));
        return 1;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "malyava-dropbox: libsodium failed to initialise; check that the system has a working "
                        "random source\n");
        return 1;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    /* Not listed: the tests prove with it that the filter kills. */
    if (strcmp(argv[1], "seccomp-selftest") == 0 && argc == 2)
        return mlv_harden_selftest();
    return mlv_cmd_usage_error("unknown command '%s'", argv[1]);
}
