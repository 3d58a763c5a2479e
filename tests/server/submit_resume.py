#!/usr/bin/env python3
"""`malyava submit` on a bad line, against the real drop-box on 127.0.0.1.

A relay between client and server reads every request that goes through
it. It shows that submit sends no User-Agent and no Upload-Metadata; that
after a connection cut in the middle of a PATCH the upload continues from
the server's offset, never from zero; that with --state a client killed
with SIGKILL continues the same upload in a second run; that without it
the second run starts a new upload; and that an interrupted run removes
its temporary envelope.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

# Sanitized builds: an undefined-behaviour report must fail the run, not scroll by.
os.environ.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srv_lib import MALYAVA, Checks, Org, Server, cleanup, init_data_dir, receipt_of, tmpdir, wait_until  # noqa: E402

check = Checks()
CHUNK = 256 * 1024


class Relay:
    """TCP relay to the server that parses the HTTP/1.1 requests passing
    through. It logs each request's method and headers; it can cut the
    connection (a reset, both ways) after `cut_after` body bytes of the
    PATCHes numbered in `cut_patches`, and hold request bodies to `rate`
    bytes per second."""

    def __init__(self, server_port, cut_patches=(), cut_after=0, rate=None):
        self.server_port = server_port
        self.cut_patches, self.cut_after, self.rate = cut_patches, cut_after, rate
        self.log = []
        self.patches = 0
        self.lock = threading.Lock()
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
    def reset(*socks):
        # shutdown() wakes the pump thread blocked in recv() on the same
        # socket; until it returns, close() alone would not end the connection.
        for s in socks:
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    @staticmethod
    def pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def handle(self, c):
        up = socket.create_connection(("127.0.0.1", self.server_port))
        threading.Thread(target=self.pump, args=(up, c), daemon=True).start()
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = c.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method = lines[0].split(" ")[0]
                headers = {}
                for line in lines[1:]:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
                entry = {"method": method, "headers": headers, "cut": False}
                cut_at = None
                with self.lock:
                    self.log.append(entry)
                    if method == "PATCH":
                        if self.patches in self.cut_patches:
                            cut_at = self.cut_after
                        self.patches += 1
                up.sendall(head + b"\r\n\r\n")
                length, sent = int(headers.get("content-length", "0")), 0
                while sent < length:
                    if not buf:
                        buf = c.recv(65536)
                        if not buf:
                            return
                    piece = buf[:min(length - sent, 16384)]
                    if cut_at is not None and sent + len(piece) >= cut_at:
                        up.sendall(piece[:cut_at - sent])
                        entry["cut"] = True
                        self.reset(c, up)
                        return
                    if self.rate:
                        time.sleep(len(piece) / self.rate)
                    up.sendall(piece)
                    sent += len(piece)
                    buf = buf[len(piece):]
        except OSError:
            pass
        finally:
            self.reset(c, up)

    def requests(self, since=0):
        with self.lock:
            return list(self.log[since:])


def patch_offsets(entries):
    return [int(e["headers"]["upload-offset"]) for e in entries if e["method"] == "PATCH"]


def methods(entries):
    return [e["method"] for e in entries]


def state_receipt(path):
    with open(path) as f:
        m = re.search(r"^receipt (\S+)$", f.read(), re.M)
    return m.group(1) if m else None


def stored_receipts(data):
    out = set()
    for name in os.listdir(os.path.join(data, "envelopes")):
        with open(os.path.join(data, "envelopes", name), "rb") as f:
            out.add(receipt_of(f.read()))
    return out


def main():
    root = tmpdir("submit-resume")
    srv = None
    try:
        org = Org(root)
        manifest = org.sign(["alice"])
        data, _ = init_data_dir(root, org, manifest)
        srv = Server(data).start()
        tmp = os.path.join(root, "tmp")
        os.mkdir(tmp)
        env = dict(os.environ, TMPDIR=tmp)
        big = os.path.join(root, "video.mp4")
        with open(big, "wb") as f:
            f.write(os.urandom(3 * 1024 * 1024))

        def submit_argv(relay, *args):
            return [MALYAVA, "submit", f"http://127.0.0.1:{relay.port}", "--org-key", org.org_pub,
                    "--chunk-size", str(CHUNK), *args]

        # --- connections cut in the middle of a PATCH ----------------------
        # Twice: libcurl itself sends a request again, once, when a reused
        # connection dies; the second cut leaves it to submit's own retry.
        relay = Relay(srv.port, cut_patches=(2, 3), cut_after=100 * 1024)
        p = subprocess.run(submit_argv(relay, "--message", "cut", big), capture_output=True, text=True, env=env,
                           timeout=120)
        m = re.fullmatch(r"receipt: (\S+)\n", p.stdout)
        check(p.returncode == 0 and m, f"submit finishes despite the cut: {p.returncode} {p.stderr}")
        check(m and m.group(1) in stored_receipts(data), "its receipt is the stored envelope's digest")
        log = relay.requests()
        cut = [i for i, e in enumerate(log) if e["cut"]]
        check(len(cut) == 2, "the relay cut two PATCHes")
        offsets = patch_offsets(log)
        print(f"requests: {methods(log)}\nPATCH offsets: {offsets}", file=sys.stderr)
        if cut:
            after = log[cut[-1] + 1:]
            cut_offset = int(log[cut[-1]]["headers"]["upload-offset"])
            check(cut_offset > 0 and "HEAD" in methods(after), "after the cut the client asks for the offset")
            check(patch_offsets(after)[:1] == [cut_offset],
                  f"and resumes at the server's offset {cut_offset}, not from zero: {patch_offsets(after)}")
        check(offsets.count(0) == 1 and methods(log).count("POST") == 1, "one upload, started once")
        check(all("user-agent" not in e["headers"] and "upload-metadata" not in e["headers"] for e in log),
              "no User-Agent and no Upload-Metadata in any request")
        check(all(e["headers"].get("tus-resumable") == "1.0.0" for e in log if e["method"] != "GET"),
              "every tus request carries Tus-Resumable: 1.0.0")
        check(all(re.fullmatch(r"sha256 [A-Za-z0-9+/]{43}=", e["headers"].get("upload-checksum", ""))
                  for e in log if e["method"] == "PATCH"), "every PATCH carries an Upload-Checksum")
        check(os.listdir(tmp) == [], "nothing left in TMPDIR")

        # --- SIGKILL mid-upload with --state; a second run continues --------
        state = os.path.join(root, "lawyer.state")
        slow = Relay(srv.port, rate=1024 * 1024)
        proc = subprocess.Popen(submit_argv(slow, "--state", state, "--message", "killed", big),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        check(wait_until(lambda: len(patch_offsets(slow.requests())) >= 4, timeout=60),
              "the first run sends a few PATCHes")
        proc.kill()
        proc.communicate()
        check(os.path.exists(state) and os.path.exists(state + ".env"), "the state file and its envelope remain")
        receipt = state_receipt(state)
        with open(state) as f:
            state_text = f.read()
        p = subprocess.run(submit_argv(slow, "--state", state, "--message", "different"), capture_output=True,
                           text=True, env=env)
        with open(state) as f:
            check(p.returncode == 2 and f.read() == state_text,
                  f"a resumed run given new contents is a usage error and keeps the state: {p.stderr}")
        mark = len(slow.requests())
        slow.rate = None
        p = subprocess.run(submit_argv(slow, "--state", state), capture_output=True, text=True, env=env,
                           timeout=120)
        check(p.returncode == 0 and p.stdout == f"receipt: {receipt}\n",
              f"the second run finishes with the receipt sealed in the first: {p.stdout!r} {p.stderr}")
        check(receipt in stored_receipts(data), "the stored envelope is the one sealed in the first run")
        second = slow.requests(mark)
        print(f"second run: {methods(second)}\nPATCH offsets: {patch_offsets(second)}", file=sys.stderr)
        check("POST" not in methods(second) and methods(second)[:1] == ["HEAD"],
              "the second run asks for the offset and creates no new upload")
        offsets = patch_offsets(second)
        check(offsets and offsets[0] > 0, f"it continues from a non-zero offset: {offsets}")
        check(not os.path.exists(state) and not os.path.exists(state + ".env"), "the state and envelope are gone")

        # --- SIGKILL without --state: the second run starts a new upload -----
        slow = Relay(srv.port, rate=1024 * 1024)
        argv = submit_argv(slow, "--message", "no state", big)
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        check(wait_until(lambda: len(patch_offsets(slow.requests())) >= 2, timeout=60), "the run has started")
        proc.kill()
        proc.communicate()
        leftover = os.listdir(tmp)
        check(len(leftover) == 1 and os.stat(os.path.join(tmp, leftover[0])).st_mode & 0o777 == 0o700,
              f"SIGKILL leaves only the private temporary directory (ciphertext): {leftover}")
        for d in leftover:
            for n in os.listdir(os.path.join(tmp, d)):
                os.unlink(os.path.join(tmp, d, n))
            os.rmdir(os.path.join(tmp, d))
        slow.rate = None
        p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
        check(p.returncode == 0, f"a second run succeeds: {p.stderr}")
        check(methods(slow.requests()).count("POST") == 2, "with a new upload")

        # --- SIGTERM removes the temporary envelope ------------------------
        slow = Relay(srv.port, rate=512 * 1024)
        proc = subprocess.Popen(submit_argv(slow, "--message", "terminated", big), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env)
        check(wait_until(lambda: len(patch_offsets(slow.requests())) >= 2, timeout=60), "the run has started")
        proc.send_signal(signal.SIGTERM)
        proc.communicate()
        check(proc.returncode == -signal.SIGTERM and os.listdir(tmp) == [],
              f"SIGTERM ends the run and leaves nothing in TMPDIR: {proc.returncode} {os.listdir(tmp)}")

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
