/*
 * The envelope, as docs/FORMAT.md §1 promises it: every recipient opens
 * what was sealed, byte for byte, however the input is cut; and every
 * class of damage is refused with its own status.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "check.h"
#include "support.h"

#define CT MLV_ENV_CHUNK_CT_BYTES

static uint8_t *pattern(size_t len, unsigned salt)
{
    uint8_t *p = malloc(len + 1);

    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)((i * 131u + salt) % 251u);
    return p;
}

/* The raw stream layer at its boundaries: plaintext of 0, 1, one chunk
 * less one, one chunk, one chunk plus one, two chunks. */
static void stream_round_trips(void)
{
    static const size_t sizes[] = { 0, 1, MLV_CHUNK_BYTES - 1, MLV_CHUNK_BYTES, MLV_CHUNK_BYTES + 1,
                                    2 * MLV_CHUNK_BYTES };
    const mlv_box_keypair *key = test_editor(0);
    mlv_box_public pub;

    test_editor_public(0, &pub);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        uint8_t *plain = pattern(sizes[s], 7), r1[MLV_RECEIPT_BYTES], r2[MLV_RECEIPT_BYTES];
        test_buf env = { 0 }, out = { 0 };
        mlv_env_sealer *sealer = NULL;
        mlv_env_opener *opener = NULL;
        size_t chunks = sizes[s] / MLV_CHUNK_BYTES + 1;

        if (sizes[s] > 0 && sizes[s] % MLV_CHUNK_BYTES == 0)
            chunks = sizes[s] / MLV_CHUNK_BYTES; /* the last full chunk is the FINAL one */
        CHECK(mlv_env_seal_new(&sealer, &pub, 1, sizes[s], 0, test_buf_write, &env) == MLV_ENV_OK);
        CHECK(mlv_env_seal_push(sealer, plain, sizes[s]) == MLV_ENV_OK);
        CHECK(mlv_env_seal_finish(sealer, r1) == MLV_ENV_OK);
        mlv_env_seal_free(sealer);
        CHECK_EQ_INT(env.len, MLV_ENV_HEADER_BYTES(1) + sizes[s] + chunks * MLV_ENV_CHUNK_OVERHEAD);
        CHECK_EQ_INT(env.len, mlv_env_total_bytes(1, sizes[s]));
        CHECK(mlv_env_open_new(&opener, &key, 1, test_buf_write, &out) == MLV_ENV_OK);
        CHECK(mlv_env_open_feed(opener, env.data, env.len) == MLV_ENV_OK);
        CHECK(mlv_env_open_finish(opener, r2) == MLV_ENV_OK);
        CHECK(mlv_env_open_key_index(opener) == 0);
        mlv_env_open_free(opener);
        CHECK_EQ_INT(out.len, sizes[s]);
        CHECK(sizes[s] == 0 || memcmp(out.data, plain, sizes[s]) == 0);
        CHECK(memcmp(r1, r2, sizeof r1) == 0);
        test_buf_free(&env);
        test_buf_free(&out);
        free(plain);
    }
}

/* Files of the boundary sizes, to 1 and to 16 editors; every editor opens
 * with only its own key, each feeding the envelope in different pieces. */
