/* See vault.h. */
#include "vault.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/keyfile.h>
#include <malyava/manifest.h>
#include <malyava/passphrase.h>

#include "cli.h"

#define VAULT_KEY_BYTES crypto_secretbox_KEYBYTES
#define BOX_OVERHEAD (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
#define VAULT_PURPOSES 3u /* mlv_vault_purpose's values */
#define VAULT_KEYS_BYTES ((1u + VAULT_PURPOSES) * VAULT_KEY_BYTES)

static const char kdf_context[crypto_kdf_CONTEXTBYTES + 1] = "MLVVAULT";

/*
 * One payload opener per vault, reset for each envelope: its buffers are
 * locked memory, costly to map and unmap ten thousand times. Its
 * callbacks forward to whoever reads now.
 */
struct mlv_vault_cache {
    mlv_pay_opener *opener;
    const mlv_pay_callbacks *cb;
    void *cb_ctx;
    int record_seen;
};

_Static_assert(MLV_VDB_SEALED_KEY_BYTES == crypto_box_SEALBYTES + VAULT_KEY_BYTES, "sealed vault key size");
_Static_assert(VAULT_PURPOSES == MLV_VAULT_FILE_KEYS, "one cached sub-key per purpose");
_Static_assert(MLV_VDB_BOXED_KEY_BYTES == BOX_OVERHEAD + MLV_BOX_SECRET_BYTES, "boxed secret key size");

int mlv_vault_open(const char *path, mlv_vault *v)
{
    char reason[MLV_VDB_REASON_BYTES];
    struct stat st;

    memset(v, 0, sizeof *v);
    if (mlv_vdb_open(path, &v->db, reason) != MLV_VDB_OK) {
        mlv_cli_error("%s", reason);
        return -1;
    }
    if (stat(path, &st) == 0) {
        v->file_dev = (uint64_t)st.st_dev;
        v->file_ino = (uint64_t)st.st_ino;
    }
    if ((v->cache = calloc(1, sizeof *v->cache)) == NULL) {
        mlv_cli_error("out of memory");
        mlv_vault_close(v);
        return -1;
    }
    if (mlv_vdb_keys(v->db, &v->rows, &v->nrows) != MLV_VDB_OK) {
        mlv_cli_error("cannot read the vault's keys: %s", mlv_vdb_reason(v->db));
        mlv_vault_close(v);
        return -1;
    }
    return 0;
}

void mlv_vault_lock(mlv_vault *v)
{
    if (v->keys != NULL) {
        for (size_t i = 0; i < v->nrows; i++)
            mlv_key_box_free(v->keys[i]);
        free(v->keys);
        v->keys = NULL;
    }
    if (v->vault_key != NULL)
        sodium_free(v->vault_key);
    v->vault_key = NULL;
    if (v->cache != NULL) {
        mlv_pay_open_free(v->cache->opener);
        v->cache->opener = NULL;
    }
    v->editor = NULL;
}

void mlv_vault_close(mlv_vault *v)
{
    if (v->lent) {
        memset(v, 0, sizeof *v);
        return;
    }
    mlv_vault_lock(v);
    free(v->cache);
    free(v->rows);
    mlv_vdb_close(v->db);
    memset(v, 0, sizeof *v);
}

/* The vault key's sub-keys, derived once per run and kept beside it in
 * its locked memory: [0] the vault key, then one per purpose. */
static int subkey(const mlv_vault *v, mlv_vault_purpose purpose, uint8_t out[VAULT_KEY_BYTES])
{
    const uint8_t *cached = v->vault_key + (size_t)purpose * VAULT_KEY_BYTES;

    if ((unsigned)purpose < 1u || (unsigned)purpose > VAULT_PURPOSES)
        return -1;
    memcpy(out, cached, VAULT_KEY_BYTES);
    return 0;
}

