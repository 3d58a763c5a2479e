#!/usr/bin/env python3
"""A seized server yields ciphertext, sizes and coarse dates only.

A testimony with a known marker and a file with a known name are sealed
and uploaded (the name also offered in tus Upload-Metadata, as generic
tus clients do); then no file of the data directory, database included,
and no line of the server's log holds the marker or the name. The log
gains nothing while submissions arrive, stored files are dated to the
day, and the database keeps days, never hours.
"""
import base64
import os
import stat
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srv_lib import TUS, Checks, Org, Server, cleanup, init_data_dir, snapshot, tmpdir  # noqa: E402

check = Checks()


def main():
    root = tmpdir("srv-privacy")
    org = Org(root)
    m1 = org.sign(["alice"])
    marker = "MARKER-" + os.urandom(8).hex()
    fname = "secret-name-" + os.urandom(6).hex() + ".jpg"
    src = os.path.join(root, fname)
    with open(src, "wb") as f:
        f.write(os.urandom(200_000))
    env, receipt = org.seal(m1, os.path.join(root, "t.env"), f"Testimony {marker}: beaten in cell 4", [src])
    env2, _ = org.seal(m1, os.path.join(root, "t2.env"), f"Unfinished {marker}", [src])
    data, _ = init_data_dir(root, org, m1)
    srv = Server(data).start()
    needles = [marker.encode(), fname.encode(), base64.b64encode(fname.encode()),
               marker.encode("utf-16-le"), fname.encode("utf-16-le")]
    try:
        log_before = open(srv.log).read()
        meta = {"Upload-Metadata": "filename " + base64.b64encode(fname.encode()).decode() + ",filetype "
                + base64.b64encode(b"image/jpeg").decode()}
        loc = srv.create(len(env), meta)
        half = len(env) // 2
        check(srv.patch(loc, 0, env[:half])[0] == 204, "first half accepted")
        st, h, _, _ = srv.patch(loc, half, env[half:])
        check(st == 204 and h.get("malyava-receipt") == receipt, "upload complete")
        pending = srv.create(len(env2), meta)
        check(srv.patch(pending, 0, env2[:len(env2) // 3])[0] == 204, "an upload left pending")
        check(srv.request("GET", "/manifest")[0] == 200 and srv.head(pending)[0] == 200, "other requests answered")
        time.sleep(0.3)
        check(open(srv.log).read() == log_before, "the log gains no line while submissions arrive")

        # Before anything here reads them: reading moves the access time.
        for sub in ("uploads", "envelopes"):
            for n in os.listdir(os.path.join(data, sub)):
                st_ = os.stat(os.path.join(data, sub, n))
                check(st_.st_mtime % 86400 == 0 and st_.st_atime % 86400 == 0,
                      f"{sub}/{n} is dated to the start of its day")
                check(stat.S_IMODE(st_.st_mode) == 0o600, f"{sub}/{n} is 0600")
        for d, _, names in os.walk(data):
            for n in names:
                p = os.path.join(d, n)
                blob = open(p, "rb").read()
                for needle in needles:
                    check(needle not in blob, f"{os.path.relpath(p, data)} holds no marker or file name")
                if d != data:
                    continue
                check(stat.S_IMODE(os.stat(p).st_mode) == 0o600, f"{n} is 0600")
        files, rows = snapshot(data)
        today = int(time.time()) // 86400
        check(all(r[3] == today for r in rows["submissions"]), "a received submission keeps only its day")
        check(rows["uploads"] and all(r[4] == today for r in rows["uploads"]),
              "a pending upload keeps only the day of its last byte")
    finally:
        srv.stop()
    log = open(srv.log).read()
    for needle in needles:
        check(needle.decode("latin-1") not in log, "the log holds no marker or file name")
    check("127.0.0.1" not in log.replace(f"listening on http://127.0.0.1:{srv.port}/", ""),
          "the log holds no client address")
    cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
