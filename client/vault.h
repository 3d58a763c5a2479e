/*
 * The editors' vault, above db.h: who may open it and how what it holds is
 * sealed (docs/FORMAT.md §6).
 *
 * A vault has one random vault key. It is sealed to every registered
 * editor key, so any one editor's passphrase opens the vault; every
 * editor secret key is in turn kept under the vault key, so one unlock
 * gives all keys, retired ones included, and an envelope sealed to any of
 * them opens. Sub-keys of the vault key seal triage events (status, tags,
 * notes, assignments) and each envelope's file key, which import keeps so
 * that listing and searching decrypt with a fast symmetric key instead of
 * an X25519 operation per envelope. Nothing is stored in clear but ids,
 * sizes, days, receipts and the sealed envelopes themselves.
 */
#ifndef MALYAVA_CLIENT_VAULT_H
#define MALYAVA_CLIENT_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include <malyava/payload.h>

#include "vdb.h"

typedef struct mlv_vault {
    mlv_vdb *db;
    uint8_t *vault_key;      /* sodium_malloc'd; NULL until unlocked */
    mlv_vdb_key *rows;       /* every registered key, oldest first */
    size_t nrows;
    mlv_box_keypair **keys;  /* their secrets after unlocking, same order */
    const char *editor;      /* name of the key that unlocked: signs triage events */
    struct mlv_vault_cache *cache; /* a reusable opener (vault.c) */
    uint64_t file_dev, file_ino;   /* which file it is, to tell vaults apart */
    int lent;                /* a copy of the desk's: closing it closes nothing */
} mlv_vault;

/* Where the vault is: --vault, else $MALYAVA_VAULT; NULL (and a message) if neither. */
const char *mlv_vault_path(const char *option);

/* Opens and checks the vault; prints the problem and returns -1. */
int mlv_vault_open(const char *path, mlv_vault *v);
void mlv_vault_close(mlv_vault *v);

/*
 * Asks for the passphrase of key `name` (NULL: the oldest key in use) and
 * opens the vault key and every editor key. Prints the problem and
 * returns -1: wrong passphrase, no such key, damaged vault.
 */
int mlv_vault_unlock(mlv_vault *v, const char *name, const char *pass_file);
/* The same with the passphrase given (the desk's unlock form), which the
 * caller keeps in guarded memory and wipes. */
int mlv_vault_unlock_with(mlv_vault *v, const char *name, const char *pass, size_t pass_len);
/* Wipes and frees what unlocking gave (vault key, sub-keys, editor
 * secrets, the opener's buffers); the vault stays open, locked. */
void mlv_vault_lock(mlv_vault *v);
/* Reads the key rows again and, when unlocked, opens the secret of every
 * key: after this process added or retired one. -1 after a message. */
int mlv_vault_reload_keys(mlv_vault *v);

/* Whether `path` can be registered under `name`: a name the vault has
 * not, a file that is an editor secret key (a public one is named as
 * such). Checked before any passphrase is asked. *file gets the file's
 * bytes (the caller wipes and frees them); -1 after a message. */
int mlv_vault_key_file_check(const mlv_vault *v, const char *path, const char *name, uint8_t **file, size_t *len);
/* Registers an editor key file under `name`. The first key creates the
 * vault key; later ones need the vault unlocked. */
int mlv_vault_add_key(mlv_vault *v, const char *key_path, const char *name, const char *pass_file);
/* The same with the key file's passphrase given. */
int mlv_vault_add_key_with(mlv_vault *v, const char *key_path, const char *name, const char *pass, size_t pass_len);

/* Re-keying (vault_rekey.c): `shell`, zeroed by this call, gets a fresh
 * vault key and its sub-keys, so mlv_vault_seal and mlv_vault_seal_key_to
 * seal under the new key while `v` still opens the old; then
 * mlv_vault_adopt_key makes it v's (into v's own buffer, so copies lent
 * to verbs stay valid) and wipes the shell. */
int mlv_vault_fresh_key(mlv_vault *shell);
void mlv_vault_adopt_key(mlv_vault *v, mlv_vault *shell);
/* The vault key sealed to an editor's public key (editor_keys.vault_key). */
int mlv_vault_seal_key_to(const mlv_vault *v, const uint8_t pk[MLV_BOX_PUBLIC_BYTES],
                          uint8_t out[MLV_VDB_SEALED_KEY_BYTES]);

/* What removing a key did (mlv_vault_remove_key). */
typedef struct mlv_vault_removal {
    size_t headers;   /* envelopes whose header lost the key's stanza */
    size_t only;      /* of those, the ones sealed to no other key of the vault: now to the keys in use */
    size_t file_keys; /* file keys sealed anew under the new vault key */
    size_t events;    /* triage events sealed anew */
    size_t keys;      /* keys left, the new vault key sealed to each */
} mlv_vault_removal;

/*
 * Revocation: removes key `name` for good, in one transaction. Every
 * envelope header loses its stanza (sealed to the keys in use instead
 * when no other key of the vault was in it); a new vault key is made and
 * sealed to the remaining keys only; every file key, triage event and
 * editor secret is sealed anew under it; the key's row, with its
 * passphrase-protected file, is deleted. Afterwards nothing in the vault
 * file opens with that key or its passphrase. `v` must be unlocked with
 * another key. Prints what failed and returns -1, the vault unchanged.
 */
