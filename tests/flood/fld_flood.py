#!/usr/bin/env python3
"""A flood while honest sources upload.

1,000 idle connections, 100 slowloris clients sending one header byte a
second, and 50 honest uploads at once (10 real envelopes of about 1 MiB,
each sent 5 times, in 256 KiB PATCHes). With max_connections above the
flood (2,048 here; see docs/RELIABILITY.md), every honest upload completes with
its receipt, the server's resident memory stays under RSS_BOUND_MIB
(four times that under the sanitizers, whose shadow memory and
quarantine dominate), idle connections are closed after timeout_seconds
while the flood goes on, and the server stops cleanly. The whole test
takes well under 2 minutes.
"""
import http.client
import os
import resource
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "faults"))
from flt_lib import envelopes, files_match_rows, intact, sanitized  # noqa: E402
from srv_lib import DROPBOX, Checks, Org, Server, cleanup, init_data_dir, rss_kib, tmpdir  # noqa: E402

IDLE = 1000
SLOW = 100
HONEST = 50
CHUNK = 256 * 1024
TIMEOUT = 15
RSS_BOUND_MIB = 48
check = Checks()


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = IDLE + SLOW + HONEST * 2 + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    root = tmpdir("fld")
    socks = []
    stop_slow = threading.Event()
    try:
        org = Org(root)
        m1 = org.sign(["alice"])
        envs = envelopes(org, m1, root, [1_000_000] * 10)
        data, _ = init_data_dir(root, org, m1)
        # The server inherits this test's raised descriptor limit.
        srv = Server(data, "--max-connections", "2048", "--timeout-seconds", str(TIMEOUT),
                     "--max-pending-uploads", "256").start()
        pid = srv.proc.pid
        base = rss_kib(pid)
        peak = [base]
        sampling = threading.Event()

        def sample():
            while not sampling.is_set():
                peak[0] = max(peak[0], rss_kib(pid))
                time.sleep(0.1)

        sampler = threading.Thread(target=sample)
        sampler.start()
        t0 = time.time()
        for _ in range(IDLE):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            socks.append(s)
        idle = list(socks)
        slow = []
        for _ in range(SLOW):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            slow.append(s)
            socks.append(s)
        request = b"POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nUpload-Length: 100000\r\n"

        def slowloris():
            i = 0
            while not stop_slow.is_set() and i < len(request):
                for s in slow:
                    try:
                        s.send(request[i:i + 1])
                    except OSError:
                        pass
                i += 1
                stop_slow.wait(1.0)

        slow_thread = threading.Thread(target=slowloris)
        slow_thread.start()
        print(f"flood of {IDLE} idle and {SLOW} slow connections open in {time.time() - t0:.1f} s", file=sys.stderr)

        results = [None] * HONEST

        def honest(i):
            env, receipt = envs[i % len(envs)]
            try:
                loc = srv.create(len(env))
                got = None
                for off in range(0, len(env), CHUNK):
                    st, h, body, _ = srv.patch(loc, off, env[off:off + CHUNK], )
                    if st != 204:
                        results[i] = (None, f"PATCH {st} {body[:80]!r}")
                        return
                    got = h.get("malyava-receipt")
                results[i] = (loc, got == receipt)
            except (OSError, http.client.HTTPException, RuntimeError) as e:
                results[i] = (None, repr(e))

        t1 = time.time()
        threads = [threading.Thread(target=honest, args=(i,)) for i in range(HONEST)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
        took = time.time() - t1
        done = sum(1 for r in results if r is not None and r[1] is True)
        failures = [r for r in results if r is None or r[1] is not True]
        check(done == HONEST, f"{done} of {HONEST} honest uploads completed with their receipt: {failures[:3]}")
        print(f"{HONEST} honest uploads ({sum(len(envs[i % 10][0]) for i in range(HONEST)) >> 20} MiB) "
              f"took {took:.1f} s during the flood", file=sys.stderr)

        # Idle connections go after the timeout; the server goes on.
        deadline = t0 + TIMEOUT + 10
        for s in idle:
            s.settimeout(max(0.1, deadline - time.time()))
            try:
                closed = s.recv(1) == b""
            except socket.timeout:
                closed = False
            except OSError:
                closed = True
            if not closed:
                break
        else:
            closed = True
        check(closed, f"the {IDLE} idle connections were closed after timeout_seconds ({TIMEOUT} s)")
        check(srv.request("GET", "/manifest")[0] == 200, "the server answers after the flood")
        check(srv.proc.poll() is None, "the server never crashed")
        sampling.set()
        sampler.join()
        growth = (peak[0] - base) / 1024
        bound = RSS_BOUND_MIB * (4 if sanitized(DROPBOX) else 1)
        check(peak[0] / 1024 < bound, f"peak RSS {peak[0] / 1024:.1f} MiB stays under {bound} MiB")
        print(f"server RSS: {base / 1024:.1f} MiB at start, peak {peak[0] / 1024:.1f} MiB "
              f"(+{growth:.1f} MiB) with {IDLE + SLOW + HONEST} connections; bound {bound} MiB", file=sys.stderr)
        stop_slow.set()
        slow_thread.join()
        for s in socks:
            s.close()
        socks = []
        acked = {r[0].rsplit("/", 1)[1]: envs[i % 10][1] for i, r in enumerate(results) if r and r[0]}
        intact(check, data, acked, "after the flood")
        files_match_rows(check, data, "after the flood")
        check(srv.stop() == 0, "clean stop after the flood")
        print(f"whole test: {time.time() - t0:.1f} s", file=sys.stderr)
    finally:
        stop_slow.set()
        for s in socks:
            s.close()
        cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
