#!/usr/bin/env python3
"""The tus protocol of malyava-dropbox against the real server.

Promises of docs/PROTOCOL.md: an envelope sent in several PATCHes is
stored byte for byte and answered with the sealer's receipt; every bad
request gets its status and a one-line message and leaves the data
directory as it was; every answer carries the security headers; a
rotated manifest's keys are accepted only during the grace period; and
install-manifest refuses forged or older manifests.
"""
import base64
import hashlib
import os
import signal
import stat
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srv_lib import (DROPBOX, OCTETS, TUS, Checks, Org, Server, cleanup, db_execute,  # noqa: E402
                     init_data_dir, run, security_headers_ok, snapshot, tmpdir)

U = "/api/v1/uploads"
check = Checks()


def one_line(body):
    return body.endswith(b"\n") and body.count(b"\n") == 1 and len(body) > 20


def error_ok(what, resp, status):
    st, h, body, raw = resp
    check(st == status, f"{what}: status {st}, expected {status} ({body!r})")
    if status >= 400 and not what.startswith("HEAD"):
        check(one_line(body), f"{what}: body is one line naming the problem: {body!r}")
        check(h.get("content-type") == "text/plain; charset=utf-8", f"{what}: error is text/plain")
    check(security_headers_ok(h, raw), f"{what}: security headers present")
    return h


