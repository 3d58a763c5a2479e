/*
 * Passphrases from a file (lib/passphrase.c): the first line only, its
 * line end dropped, bounds enforced. The terminal path is driven through
 * a pseudo-terminal by cli_keys.py.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/limits.h>
#include <malyava/passphrase.h>

#include "check.h"

static char dir[] = "/tmp/malyava-pass-XXXXXX";
static char path[64];

static mlv_pass_status from_file(const char *content, size_t len, char **pass, size_t *pass_len)
{
    unlink(path);
    if (mlv_file_write_new(path, content, len) != 0)
        abort();
    return mlv_pass_read(path, "unused: ", 1, pass, pass_len);
}

static void check_file(const char *content, size_t len, mlv_pass_status want, const char *want_pass)
{
    char *pass = NULL;
    size_t pass_len = 0;
    mlv_pass_status st = from_file(content, len, &pass, &pass_len);

    CHECK_EQ_INT(st, want);
    if (want == MLV_PASS_OK) {
        CHECK(pass != NULL && pass_len == strlen(want_pass) && strcmp(pass, want_pass) == 0);
    } else {
        CHECK(pass == NULL && pass_len == 0);
    }
    mlv_pass_free(pass);
}

int main(void)
{
    char *big = malloc(MLV_MAX_PASSPHRASE_BYTES + 8), *pass = NULL;
    size_t pass_len = 0;

    if (big == NULL || sodium_init() < 0 || mkdtemp(dir) == NULL)
        return 1;
    snprintf(path, sizeof path, "%s/pass", dir);
    check_file("correct horse\n", 14, MLV_PASS_OK, "correct horse");
    check_file("no line end", 11, MLV_PASS_OK, "no line end");
    check_file("windows\r\n", 9, MLV_PASS_OK, "windows");
    check_file("first\nsecond\n", 13, MLV_PASS_OK, "first");
    check_file(" spaces kept \n", 14, MLV_PASS_OK, " spaces kept ");
    check_file("", 0, MLV_PASS_ERR_EMPTY, NULL);
    check_file("\nsecond\n", 8, MLV_PASS_ERR_EMPTY, NULL);
    /* Exactly the longest, then one byte more. */
    memset(big, 'p', MLV_MAX_PASSPHRASE_BYTES);
    big[MLV_MAX_PASSPHRASE_BYTES] = '\n';
    CHECK_EQ_INT(from_file(big, MLV_MAX_PASSPHRASE_BYTES + 1, &pass, &pass_len), MLV_PASS_OK);
    CHECK(pass_len == MLV_MAX_PASSPHRASE_BYTES && pass != NULL && pass[pass_len] == '\0');
    mlv_pass_free(pass);
    pass = NULL;
    memcpy(big + MLV_MAX_PASSPHRASE_BYTES, "\r\n", 2);
    CHECK_EQ_INT(from_file(big, MLV_MAX_PASSPHRASE_BYTES + 2, &pass, &pass_len), MLV_PASS_OK);
    mlv_pass_free(pass);
    pass = NULL;
    memset(big, 'p', MLV_MAX_PASSPHRASE_BYTES + 1);
    big[MLV_MAX_PASSPHRASE_BYTES + 1] = '\n';
    check_file(big, MLV_MAX_PASSPHRASE_BYTES + 2, MLV_PASS_ERR_TOO_LONG, NULL);
    check_file(big, MLV_MAX_PASSPHRASE_BYTES + 1, MLV_PASS_ERR_TOO_LONG, NULL);

    unlink(path);
    errno = 0;
    CHECK_EQ_INT(mlv_pass_read(path, "unused: ", 0, &pass, &pass_len), MLV_PASS_ERR_IO);
    CHECK(errno == ENOENT && pass == NULL);
    CHECK_EQ_INT(mlv_pass_read(dir, "unused: ", 0, &pass, &pass_len), MLV_PASS_ERR_IO);
    CHECK(strcmp(mlv_pass_strerror(MLV_PASS_ERR_NO_TTY), mlv_pass_strerror(MLV_PASS_ERR_IO)) != 0);
    CHECK(rmdir(dir) == 0);
    free(big);
    return check_exit();
}