static void payload_round_trips(void)
{
    static const size_t sizes[] = { 0, 1, MLV_CHUNK_BYTES - 1, MLV_CHUNK_BYTES, MLV_CHUNK_BYTES + 1 };
    static const size_t pieces[] = { 0, 1, 7, 4096, CT - 1, CT, CT + 1, 1 << 20 };
    static const unsigned counts[] = { 1, 16 };

    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (size_t c = 0; c < 2; c++) {
            uint8_t *contents = pattern(sizes[s], (unsigned)s), seal_receipt[MLV_RECEIPT_BYTES];
            mlv_file_info file = { .name = "video.mp4", .media_type = "video/mp4", .length = sizes[s] };
            mlv_field field = { .name = "place", .value = "ИК-2" };
            mlv_metadata meta = { .message = "Testimony", .nfields = 1, .fields = &field, .nfiles = 1,
                                  .files = &file };
            test_buf env = { 0 };

            CHECK(test_seal(&meta, contents, sizes[s], counts[c], 0, &env, seal_receipt) == MLV_ENV_OK);
            for (unsigned k = 0; k < counts[c]; k++) {
                const mlv_box_keypair *key = test_editor(k);
                uint8_t receipt[MLV_RECEIPT_BYTES];
                test_opened got;
                size_t piece = sizes[s] > 100 && pieces[k % 8] == 1 ? 3 : pieces[k % 8];

                CHECK(test_open(env.data, env.len, &key, 1, piece, &got, receipt) == MLV_ENV_OK);
                CHECK(memcmp(receipt, seal_receipt, sizeof receipt) == 0);
                CHECK(got.meta.message != NULL && strcmp(got.meta.message, "Testimony") == 0);
                CHECK(got.meta.nfields == 1 && strcmp(got.meta.fields[0].value, "ИК-2") == 0);
                CHECK(got.meta.nfiles == 1 && strcmp(got.meta.files[0].name, "video.mp4") == 0);
                CHECK_EQ_INT(got.ends, 1);
                CHECK_EQ_INT(got.files[0].len, sizes[s]);
                CHECK(sizes[s] == 0 || memcmp(got.files[0].data, contents, sizes[s]) == 0);
                test_opened_free(&got);
            }
            /* Editor 16 was not a recipient. */
            {
                const mlv_box_keypair *stranger = test_editor(15);
                uint8_t receipt[MLV_RECEIPT_BYTES];
                test_opened got;

                if (counts[c] == 1)
                    CHECK(test_open(env.data, env.len, &stranger, 1, 0, &got, receipt) == MLV_ENV_ERR_NOT_FOR_ME);
                test_opened_free(&got);
            }
            test_buf_free(&env);
            free(contents);
        }
    }
}

/* The padded size hides the count and sizes of files: three files and one
 * file of the same total produce envelopes of the same length. */
static void padding_hides_layout(void)
{
    uint8_t *contents = pattern(30000, 1), receipt[MLV_RECEIPT_BYTES];
    mlv_file_info three[3] = { { .name = "a", .length = 10000 }, { .name = "b", .length = 10000 },
                               { .name = "c", .length = 10000 } };
    mlv_file_info one[1] = { { .name = "abc", .length = 30000 } };
    mlv_metadata m3 = { .nfiles = 3, .files = three }, m1 = { .nfiles = 1, .files = one };
    test_buf e3 = { 0 }, e1 = { 0 };

    CHECK(test_seal(&m3, contents, 30000, 1, 0, &e3, receipt) == MLV_ENV_OK);
    CHECK(test_seal(&m1, contents, 30000, 1, 0, &e1, receipt) == MLV_ENV_OK);
    CHECK_EQ_INT(e3.len, e1.len);
    test_buf_free(&e3);
    test_buf_free(&e1);
    free(contents);
}

/* A file that changes between the two reads cannot be sealed. */
static void changed_input_refused(void)
{
    uint8_t *contents = pattern(1000, 3), *other = pattern(1000, 4), receipt[MLV_RECEIPT_BYTES];
    mlv_file_info file = { .name = "a.jpg", .length = 1000 };
    mlv_metadata meta = { .nfiles = 1, .files = &file };
    mlv_box_public pub;
    mlv_pay_sealer *s = NULL;
    test_buf env = { 0 };

    test_editor_public(0, &pub);
    crypto_generichash(file.digest, sizeof file.digest, contents, 1000, NULL, 0);
    CHECK(mlv_pay_seal_new(&s, &pub, 1, 0, &meta, test_buf_write, &env) == MLV_ENV_OK);
    CHECK(mlv_pay_seal_data(s, other, 1000) == MLV_ENV_ERR_INPUT_CHANGED);
    CHECK(mlv_pay_seal_finish(s, receipt) == MLV_ENV_ERR_INPUT_CHANGED);
    mlv_pay_seal_free(s);
    s = NULL;
    CHECK(mlv_pay_seal_new(&s, &pub, 1, 0, &meta, test_buf_write, &env) == MLV_ENV_OK);
    CHECK(mlv_pay_seal_data(s, contents, 999) == MLV_ENV_OK);
    CHECK(mlv_pay_seal_finish(s, receipt) == MLV_ENV_ERR_INPUT_CHANGED);
    mlv_pay_seal_free(s);
    s = NULL;
    CHECK(mlv_pay_seal_new(&s, &pub, 1, 0, &meta, test_buf_write, &env) == MLV_ENV_OK);
    CHECK(mlv_pay_seal_data(s, contents, 1000) == MLV_ENV_OK);
    CHECK(mlv_pay_seal_data(s, contents, 1) == MLV_ENV_ERR_INPUT_CHANGED);
    mlv_pay_seal_free(s);
    test_buf_free(&env);
    free(contents);
    free(other);
}

