#!/usr/bin/env python3
"""malyava-keys end to end: the admin's whole routine, checked against the
stock minisign, plus every refusal the man page promises. The secret key
layout is re-checked here with Python's own BLAKE2b, independently of C.

Environment (set by tests/keys/meson.build): MALYAVA_KEYS, MALYAVA_VECTORS,
MINISIGN (optional: without it the minisign checks are skipped)."""
import hashlib
import os
import pty
import re
import select
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import termios
import time

KEYS = os.environ["MALYAVA_KEYS"]
VECTORS = os.environ["MALYAVA_VECTORS"]
MINISIGN = os.environ.get("MINISIGN")
PASS = "correct horse battery staple"

failures = 0
passes = 0


def check(cond, what):
    global failures, passes
    if cond:
        passes += 1
    else:
        failures += 1
        print(f"FAIL: {what}", file=sys.stderr)


def keys(*args, stdin=None):
    return subprocess.run([KEYS, *[str(a) for a in args]], capture_output=True, text=True, stdin=subprocess.DEVNULL)


def minisign(*args):
    return subprocess.run([MINISIGN, *args], capture_output=True, text=True)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def blake2b256(data):
    return hashlib.blake2b(data, digest_size=32).digest()


def check_secret_layout(path, kind):
    """docs/FORMAT.md §3, re-derived: header fields, id, checksum."""
    b = read(path)
    ops, mem = struct.unpack_from("<QQ", b, 9)
    pk = b[73:105]
    check(len(b) == 185 and b[:8] == b"MLVSEC\x01" + kind and b[8] == 2, f"{path}: header")
    check(1 <= ops <= 16 and 8192 <= mem <= 1 << 30, f"{path}: KDF costs within the caps")
    check(b[65:73] == blake2b256(pk)[:8], f"{path}: key id is BLAKE2b of the public key")
    check(b[153:] == blake2b256(b[:153]), f"{path}: checksum")
    return pk


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def key_id_of(pub_path):
    out = keys("show", pub_path).stdout
    return re.search(r"key id:\s+([0-9a-f]{16})", out).group(1)


def serial_of(stdout):
    m = re.search(r"^serial:\s+(\d+)$", stdout, re.M)
    return int(m.group(1)) if m else None