/* Called whenever v->vault_key[0..32) is set. */
static int derive_subkeys(mlv_vault *v)
{
    for (unsigned p = 1; p <= VAULT_PURPOSES; p++) {
        if (crypto_kdf_derive_from_key(v->vault_key + (size_t)p * VAULT_KEY_BYTES, VAULT_KEY_BYTES, p, kdf_context,
                                       v->vault_key) != 0)
            return -1;
    }
    return 0;
}

int mlv_vault_seal(const mlv_vault *v, mlv_vault_purpose purpose, const uint8_t *plain, size_t len, uint8_t **out,
                   size_t *out_len)
{
    uint8_t key[VAULT_KEY_BYTES], *box;
    int ret = -1;

    *out = NULL;
    if (v->vault_key == NULL || len > SIZE_MAX - BOX_OVERHEAD || (box = malloc(len + BOX_OVERHEAD)) == NULL)
        return -1;
    if (subkey(v, purpose, key) != 0)
        goto out;
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, plain, len, box, key);
    *out = box;
    *out_len = len + BOX_OVERHEAD;
    box = NULL;
    ret = 0;
out:
    free(box);
    sodium_memzero(key, sizeof key);
    return ret;
}

int mlv_vault_unseal(const mlv_vault *v, mlv_vault_purpose purpose, const uint8_t *box, size_t box_len,
                     uint8_t *plain, size_t *len)
{
    uint8_t key[VAULT_KEY_BYTES];
    int ret = -1;

    if (v->vault_key == NULL || box == NULL || box_len < BOX_OVERHEAD || subkey(v, purpose, key) != 0)
        goto out;
    if (crypto_secretbox_open_easy(plain, box + crypto_secretbox_NONCEBYTES, box_len - crypto_secretbox_NONCEBYTES,
                                   box, key) != 0)
        goto out;
    *len = box_len - BOX_OVERHEAD;
    ret = 0;
out:
    sodium_memzero(key, sizeof key);
    return ret;
}

static const mlv_vdb_key *find_row(const mlv_vault *v, const char *name)
{
    for (size_t i = 0; i < v->nrows; i++) {
        if (name != NULL ? strcmp(v->rows[i].name, name) == 0 : v->rows[i].retired_day < 0)
            return &v->rows[i];
    }
    return name == NULL && v->nrows > 0 ? &v->rows[0] : NULL;
}

/* A registered secret key, opened from its own passphrase-protected copy. */
static int decode_row_with(const mlv_vdb_key *row, const char *pass, size_t pass_len, mlv_box_keypair *kp)
{
    mlv_key_info info;
    mlv_key_status ks;

    ks = mlv_key_secret_decode(row->secret_file, sizeof row->secret_file, MLV_KEY_KIND_EDITOR, pass, pass_len,
                               kp->sk, &info);
    if (ks != MLV_KEY_OK) {
        mlv_cli_error("cannot use editor key '%s': %s", row->name, mlv_key_strerror(ks));
        return -1;
    }
    memcpy(kp->id, info.id, sizeof kp->id);
    memcpy(kp->pk, info.pk, sizeof kp->pk);
    return 0;
}

/* The same, asking the passphrase on the terminal or reading its file. */
static int decode_row(const mlv_vdb_key *row, const char *pass_file, mlv_box_keypair *kp)
{
    char prompt[128], *pass = NULL;
    size_t pass_len = 0;
    mlv_pass_status ps;
    int rc;

    snprintf(prompt, sizeof prompt, "Passphrase of editor key '%s': ", row->name);
    ps = mlv_pass_read(pass_file, prompt, 0, &pass, &pass_len);
    if (ps != MLV_PASS_OK) {
        mlv_cli_error("cannot read the passphrase: %s", mlv_pass_strerror(ps));
        return -1;
    }
    rc = decode_row_with(row, pass, pass_len, kp);
    mlv_pass_free(pass);
    return rc;
}

