#!/usr/bin/env python3
"""The desk's walls, checked rather than described.

In client/, only desk_http.c speaks libmicrohttpd; the source's paths
(seal, open, submit and the tus client) include nothing of the desk; and
no page of the desk (client/desk_web/) builds markup from strings:
innerHTML, outerHTML, insertAdjacentHTML, document.write, eval and
string timers are absent, so text can only enter as text.
"""
import os
import re
import sys

src = sys.argv[1]
client = os.path.join(src, "client")
failed = 0


def fail(msg):
    global failed
    failed += 1
    print(f"FAIL: {msg}", file=sys.stderr)


for name in sorted(os.listdir(client)):
    if not name.endswith((".c", ".h")):
        continue
    text = open(os.path.join(client, name), encoding="utf-8").read()
    if re.search(r"#include\s*<microhttpd\.h>", text) and name != "desk_http.c":
        fail(f"client/{name} includes microhttpd.h; only desk_http.c may")
    if re.search(r"\bMHD_[A-Za-z_]+\s*\(", text) and name != "desk_http.c":
        fail(f"client/{name} calls libmicrohttpd; only desk_http.c may")
    if name.startswith(("seal", "open", "submit", "tus")) and re.search(r'#include\s*"desk', text):
        fail(f"client/{name} is on the source's path and includes the desk")
if "microhttpd" not in open(os.path.join(client, "desk_http.c"), encoding="utf-8").read():
    fail("client/desk_http.c no longer speaks libmicrohttpd: update this test")

web = os.path.join(client, "desk_web")
for d, _, files in os.walk(web):
    for name in files:
        if not name.endswith((".js", ".html")):
            continue
        text = open(os.path.join(d, name), encoding="utf-8").read()
        for bad in (r"\.innerHTML", r"\.outerHTML", r"insertAdjacentHTML", r"document\.write", r"\beval\s*\(",
                    r"new\s+Function\s*\(", r"setTimeout\s*\(\s*['\"`]", r"<script(?![^>]*\bsrc=)[^>]*>"):
            if re.search(bad, text):
                fail(f"{os.path.relpath(os.path.join(d, name), src)} uses {bad}")
print(f"desk walls: {failed} problems", file=sys.stderr)
sys.exit(1 if failed else 0)