def routine(tmp, passfile):
    org = f"{tmp}/org"
    p = keys("--dir", org, "init", "--kdf", "interactive", "--passphrase-file", passfile)
    check(p.returncode == 0 and "fingerprint:" in p.stdout, f"init: {p.stderr}")
    check(mode(org) == 0o700, "the key directory is 0700")
    org_pk = check_secret_layout(f"{org}/org.key", b"O")
    pub = read(f"{org}/org.pub").decode()
    check(pub.startswith("untrusted comment: minisign public key ") and pub.endswith("\n"), "org.pub comment")

    for name in ("alice", "bob", "carol"):
        p = keys("--dir", org, "editor", "new", name, "--kdf", "interactive", "--passphrase-file", passfile)
        check(p.returncode == 0, f"editor new {name}: {p.stderr}")
        check_secret_layout(f"{org}/editors/{name}.key", b"E")

    p = keys("--dir", org, "manifest", "sign", "--add", f"{org}/editors/alice.pub", "--add",
             f"{org}/editors/bob.pub", "--passphrase-file", passfile)
    check(p.returncode == 0 and serial_of(p.stdout) == 1, f"first manifest sign: {p.stdout} {p.stderr}")
    check("alice" in p.stdout and "bob" in p.stdout, "sign names the keys it knows")
    manifest = read(f"{org}/manifest").decode()
    check("alice" not in manifest and "bob" not in manifest, "editor names stay out of the manifest")
    check(not os.path.exists(f"{org}/manifest.previous"), "no previous manifest the first time")

    p = keys("--dir", org, "manifest", "verify")
    check(p.returncode == 0 and serial_of(p.stdout) == 1, f"manifest verify: {p.stderr}")

    if MINISIGN:
        p = minisign("-Vm", f"{org}/manifest", "-x", f"{org}/manifest.minisig", "-p", f"{org}/org.pub")
        check(p.returncode == 0 and re.search(r"Trusted comment: malyava-manifest serial=1 expires=\d{4}-\d\d-\d\d",
                                              p.stdout), f"stock minisign verifies: {p.stdout} {p.stderr}")

    # One edited byte: both minisign and malyava-keys refuse.
    edited = f"{tmp}/edited"
    os.mkdir(edited)
    text = read(f"{org}/manifest")
    write(f"{edited}/manifest", text[:-2] + bytes([text[-2] ^ 1]) + text[-1:])
    shutil.copy(f"{org}/manifest.minisig", f"{edited}/manifest.minisig")
    if MINISIGN:
        p = minisign("-Vm", f"{edited}/manifest", "-x", f"{edited}/manifest.minisig", "-p", f"{org}/org.pub")
        check(p.returncode != 0, "minisign refuses an edited manifest")
    p = keys("--dir", org, "manifest", "verify", f"{edited}/manifest")
    check(p.returncode == 1 and "altered or forged" in p.stderr, f"manifest verify refuses an edit: {p.stderr}")
    # ... and the wrong organisation key is named as such.
    p = keys("--dir", org, "manifest", "verify", "--org-key", f"{VECTORS}/manifest-org.pub")
    check(p.returncode == 1 and "another key" in p.stderr, f"verify with another org key: {p.stderr}")
    p = keys("--dir", org, "manifest", "verify", "--org-key", f"{org}/editors/alice.pub")
    check(p.returncode == 1 and "organisation" in p.stderr, "an editor key is not an organisation key")

    # Rotation: serial 2 retires bob (by file), serial 3 retires alice (by id) and adds carol.
    first = read(f"{org}/manifest")
    first_sig = read(f"{org}/manifest.minisig")
    p = keys("--dir", org, "manifest", "sign", "--retire", f"{org}/editors/bob.pub", "--days", "30",
             "--passphrase-file", passfile)
    check(p.returncode == 0 and serial_of(p.stdout) == 2, f"second sign: {p.stderr}")
    check(read(f"{org}/manifest.previous") == first and read(f"{org}/manifest.previous.minisig") == first_sig,
          "the previous pair is kept")
    bob = key_id_of(f"{org}/editors/bob.pub")
    alice = key_id_of(f"{org}/editors/alice.pub")
    text = read(f"{org}/manifest").decode()
    check(bob not in text and alice in text and "serial 2\n" in text, "bob retired")
    p = keys("--dir", org, "manifest", "sign", "--retire", alice, "--add", f"{org}/editors/carol.pub",
             "--passphrase-file", passfile)
    check(p.returncode == 0 and serial_of(p.stdout) == 3, f"third sign: {p.stderr}")
    text = read(f"{org}/manifest").decode()
    check(alice not in text and key_id_of(f"{org}/editors/carol.pub") in text, "retire by key id, add carol")
    if MINISIGN:
        p = minisign("-Vm", f"{org}/manifest", "-x", f"{org}/manifest.minisig", "-p", f"{org}/org.pub")
        check(p.returncode == 0 and "serial=3" in p.stdout, "minisign verifies the rotated manifest")

    # Refusals that leave everything as it was.
    before = {f: read(f"{org}/{f}") for f in ("manifest", "manifest.minisig", "org.key", "org.pub")}
    p = keys("--dir", org, "manifest", "sign", "--retire", f"{org}/editors/carol.pub", "--passphrase-file", passfile)
    check(p.returncode == 1 and "without editor keys" in p.stderr, f"an empty manifest is refused: {p.stderr}")
    p = keys("--dir", org, "manifest", "sign", "--add", f"{org}/editors/carol.pub", "--passphrase-file", passfile)
    check(p.returncode == 1 and "already" in p.stderr, "adding a key twice is refused")
    p = keys("--dir", org, "manifest", "sign", "--retire", bob, "--passphrase-file", passfile)
    check(p.returncode == 1 and "not in the manifest" in p.stderr, "retiring an absent key is refused")
    p = keys("--dir", org, "init", "--kdf", "interactive", "--passphrase-file", passfile)
    check(p.returncode == 1 and "already exists" in p.stderr, "init never overwrites")
    p = keys("--dir", org, "editor", "new", "alice", "--kdf", "interactive", "--passphrase-file", passfile)
    check(p.returncode == 1 and "already exists" in p.stderr, "editor new never overwrites")
    check({f: read(f"{org}/{f}") for f in before} == before, "refusals changed nothing")

    # Wrong passphrase and damaged key: exit 1, different messages.
    wrong = f"{tmp}/wrong"
    write(wrong, b"not the passphrase\n")
    p_wrong = keys("--dir", org, "manifest", "sign", "--days", "7", "--passphrase-file", wrong)
    damaged = f"{tmp}/damaged"
    shutil.copytree(org, damaged)
    key = bytearray(read(f"{damaged}/org.key"))
    key[120] ^= 0x04
    os.chmod(f"{damaged}/org.key", 0o600)
    write(f"{damaged}/org.key", bytes(key))
    p_damaged = keys("--dir", damaged, "manifest", "sign", "--days", "7", "--passphrase-file", passfile)
    check(p_wrong.returncode == 1 and "wrong passphrase" in p_wrong.stderr, f"wrong passphrase: {p_wrong.stderr}")
    check(p_damaged.returncode == 1 and "damaged" in p_damaged.stderr, f"damaged key: {p_damaged.stderr}")
    check(p_wrong.stderr != p_damaged.stderr and p_wrong.stderr.startswith("malyava-keys: "), "messages differ")
    check(read(f"{org}/manifest") == before["manifest"], "a failed sign writes nothing")

    # An edited current manifest is not a base for the next one.
    write(f"{damaged}/org.key", read(f"{org}/org.key"))
    write(f"{damaged}/manifest", read(f"{edited}/manifest"))
    write(f"{damaged}/manifest.minisig", read(f"{edited}/manifest.minisig"))
    p = keys("--dir", damaged, "manifest", "sign", "--passphrase-file", passfile)
    check(p.returncode == 1 and "does not verify" in p.stderr, f"sign refuses an altered base: {p.stderr}")

    # show needs no passphrase; passwd re-protects a key.
    p = keys("show", f"{org}/org.key", f"{org}/org.pub", f"{org}/editors/carol.pub", f"{org}/manifest")
    check(p.returncode == 0 and "organisation secret key" in p.stdout and "editor public key 'carol'" in p.stdout
          and "organisation public key" in p.stdout and "serial:  3" in p.stdout, f"show: {p.stdout} {p.stderr}")
    check(org_pk.hex() not in p.stdout, "show prints ids and fingerprints, not raw keys")
    p = keys("show", passfile)
    check(p.returncode == 1, "show refuses a file that is no key")
    newpass = f"{tmp}/newpass"
    write(newpass, b"another long passphrase\n")
    p = keys("passwd", f"{org}/editors/carol.key", "--kdf", "interactive", "--passphrase-file", passfile,
             "--new-passphrase-file", newpass)
    check(p.returncode == 0, f"passwd: {p.stderr}")
    check(mode(f"{org}/editors/carol.key") == 0o600, "passwd keeps the file 0600")
    p = keys("passwd", f"{org}/editors/carol.key", "--kdf", "interactive", "--passphrase-file", passfile,
             "--new-passphrase-file", newpass)
    check(p.returncode == 1 and "wrong passphrase" in p.stderr, "the old passphrase no longer opens it")

    # What the admin carries to the server is public and must be readable
    # by the server's own user there; secrets stay the owner's alone.
    for d, _, files in os.walk(org):
        for f in files:
            public = f.endswith(".pub") or f.startswith("manifest")
            want = 0o644 if public else 0o600
            check(mode(os.path.join(d, f)) == want, f"{f} is {want:o}")
    return org


