#!/usr/bin/env python3
"""Export bundles and acks against the real server.

Promises of docs/PROTOCOL.md and docs/FORMAT.md: an export bundle, over
the editors' listener or from the CLI, holds every received envelope
byte for byte in chunks of at most 1 MiB, with the receipt the source was
given; the export token is checked, and wrong ones never shut out the
right one; an ack purges exactly the submissions it names with the right
receipt (row and file, nothing left in the data directory), and a forged
or malformed ack purges nothing.
"""
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srv_lib import (DROPBOX, Checks, Org, Server, cleanup, init_data_dir, receipt_of, run,  # noqa: E402
                     security_headers_ok, snapshot, tmpdir)

EXPORT = "/api/v1/export"
ACK = "/api/v1/export/ack"
check = Checks()


def read_bundle(path):
    """{id: (envelope bytes, receipt, server_sealed, received_day)} after
    checking the bundle's identity and chunk layout."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        check(db.execute("PRAGMA application_id").fetchone()[0] == 1296848450, "bundle application_id as docs/FORMAT.md")
        check(db.execute("PRAGMA user_version").fetchone()[0] == 1, "bundle user_version is 1")
        info = dict(db.execute("SELECT key, value FROM bundle_info"))
        check(info.get("kind") == "export" and info.get("format") == "1" and info.get("created_day", "").isdigit(),
              f"bundle_info says kind export, format 1, a day: {info}")
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")]
        check(tables == ["bundle_info", "chunks", "submissions"], f"bundle tables: {tables}")
        out = {}
        for sid, day, size, receipt, sealed in db.execute(
                "SELECT id, received_day, size, receipt, server_sealed FROM submissions"):
            chunks = db.execute("SELECT seq, data FROM chunks WHERE submission = ? ORDER BY seq", (sid,)).fetchall()
            check([c[0] for c in chunks] == list(range(len(chunks))), "chunk seq is 0.. contiguous")
            check(all(len(c[1]) <= 1024 * 1024 for c in chunks), "chunks are at most 1 MiB")
            data = b"".join(c[1] for c in chunks)
            check(len(data) == size, "sum of chunk sizes equals size")
            out[sid] = (data, receipt, sealed, day)
        return out
    finally:
        db.close()


def scan_for(data_dir, needles):
    """Names of files in the data directory holding any of `needles`."""
    hits = []
    for d, _, names in os.walk(data_dir):
        for n in names:
            with open(os.path.join(d, n), "rb") as f:
                blob = f.read()
            if any(x in blob for x in needles):
                hits.append(n)
    return hits


def main():
    root = tmpdir("srv-export")
    org = Org(root, ("alice",))
    m1 = org.sign(["alice"])
    big = os.path.join(root, "video.bin")
    with open(big, "wb") as f:
        f.write(os.urandom(2_600_000))
    sealed = [org.seal(m1, os.path.join(root, "a.env"), "first testimony", [big]),
              org.seal(m1, os.path.join(root, "b.env"), "second testimony"),
              org.seal(m1, os.path.join(root, "c.env"), "third testimony")]
    data, init_out = init_data_dir(root, org, m1)
    token = init_out.strip().splitlines()[-1]
    auth = {"Authorization": f"Bearer {token}"}
    srv = Server(data).start()
    try:
        ids = {}
        for env, receipt in sealed:
            loc, got = srv.upload(env, pieces=3)
            check(got == receipt, "upload answered the sealer's receipt")
            ids[loc.rsplit("/", 1)[1]] = (env, receipt)

        # -- export over HTTP
        st, h, body, raw = srv.editors("GET", EXPORT, auth)
        check(st == 200 and h.get("content-type") == "application/vnd.malyava.bundle", f"GET export: {st}")
        check(security_headers_ok(h, raw), "GET export: security headers")
        check(h.get("malyava-left") == "0", "GET export: nothing left for a later export")
        http_bundle = os.path.join(root, "http.bundle")
        with open(http_bundle, "wb") as f:
            f.write(body)
        got = read_bundle(http_bundle)
        check(set(got) == set(ids), "the HTTP bundle holds exactly the received submissions")
        for sid, (env, receipt) in ids.items():
            data_b, rc, server_sealed, _ = got.get(sid, (b"", "", None, 0))
            check(data_b == env, f"{sid}: envelope byte-identical to the upload")
            check(rc == receipt == receipt_of(env), f"{sid}: receipt matches sealer and bytes")
            check(server_sealed == 0, f"{sid}: not server-sealed")
        check(not [n for n in os.listdir(data) if n.startswith("bundle-")], "no temporary bundle left in DATA_DIR")

        # -- export on the host
        cli_bundle = os.path.join(root, "cli.bundle")
        p = run(DROPBOX, "export", data, "-o", cli_bundle)
        check("exported 3 submissions" in p.stdout, f"CLI export reports: {p.stdout!r}")
        check(oct(os.stat(cli_bundle).st_mode & 0o777) == "0o600", "CLI bundle is 0600")
        cli = read_bundle(cli_bundle)
        check({k: v[:3] for k, v in cli.items()} == {k: v[:3] for k, v in got.items()},
              "CLI and HTTP bundles hold the same envelopes and receipts")
        check(run(DROPBOX, "export", data, "-o", cli_bundle, ok=None).returncode == 1,
              "CLI export refuses to overwrite a file")
        check(run(DROPBOX, "export", data, ok=None).returncode == 2, "CLI export without -o is a usage error")

        # -- the token
        wrong = {"Authorization": "Bearer " + "A" * 43}
        for i, headers in enumerate(({}, wrong, {"Authorization": "Basic " + token}, {"Authorization": token})):
            st, h, body, _ = srv.editors("GET", EXPORT, headers)
            check(st == 401 and h.get("www-authenticate") == "Bearer" and body.endswith(b"\n"),
                  f"bad token {i + 1}: 401 with WWW-Authenticate ({st})")
        st, _, _, _ = srv.editors("GET", EXPORT, auth)
        check(st == 200, f"after wrong tokens the right one still works ({st})")

        # -- acks
        order = sorted(ids)
        a, b, c = order
        line = lambda sid, rc: f"{sid} {rc}\n"  # noqa: E731
        forged_rc = receipt_of(b"not the envelope")
        before = snapshot(data)
        for what, body, status in (
                ("no header", line(a, ids[a][1]), 400),
                ("CRLF", "malyava-ack 1\r\n" + line(a, ids[a][1]), 400),
                ("bad receipt form", "malyava-ack 1\n" + f"{a} {ids[a][1].upper()}\n", 400),
                ("no final newline", "malyava-ack 1\n" + line(a, ids[a][1])[:-1], 400),
                ("duplicate id", "malyava-ack 1\n" + line(a, ids[a][1]) * 2, 400)):
            st, _, resp, _ = srv.editors("POST", ACK, auth, body.encode())
            check(st == status and resp.endswith(b"\n"), f"malformed ack ({what}): {st} {resp!r}")
        st, _, resp, _ = srv.editors("POST", ACK, wrong, ("malyava-ack 1\n" + line(a, ids[a][1])).encode())
        check(st == 401, "an ack without the token is refused")
        st, _, resp, _ = srv.editors("POST", ACK, auth, ("malyava-ack 1\n" + line(a, forged_rc)).encode())
        check(st == 200 and resp == b"purged 0, unknown 1\n", f"forged receipt purges nothing: {resp!r}")
        check(snapshot(data) == before, "refused and forged acks changed nothing stored")

        unknown_id = "0" * 32
        body = "malyava-ack 1\n" + line(a, ids[a][1]) + line(b, ids[b][1]) + line(c, forged_rc) + \
            line(unknown_id, ids[a][1])
        st, h, resp, raw = srv.editors("POST", ACK, auth, body.encode())
        check(st == 200 and resp == b"purged 2, unknown 2\n", f"ack purges the two matched: {st} {resp!r}")
        check(security_headers_ok(h, raw), "ack: security headers")
        left = sorted(os.listdir(os.path.join(data, "envelopes")))
        check(left == [f"{c}.env"], f"only the unacked envelope file remains: {left}")
        db = sqlite3.connect(f"file:{data}/malyava.db?mode=ro", uri=True)
        rows = [r[0] for r in db.execute("SELECT id FROM submissions")]
        db.close()
        check(rows == [c], f"only the unacked row remains: {rows}")
        needles = [x.encode() for x in (a, b)] + [ids[x][0][len(ids[x][0]) // 2:][:64] for x in (a, b)]
        hits = scan_for(data, needles)
        check(hits == [], f"nothing of the purged submissions is left in the data directory: {hits}")
        st, _, body, _ = srv.editors("GET", EXPORT, auth)
        with open(http_bundle, "wb") as f:
            f.write(body)
        check(set(read_bundle(http_bundle)) == {c}, "the next export holds only the unacked submission")

        # -- ack on the host
        ackfile = os.path.join(root, "ack.txt")
        with open(ackfile, "w") as f:
            f.write("malyava-ack 1\n" + line(c, ids[c][1]) + line(a, ids[a][1]))
        p = run(DROPBOX, "ack", data, ackfile)
        check(p.stdout.endswith("purged 1, unknown 1\n") and f"not purged (unknown id, or its receipt differs): {a}"
              in p.stdout, f"CLI ack reports purged and unknown lines: {p.stdout!r}")
        check(os.listdir(os.path.join(data, "envelopes")) == [], "CLI ack removed the last envelope")
        with open(ackfile, "w") as f:
            f.write("malyava-ack 2\n")
        p = run(DROPBOX, "ack", data, ackfile, ok=None)
        check(p.returncode == 1 and "not an ack file" in p.stderr, f"CLI refuses a malformed ack: {p.stderr!r}")
        p = run(DROPBOX, "export", data, "-o", os.path.join(root, "empty.bundle"))
        check("exported 0 submissions" in p.stdout, "an export of nothing is an empty bundle")
    finally:
        rc = srv.stop()
    check(rc == 0, "server stops cleanly")
    cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
