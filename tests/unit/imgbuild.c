/* Hand-built JPEG, PNG and MP4 samples: see imgbuild.h. */
#include "imgbuild.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void imgb_put(imgb *b, const void *p, size_t n)
{
    if (b == NULL || n == 0)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        uint8_t *q;

        while (cap < b->len + n)
            cap *= 2;
        if ((q = realloc(b->data, cap)) == NULL) {
            fprintf(stderr, "imgbuild: out of memory\n");
            abort();
        }
        b->data = q;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void imgb_u16be(imgb *b, uint32_t v)
{
    uint8_t p[2] = {(uint8_t)(v >> 8), (uint8_t)v};

    imgb_put(b, p, sizeof p);
}

void imgb_u32be(imgb *b, uint32_t v)
{
    uint8_t p[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

    imgb_put(b, p, sizeof p);
}

void imgb_free(imgb *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* Appends to both the input and the expected output. */
static void both(imgb *in, imgb *out, const void *p, size_t n)
{
    imgb_put(in, p, n);
    imgb_put(out, p, n);
}

/* ---- Exif -------------------------------------------------------------- */

void imgb_tiff_set16(uint8_t *p, int big_endian, uint32_t v)
{
    p[big_endian ? 0 : 1] = (uint8_t)(v >> 8);
    p[big_endian ? 1 : 0] = (uint8_t)v;
}

void imgb_tiff_set32(uint8_t *p, int big_endian, uint32_t v)
{
    imgb_tiff_set16(p + (big_endian ? 0 : 2), big_endian, v >> 16);
    imgb_tiff_set16(p + (big_endian ? 2 : 0), big_endian, v & 0xffffu);
}

typedef struct tiff_writer {
    uint8_t *p;
    int be;
    size_t data; /* next free byte of the value area after the IFDs */
} tiff_writer;

/* Entry i of the IFD at `ifd`; values over 4 bytes go to the value area.
 * Returns where the value field is. */
static size_t tiff_entry(tiff_writer *w, size_t ifd, unsigned i, uint32_t tag, uint32_t type, uint32_t count,
                         const void *value, size_t len)
{
    size_t e = ifd + 2u + 12u * i;

    imgb_tiff_set16(w->p + e, w->be, tag);
    imgb_tiff_set16(w->p + e + 2, w->be, type);
    imgb_tiff_set32(w->p + e + 4, w->be, count);
    if (len <= 4u) {
        memcpy(w->p + e + 8, value, len);
    } else {
        imgb_tiff_set32(w->p + e + 8, w->be, (uint32_t)w->data);
        memcpy(w->p + w->data, value, len);
        w->data += len;
    }
    return e + 8u;
}

static size_t tiff_ascii(tiff_writer *w, size_t ifd, unsigned i, uint32_t tag, const char *s)
{
    return tiff_entry(w, ifd, i, tag, 2, (uint32_t)strlen(s) + 1u, s, strlen(s) + 1u);
}

static void tiff_ifd_end(tiff_writer *w, size_t ifd, unsigned count, uint32_t next)
{
    imgb_tiff_set16(w->p + ifd, w->be, count);
    imgb_tiff_set32(w->p + ifd + 2u + 12u * count, w->be, next);
}

void imgb_exif(imgb *b, int big_endian, imgb_exif_layout *l)
{
    static const uint8_t gps_version[4] = {2, 3, 0, 0};
    static const uint8_t latitude[24] = {0, 0, 0, 55, 0, 0, 0, 1, 0, 0, 0, 45, 0, 0, 0, 1, 0, 0, 0, 20, 0, 0, 0, 1};
    static const uint8_t thumbnail[4] = {0xff, 0xd8, 0xff, 0xd9};
    uint8_t block[512] = {0};
    tiff_writer w = {.p = block, .be = big_endian};
    imgb_exif_layout local;

    if (l == NULL)
        l = &local;
    memcpy(block, big_endian ? "MM\0*" : "II*\0", 4);
    l->ifd0 = 8;
    l->exif_ifd = l->ifd0 + 2u + 12u * 6u + 4u;
    l->gps_ifd = l->exif_ifd + 2u + 12u * 3u + 4u;
    l->ifd1 = l->gps_ifd + 2u + 12u * 3u + 4u;
    w.data = l->ifd1 + 2u + 12u * 3u + 4u;
    imgb_tiff_set32(block + 4, big_endian, (uint32_t)l->ifd0);

    l->ifd0_count = l->ifd0;
    l->make_offset = tiff_ascii(&w, l->ifd0, 0, 0x010f, "Canon");
    tiff_ascii(&w, l->ifd0, 1, 0x0110, "EOS R5");
    tiff_ascii(&w, l->ifd0, 2, 0x0132, "2026:11:30 14:22:05");
    tiff_ascii(&w, l->ifd0, 3, 0x013b, "Ivan Petrov");
    l->exif_pointer = tiff_entry(&w, l->ifd0, 4, 0x8769, 4, 1, "", 0);
    imgb_tiff_set32(block + l->exif_pointer, big_endian, (uint32_t)l->exif_ifd);
    l->gps_pointer = tiff_entry(&w, l->ifd0, 5, 0x8825, 4, 1, "", 0);
    imgb_tiff_set32(block + l->gps_pointer, big_endian, (uint32_t)l->gps_ifd);
    tiff_ifd_end(&w, l->ifd0, 6, (uint32_t)l->ifd1);
    l->next_pointer = l->ifd0 + 2u + 12u * 6u;

    tiff_ascii(&w, l->exif_ifd, 0, 0x9003, "2026:11:30 14:22:05");
    tiff_ascii(&w, l->exif_ifd, 1, 0xa430, "Ivan Petrov");
    tiff_ascii(&w, l->exif_ifd, 2, 0xa431, "012345678901");
    tiff_ifd_end(&w, l->exif_ifd, 3, 0);

    tiff_entry(&w, l->gps_ifd, 0, 0x0000, 1, 4, gps_version, sizeof gps_version);
    tiff_ascii(&w, l->gps_ifd, 1, 0x0001, "N");
    tiff_entry(&w, l->gps_ifd, 2, 0x0002, 5, 3, latitude, sizeof latitude);
    tiff_ifd_end(&w, l->gps_ifd, 3, 0);

    imgb_tiff_set16(block + tiff_entry(&w, l->ifd1, 0, 0x0103, 3, 1, "", 0), big_endian, 6);
    imgb_tiff_set32(block + tiff_entry(&w, l->ifd1, 1, 0x0201, 4, 1, "", 0), big_endian, (uint32_t)w.data);
    imgb_tiff_set32(block + tiff_entry(&w, l->ifd1, 2, 0x0202, 4, 1, "", 0), big_endian, sizeof thumbnail);
    memcpy(block + w.data, thumbnail, sizeof thumbnail);
    w.data += sizeof thumbnail;
    tiff_ifd_end(&w, l->ifd1, 3, 0);
    imgb_put(b, block, w.data);
}

/* ---- JPEG -------------------------------------------------------------- */

void imgb_jpeg_segment(imgb *b, uint8_t marker, const void *payload, size_t n)
{
    uint8_t h[2] = {0xff, marker};

    imgb_put(b, h, 2);
    imgb_u16be(b, (uint32_t)n + 2u);
    imgb_put(b, payload, n);
}

void imgb_jpeg_exif(imgb *b, const imgb *tiff)
{
    imgb seg = {0};

    imgb_put(&seg, "Exif\0\0", 6);
    imgb_put(&seg, tiff->data, tiff->len);
    imgb_jpeg_segment(b, 0xe1, seg.data, seg.len);
    imgb_free(&seg);
}

/* A segment in both files, or only in the input. */
static void jpeg_both(imgb *in, imgb *out, uint8_t marker, const void *p, size_t n)
{
    imgb_jpeg_segment(in, marker, p, n);
    imgb_jpeg_segment(out, marker, p, n);
}

void imgb_sample_jpeg(imgb *in, imgb *out, int big_endian)
{
    static const uint8_t soi[2] = {0xff, 0xd8}, eoi[2] = {0xff, 0xd9};
    static const uint8_t jfif[14] = {'J', 'F', 'I', 'F', 0, 1, 2, 0, 0, 72, 0, 72, 0, 0};
    static const char xmp[] = "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><dc:creator>Ivan Petrov</dc:creator>"
                              "<exif:GPSLatitude>55,45.33N</exif:GPSLatitude></x:xmpmeta>";
    static const char icc[] = "ICC_PROFILE\0\1\1 a colour profile, kept";
    static const char photoshop[] = "Photoshop 3.0\0" "8BIM\4\4\0\0\0\0\0\x0c\x1c\2\x50\0\7Ivan P.";
    static const uint8_t adobe[12] = {'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 1};
    static const char comment[] = "shot by Ivan from the window of cell 14";
    static const uint8_t sof0[9] = {8, 0, 16, 0, 16, 1, 1, 0x11, 0};
    static const uint8_t dht[18] = {0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t dri[2] = {0, 1};
    static const uint8_t sos[6] = {1, 1, 0x00, 0, 63, 0};
    /* Stuffed 0xFF00, restart markers, fill 0xFF before the next marker. */
    static const uint8_t scan1[16] = {0x12, 0x34, 0xff, 0x00, 0x56, 0xff, 0xd0, 0x78,
                                      0xff, 0xd7, 0x9a, 0xff, 0x00, 0xbc, 0xff, 0xff};
    static const uint8_t scan2[6] = {0xab, 0xcd, 0xff, 0x00, 0xef, 0x01};
    static const char trailer[] = "MotionPhoto_Data: a video of the cell follows";
    uint8_t dqt[65];
    imgb tiff = {0};

    for (unsigned i = 0; i < sizeof dqt; i++)
        dqt[i] = (uint8_t)i;
    both(in, out, soi, sizeof soi);
    jpeg_both(in, out, 0xe0, jfif, sizeof jfif);
    imgb_exif(&tiff, big_endian, NULL);
    imgb_jpeg_exif(in, &tiff);
    imgb_free(&tiff);
    imgb_jpeg_segment(in, 0xe1, xmp, sizeof xmp - 1u);
    jpeg_both(in, out, 0xe2, icc, sizeof icc - 1u);
    imgb_jpeg_segment(in, 0xed, photoshop, sizeof photoshop - 1u);
    jpeg_both(in, out, 0xee, adobe, sizeof adobe);
    imgb_jpeg_segment(in, 0xfe, comment, sizeof comment - 1u);
    jpeg_both(in, out, 0xdb, dqt, sizeof dqt);
    jpeg_both(in, out, 0xc0, sof0, sizeof sof0);
    jpeg_both(in, out, 0xc4, dht, sizeof dht);
    jpeg_both(in, out, 0xdd, dri, sizeof dri);
    jpeg_both(in, out, 0xda, sos, sizeof sos);
    both(in, out, scan1, sizeof scan1);
    /* Metadata between scans is removed too. */
    imgb_jpeg_segment(in, 0xef, "junk after the first scan", 25);
    imgb_jpeg_segment(in, 0xfe, comment, sizeof comment - 1u);
    jpeg_both(in, out, 0xc4, dht, sizeof dht);
    jpeg_both(in, out, 0xda, sos, sizeof sos);
    both(in, out, scan2, sizeof scan2);
    both(in, out, eoi, sizeof eoi);
    imgb_put(in, trailer, sizeof trailer - 1u);
}

/* ---- PNG --------------------------------------------------------------- */

static uint32_t png_crc(const uint8_t *p, size_t n, uint32_t crc)
{
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (unsigned k = 0; k < 8u; k++)
            crc = (crc & 1u) ? 0xedb88320u ^ (crc >> 1) : crc >> 1;
    }
    return crc;
}

void imgb_png_chunk(imgb *b, const char *type, const void *data, size_t n)
{
    uint32_t crc = png_crc((const uint8_t *)type, 4, 0xffffffffu);

    imgb_u32be(b, (uint32_t)n);
    imgb_put(b, type, 4);
    imgb_put(b, data, n);
    imgb_u32be(b, png_crc(data, n, crc) ^ 0xffffffffu);
}

void imgb_png_signature(imgb *b)
{
    imgb_put(b, "\x89PNG\r\n\x1a\n", 8);
}

static void png_both(imgb *in, imgb *out, const char *type, const void *data, size_t n)
{
    imgb_png_chunk(in, type, data, n);
    imgb_png_chunk(out, type, data, n);
}

void imgb_sample_png(imgb *in, imgb *out, int big_endian)
{
    static const uint8_t ihdr[13] = {0, 0, 0, 2, 0, 0, 0, 2, 8, 0, 0, 0, 0};
    static const uint8_t gama[4] = {0, 0, 0xb1, 0x8f};
    static const uint8_t phys[9] = {0, 0, 0x0b, 0x13, 0, 0, 0x0b, 0x13, 1};
    static const uint8_t time[7] = {0x07, 0xea, 11, 30, 14, 22, 5};
    static const char text[] = "Comment\0taken from the window of cell 14";
    static const char author[] = "Author\0Ivan Petrov";
    static const char ztxt[] = "Description\0\0\x78\x9c\x03\x00\x00\x00\x00\x01";
    static const char itxt[] = "XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta><dc:creator>Ivan</dc:creator></x:xmpmeta>";
    /* A 2x2 grey image: two rows, filter byte 0, in one stored zlib block
     * (78 01; final block of 6 bytes; Adler-32), split over two IDATs. */
    static const uint8_t zlib[17] = {0x78, 0x01, 0x01, 0x06, 0x00, 0xf9, 0xff, 0x00, 0x10,
                                     0x20, 0x00, 0x30, 0x40, 0x01, 0x76, 0x00, 0xa1};
    imgb tiff = {0};

    imgb_png_signature(in);
    imgb_png_signature(out);
    png_both(in, out, "IHDR", ihdr, sizeof ihdr);
    png_both(in, out, "gAMA", gama, sizeof gama);
    imgb_png_chunk(in, "tEXt", text, sizeof text - 1u);
    imgb_png_chunk(in, "tEXt", author, sizeof author - 1u);
    imgb_exif(&tiff, big_endian, NULL);
    imgb_png_chunk(in, "eXIf", tiff.data, tiff.len);
    imgb_free(&tiff);
    imgb_png_chunk(in, "iTXt", itxt, sizeof itxt - 1u);
    png_both(in, out, "pHYs", phys, sizeof phys);
    imgb_png_chunk(in, "tIME", time, sizeof time);
    png_both(in, out, "IDAT", zlib, 9);
    imgb_png_chunk(in, "zTXt", ztxt, sizeof ztxt - 1u);
    imgb_png_chunk(in, "prVt", "private data", 12);
    png_both(in, out, "IDAT", zlib + 9, sizeof zlib - 9u);
    png_both(in, out, "IEND", "", 0);
    imgb_put(in, "trailing bytes", 14);
}

void imgb_sample_png_profiles(imgb *in)
{
    static const uint8_t ihdr[13] = {0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0};
    static const char exif[] = "Raw profile type exif\0\nexif\n 8\n4d4d002a00000008";
    static const char iptc[] = "Raw profile type iptc\0\0x";
    static const char when[] = "Creation Time\0" "2026-11-30 14:22";

    imgb_png_signature(in);
    imgb_png_chunk(in, "IHDR", ihdr, sizeof ihdr);
    imgb_png_chunk(in, "tEXt", exif, sizeof exif - 1u);
    imgb_png_chunk(in, "zTXt", iptc, sizeof iptc - 1u);
    imgb_png_chunk(in, "tEXt", when, sizeof when - 1u);
    imgb_png_chunk(in, "IDAT", "\x78\x01\x01\x02\x00\xfd\xff\x00\x00\x00\x02\x00\x01", 13);
    imgb_png_chunk(in, "IEND", "", 0);
}

/* ---- MP4 --------------------------------------------------------------- */

size_t imgb_box_open(imgb *b, const char *type)
{
    size_t at = b->len;

    imgb_u32be(b, 0);
    imgb_put(b, type, 4);
    return at;
}

void imgb_box_close(imgb *b, size_t at)
{
    uint32_t size = (uint32_t)(b->len - at);

    b->data[at] = (uint8_t)(size >> 24);
    b->data[at + 1] = (uint8_t)(size >> 16);
    b->data[at + 2] = (uint8_t)(size >> 8);
    b->data[at + 3] = (uint8_t)size;
}

static void box_leaf(imgb *b, const char *type, const void *body, size_t n)
{
    size_t at = imgb_box_open(b, type);

    imgb_put(b, body, n);
    imgb_box_close(b, at);
}

/* A full box header's version and flags, then `n` zero bytes after a
 * 32-bit creation time. */
static void box_timed(imgb *b, const char *type, uint32_t created, size_t n)
{
    size_t at = imgb_box_open(b, type);
    static const uint8_t zero[96] = {0};

    imgb_u32be(b, 0);
    imgb_u32be(b, created);
    imgb_put(b, zero, n);
    imgb_box_close(b, at);
}

void imgb_sample_mp4(imgb *b, size_t mdat_bytes, int clean)
{
    static const char ftyp[] = "isom\0\0\2\0isomiso2mp41";
    static const char key[] = "com.apple.quicktime.location.ISO6709";
    static const char place[] = "\0\x12\x15\xc7+55.7558+037.6173/";
    static const uint8_t hdlr[25] = {0, 0, 0, 0, 0, 0, 0, 0, 'm', 'd', 't', 'a'};
    uint32_t created = clean ? 0u : 0xe3a1b2c3u;
    size_t moov, trak, udta, meta, keys, ilst, item, mdat;

    box_leaf(b, "ftyp", ftyp, sizeof ftyp - 1u);
    moov = imgb_box_open(b, "moov");
    box_timed(b, "mvhd", created, 92);
    trak = imgb_box_open(b, "trak");
    box_timed(b, "tkhd", created, 76);
    imgb_box_close(b, trak);
    if (!clean) {
        udta = imgb_box_open(b, "udta");
        box_leaf(b, "\xa9xyz", place, sizeof place - 1u);
        box_leaf(b, "\xa9mak", "\0\5\0\0Apple", 9);
        box_leaf(b, "\xa9" "day", "\0\x0a\0\0" "2026-11-30", 14);
        box_leaf(b, "XMP_", "<x:xmpmeta/>", 12);
        imgb_box_close(b, udta);
        meta = imgb_box_open(b, "meta");
        imgb_u32be(b, 0);
        box_leaf(b, "hdlr", hdlr, sizeof hdlr);
        keys = imgb_box_open(b, "keys");
        imgb_u32be(b, 0);
        imgb_u32be(b, 1);
        imgb_u32be(b, (uint32_t)(8u + sizeof key - 1u));
        imgb_put(b, "mdta", 4);
        imgb_put(b, key, sizeof key - 1u);
        imgb_box_close(b, keys);
        ilst = imgb_box_open(b, "ilst");
        item = b->len;
        imgb_u32be(b, 0);
        imgb_u32be(b, 1);
        box_leaf(b, "data", "\0\0\0\1\0\0\0\0+55.7558+037.6173/", 26);
        imgb_box_close(b, item);
        imgb_box_close(b, ilst);
        imgb_box_close(b, meta);
    }
    imgb_box_close(b, moov);
    mdat = imgb_box_open(b, "mdat");
    for (size_t i = 0; i < mdat_bytes; i++) {
        uint8_t v = (uint8_t)(i * 7u);

        imgb_put(b, &v, 1);
    }
    imgb_box_close(b, mdat);
}
