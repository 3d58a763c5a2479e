#!/usr/bin/env python3
"""The programs' hardening, as a running process shows it.

- `serve` runs under its seccomp filter by default (/proc: Seccomp 2,
  NoNewPrivs 1) and answers every kind of request under it (the whole
  server suite runs with it on too); `seccomp = 0` turns it off and
  `seccomp = 2` keeps it, reporting instead of refusing.
- A system call the filter forbids kills the process: socket(2) in
  `malyava-dropbox seccomp-selftest` ends in SIGSYS.
- Core dumps are off in all three programs (/proc/PID/limits shows a core
  size of 0, soft and hard), and passphrases and secret keys sit in
  locked memory (VmLck), checked while each runs.
- The server runs as an unprivileged user (nobody, when the test runs as
  root), with the data directory owned by that user.
"""
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "faults"))
from flt_lib import envelopes, intact, sanitized  # noqa: E402
from srv_lib import DROPBOX, KEYS, MALYAVA, Checks, Org, Server, cleanup, init_data_dir, tmpdir  # noqa: E402

check = Checks()


def status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def core_limit(pid):
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max core file size"):
                return line.split()[4:6]
    return None


def core_off_while_running(what, args):
    """Runs `args` and polls /proc/PID while it runs: its core size limit
    (0/0 once main has started) and its locked memory (the passphrase and
    secret keys live in sodium_malloc's locked pages)."""
    p = subprocess.Popen([str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen, locked = None, 0
    while p.poll() is None:
        try:
            if seen != ["0", "0"]:
                seen = core_limit(p.pid)
            locked = max(locked, int(status(p.pid).get("VmLck", "0 kB").split()[0]))
        except (OSError, ValueError):
            break
        time.sleep(0.002)
    out, err = p.communicate(timeout=120)
    check(seen == ["0", "0"], f"{what}: core dumps off while it runs ({seen})")
    # AddressSanitizer turns mlock into a no-op.
    check(locked > 0 or sanitized(args[0]), f"{what}: its secrets are in locked memory (VmLck {locked} kB)")
    return p.returncode, err


def main():
    root = tmpdir("hd")
    try:
        org = Org(root)
        m1 = org.sign(["alice"])
        envs = envelopes(org, m1, root, [40_000, 30_000])
        data, _ = init_data_dir(root, org, m1)

        # -- the filter kills what it forbids
        p = subprocess.run([DROPBOX, "seccomp-selftest"], capture_output=True, text=True)
        check(p.returncode == -signal.SIGSYS, f"socket(2) under the filter ends in SIGSYS (exit {p.returncode})")
        check("filter on" in p.stdout, "the self-test got as far as the forbidden call")

        # -- serve: on by default, every route still answers
        srv = Server(data).start()
        st = status(srv.proc.pid)
        check(st.get("Seccomp") == "2" and st.get("NoNewPrivs") == "1",
              f"serve runs under a seccomp filter with no_new_privs ({st.get('Seccomp')}, {st.get('NoNewPrivs')})")
        check(core_limit(srv.proc.pid) == ["0", "0"], "serve: core dumps off")
        loc, rc = srv.upload(envs[0][0], pieces=3)
        check(rc == envs[0][1], "an upload is received under the filter")
        for path in ("/", "/submit", "/manifest", "/manifest.minisig", "/api/v1/pow"):
            check(srv.request("GET", path)[0] == 200, f"GET {path} answers 200 under the filter")
        check(srv.proc.poll() is None and srv.stop() == 0, "the server stops cleanly under the filter")
        log = open(srv.log).read()
        check("seccomp refused" not in log, "nothing was refused")

        for mode, want in (("0", "0"), ("2", "2")):
            srv = Server(data, "--seccomp", mode).start()
            check(status(srv.proc.pid).get("Seccomp") == want, f"seccomp = {mode}: /proc says Seccomp {want}")
            srv.upload(envs[1][0])
            check(srv.stop() == 0, f"seccomp = {mode}: clean stop")
        check("seccomp is off" in open(srv.log).read(), "seccomp = 0 is logged as a debugging setting")

        # -- core dumps off in the offline tools, seen while they run
        rc, err = core_off_while_running("malyava open", [MALYAVA, "open", "--key", os.path.join(
            org.dir, "editors", "alice.key"), "--passphrase-file", org.passfile, os.path.join(root, "env-0"),
            "-o", os.path.join(root, "opened")])
        check(rc == 0, f"malyava open opens the envelope ({err[-200:]!r})")
        rc, err = core_off_while_running("malyava-keys", [KEYS, "--dir", os.path.join(root, "org2"), "init",
                                                          "--kdf", "moderate", "--passphrase-file", org.passfile])
        check(rc == 0, f"malyava-keys init writes the key ({err[-200:]!r})")

        # -- unprivileged
        if os.geteuid() == 0 and shutil.which("setpriv"):
            subprocess.run(["chown", "-R", "65534:65534", data], check=True)
            os.chmod(root, 0o755)
            pre = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"]
            srv = Server(data)
            srv.prefix = pre
            srv.start()
            st = status(srv.proc.pid)
            check(st.get("Uid", "").split()[0] == "65534", f"the server runs as nobody ({st.get('Uid')})")
            check(st.get("CapEff") == "0000000000000000", f"with no capabilities ({st.get('CapEff')})")
            loc, rc = srv.upload(envs[1][0])
            check(rc == envs[1][1], "an upload is received by the unprivileged server")
            intact(check, data, {loc.rsplit("/", 1)[1]: rc}, "as nobody")
            check(srv.stop() == 0, "the unprivileged server stops cleanly")
        else:
            st = status(os.getpid())
            check(st.get("Uid", "").split()[0] != "0", "the tests themselves run unprivileged")
    finally:
        cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
