/*
 * The pages' languages: every embedded i18n/<code>.json, parsed with
 * jansson once at start. Each is a flat object of strings with `_name`
 * (the language's own name) and `_dir` ("ltr" or "rtl"); a key missing in
 * a language falls back to English. Read-only after loading, so request
 * threads share it without locks.
 */
#ifndef MALYAVA_DROPBOX_I18N_H
#define MALYAVA_DROPBOX_I18N_H

#include <stddef.h>

typedef struct mlv_i18n mlv_i18n;

/* Loads every embedded language; logs what is wrong with a broken file
 * (or a missing English) and returns -1. */
int mlv_i18n_load(mlv_i18n **out);
void mlv_i18n_free(mlv_i18n *t);

size_t mlv_i18n_count(const mlv_i18n *t);
const char *mlv_i18n_code(const mlv_i18n *t, size_t lang);
/* The language's own name, and 1 for right-to-left. */
const char *mlv_i18n_name(const mlv_i18n *t, size_t lang);
int mlv_i18n_rtl(const mlv_i18n *t, size_t lang);
/* The text of `key` (key_len bytes) in `lang`, else in English, else NULL. */
const char *mlv_i18n_text(const mlv_i18n *t, size_t lang, const char *key, size_t key_len);

/* The language for a request: `query` (the ?lang= value) if it names one
 * exactly, else the best Accept-Language match, else English. */
size_t mlv_i18n_pick(const mlv_i18n *t, const char *query, const char *accept_language);

#endif
