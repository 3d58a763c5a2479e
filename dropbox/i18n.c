/* See i18n.h. */
#include "i18n.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "accept_lang.h"
#include "assets.h"
#include "log.h"

#define LANG_PREFIX "i18n/"
#define LANG_SUFFIX ".json"
#define CODE_BYTES 16u
/* Keys the templates use are short names; longer is a typo. */
#define KEY_BYTES 128u

typedef struct language {
    char code[CODE_BYTES];
    json_t *strings;
    const char *name;
    int rtl;
} language;

struct mlv_i18n {
    size_t n;
    size_t english;
    language *langs;
    const char **codes; /* for mlv_lang_accept */
};

void mlv_i18n_free(mlv_i18n *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++)
        json_decref(t->langs[i].strings);
    free(t->langs);
    free(t->codes);
    free(t);
}

/* Checks one file's shape; on success fills `l` (which then owns `root`). */
static int lang_check(const mlv_asset *a, json_t *root, language *l)
{
    const char *key, *dir;
    json_t *value;

    if (!json_is_object(root)) {
        mlv_log_msg("embedded %s is not a JSON object; fix it in dropbox/web and rebuild", a->name);
        return -1;
    }
    json_object_foreach(root, key, value) {
        if (!json_is_string(value)) {
            mlv_log_msg("embedded %s: \"%.64s\" is not a string; every value must be text", a->name, key);
            return -1;
        }
    }
    l->name = json_string_value(json_object_get(root, "_name"));
    dir = json_string_value(json_object_get(root, "_dir"));
    if (l->name == NULL || l->name[0] == '\0' || dir == NULL || (strcmp(dir, "ltr") != 0 && strcmp(dir, "rtl") != 0)) {
        mlv_log_msg("embedded %s needs \"_name\" (the language's own name) and \"_dir\" (\"ltr\" or \"rtl\")",
                    a->name);
        return -1;
    }
    l->rtl = strcmp(dir, "rtl") == 0;
    l->strings = root;
    return 0;
}

static int lang_load(const mlv_asset *a, language *l)
{
    size_t plen = strlen(LANG_PREFIX), slen = strlen(LANG_SUFFIX), nlen = strlen(a->name);
    json_error_t err;
    json_t *root;

    if (nlen <= plen + slen || nlen - plen - slen >= CODE_BYTES) {
        mlv_log_msg("embedded %s is not named i18n/<code>.json", a->name);
        return -1;
    }
    memcpy(l->code, a->name + plen, nlen - plen - slen);
    root = json_loadb((const char *)a->data, a->len, JSON_REJECT_DUPLICATES, &err);
    if (root == NULL) {
        mlv_log_msg("embedded %s is not valid JSON (line %d: %s); fix it in dropbox/web and rebuild", a->name,
                    err.line, err.text);
        return -1;
    }
    if (lang_check(a, root, l) != 0) {
        json_decref(root);
        return -1;
    }
    return 0;
}

int mlv_i18n_load(mlv_i18n **out)
{
    mlv_i18n *t = calloc(1, sizeof *t);
    int have_english = 0;

    *out = NULL;
    if (t == NULL)
        goto fail;
    t->langs = calloc(mlv_assets_count, sizeof *t->langs);
    t->codes = calloc(mlv_assets_count, sizeof *t->codes);
    if (t->langs == NULL || t->codes == NULL)
        goto fail;
    for (size_t i = 0; i < mlv_assets_count; i++) {
        if (mlv_assets[i].kind != MLV_ASSET_LANGUAGE)
            continue;
        if (lang_load(&mlv_assets[i], &t->langs[t->n]) != 0)
            goto fail;
        t->codes[t->n] = t->langs[t->n].code;
        if (strcmp(t->langs[t->n].code, "en") == 0) {
            t->english = t->n;
            have_english = 1;
        }
        t->n++;
    }
    if (!have_english) {
        mlv_log_msg("no English language file (i18n/en.json) is embedded; every other language falls back to it");
        goto fail;
    }
    *out = t;
    return 0;
fail:
    mlv_i18n_free(t);
    return -1;
}

size_t mlv_i18n_count(const mlv_i18n *t)
{
    return t->n;
}

const char *mlv_i18n_code(const mlv_i18n *t, size_t lang)
{
    return t->langs[lang].code;
}

const char *mlv_i18n_name(const mlv_i18n *t, size_t lang)
{
    return t->langs[lang].name;
}

int mlv_i18n_rtl(const mlv_i18n *t, size_t lang)
{
    return t->langs[lang].rtl;
}

const char *mlv_i18n_text(const mlv_i18n *t, size_t lang, const char *key, size_t key_len)
{
    char name[KEY_BYTES];
    const char *v;

    if (key_len >= sizeof name)
        return NULL;
    memcpy(name, key, key_len);
    name[key_len] = '\0';
    v = json_string_value(json_object_get(t->langs[lang].strings, name));
    if (v == NULL)
        v = json_string_value(json_object_get(t->langs[t->english].strings, name));
    return v;
}

size_t mlv_i18n_pick(const mlv_i18n *t, const char *query, const char *accept_language)
{
    int best;

    for (size_t i = 0; query != NULL && i < t->n; i++) {
        if (strcmp(query, t->langs[i].code) == 0)
            return i;
    }
    best = mlv_lang_accept(accept_language, t->codes, t->n);
    return best >= 0 ? (size_t)best : t->english;
}
