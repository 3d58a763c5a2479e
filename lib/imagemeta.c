/*
 * Photo and video metadata: what is kept, dropped and only flagged is
 * described in imagemeta.h. One walker per format serves both inspect (no
 * output) and strip (output), so what inspect reports is exactly what
 * strip removes. Input is read through one fixed buffer; nothing but a
 * single JPEG segment, a PNG eXIf or a video 'keys' box is ever held whole.
 */
#include <malyava/imagemeta.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/limits.h>

/* Read and write buffers: syscalls vanish next to the copying, memory
 * stays fixed whatever the file size. */
#define IMG_IO_BYTES (64u * 1024u)

/* A JPEG segment's 16-bit length counts its own two bytes. */
#define IMG_JPEG_SEG_MAX 65533u
#if MLV_IMG_MAX_EXIF_BYTES < IMG_JPEG_SEG_MAX
#error "the segment buffer must hold the largest JPEG segment"
#endif

/* A PNG text keyword is 1 to 79 bytes and a NUL. */
#define IMG_PNG_KEYWORD_MAX 80u

/* The PNG format's own bound on a chunk length. */
#define IMG_PNG_LENGTH_MAX 0x7fffffffu

/* A box that runs to the end of the file (ISO-BMFF size 0). */
#define IMG_TO_EOF UINT64_MAX

#define IMG_BOX(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

typedef struct img_ctx {
    int in_fd;
    int out_fd;       /* < 0: inspecting, nothing is written */
    int in_eof;
    int seekable;     /* a regular file: lseek past what does not matter */
    uint8_t *in;
    size_t in_pos, in_len;
    uint8_t *out;
    size_t out_len;
    uint8_t *seg;     /* MLV_IMG_MAX_EXIF_BYTES */
    uint64_t offset;  /* input bytes consumed */
    uint64_t size;    /* seekable: bytes from the start position to end of file */
    uint32_t crc_table[8][256]; /* PNG CRC-32, eight bytes a step */
    mlv_img_report *rep;
} img_ctx;

/* Where the bytes passed through go. */
typedef struct img_sink {
    int emit;             /* copy to the output */
    uint32_t *crc;        /* running PNG CRC, or NULL */
    uint8_t *keep;        /* capture the first keep_max bytes, or NULL */
    size_t keep_max, keep_len;
} img_sink;

static mlv_img_status img_fail(img_ctx *c, mlv_img_status status, const char *problem)
{
    if (c->rep->problem == NULL) {
        c->rep->problem = problem;
        c->rep->problem_offset = c->offset;
    }
    return status;
}

static uint32_t img_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static uint64_t img_be64(const uint8_t *p)
{
    return ((uint64_t)img_be32(p) << 32) | img_be32(p + 4);
}

/* ---- input and output -------------------------------------------------- */

static size_t img_avail(const img_ctx *c)
{
    return c->in_len - c->in_pos;
}

static void img_take(img_ctx *c, size_t n)
{
    c->in_pos += n;
    c->offset += n;
}

/* Makes at least `want` (<= IMG_IO_BYTES) bytes available unless the input
 * ends first; the caller checks img_avail. */
static mlv_img_status img_fill(img_ctx *c, size_t want)
{
    size_t avail = img_avail(c);

    if (avail >= want || c->in_eof)
        return MLV_IMG_OK;
    if (c->in_pos > 0) {
        memmove(c->in, c->in + c->in_pos, avail);
        c->in_pos = 0;
        c->in_len = avail;
    }
    while (c->in_len < want && !c->in_eof) {
        ssize_t n = read(c->in_fd, c->in + c->in_len, IMG_IO_BYTES - c->in_len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return img_fail(c, MLV_IMG_IO, "reading the input failed");
        }
        if (n == 0)
            c->in_eof = 1;
        c->in_len += (size_t)n;
    }
    return MLV_IMG_OK;
}

static mlv_img_status img_flush(img_ctx *c)
{
    if (c->out_len > 0 && mlv_file_write_all(c->out_fd, c->out, c->out_len) != 0)
        return img_fail(c, MLV_IMG_IO, "writing the output failed");
    c->out_len = 0;
    return MLV_IMG_OK;
}

static mlv_img_status img_put(img_ctx *c, const uint8_t *p, size_t n)
{
    if (c->out_fd < 0)
        return MLV_IMG_OK;
    while (n > 0) {
        size_t room = IMG_IO_BYTES - c->out_len, take = n < room ? n : room;
        mlv_img_status st;

        memcpy(c->out + c->out_len, p, take);
        c->out_len += take;
        p += take;
        n -= take;
        if (c->out_len == IMG_IO_BYTES && (st = img_flush(c)) != MLV_IMG_OK)
            return st;
    }
    return MLV_IMG_OK;
}

/* CRC-32 as PNG defines it, "slicing by 8": eight table lookups per
 * eight bytes instead of a chain of eight dependent ones, so checking a
 * large PNG's CRCs costs little next to copying it. */
static uint32_t img_crc(const img_ctx *c, uint32_t crc, const uint8_t *p, size_t n)
{
    const uint32_t(*t)[256] = c->crc_table;

    for (; n >= 8u; p += 8, n -= 8u) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;

        crc = t[7][lo & 0xffu] ^ t[6][(lo >> 8) & 0xffu] ^ t[5][(lo >> 16) & 0xffu] ^ t[4][lo >> 24] ^
              t[3][hi & 0xffu] ^ t[2][(hi >> 8) & 0xffu] ^ t[1][(hi >> 16) & 0xffu] ^ t[0][hi >> 24];
    }
    for (; n > 0; p++, n--)
        crc = t[0][(crc ^ *p) & 0xffu] ^ (crc >> 8);
    return crc;
}

static void img_crc_init(img_ctx *c)
{
    for (uint32_t n = 0; n < 256u; n++) {
        uint32_t v = n;

        for (unsigned k = 0; k < 8u; k++)
            v = (v & 1u) ? 0xedb88320u ^ (v >> 1) : v >> 1;
        c->crc_table[0][n] = v;
    }
    for (unsigned k = 1; k < 8u; k++)
        for (unsigned n = 0; n < 256u; n++)
            c->crc_table[k][n] = (c->crc_table[k - 1][n] >> 8) ^ c->crc_table[0][c->crc_table[k - 1][n] & 0xffu];
}

/* Moves `n` input bytes to `sink`; `truncated` names the problem if the
 * input ends first. */
