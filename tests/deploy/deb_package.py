#!/usr/bin/env python3
"""The Debian packages, built from the tree with dpkg-buildpackage, as an
admin would get them.

Checked: each package holds exactly the files it should, owned by root
with the right modes, and nothing more; the maintainer scripts are valid
shell, make the user from sysusers.d, enable nothing on install, stop the
server on removal and keep the data directory on purge; the Tor drop-in is
a conffile; lintian (pedantic, with info tags) reports nothing but its
documented override; `meson install` (debian/tmp) and the packages hold the
same paths, and the units name the binary where the package puts it;
`systemd-analyze verify` passes on the installed units; systemd-sysusers
makes the user from the shipped file. Then the three packages unpacked
into a scratch root are the whole drop-box: malyava-keys there makes an
organisation (the carried files 0644), the unpacked server's `setup` makes
the data directory for the service user, the server runs as that user and
takes a submission sealed by the unpacked `malyava`, the printed export
token exports it, and `check` finds nothing to report.
"""
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deb_lib  # noqa: E402

ROOT = None  # the scratch root the packages are unpacked into


def files_of(deb):
    return {p: m for p, m in deb_lib.contents(deb).items()}


EXPECTED = {
    "malyava-dropbox": {
        "etc/tor/torrc.d/malyava-dropbox.conf": "-rw-r--r--",
        "lib/systemd/system/malyava-dropbox.service": "-rw-r--r--",
        "lib/systemd/system/malyava-dropbox-check.service": "-rw-r--r--",
        "lib/systemd/system/malyava-dropbox-check.timer": "-rw-r--r--",
        "usr/lib/sysusers.d/malyava-dropbox.conf": "-rw-r--r--",
        "usr/sbin/malyava-dropbox": "-rwxr-xr-x",
        "usr/share/man/man8/malyava-dropbox.8.gz": "-rw-r--r--",
        "usr/share/doc/malyava-dropbox/DEPLOY.md.gz": "-rw-r--r--",
        "usr/share/doc/malyava-dropbox/PROTOCOL.md.gz": "-rw-r--r--",
        "usr/share/doc/malyava-dropbox/SECURITY.md.gz": "-rw-r--r--",
        "usr/share/doc/malyava-dropbox/README.md.gz": "-rw-r--r--",
        "usr/share/doc/malyava-dropbox/changelog.gz": "-rw-r--r--",
        "usr/share/doc/malyava-dropbox/copyright": "-rw-r--r--",
        "usr/share/lintian/overrides/malyava-dropbox": "-rw-r--r--",
    },
    "malyava": {
        "usr/bin/malyava": "-rwxr-xr-x",
        "usr/share/man/man1/malyava.1.gz": "-rw-r--r--",
        "usr/share/doc/malyava/EDITORS.md.gz": "-rw-r--r--",
        "usr/share/doc/malyava/FORMAT.md.gz": "-rw-r--r--",
        "usr/share/doc/malyava/SECURITY.md.gz": "-rw-r--r--",
        "usr/share/doc/malyava/README.md.gz": "-rw-r--r--",
        "usr/share/doc/malyava/changelog.gz": "-rw-r--r--",
        "usr/share/doc/malyava/copyright": "-rw-r--r--",
    },
    "malyava-keys": {
        "usr/bin/malyava-keys": "-rwxr-xr-x",
        "usr/share/man/man1/malyava-keys.1.gz": "-rw-r--r--",
        "usr/share/doc/malyava-keys/DEPLOY.md.gz": "-rw-r--r--",
        "usr/share/doc/malyava-keys/SECURITY.md.gz": "-rw-r--r--",
        "usr/share/doc/malyava-keys/README.md.gz": "-rw-r--r--",
        "usr/share/doc/malyava-keys/changelog.gz": "-rw-r--r--",
        "usr/share/doc/malyava-keys/copyright": "-rw-r--r--",
    },
}


def check_contents(check, debs):
    for pkg, deb in debs.items():
        got = files_of(deb)
        files = {p: m for p, (m, _) in got.items() if not m.startswith("d")}
        check(files == EXPECTED[pkg], f"{pkg} holds exactly its files with their modes: extra "
              f"{sorted(set(files.items()) - set(EXPECTED[pkg].items()))}, missing "
              f"{sorted(set(EXPECTED[pkg].items()) - set(files.items()))}")
        check(all(owner == "root/root" for _, owner in got.values()), f"everything in {pkg} belongs to root")
        dirs = [m for m, _ in got.values() if m.startswith("d")]
        check(all(m == "drwxr-xr-x" for m in dirs), f"every directory of {pkg} is 755")


