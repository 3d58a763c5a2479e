#!/usr/bin/env python3
"""Reply accounts, replies bundles and retention against the real server.

Promises of docs/PROTOCOL.md and docs/FORMAT.md: a source registers
(hash of its login token, reply key, for a proof of work) and fetches the
sealed replies the editors imported for that key, byte for byte; an
unknown token gets what an account without replies gets;
a replies bundle is checked whole (SQLite, application_id, user_version,
exact tables, sizes, each reply in format 2 and sealed to exactly its key,
no duplicate rows) and a hostile one stores nothing; importing twice is
harmless;
retention deletes idle accounts with their replies, old replies and old
submissions (rows and files).
"""
import hashlib
import os
import sqlite3
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srv_lib import DROPBOX, Checks, Org, Server, cleanup, init_data_dir, run, tmpdir  # noqa: E402

MKREPLY = os.environ["SRV_MKREPLY"]
REGISTER = "/api/v1/replies/register"
FETCH = "/api/v1/replies/fetch"
IMPORT = "/api/v1/replies/import"
check = Checks()

SCHEMA = """
PRAGMA application_id = 1296848466;
PRAGMA user_version = 1;
CREATE TABLE bundle_info (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE replies (
  id TEXT PRIMARY KEY,
  reply_key TEXT NOT NULL,
  created_day INTEGER NOT NULL,
  data BLOB NOT NULL
) STRICT;
"""


class Source:
    """A login token and a reply key. The key's secret half is not needed:
    the server only ever sees the public key and sealed bytes."""

    def __init__(self):
        self.token = os.urandom(32)
        self.pk = os.urandom(32)
        self.token_hash = hashlib.blake2b(self.token, digest_size=32).digest()

    def register_body(self, pk=None):
        return (self.token.hex() + "\n" + (pk or self.pk).hex()).encode()


def register(srv, body):
    """POST /api/v1/replies/register with a fresh proof of work."""
    return srv.request("POST", REGISTER, srv.pow(), body)


def reply(root, pk, message, mode=None):
    """A reply proven with editor alice's key (or made by `mode`, see srv_mkreply.c)."""
    out = os.path.join(root, f"reply-{os.urandom(6).hex()}.env")
    how = mode or ["--editor", os.path.join(root, "org", "editors", "alice.key"), os.path.join(root, "pass")]
    subprocess.run([MKREPLY, *how, pk.hex(), out, message], check=True)
    with open(out, "rb") as f:
        return f.read()


def bundle(path, rows, schema=SCHEMA, kind="replies", extra_sql=""):
    if os.path.exists(path):
        os.unlink(path)
    db = sqlite3.connect(path)
    db.executescript(schema + extra_sql)
    db.execute("INSERT INTO bundle_info VALUES ('kind', ?)", (kind,))
    db.executemany("INSERT INTO replies VALUES (?, ?, ?, ?)", rows)
    db.commit()
    db.close()
    return path


def row(pk, data, rid=None):
    return (rid or os.urandom(16).hex(), pk.hex(), 20000, data)


def duplicated(path, rows):
    """A bundle whose table holds the same id twice while its schema and
    primary-key index look right: only reading the table shows it."""
    bundle(path, rows[:1])
    db = sqlite3.connect(path)
    db.execute("PRAGMA writable_schema = ON")
    root = db.execute("SELECT rootpage FROM sqlite_schema WHERE name = 'sqlite_autoindex_replies_1'").fetchone()[0]
    sql = db.execute("SELECT sql FROM sqlite_schema WHERE name = 'replies'").fetchone()[0]
    db.execute("DELETE FROM sqlite_schema WHERE name = 'sqlite_autoindex_replies_1'")
    db.execute("UPDATE sqlite_schema SET sql = ? WHERE name = 'replies'", (sql.replace(" PRIMARY KEY", ""),))
    db.commit()
    db.close()
    db = sqlite3.connect(path)
    db.executemany("INSERT INTO replies VALUES (?, ?, ?, ?)", rows)
    db.commit()
    db.execute("PRAGMA writable_schema = ON")
    db.execute("UPDATE sqlite_schema SET sql = ? WHERE name = 'replies'", (sql,))
    db.execute("INSERT INTO sqlite_schema VALUES ('index', 'sqlite_autoindex_replies_1', 'replies', ?, NULL)", (root,))
    db.commit()
    db.close()
    return path


def stored_replies(data_dir):
    db = sqlite3.connect(f"file:{data_dir}/malyava.db?mode=ro", uri=True)
    try:
        return sorted(db.execute("SELECT id, reply_key, envelope FROM replies").fetchall())
    finally:
        db.close()


def parse_fetch(body):
    n = struct.unpack_from("<I", body, 0)[0]
    pos, out = 4, []
    for _ in range(n):
        ln = struct.unpack_from("<I", body, pos)[0]
        out.append(body[pos + 4:pos + 4 + ln])
        pos += 4 + ln
    check(pos == len(body), "fetch answer: nothing after the last reply")
    return out


