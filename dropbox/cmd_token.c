/*
 * The editors' export token: made by `init`, replaced by
 * `new-export-token` when it is lost or may have leaked (it is enough to
 * export and purge everything). Only its BLAKE2b-256 is kept, in
 * DATA_DIR/config; a running server reads that hash from the file on every
 * editors' request, so a replaced token stops working at once, without a
 * reload or a restart.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/fileio.h>

#include "commands.h"
#include "log.h"
#include "store.h"

int mlv_cmd_token_new(mlv_cfg *cfg, char **printable)
{
    const size_t b64_len = sodium_base64_ENCODED_LEN(MLV_SRV_EXPORT_TOKEN_BYTES,
                                                     sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    uint8_t *token = sodium_malloc(MLV_SRV_EXPORT_TOKEN_BYTES);
    char *b64 = sodium_malloc(b64_len);
    int rc = -1;

    if (token == NULL || b64 == NULL)
        goto out;
    randombytes_buf(token, MLV_SRV_EXPORT_TOKEN_BYTES);
    crypto_generichash(cfg->export_token_hash, sizeof cfg->export_token_hash, token, MLV_SRV_EXPORT_TOKEN_BYTES,
                       NULL, 0);
    cfg->has_export_token = 1;
    sodium_bin2base64(b64, b64_len, token, MLV_SRV_EXPORT_TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    *printable = b64;
    b64 = NULL;
    rc = 0;
out:
    sodium_free(token);
    sodium_free(b64);
    return rc;
}

/* The replacement must stay readable by the server, which runs as the
 * data directory's owner: written by anyone else (root, say) it would
 * lock the editors out instead. */
static int owner_ok(const char *path)
{
    struct stat st;

    if (lstat(path, &st) != 0) {
        mlv_log_msg("cannot read configuration '%s': %s; is this a data directory made by `malyava-dropbox init`?",
                    path, strerror(errno));
        return 0;
    }
    if (!S_ISREG(st.st_mode)) {
        mlv_log_msg("'%s' is not a regular file; restore the configuration `init` wrote", path);
        return 0;
    }
    if (st.st_uid != geteuid()) {
        mlv_log_msg("'%s' belongs to user id %lu, not to this user: run new-export-token as the server's user "
                    "(sudo -u malyava ...), so the server can still read the configuration",
                    path, (unsigned long)st.st_uid);
        return 0;
    }
    return 1;
}

static void token_help(void)
{
    printf("usage: malyava-dropbox new-export-token DATA_DIR\n"
           "Replaces the editors' export token and prints the new one once (only its hash is kept).\n"
           "The old token stops working at once, for a running server too; nothing else in\n"
           "DATA_DIR/config changes.\n");
}

int mlv_cmd_new_export_token(int argc, char **argv)
{
    char path[PATH_MAX], *text = NULL, *fresh_text = NULL, *token = NULL;
    size_t len = 0, fresh_len = 0;
    mlv_cfg cfg, check;
    int rc = 1;

    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        token_help();
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-')
        return mlv_cmd_usage_error("new-export-token needs DATA_DIR");
    if ((size_t)snprintf(path, sizeof path, "%s/%s", argv[1], MLV_STORE_CONFIG) >= sizeof path)
        return mlv_cmd_usage_error("new-export-token: the path is too long");
    if (!owner_ok(path))
        goto out;
    if (mlv_file_read_small(path, MLV_MAX_SMALL_FILE_BYTES, (uint8_t **)&text, &len) != 0) {
        mlv_log_msg("cannot read configuration '%s': %s", path, errno == EFBIG ? "file too large" : strerror(errno));
        goto out;
    }
    /* A configuration that does not load now is not ours to edit: the
     * admin's mistake would be hidden behind a new token. */
    mlv_cfg_defaults(&cfg);
    if (mlv_cfg_parse(&cfg, text, len, MLV_STORE_CONFIG) != 0) {
        mlv_log_msg("nothing was changed; fix '%s' first (`malyava-dropbox serve DATA_DIR --check-config` checks it)",
                    path);
        goto out;
    }
    if (mlv_cmd_token_new(&cfg, &token) != 0 ||
        mlv_cfg_set_token_hash(text, len, cfg.export_token_hash, &fresh_text, &fresh_len) != 0) {
        mlv_log_msg("out of memory; nothing was changed");
        goto out;
    }
    mlv_cfg_defaults(&check);
    if (mlv_cfg_parse(&check, fresh_text, fresh_len, MLV_STORE_CONFIG) != 0 || !check.has_export_token ||
        sodium_memcmp(check.export_token_hash, cfg.export_token_hash, sizeof cfg.export_token_hash) != 0) {
        mlv_log_msg("the rewritten configuration does not read back with the new token; nothing was changed");
        goto out;
    }
    if (mlv_file_replace(path, fresh_text, fresh_len) != 0) {
        mlv_log_msg("cannot replace '%s': %s; the old token still works", path, strerror(errno));
        goto out;
    }
    printf("malyava-dropbox: new export token for %s, shown this once (only its hash is kept).\n"
           "The old token no longer works, on a running server too. Hand this one to the editors:\n%s\n",
           argv[1], token);
    rc = 0;
out:
    sodium_free(token);
    free(fresh_text);
    free(text);
    return rc;
}
