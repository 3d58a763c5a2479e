/*
 * Test tool: seals an arbitrary plaintext stream (a metadata record given
 * verbatim, then raw bytes) so tests can hand `malyava open` envelopes the
 * real sealer would refuse to make: hostile names, lying lengths, bad
 * padding. Usage: craft_envelope RECIPIENT.pub METADATA_JSON_FILE OUT [BODY_FILE]
 * where RECIPIENT.pub is an editor public key file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/envelope.h>
#include <malyava/payload.h>
#include <malyava/fileio.h>
#include <malyava/keyfile.h>

static int write_fd(void *ctx, const uint8_t *buf, size_t len)
{
    return mlv_file_write_all(*(int *)ctx, buf, len);
}

int main(int argc, char **argv)
{
    static const uint8_t zeros[4096];
    uint8_t *json = NULL, *body = NULL, len_le[4], receipt[MLV_RECEIPT_BYTES];
    uint64_t total, padded;
    size_t json_len = 0, body_len = 0;
    mlv_box_public recipient;
    mlv_env_sealer *s = NULL;
    int fd;

    if (argc < 4 || argc > 5 || sodium_init() < 0) {
        fprintf(stderr, "usage: craft_envelope RECIPIENT.pub METADATA.json OUT [BODY]\n");
        return 2;
    }
    if (mlv_key_box_public_load(argv[1], &recipient, NULL, 0) != MLV_KEY_OK ||
        mlv_file_read_small(argv[2], 1u << 22, &json, &json_len) != 0 ||
        (argc == 5 && mlv_file_read_small(argv[4], 1u << 26, &body, &body_len) != 0)) {
        fprintf(stderr, "craft_envelope: cannot read inputs\n");
        return 1;
    }
    fd = mlv_file_create(argv[3]);
    if (fd < 0)
        return 1;
    for (unsigned i = 0; i < 4; i++)
        len_le[i] = (uint8_t)(json_len >> (8 * i));
    /* Padded as an honest sealer would, so the content is the only defect. */
    total = 4 + json_len + body_len;
    padded = mlv_pad_padme(total);
    if (padded - total > sizeof zeros ||
        mlv_env_seal_new(&s, &recipient, 1, padded, 0, write_fd, &fd) != MLV_ENV_OK ||
        mlv_env_seal_push(s, len_le, 4) != MLV_ENV_OK || mlv_env_seal_push(s, json, json_len) != MLV_ENV_OK ||
        mlv_env_seal_push(s, body, body_len) != MLV_ENV_OK ||
        mlv_env_seal_push(s, zeros, (size_t)(padded - total)) != MLV_ENV_OK ||
        mlv_env_seal_finish(s, receipt) != MLV_ENV_OK) {
        fprintf(stderr, "craft_envelope: sealing failed\n");
        return 1;
    }
    mlv_env_seal_free(s);
    close(fd);
    free(json);
    free(body);
    return 0;
}
