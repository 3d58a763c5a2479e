/*
 * Writes the generated seed corpora: real envelopes, plaintext streams,
 * metadata records, signed manifests and key files, all made by
 * libmalyava itself with the fixed fuzz keys and the replayable random
 * generator, so the same build writes the same bytes every time.
 * Usage: fuzz_seeds CORPUS_DIR [SIDE_DIR]
 * CORPUS_DIR gets one directory per harness. SIDE_DIR, if given, gets
 * what make-corpus needs to have real programs add seeds: the fixed
 * organisation key as minisign secret and public key files, a manifest
 * text to sign, and a manifest valid today with its signature.
 * tests/fuzz/make-corpus runs it; see there.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include <malyava/envelope.h>
#include <malyava/fileio.h>
#include <malyava/keyfile.h>
#include <malyava/manifest.h>
#include <malyava/payload.h>
#include <malyava/reply.h>

#include "fuzz.h"
#include "imgbuild.h"

/* Corpus files are committed; keep them small. */
#define SEED_MAX_BYTES (64u * 1024u)
#define MANY_KEYS MLV_MAX_RECIPIENTS
#define ISSUED_DAY (MLV_FUZZ_TODAY - 14)

static const char *corpus_dir;
static const char *side_dir;
static int failures;

static void write_file(const char *path, const void *data, size_t len)
{
    if (mlv_file_write_new(path, data, len) != 0) {
        fprintf(stderr, "fuzz_seeds: cannot write %s: %s\n", path, strerror(errno));
        failures++;
    }
}

static void put_side(const char *name, const void *data, size_t len)
{
    char path[4096];

    if (side_dir == NULL)
        return;
    snprintf(path, sizeof path, "%s/%s", side_dir, name);
    write_file(path, data, len);
}

static void put(const char *harness, const char *name, const void *data, size_t len)
{
    char path[4096];

    if (len > SEED_MAX_BYTES) {
        fprintf(stderr, "fuzz_seeds: %s/%s is %zu bytes, over the %u-byte seed cap\n", harness, name, len,
                SEED_MAX_BYTES);
        failures++;
        return;
    }
    snprintf(path, sizeof path, "%s/%s", corpus_dir, harness);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "fuzz_seeds: cannot create %s: %s\n", path, strerror(errno));
        failures++;
        return;
    }
    snprintf(path, sizeof path, "%s/%s/%s", corpus_dir, harness, name);
    write_file(path, data, len);
}

/* ---- metadata records --------------------------------------------------- */

#define SEED_FILES_MAX 40u
#define SEED_RECORDS 6u

typedef struct seed_record {
    const char *label;
    mlv_metadata meta;
    mlv_file_info files[SEED_FILES_MAX];
    mlv_field fields[MLV_MAX_FIELDS];
    uint8_t *contents[SEED_FILES_MAX];
} seed_record;

static char field_names[MLV_MAX_FIELDS][16];

static void add_file(seed_record *r, const char *name, const char *type, size_t len, mlv_file_meta meta)
{
    size_t i = r->meta.nfiles++;
    mlv_file_info *f = &r->files[i];

    f->name = (char *)name;
    f->media_type = (char *)type;
    f->length = len;
    f->meta = meta;
    r->contents[i] = malloc(len > 0 ? len : 1);
    if (r->contents[i] == NULL)
        abort();
    for (size_t k = 0; k < len; k++)
        r->contents[i][k] = (uint8_t)(k * 7u + i);
    if (len >= 4 && type != NULL && strcmp(type, "image/jpeg") == 0)
        memcpy(r->contents[i], "\xff\xd8\xff\xe0", 4);
    crypto_generichash(f->digest, sizeof f->digest, r->contents[i], len, NULL, 0);
    r->meta.files = r->files;
}

static void add_field(seed_record *r, const char *name, const char *value)
{
    r->fields[r->meta.nfields].name = (char *)name;
    r->fields[r->meta.nfields].value = (char *)value;
    r->meta.nfields++;
    r->meta.fields = r->fields;
}