/* Sealer argument checks: bad counts, duplicate ids, an id that is not its key's. */
static void sealer_refuses_bad_recipients(void)
{
    mlv_box_public pubs[MLV_MAX_RECIPIENTS + 1];
    mlv_env_sealer *s = NULL;
    test_buf env = { 0 };

    test_editor_public(0, &pubs[0]);
    test_editor_public(0, &pubs[1]);
    CHECK(mlv_env_seal_new(&s, pubs, 0, 1, 0, test_buf_write, &env) == MLV_ENV_ERR_USAGE);
    CHECK(mlv_env_seal_new(&s, pubs, 2, 1, 0, test_buf_write, &env) == MLV_ENV_ERR_MALFORMED);
    CHECK(mlv_env_seal_new(&s, pubs, MLV_MAX_RECIPIENTS + 1, 1, 0, test_buf_write, &env) == MLV_ENV_ERR_LIMIT);
    CHECK(mlv_env_seal_new(&s, pubs, 1, MLV_MAX_PAYLOAD_BYTES + 1, 0, test_buf_write, &env) == MLV_ENV_ERR_LIMIT);
    pubs[1].id[0] ^= 1;
    CHECK(mlv_env_seal_new(&s, pubs, 2, 1, 0, test_buf_write, &env) == MLV_ENV_ERR_USAGE);
    CHECK(mlv_env_seal_new(&s, pubs, 1, 1, 0x02, test_buf_write, &env) == MLV_ENV_ERR_USAGE);
    CHECK(s == NULL && env.len == 0);
    /* The sealer holds the caller to the declared length, both ways. */
    {
        uint8_t receipt[MLV_RECEIPT_BYTES];

        CHECK(mlv_env_seal_new(&s, pubs, 1, 3, 0, test_buf_write, &env) == MLV_ENV_OK);
        CHECK(mlv_env_seal_push(s, (const uint8_t *)"abcd", 4) == MLV_ENV_ERR_USAGE);
        mlv_env_seal_free(s);
        CHECK(mlv_env_seal_new(&s, pubs, 1, 3, 0, test_buf_write, &env) == MLV_ENV_OK);
        CHECK(mlv_env_seal_push(s, (const uint8_t *)"ab", 2) == MLV_ENV_OK);
        CHECK(mlv_env_seal_finish(s, receipt) == MLV_ENV_ERR_USAGE);
        mlv_env_seal_free(s);
        test_buf_free(&env);
    }
}

static mlv_env_status open_bytes(const uint8_t *env, size_t len, unsigned key)
{
    const mlv_box_keypair *k = test_editor(key);
    uint8_t receipt[MLV_RECEIPT_BYTES];
    test_opened got;
    mlv_env_status st = test_open(env, len, &k, 1, 0, &got, receipt);

    test_opened_free(&got);
    return st;
}

static mlv_env_status open_flipped(const test_buf *env, size_t at, uint8_t mask)
{
    uint8_t *copy = malloc(env->len);
    mlv_env_status st;

    memcpy(copy, env->data, env->len);
    copy[at] ^= mask;
    st = open_bytes(copy, env->len, 0);
    free(copy);
    return st;
}

