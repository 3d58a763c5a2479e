/* Helpers shared by the malyava subcommands: see cli.h. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include <malyava/limits.h>
#include <malyava/termsafe.h>

void mlv_cli_error(const char *fmt, ...)
{
    va_list ap;

    fputs("malyava: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void mlv_cli_server_text(FILE *out, const char *text, size_t len)
{
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    if (len == 0 || len > MLV_SUBMIT_MAX_ERROR_BYTES || memchr(text, '\n', len) != NULL)
        return;
    fputs(": ", out);
    mlv_termsafe_write(out, text, len, 0);
}

int mlv_cli_parse_field(char *arg, mlv_field *out)
{
    char *eq = strchr(arg, '=');
    size_t name_len;

    if (eq == NULL) {
        mlv_cli_error("--field '%s' has no '='; write it as NAME=VALUE, e.g. --field place=IK-2", arg);
        return -1;
    }
    name_len = (size_t)(eq - arg);
    if (name_len == 0 || name_len > MLV_MAX_FIELD_NAME_BYTES ||
        strspn(arg, "abcdefghijklmnopqrstuvwxyz0123456789_") != name_len) {
        mlv_cli_error("field name '%.*s' is not allowed; use 1 to %u of a-z, 0-9 and _",
                      (int)(name_len > 64 ? 64 : name_len), arg, MLV_MAX_FIELD_NAME_BYTES);
        return -1;
    }
    *eq = '\0';
    out->name = arg;
    out->value = eq + 1;
    return 0;
}

const char *mlv_cli_media_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } table[] = {
        { "jpg", "image/jpeg" },  { "jpeg", "image/jpeg" }, { "png", "image/png" },
        { "gif", "image/gif" },   { "webp", "image/webp" }, { "heic", "image/heic" },
        { "mp4", "video/mp4" },   { "mov", "video/quicktime" }, { "webm", "video/webm" },
        { "3gp", "video/3gpp" },  { "mp3", "audio/mpeg" },  { "m4a", "audio/mp4" },
        { "ogg", "audio/ogg" },   { "opus", "audio/ogg" },  { "wav", "audio/wav" },
        { "amr", "audio/amr" },   { "pdf", "application/pdf" }, { "txt", "text/plain" },
        { "doc", "application/msword" },
        { "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
        { "zip", "application/zip" },
    };
    const char *dot = strrchr(name, '.');

    if (dot != NULL) {
        for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
            if (strcasecmp(dot + 1, table[i].ext) == 0)
                return table[i].type;
        }
    }
    return "application/octet-stream";
}

const char *mlv_cli_basename(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash == NULL ? path : slash + 1;
}

size_t mlv_cli_utf8_chars(const char *s, size_t max_bytes)
{
    size_t n = 0;

    for (size_t i = 0; s[i] != '\0' && i < max_bytes; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

void mlv_cli_print_cut(FILE *out, const char *text, size_t max)
{
    size_t len = text != NULL ? strlen(text) : 0;

    if (len > max) {
        len = max;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--;
    }
    if (len > 0)
        mlv_termsafe_write(out, text, len, 0);
    if (text != NULL && len < strlen(text))
        fputs("...", out);
}