static mlv_img_status img_pass(img_ctx *c, uint64_t n, img_sink *sink, const char *truncated)
{
    while (n > 0) {
        mlv_img_status st = img_fill(c, 1);
        size_t take = img_avail(c);
        const uint8_t *p = c->in + c->in_pos;

        if (st != MLV_IMG_OK)
            return st;
        if (take == 0)
            return img_fail(c, MLV_IMG_MALFORMED, truncated);
        if (take > n)
            take = (size_t)n;
        if (sink != NULL) {
            if (sink->crc != NULL)
                *sink->crc = img_crc(c, *sink->crc, p, take);
            if (sink->keep != NULL && sink->keep_len < sink->keep_max) {
                size_t k = sink->keep_max - sink->keep_len;

                memcpy(sink->keep + sink->keep_len, p, k < take ? k : take);
                sink->keep_len += k < take ? k : take;
            }
            if (sink->emit && (st = img_put(c, p, take)) != MLV_IMG_OK)
                return st;
        }
        img_take(c, take);
        n -= take;
    }
    return MLV_IMG_OK;
}

static mlv_img_status img_read(img_ctx *c, uint8_t *dst, size_t n, const char *truncated)
{
    img_sink sink = {.keep = dst, .keep_max = n};

    return img_pass(c, n, &sink, truncated);
}

/* Skips `n` bytes, with lseek where the file allows it. */
static mlv_img_status img_skip(img_ctx *c, uint64_t n, const char *truncated)
{
    size_t avail = img_avail(c);

    if (n <= avail) {
        img_take(c, (size_t)n);
        return MLV_IMG_OK;
    }
    /* A file that grew since it was measured is read through instead. */
    if (!c->seekable || c->offset > c->size)
        return img_pass(c, n, NULL, truncated);
    if (n > c->size - c->offset) {
        /* Where reading through would have stopped: the end of the file. */
        c->in_pos = c->in_len;
        c->offset = c->size;
        return img_fail(c, MLV_IMG_MALFORMED, truncated);
    }
    if (lseek(c->in_fd, (off_t)(n - avail), SEEK_CUR) < 0)
        return img_fail(c, MLV_IMG_IO, "seeking in the input failed");
    c->in_pos = c->in_len = 0;
    c->offset += n;
    return MLV_IMG_OK;
}

/* Bytes after the image's end (EOI, IEND) are never part of it: appended
 * pictures, "motion photo" videos, vendor trailers. Flagged and dropped. */
static mlv_img_status img_trailer(img_ctx *c)
{
    mlv_img_status st = img_fill(c, 1);

    if (st != MLV_IMG_OK || img_avail(c) == 0)
        return st;
    c->rep->flags |= MLV_IMG_F_TRAILER;
    if (c->seekable && c->size >= c->offset) {
        c->rep->removed_bytes += c->size - c->offset;
        return MLV_IMG_OK;
    }
    while (img_avail(c) > 0) {
        c->rep->removed_bytes += img_avail(c);
        img_take(c, img_avail(c));
        if ((st = img_fill(c, 1)) != MLV_IMG_OK)
            return st;
    }
    return MLV_IMG_OK;
}

/* ---- Exif (TIFF) ------------------------------------------------------- */

typedef enum tiff_ifd_kind { TIFF_IFD0, TIFF_IFD_EXIF, TIFF_IFD_GPS, TIFF_IFD1 } tiff_ifd_kind;

typedef struct tiff_block {
    const uint8_t *p;
    size_t len;
    int big_endian;
    uint32_t seen[4]; /* IFD offsets read so far: a second visit is a loop */
    unsigned nseen;
} tiff_block;

/* Pointers found in IFD0. */
typedef struct tiff_links {
    int has_exif, has_gps;
    uint32_t exif, gps, next;
} tiff_links;

/* Bytes per value of TIFF field types 1..13; 0 for types a reader skips. */
static const uint8_t tiff_type_bytes[14] = {0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4};

#define TIFF_TAG_EXIF_IFD 0x8769u
#define TIFF_TAG_GPS_IFD 0x8825u
#define TIFF_TYPE_LONG 4u
#define TIFF_TYPE_IFD 13u

static uint32_t tiff_u16(const tiff_block *t, size_t off)
{
    const uint8_t *p = t->p + off;

    return t->big_endian ? ((uint32_t)p[0] << 8) | p[1] : ((uint32_t)p[1] << 8) | p[0];
}

static uint32_t tiff_u32(const tiff_block *t, size_t off)
{
    return t->big_endian ? (tiff_u16(t, off) << 16) | tiff_u16(t, off + 2)
                         : (tiff_u16(t, off + 2) << 16) | tiff_u16(t, off);
}

/* What a tag says about the person behind the picture. */
static uint32_t tiff_tag_flag(tiff_ifd_kind kind, uint32_t tag)
{
    if (kind == TIFF_IFD_GPS)
        return MLV_IMG_F_GPS;
    if (kind == TIFF_IFD_EXIF) {
        switch (tag) {
        case 0x9003: case 0x9004: /* DateTimeOriginal, DateTimeDigitized */
        case 0x9010: case 0x9011: case 0x9012: /* OffsetTime* */
            return MLV_IMG_F_TIME;
        case 0x927c: return MLV_IMG_F_MAKERNOTE;
        case 0x9286: return MLV_IMG_F_TEXT; /* UserComment */
        case 0xa430: return MLV_IMG_F_OWNER; /* CameraOwnerName */
        case 0xa420: case 0xa431: case 0xa435: /* ImageUniqueID, BodySerialNumber, LensSerialNumber */
            return MLV_IMG_F_SERIAL;
        case 0xa433: case 0xa434: return MLV_IMG_F_CAMERA; /* LensMake, LensModel */
        default: return 0;
        }
    }
    switch (tag) {
    case 0x010e: return MLV_IMG_F_TEXT; /* ImageDescription */
    case 0x010f: case 0x0110: return MLV_IMG_F_CAMERA; /* Make, Model */
    case 0x0132: return MLV_IMG_F_TIME; /* DateTime */
    case 0x013b: case 0x8298: case 0x9c9d: return MLV_IMG_F_OWNER; /* Artist, Copyright, XPAuthor */
    case 0x9c9b: case 0x9c9c: case 0x9c9e: case 0x9c9f: return MLV_IMG_F_TEXT; /* XPTitle... */
    case 0xc62f: return MLV_IMG_F_SERIAL; /* CameraSerialNumber */
    case 0x0111: case 0x0201: /* StripOffsets, JPEGInterchangeFormat: image data in IFD1 */
        return kind == TIFF_IFD1 ? MLV_IMG_F_THUMBNAIL : 0;
    default: return 0;
    }
}