/* Every registered key's secret, opened with the vault key. */
static int open_secrets(mlv_vault *v)
{
    size_t len;

    if ((v->keys = calloc(v->nrows > 0 ? v->nrows : 1u, sizeof *v->keys)) == NULL) {
        mlv_cli_error("out of memory");
        return -1;
    }
    for (size_t i = 0; i < v->nrows; i++) {
        uint8_t pk[MLV_BOX_PUBLIC_BYTES];

        if ((v->keys[i] = mlv_key_box_new()) == NULL) {
            mlv_cli_error("out of memory");
            return -1;
        }
        if (mlv_vault_unseal(v, MLV_VAULT_EDITOR_SECRETS, v->rows[i].secret_box, sizeof v->rows[i].secret_box,
                             v->keys[i]->sk, &len) != 0 ||
            len != MLV_BOX_SECRET_BYTES || crypto_scalarmult_base(pk, v->keys[i]->sk) != 0 ||
            sodium_memcmp(pk, v->rows[i].pk, sizeof pk) != 0) {
            mlv_cli_error("editor key '%s' in the vault is damaged", v->rows[i].name);
            return -1;
        }
        memcpy(v->keys[i]->pk, v->rows[i].pk, sizeof pk);
        memcpy(v->keys[i]->id, v->rows[i].id, sizeof v->keys[i]->id);
    }
    return 0;
}

/* Opens the vault key sealed in `row` with the key pair `kp` into v. */
static int open_vault_key(mlv_vault *v, const mlv_vdb_key *row, const mlv_box_keypair *kp)
{
    return crypto_box_seal_open(v->vault_key, row->vault_key, sizeof row->vault_key, kp->pk, kp->sk) == 0 &&
                   derive_subkeys(v) == 0
               ? 0
               : -1;
}

/* With `pass` NULL the passphrase is asked (or read from pass_file). */
static int unlock(mlv_vault *v, const char *name, const char *pass_file, const char *pass, size_t pass_len)
{
    const mlv_vdb_key *row = find_row(v, name);
    mlv_box_keypair *kp = mlv_key_box_new();
    int ret = -1;

    if (v->vault_key != NULL)
        mlv_vault_lock(v);
    if (kp == NULL || (v->vault_key = sodium_malloc(VAULT_KEYS_BYTES)) == NULL) {
        mlv_cli_error("out of memory");
        goto out;
    }
    if (row == NULL) {
        if (name != NULL)
            mlv_cli_error("the vault has no key named '%s'; `malyava key list` shows its keys", name);
        else
            mlv_cli_error("the vault has no editor key yet; add one with `malyava key add EDITOR.key`");
        goto out;
    }
    if ((pass != NULL ? decode_row_with(row, pass, pass_len, kp) : decode_row(row, pass_file, kp)) != 0)
        goto out;
    if (open_vault_key(v, row, kp) != 0) {
        mlv_cli_error("the vault key sealed to '%s' does not open: the vault is damaged", row->name);
        goto out;
    }
    if (open_secrets(v) != 0)
        goto out;
    v->editor = row->name;
    ret = 0;
out:
    mlv_key_box_free(kp);
    if (ret != 0)
        mlv_vault_lock(v);
    return ret;
}

int mlv_vault_unlock(mlv_vault *v, const char *name, const char *pass_file)
{
    return unlock(v, name, pass_file, NULL, 0);
}

int mlv_vault_unlock_with(mlv_vault *v, const char *name, const char *pass, size_t pass_len)
{
    return unlock(v, name, NULL, pass != NULL ? pass : "", pass_len);
}

