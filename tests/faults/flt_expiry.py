#!/usr/bin/env python3
"""A pending upload's life follows the bytes it receives.

With libfaketime moving the server's clock (upload_expiry_hours 1, at most
4 pending uploads): Upload-Expires is an hour after the last byte
received, to the second; a PATCH without bytes moves nothing, so an
upload kept "alive" by empty PATCHes expires all the same (before, each
one pushed the expiry a day on, and 32 such uploads held the quota for
ever); an upload that never sent a byte is gone after 15 minutes; at the
pending cap expired uploads go first, then one that never sent a byte
once it has waited a minute, never one that has sent bytes; and the
database holds the day of the last byte, no hour, while a restart starts
the clocks again.
"""
import email.utils
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flt_clock import Clock  # noqa: E402
from flt_lib import envelopes  # noqa: E402
from srv_lib import TUS, Checks, Org, cleanup, init_data_dir, tmpdir  # noqa: E402

check = Checks()
FLAGS = ("--upload-expiry-hours", "1", "--max-pending-uploads", "4")
HOUR = 3600


def expires(srv, loc):
    """HEAD's Upload-Expires as Unix seconds, or None if HEAD is not 200."""
    st, h, _, _ = srv.head(loc)
    if st != 200 or "upload-expires" not in h:
        return None
    return int(email.utils.parsedate_to_datetime(h["upload-expires"]).timestamp())


def near(got, want, what):
    check(got is not None and abs(got - want) <= 3, f"{what}: Upload-Expires {got}, expected {want} (±3 s)")


def post(srv, length):
    return srv.request("POST", "/api/v1/uploads", {**TUS, "Upload-Length": str(length), **srv.pow(length)})


def main():
    root = tmpdir("flt-expiry")
    try:
        org = Org(root)
        m1 = org.sign(["alice"])
        env = envelopes(org, m1, root, [20_000])[0][0]
        data, _ = init_data_dir(root, org, m1)
        clock = Clock(root)
        srv = clock.server(data, *FLAGS)
        t0 = int(time.time())

        a = srv.create(len(env))
        near(expires(srv, a), t0 + 15 * 60, "a new upload with no byte yet lives 15 minutes")
        check(srv.patch(a, 0, env[:100])[0] == 204, "A receives its first bytes")
        near(expires(srv, a), t0 + HOUR, "A lives an hour after its last byte")
        b = srv.create(len(env))
        c = srv.create(len(env))
        check(srv.patch(c, 0, env[:100])[0] == 204, "C receives its first bytes")

        clock.set("+40m")
        st, h, _, _ = srv.patch(a, 100, b"")
        check(st == 204 and h.get("upload-offset") == "100", f"an empty PATCH is answered 204 at offset 100 ({st})")
        near(expires(srv, a), t0 + HOUR, "an empty PATCH moves no expiry")
        check(srv.patch(c, 100, env[100:200])[0] == 204, "C receives more bytes 40 minutes later")
        near(expires(srv, c), t0 + 40 * 60 + HOUR, "C lives an hour after its new last byte")
        check(srv.head(b)[0] == 404, "B, which never sent a byte, is gone after 15 minutes (HEAD 404)")
        check(srv.patch(b, 0, env[:100])[0] == 410, "and a PATCH to it is told it expired (410)")

        clock.set("+70m")
        check(srv.head(a)[0] == 404, "A expired an hour after its last byte, empty PATCH or not (HEAD 404)")
        check(srv.patch(a, 100, env[100:200])[0] == 410, "a PATCH to A is told it expired (410)")
        check(srv.head(c)[0] == 200, "C, whose last byte came 30 minutes ago, lives")

        # -- the pending cap (4): A and B are expired but not yet swept
        d = srv.create(len(env))
        st, h, _, _ = post(srv, len(env))
        check(st == 201, f"at the cap, expired uploads make room ({st})")
        e = h.get("location", "")
        f = srv.create(len(env))
        st, _, body, _ = post(srv, len(env))
        check(st == 503, f"with C, D, E, F pending and none old enough to evict: 503 ({st} {body[:80]!r})")
        clock.set("+72m")
        st, h, _, _ = post(srv, len(env))
        check(st == 201, f"a minute on, an upload that never sent a byte is evicted for a new one ({st})")
        g = h.get("location", "")
        gone = [x for x in (d, e, f) if srv.head(x)[0] == 404]
        check(len(gone) == 1, f"exactly one of the byteless uploads was evicted ({len(gone)})")
        check(srv.head(c)[0] == 200, "C, which has sent bytes, was not evicted")
        for x in (d, e, f, g):
            if x not in gone:
                check(srv.patch(x, 0, env[:100])[0] == 204, "the others receive bytes")
        clock.set("+75m")
        st, _, _, _ = post(srv, len(env))
        check(st == 503, f"uploads that have sent bytes are never evicted: 503 ({st})")

        # -- what the database keeps, and a restart
        check(srv.stop() == 0, "clean stop")
        db = sqlite3.connect(f"file:{data}/malyava.db?mode=ro", uri=True)
        try:
            cols = [r[1] for r in db.execute("PRAGMA table_info(uploads)")]
            days = {r[0] for r in db.execute("SELECT active_day FROM uploads")}
        finally:
            db.close()
        check(cols == ["id", "upload_length", "upload_offset", "reserved", "active_day"],
              f"the uploads table holds no expiry hour: {cols}")
        today = (int(time.time()) + 75 * 60) // 86400
        check(days <= {today, today - 1}, f"it keeps the day of the last byte: {days}, today {today}")
        srv = clock.server(data, *FLAGS)
        t1 = int(time.time()) + 75 * 60
        near(expires(srv, c), t1 + HOUR, "after a restart the clocks start again from it")
        check(srv.stop() == 0, "clean stop after the restart")
    finally:
        cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
