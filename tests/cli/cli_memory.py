#!/usr/bin/env python3
"""Sealing and opening 1 GiB keeps memory flat.

Peak resident memory of `malyava seal` and `malyava open` on a 1 GiB file
must stay under MALYAVA_RSS_LIMIT_MIB (16 MiB in a normal build; the
sanitizer build's shadow memory needs a larger constant, but a leak or a
whole-file buffer would still blow through it by two orders of magnitude).
"""
import os
import subprocess
import sys
import tempfile

MALYAVA = os.environ["MALYAVA"]
KEYS = os.environ["MALYAVA_KEYS"]
LIMIT_MIB = int(os.environ.get("MALYAVA_RSS_LIMIT_MIB", "16"))
SIZE = 1 << 30


def peak_rss_mib(args):
    """Runs args and returns (exit code, peak RSS in MiB) of that child alone."""
    pid = os.spawnv(os.P_NOWAIT, args[0], args)
    _, status, usage = os.wait4(pid, 0)
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024.0


def main():
    tmp = tempfile.mkdtemp(prefix="malyava-mem-", dir=os.environ.get("MALYAVA_BIG_TMP"))
    org = f"{tmp}/org"
    passfile = f"{tmp}/pass"
    with open(passfile, "w") as f:
        f.write("correct horse battery staple\n")
    for args in (["init"], ["editor", "new", "alice"]):
        subprocess.run([KEYS, "--dir", org, *args, "--kdf", "interactive", "--passphrase-file", passfile], check=True,
                       capture_output=True)
    subprocess.run([KEYS, "--dir", org, "manifest", "sign", "--add", f"{org}/editors/alice.pub",
                    "--passphrase-file", passfile], check=True, capture_output=True)
    big = f"{tmp}/video.mp4"
    with open(big, "wb") as f:
        block = os.urandom(1 << 20)
        for _ in range(SIZE >> 20):
            f.write(block)
    env = f"{tmp}/big.env"
    failures = 0
    code, seal_mib = peak_rss_mib([MALYAVA, "seal", "--manifest", f"{org}/manifest", "--org-key", f"{org}/org.pub",
                                   "--message", "one gigabyte", big, "-o", env])
    os.unlink(big)
    code2, open_mib = peak_rss_mib([MALYAVA, "open", "--key", f"{org}/editors/alice.key", "--passphrase-file",
                                    passfile, env, "-o", f"{tmp}/out"])
    size_ok = os.path.getsize(f"{tmp}/out/files/video.mp4") == SIZE if code2 == 0 else False
    print(f"seal 1 GiB: exit {code}, peak RSS {seal_mib:.1f} MiB; open: exit {code2}, peak RSS {open_mib:.1f} MiB; "
          f"limit {LIMIT_MIB} MiB", file=sys.stderr)
    for what, ok in (("seal succeeds", code == 0), ("open succeeds", code2 == 0), ("output is 1 GiB", size_ok),
                     ("seal stays under the limit", seal_mib < LIMIT_MIB),
                     ("open stays under the limit", open_mib < LIMIT_MIB)):
        if not ok:
            failures += 1
            print(f"FAIL: {what}", file=sys.stderr)
    subprocess.run(["rm", "-rf", tmp])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
