/* The metadata record is hostile input on the editor's machine: only the
 * documented shape gets through. */
#include <string.h>

#include <sodium.h>

#include "check.h"
#include "support.h"

#define D64 "0000000000000000000000000000000000000000000000000000000000000000"

static mlv_env_status decode(const char *json)
{
    mlv_metadata m;
    mlv_env_status st = mlv_meta_decode(json, strlen(json), &m);

    mlv_meta_clear(&m);
    return st;
}

static void rejects(void)
{
    static const struct {
        const char *json;
        mlv_env_status want;
    } cases[] = {
        { "{\"v\":1}", MLV_ENV_OK },
        { "{\"v\":1,\"files\":[{\"name\":\"a.jpg\",\"length\":0,\"blake2b\":\"" D64 "\"}]}", MLV_ENV_OK },
        { "", MLV_ENV_ERR_MALFORMED },
        { "[]", MLV_ENV_ERR_MALFORMED },
        { "{}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":\"1\"}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":2}", MLV_ENV_ERR_VERSION },
        { "{\"v\":1,\"extra\":1}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"v\":1}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"message\":7}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"message\":\"a\\u0000b\"}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"message\":\"\xff\xfe\"}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"fields\":{\"Place\":\"x\"}}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"fields\":{\"place\":1}}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"fields\":[]}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"files\":{}}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"files\":[{\"name\":\"../x\",\"length\":0,\"blake2b\":\"" D64 "\"}]}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"files\":[{\"name\":\"a/b\",\"length\":0,\"blake2b\":\"" D64 "\"}]}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"files\":[{\"name\":\"a\\\\b\",\"length\":0,\"blake2b\":\"" D64 "\"}]}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"files\":[{\"name\":\"..\",\"length\":0,\"blake2b\":\"" D64 "\"}]}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"files\":[{\"name\":\".\",\"length\":0,\"blake2b\":\"" D64 "\"}]}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"files\":[{\"name\":\"\",\"length\":0,\"blake2b\":\"" D64 "\"}]}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"files\":[{\"name\":\"a\\u001b[2J\",\"length\":0,\"blake2b\":\"" D64 "\"}]}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"files\":[{\"name\":\"a\\u009b\",\"length\":0,\"blake2b\":\"" D64 "\"}]}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"files\":[{\"name\":\"a\",\"length\":-1,\"blake2b\":\"" D64 "\"}]}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"files\":[{\"name\":\"a\",\"length\":1.5,\"blake2b\":\"" D64 "\"}]}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"files\":[{\"name\":\"a\",\"length\":0}]}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"files\":[{\"name\":\"a\",\"length\":0,\"blake2b\":\"00\"}]}", MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"files\":[{\"name\":\"a\",\"length\":0,\"blake2b\":\"" D64 "\",\"metadata\":\"gone\"}]}",
          MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"files\":[{\"name\":\"a\",\"type\":\"text plain\",\"length\":0,\"blake2b\":\"" D64 "\"}]}",
          MLV_ENV_ERR_MALFORMED },
        { "{\"v\":1,\"files\":[{\"name\":\"a\",\"length\":9223372036854775807,\"blake2b\":\"" D64 "\"}]}",
          MLV_ENV_ERR_LIMIT },
        { "{\"v\":1,\"files\":[{\"name\":\"a\",\"length\":40000000000,\"blake2b\":\"" D64 "\"},"
          "{\"name\":\"b\",\"length\":40000000000,\"blake2b\":\"" D64 "\"}]}", MLV_ENV_ERR_LIMIT },
        { "{\"v\":1,\"reply_key\":\"ZZ\"}", MLV_ENV_ERR_MALFORMED },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mlv_env_status got = decode(cases[i].json);

        if (got != cases[i].want)
            fprintf(stderr, "case %zu: %s\n", i, cases[i].json);
        CHECK_EQ_INT(got, cases[i].want);
    }
}