static void tamper_classes(void)
{
    uint8_t *contents = pattern(150000, 9), receipt[MLV_RECEIPT_BYTES], *copy;
    mlv_file_info file = { .name = "photo.jpg", .length = 150000 };
    mlv_metadata meta = { .message = "m", .nfiles = 1, .files = &file };
    test_buf env = { 0 }, two = { 0 };
    const size_t hdr = MLV_ENV_HEADER_BYTES(1);
    size_t nchunks, stanza = MLV_ENV_FIXED_BYTES;
    unsigned wrong = 0;

    CHECK(test_seal(&meta, contents, 150000, 1, 0, &env, receipt) == MLV_ENV_OK);
    nchunks = (env.len - hdr + CT - 1) / CT;
    CHECK(nchunks == 3);
    CHECK(open_bytes(env.data, env.len, 0) == MLV_ENV_OK);

    for (size_t i = 0; i < MLV_ENV_MAGIC_BYTES; i++)
        wrong += open_flipped(&env, i, 0x01) != MLV_ENV_ERR_MALFORMED;
    CHECK_EQ_INT(wrong, 0);
    CHECK(open_flipped(&env, 7, 0x01) == MLV_ENV_ERR_VERSION);
    CHECK(open_flipped(&env, 8, 0x02) == MLV_ENV_ERR_MALFORMED);  /* an unknown flag */
    CHECK(open_flipped(&env, 8, 0x01) == MLV_ENV_ERR_TAMPERED);   /* a known flag, MAC'd */
    CHECK(open_flipped(&env, 9, 0x01) == MLV_ENV_ERR_MALFORMED);  /* zero stanzas */
    CHECK(open_flipped(&env, 9, 0x80) == MLV_ENV_ERR_LIMIT);      /* 129 stanzas */
    wrong = 0;
    for (size_t i = 10; i < 15; i++) /* the declared payload length, MAC'd */
        wrong += open_flipped(&env, i, 0x01) != MLV_ENV_ERR_TAMPERED;
    for (size_t i = 15; i < 18; i++) /* 2^40 and more: over the hard cap */
        wrong += open_flipped(&env, i, 0x01) != MLV_ENV_ERR_LIMIT;
    CHECK_EQ_INT(wrong, 0);

    /* Every stanza byte: type, key id, length, sealed file key. */
    CHECK(open_flipped(&env, stanza, 0x02) == MLV_ENV_ERR_MALFORMED);
    wrong = 0;
    for (size_t i = 1; i <= MLV_KEY_ID_BYTES; i++)
        wrong += open_flipped(&env, stanza + i, 0x10) != MLV_ENV_ERR_NOT_FOR_ME;
    CHECK_EQ_INT(wrong, 0);
    CHECK(open_flipped(&env, stanza + 9, 0x01) == MLV_ENV_ERR_MALFORMED);  /* length 81 */
    CHECK(open_flipped(&env, stanza + 10, 0x01) == MLV_ENV_ERR_MALFORMED); /* length 336 */
    wrong = 0;
    for (size_t i = 11; i < MLV_ENV_STANZA_BYTES; i++)
        wrong += open_flipped(&env, stanza + i, 0x04) != MLV_ENV_ERR_TAMPERED;
    CHECK_EQ_INT(wrong, 0);
    /* Stream header and MAC. */
    wrong = 0;
    for (size_t i = stanza + MLV_ENV_STANZA_BYTES; i < hdr; i++)
        wrong += open_flipped(&env, i, 0x80) != MLV_ENV_ERR_TAMPERED;
    CHECK_EQ_INT(wrong, 0);
    /* A byte in each chunk, at its start, middle and tag. */
    wrong = 0;
    for (size_t c = 0; c < nchunks; c++) {
        size_t start = hdr + c * CT, len = c + 1 < nchunks ? CT : env.len - start;

        wrong += open_flipped(&env, start, 0x01) != MLV_ENV_ERR_TAMPERED;
        wrong += open_flipped(&env, start + len / 2, 0x01) != MLV_ENV_ERR_TAMPERED;
        wrong += open_flipped(&env, start + len - 1, 0x01) != MLV_ENV_ERR_TAMPERED;
    }
    CHECK_EQ_INT(wrong, 0);

    /* Truncation: inside the header, at every chunk boundary, mid-chunk. */
    CHECK(open_bytes(env.data, 5, 0) == MLV_ENV_ERR_TRUNCATED);
    CHECK(open_bytes(env.data, hdr - 1, 0) == MLV_ENV_ERR_TRUNCATED);
    wrong = 0;
    for (size_t c = 0; c < nchunks; c++)
        wrong += open_bytes(env.data, hdr + c * CT, 0) != MLV_ENV_ERR_TRUNCATED;
    CHECK_EQ_INT(wrong, 0);
    /* Mid-chunk too, since the header declared the length. */
    wrong = 0;
    for (size_t cut = hdr + 1; cut < env.len; cut += 4099)
        wrong += open_bytes(env.data, cut, 0) != MLV_ENV_ERR_TRUNCATED;
    CHECK_EQ_INT(wrong, 0);
    CHECK(open_bytes(env.data, env.len - 1, 0) == MLV_ENV_ERR_TRUNCATED);

    /* Appended bytes: one, and a whole extra chunk's worth. */
    copy = calloc(env.len + CT, 1);
    memcpy(copy, env.data, env.len);
    CHECK(open_bytes(copy, env.len + 1, 0) == MLV_ENV_ERR_TRAILING);
    CHECK(open_bytes(copy, env.len + CT, 0) == MLV_ENV_ERR_TRAILING);
    /* Chunks swapped, and a chunk repeated. */
    memcpy(copy, env.data, env.len);
    memcpy(copy + hdr, env.data + hdr + CT, CT);
    memcpy(copy + hdr + CT, env.data + hdr, CT);
    CHECK(open_bytes(copy, env.len, 0) == MLV_ENV_ERR_TAMPERED);
    memcpy(copy, env.data, env.len);
    memcpy(copy + hdr + CT, env.data + hdr, CT);
    CHECK(open_bytes(copy, env.len, 0) == MLV_ENV_ERR_TAMPERED);
    free(copy);

    /* Duplicate key ids: stanza 2 claims stanza 1's id. */
    CHECK(test_seal(&meta, contents, 150000, 2, 0, &two, receipt) == MLV_ENV_OK);
    memcpy(two.data + stanza + MLV_ENV_STANZA_BYTES + 1, two.data + stanza + 1, MLV_KEY_ID_BYTES);
    CHECK(open_bytes(two.data, two.len, 1) == MLV_ENV_ERR_MALFORMED);
    {
        mlv_env_header h;

        CHECK(mlv_env_header_parse(two.data, stanza + MLV_ENV_STANZA_BYTES + 9, &h) == MLV_ENV_ERR_MALFORMED);
        CHECK(mlv_env_header_parse(env.data, 3, &h) == MLV_ENV_NEED_MORE);
        CHECK(mlv_env_header_parse((const uint8_t *)"MALX", 4, &h) == MLV_ENV_ERR_MALFORMED);
        CHECK(mlv_env_header_parse(env.data, hdr, &h) == MLV_ENV_OK && h.header_bytes == hdr &&
              h.nrecipients == 1 && memcmp(h.key_ids[0], test_editor(0)->id, 8) == 0);
    }
    /* A stanza of the wrong length, with the bytes really there: 81-byte body. */
    copy = malloc(env.len + 1);
    memcpy(copy, env.data, stanza + 11 + 80);
    copy[stanza + 9] = 81;
    copy[stanza + 11 + 80] = 0;
    memcpy(copy + stanza + 11 + 81, env.data + stanza + 11 + 80, env.len - (stanza + 11 + 80));
    CHECK(open_bytes(copy, env.len + 1, 0) == MLV_ENV_ERR_MALFORMED);
    free(copy);

    test_buf_free(&two);
    test_buf_free(&env);
    free(contents);
}

