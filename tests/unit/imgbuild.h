/*
 * Small JPEG, PNG and MP4 files built byte by byte for the image metadata
 * tests and fuzz seeds: every segment, chunk and box is placed by hand, so
 * tests know exactly which bytes a strip must keep. Each sample is built
 * twice at once: as the input, with metadata, and as the output a correct
 * strip must produce. Out of memory aborts: these are test tools.
 */
#ifndef MALYAVA_TEST_IMGBUILD_H
#define MALYAVA_TEST_IMGBUILD_H

#include <stddef.h>
#include <stdint.h>

typedef struct imgb {
    uint8_t *data;
    size_t len, cap;
} imgb;

void imgb_put(imgb *b, const void *p, size_t n);
void imgb_u16be(imgb *b, uint32_t v);
void imgb_u32be(imgb *b, uint32_t v);
void imgb_free(imgb *b);

/* Where the Exif builder put what hostile variants patch (offsets into
 * the TIFF block). */
typedef struct imgb_exif_layout {
    size_t ifd0, exif_ifd, gps_ifd, ifd1;
    size_t ifd0_count;     /* IFD0's entry count */
    size_t gps_pointer;    /* value field of IFD0's GPS IFD pointer */
    size_t exif_pointer;   /* value field of IFD0's Exif IFD pointer */
    size_t next_pointer;   /* IFD0's link to IFD1 */
    size_t make_offset;    /* value field of Make (out-of-line ASCII) */
} imgb_exif_layout;

/* A TIFF block in either byte order: IFD0 (Make, Model, DateTime, Artist,
 * Exif and GPS pointers), an Exif IFD (DateTimeOriginal, BodySerialNumber,
 * CameraOwnerName), a GPS IFD (latitude) and IFD1 with a thumbnail. */
void imgb_exif(imgb *b, int big_endian, imgb_exif_layout *layout);
/* Writes v as the TIFF's 16/32-bit value at `at` in the given order. */
void imgb_tiff_set16(uint8_t *p, int big_endian, uint32_t v);
void imgb_tiff_set32(uint8_t *p, int big_endian, uint32_t v);

/* FF marker, length, payload. */
void imgb_jpeg_segment(imgb *b, uint8_t marker, const void *payload, size_t n);
/* An APP1 "Exif\0\0" segment around a TIFF block. */
void imgb_jpeg_exif(imgb *b, const imgb *tiff);
/*
 * A JPEG with every kind of segment, metadata in both places (before the
 * frame, between scans), two scans whose entropy data has stuffed 0xFF00,
 * restart markers and fill bytes, and a trailer after EOI. `in` gets the
 * file, `out` what stripping must leave (may be NULL).
 */
void imgb_sample_jpeg(imgb *in, imgb *out, int big_endian);

/* A PNG chunk with its CRC. */
void imgb_png_chunk(imgb *b, const char *type, const void *data, size_t n);
void imgb_png_signature(imgb *b);
/* A 2x2 grey PNG with eXIf (GPS), tEXt, zTXt, iTXt XMP, tIME, a private
 * ancillary chunk and a trailer among kept chunks; two IDATs. */
void imgb_sample_png(imgb *in, imgb *out, int big_endian);

/* A 1x1 grey PNG whose text chunks wrap Exif and IPTC as ImageMagick
 * writes them ("Raw profile type ..."), and a creation time. */
void imgb_sample_png_profiles(imgb *in);

/* ISO-BMFF boxes: open writes a placeholder size, close patches it. */
size_t imgb_box_open(imgb *b, const char *type);
void imgb_box_close(imgb *b, size_t at);
/* An MP4 with ftyp, moov (mvhd with a creation time, trak, udta with
 * ©xyz, ©mak, ©day and XMP_, an ISO meta with Apple location keys) and `mdat_bytes`
 * of media data. With `clean`, no metadata and a zero creation time. */
void imgb_sample_mp4(imgb *b, size_t mdat_bytes, int clean);

#endif
