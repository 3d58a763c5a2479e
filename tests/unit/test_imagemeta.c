/*
 * Image metadata: sniffing, inspection and stripping of hand-built JPEG,
 * PNG and MP4 files. Strip output is compared byte for byte with what a
 * correct strip must leave; broken and hostile inputs must be refused
 * with the right status, never half-accepted; memory stays bounded on a
 * 64 MiB stream.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>

#include <malyava/fileio.h>
#include <malyava/imagemeta.h>
#include <malyava/limits.h>

#include "check.h"
#include "imgbuild.h"
#include "imgio.h"

#define JPEG_FOUND                                                                                   \
    (MLV_IMG_F_GPS | MLV_IMG_F_OWNER | MLV_IMG_F_SERIAL | MLV_IMG_F_THUMBNAIL | MLV_IMG_F_TIME |    \
     MLV_IMG_F_CAMERA | MLV_IMG_F_EXIF | MLV_IMG_F_XMP | MLV_IMG_F_IPTC | MLV_IMG_F_TEXT |          \
     MLV_IMG_F_OTHER | MLV_IMG_F_TRAILER)
/* What imgb_exif's block alone sets. */
#define EXIF_FOUND                                                                                   \
    (MLV_IMG_F_GPS | MLV_IMG_F_OWNER | MLV_IMG_F_SERIAL | MLV_IMG_F_THUMBNAIL | MLV_IMG_F_TIME |    \
     MLV_IMG_F_CAMERA | MLV_IMG_F_EXIF)

