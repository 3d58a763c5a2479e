#!/usr/bin/env python3
"""What a new editor is told when things go wrong: plain words.

  - `tag --remove` says the tag was removed (not just the tag's name);
  - importing from a read-only USB stick (a real read-only mount, in a
    mount namespace of this test) fails before any passphrase, says the
    stick is read-only and suggests --ack FILE, which then works;
  - Ctrl-C in the middle of an import stops it, says the vault is
    unchanged and writes no ack file, and the vault is indeed unchanged;
  - SQLite's words never reach the editor: the messages in client/ are
    read for them, and a vault held by another program is named as such.
"""
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vault_lib import MALYAVA, drop_box, new_vault  # noqa: E402
from srv_lib import Checks, cleanup, tmpdir  # noqa: E402

check = Checks()
SRC = sys.argv[1]
JARGON = re.compile(r"\b(sqlite\w*|database|sql|transaction|savepoint|rollback|commit|pragma|schema|blob|"
                    r"quer(y|ies)|journal|rows?|tables?|constraint|prepare|bundle_info|application_id|"
                    r"user_version)\b", re.I)
MESSAGE_CALLS = re.compile(r"\b(mlv_cli_error|mlv_vdb_i_reason|set_reason|mlv_vdb_i_fail|fail|fprintf|printf|fputs|"
                           r"puts|mlv_desk_reply_error)\s*\(")


def message_literals():
    """(file, line, text) of every string literal passed to a function that
    speaks to the editor, in client/."""
    out = []
    client = os.path.join(SRC, "client")
    for name in sorted(os.listdir(client)):
        if not name.endswith(".c"):
            continue
        text = open(os.path.join(client, name), encoding="utf-8").read()
        text = re.sub(r"/\*.*?\*/", lambda m: " " * len(m.group(0)), text, flags=re.S)
        for m in MESSAGE_CALLS.finditer(text):
            depth, j = 1, m.end()
            while depth and j < len(text):
                if text[j] == '"':
                    j += 1
                    while text[j] != '"':
                        j += 2 if text[j] == "\\" else 1
                elif text[j] in "()":
                    depth += 1 if text[j] == "(" else -1
                j += 1
            for lit in re.findall(r'"((?:[^"\\]|\\.)*)"', text[m.end():j]):
                out.append((name, text[:m.start()].count("\n") + 1, lit))
    return out


def main():
    root = tmpdir("vault-messages")
    try:
        big = os.path.join(root, "video.mp4")
        with open(big, "wb") as f:
            f.write(os.urandom(24 << 20))
        org, bundle = drop_box(os.path.join(root, "box"), ("alice",), ["MESSAGES-ONE", "MESSAGES-TWO"])
        v = new_vault(os.path.join(root, "vault"), org, ("alice",))

        # -- the messages in the code
        literals = message_literals()
        check(len(literals) > 200, f"the messages are found: {len(literals)}")
        bad = [f"{n}:{ln}: {t}" for n, ln, t in literals if JARGON.search(t.replace("in a row", ""))]
        check(not bad, "no message speaks SQLite's language:\n  " + "\n  ".join(bad))

        # -- a read-only USB stick
        stick = os.path.join(root, "stick")
        os.makedirs(stick)
        elsewhere = os.path.join(root, "export.ack")
        script = (f'mount -t tmpfs -o size=8m tmpfs "{stick}" && cp "{bundle}" "{stick}/export.bundle" && '
                  f'mount -o remount,ro "{stick}" && '
                  f'"{MALYAVA}" import --vault "{v.path}" --passphrase-file "{org.passfile}" '
                  f'"{stick}/export.bundle"; echo "exit=$?"; '
                  f'"{MALYAVA}" import --vault "{v.path}" --passphrase-file "{org.passfile}" '
                  f'--ack "{elsewhere}" "{stick}/export.bundle"; echo "exit=$?"')
        p = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=120)
        codes = re.findall(r"^exit=(\d+)$", p.stdout, re.M)
        check(codes[:1] == ["2"] and "read-only" in p.stderr and "--ack FILE" in p.stderr,
              f"a read-only stick is named, and --ack FILE suggested: {codes} {p.stdout} {p.stderr}")
        check(codes[1:2] == ["0"] and os.path.exists(elsewhere), f"--ack FILE then works: {codes} {p.stdout}")
        check("2 of 2" in v("list").stdout, "imported once, with the ack elsewhere")

        # -- tag --remove
        v("tag", "1", "beatings")
        p = v("tag", "--remove", "1", "beatings")
        check("tag 'beatings' removed" in p.stdout, f"tag --remove says it removed: {p.stdout}")
        p = v("tag", "1", "beatings")
        check("tag 'beatings' added" in p.stdout, f"tag says it added: {p.stdout}")

        # -- Ctrl-C during an import
        _, large = drop_box(os.path.join(root, "large"), (), [f"MESSAGES-BIG-{i}" for i in range(3)], org=org,
                            seal_to=("alice",), files=(big,))
        before = v("list").stdout
        proc = subprocess.Popen([MALYAVA, "import", "--vault", v.path, "--passphrase-file", org.passfile, large],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        journal = v.path + "-journal"
        deadline = time.monotonic() + 60
        while not os.path.exists(journal) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        check(proc.returncode == 1 and "interrupted" in err and "unchanged" in err and "no ack file" in err,
              f"Ctrl-C during an import says the vault is unchanged: {proc.returncode} {out} {err}")
        check(v("list").stdout == before and not os.path.exists(large + ".ack"),
              "and it is unchanged, with no ack file")

        # -- a vault held by another program
        db = sqlite3.connect(v.path, timeout=0)
        db.execute("BEGIN EXCLUSIVE")
        p = v("status", "1", "verified", ok=None)
        db.rollback()
        db.close()
        check(p.returncode == 1 and "another program is using the vault" in p.stderr and not JARGON.search(p.stderr),
              f"a busy vault is named in plain words: {p.stderr}")
    finally:
        cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
