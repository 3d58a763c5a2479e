#!/usr/bin/env python3
"""`malyava submit` end to end, against the real drop-box on 127.0.0.1.

Each check states a promise of docs/man/malyava.1 (SUBMIT): what an
editor opens is byte for byte what was submitted; the receipt printed by
submit is the one the server stored and the one `open` prints; nothing is
left in the temporary directory; an envelope is only kept on request;
the manifest is checked against the pinned key before anything is sent;
a SOCKS proxy resolves the drop-box's name (socks5h only) and proxies in
the environment are ignored; usage errors exit 2 and send nothing.
"""
import glob
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading

# Sanitized builds: an undefined-behaviour report must fail the run, not scroll by.
os.environ.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srv_lib import MALYAVA, Checks, Org, Server, cleanup, init_data_dir, receipt_of, run, snapshot, tmpdir  # noqa: E402

check = Checks()


def submit(url, org_pub, *args, env=None, timeout=120):
    return subprocess.run([MALYAVA, "submit", url, "--org-key", org_pub, *[str(a) for a in args]],
                          capture_output=True, text=True, env=env, timeout=timeout)


def printed_receipt(stdout):
    m = re.fullmatch(r"receipt: ([0-9a-f]{4}(?:-[0-9a-f]{4}){7})\n", stdout)
    return m.group(1) if m else None


def listing(root):
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, root)] = f.read()
    return out


