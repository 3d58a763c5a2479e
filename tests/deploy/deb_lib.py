"""What the deployment tests share: the Debian packages built from the
tree with dpkg-buildpackage (once, in a build directory reused while the
tree is unchanged), unpacked into scratch roots, and the programs that
came out of them.

The tree is copied first (git's list of files, node_modules linked in):
dpkg-buildpackage writes debian/tmp and the .debs beside the tree, and a
copy keeps the checkout clean and lets a second build run in a directory
of another name and depth.
"""
import fcntl
import glob
import hashlib
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))

SOURCE = os.environ["MALYAVA_SOURCE_ROOT"]
WORK = os.environ["MALYAVA_DEB_WORK"]  # in the meson build directory, kept between runs
PACKAGES = ("malyava-dropbox", "malyava", "malyava-keys")
VERSION = "0.1.0"
ARCH = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()


def tree_files():
    """The tree's files as git lists them (tracked, and new ones not
    ignored), so build directories and node_modules stay out; without git
    (a tree from a tarball), every file but those .gitignore names."""
    p = subprocess.run(["git", "-C", SOURCE, "ls-files", "-co", "--exclude-standard", "-z"], capture_output=True)
    if p.returncode == 0:
        names = p.stdout.decode().split("\0")
    else:
        names = []
        for d, dirs, files in os.walk(SOURCE):
            dirs[:] = [x for x in dirs if not x.startswith(("build", ".git", ".demo")) and x != "node_modules"]
            names += [os.path.relpath(os.path.join(d, f), SOURCE) for f in files]
    return sorted(f for f in names
                  if f and os.path.isfile(os.path.join(SOURCE, f)) and not f.startswith("node_modules/"))


def tree_stamp(files):
    h = hashlib.sha256()
    for f in files:
        h.update(f.encode() + b"\0")
        with open(os.path.join(SOURCE, f), "rb") as fh:
            h.update(hashlib.sha256(fh.read()).digest())
        h.update(oct(os.stat(os.path.join(SOURCE, f)).st_mode & 0o111).encode())
    return h.hexdigest()


def node_modules():
    nm = os.path.realpath(os.path.join(SOURCE, "node_modules"))
    if not os.path.isdir(os.path.join(nm, "libsodium-wrappers")):
        raise RuntimeError(f"{nm} has no libsodium-wrappers: run `npm ci` in the source tree (scripts/deps does)")
    return nm


def build(name, fresh=False):
    """Builds the packages in WORK/<name>/ unless the last build there was
    of the same tree (or `fresh` says to build anyway); returns {package:
    path of its .deb} and the build log's path. A lock keeps two tests
    from building at once."""
    out = os.path.join(WORK, name)
    os.makedirs(WORK, exist_ok=True)
    with open(os.path.join(WORK, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        files = tree_files()
        stamp = tree_stamp(files)
        stamp_file = os.path.join(out, "stamp")
        debs = {p: os.path.join(out, f"{p}_{VERSION}_{ARCH}.deb") for p in PACKAGES}
        if (not fresh and os.path.exists(stamp_file) and open(stamp_file).read() == stamp
                and all(map(os.path.exists, debs.values()))):
            return debs, os.path.join(out, "build.log")
        shutil.rmtree(out, ignore_errors=True)
        src = os.path.join(out, "malyava")
        for f in files:
            os.makedirs(os.path.dirname(os.path.join(src, f)), exist_ok=True)
            shutil.copy2(os.path.join(SOURCE, f), os.path.join(src, f))
        os.symlink(node_modules(), os.path.join(src, "node_modules"))
        env = {**os.environ, "DEB_BUILD_OPTIONS": "parallel=2 nocheck"}
        for k in ("LD_PRELOAD", "MALLOC_PERTURB_", "SOURCE_DATE_EPOCH"):
            env.pop(k, None)
        log = os.path.join(out, "build.log")
        with open(log, "w") as lf:
            p = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, stdout=lf, stderr=subprocess.STDOUT,
                               env=env)
        if p.returncode != 0:
            raise RuntimeError(f"dpkg-buildpackage failed ({p.returncode}):\n" + open(log).read()[-4000:])
        with open(stamp_file, "w") as f:
            f.write(stamp)
        return debs, log


def contents(deb):
    """{path: (mode string, owner/group)} of a .deb's files and directories."""
    p = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True, check=True)
    out = {}
    for line in p.stdout.splitlines():
        parts = line.split(None, 5)
        path = parts[5].split(" -> ")[0]
        out[path.removeprefix("./").rstrip("/") or "."] = (parts[0], parts[1])
    return out


def unpack(deb, root):
    subprocess.run(["dpkg-deb", "-x", deb, root], check=True)


def control_files(deb, into):
    subprocess.run(["dpkg-deb", "-e", deb, into], check=True)
    return sorted(os.listdir(into))


def field(deb, name):
    return subprocess.run(["dpkg-deb", "-f", deb, name], capture_output=True, text=True, check=True).stdout.strip()


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def all_debs(name):
    return sorted(glob.glob(os.path.join(WORK, name, "*.deb")))
