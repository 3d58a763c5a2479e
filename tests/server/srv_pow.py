#!/usr/bin/env python3
"""Proof of work on upload creation, as docs/PROTOCOL.md states it.

GET /api/v1/pow hands out a fresh 32-byte challenge and the difficulty;
a POST to /api/v1/uploads without Malyava-Pow gets 428, with a malformed,
forged, under-worked, reused or pre-restart one 403, and none of those
creates anything. Good work (solved here, independently of the server's
code) creates the upload once. pow_bits 0 asks for nothing; SIGHUP
applies a new pow_bits from the config file. (An expired challenge is
refused too: tests/server/srv_pow_clock.c moves the module's clock.)
"""
import hashlib
import json
import os
import re
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srv_lib import TUS, Checks, Dropbox, Server, pow_solve, pow_zero_bits, snapshot, wait_until  # noqa: E402

U = "/api/v1/uploads"
BITS = 12
check = Checks()


def challenge(srv):
    st, h, body, raw = srv.request("GET", "/api/v1/pow")
    ok = st == 200 and h.get("content-type") == "application/json" and h.get("cache-control") == "no-store"
    doc = json.loads(body) if ok else {}
    check(ok and set(doc) == {"challenge", "bits"} and re.fullmatch(r"[0-9a-f]{64}", doc["challenge"]),
          f"GET /api/v1/pow: a challenge and the bits, not cached ({st} {body!r})")
    return doc


def post(srv, work, length=1000):
    extra = {} if work is None else {"Malyava-Pow": work}
    return srv.request("POST", U, {**TUS, "Upload-Length": str(length), **extra})


def weak_nonce(ch_hex, bits):
    """A nonce with fewer than `bits` zero bits."""
    ch = bytes.fromhex(ch_hex)
    n = 0
    while pow_zero_bits(hashlib.blake2b(ch + n.to_bytes(8, "little"), digest_size=32).digest()) >= bits:
        n += 1
    return f"{ch_hex}:{n.to_bytes(8, 'little').hex()}"


def refused(srv, data, work, status, what):
    before = snapshot(data)
    st, h, body, raw = post(srv, work)
    check(st == status and h.get("content-type", "").startswith("text/plain") and b"/api/v1/pow" in body,
          f"{what}: {status} naming /api/v1/pow (got {st} {body!r})")
    check(snapshot(data) == before, f"{what}: nothing created")


def main():
    with Dropbox("srv-pow", "--pow-bits", BITS) as box:
        org, data, srv = box.org, box.data, box.srv

        a, b = challenge(srv), challenge(srv)
        check(a["bits"] == BITS and a["challenge"] != b["challenge"], "each challenge is new; bits as configured")
        refused(srv, data, None, 428, "no Malyava-Pow")
        good = pow_solve(a["challenge"], BITS)
        ch, nonce = good.split(":")
        for bad, what in [("", "an empty value"), (ch, "no nonce"), (ch + ":", "an empty nonce"),
                          (ch + ":" + nonce + "00", "a long nonce"), (ch[:-2] + ":" + nonce, "a short challenge"),
                          ("z" * 64 + ":" + nonce, "not hex"), (ch + ";" + nonce, "the wrong separator"),
                          (ch + ": " + nonce, "a space inside")]:
            refused(srv, data, bad, 403, f"malformed: {what}")
        forged = ("00" if ch[:2] != "00" else "11") + ch[2:]
        refused(srv, data, pow_solve(forged, BITS), 403, "a challenge the server did not make (random part edited)")
        later = ch[:32] + (int.from_bytes(bytes.fromhex(ch[32:48]), "little") + 600).to_bytes(8, "little").hex() + ch[48:]
        refused(srv, data, pow_solve(later, BITS), 403, "a challenge whose expiry was pushed back")
        refused(srv, data, weak_nonce(a["challenge"], BITS), 403, "too few zero bits")

        st, h, body, raw = post(srv, good)
        check(st == 201 and h.get("location", "").startswith(U + "/"), f"good work creates the upload ({st} {body!r})")
        refused(srv, data, good, 403, "the same challenge a second time")
        st, h, body, raw = post(srv, pow_solve(b["challenge"], BITS))
        check(st == 201, "another challenge works")

        # Work is checked after the cheap header checks, so a refused
        # request does not spend the source's challenge.
        c = challenge(srv)
        work = pow_solve(c["challenge"], BITS)
        st, _, _, _ = post(srv, work, length=10)
        check(st == 400, "a bad Upload-Length is refused before the work is looked at")
        st, _, _, _ = post(srv, work)
        check(st == 201, "so the same work still creates the upload afterwards")

        # A restart makes a new key: older challenges are void.
        old = pow_solve(challenge(srv)["challenge"], BITS)
        srv = box.restart("--pow-bits", BITS)
        refused(srv, data, old, 403, "a challenge from before the restart")

        srv = box.restart("--pow-bits", "0")
        check(challenge(srv)["bits"] == 0, "pow_bits 0 is announced")
        st, _, _, _ = post(srv, None)
        check(st == 201, "pow_bits 0 asks for no work")

        # The config file's pow_bits, and SIGHUP applying a new one.
        srv.stop()
        cfg = os.path.join(data, "config")
        with open(cfg) as f:
            text = f.read()
        check(re.search(r"^pow_bits = 20$", text, re.M) is not None, "init writes pow_bits = 20, the default")
        with open(cfg, "w") as f:
            f.write(re.sub(r"^pow_bits = \d+$", "pow_bits = 4", text, flags=re.M))
        srv = box.srv = Server(data)
        srv.flags = []  # no --pow-bits: the config file decides
        srv.start()
        check(challenge(srv)["bits"] == 4, "the config file's pow_bits is used")
        with open(cfg, "w") as f:
            f.write(re.sub(r"^pow_bits = \d+$", "pow_bits = 16", text, flags=re.M))
        srv.proc.send_signal(signal.SIGHUP)
        check(wait_until(lambda: challenge(srv)["bits"] == 16), "after SIGHUP the new pow_bits applies")
        check("pow_bits is now 16" in open(srv.log).read(), "the log says so")
    check.exit()


if __name__ == "__main__":
    main()
