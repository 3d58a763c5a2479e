#!/usr/bin/env python3
"""`malyava-dropbox new-export-token`: a lost or leaked token is replaced.

Promises of docs/man/malyava-dropbox.8 and docs/DEPLOY.md: the command
prints a new token once and keeps only its hash; a running server refuses
the old token and takes the new one at once, with no reload or restart,
on all three editors' routes; nothing else in the configuration changes
(comments included) and it stays 0600; a configuration that does not load
is left alone; one without a token gets one; a configuration that belongs
to another user is refused, so the server can always read it.
"""
import os
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srv_lib import DROPBOX, Checks, Org, Server, cleanup, init_data_dir, run, tmpdir  # noqa: E402

EXPORT = "/api/v1/export"
ACK = "/api/v1/export/ack"
IMPORT = "/api/v1/replies/import"
check = Checks()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def statuses(srv, token):
    """What the three editors' routes answer with `token`."""
    return (srv.editors("GET", EXPORT, bearer(token))[0],
            srv.editors("POST", ACK, bearer(token), b"malyava-ack 1\n")[0],
            srv.editors("POST", IMPORT, bearer(token), b"not a bundle")[0])


def new_token(data, ok=True):
    p = run(DROPBOX, "new-export-token", data, ok=None)
    if ok:
        check(p.returncode == 0, f"new-export-token succeeds: {p.stderr!r}")
    return p, p.stdout.strip().splitlines()[-1] if p.returncode == 0 else None


def main():
    root = tmpdir("srv-token")
    org = Org(root, ("alice",))
    m1 = org.sign(["alice"])
    data, init_out = init_data_dir(root, org, m1)
    config = os.path.join(data, "config")
    old = init_out.strip().splitlines()[-1]
    # An admin's own comment and setting, which the replacement must keep.
    with open(config, "a") as f:
        f.write("\n# raised during the March flood\npow_bits = 9\n")
    before = open(config).read()

    srv = Server(data).start()
    try:
        check(statuses(srv, old) == (200, 200, 422), f"the token init printed works: {statuses(srv, old)}")
        p, new = new_token(data)
        check(new is not None and len(new) == 43 and new != old, f"a new 43-character token is printed: {new!r}")
        check(new is not None and p.stdout.count(new) == 1 and "old token no longer works" in p.stdout,
              f"printed once, saying the old one is void: {p.stdout!r}")
        # No SIGHUP, no restart: the very next requests.
        check(statuses(srv, old) == (401, 401, 401), f"the old token is refused at once: {statuses(srv, old)}")
        check(statuses(srv, new) == (200, 200, 422), f"the new token works at once: {statuses(srv, new)}")

        after = open(config).read()
        changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
        check(len(before.splitlines()) == len(after.splitlines()) and len(changed) == 1 and
              all(a.startswith("export_token_hash = ") and b.startswith("export_token_hash = ") for a, b in changed),
              f"only the export_token_hash line changed: {changed}")
        check(new not in after and old not in after, "neither token is stored")
        check(stat.S_IMODE(os.stat(config).st_mode) == 0o600, "the config stays 0600")
        check(not [n for n in os.listdir(data) if ".tmp-" in n], "no temporary left beside the config")

        # A configuration that does not load is not touched.
        with open(config, "a") as f:
            f.write("pow_bits = lots\n")
        broken = open(config).read()
        p, _ = new_token(data, ok=False)
        check(p.returncode == 1 and "nothing was changed" in p.stderr, f"a broken config is refused: {p.stderr!r}")
        check(open(config).read() == broken, "the broken config is left as it was")
        check(srv.editors("GET", EXPORT, bearer(new))[0] == 503,
              "while the config does not load, the editors' routes answer 503, never an open door")
        with open(config, "w") as f:
            f.write(after)
        check(srv.editors("GET", EXPORT, bearer(new))[0] == 200, "fixed, the token works again")

        # No token at all: 403; the command adds one.
        with open(config, "w") as f:
            f.write("".join(line for line in after.splitlines(True) if not line.startswith("export_token_hash")))
        check(srv.editors("GET", EXPORT, bearer(new))[0] == 403, "a config without a token: 403")
        p, added = new_token(data)
        check(added is not None and statuses(srv, added) == (200, 200, 422),
              f"new-export-token adds a token to a config without one: {p.stdout!r}")
        check(run(DROPBOX, "serve", data, "--check-config", ok=None).returncode == 0,
              "the config with the added token still checks")

        if os.geteuid() == 0:
            os.chown(config, 65534, 65534)
            kept = open(config).read()
            p, _ = new_token(data, ok=False)
            check(p.returncode == 1 and "sudo -u" in p.stderr, f"a config of another user is refused: {p.stderr!r}")
            check(open(config).read() == kept and os.stat(config).st_uid == 65534, "and left as it was")
            os.chown(config, 0, 0)
        else:
            print("note: not root, the other-owner refusal is not exercised", file=sys.stderr)
    finally:
        check(srv.stop() == 0, "the server stops cleanly")

    for args, code in (((), 2), ((data, data), 2), (("--bogus",), 2), ((os.path.join(root, "nowhere"),), 1)):
        p = run(DROPBOX, "new-export-token", *args, ok=None)
        check(p.returncode == code and p.stderr.strip() != "", f"new-export-token {args}: exit {p.returncode}, "
              f"expected {code}, with a message")
    p = run(DROPBOX, "new-export-token", "--help", ok=None)
    check(p.returncode == 0 and "DATA_DIR" in p.stdout, "new-export-token --help")
    p = run(DROPBOX, "--help", ok=None)
    check("new-export-token DATA_DIR" in p.stdout, "--help lists new-export-token")
    cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
