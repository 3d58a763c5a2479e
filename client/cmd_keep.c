/*
 * Keeping the vault: `delete` (a testimony no key of the vault opens)
 * and `backup` (a checked copy, and checking one).
 *
 * Deleting is for what the vault can never read: a bundle from another
 * organisation, an envelope sealed to keys this vault will never hold.
 * A testimony that opens is evidence and is never deleted. What is
 * deleted is the sealed envelope (its payload, zeroed on disk by the
 * vault's secure_delete, and its header); its number, upload id, receipt
 * and days stay, with its history, which gains a sealed `delete` event
 * naming the editor: `history ID` shows who deleted it and when, and a
 * bundle that brings it again finds it already there.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "triage.h"
#include "vault.h"

static void delete_usage(FILE *out)
{
    fprintf(out, "usage: malyava delete [--vault V] [--key NAME] [--passphrase-file F] ID[,ID|FIRST-LAST]...\n"
                 "  deletes testimonies that no key of the vault opens (e.g. from another organisation's\n"
                 "  drop-box); a testimony that opens is never deleted. `malyava history ID` keeps who\n"
                 "  deleted it and when.\n");
}

/* Why a testimony may go, or NULL (after a message) when it may not. */
static const char *why_deletable(const mlv_vault *v, const mlv_vdb_env *e)
{
    static const mlv_pay_callbacks nothing = { NULL, NULL, NULL };
    mlv_env_status st = mlv_vault_read(v, e, &nothing, NULL, 0, NULL);

    switch (st) {
    case MLV_ENV_OK:
        mlv_cli_error("testimony %lld opens with this vault's keys: it is evidence, and the vault deletes only what "
                      "no key opens", (long long)e->id);
        return NULL;
    case MLV_ENV_ERR_SYSTEM:
        mlv_cli_error("cannot read testimony %lld: out of memory, or the vault failed", (long long)e->id);
        return NULL;
    case MLV_ENV_ERR_NOT_FOR_ME:
        return "no key of this vault opens it (it was never acknowledged: its drop-box still holds it until a "
               "vault that opens it acknowledges it)";
    default: return mlv_env_strerror(st);
    }
}

static int delete_one(mlv_vault *v, int64_t id)
{
    char num[24], *value = NULL;
    const char *why;
    mlv_vdb_env e;
    int ret = -1;
    size_t len;

    snprintf(num, sizeof num, "%lld", (long long)id);
    if (mlv_vault_get_env(v, num, &e) != 0)
        return -1;
    if ((why = why_deletable(v, &e)) == NULL)
        goto out;
    len = strlen(why) + sizeof e.upload_id + sizeof e.receipt + 32u;
    if ((value = malloc(len)) == NULL)
        goto out;
    snprintf(value, len, "upload %s, receipt %s: %s", e.upload_id, e.receipt, why);
    if (mlv_triage_add(v, e.id, MLV_TRIAGE_DELETE, value) != 0)
        goto out;
    if (mlv_vdb_env_delete(v->db, e.id) != MLV_VDB_OK) {
        mlv_cli_error("cannot delete testimony %lld: %s", (long long)e.id, mlv_vdb_reason(v->db));
        goto out;
    }
    printf("deleted testimony %lld: %s\n", (long long)e.id, why);
    ret = 0;
out:
    free(value);
    mlv_vdb_env_clear(&e);
    return ret;
}

