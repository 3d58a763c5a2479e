/*
 * Triage changes: `status`, `tag`, `note`, `assign`. Each is one sealed
 * event in the vault (triage.c), kept forever as the testimony's history.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "triage.h"
#include "vault.h"

typedef struct triage_cmd {
    const char *name;
    const char *value_name;
} triage_cmd;

static void usage(FILE *out, const triage_cmd *t)
{
    fprintf(out, "usage: malyava %s [--vault V] [--key NAME] [--passphrase-file F]%s ID %s\n", t->name,
            strcmp(t->name, "tag") == 0 ? " [--remove]" : "", t->value_name);
    if (strcmp(t->name, "status") == 0)
        fprintf(out, "  STATUS: new, in-review, verified, rejected, published or follow-up\n");
}

static int run_triage(int argc, char **argv, const triage_cmd *t, mlv_triage_kind kind)
{
    static const struct option options[] = {
        MLV_VAULT_LONG_OPTIONS, { "remove", no_argument, NULL, 'r' }, { NULL, 0, NULL, 0 },
    };
    mlv_vault_args a = { 0 };
    const char *value;
    mlv_vault v;
    mlv_vdb_env e;
    int c, rc = 1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "V:K:P:h", options, NULL)) != -1) {
        if (mlv_vault_arg(c, optarg, &a))
            continue;
        if (c == 'r' && kind == MLV_TRIAGE_TAG) {
            kind = MLV_TRIAGE_UNTAG;
            continue;
        }
        usage(c == 'h' ? stdout : stderr, t);
        return c == 'h' ? 0 : 2;
    }
    if (optind + 2 != argc) {
        usage(stderr, t);
        return 2;
    }
    value = argv[optind + 1];
    if (kind == MLV_TRIAGE_STATUS && (value = mlv_triage_status_name(value)) == NULL) {
        mlv_cli_error("'%s' is not a status; use new, in-review, verified, rejected, published or follow-up",
                      argv[optind + 1]);
        return 2;
    }
    if ((kind == MLV_TRIAGE_TAG || kind == MLV_TRIAGE_NOTE) && value[0] == '\0') {
        mlv_cli_error("an empty %s says nothing; give some text", t->name);
        return 2;
    }
    memset(&e, 0, sizeof e);
    if (mlv_vault_start(&a, &v, 1) != 0)
        return 1;
    if (mlv_vault_get_env(&v, argv[optind], &e) == 0 && mlv_triage_add(&v, e.id, kind, value) == 0) {
        printf("testimony %lld: %s %s\n", (long long)e.id, mlv_triage_kind_name(kind),
               kind == MLV_TRIAGE_NOTE ? "added" : value);
        rc = 0;
    }
    mlv_vdb_env_clear(&e);
    mlv_vault_close(&v);
    return rc;
}

int mlv_cmd_status(int argc, char **argv)
{
    static const triage_cmd t = { "status", "STATUS" };
    return run_triage(argc, argv, &t, MLV_TRIAGE_STATUS);
}

int mlv_cmd_tag(int argc, char **argv)
{
    static const triage_cmd t = { "tag", "TAG" };
    return run_triage(argc, argv, &t, MLV_TRIAGE_TAG);
}

int mlv_cmd_note(int argc, char **argv)
{
    static const triage_cmd t = { "note", "TEXT" };
    return run_triage(argc, argv, &t, MLV_TRIAGE_NOTE);
}

int mlv_cmd_assign(int argc, char **argv)
{
    static const triage_cmd t = { "assign", "EDITOR (\"\" for nobody)" };
    return run_triage(argc, argv, &t, MLV_TRIAGE_ASSIGN);
}
