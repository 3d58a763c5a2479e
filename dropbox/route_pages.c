/*
 * The source's pages: GET (and HEAD) /, /submit, /replies, /nojs,
 * /static/<name>, /i18n/<code>.json. Everything comes from the table built
 * into the program (assets.h), found by exact name: no request path ever
 * reaches the file system, so "/static/../config" is simply a name that
 * is not in the table. Templates are rendered in the language of ?lang=,
 * else Accept-Language, else English. No cookie is ever set.
 */
#include <stdlib.h>
#include <string.h>

#include "assets.h"
#include "http.h"
#include "pages.h"
#include "render.h"

#define HTML_TYPE "text/html; charset=utf-8"

/* ?lang=, else Accept-Language, else English. */
static size_t request_lang(mlv_http_req *r)
{
    const char *query = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "lang");

    return mlv_i18n_pick(r->srv->i18n, query, mlv_http_header(r, "Accept-Language", NULL));
}

enum MHD_Result mlv_pages_send(mlv_http_req *r, unsigned status, const char *template_name, const char *receipt,
                               const char *error)
{
    const mlv_asset *tpl = mlv_asset_find(template_name, MLV_ASSET_TEMPLATE);
    mlv_page_vars v = { r->srv->org_fingerprint, r->srv->org_pub, receipt, error };
    size_t lang = request_lang(r), len;
    char *html;

    if (tpl == NULL) {
        /* Only the error page may be missing from a build: its text is enough. */
        if (error != NULL)
            return mlv_http_fail(r, status, "%s", error);
        return mlv_http_fail(r, MHD_HTTP_NOT_FOUND, "this page is not part of this build of the drop-box");
    }
    if (mlv_render(tpl, r->srv->i18n, lang, &v, &html, &len) != 0)
        return mlv_http_fail(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory; try again in a moment");
    return mlv_http_send(r, status,
                         mlv_http_with(mlv_http_page_response(html, len, MHD_RESPMEM_MUST_FREE, HTML_TYPE),
                                       MHD_HTTP_HEADER_CONTENT_LANGUAGE, mlv_i18n_code(r->srv->i18n, lang), NULL));
}

enum MHD_Result mlv_pages_send_error(mlv_http_req *r, unsigned status, const char *key, const char *fallback)
{
    const char *text = mlv_i18n_text(r->srv->i18n, request_lang(r), key, strlen(key));

    return mlv_pages_send(r, status, "error.html", NULL, text != NULL ? text : fallback);
}

/* Which template each page route renders. */
static const struct {
    const char *path;
    const char *template_name;
} pages[] = {
    { "/", "index.html" },
    { "/submit", "submit.html" },
    { "/replies", "replies.html" },
    { "/nojs", "nojs.html" },
};

enum MHD_Result mlv_route_page(mlv_http_req *r, const char *data, size_t *data_size)
{
    (void)data;
    (void)data_size;
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        if (strcmp(r->route->path, pages[i].path) == 0)
            return mlv_pages_send(r, MHD_HTTP_OK, pages[i].template_name, NULL, NULL);
    }
    return mlv_http_fail(r, MHD_HTTP_NOT_FOUND, "no such page; the pages start at /");
}

static enum MHD_Result send_asset(mlv_http_req *r, const mlv_asset *a)
{
    if (a == NULL)
        return mlv_http_fail(r, MHD_HTTP_NOT_FOUND, "no such file; the pages start at /");
    return mlv_http_send(r, MHD_HTTP_OK, mlv_http_page_response(a->data, a->len, MHD_RESPMEM_PERSISTENT, a->type));
}

enum MHD_Result mlv_route_static(mlv_http_req *r, const char *data, size_t *data_size)
{
    (void)data;
    (void)data_size;
    return send_asset(r, mlv_asset_find(r->tail, MLV_ASSET_STATIC));
}

enum MHD_Result mlv_route_i18n(mlv_http_req *r, const char *data, size_t *data_size)
{
    char name[64];
    int n = snprintf(name, sizeof name, "i18n/%s", r->tail);

    (void)data;
    (void)data_size;
    return send_asset(r, n > 0 && (size_t)n < sizeof name ? mlv_asset_find(name, MLV_ASSET_LANGUAGE) : NULL);
}
