/*
 * Templates and languages (dropbox/render.c, dropbox/i18n.c) on a table
 * of this test's own, in place of the pages built into the server: every
 * placeholder, HTML escaping of translated and server values, fallback to
 * English key by key, right-to-left, the language links, the choice of
 * language, parts ({{part.NAME}}, one level deep), and a template with an
 * unknown placeholder refused at start.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "assets.h"
#include "check.h"
#include "i18n.h"
#include "render.h"

#define A(s) (const uint8_t *)(s), sizeof(s) - 1u

/* Sorted by name, as embed_web.py writes it. */
const mlv_asset mlv_assets[] = {
    { "_x.html", "text/html; charset=utf-8", MLV_ASSET_TEMPLATE, A("[{{lang}}:{{t.only_en}}]") },
    { "_y.html", "text/html; charset=utf-8", MLV_ASSET_TEMPLATE, A("({{part.x}})") },
    { "bad.html", "text/html; charset=utf-8", MLV_ASSET_TEMPLATE, A("<p>{{t.title}} {{nope}}</p>") },
    { "i18n/ar.json", "application/json", MLV_ASSET_LANGUAGE,
      A("{\"_name\":\"\\u0627\\u0644\\u0639\\u0631\\u0628\\u064a\\u0629\",\"_dir\":\"rtl\",\"title\":\"\\u0634\"}") },
    { "i18n/en.json", "application/json", MLV_ASSET_LANGUAGE,
      A("{\"_name\":\"English\",\"_dir\":\"ltr\",\"title\":\"Tom & Jerry's <b>\\\"news\\\"</b>\",\"only_en\":\"E\"}") },
    { "i18n/ru.json", "application/json", MLV_ASSET_LANGUAGE,
      A("{\"_name\":\"\\u0420\\u0443\\u0441\\u0441\\u043a\\u0438\\u0439\",\"_dir\":\"ltr\",\"title\":\"\\u041c\"}") },
    { "nested.html", "text/html; charset=utf-8", MLV_ASSET_TEMPLATE, A("{{part.y}}") },
    { "page.html", "text/html; charset=utf-8", MLV_ASSET_TEMPLATE,
      A("<html lang=\"{{lang}}\" dir=\"{{dir}}\">{{t.title}}|{{t.only_en}}|{{fingerprint}}|{{org_pub}}|"
        "{{receipt}}|{{error}}|{{lang_links}}|{ {not} }|{{part.x}}</html>") },
    { "style.css", "text/css; charset=utf-8", MLV_ASSET_STATIC, A("body{}") },
};
const size_t mlv_assets_count = sizeof mlv_assets / sizeof mlv_assets[0];

static char *render(const mlv_i18n *t, size_t lang, const mlv_page_vars *v)
{
    char *out = NULL;
    size_t len = 0;

    CHECK(mlv_render(mlv_asset_find("page.html", MLV_ASSET_TEMPLATE), t, lang, v, &out, &len) == 0);
    CHECK(out == NULL || strlen(out) == len);
    return out;
}

int main(void)
{
    mlv_page_vars v = { "ab12 cd34", "RWQ+/=", "1111-2222", "<script>alert('x')</script> & \"more\"" };
    mlv_page_vars none = { "f", "k", NULL, NULL };
    mlv_i18n *t = NULL;
    size_t en, ru, ar;
    char *page;

    if (sodium_init() < 0)
        return 1;
    CHECK(mlv_i18n_load(&t) == 0 && t != NULL);
    if (t == NULL)
        return check_exit();
    CHECK(mlv_i18n_count(t) == 3);
    en = mlv_i18n_pick(t, "en", NULL);
    ru = mlv_i18n_pick(t, "ru", NULL);
    ar = mlv_i18n_pick(t, "ar", NULL);
    CHECK(strcmp(mlv_i18n_code(t, en), "en") == 0 && strcmp(mlv_i18n_code(t, ru), "ru") == 0 &&
          strcmp(mlv_i18n_code(t, ar), "ar") == 0);
    CHECK(mlv_i18n_pick(t, NULL, NULL) == en);
    CHECK(mlv_i18n_pick(t, "xx", "ru-RU,ru;q=0.9") == ru);
    CHECK(mlv_i18n_pick(t, "ar", "ru") == ar);
    CHECK(mlv_i18n_pick(t, "RU", "de") == en); /* ?lang= names a file exactly */
    CHECK(mlv_i18n_pick(t, NULL, "ar-EG;q=0.4, ru;q=0.3") == ar);
    CHECK(mlv_i18n_text(t, ru, "only_en", 7) != NULL && strcmp(mlv_i18n_text(t, ru, "only_en", 7), "E") == 0);
    CHECK(mlv_i18n_text(t, ru, "missing", 7) == NULL);

    /* One template has {{nope}}: the whole set is refused at start. */
    CHECK(mlv_render_check(t) == -1);

    page = render(t, en, &v);
    CHECK(page != NULL &&
          strcmp(page, "<html lang=\"en\" dir=\"ltr\">Tom &amp; Jerry&#39;s &lt;b&gt;&quot;news&quot;&lt;/b&gt;|E|"
                       "ab12 cd34|RWQ+/=|1111-2222|"
                       "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;|"
                       "<a href=\"?lang=ar\" hreflang=\"ar\" lang=\"ar\">\xd8\xa7\xd9\x84\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a"
                       "\xd8\xa9</a> <a href=\"?lang=en\" hreflang=\"en\" lang=\"en\" aria-current=\"true\">English</a> "
                       "<a href=\"?lang=ru\" hreflang=\"ru\" lang=\"ru\">\xd0\xa0\xd1\x83\xd1\x81\xd1\x81\xd0\xba\xd0\xb8"
                       "\xd0\xb9</a>|{ {not} }|[en:E]</html>") == 0);
    free(page);
    /* A part that includes a part is refused, so nested.html cannot render. */
    {
        char *out = NULL;
        size_t len = 0;

        CHECK(mlv_render(mlv_asset_find("nested.html", MLV_ASSET_TEMPLATE), t, en, &v, &out, &len) == -1 &&
              out == NULL);
        CHECK(mlv_render(mlv_asset_find("_y.html", MLV_ASSET_TEMPLATE), t, ru, &v, &out, &len) == 0 && out != NULL &&
              strcmp(out, "([ru:E])") == 0);
        free(out);
    }
    page = render(t, ar, &none);
    {
        static const char rtl[] = "<html lang=\"ar\" dir=\"rtl\">\xd8\xb4|E|f|k|||";

        CHECK(page != NULL && strncmp(page, rtl, sizeof rtl - 1u) == 0);
    }
    free(page);
    mlv_i18n_free(t);
    return check_exit();
}
