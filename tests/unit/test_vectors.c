/*
 * Known-answer vectors (tests/vectors/envelope-*.bin, described in the
 * .json beside each): fixed editor keys, fixed inputs, and a fixed random
 * source, so sealing is reproducible byte for byte - by this program, and
 * by any other implementation of docs/FORMAT.md (the browser's included).
 *
 * The random source: draw number i (from 0, per envelope) fills its n
 * bytes with the ChaCha20 keystream (crypto_stream_chacha20, 64-bit nonce)
 * under the key of 32 bytes 0x4d ('M') and the nonce i as 8 bytes little
 * endian. Draws come in this order: file key (32), then for each stanza
 * the ephemeral X25519 secret key of crypto_box_seal (32), then the
 * secretstream header (24, of which libsodium uses the nonce part).
 * A reply (reply-*.bin, docs/FORMAT.md §4.5) then draws the proof's nonce
 * (24) and crypto_box_seal's ephemeral secret key (32).
 *
 *   test_vectors DIR            check every vector in DIR
 *   test_vectors --write DIR    (re)make them
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/reply.h>

#include "check.h"
#include "support.h"

static uint64_t draw_index;

static const char *fixed_name(void)
{
    return "malyava-test-chacha20";
}

static uint32_t fixed_random(void);

static void fixed_buf(void *const buf, const size_t size)
{
    static const uint8_t key[crypto_stream_chacha20_KEYBYTES] = {
        0x4d, 0x4d, 0x4d, 0x4d, 0x4d, 0x4d, 0x4d, 0x4d, 0x4d, 0x4d, 0x4d, 0x4d, 0x4d, 0x4d, 0x4d, 0x4d,
        0x4d, 0x4d, 0x4d, 0x4d, 0x4d, 0x4d, 0x4d, 0x4d, 0x4d, 0x4d, 0x4d, 0x4d, 0x4d, 0x4d, 0x4d, 0x4d,
    };
    uint8_t nonce[crypto_stream_chacha20_NONCEBYTES];

    for (unsigned i = 0; i < sizeof nonce; i++)
        nonce[i] = (uint8_t)(draw_index >> (8 * i));
    draw_index++;
    crypto_stream_chacha20(buf, size, nonce, key);
}

static uint32_t fixed_random(void)
{
    uint32_t r;

    fixed_buf(&r, sizeof r);
    return r;
}

static struct randombytes_implementation fixed_rng = {
    .implementation_name = fixed_name,
    .random = fixed_random,
    .buf = fixed_buf,
};

/* ---- the vectors ---- */

typedef struct vector {
    const char *name;
    unsigned recipients[3];
    unsigned nrecipients;
    uint8_t flags;
    const char *message;
    mlv_field fields[2];
    size_t nfields;
    const char *file_name, *file_type;
    size_t file_len;
    unsigned mul, add; /* file byte i = (i * mul + add) % 251 */
    mlv_file_meta file_meta;
    int reply_to_editor; /* -1: none */
} vector;

static const vector vectors[] = {
    { "envelope-1", { 0 }, 1, 0, "Меня били в ИК-2. Testimony one.",
      { { "date", "2026-11-01" }, { "place", "IK-2" } }, 2, "photo.jpg", "image/jpeg", 1000, 7, 1,
      MLV_FILE_META_STRIPPED, 2 },
    { "envelope-2", { 0, 1, 2 }, 3, 0, "second", { { NULL, NULL } }, 0, "scan.pdf", "application/pdf", 70000, 13,
      5, MLV_FILE_META_NONE, -1 },
    { "envelope-3", { 1 }, 1, MLV_ENV_FLAG_SERVER_SEALED, NULL, { { NULL, NULL } }, 0, NULL, NULL, 0, 0, 0,
      MLV_FILE_META_NONE, -1 },
};

static uint8_t *vector_contents(const vector *v)
{
    uint8_t *p = malloc(v->file_len + 1);

    for (size_t i = 0; i < v->file_len; i++)
        p[i] = (uint8_t)((i * v->mul + v->add) % 251u);
    return p;
}

static void vector_metadata(const vector *v, mlv_file_info *file, mlv_metadata *m)
{
    memset(m, 0, sizeof *m);
    memset(file, 0, sizeof *file);
    m->message = (char *)v->message;
    m->fields = (mlv_field *)v->fields;
    m->nfields = v->nfields;
    if (v->file_name != NULL) {
        file->name = (char *)v->file_name;
        file->media_type = (char *)v->file_type;
        file->length = v->file_len;
        file->meta = v->file_meta;
        m->files = file;
        m->nfiles = 1;
    }
    if (v->reply_to_editor >= 0) {
        m->has_reply_key = 1;
        memcpy(m->reply_key, test_editor((unsigned)v->reply_to_editor)->pk, 32);
    }
}