def check_scripts(check, deb, tmp):
    ctl = os.path.join(tmp, "control")
    names = deb_lib.control_files(deb, ctl)
    check(names == ["conffiles", "control", "md5sums", "postinst", "postrm", "preinst", "prerm"],
          f"malyava-dropbox's control files: {names}")
    for s in ("postinst", "postrm", "preinst", "prerm"):
        path = os.path.join(ctl, s)
        check(stat.S_IMODE(os.stat(path).st_mode) == 0o755, f"{s} is 755")
        check(subprocess.run(["sh", "-n", path]).returncode == 0, f"{s} is valid shell")
    text = {s: open(os.path.join(ctl, s)).read() for s in ("postinst", "postrm", "prerm", "conffiles")}
    check("systemd-sysusers" in text["postinst"] and "malyava-dropbox.conf" in text["postinst"],
          "postinst makes the user from sysusers.d")
    enables = [i for i, line in enumerate(text["postinst"].splitlines()) if "deb-systemd-helper enable" in line]
    lines = text["postinst"].splitlines()
    check(enables and all(any("was-enabled" in line for line in lines[i - 3:i]) for i in enables),
          "postinst enables a unit only if the admin had enabled it before (an upgrade), never on install")
    check("deb-systemd-invoke stop 'malyava-dropbox.service'" in text["prerm"], "prerm stops the server")
    commands = [line for line in text["postrm"].splitlines() if not line.strip().startswith(("echo", "#"))]
    check(not any(re.search(r"\brm\b|userdel|deluser", line) for line in commands),
          "postrm removes neither the data directory nor the user on purge")
    check(text["conffiles"].split() == ["/etc/tor/torrc.d/malyava-dropbox.conf"], "the Tor drop-in is a conffile")


def check_lintian(check, debs):
    changes = os.path.join(os.path.dirname(debs["malyava"]), f"malyava_{deb_lib.VERSION}_{deb_lib.ARCH}.changes")
    p = subprocess.run(["lintian", "--pedantic", "--display-info", "--fail-on", "error,warning,info,pedantic",
                        changes], capture_output=True, text=True)
    tags = [line for line in (p.stdout + p.stderr).splitlines() if re.match(r"^[EWIPX]: ", line)]
    check(p.returncode == 0 and not tags, f"lintian reports nothing (exit {p.returncode}): {tags}")
    src = os.path.join(deb_lib.SOURCE, "debian", "malyava-dropbox.lintian-overrides")
    lines = open(src).read().splitlines()
    for i, line in enumerate(lines):
        if line and not line.startswith("#"):
            check(i > 0 and lines[i - 1].startswith("#"), f"the override {line!r} says why, in a comment above it")


def check_paths(check, debs):
    """debian/tmp is what `meson install --destdir` put there."""
    tmp = os.path.join(os.path.dirname(debs["malyava"]), "malyava", "debian", "tmp")
    installed = set()
    for d, _, names in os.walk(tmp):
        for n in names:
            installed.add(os.path.relpath(os.path.join(d, n), tmp))
    packaged = set()
    for deb in debs.values():
        for p, (m, _) in deb_lib.contents(deb).items():
            if not m.startswith("d") and not p.startswith(("usr/share/doc/", "usr/share/lintian/")):
                packaged.add(p[:-3] if p.startswith("usr/share/man/") and p.endswith(".gz") else p)
    check(installed == packaged, f"meson install and the packages agree on paths: only meson {installed - packaged}, "
          f"only the packages {packaged - installed}")
    unit = open(os.path.join(ROOT, "lib/systemd/system/malyava-dropbox.service")).read()
    execs = re.findall(r"^Exec(?:Start|StartPre)=(\S+)", unit, re.M)
    check(execs == ["/usr/sbin/malyava-dropbox"] * 2, f"the unit runs the packaged binary: {execs}")
    check(re.findall(r"^ExecStart=(\S+)", open(os.path.join(ROOT, "lib/systemd/system/"
                                                            "malyava-dropbox-check.service")).read(), re.M)
          == ["/usr/sbin/malyava-dropbox"], "the check unit runs the packaged binary")
    doc = open(os.path.join(deb_lib.SOURCE, "docs", "DEPLOY.md")).read()
    m = re.search(r"^# /lib/systemd/system/malyava-dropbox-check\.timer\n(.*?)^```", doc, re.M | re.S)
    timer = open(os.path.join(ROOT, "lib/systemd/system/malyava-dropbox-check.timer")).read().splitlines()
    check(m is not None and all(line in timer for line in m.group(1).splitlines()),
          "the timer docs/DEPLOY.md shows is the one the package ships")
    own = open(os.environ["MALYAVA_BUILD_UNIT"]).read()
    want = os.path.join(os.environ["MALYAVA_PREFIX"], os.environ["MALYAVA_SBINDIR"], "malyava-dropbox")
    check(re.findall(r"^ExecStart=(\S+)", own, re.M) == [want],
          f"this build's own unit runs the binary where its `meson install` puts it ({want})")


