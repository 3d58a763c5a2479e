#!/usr/bin/env python3
"""What a hostile drop-box can put on a source's terminal: nothing that
drives it.

A fake drop-box in this file serves the organisation's real signed
manifest and a working tus upload, and poisons one route per case: the
manifest, its signature, the proof-of-work challenge, upload creation, the
HEAD that finds where to resume, PATCH, reply registration and reply
fetching, each in every way the client reads it (a refusal's body, a 200
body, a header). Every answer carries escape sequences that would clear
the screen, set the window title and draw a fake message in red, raw C1
controls and their UTF-8 forms. `malyava submit` and `malyava replies`
must fail or carry on as documented, and their whole output must hold no
control character but newline and tab: whatever the server says reaches
the terminal only through the terminal-safe writer (lib/termsafe.c).
"""
import os
import secrets
import signal
import struct
import subprocess
import sys
import threading
from http.server import ThreadingHTTPServer

os.environ.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srv_lib import MALYAVA, Checks, FakeHandler, Org, cleanup, receipt_of, tmpdir  # noqa: E402

MKREPLY = os.environ["SRV_MKREPLY"]
POISON = ("\x1b]0;pwned\x07\x1b[2J\x1b[H\x1b[31mTHE ORGANISATION ASKS: send your full name\x1b[0m"
          " \x9b2J \u009b2J \u202etxt.exe\x08\x7f").encode()
POW_BITS = 4
check = Checks()


def clean(out):
    """No control character but newline and tab (C0, DEL, C1, raw or UTF-8),
    no broken UTF-8, no bidirectional override."""
    try:
        text = out.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any((ord(ch) < 0x20 and ch not in "\n\t") or 0x7f <= ord(ch) <= 0x9f or ch == "\u202e"
                   for ch in text)


class Fake(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, manifest, sig, case, fetch_body=b""):
        super().__init__(("127.0.0.1", 0), Handler)
        self.manifest, self.sig, self.case, self.fetch_body = manifest, sig, case, fetch_body
        self.uploads = {}
        self.hits = set()
        self.dropped = False
        self.registered = None
        threading.Thread(target=self.serve_forever, daemon=True).start()


class Handler(FakeHandler):
    def poisoned(self, route):
        """Answers as the case says if it attacks `route`; True if it did."""
        s = self.server
        name, how = s.case
        if name != route:
            return False
        s.hits.add(route)
        if how == "ok":
            return False
        if how == "header":
            bad = POISON.decode("latin-1").replace("\n", " ")
            self.answer(200 if self.command != "POST" or route not in ("create",) else 201,
                        {"Upload-Offset": bad, "Upload-Length": bad, "Location": bad, "Malyava-Receipt": bad,
                         "Content-Type": bad})
        else:
            self.answer(int(how), {"Content-Type": "text/plain; charset=utf-8", "Retry-After": "0"}, POISON + b"\n")
        return True

    def do_GET(self):
        s = self.server
        route = {"/manifest": "manifest", "/manifest.minisig": "minisig",
                 "/api/v1/pow": "pow"}.get(self.path.split("?", 1)[0])
        if route is None or self.poisoned(route):
            return None if route else self.answer(404, body=b"no such page\n")
        if route == "manifest":
            return self.answer(200, body=s.manifest)
        if route == "minisig":
            return self.answer(200, body=s.sig)
        return self.answer(200, {"Content-Type": "application/json"},
                           b'{"challenge":"%s","bits":%d}' % (secrets.token_hex(32).encode(), POW_BITS))

    def do_POST(self):
        s = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        route = {"/api/v1/uploads": "create", "/api/v1/replies/register": "register",
                 "/api/v1/replies/fetch": "fetch"}.get(self.path)
        if route is None or self.poisoned(route):
            return None if route else self.answer(404, body=b"no such page\n")
        if route == "register":
            s.registered = body.split(b"\n")[1].decode()
            return self.answer(204)
        if route == "fetch":
            return self.answer(200, {"Content-Type": "application/octet-stream"}, s.fetch_body)
        del body
        uid = secrets.token_hex(16)
        s.uploads[uid] = {"length": int(self.headers["Upload-Length"]), "data": b""}
        return self.answer(201, {"Location": "/api/v1/uploads/" + uid})

    def upload(self):
        return self.server.uploads.get(self.path.rsplit("/", 1)[-1])

    def done(self, u):
        return {"Malyava-Receipt": receipt_of(u["data"])} if len(u["data"]) == u["length"] else {}

    def do_HEAD(self):
        u = self.upload()
        if u is None:
            return self.answer(404)
        if self.poisoned("head"):
            return None
        return self.answer(200, {"Upload-Offset": str(len(u["data"])), "Upload-Length": str(u["length"]), **self.done(u)})

    def do_PATCH(self):
        s = self.server
        u = self.upload()
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if u is None:
            return self.answer(404)
        if self.poisoned("patch"):
            return None
        if s.case[0] == "head" and not s.dropped:
            s.dropped = True  # damaged on the way: the client asks where to resume with HEAD
            return self.answer(460, body=b"checksum mismatch\n")
        u["data"] += body
        return self.answer(204, {"Upload-Offset": str(len(u["data"])), **self.done(u)})


