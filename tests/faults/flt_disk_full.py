#!/usr/bin/env python3
"""The disk fills up during an upload.

On a small tmpfs data volume (or, where mounting is not allowed, with
tests/faults/flt_enospc.c preloaded so every file write fails with
ENOSPC while a flag file exists — that variant runs every time): a
PATCH that cannot be stored is answered 507, nothing acknowledged is
touched, read-only routes keep working, and once space is freed the
interrupted upload resumes from its committed offset to the right
receipt and new uploads are accepted.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flt_lib import envelopes, files_match_rows, intact  # noqa: E402
from srv_lib import Checks, Org, Server, cleanup, init_data_dir, tmpdir  # noqa: E402

check = Checks()
FIRST = 512 * 1024


def scenario(root, org, manifest, envs, fill, free, what, env=None):
    data, _ = init_data_dir(root, org, manifest)
    srv = Server(data, "--min-free-bytes", "0")
    if env:
        os.environ.update(env)
    try:
        srv.start()
    finally:
        for k in env or {}:
            del os.environ[k]
    a, b, c = envs
    loc_a, rc_a = srv.upload(a[0], pieces=2)
    check(rc_a == a[1], f"{what}: first submission received")
    acked = {loc_a.rsplit("/", 1)[1]: rc_a}

    loc_b = srv.create(len(b[0]))
    st, h, _, _ = srv.patch(loc_b, 0, b[0][:FIRST])
    check(st == 204 and h.get("upload-offset") == str(FIRST), f"{what}: first part of the big upload stored")

    fill()
    st, h, body, _ = srv.patch(loc_b, FIRST, b[0][FIRST:])
    check(st == 507, f"{what}: a PATCH on a full disk is answered 507 ({st} {body[:120]!r})")
    check(b"full" in body, f"{what}: the 507 says the disk is full: {body[:120]!r}")
    st, h, _, _ = srv.head(loc_b)
    check(st == 200 and int(h.get("upload-offset", "-1")) >= FIRST, f"{what}: HEAD still answers on a full disk")
    st, _, _, _ = srv.request("GET", "/manifest")
    check(st == 200, f"{what}: GET /manifest still answers on a full disk ({st})")
    st, _, body, _ = srv.request("POST", "/api/v1/uploads", {"Tus-Resumable": "1.0.0",
                                                            "Upload-Length": str(len(c[0])), **srv.pow(len(c[0]))})
    check(st in (500, 507), f"{what}: no new upload is created on a full disk ({st} {body[:100]!r})")
    check(srv.proc.poll() is None, f"{what}: the server is still running")
    intact(check, data, acked, f"{what}, disk full")

    free()
    st, h, _, _ = srv.head(loc_b)
    off = int(h.get("upload-offset", "-1"))
    check(st == 200 and FIRST <= off < len(b[0]), f"{what}: after freeing space HEAD reports offset {off}")
    st, h, body, _ = srv.patch(loc_b, off, b[0][off:])
    check(st == 204 and h.get("malyava-receipt") == b[1],
          f"{what}: the interrupted upload resumes to its receipt ({st} {body[:100]!r})")
    acked[loc_b.rsplit("/", 1)[1]] = b[1]
    loc_c, rc_c = srv.upload(c[0])
    check(rc_c == c[1], f"{what}: a new upload is received after space was freed")
    acked[loc_c.rsplit("/", 1)[1]] = rc_c
    check(srv.stop() == 0, f"{what}: clean stop")
    srv = Server(data, "--min-free-bytes", "0").start()
    intact(check, data, acked, f"{what}, after a restart")
    files_match_rows(check, data, f"{what}, after a restart")
    check(srv.stop() == 0, f"{what}: clean stop after the restart")


def filler(vol):
    path = os.path.join(vol, "filler")

    def fill():
        with open(path, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass

    def free():
        os.unlink(path)
    return fill, free


def main():
    root = tmpdir("flt-disk")
    mounted = None
    try:
        org = Org(root)
        m1 = org.sign(["alice"])
        envs = envelopes(org, m1, root, [60_000, 3_000_000, 200_000])

        vol = os.path.join(root, "vol")
        os.mkdir(vol)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", vol],
                           capture_output=True, text=True)
        if p.returncode == 0:
            mounted = vol
            fill, free = filler(vol)
            scenario(vol, org, m1, envs, fill, free, "tmpfs of 8 MiB")
        else:
            print(f"cannot mount a tmpfs ({p.stderr.strip()}); the preloaded ENOSPC shim stands in",
                  file=sys.stderr)

        shim = os.environ["FLT_ENOSPC_SHIM"]
        flag = os.path.join(root, "disk-is-full")
        shim_root = os.path.join(root, "shim")
        os.mkdir(shim_root)
        scenario(shim_root, org, m1, envs, lambda: open(flag, "w").close(), lambda: os.unlink(flag),
                 "ENOSPC shim", env={"LD_PRELOAD": shim, "MLV_FAULT_FULL_FLAG": flag,
                                     "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") +
                                     ":verify_asan_link_order=0"})
    finally:
        if mounted:
            subprocess.run(["umount", "-l", mounted])
        cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
