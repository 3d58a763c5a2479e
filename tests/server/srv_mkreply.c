/*
 * srv_mkreply PUBHEX OUT MESSAGE: seals MESSAGE to the one X25519 public
 * key PUBHEX, as the editors' tool seals a reply, and writes the envelope
 * to OUT (new file). The server tests need real replies before the
 * editors' tool exists on this machine.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/keyid.h>
#include <malyava/payload.h>

static int write_fd(void *ctx, const uint8_t *buf, size_t len)
{
    return mlv_file_write_all(*(int *)ctx, buf, len);
}

int main(int argc, char **argv)
{
    uint8_t receipt[MLV_RECEIPT_BYTES];
    mlv_pay_sealer *s = NULL;
    mlv_metadata meta;
    mlv_box_public to;
    int fd = -1, rc = 1;

    if (argc != 4) {
        fprintf(stderr, "usage: srv_mkreply PUBHEX OUT MESSAGE\n");
        return 2;
    }
    if (sodium_init() < 0 || strlen(argv[1]) != 64 ||
        sodium_hex2bin(to.pk, sizeof to.pk, argv[1], 64, NULL, NULL, NULL) != 0) {
        fprintf(stderr, "srv_mkreply: PUBHEX must be 64 hex digits\n");
        return 2;
    }
    mlv_keyid_compute(to.id, to.pk, sizeof to.pk);
    memset(&meta, 0, sizeof meta);
    meta.message = argv[3];
    fd = mlv_file_create(argv[2]);
    if (fd < 0) {
        perror("srv_mkreply: cannot create the output");
        return 1;
    }
    if (mlv_pay_seal_new(&s, &to, 1, 0, &meta, write_fd, &fd) != MLV_ENV_OK ||
        mlv_pay_seal_finish(s, receipt) != MLV_ENV_OK) {
        fprintf(stderr, "srv_mkreply: sealing failed\n");
        goto out;
    }
    rc = 0;
out:
    mlv_pay_seal_free(s);
    close(fd);
    return rc;
}