int mlv_vault_reload_keys(mlv_vault *v)
{
    char editor[sizeof v->rows[0].name] = "";
    mlv_box_keypair *mine = NULL;
    int unlocked = v->vault_key != NULL, ret = -1;

    if (v->editor != NULL)
        snprintf(editor, sizeof editor, "%s", v->editor);
    if (v->keys != NULL) {
        for (size_t i = 0; i < v->nrows; i++) {
            if (mine == NULL && strcmp(v->rows[i].name, editor) == 0)
                mine = v->keys[i];
            else
                mlv_key_box_free(v->keys[i]);
        }
        free(v->keys);
        v->keys = NULL;
    }
    v->editor = NULL;
    free(v->rows);
    v->rows = NULL;
    v->nrows = 0;
    if (mlv_vdb_keys(v->db, &v->rows, &v->nrows) != MLV_VDB_OK) {
        mlv_cli_error("cannot read the vault's keys: %s", mlv_vdb_reason(v->db));
        goto out;
    }
    if (!unlocked) {
        ret = 0;
        goto out;
    }
    for (size_t i = 0; i < v->nrows; i++) {
        /* The same name for another key (removed, then added again) is not ours. */
        if (strcmp(v->rows[i].name, editor) == 0 && mine != NULL &&
            sodium_memcmp(v->rows[i].pk, mine->pk, sizeof mine->pk) == 0)
            v->editor = v->rows[i].name;
    }
    /* The vault may have been re-keyed meanwhile (a key removed): the key
     * that unlocked opens the new vault key if it is still registered, and
     * only then. */
    if (v->editor == NULL || mine == NULL) {
        mlv_cli_error("the key '%s' this session was unlocked with is no longer in the vault (removed); unlock "
                      "with another key", editor);
        goto out;
    }
    for (size_t i = 0; i < v->nrows; i++) {
        if (v->rows[i].name == v->editor && open_vault_key(v, &v->rows[i], mine) != 0) {
            mlv_cli_error("the vault key sealed to '%s' does not open: the vault is damaged", editor);
            goto out;
        }
    }
    ret = open_secrets(v);
out:
    mlv_key_box_free(mine);
    if (ret != 0)
        mlv_vault_lock(v);
    return ret;
}

int mlv_vault_fresh_key(mlv_vault *shell)
{
    memset(shell, 0, sizeof *shell);
    if ((shell->vault_key = sodium_malloc(VAULT_KEYS_BYTES)) == NULL) {
        mlv_cli_error("out of memory");
        return -1;
    }
    crypto_secretbox_keygen(shell->vault_key);
    if (derive_subkeys(shell) != 0) {
        mlv_vault_lock(shell);
        return -1;
    }
    return 0;
}

int mlv_vault_seal_key_to(const mlv_vault *v, const uint8_t pk[MLV_BOX_PUBLIC_BYTES],
                          uint8_t out[MLV_VDB_SEALED_KEY_BYTES])
{
    return v->vault_key != NULL && crypto_box_seal(out, v->vault_key, VAULT_KEY_BYTES, pk) == 0 ? 0 : -1;
}

void mlv_vault_adopt_key(mlv_vault *v, mlv_vault *shell)
{
    memcpy(v->vault_key, shell->vault_key, VAULT_KEYS_BYTES);
    mlv_vault_lock(shell);
}

int mlv_vault_key_file_check(const mlv_vault *v, const char *path, const char *name, uint8_t **file, size_t *len)
{
    mlv_box_public pub;

    *file = NULL;
    *len = 0;
    if (!mlv_key_name_valid(name, strlen(name))) {
        mlv_cli_error("'%s' is not a usable key name: use letters, digits, '-' and '_' (--name NAME)", name);
        return -1;
    }
    for (size_t i = 0; i < v->nrows; i++) {
        if (strcmp(v->rows[i].name, name) == 0) {
            mlv_cli_error("the vault already has a key named '%s'; choose another with --name", name);
            return -1;
        }
    }
    if (mlv_file_read_small(path, MLV_MAX_SMALL_FILE_BYTES, file, len) != 0) {
        mlv_cli_error("cannot read '%s': %s", path, strerror(errno));
        return -1;
    }
    if (*len == MLV_KEY_SECRET_FILE_BYTES)
        return 0;
    if (mlv_key_box_public_parse((const char *)*file, *len, &pub, NULL, 0) == MLV_KEY_OK)
        mlv_cli_error("'%s' is a public key: the vault needs the secret key file (EDITOR.key, beside the .pub), "
                      "which asks for its passphrase", path);
    else
        mlv_cli_error("'%s' is not an editor secret key file", path);
    free(*file);
    *file = NULL;
    return -1;
}

