/*
 * Image metadata against real codecs: libjpeg and libpng write images
 * carrying Exif with GPS, XMP, IPTC, comments, text chunks and times; after
 * stripping, the same libraries must decode exactly the same pixels and
 * find none of that metadata, while the ICC profile is still there.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#include <malyava/imagemeta.h>

#include "check.h"
#include "imgbuild.h"
#include "imgio.h"

#define W 48u
#define H 32u

static const char xmp_packet[] = "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><dc:creator>Ivan</dc:creator></x:xmpmeta>";
static const char iptc[] = "Photoshop 3.0\0" "8BIM\4\4\0\0\0\0\0\x0c\x1c\2\x50\0\7Ivan P.";
static const char comment[] = "camera 2, window of cell 14";

static void pixels(uint8_t *rgb)
{
    for (unsigned y = 0; y < H; y++)
        for (unsigned x = 0; x < W; x++) {
            uint8_t *p = rgb + 3u * (y * W + x);

            p[0] = (uint8_t)(x * 5u);
            p[1] = (uint8_t)(y * 7u);
            p[2] = (uint8_t)((x ^ y) * 9u);
        }
}

/* A JPEG from libjpeg with every kind of metadata libjpeg can carry. */
static void jpeg_encode(imgb *out, int progressive, const uint8_t *icc, size_t icc_len)
{
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    unsigned char *mem = NULL;
    unsigned long mem_len = 0;
    uint8_t rgb[W * H * 3];
    imgb exif = {0}, tiff = {0};

    pixels(rgb);
    cinfo.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &mem, &mem_len);
    cinfo.image_width = W;
    cinfo.image_height = H;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, 90, TRUE);
    cinfo.restart_interval = 2;
    if (progressive)
        jpeg_simple_progression(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    imgb_exif(&tiff, progressive, NULL);
    imgb_put(&exif, "Exif\0\0", 6);
    imgb_put(&exif, tiff.data, tiff.len);
    jpeg_write_marker(&cinfo, JPEG_APP0 + 1, exif.data, (unsigned)exif.len);
    jpeg_write_marker(&cinfo, JPEG_APP0 + 1, (const JOCTET *)xmp_packet, sizeof xmp_packet - 1u);
    jpeg_write_marker(&cinfo, JPEG_APP0 + 13, (const JOCTET *)iptc, sizeof iptc - 1u);
    jpeg_write_marker(&cinfo, JPEG_COM, (const JOCTET *)comment, sizeof comment - 1u);
    jpeg_write_icc_profile(&cinfo, icc, (unsigned)icc_len);
    for (unsigned y = 0; y < H; y++) {
        JSAMPROW row = rgb + 3u * W * y;

        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    imgb_put(out, mem, mem_len);
    free(mem);
    imgb_free(&exif);
    imgb_free(&tiff);
}

/* Decodes to RGB; counts the APP1, APP13 and COM markers libjpeg saw and
 * returns the ICC profile it read (malloc'd, or NULL). */
static void jpeg_decode(const imgb *in, uint8_t *rgb, unsigned *meta_markers, uint8_t **icc, unsigned *icc_len)
{
    struct jpeg_decompress_struct dinfo;
    struct jpeg_error_mgr jerr;

    dinfo.err = jpeg_std_error(&jerr);
    jpeg_create_decompress(&dinfo);
    jpeg_mem_src(&dinfo, in->data, (unsigned long)in->len);
    jpeg_save_markers(&dinfo, JPEG_APP0 + 1, 0xffff);
    jpeg_save_markers(&dinfo, JPEG_APP0 + 2, 0xffff);
    jpeg_save_markers(&dinfo, JPEG_APP0 + 13, 0xffff);
    jpeg_save_markers(&dinfo, JPEG_COM, 0xffff);
    jpeg_read_header(&dinfo, TRUE);
    dinfo.out_color_space = JCS_RGB;
    *meta_markers = 0;
    for (jpeg_saved_marker_ptr m = dinfo.marker_list; m != NULL; m = m->next)
        if (m->marker != JPEG_APP0 + 2)
            (*meta_markers)++;
    *icc = NULL;
    *icc_len = 0;
    if (!jpeg_read_icc_profile(&dinfo, icc, icc_len))
        *icc = NULL;
    jpeg_start_decompress(&dinfo);
    while (dinfo.output_scanline < dinfo.output_height) {
        JSAMPROW row = rgb + 3u * W * dinfo.output_scanline;

        jpeg_read_scanlines(&dinfo, &row, 1);
    }
    jpeg_finish_decompress(&dinfo);
    jpeg_destroy_decompress(&dinfo);
}

static void test_jpeg_codec(int progressive)
{
    static uint8_t before[W * H * 3], after[W * H * 3];
    uint8_t profile[600];
    imgb in = {0}, out = {0};
    mlv_img_report r;
    unsigned markers, icc_len;
    uint8_t *icc;

    for (size_t i = 0; i < sizeof profile; i++)
        profile[i] = (uint8_t)(i * 13u);
    jpeg_encode(&in, progressive, profile, sizeof profile);
    jpeg_decode(&in, before, &markers, &icc, &icc_len);
    CHECK_EQ_INT(markers, 4);
    free(icc);

    CHECK_EQ_INT(imgio_run(in.data, in.len, IMGIO_PIPE, &out, &r), MLV_IMG_OK);
    CHECK_EQ_INT(r.kind, MLV_IMG_JPEG);
    CHECK_EQ_INT(r.flags & (MLV_IMG_F_GPS | MLV_IMG_F_XMP | MLV_IMG_F_IPTC | MLV_IMG_F_TEXT | MLV_IMG_F_EXIF),
                 MLV_IMG_F_GPS | MLV_IMG_F_XMP | MLV_IMG_F_IPTC | MLV_IMG_F_TEXT | MLV_IMG_F_EXIF);
    CHECK(out.len < in.len);
    jpeg_decode(&out, after, &markers, &icc, &icc_len);
    CHECK_EQ_INT(markers, 0);
    CHECK(icc != NULL && icc_len == sizeof profile && memcmp(icc, profile, sizeof profile) == 0);
    free(icc);
    CHECK(memcmp(before, after, sizeof before) == 0);
    imgb_free(&in);
    imgb_free(&out);
}

static void png_write_to(png_structp png, png_bytep data, size_t len)
{
    imgb_put(png_get_io_ptr(png), data, len);
}

static void png_flush_none(png_structp png)
{
    (void)png;
}

/* A PNG from libpng with text chunks of every kind, a time and Exif. */
static int png_encode(imgb *out)
{
    static uint8_t rgb[W * H * 3];
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    png_text text[3];
    png_time when = {2026, 11, 30, 14, 22, 5};
    imgb tiff = {0};

    if (png == NULL || info == NULL)
        return -1;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    pixels(rgb);
    memset(text, 0, sizeof text);
    text[0] = (png_text){.compression = PNG_TEXT_COMPRESSION_NONE, .key = "Author", .text = "Ivan Petrov"};
    text[1] = (png_text){.compression = PNG_TEXT_COMPRESSION_zTXt, .key = "Comment", .text = (char *)comment};
    text[2] = (png_text){.compression = PNG_ITXT_COMPRESSION_NONE, .key = "XML:com.adobe.xmp",
                         .text = "<x:xmpmeta><dc:creator>Ivan</dc:creator></x:xmpmeta>"};
    imgb_exif(&tiff, 0, NULL);
    png_set_write_fn(png, out, png_write_to, png_flush_none);
    png_set_IHDR(png, info, W, H, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_set_gAMA(png, info, 0.45455);
    png_set_text(png, info, text, 3);
    png_set_tIME(png, info, &when);
    png_set_eXIf_1(png, info, (png_uint_32)tiff.len, tiff.data);
    /* Small IDATs, so the image data spans several chunks. */
    png_set_compression_buffer_size(png, 256);
    png_write_info(png, info);
    for (unsigned y = 0; y < H; y++)
        png_write_row(png, rgb + 3u * W * y);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    imgb_free(&tiff);
    return 0;
}

static int png_decode(const imgb *in, uint8_t *rgb)
{
    png_image image;

    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, in->data, in->len))
        return -1;
    image.format = PNG_FORMAT_RGB;
    if (image.width != W || image.height != H || !png_image_finish_read(&image, NULL, rgb, 0, NULL)) {
        png_image_free(&image);
        return -1;
    }
    return 0;
}

