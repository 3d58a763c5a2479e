/*
 * Templates of the source's pages (the top-level .html files of dropbox/web) filled in per
 * request. Placeholders are {{name}}:
 *
 *   {{t.KEY}}       the text of KEY in the chosen language (English if missing)
 *   {{lang}}        the language code       {{dir}}   "ltr" or "rtl"
 *   {{lang_links}}  links to every language (HTML made here, not escaped)
 *   {{fingerprint}} the organisation key's fingerprint, as malyava-keys shows it
 *   {{org_pub}}     the organisation public key, base64 as in org.pub
 *   {{receipt}}     {{error}}  set by the no-JavaScript path
 *   {{part.NAME}}   the template _NAME.html (a part never served on its
 *                   own), rendered in place; parts include no parts
 *
 * Everything but lang_links is HTML-escaped. Every template is checked at
 * start (mlv_render_check), so a typo stops the server instead of showing
 * a source a broken page.
 */
#ifndef MALYAVA_DROPBOX_RENDER_H
#define MALYAVA_DROPBOX_RENDER_H

#include <stddef.h>

#include "assets.h"
#include "i18n.h"

typedef struct mlv_page_vars {
    const char *fingerprint;
    const char *org_pub;
    const char *receipt; /* NULL renders as nothing */
    const char *error;
} mlv_page_vars;

/* The page; *out is malloc'd. -1 when out of memory (or a bad template). */
int mlv_render(const mlv_asset *tpl, const mlv_i18n *t, size_t lang, const mlv_page_vars *v, char **out,
               size_t *out_len);

/* Checks every embedded template: placeholders well formed and known,
 * every t.KEY present in English. Logs the first problem and returns -1. */
int mlv_render_check(const mlv_i18n *t);

/* `s` with & < > " ' replaced by entities, appended to a buffer. Exposed for tests. */
typedef struct mlv_render_buf {
    char *p;
    size_t len, cap;
    int failed;
} mlv_render_buf;
void mlv_render_escape(mlv_render_buf *b, const char *s);

#endif
