/*
 * Answering sources, and moving envelopes between editor keys:
 * `reply`, `export-replies`, `rewrap`.
 *
 * A reply (docs/FORMAT.md §4.5) is an envelope to the reply key the
 * source's codename derives and the submission carries, behind a proof
 * made with the editor key that unlocked the vault. Sources trust only
 * keys of the organisation's current manifest, so `reply` checks the
 * manifest (against the organisation key) and refuses a key it does not
 * list. Replies wait in the vault until `export-replies` writes them into
 * a replies bundle (§4.4).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/keyfile.h>
#include <malyava/keyid.h>
#include <malyava/manifest.h>
#include <malyava/reply.h>

#include "cli.h"
#include "commands.h"
#include "seal.h"
#include "triage.h"
#include "vault.h"

/*
 * The key that unlocked the vault, if the manifest lists it; otherwise
 * says which of the vault's keys it does list, and NULL.
 */
static const mlv_box_keypair *replying_key(const mlv_vault *v, const mlv_manifest *man, const char *manifest_path)
{
    char id[MLV_KEY_ID_STR_BYTES];
    size_t listed = 0, me = v->nrows;

    for (size_t i = 0; i < v->nrows; i++) {
        if (strcmp(v->rows[i].name, v->editor) == 0)
            me = i;
    }
    if (me == v->nrows)
        return NULL; /* unlocked vaults always name their key */
    if (mlv_man_find(man, v->keys[me]->id) >= 0)
        return v->keys[me];
    mlv_keyid_to_hex(id, v->rows[me].id);
    mlv_cli_error("editor key '%s' (key id %s) is not in the manifest '%s' (serial %llu): sources would refuse a reply "
                  "proven with it as possibly forged. Nothing was sealed.", v->editor, id, manifest_path,
                  (unsigned long long)man->serial);
    for (size_t i = 0; i < v->nrows; i++) {
        if (mlv_man_find(man, v->rows[i].id) >= 0)
            fprintf(stderr, "%s%s", listed++ == 0 ? "malyava: keys of this vault the manifest lists: " : ", ",
                    v->rows[i].name);
    }
    fprintf(stderr, listed > 0 ? "; unlock with one of them (--key NAME)\n"
                               : "malyava: no key of this vault is in that manifest; bring the current manifest, or "
                                 "ask the admin to add your key (malyava-keys manifest sign --add)\n");
    return NULL;
}

static void reply_usage(FILE *out)
{
    fprintf(out, "usage: malyava reply [--vault V] [--key NAME] [--passphrase-file F] --manifest MANIFEST "
                 "--org-key ORG.pub ID\n"
                 "                     (--message TEXT | --message-file FILE)\n"
                 "  --manifest and --org-key default to $MALYAVA_MANIFEST and $MALYAVA_ORG_KEY\n");
}