/* Seals a vector with the fixed random source: the same bytes every time. */
static mlv_env_status seal_vector(const vector *v, test_buf *out, uint8_t receipt[MLV_RECEIPT_BYTES])
{
    mlv_box_public recipients[3];
    mlv_pay_sealer *s = NULL;
    mlv_file_info file;
    mlv_metadata m;
    uint8_t *contents = vector_contents(v);
    mlv_env_status st;

    vector_metadata(v, &file, &m);
    if (m.nfiles == 1)
        crypto_generichash(file.digest, 32, contents, v->file_len, NULL, 0);
    for (unsigned i = 0; i < v->nrecipients; i++)
        test_editor_public(v->recipients[i], &recipients[i]);
    draw_index = 0;
    st = mlv_pay_seal_new(&s, recipients, v->nrecipients, v->flags, &m, test_buf_write, out);
    if (st == MLV_ENV_OK)
        st = mlv_pay_seal_data(s, contents, v->file_len);
    if (st == MLV_ENV_OK)
        st = mlv_pay_seal_finish(s, receipt);
    mlv_pay_seal_free(s);
    free(contents);
    return st;
}

static char *path_of(const char *dir, const char *name, const char *ext)
{
    char *p = NULL;

    if (asprintf(&p, "%s/%s.%s", dir, name, ext) < 0)
        abort();
    return p;
}

static void hex_of(char *out, const uint8_t *in, size_t len)
{
    sodium_bin2hex(out, len * 2 + 1, in, len);
}

static int write_vector(const char *dir, const vector *v)
{
    uint8_t receipt[MLV_RECEIPT_BYTES], digest[32];
    char rstr[MLV_RECEIPT_STR_BYTES], hex[65], *bin_path = path_of(dir, v->name, "bin");
    char *json_path = path_of(dir, v->name, "json"), *text;
    json_t *root = json_object(), *keys = json_array();
    test_buf env = { 0 };
    uint8_t *contents = vector_contents(v);
    int rc;

    if (seal_vector(v, &env, receipt) != MLV_ENV_OK)
        return -1;
    mlv_env_receipt_to_string(rstr, receipt);
    for (unsigned i = 0; i < v->nrecipients; i++) {
        const mlv_box_keypair *kp = test_editor(v->recipients[i]);
        json_t *k = json_object();

        hex_of(hex, kp->pk, 32);
        json_object_set_new(k, "seed_byte", json_integer(v->recipients[i] + 1));
        json_object_set_new(k, "public_key", json_string(hex));
        hex_of(hex, kp->sk, 32);
        json_object_set_new(k, "secret_key", json_string(hex));
        json_array_append_new(keys, k);
    }
    json_object_set_new(root, "recipients", keys);
    json_object_set_new(root, "flags", json_integer(v->flags));
    json_object_set_new(root, "rng", json_string("draw i = ChaCha20 keystream, key 32 x 0x4d, 64-bit nonce i LE"));
    if (v->message != NULL)
        json_object_set_new(root, "message", json_string(v->message));
    for (size_t i = 0; i < v->nfields; i++) {
        json_t *fields = json_object_get(root, "fields");

        if (fields == NULL)
            json_object_set_new(root, "fields", fields = json_object());
        json_object_set_new(fields, v->fields[i].name, json_string(v->fields[i].value));
    }
    if (v->file_name != NULL) {
        json_t *f = json_object();
        char rule[64];

        crypto_generichash(digest, 32, contents, v->file_len, NULL, 0);
        hex_of(hex, digest, 32);
        snprintf(rule, sizeof rule, "byte i = (i * %u + %u) %% 251", v->mul, v->add);
        json_object_set_new(f, "name", json_string(v->file_name));
        json_object_set_new(f, "type", json_string(v->file_type));
        json_object_set_new(f, "length", json_integer((json_int_t)v->file_len));
        json_object_set_new(f, "contents", json_string(rule));
        json_object_set_new(f, "blake2b", json_string(hex));
        json_object_set_new(root, "file", f);
    }
    if (v->reply_to_editor >= 0) {
        hex_of(hex, test_editor((unsigned)v->reply_to_editor)->pk, 32);
        json_object_set_new(root, "reply_key", json_string(hex));
    }
    json_object_set_new(root, "envelope_length", json_integer((json_int_t)env.len));
    json_object_set_new(root, "receipt", json_string(rstr));
    text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
    unlink(bin_path);
    unlink(json_path);
    rc = mlv_file_write_new(bin_path, env.data, env.len) == 0 &&
                 mlv_file_write_new(json_path, text, strlen(text)) == 0 ? 0 : -1;
    printf("%s: %zu bytes, receipt %s\n", v->name, env.len, rstr);
    free(text);
    json_decref(root);
    test_buf_free(&env);
    free(contents);
    free(bin_path);
    free(json_path);
    return rc;
}