/* Authentic but not what an honest sealer makes: bad padding, lying lengths. */
static void forged_payloads(void)
{
    static const struct {
        const char *plain;
        size_t len;
        mlv_env_status want;
    } cases[] = {
        { "", 0, MLV_ENV_ERR_MALFORMED },                              /* no record */
        { "\x02\x00\x00\x00{}", 6, MLV_ENV_ERR_MALFORMED },             /* no "v" */
        { "\x07\x00\x00\x00{\"v\":2}", 11, MLV_ENV_ERR_VERSION },
        { "\x07\x00\x00\x00{\"v\":1}\x01", 12, MLV_ENV_ERR_MALFORMED }, /* non-zero padding */
        { "\x07\x00\x00\x00{\"v\":1}\x00\x00", 13, MLV_ENV_ERR_MALFORMED }, /* too much padding */
        { "\x01\x00\x00\x00{", 5, MLV_ENV_ERR_MALFORMED },              /* record too short */
        { "\xff\xff\xff\x7f{", 5, MLV_ENV_ERR_LIMIT },                  /* record too long */
        { "\x07\x00\x00\x00{\"v\":1", 10, MLV_ENV_ERR_MALFORMED },      /* cut inside the record */
    };
    mlv_box_public pub;

    test_editor_public(0, &pub);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t receipt[MLV_RECEIPT_BYTES];
        mlv_env_sealer *s = NULL;
        test_buf env = { 0 };

        CHECK(mlv_env_seal_new(&s, &pub, 1, cases[i].len, 0, test_buf_write, &env) == MLV_ENV_OK);
        CHECK(mlv_env_seal_push(s, (const uint8_t *)cases[i].plain, cases[i].len) == MLV_ENV_OK);
        CHECK(mlv_env_seal_finish(s, receipt) == MLV_ENV_OK);
        mlv_env_seal_free(s);
        CHECK_EQ_INT(open_bytes(env.data, env.len, 0), cases[i].want);
        test_buf_free(&env);
    }
    /* The honest minimal payload opens: {"v":1} plus its PADMÉ padding. */
    {
        uint8_t receipt[MLV_RECEIPT_BYTES], plain[16] = "\x07\x00\x00\x00{\"v\":1}";
        mlv_env_sealer *s = NULL;
        test_buf env = { 0 };

        CHECK(mlv_env_seal_new(&s, &pub, 1, mlv_pad_padme(11), 0, test_buf_write, &env) == MLV_ENV_OK);
        CHECK(mlv_env_seal_push(s, plain, mlv_pad_padme(11)) == MLV_ENV_OK);
        CHECK(mlv_env_seal_finish(s, receipt) == MLV_ENV_OK);
        mlv_env_seal_free(s);
        CHECK_EQ_INT(open_bytes(env.data, env.len, 0), MLV_ENV_OK);
        test_buf_free(&env);
    }
}

