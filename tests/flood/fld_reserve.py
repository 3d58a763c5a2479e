#!/usr/bin/env python3
"""What a flood's budget buys against uploads: docs/RELIABILITY.md's table.

The flooder's CPU is counted in proofs of work at pow_bits ("solutions";
the default 20 bits is about a million BLAKE2b calls, the test measures
what one costs a core). pow_bits is lowered to 12 here so the test takes
seconds: that changes the price of a solution, not what one buys. The
flooder solves at native speed (fld_solve.c), asks the server the price
of each length (GET /api/v1/pow?length=N) and buys whatever takes most
per solution; loopback bandwidth is free to it. Every other setting is
the default, except where a row scales the quota or the pending cap down
so that its bytes can really be sent or its uploads really made.

After each row an honest source's submission of about 1 MB (a real
envelope from `malyava seal`) must complete with its receipt:

1. 100 solutions on the largest declarations the price allows, no byte
   sent (before this change: 32 declarations of 2 GiB took the whole
   64 GiB quota, and every honest upload got 507);
2. 100 more on 128 MiB declarations, no byte sent (pending count);
3. quota scaled to 128 MiB: 100 solutions on uploads whose bytes are
   really sent and received (forged headers, as a flooder would);
4. the same pushed on until an honest 1 MB upload cannot be created:
   the budget that takes, which must be close to 512 (N solutions never
   hold more than N/512 of the quota) and far above 100;
5. pending cap scaled to 16: as many solutions, each upload kept by one
   byte, hold the cap (503 for everyone): the cap is reached only by a
   budget of max_pending_uploads solutions (1,024 by default).
"""
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "faults"))
from flt_lib import envelopes  # noqa: E402
from srv_lib import TUS, Checks, Org, Server, cleanup, init_data_dir, tmpdir  # noqa: E402

SOLVER = os.environ["FLD_SOLVE"]
BITS = 12
BUDGET = 100
THREADS = 5
MIB = 1 << 20
check = Checks()