static int add_key(mlv_vault *v, const char *key_path, const char *name, const char *pass_file, const char *pass,
                   size_t pass_len)
{
    mlv_vdb_key row;
    mlv_box_keypair *kp = mlv_key_box_new();
    uint8_t *file = NULL, *box = NULL;
    size_t file_len = 0, box_len = 0;
    int ret = -1;

    memset(&row, 0, sizeof row);
    if (kp == NULL || mlv_vault_key_file_check(v, key_path, name, &file, &file_len) != 0)
        goto out;
    memcpy(row.secret_file, file, file_len);
    snprintf(row.name, sizeof row.name, "%s", name);
    if ((pass != NULL ? decode_row_with(&row, pass, pass_len, kp) : decode_row(&row, pass_file, kp)) != 0)
        goto out;
    for (size_t i = 0; i < v->nrows; i++) {
        if (memcmp(v->rows[i].id, kp->id, sizeof kp->id) == 0) {
            mlv_cli_error("this key is already in the vault, as '%s'", v->rows[i].name);
            goto out;
        }
    }
    if (v->vault_key == NULL) {
        /* Only an empty vault gets a new vault key; callers unlock otherwise. */
        if (v->nrows != 0 || (v->vault_key = sodium_malloc(VAULT_KEYS_BYTES)) == NULL)
            goto out;
        crypto_secretbox_keygen(v->vault_key);
        if (derive_subkeys(v) != 0)
            goto out;
    }
    memcpy(row.id, kp->id, sizeof row.id);
    memcpy(row.pk, kp->pk, sizeof row.pk);
    row.added_day = mlv_day_today();
    row.retired_day = -1;
    if (mlv_vault_seal_key_to(v, kp->pk, row.vault_key) != 0 ||
        mlv_vault_seal(v, MLV_VAULT_EDITOR_SECRETS, kp->sk, sizeof kp->sk, &box, &box_len) != 0 ||
        box_len != sizeof row.secret_box)
        goto out;
    memcpy(row.secret_box, box, box_len);
    if (mlv_vdb_key_add(v->db, &row) != MLV_VDB_OK) {
        mlv_cli_error("cannot store the key: %s", mlv_vdb_reason(v->db));
        goto out;
    }
    ret = 0;
out:
    mlv_key_box_free(kp);
    if (file != NULL)
        sodium_memzero(file, file_len);
    free(file);
    free(box);
    return ret;
}

int mlv_vault_add_key(mlv_vault *v, const char *key_path, const char *name, const char *pass_file)
{
    return add_key(v, key_path, name, pass_file, NULL, 0);
}

int mlv_vault_add_key_with(mlv_vault *v, const char *key_path, const char *name, const char *pass, size_t pass_len)
{
    return add_key(v, key_path, name, NULL, pass != NULL ? pass : "", pass_len);
}

mlv_env_status mlv_vault_file_key(const mlv_vault *v, const mlv_vdb_env *e, uint8_t key[MLV_ENV_FILE_KEY_BYTES])
{
    size_t len = 0;
    int index;

    if (e->file_key_box != NULL)
        return mlv_vault_unseal(v, MLV_VAULT_FILE_KEYS, e->file_key_box, e->file_key_box_len, key, &len) == 0 &&
                       len == MLV_ENV_FILE_KEY_BYTES
                   ? MLV_ENV_OK
                   : MLV_ENV_ERR_TAMPERED;
    if (v->keys == NULL || v->nrows == 0)
        return MLV_ENV_ERR_NOT_FOR_ME;
    return mlv_env_header_open(e->header, e->header_len, (const mlv_box_keypair *const *)v->keys, v->nrows, key,
                               &index);
}

static int fwd_metadata(void *ctx, const mlv_metadata *meta)
{
    struct mlv_vault_cache *c = ctx;

    c->record_seen = 1;
    return c->cb->on_metadata != NULL ? c->cb->on_metadata(c->cb_ctx, meta) : 0;
}

