#!/usr/bin/env python3
"""Hostile bundles against `malyava import`.

Every malformed bundle is refused with a message that says what is wrong,
exit status 1, and the vault file is byte for byte what it was: a
truncated file, a file that is not SQLite, the wrong application id or
version, an extra table or trigger, tables that are not STRICT, a chunk
over 1 MiB, chunks that do not add up or skip a number, an id that is a
path, a duplicated row in a table without its key. A bundle whose rows are fine but one envelope is forged
imports the others and leaves the forged one out of the ack file. An
import killed with SIGKILL at a random moment leaves an intact vault with
all of the bundle or none of it, and importing again completes it.
"""
import os
import random
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vault_lib import MALYAVA, Vault, copy_bundle, file_hash, new_vault, receipt_of, run  # noqa: E402
from srv_lib import DROPBOX, Checks, Org, Server, cleanup, init_data_dir, tmpdir  # noqa: E402

check = Checks()


def first_id(db):
    return db.execute("SELECT id FROM submissions ORDER BY id").fetchone()[0]


def rebuilt(db, transform):
    """Recreates the bundle's tables from `transform(schema sql)` keeping rows."""
    subs = db.execute("SELECT * FROM submissions").fetchall()
    chunks = db.execute("SELECT * FROM chunks").fetchall()
    db.executescript("DROP TABLE chunks; DROP TABLE submissions;")
    db.executescript(transform())
    db.executemany("INSERT INTO submissions VALUES (?, ?, ?, ?, ?)", subs)
    db.executemany("INSERT INTO chunks VALUES (?, ?, ?)", chunks)


NO_KEYS = """CREATE TABLE submissions (id TEXT NOT NULL, received_day INTEGER NOT NULL, size INTEGER NOT NULL,
  receipt TEXT NOT NULL, server_sealed INTEGER NOT NULL) STRICT;
CREATE TABLE chunks (submission TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL) STRICT;"""


# The export schema to the letter (NOT NULL spelt out where STRICT implies
# it), only without STRICT: a table that would take a BLOB for a day.
NOT_STRICT = """CREATE TABLE submissions (id TEXT PRIMARY KEY NOT NULL, received_day INTEGER NOT NULL,
  size INTEGER NOT NULL, receipt TEXT NOT NULL, server_sealed INTEGER NOT NULL);
CREATE TABLE chunks (submission TEXT NOT NULL REFERENCES submissions(id), seq INTEGER NOT NULL,
  data BLOB NOT NULL, PRIMARY KEY (submission, seq));"""


def forge(db):
    """Flips a byte inside the first envelope's last chunk and fixes up its
    receipt, so only the cryptography can tell."""
    sid = first_id(db)
    rows = db.execute("SELECT seq, data FROM chunks WHERE submission = ? ORDER BY seq", (sid,)).fetchall()
    seq, last = rows[-1]
    last = bytearray(last)
    last[len(last) - 40] ^= 1
    db.execute("UPDATE chunks SET data = ? WHERE submission = ? AND seq = ?", (bytes(last), sid, seq))
    whole = b"".join(d for _, d in rows[:-1]) + bytes(last)
    db.execute("UPDATE submissions SET receipt = ? WHERE id = ?", (receipt_of(whole), sid))


def split_chunks(db):
    """The first envelope (the one left out above) with its header in
    1-byte chunks and the rest in odd sizes: strange, but within the format."""
    sid = first_id(db)
    data = b"".join(d for (d,) in db.execute("SELECT data FROM chunks WHERE submission = ? ORDER BY seq", (sid,)))
    head = min(300, len(data) - 1)
    pieces = [data[i:i + 1] for i in range(head)]
    pieces += [data[i:i + 777_777] for i in range(head, len(data), 777_777)]
    db.execute("DELETE FROM chunks WHERE submission = ?", (sid,))
    db.executemany("INSERT INTO chunks VALUES (?, ?, ?)", [(sid, i, p) for i, p in enumerate(pieces)])