/* Rewrap: a new editor can open an old envelope, a retired one no longer
 * can, and the payload bytes are reused untouched. */
static void rewrap(void)
{
    uint8_t *contents = pattern(100000, 5), receipt[MLV_RECEIPT_BYTES], *hdr = NULL, *joined;
    mlv_file_info file = { .name = "a.bin", .length = 100000 };
    mlv_metadata meta = { .nfiles = 1, .files = &file };
    const mlv_box_keypair *k0 = test_editor(0), *k2 = test_editor(2);
    mlv_box_public add;
    uint8_t remove[MLV_KEY_ID_BYTES];
    test_buf env = { 0 };
    size_t hdr_len = 0, old_hdr = MLV_ENV_HEADER_BYTES(1);

    CHECK(test_seal(&meta, contents, 100000, 1, 0, &env, receipt) == MLV_ENV_OK);
    test_editor_public(1, &add);
    memcpy(remove, k0->id, MLV_KEY_ID_BYTES);
    CHECK(mlv_env_rewrap(env.data, env.len, &k2, 1, &add, 1, remove, 1, &hdr, &hdr_len) ==
          MLV_ENV_ERR_NOT_FOR_ME);
    CHECK(mlv_env_rewrap(env.data, env.len, &k0, 1, NULL, 0, remove, 1, &hdr, &hdr_len) == MLV_ENV_ERR_USAGE);
    CHECK(mlv_env_rewrap(env.data, 30, &k0, 1, &add, 1, remove, 1, &hdr, &hdr_len) == MLV_ENV_ERR_TRUNCATED);
    CHECK(mlv_env_rewrap(env.data, env.len, &k0, 1, &add, 1, remove, 1, &hdr, &hdr_len) == MLV_ENV_OK);
    CHECK_EQ_INT(hdr_len, old_hdr);
    joined = malloc(hdr_len + env.len - old_hdr);
    memcpy(joined, hdr, hdr_len);
    memcpy(joined + hdr_len, env.data + old_hdr, env.len - old_hdr);
    CHECK_EQ_INT(open_bytes(joined, hdr_len + env.len - old_hdr, 1), MLV_ENV_OK);
    CHECK_EQ_INT(open_bytes(joined, hdr_len + env.len - old_hdr, 0), MLV_ENV_ERR_NOT_FOR_ME);
    free(hdr);
    /* Adding without removing keeps both; adding twice changes nothing more. */
    CHECK(mlv_env_rewrap(env.data, env.len, &k0, 1, &add, 1, NULL, 0, &hdr, &hdr_len) == MLV_ENV_OK);
    CHECK_EQ_INT(hdr_len, MLV_ENV_HEADER_BYTES(2));
    free(joined);
    joined = malloc(hdr_len + env.len - old_hdr);
    memcpy(joined, hdr, hdr_len);
    memcpy(joined + hdr_len, env.data + old_hdr, env.len - old_hdr);
    CHECK_EQ_INT(open_bytes(joined, hdr_len + env.len - old_hdr, 0), MLV_ENV_OK);
    CHECK_EQ_INT(open_bytes(joined, hdr_len + env.len - old_hdr, 1), MLV_ENV_OK);
    {
        uint8_t *again = NULL;
        size_t again_len = 0;

        CHECK(mlv_env_rewrap(joined, hdr_len, &k0, 1, &add, 1, NULL, 0, &again, &again_len) == MLV_ENV_OK);
        CHECK_EQ_INT(again_len, hdr_len);
        free(again);
    }
    /* A rewrapped header with a stanza altered is caught by the new MAC. */
    joined[MLV_ENV_FIXED_BYTES + MLV_ENV_STANZA_BYTES + 20] ^= 1;
    CHECK_EQ_INT(open_bytes(joined, hdr_len + env.len - old_hdr, 0), MLV_ENV_ERR_TAMPERED);
    free(joined);
    free(hdr);
    test_buf_free(&env);
    free(contents);
}

