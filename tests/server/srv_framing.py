#!/usr/bin/env python3
"""A request whose body length is ambiguous is refused and its connection
ends (RFC 9112 §6.1, §6.3).

On every route that takes a body, on either listener (the editors' routes
on theirs, and on the public one where they are unknown), and on one that
takes none: both
Content-Length and Transfer-Encoding, Content-Length twice with different
values, or a Transfer-Encoding whose last coding is not chunked. Each gets
400 and the server closes the connection, so what follows on it (here a
smuggled GET /manifest) is never read as a request of its own; the
request changes nothing stored. An ordinary chunked PATCH still works.
"""
import os
import re
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srv_lib import OCTETS, TUS, Checks, Dropbox, snapshot  # noqa: E402

check = Checks()
SMUGGLED = b"GET /manifest HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def exchange(port, request):
    """Sends `request`, reads until the server closes (or 5 s pass);
    returns (statuses of the answers, whether the server closed)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    data, closed = b"", False
    try:
        s.sendall(request)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            data += chunk
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = True
    finally:
        s.close()
    return [int(m) for m in re.findall(rb"(?m)^HTTP/1\.[01] (\d{3}) ", data)], closed


def framings(body):
    """(name, framing headers, bytes after the headers) of each ambiguous request."""
    chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    return [
        ("Content-Length and Transfer-Encoding",
         f"Content-Length: {len(chunked)}\r\nTransfer-Encoding: chunked\r\n", chunked),
        ("Transfer-Encoding and Content-Length",
         f"Transfer-Encoding: chunked\r\nContent-Length: {len(body)}\r\n", chunked),
        ("Content-Length twice, differing",
         f"Content-Length: {len(body)}\r\nContent-Length: {len(body) + len(SMUGGLED)}\r\n", body),
        ("Transfer-Encoding not ending in chunked",
         "Transfer-Encoding: chunked, gzip\r\n", chunked),
    ]


def main():
    with Dropbox("framing") as box:
        srv = box.srv
        loc = srv.create(100_000)
        public, editors = srv.port, srv.editors_port
        routes = [
            (public, "POST", "/nojs", {"Content-Type": "multipart/form-data; boundary=b"},
             b"--b\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\nhello\r\n--b--\r\n"),
            (public, "POST", "/api/v1/uploads", {**TUS, "Upload-Length": "100000", **srv.pow()}, b""),
            (public, "PATCH", loc, {**TUS, "Content-Type": OCTETS, "Upload-Offset": "0"}, b"M" * 64),
            (public, "POST", "/api/v1/replies/register", {}, b"00" * 32 + b"\n" + b"11" * 32 + b"\n"),
            (public, "POST", "/api/v1/replies/fetch", {}, b"00" * 32 + b"\n"),
            (public, "GET", "/manifest", {}, b"x"),
        ]
        for port in (editors, public):
            routes += [
                (port, "POST", "/api/v1/export/ack", {"Authorization": "Bearer " + "A" * 43}, b"malyava-ack 1\n"),
                (port, "POST", "/api/v1/replies/import", {"Authorization": "Bearer " + "A" * 43}, b"SQLite format 3\0"),
            ]
        for port, method, path, headers, body in routes:
            for name, framing, payload in framings(body):
                before = snapshot(box.data)
                head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                statuses, closed = exchange(port, (head + framing + "\r\n").encode() + payload + SMUGGLED)
                what = (f"{method} {path.split('/uploads/')[0]} with {name}"
                        f"{' (editors)' if port == editors else ''}")
                check(statuses[:1] == [400], f"{what}: answered 400 first (got {statuses})")
                check(len(statuses) <= 1 and closed, f"{what}: the connection ends after the answer "
                      f"(answers {statuses}, closed {closed}); nothing after it is read as a request")
                check(snapshot(box.data) == before, f"{what}: nothing stored changed")
        st, h, _, _ = srv.head(loc)
        check(st == 200 and h.get("upload-offset") == "0", "the upload kept its offset")
        # Plain chunked framing is unambiguous and still works.
        statuses, _ = exchange(srv.port, (f"PATCH {loc} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n"
                                          f"Content-Type: {OCTETS}\r\nUpload-Offset: 0\r\n"
                                          "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()
                                         + b"4\r\nMALY\r\n0\r\n\r\n")
        check(statuses == [204], f"a chunked PATCH alone is taken ({statuses})")
        check(srv.head(loc)[1].get("upload-offset") == "4", "its bytes were stored")
    check.exit()


if __name__ == "__main__":
    main()
