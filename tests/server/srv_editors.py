#!/usr/bin/env python3
"""The editors' routes live on their own listener, out of the public's reach.

Promises of docs/PROTOCOL.md and docs/DEPLOY.md: on the public listener
GET /api/v1/export, POST /api/v1/export/ack and POST /api/v1/replies/import
answer exactly what an unknown path answers, even with the right token;
the editors' listener serves those three and nothing else; no number of
wrong tokens, from anywhere, makes the routes refuse the right one;
`editors_listen = off` (or --editors-listen off) serves no editors' routes
at all; init writes the default 127.0.0.1:8081; a configuration written by
an older version (with export_lockout_seconds) still loads.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srv_lib import (DROPBOX, Checks, Org, Server, cleanup, init_data_dir, run,  # noqa: E402
                     security_headers_ok, tmpdir)

EXPORT = "/api/v1/export"
ACK = "/api/v1/export/ack"
IMPORT = "/api/v1/replies/import"
EDITORS_ROUTES = (("GET", EXPORT, None), ("POST", ACK, b"malyava-ack 1\n"), ("POST", IMPORT, b"not a bundle"))
check = Checks()


def main():
    root = tmpdir("srv-editors")
    org = Org(root, ("alice",))
    m1 = org.sign(["alice"])
    env, receipt = org.seal(m1, os.path.join(root, "a.env"), "a testimony")
    data, init_out = init_data_dir(root, org, m1)
    token = init_out.strip().splitlines()[-1]
    auth = {"Authorization": f"Bearer {token}"}
    wrong = {"Authorization": "Bearer " + "A" * 43}
    config = os.path.join(data, "config")
    check(re.search(r"^editors_listen = 127\.0\.0\.1:8081$", open(config).read(), re.M) is not None,
          "init writes editors_listen = 127.0.0.1:8081")

    srv = Server(data).start()
    try:
        check(srv.editors_port is not None and srv.editors_port != srv.port,
              "serve prints a second line with the editors' listener on its own port")
        srv.upload(env)

        # -- the public listener: the editors' paths are unknown paths
        unknown = srv.request("GET", "/api/v1/no-such-thing", auth)
        check(unknown[0] == 404, f"an unknown path is 404 ({unknown[0]})")
        for method, path, body in EDITORS_ROUTES:
            st, h, got, raw = srv.request(method, path, auth, body)
            check(st == 404 and got == unknown[2], f"public {method} {path} with the right token: 404 like any "
                  f"unknown path ({st} {got[:80]!r})")
            check("www-authenticate" not in h and security_headers_ok(h, raw), f"public {method} {path}: nothing "
                  "tells it apart from an unknown path")
            st, _, _, _ = srv.request("OPTIONS" if method == "GET" else "GET", path)
            check(st == 404, f"public {path} with another method: 404, not 405 ({st})")

        # -- a flood of wrong tokens, from both sides, locks nobody out
        for i in range(40):
            for method, path, body in EDITORS_ROUTES:
                srv.request(method, path, wrong, body)
                st, _, _, _ = srv.editors(method, path, wrong if i % 2 else {}, body)
                if i == 0:
                    check(st == 401, f"editors' {method} {path} without the token: 401 ({st})")
        st, h, bundle, raw = srv.editors("GET", EXPORT, auth)
        check(st == 200 and h.get("content-type") == "application/vnd.malyava.bundle",
              f"after 240 wrong tokens the right one still exports ({st})")
        check(security_headers_ok(h, raw), "editors' answers carry the security headers")
        check(receipt.encode() in bundle, "the bundle holds the submission")
        st, _, got, _ = srv.editors("POST", ACK, auth, b"malyava-ack 1\n")
        check(st == 200 and got == b"purged 0, unknown 0\n", f"after the flood the right token acks ({st} {got!r})")
        st, _, got, _ = srv.editors("POST", IMPORT, auth, b"not a bundle")
        check(st == 422, f"after the flood the right token reaches replies import ({st} {got!r})")

        # -- the editors' listener serves only the editors' routes
        for method, path in (("GET", "/"), ("GET", "/manifest"), ("POST", "/api/v1/uploads"),
                             ("POST", "/api/v1/replies/register"), ("GET", "/api/v1/pow")):
            st, h, got, raw = srv.editors(method, path, auth)
            check(st == 404 and b"/api/v1/export" in got and security_headers_ok(h, raw),
                  f"editors' {method} {path}: 404 naming what it serves ({st} {got[:80]!r})")
        st, h, _, _ = srv.editors("POST", EXPORT, auth)
        check(st == 405 and h.get("allow") == "GET", f"editors' POST export: 405 Allow: GET ({st})")
    finally:
        check(srv.stop() == 0, "the server stops cleanly")

    # -- editors_listen = off: no editors' listener at all
    srv = Server(data, "--editors-listen", "off").start()
    try:
        check(srv.editors_port is None, "--editors-listen off prints no editors' line")
        st, _, _, _ = srv.request("GET", EXPORT, auth)
        check(st == 404, f"with the editors' listener off, the public one still answers 404 ({st})")
    finally:
        srv.proc.terminate()
        rest = srv.proc.communicate(timeout=30)[0]
    check(srv.proc.returncode == 0 and rest == "", f"nothing more on standard output: {rest!r}")
    with open(config, "a") as f:
        f.write("editors_listen = off\n# written by an older version:\nexport_lockout_seconds = 600\n")
    p = run(DROPBOX, "serve", data, "--check-config", ok=None)
    check(p.returncode == 0, f"editors_listen = off and the old export_lockout_seconds load: {p.stderr!r}")
    p = run(DROPBOX, "serve", data, "--check-config", "--export-lockout-seconds", "600", ok=None)
    check(p.returncode == 2, f"--export-lockout-seconds is no flag any more ({p.returncode})")
    p = run(DROPBOX, "serve", data, "--check-config", "--editors-listen", "somewhere", ok=None)
    check(p.returncode == 1 and "editors_listen" in p.stderr and "off" in p.stderr,
          f"a malformed editors_listen is refused, naming the forms: {p.stderr!r}")
    proc = subprocess.Popen([DROPBOX, "serve", data, "--listen", "127.0.0.1:0", "--pow-bits", "8"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        check(line.startswith("malyava-dropbox: listening on "), f"the config's off starts the server: {line!r}")
    finally:
        proc.terminate()
        rest = proc.communicate(timeout=30)[0]
    check(rest == "", f"the config's editors_listen = off opens no editors' listener: {rest!r}")

    cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