/* Reads one IFD: its tags' flags and, in IFD0, the pointers. Every entry's
 * out-of-line value must lie inside the block. -1: it does not fit, or it
 * was read before (a loop). */
static int tiff_ifd(tiff_block *t, uint32_t off, tiff_ifd_kind kind, uint32_t *flags, tiff_links *links)
{
    size_t count, entries;

    if (off < 8u || off > t->len || t->len - off < 2u || t->nseen == sizeof t->seen / sizeof t->seen[0])
        return -1;
    for (unsigned i = 0; i < t->nseen; i++)
        if (t->seen[i] == off)
            return -1;
    t->seen[t->nseen++] = off;
    count = tiff_u16(t, off);
    entries = (size_t)off + 2u;
    if (count * 12u > t->len - entries)
        return -1;
    for (size_t i = 0; i < count; i++) {
        size_t e = entries + i * 12u;
        uint32_t tag = tiff_u16(t, e), type = tiff_u16(t, e + 2), n = tiff_u32(t, e + 4);
        uint32_t value = tiff_u32(t, e + 8);

        if (type < sizeof tiff_type_bytes) {
            uint64_t bytes = (uint64_t)tiff_type_bytes[type] * n;

            if (bytes > 4u && (value > t->len || bytes > t->len - value))
                return -1;
        }
        if (kind == TIFF_IFD0 && (tag == TIFF_TAG_EXIF_IFD || tag == TIFF_TAG_GPS_IFD)) {
            if ((type != TIFF_TYPE_LONG && type != TIFF_TYPE_IFD) || n != 1u)
                return -1;
            if (tag == TIFF_TAG_GPS_IFD) {
                *flags |= MLV_IMG_F_GPS;
                links->has_gps = 1;
                links->gps = value;
            } else {
                links->has_exif = 1;
                links->exif = value;
            }
        }
        *flags |= tiff_tag_flag(kind, tag);
    }
    /* Some writers end the block right after the last IFD's entries. */
    if (kind == TIFF_IFD0 && t->len - entries - count * 12u >= 4u)
        links->next = tiff_u32(t, entries + count * 12u);
    return 0;
}

/* Flags of a TIFF block (Exif after its "Exif\0\0"): IFD0, its Exif and
 * GPS IFDs, and IFD1 (the thumbnail). Nothing else is followed, so
 * hostile pointers cost at most four IFD reads. */
static uint32_t tiff_flags(const uint8_t *p, size_t len)
{
    tiff_block t = {.p = p, .len = len};
    tiff_links links = {0};
    tiff_links unused = {0};
    uint32_t flags = 0;

    if (len < 8u)
        goto unreadable;
    if (p[0] == 'I' && p[1] == 'I')
        t.big_endian = 0;
    else if (p[0] == 'M' && p[1] == 'M')
        t.big_endian = 1;
    else
        goto unreadable;
    if (tiff_u16(&t, 2) != 42u || tiff_ifd(&t, tiff_u32(&t, 4), TIFF_IFD0, &flags, &links) != 0)
        goto unreadable;
    if (links.has_gps && tiff_ifd(&t, links.gps, TIFF_IFD_GPS, &flags, &unused) != 0)
        goto unreadable;
    if (links.has_exif && tiff_ifd(&t, links.exif, TIFF_IFD_EXIF, &flags, &unused) != 0)
        goto unreadable;
    if (links.next != 0u && tiff_ifd(&t, links.next, TIFF_IFD1, &flags, &unused) != 0)
        goto unreadable;
    return flags;
unreadable:
    return flags | MLV_IMG_F_EXIF_UNREADABLE;
}

/* ---- JPEG -------------------------------------------------------------- */

#define JPEG_TRUNCATED "the JPEG ends inside a segment (truncated?)"

typedef enum jpeg_action { JPEG_DROP, JPEG_KEEP, JPEG_JFIF } jpeg_action;

/* The segment starts with `id` including its NUL. */
#define JPEG_ID(p, n, id) ((n) >= sizeof(id) && memcmp((p), (id), sizeof(id)) == 0)

/* Markers followed by a length: every defined one but SOI, EOI, RSTn, TEM;
 * JPGn (0xF0-0xFD), JPG (0xC8) and 0x02-0xBF are reserved. */
static int jpeg_has_length(uint8_t m)
{
    return m >= 0xc0 && m != 0xc8 && !(m >= 0xd0 && m <= 0xd9) && !(m >= 0xf0 && m <= 0xfd) && m != 0xff;
}

