/* What every `malyava` subcommand shares: messages, option values. */
#ifndef MALYAVA_CLIENT_CLI_H
#define MALYAVA_CLIENT_CLI_H

#include <stddef.h>
#include <stdio.h>

#include <malyava/payload.h>

/* Prints "malyava: <message>\n" to stderr. */
void mlv_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Splits NAME=VALUE into a field (pointers into `arg`, which is modified).
 * Prints the problem and returns -1 if NAME is not [a-z0-9_]{1,64}. */
int mlv_cli_parse_field(char *arg, mlv_field *out);

/* A media type for a file name's extension, or "application/octet-stream". */
const char *mlv_cli_media_type(const char *name);

/* The last path component, for use as an attachment name. */
const char *mlv_cli_basename(const char *path);

/* A deep copy of a metadata record; 0 or -1 (out of memory). */
int mlv_cli_meta_copy(const mlv_metadata *m, mlv_metadata *out);

/* Characters, not bytes, in the first `max_bytes` of UTF-8 text: for
 * lining up columns. */
size_t mlv_cli_utf8_chars(const char *s, size_t max_bytes);
/* At most `max` bytes of hostile `text` on one line through termsafe, cut
 * at a character boundary, "..." when cut. */
void mlv_cli_print_cut(FILE *out, const char *text, size_t max);

#endif
