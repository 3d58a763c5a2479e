#!/usr/bin/env python3
"""Copies libsodium.js (the ESM builds of the npm packages libsodium and
libsodium-wrappers, ISC licence, pinned in package-lock.json) into the
build directory for embedding, pointing the wrapper's import at the file
beside it: browsers cannot resolve the bare name "libsodium".

usage: vendor.py NODE_MODULES OUT_SODIUM OUT_LIBSODIUM
"""
import os
import sys


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    nm, out_wrap, out_lib = sys.argv[1:]
    wrap = os.path.join(nm, "libsodium-wrappers", "dist", "modules-esm", "libsodium-wrappers.mjs")
    lib = os.path.join(nm, "libsodium", "dist", "modules-esm", "libsodium.mjs")
    for p in (wrap, lib):
        if not os.path.isfile(p):
            print(f"vendor.py: {p} is missing; run `npm ci` in the project root first", file=sys.stderr)
            return 1
    text = open(wrap, encoding="utf-8").read()
    specifier = 'from"libsodium"'
    if text.count(specifier) != 1:
        print(f"vendor.py: {wrap} no longer imports libsodium the expected way; check the new version", file=sys.stderr)
        return 1
    with open(out_wrap, "w", encoding="utf-8") as f:
        f.write(text.replace(specifier, 'from"./libsodium.js"'))
    with open(lib, "rb") as src, open(out_lib, "wb") as dst:
        dst.write(src.read())
    return 0


if __name__ == "__main__":
    sys.exit(main())