static int jpeg_is_sof(uint8_t m)
{
    return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

/* Decides an APPn or COM segment from its payload, and flags it. */
static jpeg_action jpeg_app_action(uint32_t *flags, uint8_t m, const uint8_t *p, size_t n)
{
    switch (m) {
    case 0xe0:
        if (JPEG_ID(p, n, "JFIF") && n >= 14u) {
            /* Bytes 12 and 13 are the thumbnail's width and height; its
             * pixels follow. Kept only as the 14-byte header without them. */
            if (n > 14u)
                *flags |= (p[12] != 0 && p[13] != 0) ? MLV_IMG_F_THUMBNAIL : MLV_IMG_F_OTHER;
            return (n == 14u && p[12] == 0 && p[13] == 0) ? JPEG_KEEP : JPEG_JFIF;
        }
        *flags |= JPEG_ID(p, n, "JFXX") ? MLV_IMG_F_THUMBNAIL : MLV_IMG_F_OTHER;
        return JPEG_DROP;
    case 0xe1:
        if (JPEG_ID(p, n, "Exif"))
            *flags |= MLV_IMG_F_EXIF | (n >= 6u ? tiff_flags(p + 6, n - 6u) : MLV_IMG_F_EXIF_UNREADABLE);
        else if (JPEG_ID(p, n, "http://ns.adobe.com/xap/1.0/") || JPEG_ID(p, n, "http://ns.adobe.com/xmp/extension/"))
            *flags |= MLV_IMG_F_XMP;
        else
            *flags |= MLV_IMG_F_OTHER;
        return JPEG_DROP;
    case 0xe2:
        if (JPEG_ID(p, n, "ICC_PROFILE"))
            return JPEG_KEEP;
        break;
    case 0xed:
        if (JPEG_ID(p, n, "Photoshop 3.0")) {
            *flags |= MLV_IMG_F_IPTC;
            return JPEG_DROP;
        }
        break;
    case 0xee:
        /* Adobe's colour transform flag: needed to decode CMYK/YCCK right. */
        if (n >= 5u && memcmp(p, "Adobe", 5) == 0)
            return JPEG_KEEP;
        break;
    case 0xfe:
        *flags |= MLV_IMG_F_TEXT;
        return JPEG_DROP;
    default:
        break;
    }
    *flags |= MLV_IMG_F_OTHER;
    return JPEG_DROP;
}

static mlv_img_status jpeg_put_header(img_ctx *c, uint8_t m, size_t payload)
{
    uint8_t h[4] = {0xff, m, (uint8_t)((payload + 2u) >> 8), (uint8_t)(payload + 2u)};

    return img_put(c, h, sizeof h);
}

/* An APPn or COM segment: read whole (at most 64 KiB), then kept, cut or
 * dropped. */
static mlv_img_status jpeg_app(img_ctx *c, uint8_t m, size_t n)
{
    mlv_img_status st = img_read(c, c->seg, n, JPEG_TRUNCATED);
    static const uint8_t no_thumbnail[2] = {0, 0};

    if (st != MLV_IMG_OK)
        return st;
    switch (jpeg_app_action(&c->rep->flags, m, c->seg, n)) {
    case JPEG_KEEP:
        if ((st = jpeg_put_header(c, m, n)) != MLV_IMG_OK)
            return st;
        return img_put(c, c->seg, n);
    case JPEG_JFIF:
        c->rep->removed_bytes += n - 14u;
        if ((st = jpeg_put_header(c, m, 14u)) != MLV_IMG_OK || (st = img_put(c, c->seg, 12u)) != MLV_IMG_OK)
            return st;
        return img_put(c, no_thumbnail, sizeof no_thumbnail);
    case JPEG_DROP:
        break;
    }
    c->rep->removed_bytes += n + 4u;
    return MLV_IMG_OK;
}

/* Reads a marker: 0xFF, any fill 0xFF bytes, the code. */
static mlv_img_status jpeg_marker(img_ctx *c, uint8_t *m)
{
    mlv_img_status st;

    if ((st = img_fill(c, 1)) != MLV_IMG_OK)
        return st;
    if (img_avail(c) == 0)
        return img_fail(c, MLV_IMG_MALFORMED, "the JPEG ends without an EOI marker (truncated?)");
    if (c->in[c->in_pos] != 0xff)
        return img_fail(c, MLV_IMG_MALFORMED, "the JPEG has bytes where a marker must be");
    img_take(c, 1);
    for (;;) {
        if ((st = img_fill(c, 1)) != MLV_IMG_OK)
            return st;
        if (img_avail(c) == 0)
            return img_fail(c, MLV_IMG_MALFORMED, "the JPEG ends inside a marker");
        if (c->in[c->in_pos] != 0xff)
            break;
        /* Fill bytes before a marker are not copied. */
        img_take(c, 1);
        c->rep->removed_bytes++;
    }
    *m = c->in[c->in_pos];
    img_take(c, 1);
    return MLV_IMG_OK;
}

/* Entropy-coded data after SOS, copied byte for byte up to (not
 * including) the next marker: 0xFF followed by anything but a stuffed
 * 0x00, a restart marker or more fill. */
static mlv_img_status jpeg_scan(img_ctx *c)
{
    for (;;) {
        mlv_img_status st = img_fill(c, 2);
        size_t avail = img_avail(c), n;
        const uint8_t *p = c->in + c->in_pos, *ff;

        if (st != MLV_IMG_OK)
            return st;
        if (avail < 2u)
            return img_fail(c, MLV_IMG_MALFORMED, "the JPEG ends inside image data (truncated?)");
        ff = memchr(p, 0xff, avail - 1u);
        if (ff == NULL) {
            n = avail - 1u;
        } else if (ff > p) {
            n = (size_t)(ff - p);
        } else if (p[1] == 0x00 || (p[1] >= 0xd0 && p[1] <= 0xd7)) {
            n = 2;
        } else if (p[1] == 0xff) {
            n = 1;
        } else {
            return MLV_IMG_OK;
        }
        if ((st = img_put(c, p, n)) != MLV_IMG_OK)
            return st;
        img_take(c, n);
    }
}

static mlv_img_status jpeg_walk(img_ctx *c)
{
    uint8_t h[2];
    unsigned segments = 0;
    int seen_sof = 0, seen_sos = 0;
    mlv_img_status st;
    img_sink copy = {.emit = 1};

    if ((st = img_read(c, h, 2, JPEG_TRUNCATED)) != MLV_IMG_OK || (st = img_put(c, h, 2)) != MLV_IMG_OK)
        return st;
    for (;;) {
        uint8_t m;
        size_t n;

        if ((st = jpeg_marker(c, &m)) != MLV_IMG_OK)
            return st;
        if (++segments > MLV_IMG_MAX_JPEG_SEGMENTS)
            return img_fail(c, MLV_IMG_LIMIT, "the JPEG has more segments than MLV_IMG_MAX_JPEG_SEGMENTS");
        if (m == 0xd9) {
            if (!seen_sos)
                return img_fail(c, MLV_IMG_MALFORMED, "the JPEG ends before any image data");
            h[0] = 0xff;
            h[1] = m;
            if ((st = img_put(c, h, 2)) != MLV_IMG_OK)
                return st;
            return img_trailer(c);
        }
        if (!jpeg_has_length(m))
            return img_fail(c, MLV_IMG_MALFORMED, "the JPEG has a misplaced or reserved marker");
        if ((st = img_read(c, h, 2, JPEG_TRUNCATED)) != MLV_IMG_OK)
            return st;
        n = ((size_t)h[0] << 8) | h[1];
        if (n < 2u)
            return img_fail(c, MLV_IMG_MALFORMED, "a JPEG segment length is below 2");
        n -= 2u;
        if ((m >= 0xe0 && m <= 0xef) || m == 0xfe) {
            if ((st = jpeg_app(c, m, n)) != MLV_IMG_OK)
                return st;
            continue;
        }
        if (m == 0xda && !seen_sof)
            return img_fail(c, MLV_IMG_MALFORMED, "the JPEG has image data (SOS) before a frame header (SOF)");
        seen_sof |= jpeg_is_sof(m);
        if ((st = jpeg_put_header(c, m, n)) != MLV_IMG_OK || (st = img_pass(c, n, &copy, JPEG_TRUNCATED)) != MLV_IMG_OK)
            return st;
        if (m == 0xda) {
            seen_sos = 1;
            if ((st = jpeg_scan(c)) != MLV_IMG_OK)
                return st;
        }
    }
}

/* ---- PNG --------------------------------------------------------------- */

/* Critical chunks, and ancillary ones that only say how to show pixels. */
static const char png_kept[][5] = {"IHDR", "PLTE", "IDAT", "IEND", "tRNS", "gAMA",
                                   "cHRM", "sRGB", "iCCP", "bKGD", "pHYs", "sBIT"};

static int png_is_kept(const uint8_t type[4])
{
    for (size_t i = 0; i < sizeof png_kept / sizeof png_kept[0]; i++)
        if (memcmp(type, png_kept[i], 4) == 0)
            return 1;
    return 0;
}

static int png_type_is(const uint8_t type[4], const char *name)
{
    return memcmp(type, name, 4) == 0;
}

/* A text chunk by its keyword: XMP, Exif or IPTC wrapped as text (as
 * ImageMagick writes them), authorship, times, or free text. */
static uint32_t png_text_flags(const uint8_t *kw, size_t n)
{
    static const char raw[] = "Raw profile type ";
    const uint8_t *nul = memchr(kw, 0, n);
    const char *k = (const char *)kw;

    if (nul == NULL)
        return MLV_IMG_F_TEXT;
    if (strcmp(k, "XML:com.adobe.xmp") == 0)
        return MLV_IMG_F_XMP;
    if (strncasecmp(k, raw, sizeof raw - 1u) == 0) {
        k += sizeof raw - 1u;
        if (strcasecmp(k, "exif") == 0 || strcasecmp(k, "APP1") == 0)
            return MLV_IMG_F_EXIF | MLV_IMG_F_EXIF_UNREADABLE;
        if (strcasecmp(k, "xmp") == 0)
            return MLV_IMG_F_XMP;
        if (strcasecmp(k, "iptc") == 0 || strcasecmp(k, "8bim") == 0)
            return MLV_IMG_F_IPTC;
        return MLV_IMG_F_OTHER;
    }
    if (strcmp(k, "Author") == 0 || strcmp(k, "Copyright") == 0)
        return MLV_IMG_F_OWNER;
    if (strcmp(k, "Creation Time") == 0 || strncmp(k, "date:", 5) == 0)
        return MLV_IMG_F_TIME;
    return MLV_IMG_F_TEXT;
}

static uint32_t png_chunk_flags(const uint8_t type[4], const img_sink *kept, uint32_t len)
{
    if (png_type_is(type, "eXIf"))
        return MLV_IMG_F_EXIF |
               (len <= kept->keep_max ? tiff_flags(kept->keep, len) : MLV_IMG_F_EXIF_UNREADABLE);
    if (png_type_is(type, "tIME"))
        return MLV_IMG_F_TIME;
    if (png_type_is(type, "tEXt") || png_type_is(type, "zTXt") || png_type_is(type, "iTXt"))
        return png_text_flags(kept->keep, kept->keep_len);
    return MLV_IMG_F_OTHER;
}

#define PNG_TRUNCATED "the PNG ends inside a chunk (truncated?)"

/* One chunk after its 8-byte header `h`: copied with its CRC, or dropped;
 * the CRC is checked either way. */
static mlv_img_status png_chunk(img_ctx *c, const uint8_t h[8], uint32_t len)
{
    const uint8_t *type = h + 4;
    uint32_t crc = img_crc(c, 0xffffffffu, type, 4);
    uint8_t tail[4];
    img_sink sink = {.emit = png_is_kept(type), .crc = &crc, .keep = c->seg};
    mlv_img_status st;

    if (png_type_is(type, "eXIf"))
        sink.keep_max = MLV_IMG_MAX_EXIF_BYTES;
    else if (png_type_is(type, "tEXt") || png_type_is(type, "zTXt") || png_type_is(type, "iTXt"))
        sink.keep_max = IMG_PNG_KEYWORD_MAX;
    if (sink.emit && (st = img_put(c, h, 8)) != MLV_IMG_OK)
        return st;
    if ((st = img_pass(c, len, &sink, PNG_TRUNCATED)) != MLV_IMG_OK ||
        (st = img_read(c, tail, 4, PNG_TRUNCATED)) != MLV_IMG_OK)
        return st;
    if ((crc ^ 0xffffffffu) != img_be32(tail))
        return img_fail(c, MLV_IMG_MALFORMED, "a PNG chunk's CRC does not match its bytes (corrupted file)");
    if (sink.emit)
        return img_put(c, tail, 4);
    c->rep->flags |= png_chunk_flags(type, &sink, len);
    c->rep->removed_bytes += 12u + (uint64_t)len;
    return MLV_IMG_OK;
}

static mlv_img_status png_walk(img_ctx *c)
{
    uint8_t h[8];
    uint32_t chunks = 0;
    int seen_idat = 0;
    mlv_img_status st;

    if ((st = img_read(c, h, 8, PNG_TRUNCATED)) != MLV_IMG_OK || (st = img_put(c, h, 8)) != MLV_IMG_OK)
        return st;
    for (;;) {
        uint32_t len;
        const uint8_t *type = h + 4;

        if ((st = img_read(c, h, 8, "the PNG ends without an IEND chunk (truncated?)")) != MLV_IMG_OK)
            return st;
        if (++chunks > MLV_IMG_MAX_PNG_CHUNKS)
            return img_fail(c, MLV_IMG_LIMIT, "the PNG has more chunks than MLV_IMG_MAX_PNG_CHUNKS");
        len = img_be32(h);
        if (len > IMG_PNG_LENGTH_MAX)
            return img_fail(c, MLV_IMG_MALFORMED, "a PNG chunk length is over 2^31 - 1");
        for (unsigned i = 0; i < 4u; i++)
            if (!((type[i] >= 'A' && type[i] <= 'Z') || (type[i] >= 'a' && type[i] <= 'z')))
                return img_fail(c, MLV_IMG_MALFORMED, "a PNG chunk type is not four letters");
        if ((chunks == 1u) != png_type_is(type, "IHDR") || (chunks == 1u && len != 13u))
            return img_fail(c, MLV_IMG_MALFORMED, "a PNG must start with one 13-byte IHDR chunk");
        if (len > MLV_IMG_MAX_PNG_CHUNK_BYTES)
            return img_fail(c, MLV_IMG_LIMIT, "a PNG chunk is longer than MLV_IMG_MAX_PNG_CHUNK_BYTES");
        /* Bit 5 of the first letter clear: a decoder must understand the
         * chunk, so it can be neither dropped nor kept blindly. */
        if (!png_is_kept(type) && (type[0] & 0x20) == 0)
            return img_fail(c, MLV_IMG_MALFORMED, "the PNG has an unknown critical chunk");
        seen_idat |= png_type_is(type, "IDAT");
        if (png_type_is(type, "IEND") && (len != 0u || !seen_idat))
            return img_fail(c, MLV_IMG_MALFORMED, "the PNG's IEND is not empty or comes before any IDAT");
        if ((st = png_chunk(c, h, len)) != MLV_IMG_OK)
            return st;
        if (png_type_is(type, "IEND"))
            return img_trailer(c);
    }
}

/* ---- video (ISO-BMFF) -------------------------------------------------- */

#define BOX_TRUNCATED "the video ends inside a box (truncated?)"

static mlv_img_status bmff_walk(img_ctx *c, uint64_t end, unsigned depth, uint32_t *boxes);

/* The first `want` bytes of a box body into c->seg; returns how many. */
static mlv_img_status bmff_head(img_ctx *c, uint64_t body, size_t want, size_t *got)
{
    *got = body < want ? (size_t)body : want;
    return img_read(c, c->seg, *got, BOX_TRUNCATED);
}

/* Apple's 'keys' box names the metadata items of a 'meta' box
 * ("com.apple.quicktime.location.ISO6709", "...make", "...creationdate"). */
static uint32_t bmff_keys_flags(const uint8_t *p, size_t n, int whole)
{
    uint32_t flags = MLV_IMG_F_VIDEO_META;

    /* Past the buffer a location could hide: assume it does. */
    if (!whole || memmem(p, n, "location", 8) != NULL)
        flags |= MLV_IMG_F_LOCATION;
    if (memmem(p, n, "make", 4) != NULL || memmem(p, n, "model", 5) != NULL)
        flags |= MLV_IMG_F_CAMERA;
    if (memmem(p, n, "creationdate", 12) != NULL)
        flags |= MLV_IMG_F_TIME;
    if (memmem(p, n, "author", 6) != NULL || memmem(p, n, "artist", 6) != NULL)
        flags |= MLV_IMG_F_OWNER;
    return flags;
}

/* QuickTime user-data items named ©xxx. */
static uint32_t bmff_copyright_flags(uint32_t type)
{
    switch (type) {
    case IMG_BOX(0xa9, 'x', 'y', 'z'): return MLV_IMG_F_LOCATION;
    case IMG_BOX(0xa9, 'd', 'a', 'y'): return MLV_IMG_F_TIME;
    case IMG_BOX(0xa9, 'm', 'a', 'k'): case IMG_BOX(0xa9, 'm', 'o', 'd'): return MLV_IMG_F_CAMERA;
    case IMG_BOX(0xa9, 'A', 'R', 'T'): case IMG_BOX(0xa9, 'a', 'u', 't'): return MLV_IMG_F_OWNER;
    default: return MLV_IMG_F_TEXT;
    }
}

/* The boxes inside a container whose remaining body is `body` bytes. */
static mlv_img_status bmff_children(img_ctx *c, uint64_t body, unsigned depth, uint32_t *boxes)
{
    if (depth + 1u > MLV_IMG_MAX_BOX_DEPTH)
        return img_fail(c, MLV_IMG_LIMIT, "video boxes nest deeper than MLV_IMG_MAX_BOX_DEPTH");
    return bmff_walk(c, body == IMG_TO_EOF ? IMG_TO_EOF : c->offset + body, depth + 1u, boxes);
}

/* Looks into one box whose header was read; the caller skips what is left. */
static mlv_img_status bmff_box(img_ctx *c, uint32_t type, uint64_t body, unsigned depth, uint32_t *boxes)
{
    static const uint8_t xmp_uuid[16] = {0xbe, 0x7a, 0xcf, 0xcb, 0x97, 0xa9, 0x42, 0xe8,
                                         0x9c, 0x71, 0x99, 0x94, 0x91, 0xe3, 0xaf, 0xac};
    uint32_t *flags = &c->rep->flags;
    mlv_img_status st;
    size_t got;

    switch (type) {
    case IMG_BOX('m', 'e', 't', 'a'):
        *flags |= MLV_IMG_F_VIDEO_META;
        /* ISO's meta has a version and flags before its children; Apple's
         * starts with a child (hdlr) at once. */
        if ((st = img_fill(c, 8)) != MLV_IMG_OK)
            return st;
        if (!(img_avail(c) >= 8u && body >= 8u && memcmp(c->in + c->in_pos + 4, "hdlr", 4) == 0)) {
            if (body < 4u)
                return img_fail(c, MLV_IMG_MALFORMED, "a video 'meta' box is too short");
            if ((st = img_skip(c, 4, BOX_TRUNCATED)) != MLV_IMG_OK)
                return st;
            if (body != IMG_TO_EOF)
                body -= 4u;
        }
        return bmff_children(c, body, depth, boxes);
    case IMG_BOX('u', 'd', 't', 'a'):
        if (body > 0u)
            *flags |= MLV_IMG_F_VIDEO_META;
        return bmff_children(c, body, depth, boxes);
    case IMG_BOX('m', 'o', 'o', 'v'):
    case IMG_BOX('t', 'r', 'a', 'k'):
    case IMG_BOX('i', 'l', 's', 't'):
        return bmff_children(c, body, depth, boxes);
    case IMG_BOX('m', 'v', 'h', 'd'):
    case IMG_BOX('t', 'k', 'h', 'd'):
        /* Version 0 has a 32-bit creation time after version and flags,
         * version 1 a 64-bit one. */
        if ((st = bmff_head(c, body, 12, &got)) != MLV_IMG_OK)
            return st;
        if (got < 8u || (c->seg[0] == 1 && got < 12u))
            return img_fail(c, MLV_IMG_MALFORMED, "a video 'mvhd' or 'tkhd' box is too short");
        if ((c->seg[0] == 1 ? img_be64(c->seg + 4) : img_be32(c->seg + 4)) != 0u)
            *flags |= MLV_IMG_F_TIME;
        return MLV_IMG_OK;
    case IMG_BOX('k', 'e', 'y', 's'):
        if ((st = bmff_head(c, body, MLV_IMG_MAX_EXIF_BYTES, &got)) != MLV_IMG_OK)
            return st;
        *flags |= bmff_keys_flags(c->seg, got, got == body);
        return MLV_IMG_OK;
    case IMG_BOX('l', 'o', 'c', 'i'): /* 3GPP location */
        *flags |= MLV_IMG_F_LOCATION | MLV_IMG_F_VIDEO_META;
        return MLV_IMG_OK;
    case IMG_BOX('X', 'M', 'P', '_'):
        *flags |= MLV_IMG_F_XMP | MLV_IMG_F_VIDEO_META;
        return MLV_IMG_OK;
    case IMG_BOX('u', 'u', 'i', 'd'):
        if ((st = bmff_head(c, body, sizeof xmp_uuid, &got)) != MLV_IMG_OK)
            return st;
        if (got == sizeof xmp_uuid && memcmp(c->seg, xmp_uuid, sizeof xmp_uuid) == 0)
            *flags |= MLV_IMG_F_XMP | MLV_IMG_F_VIDEO_META;
        return MLV_IMG_OK;
    default:
        if ((type >> 24) == 0xa9u)
            *flags |= bmff_copyright_flags(type) | MLV_IMG_F_VIDEO_META;
        return MLV_IMG_OK;
    }
}

/* Boxes from the current offset to `end` (IMG_TO_EOF: to end of file). */
static mlv_img_status bmff_walk(img_ctx *c, uint64_t end, unsigned depth, uint32_t *boxes)
{
    while (end == IMG_TO_EOF || c->offset < end) {
        uint8_t h[16];
        uint64_t start = c->offset, size, box_end;
        size_t header = 8;
        mlv_img_status st;

        if (end == IMG_TO_EOF) {
            if ((st = img_fill(c, 1)) != MLV_IMG_OK)
                return st;
            if (img_avail(c) == 0)
                return MLV_IMG_OK;
        }
        if (++*boxes > MLV_IMG_MAX_VIDEO_BOXES)
            return img_fail(c, MLV_IMG_LIMIT, "the video has more boxes than MLV_IMG_MAX_VIDEO_BOXES");
        if ((st = img_read(c, h, 8, BOX_TRUNCATED)) != MLV_IMG_OK)
            return st;
        size = img_be32(h);
        if (size == 1u) {
            if ((st = img_read(c, h + 8, 8, BOX_TRUNCATED)) != MLV_IMG_OK)
                return st;
            size = img_be64(h + 8);
            header = 16;
        }
        if (size == 0u) {
            if (depth > 0u)
                return img_fail(c, MLV_IMG_MALFORMED, "only a top-level video box may run to the end of the file");
            box_end = IMG_TO_EOF;
        } else {
            if (size < header)
                return img_fail(c, MLV_IMG_MALFORMED, "a video box is shorter than its header");
            if (size > (end == IMG_TO_EOF ? IMG_TO_EOF - 1u : end) - start)
                return img_fail(c, MLV_IMG_MALFORMED, "a video box runs past the box that holds it");
            box_end = start + size;
        }
        st = bmff_box(c, img_be32(h + 4), box_end == IMG_TO_EOF ? IMG_TO_EOF : box_end - c->offset, depth, boxes);
        if (st != MLV_IMG_OK)
            return st;
        if (box_end == IMG_TO_EOF) {
            /* Read or seek through to the end: a truncated file is no error here. */
            c->in_pos = c->in_len;
            return MLV_IMG_OK;
        }
        if ((st = img_skip(c, box_end - c->offset, BOX_TRUNCATED)) != MLV_IMG_OK)
            return st;
    }
    return MLV_IMG_OK;
}

static mlv_img_status bmff_inspect(img_ctx *c)
{
    uint32_t boxes = 0;
    mlv_img_status st = bmff_walk(c, IMG_TO_EOF, 0, &boxes);

    /* Whatever was found stays in the file: say so. */
    if (c->rep->flags != 0u)
        c->rep->flags |= MLV_IMG_F_VIDEO_META;
    return st;
}

/* ---- entry points ------------------------------------------------------ */

mlv_img_kind mlv_img_sniff(const uint8_t *h, size_t n)
{
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    static const uint8_t jxl_box[12] = {0, 0, 0, 12, 'J', 'X', 'L', ' ', '\r', '\n', 0x87, '\n'};
    /* Major brands of still images in an ISO-BMFF container. */
    static const char image_brands[][5] = {"heic", "heix", "hevc", "hevx", "heim", "heis", "hevm",
                                           "hevs", "mif1", "msf1", "avif", "avis", "crx "};

    if (n >= 3u && h[0] == 0xff && h[1] == 0xd8 && h[2] == 0xff)
        return MLV_IMG_JPEG;
    if (n >= sizeof png_sig && memcmp(h, png_sig, sizeof png_sig) == 0)
        return MLV_IMG_PNG;
    if (n >= 12u && memcmp(h + 4, "ftyp", 4) == 0) {
        for (size_t i = 0; i < sizeof image_brands / sizeof image_brands[0]; i++)
            if (memcmp(h + 8, image_brands[i], 4) == 0)
                return MLV_IMG_OTHER_IMAGE;
        return MLV_IMG_VIDEO;
    }
    /* Old QuickTime files start with the movie or media data itself. */
    if (n >= 8u && (memcmp(h + 4, "moov", 4) == 0 || memcmp(h + 4, "mdat", 4) == 0 ||
                    memcmp(h + 4, "wide", 4) == 0))
        return MLV_IMG_VIDEO;
    if ((n >= 12u && memcmp(h, "RIFF", 4) == 0 && memcmp(h + 8, "WEBP", 4) == 0) ||
        (n >= 6u && (memcmp(h, "GIF87a", 6) == 0 || memcmp(h, "GIF89a", 6) == 0)) ||
        (n >= 4u && (memcmp(h, "II*\0", 4) == 0 || memcmp(h, "MM\0*", 4) == 0)) ||
        (n >= 2u && h[0] == 0xff && h[1] == 0x0a) ||
        (n >= sizeof jxl_box && memcmp(h, jxl_box, sizeof jxl_box) == 0))
        return MLV_IMG_OTHER_IMAGE;
    return MLV_IMG_UNKNOWN;
}

static void img_free(uint8_t *p, size_t len)
{
    /* Decrypted evidence: do not leave it in freed heap. */
    if (p != NULL) {
        sodium_memzero(p, len);
        free(p);
    }
}

static mlv_img_status img_run(int in_fd, int out_fd, mlv_img_report *rep)
{
    img_ctx c;
    struct stat st_in;
    off_t pos;
    mlv_img_status st;

    memset(rep, 0, sizeof *rep);
    memset(&c, 0, sizeof c);
    c.in_fd = in_fd;
    c.out_fd = out_fd;
    c.rep = rep;
    c.in = malloc(IMG_IO_BYTES);
    c.seg = malloc(MLV_IMG_MAX_EXIF_BYTES);
    c.out = out_fd >= 0 ? malloc(IMG_IO_BYTES) : NULL;
    if (c.in == NULL || c.seg == NULL || (out_fd >= 0 && c.out == NULL)) {
        st = img_fail(&c, MLV_IMG_NOMEM, "out of memory for the image buffers");
        goto out;
    }
    img_crc_init(&c);
    if (fstat(in_fd, &st_in) == 0 && S_ISREG(st_in.st_mode) && (pos = lseek(in_fd, 0, SEEK_CUR)) >= 0 &&
        st_in.st_size >= pos) {
        c.seekable = 1;
        c.size = (uint64_t)(st_in.st_size - pos);
    }
    if ((st = img_fill(&c, MLV_IMG_SNIFF_BYTES)) != MLV_IMG_OK)
        goto out;
    rep->kind = mlv_img_sniff(c.in, c.in_len);
    switch (rep->kind) {
    case MLV_IMG_JPEG:
        st = jpeg_walk(&c);
        break;
    case MLV_IMG_PNG:
        st = png_walk(&c);
        break;
    case MLV_IMG_VIDEO:
        st = out_fd >= 0 ? MLV_IMG_UNSUPPORTED : bmff_inspect(&c);
        break;
    case MLV_IMG_OTHER_IMAGE:
        rep->flags = MLV_IMG_F_NOT_INSPECTED;
        st = out_fd >= 0 ? MLV_IMG_UNSUPPORTED : MLV_IMG_OK;
        break;
    case MLV_IMG_UNKNOWN:
    default:
        st = out_fd >= 0 ? MLV_IMG_UNSUPPORTED : MLV_IMG_OK;
        break;
    }
    if (st == MLV_IMG_OK && out_fd >= 0)
        st = img_flush(&c);
out:
    img_free(c.in, IMG_IO_BYTES);
    img_free(c.seg, MLV_IMG_MAX_EXIF_BYTES);
    img_free(c.out, IMG_IO_BYTES);
    return st;
}

mlv_img_status mlv_img_inspect_fd(int fd, mlv_img_report *out)
{
    return img_run(fd, -1, out);
}

mlv_img_status mlv_img_strip_fd(int in_fd, int out_fd, mlv_img_report *removed)
{
    if (out_fd < 0) {
        memset(removed, 0, sizeof *removed);
        errno = EBADF;
        removed->problem = "no output file to write the stripped image to";
        return MLV_IMG_IO;
    }
    return img_run(in_fd, out_fd, removed);
}

const char *mlv_img_strerror(mlv_img_status status)
{
    switch (status) {
    case MLV_IMG_OK:
        return "no error";
    case MLV_IMG_UNSUPPORTED:
        return "metadata can only be removed from JPEG and PNG images; treat this file as identifying, "
               "or convert it to JPEG or PNG first";
    case MLV_IMG_MALFORMED:
        return "the file is malformed or truncated, so its metadata was not removed; treat it as identifying";
    case MLV_IMG_IO:
        return "reading or writing the image failed; check the disk and try again";
    case MLV_IMG_LIMIT:
        return "the image is past a size or count limit of this tool, so its metadata was not removed; "
               "treat it as identifying";
    case MLV_IMG_NOMEM:
        return "out of memory; close other programs and try again";
    }
    return "unknown image status";
}

const char *mlv_img_kind_name(mlv_img_kind kind)
{
    switch (kind) {
    case MLV_IMG_JPEG: return "JPEG";
    case MLV_IMG_PNG: return "PNG";
    case MLV_IMG_VIDEO: return "video";
    case MLV_IMG_OTHER_IMAGE: return "other image";
    case MLV_IMG_UNKNOWN: break;
    }
    return "unknown";
}

static const struct {
    uint32_t flag;
    const char *text;
} img_flag_text[] = {
    {MLV_IMG_F_GPS, "GPS location"},
    {MLV_IMG_F_LOCATION, "location"},
    {MLV_IMG_F_OWNER, "owner or author name"},
    {MLV_IMG_F_SERIAL, "serial number or unique id"},
    {MLV_IMG_F_THUMBNAIL, "thumbnail"},
    {MLV_IMG_F_TIME, "date and time"},
    {MLV_IMG_F_CAMERA, "camera make and model"},
    {MLV_IMG_F_EXIF, "Exif"},
    {MLV_IMG_F_EXIF_UNREADABLE, "unreadable Exif (may hold anything)"},
    {MLV_IMG_F_XMP, "XMP"},
    {MLV_IMG_F_IPTC, "IPTC"},
    {MLV_IMG_F_TEXT, "text or comments"},
    {MLV_IMG_F_MAKERNOTE, "maker notes"},
    {MLV_IMG_F_OTHER, "other metadata"},
    {MLV_IMG_F_TRAILER, "data after the image"},
    {MLV_IMG_F_VIDEO_META, "video metadata present, not removed"},
    {MLV_IMG_F_NOT_INSPECTED, "other image, not inspected"},
};

static size_t img_describe_add(char *buf, size_t size, size_t used, const char *text)
{
    const char *sep = used > 0u ? ", " : "";
    int n = snprintf(used < size ? buf + used : NULL, used < size ? size - used : 0, "%s%s", sep, text);

    return n > 0 ? used + (size_t)n : used;
}

size_t mlv_img_describe(const mlv_img_report *r, char *buf, size_t size)
{
    size_t used = 0;

    if (size > 0u)
        buf[0] = '\0';
    for (size_t i = 0; i < sizeof img_flag_text / sizeof img_flag_text[0]; i++)
        if (r->flags & img_flag_text[i].flag)
            used = img_describe_add(buf, size, used, img_flag_text[i].text);
    if (used == 0u)
        used = img_describe_add(buf, size, 0, r->kind == MLV_IMG_UNKNOWN ? "not an image or video"
                                                                           : "no metadata found");
    return used;
}
