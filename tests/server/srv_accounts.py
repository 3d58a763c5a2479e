#!/usr/bin/env python3
"""Reply accounts hold under a flood of registrations (docs/PROTOCOL.md).

Registering costs the same proof of work as an upload: none, a forged, a
weak or a reused one creates nothing. Fetching with a token the server
never saw creates nothing and answers exactly what an account without
replies gets, in about the same time. An account no reply waits for
lives reply_account_days from the day it was made, whatever its owner
does (registering again moves nothing); one with replies waiting lives
that long after the newest reply or the last fetch of replies. When the
table is full a new source still gets in: the oldest account no reply
waits for gives its place, and nothing is lost by it, since registering
again links the codename back to its replies. Only when every account has
replies waiting is a registration refused.
"""
import hashlib
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srv_lib import Checks, Dropbox, db_execute, db_query, pow_solve, pow_zero_bits  # noqa: E402

REGISTER = "/api/v1/replies/register"
FETCH = "/api/v1/replies/fetch"
check = Checks()


class Source:
    def __init__(self):
        self.token = os.urandom(32)
        self.pk = os.urandom(32)
        self.token_hash = hashlib.blake2b(self.token, digest_size=32).digest()
        self.body = (self.token.hex() + "\n" + self.pk.hex()).encode()


def accounts(data):
    return dict(db_query(data, "SELECT token_hash, last_active_day FROM reply_accounts"))


def register(srv, src):
    return srv.request("POST", REGISTER, srv.pow(), src.body)[0]


def fetch(srv, src):
    st, h, body, _ = srv.request("POST", FETCH, {}, src.token.hex().encode())
    return st, {k: v for k, v in h.items() if k != "date"}, body


def add_reply(data, src, day):
    db_execute(data, "INSERT INTO replies (id, reply_key, created_day, envelope) VALUES (?, ?, ?, ?)",
               os.urandom(16).hex(), src.pk, day, b"sealed reply " + os.urandom(8))


def set_day(data, src, day):
    db_execute(data, "UPDATE reply_accounts SET last_active_day = ? WHERE token_hash = ?", day, src.token_hash)


def today():
    return int(time.time()) // 86400


def proof_of_work(box):
    srv, data = box.srv, box.data
    src = Source()
    st, _, msg, _ = srv.request("POST", REGISTER, {}, src.body)
    check(st == 428 and b"/api/v1/pow" in msg, f"registering without proof of work: 428 ({st} {msg!r})")
    ch = json.loads(srv.request("GET", "/api/v1/pow")[2])
    challenge = bytes.fromhex(ch["challenge"])
    nonce = next(n for n in range(1 << 16) if pow_zero_bits(hashlib.blake2b(
        challenge + n.to_bytes(8, "little"), digest_size=32).digest()) < ch["bits"])
    weak = f"{ch['challenge']}:{nonce.to_bytes(8, 'little').hex()}"
    for what, value in (("forged", "ab" * 32 + ":" + "00" * 8), ("weak", weak), ("malformed", "x")):
        st, _, _, _ = srv.request("POST", REGISTER, {"Malyava-Pow": value}, src.body)
        check(st == 403, f"registering with {what} work: 403 ({st})")
    good = {"Malyava-Pow": pow_solve(ch["challenge"], ch["bits"])}
    check(srv.request("POST", REGISTER, good, src.body)[0] == 204, "registering with solved work: 204")
    check(srv.request("POST", REGISTER, good, Source().body)[0] == 403, "the same work twice: 403")
    check(list(accounts(data)) == [src.token_hash], "only the paid registration made an account")


def fetch_cannot_probe(box):
    srv, data = box.srv, box.data
    known, stranger = Source(), Source()
    check(register(srv, known) == 204, "a source registers")
    before = accounts(data)
    a, b = fetch(srv, known), fetch(srv, stranger)
    check(a == b and a[0] == 204 and a[2] == b"",
          f"an unknown token gets exactly what an account without replies gets: {a} / {b}")
    check(accounts(data) == before, "fetching with an unknown token created nothing")
    # In pairs, in alternating order, so load on the machine falls on
    # both alike; the median of the differences against the median time.
    diffs, times = [], []
    for k in range(200):
        pair = {}
        for name, src in ((("known", known), ("stranger", stranger)) if k % 2 == 0 else
                          (("stranger", stranger), ("known", known))):
            t0 = time.perf_counter()
            fetch(srv, src)
            pair[name] = (time.perf_counter() - t0) * 1000
        diffs.append(pair["known"] - pair["stranger"])
        times.append(pair["known"])
    gap, typical = statistics.median(diffs), statistics.median(times)
    check(abs(gap) < max(1.0, 0.5 * typical), f"and in about the same time: {gap:+.3f} ms apart, {typical:.3f} ms each")


