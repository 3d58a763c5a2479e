/*
 * A 1 GiB file sealed to 16 editors, and every editor opening it, with no
 * file on disk: the sealer's output is fed straight into 16 openers. The
 * payload layer itself checks each file's length and BLAKE2b digest, so
 * an OK from every opener means every byte arrived intact.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "check.h"
#include "support.h"

#define EDITORS 16u
#define BLOCK (1u << 20)
#define BLOCKS 1024u /* 1 GiB */

typedef struct fanout {
    const mlv_box_keypair *keys[EDITORS]; /* each opener keeps a pointer to its entry */
    mlv_pay_opener *openers[EDITORS];
    mlv_env_status status[EDITORS];
    uint64_t bytes[EDITORS];
} fanout;

static int count_bytes(void *ctx, size_t index, const uint8_t *buf, size_t len)
{
    (void)index;
    (void)buf;
    *(uint64_t *)ctx += len;
    return 0;
}

static const mlv_pay_callbacks counting = { NULL, count_bytes, NULL };

static int feed_all(void *ctx, const uint8_t *buf, size_t len)
{
    fanout *f = ctx;

    for (unsigned k = 0; k < EDITORS; k++) {
        if (f->status[k] == MLV_ENV_OK)
            f->status[k] = mlv_pay_open_feed(f->openers[k], buf, len);
    }
    return 0;
}

int main(void)
{
    mlv_box_public recipients[EDITORS];
    uint8_t *block = malloc(BLOCK), seal_receipt[MLV_RECEIPT_BYTES];
    crypto_generichash_state h;
    mlv_file_info file = { .name = "video.mp4", .media_type = "video/mp4", .length = (uint64_t)BLOCK * BLOCKS };
    mlv_metadata meta = { .message = "one gigabyte", .nfiles = 1, .files = &file };
    mlv_pay_sealer *sealer = NULL;
    fanout f;
    unsigned ok = 0;

    if (sodium_init() < 0 || block == NULL)
        return 1;
    memset(&f, 0, sizeof f);
    for (size_t i = 0; i < BLOCK; i++)
        block[i] = (uint8_t)(i * 2654435761u >> 13);
    /* The file is the block repeated, each copy with its index stamped in,
     * so a reordered or repeated block would change the digest. */
    crypto_generichash_init(&h, NULL, 0, MLV_FILE_DIGEST_BYTES);
    for (uint32_t b = 0; b < BLOCKS; b++) {
        memcpy(block, &b, sizeof b);
        crypto_generichash_update(&h, block, BLOCK);
    }
    crypto_generichash_final(&h, file.digest, sizeof file.digest);

    for (unsigned k = 0; k < EDITORS; k++) {
        f.keys[k] = test_editor(k);
        test_editor_public(k, &recipients[k]);
        CHECK(mlv_pay_open_new(&f.openers[k], &f.keys[k], 1, &counting, &f.bytes[k]) == MLV_ENV_OK);
    }
    CHECK(mlv_pay_seal_new(&sealer, recipients, EDITORS, 0, &meta, feed_all, &f) == MLV_ENV_OK);
    for (uint32_t b = 0; b < BLOCKS; b++) {
        memcpy(block, &b, sizeof b);
        if (mlv_pay_seal_data(sealer, block, BLOCK) != MLV_ENV_OK) {
            CHECK(!"sealing failed");
            break;
        }
    }
    CHECK(mlv_pay_seal_finish(sealer, seal_receipt) == MLV_ENV_OK);
    mlv_pay_seal_free(sealer);
    for (unsigned k = 0; k < EDITORS; k++) {
        uint8_t receipt[MLV_RECEIPT_BYTES];

        if (f.status[k] == MLV_ENV_OK)
            f.status[k] = mlv_pay_open_finish(f.openers[k], receipt);
        ok += f.status[k] == MLV_ENV_OK && f.bytes[k] == file.length &&
              memcmp(receipt, seal_receipt, sizeof receipt) == 0;
        mlv_pay_open_free(f.openers[k]);
    }
    CHECK_EQ_INT(ok, EDITORS);
    free(block);
    return check_exit();
}
