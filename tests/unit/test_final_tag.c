/*
 * The FINAL tag (docs/FORMAT.md §1.4, step 5): the last chunk, and only
 * the last, carries it. An envelope built here by hand under a file key
 * the test chose — header, stanza, MAC and every chunk authentic — whose
 * only defect is where its tags are: a FINAL before the last chunk (the
 * stream claims to end early, the rest must not be read as more of it)
 * and a last chunk without FINAL (a cut the attacker disguised). Both are
 * TAMPERED, with the editor's key and with the known file key alike;
 * built with the right tags, the same bytes open.
 */
#include <string.h>

#include <sodium.h>

#include "check.h"
#include "support.h"

#define MESSAGE crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define FINAL crypto_secretstream_xchacha20poly1305_TAG_FINAL

/* The plaintext of an honest three-chunk envelope: record, file, padding. */
static void honest_plaintext(test_buf *plain)
{
    static uint8_t contents[150000];
    mlv_file_info file = { .name = "scan.pdf", .length = sizeof contents };
    mlv_metadata meta = { .message = "three chunks", .nfiles = 1, .files = &file };
    const mlv_box_keypair *key = test_editor(0);
    uint8_t receipt[MLV_RECEIPT_BYTES];
    mlv_env_opener *o = NULL;
    test_buf env = { 0 };

    for (size_t i = 0; i < sizeof contents; i++)
        contents[i] = (uint8_t)(i * 7u);
    CHECK(test_seal(&meta, contents, sizeof contents, 1, 0, &env, receipt) == MLV_ENV_OK);
    CHECK(mlv_env_open_new(&o, &key, 1, test_buf_write, plain) == MLV_ENV_OK);
    CHECK(mlv_env_open_feed(o, env.data, env.len) == MLV_ENV_OK && mlv_env_open_finish(o, receipt) == MLV_ENV_OK);
    mlv_env_open_free(o);
    test_buf_free(&env);
}

/* §1.1–1.3 by hand: one stanza for editor 0 sealing `file_key`, the header
 * MAC, then one chunk per tag in `tags`. */
static void hand_seal(const uint8_t file_key[32], const test_buf *plain, const unsigned char *tags, size_t n,
                      test_buf *out)
{
    uint8_t header[MLV_ENV_HEADER_BYTES(1)], payload_key[32], mac_key[32], *ct;
    uint8_t *stream_header = header + MLV_ENV_FIXED_BYTES + MLV_ENV_STANZA_BYTES;
    crypto_secretstream_xchacha20poly1305_state st;
    mlv_box_public to;
    size_t at = 0;

    test_editor_public(0, &to);
    memcpy(header, MLV_ENV_MAGIC, MLV_ENV_MAGIC_BYTES);
    header[7] = MLV_ENV_VERSION;
    header[8] = 0;
    header[9] = 1;
    for (unsigned i = 0; i < 8; i++)
        header[10 + i] = (uint8_t)((uint64_t)plain->len >> (8 * i));
    header[18] = MLV_ENV_STANZA_X25519;
    memcpy(header + 19, to.id, MLV_KEY_ID_BYTES);
    header[27] = MLV_ENV_STANZA_BODY_BYTES;
    header[28] = 0;
    crypto_box_seal(header + 29, file_key, 32, to.pk);
    crypto_kdf_derive_from_key(payload_key, 32, 1, "MLVENV01", file_key);
    crypto_kdf_derive_from_key(mac_key, 32, 2, "MLVENV01", file_key);
    crypto_secretstream_xchacha20poly1305_init_push(&st, stream_header, payload_key);
    crypto_generichash(stream_header + MLV_ENV_STREAM_HEADER_BYTES, 32, header,
                       (size_t)(stream_header + MLV_ENV_STREAM_HEADER_BYTES - header), mac_key, 32);
    test_buf_write(out, header, sizeof header);
    ct = malloc(MLV_ENV_CHUNK_CT_BYTES);
    for (size_t i = 0; i < n; i++) {
        size_t len = i + 1 < n ? MLV_CHUNK_BYTES : plain->len - at;

        crypto_secretstream_xchacha20poly1305_push(&st, ct, NULL, plain->data + at, len, NULL, 0, tags[i]);
        test_buf_write(out, ct, len + MLV_ENV_CHUNK_OVERHEAD);
        at += len;
    }
    free(ct);
}

static mlv_env_status open_both(const test_buf *env, const uint8_t file_key[32])
{
    const mlv_box_keypair *key = test_editor(0);
    uint8_t receipt[MLV_RECEIPT_BYTES];
    mlv_pay_opener *p = NULL;
    test_opened got;
    mlv_env_status a, b;

    a = test_open(env->data, env->len, &key, 1, 0, &got, receipt);
    test_opened_free(&got);
    memset(&got, 0, sizeof got);
    b = mlv_pay_open_new_file_key(&p, file_key, &test_opened_callbacks, &got);
    if (b == MLV_ENV_OK)
        b = mlv_pay_open_feed(p, env->data, env->len);
    if (b == MLV_ENV_OK)
        b = mlv_pay_open_finish(p, receipt);
    mlv_pay_open_free(p);
    test_opened_free(&got);
    CHECK_EQ_INT(a, b);
    return a;
}

int main(void)
{
    static const struct {
        const char *what;
        unsigned char tags[3];
        mlv_env_status want;
    } cases[] = {
        { "the last chunk FINAL", { MESSAGE, MESSAGE, FINAL }, MLV_ENV_OK },
        { "FINAL on the first chunk", { FINAL, MESSAGE, FINAL }, MLV_ENV_ERR_TAMPERED },
        { "FINAL on the second chunk", { MESSAGE, FINAL, FINAL }, MLV_ENV_ERR_TAMPERED },
        { "FINAL before the last, none on it", { MESSAGE, FINAL, MESSAGE }, MLV_ENV_ERR_TAMPERED },
        { "no FINAL at all", { MESSAGE, MESSAGE, MESSAGE }, MLV_ENV_ERR_TAMPERED },
    };
    uint8_t file_key[32];
    test_buf plain = { 0 };

    if (sodium_init() < 0)
        return 1;
    honest_plaintext(&plain);
    CHECK(plain.len > 2 * MLV_CHUNK_BYTES && plain.len <= 3 * MLV_CHUNK_BYTES);
    memset(file_key, 0x5a, sizeof file_key);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        test_buf env = { 0 };
        mlv_env_status got;

        hand_seal(file_key, &plain, cases[i].tags, 3, &env);
        got = open_both(&env, file_key);
        if (got != cases[i].want)
            fprintf(stderr, "%s: %s\n", cases[i].what, mlv_env_strerror(got));
        CHECK_EQ_INT(got, cases[i].want);
        test_buf_free(&env);
    }
    test_buf_free(&plain);
    return check_exit();
}
