/*
 * Metadata in photos and videos: what could identify a person, and
 * removing it from photos.
 *
 * A source's photo can name them: GPS coordinates, the camera's serial
 * number, an owner name typed into the camera, the exact time, or an Exif
 * thumbnail made before the face was cropped or blurred. Editors must know
 * this before a file leaves the air-gapped machine, and must be able to
 * remove it.
 *
 * Kinds are told by their first bytes (mlv_img_sniff), never by name:
 *  - JPEG and PNG are inspected and can be stripped.
 *  - ISO-BMFF video (MP4, MOV, 3GP: "ftyp" at offset 4) is inspected for
 *    user data (udta), metadata (meta, keys), locations (©xyz, loci,
 *    com.apple.quicktime.location), creation times and XMP, and reported
 *    as "video metadata present, not removed": rewriting a video's index
 *    safely is a job for a video tool, not for this module.
 *  - WebP, HEIC/AVIF, GIF, TIFF/raw and JPEG XL are reported as "other
 *    image, not inspected": treat them as carrying metadata.
 *
 * Stripping a JPEG keeps SOI, DQT, DHT, DAC, SOFn, DRI, DNL, DHP, EXP, SOS
 * with its entropy-coded data, APP0 JFIF (with any embedded thumbnail cut
 * out), APP2 ICC_PROFILE, APP14 Adobe and EOI, byte for byte and in order. It
 * drops APP1 (Exif, XMP), APP13 (IPTC/Photoshop), COM, every other APPn
 * (JFXX thumbnails, MPF, FlashPix, maker segments) and anything after EOI
 * (appended images, "motion photo" videos).
 *
 * Stripping a PNG keeps IHDR, PLTE, IDAT, IEND and the harmless ancillary
 * chunks tRNS, gAMA, cHRM, sRGB, iCCP, bKGD, pHYs, sBIT, each with its CRC
 * (so they stay valid); it drops eXIf, tEXt, zTXt, iTXt (XMP lives in
 * iTXt "XML:com.adobe.xmp"), tIME, every other ancillary chunk and
 * anything after IEND.
 *
 * ICC colour profiles are kept: a profile describes a display or camera
 * model's colours, shared by every unit of that model, and dropping it
 * changes how the picture looks. It carries no serial, owner or place.
 *
 * Everything streams over file descriptors through fixed buffers (under
 * 256 KiB whatever the file size). Any structural problem (a length past
 * the end, a missing EOI or IEND, a bad PNG CRC, an unknown critical
 * chunk) is MLV_IMG_MALFORMED and stripping promises no usable output:
 * callers write to a temporary file and rename it only on MLV_IMG_OK. A
 * broken Exif block inside a sound JPEG or PNG is not an error: it is
 * flagged MLV_IMG_F_EXIF_UNREADABLE ("may hold anything") and removed.
 */
#ifndef MALYAVA_IMAGEMETA_H
#define MALYAVA_IMAGEMETA_H

#include <stddef.h>
#include <stdint.h>

/* mlv_img_sniff needs this many leading bytes (fewer only at end of file). */
#define MLV_IMG_SNIFF_BYTES 12u

typedef enum mlv_img_kind {
    MLV_IMG_UNKNOWN = 0, /* neither an image nor a video we know */
    MLV_IMG_JPEG,
    MLV_IMG_PNG,
    MLV_IMG_VIDEO,       /* ISO-BMFF: MP4, MOV, 3GP */
    MLV_IMG_OTHER_IMAGE, /* WebP, HEIC/AVIF, GIF, TIFF, JPEG XL: not inspected */
} mlv_img_kind;

typedef enum mlv_img_status {
    MLV_IMG_OK = 0,
    MLV_IMG_UNSUPPORTED, /* strip: not a JPEG or PNG; nothing was written */
    MLV_IMG_MALFORMED,   /* broken or truncated structure; see problem */
    MLV_IMG_IO,          /* read or write failed; errno says why */
    MLV_IMG_LIMIT,       /* past a bound of limits.h (segments, chunk length, boxes) */
    MLV_IMG_NOMEM,
} mlv_img_status;

