/* Helpers shared by the malyava subcommands: see cli.h. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>


#include <malyava/limits.h>
#include <malyava/termsafe.h>

#include "text.h"

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

/* The folder a path is in ("." for a bare name). */
static void parent_of(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
        snprintf(out, size, ".");
    else if (slash == path)
        snprintf(out, size, "/");
    else
        snprintf(out, size, "%.*s", (int)(slash - path), path);
}

/* The folder `dir` exists and this process may write there. */
static int writable_dir(const char *dir, const char *what, const char *hint)
{
    struct stat st;

    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        mlv_cli_error("cannot write %s: the folder '%s' does not exist", what, dir);
        return -1;
    }
    if (access(dir, W_OK) != 0) {
        mlv_cli_error("cannot write %s in '%s': %s%s%s", what, dir,
                      errno == EROFS ? "it is read-only (a USB stick with its lock switch on, or mounted read-only)"
                                     : strerror(errno),
                      hint != NULL ? "; " : "", hint != NULL ? hint : "");
        return -1;
    }
    return 0;
}

int mlv_cli_check_new_file(const char *path, const char *what, const char *hint)
{
    char dir[PATH_MAX];
    struct stat st;

    if (path[0] == '\0') {
        mlv_cli_error("an empty name for %s", what);
        return -1;
    }
    if (lstat(path, &st) == 0) {
        mlv_cli_error("'%s' exists; %s never replaces a file: choose a new name", path, what);
        return -1;
    }
    parent_of(path, dir, sizeof dir);
    return writable_dir(dir, what, hint);
}

int mlv_cli_check_replaceable(const char *path, const char *what, const char *hint)
{
    char dir[PATH_MAX];
    struct stat st;

    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        mlv_cli_error("cannot write %s '%s': something that is not a file is there", what, path);
        return -1;
    }
    parent_of(path, dir, sizeof dir);
    return writable_dir(dir, what, hint);
}

int mlv_cli_check_out_dir(const char *path)
{
    char dir[PATH_MAX];
    struct stat st;

    if (path[0] == '\0') {
        mlv_cli_error("an empty name for the output folder");
        return -1;
    }
    if (lstat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            mlv_cli_error("'%s' exists and is not a folder; name a new folder", path);
            return -1;
        }
        return writable_dir(path, "the output", NULL);
    }
    parent_of(path, dir, sizeof dir);
    return writable_dir(dir, "the output folder", NULL);
}

int mlv_cli_check_input(const char *path, const char *what)
{
    struct stat st;

    if (stat(path, &st) != 0) {
        mlv_cli_error("cannot read %s '%s': %s", what, path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        mlv_cli_error("%s '%s' is not a file", what, path);
        return -1;
    }
    return 0;
}

/* One decimal number of the list: [1, INT64_MAX]. */
static int list_number(const char *s, const char **end, int64_t *out)
{
    char *e = NULL;
    long long v;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoll(s, &e, 10);
    if (errno != 0 || v <= 0)
        return -1;
    *end = e;
    *out = v;
    return 0;
}

int mlv_cli_parse_ids(const char *arg, int64_t **ids, size_t *n)
{
    const char *p = arg;
    int64_t *list = NULL;
    size_t count = 0;

    *ids = NULL;
    *n = 0;
    for (;;) {
        int64_t first, last;

        if (list_number(p, &p, &first) != 0)
            goto bad;
        last = first;
        if (*p == '-' && (list_number(p + 1, &p, &last) != 0 || last < first))
            goto bad;
        for (int64_t id = first; id <= last; id++) {
            int64_t *grown;

            if (count == MLV_TRIAGE_MAX_BATCH) {
                mlv_cli_error("at most %u testimonies at once", MLV_TRIAGE_MAX_BATCH);
                free(list);
                return -1;
            }
            if ((grown = realloc(list, (count + 1) * sizeof *list)) == NULL) {
                free(list);
                return -1;
            }
            list = grown;
            list[count++] = id;
        }
        if (*p == '\0')
            break;
        if (*p++ != ',')
            goto bad;
    }
    *ids = list;
    *n = count;
    return 0;
bad:
    free(list);
    mlv_cli_error("'%s' is not a list of testimony numbers; write e.g. 17 or 17,18,25 or 17-40", arg);
    return -1;
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

size_t mlv_cli_print_cut(FILE *out, const char *text, size_t max_chars)
{
    size_t chars = 0, len = text != NULL ? mlv_text_cut(text, max_chars, &chars) : 0;

    /* One line: a line break or tab in hostile text is a space here, and
     * the rest goes through termsafe. */
    for (size_t i = 0; i < len;) {
        size_t run = strcspn(text + i, "\n\r\t");

        if (run > len - i)
            run = len - i;
        if (run > 0)
            mlv_termsafe_write(out, text + i, run, 0);
        i += run;
        if (i < len) {
            fputc(' ', out);
            i++;
        }
    }
    if (text != NULL && text[len] != '\0') {
        fputs("...", out);
        chars += 3;
    }
    return chars;
}