static size_t make_records(seed_record r[SEED_RECORDS])
{
    size_t n = 0;

    memset(r, 0, SEED_RECORDS * sizeof *r);
    r[n].label = "message-only";
    r[n].meta.message = "Меня избили в СИЗО-1 14 января. Свидетели: двое сокамерников.\n";
    n++;

    r[n].label = "fields-files-reply";
    r[n].meta.message = "Фото синяків після допиту, та заява адвоката.";
    add_field(&r[n], "place", "Ростов-на-Дону, СИЗО-5");
    add_field(&r[n], "date", "2026-01-14");
    add_field(&r[n], "category", "torture");
    add_file(&r[n], "photo.jpg", "image/jpeg", 3000, MLV_FILE_META_STRIPPED);
    add_file(&r[n], "statement.pdf", "application/pdf", 1200, MLV_FILE_META_NONE);
    r[n].meta.has_reply_key = 1;
    for (unsigned i = 0; i < MLV_REPLY_KEY_BYTES; i++)
        r[n].meta.reply_key[i] = (uint8_t)(0xa0 + i);
    n++;

    r[n].label = "empty-file-kept";
    add_file(&r[n], "location.heic", "image/heic", 0, MLV_FILE_META_KEPT);
    n++;

    r[n].label = "odd-names";
    r[n].meta.message = "";
    add_file(&r[n], "протокол допроса.txt", "text/plain", 17, MLV_FILE_META_NONE);
    add_file(&r[n], "..hidden", NULL, 1, MLV_FILE_META_NONE);
    add_file(&r[n], "-rf", "application/octet-stream", 2, MLV_FILE_META_NONE);
    add_file(&r[n], "-rf", "application/octet-stream", 3, MLV_FILE_META_NONE);
    n++;

    r[n].label = "max-fields";
    for (unsigned i = 0; i < MLV_MAX_FIELDS; i++) {
        snprintf(field_names[i], sizeof field_names[i], "field%u", i);
        add_field(&r[n], field_names[i], i % 2 ? "да" : "x");
    }
    n++;

    r[n].label = "many-files";
    for (unsigned i = 0; i < SEED_FILES_MAX; i++)
        add_file(&r[n], i % 2 ? "a.bin" : "b", NULL, i, i % 3);
    n++;
    return n;
}

static void free_records(seed_record *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < r[i].meta.nfiles; k++)
            free(r[i].contents[k]);
}

/* ---- envelopes ---------------------------------------------------------- */

static mlv_box_public many[MANY_KEYS];

static int seal_record(const seed_record *r, const mlv_box_public *to, size_t n, uint8_t flags, mlv_fuzz_buf *out)
{
    mlv_pay_sealer *s = NULL;
    uint8_t receipt[MLV_RECEIPT_BYTES];
    int rc = -1;

    out->max = 16u * 1024u * 1024u;
    if (mlv_pay_seal_new(&s, to, n, flags, &r->meta, mlv_fuzz_buf_write, out) != MLV_ENV_OK)
        goto out;
    for (size_t i = 0; i < r->meta.nfiles; i++)
        if (mlv_pay_seal_data(s, r->contents[i], r->files[i].length) != MLV_ENV_OK)
            goto out;
    if (mlv_pay_seal_finish(s, receipt) != MLV_ENV_OK)
        goto out;
    rc = 0;
out:
    mlv_pay_seal_free(s);
    if (rc != 0) {
        fprintf(stderr, "fuzz_seeds: sealing '%s' failed\n", r->label);
        failures++;
    }
    return rc;
}

/* The plaintext stream inside: what the env_payload harness seals. */
static void put_plaintext(const char *name, const mlv_fuzz_buf *env)
{
    const mlv_box_keypair *keys[1] = { mlv_fuzz_editor_key() };
    mlv_fuzz_buf plain = { .max = env->len };
    mlv_env_opener *o = NULL;
    uint8_t receipt[MLV_RECEIPT_BYTES];

    if (mlv_env_open_new(&o, keys, 1, mlv_fuzz_buf_write, &plain) != MLV_ENV_OK ||
        mlv_env_open_feed(o, env->data, env->len) != MLV_ENV_OK || mlv_env_open_finish(o, receipt) != MLV_ENV_OK) {
        fprintf(stderr, "fuzz_seeds: cannot reopen %s\n", name);
        failures++;
    } else {
        put("env_payload", name, plain.data, plain.len);
    }
    mlv_env_open_free(o);
    mlv_fuzz_buf_free(&plain);
}

static void put_envelope(const char *name, const mlv_fuzz_buf *env, int for_us)
{
    mlv_env_header h;

    put("env_open", name, env->data, env->len);
    if (mlv_env_header_parse(env->data, env->len, &h) != MLV_ENV_OK) {
        fprintf(stderr, "fuzz_seeds: the header of %s does not parse\n", name);
        failures++;
        return;
    }
    put("env_header", name, env->data, h.header_bytes);
    if (for_us)
        put_plaintext(name, env);
}