def main():
    root = tmpdir("vault-hostile")
    org = Org(root, ("alice",))
    manifest = org.sign(["alice"])
    data, _ = init_data_dir(root, org, manifest)
    big = os.path.join(root, "big.bin")
    with open(big, "wb") as f:
        f.write(os.urandom(1_300_000))
    srv = Server(data).start()
    try:
        for i in range(3):
            env, _ = org.seal(manifest, os.path.join(root, f"e{i}"), f"testimony {i}", [big] if i == 0 else [])
            srv.upload(env)
    finally:
        srv.stop()
    good = os.path.join(root, "good.bundle")
    run(DROPBOX, "export", data, "-o", good)
    vault_path = os.path.join(root, "vault")
    v = new_vault(vault_path, org)
    raw = open(good, "rb").read()

    def b(name, edit=None, content=None):
        path = os.path.join(root, name)
        if content is not None:
            with open(path, "wb") as f:
                f.write(content)
            return path
        return copy_bundle(good, path, edit)

    cases = [
        ("truncated", b("truncated", content=raw[:len(raw) // 2]), "damaged"),
        ("not SQLite", b("text", content=b"malyava-ack 1\n" * 100), "not a bundle"),
        ("empty", b("empty", content=b""), ""),
        ("wrong application id", b("appid", lambda db: db.execute("PRAGMA application_id = 1")),
         "not a Malyava export bundle"),
        ("wrong version", b("version", lambda db: db.execute("PRAGMA user_version = 2")), "version"),
        ("replies bundle kind", b("kind", lambda db: db.execute("UPDATE bundle_info SET value = 'replies' "
                                                                "WHERE key = 'kind'")), "kind"),
        ("extra table", b("extra", lambda db: db.execute("CREATE TABLE x (a)")), "layout"),
        ("a trigger", b("trigger", lambda db: db.execute("CREATE TRIGGER t AFTER INSERT ON chunks BEGIN "
                                                         "SELECT 1; END")), "layout"),
        ("oversized chunk", b("oversized", lambda db: (
            db.execute("UPDATE chunks SET data = zeroblob(1048577) WHERE seq = 0 AND submission = ?", (first_id(db),)),
            db.execute("UPDATE submissions SET size = (SELECT SUM(length(data)) FROM chunks c "
                       "WHERE c.submission = submissions.id)"))), "over"),
        ("sizes that do not add up", b("sizes", lambda db: db.execute("UPDATE submissions SET size = size + 1")),
         "add up"),
        ("a missing chunk", b("gap", lambda db: db.execute(
            "DELETE FROM chunks WHERE seq = 0 AND submission IN (SELECT submission FROM chunks WHERE seq = 1)")),
         "add up"),
        ("hostile id", b("hostile", lambda db: (
            db.execute("PRAGMA foreign_keys = OFF"),
            db.execute("UPDATE chunks SET submission = '../../../../etc/passwd' WHERE submission = ?", (first_id(db),)),
            db.execute("UPDATE submissions SET id = '../../../../etc/passwd' WHERE id = ?", (first_id(db),)))),
         "32 lowercase hex"),
        ("orphan chunk", b("orphan", lambda db: db.execute(
            "INSERT INTO chunks VALUES ('00000000000000000000000000000000', 0, x'00')")), "no submission"),
        ("tables without STRICT", b("notstrict", lambda db: rebuilt(db, lambda: NOT_STRICT)), "layout"),
        ("duplicated rows", b("dups", lambda db: (rebuilt(db, lambda: NO_KEYS), db.execute(
            "INSERT INTO submissions SELECT * FROM submissions LIMIT 1"))), "layout"),
        ("bad receipt text", b("receipt", lambda db: db.execute("UPDATE submissions SET receipt = 'x'")), "receipt"),
    ]
    # A kill -9 in the middle of an import leaves all of it or none.
    scratch = os.path.join(root, "scratch-vault")
    for round_ in range(6):
        for name in os.listdir(root):
            if name.startswith("scratch-vault"):
                os.unlink(os.path.join(root, name))
        new_vault(scratch, org)
        proc = subprocess.Popen([MALYAVA, "import", "--vault", scratch, "--passphrase-file", org.passfile,
                                 "--ack", os.path.join(root, "scratch.ack"), good],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(random.uniform(0.05, 0.6))
        proc.kill()
        proc.wait()
        db = sqlite3.connect(scratch)
        ok = db.execute("PRAGMA integrity_check").fetchone()[0]
        n = db.execute("SELECT COUNT(*) FROM envelopes").fetchone()[0]
        chunks_orphaned = db.execute("SELECT COUNT(*) FROM payload_chunks WHERE envelope NOT IN "
                                     "(SELECT id FROM envelopes)").fetchone()[0]
        db.close()
        check(ok == "ok" and n in (0, 3) and chunks_orphaned == 0,
              f"kill -9 during import, round {round_}: intact, {n} of 3 (all or none)")
        p = Vault(scratch, org.passfile)("import", good)
        check("(of 3)" in p.stdout and p.stdout.count("new") == 1, "importing again after the kill finishes the job")
        check(Vault(scratch, org.passfile)("list").stdout.rstrip().endswith("3 of 3 testimonies"), "and all three open")

    before = file_hash(vault_path)
    for what, path, words in cases:
        p = v("import", path, ok=None)
        check(p.returncode == 1 and "refused bundle" in p.stderr and words in p.stderr and
              "vault is unchanged" in p.stderr, f"{what}: refused ({p.returncode}) {p.stderr.strip()!r}")
        check(file_hash(vault_path) == before, f"{what}: the vault file is unchanged")
        check(not os.path.exists(path + ".ack"), f"{what}: no ack file written")

    # One forged envelope among good ones: the rest come in, it does not.
    forged = b("forged", forge)
    p = v("import", forged, ok=None)
    check(p.returncode == 1 and "left out submission" in p.stderr and "imported 2 new" in p.stdout,
          f"a forged envelope is left out, the others imported: {p.stdout!r} {p.stderr!r}")
    db = sqlite3.connect(forged)
    forged_id = first_id(db)
    db.close()
    ack = open(forged + ".ack").read()
    check(forged_id not in ack and ack.count("\n") == 3, "the forged one is not in the ack file")
    check(v("list").stdout.rstrip().endswith("2 of 2 testimonies"), "two in the vault")

    # The same bytes in 1-byte chunks import fine (and the third is added).
    p = v("import", b("split", split_chunks))
    check("imported 1 new, 2 already" in p.stdout, f"1-byte chunks import: {p.stdout!r}")
    check(v("show", "3").stdout.count("testimony") >= 2, "and the envelope opens")
    check(forged_id in open(os.path.join(root, "split.ack")).read(), "and is acknowledged this time")
    cleanup(root)
    check.exit()


main()
