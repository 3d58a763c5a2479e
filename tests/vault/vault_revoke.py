#!/usr/bin/env python3
"""Revocation: after `malyava key remove alice`, alice's passphrase, her
key file and the vault key she could have kept open nothing in the vault.

alice's key has a passphrase of its own. Envelopes are sealed to alice and
dave (dave is not in this vault), so alice is the only vault key in their
headers. After the removal, run with bob's unlock:
  - no row, byte or header of the vault file is alice's: `malyava open
    --key alice.key` opens none of the stored envelopes, while the same
    envelopes from a copy taken before the removal still open with it
    (that copy stays open to her: the command says so);
  - every sealed blob (vault keys, editor secrets, file keys, events) was
    sealed anew: none of the old ones is left anywhere in the file;
  - bob still reads every testimony and its history, including those
    that were sealed to alice alone;
  - the only key left cannot be removed, and a removal is never unlocked
    with the key it removes.
"""
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vault_lib import MALYAVA, drop_box, run  # noqa: E402
from srv_lib import KEYS, Checks, Org, cleanup, tmpdir  # noqa: E402

check = Checks()
MESSAGES = ["REVOKE-ONE beaten in the corridor", "REVOKE-TWO no water for two days", "REVOKE-THREE the doctor lied"]


def envelopes(vault_path):
    """Every stored envelope as bytes: its header and its payload chunks."""
    db = sqlite3.connect(vault_path)
    out = []
    for eid, header in db.execute("SELECT id, header FROM envelopes ORDER BY id"):
        chunks = b"".join(c for (c,) in db.execute(
            "SELECT data FROM payload_chunks WHERE envelope = ? ORDER BY seq", (eid,)))
        out.append((eid, header + chunks))
    db.close()
    return out


def sealed_blobs(vault_path):
    db = sqlite3.connect(vault_path)
    blobs = [b for (b,) in db.execute("SELECT vault_key FROM editor_keys")]
    blobs += [b for (b,) in db.execute("SELECT secret_box FROM editor_keys")]
    blobs += [b for (b,) in db.execute("SELECT box FROM events")]
    blobs += [b for (b,) in db.execute("SELECT file_key_box FROM envelopes WHERE file_key_box IS NOT NULL")]
    db.close()
    return blobs


def opens_with(root, data, key, passfile, tag):
    env = os.path.join(root, f"env-{tag}")
    with open(env, "wb") as f:
        f.write(data)
    out = os.path.join(root, f"opened-{tag}")
    p = run(MALYAVA, "open", "--key", key, "--passphrase-file", passfile, env, "-o", out, ok=None)
    return p.returncode == 0


