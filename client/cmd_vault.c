/*
 * `malyava init` and `malyava key add|list|retire|remove`: making a vault
 * and saying which editor keys open it. Retiring marks a key; removing
 * takes its access away (vault_rekey.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <malyava/keyid.h>
#include <malyava/manifest.h>

#include "cli.h"
#include "commands.h"
#include "inbox.h"
#include "vault.h"

int mlv_cmd_init(int argc, char **argv)
{
    char reason[MLV_VDB_REASON_BYTES];
    mlv_vdb *db = NULL;

    if (argc != 2 || argv[1][0] == '-') {
        fprintf(argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr, "usage: malyava init VAULT\n");
        return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    if (mlv_vdb_create(argv[1], &db, reason) != MLV_VDB_OK) {
        mlv_cli_error("%s", reason);
        return 1;
    }
    mlv_vdb_close(db);
    printf("created vault %s\nnext: malyava key add --vault %s EDITOR.key\n", argv[1], argv[1]);
    return 0;
}

static void key_usage(FILE *out)
{
    fprintf(out, "usage: malyava key add [--vault V] [--name NAME] [--new-passphrase-file F] [--key UNLOCKER] "
                 "[--passphrase-file F] EDITOR.key\n"
                 "       malyava key list [--vault V]\n"
                 "       malyava key retire [--vault V] NAME\n"
                 "       malyava key remove [--vault V] [--key UNLOCKER] [--passphrase-file F] NAME\n"
                 "\n"
                 "retire only marks a key as no longer in use: its passphrase still opens the vault and\n"
                 "  everything in it. Use it after a rotation, while the old key is still trusted.\n"
                 "remove takes a key's access away (a lost laptop, an editor who left): the vault gets a new\n"
                 "  vault key sealed to the other keys only, and everything is sealed anew, so the removed\n"
                 "  key's passphrase opens nothing in the vault file. Copies of the vault made before\n"
                 "  (backups) still open with it. Unlock with a key that stays.\n");
}

/* NAME.key -> NAME */
static void name_from_path(const char *path, char *out, size_t size)
{
    const char *base = mlv_cli_basename(path);
    size_t len = strlen(base);

    if (len > 4 && strcmp(base + len - 4, ".key") == 0)
        len -= 4;
    snprintf(out, size, "%.*s", (int)len, base);
}

static int key_list(mlv_vault *v)
{
    size_t *counts = calloc(v->nrows > 0 ? v->nrows : 1u, sizeof *counts);

    if (counts == NULL) {
        mlv_cli_error("out of memory");
        return 1;
    }
    if (mlv_inbox_sealed_counts(v, counts) != 0) {
        mlv_cli_error("cannot read the vault: %s", mlv_vdb_reason(v->db));
        free(counts);
        return 1;
    }
    printf("%-20s %-16s %-39s %-10s %-10s %s\n", "NAME", "KEY ID", "FINGERPRINT", "ADDED", "RETIRED", "SEALED TO");
    for (size_t i = 0; i < v->nrows; i++) {
        char id[MLV_KEY_ID_STR_BYTES], fp[MLV_FINGERPRINT_STR_BYTES], added[11], retired[11];

        mlv_keyid_to_hex(id, v->rows[i].id);
        mlv_keyid_fingerprint(fp, v->rows[i].pk, sizeof v->rows[i].pk);
        mlv_day_format(added, v->rows[i].added_day);
        if (v->rows[i].retired_day >= 0)
            mlv_day_format(retired, v->rows[i].retired_day);
        else
            snprintf(retired, sizeof retired, "-");
        printf("%-20s %-16s %-39s %-10s %-10s %zu\n", v->rows[i].name, id, fp, added, retired, counts[i]);
    }
    printf("%zu key%s\n", v->nrows, v->nrows == 1 ? "" : "s");
    free(counts);
    return 0;
}

/* Which key unlocks for a removal: --key, else the oldest key in use that
 * stays. NULL after a message. */
static const char *remover(const mlv_vault *v, const mlv_vault_args *a, const char *gone)
{
    if (a->key != NULL) {
        if (strcmp(a->key, gone) == 0) {
            mlv_cli_error("unlock with a key that stays, not with '%s' (--key NAME)", gone);
            return NULL;
        }
        return a->key;
    }
    for (int retired_too = 0; retired_too < 2; retired_too++) {
        for (size_t i = 0; i < v->nrows; i++) {
            if (strcmp(v->rows[i].name, gone) != 0 && (retired_too || v->rows[i].retired_day < 0))
                return v->rows[i].name;
        }
    }
    mlv_cli_error("'%s' is the vault's only key: removing it would lock everyone out. Add another key first "
                  "(`malyava key add`)", gone);
    return NULL;
}