static void make_envelopes(const seed_record *r, size_t nrecords)
{
    mlv_box_public to[3];
    mlv_fuzz_buf env = { 0 };

    mlv_fuzz_editor_public(&to[0]);
    for (size_t i = 0; i < nrecords; i++) {
        env.len = 0;
        if (seal_record(&r[i], to, 1, 0, &env) == 0)
            put_envelope(r[i].label, &env, 1);
    }

    /* Ours among others, server-sealed, and one not for us at all. */
    mlv_fuzz_other_public(0, &to[0]);
    mlv_fuzz_editor_public(&to[1]);
    mlv_fuzz_other_public(1, &to[2]);
    env.len = 0;
    if (seal_record(&r[1], to, 3, MLV_ENV_FLAG_SERVER_SEALED, &env) == 0)
        put_envelope("server-sealed-3-recipients", &env, 1);
    env.len = 0;
    if (seal_record(&r[0], to, 1, 0, &env) == 0)
        put_envelope("not-for-us", &env, 0);

    /* The largest header there is. */
    mlv_fuzz_editor_public(&many[MANY_KEYS - 1]);
    env.len = 0;
    if (seal_record(&r[0], many, MANY_KEYS, 0, &env) == 0) {
        put_envelope("max-recipients", &env, 1);
        /* A prefix the server must answer with "need more". */
        put("env_header", "max-recipients-prefix", env.data, MLV_ENV_HEADER_BYTES(MANY_KEYS) / 2);
    }
    mlv_fuzz_buf_free(&env);
}

/* ---- manifests and keys ------------------------------------------------- */

static int by_id(const void *a, const void *b)
{
    return memcmp(((const mlv_box_public *)a)->id, ((const mlv_box_public *)b)->id, MLV_KEY_ID_BYTES);
}

/* A manifest, signed by the fixed organisation key, for `issued` and the
 * default validity after it. */
static int sign_manifest(uint64_t serial, size_t nkeys, int64_t issued, char **text, size_t *text_len, char **sig,
                         size_t *sig_len)
{
    mlv_manifest m;

    memset(&m, 0, sizeof m);
    m.serial = serial;
    m.issued_day = issued;
    m.expires_day = issued + MLV_DEFAULT_MANIFEST_DAYS;
    m.nkeys = nkeys;
    mlv_fuzz_editor_public(&m.keys[0]);
    for (size_t i = 1; i < nkeys; i++)
        m.keys[i] = many[i - 1];
    qsort(m.keys, nkeys, sizeof m.keys[0], by_id);
    if (mlv_man_format(&m, text, text_len) != 0)
        return -1;
    return mlv_man_sign(*text, *text_len, &m, mlv_fuzz_org_public()->id, mlv_fuzz_org_secret(), sig, sig_len);
}

static void make_manifest(const char *name, uint64_t serial, size_t nkeys)
{
    char *text = NULL, *sig = NULL;
    size_t text_len = 0, sig_len = 0;
    uint8_t *both = NULL;

    if (sign_manifest(serial, nkeys, ISSUED_DAY, &text, &text_len, &sig, &sig_len) != 0 ||
        (both = malloc(text_len + 1 + sig_len)) == NULL) {
        fprintf(stderr, "fuzz_seeds: cannot make manifest %s\n", name);
        failures++;
        goto out;
    }
    if (serial == 1)
        put_side("manifest.txt", text, text_len);
    memcpy(both, text, text_len);
    both[text_len] = 0;
    memcpy(both + text_len + 1, sig, sig_len);
    put("manifest", name, both, text_len + 1 + sig_len);
out:
    free(text);
    free(sig);
    free(both);
}

/* For real programs that check the manifest against the clock (the
 * server's init); never a seed, since it changes every day. */
static void make_current_manifest(void)
{
    char *text = NULL, *sig = NULL;
    size_t text_len = 0, sig_len = 0;

    if (sign_manifest(1, 1, mlv_day_today(), &text, &text_len, &sig, &sig_len) != 0) {
        fprintf(stderr, "fuzz_seeds: cannot make today's manifest\n");
        failures++;
    } else {
        put_side("manifest-now", text, text_len);
        put_side("manifest-now.minisig", sig, sig_len);
    }
    free(text);
    free(sig);
}

/* minisign's own secret key file, unencrypted (as `minisign -G -W` writes
 * it), holding the fixed organisation key: with it the real minisign signs
 * manifests that the fuzzed verifier must accept. Layout: "Ed", KDF "\0\0"
 * (none), "B2", salt[32], opslimit[8], memlimit[8] (all zero without a
 * KDF), key number[8], Ed25519 secret key[64], then BLAKE2b-256 of the
 * algorithm, key number and secret key. */