static void limits(void)
{
    char *big = malloc(MLV_MAX_METADATA_BYTES + 64);
    size_t n = 0;

    /* Too many fields, too many files, a record over the size cap. */
    n += (size_t)sprintf(big, "{\"v\":1,\"fields\":{");
    for (unsigned i = 0; i <= MLV_MAX_FIELDS; i++)
        n += (size_t)sprintf(big + n, "%s\"f%u\":\"x\"", i ? "," : "", i);
    strcpy(big + n, "}}");
    CHECK_EQ_INT(decode(big), MLV_ENV_ERR_LIMIT);
    n = (size_t)sprintf(big, "{\"v\":1,\"files\":[");
    for (unsigned i = 0; i <= MLV_MAX_FILES; i++)
        n += (size_t)sprintf(big + n, "%s{\"name\":\"f\",\"length\":0,\"blake2b\":\"" D64 "\"}", i ? "," : "");
    strcpy(big + n, "]}");
    CHECK_EQ_INT(decode(big), MLV_ENV_ERR_LIMIT);
    memset(big, ' ', MLV_MAX_METADATA_BYTES + 1);
    CHECK_EQ_INT(mlv_meta_decode(big, MLV_MAX_METADATA_BYTES + 1, &(mlv_metadata){ 0 }), MLV_ENV_ERR_LIMIT);
    free(big);
}

static void round_trip(void)
{
    mlv_field fields[2] = { { "place", "ИК-2, Мордовия" }, { "date", "2026-11-01" } };
    mlv_file_info files[2] = { { .name = "фото 1.jpg", .media_type = "image/jpeg", .length = 12,
                                 .meta = MLV_FILE_META_STRIPPED },
                               { .name = "clip.mp4", .length = 1u << 30, .meta = MLV_FILE_META_KEPT } };
    mlv_metadata in = { .message = "line 1\nline 2 \"quoted\"", .nfields = 2, .fields = fields, .nfiles = 2,
                        .files = files, .has_reply_key = 1 }, out;
    char *json = NULL, *again = NULL;
    size_t len = 0, len2 = 0;

    memset(files[0].digest, 0xab, 32);
    memset(in.reply_key, 0x42, 32);
    CHECK(mlv_meta_encode(&in, &json, &len) == MLV_ENV_OK);
    CHECK(json != NULL && strstr(json, "\"fields\":{\"date\":\"2026-11-01\",\"place\"") != NULL); /* sorted */
    CHECK(mlv_meta_decode(json, len, &out) == MLV_ENV_OK);
    CHECK(strcmp(out.message, in.message) == 0 && out.nfields == 2 && out.nfiles == 2);
    CHECK(out.files[0].meta == MLV_FILE_META_STRIPPED && out.files[1].meta == MLV_FILE_META_KEPT);
    CHECK(out.files[1].length == (1u << 30) && out.files[1].media_type == NULL);
    CHECK(memcmp(out.files[0].digest, files[0].digest, 32) == 0 && out.has_reply_key);
    CHECK(mlv_meta_encode(&out, &again, &len2) == MLV_ENV_OK && len2 == len && memcmp(json, again, len) == 0);
    mlv_meta_clear(&out);
    free(json);
    free(again);

    /* The encoder refuses what the decoder would refuse. */
    files[0].name = "../../etc/passwd";
    CHECK(mlv_meta_encode(&in, &json, &len) == MLV_ENV_ERR_MALFORMED);
    files[0].name = "ok";
    fields[1].name = "Date";
    CHECK(mlv_meta_encode(&in, &json, &len) == MLV_ENV_ERR_MALFORMED);
}

static void names(void)
{
    CHECK(mlv_meta_name_ok("photo.jpg", 9) == 0);
    CHECK(mlv_meta_name_ok("фото.jpg", strlen("фото.jpg")) == 0);
    CHECK(mlv_meta_name_ok(".hidden", 7) == 0); /* a leading dot is a name, not a path */
    CHECK(mlv_meta_name_ok("a\0b", 3) != 0);
    CHECK(mlv_meta_name_ok("\xc0\xaf", 2) != 0); /* overlong '/' */
    CHECK(mlv_meta_name_ok("\xed\xa0\x80", 3) != 0); /* surrogate */
    CHECK(mlv_meta_name_ok("a\x7f", 2) != 0);
    {
        char long_name[MLV_MAX_NAME_BYTES + 2];

        memset(long_name, 'a', sizeof long_name);
        CHECK(mlv_meta_name_ok(long_name, MLV_MAX_NAME_BYTES) == 0);
        CHECK(mlv_meta_name_ok(long_name, MLV_MAX_NAME_BYTES + 1) != 0);
    }
}

/*
 * One set of rules for sealing and opening (docs/FORMAT.md §2.2): text may
 * hold every Unicode general category but NUL, names every one but
 * controls, and whatever decodes encodes again — the vault copies every
 * record it shows that way, so a record that did not would be acked by
 * the server and then unreadable.
 */