int mlv_cmd_delete(int argc, char **argv)
{
    static const struct option options[] = { MLV_VAULT_LONG_OPTIONS, { NULL, 0, NULL, 0 } };
    mlv_vault_args a = { 0 };
    int64_t *ids = NULL;
    size_t nids = 0;
    mlv_vault v;
    int c, rc = 1, began = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "V:K:P:h", options, NULL)) != -1) {
        if (mlv_vault_arg(c, optarg, &a))
            continue;
        delete_usage(c == 'h' ? stdout : stderr);
        return c == 'h' ? 0 : 2;
    }
    if (optind + 1 != argc) {
        delete_usage(stderr);
        return 2;
    }
    if ((rc = mlv_vault_start_batch(&a, &v, argv[optind], &ids, &nids)) != 0)
        return rc;
    rc = 1;
    if (mlv_vdb_begin(v.db) != MLV_VDB_OK) {
        mlv_cli_error("cannot write the vault: %s", mlv_vdb_reason(v.db));
        goto out;
    }
    began = 1;
    for (size_t i = 0; i < nids; i++) {
        if (delete_one(&v, ids[i]) != 0) {
            mlv_cli_error("nothing was deleted: the vault is unchanged");
            goto out;
        }
    }
    if (mlv_vdb_commit(v.db) != MLV_VDB_OK) {
        mlv_cli_error("cannot save the deletion: %s; the vault is unchanged", mlv_vdb_reason(v.db));
        goto out;
    }
    began = 0;
    printf("%zu testimon%s deleted for good; `malyava history ID` says who deleted %s and when\n", nids,
           nids == 1 ? "y" : "ies", nids == 1 ? "it" : "them");
    rc = 0;
out:
    if (began)
        mlv_vdb_rollback(v.db);
    free(ids);
    mlv_vault_close(&v);
    return rc;
}

/* ---- backup --------------------------------------------------------------- */

static void backup_usage(FILE *out)
{
    fprintf(out, "usage: malyava backup [--vault V] FILE     copy the vault into FILE (new, 0600) and check the copy\n"
                 "       malyava backup --check FILE         check that FILE is an intact vault\n"
                 "  The copy is sealed as the vault is: it opens with the same passphrases, no others.\n"
                 "  Restore: move the damaged vault aside, then `malyava backup --vault FILE VAULT`\n"
                 "  copies the backup into the vault's place, checked.\n");
}

static void print_census(const char *path, const mlv_vdb_census *c)
{
    printf("%s: an intact vault: %lld testimon%s (%lld deleted), %lld key%s, %lld triage event%s, %lld repl%s\n",
           path, (long long)c->testimonies, c->testimonies == 1 ? "y" : "ies", (long long)c->deleted,
           (long long)c->keys, c->keys == 1 ? "" : "s", (long long)c->events, c->events == 1 ? "" : "s",
           (long long)c->replies, c->replies == 1 ? "y" : "ies");
}

int mlv_cmd_backup(int argc, char **argv)
{
    static const struct option options[] = {
        MLV_VAULT_LONG_OPTIONS, { "check", no_argument, NULL, 'c' }, { NULL, 0, NULL, 0 },
    };
    char reason[MLV_VDB_REASON_BYTES];
    mlv_vault_args a = { 0 };
    mlv_vdb_census census;
    mlv_vault v;
    int c, check = 0, rc = 1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "V:K:P:h", options, NULL)) != -1) {
        if (mlv_vault_arg(c, optarg, &a))
            continue;
        if (c == 'c') {
            check = 1;
            continue;
        }
        backup_usage(c == 'h' ? stdout : stderr);
        return c == 'h' ? 0 : 2;
    }
    if (optind + 1 != argc) {
        backup_usage(stderr);
        return 2;
    }
    if (check) {
        if (mlv_vdb_check(argv[optind], &census, reason) != MLV_VDB_OK) {
            mlv_cli_error("%s", reason);
            return 1;
        }
        print_census(argv[optind], &census);
        return 0;
    }
    if (mlv_cli_check_new_file(argv[optind], "the backup", NULL) != 0)
        return 2;
    /* No passphrase: the copy is of the sealed file, page by page. */
    if (mlv_vault_start(&a, &v, 0) != 0)
        return 1;
    if (mlv_vdb_backup(v.db, argv[optind], &census) != MLV_VDB_OK) {
        mlv_cli_error("no backup made: %s", mlv_vdb_reason(v.db));
    } else {
        print_census(argv[optind], &census);
        printf("Keep it as safe as the vault: it opens with the same passphrases. `malyava backup --check %s` "
               "checks it again later.\n", argv[optind]);
        rc = 0;
    }
    mlv_vault_close(&v);
    return rc;
}
