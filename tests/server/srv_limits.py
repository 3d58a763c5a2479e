#!/usr/bin/env python3
"""Global limits hold before resources run out.

The disk quota and the free-space floor answer 507, the pending-upload
cap 503 with Retry-After, the size cap 413 (and Tus-Max-Size says so),
all without touching stored data; a silent connection is dropped after
the inactivity timeout with its bytes kept; and 200 slow connections
cost the server at most 128 KiB of memory each, and a 48 MiB envelope
sent in one PATCH streams to disk without the server growing.
"""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srv_lib import (TUS, Checks, Org, Server, cleanup, init_data_dir, receipt_of, rss_kib,  # noqa: E402
                     security_headers_ok, snapshot, stalled_patch, tmpdir, wait_until)

U = "/api/v1/uploads"
SLOW = 200
check = Checks()


def refused(srv, data, length, status, what):
    before = snapshot(data)
    st, h, body, raw = srv.request("POST", U, {**TUS, "Upload-Length": str(length), **srv.pow(length)})
    check(st == status, f"{what}: status {st}, expected {status} ({body!r})")
    check(body.endswith(b"\n") and body.count(b"\n") == 1 and security_headers_ok(h, raw), f"{what}: one-line message")
    check(snapshot(data) == before, f"{what}: nothing stored changed")
    return h


def quotas(data):
    srv = Server(data, "--max-disk-bytes", "1MiB").start()
    try:
        check(srv.create(600_000) is not None, "an upload inside the quota is created")
        refused(srv, data, 600_000, 507, "an upload past max_disk_bytes")
    finally:
        srv.stop()
    srv = Server(data, "--min-free-bytes", "1000TiB").start()
    try:
        refused(srv, data, 100_000, 507, "an upload into min_free_bytes")
    finally:
        srv.stop()
    srv = Server(data, "--max-pending-uploads", "2").start()
    try:
        srv.create(100_000)
        h = refused(srv, data, 100_000, 503, "an upload past max_pending_uploads")
        check(h.get("retry-after", "").isdigit(), "503 carries Retry-After")
    finally:
        srv.stop()
    srv = Server(data, "--max-submission-bytes", "100000").start()
    try:
        check(srv.request("OPTIONS", U)[1].get("tus-max-size") == "100000", "Tus-Max-Size follows the setting")
        refused(srv, data, 100_001, 413, "an upload past max_submission_bytes")
    finally:
        srv.stop()


def timeout_and_memory(data, env):
    srv = Server(data, "--timeout-seconds", "5").start()
    try:
        loc = srv.create(len(env))
        s = stalled_patch(srv.port, loc, 0, len(env), env[:50_000])
        s.settimeout(15)
        t0 = time.time()
        closed = s.recv(1) == b""
        check(closed and 4 <= time.time() - t0 <= 12, f"a silent PATCH is closed after the timeout "
              f"({time.time() - t0:.1f} s)")
        s.close()
        check(wait_until(lambda: srv.head(loc)[1].get("upload-offset") == "50000"),
              "the timed-out PATCH's bytes are kept")
    finally:
        srv.stop()

    srv = Server(data).start()
    socks = []
    try:
        locs = [srv.create(len(env)) for _ in range(SLOW // 2)]
        srv.request("GET", "/manifest")
        time.sleep(0.3)
        base = rss_kib(srv.proc.pid)
        for loc in locs:
            socks.append(stalled_patch(srv.port, loc, 0, len(env), env[:16_384]))
        for _ in range(SLOW - len(locs)):
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(b"GET /manifest HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            socks.append(s)
        check(wait_until(lambda: srv.head(locs[-1])[0] == 200, 10), "the server still answers with 200 slow peers")
        time.sleep(1.0)
        grown = rss_kib(srv.proc.pid) - base
        limit = 128
        per = grown / SLOW
        print(f"{SLOW} slow connections: RSS grew {grown} KiB, {per:.1f} KiB each", file=sys.stderr)
        check(per <= limit, f"each slow connection costs {per:.1f} KiB, at most {limit}")
    finally:
        for s in socks:
            s.close()
        srv.stop()


def streaming(data, big):
    srv = Server(data).start()
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib(srv.proc.pid))
            time.sleep(0.005)

    try:
        loc = srv.create(len(big))
        base = rss_kib(srv.proc.pid)
        t = threading.Thread(target=sample)
        t.start()
        t0 = time.time()
        st, h, _, _ = srv.patch(loc, 0, big)
        secs = time.time() - t0
        done.set()
        t.join()
        check(st == 204 and h.get("malyava-receipt") == receipt_of(big), "a 48 MiB envelope in one PATCH is received")
        grown = peak[0] - base
        print(f"48 MiB in one PATCH: {secs:.2f} s, server RSS peak +{grown} KiB", file=sys.stderr)
        check(grown < 8 * 1024, f"the body streams to disk: the server grew {grown} KiB")
    finally:
        done.set()
        srv.stop()


def main():
    root = tmpdir("srv-limits")
    org = Org(root)
    m1 = org.sign(["alice"])
    src = os.path.join(root, "f.bin")
    with open(src, "wb") as f:
        f.write(os.urandom(150_000))
    env, _ = org.seal(m1, os.path.join(root, "e.env"), "a testimony", [src])
    with open(src, "wb") as f:
        f.write(os.urandom(48 * 1024 * 1024 - 100_000))
    big, _ = org.seal(m1, os.path.join(root, "big.env"), "a video", [src])
    data, _ = init_data_dir(root, org, m1)
    quotas(data)
    streaming(data, big)
    timeout_and_memory(data, env)
    cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
