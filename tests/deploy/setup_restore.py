#!/usr/bin/env python3
"""The admin's first set-up and a restore onto a new machine, with the
commands of docs/DEPLOY.md (the system's directories moved into a scratch
one, the build's programs first on PATH, the user `nobody` standing in for
`malyava` when run as root).

Checked: `setup` from the carried files makes the data directory owned by
the service user, private (0700 directories, 0600 files), prints the
export token once, the Tor lines the shipped drop-in has, and the next
steps; it refuses a tampered manifest (creating nothing), a directory that
is not empty, a user that does not exist, and a mix of --from with
--org-key. The server then serves as that user and the token exports.
The backup (age-encrypted tar of the config, the carried files and the
onion services' keys) holds no envelope, upload or database; restored on
a "new machine" with `setup --from` the backup's config, it keeps the
settings and the export token (none printed): the new server serves, takes
a submission, and the old token exports it.
"""
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deb_lib  # noqa: E402,F401  (sets the import path)
import doc_lib  # noqa: E402
from srv_lib import DROPBOX, Checks, Org, Server, cleanup, tmpdir  # noqa: E402

check = Checks()
ROOT_USER = os.geteuid() == 0

SETUP = "malyava-dropbox setup /var/lib/malyava-dropbox --from /media/usb/malyava"
CHECK = "runuser -u malyava -- malyava-dropbox check /var/lib/malyava-dropbox"
BACKUP = """tar -C /var/lib -cz malyava-dropbox/config malyava-dropbox/org.pub malyava-dropbox/manifest \\
    malyava-dropbox/manifest.minisig tor/malyava tor/malyava-editors |
    age -r "$(cat backup.pub)" >malyava-backup.tar.gz.age"""
RESTORE = """age -d -i backup.key malyava-backup.tar.gz.age | tar -C /var/lib -xz tor/malyava tor/malyava-editors
chown -R debian-tor:debian-tor /var/lib/tor/malyava /var/lib/tor/malyava-editors
mkdir restore && age -d -i backup.key malyava-backup.tar.gz.age | tar -C restore -xz malyava-dropbox
malyava-dropbox setup /var/lib/malyava-dropbox --from restore/malyava-dropbox
shred -u backup.key && rm -r restore"""
KEYGEN = "age-keygen -o backup.key && age-keygen -y backup.key >backup.pub"


def as_service():
    """The prefix running a command as the stand-in service user."""
    if not ROOT_USER:
        return []
    nobody = pwd.getpwnam("nobody")
    return ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups", "--"]


def moves(machine, bindir, usb=None):
    m = [("/var/lib", os.path.join(machine, "var/lib"))]
    if usb:
        m.append(("/media/usb/malyava", usb))
    if ROOT_USER:
        m += [("runuser -u malyava", "runuser -u nobody"), ("malyava-dropbox setup ", "malyava-dropbox setup --user nobody ")]
    else:
        m += [("runuser -u malyava -- ", ""), ("chown -R debian-tor:debian-tor", "true")]
    return m


def private(check, data, who):
    for d, dirs, files in os.walk(data):
        for n in dirs + files:
            p = os.path.join(d, n)
            st = os.lstat(p)
            want = 0o700 if stat.S_ISDIR(st.st_mode) else 0o600
            check(stat.S_IMODE(st.st_mode) == want, f"{who}: {os.path.relpath(p, data)} is {want:o}")
            if ROOT_USER:
                check(st.st_uid == pwd.getpwnam("nobody").pw_uid, f"{who}: {n} belongs to the service user")
    if ROOT_USER:
        check(os.stat(data).st_uid == pwd.getpwnam("nobody").pw_uid, f"{who}: the directory belongs to the service user")


def serve(data):
    srv = Server(data)
    srv.prefix = as_service()
    return srv.start()


def export_status(srv, token):
    return srv.editors("GET", "/api/v1/export", {"Authorization": f"Bearer {token}"})[0]