static void check_vector(const char *dir, const vector *v)
{
    char *bin_path = path_of(dir, v->name, "bin"), *json_path = path_of(dir, v->name, "json");
    uint8_t *bin = NULL, *json = NULL, *contents = vector_contents(v), receipt[MLV_RECEIPT_BYTES];
    size_t bin_len = 0, json_len = 0;
    char rstr[MLV_RECEIPT_STR_BYTES];
    json_t *root;
    test_buf again = { 0 };
    test_opened got;

    if (mlv_file_read_small(bin_path, 1u << 20, &bin, &bin_len) != 0 ||
        mlv_file_read_small(json_path, 1u << 20, &json, &json_len) != 0) {
        fprintf(stderr, "cannot read vector %s: %s\n", v->name, strerror(errno));
        CHECK(!"vector readable");
        goto out;
    }
    root = json_loadb((const char *)json, json_len, 0, NULL);
    CHECK(root != NULL);
    /* (a) Each recipient opens it to the documented contents and receipt. */
    for (unsigned i = 0; i < v->nrecipients; i++) {
        const mlv_box_keypair *key = test_editor(v->recipients[i]);

        CHECK(test_open(bin, bin_len, &key, 1, 0, &got, receipt) == MLV_ENV_OK);
        mlv_env_receipt_to_string(rstr, receipt);
        CHECK(strcmp(rstr, json_string_value(json_object_get(root, "receipt"))) == 0);
        CHECK((v->message == NULL) == (got.meta.message == NULL));
        CHECK(v->message == NULL || strcmp(v->message, got.meta.message) == 0);
        CHECK_EQ_INT(got.meta.nfields, v->nfields);
        CHECK_EQ_INT(got.meta.has_reply_key, v->reply_to_editor >= 0);
        CHECK(got.files[0].len == v->file_len && (v->file_len == 0 || memcmp(got.files[0].data, contents,
                                                                             v->file_len) == 0));
        test_opened_free(&got);
    }
    /* (b) Sealing again with the fixed random source gives the same bytes. */
    CHECK(seal_vector(v, &again, receipt) == MLV_ENV_OK);
    CHECK(again.len == bin_len && memcmp(again.data, bin, bin_len) == 0);
    /* (c) Its tampered twin - one bit in the last chunk - is refused. */
    bin[bin_len - 5] ^= 0x20;
    {
        const mlv_box_keypair *key = test_editor(v->recipients[0]);

        CHECK(test_open(bin, bin_len, &key, 1, 0, &got, receipt) == MLV_ENV_ERR_TAMPERED);
        test_opened_free(&got);
    }
    json_decref(root);
out:
    test_buf_free(&again);
    free(bin);
    free(json);
    free(contents);
    free(bin_path);
    free(json_path);
}

/* ---- reply vectors (docs/FORMAT.md §4.5) ---- */

typedef struct reply_vector {
    const char *name;
    unsigned editor, source; /* test_editor() indices */
    const char *message;
    mlv_reply_status verdict; /* opened by `source` against a manifest of editor 0 only */
} reply_vector;

static const reply_vector reply_vectors[] = {
    { "reply-1", 0, 4, "Мы получили ваше свидетельство. We received your testimony.", MLV_REPLY_OK },
    /* What whoever holds the server can make: a proof from a key of its own. */
    { "reply-2", 9, 4, "Reply with your full name and cell number.", MLV_REPLY_ERR_UNLISTED },
};

static mlv_reply_status seal_reply_vector(const reply_vector *v, uint8_t **out, size_t *len)
{
    mlv_metadata m;

    memset(&m, 0, sizeof m);
    m.message = (char *)v->message;
    draw_index = 0;
    return mlv_reply_seal(test_editor(v->editor), test_editor(v->source)->pk, &m, out, len);
}

static json_t *key_json(unsigned i)
{
    const mlv_box_keypair *kp = test_editor(i);
    json_t *k = json_object();
    char hex[65];

    json_object_set_new(k, "seed_byte", json_integer(i + 1));
    hex_of(hex, kp->pk, 32);
    json_object_set_new(k, "public_key", json_string(hex));
    hex_of(hex, kp->sk, 32);
    json_object_set_new(k, "secret_key", json_string(hex));
    hex_of(hex, kp->id, 8);
    json_object_set_new(k, "key_id", json_string(hex));
    return k;
}

static void manifest_of_editor_0(mlv_manifest *m)
{
    memset(m, 0, sizeof *m);
    m->serial = 1;
    m->nkeys = 1;
    test_editor_public(0, &m->keys[0]);
}

