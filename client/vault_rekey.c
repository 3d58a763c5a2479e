/*
 * Revocation: removing an editor key from the vault for good (vault.h,
 * mlv_vault_remove_key; docs/FORMAT.md §6).
 *
 * Retiring a key only marks it: the vault key stays sealed to it, so its
 * passphrase still opens everything. Removing it must leave nothing in
 * the vault file that the key, or its passphrase, opens:
 *
 *   - envelope headers lose its stanza (rewrap), so its secret key file,
 *     wherever a copy of it lives, opens no envelope stored here;
 *   - a new vault key is sealed to the remaining keys only, and
 *     everything sealed under sub-keys of the old one (file keys, triage
 *     events, editor secrets) is sealed anew under the new one, so the
 *     old vault key, which the removed editor could have kept, opens
 *     nothing either;
 *   - its row, with its passphrase-protected key file, is deleted (the
 *     vault's secure_delete zeroes the bytes).
 *
 * All in one transaction: a crash or an error leaves the vault as it was.
 * What it cannot undo: a copy of the vault file made before the removal
 * still opens with the removed key, as it did that day.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "vault.h"

#define ID_BATCH 256u

typedef struct rekey {
    mlv_vault *v;
    mlv_vault next;               /* a shell holding the new vault key */
    size_t gone;                  /* index of the removed key in v->rows */
    mlv_box_public in_use[MLV_MAX_RECIPIENTS]; /* what a header left with no vault key is sealed to */
    size_t nin_use;
    mlv_vault_removal *out;
} rekey;

static int index_of(const mlv_vault *v, const char *name, size_t *i)
{
    for (*i = 0; *i < v->nrows; (*i)++) {
        if (strcmp(v->rows[*i].name, name) == 0)
            return 0;
    }
    return -1;
}

/* Whether the header names a key of the vault other than the removed. */
static int names_key(const rekey *r, const mlv_env_header *h, int want_removed)
{
    for (uint32_t s = 0; s < h->nrecipients; s++) {
        for (size_t k = 0; k < r->v->nrows; k++) {
            if ((k == r->gone) == want_removed && memcmp(h->key_ids[s], r->v->rows[k].id, MLV_KEY_ID_BYTES) == 0)
                return 1;
        }
    }
    return 0;
}

/* The header without the removed key's stanza; *out NULL when it had none. */
static int new_header(rekey *r, const mlv_vdb_env *e, uint8_t **out, size_t *out_len)
{
    mlv_env_header h;
    mlv_env_status st;
    int others;

    *out = NULL;
    if (mlv_env_header_parse(e->header, e->header_len, &h) != MLV_ENV_OK || !names_key(r, &h, 1))
        return 0;
    others = names_key(r, &h, 0);
    st = mlv_env_rewrap(e->header, e->header_len, (const mlv_box_keypair *const *)r->v->keys, r->v->nrows,
                        r->in_use, others ? 0 : r->nin_use, r->v->rows[r->gone].id, 1, out, out_len);
    if (st != MLV_ENV_OK) {
        mlv_cli_error("testimony %lld cannot be sealed away from key '%s': %s. Nothing was changed%s",
                      (long long)e->id, r->v->rows[r->gone].name, mlv_env_strerror(st),
                      st == MLV_ENV_ERR_TAMPERED || st == MLV_ENV_ERR_MALFORMED
                          ? "; if no key opens it, `malyava delete` removes it"
                          : "");
        return -1;
    }
    r->out->headers++;
    r->out->only += !others;
    return 0;
}

/* One envelope: its header, and its file key under the new vault key. */
static int reseal_envelope(rekey *r, int64_t id)
{
    uint8_t key[MLV_ENV_FILE_KEY_BYTES], *hdr = NULL, *box = NULL;
    size_t hdr_len = 0, box_len = 0;
    mlv_vdb_env e;
    mlv_env_status st;
    int ret = -1;

    if (mlv_vdb_env_get(r->v->db, id, &e) != MLV_VDB_OK) {
        mlv_cli_error("cannot read testimony %lld: %s", (long long)id, mlv_vdb_reason(r->v->db));
        return -1;
    }
    if (e.deleted) {
        ret = 0;
        goto out;
    }
    st = mlv_vault_file_key(r->v, &e, key);
    if (st == MLV_ENV_OK) {
        if (mlv_vault_seal(&r->next, MLV_VAULT_FILE_KEYS, key, sizeof key, &box, &box_len) != 0)
            goto out;
        r->out->file_keys++;
    } else if (st != MLV_ENV_ERR_NOT_FOR_ME) {
        mlv_cli_error("the key stored for testimony %lld does not open: the vault is damaged; restore it from its "
                      "backup. Nothing was changed", (long long)id);
        goto out;
    }
    if (new_header(r, &e, &hdr, &hdr_len) != 0)
        goto out;
    if (mlv_vdb_env_update_keys(r->v->db, e.id, hdr != NULL ? hdr : e.header, hdr != NULL ? hdr_len : e.header_len,
                                box, box_len) != MLV_VDB_OK) {
        mlv_cli_error("cannot write testimony %lld: %s", (long long)id, mlv_vdb_reason(r->v->db));
        goto out;
    }
    ret = 0;
out:
    sodium_memzero(key, sizeof key);
    free(hdr);
    free(box);
    mlv_vdb_env_clear(&e);
    return ret;
}

static int reseal_envelopes(rekey *r)
{
    int64_t ids[ID_BATCH], after = 0;
    size_t n;

    do {
        if (mlv_vdb_env_ids(r->v->db, after, ids, ID_BATCH, &n) != MLV_VDB_OK) {
            mlv_cli_error("cannot read the vault: %s", mlv_vdb_reason(r->v->db));
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            if (reseal_envelope(r, ids[i]) != 0)
                return -1;
        }
        after = n > 0 ? ids[n - 1] : after;
    } while (n == ID_BATCH);
    return 0;
}

