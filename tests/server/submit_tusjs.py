#!/usr/bin/env python3
"""Any tus client works: tus-js-client (pinned in package-lock.json,
installed with `npm ci`) under Node uploads an envelope sealed by
`malyava seal`, in several PATCHes, and the drop-box accepts it: HEAD
returns the sealer's receipt, the stored bytes are the sealed bytes, and
the file name the client sent in Upload-Metadata is nowhere on the server.
Skipped (exit 77) when Node or the package is missing.
"""
import base64
import json
import os
import shutil
import signal
import subprocess
import sys

# Sanitized builds: an undefined-behaviour report must fail the run, not scroll by.
os.environ.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srv_lib import Checks, Org, Server, cleanup, init_data_dir, tmpdir  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(HERE, "tusjs", "upload.js")

check = Checks()


def main():
    node = shutil.which("node")
    if node is None or not os.path.isdir(os.path.join(REPO, "node_modules", "tus-js-client")):
        print("skipped: needs node and `npm ci` at the repository root", file=sys.stderr)
        sys.exit(77)
    root = tmpdir("submit-tusjs")
    srv = None
    try:
        org = Org(root)
        manifest = org.sign(["alice"])
        data, _ = init_data_dir(root, org, manifest)
        srv = Server(data).start()
        attachment = os.path.join(root, "photo.jpg")
        with open(attachment, "wb") as f:
            f.write(os.urandom(700 * 1024))
        envelope = os.path.join(root, "sealed.env")
        sealed, receipt = org.seal(manifest, envelope, "from tus-js-client", [attachment])
        check(receipt is not None, "malyava seal prints a receipt")

        p = subprocess.run([node, SCRIPT, f"http://127.0.0.1:{srv.port}/api/v1/uploads", envelope, str(256 * 1024),
                            srv.pow()["Malyava-Pow"]],
                           capture_output=True, text=True, timeout=120)
        check(p.returncode == 0, f"tus-js-client finishes: {p.stdout} {p.stderr}")
        url = json.loads(p.stdout)["url"] if p.returncode == 0 else ""
        path = url[len(f"http://127.0.0.1:{srv.port}"):]
        st, h, _, _ = srv.head(path)
        check(st == 200 and h.get("malyava-receipt") == receipt,
              f"HEAD on the finished upload returns the sealer's receipt: {st} {h}")
        stored = os.path.join(data, "envelopes", os.path.basename(path) + ".env")
        with open(stored, "rb") as f:
            check(f.read() == sealed, "the stored envelope is the sealed file, byte for byte")

        srv.stop()
        needles = [b"secret-name", base64.b64encode(b"secret-name.jpg")]
        for d, _, names in os.walk(data):
            for n in names:
                with open(os.path.join(d, n), "rb") as f:
                    body = f.read()
                check(not any(x in body for x in needles), f"no trace of the client's file name in {n}")
        check.exit()
    finally:
        if srv is not None and srv.proc.poll() is None:
            srv.proc.kill()
        cleanup(root)


if __name__ == "__main__":
    # A timeout (SIGTERM from meson) still runs the cleanup.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