static int same(const imgb *a, const imgb *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* The markers of a JPEG outside entropy-coded data, written independently
 * of the library's walker. Returns how many, or -1 if it cannot follow. */
static int jpeg_markers(const imgb *b, uint8_t *list, int max)
{
    size_t i = 2;
    int n = 0;

    if (b->len < 2 || b->data[0] != 0xff || b->data[1] != 0xd8)
        return -1;
    list[n++] = 0xd8;
    while (i + 1 < b->len && n < max) {
        uint8_t m;
        size_t len;

        if (b->data[i] != 0xff)
            return -1;
        m = b->data[i + 1];
        list[n++] = m;
        if (m == 0xd9)
            return n;
        if (i + 4 > b->len)
            return -1;
        len = ((size_t)b->data[i + 2] << 8) | b->data[i + 3];
        i += 2 + len;
        if (m == 0xda)
            while (i + 1 < b->len && !(b->data[i] == 0xff && b->data[i + 1] != 0 &&
                                       !(b->data[i + 1] >= 0xd0 && b->data[i + 1] <= 0xd7) && b->data[i + 1] != 0xff))
                i++;
    }
    return -1;
}

/* Every chunk type of a PNG, with each CRC checked by zlib's crc32. */
static int png_chunks(const imgb *b, char types[][5], int max)
{
    size_t i = 8;
    int n = 0;

    while (i + 12 <= b->len && n < max) {
        uint32_t len = ((uint32_t)b->data[i] << 24) | ((uint32_t)b->data[i + 1] << 16) |
                       ((uint32_t)b->data[i + 2] << 8) | b->data[i + 3];
        const uint8_t *c;

        if (len > b->len - i - 12)
            return -1;
        c = b->data + i + 8 + len;
        if (crc32(0, b->data + i + 4, len + 4) !=
            (((uint32_t)c[0] << 24) | ((uint32_t)c[1] << 16) | ((uint32_t)c[2] << 8) | c[3]))
            return -1;
        memcpy(types[n], b->data + i + 4, 4);
        types[n++][4] = '\0';
        i += 12 + len;
    }
    return i == b->len ? n : -1;
}

/* Stripping `in` gives exactly `want` (by memfd and by pipe), what was
 * removed is reported, and the output is clean and a fixed point. */
static void check_strip(const imgb *in, const imgb *want, mlv_img_kind kind, uint32_t flags)
{
    for (int how = IMGIO_MEMFD; how <= IMGIO_PIPE; how++) {
        mlv_img_report r, again;
        imgb out = {0}, out2 = {0};

        CHECK_EQ_INT(imgio_run(in->data, in->len, (imgio_input)how, NULL, &r), MLV_IMG_OK);
        CHECK_EQ_INT(r.kind, kind);
        CHECK_EQ_INT(r.flags, flags);
        CHECK(r.problem == NULL);
        CHECK_EQ_INT(imgio_run(in->data, in->len, (imgio_input)how, &out, &r), MLV_IMG_OK);
        CHECK_EQ_INT(r.flags, flags);
        CHECK(same(&out, want));
        CHECK_EQ_INT(r.removed_bytes, in->len - out.len);
        CHECK_EQ_INT(imgio_run(out.data, out.len, IMGIO_MEMFD, NULL, &again), MLV_IMG_OK);
        CHECK_EQ_INT(again.kind, kind);
        CHECK_EQ_INT(again.flags, 0);
        CHECK_EQ_INT(imgio_run(out.data, out.len, IMGIO_MEMFD, &out2, &again), MLV_IMG_OK);
        CHECK(same(&out, &out2));
        CHECK_EQ_INT(again.removed_bytes, 0);
        imgb_free(&out);
        imgb_free(&out2);
    }
}

static void check_status(const uint8_t *p, size_t len, mlv_img_status want, const char *what)
{
    mlv_img_report r;
    imgb out = {0};
    mlv_img_status got = imgio_run(p, len, IMGIO_MEMFD, &out, &r);

    if (got != want)
        fprintf(stderr, "%s: strip says %d (%s), expected %d\n", what, got, r.problem ? r.problem : "-", want);
    CHECK_EQ_INT(got, want);
    CHECK(want == MLV_IMG_OK || r.problem != NULL || want == MLV_IMG_UNSUPPORTED);
    CHECK_EQ_INT(imgio_run(p, len, IMGIO_MEMFD, NULL, &r), want == MLV_IMG_UNSUPPORTED ? MLV_IMG_OK : want);
    imgb_free(&out);
}

static void test_sniff(void)
{
    static const struct {
        const char *head;
        size_t len;
        mlv_img_kind kind;
    } cases[] = {
        {"\xff\xd8\xff\xe0", 4, MLV_IMG_JPEG},
        {"\xff\xd8", 2, MLV_IMG_UNKNOWN},
        {"\x89PNG\r\n\x1a\n", 8, MLV_IMG_PNG},
        {"\x89PNG\r\n\x1a", 7, MLV_IMG_UNKNOWN},
        {"\0\0\0\x18" "ftypmp42", 12, MLV_IMG_VIDEO},
        {"\0\0\0\x14" "ftypqt  ", 12, MLV_IMG_VIDEO},
        {"\0\0\0\x18" "ftyp3gp4", 12, MLV_IMG_VIDEO},
        {"\0\0\0\x18" "ftypheic", 12, MLV_IMG_OTHER_IMAGE},
        {"\0\0\0\x18" "ftypavif", 12, MLV_IMG_OTHER_IMAGE},
        {"\0\0\0\x18" "ftyp", 8, MLV_IMG_UNKNOWN},
        {"\0\0\0\x08" "wide", 8, MLV_IMG_VIDEO},
        {"RIFF\0\0\0\0WEBP", 12, MLV_IMG_OTHER_IMAGE},
        {"RIFF\0\0\0\0WAVE", 12, MLV_IMG_UNKNOWN},
        {"GIF89a", 6, MLV_IMG_OTHER_IMAGE},
        {"II*\0", 4, MLV_IMG_OTHER_IMAGE},
        {"MM\0*", 4, MLV_IMG_OTHER_IMAGE},
        {"%PDF-1.7\n", 9, MLV_IMG_UNKNOWN},
        {"", 0, MLV_IMG_UNKNOWN},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_EQ_INT(mlv_img_sniff((const uint8_t *)cases[i].head, cases[i].len), cases[i].kind);
}

static void test_jpeg_sample(int big_endian)
{
    static const uint8_t kept[] = {0xd8, 0xe0, 0xe2, 0xee, 0xdb, 0xc0, 0xc4, 0xdd, 0xda, 0xc4, 0xda, 0xd9};
    imgb in = {0}, want = {0}, out = {0};
    uint8_t markers[64];
    mlv_img_report r;
    char text[512];

    imgb_sample_jpeg(&in, &want, big_endian);
    check_strip(&in, &want, MLV_IMG_JPEG, JPEG_FOUND);
    CHECK_EQ_INT(imgio_run(in.data, in.len, IMGIO_MEMFD, &out, &r), MLV_IMG_OK);
    CHECK_EQ_INT(jpeg_markers(&out, markers, 64), (int)sizeof kept);
    CHECK(memcmp(markers, kept, sizeof kept) == 0);
    /* The input does carry what was removed. */
    CHECK(jpeg_markers(&in, markers, 64) > (int)sizeof kept);
    mlv_img_describe(&r, text, sizeof text);
    CHECK(strncmp(text, "GPS location, owner or author name, serial number", 49) == 0);
    CHECK(strstr(text, "data after the image") != NULL);
    imgb_free(&in);
    imgb_free(&want);
    imgb_free(&out);
}

/* The frame, tables and a scan of a tiny JPEG, between SOI and EOI. */
static void jpeg_body(imgb *b)
{
    static const uint8_t sof0[9] = {8, 0, 8, 0, 8, 1, 1, 0x11, 0};
    static const uint8_t sos[6] = {1, 1, 0, 0, 63, 0};
    static const uint8_t scan[5] = {0x2b, 0xff, 0x00, 0x2b, 0x2b};
    uint8_t dqt[65] = {0};

    imgb_jpeg_segment(b, 0xdb, dqt, sizeof dqt);
    imgb_jpeg_segment(b, 0xc0, sof0, sizeof sof0);
    imgb_jpeg_segment(b, 0xda, sos, sizeof sos);
    imgb_put(b, scan, sizeof scan);
}

/* in: SOI, one segment, the body, EOI. want: the same without the segment
 * (or with `kept` in its place). */
static void jpeg_around(imgb *in, imgb *want, uint8_t marker, const void *p, size_t n, const void *kept, size_t kept_n)
{
    imgb_put(in, "\xff\xd8", 2);
    imgb_put(want, "\xff\xd8", 2);
    imgb_jpeg_segment(in, marker, p, n);
    if (kept != NULL)
        imgb_jpeg_segment(want, marker, kept, kept_n);
    jpeg_body(in);
    jpeg_body(want);
    imgb_put(in, "\xff\xd9", 2);
    imgb_put(want, "\xff\xd9", 2);
}

static void test_jfif_thumbnail(void)
{
    static const uint8_t jfif_thumb[20] = {'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 2, 1, 9, 9, 9, 8, 8, 8};
    static const uint8_t jfif_plain[14] = {'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0};
    static const char jfxx[] = "JFXX\0\x10\xff\xd8\xff\xd9";
    imgb in = {0}, want = {0};

    jpeg_around(&in, &want, 0xe0, jfif_thumb, sizeof jfif_thumb, jfif_plain, sizeof jfif_plain);
    check_strip(&in, &want, MLV_IMG_JPEG, MLV_IMG_F_THUMBNAIL);
    imgb_free(&in);
    imgb_free(&want);
    jpeg_around(&in, &want, 0xe0, jfxx, sizeof jfxx - 1u, NULL, 0);
    check_strip(&in, &want, MLV_IMG_JPEG, MLV_IMG_F_THUMBNAIL);
    imgb_free(&in);
    imgb_free(&want);
}

/* Segments of the largest size and a long scan, so every piece crosses
 * the library's 64 KiB buffer boundaries. */
static void test_jpeg_large_segments(void)
{
    const size_t big = 65533;
    uint8_t *p = malloc(big);
    imgb in = {0}, want = {0};

    CHECK(p != NULL);
    if (p == NULL)
        return;
    for (size_t i = 0; i < big; i++)
        p[i] = (uint8_t)(i * 31u % 251u);
    imgb_put(&in, "\xff\xd8", 2);
    imgb_put(&want, "\xff\xd8", 2);
    memcpy(p, "http://ns.adobe.com/xap/1.0/", 29);
    imgb_jpeg_segment(&in, 0xe1, p, big);
    memcpy(p, "ICC_PROFILE\0\1\1", 14);
    imgb_jpeg_segment(&in, 0xe2, p, big);
    imgb_jpeg_segment(&want, 0xe2, p, big);
    imgb_jpeg_segment(&in, 0xfe, p + 14, big - 14);
    jpeg_body(&in);
    jpeg_body(&want);
    /* The entropy data: no 0xFF but in stuffed pairs. */
    for (size_t i = 0; i < big; i++)
        p[i] = (i % 1000u == 999u) ? 0x00 : (i % 1000u == 998u) ? 0xff : (uint8_t)(i % 200u);
    for (int k = 0; k < 4; k++) {
        imgb_put(&in, p, big);
        imgb_put(&want, p, big);
    }
    imgb_put(&in, "\xff\xd9", 2);
    imgb_put(&want, "\xff\xd9", 2);
    check_strip(&in, &want, MLV_IMG_JPEG, MLV_IMG_F_XMP | MLV_IMG_F_TEXT);
    free(p);
    imgb_free(&in);
    imgb_free(&want);
}

typedef enum exif_damage {
    EXIF_IFD1_LOOP,
    EXIF_POINTER_LOOP,
    EXIF_HUGE_COUNT,
    EXIF_VALUE_PAST_END,
    EXIF_GPS_PAST_END,
    EXIF_BAD_ORDER,
    EXIF_SHORT,
    EXIF_IFD0_IN_HEADER,
    EXIF_DAMAGES
} exif_damage;

/* A damaged Exif block is flagged "may hold anything" and removed; the
 * image around it is sound, so stripping succeeds. */
static void test_exif_hostile(int be)
{
    for (int d = 0; d < EXIF_DAMAGES; d++) {
        imgb tiff = {0}, seg = {0}, in = {0}, want = {0};
        imgb_exif_layout l;
        uint32_t gps = MLV_IMG_F_GPS;

        imgb_exif(&tiff, be, &l);
        switch ((exif_damage)d) {
        case EXIF_IFD1_LOOP:
            imgb_tiff_set32(tiff.data + l.next_pointer, be, (uint32_t)l.ifd0);
            break;
        case EXIF_POINTER_LOOP:
            imgb_tiff_set32(tiff.data + l.exif_pointer, be, (uint32_t)l.ifd0);
            break;
        case EXIF_HUGE_COUNT:
            imgb_tiff_set16(tiff.data + l.ifd0_count, be, 0xffff);
            gps = 0;
            break;
        case EXIF_VALUE_PAST_END:
            imgb_tiff_set32(tiff.data + l.make_offset, be, 0xfffffff0u);
            gps = 0;
            break;
        case EXIF_GPS_PAST_END:
            imgb_tiff_set32(tiff.data + l.gps_pointer, be, (uint32_t)tiff.len + 100u);
            break;
        case EXIF_BAD_ORDER:
            tiff.data[0] = 'X';
            gps = 0;
            break;
        case EXIF_SHORT:
            tiff.len = 20;
            gps = 0;
            break;
        case EXIF_IFD0_IN_HEADER:
            imgb_tiff_set32(tiff.data + 4, be, 4);
            gps = 0;
            break;
        case EXIF_DAMAGES:
            break;
        }
        imgb_put(&seg, "Exif\0\0", 6);
        imgb_put(&seg, tiff.data, tiff.len);
        jpeg_around(&in, &want, 0xe1, seg.data, seg.len, NULL, 0);
        for (int how = IMGIO_MEMFD; how <= IMGIO_PIPE; how++) {
            mlv_img_report r;
            imgb out = {0};

            CHECK_EQ_INT(imgio_run(in.data, in.len, (imgio_input)how, NULL, &r), MLV_IMG_OK);
            CHECK((r.flags & (MLV_IMG_F_EXIF | MLV_IMG_F_EXIF_UNREADABLE)) ==
                  (MLV_IMG_F_EXIF | MLV_IMG_F_EXIF_UNREADABLE));
            CHECK_EQ_INT(r.flags & MLV_IMG_F_GPS, gps);
            CHECK_EQ_INT(imgio_run(in.data, in.len, (imgio_input)how, &out, &r), MLV_IMG_OK);
            CHECK(same(&out, &want));
            imgb_free(&out);
        }
        imgb_free(&tiff);
        imgb_free(&seg);
        imgb_free(&in);
        imgb_free(&want);
    }
}

/* Every cut of a file before its end marker is refused, by both paths. */
static void check_prefixes(const imgb *in, size_t end)
{
    size_t bad = 0;

    for (size_t len = 0; len < end; len++) {
        mlv_img_report r;
        imgb out = {0};
        imgio_input how = len % 7u == 0 ? IMGIO_PIPE : IMGIO_MEMFD;
        mlv_img_status st = imgio_run(in->data, len, how, &out, &r);

        /* Too short to be recognised is UNSUPPORTED, anything else MALFORMED. */
        if (st != (mlv_img_sniff(in->data, len) == MLV_IMG_UNKNOWN ? MLV_IMG_UNSUPPORTED : MLV_IMG_MALFORMED)) {
            fprintf(stderr, "prefix of %zu bytes: status %d\n", len, st);
            bad++;
        }
        imgb_free(&out);
    }
    CHECK_EQ_INT(bad, 0);
}

static size_t last_marker_end(const imgb *b, uint8_t m)
{
    for (size_t i = b->len - 1; i > 0; i--)
        if (b->data[i - 1] == 0xff && b->data[i] == m)
            return i + 1;
    return 0;
}

static void test_jpeg_malformed(void)
{
    static const uint8_t sof0[9] = {8, 0, 8, 0, 8, 1, 1, 0x11, 0};
    static const uint8_t sos[6] = {1, 1, 0, 0, 63, 0};
    imgb in = {0}, want = {0}, b = {0};
    mlv_img_report r;
    imgb out = {0};

    imgb_sample_jpeg(&in, &want, 0);
    check_prefixes(&in, last_marker_end(&in, 0xd9));
    imgb_free(&in);
    imgb_free(&want);

    /* A segment longer than the file. */
    imgb_put(&b, "\xff\xd8\xff\xe1\x10\x00" "Exif\0\0II*\0", 16);
    CHECK_EQ_INT(imgio_run(b.data, b.len, IMGIO_MEMFD, &out, &r), MLV_IMG_MALFORMED);
    CHECK_EQ_INT(r.problem_offset, b.len);
    CHECK(r.problem != NULL && strstr(r.problem, "ends inside a segment") != NULL);
    CHECK_EQ_INT(imgio_run(b.data, b.len, IMGIO_PIPE, NULL, &r), MLV_IMG_MALFORMED);
    imgb_free(&b);
    imgb_free(&out);

    check_status((const uint8_t *)"\xff\xd8\xff\xe1\x00\x01", 6, MLV_IMG_MALFORMED, "length below 2");
    check_status((const uint8_t *)"\xff\xd8\xff\xd9", 4, MLV_IMG_MALFORMED, "EOI without image");
    check_status((const uint8_t *)"\xff\xd8\xff\x02\x00\x02", 6, MLV_IMG_MALFORMED, "reserved marker");
    check_status((const uint8_t *)"\xff\xd8\xff\xc8\x00\x02", 6, MLV_IMG_MALFORMED, "JPG marker");
    check_status((const uint8_t *)"\xff\xd8\xff\xd0", 4, MLV_IMG_MALFORMED, "RST outside a scan");
    check_status((const uint8_t *)"\xff\xd8\xff\xd8", 4, MLV_IMG_MALFORMED, "second SOI");
    check_status((const uint8_t *)"\xff\xd8\xff\xfe\x00\x03x\x00", 8, MLV_IMG_MALFORMED, "no marker after a segment");

    /* Image data before the frame header. */
    imgb_put(&b, "\xff\xd8", 2);
    imgb_jpeg_segment(&b, 0xda, sos, sizeof sos);
    imgb_put(&b, "\x01\x02\xff\xd9", 4);
    check_status(b.data, b.len, MLV_IMG_MALFORMED, "SOS before SOF");
    imgb_free(&b);

    /* A scan that never ends. */
    imgb_put(&b, "\xff\xd8", 2);
    imgb_jpeg_segment(&b, 0xc0, sof0, sizeof sof0);
    imgb_jpeg_segment(&b, 0xda, sos, sizeof sos);
    imgb_put(&b, "\x01\x02\xff\x00\x03", 5);
    check_status(b.data, b.len, MLV_IMG_MALFORMED, "no EOI");
    imgb_free(&b);

    /* A file of nothing but empty comments. */
    imgb_put(&b, "\xff\xd8", 2);
    for (unsigned i = 0; i <= MLV_IMG_MAX_JPEG_SEGMENTS; i++)
        imgb_put(&b, "\xff\xfe\x00\x02", 4);
    check_status(b.data, b.len, MLV_IMG_LIMIT, "too many segments");
    imgb_free(&b);
}

static void test_png_sample(int big_endian)
{
    static const char *const kept[] = {"IHDR", "gAMA", "pHYs", "IDAT", "IDAT", "IEND"};
    const uint32_t found = EXIF_FOUND | MLV_IMG_F_TEXT | MLV_IMG_F_XMP | MLV_IMG_F_OTHER | MLV_IMG_F_TRAILER;
    imgb in = {0}, want = {0}, out = {0};
    char types[32][5];
    mlv_img_report r;

    imgb_sample_png(&in, &want, big_endian);
    check_strip(&in, &want, MLV_IMG_PNG, found);
    CHECK_EQ_INT(imgio_run(in.data, in.len, IMGIO_PIPE, &out, &r), MLV_IMG_OK);
    CHECK_EQ_INT(png_chunks(&out, types, 32), 6);
    for (size_t i = 0; i < 6; i++)
        CHECK(strcmp(types[i], kept[i]) == 0);
    /* The input's own CRCs are right, so a refusal below is the parser's. */
    CHECK_EQ_INT(png_chunks(&(imgb){.data = in.data, .len = in.len - 14}, types, 32), 13);
    imgb_free(&in);
    imgb_free(&want);
    imgb_free(&out);
}

/* A PNG of IHDR, `type` with `data`, an IDAT and IEND. */
static void png_around(imgb *b, const char *type, const void *data, size_t n)
{
    static const uint8_t ihdr[13] = {0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0};

    imgb_png_signature(b);
    imgb_png_chunk(b, "IHDR", ihdr, sizeof ihdr);
    if (type != NULL)
        imgb_png_chunk(b, type, data, n);
    imgb_png_chunk(b, "IDAT", "\x78\x01\x01\x02\x00\xfd\xff\x00\x00\x00\x02\x00\x01", 13);
    imgb_png_chunk(b, "IEND", "", 0);
}

static void test_png_flags(void)
{
    static const struct {
        const char *type, *data;
        size_t len;
        uint32_t flags;
    } cases[] = {
        {"tEXt", "Raw profile type exif\0\nexif\n 20\n45786966", 40, MLV_IMG_F_EXIF | MLV_IMG_F_EXIF_UNREADABLE},
        {"zTXt", "Raw profile type iptc\0\0x", 24, MLV_IMG_F_IPTC},
        {"tEXt", "Creation Time\0" "2026-11-30", 24, MLV_IMG_F_TIME},
        {"tEXt", "Copyright\0Ivan", 14, MLV_IMG_F_OWNER},
        {"tEXt", "no keyword end", 14, MLV_IMG_F_TEXT},
        {"sPLT", "x\0\x08", 3, MLV_IMG_F_OTHER},
        {"eXIf", "MM\0*\0\0\0\x08\0\0", 10, MLV_IMG_F_EXIF},
    };
    imgb big = {0};

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        imgb in = {0}, want = {0};

        png_around(&in, cases[i].type, cases[i].data, cases[i].len);
        png_around(&want, NULL, NULL, 0);
        check_strip(&in, &want, MLV_IMG_PNG, cases[i].flags);
        imgb_free(&in);
        imgb_free(&want);
    }
    /* An eXIf too large to read is removed unread. */
    {
        imgb in = {0}, want = {0};
        uint8_t *zero = calloc(1, MLV_IMG_MAX_EXIF_BYTES + 1u);

        imgb_put(&big, "II*\0\x08\0\0\0", 8);
        imgb_put(&big, zero, MLV_IMG_MAX_EXIF_BYTES + 1u - 8u);
        free(zero);
        png_around(&in, "eXIf", big.data, big.len);
        png_around(&want, NULL, NULL, 0);
        check_strip(&in, &want, MLV_IMG_PNG, MLV_IMG_F_EXIF | MLV_IMG_F_EXIF_UNREADABLE);
        imgb_free(&in);
        imgb_free(&want);
        imgb_free(&big);
    }
}

/* Replaces the 4 bytes at `at` with big-endian `v` (lengths, CRCs). */
static void put32_at(imgb *b, size_t at, uint32_t v)
{
    b->data[at] = (uint8_t)(v >> 24);
    b->data[at + 1] = (uint8_t)(v >> 16);
    b->data[at + 2] = (uint8_t)(v >> 8);
    b->data[at + 3] = (uint8_t)v;
}

static void test_png_malformed(void)
{
    static const uint8_t ihdr[13] = {0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0};
    imgb in = {0}, want = {0}, b = {0};

    imgb_sample_png(&in, &want, 1);
    check_prefixes(&in, in.len - 14);
    /* A wrong CRC, in a kept chunk (gAMA) and in a dropped one (tEXt). */
    in.data[8 + 25 + 12] ^= 1;
    check_status(in.data, in.len, MLV_IMG_MALFORMED, "bad gAMA CRC");
    in.data[8 + 25 + 12] ^= 1;
    in.data[8 + 25 + 16 + 10] ^= 1;
    check_status(in.data, in.len, MLV_IMG_MALFORMED, "bad tEXt CRC");
    in.data[8 + 25 + 16 + 10] ^= 1;
    check_status(in.data, in.len, MLV_IMG_OK, "restored");
    imgb_free(&in);
    imgb_free(&want);

    png_around(&b, "tEXt", "a\0b", 3);
    put32_at(&b, 8 + 25, 0x80000000u);
    check_status(b.data, b.len, MLV_IMG_MALFORMED, "length over 2^31 - 1");
    put32_at(&b, 8 + 25, MLV_IMG_MAX_PNG_CHUNK_BYTES + 1u);
    check_status(b.data, b.len, MLV_IMG_LIMIT, "chunk over the limit");
    put32_at(&b, 8 + 25, 0x00100000u);
    check_status(b.data, b.len, MLV_IMG_MALFORMED, "length past the end");
    imgb_free(&b);

    png_around(&b, "ABCD", "x", 1);
    check_status(b.data, b.len, MLV_IMG_MALFORMED, "unknown critical chunk");
    imgb_free(&b);
    png_around(&b, "tE1t", "x", 1);
    check_status(b.data, b.len, MLV_IMG_MALFORMED, "type with a digit");
    imgb_free(&b);
    png_around(&b, "IHDR", ihdr, sizeof ihdr);
    check_status(b.data, b.len, MLV_IMG_MALFORMED, "second IHDR");
    imgb_free(&b);

    imgb_png_signature(&b);
    imgb_png_chunk(&b, "IHDR", ihdr, 12);
    imgb_png_chunk(&b, "IEND", "", 0);
    check_status(b.data, b.len, MLV_IMG_MALFORMED, "short IHDR");
    imgb_free(&b);
    imgb_png_signature(&b);
    imgb_png_chunk(&b, "gAMA", "\0\0\xb1\x8f", 4);
    check_status(b.data, b.len, MLV_IMG_MALFORMED, "no IHDR first");
    imgb_free(&b);
    imgb_png_signature(&b);
    imgb_png_chunk(&b, "IHDR", ihdr, sizeof ihdr);
    imgb_png_chunk(&b, "IEND", "", 0);
    check_status(b.data, b.len, MLV_IMG_MALFORMED, "IEND without IDAT");
    imgb_free(&b);

    imgb_png_signature(&b);
    imgb_png_chunk(&b, "IHDR", ihdr, sizeof ihdr);
    for (unsigned i = 0; i < MLV_IMG_MAX_PNG_CHUNKS; i++)
        imgb_png_chunk(&b, "prVt", "", 0);
    check_status(b.data, b.len, MLV_IMG_LIMIT, "too many chunks");
    imgb_free(&b);
}

static void test_video(void)
{
    const uint32_t found = MLV_IMG_F_VIDEO_META | MLV_IMG_F_LOCATION | MLV_IMG_F_TIME | MLV_IMG_F_CAMERA | MLV_IMG_F_XMP;
    imgb in = {0}, out = {0}, b = {0};
    mlv_img_report r;
    char text[256];

    imgb_sample_mp4(&in, 300000, 0);
    for (int how = IMGIO_MEMFD; how <= IMGIO_PIPE; how++) {
        CHECK_EQ_INT(imgio_run(in.data, in.len, (imgio_input)how, NULL, &r), MLV_IMG_OK);
        CHECK_EQ_INT(r.kind, MLV_IMG_VIDEO);
        CHECK_EQ_INT(r.flags, found);
        CHECK_EQ_INT(imgio_run(in.data, in.len, (imgio_input)how, &out, &r), MLV_IMG_UNSUPPORTED);
        CHECK_EQ_INT(r.kind, MLV_IMG_VIDEO);
        CHECK_EQ_INT(out.len, 0);
        /* A cut in the media data is found by seeking and by reading. */
        CHECK_EQ_INT(imgio_run(in.data, in.len - 1000, (imgio_input)how, NULL, &r), MLV_IMG_MALFORMED);
    }
    imgb_free(&out);
    CHECK_EQ_INT(imgio_run(in.data, in.len, IMGIO_MEMFD, NULL, &r), MLV_IMG_OK);
    mlv_img_describe(&r, text, sizeof text);
    CHECK(strcmp(text, "location, date and time, camera make and model, XMP, video metadata present, not removed") == 0);
    /* mdat as the last box with size 0 ("to the end") and as a 64-bit box. */
    b = in;
    put32_at(&b, b.len - 300008, 0);
    CHECK_EQ_INT(imgio_run(b.data, b.len, IMGIO_PIPE, NULL, &r), MLV_IMG_OK);
    CHECK_EQ_INT(r.flags, found);
    imgb_free(&in);
    b = (imgb){0};

    imgb_sample_mp4(&in, 0, 1);
    CHECK_EQ_INT(imgio_run(in.data, in.len, IMGIO_MEMFD, NULL, &r), MLV_IMG_OK);
    CHECK_EQ_INT(r.flags, 0);
    mlv_img_describe(&r, text, sizeof text);
    CHECK(strcmp(text, "no metadata found") == 0);
    imgb_put(&b, in.data, in.len - 8);
    imgb_u32be(&b, 1);
    imgb_put(&b, "mdat", 4);
    imgb_u32be(&b, 0);
    imgb_u32be(&b, 16 + 5);
    imgb_put(&b, "media", 5);
    CHECK_EQ_INT(imgio_run(b.data, b.len, IMGIO_MEMFD, NULL, &r), MLV_IMG_OK);
    put32_at(&b, b.len - 9, 15);
    CHECK_EQ_INT(imgio_run(b.data, b.len, IMGIO_MEMFD, NULL, &r), MLV_IMG_MALFORMED);
    imgb_free(&b);
    imgb_free(&in);

    /* A box shorter than its header; a child past its parent; size 0 inside. */
    imgb_put(&b, "\0\0\0\x10" "ftypisom\0\0\0\0" "\0\0\0\x04" "free", 24);
    CHECK_EQ_INT(imgio_run(b.data, b.len, IMGIO_MEMFD, NULL, &r), MLV_IMG_MALFORMED);
    imgb_free(&b);
    imgb_put(&b, "\0\0\0\x10" "ftypisom\0\0\0\0" "\0\0\0\x10" "moov" "\0\0\0\x20" "udta", 32);
    CHECK_EQ_INT(imgio_run(b.data, b.len, IMGIO_MEMFD, NULL, &r), MLV_IMG_MALFORMED);
    CHECK(r.problem != NULL && strstr(r.problem, "past the box that holds it") != NULL);
    put32_at(&b, 24, 0);
    CHECK_EQ_INT(imgio_run(b.data, b.len, IMGIO_MEMFD, NULL, &r), MLV_IMG_MALFORMED);
    imgb_free(&b);

    /* Nesting past the limit, and a flood of empty boxes. */
    {
        size_t at[MLV_IMG_MAX_BOX_DEPTH + 2];

        imgb_put(&b, "\0\0\0\x10" "ftypisom\0\0\0\0", 16);
        for (unsigned i = 0; i < MLV_IMG_MAX_BOX_DEPTH + 2; i++)
            at[i] = imgb_box_open(&b, "udta");
        for (unsigned i = MLV_IMG_MAX_BOX_DEPTH + 2; i-- > 0;)
            imgb_box_close(&b, at[i]);
        CHECK_EQ_INT(imgio_run(b.data, b.len, IMGIO_MEMFD, NULL, &r), MLV_IMG_LIMIT);
        imgb_free(&b);
    }
    imgb_put(&b, "\0\0\0\x10" "ftypisom\0\0\0\0", 16);
    for (unsigned i = 0; i < MLV_IMG_MAX_VIDEO_BOXES; i++)
        imgb_put(&b, "\0\0\0\x08" "free", 8);
    CHECK_EQ_INT(imgio_run(b.data, b.len, IMGIO_MEMFD, NULL, &r), MLV_IMG_LIMIT);
    imgb_free(&b);
}

static void test_other_kinds(void)
{
    static const struct {
        const char *data;
        size_t len;
        mlv_img_kind kind;
        uint32_t flags;
        const char *text;
    } cases[] = {
        {"\0\0\0\x18" "ftypheic\0\0\0\0mif1heic", 24, MLV_IMG_OTHER_IMAGE, MLV_IMG_F_NOT_INSPECTED,
         "other image, not inspected"},
        {"RIFF\x10\0\0\0WEBPVP8 ", 16, MLV_IMG_OTHER_IMAGE, MLV_IMG_F_NOT_INSPECTED, "other image, not inspected"},
        {"GIF89a\1\0\1\0", 10, MLV_IMG_OTHER_IMAGE, MLV_IMG_F_NOT_INSPECTED, "other image, not inspected"},
        {"just some text, not an image", 28, MLV_IMG_UNKNOWN, 0, "not an image or video"},
        {"", 0, MLV_IMG_UNKNOWN, 0, "not an image or video"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mlv_img_report r;
        imgb out = {0};
        char text[128];

        CHECK_EQ_INT(imgio_run((const uint8_t *)cases[i].data, cases[i].len, IMGIO_PIPE, NULL, &r), MLV_IMG_OK);
        CHECK_EQ_INT(r.kind, cases[i].kind);
        CHECK_EQ_INT(r.flags, cases[i].flags);
        mlv_img_describe(&r, text, sizeof text);
        CHECK(strcmp(text, cases[i].text) == 0);
        CHECK_EQ_INT(imgio_run((const uint8_t *)cases[i].data, cases[i].len, IMGIO_MEMFD, &out, &r),
                     MLV_IMG_UNSUPPORTED);
        CHECK_EQ_INT(out.len, 0);
        imgb_free(&out);
    }
}

static void test_describe_and_errors(void)
{
    mlv_img_report r = {.kind = MLV_IMG_JPEG, .flags = MLV_IMG_F_GPS | MLV_IMG_F_EXIF | MLV_IMG_F_XMP};
    char text[64], tiny[8];
    const char *seen[6];

    CHECK_EQ_INT(mlv_img_describe(&r, text, sizeof text), strlen("GPS location, Exif, XMP"));
    CHECK(strcmp(text, "GPS location, Exif, XMP") == 0);
    CHECK_EQ_INT(mlv_img_describe(&r, tiny, sizeof tiny), strlen("GPS location, Exif, XMP"));
    CHECK(strcmp(tiny, "GPS loc") == 0);
    CHECK_EQ_INT(mlv_img_describe(&r, NULL, 0), strlen("GPS location, Exif, XMP"));
    r.flags = 0;
    mlv_img_describe(&r, text, sizeof text);
    CHECK(strcmp(text, "no metadata found") == 0);

    for (int s = MLV_IMG_OK; s <= MLV_IMG_NOMEM; s++) {
        seen[s] = mlv_img_strerror((mlv_img_status)s);
        CHECK(seen[s] != NULL && strlen(seen[s]) >= 8);
        for (int t = 0; t < s; t++)
            CHECK(strcmp(seen[s], seen[t]) != 0);
    }
    CHECK(strcmp(mlv_img_kind_name(MLV_IMG_PNG), "PNG") == 0);
    CHECK_EQ_INT(mlv_img_strip_fd(0, -1, &r), MLV_IMG_IO);
}

/* A 64 MiB JPEG streamed through a pipe to /dev/null: the parser's memory
 * must not grow with the file. */
static void test_bounded_memory(void)
{
    static const uint8_t sof0[9] = {8, 0x10, 0, 0x10, 0, 1, 1, 0x11, 0};
    static const uint8_t sos[6] = {1, 1, 0, 0, 63, 0};
    const size_t total = 64u * 1024u * 1024u;
    struct rusage before, after;
    mlv_img_report r;
    int fds[2], null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    pid_t child;

    CHECK(null_fd >= 0 && pipe(fds) == 0);
    getrusage(RUSAGE_SELF, &before);
    child = fork();
    if (child == 0) {
        imgb head = {0};
        uint8_t block[4096];

        close(fds[0]);
        imgb_put(&head, "\xff\xd8", 2);
        imgb_jpeg_segment(&head, 0xfe, "a comment", 9);
        imgb_jpeg_segment(&head, 0xc0, sof0, sizeof sof0);
        imgb_jpeg_segment(&head, 0xda, sos, sizeof sos);
        for (size_t i = 0; i < sizeof block; i++)
            block[i] = (uint8_t)(i % 255u);
        block[100] = 0xff;
        block[101] = 0x00;
        if (mlv_file_write_all(fds[1], head.data, head.len) != 0)
            _exit(1);
        for (size_t done = 0; done < total; done += sizeof block)
            if (mlv_file_write_all(fds[1], block, sizeof block) != 0)
                _exit(1);
        _exit(mlv_file_write_all(fds[1], "\xff\xd9", 2) == 0 ? 0 : 1);
    }
    close(fds[1]);
    CHECK_EQ_INT(mlv_img_strip_fd(fds[0], null_fd, &r), MLV_IMG_OK);
    CHECK_EQ_INT(r.flags, MLV_IMG_F_TEXT);
    CHECK_EQ_INT(r.removed_bytes, 13);
    close(fds[0]);
    close(null_fd);
    waitpid(child, NULL, 0);
    getrusage(RUSAGE_SELF, &after);
    fprintf(stderr, "64 MiB JPEG stripped through a pipe: peak RSS grew by %ld KiB\n",
            after.ru_maxrss - before.ru_maxrss);
    CHECK(after.ru_maxrss - before.ru_maxrss < 4 * 1024);
}

int main(void)
{
    /* First, before other tests raise the peak. */
    test_bounded_memory();
    test_sniff();
    test_jpeg_sample(0);
    test_jpeg_sample(1);
    test_jfif_thumbnail();
    test_jpeg_large_segments();
    test_exif_hostile(0);
    test_exif_hostile(1);
    test_jpeg_malformed();
    test_png_sample(0);
    test_png_sample(1);
    test_png_flags();
    test_png_malformed();
    test_video();
    test_other_kinds();
    test_describe_and_errors();
    return check_exit();
}
