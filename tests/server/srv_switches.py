#!/usr/bin/env python3
"""The admin's safety switches work when pulled.

Promises of docs/DEPLOY.md and docs/man/malyava-dropbox.8:
- Reload: after a compromised key is removed (manifest_grace_days = 0,
  install-manifest, SIGHUP) the running server refuses envelopes sealed to
  the old key set at once, an upload begun before the reload included;
  install-manifest says what the grace does instead of "for 0 more days".
- No public listener by mistake: a non-loopback `listen` or
  `editors_listen` (flag or config) is a usage error (exit 2, saying why and
  how) unless allowed explicitly; init refuses it too.
- One server per data directory: a second `serve` on it exits 1 with a
  clear message and leaves the first one serving; the lock is a 0600
  regular file, never followed through a symlink, released when the server
  ends however it ends; the admin commands run beside a server.
"""
import datetime
import os
import re
import signal
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srv_lib import (DROPBOX, Checks, Org, Server, cleanup, init_data_dir, run,  # noqa: E402
                     tmpdir, wait_until)

check = Checks()


def set_setting(data, key, value):
    path = os.path.join(data, "config")
    text = open(path).read()
    text, n = re.subn(rf"^{key} = .*$", f"{key} = {value}", text, flags=re.M)
    if n == 0:
        text += f"{key} = {value}\n"
    with open(path, "w") as f:
        f.write(text)


def day(offset):
    return (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=offset)).isoformat()


def reload_grace(root, org, data, m1):
    """Items of the reload: grace 7 then 0, with an upload in flight."""
    env_a, _ = org.seal(m1, os.path.join(root, "alice-1.env"), "sealed to alice alone")
    srv = Server(data).start()
    try:
        # A rotation that keeps alice: the default grace, told as a date.
        m2 = org.sign(["alice", "bob"])
        first = day(6)
        p = run(DROPBOX, "install-manifest", data, m2)
        check(re.search(r"accepted through (\S+) \(manifest_grace_days = 7\)", p.stdout) is not None and
              (first in p.stdout or day(6) in p.stdout), f"install-manifest names the grace's last day: {p.stdout!r}")
        srv.proc.send_signal(signal.SIGHUP)
        check(wait_until(lambda: srv.request("GET", "/manifest")[2] == open(m2, "rb").read()), "SIGHUP serves m2")
        env_b, rc_b = org.seal(m2, os.path.join(root, "both.env"), "sealed to alice and bob")

        # An upload sealed to m2 (alice and bob) is begun: its header passes.
        loc = srv.create(len(env_b))
        half = len(env_b) // 2
        st, _, _, _ = srv.patch(loc, 0, env_b[:half])
        check(st == 204, f"the first half of an upload sealed to alice and bob is taken ({st})")

        # alice's key is compromised: grace 0, a manifest without her, reload.
        set_setting(data, "manifest_grace_days", "0")
        m3 = org.sign(["bob"])
        p = run(DROPBOX, "install-manifest", data, m3)
        check("0 more days" not in p.stdout and "refused from the reload on" in p.stdout and
              "manifest_grace_days = 0" in p.stdout, f"install-manifest says what grace 0 means: {p.stdout!r}")
        srv.proc.send_signal(signal.SIGHUP)
        check(wait_until(lambda: srv.request("GET", "/manifest")[2] == open(m3, "rb").read()), "SIGHUP serves m3")
        check(wait_until(lambda: "manifest_grace_days 0" in open(srv.log).read()), "the log names the new grace")

        st, _, body, _ = srv.patch(loc, half, env_b[half:])
        check(st == 422 and b"retired" in body,
              f"the upload begun before the reload is refused when it completes ({st} {body!r})")
        for what, env in (("alice alone (m1)", env_a), ("alice and bob (m2)", env_b)):
            loc = srv.create(len(env))
            st, _, body, _ = srv.patch(loc, 0, env)
            check(st == 422 and b"retired" in body, f"sealed to {what}: refused right after the reload ({st})")
        env_c, rc_c = org.seal(m3, os.path.join(root, "bob.env"), "sealed to bob")
        check(srv.upload(env_c)[1] == rc_c, "sealed to the new manifest: accepted")
    finally:
        check(srv.stop() == 0, "the server stops cleanly")
    set_setting(data, "manifest_grace_days", "7")


