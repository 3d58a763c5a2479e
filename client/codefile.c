/* See codefile.h and docs/FORMAT.md §5. */
#include "codefile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/limits.h>

#include "cli.h"

int mlv_codefile_load(const char *path, int create, mlv_box_keypair *reply, uint8_t token[MLV_CODENAME_TOKEN_BYTES])
{
    char fresh[MLV_CODENAME_STR_BYTES + 1];
    uint8_t *text = NULL;
    size_t len = 0;
    unsigned bad = 0;
    char canonical[MLV_CODENAME_STR_BYTES];
    int ret = -1;

    if (mlv_file_read_small(path, MLV_CODENAME_MAX_TYPED_BYTES, &text, &len) != 0) {
        if (errno != ENOENT || !create) {
            mlv_cli_error("cannot read the codename file '%s': %s", path,
                          errno == EFBIG ? "it is too long to hold a codename" : strerror(errno));
            return -1;
        }
        mlv_codename_generate(fresh);
        len = strlen(fresh);
        fresh[len++] = '\n';
        if (mlv_file_write_new(path, fresh, len) != 0) {
            mlv_cli_error("cannot write the codename file '%s': %s", path, strerror(errno));
            goto out;
        }
        fprintf(stderr, "malyava: your codename is in %s:\n\n    %.*s\n\n"
                        "Write it down and keep it where only you find it: with it, and only with it, you can read "
                        "the organisation's replies (`malyava replies`). Delete the file if it is not safe to keep.\n",
                path, (int)(len - 1u), fresh);
        ret = mlv_codename_derive(fresh, len, reply, token);
        goto out;
    }
    if (mlv_codename_normalize((const char *)text, len, canonical, &bad) != 0) {
        if (bad > 0)
            mlv_cli_error("word %u of the codename in '%s' is not a codename word; check how it was copied", bad, path);
        else
            mlv_cli_error("'%s' does not hold a codename of %u words", path, MLV_CODENAME_WORDS);
        goto out;
    }
    ret = mlv_codename_derive(canonical, strlen(canonical), reply, token);
out:
    sodium_memzero(fresh, sizeof fresh);
    sodium_memzero(canonical, sizeof canonical);
    if (text != NULL)
        sodium_memzero(text, len);
    free(text);
    return ret;
}

int mlv_codefile_register(mlv_tus_client *c, const mlv_box_keypair *reply,
                          const uint8_t token[MLV_CODENAME_TOKEN_BYTES])
{
    char body[2u * MLV_CODENAME_TOKEN_BYTES + 1u + 2u * MLV_BOX_PUBLIC_BYTES + 2u], *answer = NULL;
    size_t answer_len = 0;
    long status = 0;
    int ret = -1;

    sodium_bin2hex(body, 2u * MLV_CODENAME_TOKEN_BYTES + 1u, token, MLV_CODENAME_TOKEN_BYTES);
    body[2u * MLV_CODENAME_TOKEN_BYTES] = '\n';
    sodium_bin2hex(body + 2u * MLV_CODENAME_TOKEN_BYTES + 1u, 2u * MLV_BOX_PUBLIC_BYTES + 1u, reply->pk,
                   MLV_BOX_PUBLIC_BYTES);
    if (mlv_tus_post_pow(c, "/api/v1/replies/register", body, strlen(body), MLV_SUBMIT_MAX_ERROR_BYTES, &status,
                         &answer, &answer_len) != 0)
        goto out;
    if (status != 204) {
        fprintf(stderr, "malyava: the drop-box refused to register the codename for replies (HTTP %ld)", status);
        mlv_cli_server_text(stderr, answer, answer_len);
        fputc('\n', stderr);
        goto out;
    }
    ret = 0;
out:
    sodium_memzero(body, sizeof body);
    free(answer);
    return ret;
}