int mlv_cmd_reply(int argc, char **argv)
{
    static const struct option options[] = {
        MLV_VAULT_LONG_OPTIONS,
        { "message", required_argument, NULL, 'm' },
        { "message-file", required_argument, NULL, 'f' },
        { "manifest", required_argument, NULL, 'M' },
        { "org-key", required_argument, NULL, 'O' },
        { NULL, 0, NULL, 0 },
    };
    mlv_vault_args a = { 0 };
    const char *text_arg = NULL, *text_file = NULL, *manifest_path = NULL, *org_path = NULL;
    char *text = NULL, id_hex[MLV_VDB_UPLOAD_ID_BYTES], key_hex[2 * MLV_REPLY_KEY_BYTES + 1];
    uint8_t *file = NULL, *sealed = NULL, id[16];
    size_t file_len = 0, sealed_len = 0;
    const mlv_box_keypair *editor;
    mlv_manifest man;
    mlv_metadata m, answer;
    mlv_vault v;
    mlv_vdb_env e;
    mlv_env_status st;
    mlv_reply_status rs;
    int c, rc = 1, began = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "V:K:P:m:h", options, NULL)) != -1) {
        if (mlv_vault_arg(c, optarg, &a))
            continue;
        switch (c) {
        case 'm': text_arg = optarg; break;
        case 'f': text_file = optarg; break;
        case 'M': manifest_path = optarg; break;
        case 'O': org_path = optarg; break;
        case 'h': reply_usage(stdout); return 0;
        default: reply_usage(stderr); return 2;
        }
    }
    /* As the vault's path may come from MALYAVA_VAULT: the desk is started
     * once with all three, and its Reply box uses them. */
    if (manifest_path == NULL && (manifest_path = getenv("MALYAVA_MANIFEST")) != NULL && manifest_path[0] == '\0')
        manifest_path = NULL;
    if (org_path == NULL && (org_path = getenv("MALYAVA_ORG_KEY")) != NULL && org_path[0] == '\0')
        org_path = NULL;
    if (optind + 1 != argc || (text_arg == NULL) == (text_file == NULL) || manifest_path == NULL || org_path == NULL) {
        if (manifest_path == NULL || org_path == NULL)
            mlv_cli_error("reply needs the organisation's current manifest: give --manifest MANIFEST and --org-key "
                          "ORG.pub (or set MALYAVA_MANIFEST and MALYAVA_ORG_KEY). A reply is proven with your editor "
                          "key, and sources trust only keys that manifest lists");
        reply_usage(stderr);
        return 2;
    }
    if (text_file != NULL) {
        if (mlv_file_read_small(text_file, MLV_REPLY_MAX_TEXT_BYTES, &file, &file_len) != 0) {
            if (errno == EFBIG)
                mlv_cli_error("cannot read '%s': a reply is at most %u bytes of text", text_file,
                              MLV_REPLY_MAX_TEXT_BYTES);
            else
                mlv_cli_error("cannot read '%s': %s", text_file, strerror(errno));
            return 2;
        }
        text_arg = (const char *)file;
    }
    if (strlen(text_arg) == 0 || strlen(text_arg) > MLV_REPLY_MAX_TEXT_BYTES) {
        mlv_cli_error("a reply is 1 to %u bytes of text", MLV_REPLY_MAX_TEXT_BYTES);
        free(file);
        return 2;
    }
    memset(&m, 0, sizeof m);
    memset(&answer, 0, sizeof answer);
    memset(&e, 0, sizeof e);
    if ((text = strdup(text_arg)) == NULL || mlv_seal_load_manifest(manifest_path, org_path, &man) != 0 ||
        mlv_vault_start(&a, &v, 0) != 0) {
        free(text);
        free(file);
        return 1;
    }
    if (mlv_vault_check_id(&v, argv[optind], 0, NULL) != 0) {
        rc = 2;
        goto out;
    }
    if (mlv_vault_unlock_late(&a, &v) != 0 || (editor = replying_key(&v, &man, manifest_path)) == NULL ||
        mlv_vault_get_env(&v, argv[optind], &e) != 0)
        goto out;
    st = mlv_vault_record(&v, &e, &m);
    if (st != MLV_ENV_OK) {
        mlv_cli_error("cannot open testimony %lld: %s", (long long)e.id, mlv_env_strerror(st));
        goto out;
    }
    if (!m.has_reply_key) {
        mlv_cli_error("the source of testimony %lld gave no codename: a reply cannot reach them", (long long)e.id);
        goto out;
    }
    answer.message = text;
    rs = mlv_reply_seal(editor, m.reply_key, &answer, &sealed, &sealed_len);
    answer.message = NULL;
    if (rs != MLV_REPLY_OK) {
        mlv_cli_error("cannot seal the reply: %s", mlv_reply_strerror(rs));
        goto out;
    }
    randombytes_buf(id, sizeof id);
    sodium_bin2hex(id_hex, sizeof id_hex, id, sizeof id);
    sodium_bin2hex(key_hex, sizeof key_hex, m.reply_key, sizeof m.reply_key);
    if (mlv_vdb_begin(v.db) != MLV_VDB_OK)
        goto out;
    began = 1;
    if (mlv_vdb_reply_add(v.db, id_hex, e.id, key_hex, mlv_day_today(), sealed, sealed_len) != MLV_VDB_OK ||
        mlv_triage_add(&v, e.id, MLV_TRIAGE_REPLY, text) != 0 || mlv_vdb_commit(v.db) != MLV_VDB_OK) {
        mlv_cli_error("cannot store the reply: %s", mlv_vdb_reason(v.db));
        goto out;
    }
    began = 0;
    printf("reply to testimony %lld sealed and proven with editor key '%s' (%zu bytes); `malyava export-replies -o "
           "FILE` takes it to the server\n", (long long)e.id, v.editor, sealed_len);
    rc = 0;
