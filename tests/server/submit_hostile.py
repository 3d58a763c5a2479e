#!/usr/bin/env python3
"""`malyava submit` against a drop-box that misbehaves, on purpose.

A small tus server in this file serves the real organisation's signed
manifest and then lies or fails in one way per case. Each check states a
promise of docs/man/malyava.1 (SUBMIT): a receipt that differs from the
local one fails loudly; the upload is never steered to another host; an
oversized manifest is refused; 5xx answers, damaged chunks (460) and a
lost final answer are retried and end well; the server's refusal reaches
the user with its control characters defused.
"""
import base64
import hashlib
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
from http.server import ThreadingHTTPServer

# Sanitized builds: an undefined-behaviour report must fail the run, not scroll by.
os.environ.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srv_lib import MALYAVA, Checks, FakeHandler, Org, cleanup, pow_zero_bits, receipt_of, tmpdir  # noqa: E402

# The client must solve each challenge as the real server asks.
POW_BITS = 6

check = Checks()


def pow_ok(challenge, header):
    """The work the client sent solves the challenge last handed out."""
    ch, _, nonce = header.partition(":")
    if challenge is None or ch != challenge or len(nonce) != 16:
        return False
    digest = hashlib.blake2b(bytes.fromhex(ch) + bytes.fromhex(nonce), digest_size=32).digest()
    return pow_zero_bits(digest) >= POW_BITS


class FakeDropbox(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, manifest, sig, mode):
        super().__init__(("127.0.0.1", 0), Handler)
        self.manifest, self.sig, self.mode = manifest, sig, mode
        self.uploads = {}
        self.log = []
        self.faults = {"503": 1, "460": 1, "head500": 1, "drop": 1}
        self.lock = threading.Lock()
        self.challenge = None
        self.pow_failures = 0
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def fault(self, name):
        """True the first time a fault of this mode is due."""
        with self.lock:
            if self.faults.get(name, 0) > 0:
                self.faults[name] -= 1
                return True
            return False


class Handler(FakeHandler):
    def do_GET(self):
        s = self.server
        s.log.append(("GET", self.path))
        if self.path == "/manifest":
            self.answer(200, body=s.manifest if s.mode != "big_manifest" else s.manifest + b"#" * 70000)
        elif self.path == "/manifest.minisig":
            self.answer(200, body=s.sig)
        elif self.path.split("?")[0] == "/api/v1/pow":
            s.challenge = secrets.token_hex(32)
            self.answer(200, {"Content-Type": "application/json"},
                        b'{"challenge":"%s","bits":%d}' % (s.challenge.encode(), POW_BITS))
        else:
            self.answer(404, body=b"no such page\n")

    def do_POST(self):
        s = self.server
        s.log.append(("POST", self.path))
        if not pow_ok(s.challenge, self.headers.get("Malyava-Pow", "")):
            s.pow_failures += 1
            self.answer(403, body=b"proof of work missing or wrong\n")
            return
        uid = secrets.token_hex(16)
        s.uploads[uid] = {"length": int(self.headers["Upload-Length"]), "data": b""}
        where = {"foreign": "http://evil.invalid/api/v1/uploads/", "relative_host": "//evil.invalid/api/v1/uploads/"}
        self.answer(201, {"Location": where.get(s.mode, "/api/v1/uploads/") + uid})

    def upload(self):
        return self.server.uploads.get(self.path.rsplit("/", 1)[-1])

    def receipt_headers(self, u):
        if len(u["data"]) != u["length"]:
            return {}
        r = receipt_of(u["data"])
        if self.server.mode == "wrong_receipt":
            r = receipt_of(u["data"] + b"x")
        return {"Malyava-Receipt": r}

    def do_HEAD(self):
        s = self.server
        s.log.append(("HEAD", self.path))
        u = self.upload()
        if u is None:
            return self.answer(404)
        if s.mode == "flaky" and s.fault("head500"):
            return self.answer(500)
        self.answer(200, {"Upload-Offset": str(len(u["data"])), "Upload-Length": str(u["length"]),
                          **self.receipt_headers(u)})

    def do_PATCH(self):
        s = self.server
        u = self.upload()
        offset = int(self.headers["Upload-Offset"])
        body = self.rfile.read(int(self.headers["Content-Length"]))
        s.log.append(("PATCH", offset))
        if u is None:
            return self.answer(404)
        if s.mode == "refuse":
            return self.answer(422, {"Content-Type": "text/plain; charset=utf-8"},
                               b"envelope refused \x1b]0;pwned\x07\x1b[2J: seal again\n")
        if s.mode == "flaky" and s.fault("503"):
            return self.answer(503, {"Retry-After": "1"}, b"busy; try again later\n")
        algo, digest = self.headers["Upload-Checksum"].split(" ")
        if algo != "sha256" or base64.b64decode(digest) != hashlib.sha256(body).digest():
            return self.answer(460, body=b"checksum mismatch\n")
        if s.mode == "flaky" and s.fault("460"):
            return self.answer(460, body=b"checksum mismatch (simulated)\n")
        if offset != len(u["data"]):
            return self.answer(409, body=b"wrong offset\n")
        u["data"] += body
        if s.mode == "flaky" and len(u["data"]) == u["length"] and s.fault("drop"):
            self.close_connection = True  # stored, but the answer is lost
            return
        self.answer(204, {"Upload-Offset": str(len(u["data"])), **self.receipt_headers(u)})