def aging(box):
    data = box.data
    now = today()
    empty, waiting, stale, flooder = Source(), Source(), Source(), Source()
    srv = box.srv
    for s in (empty, waiting, stale, flooder):
        check(register(srv, s) == 204, "a source registers")
    for s in (empty, waiting, stale, flooder):
        set_day(data, s, now - 100)
    add_reply(data, waiting, now - 10)  # a reply 10 days ago: the source has 80 more
    add_reply(data, stale, now - 95)    # a reply 95 days ago, never fetched
    # Registering again moves nothing, so it keeps no account alive.
    check(register(srv, flooder) == 204, "registering again: 204")
    check(accounts(data)[flooder.token_hash] == now - 100, "registering again does not move the account's day")
    check(fetch(srv, empty)[0] == 204 and accounts(data)[empty.token_hash] == now - 100,
          "fetching without replies does not move it either")
    srv = box.restart()  # retention runs at start
    left = accounts(data)
    check(empty.token_hash not in left and flooder.token_hash not in left,
          "accounts no reply waits for are gone reply_account_days after they were made")
    check(stale.token_hash not in left, "an account whose newest reply is older than that is gone too")
    check(waiting.token_hash in left, "an account with a recent reply stays")
    st, _, body, _ = srv.request("POST", FETCH, {}, waiting.token.hex().encode())
    check(st == 200 and accounts(data)[waiting.token_hash] == now,
          "reading replies gives the source reply_account_days more")
    # The gone source comes back: registering again links its replies.
    check(register(srv, stale) == 204, "a source whose account expired registers again")
    check(fetch(srv, stale)[0] == 204, "(its old reply went with the account)")


def flood(box):
    data = box.data
    db_execute(data, "DELETE FROM reply_accounts")
    db_execute(data, "DELETE FROM replies")
    srv = box.restart("--max-reply-accounts", "6")
    now = today()
    honest, answered = Source(), Source()
    check(register(srv, honest) == 204 and register(srv, answered) == 204, "two honest sources register")
    set_day(data, honest, now - 5)
    set_day(data, answered, now - 50)
    add_reply(data, answered, now)
    flooders = [Source() for _ in range(20)]
    codes = [register(srv, f) for f in flooders]
    check(all(c == 204 for c in codes), f"a flood of 20 registrations on a table of 6: all taken ({codes})")
    left = accounts(data)
    check(len(left) == 6, f"the table never grows past its cap: {len(left)}")
    check(answered.token_hash in left, "the account with a reply waiting survives the flood, though the oldest")
    check(honest.token_hash not in left, "the honest account without replies made room, oldest first")
    newcomer = Source()
    check(register(srv, newcomer) == 204, "a new source still registers during the flood")
    check(register(srv, honest) == 204, "the evicted source registers again")
    add_reply(data, honest, now)
    st, _, body, _ = srv.request("POST", FETCH, {}, honest.token.hex().encode())
    check(st == 200, "and reads a reply sent after its account was evicted")
    for s in accounts(data):
        if s not in (honest.token_hash, answered.token_hash):
            db_execute(data, "INSERT INTO replies (id, reply_key, created_day, envelope) SELECT ?, reply_key, ?, ? "
                       "FROM reply_accounts WHERE token_hash = ?", os.urandom(16).hex(), now, b"r", s)
    st, h, msg, _ = srv.request("POST", REGISTER, srv.pow(), Source().body)
    check(st == 503 and b"replies waiting" in msg,
          f"only when every account has replies waiting is a new one refused: {st} {msg!r}")
    check(len(accounts(data)) == 6, "and nothing was evicted for it")


def main():
    with Dropbox("srv-accounts") as box:
        proof_of_work(box)
        fetch_cannot_probe(box)
        aging(box)
        flood(box)
    check.exit()


if __name__ == "__main__":
    main()
