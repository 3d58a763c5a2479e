#!/usr/bin/env python3
"""Listing nothing is not undefined behaviour, and the day is the server's.

`list`, `search` and `report` on an empty vault, then with a testimony
in it and filters that match nothing: each prints its empty table and
succeeds, with nothing from the sanitizers (run in the sanitized build,
sorting no rows once handed qsort a null pointer). And where editors see
the day a testimony arrived, they are told it is the server's word.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vault_lib import MALYAVA, new_vault, run  # noqa: E402
from srv_lib import DROPBOX, Checks, Org, Server, cleanup, init_data_dir, tmpdir  # noqa: E402

os.environ.setdefault("UBSAN_OPTIONS", "halt_on_error=1:abort_on_error=1:print_stacktrace=1")
check = Checks()


def clean(what, p):
    check(p.returncode == 0 and "runtime error" not in p.stderr and "Sanitizer" not in p.stderr,
          f"{what}: succeeds without a sanitizer's word ({p.returncode}): {p.stderr!r}")
    return p.stdout


def main():
    root = tmpdir("vault-empty")
    org = Org(root, ("alice",))
    manifest = org.sign(["alice"])
    v = new_vault(os.path.join(root, "vault"), org)
    out = clean("list of an empty vault", v("list", ok=None))
    check(out.startswith("   ID  SERVER DAY") and out.endswith("0 of 0 testimonies\n"), f"an empty table: {out!r}")
    out = clean("search of an empty vault", v("search", "anything", ok=None))
    check(out.endswith("0 of 0 testimonies match\n"), f"search says none: {out!r}")
    out = clean("report of an empty vault", v("report", ok=None))
    check(out.startswith("0 testimonies"), f"report says none: {out!r}")

    data, _ = init_data_dir(root, org, manifest)
    srv = Server(data).start()
    try:
        org_seal = org.seal(manifest, os.path.join(root, "t.env"), "one testimony")[0]
        srv.upload(org_seal)
    finally:
        srv.stop()
    bundle = os.path.join(root, "export.bundle")
    run(DROPBOX, "export", data, "-o", bundle)
    v("import", bundle)
    for args in (["list", "--tag", "nothing-has-this"], ["list", "--status", "published"],
                 ["list", "--since", "2100-01-01"], ["search", "no such words"],
                 ["list", "--sort", "place", "--field", "place=nowhere"]):
        out = clean(" ".join(args), v(*args, ok=None))
        check(out.rstrip().endswith("0 of 1 testimony" + (" match" if args[0] == "search" else "")),
              f"{' '.join(args)}: matches nothing: {out!r}")
    out = clean("show", v("show", "1", ok=None))
    check("the server's word" in out, f"show says the day is the server's word: {out!r}")
    check("nothing signs it" in run(MALYAVA, "list", "--help").stdout, "list --help says so too")
    cleanup(root)
    check.exit()


main()