def refusals(root, org, carry, bindir, env):
    """What setup refuses, each leaving nothing behind."""
    bad = os.path.join(root, "tampered")
    shutil.copytree(carry, bad)
    with open(os.path.join(bad, "manifest"), "a") as f:
        f.write("editor 0000000000000000 AAAA\n")
    target = os.path.join(root, "refused")
    user = ["--user", "nobody"] if ROOT_USER else []
    p = subprocess.run([DROPBOX, "setup", target, "--from", bad, *user], capture_output=True, text=True)
    check(p.returncode == 1 and "refused" in p.stderr and not os.path.exists(target),
          f"a tampered manifest is refused and nothing is created: {p.returncode} {p.stderr!r}")
    os.makedirs(target)
    open(os.path.join(target, "something"), "w").close()
    p = subprocess.run([DROPBOX, "setup", target, "--from", carry, *user], capture_output=True, text=True)
    check(p.returncode == 1 and "not empty" in p.stderr, f"a directory with something in it is refused: {p.stderr!r}")
    p = subprocess.run([DROPBOX, "setup", target, "--from", carry, "--org-key", os.path.join(carry, "org.pub")],
                       capture_output=True, text=True)
    check(p.returncode == 2, "--from and --org-key together are a usage error")
    if ROOT_USER:
        p = subprocess.run([DROPBOX, "setup", os.path.join(root, "x"), "--from", carry, "--user", "no-such-user-here"],
                           capture_output=True, text=True)
        check(p.returncode == 1 and "adduser --system" in p.stderr and not os.path.exists(os.path.join(root, "x")),
              f"a missing service user is named with how to make it: {p.stderr!r}")
        p = subprocess.run([DROPBOX, "setup", os.path.join(root, "x"), "--from", carry, "--user", "root"],
                           capture_output=True, text=True)
        check(p.returncode == 1 and "unprivileged" in p.stderr, "root as the service user is refused")