def main():
    root = tmpdir("vault-revoke")
    try:
        alice_pass = os.path.join(root, "alice-pass")
        with open(alice_pass, "w") as f:
            f.write("alice's very own passphrase\n")
        # alice's key gets her passphrase; bob's and dave's the org's.
        org = Org(root, ("bob", "dave"))
        run(KEYS, "--dir", org.dir, "editor", "new", "alice", "--kdf", "interactive", "--passphrase-file", alice_pass)
        # The drop-box seals to alice and dave only.
        _, bundle = drop_box(os.path.join(root, "box"), (), MESSAGES, seal_to=("alice", "dave"), org=org)

        alice_key = os.path.join(org.dir, "editors", "alice.key")
        bob_key = os.path.join(org.dir, "editors", "bob.key")
        vault = os.path.join(root, "vault")
        run(MALYAVA, "init", vault)
        run(MALYAVA, "key", "add", "--vault", vault, "--passphrase-file", alice_pass, alice_key)
        run(MALYAVA, "key", "add", "--vault", vault, "--key", "alice", "--passphrase-file", alice_pass,
            "--new-passphrase-file", org.passfile, bob_key)
        as_alice = ["--vault", vault, "--key", "alice", "--passphrase-file", alice_pass]
        as_bob = ["--vault", vault, "--key", "bob", "--passphrase-file", org.passfile]
        run(MALYAVA, "import", *as_alice, bundle)
        run(MALYAVA, "status", *as_alice, "1", "verified")
        run(MALYAVA, "note", *as_alice, "2", "REVOKE-NOTE the lawyer confirms")
        before = os.path.join(root, "vault-before-removal")
        with open(vault, "rb") as f, open(before, "wb") as g:
            g.write(f.read())
        old_blobs = sealed_blobs(vault)
        alice_file = open(alice_key, "rb").read()
        stored = envelopes(vault)
        check(len(stored) == 3, f"three envelopes stored: {len(stored)}")
        check(all(opens_with(root, d, alice_key, alice_pass, f"pre-{i}") for i, d in stored),
              "before the removal alice's key file opens every stored envelope")

        # -- mistakes are caught before any passphrase is asked
        p = run(MALYAVA, "key", "remove", *as_alice, "alice", ok=None)
        check(p.returncode == 2 and "key that stays" in p.stderr,
              f"a removal is not unlocked with the key it removes: {p.returncode} {p.stderr}")
        p = run(MALYAVA, "key", "remove", "--vault", vault, "carol", ok=None)
        check(p.returncode == 2 and "no key named 'carol'" in p.stderr, f"an unknown key: {p.returncode} {p.stderr}")

        # -- retire explains its limits
        p = run(MALYAVA, "key", "retire", "--vault", vault, "alice")
        check("still opens" in p.stdout and "key remove alice" in p.stdout,
              f"retire says it only marks the key and names the removal: {p.stdout}")

        # -- the removal
        p = run(MALYAVA, "key", "remove", "--vault", vault, "--passphrase-file", org.passfile, "alice", ok=None)
        check(p.returncode == 0, f"key remove alice: {p.returncode} {p.stderr}")
        check("removed key 'alice' for good" in p.stdout, f"the removal says what it did: {p.stdout}")
        check("made before now" in p.stdout and "still opens with 'alice'" in p.stdout,
              f"it says plainly that older copies still open with alice: {p.stdout}")
        check("sealed to 'alice' alone" in p.stdout, f"it names the testimonies sealed to alice alone: {p.stdout}")

        # -- alice's passphrase, key file and old vault key open nothing
        p = run(MALYAVA, "list", *as_alice, ok=None)
        check(p.returncode != 0 and "no key named 'alice'" in p.stderr,
              f"alice's name opens nothing: {p.returncode} {p.stderr}")
        p = run(MALYAVA, "list", "--vault", vault, "--passphrase-file", alice_pass, ok=None)
        check(p.returncode != 0 and "wrong passphrase" in p.stderr,
              f"alice's passphrase opens no key left: {p.returncode} {p.stderr}")
        raw = open(vault, "rb").read()
        check(alice_file not in raw, "alice's passphrase-protected key file is gone from the vault's bytes")
        db = sqlite3.connect(vault)
        names = [n for (n,) in db.execute("SELECT name FROM editor_keys")]
        db.close()
        check(names == ["bob"], f"only bob's row is left: {names}")
        after = envelopes(vault)
        check(len(after) == 3 and not any(opens_with(root, d, alice_key, alice_pass, f"post-{i}") for i, d in after),
              "after the removal alice's key file opens none of the stored envelopes")
        left = [b for b in old_blobs if b in raw]
        check(not left, f"no sealed blob of the old vault key is left in the file: {len(left)} of {len(old_blobs)}")
        check(os.path.exists(vault) and not os.path.exists(vault + "-journal"), "no journal is left beside the vault")

        # -- the copy from before still opens with alice: what the command said
        p = run(MALYAVA, "list", "--vault", before, "--key", "alice", "--passphrase-file", alice_pass, ok=None)
        check(p.returncode == 0 and "3 of 3" in p.stdout, f"the copy taken before still opens with alice: {p.stdout}")

        # -- bob reads everything, history included
        p = run(MALYAVA, "list", *as_bob)
        check(all(m.split()[0] in p.stdout for m in MESSAGES) and "3 of 3" in p.stdout,
              f"bob reads every testimony, those sealed to alice alone too: {p.stdout}")
        p = run(MALYAVA, "show", *as_bob, "1")
        check("verified" in p.stdout and "alice" not in p.stdout.split("sealed to:")[1].split("\n")[0],
              f"status kept, and alice is no longer among the keys it is sealed to: {p.stdout}")
        p = run(MALYAVA, "history", *as_bob, "2")
        check("REVOKE-NOTE" in p.stdout and "alice" in p.stdout, f"alice's note is kept, readable by bob: {p.stdout}")
        check(all(opens_with(root, d, bob_key, org.passfile, f"bob-{i}") for i, d in after),
              "bob's key file opens every envelope: those sealed to alice alone were sealed to him")

        # -- the last key stays
        p = run(MALYAVA, "key", "remove", "--vault", vault, "bob", ok=None)
        check(p.returncode == 2 and "only key" in p.stderr, f"the vault's only key cannot go: {p.returncode} {p.stderr}")
    finally:
        cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
