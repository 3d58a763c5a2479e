#!/usr/bin/env python3
"""kill -9 at random moments, 50 rounds: nothing acknowledged is lost and
nothing half-done is visible.

- 20 rounds of concurrent uploads with the server killed mid-flight:
  after a restart every acknowledged submission is whole, files and rows
  agree, and every cut upload resumes from the offset HEAD reports to
  the sealer's receipt.
- 10 rounds of `export` killed: the server's data is unchanged, no file
  appears under the bundle's name unless it is a whole bundle, and the
  next export holds every submission.
- 10 rounds of `ack` killed: the acked submissions go all together or not
  at all (after the restart's recovery), the others stay whole.
- 10 rounds of `import-replies` killed: all of a bundle's replies are
  stored or none.
Each kill lands at a random moment within the command's measured run time.
"""
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flt_lib import digest_tree, envelopes, files_match_rows, intact, received, replies_bundle  # noqa: E402
from srv_lib import DROPBOX, Checks, Org, Server, cleanup, init_data_dir, run, tmpdir, upload_tracked  # noqa: E402

check = Checks()
MKREPLY = os.environ["SRV_MKREPLY"]
CHUNK = 64 * 1024
rng = random.Random(int(os.environ.get("FLT_SEED", str(int(time.time())))))


def upload_rounds(data, envs, rounds, acked):
    cut = 0
    for rnd in range(rounds):
        what = f"upload round {rnd + 1}"
        srv = Server(data).start()
        state = {}
        lock = threading.Lock()

        def worker(i):
            def progress(loc, sent, h):
                with lock:
                    state[i] = (loc, sent)
                    if "malyava-receipt" in h:
                        acked[loc.rsplit("/", 1)[1]] = h["malyava-receipt"]
            upload_tracked(srv, envs[i][0], CHUNK, progress)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(envs))]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.01, 0.3))
        srv.proc.kill()
        srv.proc.wait()
        srv.proc.stdout.close()
        for t in threads:
            t.join()
        srv = Server(data).start()
        intact(check, data, acked, what)
        files_match_rows(check, data, what)
        for i, (loc, sent) in state.items():
            sid = loc.rsplit("/", 1)[1]
            if sid in acked:
                continue
            env, receipt = envs[i]
            st, h, _, _ = srv.head(loc)
            if st == 200 and "malyava-receipt" in h:
                check(h["malyava-receipt"] == receipt, f"{what}: a completion whose answer was lost is whole")
                acked[sid] = receipt
                continue
            off = int(h.get("upload-offset", "-1"))
            check(st == 200 and sent <= off <= len(env), f"{what}: HEAD offset {off} is at least the acked {sent}")
            st, h, _, _ = srv.patch(loc, off, env[off:])
            check(st == 204 and h.get("malyava-receipt") == receipt, f"{what}: the cut upload resumes to its receipt")
            acked[sid] = receipt
            cut += 1
        check(srv.stop() == 0, f"{what}: clean stop")
    return cut


def timed(args):
    t = time.time()
    run(*args)
    return time.time() - t


