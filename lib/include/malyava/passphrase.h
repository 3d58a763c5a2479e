/*
 * Passphrases: from the terminal without echo, or from a file for
 * scripts; never from the command line, where every user sees it.
 * The result lives in sodium_malloc memory.
 */
#ifndef MALYAVA_PASSPHRASE_H
#define MALYAVA_PASSPHRASE_H

#include <stddef.h>

typedef enum mlv_pass_status {
    MLV_PASS_OK = 0,
    MLV_PASS_ERR_NO_TTY,    /* no terminal and no --passphrase-file */
    MLV_PASS_ERR_MISMATCH,  /* the confirmation differed */
    MLV_PASS_ERR_TOO_SHORT, /* a new passphrase under MLV_MIN_PASSPHRASE_BYTES */
    MLV_PASS_ERR_TOO_LONG,
    MLV_PASS_ERR_EMPTY,
    MLV_PASS_ERR_IO,        /* the file could not be read (errno set) */
    MLV_PASS_ERR_SYSTEM
} mlv_pass_status;

const char *mlv_pass_strerror(mlv_pass_status status);

/*
 * Reads one passphrase. With `file` set, its first line (without the line
 * end) is the passphrase. Otherwise it is asked on /dev/tty with `prompt`,
 * echo off; `is_new` asks twice and enforces the minimum length (a file
 * is trusted to be what the admin meant). *out is sodium_malloc'd,
 * NUL-terminated; free it with mlv_pass_free.
 */
mlv_pass_status mlv_pass_read(const char *file, const char *prompt, int is_new, char **out, size_t *out_len);
void mlv_pass_free(char *pass);

#endif
