/* What the malyava-keys commands share: see keys.h. */
#include "keys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <malyava/keyid.h>

static void vmessage(const char *fmt, va_list ap)
{
    fputs("malyava-keys: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int mlv_keys_fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmessage(fmt, ap);
    va_end(ap);
    return MLV_KEYS_EXIT_FAIL;
}

int mlv_keys_usage(const char *usage, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmessage(fmt, ap);
    va_end(ap);
    fprintf(stderr, "usage: %s\n", usage);
    return MLV_KEYS_EXIT_USAGE;
}

int mlv_keys_key_fail(const char *what, const char *path, mlv_key_status st)
{
    if (st != MLV_KEY_ERR_IO)
        return mlv_keys_fail("%s '%s': %s", what, path, mlv_key_strerror(st));
    if (errno == EEXIST)
        return mlv_keys_fail("%s '%s': it already exists. Move it away first; keys are never overwritten", what,
                             path);
    return mlv_keys_fail("%s '%s': %s. Check the path and its permissions", what, path, strerror(errno));
}

char *mlv_keys_path(const char *dir, const char *name)
{
    char *path = NULL;

    if (asprintf(&path, "%s/%s", dir, name) < 0)
        return NULL;
    return path;
}

int mlv_keys_ensure_dir(const char *dir)
{
    struct stat st;

    if (mkdir(dir, 0700) == 0)
        return 0;
    if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    if (errno == EEXIST)
        errno = ENOTDIR;
    mlv_keys_fail("cannot create directory '%s': %s. Create its parent, or choose another --dir", dir,
                  strerror(errno));
    return -1;
}

int mlv_keys_make_public(const char *path)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc = -1;

    /* The descriptor, not the name, is checked and changed: a link swapped
     * in after the write cannot lend its target the new mode. */
    if (fd >= 0 && fstat(fd, &st) == 0) {
        if (!S_ISREG(st.st_mode))
            errno = EINVAL;
        else if (fchmod(fd, MLV_KEYS_PUBLIC_MODE) == 0)
            rc = 0;
    }
    if (rc != 0)
        mlv_keys_fail("cannot make '%s' readable by all (chmod 644): %s. It is public: make it so before you carry "
                      "it, or the server's user cannot read it",
                      path, strerror(errno));
    if (fd >= 0)
        close(fd);
    return rc;
}

int mlv_keys_refuse_existing(const char *path)
{
    struct stat st;

    if (lstat(path, &st) != 0 && errno == ENOENT)
        return 0;
    mlv_keys_fail("'%s' already exists. Move it away first; keys are never overwritten", path);
    return -1;
}

int mlv_keys_passphrase(const char *file, const char *prompt, const char *path, int is_new, char **pass,
                        size_t *len)
{
    mlv_pass_status ps = mlv_pass_read(file, prompt, is_new, pass, len);

    if (ps == MLV_PASS_OK)
        return 0;
    if (ps == MLV_PASS_ERR_IO)
        mlv_keys_fail("cannot read the passphrase file '%s': %s. Check the path and its permissions", file,
                      strerror(errno));
    else
        mlv_keys_fail("cannot read the passphrase for '%s': %s", path, mlv_pass_strerror(ps));
    return -1;
}

void mlv_keys_editor_name(const char *dir, const uint8_t id[MLV_KEY_ID_BYTES], char *name, size_t size)
{
    char *editors = mlv_keys_path(dir, "editors");
    DIR *d = editors != NULL ? opendir(editors) : NULL;
    struct dirent *e;

    name[0] = '\0';
    while (d != NULL && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        mlv_box_public pub;
        char *path;

        if (n < 5 || strcmp(e->d_name + n - 4, ".pub") != 0)
            continue;
        path = mlv_keys_path(editors, e->d_name);
        if (path != NULL && mlv_key_box_public_load(path, &pub, name, size) == MLV_KEY_OK &&
            memcmp(pub.id, id, MLV_KEY_ID_BYTES) == 0) {
            free(path);
            break;
        }
        name[0] = '\0';
        free(path);
    }
    if (d != NULL)
        closedir(d);
    free(editors);
}

void mlv_keys_print_key(const char *dir, const uint8_t id[MLV_KEY_ID_BYTES], const uint8_t pk[32])
{
    char hex[MLV_KEY_ID_STR_BYTES], fp[MLV_FINGERPRINT_STR_BYTES], name[MLV_MAX_EDITOR_NAME_BYTES + 1u];

    mlv_keyid_to_hex(hex, id);
    mlv_keyid_fingerprint(fp, pk, 32);
    mlv_keys_editor_name(dir, id, name, sizeof name);
    printf("  %s  %s%s%s\n", hex, fp, name[0] != '\0' ? "  " : "", name);
}

void mlv_keys_print_manifest(const char *dir, const mlv_manifest *m)
{
    char issued[11], expires[11];
    int64_t left = m->expires_day - mlv_day_today();

    mlv_day_format(issued, m->issued_day);
    mlv_day_format(expires, m->expires_day);
    printf("serial:  %llu\nissued:  %s\nexpires: %s ", (unsigned long long)m->serial, issued, expires);
    if (left >= 0)
        printf("(%lld day%s left)\n", (long long)left, left == 1 ? "" : "s");
    else
        printf("(EXPIRED %lld day%s ago)\n", (long long)-left, left == -1 ? "" : "s");
    printf("editor keys (%zu): key id, fingerprint, name if known here\n", m->nkeys);
    for (size_t i = 0; i < m->nkeys; i++)
        mlv_keys_print_key(dir, m->keys[i].id, m->keys[i].pk);
}

int mlv_keys_common_option(int c, const char *arg, mlv_keys_opts *o, const char *usage)
{
    switch (c) {
    case 'D':
        o->dir = arg;
        return 1;
    case 'P':
        o->pass_file = arg;
        return 1;
    case 'K':
        if (mlv_key_kdf_from_name(arg, &o->kdf) != 0) {
            mlv_keys_usage(usage, "--kdf '%s' is not a cost profile; use interactive, moderate or sensitive", arg);
            return -1;
        }
        return 1;
    default:
        return 0;
    }
}

int mlv_keys_bad_option(char **argv, const char *usage)
{
    return mlv_keys_usage(usage, "option '%s' is unknown or lacks its value", argv[optind - 1]);
}
