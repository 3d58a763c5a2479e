#!/usr/bin/env python3
"""Arguments are checked before the unlock.

Every mistake in a command line — a testimony number that is not one or
not in the vault, a batch with a missing number, an unknown key name or
status, an input file that is not there, an output that exists or whose
folder does not, a secret key given where a public one is wanted — fails
at once with exit 2 and a message, before any passphrase is asked: the
Argon2id derivations are counted (kdfcount.c preloaded) and must be none.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vault_lib import MALYAVA, drop_box, new_vault  # noqa: E402
from srv_lib import Checks, cleanup, tmpdir  # noqa: E402

check = Checks()
KDFCOUNT = sys.argv[1]


def main():
    root = tmpdir("vault-args")
    try:
        org, bundle = drop_box(root, ("alice", "bob"), ["ARGS-ONE", "ARGS-TWO"])
        v = new_vault(os.path.join(root, "vault"), org, ("alice",))
        v("import", bundle)
        count = os.path.join(root, "kdf-count")
        env = dict(os.environ, LD_PRELOAD=KDFCOUNT, MLV_KDF_COUNT_FILE=count,
                   ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0")
        exists = os.path.join(root, "exists")
        open(exists, "w").close()
        missing = os.path.join(root, "no-such-folder")
        keys = os.path.join(org.dir, "editors")
        unlock = ["--vault", v.path, "--passphrase-file", org.passfile]
        cases = [
            ("show", "abc"), ("show", "99"), ("show", "0"), ("show", "1x"), ("show", "-1"),
            ("history", "abc"), ("history", "99"),
            ("status", "abc", "new"), ("status", "1-99", "new"), ("status", "1", "bogus"), ("status", "2-1", "new"),
            ("tag", "1,,2", "x"), ("tag", "1", ""), ("note", "99", "text"), ("assign", "abc", "bob"),
            ("extract", "abc", "-o", os.path.join(root, "out")), ("extract", "99", "-o", os.path.join(root, "out")),
            ("extract", "1", "-o", os.path.join(missing, "out")), ("extract", "1", "-o", exists),
            ("reply", "abc", "--message", "hi"), ("reply", "99", "--message", "hi"),
            ("reply", "1", "--message-file", os.path.join(missing, "text")),
            ("import", os.path.join(missing, "export.bundle")), ("import", root),
            ("import", bundle, "--ack", os.path.join(missing, "ack")),
            ("report", "--svg", exists), ("report", "--svg", os.path.join(missing, "chart.svg")),
            ("rewrap", "--to", os.path.join(missing, "bob.pub")), ("rewrap", "--to", os.path.join(keys, "bob.key")),
            ("rewrap", "--from", "carol"),
            ("list", "--sealed-to", "carol"), ("list", "--status", "bogus"), ("list", "--since", "2026-13-01"),
            ("list", "--limit", "x"), ("search",), ("search", ""),
            ("key", "add", os.path.join(missing, "carol.key")), ("key", "add", os.path.join(keys, "bob.pub")),
            ("key", "add", os.path.join(keys, "alice.key")), ("key", "remove", "carol"),
            ("key", "remove", "alice"),
            ("delete", "abc"), ("delete", "99"), ("delete", "1,99"),
            ("backup", exists), ("backup", os.path.join(missing, "vault.backup")),
        ]
        def line(args):
            """The verb (and key's subverb) first, then the vault's options."""
            n = 2 if args[0] == "key" else 1
            return [MALYAVA, *args[:n], *unlock, *args[n:]]

        for args in cases:
            if os.path.exists(count):
                os.unlink(count)
            p = subprocess.run(line(args), env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                               timeout=60)
            derivations = len(open(count).read().splitlines()) if os.path.exists(count) else 0
            said = p.stderr.strip()
            check(p.returncode == 2 and derivations == 0 and said != "" and "usage: malyava key" not in said,
                  f"{' '.join(args)}: exit {p.returncode} after {derivations} unlocks: {said!r}")

        # What the messages say, for the mistakes editors make most.
        def said(*args):
            return subprocess.run(line(args), capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                  timeout=60).stderr
        check("'abc' is not a testimony number" in said("show", "abc"), "show abc names the mistake")
        check("no testimony 3" in said("status", "1-99", "new"), "a batch names its first missing number")
        check("a secret key, give the .pub file" in said("rewrap", "--to", os.path.join(keys, "bob.key")),
              "a secret key where a public one is wanted is named as such, not as damage")
        check("is a public key" in said("key", "add", os.path.join(keys, "bob.pub")),
              "a public key where the secret one is wanted is named as such")
        check("does not exist" in said("extract", "1", "-o", os.path.join(missing, "out")),
              "a missing output folder is named")
        # Right arguments still unlock once.
        if os.path.exists(count):
            os.unlink(count)
        p = subprocess.run([MALYAVA, "show", *unlock, "1"], env=env, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=60)
        derivations = len(open(count).read().splitlines()) if os.path.exists(count) else 0
        check(p.returncode == 0 and derivations == 1, f"a right command unlocks once: {p.returncode} {derivations}")
    finally:
        cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
