/* See tus_reply.h. */
#include "tus_reply.h"

#include <string.h>
#include <strings.h>

#define TUS_UPLOADS_PREFIX "/api/v1/uploads/"
#define TUS_ID_HEX (MLV_TUS_ID_BYTES - 1u)

static int parse_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;

    if (len == 0 || len > 20)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(s[i] - '0');

        if (d > 9 || v > (UINT64_MAX - d) / 10u)
            return -1;
        v = v * 10u + d;
    }
    *out = v;
    return 0;
}

/* xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx, lowercase hex. */
static int receipt_ok(const char *s, size_t len)
{
    if (len != MLV_RECEIPT_STR_BYTES - 1)
        return 0;
    for (size_t i = 0; i < len; i++) {
        int dash = i % 5 == 4;

        if (dash ? s[i] != '-' : strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
            return 0;
    }
    return 1;
}

void mlv_tus_reply_reset(mlv_tus_reply *r)
{
    uint8_t *body = r->body;
    size_t body_max = r->body_max;

    memset(r, 0, sizeof *r);
    r->body = body;
    r->body_max = body_max;
}

static void header_u64(mlv_tus_reply *r, const char *v, size_t len, int *has, uint64_t *out)
{
    if (*has || parse_u64(v, len, out) != 0)
        r->bad = 1;
    *has = 1;
}

void mlv_tus_reply_header(mlv_tus_reply *r, const char *buf, size_t len)
{
    const char *colon, *v;
    size_t name_len;

    if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
        const char *sp = memchr(buf, ' ', len);
        uint64_t status;

        mlv_tus_reply_reset(r);
        if (sp != NULL && (size_t)(buf + len - sp) > 4 && parse_u64(sp + 1, 3, &status) == 0)
            r->status = (long)status;
        return;
    }
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
        len--;
    colon = memchr(buf, ':', len);
    if (colon == NULL)
        return;
    name_len = (size_t)(colon - buf);
    v = colon + 1;
    while (v < buf + len && (*v == ' ' || *v == '\t'))
        v++;
    len = (size_t)(buf + len - v);
#define IS(h) (name_len == sizeof(h) - 1 && strncasecmp(buf, h, name_len) == 0)
    if (IS("Upload-Offset")) {
        header_u64(r, v, len, &r->has_offset, &r->offset);
    } else if (IS("Upload-Length")) {
        header_u64(r, v, len, &r->has_length, &r->length);
    } else if (IS("Tus-Resumable")) {
        r->tus = len == 5 && memcmp(v, "1.0.0", 5) == 0;
    } else if (IS("Malyava-Receipt")) {
        if (r->has_receipt || !receipt_ok(v, len))
            r->bad = 1;
        else
            memcpy(r->receipt, v, len);
        r->has_receipt = 1;
    } else if (IS("Location")) {
        if (r->location[0] != '\0' || len == 0 || len >= sizeof r->location)
            r->bad = 1;
        else
            memcpy(r->location, v, len);
    } else if (IS("Retry-After")) {
        uint64_t s;

        /* An HTTP-date form is ignored: our own backoff applies. */
        if (parse_u64(v, len, &s) == 0)
            r->retry_after = s > MLV_SUBMIT_MAX_RETRY_AFTER_SECONDS ? MLV_SUBMIT_MAX_RETRY_AFTER_SECONDS : (unsigned)s;
    }
#undef IS
}

int mlv_tus_reply_body(mlv_tus_reply *r, const char *buf, size_t len)
{
    size_t keep = sizeof r->text - 1 - r->text_len;

    if (keep > len)
        keep = len;
    memcpy(r->text + r->text_len, buf, keep);
    r->text_len += keep;
    if (r->body_max > 0 && r->status == 200) {
        if (len > r->body_max - r->body_len) {
            r->body_over = 1;
            return -1;
        }
        memcpy(r->body + r->body_len, buf, len);
        r->body_len += len;
    }
    return 0;
}

static int is_id(const char *s, size_t len)
{
    if (len != TUS_ID_HEX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
            return 0;
    }
    return 1;
}

int mlv_tus_reply_location_id(const char *base, const char *loc, char id[MLV_TUS_ID_BYTES])
{
    static const char suffix[] = TUS_UPLOADS_PREFIX;
    size_t n = strlen(loc), base_len = strlen(base);
    const char *tail;

    if (n < sizeof suffix - 1 + TUS_ID_HEX)
        return -1;
    tail = loc + n - TUS_ID_HEX;
    if (!is_id(tail, TUS_ID_HEX) || memcmp(tail - (sizeof suffix - 1), suffix, sizeof suffix - 1) != 0)
        return -1;
    if (!(loc[0] == '/' && loc[1] != '/') && !(strncmp(loc, base, base_len) == 0 && loc[base_len] == '/'))
        return -1;
    memcpy(id, tail, TUS_ID_HEX);
    id[TUS_ID_HEX] = '\0';
    return 0;
}
