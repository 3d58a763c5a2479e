/*
 * DATA_DIR/config: "key = value" lines, '#' comments. Every limit has a
 * default from limits.h and a range; a flag of the same name with dashes
 * (--max-disk-bytes) overrides a key for one run. One table drives the
 * parser, the flags, the file `init` writes and `--help`.
 */
#ifndef MALYAVA_DROPBOX_CONFIG_H
#define MALYAVA_DROPBOX_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include <malyava/limits.h>

/* "[ipv6]:port" at most; ADDR:PORT text as given. */
#define MLV_CFG_LISTEN_BYTES 64u
#define MLV_CFG_DEFAULT_LISTEN "127.0.0.1:8080"
/* The editors' routes: their own loopback port, for their own onion
 * service with client authorization (docs/DEPLOY.md). */
#define MLV_CFG_DEFAULT_EDITORS_LISTEN "127.0.0.1:8081"
/* editors_listen = off: no editors' listener; the host's commands remain. */
#define MLV_CFG_LISTEN_OFF "off"
#define MLV_CFG_TOKEN_HASH_BYTES 32u

typedef struct mlv_cfg {
    char listen[MLV_CFG_LISTEN_BYTES];
    char editors_listen[MLV_CFG_LISTEN_BYTES]; /* ADDR:PORT or MLV_CFG_LISTEN_OFF */
    uint64_t allow_public_listen;              /* 0 or 1 */
    uint64_t allow_public_editors_listen;      /* 0 or 1 */
    uint64_t max_submission_bytes;
    uint64_t max_disk_bytes;
    uint64_t min_free_bytes;
    uint64_t max_pending_uploads;
    uint64_t max_connections;
    uint64_t timeout_seconds;
    uint64_t upload_expiry_hours;
    uint64_t manifest_grace_days;
    uint64_t threads;
    uint64_t reply_account_days;
    uint64_t max_reply_accounts;
    uint64_t retention_days;
    uint64_t pow_bits;
    uint64_t nojs_max_concurrent;
    uint64_t nojs_max_disk_bytes;
    uint64_t nojs_min_rate;
    uint64_t nojs_grace_seconds;
    uint64_t seccomp; /* mlv_harden_mode */
    int has_export_token;
    /* BLAKE2b-256 of the 32 decoded token bytes; the token itself is never stored. */
    uint8_t export_token_hash[MLV_CFG_TOKEN_HASH_BYTES];
} mlv_cfg;

void mlv_cfg_defaults(mlv_cfg *c);

/* Reads and applies a config file. Prints what is wrong (file, line, key,
 * allowed range) and returns -1 on the first error. */
int mlv_cfg_load(mlv_cfg *c, const char *path);

/* The same over `len` bytes of text already read; `name` (the file's
 * name) goes into messages. */
int mlv_cfg_parse(mlv_cfg *c, const char *text, size_t len, const char *name);

/* Applies one "key = value" setting; `where` names its origin for
 * messages ("config:12", "--max-disk-bytes"). Returns -1 after printing. */
int mlv_cfg_set(mlv_cfg *c, const char *key, size_t key_len, const char *value, const char *where);

/* Parses ADDR:PORT or [IPv6]:PORT (numeric only). 0 or -1. */
int mlv_cfg_listen_parse(const char *s, struct sockaddr_storage *ss, socklen_t *ss_len);

/* Is `flag` (without the leading "--", dashes for underscores) a setting
 * on the command line? Returns the config key or NULL; *is_switch tells a
 * 0/1 setting, which a bare flag turns on ("--allow-public-listen"). */
const char *mlv_cfg_flag_key(const char *flag, size_t flag_len, int *is_switch);

/*
 * `text` (a config file) with every export_token_hash line's value
 * replaced by `hash` in hex, or such a line appended if there is none;
 * every other byte stays as it was. *out is malloc'd. 0, or -1 when memory
 * runs out.
 */
int mlv_cfg_set_token_hash(const char *text, size_t len, const uint8_t hash[MLV_CFG_TOKEN_HASH_BYTES], char **out,
                           size_t *out_len);

/* The text `init` writes: every key with its default, commented. *out is
 * malloc'd. */
int mlv_cfg_format(const mlv_cfg *c, char **out, size_t *out_len);

/* One line per flag, for --help. */
void mlv_cfg_print_flags(FILE *out);

#endif
