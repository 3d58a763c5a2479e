#!/usr/bin/env python3
"""The command-line tools under valgrind --leak-check=full: no invalid
read or write, no use of uninitialised memory, no definite or possible
leak, on success and on refusal alike.

A subset, small inputs (valgrind is some 30 times slower): malyava-keys
show and manifest verify; malyava seal, open, open of a damaged envelope;
malyava-dropbox init, stats, export, ack and import-replies, on a data
directory filled by the real server (run natively). Key files use the
interactive Argon2id cost, made natively too.
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "faults"))
from flt_lib import replies_bundle  # noqa: E402
from srv_lib import DROPBOX, KEYS, MALYAVA, Checks, Org, Server, cleanup, tmpdir  # noqa: E402

check = Checks()
VG_ERROR = 99
VALGRIND = ["valgrind", "-q", "--leak-check=full", "--show-leak-kinds=definite,possible",
            "--errors-for-leak-kinds=definite,possible", f"--error-exitcode={VG_ERROR}", "--track-origins=yes"]
MKREPLY = os.environ["SRV_MKREPLY"]


def vg(what, args, want=0):
    p = subprocess.run(VALGRIND + [str(a) for a in args], capture_output=True, text=True)
    check(p.returncode != VG_ERROR, f"{what}: valgrind reports errors:\n{p.stderr[-3000:]}")
    check(p.returncode == want, f"{what}: exit {p.returncode}, expected {want}\n{p.stderr[-1000:]}")
    return p


def main():
    if shutil.which("valgrind") is None:
        print("valgrind is missing: install the Debian package valgrind (scripts/deps does)", file=sys.stderr)
        sys.exit(1)
    root = tmpdir("vg")
    try:
        org = Org(root)
        m1 = org.sign(["alice"])
        pub = org.org_pub
        vg("malyava-keys show", [KEYS, "show", pub, os.path.join(org.dir, "editors", "alice.pub")])
        vg("malyava-keys manifest verify", [KEYS, "--dir", org.dir, "manifest", "verify", m1])

        att = os.path.join(root, "photo.jpg")
        with open(att, "wb") as f:
            f.write(os.urandom(70_000))
        env = os.path.join(root, "env")
        vg("malyava seal", [MALYAVA, "seal", "--manifest", m1, "--org-key", pub, "--message", "Показания",
                            "--field", "place=Минск", att, "-o", env])
        key = os.path.join(org.dir, "editors", "alice.key")
        vg("malyava open", [MALYAVA, "open", "--key", key, "--passphrase-file", org.passfile, env,
                            "-o", os.path.join(root, "out")])
        bad = os.path.join(root, "bad")
        blob = bytearray(open(env, "rb").read())
        blob[len(blob) // 2] ^= 1
        open(bad, "wb").write(bytes(blob))
        vg("malyava open of a damaged envelope", [MALYAVA, "open", "--key", key, "--passphrase-file", org.passfile,
                                                  bad, "-o", os.path.join(root, "out-bad")], want=1)

        data = os.path.join(root, "data")
        vg("malyava-dropbox init", [DROPBOX, "init", data, "--org-key", pub, "--manifest", m1])
        srv = Server(data).start()
        envs = []
        for i in range(2):
            loc, rc = srv.upload(open(env, "rb").read())
            envs.append((loc.rsplit("/", 1)[1], rc))
        srv.stop()
        vg("malyava-dropbox stats", [DROPBOX, "stats", data])
        vg("malyava-dropbox export", [DROPBOX, "export", data, "-o", os.path.join(root, "bundle")])
        ack = os.path.join(root, "ack")
        with open(ack, "w") as f:
            f.write("malyava-ack 1\n" + "".join(f"{s} {r}\n" for s, r in envs[:1]))
        vg("malyava-dropbox ack", [DROPBOX, "ack", data, ack])
        with open(ack, "w") as f:
            f.write("malyava-ack 1\nnot a line\n")
        vg("malyava-dropbox ack of a malformed file", [DROPBOX, "ack", data, ack], want=1)

        pk = os.urandom(32)
        reply = os.path.join(root, "reply")
        subprocess.run([MKREPLY, "--editor", key, org.passfile, pk.hex(), reply, "Получено."], check=True)
        bundle = os.path.join(root, "replies")
        replies_bundle(bundle, pk, open(reply, "rb").read(), 1)
        vg("malyava-dropbox import-replies", [DROPBOX, "import-replies", data, bundle])
        vg("malyava-dropbox import-replies of a non-bundle", [DROPBOX, "import-replies", data, env], want=1)
    finally:
        cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