static int reseal_event(void *ctx, int64_t envelope, const uint8_t *box, size_t len, uint8_t **out, size_t *out_len)
{
    rekey *r = ctx;
    uint8_t *plain = len > 0 ? malloc(len) : NULL;
    size_t plain_len = 0;
    int ret = -1;

    if (plain == NULL || mlv_vault_unseal(r->v, MLV_VAULT_EVENTS, box, len, plain, &plain_len) != 0) {
        mlv_cli_error("a triage event of testimony %lld does not open: the vault is damaged; restore it from its "
                      "backup. Nothing was changed", (long long)envelope);
        goto out;
    }
    if (mlv_vault_seal(&r->next, MLV_VAULT_EVENTS, plain, plain_len, out, out_len) != 0)
        goto out;
    r->out->events++;
    ret = 0;
out:
    if (plain != NULL)
        sodium_memzero(plain, len);
    free(plain);
    return ret;
}

/* The remaining keys: the new vault key sealed to each, their secrets
 * under the new sub-key; then the removed row goes. */
static int reseal_keys(rekey *r)
{
    mlv_vault *v = r->v;

    for (size_t i = 0; i < v->nrows; i++) {
        uint8_t sealed[MLV_VDB_SEALED_KEY_BYTES], *box = NULL;
        size_t box_len = 0;
        int ok;

        if (i == r->gone)
            continue;
        ok = mlv_vault_seal_key_to(&r->next, v->rows[i].pk, sealed) == 0 &&
             mlv_vault_seal(&r->next, MLV_VAULT_EDITOR_SECRETS, v->keys[i]->sk, sizeof v->keys[i]->sk, &box,
                            &box_len) == 0 &&
             box_len == MLV_VDB_BOXED_KEY_BYTES &&
             mlv_vdb_key_reseal(v->db, v->rows[i].id, sealed, box) == MLV_VDB_OK;
        free(box);
        if (!ok) {
            mlv_cli_error("cannot seal the new vault key to '%s': %s", v->rows[i].name, mlv_vdb_reason(v->db));
            return -1;
        }
        r->out->keys++;
    }
    if (mlv_vdb_key_remove(v->db, v->rows[r->gone].id) != MLV_VDB_OK) {
        mlv_cli_error("cannot remove key '%s': %s", v->rows[r->gone].name, mlv_vdb_reason(v->db));
        return -1;
    }
    return 0;
}

/* What a header that would keep no key of the vault is sealed to: the
 * keys in use, or every remaining key when none is in use. */
static void choose_in_use(rekey *r)
{
    for (int retired_too = 0; retired_too < 2 && r->nin_use == 0; retired_too++) {
        for (size_t k = 0; k < r->v->nrows && r->nin_use < MLV_MAX_RECIPIENTS; k++) {
            if (k == r->gone || (!retired_too && r->v->rows[k].retired_day >= 0))
                continue;
            memcpy(r->in_use[r->nin_use].id, r->v->rows[k].id, MLV_KEY_ID_BYTES);
            memcpy(r->in_use[r->nin_use].pk, r->v->rows[k].pk, MLV_BOX_PUBLIC_BYTES);
            r->nin_use++;
        }
    }
}

int mlv_vault_remove_key(mlv_vault *v, const char *name, mlv_vault_removal *out)
{
    rekey r;
    int began = 0, ret = -1;

    memset(&r, 0, sizeof r);
    memset(out, 0, sizeof *out);
    r.v = v;
    r.out = out;
    if (index_of(v, name, &r.gone) != 0) {
        mlv_cli_error("the vault has no key named '%s'; `malyava key list` shows its keys", name);
        return -1;
    }
    if (v->nrows < 2) {
        mlv_cli_error("'%s' is the vault's only key: removing it would lock everyone out. Add another key first "
                      "(`malyava key add`)", name);
        return -1;
    }
    if (v->vault_key == NULL || v->keys == NULL || v->editor == NULL || strcmp(v->editor, name) == 0) {
        mlv_cli_error("unlock with a key that stays (--key NAME), not with '%s': that proves the vault still "
                      "opens without it", name);
        return -1;
    }
    choose_in_use(&r);
    if (mlv_vault_fresh_key(&r.next) != 0)
        return -1;
    if (mlv_vdb_begin(v->db) != MLV_VDB_OK) {
        mlv_cli_error("cannot write the vault: %s", mlv_vdb_reason(v->db));
        goto out;
    }
    began = 1;
    if (reseal_envelopes(&r) != 0)
        goto out;
    switch (mlv_vdb_event_reseal(v->db, reseal_event, &r)) {
    case MLV_VDB_OK: break;
    case MLV_VDB_REFUSED: goto out;
    default: mlv_cli_error("cannot re-seal the triage events: %s", mlv_vdb_reason(v->db)); goto out;
    }
    if (reseal_keys(&r) != 0)
        goto out;
    if (mlv_vdb_commit(v->db) != MLV_VDB_OK) {
        mlv_cli_error("cannot save the removal: %s; nothing was changed", mlv_vdb_reason(v->db));
        goto out;
    }
    began = 0;
    mlv_vault_adopt_key(v, &r.next);
    /* A copy the desk lent shares its rows and secrets: the desk reads
     * them again itself once the verb is done (desk_api_keys.c). */
    ret = v->lent ? 0 : mlv_vault_reload_keys(v);
out:
    if (began)
        mlv_vdb_rollback(v->db);
    mlv_vault_lock(&r.next);
    return ret;
}