#define MINISIGN_SK_HEAD_BYTES (2u + 2u + 2u + 32u + 8u + 8u)
#define MINISIGN_SK_BYTES (MINISIGN_SK_HEAD_BYTES + 8u + 64u + 32u)

static void put_minisign_secret(void)
{
    uint8_t blob[MINISIGN_SK_BYTES], *key = blob + MINISIGN_SK_HEAD_BYTES;
    char b64[sodium_base64_ENCODED_LEN(sizeof blob, sodium_base64_VARIANT_ORIGINAL)], text[300];
    crypto_generichash_state st;
    int n;

    memset(blob, 0, sizeof blob);
    memcpy(blob, "Ed\0\0B2", 6);
    memcpy(key, mlv_fuzz_org_public()->id, 8);
    memcpy(key + 8, mlv_fuzz_org_secret(), 64);
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, blob, 2);
    crypto_generichash_update(&st, key, 8 + 64);
    crypto_generichash_final(&st, key + 8 + 64, 32);
    sodium_bin2base64(b64, sizeof b64, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
    n = snprintf(text, sizeof text,
                 "untrusted comment: fixed fuzz organisation key, published in the test sources\n%s\n", b64);
    put_side("org.minisign-key", text, (size_t)n);
    sodium_memzero(blob, sizeof blob);
}

static void make_org_key(void)
{
    char *text = NULL;
    size_t len = 0;

    if (mlv_org_public_format(mlv_fuzz_org_public(), &text, &len) != 0) {
        fprintf(stderr, "fuzz_seeds: cannot format the organisation key\n");
        failures++;
        return;
    }
    put("org_pubkey", "fixed-org", text, len);
    put_side("org.pub", text, len);
    free(text);
    put_minisign_secret();
}

/* Argon2id at libsodium's minimum, so the keyfile harness can afford to
 * decode; one file at the interactive cost for inspect alone. */
static void make_secret_key(const char *name, mlv_key_kind kind, const char *profile)
{
    static const char pass[] = MLV_FUZZ_PASSPHRASE;
    uint8_t image[MLV_KEY_SECRET_FILE_BYTES], seed[32];
    mlv_key_kdf kdf = { crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN };
    const uint8_t *secret = kind == MLV_KEY_KIND_EDITOR ? mlv_fuzz_editor_key()->sk : seed;

    memcpy(seed, mlv_fuzz_org_secret(), sizeof seed); /* an Ed25519 secret key starts with its seed */
    if ((profile != NULL && mlv_key_kdf_from_name(profile, &kdf) != 0) ||
        mlv_key_secret_encode(image, kind, secret, pass, sizeof pass - 1, &kdf, NULL, NULL) != MLV_KEY_OK) {
        fprintf(stderr, "fuzz_seeds: cannot make secret key file %s\n", name);
        failures++;
    } else {
        put("keyfile", name, image, sizeof image);
    }
    sodium_memzero(seed, sizeof seed);
}

static void make_editor_public(const char *file, const mlv_box_public *pub, const char *name)
{
    char *text = NULL;
    size_t len = 0;

    if (mlv_key_box_public_format(pub, name, &text, &len) != 0) {
        fprintf(stderr, "fuzz_seeds: cannot format editor key %s\n", file);
        failures++;
        return;
    }
    put("editor_pubkey", file, text, len);
    free(text);
}

static void make_keys(void)
{
    mlv_box_public pub;

    make_org_key();
    make_secret_key("editor-min-cost", MLV_KEY_KIND_EDITOR, NULL);
    make_secret_key("organisation-min-cost", MLV_KEY_KIND_ORGANISATION, NULL);
    make_secret_key("editor-interactive", MLV_KEY_KIND_EDITOR, "interactive");
    mlv_fuzz_editor_public(&pub);
    make_editor_public("fixed-editor", &pub, "alice");
    mlv_fuzz_other_public(0, &pub);
    make_editor_public("long-name", &pub, "Zoryana.Kovalenko_desk-2.backup.2026-01-14.0123456789abcdefghijk");
}

/* Photos and videos for imagemeta: the hand-built samples of the unit
 * tests (metadata of every kind, both Exif byte orders), a clean video, a
 * JFIF thumbnail, an Exif whose IFDs loop, and an image kind not inspected. */
