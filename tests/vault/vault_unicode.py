#!/usr/bin/env python3
"""Nothing acknowledged becomes unreadable, whatever the source typed.

A source submits with `malyava submit` a testimony whose message, field
values and file names hold every Unicode general category: C0 and C1
controls (U+0085 and U+0096, as mis-decoded Windows text leaves them),
bidirectional and zero-width format characters, private use, the
neighbours of the surrogates and noncharacters, line and paragraph
separators, combining marks, astral characters. Editors export, import
(the ack names it: the server may delete it), and then every command must
show, extract and answer it: list, search, show, extract, reply; and the
source reads that reply. Whatever is printed holds no control character:
the text is shown through the terminal-safe writer.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vault_lib import MALYAVA, new_vault, run  # noqa: E402
from srv_lib import DROPBOX, Checks, Org, Server, cleanup, init_data_dir, tmpdir  # noqa: E402

check = Checks()

CATEGORIES = {
    "Cc C0": "\x01\x1b[2J\x1b]0;pwned\x07\r\t",
    "Cc C1": "\x7f\u0085\u0096\u009b2J",
    "Cf bidi": "\u202e\u2066\u200e\u061c",
    "Cf zero-width": "\u200b\u200c\u200d\ufeff\u00ad",
    "Cf astral": "\U000e0041",
    "Co": "\ue000\uf8ff\U000f0000\U0010fffd",
    "next to Cs": "\ud7ff\ue000\ufffd",
    "noncharacters": "\ufffe\uffff\U0010ffff",
    "Zl Zp": "\u2028\u2029",
    "Mn Me": "e\u0301\u20dd\u0489",
    "astral": "\U0001f600\U0001d11e\U00020000",
    "scripts": "ИК-2 مرحبا שלום 漢",
}
MESSAGE = "MARKER-MESSAGE " + " | ".join(f"{k}: {v}" for k, v in CATEGORIES.items())
PLACE = "MARKER-PLACE " + "".join(CATEGORIES.values())
REPLY = "MARKER-REPLY " + "".join(v for k, v in CATEGORIES.items())


def has_control(text):
    return any(ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f for c in text)


def terminal_safe(out):
    return not any((ord(c) < 0x20 and c not in "\n\t") or 0x7f <= ord(c) <= 0x9f or c in "\u202e\u2066\u200e"
                   for c in out)


def main():
    root = tmpdir("vault-unicode")
    org = Org(root, ("alice",))
    manifest = org.sign(["alice"])
    data, init_out = init_data_dir(root, org, manifest)
    srv = Server(data).start()
    url = f"http://127.0.0.1:{srv.port}"
    try:
        # File names: every category but controls, which a name may not hold.
        files = {}
        for what, chars in CATEGORIES.items():
            if not has_control(chars):
                name = f"{what.replace(' ', '-')}-{chars}.txt"
                path = os.path.join(root, "in", name)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(what.encode())
                files[name] = what.encode()
        codename = os.path.join(root, "codename")
        p = run(MALYAVA, "submit", url, "--org-key", org.org_pub, "--codename-file", codename, "--message", MESSAGE,
                "--field", f"place={PLACE}", "--field", f"category={CATEGORIES['Cc C1']}",
                *[os.path.join(root, "in", n) for n in files])
        receipt = re.search(r"^receipt: (\S+)$", p.stdout, re.M).group(1)

        bundle = os.path.join(root, "export.bundle")
        run(DROPBOX, "export", data, "-o", bundle)
        vault_path = os.path.join(root, "vault")
        v = new_vault(vault_path, org)
        p = v("import", bundle)
        ack = open(bundle + ".ack").read()
        check("imported 1 new" in p.stdout and receipt in ack, f"imported and acked: {p.stdout!r} {ack!r}")

        # Every command, every output terminal-safe.
        outputs = {}
        outputs["list"] = v("list").stdout
        check(outputs["list"].rstrip().endswith("1 of 1 testimony") and "MARKER-MESSAGE" in outputs["list"],
              f"list shows it: {outputs['list']!r}")
        outputs["search"] = v("search", "marker-message").stdout
        check(outputs["search"].rstrip().endswith("1 of 1 testimony match"), "search finds it")
        outputs["search astral"] = v("search", "\U0001f600").stdout
        check(outputs["search astral"].rstrip().endswith("1 of 1 testimony match"),
              "search finds an astral character")
        outputs["show"] = v("show", "1").stdout
        check("MARKER-MESSAGE" in outputs["show"] and "MARKER-PLACE" in outputs["show"] and
              "\\u{202e}" in outputs["show"] and "\\x85" in outputs["show"] and "\U0001f600" in outputs["show"],
              f"show prints it, controls and bidi made visible: {outputs['show']!r}")
        out = os.path.join(root, "out")
        outputs["extract"] = v("extract", "1", "-o", out).stdout
        check(open(os.path.join(out, "message.txt"), encoding="utf-8", newline="").read() == MESSAGE,
              "extract writes the message exactly as typed")
        got = {n: open(os.path.join(out, "files", n), "rb").read() for n in os.listdir(os.path.join(out, "files"))}
        check(got == files, f"extract writes every file under its own name: {sorted(got)}")
        outputs["extract --strip"] = v("extract", "1", "-o", os.path.join(root, "out2"), "--strip").stdout
        outputs["reply"] = v("reply", "1", "--message", REPLY, "--manifest", manifest, "--org-key", org.org_pub).stdout
        replies = os.path.join(root, "replies.bundle")
        run(MALYAVA, "export-replies", "--vault", vault_path, "-o", replies)
        run(DROPBOX, "import-replies", data, replies)
        outputs["replies"] = run(MALYAVA, "replies", url, "--codename-file", codename, "--org-key", org.org_pub).stdout
        check("MARKER-REPLY" in outputs["replies"] and "\U0001f600" in outputs["replies"] and
              outputs["replies"].rstrip().endswith("1 reply"), f"the source reads the reply: {outputs['replies']!r}")
        outputs["history"] = v("history", "1").stdout
        for what, text in outputs.items():
            check(terminal_safe(text), f"{what}: nothing printed drives the terminal: {text!r}")
    finally:
        srv.stop()
    cleanup(root)
    check.exit()


main()
