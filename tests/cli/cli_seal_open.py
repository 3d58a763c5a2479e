#!/usr/bin/env python3
"""malyava seal / open, end to end with the real binaries.

Each check states a promise of docs/man/malyava.1: contents come back
byte-identical with the receipt both sides print; a damaged, truncated or
hostile envelope leaves nothing in the output directory; nothing is ever
overwritten; usage errors exit 2.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

MALYAVA = os.environ["MALYAVA"]
KEYS = os.environ["MALYAVA_KEYS"]
CRAFT = os.environ["CRAFT_ENVELOPE"]
PASS = "correct horse battery staple\n"

failures = 0
passes = 0


def check(cond, what):
    global failures, passes
    if cond:
        passes += 1
    else:
        failures += 1
        print(f"FAIL: {what}", file=sys.stderr)


def run(*args, ok=None):
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if ok is not None and (p.returncode == 0) != ok:
        print(f"unexpected exit {p.returncode} from {args}\n{p.stdout}\n{p.stderr}", file=sys.stderr)
    return p


def listing(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            out[os.path.relpath(p, root)] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return out


def receipt_of(stdout):
    for line in stdout.splitlines():
        if line.startswith("receipt: "):
            return line.split(": ", 1)[1]
    return None


def main():
    tmp = tempfile.mkdtemp(prefix="malyava-cli-")
    org = os.path.join(tmp, "org")
    passfile = os.path.join(tmp, "pass")
    with open(passfile, "w") as f:
        f.write(PASS)
    run(KEYS, "--dir", org, "init", "--kdf", "interactive", "--passphrase-file", passfile, ok=True)
    for name in ("alice", "bob", "carol"):
        run(KEYS, "--dir", org, "editor", "new", name, "--kdf", "interactive", "--passphrase-file", passfile, ok=True)
    run(KEYS, "--dir", org, "manifest", "sign", "--add", f"{org}/editors/alice.pub",
        "--add", f"{org}/editors/bob.pub", "--passphrase-file", passfile, ok=True)
    manifest = f"{org}/manifest"
    orgpub = f"{org}/org.pub"

    # Inputs: an empty file, a chunk-boundary file, two files of the same name.
    src = os.path.join(tmp, "src")
    os.makedirs(f"{src}/a")
    os.makedirs(f"{src}/b")
    contents = {
        f"{src}/empty.bin": b"",
        f"{src}/a/photo.jpg": os.urandom(65536),
        f"{src}/b/photo.jpg": os.urandom(65537),
        f"{src}/notes.txt": "Протокол допроса, камера 4\n".encode(),
    }
    for p, data in contents.items():
        with open(p, "wb") as f:
            f.write(data)
    message = "Меня били в ИК-2 \u202e hidden\x1b[31m red"
    env = os.path.join(tmp, "t.env")
    p = run(MALYAVA, "seal", "--manifest", manifest, "--org-key", orgpub, "--message", message,
            "--field", "place=IK-2", "--field", "date=2026-11-01", *contents.keys(), "-o", env, ok=True)
    seal_receipt = receipt_of(p.stdout)
    check(seal_receipt is not None and len(seal_receipt) == 39, "seal prints a receipt")
    check(os.stat(env).st_mode & 0o777 == 0o600, "envelope is created 0600")
    raw = open(env, "rb").read()
    check(message.encode() not in raw and b"photo.jpg" not in raw and b"IK-2" not in raw,
          "no plaintext or file name in the envelope")

    # Both editors open it; bytes and receipt match.
    for editor in ("alice", "bob"):
        out = os.path.join(tmp, f"out-{editor}")
        p = run(MALYAVA, "open", "--key", f"{org}/editors/{editor}.key", "--passphrase-file", passfile,
                env, "-o", out, ok=True)
        check(p.returncode == 0, f"{editor} opens the envelope")
        check(receipt_of(p.stdout) == seal_receipt, f"{editor} sees the sealer's receipt")
        check(open(f"{out}/message.txt", encoding="utf-8").read() == message, "message intact")
        meta = json.load(open(f"{out}/metadata.json"))
        check(meta["fields"] == {"place": "IK-2", "date": "2026-11-01"}, "fields intact")
        names = sorted(os.listdir(f"{out}/files"))
        check(names == sorted(["empty.bin", "photo.jpg", "3-photo.jpg", "notes.txt"]), f"file names: {names}")
        check(open(f"{out}/files/photo.jpg", "rb").read() == contents[f"{src}/a/photo.jpg"], "first photo intact")
        check(open(f"{out}/files/3-photo.jpg", "rb").read() == contents[f"{src}/b/photo.jpg"], "second photo intact")
        check(open(f"{out}/files/empty.bin", "rb").read() == b"", "empty file intact")
        check(all(os.stat(f"{out}/files/{n}").st_mode & 0o777 == 0o600 for n in names), "files are 0600")
        check("\x1b" not in p.stdout and "\u202e" not in p.stdout, "escape and bidi characters stripped on the terminal")

    # Names that meet: a second x.jpg, a file already called 2-x.jpg, the
    # same name in other case, names like the temporaries', 255-byte names.
    # Every attachment is written, none replaces another.
    clash = os.path.join(tmp, "clash")
    long_name = "a" * 251 + ".jpg"
    clashing = [("x.jpg", "x.jpg"), ("sub/x.jpg", "2-2-x.jpg"), ("2-x.jpg", "2-x.jpg"), ("X.JPG", "4-X.JPG"),
                (".malyava-stripping", ".malyava-stripping"), (".malyava-partial-x", ".malyava-partial-x"),
                (long_name, long_name), ("sub/" + long_name, "8-" + "a" * 249 + ".jpg")]
    paths = []
    for i, (rel, _) in enumerate(clashing):
        path = os.path.join(clash, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(f"attachment {i}".encode())
        paths.append(path)
    env2 = os.path.join(tmp, "clash.env")
    run(MALYAVA, "seal", "--manifest", manifest, "--org-key", orgpub, *paths, "-o", env2, ok=True)
    out = os.path.join(tmp, "out-clash")
    p = run(MALYAVA, "open", "--key", f"{org}/editors/alice.key", "--passphrase-file", passfile, env2, "-o", out)
    check(p.returncode == 0, f"attachments whose names meet all open: {p.stderr}")
    got = {n: open(os.path.join(out, "files", n), "rb").read() for n in os.listdir(os.path.join(out, "files"))} \
        if p.returncode == 0 else {}
    want = {final: f"attachment {i}".encode() for i, (_, final) in enumerate(clashing)}
    check(got == want, f"each under a name of its own, none lost: {sorted(got)}")
    check(sorted(os.listdir(out)) == ["files", "metadata.json"], f"no temporary left: {os.listdir(out)}")

    # Not addressed to carol.
    p = run(MALYAVA, "open", "--key", f"{org}/editors/carol.key", "--passphrase-file", passfile, env,
            "-o", f"{tmp}/out-carol")
    check(p.returncode == 1 and "not addressed" in p.stderr.lower(), f"carol is told it is not for her: {p.stderr}")

    # Nothing is overwritten.
    out = os.path.join(tmp, "out-alice")
    before = listing(out)
    p = run(MALYAVA, "open", "--key", f"{org}/editors/alice.key", "--passphrase-file", passfile, env, "-o", out)
    check(p.returncode == 1 and listing(out) == before, "a second open into the same directory changes nothing")

    # Damaged envelopes leave nothing behind.
    header_len = 18 + 91 * raw[9] + 24 + 32
    check(len(raw) > header_len + 2 * 65553, "the test envelope spans three chunks")
    damaged = {
        "last-byte": raw[:-1] + bytes([raw[-1] ^ 1]),
        "middle-byte": raw[:len(raw) // 2] + bytes([raw[len(raw) // 2] ^ 0x40]) + raw[len(raw) // 2 + 1:],
        "truncated": raw[:-100],
        "header-only": raw[:header_len],
        "first-chunk-boundary": raw[:header_len + 65553],
        "mid-chunk": raw[:header_len + 65553 + 1000],
        "second-chunk-boundary": raw[:header_len + 2 * 65553],
        "appended": raw + b"\0",
        "magic": b"X" + raw[1:],
    }
    for what, data in damaged.items():
        bad = os.path.join(tmp, f"bad-{what}.env")
        with open(bad, "wb") as f:
            f.write(data)
        out = os.path.join(tmp, f"out-bad-{what}")
        os.mkdir(out)
        p = run(MALYAVA, "open", "--key", f"{org}/editors/alice.key", "--passphrase-file", passfile, bad, "-o", out)
        check(p.returncode == 1, f"{what}: refused")
        check(listing(out) == {} and os.listdir(out) == [], f"{what}: nothing left in the output directory: {os.listdir(out)}")

    # Hostile names from a crafted envelope never escape the output directory.
    for name in ("../escape.txt", "a/b", "..", ".", "x\x1b]0;pwned\x07", ""):
        meta_path = os.path.join(tmp, "hostile.json")
        body = b"pwned"
        record = {"v": 1, "files": [{"name": name, "type": "text/plain", "length": len(body),
                                     "blake2b": hashlib.blake2b(body, digest_size=32).hexdigest(), "metadata": "none"}]}
        with open(meta_path, "w") as f:
            json.dump(record, f, separators=(",", ":"), sort_keys=True)
        body_path = os.path.join(tmp, "hostile.body")
        with open(body_path, "wb") as f:
            f.write(body)
        bad = os.path.join(tmp, "hostile.env")
        if os.path.exists(bad):
            os.unlink(bad)
        run(CRAFT, f"{org}/editors/alice.pub", meta_path, bad, body_path, ok=True)
        nest = os.path.join(tmp, "nest")
        out = os.path.join(nest, "out")
        os.makedirs(out, exist_ok=True)
        p = run(MALYAVA, "open", "--key", f"{org}/editors/alice.key", "--passphrase-file", passfile, bad, "-o", out)
        check(p.returncode == 1, f"hostile name {name!r} refused")
        check(listing(nest) == {}, f"hostile name {name!r} wrote nothing: {listing(nest)}")

    # Usage errors exit 2; failures exit 1.
    check(run(MALYAVA).returncode == 2, "no command: exit 2")
    check(run(MALYAVA, "frobnicate").returncode == 2, "unknown command: exit 2")
    check(run(MALYAVA, "seal", "--manifest", manifest).returncode == 2, "seal without -o: exit 2")
    check(run(MALYAVA, "open", env).returncode == 2, "open without --key: exit 2")
    check(run(MALYAVA, "seal", "--manifest", manifest, "--org-key", orgpub, "--field", "Bad Name=x",
              "--message", "m", "-o", f"{tmp}/x.env").returncode == 2, "bad field name: exit 2")
    p = run(MALYAVA, "seal", "--manifest", manifest, "--org-key", orgpub, "--message", "again", "-o", env)
    check(p.returncode == 1 and open(env, "rb").read() == raw, "seal never overwrites an existing file")
    p = run(MALYAVA, "seal", "--manifest", manifest, "--org-key", f"{org}/editors/alice.pub",
            "--message", "m", "-o", f"{tmp}/y.env")
    check(p.returncode == 1 and not os.path.exists(f"{tmp}/y.env"), "a wrong organisation key is refused")

    # An edited manifest is refused by seal.
    edited = os.path.join(tmp, "edited")
    os.mkdir(edited)
    text = open(manifest, "rb").read()
    with open(f"{edited}/manifest", "wb") as f:
        f.write(text.replace(b"serial 1", b"serial 9"))
    with open(f"{edited}/manifest.minisig", "wb") as f:
        f.write(open(manifest + ".minisig", "rb").read())
    p = run(MALYAVA, "seal", "--manifest", f"{edited}/manifest", "--org-key", orgpub, "--message", "m",
            "-o", f"{tmp}/z.env")
    check(p.returncode == 1 and not os.path.exists(f"{tmp}/z.env"), f"edited manifest refused: {p.stderr}")

    print(f"{passes} checks passed, {failures} failed", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
