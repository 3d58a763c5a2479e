/*
 * Codenames against tests/vectors/codename.json, which
 * tests/vectors/make-codename-vectors computes from the definition alone.
 */
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include <malyava/codename.h>
#include <malyava/keyfile.h>

#include "check.h"

static void hex_eq(const char *hex, const uint8_t *bin, size_t len, const char *what)
{
    char got[129];

    if (hex == NULL) {
        fprintf(stderr, "%s: missing from the vectors\n", what);
        CHECK(0);
        return;
    }
    sodium_bin2hex(got, sizeof got, bin, len);
    if (strcmp(got, hex) != 0)
        fprintf(stderr, "%s: got %s want %s\n", what, got, hex);
    CHECK(strcmp(got, hex) == 0);
}

static void check_word_list(json_t *words)
{
    char w[MLV_CODENAME_WORD_LETTERS + 1u], canonical[MLV_CODENAME_STR_BYTES];
    char seen[MLV_CODENAME_WORD_COUNT][MLV_CODENAME_WORD_LETTERS + 1u];
    int distinct = 1, each_normalizes = 1;

    mlv_codename_word(w, 0);
    CHECK(strcmp(w, json_string_value(json_object_get(words, "first"))) == 0);
    mlv_codename_word(w, MLV_CODENAME_WORD_COUNT - 1u);
    CHECK(strcmp(w, json_string_value(json_object_get(words, "last"))) == 0);
    mlv_codename_word(w, 1234);
    CHECK(strcmp(w, json_string_value(json_object_get(words, "index_1234"))) == 0);
    for (unsigned i = 0; i < MLV_CODENAME_WORD_COUNT; i++) {
        char typed[MLV_CODENAME_STR_BYTES];

        mlv_codename_word(seen[i], i);
        for (unsigned j = 0; j < i && distinct; j++)
            distinct = strcmp(seen[i], seen[j]) != 0;
        for (unsigned k = 0; k < MLV_CODENAME_WORDS; k++) {
            memcpy(typed + k * 5u, seen[i], 4);
            typed[k * 5u + 4u] = k + 1u < MLV_CODENAME_WORDS ? ' ' : '\0';
        }
        if (mlv_codename_normalize(typed, strlen(typed), canonical, NULL) != 0 || strcmp(canonical, typed) != 0)
            each_normalizes = 0;
    }
    CHECK(distinct);
    CHECK(each_normalizes);
}

static void check_case(json_t *c)
{
    const char *canonical = json_string_value(json_object_get(c, "canonical"));
    mlv_box_keypair *kp = mlv_key_box_new();
    uint8_t token[MLV_CODENAME_TOKEN_BYTES], token_hash[32];

    CHECK(kp != NULL);
    if (kp == NULL)
        return;
    CHECK(mlv_codename_derive(canonical, strlen(canonical), kp, token) == 0);
    hex_eq(json_string_value(json_object_get(c, "reply_secret_key")), kp->sk, sizeof kp->sk, "sk");
    hex_eq(json_string_value(json_object_get(c, "reply_public_key")), kp->pk, sizeof kp->pk, "pk");
    hex_eq(json_string_value(json_object_get(c, "reply_key_id")), kp->id, sizeof kp->id, "key id");
    hex_eq(json_string_value(json_object_get(c, "login_token")), token, sizeof token, "token");
    crypto_generichash(token_hash, sizeof token_hash, token, sizeof token, NULL, 0);
    hex_eq(json_string_value(json_object_get(c, "login_token_hash")), token_hash, sizeof token_hash, "token hash");
    mlv_key_box_free(kp);
}

static void check_generate(void)
{
    char a[MLV_CODENAME_STR_BYTES], b[MLV_CODENAME_STR_BYTES], canonical[MLV_CODENAME_STR_BYTES];

    mlv_codename_generate(a);
    mlv_codename_generate(b);
    CHECK(strlen(a) == MLV_CODENAME_STR_BYTES - 1u);
    CHECK(strcmp(a, b) != 0);
    CHECK(mlv_codename_normalize(a, strlen(a), canonical, NULL) == 0 && strcmp(canonical, a) == 0);
}

int main(int argc, char **argv)
{
    char path[4096], canonical[MLV_CODENAME_STR_BYTES];
    json_error_t err;
    json_t *doc, *item;
    size_t i;
    unsigned bad = 99;

    if (argc != 2 || sodium_init() < 0)
        return 2;
    snprintf(path, sizeof path, "%s/codename.json", argv[1]);
    doc = json_load_file(path, 0, &err);
    if (doc == NULL) {
        fprintf(stderr, "%s: %s\n", path, err.text);
        return 1;
    }
    check_word_list(json_object_get(doc, "words"));
    json_array_foreach(json_object_get(doc, "cases"), i, item)
        check_case(item);
    json_array_foreach(json_object_get(doc, "typed"), i, item) {
        const char *typed = json_string_value(json_object_get(item, "typed"));
        CHECK(mlv_codename_normalize(typed, strlen(typed), canonical, NULL) == 0);
        CHECK(strcmp(canonical, json_string_value(json_object_get(item, "canonical"))) == 0);
    }
    json_array_foreach(json_object_get(doc, "refused"), i, item) {
        const char *typed = json_string_value(item);
        mlv_box_keypair *kp = mlv_key_box_new();
        CHECK(mlv_codename_normalize(typed, strlen(typed), canonical, NULL) == -1);
        CHECK(kp != NULL && mlv_codename_derive(typed, strlen(typed), kp, NULL) == -1);
        mlv_key_box_free(kp);
    }
    /* The position of an unknown word is reported so the page can point at it. */
    CHECK(mlv_codename_normalize("bada bada babu bada bada bada bada bada bada bada", 49, canonical, &bad) == -1);
    CHECK_EQ_INT(bad, 3);
    CHECK(mlv_codename_normalize("bada bada", 9, canonical, &bad) == -1);
    CHECK_EQ_INT(bad, 0);
    check_generate();
    json_decref(doc);
    return check_exit();
}
