#!/usr/bin/env python3
"""The plain form's bounded share (POST /nojs, docs/PROTOCOL.md).

It asks no proof of work, so it is bounded instead: four connections
trickling a byte now and then do not hold its slots (a form that falls
below nojs_min_rate after nojs_grace_seconds loses its slot to the next
form, and is cut off when its next bytes come), while a slow form that
keeps up keeps its slot; its envelopes take at most nojs_max_disk_bytes,
beyond which it answers 503 while the JavaScript path still takes
uploads; a form posted from another site's page is refused, one with no
Origin or Sec-Fetch-Site (curl) or from this origin is taken. The
settings and their defaults are in the config file init writes.
"""
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srv_lib import DROPBOX, Checks, Dropbox, run, snapshot  # noqa: E402
from srv_nojs import multipart, page_ok, shown_receipt  # noqa: E402

check = Checks()
GRACE = 2


def post(srv, parts, extra=None, timeout=30):
    headers, body = multipart(parts)
    st, h, answer, raw = srv.request("POST", "/nojs", {**headers, **(extra or {})}, body, timeout=timeout)
    return st, answer, page_ok(h, raw)


def form(n):
    return [("message", b"testimony", None, None), ("file", os.urandom(n), "photo.jpg", "image/jpeg")]


class Sender:
    """A plain form over a raw socket: the headers now, the body as the
    test decides."""

    def __init__(self, port, length):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.s.sendall((f"POST /nojs HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                        f"Content-Type: multipart/form-data; boundary=XYZ\r\n"
                        f"Content-Length: {length}\r\n\r\n").encode())
        self.sent = 0

    def send(self, data):
        try:
            self.s.sendall(data)
            self.sent += len(data)
            return True
        except OSError:
            return False

    def cut_off(self, wait=3.0):
        """True once the server has closed the connection."""
        self.s.settimeout(wait)
        try:
            return self.s.recv(65536) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.s.close()


def cross_site(box):
    srv, data = box.srv, box.data
    host = f"127.0.0.1:{srv.port}"
    refused = [
        ("Sec-Fetch-Site cross-site", {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}),
        ("Sec-Fetch-Site same-site", {"Sec-Fetch-Site": "same-site"}),
        ("another Origin", {"Origin": "https://evil.example"}),
        ("an Origin on another port", {"Origin": "http://127.0.0.1:1"}),
        ("Origin null without Sec-Fetch-Site", {"Origin": "null"}),
    ]
    for what, extra in refused:
        before = snapshot(data)
        st, answer, ok = post(srv, form(1000), extra)
        check(st == 403 and ok and b"another website" in answer, f"{what}: refused with 403 ({st})")
        check(snapshot(data) == before, f"{what}: nothing stored")
    taken = [
        ("this page in a current browser", {"Sec-Fetch-Site": "same-origin", "Origin": "null"}),
        ("typed by the user", {"Sec-Fetch-Site": "none"}),
        ("an Origin that is this Host", {"Origin": f"http://{host}"}),
        ("neither header (curl)", {}),
    ]
    for what, extra in taken:
        st, answer, _ = post(srv, form(1000), extra)
        check(st == 200 and shown_receipt(answer) is not None, f"{what}: taken ({st})")


def trickle(box):
    srv = box.restart("--nojs-grace-seconds", str(GRACE), "--nojs-min-rate", "512")
    body_len = 200_000
    # A slow source that keeps up (2 KiB/s, four times the floor) and three
    # clients trickling a byte a second: every slot is held.
    _, slow_body = multipart(form(40_000), boundary="XYZ")
    slow = Sender(srv.port, len(slow_body))
    tricklers = [Sender(srv.port, body_len) for _ in range(3)]
    for t in tricklers:
        t.send(b"--XYZ\r\n")
    time.sleep(0.5)  # the server has read every request's headers
    st, answer, _ = post(srv, form(1000))
    check(st == 503, f"with every slot held and in its grace, the next form waits (503: {st})")
    start = time.time()
    while time.time() < start + GRACE + 2:
        slow.send(slow_body[slow.sent:slow.sent + 400])
        for t in tricklers:
            t.send(b"x")
        time.sleep(0.2)
    # The grace is over: a new form takes the place of a trickler.
    for i in range(3):
        st, answer, _ = post(srv, form(1000))
        check(st == 200 and shown_receipt(answer) is not None,
              f"honest form {i + 1} gets through past the tricklers ({st})")
        slow.send(slow_body[slow.sent:slow.sent + 800])
    cut = 0
    for t in tricklers:
        t.send(b"x")
        cut += t.cut_off()
        t.close()
    check(cut == 3, f"every trickler is cut off at its next byte ({cut} of 3)")
    slow.send(slow_body[slow.sent:])
    slow.s.settimeout(30)
    answer = b""
    while b"</html>" not in answer:
        chunk = slow.s.recv(65536)
        if not chunk:
            break
        answer += chunk
    slow.close()
    check(answer.startswith(b"HTTP/1.1 200") and shown_receipt(answer) is not None,
          f"the slow form that kept up was never cut and is stored: {answer[:60]!r}")


def disk_share(box):
    srv = box.restart("--nojs-max-disk-bytes", "1MiB")
    st, answer, _ = post(srv, form(600_000))
    check(st == 200 and shown_receipt(answer) is not None, f"a form within the share is taken ({st})")
    before = snapshot(box.data)
    st, answer, ok = post(srv, form(600_000))
    check(st == 503 and ok and b"until the editors collect them" in answer,
          f"past nojs_max_disk_bytes the form answers 503 and says why ({st})")
    check(snapshot(box.data) == before, "and stores nothing")
    env, _ = box.org.seal(box.manifest, os.path.join(box.root, "js.env"), "sealed in the browser",
                          [os.path.join(box.root, "blob")])
    _, receipt = srv.upload(env, pieces=2)
    check(receipt is not None, "the JavaScript path still takes an upload while the plain form's share is full")
    p = run(DROPBOX, "stats", box.data)
    m = re.search(r"plain-form envelopes: +(\d+) ", p.stdout)
    check(m is not None and 600_000 < int(m.group(1)) < 1024 * 1024 and "plain-form share:" in p.stdout,
          f"stats shows what the plain form holds and its share: {p.stdout!r}")


def main():
    with Dropbox("srv-nojs-share") as box:
        with open(os.path.join(box.data, "config")) as f:
            config = f.read()
        for line in ("nojs_max_concurrent = 4", "nojs_max_disk_bytes = 2 GiB", "nojs_min_rate = 512",
                     "nojs_grace_seconds = 30", "max_reply_accounts = 1000000"):
            check(f"\n{line}\n" in config, f"init writes the default '{line}'")
        with open(os.path.join(box.root, "blob"), "wb") as f:
            f.write(os.urandom(700_000))
        cross_site(box)
        trickle(box)
        disk_share(box)
    check.exit()


if __name__ == "__main__":
    main()
