/*
 * A drop-box's answers as `malyava submit` reads them (client/tus_reply.c):
 * a seized or impersonated server picks every header byte, and the
 * client must neither overrun its fixed buffers nor let a Location
 * header steer the upload to another host.
 *
 * The input is a response as the wire carries it: header lines up to
 * an empty line, each handed over with its CRLF as libcurl does, then the
 * body in pieces. A first byte chooses the body buffer's size.
 */
#include <string.h>

#include "fuzz.h"
#include "tus_reply.h"

#define BASE "http://exampleexampleexampleexampleexampleexampleexample.onion/box"

static void check_location(const char *loc)
{
    char id[MLV_TUS_ID_BYTES];
    size_t n = strlen(loc), base_len = strlen(BASE);

    memset(id, 'x', sizeof id);
    if (mlv_tus_reply_location_id(BASE, loc, id) != 0)
        return;
    FUZZ_ASSERT(strlen(id) == MLV_TUS_ID_BYTES - 1u && strspn(id, "0123456789abcdef") == strlen(id));
    FUZZ_ASSERT(n > strlen(id) && strcmp(loc + n - strlen(id), id) == 0);
    /* Same server: a path (never "//host"), or our own base then '/'. */
    FUZZ_ASSERT((loc[0] == '/' && loc[1] != '/') || (strncmp(loc, BASE, base_len) == 0 && loc[base_len] == '/'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mlv_fuzz_cutter cut;
    mlv_tus_reply r;
    size_t pos = 1, body_max;
    uint8_t *body;

    if (size < 1 || size > 65536)
        return 0;
    mlv_fuzz_cutter_init(&cut, data, size);
    body_max = data[0] & 0x80u ? 0 : (size_t)data[0] * 16u;
    body = malloc(body_max + 1u);
    FUZZ_ASSERT(body != NULL);
    memset(&r, 0, sizeof r);
    r.body = body;
    r.body_max = body_max;
    mlv_tus_reply_reset(&r);

    /* Header lines, each ending in '\n', until an empty one. */
    while (pos < size) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t len = nl != NULL ? (size_t)(nl - (data + pos)) + 1u : size - pos;
        int blank = len <= 2 && (data[pos] == '\n' || data[pos] == '\r');

        mlv_tus_reply_header(&r, (const char *)data + pos, len);
        pos += len;
        if (blank)
            break;
    }
    while (pos < size && !r.body_over) {
        size_t len = mlv_fuzz_cutter_next(&cut, size - pos);

        if (mlv_tus_reply_body(&r, (const char *)data + pos, len) != 0)
            FUZZ_ASSERT(r.body_over);
        pos += len;
    }

    FUZZ_ASSERT(r.body == body && r.body_max == body_max && r.body_len <= body_max);
    FUZZ_ASSERT(r.status >= 0 && r.status <= 999);
    FUZZ_ASSERT(r.text_len < sizeof r.text);
    FUZZ_ASSERT(memchr(r.location, '\0', sizeof r.location) != NULL);
    FUZZ_ASSERT(r.retry_after <= MLV_SUBMIT_MAX_RETRY_AFTER_SECONDS);
    if (r.has_receipt && !r.bad) {
        FUZZ_ASSERT(strlen(r.receipt) == MLV_RECEIPT_STR_BYTES - 1u);
        FUZZ_ASSERT(strspn(r.receipt, "0123456789abcdef-") == MLV_RECEIPT_STR_BYTES - 1u);
    }
    check_location(r.location);
    free(body);
    return 0;
}
