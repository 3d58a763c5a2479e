"""SQLite files read without SQLite: what a forensic examiner with a copy
of the data directory can take from the bytes themselves.

Reads the database file format (https://sqlite.org/fileformat2.html): the
header, b-tree pages, records and overflow chains; the rollback journal
(pre-images of the pages the transaction in progress changes); and the
WAL, replayed commit by commit. Everything works on bytes in memory, so a
copy taken while the server writes can be examined as it was taken.
"""
import struct

JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")
WAL_MAGICS = (0x377F0682, 0x377F0683)


class Malformed(Exception):
    pass


def varint(b, i):
    """(value, next offset) of the SQLite varint at b[i:]."""
    v = 0
    for k in range(8):
        if i + k >= len(b):
            raise Malformed("varint past the end")
        c = b[i + k]
        v = (v << 7) | (c & 0x7F)
        if c < 0x80:
            return v, i + k + 1
    if i + 8 >= len(b):
        raise Malformed("varint past the end")
    return (v << 8) | b[i + 8], i + 9


def record(payload):
    """The values of a record: ints, floats, bytes (blobs and texts), None."""
    hlen, i = varint(payload, 0)
    types = []
    while i < hlen:
        t, i = varint(payload, i)
        types.append(t)
    out, j = [], hlen
    for t in types:
        if t == 0:
            out.append(None)
        elif 1 <= t <= 6:
            n = (1, 2, 3, 4, 6, 8)[t - 1]
            out.append(int.from_bytes(payload[j:j + n], "big", signed=True))
            j += n
        elif t == 7:
            out.append(struct.unpack(">d", payload[j:j + 8])[0])
            j += 8
        elif t in (8, 9):
            out.append(t - 8)
        elif t >= 12:
            n = (t - 12) // 2
            out.append(bytes(payload[j:j + n]))
            j += n
        else:
            raise Malformed(f"serial type {t}")
    return out


class Database:
    """A database image: `pages` maps page numbers (from 1) to bytes."""

    def __init__(self, data):
        if len(data) < 100 or data[:16] != b"SQLite format 3\0":
            raise Malformed("not an SQLite database")
        ps = struct.unpack(">H", data[16:18])[0]
        self.page_size = 65536 if ps == 1 else ps
        self.usable = self.page_size - data[20]
        self.pages = {n + 1: data[n * self.page_size:(n + 1) * self.page_size]
                      for n in range(len(data) // self.page_size)}

    def copy(self):
        d = object.__new__(Database)
        d.page_size, d.usable, d.pages = self.page_size, self.usable, dict(self.pages)
        return d

    def _payload(self, page, at, size, index):
        """The whole payload of a cell whose payload starts at `at`."""
        u = self.usable
        x = u - 35 if not index else (u - 12) * 64 // 255 - 23
        if size <= x:
            return page[at:at + size]
        m = (u - 12) * 32 // 255 - 23
        k = m + (size - m) % (u - 4)
        local = k if k <= x else m
        out = bytearray(page[at:at + local])
        nxt = struct.unpack(">I", page[at + local:at + local + 4])[0]
        seen = set()
        while len(out) < size:
            if nxt in seen or nxt not in self.pages:
                raise Malformed("broken overflow chain")
            seen.add(nxt)
            ov = self.pages[nxt]
            out += ov[4:4 + min(u - 4, size - len(out))]
            nxt = struct.unpack(">I", ov[:4])[0]
        return bytes(out)

    def cells(self, root):
        """(page number, cell content offset, record values) of every row of
        the b-tree at `root`, in key order (the tree's own order)."""
        out, seen = [], set()

        def walk(n):
            if n in seen or n not in self.pages:
                raise Malformed(f"page {n} missing or visited twice")
            seen.add(n)
            page = self.pages[n]
            h = 100 if n == 1 else 0
            kind = page[h]
            if kind not in (2, 5, 10, 13):
                raise Malformed(f"page {n} is not a b-tree page ({kind})")
            ncells = struct.unpack(">H", page[h + 3:h + 5])[0]
            hdr = h + (12 if kind in (2, 5) else 8)
            for c in range(ncells):
                at = struct.unpack(">H", page[hdr + 2 * c:hdr + 2 * c + 2])[0]
                if kind in (2, 5):
                    walk(struct.unpack(">I", page[at:at + 4])[0])
                    if kind == 5:
                        continue
                    size, p = varint(page, at + 4)
                    out.append((n, at, record(self._payload(page, p, size, True))))
                elif kind == 13:
                    size, p = varint(page, at)
                    rowid, p = varint(page, p)
                    out.append((n, at, [rowid] + record(self._payload(page, p, size, False))))
                else:
                    size, p = varint(page, at)
                    out.append((n, at, record(self._payload(page, p, size, True))))
            if kind in (2, 5):
                walk(struct.unpack(">I", page[h + 8:h + 12])[0])

        walk(root)
        return out

    def schema(self):
        """{name: (type, root page, sql)} from sqlite_schema (page 1)."""
        out = {}
        for _, _, v in self.cells(1):
            rowid, kind, name, _, root, sql = v[:6]
            out[name.decode()] = (kind.decode(), root, sql.decode() if sql else None)
        return out

    def table(self, name):
        """Rows of the table `name` as (page, cell offset, values); values
        lead with the rowid for a rowid table."""
        return self.cells(self.schema()[name][1])


def journal_preimages(data, page_size):
    """{page number: page as it was before the transaction in progress}
    from a rollback journal (every segment; the first pre-image of a page
    wins, as in a rollback). Empty for an empty journal."""
    out, off = {}, 0
    while off + 28 <= len(data) and data[off:off + 8] == JOURNAL_MAGIC:
        nrec, _, _, sector, psize = struct.unpack(">IIIII", data[off + 8:off + 28])
        if psize != page_size or sector == 0:
            raise Malformed("journal header does not fit the database")
        start = off + sector
        if nrec in (0, 0xFFFFFFFF):
            nrec = (len(data) - start) // (page_size + 8)
        i = start
        for _ in range(nrec):
            if i + page_size + 8 > len(data):
                break
            pgno = struct.unpack(">I", data[i:i + 4])[0]
            out.setdefault(pgno, data[i + 4:i + 4 + page_size])
            i += page_size + 8
        off = -(-i // sector) * sector
    return out


def wal_states(db, data):
    """The database after each commit the WAL holds, oldest first: the
    history a WAL gives away. Frames are taken while their salts match the
    header's (checksums are not verified: an examiner need not)."""
    if len(data) < 32:
        return []
    magic, _, psize, _, s1, s2 = struct.unpack(">IIIIII", data[:24])
    if magic not in WAL_MAGICS or psize != db.page_size:
        return []
    states, cur, i = [], db.copy(), 32
    while i + 24 + psize <= len(data):
        pgno, commit, f1, f2 = struct.unpack(">IIII", data[i:i + 16])
        if (f1, f2) != (s1, s2):
            break
        cur.pages[pgno] = data[i + 24:i + 24 + psize]
        if commit:
            states.append(cur)
            cur = cur.copy()
        i += 24 + psize
    return states
