#!/usr/bin/env python3
"""The source's pages as the server delivers them: every page route
answers with the pages' strict Content-Security-Policy, no-store, no
referrer, nosniff and no cookie; templates are filled in (no placeholder
left, the organisation's fingerprint and key line as computed here from
org.pub); the language follows ?lang=, then Accept-Language with its
q-values, then English; files come only from the table built into the
program, so unknown names and every kind of path traversal get 404.
"""
import base64
import hashlib
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srv_lib import Checks, Dropbox, raw_request  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WEB = os.path.join(os.path.dirname(os.path.dirname(HERE)), "dropbox", "web")
PAGE_CSP = ("default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
PAGES = {"/": "index.html", "/submit": "submit.html", "/replies": "replies.html", "/nojs": "nojs.html"}

check = Checks()


def page_headers_ok(h, raw):
    names = [k.lower() for k, _ in raw]
    return (h.get("content-security-policy") == PAGE_CSP and h.get("cache-control") == "no-store"
            and h.get("referrer-policy") == "no-referrer" and h.get("x-content-type-options") == "nosniff"
            and "set-cookie" not in names and "server" not in names)


def html_escape(s):
    """What the server's escaping must give: & < > " ' as entities."""
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("'", "&#39;"))


def lang_of(body):
    text = body.decode()
    i = text.find('<html lang="')
    return text[i + 12:text.index('"', i + 12)] if i >= 0 else None


def raw_get(port, path):
    """A request line exactly as given."""
    return raw_request(port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())


def org_pub_line_and_fingerprint(org_pub_path):
    with open(org_pub_path) as f:
        line = [ln for ln in f.read().splitlines() if ln and not ln.startswith("untrusted comment:")][0]
    pk = base64.b64decode(line)[10:42]
    h = hashlib.blake2b(pk, digest_size=32).hexdigest()[:32]
    return line, " ".join(h[i:i + 4] for i in range(0, 32, 4))


def listed_files():
    with open(os.path.join(WEB, "files.txt")) as f:
        return [ln.strip() for ln in f if ln.strip() and not ln.startswith("#")]


