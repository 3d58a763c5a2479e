#!/usr/bin/env python3
"""The plain form for sources without JavaScript (POST /nojs).

The server seals the form in memory: an editor's `malyava open` recovers
the text, the fields and the files byte for byte, the envelope carries the
server-sealed flag, the receipt on the page is the stored envelope's, and
neither the data directory nor the log holds a byte of plaintext or a file
name. The honeypot gets the same page and stores nothing; an oversize, an
empty, a malformed or an over-many-files form gets the error page and
stores nothing; answers carry the pages' headers and no cookie.
"""
import glob
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srv_lib import MALYAVA, Checks, Dropbox, raw_request, receipt_of, run, snapshot  # noqa: E402

PAGE_CSP = ("default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
MAX_BYTES = 16 * 1024 * 1024
FLAG_SERVER_SEALED = 0x01

check = Checks()


def multipart(parts, boundary="----MalyavaFormBoundary7MA4YWxkTrZu0gW"):
    """Encodes [(name, value bytes, filename or None, type or None)] as a
    browser does (RFC 7578)."""
    out = b""
    for name, value, filename, ctype in parts:
        disp = f'form-data; name="{name}"'
        if filename is not None:
            disp += f'; filename="{filename}"'
        out += f"--{boundary}\r\nContent-Disposition: {disp}\r\n".encode()
        if ctype is not None:
            out += f"Content-Type: {ctype}\r\n".encode()
        out += b"\r\n" + value + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return {"Content-Type": f"multipart/form-data; boundary={boundary}"}, out


def page_ok(h, raw):
    names = [k.lower() for k, _ in raw]
    return (h.get("content-security-policy") == PAGE_CSP and h.get("cache-control") == "no-store"
            and h.get("referrer-policy") == "no-referrer" and h.get("content-type") == "text/html; charset=utf-8"
            and "set-cookie" not in names)


def shown_receipt(body):
    m = re.search(rb'<code id="receipt">([0-9a-f-]{39})</code>', body)
    return m.group(1).decode() if m else None


def listing(root):
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            with open(os.path.join(d, n), "rb") as f:
                out[os.path.relpath(os.path.join(d, n), root)] = f.read()
    return out


def everything_in(data_dir, log):
    blob = b""
    for d, _, names in os.walk(data_dir):
        for n in names:
            with open(os.path.join(d, n), "rb") as f:
                blob += f.read()
    with open(log, "rb") as f:
        return blob + f.read()


def expect_refused(srv, data, headers, body, status, what, extra=None):
    before = snapshot(data)
    st, h, answer, raw = srv.request("POST", "/nojs", {**headers, **(extra or {})}, body)
    check(st == status and page_ok(h, raw) and b'<p class="error">' in answer,
          f"{what}: the error page with {status} (got {st} {answer[:200]!r})")
    check(snapshot(data) == before, f"{what}: nothing stored")
    return answer


def main():
    with Dropbox("srv-nojs") as box:
        org, data, srv = box.org, box.data, box.srv
        alice_key = os.path.join(org.dir, "editors", "alice.key")

        marker = "MARKER" + os.urandom(6).hex()
        message = f"Меня избили в ИК-2 ({marker}).\nСвидетели: двое.\n<b>&\"quotes\"</b>"
        fields = {"place": "ИК-2, Пермский край", "date": "2026-11-01", "category": "violence",
                  "affected": "двое заключённых", "contact": "через адвоката"}
        photo = os.urandom(300 * 1024 + 7)
        notes = "Камера 4\r\nбез окон\n".encode()
        secret_name = f"secret-{marker}.jpg"
        parts = [("message", message.replace("\n", "\r\n").encode(), None, None)]
        parts += [(k, v.encode(), None, None) for k, v in fields.items()]
        parts += [("website", b"", None, None),
                  ("file", photo, secret_name, "image/jpeg"),
                  ("file", notes, "C:\\Users\\me\\протокол.txt", "text/plain"),
                  ("file", b"", "", "application/octet-stream")]
        headers, body = multipart(parts)

        # -- a submission, opened by an editor
        log_before = open(srv.log, "rb").read()
        st, h, answer, raw = srv.request("POST", "/nojs", {**headers, "Accept-Language": "ru"}, body)
        receipt = shown_receipt(answer)
        check(st == 200 and page_ok(h, raw) and receipt is not None,
              f"POST /nojs answers the done page with a receipt: {st} {answer[:300]!r}")
        check(b'<html lang="ru"' in answer, "the done page is in the source's language")
        stored = glob.glob(os.path.join(data, "envelopes", "*.env"))
        check(len(stored) == 1, f"one envelope stored: {stored}")
        if stored:
            with open(stored[0], "rb") as f:
                env = f.read()
            check(receipt_of(env) == receipt, "the receipt on the page is the stored envelope's")
            check(env[:7] == b"MALYAVA" and env[8] & FLAG_SERVER_SEALED, "the envelope carries the server-sealed flag")
            upload_id = os.path.basename(stored[0])[:-4]
            st, h, _, _ = srv.head(f"/api/v1/uploads/{upload_id}")
            check(st == 200 and h.get("malyava-receipt") == receipt, "HEAD knows it as a received submission")
            out = os.path.join(box.root, "opened")
            p = run(MALYAVA, "open", "--key", alice_key, "--passphrase-file", org.passfile, stored[0], "-o", out)
            check(re.search(r"^receipt: (\S+)$", p.stdout, re.M).group(1) == receipt, "open prints the same receipt")
            check("server" in p.stdout.lower(), f"open tells the editor the server sealed it: {p.stdout}")
            with open(os.path.join(out, "message.txt"), encoding="utf-8") as f:
                check(f.read() == message, "the message arrives as typed (line breaks as LF)")
            with open(os.path.join(out, "metadata.json"), encoding="utf-8") as f:
                meta = json.load(f)
            check(meta.get("fields") == fields, f"every field arrives intact: {meta.get('fields')}")
            check([(x["name"], x.get("type")) for x in meta.get("files", [])] ==
                  [(secret_name, "image/jpeg"), ("протокол.txt", "text/plain")],
                  f"files named as sent, the path cut off, the empty input left out: {meta.get('files')}")
            got = listing(os.path.join(out, "files"))
            check(sorted(got.values()) == sorted([photo, notes]), "both files arrive byte for byte")
        everything = everything_in(data, srv.log)
        for needle in (marker.encode(), "Свидетели".encode(), "протокол".encode(), fields["place"].encode()):
            check(needle not in everything, f"no plaintext on the server's disk or log: {needle!r}")
        check(open(srv.log, "rb").read() == log_before, "the log gained nothing")

        # -- honeypot: the same page, nothing stored
        before = snapshot(data)
        h2, body2 = multipart([("message", b"buy cheap pills", None, None), ("website", b"http://spam.example", None, None)])
        st, h, answer, raw = srv.request("POST", "/nojs", h2, body2)
        check(st == 200 and page_ok(h, raw) and shown_receipt(answer) is not None,
              "the honeypot gets the done page with a receipt-like code")
        check(snapshot(data) == before, "the honeypot stored nothing")

        # -- refusals
        expect_refused(srv, data, *multipart([("message", b"", None, None), ("file", b"", "", None)]), 400,
                       "an empty form")
        many = [("file", os.urandom(100), f"f{i}.bin", None) for i in range(9)]
        expect_refused(srv, data, *multipart(many), 413, "nine files")
        expect_refused(srv, data, *multipart([("place", b"x" * (16 * 1024 + 1), None, None)]), 413,
                       "a field over 16 KiB")
        expect_refused(srv, data, *multipart([("message", b"\xff\xfe bad utf-8", None, None)]), 400,
                       "text that is not UTF-8")
        expect_refused(srv, data, *multipart([("message", b"one", None, None), ("message", b"two", None, None)]),
                       400, "the message twice")
        hdr, good = multipart([("message", b"hello", None, None)])
        expect_refused(srv, data, hdr, good[:-20], 400, "a body cut short")
        expect_refused(srv, data, hdr, good.replace(b"Content-Disposition", b"Content-Dispositio"), 400,
                       "a part without Content-Disposition")
        expect_refused(srv, data, {"Content-Type": "multipart/form-data"}, good, 400, "no boundary")
        expect_refused(srv, data, {"Content-Type": "application/x-www-form-urlencoded"}, b"message=hi", 400,
                       "a urlencoded form")
        expect_refused(srv, data, {"Content-Type": hdr["Content-Type"].replace("boundary=", "boundary=x")}, good,
                       400, "the wrong boundary")
        answer = expect_refused(srv, data, hdr, good.replace(b"\r\n\r\n", b"\r\n" + b"X-Pad: " + b"p" * 2000 +
                                                             b"\r\n\r\n", 1), 413, "a part header over 1 KiB")
        answer = expect_refused(srv, data, *multipart([("message", b"", None, None)]), 400, "nothing typed",
                                {"Accept-Language": "ru"})
        check(b'<html lang="ru"' in answer, "the error page is in the source's language")

        # Too large: refused from the headers alone, before any body byte.
        before = snapshot(data)
        st, answer = raw_request(srv.port, (
            f"POST /nojs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {hdr['Content-Type']}\r\n"
            f"Content-Length: {MAX_BYTES + 1}\r\nExpect: 100-continue\r\n\r\n").encode())
        check(st == 413 and b'<p class="error">' in answer, f"a form over 16 MiB gets 413 and the error page ({st})")
        check(snapshot(data) == before, "the oversize form stored nothing")

        # Exactly at the limit still works.
        filler = MAX_BYTES - len(multipart([("file", b"", "big.bin", None)])[1])
        hb, big = multipart([("file", os.urandom(filler), "big.bin", None)])
        check(len(big) == MAX_BYTES, "the test form is exactly 16 MiB")
        st, h, answer, raw = srv.request("POST", "/nojs", hb, big, timeout=120)
        check(st == 200 and shown_receipt(answer) is not None, f"a form of exactly 16 MiB is taken ({st})")
        check(os.listdir(os.path.join(data, "uploads")) == [], "no upload file is left behind")

        # The plain form goes through the same quotas as uploads.
        srv = box.restart("--max-disk-bytes", "17MiB")
        expect_refused(srv, data, *multipart([("file", os.urandom(3 * 1024 * 1024), "video.mp4", "video/mp4")]),
                       503, "a form over the disk quota")
        check(os.listdir(os.path.join(data, "uploads")) == [], "the refused form left no file")
    check.exit()


if __name__ == "__main__":
    main()