static void test_png_codec(void)
{
    static uint8_t before[W * H * 3], after[W * H * 3];
    const uint32_t wanted = MLV_IMG_F_GPS | MLV_IMG_F_OWNER | MLV_IMG_F_TIME | MLV_IMG_F_XMP | MLV_IMG_F_TEXT |
                            MLV_IMG_F_EXIF;
    imgb in = {0}, out = {0};
    mlv_img_report r;

    CHECK_EQ_INT(png_encode(&in), 0);
    CHECK_EQ_INT(png_decode(&in, before), 0);
    CHECK_EQ_INT(imgio_run(in.data, in.len, IMGIO_MEMFD, &out, &r), MLV_IMG_OK);
    CHECK_EQ_INT(r.kind, MLV_IMG_PNG);
    CHECK_EQ_INT(r.flags & wanted, wanted);
    CHECK(out.len < in.len);
    /* libpng checks every CRC while decoding. */
    CHECK_EQ_INT(png_decode(&out, after), 0);
    CHECK(memcmp(before, after, sizeof before) == 0);
    CHECK(out.len > 0 && memmem(out.data, out.len, "tEXt", 4) == NULL && memmem(out.data, out.len, "zTXt", 4) == NULL &&
          memmem(out.data, out.len, "iTXt", 4) == NULL && memmem(out.data, out.len, "tIME", 4) == NULL &&
          memmem(out.data, out.len, "eXIf", 4) == NULL && memmem(out.data, out.len, "Ivan", 4) == NULL);
    CHECK(memmem(out.data, out.len, "gAMA", 4) != NULL);
    imgb_free(&in);
    imgb_free(&out);
}

int main(void)
{
    test_jpeg_codec(0);
    test_jpeg_codec(1);
    test_png_codec();
    return check_exit();
}