class Socks5:
    """A SOCKS5 proxy (no authentication, CONNECT only) that maps one host
    name to 127.0.0.1 and records how each destination arrived: as a name
    (the proxy resolves it, as Tor does) or as an address."""

    def __init__(self, names):
        self.names = names
        self.seen = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(c,), daemon=True).start()

    @staticmethod
    def recv(c, n):
        data = b""
        while len(data) < n:
            piece = c.recv(n - len(data))
            if not piece:
                raise ConnectionError
            data += piece
        return data

    def handle(self, c):
        try:
            _, nmethods = self.recv(c, 2)
            self.recv(c, nmethods)
            c.sendall(b"\x05\x00")
            _, cmd, _, atyp = self.recv(c, 4)
            if atyp == 3:
                host = self.recv(c, self.recv(c, 1)[0]).decode()
                self.seen.append(("name", host))
            else:
                self.recv(c, 4 if atyp == 1 else 16)
                self.seen.append(("address", None))
                host = None
            port = struct.unpack("!H", self.recv(c, 2))[0]
            if cmd != 1 or host not in self.names:
                c.sendall(b"\x05\x04\x00\x01" + bytes(6))
                return
            up = socket.create_connection(("127.0.0.1", port))
            c.sendall(b"\x05\x00\x00\x01" + bytes(6))
            threading.Thread(target=self.pump, args=(up, c), daemon=True).start()
            self.pump(c, up)
        except (OSError, ConnectionError, ValueError):
            pass
        finally:
            c.close()

    @staticmethod
    def pump(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def main():
    root = tmpdir("submit-e2e")
    srv = None
    try:
        org = Org(root)
        manifest = org.sign(["alice"])
        data, _ = init_data_dir(root, org, manifest)
        srv = Server(data).start()
        url = f"http://127.0.0.1:{srv.port}"
        alice_key = os.path.join(org.dir, "editors", "alice.key")
        tmp = os.path.join(root, "tmp")
        os.mkdir(tmp)
        # Proxies in the environment must be ignored: only --proxy counts.
        env = dict(os.environ, TMPDIR=tmp, http_proxy="http://127.0.0.1:9", ALL_PROXY="socks5://127.0.0.1:9")

        src = os.path.join(root, "src")
        os.mkdir(src)
        files = {"photo.jpg": os.urandom(300 * 1024 + 7), "протокол.txt": "Камера 4, 2026-11-01\n".encode()}
        for name, body in files.items():
            with open(os.path.join(src, name), "wb") as f:
                f.write(body)
        message = "Меня избили в ИК-2.\nСвидетели: двое."

        # --- submit, then open what the server stored --------------------
        p = submit(url, org.org_pub, "--message", message, "--field", "place=IK-2", "--chunk-size", "64K",
                   *[os.path.join(src, n) for n in files], env=env)
        receipt = printed_receipt(p.stdout)
        check(p.returncode == 0 and receipt is not None, f"submit succeeds and prints one receipt line: "
                                                         f"{p.returncode} {p.stdout!r} {p.stderr}")
        stored = glob.glob(os.path.join(data, "envelopes", "*.env"))
        check(len(stored) == 1, f"the server stored one envelope: {stored}")
        if stored:
            envelope = stored[0]
            with open(envelope, "rb") as f:
                raw = f.read()
            check(receipt_of(raw) == receipt, "the printed receipt is the digest of the stored envelope")
            upload_id = os.path.basename(envelope)[:-4]
            st, h, _, _ = srv.head(f"/api/v1/uploads/{upload_id}")
            check(st == 200 and h.get("malyava-receipt") == receipt, f"HEAD gives the same receipt: {st} {h}")
            check(message.encode() not in raw and b"photo.jpg" not in raw, "no plaintext reached the server")
            out = os.path.join(root, "opened")
            p = run(MALYAVA, "open", "--key", alice_key, "--passphrase-file", org.passfile, envelope, "-o", out)
            check(re.search(r"^receipt: (\S+)$", p.stdout, re.M).group(1) == receipt, "open prints the same receipt")
            with open(os.path.join(out, "message.txt"), encoding="utf-8") as f:
                check(f.read() == message, "the message arrives intact")
            with open(os.path.join(out, "metadata.json")) as f:
                check(json.load(f)["fields"] == {"place": "IK-2"}, "the field arrives intact")
            check(listing(os.path.join(out, "files")) == files, "every file arrives byte for byte")
        check(os.listdir(tmp) == [], f"nothing is left in TMPDIR: {os.listdir(tmp)}")

        # --- --keep-envelope -----------------------------------------------
        kept = os.path.join(root, "kept.env")
        p = submit(url, org.org_pub, "--message", "kept", "--keep-envelope", kept, env=env)
        receipt = printed_receipt(p.stdout)
        check(p.returncode == 0 and receipt is not None, f"submit with --keep-envelope: {p.stderr}")
        check(os.path.exists(kept) and os.stat(kept).st_mode & 0o777 == 0o600, "the kept envelope is there, 0600")
        if os.path.exists(kept):
            with open(kept, "rb") as f:
                check(receipt_of(f.read()) == receipt, "the kept envelope is the one delivered")
        p = submit(url, org.org_pub, "--message", "again", "--keep-envelope", kept, env=env)
        check(p.returncode == 1 and printed_receipt(p.stdout) is None, "an existing --keep-envelope is never overwritten")

        # --- through a SOCKS proxy: the name is resolved by the proxy -------
        socks = Socks5({"dropbox.invalid", "x" * 56 + ".onion"})
        before = len(glob.glob(os.path.join(data, "envelopes", "*.env")))
        for host in ("dropbox.invalid", "x" * 56 + ".onion"):
            p = submit(f"http://{host}:{srv.port}/", org.org_pub, "--proxy", f"socks5h://127.0.0.1:{socks.port}",
                       "--message", "via proxy", env=env)
            check(p.returncode == 0 and printed_receipt(p.stdout), f"submit through socks5h to {host}: {p.stderr}")
        check({h for _, h in socks.seen} == {"dropbox.invalid", "x" * 56 + ".onion"}
              and all(kind == "name" for kind, _ in socks.seen), f"the proxy got names, never addresses: {socks.seen}")
        check(len(glob.glob(os.path.join(data, "envelopes", "*.env"))) == before + 2, "both arrived")

        # --- the manifest is checked against the pinned key -----------------
        os.mkdir(os.path.join(root, "other"))
        other = Org(os.path.join(root, "other"))
        rows = snapshot(data)
        p = submit(url, other.org_pub, "--message", "to the wrong organisation", env=env)
        check(p.returncode == 1 and "manifest" in p.stderr and printed_receipt(p.stdout) is None,
              f"a manifest not signed by the pinned key is refused: {p.stderr}")
        check(snapshot(data) == rows, "and nothing was sent")

        # --- failures exit 1, with a message --------------------------------
        dead = socket.create_server(("127.0.0.1", 0))
        dead_port = dead.getsockname()[1]
        dead.close()
        p = submit(f"http://127.0.0.1:{dead_port}", org.org_pub, "--retries", "1", "--message", "m", env=env)
        check(p.returncode == 1 and "retrying" in p.stderr and "gave up" in p.stderr,
              f"an unreachable drop-box: one retry, then exit 1: {p.stderr}")
        check(os.listdir(tmp) == [], "nothing left in TMPDIR after a failure")

        # --- usage errors exit 2 and send nothing ---------------------------
        rows = snapshot(data)
        msg = ["--message", "m"]
        usage = {
            "no arguments": [MALYAVA, "submit"],
            "no --org-key": [MALYAVA, "submit", url, *msg],
            "unknown option": [MALYAVA, "submit", url, "--org-key", org.org_pub, "--frobnicate", *msg],
        }
        for what, argv in usage.items():
            p = subprocess.run(argv, capture_output=True, text=True, env=env)
            check(p.returncode == 2, f"{what}: exit 2 ({p.returncode})")
        refused = {
            "http proxy": (url, ["--proxy", "http://127.0.0.1:8118", *msg], "socks5h"),
            "socks5 proxy (local DNS)": (url, ["--proxy", "socks5://127.0.0.1:9050", *msg], "socks5h"),
            "socks4a proxy": (url, ["--proxy", "socks4a://127.0.0.1:9050", *msg], "socks5h"),
            "empty socks5h proxy": (url, ["--proxy", "socks5h://", *msg], "socks5h"),
            "onion without proxy": ("http://" + "x" * 56 + ".onion/", msg, "--proxy"),
            "ftp URL": ("ftp://127.0.0.1/", msg, "http"),
            "user in URL": (f"http://me@127.0.0.1:{srv.port}", msg, "user"),
            "query in URL": (f"{url}/?a=b", msg, "?"),
            "not a URL": ("127.0.0.1", msg, "URL"),
            "tiny chunk": (url, ["--chunk-size", "1K", *msg], "--chunk-size"),
            "huge chunk": (url, ["--chunk-size", "65537K", *msg], "--chunk-size"),
            "chunk not a number": (url, ["--chunk-size", "4MB", *msg], "--chunk-size"),
            "negative retries": (url, ["--retries", "-1", *msg], "--retries"),
            "message twice": (url, ["--message", "a", "--message-file", "/etc/hostname"], "not both"),
            "nothing to submit": (url, [], "nothing to submit"),
            "bad field name": (url, ["--field", "Bad Name=x", *msg], "field"),
        }
        for what, (u, args, word) in refused.items():
            p = submit(u, org.org_pub, *args, env=env)
            check(p.returncode == 2 and word in p.stderr, f"{what}: exit 2 naming the problem: {p.returncode} {p.stderr}")
        check(snapshot(data) == rows, "usage errors send nothing")
        p = subprocess.run([MALYAVA, "submit", "--help"], capture_output=True, text=True)
        check(p.returncode == 0 and "usage: malyava submit" in p.stdout, "--help exits 0 with the usage")
        check(os.listdir(tmp) == [], "nothing left in TMPDIR")

        srv.stop()
        check.exit()
    finally:
        if srv is not None and srv.proc.poll() is None:
            srv.proc.kill()
        cleanup(root)


if __name__ == "__main__":
    # A timeout (SIGTERM from meson) still runs the cleanup.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