static int fwd_file_data(void *ctx, size_t index, const uint8_t *buf, size_t len)
{
    struct mlv_vault_cache *c = ctx;

    return c->cb->on_file_data != NULL ? c->cb->on_file_data(c->cb_ctx, index, buf, len) : 0;
}

static int fwd_file_end(void *ctx, size_t index)
{
    struct mlv_vault_cache *c = ctx;

    return c->cb->on_file_end != NULL ? c->cb->on_file_end(c->cb_ctx, index) : 0;
}

static const mlv_pay_callbacks forward = { fwd_metadata, fwd_file_data, fwd_file_end };

mlv_pay_opener *mlv_vault_opener(const mlv_vault *v, const uint8_t file_key[MLV_ENV_FILE_KEY_BYTES],
                                 const mlv_pay_callbacks *cb, void *ctx)
{
    struct mlv_vault_cache *c = v->cache;

    if (c == NULL)
        return NULL;
    c->cb = cb;
    c->cb_ctx = ctx;
    c->record_seen = 0;
    if (c->opener == NULL ? mlv_pay_open_new_file_key(&c->opener, file_key, &forward, c) != MLV_ENV_OK
                          : mlv_pay_open_reset_file_key(c->opener, file_key) != MLV_ENV_OK)
        return NULL;
    return c->opener;
}

typedef struct read_ctx {
    mlv_pay_opener *opener;
    mlv_env_status status;
    int record_only;
    const int *record_seen;
} read_ctx;

static int read_chunk(void *ctx, const uint8_t *data, size_t len)
{
    read_ctx *r = ctx;

    r->status = mlv_pay_open_feed(r->opener, data, len);
    return r->status != MLV_ENV_OK || (r->record_only && *r->record_seen);
}

mlv_env_status mlv_vault_read(const mlv_vault *v, const mlv_vdb_env *e, const mlv_pay_callbacks *cb, void *ctx,
                              int record_only, uint8_t receipt[MLV_RECEIPT_BYTES])
{
    uint8_t key[MLV_ENV_FILE_KEY_BYTES], ignored[MLV_RECEIPT_BYTES];
    read_ctx r = { .record_only = record_only, .status = MLV_ENV_OK };
    mlv_env_status st;

    st = mlv_vault_file_key(v, e, key);
    if (st == MLV_ENV_OK && (r.opener = mlv_vault_opener(v, key, cb, ctx)) == NULL)
        st = MLV_ENV_ERR_SYSTEM;
    sodium_memzero(key, sizeof key);
    if (st != MLV_ENV_OK)
        return st;
    r.record_seen = &v->cache->record_seen;
    st = mlv_pay_open_feed(r.opener, e->header, e->header_len);
    if (st == MLV_ENV_OK && mlv_vdb_env_payload(v->db, e->id, read_chunk, &r) != MLV_VDB_OK)
        st = MLV_ENV_ERR_SYSTEM;
    if (st == MLV_ENV_OK)
        st = r.status;
    if (st == MLV_ENV_OK && record_only && !v->cache->record_seen)
        st = MLV_ENV_ERR_TRUNCATED;
    if (st == MLV_ENV_OK && !record_only)
        st = mlv_pay_open_finish(r.opener, receipt != NULL ? receipt : ignored);
    return st;
}

static int copy_record(void *ctx, const mlv_metadata *meta)
{
    return mlv_meta_copy(meta, ctx) == MLV_ENV_OK ? 0 : -1;
}

mlv_env_status mlv_vault_record(const mlv_vault *v, const mlv_vdb_env *e, mlv_metadata *out)
{
    static const mlv_pay_callbacks cb = { copy_record, NULL, NULL };
    mlv_env_status st;

    memset(out, 0, sizeof *out);
    st = mlv_vault_read(v, e, &cb, out, 1, NULL);
    if (st != MLV_ENV_OK)
        mlv_meta_clear(out);
    return st;
}
