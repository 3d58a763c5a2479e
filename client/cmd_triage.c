/*
 * Triage changes: `status`, `tag`, `note`, `assign`. Each is one sealed
 * event in the vault (triage.c), kept forever as the testimony's history.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
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
    fprintf(out, "usage: malyava %s [--vault V] [--key NAME] [--passphrase-file F]%s ID[,ID|FIRST-LAST]... %s\n",
            t->name, strcmp(t->name, "tag") == 0 ? " [--remove]" : "", t->value_name);
    if (strcmp(t->name, "status") == 0)
        fprintf(out, "  STATUS: new, in-review, verified, rejected, published or follow-up\n");
}

/* What was done, in words: a removed tag says it was removed. */
static void say_done(mlv_triage_kind kind, size_t n, const char *ids, const char *value)
{
    const char *which = n == 1 ? "testimony" : "testimonies";

    switch (kind) {
    case MLV_TRIAGE_TAG: printf("%s %s: tag '%s' added\n", which, ids, value); break;
    case MLV_TRIAGE_UNTAG: printf("%s %s: tag '%s' removed\n", which, ids, value); break;
    case MLV_TRIAGE_NOTE: printf("%s %s: note added\n", which, ids); break;
    case MLV_TRIAGE_ASSIGN:
        if (value[0] == '\0')
            printf("%s %s: assigned to nobody\n", which, ids);
        else
            printf("%s %s: assigned to %s\n", which, ids, value);
        break;
    default: printf("%s %s: %s\n", which, ids, value); break;
    }
}

static int run_triage(int argc, char **argv, const triage_cmd *t, mlv_triage_kind kind)
{
    static const struct option options[] = {
        MLV_VAULT_LONG_OPTIONS, { "remove", no_argument, NULL, 'r' }, { NULL, 0, NULL, 0 },
    };
    mlv_vault_args a = { 0 };
    const char *value;
    int64_t *ids = NULL;
    size_t nids = 0;
    mlv_vault v;
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
    if ((rc = mlv_vault_start_batch(&a, &v, argv[optind], &ids, &nids)) != 0)
        return rc;
    rc = 1;
    if (mlv_vdb_begin(v.db) != MLV_VDB_OK) {
        mlv_cli_error("cannot write the vault: %s", mlv_vdb_reason(v.db));
        goto out;
    }
    for (size_t i = 0; i < nids; i++) {
        char num[24];
        mlv_vdb_env e;

        int added;

        snprintf(num, sizeof num, "%lld", (long long)ids[i]);
        if (mlv_vault_get_env(&v, num, &e) != 0)
            goto out;
        added = mlv_triage_add(&v, e.id, kind, value) == 0;
        mlv_vdb_env_clear(&e);
        if (!added)
            goto out;
    }
    if (mlv_vdb_commit(v.db) != MLV_VDB_OK) {
        mlv_cli_error("cannot save the change: %s; the vault is unchanged", mlv_vdb_reason(v.db));
        goto out;
    }
    say_done(kind, nids, argv[optind], value);
    rc = 0;
out:
    if (rc != 0)
        mlv_vdb_rollback(v.db);
    free(ids);
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
