/*
 * multipart/form-data from the no-JavaScript form (dropbox/multipart.c).
 * The input is a Content-Type value, a newline, then the body. Every span
 * the parser returns lies inside the body; no part's data contains the
 * delimiter; names are never empty; the count respects the cap.
 */
#include <string.h>

#include "fuzz.h"
#include "multipart.h"

#define MAX_PARTS 8u

static int inside(mlv_mp_span s, const uint8_t *body, size_t len)
{
    return s.p == NULL || (s.p >= body && s.len <= len && (size_t)(s.p - body) <= len - s.len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    char ctype[256], boundary[MLV_MP_BOUNDARY_MAX + 1u], delim[MLV_MP_BOUNDARY_MAX + 5u];
    mlv_mp_part parts[MAX_PARTS];
    const uint8_t *body;
    size_t clen, len, n = 0;

    if (nl == NULL || (size_t)(nl - data) >= sizeof ctype)
        return 0;
    clen = (size_t)(nl - data);
    memcpy(ctype, data, clen);
    ctype[clen] = '\0';
    body = nl + 1;
    len = size - clen - 1u;
    /* A Content-Type that does not parse still lets the body be fuzzed. */
    if (mlv_mp_boundary(ctype, boundary) != MLV_MP_OK) {
        FUZZ_ASSERT(boundary[0] == '\0');
        strcpy(boundary, "B");
    }
    FUZZ_ASSERT(strlen(boundary) >= 1 && strlen(boundary) <= MLV_MP_BOUNDARY_MAX);
    snprintf(delim, sizeof delim, "\r\n--%s", boundary);
    if (mlv_mp_parse(body, len, boundary, 64, parts, MAX_PARTS, &n) != MLV_MP_OK)
        return 0;
    FUZZ_ASSERT(n <= MAX_PARTS);
    for (size_t i = 0; i < n; i++) {
        FUZZ_ASSERT(inside(parts[i].name, body, len) && inside(parts[i].filename, body, len) &&
                    inside(parts[i].type, body, len) && inside(parts[i].data, body, len));
        FUZZ_ASSERT(parts[i].name.p != NULL && parts[i].name.len > 0);
        FUZZ_ASSERT(parts[i].data.p != NULL);
        FUZZ_ASSERT(memmem(parts[i].data.p, parts[i].data.len, delim, strlen(delim)) == NULL);
    }
    return 0;
}
