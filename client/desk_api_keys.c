/*
 * The keys that open the vault: the list with how many testimonies each
 * is sealed to (how far a rewrap went), adding one, retiring one, moving
 * a retired key's testimonies to the keys in use, removing one for good
 * (revocation: the vault is re-keyed), and the vault's backup. Retiring,
 * rewrapping, removing and the backup run the command line's verbs.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include <malyava/keyid.h>
#include <malyava/manifest.h>

#include "desk_index.h"
#include "desk_routes.h"
#include "inbox.h"

void mlv_desk_api_keys(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    const mlv_vault *v = &d->vault;
    size_t *counts = calloc(v->nrows > 0 ? v->nrows : 1u, sizeof *counts);
    json_t *keys;

    (void)r;
    if (counts == NULL || mlv_inbox_sealed_counts(v, counts) != 0) {
        free(counts);
        mlv_desk_reply_error(resp, 500, "failed", "cannot read the vault's envelopes");
        return;
    }
    keys = json_array();
    for (size_t i = 0; i < v->nrows; i++) {
        char id[MLV_KEY_ID_STR_BYTES], fp[MLV_FINGERPRINT_STR_BYTES];

        mlv_keyid_to_hex(id, v->rows[i].id);
        mlv_keyid_fingerprint(fp, v->rows[i].pk, sizeof v->rows[i].pk);
        json_array_append_new(keys, json_pack("{s:s, s:s, s:s, s:o, s:o, s:I, s:b}", "name", v->rows[i].name, "id",
                                              id, "fingerprint", fp, "added", mlv_desk_day(v->rows[i].added_day),
                                              "retired", mlv_desk_day(v->rows[i].retired_day), "sealed",
                                              (json_int_t)counts[i], "unlocked_with",
                                              v->editor != NULL && strcmp(v->editor, v->rows[i].name) == 0));
    }
    free(counts);
    mlv_desk_reply_json(resp, 200, json_pack("{s:o, s:I}", "keys", keys, "total",
                                             (json_int_t)mlv_desk_index_count(d->index)));
}

/* After keys changed in this process: rows, secrets and the index again
 * (a new key may open testimonies no key opened before). */
static int keys_changed(mlv_desk *d)
{
    return mlv_vault_reload_keys(&d->vault) == 0 && mlv_desk_open_index(d) == 0 ? 0 : -1;
}

typedef struct add_call {
    mlv_desk *d;
    const char *path, *name;
    const mlv_desk_req *r;
} add_call;

static int do_add(void *ctx)
{
    add_call *a = ctx;

    return mlv_vault_add_key_with(&a->d->vault, a->path, a->name, (const char *)a->r->body, a->r->body_len);
}

/* POST /api/keys/add?path=KEYFILE&name=NAME with the key file's
 * passphrase as the body (application/octet-stream), as /api/unlock. */
void mlv_desk_api_key_add(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    add_call a = { d, mlv_desk_arg(r, "path"), mlv_desk_arg(r, "name"), r };
    char *why = NULL;
    int rc;

    if (r->content_type == NULL || strcasecmp(r->content_type, "application/octet-stream") != 0 ||
        r->body_len > MLV_MAX_PASSPHRASE_BYTES || a.path == NULL || a.path[0] != '/' || a.name == NULL ||
        a.name[0] == '\0' || strlen(a.name) > MLV_MAX_EDITOR_NAME_BYTES) {
        mlv_desk_reply_error(resp, 400, "bad-request",
                             "give the key file's absolute path, a name, and its passphrase as the body");
        return;
    }
    rc = mlv_desk_with_stderr(do_add, &a, &why);
    if (rc != 0) {
        mlv_desk_reply_error(resp, 400, "key-add-failed", why);
        free(why);
        return;
    }
    free(why);
    if (keys_changed(d) != 0) {
        mlv_desk_reply_error(resp, 500, "failed", "the key was added, but the desk could not read the vault again");
        return;
    }
    mlv_desk_api_keys(d, r, resp);
}

/* `key retire NAME`, `rewrap --from NAME` or `key remove NAME`. */
static void key_verb(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp, const char *verb, const char *sub)
{
    char *argv[4] = { (char *)(uintptr_t)verb, (char *)(uintptr_t)sub, NULL, NULL };
    mlv_desk_form f;
    json_t *body;

    if (mlv_desk_read_form(r, resp, MLV_DESK_F_NAME, MLV_DESK_F_NAME, &f) != 0)
        return;
    argv[2] = (char *)(uintptr_t)f.name;
    body = mlv_desk_verb_json(d, argv, resp);
    mlv_desk_form_clear(&f);
    if (body == NULL)
        return;
    if (keys_changed(d) != 0) {
        json_decref(body);
        mlv_desk_reply_error(resp, 500, "failed", "the desk could not read the vault again");
        return;
    }
    mlv_desk_reply_json(resp, 200, body);
}

void mlv_desk_api_key_retire(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    key_verb(d, r, resp, "key", "retire");
}

void mlv_desk_api_key_rewrap(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    key_verb(d, r, resp, "rewrap", "--from");
}

/* After a removal the vault has a new vault key: the desk's own key
 * opens it (mlv_vault_reload_keys), the removed one nothing. */
void mlv_desk_api_key_revoke(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    key_verb(d, r, resp, "key", "remove");
}

/* POST /api/backup {path}: `malyava backup PATH`, from the desk's own
 * connection; no key is needed, nothing in the index changes. */
void mlv_desk_api_backup(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    char verb[] = "backup";
    char *argv[3] = { verb, NULL, NULL };
    mlv_desk_form f;
    json_t *body;

    if (mlv_desk_read_form(r, resp, MLV_DESK_F_PATH, MLV_DESK_F_PATH, &f) != 0)
        return;
    argv[1] = (char *)(uintptr_t)f.path;
    body = mlv_desk_verb_json(d, argv, resp);
    mlv_desk_form_clear(&f);
    if (body != NULL)
        mlv_desk_reply_json(resp, 200, body);
}
