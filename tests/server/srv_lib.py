"""Shared pieces of the server tests: a real organisation made with
malyava-keys, real envelopes from `malyava seal`, the real server on
127.0.0.1 with a free port, and a view of the data directory precise
enough to show that a refused request changed nothing.
"""
import hashlib
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler

DROPBOX = os.environ["MALYAVA_DROPBOX"]
MALYAVA = os.environ["MALYAVA"]
KEYS = os.environ["MALYAVA_KEYS"]
PASS = "correct horse battery staple\n"
TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "cross-origin-resource-policy": "same-origin",
}


class Checks:
    def __init__(self):
        self.failed = 0
        self.passed = 0

    def __call__(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {what}", file=sys.stderr, flush=True)
        return cond

    def exit(self):
        print(f"{self.passed} checks passed, {self.failed} failed", file=sys.stderr)
        sys.exit(1 if self.failed else 0)


def run(*args, ok=True, **kw):
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kw)
    if ok is not None and (p.returncode == 0) != ok:
        raise RuntimeError(f"exit {p.returncode} from {args}\n{p.stdout}\n{p.stderr}")
    return p


def tmpdir(tag):
    d = tempfile.mkdtemp(prefix=f"malyava-{tag}-")
    return d


class Org:
    """An organisation key, editors and signed manifests, kept as
    manifest-N / manifest-N.minisig copies so several serials coexist."""

    def __init__(self, root, editors=("alice",)):
        self.dir = os.path.join(root, "org")
        self.passfile = os.path.join(root, "pass")
        self.serial = 0
        self.editors = set()
        os.makedirs(root, exist_ok=True)
        with open(self.passfile, "w") as f:
            f.write(PASS)
        run(KEYS, "--dir", self.dir, "init", "--kdf", "interactive", "--passphrase-file", self.passfile)
        for name in editors:
            self.add_editor(name)
        self.org_pub = os.path.join(self.dir, "org.pub")

    def add_editor(self, name):
        run(KEYS, "--dir", self.dir, "editor", "new", name, "--kdf", "interactive",
            "--passphrase-file", self.passfile)

    def sign(self, editors):
        """Signs a manifest of exactly `editors` (manifest sign adds to and
        retires from the previous one); returns its path."""
        args = [KEYS, "--dir", self.dir, "manifest", "sign"]
        for name in sorted(set(editors) - self.editors):
            args += ["--add", os.path.join(self.dir, "editors", f"{name}.pub")]
        for name in sorted(self.editors - set(editors)):
            args += ["--retire", os.path.join(self.dir, "editors", f"{name}.pub")]
        run(*args, "--passphrase-file", self.passfile)
        self.editors = set(editors)
        self.serial += 1
        out = os.path.join(self.dir, f"manifest-{self.serial}")
        shutil.copyfile(os.path.join(self.dir, "manifest"), out)
        shutil.copyfile(os.path.join(self.dir, "manifest.minisig"), out + ".minisig")
        return out

    def seal(self, manifest, out, message, files=()):
        """Seals with the real client; returns (envelope bytes, receipt)."""
        p = run(MALYAVA, "seal", "--manifest", manifest, "--org-key", self.org_pub, "--message", message,
                *files, "-o", out)
        m = re.search(r"^receipt: (\S+)$", p.stdout, re.M)
        with open(out, "rb") as f:
            return f.read(), m.group(1) if m else None


def pow_zero_bits(digest):
    bits = 0
    for b in digest:
        if b:
            return bits + 8 - b.bit_length()
        bits += 8
    return bits


def pow_solve(challenge_hex, bits, start=0):
    """The Malyava-Pow header value for a challenge, computed independently:
    the first nonce whose BLAKE2b-256(challenge ‖ nonce LE) has `bits`
    leading zero bits."""
    challenge = bytes.fromhex(challenge_hex)
    nonce = start
    while pow_zero_bits(hashlib.blake2b(challenge + nonce.to_bytes(8, "little"), digest_size=32).digest()) < bits:
        nonce += 1
    return f"{challenge_hex}:{nonce.to_bytes(8, 'little').hex()}"


# Tests ask for little work (256 hashes on average) unless they set their own.
TEST_POW_BITS = "8"


