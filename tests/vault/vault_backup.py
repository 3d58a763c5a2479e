#!/usr/bin/env python3
"""`malyava backup`: a copy an editor can make, check and restore.

The backup is a new file (0600, never over an existing one), made without
a passphrase, sealed exactly as the vault is (no testimony or note in
clear; it opens with the vault's passphrase), and checked as it is
written. `backup --check` tells an intact copy from a damaged one. The
restore documented in docs/EDITORS.md and the man page — move the
damaged vault aside, `malyava backup --vault BACKUP VAULT` — gives back
the vault as it was when the backup was made, and a damaged vault is
reported in plain words, never SQLite's.
"""
import os
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vault_lib import MALYAVA, drop_box, new_vault, run  # noqa: E402
from srv_lib import Checks, cleanup, tmpdir  # noqa: E402

check = Checks()
JARGON = ("sqlite", "database", "disk image", "malformed", "journal", "pragma", "sql ")


def plain(text):
    return not any(j in text.lower() for j in JARGON)


def main():
    root = tmpdir("vault-backup")
    try:
        org, bundle = drop_box(root, ("alice",), ["BACKUP-ONE the guard's name", "BACKUP-TWO cell 9"])
        v = new_vault(os.path.join(root, "vault"), org, ("alice",))
        v("import", bundle)
        v("note", "1", "BACKUP-NOTE-BEFORE lawyer called")
        backup = os.path.join(root, "usb", "vault.backup")
        os.makedirs(os.path.dirname(backup))

        p = run(MALYAVA, "backup", "--vault", v.path, backup, ok=None)
        check(p.returncode == 0 and "an intact vault: 2 testimonies" in p.stdout, f"backup: {p.stdout} {p.stderr}")
        check(stat.S_IMODE(os.stat(backup).st_mode) == 0o600, "the backup is 0600")
        check(not os.path.exists(backup + ".partial"), "no partial file is left")
        raw = open(backup, "rb").read()
        check(b"BACKUP-ONE" not in raw and b"BACKUP-NOTE" not in raw, "the backup holds nothing in clear")
        p = run(MALYAVA, "backup", "--vault", v.path, backup, ok=None)
        check(p.returncode == 2 and "exists" in p.stderr, f"a backup never replaces a file: {p.stderr}")
        check(open(backup, "rb").read() == raw, "the existing backup is untouched")
        p = run(MALYAVA, "backup", "--vault", v.path, os.path.join(root, "nowhere", "x"), ok=None)
        check(p.returncode == 2 and "does not exist" in p.stderr, f"a missing folder: {p.stderr}")
        p = run(MALYAVA, "backup", "--check", backup, ok=None)
        check(p.returncode == 0 and "an intact vault" in p.stdout, f"backup --check: {p.stdout} {p.stderr}")
        p = run(MALYAVA, "show", "--vault", backup, "--passphrase-file", org.passfile, "1")
        check("BACKUP-NOTE-BEFORE" in p.stdout, "the backup opens with the vault's passphrase")

        # -- work goes on, then the vault is damaged
        v("note", "2", "BACKUP-NOTE-AFTER written after the backup")
        data = bytearray(open(v.path, "rb").read())
        data[100:len(data) - 100] = os.urandom(len(data) - 200)
        with open(v.path, "wb") as f:
            f.write(data)
        p = v("list", ok=None)
        check(p.returncode != 0 and plain(p.stderr) and ("damaged" in p.stderr or "not a Malyava vault" in p.stderr),
              f"a damaged vault is named in plain words: {p.stderr}")
        p = run(MALYAVA, "backup", "--check", v.path, ok=None)
        check(p.returncode == 1 and plain(p.stderr), f"backup --check finds the damage: {p.stderr}")

        # -- the restore, as documented
        os.rename(v.path, v.path + ".damaged")
        p = run(MALYAVA, "backup", "--vault", backup, v.path, ok=None)
        check(p.returncode == 0, f"restore: {p.stdout} {p.stderr}")
        p = v("list")
        check("2 of 2" in p.stdout and "BACKUP-ONE" in p.stdout, f"the restored vault lists: {p.stdout}")
        hist = v("history", "1").stdout + v("history", "2").stdout
        check("BACKUP-NOTE-BEFORE" in hist and "BACKUP-NOTE-AFTER" not in hist,
              f"the restored vault is the vault as it was at the backup: {hist}")
        check(stat.S_IMODE(os.stat(v.path).st_mode) == 0o600, "the restored vault is 0600")

        # -- a damaged backup is told from an intact one
        bad = bytearray(raw)
        bad[4096:8192] = os.urandom(4096)  # the second page: a table's b-tree
        damaged = os.path.join(root, "damaged.backup")
        with open(damaged, "wb") as f:
            f.write(bad)
        p = run(MALYAVA, "backup", "--check", damaged, ok=None)
        check(p.returncode == 1 and "damaged" in p.stderr and plain(p.stderr), f"a damaged backup: {p.stderr}")
    finally:
        cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
