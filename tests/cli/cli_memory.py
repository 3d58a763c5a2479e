#!/usr/bin/env python3
"""Sealing and opening 1 GiB keeps memory flat.

Peak resident memory of `malyava seal` on a 1 GiB file must stay under
MALYAVA_RSS_LIMIT_MIB (16 MiB in a normal build; the sanitizer build's
shadow memory needs a larger constant, but a leak or a whole-file buffer
would still blow through it by two orders of magnitude).

`malyava open` first unlocks the editor key with Argon2id, which by design
takes its memory limit (64 MiB for the "interactive" keys used here, 1 GiB
for the default "sensitive" ones) and frees it before the envelope is read.
So for open the claim is measured as growth: opening the 1 GiB envelope
may peak at most MALYAVA_RSS_LIMIT_MIB above opening a one-line envelope
with the same key, and the streaming itself stays under the same bound.
"""
import os
import subprocess
import sys
import tempfile

MALYAVA = os.environ["MALYAVA"]
KEYS = os.environ["MALYAVA_KEYS"]
LIMIT_MIB = int(os.environ.get("MALYAVA_RSS_LIMIT_MIB", "16"))
SIZE = 1 << 30


def streaming_rss_mib(args, settle=1.5):
    """Runs args, sampling VmRSS every 20 ms; returns (exit code, the largest
    sample taken after `settle` seconds, when the key is long unlocked)."""
    import time
    pid = os.spawnv(os.P_NOWAIT, args[0], args)
    start, peak = time.monotonic(), 0.0
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), peak
        if time.monotonic() - start > settle:
            try:
                for line in open(f"/proc/{pid}/status"):
                    if line.startswith("VmRSS:"):
                        peak = max(peak, int(line.split()[1]) / 1024.0)
            except OSError:
                pass
        time.sleep(0.02)


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
    small = f"{tmp}/small.env"
    failures = 0
    seal = [MALYAVA, "seal", "--manifest", f"{org}/manifest", "--org-key", f"{org}/org.pub"]
    code, seal_mib = peak_rss_mib(seal + ["--message", "one gigabyte", big, "-o", env])
    os.unlink(big)
    code_small, _ = peak_rss_mib(seal + ["--message", "one line", "-o", small])
    opener = [MALYAVA, "open", "--key", f"{org}/editors/alice.key", "--passphrase-file", passfile]
    _, open_small_mib = peak_rss_mib(opener + [small, "-o", f"{tmp}/out-small"])
    code2, open_mib = peak_rss_mib(opener + [env, "-o", f"{tmp}/out"])
    size_ok = os.path.getsize(f"{tmp}/out/files/video.mp4") == SIZE if code2 == 0 else False
    growth = open_mib - open_small_mib
    code3, stream_mib = streaming_rss_mib(opener + [env, "-o", f"{tmp}/out-again"])
    print(f"open 1 GiB while streaming (sampled after the key is unlocked): {stream_mib:.1f} MiB", file=sys.stderr)
    print(f"seal 1 GiB: peak RSS {seal_mib:.1f} MiB; open 1 GiB: peak RSS {open_mib:.1f} MiB, "
          f"{growth:+.1f} MiB over opening a one-line envelope ({open_small_mib:.1f} MiB, mostly Argon2id); "
          f"limit {LIMIT_MIB} MiB", file=sys.stderr)
    for what, ok in (("seal succeeds", code == 0 and code_small == 0), ("open succeeds", code2 == 0),
                     ("output is 1 GiB", size_ok),
                     ("seal stays under the limit", seal_mib < LIMIT_MIB),
                     ("open of 1 GiB grows less than the limit", growth < LIMIT_MIB),
                     ("open streams under the limit", code3 == 0 and 0 < stream_mib < LIMIT_MIB)):
        if not ok:
            failures += 1
            print(f"FAIL: {what}", file=sys.stderr)
    subprocess.run(["rm", "-rf", tmp])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
