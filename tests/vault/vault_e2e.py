#!/usr/bin/env python3
"""The air-gap loop end to end, with every piece real.

A source submits with `malyava submit` and a codename; editors export over
HTTP, import into a vault, list, search, show, extract (stripping a
photo's GPS), triage, reply and export the replies; the server takes them;
the source reads the reply with `malyava replies`, the codename and the
pinned organisation key, and is shown nothing of what whoever holds the
server writes into its database.
The ack purges exactly what was imported. Along the way: importing twice
adds nothing, the vault file holds no testimony, note or tag in clear,
and key rotation (rewrap) moves envelopes from a retired key to a new one.
"""
import os
import re
import sqlite3
import stat
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vault_lib import MALYAVA, Vault, jpeg_with_gps, run  # noqa: E402
from srv_lib import DROPBOX, KEYS, Checks, Org, Server, cleanup, init_data_dir, tmpdir  # noqa: E402

MKREPLY = os.environ["SRV_MKREPLY"]

check = Checks()
MESSAGE = "MARKER-TESTIMONY they beat him in cell 4 at night"
CYRILLIC = "Избиение в ШИЗО, Свидетель Петров"
NOTE = "MARKER-NOTE call the lawyer on Monday"
TAG = "MARKER-TAG-beatings"
REPLY = "MARKER-REPLY we received it and will call your lawyer"
FORGED = "Reply with your full name and cell number"


def submit(srv, org, root, name, message, fields, files, codename=None):
    args = [MALYAVA, "submit", f"http://127.0.0.1:{srv.port}", "--org-key", org.org_pub, "--message", message]
    for f in fields:
        args += ["--field", f]
    if codename:
        args += ["--codename-file", codename]
    p = run(*args, *files)
    m = re.search(r"^receipt: (\S+)$", p.stdout, re.M)
    check(m is not None, f"submit {name} printed a receipt")
    return m.group(1) if m else "", p