def no_public_listener(root, org, m1, data):
    checks = (
        (("--listen", "0.0.0.0:8080"), "allow-public-listen"),
        (("--listen", "[::]:8080"), "allow-public-listen"),
        (("--listen", "192.0.2.1:8080"), "allow-public-listen"),
        (("--editors-listen", "0.0.0.0:8081"), "allow-public-editors-listen"),
        (("--editors-listen", "[::]:8081"), "allow-public-editors-listen"),
    )
    refused = True
    for flags, allow in checks:
        p = run(DROPBOX, "serve", data, "--check-config", *flags, ok=None)
        ok = p.returncode == 2 and "not a loopback address" in p.stderr and f"--{allow}" in p.stderr
        refused &= ok
        check(ok, f"serve --check-config {' '.join(flags)}: exit 2 saying why and how ({p.returncode} {p.stderr!r})")
        p = run(DROPBOX, "serve", data, "--check-config", *flags, f"--{allow}", ok=None)
        check(p.returncode == 0, f"{' '.join(flags)} --{allow}: allowed when asked explicitly ({p.stderr!r})")
    for flags in (("--listen", "127.0.0.2:8080"), ("--listen", "[::1]:8080"), ("--editors-listen", "127.0.0.1:9"),
                  ("--editors-listen", "off")):
        p = run(DROPBOX, "serve", data, "--check-config", *flags, ok=None)
        check(p.returncode == 0, f"loopback {' '.join(flags)} is fine ({p.stderr!r})")
    p = run(DROPBOX, "serve", data, "--check-config", "--listen", "0.0.0.0:8080", "--allow-public-editors-listen",
            ok=None)
    check(p.returncode == 2, "allowing the editors' listener does not allow the public one")
    p = run(DROPBOX, "serve", data, "--check-config", "--editors-listen", "127.0.0.1:8080", ok=None)
    check(p.returncode == 2 and "port of their own" in p.stderr,
          f"the editors' listener on the public one's address is refused ({p.stderr!r})")
    # The config file, not only the flags.
    set_setting(data, "listen", "0.0.0.0:8080")
    p = run(DROPBOX, "serve", data, "--check-config", ok=None)
    check(p.returncode == 2 and "listen = 0.0.0.0:8080" in p.stderr, f"listen in the config: refused ({p.stderr!r})")
    set_setting(data, "allow_public_listen", "1")
    check(run(DROPBOX, "serve", data, "--check-config", ok=None).returncode == 0, "allow_public_listen = 1 in the config")
    p = run(DROPBOX, "serve", data, "--check-config", "--allow-public-listen=0", ok=None)
    check(p.returncode == 2, "--allow-public-listen=0 takes it back for one run")
    set_setting(data, "allow_public_listen", "0")
    set_setting(data, "listen", "127.0.0.1:8080")
    # The real start refuses before it binds anything (only tried once the
    # check above refused: a server that did not would listen publicly).
    if refused:
        p = subprocess.run([DROPBOX, "serve", data, "--listen", "0.0.0.0:0"], capture_output=True, text=True,
                           timeout=30)
        check(p.returncode == 2 and p.stdout == "", f"serve --listen 0.0.0.0:0: exit 2, never listening ({p.stdout!r})")
    other = os.path.join(root, "public-init")
    p = run(DROPBOX, "init", other, "--org-key", org.org_pub, "--manifest", m1, "--listen", "0.0.0.0:8080", ok=None)
    check(p.returncode == 2 and not os.path.exists(other), f"init refuses a public listen ({p.returncode})")


def one_server(root, data, m1):
    srv = Server(data).start()
    try:
        lock = os.path.join(data, "lock")
        st = os.lstat(lock) if os.path.lexists(lock) else None
        check(st is not None and stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600,
              "DATA_DIR/lock is a 0600 file")
        env_loc = srv.create(1000)
        second = subprocess.Popen([DROPBOX, "serve", data, "--listen", "127.0.0.1:0", "--editors-listen", "off"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = second.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            second.kill()
            out, err = second.communicate()
        check(second.returncode == 1 and "already running" in err and "lock" in err and out == "",
              f"a second serve on the same data directory exits 1 saying why ({second.returncode} {err!r})")
        check(srv.head(env_loc)[0] == 200, "the first server still serves, its pending upload intact")
        for args in (("stats", data), ("export", data, "-o", os.path.join(root, "beside.bundle")),
                     ("serve", data, "--check-config")):
            p = run(DROPBOX, *args, ok=None)
            check(p.returncode == 0, f"{args[0]} runs beside a server ({p.stderr!r})")
    finally:
        check(srv.stop() == 0, "the first server stops cleanly")
    srv = Server(data).start()
    srv.proc.kill()
    srv.proc.wait()
    srv.proc.stdout.close()
    srv = Server(data).start()
    check(srv.port is not None, "after a stop and a kill -9 the lock is free again")
    check(srv.stop() == 0, "and that server stops cleanly")
    # Never through a symlink.
    target = os.path.join(root, "lock-target")
    if os.path.lexists(os.path.join(data, "lock")):
        os.unlink(os.path.join(data, "lock"))
    os.symlink(target, os.path.join(data, "lock"))
    p = subprocess.run([DROPBOX, "serve", data, "--listen", "127.0.0.1:0", "--editors-listen", "off"],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 1 and not os.path.exists(target) and p.stdout == "",
          f"a symlinked lock file is refused, its target not created ({p.returncode} {p.stderr!r})")
    os.unlink(os.path.join(data, "lock"))


def main():
    root = tmpdir("srv-switches")
    org = Org(root, ("alice", "bob"))
    m1 = org.sign(["alice"])
    data, _ = init_data_dir(root, org, m1)
    reload_grace(root, org, data, m1)
    no_public_listener(root, org, m1, data)
    one_server(root, data, m1)
    cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