def db_execute(data_dir, sql, *args):
    db = sqlite3.connect(f"{data_dir}/malyava.db", timeout=10)
    db.execute(sql, args)
    db.commit()
    db.close()


def main():
    root = tmpdir("srv-replies")
    org = Org(root, ("alice",))
    m1 = org.sign(["alice"])
    data, init_out = init_data_dir(root, org, m1)
    auth = {"Authorization": "Bearer " + init_out.strip().splitlines()[-1]}
    s1, s2, s3 = Source(), Source(), Source()
    srv = Server(data).start()
    try:
        # -- accounts
        st, _, _, _ = register(srv, s1.register_body())
        check(st == 204, f"register: 204 ({st})")
        check(register(srv, s1.register_body() + b"\n")[0] == 204, "registering again is harmless")
        check(register(srv, s2.register_body())[0] == 204, "a second source registers")
        check(register(srv, s1.register_body(os.urandom(32)))[0] == 409, "the same token with another key: 409")
        check(register(srv, s3.register_body(s1.pk))[0] == 409, "another token with a registered key: 409")
        for what, body in (("one line", s1.token.hex().encode()), ("not hex", b"x" * 64 + b"\n" + b"y" * 64),
                           ("zero key", s3.register_body(bytes(32))), ("too long", s3.register_body() + b"\n\n")):
            st, _, msg, _ = register(srv, body)
            check(st == 400 and msg.endswith(b"\n"), f"register {what}: 400 ({st})")
        db = sqlite3.connect(f"file:{data}/malyava.db?mode=ro", uri=True)
        accounts = dict(db.execute("SELECT token_hash, reply_key FROM reply_accounts").fetchall())
        db.close()
        check(accounts == {s1.token_hash: s1.pk, s2.token_hash: s2.pk}, "the server keeps the token's hash and key")
        check(srv.request("POST", FETCH, {}, s1.token.hex().encode())[0] == 204, "fetch before any reply: 204")
        st, _, msg, _ = srv.request("POST", FETCH, {}, s3.token.hex().encode())
        check(st == 204 and msg == b"", f"fetch with an unknown token: 204 as without replies ({st})")
        check(srv.request("GET", FETCH)[0] == 405, "fetch is POST only, keeping the token out of URLs")

        # -- import
        r1a, r1b, r2 = reply(root, s1.pk, "first answer"), reply(root, s1.pk, "second answer"), \
            reply(root, s2.pk, "to source two")
        good = [row(s1.pk, r1a), row(s1.pk, r1b), row(s2.pk, r2)]
        path = bundle(os.path.join(root, "replies.bundle"), good)
        body = open(path, "rb").read()
        st, _, _, _ = srv.editors("POST", IMPORT, {}, body)
        check(st == 401, "import without the export token: 401")
        st, _, msg, _ = srv.editors("POST", IMPORT, auth, body)
        check(st == 200 and msg == b"stored 3, already present 0\n", f"import stores 3: {st} {msg!r}")
        st, _, msg, _ = srv.editors("POST", IMPORT, auth, body)
        check(st == 200 and msg == b"stored 0, already present 3\n", f"importing again is idempotent: {msg!r}")
        p = run(DROPBOX, "import-replies", data, path)
        check(p.stdout == "stored 0, already present 3\n", f"CLI import-replies: {p.stdout!r}")
        check(not [n for n in os.listdir(data) if n.startswith("bundle-")], "no temporary bundle left in DATA_DIR")

        st, h, got, _ = srv.request("POST", FETCH, {}, s1.token.hex().encode() + b"\n")
        check(st == 200 and h.get("content-type") == "application/octet-stream", f"fetch: 200 ({st})")
        check(sorted(parse_fetch(got)) == sorted([r1a, r1b]), "fetch returns source one's replies byte for byte")
        st, _, got, _ = srv.request("POST", FETCH, {}, s2.token.hex().encode())
        check(st == 200 and parse_fetch(got) == [r2], "and source two's to source two")

        # -- hostile bundles: each carries one good new reply too, and none is stored
        before = stored_replies(data)
        fresh = row(s1.pk, reply(root, s1.pk, "never stored"))
        bare = reply(root, s1.pk, "Reply with your full name and cell number.", ["--bare"])
        hp = os.path.join(root, "hostile.bundle")
        other = Source()
        cases = [
            ("not SQLite", lambda: open(hp, "wb").write(os.urandom(8192)) and hp, "SQLite"),
            ("truncated", lambda: open(hp, "wb").write(body[:len(body) // 2]) and hp, "SQLite"),
            ("wrong application_id", lambda: bundle(hp, [fresh], SCHEMA.replace("1296848466", "1296848450")),
             "application_id"),
            ("wrong user_version", lambda: bundle(hp, [fresh], SCHEMA.replace("user_version = 1", "user_version = 2")),
             "version"),
            ("extra table", lambda: bundle(hp, [fresh], extra_sql="CREATE TABLE extra (x TEXT) STRICT;"), "tables"),
            ("a trigger", lambda: bundle(hp, [fresh], extra_sql="CREATE TRIGGER t AFTER INSERT ON replies BEGIN "
                                                                "SELECT 1; END;"), "tables"),
            ("not STRICT", lambda: bundle(hp, [fresh], SCHEMA.replace(") STRICT;\n", ");\n")), "tables"),
            ("kind export", lambda: bundle(hp, [fresh], kind="export"), "kind"),
            ("oversized data", lambda: bundle(hp, [fresh, row(s1.pk, b"M" * (1024 * 1024 + 1))]), "larger"),
            ("wrong key id", lambda: bundle(hp, [fresh, row(other.pk, r1a)]), "sealed to exactly"),
            ("truncated envelope", lambda: bundle(hp, [fresh, row(s1.pk, r1a[:-1])]), "sealed to exactly"),
            ("a bare envelope, without proof", lambda: bundle(hp, [fresh, row(s1.pk, bare)]), "no proof of origin"),
            ("bad id", lambda: bundle(hp, [fresh, row(s1.pk, r1a, "ABC")]), "id"),
            ("uppercase key", lambda: bundle(hp, [fresh, (os.urandom(16).hex(), s1.pk.hex().upper(), 1, r1a)]),
             "reply_key"),
            ("duplicate rows", lambda: duplicated(hp, [fresh, fresh]), "more than once"),
        ]
        for what, make, word in cases:
            make()
            st, _, msg, _ = srv.editors("POST", IMPORT, auth, open(hp, "rb").read())
            check(st == 422 and msg.startswith(b"replies bundle refused: ") and word.encode() in msg
                  and msg.endswith(b"nothing was stored\n"), f"hostile bundle ({what}): {st} {msg!r}")
        p = run(DROPBOX, "import-replies", data, hp, ok=None)
        check(p.returncode == 1 and "refused" in p.stderr and "more than once" in p.stderr,
              f"CLI refuses a hostile bundle: {p.stderr!r}")
        check(stored_replies(data) == before, "hostile bundles stored nothing")

        # -- retention
        env, _ = org.seal(m1, os.path.join(root, "old.env"), "old testimony")
        loc, _ = srv.upload(env)
        old_id = loc.rsplit("/", 1)[1]
        env2, _ = org.seal(m1, os.path.join(root, "new.env"), "new testimony")
        loc2, _ = srv.upload(env2)
        p = run(DROPBOX, "stats", data)
        check("reply accounts:                2" in p.stdout and "replies waiting:               3" in p.stdout,
              f"stats counts accounts and replies: {p.stdout!r}")
    finally:
        check(srv.stop() == 0, "server stops cleanly")
    # Source one's account and replies are older than reply_account_days
    # (90), though younger than retention_days (180).
    db_execute(data, "UPDATE reply_accounts SET last_active_day = 1 WHERE token_hash = ?", s1.token_hash)
    db_execute(data, "UPDATE replies SET created_day = created_day - 100 WHERE reply_key = ?", s1.pk)
    db_execute(data, "UPDATE submissions SET received_day = 1 WHERE id = ?", old_id)
    p = run(DROPBOX, "stats", data)
    check("WARNING:" in p.stdout and "1 submissions are deleted by retention" in p.stdout,
          f"stats warns of submissions near retention: {p.stdout!r}")
    srv = Server(data).start()
    try:
        db = sqlite3.connect(f"file:{data}/malyava.db?mode=ro", uri=True)
        left = [r[0] for r in db.execute("SELECT token_hash FROM reply_accounts")]
        db.close()
        check(left == [s2.token_hash], "an idle account is gone after retention")
        check([r[1] for r in stored_replies(data)] == [s2.pk], "its replies went with it; others stayed")
        envs = sorted(os.listdir(os.path.join(data, "envelopes")))
        check(envs == [loc2.rsplit("/", 1)[1] + ".env"], f"the old submission's file is gone: {envs}")
        db = sqlite3.connect(f"file:{data}/malyava.db?mode=ro", uri=True)
        ids = [r[0] for r in db.execute("SELECT id FROM submissions")]
        db.close()
        check(ids == [loc2.rsplit("/", 1)[1]], "and its row")
    finally:
        check(srv.stop() == 0, "server stops cleanly")
    db_execute(data, "UPDATE replies SET created_day = 1")
    srv = Server(data).start()
    try:
        check(srv.request("POST", FETCH, {}, s2.token.hex().encode())[0] == 204,
              "replies older than retention_days are deleted; the active account stays")
    finally:
        check(srv.stop() == 0, "server stops cleanly")
    cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
