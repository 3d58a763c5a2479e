/* What every `malyava` subcommand shares: messages, option values. */
#ifndef MALYAVA_CLIENT_CLI_H
#define MALYAVA_CLIENT_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <malyava/payload.h>

/* Prints "malyava: <message>\n" to stderr. */
void mlv_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* What a server said, as ": TEXT" on the current line: only a one-line
 * answer of at most MLV_SUBMIT_MAX_ERROR_BYTES, through the terminal-safe
 * writer (a hostile server could otherwise clear the screen and draw a
 * message of its own). Nothing at all for anything else. */
void mlv_cli_server_text(FILE *out, const char *text, size_t len);

/*
 * "17", "17,18,25" or "17-40,52": many testimonies for one unlock, so a
 * batch costs one passphrase, not one per testimony. *ids malloc'd; at
 * most MLV_TRIAGE_MAX_BATCH. Prints the problem and returns -1.
 */
int mlv_cli_parse_ids(const char *arg, int64_t **ids, size_t *n);

/* Splits NAME=VALUE into a field (pointers into `arg`, which is modified).
 * Prints the problem and returns -1 if NAME is not [a-z0-9_]{1,64}. */
int mlv_cli_parse_field(char *arg, mlv_field *out);

/* A media type for a file name's extension, or "application/octet-stream". */
const char *mlv_cli_media_type(const char *name);

/* The last path component, for use as an attachment name. */
const char *mlv_cli_basename(const char *path);

/*
 * Checks made before any passphrase is asked, so that a mistake costs no
 * unlock. Each prints what is wrong and what to do, and returns -1.
 * A new file: `path` must not exist, and its folder must exist and be
 * writable (a read-only USB stick is named as such; `hint`, when not
 * NULL, says what to do then, e.g. which option writes elsewhere).
 */
int mlv_cli_check_new_file(const char *path, const char *what, const char *hint);
/* A file written again and again (an ack file): its folder exists and is
 * writable, and if it exists it is a file. */
int mlv_cli_check_replaceable(const char *path, const char *what, const char *hint);
/* An output folder: either a folder already, or one that can be made
 * in an existing, writable folder. */
int mlv_cli_check_out_dir(const char *path);
/* A file to read: it exists and is a regular file. */
int mlv_cli_check_input(const char *path, const char *what);

/* At most `max_chars` characters of hostile `text` on one line: cut by
 * characters, never inside one; line breaks and tabs shown as spaces;
 * the rest through termsafe; "..." when cut. Returns the characters
 * written, for lining up columns. */
size_t mlv_cli_print_cut(FILE *out, const char *text, size_t max_chars);

#endif