int mlv_vault_remove_key(mlv_vault *v, const char *name, mlv_vault_removal *out);

/* What a sub-key of the vault key seals. */
typedef enum mlv_vault_purpose {
    MLV_VAULT_EVENTS = 1,
    MLV_VAULT_EDITOR_SECRETS = 2,
    MLV_VAULT_FILE_KEYS = 3
} mlv_vault_purpose;

/* nonce ‖ secretbox under the purpose's sub-key; *out malloc'd. */
int mlv_vault_seal(const mlv_vault *v, mlv_vault_purpose purpose, const uint8_t *plain, size_t len, uint8_t **out,
                   size_t *out_len);
/* The reverse into `plain` of at least box_len - 40 bytes; *len set. */
int mlv_vault_unseal(const mlv_vault *v, mlv_vault_purpose purpose, const uint8_t *box, size_t box_len,
                     uint8_t *plain, size_t *len);

/* An envelope's file key: from its sealed copy, or else by opening the
 * header with the editor keys. MLV_ENV_ERR_NOT_FOR_ME when no key fits. */
mlv_env_status mlv_vault_file_key(const mlv_vault *v, const mlv_vdb_env *e, uint8_t key[MLV_ENV_FILE_KEY_BYTES]);

/*
 * The vault's one payload opener, reset for the envelope whose file key
 * this is, delivering to `cb`: feed it the header, then the payload.
 * Valid until the next call; NULL if out of memory.
 */
mlv_pay_opener *mlv_vault_opener(const mlv_vault *v, const uint8_t file_key[MLV_ENV_FILE_KEY_BYTES],
                                 const mlv_pay_callbacks *cb, void *ctx);

/*
 * Streams an envelope through a payload opener with `cb`. With
 * `record_only`, stops once the metadata record arrived (list, search):
 * what was read is authenticated chunk by chunk; the rest is not read.
 */
mlv_env_status mlv_vault_read(const mlv_vault *v, const mlv_vdb_env *e, const mlv_pay_callbacks *cb, void *ctx,
                              int record_only, uint8_t receipt[MLV_RECEIPT_BYTES]);

/* The metadata record of envelope `e` (deep copy into *out). */
mlv_env_status mlv_vault_record(const mlv_vault *v, const mlv_vdb_env *e, mlv_metadata *out);


/* ---- what every vault command takes ---- */

typedef struct mlv_vault_args {
    const char *vault;     /* --vault, else $MALYAVA_VAULT */
    const char *key;       /* --key NAME: whose passphrase unlocks */
    const char *pass_file; /* --passphrase-file */
} mlv_vault_args;

#define MLV_VAULT_LONG_OPTIONS                                                              \
    { "vault", required_argument, NULL, 'V' }, { "key", required_argument, NULL, 'K' },     \
        { "passphrase-file", required_argument, NULL, 'P' }, { "help", no_argument, NULL, 'h' }

/* Takes -V/-K/-P; 1 if `c` was one of them. */
int mlv_vault_arg(int c, const char *arg, mlv_vault_args *a);
/* Opens the vault of `a` and, with `unlock`, unlocks it; -1 after a message. */
int mlv_vault_start(const mlv_vault_args *a, mlv_vault *v, int unlock);
/* The envelope named by a command-line ID; -1 after a message. A deleted
 * one is refused (its history stays: `malyava history`). */
int mlv_vault_get_env(const mlv_vault *v, const char *arg, mlv_vdb_env *e);
/* Checks that `arg` names a testimony of the vault, before any unlock,
 * so that a mistake costs no passphrase: -1 after a message. With
 * `deleted_ok`, a deleted one passes. *id (optional) gets its number. */
int mlv_vault_check_id(const mlv_vault *v, const char *arg, int deleted_ok, int64_t *id);
/* For the verbs that take ID[,ID|FIRST-LAST]...: parses `arg`, opens the
 * vault, checks that every number names a testimony, then unlocks. 0
 * (the caller closes v and frees *ids), or the exit status after a
 * message: 2 for a wrong list, 1 when the vault would not open. */
int mlv_vault_start_batch(const mlv_vault_args *a, mlv_vault *v, const char *arg, int64_t **ids, size_t *n);
/* Unlocks a vault started without (mlv_vault_start(a, v, 0)) once the
 * arguments are checked; a vault lent by the desk is unlocked already. */
int mlv_vault_unlock_late(const mlv_vault_args *a, mlv_vault *v);

/*
 * The desk lends its unlocked vault to the verbs it runs for the command
 * line: while lent, mlv_vault_start gives a copy of `v` (closing the copy
 * closes nothing) instead of opening and unlocking, when the verb names
 * this vault (--vault, else `client_vault_env`, the client's
 * $MALYAVA_VAULT) and no other key (--key). Otherwise it prints nothing,
 * fails, and mlv_vault_lend_refused() is 1: the client runs the verb
 * itself. mlv_vault_lend(NULL, NULL) ends the loan.
 */
void mlv_vault_lend(mlv_vault *v, const char *client_vault_env);
int mlv_vault_lend_refused(void);

#endif
