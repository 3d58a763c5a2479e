#!/usr/bin/env python3
"""A closed connection frees its slot at once.

A burst of slow clients fills every connection slot (max_connections of
them accepted) and as many again wait in the listen queue; each has sent
part of a request (headers, or the start of a body) and then closes.
Whatever was sent and the close arrive together, so the server reads both
at once. An honest request must then be answered within 2 seconds, not
after timeout_seconds (30 here): libmicrohttpd 0.9.75 with epoll took the
short read for "nothing more to read" and, edge-triggered, never saw the
close, so every such connection held its slot until the timeout, round
after round of the queue (docs/RELIABILITY.md).
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srv_lib import OCTETS, Checks, Dropbox  # noqa: E402

SLOTS = 32
TIMEOUT = 30
DEADLINE = 2.0
check = Checks()

PARTIAL = {
    "headers": b"GET /manifest HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\nX-Slow: ",
    "body": (b"PATCH /api/v1/uploads/" + b"0" * 32 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n"
             b"Content-Type: " + OCTETS.encode() + b"\r\nUpload-Offset: 0\r\nContent-Length: 100000\r\n\r\n"
             + b"M" * 100),
}


def burst(port, kind):
    """2 x SLOTS connections, each with part of a request, all closed at once."""
    socks = []
    for _ in range(2 * SLOTS):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        socks.append(s)
    time.sleep(0.5)  # the first SLOTS are accepted; the rest wait in the queue
    for s in socks:
        s.sendall(PARTIAL[kind][:-3])
    time.sleep(0.5)
    # The last bytes and the close leave together.
    for s in socks:
        s.sendall(PARTIAL[kind][-3:])
        s.close()


def honest_within(srv, seconds):
    """Seconds until GET /manifest is answered 200, or None past `seconds`."""
    t0 = time.time()
    while time.time() - t0 < seconds:
        try:
            if srv.request("GET", "/manifest", timeout=max(0.2, seconds - (time.time() - t0)))[0] == 200:
                return time.time() - t0
        except OSError:
            time.sleep(0.05)
    return None


def main():
    with Dropbox("slots", "--max-connections", str(SLOTS), "--timeout-seconds", str(TIMEOUT),
                 "--threads", "2") as box:
        for kind in ("headers", "body"):
            burst(box.srv.port, kind)
            took = honest_within(box.srv, DEADLINE)
            check(took is not None, f"after a burst of {2 * SLOTS} slow clients sending partial {kind} closed, "
                  f"an honest request is answered within {DEADLINE} s")
            if took is not None:
                print(f"partial {kind}: honest request answered {took:.2f} s after the burst closed",
                      file=sys.stderr)
            else:
                # Let the stuck slots time out, so the next round starts clean.
                honest_within(box.srv, TIMEOUT * 3)
        check(box.srv.proc.poll() is None, "the server is still running")
    check.exit()


if __name__ == "__main__":
    main()