static void make_images(void)
{
    static const uint8_t jfif_thumb[20] = {'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 2, 1, 9, 9, 9, 8, 8, 8};
    static const char *const samples[] = {"jpeg-exif-le", "jpeg-exif-be", "png-meta-le",
                                          "png-meta-be",  "mp4-meta",     "mp4-clean"};
    imgb b = {0}, tiff = {0};
    imgb_exif_layout l;

    for (unsigned i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        if (i < 2)
            imgb_sample_jpeg(&b, NULL, (int)(i & 1u));
        else if (i < 4)
            imgb_sample_png(&b, NULL, (int)(i & 1u));
        else
            imgb_sample_mp4(&b, 64, (int)(i & 1u));
        put("imagemeta", samples[i], b.data, b.len);
        imgb_free(&b);
    }

    imgb_put(&b, "\xff\xd8", 2);
    imgb_jpeg_segment(&b, 0xe0, jfif_thumb, sizeof jfif_thumb);
    imgb_exif(&tiff, 1, &l);
    imgb_tiff_set32(tiff.data + l.next_pointer, 1, (uint32_t)l.ifd0);
    imgb_jpeg_exif(&b, &tiff);
    imgb_jpeg_segment(&b, 0xc0, "\x08\0\x08\0\x08\x01\x01\x11\0", 9);
    imgb_jpeg_segment(&b, 0xda, "\x01\x01\0\0\x3f\0", 6);
    imgb_put(&b, "\x2b\xff\x00\xff\xd0\x2b\xff\xff\xd9", 9);
    put("imagemeta", "jpeg-thumb-loop", b.data, b.len);
    imgb_free(&b);
    imgb_free(&tiff);

    imgb_sample_png_profiles(&b);
    put("imagemeta", "png-raw-profiles", b.data, b.len);
    imgb_free(&b);
    put("imagemeta", "heic", "\0\0\0\x18" "ftypheic\0\0\0\0mif1heic", 24);
}

/* ---- replies (docs/FORMAT.md §4.5) ---------------------------------- */

static void put_reply(const char *name, const mlv_box_keypair *from, const char *text)
{
    mlv_metadata m;
    uint8_t *r = NULL;
    size_t len = 0;

    memset(&m, 0, sizeof m);
    m.message = (char *)text;
    if (mlv_reply_seal(from, mlv_fuzz_editor_key()->pk, &m, &r, &len) != MLV_REPLY_OK) {
        fprintf(stderr, "fuzz_seeds: cannot seal reply %s\n", name);
        failures++;
        return;
    }
    put("reply", name, r, len);
    free(r);
}

static void make_replies(void)
{
    mlv_box_public me;
    mlv_fuzz_buf bare = { .max = SEED_MAX_BYTES };
    seed_record r;

    put_reply("genuine", mlv_fuzz_replier_key(), "Мы получили. We received it.");
    put_reply("genuine-empty", mlv_fuzz_replier_key(), "");
    put_reply("unlisted", mlv_fuzz_editor_key(), "Reply with your full name.");
    memset(&r, 0, sizeof r);
    r.meta.message = "Reply with your full name.";
    mlv_fuzz_editor_public(&me);
    if (seal_record(&r, &me, 1, 0, &bare) == 0)
        put("reply", "bare-envelope", bare.data, bare.len);
    mlv_fuzz_buf_free(&bare);
}

int main(int argc, char **argv)
{
    seed_record records[SEED_RECORDS];
    uint8_t sk[crypto_box_SECRETKEYBYTES];
    size_t n;

    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: fuzz_seeds CORPUS_DIR [SIDE_DIR]\n");
        return 2;
    }
    corpus_dir = argv[1];
    side_dir = argc == 3 ? argv[2] : NULL;
    mlv_fuzz_init();
    for (size_t i = 0; i < MANY_KEYS; i++) {
        crypto_box_keypair(many[i].pk, sk);
        mlv_keyid_compute(many[i].id, many[i].pk, sizeof many[i].pk);
    }
    sodium_memzero(sk, sizeof sk);
    n = make_records(records);
    for (size_t i = 0; i < n; i++) {
        char *json = NULL;
        size_t len = 0;

        if (mlv_meta_encode(&records[i].meta, &json, &len) != MLV_ENV_OK) {
            fprintf(stderr, "fuzz_seeds: cannot encode record %s\n", records[i].label);
            failures++;
            continue;
        }
        put("metadata", records[i].label, json, len);
        free(json);
    }
    make_envelopes(records, n);
    make_manifest("one-key", 1, 1);
    make_manifest("three-keys", 7, 3);
    make_manifest("max-keys", 123456789, MLV_MAX_MANIFEST_KEYS);
    make_current_manifest();
    make_keys();
    make_images();
    make_replies();
    free_records(records, n);
    return failures == 0 ? 0 : 1;
}