def main():
    root = tmpdir("srv-tus")
    org = Org(root, ("alice", "bob"))
    m1 = org.sign(["alice"])
    stranger = Org(os.path.join(root, "stranger"), ("mallory",))
    m_strange = stranger.sign(["mallory"])
    src = os.path.join(root, "photo.jpg")
    with open(src, "wb") as f:
        f.write(os.urandom(300_000))
    env, receipt = org.seal(m1, os.path.join(root, "ok.env"), "Протокол: камера 4", [src])
    env_b, receipt_b = org.seal(m1, os.path.join(root, "ok2.env"), "second testimony")
    env_other, _ = stranger.seal(m_strange, os.path.join(root, "other.env"), "not for this drop-box")
    check(receipt is not None, "the sealer prints a receipt")

    data, init_out = init_data_dir(root, org, m1)
    check("export token" in init_out, "init prints the export token")
    token = init_out.strip().splitlines()[-1]
    cfg = open(os.path.join(data, "config")).read()
    check(token not in cfg and "export_token_hash = " in cfg, "only the token's hash is in the config")
    check(stat.S_IMODE(os.stat(data).st_mode) == 0o700, "data directory is 0700")
    check(stat.S_IMODE(os.stat(os.path.join(data, "config")).st_mode) == 0o600, "config is 0600")
    check(run(DROPBOX, "init", data, "--org-key", org.org_pub, "--manifest", m1, ok=None).returncode == 1,
          "init refuses a non-empty directory")
    check(run(DROPBOX, "serve", data, "--check-config").returncode == 0, "--check-config accepts the new directory")
    check(run(DROPBOX, "serve", data, "--max-disk-bytes", "lots", ok=None).returncode == 1,
          "a bad setting is refused")
    check(run(DROPBOX, "serve", ok=None).returncode == 2, "usage error exits 2")

    srv = Server(data).start()
    try:
        # -- what a client fetches before sealing
        for path, fname in (("/manifest", m1), ("/manifest.minisig", m1 + ".minisig"), ("/org.pub", org.org_pub)):
            st, h, body, raw = srv.request("GET", path)
            check(st == 200 and body == open(fname, "rb").read(), f"GET {path} serves the installed file")
            check(security_headers_ok(h, raw), f"GET {path}: security headers")
        h = error_ok("OPTIONS", srv.request("OPTIONS", U), 204)
        check(h.get("tus-version") == "1.0.0" and h.get("tus-resumable") == "1.0.0", "OPTIONS: tus version")
        check(h.get("tus-extension") == "creation,termination,expiration,checksum", "OPTIONS: extensions")
        check(h.get("tus-max-size") == str(2 * 1024 ** 3) and h.get("tus-checksum-algorithm") == "sha256",
              "OPTIONS: max size and checksum algorithm")

        # -- a complete upload in four PATCHes, the header split across two
        meta = "filename " + base64.b64encode(b"photo.jpg").decode()
        st, h, body, raw = srv.request("POST", U, {**TUS, "Upload-Length": str(len(env)), "Upload-Metadata": meta,
                                                   **srv.pow()})
        check(st == 201 and security_headers_ok(h, raw), f"POST creates an upload ({st} {body!r})")
        loc = h.get("location", "")
        check(len(loc) == len(U) + 33 and all(c in "0123456789abcdef" for c in loc[len(U) + 1:]),
              "Location is /api/v1/uploads/<32 hex>")
        check(h.get("upload-expires", "").endswith(" GMT"), "POST: Upload-Expires is an HTTP date")
        cuts = [0, 50, 3000, len(env) // 2, len(env)]
        for i in range(4):
            piece = env[cuts[i]:cuts[i + 1]]
            extra = {}
            if i == 2:
                extra["Upload-Checksum"] = "sha256 " + base64.b64encode(hashlib.sha256(piece).digest()).decode()
            h = error_ok(f"PATCH {i}", srv.patch(loc, cuts[i], piece, extra), 204)
            check(h.get("upload-offset") == str(cuts[i + 1]), f"PATCH {i}: new Upload-Offset")
            if i < 3:
                check("malyava-receipt" not in h, f"PATCH {i}: no receipt before the end")
                hh = error_ok(f"HEAD after PATCH {i}", srv.head(loc), 200)
                check(hh.get("upload-offset") == str(cuts[i + 1]) and hh.get("upload-length") == str(len(env)),
                      f"HEAD after PATCH {i}: offset and length")
        check(h.get("malyava-receipt") == receipt, "the last PATCH answers the sealer's receipt")
        h = error_ok("HEAD complete", srv.head(loc), 200)
        check(h.get("upload-offset") == h.get("upload-length") == str(len(env)), "HEAD: complete offset")
        check(h.get("malyava-receipt") == receipt, "HEAD shows the receipt")
        uid = loc.rsplit("/", 1)[1]
        stored = os.path.join(data, "envelopes", uid + ".env")
        check(open(stored, "rb").read() == env, "the stored envelope is byte-identical")
        st_ = os.stat(stored)
        check(stat.S_IMODE(st_.st_mode) == 0o600, "stored envelope is 0600")
        check(st_.st_mtime % 86400 == 0, "stored envelope's mtime is the start of its day")
        done_loc, r2 = srv.upload(env_b, pieces=1)
        check(r2 == receipt_b, "a one-PATCH upload answers its receipt")

        # -- refused requests: status, message, and no change to stored data
        pending = srv.create(len(env))
        check(srv.patch(pending, 0, env[:1000])[0] == 204, "a pending upload to poke at")
        bad_sum = "sha256 " + base64.b64encode(hashlib.sha256(b"other").digest()).decode()
        unknown = f"{U}/{os.urandom(16).hex()}"
        oct_headers = {**TUS, "Content-Type": OCTETS}
        cases = [
            ("POST without Tus-Resumable", lambda: srv.request("POST", U, {"Upload-Length": "1000"}), 412),
            ("PATCH with another Tus-Resumable",
             lambda: srv.request("PATCH", pending, {"Tus-Resumable": "0.2.2", "Content-Type": OCTETS,
                                                    "Upload-Offset": "1000"}, b"x"), 412),
            ("HEAD without Tus-Resumable", lambda: srv.request("HEAD", pending), 412),
            ("POST without Upload-Length", lambda: srv.request("POST", U, dict(TUS)), 400),
            ("POST with Upload-Length -5", lambda: srv.request("POST", U, {**TUS, "Upload-Length": "-5"}), 400),
            ("POST with Upload-Length 12a", lambda: srv.request("POST", U, {**TUS, "Upload-Length": "12a"}), 400),
            ("POST with Upload-Defer-Length",
             lambda: srv.request("POST", U, {**TUS, "Upload-Defer-Length": "1"}), 400),
            ("POST with a body",
             lambda: srv.request("POST", U, {**TUS, "Upload-Length": "100000"}, b"abc"), 400),
            ("POST with bad Upload-Metadata",
             lambda: srv.request("POST", U, {**TUS, "Upload-Length": "100000", "Upload-Metadata": "name !!!"}), 400),
            ("POST too small for an envelope", lambda: srv.request("POST", U, {**TUS, "Upload-Length": "10"}), 400),
            ("POST oversize", lambda: srv.request("POST", U, {**TUS, "Upload-Length": str(2 * 1024 ** 3 + 1)}), 413),
            ("PATCH with Upload-Offset mismatch", lambda: srv.patch(pending, 0, b"x" * 10), 409),
            ("PATCH without Upload-Offset", lambda: srv.request("PATCH", pending, oct_headers, b"x"), 400),
            ("PATCH past the length", lambda: srv.patch(pending, 1000, env[1000:] + b"x"), 400),
            ("chunked PATCH past the length",
             lambda: srv.request("PATCH", pending, {**oct_headers, "Upload-Offset": "1000"},
                                 iter([env[1000:], b"overflow"])), 400),
            ("PATCH to an unknown upload", lambda: srv.patch(unknown, 0, b"x"), 404),
            ("PATCH to a malformed id", lambda: srv.patch(f"{U}/../../etc", 0, b"x"), 404),
            ("PATCH with wrong Content-Type",
             lambda: srv.request("PATCH", pending, {**TUS, "Content-Type": "application/octet-stream",
                                                    "Upload-Offset": "1000"}, b"x"), 415),
            ("PATCH with bad checksum", lambda: srv.patch(pending, 1000, env[1000:2000], {"Upload-Checksum": bad_sum}),
             460),
            ("PATCH with an md5 checksum",
             lambda: srv.patch(pending, 1000, b"x", {"Upload-Checksum": "md5 AAAAAAAAAAAAAAAAAAAAAA=="}), 400),
            ("PATCH to a completed upload", lambda: srv.patch(done_loc, len(env_b), b"x"), 403),
            ("DELETE a completed upload", lambda: srv.request("DELETE", done_loc, dict(TUS)), 403),
            ("HEAD an unknown upload", lambda: srv.head(unknown), 404),
            ("GET an unknown path", lambda: srv.request("GET", "/etc/passwd"), 404),
            ("GET the upload collection", lambda: srv.request("GET", U), 405),
            ("URL too long", lambda: srv.request("GET", "/" + "a" * 1000), 414),
            ("too many headers", lambda: srv.request("GET", "/manifest", {f"X-H{i}": "v" for i in range(60)}), 431),
        ]
        for what, fn, status in cases:
            before = snapshot(data)
            h = error_ok(what, fn(), status)
            check(snapshot(data) == before, f"{what}: nothing stored changed")
            if status == 412:
                check(h.get("tus-version") == "1.0.0", f"{what}: names Tus-Version")
            if status == 405:
                check(h.get("allow") == "OPTIONS, POST", f"{what}: Allow lists the methods")
        check(error_ok("HEAD the poked upload", srv.head(pending), 200).get("upload-offset") == "1000",
              "refused PATCHes left the offset where it was")

        # Refused from their content: the upload is deleted, as if never made.
        wrong_magic = b"X" + env[1:]
        # Claims a second stanza (a copy of the first under another id) and
        # ends before the header does.
        stanza = bytearray(env[18:109])
        stanza[1] ^= 0xff
        cut_short = env[:9] + b"\x02" + env[10:109] + bytes(stanza) + env[109:118]
        # The header declares the envelope's size: one byte more cannot be one.
        longer = env + b"\0"
        for what, blob in (("wrong magic", wrong_magic), ("unknown key id", env_other),
                           ("header cut short", cut_short), ("size other than declared", longer)):
            before = snapshot(data)
            loc_bad = srv.create(len(blob))
            error_ok(f"PATCH {what}", srv.patch(loc_bad, 0, blob), 422)
            check(snapshot(data) == before, f"{what}: nothing stored changed")
            check(srv.head(loc_bad)[0] == 404, f"{what}: the upload is gone")

        # The row keeps only the day of the last byte; the running server's
        # clock is in memory. A row whose day is past any expiry goes at
        # the next start (checked after the restart below). Expiry while
        # running (410, 404): tests/faults/flt_expiry.py moves the clock.
        expiring = srv.create(len(env))
        check(srv.patch(expiring, 0, env[:100])[0] == 204, "an upload that will have expired by the restart")
        db_execute(data, "UPDATE uploads SET active_day = active_day - 3 WHERE id = ?", expiring.rsplit("/", 1)[1])
        check(srv.head(expiring)[0] == 200, "a running server goes by its clock, not by the row's day")

        # Termination.
        error_ok("DELETE a pending upload", srv.request("DELETE", pending, dict(TUS)), 204)
        check(srv.head(pending)[0] == 404, "a deleted upload is gone")
        check(not os.path.exists(os.path.join(data, "uploads", pending.rsplit("/", 1)[1] + ".part")),
              "a deleted upload's file is gone")

        # -- rotation: bob replaces alice; alice's envelopes ride the grace period
        m2 = org.sign(["bob"])
        env_old, receipt_old = org.seal(m1, os.path.join(root, "old.env"), "sealed before the rotation")
        env_new, receipt_new = org.seal(m2, os.path.join(root, "new.env"), "sealed after the rotation")
        forged = os.path.join(root, "forged")
        text = bytearray(open(m2, "rb").read())
        text[len(text) // 2] ^= 0x01
        open(forged, "wb").write(text)
        os.link(m2 + ".minisig", forged + ".minisig")
        before = snapshot(data)
        p = run(DROPBOX, "install-manifest", data, forged, ok=None)
        check(p.returncode == 1 and "refused" in p.stderr, f"install-manifest refuses a forged manifest: {p.stderr}")
        check(snapshot(data) == before, "forged manifest: nothing stored changed")
        p = run(DROPBOX, "install-manifest", data, m2, ok=None)
        check(p.returncode == 0, f"install-manifest takes a newer manifest: {p.stderr}")
        before = snapshot(data)
        p = run(DROPBOX, "install-manifest", data, m1, ok=None)
        check(p.returncode == 1 and "higher serial" in p.stderr, f"install-manifest refuses a lower serial: {p.stderr}")
        check(snapshot(data) == before, "lower serial: nothing stored changed")
        srv.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        st, h, body, raw = srv.request("GET", "/manifest")
        check(body == open(m2, "rb").read(), "after SIGHUP the new manifest is served")
        check(srv.upload(env_new)[1] == receipt_new, "an envelope for the new manifest is accepted")
        check(srv.upload(env_old)[1] == receipt_old, "an envelope for the previous manifest is accepted in grace")
    finally:
        check(srv.stop() == 0, "SIGTERM stops the server with status 0")

    srv = Server(data, "--manifest-grace-days", "0").start()
    try:
        before = snapshot(data)
        loc_old = srv.create(len(env_old))
        st, h, body, raw = srv.patch(loc_old, 0, env_old)
        error_ok("PATCH sealed to a retired key after the grace period", (st, h, body, raw), 422)
        check(b"retired" in body, f"the message says the key was retired: {body!r}")
        check(snapshot(data) == before, "retired key: nothing stored changed")
        st, h, body, raw = srv.request("HEAD", loc, dict(TUS))
        check(st == 200 and h.get("malyava-receipt") == receipt, "received submissions survive restarts")
        error_ok("HEAD an upload expired by the restart", srv.head(expiring), 404)
        error_ok("PATCH an upload expired by the restart", srv.patch(expiring, 100, env[100:200]), 404)
        check(not os.path.exists(os.path.join(data, "uploads", expiring.rsplit("/", 1)[1] + ".part")),
              "the start removed the expired upload's file")
    finally:
        srv.stop()

    p = run(DROPBOX, "stats", data)
    check("received submissions:" in p.stdout and " 4\n" in p.stdout, f"stats counts received: {p.stdout}")
    check(run(DROPBOX, "--version").stdout.startswith("malyava-dropbox "), "--version")
    check(run(DROPBOX, "--help").returncode == 0, "--help exits 0")
    cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
