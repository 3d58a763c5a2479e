#!/usr/bin/env python3
"""The clock jumps, forwards and back, under a running server.

libfaketime (Debian package faketime) shifts the server's wall clock while
it runs, read from a file the test rewrites; monotonic time is left alone,
as the kernel leaves it. Checked: an upload idle past upload_expiry_hours
is gone (HEAD 404, PATCH 410) and removed at the next start, the rest untouched; a jump
back deletes nothing, and a start then refuses the manifest "issued
later than today" with a message about the date; retention deletes exactly what is older than
retention_days by the clock; past the manifest's expiry uploads are
refused with 503 and accepted again when the clock comes back; nothing
acknowledged and not yet due is ever lost.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flt_lib import envelopes, files_match_rows, intact, pending, received  # noqa: E402
from srv_lib import Checks, Org, Server, cleanup, init_data_dir, tmpdir  # noqa: E402

check = Checks()
LIBS = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1", "/usr/lib/faketime/libfaketimeMT.so.1"]
FLAGS = ("--upload-expiry-hours", "1", "--retention-days", "30")


class Clock:
    def __init__(self, root):
        self.file = os.path.join(root, "faketime")
        self.set("+0")
        lib = next((p for p in LIBS if os.path.exists(p)), None)
        if lib is None:
            raise RuntimeError("libfaketime is missing: install the Debian package faketime (scripts/deps does)")
        self.env = {"LD_PRELOAD": lib, "FAKETIME_TIMESTAMP_FILE": self.file, "FAKETIME_NO_CACHE": "1",
                    "DONT_FAKE_MONOTONIC": "1",
                    "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}

    def set(self, offset):
        with open(self.file + ".new", "w") as f:
            f.write(offset + "\n")
        os.rename(self.file + ".new", self.file)

    def server(self, data, *flags):
        saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)
        try:
            return Server(data, *(flags or FLAGS)).start()
        finally:
            for k, v in saved.items():
                if v is None:
                    del os.environ[k]
                else:
                    os.environ[k] = v


def sid(loc):
    return loc.rsplit("/", 1)[1]


def receive(srv, env, acked, what):
    """Uploads one envelope, checks its receipt and records it as acknowledged."""
    loc, rc = srv.upload(env[0])
    check(rc == env[1], what)
    acked[sid(loc)] = rc


def main():
    root = tmpdir("flt-clock")
    try:
        org = Org(root)
        m1 = org.sign(["alice"])  # valid 90 days from today
        envs = envelopes(org, m1, root, [40_000, 300_000, 30_000, 20_000, 25_000])
        data, _ = init_data_dir(root, org, m1)
        clock = Clock(root)
        srv = clock.server(data)
        acked = {}
        receive(srv, envs[0], acked, "a submission is received")
        loc_b = srv.create(len(envs[1][0]))
        st, _, _, _ = srv.patch(loc_b, 0, envs[1][0][:65536])
        check(st == 204, "an upload is under way")

        # -- forward past the upload's expiry
        clock.set("+2h")
        st, _, _, _ = srv.head(loc_b)
        check(st == 404, f"2 hours later the idle upload is gone for HEAD: 404 ({st})")
        st, _, _, _ = srv.patch(loc_b, 65536, envs[1][0][65536:131072])
        check(st == 410, f"and PATCH is told it expired: 410 ({st})")
        receive(srv, envs[2], acked, "after the jump new uploads are received")
        check(srv.stop() == 0, "clean stop")
        srv = clock.server(data)
        check(sid(loc_b) not in pending(data), "the start after the jump removed the expired upload's row")
        files_match_rows(check, data, "after the forward jump")
        intact(check, data, acked, "after the forward jump")

        # -- back by more than a year: nothing goes
        clock.set("-400d")
        receive(srv, envs[3], acked, "uploads work after a jump back")
        check(srv.stop() == 0, "clean stop")
        try:
            clock.server(data).stop()
            refused = ""
        except RuntimeError as e:
            refused = str(e)
        check("Check this computer's date" in refused,
              f"a start 400 days back refuses the not-yet-issued manifest and says why: {refused[-200:]!r}")
        check(set(received(data)) == set(acked), "a start 400 days back deleted nothing")
        intact(check, data, acked, "after the jump back")

        # -- forward past retention (30 days) but within the manifest (90)
        clock.set("+60d")
        srv = clock.server(data)
        rows = received(data)
        check(not rows, f"retention at +60 days deleted everything received earlier ({len(rows)} left)")
        files_match_rows(check, data, "after retention")
        acked = {}
        receive(srv, envs[4], acked, "an upload on the new day is received")

        # -- past the manifest's expiry, and back
        clock.set("+100d")
        st, _, body, _ = srv.request("POST", "/api/v1/uploads", {"Tus-Resumable": "1.0.0",
                                                                "Upload-Length": str(len(envs[0][0])), **srv.pow()})
        check(st == 503, f"past the manifest's expiry uploads are refused with 503 ({st} {body[:80]!r})")
        intact(check, data, acked, "past the manifest's expiry")
        clock.set("+60d")
        receive(srv, envs[0], acked, "back within the manifest, uploads are received again")
        check(srv.stop() == 0, "clean stop")
        srv = clock.server(data)
        intact(check, data, acked, "at the end")
        files_match_rows(check, data, "at the end")
        check(srv.stop() == 0, "clean stop at the end")
    finally:
        cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
