#!/usr/bin/env python3
"""SQLite busy and locked: another process holds the server's database.

A write lock held for less than the server's busy timeout only delays
requests. Held longer, creating an upload and committing a PATCH fail
with a clean 5xx, reads still answer, the host's `ack` refuses with a
message and purges nothing, and once the lock goes the interrupted upload
resumes from its committed offset to its receipt. And
a reader keeping an old snapshot open does not stop a purge. Nothing
acknowledged is lost, and files and rows agree at the end.
"""
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flt_lib import envelopes, files_match_rows, intact, received  # noqa: E402
from srv_lib import DROPBOX, TUS, Checks, Org, Server, cleanup, init_data_dir, run, tmpdir  # noqa: E402

check = Checks()
BUSY_SECONDS = 5  # MLV_SRV_DB_BUSY_MS
HOLDER = r"""
import sqlite3, sys, time
path, mode, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
db = sqlite3.connect(path, timeout=30, isolation_level=None)
if mode == "read":
    db.execute("BEGIN")
    db.execute("SELECT COUNT(*) FROM submissions").fetchall()
else:
    db.execute("BEGIN IMMEDIATE")
    db.execute("UPDATE manifests SET serial = serial WHERE slot = 0")
print("locked", flush=True)
time.sleep(secs)
db.execute("ROLLBACK")
db.close()
"""


class Lock:
    """Another process holding the database for `secs` seconds."""

    def __init__(self, data, mode, secs):
        self.proc = subprocess.Popen([sys.executable, "-c", HOLDER, os.path.join(data, "malyava.db"), mode, str(secs)],
                                     stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "locked":
            raise RuntimeError("the lock holder could not take its lock")

    def wait(self):
        self.proc.wait(60)
        self.proc.stdout.close()


def ack_text(acked):
    lines = ["malyava-ack 1"] + [f"{sid} {rc}" for sid, rc in sorted(acked.items())]
    return "\n".join(lines) + "\n"


def main():
    root = tmpdir("flt-sqlite")
    try:
        org = Org(root)
        m1 = org.sign(["alice"])
        envs = envelopes(org, m1, root, [50_000, 1_500_000, 80_000, 30_000])
        data, _ = init_data_dir(root, org, m1)
        srv = Server(data).start()
        a, b, c, d = envs
        loc_a, rc_a = srv.upload(a[0])
        acked = {loc_a.rsplit("/", 1)[1]: rc_a}

        # -- a short lock only delays
        lock = Lock(data, "write", 1.5)
        t = time.time()
        loc_c, rc_c = srv.upload(c[0])
        check(rc_c == c[1], "an upload while a short write lock is held is received")
        check(time.time() - t >= 1.0, "it waited for the lock")
        lock.wait()
        acked[loc_c.rsplit("/", 1)[1]] = rc_c

        # -- a long write lock: clean errors
        loc_b = srv.create(len(b[0]))
        st, _, _, _ = srv.patch(loc_b, 0, b[0][:256 * 1024])
        check(st == 204, "the big upload has its first part")
        headers = {**TUS, "Upload-Length": str(len(d[0])), **srv.pow()}
        ack_file = os.path.join(root, "ack")
        with open(ack_file, "w") as f:
            f.write(ack_text({loc_c.rsplit("/", 1)[1]: rc_c}))
        # Everything at once, so one lock outlasts every busy timeout.
        results = {}

        def post():
            t = time.time()
            results["post"] = srv.request("POST", "/api/v1/uploads", headers)[:3:2] + (time.time() - t,)

        def patch():
            results["patch"] = srv.patch(loc_b, 256 * 1024, b[0][256 * 1024:])[:3:2]

        def ack():
            p = run(DROPBOX, "ack", data, ack_file, ok=None)
            results["ack"] = (p.returncode, p.stderr)

        # The server's statements take turns, so the PATCH's commit starts
        # waiting only when the POST has given up.
        lock = Lock(data, "write", 2 * BUSY_SECONDS + 2)
        threads = [threading.Thread(target=f) for f in (post, patch, ack)]
        for th in threads:
            th.start()
        st, h, _, _ = srv.head(loc_b)
        check(st == 200 and h.get("upload-offset") == str(256 * 1024), "HEAD answers under a write lock")
        for th in threads:
            th.join()
        st, body, took = results["post"]
        check(st in (500, 503), f"POST under a long write lock fails cleanly ({st} {body[:100]!r})")
        check(took >= BUSY_SECONDS - 1, f"after waiting the busy timeout ({took:.1f} s)")
        st, body = results["patch"]
        check(st in (500, 503), f"a PATCH whose commit is locked out fails cleanly ({st} {body[:100]!r})")
        rc, err = results["ack"]
        check(rc == 1 and "run ack again" in err, f"ack under a write lock refuses: {rc} {err!r}")
        lock.wait()
        check(srv.proc.poll() is None, "the server survived the long lock")
        intact(check, data, acked, "after the long write lock")

        st, h, _, _ = srv.head(loc_b)
        off = int(h.get("upload-offset", "-1"))
        check(st == 200 and 256 * 1024 <= off < len(b[0]), f"after the lock HEAD reports offset {off}")
        st, h, body, _ = srv.patch(loc_b, off, b[0][off:])
        check(st == 204 and h.get("malyava-receipt") == b[1],
              f"the interrupted upload resumes to its receipt ({st} {h.get('malyava-receipt')} {body[:100]!r})")
        acked[loc_b.rsplit("/", 1)[1]] = b[1]

        loc_d, rc_d = srv.upload(d[0])
        check(rc_d == d[1], "uploads are received again")
        acked[loc_d.rsplit("/", 1)[1]] = rc_d

        # -- the refused ack purges when run again, past a reader's snapshot
        lock = Lock(data, "read", 3)
        p = run(DROPBOX, "ack", data, ack_file)
        check("purged 1" in p.stdout, f"ack run again purges while a reader holds a snapshot: {p.stdout!r}")
        lock.wait()
        del acked[loc_c.rsplit("/", 1)[1]]
        check(srv.stop() == 0, "clean stop")
        srv = Server(data).start()
        intact(check, data, acked, "after a restart")
        files_match_rows(check, data, "after a restart")
        check(set(received(data)) == set(acked), "exactly the acknowledged and not purged submissions remain")
        check(srv.stop() == 0, "clean stop after the restart")
    finally:
        cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
