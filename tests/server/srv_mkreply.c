/*
 * srv_mkreply MODE PUBHEX OUT MESSAGE: a reply to the X25519 reply key
 * PUBHEX, written to OUT (new file), for the tests that need replies
 * without a vault:
 *
 *   --editor EDITOR.key PASSFILE   as `malyava reply` makes it: proven with
 *                                  that editor key (docs/FORMAT.md §4.5)
 *   --bare                         a bare envelope, as anyone holding the
 *                                  server (or a malyava before reply
 *                                  format 2) can seal to the public key
 *   --forger                       a whole reply proven with a fresh key
 *                                  of the forger's own
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/keyfile.h>
#include <malyava/keyid.h>
#include <malyava/passphrase.h>
#include <malyava/reply.h>

static int write_fd(void *ctx, const uint8_t *buf, size_t len)
{
    return mlv_file_write_all(*(int *)ctx, buf, len);
}

static int bare(const mlv_box_public *to, const mlv_metadata *meta, int fd)
{
    uint8_t receipt[MLV_RECEIPT_BYTES];
    mlv_pay_sealer *s = NULL;
    int rc = mlv_pay_seal_new(&s, to, 1, 0, meta, write_fd, &fd) == MLV_ENV_OK &&
                     mlv_pay_seal_finish(s, receipt) == MLV_ENV_OK ? 0 : -1;

    mlv_pay_seal_free(s);
    return rc;
}

static mlv_box_keypair *editor_key(const char *path, const char *pass_file)
{
    mlv_box_keypair *kp = NULL;
    char *pass = NULL;
    size_t pass_len = 0;

    if (mlv_pass_read(pass_file, "", 0, &pass, &pass_len) != MLV_PASS_OK)
        return NULL;
    if (mlv_key_box_load(path, pass, pass_len, &kp) != MLV_KEY_OK)
        kp = NULL;
    mlv_pass_free(pass);
    return kp;
}

int main(int argc, char **argv)
{
    const int editor = argc == 7 && strcmp(argv[1], "--editor") == 0;
    const int at = editor ? 4 : 2;
    mlv_box_keypair *from = NULL;
    mlv_metadata meta;
    mlv_box_public to;
    uint8_t *reply = NULL;
    size_t len = 0;
    int fd = -1, rc = 1;

    if (!editor && (argc != 5 || (strcmp(argv[1], "--bare") != 0 && strcmp(argv[1], "--forger") != 0))) {
        fprintf(stderr, "usage: srv_mkreply (--editor EDITOR.key PASSFILE | --bare | --forger) PUBHEX OUT MESSAGE\n");
        return 2;
    }
    if (sodium_init() < 0 || strlen(argv[at]) != 64 ||
        sodium_hex2bin(to.pk, sizeof to.pk, argv[at], 64, NULL, NULL, NULL) != 0) {
        fprintf(stderr, "srv_mkreply: PUBHEX must be 64 hex digits\n");
        return 2;
    }
    mlv_keyid_compute(to.id, to.pk, sizeof to.pk);
    memset(&meta, 0, sizeof meta);
    meta.message = argv[at + 2];
    if (editor) {
        from = editor_key(argv[2], argv[3]);
    } else if (strcmp(argv[1], "--forger") == 0 && (from = mlv_key_box_new()) != NULL) {
        crypto_box_keypair(from->pk, from->sk);
        mlv_keyid_compute(from->id, from->pk, sizeof from->pk);
    }
    if (from == NULL && strcmp(argv[1], "--bare") != 0) {
        fprintf(stderr, "srv_mkreply: cannot use the editor key\n");
        return 1;
    }
    fd = mlv_file_create(argv[at + 1]);
    if (fd < 0) {
        perror("srv_mkreply: cannot create the output");
        goto out;
    }
    if (from == NULL ? bare(&to, &meta, fd) != 0
                     : mlv_reply_seal(from, to.pk, &meta, &reply, &len) != MLV_REPLY_OK ||
                           mlv_file_write_all(fd, reply, len) != 0) {
        fprintf(stderr, "srv_mkreply: sealing failed\n");
        goto out;
    }
    rc = 0;
out:
    free(reply);
    mlv_key_box_free(from);
    if (fd >= 0)
        close(fd);
    return rc;
}