def usage_errors(tmp, passfile):
    cases = [
        [],
        ["frobnicate"],
        ["--bogus", "init"],
        ["--dir"],
        ["manifest"],
        ["manifest", "publish"],
        ["editor", "new"],
        ["editor", "old", "x"],
        ["editor", "new", ".hidden", "--passphrase-file", passfile],
        ["editor", "new", "a/b", "--passphrase-file", passfile],
        ["init", "--kdf", "extreme", "--passphrase-file", passfile],
        ["init", "extra"],
        ["init", "--frob"],
        ["manifest", "sign", "--days", "0"],
        ["manifest", "sign", "--days", "367"],
        ["manifest", "sign", "--days", "ten"],
        ["manifest", "sign", "--kdf", "interactive"],
        ["manifest", "verify", "a", "b"],
        ["show"],
        ["passwd"],
        ["passwd", "--passphrase-file"],
    ]
    for args in cases:
        p = keys("--dir", f"{tmp}/usage", *args) if args[:1] != ["--dir"] else keys(*args)
        check(p.returncode == 2 and p.stderr.startswith("malyava-keys: ") and "usage:" in p.stderr,
              f"usage error for {args}: exit {p.returncode}, {p.stderr!r}")
    check(not os.path.exists(f"{tmp}/usage"), "usage errors create nothing")
    for args in (["--help"], ["--version"], ["manifest", "sign", "--help"], ["init", "--help"]):
        p = keys(*args)
        check(p.returncode == 0 and p.stdout, f"{args} exits 0")
    # No terminal and no passphrase file: a clear failure, not a hang.
    p = subprocess.run([KEYS, "--dir", f"{tmp}/notty", "init"], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, start_new_session=True)
    check(p.returncode == 1 and "--passphrase-file" in p.stderr, f"no terminal: {p.stderr}")


