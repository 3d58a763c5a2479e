#!/usr/bin/env python3
"""Turns the files listed in dropbox/web/files.txt into a C table that
malyava-dropbox serves from memory (dropbox/assets.h). The server never
maps a request path to a file: it looks names up in this table only.

    embed_web.py [--name NAME] FILES_TXT WEB_DIR OUT_C [EXTRA_FILE ...]

FILES_TXT lists one path relative to WEB_DIR per line ('#' comments and
blank lines ignored). A path `vendor/NAME` is taken from the EXTRA_FILE
whose base name is NAME (files built from node_modules), not from the
source tree. Top-level *.html are templates, i18n/<code>.json language
files; everything else is served at /static/<path>. Anything unexpected
(a path leaving WEB_DIR, an unknown extension, a duplicate, a missing
file) stops the build with a message naming the line.

With --name NAME (the editors' desk: --name desk) the table is
mlv_NAME_assets of mlv_NAME_asset in NAME_assets.h, for another program.
"""
import os
import re
import sys

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".ico": "image/x-icon",
    ".wasm": "application/wasm",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}
# Relative paths of plain names: no "..", no hidden files, no absolute paths.
PATH_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$")
LANG_RE = re.compile(r"^i18n/([a-z]{2,3}(-[a-z0-9]{2,8})?)\.json$")
# Far above any page; catches a video listed by mistake.
MAX_FILE_BYTES = 8 * 1024 * 1024


def fail(msg):
    sys.exit(f"embed_web.py: {msg}")


def kind_of(path, kinds):
    if "/" not in path and path.endswith(".html"):
        return kinds + "TEMPLATE"
    if path.startswith("i18n/"):
        if not LANG_RE.match(path):
            fail(f"{path}: language files are i18n/<code>.json with a lowercase code like 'en' or 'pt-br'")
        return kinds + "LANGUAGE"
    return kinds + "STATIC"


def main():
    args = sys.argv[1:]
    prefix = ""
    if len(args) >= 2 and args[0] == "--name":
        if not re.match(r"^[a-z]+$", args[1]):
            fail("--name takes a lowercase word")
        prefix = args[1] + "_"
        args = args[2:]
    if len(args) < 3:
        fail("usage: embed_web.py [--name NAME] FILES_TXT WEB_DIR OUT_C [EXTRA_FILE ...]")
    files_txt, web_dir, out_c, extras = args[0], args[1], args[2], args[3:]
    table, kinds = f"mlv_{prefix}asset", f"MLV_{prefix.upper()}ASSET_"
    by_base = {os.path.basename(e): e for e in extras}
    entries = {}
    with open(files_txt, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            path = line.strip()
            if not path or path.startswith("#"):
                continue
            where = f"{files_txt}:{lineno}"
            if not PATH_RE.match(path) or ".." in path.split("/"):
                fail(f"{where}: '{path}' is not a plain relative path inside {web_dir}")
            ext = os.path.splitext(path)[1].lower()
            if ext not in TYPES:
                fail(f"{where}: no media type known for '{ext}'; add it to TYPES in embed_web.py")
            if path in entries:
                fail(f"{where}: '{path}' is listed twice")
            if path.startswith("vendor/") and path.count("/") == 1 and path[7:] in by_base:
                src = by_base[path[7:]]
            else:
                src = os.path.join(web_dir, path)
            if not os.path.isfile(src):
                fail(f"{where}: '{src}' does not exist")
            with open(src, "rb") as g:
                data = g.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                fail(f"{where}: '{path}' is over {MAX_FILE_BYTES} bytes; pages must stay small")
            entries[path] = (TYPES[ext], kind_of(path, kinds), data)
    if "index.html" not in entries or "i18n/en.json" not in entries:
        fail(f"{files_txt} must list at least index.html and i18n/en.json")

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    listed = os.path.relpath(os.path.abspath(files_txt), root)
    out = [f"/* Made by dropbox/embed_web.py from {listed}; do not edit. */", f'#include "{prefix}assets.h"', ""]
    names = sorted(entries)
    for i, name in enumerate(names):
        data = entries[name][2]
        out.append(f"static const uint8_t asset_{i}[{max(len(data), 1)}] = {{")
        for off in range(0, len(data), 32):
            out.append(",".join(str(b) for b in data[off:off + 32]) + ",")
        out.append("};")
    out.append("")
    out.append(f"/* Sorted by name, for {table}_find's binary search. */")
    out.append(f"const {table} {table}s[] = {{")
    for i, name in enumerate(names):
        mtype, kind, data = entries[name]
        out.append(f'    {{ "{name}", "{mtype}", {kind}, asset_{i}, {len(data)}u }},')
    out.append("};")
    out.append(f"const size_t {table}s_count = {len(names)}u;")
    tmp = out_c + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("\n".join(out) + "\n")
    os.replace(tmp, out_c)


if __name__ == "__main__":
    main()
