#!/usr/bin/env python3
"""Copies libsodium.js (npm packages libsodium and libsodium-wrappers, ISC
licence, pinned in package-lock.json) into the build directory for
embedding:

- the ES module builds (WebAssembly inside), the wrapper's import pointed
  at the file beside it: browsers cannot resolve the bare name "libsodium";
- the classic-script builds, which fall back to plain JavaScript where
  WebAssembly is off (Tor Browser's "Safer" level), joined into one
  script: the wrapper must run in the same task as the library, before
  the library's fallback replaces the object the wrapper waits on. The
  pages load it only where WebAssembly is off.

usage: vendor.py NODE_MODULES OUT_SODIUM OUT_LIBSODIUM OUT_SODIUM_PLAIN
"""
import os
import sys


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    nm, out_wrap, out_lib, out_plain = sys.argv[1:]
    wrap = os.path.join(nm, "libsodium-wrappers", "dist", "modules-esm", "libsodium-wrappers.mjs")
    lib = os.path.join(nm, "libsodium", "dist", "modules-esm", "libsodium.mjs")
    wrap_umd = os.path.join(nm, "libsodium-wrappers", "dist", "modules", "libsodium-wrappers.js")
    lib_umd = os.path.join(nm, "libsodium", "dist", "modules", "libsodium.js")
    for p in (wrap, lib, wrap_umd, lib_umd):
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
    with open(out_plain, "wb") as dst:
        for src_path in (lib_umd, wrap_umd):
            with open(src_path, "rb") as src:
                dst.write(src.read().rstrip(b"\n") + b"\n;\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
