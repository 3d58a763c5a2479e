"""Pieces the vault tests share: a small JPEG that carries GPS in its
Exif, export bundles written by hand (to make hostile ones), and a vault
driven through the real `malyava`."""
import hashlib
import os
import sqlite3
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))
from srv_lib import MALYAVA, run  # noqa: E402,F401


def jpeg_with_gps():
    """An 8x8 grey baseline JPEG whose APP1 Exif has a GPS IFD (latitude
    reference 'N'), a camera make, and a comment segment."""
    def seg(marker, payload):
        return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload
    # TIFF, little-endian: IFD0 = Make, GPS pointer; GPS IFD = LatitudeRef.
    tiff = b"II*\x00" + struct.pack("<I", 8)
    ifd0_at, gps_at = 8, 8 + 2 + 2 * 12 + 4
    make_at = gps_at + 2 + 12 + 4
    tiff += struct.pack("<H", 2)
    tiff += struct.pack("<HHII", 0x010F, 2, 6, make_at)          # Make, ASCII, 6 bytes
    tiff += struct.pack("<HHII", 0x8825, 4, 1, gps_at)           # GPS IFD pointer
    tiff += struct.pack("<I", 0)
    assert len(tiff) == gps_at and ifd0_at == 8
    tiff += struct.pack("<H", 1) + struct.pack("<HHI", 0x0001, 2, 2) + b"N\x00\x00\x00" + struct.pack("<I", 0)
    tiff += b"Leica\x00"
    app1 = seg(0xE1, b"Exif\x00\x00" + tiff)
    dqt = seg(0xDB, b"\x00" + bytes([1] * 64))
    sof = seg(0xC0, b"\x08\x00\x08\x00\x08\x01\x01\x11\x00")
    dht_dc = seg(0xC4, b"\x00" + bytes([1] + [0] * 15) + b"\x00")
    dht_ac = seg(0xC4, b"\x10" + bytes([1] + [0] * 15) + b"\x00")
    sos = seg(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    com = seg(0xFE, b"taken by the guard's phone")
    return b"\xff\xd8" + app1 + com + dqt + sof + dht_dc + dht_ac + sos + b"\x3f" + b"\xff\xd9"


def file_hash(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def copy_bundle(src, dst, edit=None):
    """A copy of a bundle, changed by `edit(db)` with SQLite itself."""
    with open(src, "rb") as f, open(dst, "wb") as g:
        g.write(f.read())
    if edit is not None:
        db = sqlite3.connect(dst)
        edit(db)
        db.commit()
        db.close()
    return dst


def receipt_of(data):
    h = hashlib.blake2b(data, digest_size=16).hexdigest()
    return "-".join(h[i:i + 4] for i in range(0, 32, 4))


class Vault:
    def __init__(self, path, passfile):
        self.path = path
        self.passfile = passfile

    def __call__(self, cmd, *args, ok=True, unlock=True):
        extra = ["--vault", self.path]
        if unlock:
            extra += ["--passphrase-file", self.passfile]
        return run(MALYAVA, cmd, *extra, *args, ok=ok)


def drop_box(root, editors, messages, seal_to=None, org=None, files=()):
    """An organisation with `editors` (or `org`), a drop-box under `root`
    that received one envelope per message (sealed to `seal_to`, default
    all editors, with `files` attached; a message may be a (text, fields)
    pair), and its export bundle: returns (org, bundle path)."""
    from srv_lib import DROPBOX, Org, Server, init_data_dir
    os.makedirs(root, exist_ok=True)
    org = org or Org(root, editors)
    manifest = org.sign(list(seal_to or editors))
    data, _ = init_data_dir(root, org, manifest)
    srv = Server(data).start()
    try:
        for i, m in enumerate(messages):
            text, fields = m if isinstance(m, tuple) else (m, ())
            out = os.path.join(root, f"sealed-{i}")
            run(MALYAVA, "seal", "--manifest", manifest, "--org-key", org.org_pub, "--message", text,
                *[a for f in fields for a in ("--field", f)], *files, "-o", out)
            with open(out, "rb") as f:
                env = f.read()
            srv.upload(env, pieces=max(1, len(env) >> 22))
    finally:
        srv.stop()
    bundle = os.path.join(root, "export.bundle")
    run(DROPBOX, "export", data, "-o", bundle)
    return org, bundle


def new_vault(path, org, names=("alice",)):
    """`malyava init` and the organisation's editor keys `names` added."""
    run(MALYAVA, "init", path)
    for name in names:
        run(MALYAVA, "key", "add", "--vault", path, "--passphrase-file", org.passfile,
            os.path.join(org.dir, "editors", f"{name}.key"))
    return Vault(path, org.passfile)
