/* The subcommands of malyava-dropbox and what they share. */
#ifndef MALYAVA_DROPBOX_COMMANDS_H
#define MALYAVA_DROPBOX_COMMANDS_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "db.h"
#include "store.h"
#include "trust.h"

#define MLV_CMD_MAX_OVERRIDES 32

/* Settings given as flags, applied over the config file. */
typedef struct mlv_cmd_overrides {
    size_t n;
    const char *key[MLV_CMD_MAX_OVERRIDES];
    const char *value[MLV_CMD_MAX_OVERRIDES];
    const char *flag[MLV_CMD_MAX_OVERRIDES];
} mlv_cmd_overrides;

/*
 * If argv[*i] is a setting flag ("--max-disk-bytes 10GiB" or
 * "--max-disk-bytes=10GiB"), records it, moves *i past it and returns 1;
 * returns 0 if it is not one, -1 after printing a usage error.
 */
int mlv_cmd_take_setting(mlv_cmd_overrides *o, int argc, char **argv, int *i);
int mlv_cmd_apply_settings(mlv_cfg *c, const mlv_cmd_overrides *o);
void mlv_cmd_print_usage(FILE *out);
/* "malyava-dropbox: ..." and exit status 2. */
int mlv_cmd_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int mlv_cmd_init(int argc, char **argv);
int mlv_cmd_serve(int argc, char **argv);
int mlv_cmd_install_manifest(int argc, char **argv);
int mlv_cmd_stats(int argc, char **argv);
int mlv_cmd_export(int argc, char **argv);
int mlv_cmd_ack(int argc, char **argv);
int mlv_cmd_import_replies(int argc, char **argv);
int mlv_cmd_new_export_token(int argc, char **argv);
int mlv_cmd_setup(int argc, char **argv);
int mlv_cmd_check(int argc, char **argv);

/* What stats and check read of a data directory: its config, files,
 * database and manifests (an expired manifest too). -1 after logging;
 * the caller closes what was opened either way. */
int mlv_admin_open(const char *data_dir, int64_t today, mlv_cfg *cfg, mlv_store *store, mlv_db **db,
                   mlv_trust **trust);

/* A new export token: its BLAKE2b-256 goes into cfg->export_token_hash,
 * the base64url text to print into *printable (sodium_malloc'd: release
 * it with sodium_free). 0, or -1 when memory runs out. */
int mlv_cmd_token_new(mlv_cfg *cfg, char **printable);

#endif
