#!/usr/bin/env python3
"""A copy of a running server's data directory shows no more than the day.

Ten submissions arrive one after another, each in three PATCHes, and two
more uploads stop half-way, while another thread copies the database's
files over and over, as an image of the live disk would. Each copy is
read byte by byte with tests/server/sqlite_raw.py (no SQLite):

- history: the states a copy yields (its main file; its WAL replayed
  commit by commit; its main file with the rollback journal's pre-images
  put back) hold at most two sets of submissions, before and after the one
  transaction in flight: the order of arrival of more than one submission
  is never there. (With WAL, a copy replayed every commit since the last
  checkpoint.)
- order: the uploads and submissions tables are WITHOUT ROWID (no rowid
  counts arrivals), and within each page their rows lie in id order, also
  by the place of their cells (SQLite puts a new cell below the older
  ones), so where a row lies says nothing of when it came.
- hour: no integer in any row of any table is within two days of now
  counted in hours, minutes, seconds or milliseconds (pending uploads had
  an expiry hour).
- once the uploads stop, files and directories under uploads/ and
  envelopes/ bear the start of their day, and no envelope's ctime (the
  kernel's, which cannot be set) tells when it arrived: each received
  submission gives every stored file the same one.
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "faults"))
import sqlite_raw  # noqa: E402
from flt_lib import envelopes  # noqa: E402
from srv_lib import Checks, Dropbox  # noqa: E402

SUBMISSIONS = 10
check = Checks()


def snapshot_files(data):
    """The database's files as a copy taken now would have them."""
    out = {}
    for name in ("malyava.db", "malyava.db-journal", "malyava.db-wal", "malyava.db-shm"):
        try:
            with open(os.path.join(data, name), "rb") as f:
                out[name] = f.read()
        except FileNotFoundError:
            pass
    return out


def states(files):
    """Every database state a copy yields: (what, sqlite_raw.Database)."""
    main = sqlite_raw.Database(files["malyava.db"])
    out = [("main file", main)]
    for i, st in enumerate(sqlite_raw.wal_states(main, files.get("malyava.db-wal", b""))):
        out.append((f"WAL commit {i + 1}", st))
    pre = sqlite_raw.journal_preimages(files.get("malyava.db-journal", b""), main.page_size)
    if pre:
        before = main.copy()
        before.pages.update(pre)
        out.append(("journal pre-images", before))
    return out


def near_now(v, now):
    """Is `v` a time within two days of now, in hours, minutes, seconds or ms?"""
    return (isinstance(v, int) and not isinstance(v, bool)
            and any(abs(v - now * k) <= 2 * 86400 * k for k in (1 / 3600, 1 / 60, 1, 1000)))


def examine(files, now, findings):
    try:
        st = states(files)
    except sqlite_raw.Malformed:
        findings["torn"] += 1  # a page caught mid-write by the copy
        return
    sets = set()
    for what, db in st:
        try:
            schema = db.schema()
            subs = db.table("submissions")
            ups = db.table("uploads")
            every = [row for name, (kind, root, _) in schema.items() if kind == "table" and root
                     for row in db.cells(root)]
        except (sqlite_raw.Malformed, KeyError, ValueError, IndexError):
            findings["torn"] += 1
            continue
        findings["states"] += 1
        sets.add(frozenset(r[2][0] for r in subs))
        for name in ("uploads", "submissions"):
            if "WITHOUT ROWID" not in (schema[name][2] or ""):
                findings["rowid"].add(name)
        for name, rows in (("uploads", ups), ("submissions", subs)):
            pages = {}
            for page, at, vals in rows:
                pages.setdefault(page, []).append((at, vals[0]))
            for cells in pages.values():
                by_place = [rid for _, rid in sorted(cells, key=lambda c: -c[0])]
                if by_place != sorted(by_place):
                    findings["placed"].add(f"{name} ({what})")
        for _, _, vals in every:
            findings["hours"] |= {v for v in vals if near_now(v, now)}
    findings["max_sets"] = max(findings["max_sets"], len(sets))
    if len(sets) > 2:
        findings["history"].append(len(sets))


def main():
    with Dropbox("image") as box:
        srv, data = box.srv, box.data
        envs = envelopes(box.org, box.manifest, box.root, [20_000 + 7_000 * i for i in range(SUBMISSIONS + 2)])
        copies, stop = [], threading.Event()

        def copier():
            while not stop.is_set():
                copies.append(snapshot_files(data))
                time.sleep(0.01)

        th = threading.Thread(target=copier)
        th.start()
        try:
            for env, receipt in envs[:SUBMISSIONS]:
                loc = srv.create(len(env))
                third = len(env) // 3
                got = None
                for off in (0, third, 2 * third):
                    end = len(env) if off == 2 * third else off + third
                    st, h, _, _ = srv.patch(loc, off, env[off:end])
                    got = h.get("malyava-receipt")
                check(got == receipt, "a submission is received")
                last_received = time.time()
                time.sleep(0.2)
            for env, _ in envs[SUBMISSIONS:]:
                loc = srv.create(len(env))
                check(srv.patch(loc, 0, env[:len(env) // 2])[0] == 204, "an upload stops half-way")
            time.sleep(0.2)
        finally:
            stop.set()
            th.join()
        copies.append(snapshot_files(data))
        now = time.time()
        findings = {"torn": 0, "states": 0, "max_sets": 0, "history": [], "rowid": set(), "placed": set(),
                    "hours": set()}
        for files in copies:
            examine(files, now, findings)
        print(f"{len(copies)} copies examined: {findings['states']} database states, "
              f"{findings['torn']} torn by a write in progress; at most {findings['max_sets']} sets of "
              f"submissions in one copy", file=sys.stderr)
        check(findings["states"] >= len(copies) // 2, "most copies could be read")
        check(not findings["history"], f"no copy holds more than the transaction in flight: copies replay "
              f"{findings['history'][:5]} states of the submissions")
        check(not findings["rowid"], f"tables keyed by rowid: {findings['rowid']}")
        check(not findings["placed"], f"rows placed by arrival, not by id, in {sorted(findings['placed'])[:5]}")
        check(not findings["hours"], f"integers a time of day could be read from: {sorted(findings['hours'])[:5]}")
        last = copies[-1]
        check(len(last.get("malyava.db-wal", b"")) == 0 and len(last.get("malyava.db-journal", b"")) == 0,
              "at rest the database has no WAL and an empty journal")
        for sub in ("uploads", "envelopes"):
            d = os.path.join(data, sub)
            for n in [""] + os.listdir(d):
                check(os.stat(os.path.join(d, n)).st_mtime % 86400 == 0,
                      f"{sub}/{n} bears the start of its day")
        ctimes = [os.stat(os.path.join(data, "envelopes", n)).st_ctime for n in os.listdir(os.path.join(data, "envelopes"))]
        check(len(ctimes) == SUBMISSIONS and min(ctimes) >= last_received - 0.5,
              f"no envelope's ctime is its own: the earliest is {last_received - min(ctimes):.1f} s before the "
              f"last arrival")
    check.exit()


if __name__ == "__main__":
    main()