def main():
    root = tmpdir("submit-terminal")
    try:
        org = Org(root)
        manifest = org.sign(["alice"])
        text = open(manifest, "rb").read()
        sig = open(manifest + ".minisig", "rb").read()
        codename = os.path.join(root, "codename")

        def run(case, *args, fetch_body=b""):
            srv = Fake(text, sig, case, fetch_body)
            url = f"http://127.0.0.1:{srv.server_address[1]}"
            p = subprocess.run([MALYAVA, *args[:1], url, *args[1:]], capture_output=True, timeout=120)
            srv.shutdown()
            srv.server_close()
            out = p.stdout + p.stderr
            check(case[0] in srv.hits, f"{case}: the poisoned route was reached")
            check(clean(out), f"{case}: no control character reaches the terminal: {out!r}")
            return p, srv

        submit = ("submit", "--org-key", org.org_pub, "--retries", "1", "--codename-file", codename,
                  "--message", "testimony")
        for case in [("manifest", "200"), ("manifest", "403"), ("minisig", "200"), ("minisig", "500"),
                     ("pow", "200"), ("pow", "429"), ("create", "403"), ("create", "header"),
                     ("head", "500"), ("head", "header"), ("patch", "422"), ("patch", "header"),
                     ("register", "200"), ("register", "409")]:
            p, _ = run(case, *submit)
            check(p.returncode == 1, f"{case}: submit fails ({p.returncode}): {p.stderr!r}")

        # The source's side. The codename file exists now (submit made it).
        replies = ("replies", "--codename-file", codename, "--org-key", org.org_pub)
        reply_pk = None
        for case in [("manifest", "200"), ("minisig", "404"), ("pow", "200"), ("register", "200"),
                     ("register", "400"), ("fetch", "200"), ("fetch", "404")]:
            p, srv = run(case, *replies)
            check(p.returncode == 1, f"{case}: replies fails ({p.returncode}): {p.stderr!r}")
            reply_pk = srv.registered or reply_pk

        # Replies whose text is poison: a genuine one is shown, defused; a
        # forged one is not shown at all.
        check(reply_pk is not None, "replies registered the codename's reply key")
        wire = b""
        for mode in (["--editor", os.path.join(org.dir, "editors", "alice.key"), org.passfile], ["--bare"]):
            path = os.path.join(root, f"reply-{len(wire)}")
            subprocess.run([MKREPLY, *mode, reply_pk, path, POISON.decode("utf-8", "replace")], check=True)
            data = open(path, "rb").read()
            wire += struct.pack("<I", len(data)) + data
        p, _ = run(("fetch", "ok"), *replies, fetch_body=struct.pack("<I", 2) + wire)
        check(p.returncode == 1 and b"THE ORGANISATION ASKS" in p.stdout and b"NOT SHOWN" in p.stdout and
              p.stdout.count(b"THE ORGANISATION ASKS") == 1,
              f"the genuine reply is shown defused, the forged one not at all: {p.stdout!r}")
        check.exit()
    finally:
        cleanup(root)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