/* What was found (inspect) or found and removed (strip), most identifying
 * first. */
enum {
    MLV_IMG_F_GPS = 1u << 0,              /* Exif GPS IFD */
    MLV_IMG_F_LOCATION = 1u << 1,         /* video location (©xyz, loci, keys) */
    MLV_IMG_F_OWNER = 1u << 2,            /* owner, artist, author, copyright */
    MLV_IMG_F_SERIAL = 1u << 3,           /* camera, body or lens serial; unique image id */
    MLV_IMG_F_THUMBNAIL = 1u << 4,        /* Exif IFD1, JFIF or JFXX thumbnail */
    MLV_IMG_F_TIME = 1u << 5,             /* date and time taken or created */
    MLV_IMG_F_CAMERA = 1u << 6,           /* make and model */
    MLV_IMG_F_EXIF = 1u << 7,             /* an Exif block at all */
    MLV_IMG_F_EXIF_UNREADABLE = 1u << 8,  /* Exif we could not read through: may hold anything */
    MLV_IMG_F_XMP = 1u << 9,
    MLV_IMG_F_IPTC = 1u << 10,            /* APP13 Photoshop/IPTC, PNG raw IPTC profiles */
    MLV_IMG_F_TEXT = 1u << 11,            /* JPEG COM, PNG text chunks, descriptions */
    MLV_IMG_F_MAKERNOTE = 1u << 12,       /* Exif maker notes: vendor data, often serials */
    MLV_IMG_F_OTHER = 1u << 13,           /* other APPn segments or ancillary chunks */
    MLV_IMG_F_TRAILER = 1u << 14,         /* bytes after EOI / IEND */
    MLV_IMG_F_VIDEO_META = 1u << 15,      /* video metadata present (never removed) */
    MLV_IMG_F_NOT_INSPECTED = 1u << 16,   /* other image kind: not looked into */
};

typedef struct mlv_img_report {
    mlv_img_kind kind;
    uint32_t flags;          /* MLV_IMG_F_* */
    uint64_t removed_bytes;  /* strip: input bytes not copied to the output */
    const char *problem;     /* MALFORMED, LIMIT, IO: what went wrong (static text), else NULL */
    uint64_t problem_offset; /* where in the input, in bytes from the descriptor's start position */
} mlv_img_report;

/* The kind of a file from its first `len` bytes (MLV_IMG_SNIFF_BYTES). */
mlv_img_kind mlv_img_sniff(const uint8_t *head, size_t len);

/*
 * Reads `fd` from its current position to end of file and reports the
 * kind and the metadata found. Any kind but a broken JPEG, PNG or video is
 * MLV_IMG_OK (UNKNOWN and OTHER_IMAGE carry no flags but NOT_INSPECTED).
 * Regular files are skipped through with lseek where the content does not
 * matter (video media data); pipes are read through.
 */
mlv_img_status mlv_img_inspect_fd(int fd, mlv_img_report *out);

/*
 * Copies the JPEG or PNG read from `in_fd` to `out_fd` without its
 * metadata (see the top of this file) and reports what was removed.
 * MLV_IMG_UNSUPPORTED (nothing written) for any other kind, video
 * included; on any status but MLV_IMG_OK the output is to be discarded.
 */
mlv_img_status mlv_img_strip_fd(int in_fd, int out_fd, mlv_img_report *removed);

/* A sentence for the status: what it means and what to do. */
const char *mlv_img_strerror(mlv_img_status status);

/* "JPEG", "PNG", "video", "other image", "unknown". */
const char *mlv_img_kind_name(mlv_img_kind kind);

/*
 * Writes a short human-readable list ("GPS location, date and time,
 * Exif, XMP") of the report's flags into buf (always NUL-terminated when
 * size > 0) and returns the length the full text needs, as snprintf does.
 */
size_t mlv_img_describe(const mlv_img_report *report, char *buf, size_t size);

#endif