static const char *const categories[][2] = {
    { "Cc C0", "\x01\x1b[2J\t\r" },
    { "Cc DEL and C1", "\x7f\xc2\x85\xc2\x96\xc2\x9b" },
    { "Cf bidi", "\xe2\x80\xae\xe2\x81\xa6\xe2\x80\x8e\xd8\x9c" },
    { "Cf zero-width", "\xe2\x80\x8b\xe2\x80\x8c\xe2\x80\x8d\xef\xbb\xbf\xc2\xad" },
    { "Cf astral tag", "\xf3\xa0\x81\x81" },
    { "Co private use", "\xee\x80\x80\xef\xa3\xbf\xf3\xb0\x80\x80\xf4\x8f\xbf\xbd" },
    { "next to Cs", "\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbd" },
    { "noncharacters", "\xef\xbf\xbe\xef\xbf\xbf\xf4\x8f\xbf\xbf" },
    { "Zl Zp", "\xe2\x80\xa8\xe2\x80\xa9" },
    { "Mn Me", "e\xcc\x81\xe2\x83\x9d\xd2\x89" },
    { "astral", "\xf0\x9f\x98\x80\xf0\x9d\x84\x9e\xf0\xa0\x80\x80" },
    { "Zs", "\xc2\xa0\xe3\x80\x80" },
    { "scripts", "\xd0\x98\xd0\x9a-2 \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xe6\xbc\xa2" },
};

static int has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
            return 1;
    }
    return 0;
}

static void unicode(void)
{
    for (size_t i = 0; i < sizeof categories / sizeof categories[0]; i++) {
        const char *what = categories[i][0], *text = categories[i][1];
        char name[64];
        mlv_field field = { "place", (char *)text };
        mlv_file_info file = { .name = name, .length = 0 };
        mlv_metadata in = { .message = (char *)text, .nfields = 1, .fields = &field, .nfiles = 1, .files = &file };
        mlv_metadata out, copy;
        char *json = NULL;
        size_t len = 0;
        int control = has_control(text);

        snprintf(name, sizeof name, "x%s.txt", control ? "" : text);
        CHECK(mlv_meta_text_ok(text, strlen(text)) == 0);
        CHECK(mlv_meta_name_ok(text, strlen(text)) == (control ? -1 : 0));
        if (mlv_meta_encode(&in, &json, &len) != MLV_ENV_OK) {
            fprintf(stderr, "%s: not encoded\n", what);
            CHECK(!"every category encodes in text and names");
            continue;
        }
        CHECK(mlv_meta_decode(json, len, &out) == MLV_ENV_OK);
        CHECK(out.message != NULL && strcmp(out.message, text) == 0);
        CHECK(out.nfields == 1 && strcmp(out.fields[0].value, text) == 0);
        CHECK(out.nfiles == 1 && strcmp(out.files[0].name, name) == 0);
        CHECK(mlv_meta_copy(&out, &copy) == MLV_ENV_OK && strcmp(copy.message, text) == 0);
        mlv_meta_clear(&copy);
        mlv_meta_clear(&out);
        free(json);
        /* A control character in a name: neither sealed nor opened. */
        if (control) {
            snprintf(name, sizeof name, "x%s.txt", text);
            CHECK(mlv_meta_encode(&in, &json, &len) == MLV_ENV_ERR_MALFORMED);
        }
    }
    /* What a page sealed from mis-decoded Windows text: U+0085, U+0096. */
    {
        const char *json = "{\"message\":\"\\u0085 \xc2\x96 end\",\"fields\":{\"place\":\"\\u009b2J\"},\"v\":1}";
        mlv_metadata m, copy;

        CHECK(mlv_meta_decode(json, strlen(json), &m) == MLV_ENV_OK);
        CHECK(mlv_meta_copy(&m, &copy) == MLV_ENV_OK && strcmp(copy.message, "\xc2\x85 \xc2\x96 end") == 0);
        mlv_meta_clear(&copy);
        mlv_meta_clear(&m);
    }
    CHECK(mlv_meta_text_ok("a\0b", 3) != 0);
    CHECK(mlv_meta_text_ok("\xed\xa0\x80", 3) != 0);  /* a surrogate */
    CHECK(mlv_meta_text_ok("\xc0\x80", 2) != 0);      /* overlong NUL */
    CHECK(mlv_meta_text_ok("\xf4\x90\x80\x80", 4) != 0); /* past U+10FFFF */
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    rejects();
    limits();
    round_trip();
    names();
    unicode();
    return check_exit();
}
