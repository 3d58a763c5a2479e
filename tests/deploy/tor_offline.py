#!/usr/bin/env python3
"""Debian's tor with the shipped drop-in, offline.

tor runs with DisableNetwork 1 (it makes onion service keys without the
network) on deploy/torrc-malyava, whose only change is the directories
moved from /var/lib/tor into a scratch directory. Checked: the
configuration is valid for this tor, proof-of-work defences included; both
onion services get their keys and a hostname that is the address of their
public key; the sources' service forwards to `listen` and the editors' to
`editors_listen` as `setup` writes them (the torrc lines, as tor read
them); the editors' service loads an editor's client-authorization key
made with docs/DEPLOY.md's own commands, and refuses a broken one by
name; an editor's tor (ClientOnionAuthDir) loads the private half in the
form DEPLOY.md gives.
"""
import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deb_lib  # noqa: E402,F401  (sets the import path)
import doc_lib  # noqa: E402
from srv_lib import DROPBOX, Checks, Org, cleanup, run, tmpdir  # noqa: E402

check = Checks()
SHIPPED = os.path.join(deb_lib.SOURCE, "deploy", "torrc-malyava")

# docs/DEPLOY.md: the editor's key pair, then the admin's .auth file.
KEYPAIR = [
    "umask 077",
    "openssl genpkey -algorithm x25519 -out malyava-editors.pem",
    "openssl pkey -in malyava-editors.pem -outform DER | tail -c 32 | base32 | tr -d '=' >malyava-editors.private",
    "openssl pkey -in malyava-editors.pem -pubout -outform DER | tail -c 32 | base32 | tr -d '=' "
    ">malyava-editors.public",
    "rm malyava-editors.pem",
]
AUTHORIZE = ("printf 'descriptor:x25519:%s\\n' \"$(cat malyava-editors.public)\" >"
             "/var/lib/tor/malyava-editors/authorized_clients/alice.auth")
CLIENT = ("printf '%s:descriptor:x25519:%s\\n' \"$(cut -d. -f1 hostname)\" \"$(cat malyava-editors.private)\" "
          ">/var/lib/tor/onion_auth/malyava-editors.auth_private")


def onion_address(pubkey):
    """The v3 address of an ed25519 key (rend-spec: base32 of key,
    checksum, version)."""
    version = b"\x03"
    checksum = hashlib.sha3_256(b".onion checksum" + pubkey + version).digest()[:2]
    return base64.b32encode(pubkey + checksum + version).decode().lower() + ".onion"