class Server:
    """The real server on 127.0.0.1: `port` serves the sources' routes,
    `editors_port` the editors' (export, ack, replies import), both on free
    ports unless the flags say otherwise."""

    def __init__(self, data_dir, *flags):
        self.data_dir = data_dir
        self.flags = [str(f) for f in flags]
        self.prefix = []  # a command to run the server under, e.g. setpriv
        if "--pow-bits" not in self.flags:
            self.flags += ["--pow-bits", TEST_POW_BITS]
        self.proc = None
        self.port = None
        self.editors_port = None
        self.log = os.path.join(os.path.dirname(data_dir), "server.log")

    def start(self):
        if "--editors-listen" not in self.flags:
            self.flags += ["--editors-listen", "127.0.0.1:0"]
        errf = open(self.log, "a")
        self.proc = subprocess.Popen([*self.prefix, DROPBOX, "serve", self.data_dir, "--listen", "127.0.0.1:0",
                                      *self.flags],
                                     stdout=subprocess.PIPE, stderr=errf, text=True)
        errf.close()
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        line = self.proc.stdout.readline() if ready else ""
        m = re.fullmatch(r"malyava-dropbox: listening on http://127\.0\.0\.1:(\d+)/\n", line)
        if not m:
            self.proc.kill()
            raise RuntimeError(f"server did not start: {line!r}\n{open(self.log).read()}")
        self.port = int(m.group(1))
        if self.flags[self.flags.index("--editors-listen") + 1] != "off":
            line = self.proc.stdout.readline()
            m = re.fullmatch(r"malyava-dropbox: editors' routes on http://127\.0\.0\.1:(\d+)/\n", line)
            if not m:
                self.proc.kill()
                raise RuntimeError(f"no editors' listener: {line!r}\n{open(self.log).read()}")
            self.editors_port = int(m.group(1))
        return self

    def stop(self, sig=signal.SIGTERM, timeout=30):
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout)
        self.proc.stdout.close()
        log = open(self.log).read()
        if "Sanitizer" in log or "runtime error:" in log:
            raise RuntimeError(f"the server's sanitizers reported:\n{log}")
        return rc

    def request(self, method, path, headers=None, body=None, timeout=30, port=None):
        """Returns (status, {lower-case name: value}, body bytes, raw header list)."""
        c = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            raw = r.getheaders()
            return r.status, {k.lower(): v for k, v in raw}, data, raw
        finally:
            c.close()

    def editors(self, method, path, headers=None, body=None, timeout=30):
        """A request to the editors' listener."""
        return self.request(method, path, headers, body, timeout, port=self.editors_port)

    def pow(self, length=None):
        """{"Malyava-Pow": value} solving a fresh challenge from the server,
        for an upload of `length` bytes (the work grows with it)."""
        st, _, body, _ = self.request("GET", "/api/v1/pow" + ("" if length is None else f"?length={length}"))
        if st != 200:
            raise RuntimeError(f"GET /api/v1/pow answered {st}: {body!r}")
        ch = json.loads(body)
        return {"Malyava-Pow": pow_solve(ch["challenge"], ch["bits"])}

    def create(self, length, extra=None):
        st, h, body, _ = self.request("POST", "/api/v1/uploads", {**TUS, "Upload-Length": str(length),
                                                                  **self.pow(length), **(extra or {})})
        if st != 201:
            raise RuntimeError(f"POST answered {st}: {body!r}")
        return h["location"]

    def patch(self, location, offset, data, extra=None):
        return self.request("PATCH", location, {**TUS, "Content-Type": OCTETS, "Upload-Offset": str(offset),
                                                **(extra or {})}, data)

    def head(self, location):
        return self.request("HEAD", location, dict(TUS))

    def upload(self, data, pieces=1):
        """Creates and sends `data` in `pieces` PATCHes; returns (location, receipt)."""
        loc = self.create(len(data))
        step = max(1, -(-len(data) // pieces))
        receipt = None
        for off in range(0, len(data), step):
            st, h, body, _ = self.patch(loc, off, data[off:off + step])
            if st != 204:
                raise RuntimeError(f"PATCH at {off} answered {st}: {body!r}")
            receipt = h.get("malyava-receipt")
        return loc, receipt


class Dropbox:
    """A throwaway organisation (one editor, alice, and a signed manifest),
    a data directory and a running server: `with Dropbox(tag, *flags) as
    box:`. Leaving stops whichever server box.srv then is (so its
    sanitizers are heard) and removes everything."""

    def __init__(self, tag, *flags):
        self.root = tmpdir(tag)
        self.flags = flags
        self.srv = None

    def __enter__(self):
        try:
            self.org = Org(self.root)
            self.manifest = self.org.sign(["alice"])
            self.data, _ = init_data_dir(self.root, self.org, self.manifest)
            self.srv = Server(self.data, *self.flags).start()
        except BaseException:
            cleanup(self.root)
            raise
        return self

    def restart(self, *flags):
        """Stops the server and starts a new one on the same data."""
        self.srv.stop()
        self.srv = Server(self.data, *flags).start()
        return self.srv

    def __exit__(self, *exc):
        try:
            if self.srv is not None and self.srv.proc is not None and self.srv.proc.poll() is None:
                self.srv.stop()
        finally:
            cleanup(self.root)
        return False


def upload_tracked(srv, env, chunk, progress):
    """Creates an upload of `env` and sends it in `chunk`-byte PATCHes,
    calling progress(location, bytes acknowledged, answer headers) once
    created and after every acknowledged PATCH. Stops quietly at the first
    refusal or broken connection: the crash tests kill the server under it."""
    try:
        loc = srv.create(len(env))
        progress(loc, 0, {})
        for off in range(0, len(env), chunk):
            st, h, _, _ = srv.patch(loc, off, env[off:off + chunk])
            if st != 204:
                return
            progress(loc, min(len(env), off + chunk), h)
    except (OSError, http.client.HTTPException, RuntimeError):
        pass


def receipt_of(data):
    """The receipt computed independently: BLAKE2b-128 in groups of four."""
    h = hashlib.blake2b(data, digest_size=16).hexdigest()
    return "-".join(h[i:i + 4] for i in range(0, 32, 4))


def stalled_patch(port, location, offset, content_length, first_bytes):
    """A PATCH that promises `content_length` bytes, sends `first_bytes`
    and then stalls: a source whose link just dropped."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall((f"PATCH {location} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n"
               f"Content-Type: {OCTETS}\r\nUpload-Offset: {offset}\r\n"
               f"Content-Length: {content_length}\r\n\r\n").encode() + first_bytes)
    return s


def raw_request(port, request):
    """Sends `request` bytes exactly as given (http.client would refuse or
    rewrite some); returns (status, whole answer), read until the server
    closes or the body its Content-Length announces is in."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        s.sendall(request)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data:
                top, rest = data.split(b"\r\n\r\n", 1)
                m = re.search(rb"(?i)\r\ncontent-length: (\d+)", top)
                if m and len(rest) >= int(m.group(1)):
                    break
        return int(data.split(b" ", 2)[1]), data
    finally:
        s.close()


class FakeHandler(BaseHTTPRequestHandler):
    """What a fake drop-box in a test answers with: HTTP/1.1, silent, a
    tus header on every answer and no body on a HEAD."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, headers=None, body=b""):
        self.send_response_only(status)
        for k, v in {"Tus-Resumable": "1.0.0", "Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def init_data_dir(root, org, manifest, *settings):
    data = os.path.join(root, "data")
    p = run(DROPBOX, "init", data, "--org-key", org.org_pub, "--manifest", manifest, *settings)
    return data, p.stdout


def snapshot(data_dir):
    """Every file but the database by content hash, plus the database's
    rows: what a request may or may not have changed."""
    files = {}
    for d, _, names in os.walk(data_dir):
        for n in names:
            p = os.path.join(d, n)
            rel = os.path.relpath(p, data_dir)
            if rel.startswith("malyava.db"):
                continue
            with open(p, "rb") as f:
                files[rel] = hashlib.sha256(f.read()).hexdigest()
    db = sqlite3.connect(f"file:{data_dir}/malyava.db?mode=ro", uri=True)
    try:
        rows = {t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
                for t in ("uploads", "submissions", "manifests")}
    finally:
        db.close()
    return files, rows


def db_execute(data_dir, sql, *args):
    db = sqlite3.connect(f"{data_dir}/malyava.db", timeout=10)
    try:
        db.execute(sql, args)
        db.commit()
    finally:
        db.close()


def db_query(data_dir, sql, *args):
    """All rows of a read-only query on a data directory's database."""
    db = sqlite3.connect(f"file:{data_dir}/malyava.db?mode=ro", uri=True)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def security_headers_ok(headers, raw):
    names = [k.lower() for k, _ in raw]
    return (all(headers.get(k) == v for k, v in SECURITY_HEADERS.items())
            and "server" not in names and "set-cookie" not in names
            and not any(n.startswith("access-control-") for n in names))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cleanup(root):
    shutil.rmtree(root, ignore_errors=True)


def wait_until(pred, timeout=10.0, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()
