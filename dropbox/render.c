/* See render.h. */
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Longest placeholder name (t. and the key included). */
#define NAME_MAX_BYTES 100u

static void put(mlv_render_buf *b, const char *s, size_t n)
{
    if (b == NULL || b->failed)
        return;
    if (b->cap - b->len < n + 1u) {
        size_t cap = b->cap == 0 ? 4096u : b->cap;
        char *p;

        while (cap - b->len < n + 1u)
            cap *= 2u;
        p = realloc(b->p, cap);
        if (p == NULL) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void put_str(mlv_render_buf *b, const char *s)
{
    put(b, s, strlen(s));
}

void mlv_render_escape(mlv_render_buf *b, const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        switch (*s) {
        case '&':
            put_str(b, "&amp;");
            break;
        case '<':
            put_str(b, "&lt;");
            break;
        case '>':
            put_str(b, "&gt;");
            break;
        case '"':
            put_str(b, "&quot;");
            break;
        case '\'':
            put_str(b, "&#39;");
            break;
        default:
            put(b, s, 1);
            break;
        }
    }
}

static void lang_links(mlv_render_buf *b, const mlv_i18n *t, size_t current)
{
    for (size_t i = 0; i < mlv_i18n_count(t); i++) {
        const char *code = mlv_i18n_code(t, i);

        put_str(b, i == 0 ? "<a href=\"?lang=" : " <a href=\"?lang=");
        mlv_render_escape(b, code);
        put_str(b, "\" hreflang=\"");
        mlv_render_escape(b, code);
        put_str(b, "\" lang=\"");
        mlv_render_escape(b, code);
        put_str(b, i == current ? "\" aria-current=\"true\">" : "\">");
        mlv_render_escape(b, mlv_i18n_name(t, i));
        put_str(b, "</a>");
    }
}

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
}

#define IS(lit) (len == sizeof(lit) - 1u && memcmp(name, lit, len) == 0)

static int render_into(mlv_render_buf *b, const mlv_asset *tpl, const mlv_i18n *t, size_t lang,
                       const mlv_page_vars *v, int depth);

/* {{part.NAME}}: the template _NAME.html, one level deep. */
static int expand_part(mlv_render_buf *b, const char *name, size_t len, const mlv_i18n *t, size_t lang,
                       const mlv_page_vars *v, int depth, const char **why)
{
    char file[NAME_MAX_BYTES + 8u];
    const mlv_asset *part;

    snprintf(file, sizeof file, "_%.*s.html", (int)len, name);
    part = mlv_asset_find(file, MLV_ASSET_TEMPLATE);
    if (part == NULL) {
        *why = "no template _NAME.html for it";
        return -1;
    }
    if (depth > 0) {
        *why = "a part cannot include another part";
        return -1;
    }
    /* A broken part is reported by its own name. */
    if (render_into(b, part, t, lang, v, depth + 1) != 0) {
        *why = "the part itself is wrong";
        return -1;
    }
    return 0;
}

/* Writes one placeholder's value (b may be NULL: checking only). -1 if the
 * name is unknown, with *why set. */
static int expand(mlv_render_buf *b, const char *name, size_t len, const mlv_i18n *t, size_t lang,
                  const mlv_page_vars *v, int depth, const char **why)
{
    if (len > 5 && memcmp(name, "part.", 5) == 0) {
        return expand_part(b, name + 5, len - 5, t, lang, v, depth, why);
    } else if (len > 2 && memcmp(name, "t.", 2) == 0) {
        const char *text = mlv_i18n_text(t, lang, name + 2, len - 2);

        if (text == NULL) {
            *why = "its key is in no language file (not even i18n/en.json)";
            return -1;
        }
        mlv_render_escape(b, text);
    } else if (IS("lang")) {
        mlv_render_escape(b, mlv_i18n_code(t, lang));
    } else if (IS("dir")) {
        put_str(b, mlv_i18n_rtl(t, lang) ? "rtl" : "ltr");
    } else if (IS("lang_links")) {
        lang_links(b, t, lang);
    } else if (IS("fingerprint")) {
        mlv_render_escape(b, v->fingerprint);
    } else if (IS("org_pub")) {
        mlv_render_escape(b, v->org_pub);
    } else if (IS("receipt")) {
        mlv_render_escape(b, v->receipt);
    } else if (IS("error")) {
        mlv_render_escape(b, v->error);
    } else {
        *why = "no such placeholder";
        return -1;
    }
    return 0;
}

/* Renders into `b`, or only checks when b is NULL; depth 1 inside a part. */
static int render_into(mlv_render_buf *b, const mlv_asset *tpl, const mlv_i18n *t, size_t lang,
                       const mlv_page_vars *v, int depth)
{
    const char *p = (const char *)tpl->data, *end = p + tpl->len, *why = "not closed by }}";

    while (p < end) {
        const char *open = memmem(p, (size_t)(end - p), "{{", 2), *name, *close;
        size_t len = 0;

        if (open == NULL) {
            put(b, p, (size_t)(end - p));
            break;
        }
        put(b, p, (size_t)(open - p));
        name = open + 2;
        while (name + len < end && len <= NAME_MAX_BYTES && is_name_char(name[len]))
            len++;
        close = name + len;
        if (len == 0 || len > NAME_MAX_BYTES || end - close < 2 || close[0] != '}' || close[1] != '}' ||
            expand(b, name, len, t, lang, v, depth, &why) != 0) {
            mlv_log_msg("template %s: the placeholder at byte %zu is wrong (%s); fix it in dropbox/web and rebuild",
                        tpl->name, (size_t)(open - (const char *)tpl->data), why);
            return -1;
        }
        p = close + 2;
    }
    return b != NULL && b->failed ? -1 : 0;
}

int mlv_render(const mlv_asset *tpl, const mlv_i18n *t, size_t lang, const mlv_page_vars *v, char **out,
               size_t *out_len)
{
    mlv_render_buf b = { NULL, 0, 0, 0 };

    *out = NULL;
    put(&b, "", 0);
    if (render_into(&b, tpl, t, lang, v, 0) != 0) {
        free(b.p);
        return -1;
    }
    *out = b.p;
    *out_len = b.len;
    return 0;
}

int mlv_render_check(const mlv_i18n *t)
{
    mlv_page_vars none = { NULL, NULL, NULL, NULL };
    size_t english = mlv_i18n_pick(t, "en", NULL);

    for (size_t i = 0; i < mlv_assets_count; i++) {
        if (mlv_assets[i].kind == MLV_ASSET_TEMPLATE && render_into(NULL, &mlv_assets[i], t, english, &none, 0) != 0)
            return -1;
    }
    return 0;
}
