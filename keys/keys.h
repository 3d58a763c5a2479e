/*
 * malyava-keys: the organisation admin's offline tool. main.c dispatches;
 * each group of commands has its own file; util.c holds what they share
 * (messages, paths, passphrases).
 */
#ifndef MALYAVA_KEYS_KEYS_H
#define MALYAVA_KEYS_KEYS_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include <malyava/keyfile.h>
#include <malyava/manifest.h>
#include <malyava/passphrase.h>

#define MLV_KEYS_EXIT_OK 0
#define MLV_KEYS_EXIT_FAIL 1
#define MLV_KEYS_EXIT_USAGE 2

/* Options every command shares. */
typedef struct mlv_keys_opts {
    const char *dir;       /* --dir, default "." */
    const char *pass_file; /* --passphrase-file */
    mlv_key_kdf kdf;       /* --kdf, default sensitive */
} mlv_keys_opts;

int mlv_keys_cmd_init(int argc, char **argv, mlv_keys_opts *o);
int mlv_keys_cmd_editor(int argc, char **argv, mlv_keys_opts *o);
int mlv_keys_cmd_passwd(int argc, char **argv, mlv_keys_opts *o);
int mlv_keys_cmd_manifest(int argc, char **argv, mlv_keys_opts *o);
int mlv_keys_cmd_show(int argc, char **argv, mlv_keys_opts *o);

/* getopt_long codes of the shared options; a command's table lists only
 * those it takes. */
#define MLV_KEYS_OPT_DIR { "dir", required_argument, NULL, 'D' }
#define MLV_KEYS_OPT_KDF { "kdf", required_argument, NULL, 'K' }
#define MLV_KEYS_OPT_PASS { "passphrase-file", required_argument, NULL, 'P' }
#define MLV_KEYS_OPT_HELP { "help", no_argument, NULL, 'h' }
/* Handles a shared option; 1 if `c` was one, 0 if not, -1 after printing
 * a usage error for a bad value. */
int mlv_keys_common_option(int c, const char *arg, mlv_keys_opts *o, const char *usage);
/* The usage error for getopt's '?' or ':'. */
int mlv_keys_bad_option(char **argv, const char *usage);

/* "malyava-keys: <message>" on stderr; returns MLV_KEYS_EXIT_FAIL. */
int mlv_keys_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The message, then `usage`; returns MLV_KEYS_EXIT_USAGE. */
int mlv_keys_usage(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "<what> '<path>': <why>. <what to do>" for a key-file status (errno
 * for MLV_KEY_ERR_IO); returns MLV_KEYS_EXIT_FAIL. */
int mlv_keys_key_fail(const char *what, const char *path, mlv_key_status st);

/* dir/name as a malloc'd string, or NULL. */
char *mlv_keys_path(const char *dir, const char *name);
/* Creates `dir` (one level, 0700) unless it exists; prints the error. */
int mlv_keys_ensure_dir(const char *dir);
/*
 * Files the admin carries to the server (org.pub, the manifest and its
 * signature, editors' public keys) are public: readable by all, so the
 * server's own user can read a copy, while secret keys stay 0600.
 */
#define MLV_KEYS_PUBLIC_MODE 0644
/* Sets MLV_KEYS_PUBLIC_MODE on a file just written (never through a
 * symlink); prints the error and returns -1 on failure. */
int mlv_keys_make_public(const char *path);
/* Refuses (with a message) when anything, even a dangling link, is at `path`. */
int mlv_keys_refuse_existing(const char *path);

/* The passphrase for `path`, from the option's file or the terminal. */
int mlv_keys_passphrase(const char *file, const char *prompt, const char *path, int is_new, char **pass,
                        size_t *len);

/* The editor name of `id` from dir/editors/<name>.pub, if one is there;
 * names live only in the admin's directory, never in the manifest. */
void mlv_keys_editor_name(const char *dir, const uint8_t id[MLV_KEY_ID_BYTES], char *name, size_t size);
/* One key line: "  <id>  <fingerprint>  <name>". */
void mlv_keys_print_key(const char *dir, const uint8_t id[MLV_KEY_ID_BYTES], const uint8_t pk[32]);
/* Serial, dates and one line per key. */
void mlv_keys_print_manifest(const char *dir, const mlv_manifest *m);

#endif