out:
    if (began)
        mlv_vdb_rollback(v.db);
    sodium_memzero(text, strlen(text));
    free(text);
    if (file != NULL)
        sodium_memzero(file, file_len);
    free(file);
    free(sealed);
    mlv_meta_clear(&m);
    mlv_vdb_env_clear(&e);
    mlv_vault_close(&v);
    return rc;
}

typedef struct export_run {
    size_t unproven;
} export_run;

/* Replies sealed before they carried a proof (reply format 1) would be
 * refused by the server and hidden by sources' tools: they stay. */
static int exportable(void *ctx, const char *id, int64_t envelope, const uint8_t *data, size_t len)
{
    export_run *r = ctx;
    uint8_t recipient[MLV_KEY_ID_BYTES];

    if (mlv_reply_check_shape(data, len, recipient) == MLV_REPLY_OK)
        return 1;
    if (r->unproven++ == 0)
        fprintf(stderr, "malyava: left in the vault, sealed by an earlier malyava without proof of origin (sources "
                        "are no longer shown such replies); send each again with `malyava reply` (its text: "
                        "`malyava history ID`):\n");
    fprintf(stderr, "    reply %s to testimony %lld\n", id, (long long)envelope);
    return 0;
}

int mlv_cmd_export_replies(int argc, char **argv)
{
    static const struct option options[] = {
        MLV_VAULT_LONG_OPTIONS, { "output", required_argument, NULL, 'o' }, { NULL, 0, NULL, 0 },
    };
    mlv_vault_args a = { 0 };
    const char *out = NULL;
    size_t count = 0;
    export_run r = { 0 };
    mlv_vault v;
    int c, rc = 1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "V:K:P:o:h", options, NULL)) != -1) {
        if (mlv_vault_arg(c, optarg, &a))
            continue;
        if (c == 'o') {
            out = optarg;
            continue;
        }
        fprintf(c == 'h' ? stdout : stderr, "usage: malyava export-replies [--vault V] -o FILE\n");
        return c == 'h' ? 0 : 2;
    }
    if (out == NULL || optind != argc) {
        fprintf(stderr, "usage: malyava export-replies [--vault V] -o FILE\n");
        return 2;
    }
    /* Replies are sealed already: no passphrase needed to carry them. */
    if (mlv_vault_start(&a, &v, 0) != 0)
        return 1;
    if (mlv_vdb_replies_export(v.db, out, mlv_day_today(), exportable, &r, &count) != MLV_VDB_OK) {
        mlv_cli_error("%s", mlv_vdb_reason(v.db));
    } else {
        printf("wrote %zu repl%s to %s; on the server: malyava-dropbox import-replies DATA_DIR %s\n", count,
               count == 1 ? "y" : "ies", out, out);
        rc = 0;
    }
    mlv_vault_close(&v);
    return rc;
}

typedef struct rewrap_run {
    mlv_vault *v;
    mlv_box_public add[MLV_MAX_RECIPIENTS];
    size_t nadd;
    uint8_t remove[MLV_KEY_ID_BYTES];
    size_t nremove;
    size_t changed, unchanged, failed;
} rewrap_run;

static int rewrap_one(void *ctx, const mlv_vdb_env *e)
{
    rewrap_run *r = ctx;
    uint8_t *hdr = NULL;
    size_t len = 0;
    mlv_env_status st;

    st = mlv_env_rewrap(e->header, e->header_len, (const mlv_box_keypair *const *)r->v->keys, r->v->nrows, r->add,
                        r->nadd, r->nremove > 0 ? r->remove : NULL, r->nremove, &hdr, &len);
    if (st != MLV_ENV_OK) {
        fprintf(stderr, "malyava: testimony %lld left as it is: %s\n", (long long)e->id,
                st == MLV_ENV_ERR_USAGE ? "no key would be left to open it" : mlv_env_strerror(st));
        r->failed++;
        return 0;
    }
    if (len == e->header_len && memcmp(hdr, e->header, len) == 0) {
        r->unchanged++;
    } else if (mlv_vdb_env_update_keys(r->v->db, e->id, hdr, len, e->file_key_box, e->file_key_box_len) !=
               MLV_VDB_OK) {
        free(hdr);
        return 1;
    } else {
        r->changed++;
    }
    free(hdr);
    return 0;
}

