#!/usr/bin/env python3
"""Bundles from another drop-box, and deleting what no key opens.

Export bundles name their drop-box by the fingerprint of its organisation
key. The first import pins the vault to it; a bundle of another
organisation, one that does not say where it comes from, or one that says
it with something else than a fingerprint is refused whole, the vault
unchanged and no ack written, until the editor accepts that drop-box with
--accept-dropbox (remembered).

A testimony no key of the vault opens can then be deleted: its sealed
payload is gone from the file's bytes, its number is never shown again,
its history keeps a sealed `delete` event naming the editor, importing it
again does not bring it back, and a testimony that opens is never deleted.
"""
import os
import re
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vault_lib import MALYAVA, copy_bundle, drop_box, new_vault, run  # noqa: E402
from srv_lib import Checks, cleanup, tmpdir  # noqa: E402

check = Checks()


def org_key_of(bundle):
    db = sqlite3.connect(bundle)
    row = db.execute("SELECT value FROM bundle_info WHERE key = 'org_key'").fetchone()
    db.close()
    return row[0] if row else None


def payload_of(bundle):
    db = sqlite3.connect(bundle)
    data = b"".join(c for (c,) in db.execute("SELECT data FROM chunks ORDER BY submission, seq"))
    db.close()
    return data


def main():
    root = tmpdir("vault-foreign")
    try:
        org, ours = drop_box(os.path.join(root, "ours"), ("alice",), ["FOREIGN-OURS-1 cell 4", "FOREIGN-OURS-2"])
        _, theirs = drop_box(os.path.join(root, "theirs"), ("zed",), ["FOREIGN-THEIRS sealed to zed"])
        fp_ours, fp_theirs = org_key_of(ours), org_key_of(theirs)
        check(fp_ours is not None and re.fullmatch(r"[0-9a-f]{4}( [0-9a-f]{4}){7}", fp_ours) is not None,
              f"an export bundle names its drop-box by its organisation key's fingerprint: {fp_ours}")
        check(fp_ours != fp_theirs, "two organisations, two fingerprints")
        v = new_vault(os.path.join(root, "vault"), org, ("alice",))

        p = v("import", ours)
        check(fp_ours in p.stdout and "now takes bundles" in p.stdout, f"the first import pins the drop-box: {p.stdout}")

        def refused(bundle, what, *want):
            ack = bundle + ".ack"
            before = v("list").stdout
            p = v("import", bundle, ok=None)
            check(p.returncode == 1 and all(w in p.stderr for w in want) and "unchanged" in p.stderr,
                  f"{what} is refused: {p.returncode} {p.stderr}")
            check(v("list").stdout == before and not os.path.exists(ack), f"{what}: vault unchanged, no ack file")

        refused(theirs, "another organisation's bundle", "another drop-box", fp_theirs, "--accept-dropbox")
        unnamed = copy_bundle(ours, os.path.join(root, "unnamed.bundle"),
                              lambda db: db.execute("DELETE FROM bundle_info WHERE key = 'org_key'"))
        refused(unnamed, "a bundle that does not say where it comes from", "does not say which drop-box")
        forged = copy_bundle(ours, os.path.join(root, "forged.bundle"), lambda db: db.execute(
            "UPDATE bundle_info SET value = '<script>' WHERE key = 'org_key'"))
        refused(forged, "a bundle naming its drop-box with something else", "not a key fingerprint")

        p = v("import", "--accept-dropbox", theirs, ok=None)
        check(p.returncode == 0 and "1 unreadable" in p.stdout, f"--accept-dropbox takes it: {p.stdout} {p.stderr}")
        p = v("import", theirs, ok=None)
        check(p.returncode == 0 and "1 already in the vault" in p.stdout,
              f"an accepted drop-box is remembered: {p.returncode} {p.stdout} {p.stderr}")
        p = v("list")
        check("3 of 3" in p.stdout and "no key of this vault opens it" in p.stdout, f"three, one unreadable: {p.stdout}")
        foreign_id = re.search(r"^\s*(\d+) .*no key of this vault opens it", p.stdout, re.M).group(1)

        # -- deleting
        for bad, code in (("abc", 2), ("99", 2), ("1-", 2)):
            p = v("delete", bad, ok=None)
            check(p.returncode == code, f"delete {bad}: exit {p.returncode} {p.stderr}")
        p = v("delete", f"1,{foreign_id}", ok=None)
        check(p.returncode == 1 and "evidence" in p.stderr and "unchanged" in p.stderr,
              f"a testimony that opens is never deleted, and a batch is all or nothing: {p.stderr}")
        check("3 of 3" in v("list").stdout, "nothing was deleted")
        theirs_payload = payload_of(theirs)
        check(theirs_payload[-64:] in open(v.path, "rb").read(), "before: the foreign envelope is in the file")
        p = v("delete", foreign_id, ok=None)
        check(p.returncode == 0 and f"deleted testimony {foreign_id}" in p.stdout and "never acknowledged" in p.stdout,
              f"delete: {p.returncode} {p.stdout} {p.stderr}")
        raw = open(v.path, "rb").read()
        check(theirs_payload[-64:] not in raw, "after: its sealed bytes are gone from the vault file")
        p = v("list")
        check("2 of 2" in p.stdout and "no key of this vault opens it" not in p.stdout, f"not listed: {p.stdout}")
        p = v("show", foreign_id, ok=None)
        check(p.returncode == 2 and "was deleted" in p.stderr and "history" in p.stderr, f"show: {p.stderr}")
        p = v("history", foreign_id)
        check("(deleted)" in p.stdout and re.search(r"alice\s+delete\s+upload [0-9a-f]{32}", p.stdout) is not None,
              f"the history keeps who deleted it: {p.stdout}")
        check(b'"k":"delete"' not in raw and b"no key of this vault" not in raw,
              "the delete event is sealed, like the others")
        db = sqlite3.connect(v.path)
        version = db.execute("PRAGMA user_version").fetchone()[0]
        db.close()
        check(version == 2, f"a vault with a deletion is format 2: {version}")
        p = v("import", theirs, ok=None)
        check(p.returncode == 0 and "2 of 2" in v("list").stdout, "importing it again does not bring it back")
        p = v("status", foreign_id, "verified", ok=None)
        check(p.returncode == 2 and "was deleted" in p.stderr, f"a deleted testimony takes no triage: {p.stderr}")
    finally:
        cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
