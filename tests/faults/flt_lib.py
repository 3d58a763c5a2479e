"""What the fault tests share, on top of tests/server/srv_lib.py: sealed
envelopes of chosen sizes, a view of what the server has acknowledged,
and checks that it is all still there and whole."""
import hashlib
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))
from srv_lib import receipt_of  # noqa: E402


def sanitized(program):
    """Whether `program` was built with the sanitizers (it links their
    runtimes); their shadow memory and interceptors change what /proc shows."""
    p = subprocess.run(["ldd", program], capture_output=True, text=True)
    return "libasan" in p.stdout or "libubsan" in p.stdout


def envelopes(org, manifest, root, sizes):
    """One real envelope per size (bytes of attachment, roughly), sealed by
    `malyava seal`; returns [(bytes, receipt)]."""
    out = []
    for i, size in enumerate(sizes):
        att = os.path.join(root, f"attachment-{i}.bin")
        with open(att, "wb") as f:
            f.write(os.urandom(size))
        out.append(org.seal(manifest, os.path.join(root, f"env-{i}"), f"testimony {i}", [att]))
        os.unlink(att)
    return out


def received(data):
    """{id: receipt hex} of the submissions table: what was acknowledged."""
    db = sqlite3.connect(f"file:{data}/malyava.db?mode=ro", uri=True, timeout=30)
    try:
        return {i: bytes(r).hex() for i, r in db.execute("SELECT id, receipt FROM submissions")}
    finally:
        db.close()


def pending(data):
    db = sqlite3.connect(f"file:{data}/malyava.db?mode=ro", uri=True, timeout=30)
    try:
        return dict(db.execute("SELECT id, upload_offset FROM uploads"))
    finally:
        db.close()


def intact(check, data, acked, what):
    """Every acknowledged submission (id -> receipt string) still has its
    row and an envelope file whose digest is that receipt."""
    rows = received(data)
    for sid, rc in acked.items():
        path = os.path.join(data, "envelopes", f"{sid}.env")
        ok = os.path.exists(path) and rows.get(sid) == rc.replace("-", "")
        if ok:
            with open(path, "rb") as f:
                ok = receipt_of(f.read()) == rc
        check(ok, f"{what}: acknowledged submission {sid} is whole")


def files_match_rows(check, data, what):
    """No half-done state: envelopes/ holds exactly the received rows and
    uploads/ exactly the pending ones, each cut at its committed offset."""
    rows, parts = received(data), pending(data)
    envs = sorted(os.listdir(os.path.join(data, "envelopes")))
    ups = sorted(os.listdir(os.path.join(data, "uploads")))
    check(envs == sorted(f"{i}.env" for i in rows), f"{what}: envelopes/ holds exactly the received rows")
    check(ups == sorted(f"{i}.part" for i in parts), f"{what}: uploads/ holds exactly the pending rows")
    for i, off in parts.items():
        check(os.path.getsize(os.path.join(data, "uploads", f"{i}.part")) == off,
              f"{what}: pending upload {i} is cut back to its committed offset")


def digest_tree(path):
    out = {}
    for d, _, names in os.walk(path):
        for n in names:
            p = os.path.join(d, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, path)] = hashlib.sha256(f.read()).hexdigest()
    return out


REPLIES_SCHEMA = """
PRAGMA application_id = 1296848466;
PRAGMA user_version = 1;
CREATE TABLE bundle_info (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE replies (id TEXT PRIMARY KEY, reply_key TEXT NOT NULL, created_day INTEGER NOT NULL,
                      data BLOB NOT NULL) STRICT;
INSERT INTO bundle_info VALUES ('kind', 'replies');
"""


def replies_bundle(path, pk, env, n):
    """A replies bundle as docs/FORMAT.md §4 has it: `n` copies of the
    reply envelope `env` sealed to public key `pk`, each with its own id."""
    db = sqlite3.connect(path)
    db.executescript(REPLIES_SCHEMA)
    db.executemany("INSERT INTO replies VALUES (?, ?, 20468, ?)", [(os.urandom(16).hex(), pk.hex(), env)
                                                                   for _ in range(n)])
    db.commit()
    db.close()