static void rewrap_usage(FILE *out)
{
    fprintf(out, "usage: malyava rewrap [--vault V] [--key NAME] [--passphrase-file F] [--to NEW.pub] [--from OLDNAME]\n"
                 "  --to NEW.pub     seal every stored envelope's file key to this editor key too\n"
                 "  --from OLDNAME   take this vault key's stanzas off, sealing to the vault's keys in use\n");
}

int mlv_cmd_rewrap(int argc, char **argv)
{
    static const struct option options[] = {
        MLV_VAULT_LONG_OPTIONS,
        { "to", required_argument, NULL, 't' },
        { "from", required_argument, NULL, 'f' },
        { NULL, 0, NULL, 0 },
    };
    mlv_vault_args a = { 0 };
    const char *to = NULL, *from = NULL;
    rewrap_run r;
    mlv_vault v;
    int c, rc = 1, began = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "V:K:P:h", options, NULL)) != -1) {
        if (mlv_vault_arg(c, optarg, &a))
            continue;
        switch (c) {
        case 't': to = optarg; break;
        case 'f': from = optarg; break;
        case 'h': rewrap_usage(stdout); return 0;
        default: rewrap_usage(stderr); return 2;
        }
    }
    if (optind != argc || (to == NULL && from == NULL)) {
        rewrap_usage(stderr);
        return 2;
    }
    memset(&r, 0, sizeof r);
    if (to != NULL) {
        mlv_key_status ks = mlv_key_box_public_load(to, &r.add[0], NULL, 0);
        if (ks != MLV_KEY_OK) {
            mlv_cli_error("cannot use '%s': %s", to, mlv_key_strerror(ks));
            return 2;
        }
        r.nadd = 1;
    }
    if (mlv_vault_start(&a, &v, 0) != 0)
        return 1;
    r.v = &v;
    if (from != NULL) {
        size_t i;

        for (i = 0; i < v.nrows && strcmp(v.rows[i].name, from) != 0; i++)
            ;
        if (i == v.nrows) {
            mlv_cli_error("the vault has no key named '%s'; `malyava key list` shows its keys", from);
            rc = 2;
            goto out;
        }
        memcpy(r.remove, v.rows[i].id, MLV_KEY_ID_BYTES);
        r.nremove = 1;
        /* What leaves the old key goes to every key still in use. */
        for (size_t k = 0; k < v.nrows && r.nadd < MLV_MAX_RECIPIENTS; k++) {
            if (k != i && v.rows[k].retired_day < 0) {
                memcpy(r.add[r.nadd].id, v.rows[k].id, MLV_KEY_ID_BYTES);
                memcpy(r.add[r.nadd].pk, v.rows[k].pk, sizeof r.add[r.nadd].pk);
                r.nadd++;
            }
        }
    }
    if (mlv_vault_unlock_late(&a, &v) != 0 || mlv_vdb_begin(v.db) != MLV_VDB_OK)
        goto out;
    began = 1;
    if (mlv_vdb_env_each(v.db, rewrap_one, &r) != MLV_VDB_OK || mlv_vdb_commit(v.db) != MLV_VDB_OK) {
        mlv_cli_error("cannot rewrap: %s; the vault is unchanged", mlv_vdb_reason(v.db));
        goto out;
    }
    began = 0;
    printf("rewrapped %zu envelope%s, %zu already as asked, %zu left as they were\n", r.changed,
           r.changed == 1 ? "" : "s", r.unchanged, r.failed);
    rc = r.failed > 0 ? 1 : 0;
out:
    if (began)
        mlv_vdb_rollback(v.db);
    mlv_vault_close(&v);
    return rc;
}