def main():
    root = tmpdir("submit-hostile")
    try:
        org = Org(root)
        manifest = org.sign(["alice"])
        with open(manifest, "rb") as f:
            text = f.read()
        with open(manifest + ".minisig", "rb") as f:
            sig = f.read()
        attachment = os.path.join(root, "scan.pdf")
        with open(attachment, "wb") as f:
            f.write(os.urandom(200 * 1024))
        tmp = os.path.join(root, "tmp")
        os.mkdir(tmp)
        env = dict(os.environ, TMPDIR=tmp)

        def submit(mode):
            srv = FakeDropbox(text, sig, mode)
            p = subprocess.run([MALYAVA, "submit", f"http://127.0.0.1:{srv.server_address[1]}", "--org-key",
                                org.org_pub, "--chunk-size", "64K", "--retries", "5", "--message", mode, attachment],
                               capture_output=True, text=True, env=env, timeout=120)
            srv.shutdown()
            srv.server_close()
            return p, srv

        p, srv = submit("wrong_receipt")
        check(p.returncode == 1 and p.stdout == "" and "RECEIPTS DIFFER" in p.stderr,
              f"a receipt that differs fails loudly and prints none: {p.stdout!r} {p.stderr}")

        for mode in ("foreign", "relative_host"):
            p, srv = submit(mode)
            check(p.returncode == 1 and not any(m == "PATCH" for m, _ in srv.log),
                  f"{mode}: an upload location on another host is refused before any byte is sent: {p.stderr}")

        p, srv = submit("big_manifest")
        check(p.returncode == 1 and "larger than" in p.stderr and not any(m == "POST" for m, _ in srv.log),
              f"an oversized manifest is refused: {p.stderr}")

        p, srv = submit("refuse")
        check(p.returncode == 1 and "envelope refused" in p.stderr and "\x1b" not in p.stderr and
              "\x07" not in p.stderr, f"a refusal is shown with its control characters defused: {p.stderr!r}")

        p, srv = submit("flaky")
        m = re.fullmatch(r"receipt: (\S+)\n", p.stdout)
        uploads = list(srv.uploads.values())
        check(p.returncode == 0 and m and len(uploads) == 1 and m.group(1) == receipt_of(uploads[0]["data"]),
              f"503, 460, a failed HEAD and a lost final answer are all ridden out: {p.stdout!r} {p.stderr}")
        check(p.stderr.count("retrying in") >= 3, f"each retry is reported: {p.stderr}")
        check(srv.log[-1][0] == "HEAD", "the lost final answer is recovered with a HEAD")
        check(srv.pow_failures == 0 and uploads and ("GET", f"/api/v1/pow?length={uploads[0]['length']}") in srv.log,
              "the client fetched a challenge for its upload's length and solved it before creating the upload")
        check(os.listdir(tmp) == [], "nothing left in TMPDIR")
        check.exit()
    finally:
        cleanup(root)


if __name__ == "__main__":
    # A timeout (SIGTERM from meson) still runs the cleanup.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