def main():
    root = tmpdir("setup-restore")
    os.chmod(root, 0o755)
    try:
        bindir = os.path.join(root, "bin")
        os.makedirs(bindir)
        os.symlink(DROPBOX, os.path.join(bindir, "malyava-dropbox"))
        env = {"PATH": bindir + os.pathsep + os.environ["PATH"]}
        doc_lib.in_deploy(check, [SETUP, CHECK, BACKUP, RESTORE, KEYGEN])

        # -- the offline machine: the organisation and the carried files
        org = Org(os.path.join(root, "offline"))
        manifest = org.sign(["alice"])
        usb = os.path.join(root, "usb")
        os.makedirs(usb)
        for src, name in ((org.org_pub, "org.pub"), (manifest, "manifest"), (manifest + ".minisig", "manifest.minisig")):
            shutil.copy(src, os.path.join(usb, name))
        refusals(root, org, usb, bindir, env)

        # -- the first machine
        old = os.path.join(root, "old")
        os.makedirs(os.path.join(old, "var/lib"))
        data = os.path.join(old, "var/lib/malyava-dropbox")
        p = doc_lib.sh(SETUP, root, env, moves(old, bindir, usb))
        check(p.returncode == 0, f"DEPLOY.md's setup command runs: {p.stderr}")
        token = re.findall(r"shown this once[^\n]*\n(\S{43})\n", p.stdout)
        check(len(token) == 1, "setup prints the export token")
        token = token[0] if token else ""
        check(p.stdout.count(token) == 1, "once")
        shipped = open(os.path.join(deb_lib.SOURCE, "deploy", "torrc-malyava")).read()
        for line in re.findall(r"^  (HiddenService\S+ .+)$", p.stdout, re.M):
            check(re.search(rf"^{re.escape(line)}$", shipped, re.M) is not None,
                  f"setup's Tor line is the shipped drop-in's: {line!r}")
        for step in ("%include /etc/tor/torrc.d/*.conf", "systemctl enable --now malyava-dropbox.service "
                     "malyava-dropbox-check.timer", "authorized_clients", "cat /var/lib/tor/malyava/hostname"):
            check(step in p.stdout, f"setup says what to do next: {step!r}")
        private(check, data, "setup")
        p = doc_lib.sh(CHECK, root, env, moves(old, bindir))
        check(p.returncode == 0 and "is fine" in p.stdout, f"DEPLOY.md's check command runs: {p.stdout} {p.stderr}")
        srv = serve(data)
        try:
            env1, receipt = org.seal(manifest, os.path.join(root, "one.env"), "before the move")
            check(srv.upload(env1)[1] == receipt, "the set-up server takes a submission")
            check(export_status(srv, token) == 200, "the printed token exports")
        finally:
            srv.stop()
        # stand-ins for the onion services' directories tor made
        for name in ("malyava", "malyava-editors"):
            d = os.path.join(old, "var/lib/tor", name)
            os.makedirs(os.path.join(d, "authorized_clients"), mode=0o700)
            for f in ("hs_ed25519_secret_key", "hs_ed25519_public_key", "hostname"):
                with open(os.path.join(d, f), "w") as fh:
                    fh.write(f"{name} {f}\n")

        # -- the backup, on the offline machine's age key
        p = doc_lib.sh(KEYGEN, root)
        check(p.returncode == 0, f"DEPLOY.md's age-keygen line runs: {p.stderr}")
        p = doc_lib.sh(BACKUP, root, env, moves(old, bindir))
        check(p.returncode == 0, f"DEPLOY.md's backup command runs: {p.stderr}")
        blob = open(os.path.join(root, "malyava-backup.tar.gz.age"), "rb").read()
        check(blob.startswith(b"age-encryption.org/v1\n") and b"manifest" not in blob, "the backup is encrypted")
        plain = subprocess.run(["age", "-d", "-i", os.path.join(root, "backup.key")], input=blob,
                               capture_output=True, check=True).stdout
        tar_path = os.path.join(root, "plain.tar.gz")
        with open(tar_path, "wb") as f:
            f.write(plain)
        with tarfile.open(tar_path) as t:
            names = sorted(t.getnames())
        os.unlink(tar_path)
        check(not any(re.search(r"envelopes|uploads|malyava\.db|lock", n) for n in names),
              f"no envelope, upload or database in the backup: {names}")
        check("tor/malyava/hs_ed25519_secret_key" in names and "malyava-dropbox/config" in names,
              "the onion keys and the config are in it")

        # -- the new machine, from the backup alone
        new = os.path.join(root, "new")
        os.makedirs(os.path.join(new, "var/lib/tor"), mode=0o700)
        p = doc_lib.sh(RESTORE, root, env, moves(new, bindir))
        check(p.returncode == 0, f"DEPLOY.md's restore commands run: {p.stdout} {p.stderr}")
        check(not os.path.exists(os.path.join(root, "backup.key")) and not os.path.exists(os.path.join(root, "restore")),
              "the key and the clear copy are gone afterwards")
        check("stays valid; no new one was made" in p.stdout and not re.search(r"shown this once", p.stdout),
              "setup from a backup keeps the token and prints none")
        for name in ("malyava", "malyava-editors"):
            got = open(os.path.join(new, "var/lib/tor", name, "hs_ed25519_secret_key")).read()
            check(got == f"{name} hs_ed25519_secret_key\n", f"{name}'s onion key is back")
            if ROOT_USER:
                check(pwd.getpwuid(os.stat(os.path.join(new, "var/lib/tor", name)).st_uid).pw_name == "debian-tor",
                      f"{name} belongs to tor's user")
        new_data = os.path.join(new, "var/lib/malyava-dropbox")
        check(open(os.path.join(new_data, "config")).read() == open(os.path.join(data, "config")).read(),
              "the restored config is the backed-up one, byte for byte")
        private(check, new_data, "restore")
        srv = serve(new_data)
        try:
            env2, receipt = org.seal(manifest, os.path.join(root, "two.env"), "after the move")
            check(srv.upload(env2)[1] == receipt, "the restored server takes a submission")
            st, _, body, _ = srv.editors("GET", "/api/v1/export", {"Authorization": f"Bearer {token}"})
            check(st == 200 and body.startswith(b"SQLite format 3\0"), f"the old export token exports from it: {st}")
        finally:
            srv.stop()
        backup_dir = os.path.join(root, "from-backup")
        os.makedirs(backup_dir)
        for name in ("config", "org.pub", "manifest", "manifest.minisig"):
            shutil.copy(os.path.join(data, name), backup_dir)
        p = subprocess.run([DROPBOX, "setup", os.path.join(root, "y"), "--from", backup_dir, "--max-disk-bytes",
                            "1GiB", *(["--user", "nobody"] if ROOT_USER else [])], capture_output=True, text=True)
        check(p.returncode == 2 and "change them in" in p.stderr and not os.path.exists(os.path.join(root, "y")),
              f"settings beside a backup's config are refused: {p.returncode} {p.stderr!r}")
    finally:
        cleanup(root)
    check.exit()


if __name__ == "__main__":
    main()
