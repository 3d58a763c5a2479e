#!/usr/bin/env python3
"""No legal attachment name is lost, and none blocks the others.

A testimony carries x.jpg, another x.jpg (from sub/), a file already
called 2-x.jpg, and one called .malyava-stripping, the name extract
--strip once used for its own temporary copy (and deleted). Both photos
carry GPS. `malyava extract` and `extract --strip` write all four, each
under a name of its own, the photos stripped with --strip, the others
byte for byte; nothing temporary is left.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vault_lib import MALYAVA, jpeg_with_gps, new_vault, run  # noqa: E402
from srv_lib import DROPBOX, Checks, Org, Server, cleanup, init_data_dir, tmpdir  # noqa: E402

check = Checks()


def main():
    root = tmpdir("vault-names")
    org = Org(root, ("alice",))
    manifest = org.sign(["alice"])
    data, _ = init_data_dir(root, org, manifest)
    photo = jpeg_with_gps()
    inputs = {"x.jpg": photo, "sub/x.jpg": photo + b"\0", "2-x.jpg": b"not a photo",
              ".malyava-stripping": b"a file the source named so"}
    paths = []
    for rel, body in inputs.items():
        path = os.path.join(root, "in", rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(body)
        paths.append(path)
    srv = Server(data).start()
    try:
        run(MALYAVA, "submit", f"http://127.0.0.1:{srv.port}", "--org-key", org.org_pub, "--message", "names",
            *paths)
    finally:
        srv.stop()
    bundle = os.path.join(root, "export.bundle")
    run(DROPBOX, "export", data, "-o", bundle)
    v = new_vault(os.path.join(root, "vault"), org)
    v("import", bundle)

    for strip in (False, True):
        out = os.path.join(root, f"out-{strip}")
        p = v("extract", "1", "-o", out, *(["--strip"] if strip else []), ok=None)
        what = "extract --strip" if strip else "extract"
        check(p.returncode == 0, f"{what} writes every attachment: {p.stderr!r}")
        files = os.path.join(out, "files")
        got = {n: open(os.path.join(files, n), "rb").read() for n in os.listdir(files)} if os.path.isdir(files) else {}
        check(sorted(got) == sorted(["x.jpg", "2-2-x.jpg", "2-x.jpg", ".malyava-stripping"]),
              f"{what}: each under a name of its own: {sorted(got)}")
        check(got.get("2-x.jpg") == inputs["2-x.jpg"] and
              got.get(".malyava-stripping") == inputs[".malyava-stripping"],
              f"{what}: the files that are not photos are byte for byte")
        if strip:
            check(all(n in got and b"Exif" not in got[n] and got[n].startswith(b"\xff\xd8")
                      for n in ("x.jpg", "2-2-x.jpg")), "extract --strip: both photos stripped")
        else:
            check(got.get("x.jpg") == inputs["x.jpg"] and got.get("2-2-x.jpg") == inputs["sub/x.jpg"],
                  "extract: both photos as sent")
        check(sorted(os.listdir(out)) == ["files", "message.txt", "metadata.json"],
              f"{what}: no temporary left: {os.listdir(out)}")
    cleanup(root)
    check.exit()


main()
