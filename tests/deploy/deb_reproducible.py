#!/usr/bin/env python3
"""The same tree builds byte-identical packages twice.

The first build is the package test's (reused while the tree is
unchanged); the second runs from scratch in a directory of another name
and depth, so build paths that leak into the binaries or their debug
symbols show. Every .deb (the -dbgsym ones too) must have the same
SHA-256. Also checked on the first build: every file's time in the
packages is debian/changelog's date (SOURCE_DATE_EPOCH), and every gzip
member has no stored name or time (gzip -n).
"""
import email.utils
import io
import os
import re
import subprocess
import sys
import shutil
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deb_lib  # noqa: E402
from srv_lib import Checks  # noqa: E402


def changelog_epoch():
    text = open(os.path.join(deb_lib.SOURCE, "debian", "changelog")).read()
    m = re.search(r"^ -- .+?  (.+)$", text, re.M)
    return int(email.utils.parsedate_to_datetime(m.group(1)).timestamp())


def data_members(deb):
    """The members of a .deb's data.tar.*, via dpkg-deb --fsys-tarfile."""
    raw = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(raw)) as t:
        return [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]


def main():
    check = Checks()
    first, _ = deb_lib.build("a")
    epoch = changelog_epoch()
    for deb in first.values():
        for m, body in data_members(deb):
            check(m.mtime == epoch, f"{os.path.basename(deb)}: {m.name} is dated by debian/changelog ({m.mtime})")
            if body is not None and m.name.endswith(".gz"):
                flags, mtime = body[3], int.from_bytes(body[4:8], "little")
                check(flags & 0x08 == 0 and mtime == 0, f"{m.name} was compressed with gzip -n")
    deb_lib.build(os.path.join("second", "build-in-another-place"), fresh=True)
    a = deb_lib.all_debs("a")
    b = deb_lib.all_debs(os.path.join("second", "build-in-another-place"))
    check([os.path.basename(x) for x in a] == [os.path.basename(x) for x in b] and len(a) == 6,
          f"both builds made the same six packages: {[os.path.basename(x) for x in b]}")
    for x, y in zip(a, b):
        same = deb_lib.sha256(x) == deb_lib.sha256(y)
        check(same, f"{os.path.basename(x)} is byte-identical in both builds"
              + ("" if same else ": " + subprocess.run(["cmp", x, y], capture_output=True, text=True).stdout))
    shutil.rmtree(os.path.join(deb_lib.WORK, "second"), ignore_errors=True)
    check.exit()


if __name__ == "__main__":
    main()
