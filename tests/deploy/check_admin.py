#!/usr/bin/env python3
"""`malyava-dropbox check`, `stats` and the server's log tell the admin
what needs doing, before it hurts a source.

The manifest (valid 90 days) with the clock moved by libfaketime: check
exits 0 fifteen days before its last valid day, 1 from fourteen days
before (and on 7, 1, 0 days, and after it), each time saying what to do;
stats warns on the same days and not before; a server started fourteen
days before says so in its log, one started fifteen days before does not.
Then each other matter alone makes check exit 1 with its own words and
goes away when it is dealt with: the disk quota nearly used, the volume
nearly full (min_free_bytes), the database held by another process past
the server's busy timeout,
pending uploads near max_pending_uploads, submissions about to be deleted
by retention.
"""
import datetime
import os
import re
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deb_lib  # noqa: E402,F401  (sets the import path)
from srv_lib import DROPBOX, Checks, Org, Server, cleanup, db_execute, init_data_dir, run, tmpdir  # noqa: E402

check = Checks()
LIBS = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1", "/usr/lib/faketime/libfaketimeMT.so.1"]


def faketime(days):
    lib = next((p for p in LIBS if os.path.exists(p)), None)
    if lib is None:
        raise RuntimeError("libfaketime is missing: install the Debian package faketime (scripts/deps does)")
    return {"LD_PRELOAD": lib, "FAKETIME": f"{days:+d}d", "DONT_FAKE_MONOTONIC": "1",
            "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}


def cmd(*args, days=0):
    return run(DROPBOX, *args, ok=None, env={**os.environ, **faketime(days)})


def expiry_days(manifest):
    """Days from today (the real one) to the manifest's last valid day."""
    m = re.search(r"^expires (\d{4}-\d{2}-\d{2})$", open(manifest).read(), re.M)
    return (datetime.date.fromisoformat(m.group(1)) - datetime.datetime.now(datetime.timezone.utc).date()).days


def clock_matters(root, org, manifest, data):
    left = expiry_days(manifest)
    check(left > 40, f"the manifest is valid for months ({left} days)")
    for before, needs in ((40, False), (15, False), (14, True), (7, True), (1, True), (0, True), (-1, True)):
        p = cmd("check", data, days=left - before)
        say = {14: "expires in 14 days", 7: "expires in 7 days", 1: "expires in 1 day ", 0: "expires today",
               -1: "EXPIRED after"}.get(before, "")
        if needs:
            check(p.returncode == 1 and say in p.stdout and "install-manifest" in p.stdout,
                  f"{before} days before the last valid day check exits 1 and says what to do: {p.returncode} "
                  f"{p.stdout!r}")
        else:
            check(p.returncode == 0 and "is fine" in p.stdout and "NEEDS THE ADMIN" not in p.stdout,
                  f"{before} days before the last valid day check exits 0: {p.returncode} {p.stdout!r}")
        q = cmd("check", data, "--quiet", days=left - before)
        check(q.returncode == p.returncode and (q.stdout == "") == (not needs),
              f"--quiet prints nothing only when all is well ({before} days)")
        s = cmd("stats", data, days=left - before)
        check(s.returncode == 0 and ("WARNING: manifest serial 1" in s.stdout) == needs,
              f"stats warns {before} days before only if check does: {s.stdout[-300:]!r}")
    for before, says in ((15, False), (14, True)):
        env = faketime(left - before)
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            srv = Server(data).start()
        finally:
            for k, v in saved.items():
                os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
        srv.stop()
        log = open(srv.log).read()
        open(srv.log, "w").close()
        check(("manifest serial 1 expires in 14 days" in log) == says,
              f"a server started {before} days before the last valid day {'warns' if says else 'is silent'} in "
              f"its log: {log[-300:]!r}")


def needs(data, words, what):
    p = cmd("check", data)
    check(p.returncode == 1 and words in p.stdout and "1 matter in" in p.stdout,
          f"{what}: check exits 1 and says so: {p.returncode} {p.stdout!r} {p.stderr!r}")


def fine(data, what):
    p = cmd("check", data)
    check(p.returncode == 0 and "is fine" in p.stdout, f"{what}: check exits 0 again: {p.stdout!r} {p.stderr!r}")


def set_config(data, key, value):
    path = os.path.join(data, "config")
    text = open(path).read()
    text, n = re.subn(rf"^{key} = .*$", f"{key} = {value}", text, flags=re.M)
    assert n == 1, key
    with open(path, "w") as f:
        f.write(text)


def other_matters(root, org, manifest, data):
    fine(data, "a new data directory")
    # -- the quota: one submission of 1 MiB allowed, one of ~950 KB stored
    set_config(data, "max_disk_bytes", "1MiB")
    srv = Server(data).start()
    try:
        big = os.path.join(root, "big.bin")
        with open(big, "wb") as f:
            f.write(os.urandom(960_000))
        env, receipt = org.seal(manifest, os.path.join(root, "big.env"), "a large file", files=[big])
        loc, got = srv.upload(env)
        check(got == receipt, "a large submission is received")
        needs(data, "the disk quota is nearly used", "the quota 90% used")
        set_config(data, "max_disk_bytes", "64GiB")
        fine(data, "with a larger quota")

        # -- pending uploads near the cap
        set_config(data, "max_pending_uploads", "10")
        for _ in range(9):
            srv.create(1000)
        needs(data, "9 uploads are pending, near max_pending_uploads (10)", "9 of 10 pending uploads")
        set_config(data, "max_pending_uploads", "256")
        fine(data, "with the cap raised")
    finally:
        srv.stop()

    # -- the volume nearly full: more must stay free than the volume has
    set_config(data, "min_free_bytes", "1024TiB")
    needs(data, "the data volume has", "min_free_bytes over the free space")
    set_config(data, "min_free_bytes", "1GiB")
    fine(data, "with min_free_bytes back")

    # -- a reader that keeps the server's writes out (a rollback journal)
    reader = sqlite3.connect(os.path.join(data, "malyava.db"), isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM submissions").fetchall()
    needs(data, "another process has held the database", "a reader holding the database")
    reader.execute("ROLLBACK")
    reader.close()
    fine(data, "once the reader let go")

    # -- submissions near the end of their retention
    db_execute(data, "UPDATE submissions SET received_day = received_day - 170")
    needs(data, "1 submissions are deleted by retention within 14 days", "a submission 170 days old")
    db_execute(data, "UPDATE submissions SET received_day = received_day + 170")
    fine(data, "once it is young again")


def main():
    root = tmpdir("check-admin")
    try:
        org = Org(root)
        manifest = org.sign(["alice"])
        data, _ = init_data_dir(root, org, manifest)
        clock_matters(root, org, manifest, data)
        other_matters(root, org, manifest, data)
        p = run(DROPBOX, "check", ok=None)
        check(p.returncode == 2, "check without DATA_DIR is a usage error (2)")
        p = run(DROPBOX, "check", os.path.join(root, "nothing-here"), ok=None)
        check(p.returncode == 1 and "cannot check" in p.stdout, f"check on a missing directory fails (1): {p.stdout}")
    finally:
        cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
