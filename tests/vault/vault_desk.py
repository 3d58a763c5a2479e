#!/usr/bin/env python3
"""The desk and the command line share one unlock.

Every Argon2id key derivation is counted (kdfcount.c, preloaded into
`malyava`): ten triage and reading commands cost ten unlocks without a
desk, and exactly one — the desk's own — while a desk is open. The verbs
run by the desk behave as if run here: the caller's working directory,
streams and exit status; another vault or another key runs here instead.
The socket is the user's alone; a second `malyava desk` only hands out a
new address; a dead desk's socket is replaced; a locked desk sends the
command line back to its own passphrase; --exit-on-lock ends the process.
"""
import os
import re
import select
import signal
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vault_lib import MALYAVA, run  # noqa: E402
from srv_lib import DROPBOX, Checks, Org, Server, cleanup, init_data_dir, tmpdir  # noqa: E402

check = Checks()
KDFCOUNT = sys.argv[1]


class Session:
    def __init__(self, root, vault, passfile):
        self.root = root
        self.vault = vault
        self.passfile = passfile
        self.count = os.path.join(root, "kdf-count")
        self.runtime = os.path.join(root, "run")
        os.makedirs(self.runtime, mode=0o700, exist_ok=True)
        self.env = dict(os.environ, XDG_RUNTIME_DIR=self.runtime, MALYAVA_VAULT=vault, LD_PRELOAD=KDFCOUNT,
                        MLV_KDF_COUNT_FILE=self.count,
                        ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0")
        self.desk = None

    def derivations(self):
        try:
            with open(self.count) as f:
                return len(f.read().splitlines())
        except FileNotFoundError:
            return 0

    def reset(self):
        if os.path.exists(self.count):
            os.unlink(self.count)

    def cli(self, *args, cwd=None):
        p = subprocess.run([MALYAVA, *args], env=self.env, cwd=cwd or self.root, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=120, start_new_session=True)
        if "Sanitizer" in p.stderr or "runtime error:" in p.stderr:
            raise RuntimeError(f"malyava {args} under the sanitizers:\n{p.stderr}")
        return p

    def start_desk(self, *extra, vault=None):
        # Named relative to where the desk starts; the commands name it from elsewhere.
        p = subprocess.Popen([MALYAVA, "desk", "--vault", os.path.relpath(vault or self.vault, self.root),
                              "--passphrase-file", self.passfile, "--no-browser", *extra], env=self.env,
                             cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        out = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not re.search(r"/open\?k=[0-9a-f]{64}", out):
            ready, _, _ = select.select([p.stdout], [], [], 1)
            if ready:
                piece = os.read(p.stdout.fileno(), 4096).decode()
                if not piece:
                    break
                out += piece
        if not re.search(r"/open\?k=[0-9a-f]{64}", out):
            p.kill()
            raise RuntimeError(f"desk did not start: {out} {p.stderr.read().decode()}")
        p.address = re.search(r"http://127\.0\.0\.1:\d+/open\?k=[0-9a-f]{64}", out).group(0)
        return p

    def stop(self, p, sig=signal.SIGTERM):
        p.send_signal(sig)
        p.wait(30)
        err = p.stderr.read().decode()
        p.stdout.close()
        p.stderr.close()
        if "Sanitizer" in err or "runtime error:" in err:
            raise RuntimeError(f"the desk's sanitizers reported:\n{err}")
        return err


def ten(s, extra=()):
    """A triage session: ten commands, as an editor's script runs them."""
    work = os.path.join(s.root, "work")
    os.makedirs(work, exist_ok=True)
    out = os.path.join(work, f"out-{time.monotonic_ns()}")
    cmds = [
        ("list",), ("search", "testimony"), ("show", "1"), ("status", "1-2", "in-review"), ("tag", "2,3", "beatings"),
        ("note", "1", "call the lawyer"), ("assign", "3", "dmitri"), ("history", "1"),
        ("report", "--svg", os.path.relpath(out + ".svg", work)), ("extract", "1", "-o", os.path.relpath(out, work)),
    ]
    results = [s.cli(*c, *extra, cwd=work) for c in cmds]
    return results, out


def main():
    root = tmpdir("vault-desk")
    org = Org(root, ("alice", "bob"))
    manifest = org.sign(["alice", "bob"])
    data, _ = init_data_dir(root, org, manifest)
    srv = Server(data).start()
    try:
        for i in range(4):
            env, _ = org.seal(manifest, os.path.join(root, f"e{i}"), f"testimony {i} from cell {i}")
            srv.upload(env)
    finally:
        srv.stop()
    bundle = os.path.join(root, "export.bundle")
    run(DROPBOX, "export", data, "-o", bundle)
    vault = os.path.join(root, "vault")
    run(MALYAVA, "init", vault)
    for name in ("alice", "bob"):
        run(MALYAVA, "key", "add", "--vault", vault, "--passphrase-file", org.passfile,
            os.path.join(org.dir, "editors", f"{name}.key"))
    run(MALYAVA, "import", "--vault", vault, "--passphrase-file", org.passfile, bundle)
    s = Session(root, vault, org.passfile)

    # -- without a desk: one derivation per command, so the counter counts
    s.reset()
    results, _ = ten(s, ("--passphrase-file", org.passfile))
    check(all(r.returncode == 0 for r in results), f"ten commands run: {[r.stderr for r in results if r.returncode]}")
    check(s.derivations() == 10, f"without a desk, ten commands cost ten unlocks: {s.derivations()}")

    # -- with a desk: its own unlock, then none
    s.reset()
    desk = s.start_desk()
    try:
        check(s.derivations() == 1, f"the desk unlocks once: {s.derivations()}")
        results, out = ten(s)
        check(all(r.returncode == 0 for r in results), f"ten commands run through the desk without a passphrase: "
              f"{[r.stderr for r in results if r.returncode]}")
        check(s.derivations() == 1, f"a ten-command session with the desk open costs exactly one unlock: {s.derivations()}")
        results, _ = ten(s, ("--passphrase-file", org.passfile))
        check(s.derivations() == 1, f"scripts that pass --passphrase-file use the desk too: {s.derivations()}")
        hist = s.cli("history", "1").stdout
        check("in-review" in hist and "call the lawyer" in hist and "alice" in hist,
              f"the changes are the desk's key's, in the history: {hist!r}")
        check(os.path.exists(os.path.join(out, "message.txt")) and os.path.exists(out + ".svg"),
              "extract and report --svg write relative to the caller's directory")
        r = s.cli("show", "99")
        check(r.returncode == 2 and "no testimony 99" in r.stderr and r.stdout == "",
              f"a failure comes back with its status and message: {r.returncode} {r.stderr!r}")
        r = s.cli("status", "1", "bogus")
        check(r.returncode == 2 and "not a status" in r.stderr, f"a usage error is status 2: {r.returncode} {r.stderr!r}")

        # The socket is this user's alone.
        sock_dir = os.path.join(s.runtime, "malyava")
        st_dir, st_sock = os.stat(sock_dir), os.stat(os.path.join(sock_dir, "desk.sock"))
        check(stat.S_IMODE(st_dir.st_mode) == 0o700 and stat.S_IMODE(st_sock.st_mode) == 0o600 and
              st_sock.st_uid == os.getuid() and stat.S_ISSOCK(st_sock.st_mode), "the socket is 0600 in a 0700 directory")

        # Another vault, or another key, is not the desk's: the command runs here.
        other = os.path.join(root, "other.vault")
        run(MALYAVA, "init", other)
        run(MALYAVA, "key", "add", "--vault", other, "--passphrase-file", org.passfile,
            os.path.join(org.dir, "editors", "alice.key"))
        s.reset()
        r = s.cli("list", "--vault", other, "--passphrase-file", org.passfile)
        check(r.returncode == 0 and r.stdout.rstrip().endswith("0 of 0 testimonies") and s.derivations() == 1,
              f"a command on another vault runs here, with its own unlock: {r.stdout!r} {s.derivations()}")
        s.reset()
        r = s.cli("list", "--key", "bob", "--passphrase-file", org.passfile)
        check(r.returncode == 0 and s.derivations() == 1, "a command asking for another key runs here")

        # A second desk on this vault hands out a new address; on another vault, refuses.
        r = s.cli("desk", "--no-browser")
        check(r.returncode == 0 and re.search(r"already open.*\n\s+http://127\.0\.0\.1:\d+/open\?k=[0-9a-f]{64}", r.stdout)
              and desk.address not in r.stdout, f"a second desk gives a new address: {r.stdout!r}")
        r = s.cli("desk", "--no-browser", "--vault", other)
        check(r.returncode == 1 and "another vault" in r.stderr, f"a second desk on another vault refuses: {r.stderr!r}")
    finally:
        s.stop(desk)
    check(not os.path.exists(os.path.join(s.runtime, "malyava", "desk.sock")), "a closed desk removes its socket")
    s.reset()
    r = s.cli("list", "--passphrase-file", org.passfile)
    check(r.returncode == 0 and s.derivations() == 1, "with the desk closed, commands unlock by themselves")

    # A desk killed outright leaves its socket; the next one replaces it.
    desk = s.start_desk()
    s.stop(desk, signal.SIGKILL)
    check(os.path.exists(os.path.join(s.runtime, "malyava", "desk.sock")), "a killed desk leaves its socket behind")
    s.reset()
    r = s.cli("list", "--passphrase-file", org.passfile)
    check(r.returncode == 0 and s.derivations() == 1, "a dead desk's socket does not stop the command line")
    desk = s.start_desk("--idle-minutes", "0.05")
    try:
        r = s.cli("list")
        check(r.returncode == 0, f"a new desk replaces the dead one's socket: {r.stderr!r}")
        time.sleep(4.5)
        s.reset()
        r = s.cli("list", "--passphrase-file", org.passfile)
        check(r.returncode == 0 and "desk is locked" in r.stderr and s.derivations() == 1,
              f"once the desk locked itself, the command line unlocks on its own: {r.stderr!r}")
    finally:
        err = s.stop(desk)
    check("desk locked" in err, f"the desk says it locked: {err!r}")

    # --exit-on-lock: the process ends when the session locks.
    desk = s.start_desk("--idle-minutes", "0.05", "--exit-on-lock")
    try:
        rc = desk.wait(30)
        check(rc == 0, f"--exit-on-lock ends the desk when it locks: {rc}")
    finally:
        if desk.poll() is None:
            s.stop(desk)
    check(not os.path.exists(os.path.join(s.runtime, "malyava", "desk.sock")), "and removes its socket")

    # A key removed by another process while a desk is open: the desk's own
    # key opens the re-keyed vault; a desk whose own key was removed locks.
    desk = s.start_desk()
    try:
        run(MALYAVA, "key", "remove", "--vault", vault, "--key", "alice", "--passphrase-file", org.passfile, "bob")
        s.reset()
        r = s.cli("list")
        check(r.returncode == 0 and r.stdout.rstrip().endswith("4 of 4 testimonies") and s.derivations() == 0,
              f"after another process removed bob, alice's desk goes on without a new unlock: {r.stdout!r} {r.stderr!r}")
        run(MALYAVA, "key", "add", "--vault", vault, "--key", "alice", "--passphrase-file", org.passfile,
            os.path.join(org.dir, "editors", "bob.key"))
        run(MALYAVA, "key", "remove", "--vault", vault, "--key", "bob", "--passphrase-file", org.passfile, "alice")
        s.reset()
        r = s.cli("list", "--passphrase-file", org.passfile)
        check(r.returncode == 0 and "desk is locked" in r.stderr and s.derivations() == 1,
              f"once alice's key is removed, her desk is locked and the command line unlocks with bob: {r.stderr!r}")
    finally:
        err = s.stop(desk)
    check("no longer in the vault" in err, f"the desk says its key was removed: {err!r}")
    cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