static int key_remove(mlv_vault *v, const mlv_vault_args *a, const char *gone)
{
    mlv_vault_args unlock = *a;
    mlv_vault_removal rep;
    size_t i;

    for (i = 0; i < v->nrows && strcmp(v->rows[i].name, gone) != 0; i++)
        ;
    if (i == v->nrows) {
        mlv_cli_error("the vault has no key named '%s'; `malyava key list` shows its keys", gone);
        return 2;
    }
    if ((unlock.key = remover(v, a, gone)) == NULL)
        return 2;
    if (mlv_vault_unlock_late(&unlock, v) != 0 || mlv_vault_remove_key(v, gone, &rep) != 0)
        return 1;
    printf("removed key '%s' for good: nothing in this vault file opens with it or its passphrase any more.\n"
           "  a new vault key is sealed to the %zu key%s left; %zu file key%s and %zu triage event%s were sealed "
           "anew under it;\n"
           "  %zu testimon%s %s no longer sealed to '%s'",
           gone, rep.keys, rep.keys == 1 ? "" : "s", rep.file_keys, rep.file_keys == 1 ? "" : "s", rep.events,
           rep.events == 1 ? "" : "s", rep.headers, rep.headers == 1 ? "y" : "ies", rep.headers == 1 ? "is" : "are",
           gone);
    if (rep.only > 0)
        printf(" (%zu were sealed to '%s' alone: they are now sealed to the keys in use, and stay readable)",
               rep.only, gone);
    printf(".\n"
           "A copy of the vault file made before now (a backup, a copy on a stick) still opens with '%s', as it "
           "did: destroy such copies, or keep them as safe as the key.\n"
           "If '%s' is still in the organisation's manifest, new submissions are still sealed to it: the admin "
           "retires it there (malyava-keys manifest sign --retire %s.pub).\n",
           gone, gone, gone);
    return 0;
}

int mlv_cmd_key(int argc, char **argv)
{
    static const struct option options[] = {
        MLV_VAULT_LONG_OPTIONS,
        { "name", required_argument, NULL, 'n' },
        { "new-passphrase-file", required_argument, NULL, 'N' },
        { NULL, 0, NULL, 0 },
    };
    mlv_vault_args a = { 0 };
    mlv_vault v;
    const char *verb, *name = NULL, *new_pass = NULL;
    char derived[MLV_MAX_EDITOR_NAME_BYTES + 1];
    int c, rc = 1;

    memset(&v, 0, sizeof v);
    if (argc < 2) {
        key_usage(stderr);
        return 2;
    }
    verb = argv[1];
    optind = 2;
    while ((c = getopt_long(argc, argv, "V:K:P:h", options, NULL)) != -1) {
        if (mlv_vault_arg(c, optarg, &a))
            continue;
        switch (c) {
        case 'n': name = optarg; break;
        case 'N': new_pass = optarg; break;
        case 'h': key_usage(stdout); return 0;
        default: key_usage(stderr); return 2;
        }
    }
    if (strcmp(verb, "list") == 0 && optind == argc) {
        if (mlv_vault_start(&a, &v, 0) != 0)
            return 1;
        rc = key_list(&v);
    } else if (strcmp(verb, "add") == 0 && optind + 1 == argc) {
        uint8_t *file = NULL;
        size_t file_len = 0;

        if (mlv_vault_start(&a, &v, 0) != 0)
            return 1;
        if (name == NULL) {
            name_from_path(argv[optind], derived, sizeof derived);
            name = derived;
        }
        /* The file and the name are checked before any passphrase. */
        if (mlv_vault_key_file_check(&v, argv[optind], name, &file, &file_len) != 0) {
            rc = 2;
        } else if ((v.nrows == 0 || mlv_vault_unlock(&v, a.key, a.pass_file) == 0) &&
                   mlv_vault_add_key(&v, argv[optind], name, new_pass != NULL ? new_pass : a.pass_file) == 0) {
            /* A vault with keys already has a vault key: it was opened first. */
            printf("added editor key '%s'\n", name);
            rc = 0;
        }
        if (file != NULL)
            sodium_memzero(file, file_len);
        free(file);
    } else if (strcmp(verb, "retire") == 0 && optind + 1 == argc) {
        size_t i;

        if (mlv_vault_start(&a, &v, 0) != 0)
            return 1;
        for (i = 0; i < v.nrows && strcmp(v.rows[i].name, argv[optind]) != 0; i++)
            ;
        if (i == v.nrows) {
            mlv_cli_error("the vault has no key named '%s'; `malyava key list` shows its keys", argv[optind]);
            rc = 2;
        } else if (mlv_vdb_key_retire(v.db, v.rows[i].id, mlv_day_today()) != MLV_VDB_OK) {
            mlv_cli_error("key '%s' is already retired", argv[optind]);
        } else {
            printf("retired '%s': it is marked as no longer in use, and that is all. Its passphrase still opens "
                   "this vault and everything in it.\n"
                   "  `malyava rewrap --from %s` seals its testimonies to the keys in use;\n"
                   "  `malyava key remove %s` takes its access away for good (a lost or leaked key).\n",
                   argv[optind], argv[optind], argv[optind]);
            rc = 0;
        }
    } else if (strcmp(verb, "remove") == 0 && optind + 1 == argc) {
        if (mlv_vault_start(&a, &v, 0) != 0)
            return 1;
        rc = key_remove(&v, &a, argv[optind]);
    } else {
        key_usage(stderr);
        return 2;
    }
    mlv_vault_close(&v);
    return rc;
}
