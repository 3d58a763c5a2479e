/*
 * multipart/form-data (RFC 7578 over RFC 2046 §5.1) as the no-JavaScript
 * form sends it, parsed from a body already whole in memory. Nothing is
 * copied or decoded: every part is a set of spans into the body, so the
 * caller decides where the bytes may go (guarded memory, never the disk).
 * Functions over bytes, without HTTP, so a fuzzer drives them directly
 * (tests/fuzz/fuzz_multipart.c).
 */
#ifndef MALYAVA_DROPBOX_MULTIPART_H
#define MALYAVA_DROPBOX_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

/* RFC 2046: a boundary is 1 to 70 characters. */
#define MLV_MP_BOUNDARY_MAX 70u

typedef struct mlv_mp_span {
    const uint8_t *p; /* into the body; NULL when absent */
    size_t len;
} mlv_mp_span;

typedef struct mlv_mp_part {
    mlv_mp_span name;     /* Content-Disposition name= (required) */
    mlv_mp_span filename; /* filename=, exactly as sent (p NULL if absent); never a path here */
    mlv_mp_span type;     /* Content-Type without parameters (p NULL if absent) */
    mlv_mp_span data;
} mlv_mp_part;

typedef enum mlv_mp_status {
    MLV_MP_OK = 0,
    MLV_MP_MALFORMED, /* not multipart/form-data as RFC 7578 describes it */
    MLV_MP_LIMIT      /* more parts, or a longer part header, than allowed */
} mlv_mp_status;

/* The boundary from a Content-Type value "multipart/form-data; boundary=..."
 * (token or quoted). `out` gets it NUL-terminated. */
mlv_mp_status mlv_mp_boundary(const char *content_type, char out[MLV_MP_BOUNDARY_MAX + 1u]);

/*
 * Splits `body` into at most `max_parts` parts (more: MLV_MP_LIMIT). Each
 * part header block is at most `max_header` bytes, has a Content-Disposition
 * "form-data" with a name, at most one of each header, no folded lines and
 * no NUL. Preamble and epilogue are ignored; the closing delimiter is
 * required.
 */
mlv_mp_status mlv_mp_parse(const uint8_t *body, size_t len, const char *boundary, size_t max_header,
                           mlv_mp_part *parts, size_t max_parts, size_t *nparts);

/* 1 if `s` (a span) equals the C string `lit`. */
int mlv_mp_is(mlv_mp_span s, const char *lit);

#endif