/* The vault opens with the file key it kept: the same bytes, the same
 * receipt; a wrong key or a changed header is TAMPERED, not garbage. */
static mlv_env_status open_with_file_key(const uint8_t *env, size_t len, const uint8_t *file_key,
                                         test_opened *got, uint8_t receipt[MLV_RECEIPT_BYTES])
{
    mlv_pay_opener *o = NULL;
    mlv_env_status st;

    memset(got, 0, sizeof *got);
    st = mlv_pay_open_new_file_key(&o, file_key, &test_opened_callbacks, got);

    if (st == MLV_ENV_OK)
        st = mlv_pay_open_feed(o, env, len);
    if (st == MLV_ENV_OK)
        st = mlv_pay_open_finish(o, receipt);
    mlv_pay_open_free(o);
    return st;
}

static void known_file_key(void)
{
    uint8_t *contents = pattern(70000, 9), receipt[MLV_RECEIPT_BYTES], again[MLV_RECEIPT_BYTES];
    uint8_t file_key[MLV_ENV_FILE_KEY_BYTES];
    mlv_file_info file = { .name = "b.bin", .length = 70000 };
    mlv_metadata meta = { .message = "known key", .nfiles = 1, .files = &file };
    const mlv_box_keypair *k0 = test_editor(0);
    mlv_env_opener *o = NULL;
    test_buf env = { 0 }, sink = { 0 };
    test_opened got;

    CHECK(test_seal(&meta, contents, 70000, 2, 0, &env, receipt) == MLV_ENV_OK);
    CHECK(mlv_env_open_new(&o, &k0, 1, test_buf_write, &sink) == MLV_ENV_OK);
    CHECK(mlv_env_open_feed(o, env.data, MLV_ENV_HEADER_BYTES(2)) == MLV_ENV_OK);
    CHECK(mlv_env_open_file_key(o) != NULL);
    if (mlv_env_open_file_key(o) != NULL)
        memcpy(file_key, mlv_env_open_file_key(o), sizeof file_key);
    mlv_env_open_free(o);
    CHECK_EQ_INT(open_with_file_key(env.data, env.len, file_key, &got, again), MLV_ENV_OK);
    CHECK(memcmp(receipt, again, sizeof receipt) == 0);
    CHECK(got.files[0].len == 70000 && memcmp(got.files[0].data, contents, 70000) == 0);
    CHECK(got.meta.message != NULL && strcmp(got.meta.message, "known key") == 0);
    test_opened_free(&got);
    {
        /* One opener, reset between envelopes, as the vault reads them. */
        mlv_pay_opener *p = NULL;
        test_opened one;
        memset(&one, 0, sizeof one);
        CHECK(mlv_pay_open_new_file_key(&p, file_key, &test_opened_callbacks, &one) == MLV_ENV_OK);
        CHECK(mlv_pay_open_feed(p, env.data, env.len / 2) == MLV_ENV_OK); /* abandoned half way */
        test_opened_free(&one);
        memset(&one, 0, sizeof one);
        CHECK(mlv_pay_open_reset_file_key(p, file_key) == MLV_ENV_OK);
        CHECK(mlv_pay_open_feed(p, env.data, env.len) == MLV_ENV_OK && mlv_pay_open_finish(p, again) == MLV_ENV_OK);
        CHECK(memcmp(receipt, again, sizeof receipt) == 0);
        CHECK(one.files[0].len == 70000 && memcmp(one.files[0].data, contents, 70000) == 0);
        test_opened_free(&one);
        memset(&one, 0, sizeof one);
        file_key[0] ^= 1;
        CHECK(mlv_pay_open_reset_file_key(p, file_key) == MLV_ENV_OK);
        CHECK_EQ_INT(mlv_pay_open_feed(p, env.data, env.len), MLV_ENV_ERR_TAMPERED);
        file_key[0] ^= 1;
        CHECK(mlv_pay_open_reset_file_key(p, file_key) == MLV_ENV_OK);
        CHECK(mlv_pay_open_feed(p, env.data, env.len) == MLV_ENV_OK && mlv_pay_open_finish(p, again) == MLV_ENV_OK);
        mlv_pay_open_free(p);
        test_opened_free(&one);
    }
    {
        /* The header alone gives the same file key. */
        uint8_t k2[MLV_ENV_FILE_KEY_BYTES];
        int index = -2;
        CHECK(mlv_env_header_open(env.data, MLV_ENV_HEADER_BYTES(2), &k0, 1, k2, &index) == MLV_ENV_OK);
        CHECK(index == 0 && memcmp(k2, file_key, sizeof k2) == 0);
        CHECK_EQ_INT(mlv_env_header_open(env.data, MLV_ENV_HEADER_BYTES(2) - 1, &k0, 1, k2, &index),
                     MLV_ENV_ERR_TRUNCATED);
    }
    file_key[5] ^= 1;
    CHECK_EQ_INT(open_with_file_key(env.data, env.len, file_key, &got, again), MLV_ENV_ERR_TAMPERED);
    test_opened_free(&got);
    file_key[5] ^= 1;
    env.data[MLV_ENV_FIXED_BYTES + 3] ^= 1; /* a stanza's key id */
    CHECK_EQ_INT(open_with_file_key(env.data, env.len, file_key, &got, again), MLV_ENV_ERR_TAMPERED);
    test_opened_free(&got);
    test_buf_free(&env);
    test_buf_free(&sink);
    free(contents);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    stream_round_trips();
    payload_round_trips();
    padding_hides_layout();
    changed_input_refused();
    sealer_refuses_bad_recipients();
    tamper_classes();
    forged_payloads();
    rewrap();
    known_file_key();
    return check_exit();
}