def forged(header, total):
    """An envelope of exactly `total` bytes the server cannot tell from a
    real one: a real one-recipient header (key ids of the manifest) with
    its payload length edited, then random bytes (only editors could
    check them)."""
    k = -(-(total - len(header)) // 65553)
    p = total - len(header) - 17 * k
    assert -(-p // 65536) == k
    return header[:10] + p.to_bytes(8, "little") + header[18:] + os.urandom(total - len(header))


class Flooder:
    def __init__(self, srv):
        self.srv = srv
        self.solver = subprocess.Popen([SOLVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.lock = threading.Lock()
        self.spent = 0  # in solutions at pow_bits
        self.hashes = 0
        self.seconds = 0.0
        self.base = self.bits(None)

    def close(self):
        self.solver.stdin.close()
        self.solver.wait(10)

    def bits(self, length):
        st, _, body, _ = self.srv.request("GET", "/api/v1/pow" + ("" if length is None else f"?length={length}"))
        return json.loads(body)["bits"]

    def price(self, length):
        return 2 ** (self.bits(length) - self.base)

    def cheapest(self, sizes):
        """The size that takes most bytes per solution (the smallest of equals)."""
        return max(sizes, key=lambda s: (s / self.price(s), -s))

    def create(self, length):
        st, _, body, _ = self.srv.request("GET", f"/api/v1/pow?length={length}")
        doc = json.loads(body)
        with self.lock:
            t0 = time.time()
            self.solver.stdin.write(f"{doc['challenge']} {doc['bits']}\n")
            self.solver.stdin.flush()
            answer, hashes = self.solver.stdout.readline().split()
            self.seconds += time.time() - t0
            self.hashes += int(hashes)
            self.spent += 2 ** (doc["bits"] - self.base)
        st, h, body, _ = self.srv.request("POST", "/api/v1/uploads", {**TUS, "Upload-Length": str(length),
                                                                       "Malyava-Pow": answer})
        return st, h.get("location")

    def upload(self, blob):
        st, loc = self.create(len(blob))
        if st != 201:
            return st
        return self.srv.patch(loc, 0, blob)[0]


def honest(srv, env, what):
    """An honest source's whole submission, as `malyava submit` sends it."""
    data, receipt = env
    try:
        loc, got = srv.upload(data, pieces=4)
        ok = got == receipt
    except RuntimeError as e:
        ok, got = False, str(e)
    check(ok, f"{what}: an honest 1 MB submission completes with its receipt ({got})")


def reserved(data):
    db = sqlite3.connect(f"file:{data}/malyava.db?mode=ro", uri=True, timeout=30)
    try:
        return db.execute("SELECT COUNT(*), COALESCE(SUM(reserved), 0) FROM uploads").fetchone()
    except sqlite3.OperationalError:  # a server without reservations reserves what is declared
        return db.execute("SELECT COUNT(*), COALESCE(SUM(upload_length), 0) FROM uploads").fetchone()
    finally:
        db.close()


def row(text):
    print(f"ROW | {text}", file=sys.stderr)


def declarations(org, m1, root, env):
    """Rows 1 and 2, at the default quota (64 GiB)."""
    data, _ = init_data_dir(root, org, m1)
    srv = Server(data, "--pow-bits", BITS).start()
    fl = Flooder(srv)
    try:
        biggest = 2048 * MIB
        price = fl.price(biggest)
        made = 0
        while fl.spent + price <= BUDGET:
            made += fl.create(biggest)[0] == 201
        n, held = reserved(data)
        row(f"{fl.spent} solutions on {made} declarations of 2 GiB ({price} each), no byte sent | "
            f"{held / 2**30:.2f} GiB reserved of 64 GiB")
        honest(srv, env, "after 100 solutions on the largest declarations")
        before = fl.spent
        made = sum(fl.create(128 * MIB)[0] == 201 for _ in range(BUDGET))
        n, held = reserved(data)
        row(f"{fl.spent - before} more solutions on {made} declarations of 128 MiB, no byte sent | {n} of 1,024 "
            f"uploads pending, {held / 2**30:.2f} GiB reserved")
        honest(srv, env, "after 100 more solutions on declarations of 128 MiB")
        # What a solution at the default difficulty costs the flooder.
        fl.hashes, fl.seconds = 0, 0.0
        for _ in range(3):
            with fl.lock:
                t0 = time.time()
                fl.solver.stdin.write(f"{os.urandom(32).hex()} 20\n")
                fl.solver.stdin.flush()
                fl.hashes += int(fl.solver.stdout.readline().split()[1])
                fl.seconds += time.time() - t0
        rate = fl.hashes / fl.seconds
        print(f"the flooder's solver: {rate / 1e6:.1f} M hashes/s on one core; a solution at the default 20 bits "
              f"costs it about {2**20 / rate:.2f} s of CPU, 100 about {100 * 2**20 / rate:.0f} s", file=sys.stderr)
    finally:
        fl.close()
        srv.stop()


def real_bytes(org, m1, root, env, header):
    """Rows 3 and 4: quota scaled to 128 MiB, bytes really received."""
    data, _ = init_data_dir(root, org, m1)
    srv = Server(data, "--pow-bits", BITS, "--max-disk-bytes", "128MiB").start()
    fl = Flooder(srv)
    try:
        size = fl.cheapest([256 * 1024 << k for k in range(10)])
        lock = threading.Lock()
        stored = [0]

        def flood(n):
            def one():
                for _ in range(n):
                    if fl.upload(forged(header, size)) == 204:
                        with lock:
                            stored[0] += size
            threads = [threading.Thread(target=one) for _ in range(THREADS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

        flood(BUDGET // THREADS)
        row(f"{fl.spent} solutions on uploads of {size / 1024:.0f} KiB, bytes sent and received (quota 128 MiB) | "
            f"{stored[0] / MIB:.1f} MiB stored, {100 * stored[0] / (128 * MIB):.1f} % of the quota")
        honest(srv, env, "after 100 solutions of received bytes")
        # On until an honest 1 MB upload cannot even be created (an
        # upload up to 16 MiB that is created is reserved whole).
        while fl.spent < 600:
            flood(1)
            length = len(env[0])
            st, h, _, _ = srv.request("POST", "/api/v1/uploads", {**TUS, "Upload-Length": str(length),
                                                                   **srv.pow(length)})
            if st != 201:
                break
            srv.request("DELETE", h["location"], dict(TUS))
        check(st == 507, f"the quota is what ends it: {st}")
        row(f"{fl.spent} solutions on received uploads of {size / 1024:.0f} KiB | the quota is full "
            f"({stored[0] / MIB:.1f} MiB stored): an honest 1 MB upload gets 507")
        check(490 <= fl.spent <= 520, f"filling the quota takes close to 512 solutions ({fl.spent}), "
              f"five times the budget of {BUDGET}")
    finally:
        fl.close()
        srv.stop()


def pending_cap(org, m1, root, env):
    """Row 5: pending cap scaled to 16."""
    data, _ = init_data_dir(root, org, m1)
    srv = Server(data, "--pow-bits", BITS, "--max-pending-uploads", "16").start()
    fl = Flooder(srv)
    try:
        held = 0
        for _ in range(16):
            st, loc = fl.create(1000)
            held += st == 201 and srv.patch(loc, 0, b"MALYAVA")[0] == 204
        length = len(env[0])
        st = srv.request("POST", "/api/v1/uploads", {**TUS, "Upload-Length": str(length), **srv.pow(length)})[0]
        check(held == 16 and st == 503, f"16 solutions and a byte each hold a cap of 16 ({held}, {st})")
        row(f"{fl.spent} solutions, each upload kept by one byte (cap scaled to 16) | the pending cap is held: "
            f"new uploads get 503 until those expire, 24 h after their last byte")
    finally:
        fl.close()
        srv.stop()


def main():
    root = tmpdir("fld-reserve")
    t0 = time.time()
    try:
        org = Org(root)
        m1 = org.sign(["alice"])
        env, small = envelopes(org, m1, root, [1_000_000, 1000])
        header = small[0][:74 + 91]
        for i, part in enumerate((declarations, real_bytes, pending_cap)):
            sub = os.path.join(root, f"run-{i}")
            os.makedirs(sub)
            t1 = time.time()
            if part is real_bytes:
                part(org, m1, sub, env, header)
            else:
                part(org, m1, sub, env)
            print(f"{part.__name__}: {time.time() - t1:.1f} s", file=sys.stderr)
        print(f"whole test: {time.time() - t0:.1f} s", file=sys.stderr)
    finally:
        cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