def main():
    root = tmpdir("vault-e2e")
    org = Org(root, ("alice", "bob"))
    manifest = org.sign(["alice", "bob"])
    data, init_out = init_data_dir(root, org, manifest)
    auth = {"Authorization": f"Bearer {init_out.strip().splitlines()[-1]}"}
    srv = Server(data).start()
    url = f"http://127.0.0.1:{srv.port}"
    try:
        photo = os.path.join(root, "cell.jpg")
        doc = os.path.join(root, "list.txt")
        with open(photo, "wb") as f:
            f.write(jpeg_with_gps())
        with open(doc, "wb") as f:
            f.write(os.urandom(3000))
        codename = os.path.join(root, "codename.txt")

        # -- the source
        r1, p = submit(srv, org, root, "one", MESSAGE, ["place=IK-2 Kopeisk", "category=beating"], [photo, doc],
                       codename)
        check(os.path.exists(codename) and stat.S_IMODE(os.stat(codename).st_mode) == 0o600,
              "a new codename file is made 0600")
        words = open(codename).read().split()
        check(len(words) == 10 and all(re.fullmatch(r"[a-z]{4}", w) for w in words), f"ten codename words: {words}")
        check("malyava replies" in p.stderr, "submit tells the source how to come back")
        r2, _ = submit(srv, org, root, "two", CYRILLIC, ["place=СИЗО-1"], [])

        # -- export over HTTP
        st, _, bundle_bytes, _ = srv.editors("GET", "/api/v1/export", auth)
        check(st == 200, f"export over HTTP: {st}")
        bundle = os.path.join(root, "usb-export.bundle")
        with open(bundle, "wb") as f:
            f.write(bundle_bytes)

        # -- the vault
        vault_path = os.path.join(root, "vault")
        v = Vault(vault_path, org.passfile)
        run(MALYAVA, "init", vault_path)
        check(stat.S_IMODE(os.stat(vault_path).st_mode) == 0o600, "the vault file is 0600")
        check(run(MALYAVA, "init", vault_path, ok=False).returncode == 1, "init never overwrites a vault")
        for name in ("alice", "bob"):
            run(MALYAVA, "key", "add", "--vault", vault_path, "--passphrase-file", org.passfile,
                os.path.join(org.dir, "editors", f"{name}.key"))
        p = v("import", bundle)
        check("imported 2 new" in p.stdout, f"import: {p.stdout!r}")
        ack = bundle + ".ack"
        ack_text = open(ack).read()
        check(ack_text.startswith("malyava-ack 1\n") and ack_text.count("\n") == 3 and r1 in ack_text and r2 in ack_text,
              f"the ack file names both with their receipts: {ack_text!r}")
        before = open(vault_path, "rb").read()
        p = v("import", bundle)
        check("0 new, 2 already" in p.stdout and open(ack).read() == ack_text, "importing again adds nothing")
        check(open(vault_path, "rb").read() == before, "and leaves the vault file byte for byte")

        # -- reading
        p = v("list")
        check(p.stdout.rstrip().endswith("2 of 2 testimonies"), f"list count line: {p.stdout!r}")
        rows = p.stdout.splitlines()[1:-1]
        check(len(rows) == 2 and all("alice" in r and "bob" in r for r in rows),
              f"list shows which keys each envelope is sealed to: {rows}")
        check("[IK-2 Kopeisk]" in p.stdout and "MARKER-TESTIMONY" in p.stdout, "list shows place and text")
        p = v("list", "--field", "place=ik-2")
        check(p.stdout.rstrip().endswith("1 of 2 testimonies"), "list --field matches without regard to case")
        p = v("search", "шизо")
        check(p.stdout.rstrip().endswith("1 of 2 testimonies match") and "СИЗО-1" in p.stdout,
              f"search folds Cyrillic case: {p.stdout!r}")
        p = v("search", "no such words anywhere")
        check(p.stdout.rstrip().endswith("0 of 2 testimonies match"), "search that finds nothing says so")
        ids = {}
        for line in v("list").stdout.splitlines()[1:-1]:
            ids["one" if "MARKER-TESTIMONY" in line else "two"] = line.split()[0]
        one, two = ids.get("one", "1"), ids.get("two", "2")
        p = v("show", one)
        check(MESSAGE in p.stdout and "IK-2 Kopeisk" in p.stdout and "cell.jpg" in p.stdout and "image/jpeg" in p.stdout,
              "show prints text, fields and attachments")
        check(f"receipt:   {r1}" in p.stdout, "show prints the receipt the source was given")
        check("reply:     possible" in p.stdout, "show says a reply can reach the source")
        check(v("show", "99", ok=False).returncode == 2, "show of a missing number is a usage error")

        out = os.path.join(root, "out1")
        p = v("extract", one, "-o", out)
        files = os.path.join(out, "files")
        check(open(os.path.join(files, "cell.jpg"), "rb").read() == jpeg_with_gps(), "extract: photo byte-identical")
        check(open(os.path.join(files, "list.txt"), "rb").read() == open(doc, "rb").read(), "extract: file identical")
        check(open(os.path.join(out, "message.txt")).read() == MESSAGE, "extract: message")
        check(all(stat.S_IMODE(os.stat(os.path.join(files, n)).st_mode) == 0o600 for n in os.listdir(files)),
              "extracted files are 0600")
        check("GPS" in p.stdout and "--strip" in p.stdout, f"extract flags the photo's GPS: {p.stdout!r}")
        out2 = os.path.join(root, "out2")
        p = v("extract", one, "-o", out2, "--strip")
        stripped = open(os.path.join(out2, "files", "cell.jpg"), "rb").read()
        check(b"Exif" not in stripped and b"guard" not in stripped and stripped.startswith(b"\xff\xd8"),
              "extract --strip removes Exif and comments")
        check(v("extract", one, "-o", out2, ok=False).returncode == 1, "extract never overwrites")

        # -- triage
        v("status", one, "verified")
        v("tag", one, TAG)
        v("note", one, NOTE)
        v("assign", one, "dmitri")
        check(v("status", one, "bogus", ok=False).returncode == 2, "an unknown status is a usage error")
        p = v("history", one)
        check("4 changes" in p.stdout and NOTE in p.stdout and "alice" in p.stdout, f"history: {p.stdout!r}")
        check(v("list", "--status", "verified").stdout.rstrip().endswith("1 of 2 testimonies"), "list --status")
        check(v("list", "--tag", TAG).stdout.rstrip().endswith("1 of 2 testimonies"), "list --tag")
        check(v("list", "--assignee", "dmitri").stdout.rstrip().endswith("1 of 2 testimonies"), "list --assignee")
        check(v("list", "--assignee", "none").stdout.rstrip().endswith("1 of 2 testimonies"), "list --assignee none")
        check(v("search", "lawyer on monday").stdout.rstrip().endswith("1 of 2 testimonies match"), "search finds notes")
        lo, hi = sorted((int(one), int(two)))
        v("tag", f"{lo}-{hi}", "batch-one")
        v("tag", f"{one},{two}", "batch-two")
        check(v("list", "--tag", "batch-one").stdout.rstrip().endswith("2 of 2 testimonies") and
              v("list", "--tag", "batch-two").stdout.rstrip().endswith("2 of 2 testimonies"),
              "one command tags a range or a list of testimonies")
        for bad in ("1-", "0", "2-1", "1,,2", "x"):
            check(v("tag", bad, "t", ok=False).returncode == 2, f"a bad list '{bad}' is a usage error")
        check(v("tag", f"{one},99", "t", ok=False).returncode == 2 and
              "batch" not in v("show", one).stdout.split("tags:")[1].split("\n")[0].replace("batch-one", "")
              .replace("batch-two", ""), "a list with a missing number changes nothing")

        # -- reply, and the source reads it
        proof = ["--manifest", manifest, "--org-key", org.org_pub]
        p = v("reply", one, "--message", REPLY, ok=False)
        check(p.returncode == 2 and "--manifest" in p.stderr, "a reply needs the manifest that lists its key")
        v("reply", one, "--message", REPLY, *proof)
        check(v("reply", two, "--message", "x", *proof, ok=False).returncode == 1,
              "no reply without the source's codename")
        only_bob = org.sign(["bob"])
        p = v("reply", one, "--message", "x", "--manifest", only_bob, "--org-key", org.org_pub, ok=False)
        check(p.returncode == 1 and "'alice'" in p.stderr and "not in the manifest" in p.stderr and
              "--key NAME" in p.stderr and "bob" in p.stderr,
              f"reply refuses a key the manifest does not list, and names one it does: {p.stderr!r}")
        org.sign(["alice", "bob"])
        replies = os.path.join(root, "usb-replies.bundle")
        p = run(MALYAVA, "export-replies", "--vault", vault_path, "-o", replies)
        check("wrote 1 reply" in p.stdout, f"export-replies: {p.stdout!r}")
        st, _, body, _ = srv.editors("POST", "/api/v1/replies/import", auth, open(replies, "rb").read())
        check(st == 200, f"the server imports the replies bundle: {st} {body!r}")
        p = run(MALYAVA, "export-replies", "--vault", vault_path, "-o", replies + "2")
        check("wrote 0 replies" in p.stdout, "a reply is exported once")
        # A reply an older malyava sealed without proof, still waiting in the vault.
        vdb = sqlite3.connect(vault_path)
        env_id, key_hex = vdb.execute("SELECT envelope, reply_key FROM replies").fetchone()
        old = os.path.join(root, "old-reply")
        run(MKREPLY, "--bare", key_hex, old, "sealed before proofs")
        old_id = "0" * 31 + "1"
        vdb.execute("INSERT INTO replies (id, envelope, reply_key, created_day, data) VALUES (?, ?, ?, 20000, ?)",
                    (old_id, env_id, key_hex, open(old, "rb").read()))
        vdb.commit()
        vdb.close()
        for n in (3, 4):
            p = run(MALYAVA, "export-replies", "--vault", vault_path, "-o", f"{replies}{n}")
            bdb = sqlite3.connect(f"{replies}{n}")
            check("wrote 0 replies" in p.stdout and old_id in p.stderr and "malyava reply" in p.stderr and
                  bdb.execute("SELECT COUNT(*) FROM replies").fetchone()[0] == 0,
                  f"export-replies leaves a reply without proof in the vault and names it, every time: {p.stderr!r}")
            bdb.close()
        src = ["--codename-file", codename, "--org-key", org.org_pub]
        p = run(MALYAVA, "replies", url, "--codename-file", codename, ok=False)
        check(p.returncode == 2 and "--org-key" in p.stderr, "replies needs the pinned organisation key")
        p = run(MALYAVA, "replies", url, *src)
        check(REPLY in p.stdout and "proven to come from the organisation" in p.stdout and
              p.stdout.rstrip().endswith("1 reply"), f"the source reads the reply: {p.stdout!r}")
        wrong = os.path.join(root, "wrong-codename.txt")
        with open(wrong, "w") as f:
            f.write("bada " * 10)
        p = run(MALYAVA, "replies", url, "--codename-file", wrong, "--org-key", org.org_pub)
        check("no replies yet" in p.stdout, "another codename sees none of them")

        # -- what whoever holds the server database can write there itself
        # (the source's reply key: the one the reply was sealed to)
        reply_pk = bytes.fromhex(key_hex)
        db = sqlite3.connect(os.path.join(data, "malyava.db"), timeout=30)
        for mode in ("--bare", "--forger"):
            forged = os.path.join(root, f"forged{mode}")
            run(MKREPLY, mode, reply_pk.hex(), forged, FORGED)
            db.execute("INSERT INTO replies (id, reply_key, created_day, envelope) VALUES (?, ?, ?, ?)",
                       (os.urandom(16).hex(), reply_pk, int(time.time()) // 86400, open(forged, "rb").read()))
        db.commit()
        db.close()
        p = run(MALYAVA, "replies", url, *src, ok=False)
        check(p.returncode == 1 and REPLY in p.stdout and FORGED not in p.stdout + p.stderr,
              f"forged replies are not shown, the genuine one is: {p.stdout!r}")
        check(p.stdout.count("NOT SHOWN") == 2 and "cannot be proven to come from the organisation" in p.stdout and
              "does not use now" in p.stdout and "Never send your name" in p.stdout and
              "2 messages not shown" in p.stdout and p.stdout.rstrip().endswith("1 reply"),
              f"and the source is told, in plain words: {p.stdout!r}")

        # -- nothing in clear in the vault
        blobs = b""
        for name in os.listdir(root):
            if name.startswith("vault"):
                blobs += open(os.path.join(root, name), "rb").read()
        for marker in (MESSAGE, CYRILLIC, NOTE, TAG, REPLY, "IK-2", "cell.jpg", "dmitri"):
            check(marker.encode() not in blobs, f"the vault holds no clear '{marker}'")

        # -- report
        svg = os.path.join(root, "report.svg")
        p = v("report", "--svg", svg)
        check("verified" in p.stdout and "IK-2 Kopeisk" in p.stdout and "СИЗО-1" in p.stdout, f"report: {p.stdout!r}")
        chart = open(svg).read()
        check(chart.startswith("<svg") and "IK-2 Kopeisk" in chart and chart.rstrip().endswith("</svg>"),
              "report --svg writes a chart")

        # -- key rotation: carol joins, alice retires, envelopes move
        org.add_editor("carol")
        carol_pub = os.path.join(org.dir, "editors", "carol.pub")
        p = v("rewrap", "--to", carol_pub)
        check("rewrapped 2 envelopes" in p.stdout, f"rewrap --to: {p.stdout!r}")
        run(MALYAVA, "key", "add", "--vault", vault_path, "--passphrase-file", org.passfile,
            os.path.join(org.dir, "editors", "carol.key"))
        run(MALYAVA, "key", "retire", "--vault", vault_path, "alice")
        p = v("rewrap", "--from", "alice", "--key", "carol")
        check("rewrapped 2 envelopes" in p.stdout, f"rewrap --from: {p.stdout!r}")
        check(v("list", "--sealed-to", "alice", "--key", "carol").stdout.rstrip().endswith("0 of 2 testimonies"),
              "no envelope is sealed to the retired key any more")
        check(v("list", "--sealed-to", "carol", "--key", "carol").stdout.rstrip().endswith("2 of 2 testimonies"),
              "all are sealed to the new key")
        db = sqlite3.connect(vault_path)
        headers = [h for (h,) in db.execute("SELECT header FROM envelopes")]
        db.close()
        check(all(len(h) == 74 + 91 * 2 for h in headers), "headers now carry bob and carol: two stanzas")
        out3 = os.path.join(root, "out3")
        v("extract", one, "-o", out3, "--key", "carol")
        check(open(os.path.join(out3, "message.txt")).read() == MESSAGE, "the new key opens the rewrapped envelope")

        # -- the ack purges exactly those
        st, _, body, _ = srv.editors("POST", "/api/v1/export/ack", auth, ack_text.encode())
        check(st == 200 and body == b"purged 2, unknown 0\n", f"ack: {st} {body!r}")
        check(os.listdir(os.path.join(data, "envelopes")) == [], "nothing of the submissions is left on the server")
        st, _, again, _ = srv.editors("GET", "/api/v1/export", auth)
        empty = os.path.join(root, "empty.bundle")
        with open(empty, "wb") as f:
            f.write(again)
        sdb = sqlite3.connect(empty)
        check(sdb.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 0, "the next export is empty")
        sdb.close()
    finally:
        srv.stop()
    cleanup(root)
    check.exit()


main()