def run_tor(torrc, log, until, timeout=30):
    """Starts tor on `torrc`; returns the log once `until` appears in it (or
    the time runs out), tor stopped."""
    p = subprocess.Popen(["tor", "-f", torrc], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.time() + timeout
    text = ""
    try:
        while time.time() < end and p.poll() is None:
            text = open(log).read() if os.path.exists(log) else ""
            if until in text:
                break
            time.sleep(0.1)
    finally:
        p.terminate()
        p.wait(10)
    return open(log).read() if os.path.exists(log) else text


def torrc(root, name, lines):
    path = os.path.join(root, name)
    os.makedirs(os.path.join(root, name + "-data"), mode=0o700)
    with open(path, "w") as f:
        f.write(f"DataDirectory {root}/{name}-data\nDisableNetwork 1\nSocksPort 0\nRunAsDaemon 0\n"
                f"Log info file {root}/{name}.log\n" + "".join(line + "\n" for line in lines))
    return path, os.path.join(root, f"{name}.log")


def main():
    root = tmpdir("tor-offline")
    try:
        hs = os.path.join(root, "var-lib-tor")
        os.makedirs(hs, mode=0o700)
        shipped = open(SHIPPED).read()
        moved = shipped.replace("/var/lib/tor/", hs + "/")
        changed = [(a, b) for a, b in zip(shipped.splitlines(), moved.splitlines())
                   if a != b and not a.startswith("#")]
        check(len(changed) == 2 and all(a.startswith("HiddenServiceDir ") for a, _ in changed),
              f"only the two HiddenServiceDir lines move: {changed}")
        dropin = os.path.join(root, "malyava-dropbox.conf")
        with open(dropin, "w") as f:
            f.write(moved)

        # What setup writes: the ports the drop-in must forward to.
        org = Org(os.path.join(root, "org"))
        m = org.sign(["alice"])
        run(DROPBOX, "init", os.path.join(root, "data"), "--org-key", org.org_pub, "--manifest", m)
        cfg = open(os.path.join(root, "data", "config")).read()
        listen = re.search(r"^listen = (\S+)$", cfg, re.M).group(1)
        editors = re.search(r"^editors_listen = (\S+)$", cfg, re.M).group(1)

        # The editor's key pair and the admin's .auth file, as DEPLOY.md says.
        doc_lib.in_deploy(check, KEYPAIR + [AUTHORIZE, CLIENT])
        editor = os.path.join(root, "editor")
        os.makedirs(editor)
        p = doc_lib.sh("\n".join(KEYPAIR), editor)
        check(p.returncode == 0, f"DEPLOY.md's key pair commands run: {p.stderr}")
        pub = open(os.path.join(editor, "malyava-editors.public")).read().strip()
        priv = open(os.path.join(editor, "malyava-editors.private")).read().strip()
        check(re.fullmatch(r"[A-Z2-7]{52}", pub) and re.fullmatch(r"[A-Z2-7]{52}", priv),
              f"both keys are 52 base32 characters: {pub!r}")
        check(oct(os.stat(os.path.join(editor, "malyava-editors.private")).st_mode & 0o777) == "0o600",
              "the private key file is 0600")
        clients = os.path.join(hs, "malyava-editors", "authorized_clients")
        os.makedirs(clients, mode=0o700)
        os.chmod(os.path.dirname(clients), 0o700)
        p = doc_lib.sh(AUTHORIZE, editor, moves=[("/var/lib/tor/", hs + "/")])
        check(p.returncode == 0, f"DEPLOY.md's authorization command runs: {p.stderr}")
        with open(os.path.join(clients, "broken.auth"), "w") as f:
            f.write("descriptor:x25519:NOTAKEY\n")

        conf, log = torrc(root, "service", [f"%include {dropin}"])
        p = subprocess.run(["tor", "-f", conf, "--verify-config"], capture_output=True, text=True)
        check(p.returncode == 0 and "Configuration was valid" in p.stdout,
              f"Debian's tor accepts the drop-in: {p.stdout[-400:]}")
        text = run_tor(conf, log, "Bootstrapped 0%")
        for name, port in (("malyava", listen), ("malyava-editors", editors)):
            d = os.path.join(hs, name)
            check(f'HiddenServicePort=80 {port} for "{d}/"' in text,
                  f"tor forwards {name} to {port}, as setup's config listens")
            names = sorted(os.listdir(d)) if os.path.isdir(d) else []
            check(names == ["authorized_clients", "hostname", "hs_ed25519_public_key", "hs_ed25519_secret_key"],
                  f"tor made {name}'s keys and hostname offline: {names}")
            if "hostname" in names:
                key = open(os.path.join(d, "hs_ed25519_public_key"), "rb").read()
                host = open(os.path.join(d, "hostname")).read().strip()
                check(len(key) == 64 and host == onion_address(key[32:]),
                      f"{name}'s hostname is the address of its key: {host}")
        check("Service PoW defenses are enabled" in text, "proof-of-work defences are on for the sources' service")
        check("Loaded a client authorization key file alice.auth" in text,
              "the editors' service loads the editor's key: client authorization is on")
        check(re.search(r"broken\.auth.*(invalid|Failed|unable)", text, re.I | re.S) is not None
              and "Loaded a client authorization key file broken.auth" not in text,
              "a broken .auth file is refused by name")

        # The editor's side: ClientOnionAuthDir with the private half.
        shutil.copy(os.path.join(hs, "malyava-editors", "hostname"), os.path.join(editor, "hostname"))
        auth_dir = os.path.join(root, "client-auth")
        os.makedirs(auth_dir, mode=0o700)
        p = doc_lib.sh(CLIENT, editor, moves=[("/var/lib/tor/onion_auth/", auth_dir + "/")])
        check(p.returncode == 0, f"DEPLOY.md's client line is written: {p.stderr}")
        conf, log = torrc(root, "client", [f"ClientOnionAuthDir {auth_dir}"])
        text = run_tor(conf, log, "Bootstrapped 0%")
        check("Loaded a client authorization key file malyava-editors.auth_private" in text,
              "the editor's tor loads the private key in DEPLOY.md's form")
    finally:
        cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