def main():
    with Dropbox("srv-pages") as box:
        org, data, srv = box.org, box.data, box.srv
        key_line, fingerprint = org_pub_line_and_fingerprint(org.org_pub)
        langs = {}
        for name in listed_files():
            if name.startswith("i18n/"):
                with open(os.path.join(WEB, name)) as f:
                    langs[name[5:-5]] = json.load(f)
        check({"en", "ru", "uk"} <= set(langs), f"English, Russian and Ukrainian are embedded: {sorted(langs)}")

        # -- every page: headers, filled-in template, HEAD
        for path, tpl in PAGES.items():
            st, h, body, raw = srv.request("GET", path)
            check(st == 200 and h.get("content-type") == "text/html; charset=utf-8", f"GET {path}: {st} {h}")
            check(page_headers_ok(h, raw), f"GET {path}: the pages' security headers, no cookie: {h}")
            check(b"{{" not in body and b"}}" not in body, f"GET {path}: no placeholder left")
            check(lang_of(body) == "en" and h.get("content-language") == "en", f"GET {path}: English by default")
            check(langs["en"]["site_name"].encode() in body, f"GET {path}: English text from en.json")
            check(b"<script>" not in body and b"style=" not in body and b"<style" not in body,
                  f"GET {path}: no inline script or style")
            sth, hh, bodyh, rawh = srv.request("HEAD", path)
            check(sth == 200 and bodyh == b"" and page_headers_ok(hh, rawh), f"HEAD {path}: headers only")
            st, h, body, raw = srv.request("POST" if path != "/nojs" else "PUT", path)
            check(st == 405 and "GET" in h.get("allow", ""), f"{path}: other methods get 405 with Allow ({st})")

        # -- every {{t.KEY}} is the language's text (English where missing), HTML-escaped
        for path, tpl in PAGES.items():
            with open(os.path.join(WEB, tpl), encoding="utf-8") as f:
                keys = sorted(set(re.findall(r"\{\{t\.([A-Za-z0-9_.-]+)\}\}", f.read())))
            for code in ("en", "ru", "uk"):
                st, h, body, raw = srv.request("GET", f"{path}?lang={code}")
                text = body.decode()
                missing = [k for k in keys if html_escape(langs[code].get(k, langs["en"][k])) not in text]
                check(keys and not missing, f"{path} in {code}: every text in place and escaped (missing {missing})")

        st, h, body, raw = srv.request("GET", "/")
        text = body.decode()
        check(fingerprint in text, f"the landing page shows the organisation key's fingerprint {fingerprint}")
        for path in ("/submit", "/replies"):
            st, h, body, raw = srv.request("GET", path)
            check(f'content="{key_line}"'.encode() in body,
                  f"{path} carries the organisation key line for its script")
        for code, strings in langs.items():
            check(f'href="?lang={code}"' in text and f'hreflang="{code}"' in text
                  and f">{strings['_name']}</a>" in text, f"the language links offer {code} by its own name")

        # -- language choice
        cases = [
            ({}, "/", "en"),
            ({"Accept-Language": "ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7"}, "/", "ru"),
            ({"Accept-Language": "de-DE, uk;q=0.8, ru;q=0.5"}, "/", "uk"),
            ({"Accept-Language": "en;q=0.1, uk;q=0.4, ru;q=0.3"}, "/", "uk"),
            ({"Accept-Language": "ru;q=0, en;q=0.5"}, "/", "en"),
            ({"Accept-Language": "*, ru;q=0.1"}, "/", "ru"),
            ({"Accept-Language": "de, fr;q=0.9"}, "/", "en"),
            ({"Accept-Language": "ru;q=2, uk"}, "/", "uk"),
            ({"Accept-Language": ";;;,,,=q,ru"}, "/", "ru"),
            ({"Accept-Language": "ru"}, "/?lang=uk", "uk"),
            ({"Accept-Language": "ru"}, "/?lang=xx", "ru"),
            ({"Accept-Language": "ru"}, "/?lang=" + "a" * 100, "ru"),
            ({}, "/submit?lang=ru", "ru"),
        ]
        for headers, path, want in cases:
            st, h, body, raw = srv.request("GET", path, headers)
            check(st == 200 and lang_of(body) == want and h.get("content-language") == want,
                  f"{path} with {headers}: {want} chosen (got {lang_of(body)})")
        st, h, body, raw = srv.request("GET", "/", {"Accept-Language": "ru"})
        check(langs["ru"]["home_title"].encode() in body, "the Russian landing page is in Russian")
        check(langs["en"]["home_title"].encode() not in body, "the Russian landing page has no English title")

        # -- static files and language files, byte for byte from the build
        vendor = []
        for name in listed_files():
            if "/" not in name and name.endswith(".html"):
                continue
            if name.startswith("i18n/"):
                st, h, body, raw = srv.request("GET", "/" + name)
                check(st == 200 and h.get("content-type") == "application/json" and page_headers_ok(h, raw),
                      f"GET /{name}: JSON with the page headers ({st})")
                with open(os.path.join(WEB, name), "rb") as f:
                    check(body == f.read(), f"GET /{name}: the embedded file")
                continue
            st, h, body, raw = srv.request("GET", "/static/" + name)
            check(st == 200 and page_headers_ok(h, raw), f"GET /static/{name}: {st}")
            if name.startswith("vendor/"):
                vendor.append(name)
                check(len(body) > 1000, f"GET /static/{name}: the library built from node_modules")
                continue
            with open(os.path.join(WEB, name), "rb") as f:
                check(body == f.read(), f"GET /static/{name}: the embedded file, byte for byte")
            ext = os.path.splitext(name)[1]
            want = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}.get(ext)
            check(want is None or h.get("content-type") == want, f"GET /static/{name}: type {h.get('content-type')}")
        check(vendor != [], "the crypto library is served under /static/vendor/")

        # -- nothing outside the table
        with open(os.path.join(data, "config"), "rb") as f:
            config = f.read()
        probes = ["/static/index.html", "/static/i18n/en.json", "/static/files.txt", "/static/", "/static",
                  "/static/../config", "/static/%2e%2e/config", "/static/%2E%2E%2Fconfig", "/static/..%2fconfig",
                  "/static/..%5cconfig", "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/static/STYLE.CSS",
                  "/static/style.css%00.png", "/static/./style.css", "/static/js/../style.css",
                  "/i18n/../config", "/i18n/en", "/i18n/xx.json", "/i18n/%2e%2e/config", "/i18n/en.json/",
                  "/index.html", "/files.txt", "/config", "/malyava.db", "/nojs.html", "/web/index.html",
                  "/submit/", "/replies/x", "/%2e%2e/config"]
        for path in probes:
            st, raw_answer = raw_get(srv.port, path)
            check(st in (400, 404), f"GET {path}: refused ({st})")
            check(config not in raw_answer and b"export_token_hash" not in raw_answer, f"GET {path}: no file leaks")
        st, h, body, raw = srv.request("GET", "/static/style.css?x=1")
        check(st == 200, "a query string does not change which file is served")
    check.exit()


if __name__ == "__main__":
    main()