def check_systemd(check, tmp):
    """The unpacked units against the host's own units (the targets they
    name) in a copy of the root: the binaries they run must be there."""
    sysroot = os.path.join(tmp, "sysroot")
    shutil.copytree(ROOT, sysroot, symlinks=True)
    units = os.path.join(sysroot, "lib/systemd/system")
    for name in os.listdir("/lib/systemd/system"):
        src = os.path.join("/lib/systemd/system", name)
        if not os.path.exists(os.path.join(units, name)) and os.path.isfile(src):
            shutil.copy(src, units, follow_symlinks=True)
    os.makedirs(os.path.join(sysroot, "bin"), exist_ok=True)
    shutil.copy("/bin/kill", os.path.join(sysroot, "bin/kill"))
    ours = ["malyava-dropbox.service", "malyava-dropbox-check.service", "malyava-dropbox-check.timer"]
    p = subprocess.run(["systemd-analyze", f"--root={sysroot}", "--man=no", "verify",
                        *(f"/lib/systemd/system/{u}" for u in ours)], capture_output=True, text=True)
    check(p.returncode == 0 and not (p.stdout + p.stderr).strip(),
          f"systemd-analyze verify passes on the installed units: {p.returncode} {p.stdout}{p.stderr}")
    os.makedirs(os.path.join(sysroot, "etc"), exist_ok=True)
    p = subprocess.run(["systemd-sysusers", f"--root={sysroot}", "malyava-dropbox.conf"], capture_output=True,
                       text=True)
    entry = [line.split(":") for line in open(os.path.join(sysroot, "etc/passwd")).read().splitlines()
             if line.startswith("malyava:")] if p.returncode == 0 else []
    check(len(entry) == 1 and 0 < int(entry[0][2]) < 1000 and entry[0][5:] == ["/var/lib/malyava-dropbox",
                                                                               "/usr/sbin/nologin"],
          f"systemd-sysusers makes a system user malyava, home the data directory, no shell: {entry} {p.stderr}")


def run_installed(check, tmp):
    """The unpacked programs, end to end."""
    os.environ["MALYAVA_DROPBOX"] = os.path.join(ROOT, "usr/sbin/malyava-dropbox")
    os.environ["MALYAVA"] = os.path.join(ROOT, "usr/bin/malyava")
    os.environ["MALYAVA_KEYS"] = os.path.join(ROOT, "usr/bin/malyava-keys")
    import srv_lib
    root_user = os.geteuid() == 0
    org = srv_lib.Org(os.path.join(tmp, "offline"))
    manifest = org.sign(["alice"])
    carry = os.path.join(tmp, "carry")
    os.makedirs(carry)
    for src, name in ((org.org_pub, "org.pub"), (manifest, "manifest"), (manifest + ".minisig", "manifest.minisig")):
        check(stat.S_IMODE(os.stat(src).st_mode) == 0o644, f"malyava-keys wrote {name} 0644: it is carried")
        shutil.copy(src, os.path.join(carry, name))
    os.chmod(tmp, 0o755)  # the service user walks to its data directory
    data = os.path.join(tmp, "data")
    user = ["--user", "nobody"] if root_user else []
    p = srv_lib.run(os.environ["MALYAVA_DROPBOX"], "setup", data, "--from", carry, *user)
    token = re.search(r"shown this once[^\n]*\n(\S{43})\n", p.stdout)
    check(token is not None, f"setup prints the export token once: {p.stdout[:300]!r}")
    check("/etc/tor/torrc.d/malyava-dropbox.conf" in p.stdout and "The unit serves /var/lib/malyava-dropbox" in
          p.stdout, "setup names the packaged drop-in and the unit's data directory")
    srv = srv_lib.Server(data)
    nobody = pwd.getpwnam("nobody")
    as_user = ([f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"] if root_user else [])
    as_user = ["setpriv", *as_user, "--"] if as_user else []
    srv.prefix = as_user
    srv.start()
    try:
        env, receipt = org.seal(manifest, os.path.join(tmp, "env.bin"), "from the packages")
        loc, got = srv.upload(env)
        check(got == receipt and receipt is not None, f"the packaged server takes a submission: {got} {receipt}")
        st, _, body, _ = srv.editors("GET", "/api/v1/export",
                                     {"Authorization": f"Bearer {token.group(1) if token else ''}"})
        check(st == 200 and body.startswith(b"SQLite format 3\0"), f"the printed token exports it: {st}")
        p = srv_lib.run(*as_user, os.environ["MALYAVA_DROPBOX"], "check", data, ok=None)
        check(p.returncode == 0 and "is fine" in p.stdout, f"check finds nothing to report: {p.stdout} {p.stderr}")
    finally:
        check(srv.stop() == 0, "the packaged server stops cleanly")


def main():
    global ROOT
    from srv_lib import Checks, cleanup, tmpdir
    check = Checks()
    debs, _ = deb_lib.build("a")
    tmp = tmpdir("deb-package")
    try:
        ROOT = os.path.join(tmp, "root")
        for deb in debs.values():
            deb_lib.unpack(deb, ROOT)
        check_contents(check, debs)
        check_scripts(check, debs["malyava-dropbox"], tmp)
        check_paths(check, debs)
        check_systemd(check, tmp)
        run_installed(check, tmp)
        check_lintian(check, debs)
    finally:
        cleanup(tmp)
    check.exit()


if __name__ == "__main__":
    main()