static int write_reply_vector(const char *dir, const reply_vector *v)
{
    char *bin_path = path_of(dir, v->name, "bin"), *json_path = path_of(dir, v->name, "json"), *text, hex[65];
    json_t *root = json_object(), *manifest = json_array();
    uint8_t *r = NULL;
    size_t len = 0;
    int rc;

    if (seal_reply_vector(v, &r, &len) != MLV_REPLY_OK)
        return -1;
    json_object_set_new(root, "editor", key_json(v->editor));
    json_object_set_new(root, "source", key_json(v->source));
    hex_of(hex, test_editor(0)->pk, 32);
    json_array_append_new(manifest, json_string(hex));
    json_object_set_new(root, "manifest_editors", manifest);
    json_object_set_new(root, "message", json_string(v->message));
    json_object_set_new(root, "verdict", json_string(v->verdict == MLV_REPLY_OK ? "OK" : "UNLISTED"));
    json_object_set_new(root, "rng", json_string("draw i = ChaCha20 keystream, key 32 x 0x4d, 64-bit nonce i LE; "
                                                 "draws: file key, stanza ephemeral, stream header, proof nonce, "
                                                 "proof ephemeral"));
    json_object_set_new(root, "reply_length", json_integer((json_int_t)len));
    json_object_set_new(root, "envelope_length", json_integer((json_int_t)(len - MLV_REPLY_PREFIX_BYTES)));
    text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
    unlink(bin_path);
    unlink(json_path);
    rc = mlv_file_write_new(bin_path, r, len) == 0 && mlv_file_write_new(json_path, text, strlen(text)) == 0 ? 0 : -1;
    printf("%s: %zu bytes\n", v->name, len);
    free(text);
    json_decref(root);
    free(r);
    free(bin_path);
    free(json_path);
    return rc;
}

static int reply_message(void *ctx, const mlv_metadata *m)
{
    char **out = ctx;

    *out = m->message != NULL ? strdup(m->message) : NULL;
    return 0;
}

static void check_reply_vector(const char *dir, const reply_vector *v)
{
    static const mlv_pay_callbacks cb = { reply_message, NULL, NULL };
    char *bin_path = path_of(dir, v->name, "bin"), *message = NULL;
    uint8_t *bin = NULL, *again = NULL;
    size_t bin_len = 0, again_len = 0;
    mlv_manifest m;
    mlv_reply_result res;

    if (mlv_file_read_small(bin_path, 1u << 20, &bin, &bin_len) != 0) {
        fprintf(stderr, "cannot read vector %s: %s\n", v->name, strerror(errno));
        CHECK(!"reply vector readable");
        free(bin_path);
        return;
    }
    /* (a) Opened by its source against the manifest: the documented verdict. */
    manifest_of_editor_0(&m);
    CHECK(mlv_reply_open(bin, bin_len, test_editor(v->source), &m, &cb, &message, &res) == v->verdict);
    CHECK(v->verdict != MLV_REPLY_OK || (message != NULL && strcmp(message, v->message) == 0));
    CHECK(v->verdict == MLV_REPLY_OK || message == NULL);
    free(message);
    /* (b) Sealing again with the fixed random source gives the same bytes. */
    CHECK(seal_reply_vector(v, &again, &again_len) == MLV_REPLY_OK);
    CHECK(again_len == bin_len && memcmp(again, bin, bin_len) == 0);
    /* (c) Without its proof, the envelope alone is unproven. */
    message = NULL;
    CHECK(mlv_reply_open(bin + MLV_REPLY_PREFIX_BYTES, bin_len - MLV_REPLY_PREFIX_BYTES, test_editor(v->source), &m,
                         &cb, &message, &res) == MLV_REPLY_ERR_UNPROVEN && message == NULL);
    free(again);
    free(bin);
    free(bin_path);
}

int main(int argc, char **argv)
{
    int writing = argc == 3 && strcmp(argv[1], "--write") == 0;

    if (argc != 2 && !writing) {
        fprintf(stderr, "usage: test_vectors [--write] DIR\n");
        return 2;
    }
    randombytes_set_implementation(&fixed_rng);
    if (sodium_init() < 0)
        return 1;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        if (writing) {
            if (write_vector(argv[2], &vectors[i]) != 0)
                return 1;
        } else {
            check_vector(argv[1], &vectors[i]);
        }
    }
    for (size_t i = 0; i < sizeof reply_vectors / sizeof reply_vectors[0]; i++) {
        if (writing) {
            if (write_reply_vector(argv[2], &reply_vectors[i]) != 0)
                return 1;
        } else {
            check_reply_vector(argv[1], &reply_vectors[i]);
        }
    }
    return writing ? 0 : check_exit();
}