def kill_during(args, span):
    """Starts `args`, kills it after a random share of `span` seconds;
    returns True if it was killed before it finished."""
    p = subprocess.Popen([str(a) for a in args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        p.wait(rng.uniform(0, span))
        p.stderr.close()
        return False
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        p.stderr.close()
        return True


def bundle_ids(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {r[0] for r in db.execute("SELECT id FROM submissions")}
    finally:
        db.close()


def export_rounds(root, data, rounds, acked):
    before = digest_tree(os.path.join(data, "envelopes")), received(data)
    span = 1.3 * timed([DROPBOX, "export", data, "-o", os.path.join(root, "measure.bundle")])
    killed = 0
    for rnd in range(rounds):
        what = f"export round {rnd + 1}"
        out = os.path.join(root, f"export-{rnd}.bundle")
        killed += kill_during([DROPBOX, "export", data, "-o", out], span)
        check((digest_tree(os.path.join(data, "envelopes")), received(data)) == before,
              f"{what}: the server's data is unchanged")
        if os.path.exists(out):
            try:
                ids = bundle_ids(out)
            except sqlite3.Error:
                ids = None
            check(ids == set(acked), f"{what}: a file under the bundle's name is a whole bundle")
    again = os.path.join(root, "export-after.bundle")
    run(DROPBOX, "export", data, "-o", again)
    check(bundle_ids(again) == set(acked), "after the killed exports a new export holds every submission")
    return killed


def ack_rounds(root, data, envs, rounds, acked):
    srv = Server(data).start()
    fresh = []
    for i in range(rounds * 2):
        loc, rc = srv.upload(envs[i % len(envs)][0])
        fresh.append((loc.rsplit("/", 1)[1], rc))
    check(srv.stop() == 0, "clean stop after the uploads to ack")
    for sid, rc in fresh:
        acked[sid] = rc
    span = None
    killed = 0
    for rnd in range(rounds):
        what = f"ack round {rnd + 1}"
        batch = dict(fresh[2 * rnd:2 * rnd + 2])
        path = os.path.join(root, f"ack-{rnd}")
        with open(path, "w") as f:
            f.write("malyava-ack 1\n" + "".join(f"{s} {r}\n" for s, r in sorted(batch.items())))
        if span is None:
            span = 1.3 * timed([DROPBOX, "ack", data, path])
            gone = set(batch)
        else:
            killed += kill_during([DROPBOX, "ack", data, path], span)
            srv = Server(data).start()  # recovery removes files whose rows went
            check(srv.stop() == 0, f"{what}: clean stop")
            rows = received(data)
            left = set(batch) & set(rows)
            check(left in (set(), set(batch)), f"{what}: the acked submissions went together or not at all")
            gone = set(batch) - left
        for sid in gone:
            del acked[sid]
        intact(check, data, acked, what)
        files_match_rows(check, data, what)
    return killed


def reply_count(data):
    # Read-write: an import killed mid-way leaves a hot rollback journal,
    # which the next opener (as the server's next start would) rolls back.
    db = sqlite3.connect(f"{data}/malyava.db", timeout=30)
    try:
        return db.execute("SELECT COUNT(*) FROM replies").fetchone()[0]
    finally:
        db.close()


def import_rounds(root, org, data, rounds):
    pk = os.urandom(32)
    env_path = os.path.join(root, "reply.env")
    run(MKREPLY, "--editor", os.path.join(org.dir, "editors", "alice.key"), org.passfile, pk.hex(), env_path,
        "Ваше свидетельство получено.")
    env = open(env_path, "rb").read()
    n = 200
    first = os.path.join(root, "replies-0")
    replies_bundle(first, pk, env, n)
    span = 1.3 * timed([DROPBOX, "import-replies", data, first])
    killed = 0
    for rnd in range(rounds):
        what = f"import-replies round {rnd + 1}"
        path = os.path.join(root, f"replies-{rnd + 1}")
        replies_bundle(path, pk, env, n)
        before = reply_count(data)
        killed += kill_during([DROPBOX, "import-replies", data, path], span)
        after = reply_count(data)
        check(after in (before, before + n), f"{what}: {after - before} of {n} replies stored: all or none")
    return killed


def main():
    root = tmpdir("flt-kill")
    try:
        org = Org(root)
        m1 = org.sign(["alice"])
        envs = envelopes(org, m1, root, [300_000, 200_000, 400_000, 100_000, 250_000])
        data, _ = init_data_dir(root, org, m1)
        acked = {}
        t = time.time()
        k = upload_rounds(data, envs, 20, acked)
        print(f"20 upload rounds in {time.time() - t:.1f} s, {len(acked)} acknowledged, {k} cut and resumed",
              file=sys.stderr)
        t = time.time()
        k = export_rounds(root, data, 10, acked)
        print(f"10 export rounds in {time.time() - t:.1f} s, {k} killed mid-way", file=sys.stderr)
        t = time.time()
        k = ack_rounds(root, data, envs, 10, acked)
        print(f"10 ack rounds in {time.time() - t:.1f} s, {k} killed mid-way", file=sys.stderr)
        t = time.time()
        k = import_rounds(root, org, data, 10)
        print(f"10 import-replies rounds in {time.time() - t:.1f} s, {k} killed mid-way", file=sys.stderr)
    finally:
        cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