def vectors():
    p = keys("show", *[f"{VECTORS}/{f}" for f in ("manifest-org.pub", "manifest-editor-a.pub", "keys-org.key",
                                                   "keys-editor-a.key", "manifest-valid")])
    check(p.returncode == 0, f"show reads every vector: {p.stderr}")
    check_secret_layout(f"{VECTORS}/keys-org.key", b"O")
    check_secret_layout(f"{VECTORS}/keys-editor-a.key", b"E")
    if MINISIGN:
        p = minisign("-Vm", f"{VECTORS}/manifest-valid", "-x", f"{VECTORS}/manifest-valid.minisig", "-p",
                     f"{VECTORS}/manifest-org.pub")
        check(p.returncode == 0, "minisign verifies the committed vector")
        p = minisign("-Vm", f"{VECTORS}/manifest-forged", "-x", f"{VECTORS}/manifest-forged.minisig", "-p",
                     f"{VECTORS}/manifest-org.pub")
        check(p.returncode != 0, "minisign refuses the forged vector")


def read_until(fd, needle, timeout=20):
    buf = b""
    end = time.time() + timeout
    while needle not in buf and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
    return buf


def on_terminal(args, script):
    """Runs malyava-keys on a pseudo-terminal; `script` gets the master fd.
    Returns (exit status, everything the terminal showed)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(KEYS, [KEYS, *args])
    shown = script(fd)
    _, status = os.waitpid(pid, 0)
    shown += read_until(fd, b"\0", timeout=0.5)
    os.close(fd)
    return status, shown


def terminal(tmp):
    secret = "typed on a terminal 42"

    def type_twice(fd):
        shown = read_until(fd, b"passphrase for")
        os.write(fd, (secret + "\n").encode())
        shown += read_until(fd, b"confirm")
        os.write(fd, (secret + "\n").encode())
        return shown + read_until(fd, b"Next:")

    status, shown = on_terminal(["--dir", f"{tmp}/tty", "editor", "new", "dora", "--kdf", "interactive"], type_twice)
    check(os.waitstatus_to_exitcode(status) == 0, f"editor new on a terminal: {shown!r}")
    check(secret.encode() not in shown, "the passphrase is not echoed")
    passfile = f"{tmp}/typed"
    write(passfile, (secret + "\n").encode())
    p = keys("passwd", f"{tmp}/tty/editors/dora.key", "--kdf", "interactive", "--passphrase-file", passfile,
             "--new-passphrase-file", passfile)
    check(p.returncode == 0, "the typed passphrase is the one the key got")

    def mismatch(fd):
        shown = read_until(fd, b"passphrase for")
        os.write(fd, (secret + "\n").encode())
        shown += read_until(fd, b"confirm")
        os.write(fd, b"something else entirely\n")
        return shown

    status, shown = on_terminal(["--dir", f"{tmp}/tty", "editor", "new", "erin", "--kdf", "interactive"], mismatch)
    check(os.waitstatus_to_exitcode(status) == 1 and b"differ" in shown, f"a mismatch is refused: {shown!r}")
    check(not os.path.exists(f"{tmp}/tty/editors/erin.key"), "nothing written after a mismatch")

    def interrupt(fd):
        shown = read_until(fd, b"passphrase for")
        echo_off = not termios.tcgetattr(fd)[3] & termios.ECHO
        os.write(fd, b"half typed\x03")  # ^C: SIGINT from the terminal
        return shown + (b"[echo was off]" if echo_off else b"")

    status, shown = on_terminal(["--dir", f"{tmp}/tty", "editor", "new", "finn"], interrupt)
    check(b"[echo was off]" in shown, "echo is off while the passphrase is typed")
    check(os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGINT, "^C ends the program by SIGINT")
    check(not os.path.exists(f"{tmp}/tty/editors/finn.key"), "nothing written after ^C")


def terminal_echo_restored(tmp):
    """After ^C the terminal echoes again: checked on a terminal we hold
    open ourselves, so its settings outlive the child."""
    master, slave = pty.openpty()
    name = os.ttyname(slave)
    child = os.fork()
    if child == 0:
        os.setsid()
        fd = os.open(name, os.O_RDWR)  # becomes the controlling terminal
        os.dup2(fd, 0)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.execv(KEYS, [KEYS, "--dir", f"{tmp}/tty2", "editor", "new", "gus"])
    read_until(master, b"passphrase for")
    off = not termios.tcgetattr(slave)[3] & termios.ECHO
    os.write(master, b"\x03")
    _, status = os.waitpid(child, 0)
    on = bool(termios.tcgetattr(slave)[3] & termios.ECHO)
    check(off and on and os.WIFSIGNALED(status), "echo is back on after ^C")
    os.close(master)
    os.close(slave)


def main():
    tmp = tempfile.mkdtemp(prefix="malyava-keys-")
    try:
        passfile = f"{tmp}/pass"
        write(passfile, (PASS + "\n").encode())
        routine(tmp, passfile)
        usage_errors(tmp, passfile)
        vectors()
        terminal(tmp)
        terminal_echo_restored(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not MINISIGN:
        print("minisign not found: its checks were skipped", file=sys.stderr)
    print(f"{passes} checks passed, {failures} failed", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
