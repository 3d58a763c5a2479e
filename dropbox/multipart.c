/* See multipart.h. */
#include "multipart.h"

#include <string.h>
#include <strings.h>

#define FORM_DATA "multipart/form-data"

static int is_ows(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static int is_tchar(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* RFC 2046 bchars. */
static int is_bchar(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("'()+_,-./:=? ", c) != NULL);
}

int mlv_mp_is(mlv_mp_span s, const char *lit)
{
    return s.p != NULL && s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

/* A cursor over one header value. */
typedef struct cursor {
    const uint8_t *p, *end;
} cursor;

static void skip_ows(cursor *c)
{
    while (c->p < c->end && is_ows(*c->p))
        c->p++;
}

static mlv_mp_span take_token(cursor *c)
{
    mlv_mp_span s = { c->p, 0 };

    while (c->p < c->end && is_tchar(*c->p))
        c->p++;
    s.len = (size_t)(c->p - s.p);
    return s;
}

/* token or quoted-string. Browsers percent-encode '"' and line breaks in
 * names and never escape with '\', so a backslash is an ordinary byte
 * (a Windows path in an old browser's filename=). -1 if neither. */
static int take_value(cursor *c, mlv_mp_span *out)
{
    if (c->p < c->end && *c->p == '"') {
        const uint8_t *close = memchr(c->p + 1, '"', (size_t)(c->end - c->p - 1));

        if (close == NULL)
            return -1;
        out->p = c->p + 1;
        out->len = (size_t)(close - out->p);
        c->p = close + 1;
        return 0;
    }
    *out = take_token(c);
    return out->len > 0 ? 0 : -1;
}

/*
 * Walks "; name=value" parameters after a value's first word, handing each
 * to `want`: returns 0 at the end, -1 on a syntax error or a repeated
 * parameter among those asked for.
 */
typedef struct param_want {
    const char *name;
    mlv_mp_span *out;
} param_want;

static int parse_params(cursor *c, param_want *want, size_t nwant)
{
    for (;;) {
        mlv_mp_span name, value;

        skip_ows(c);
        if (c->p == c->end)
            return 0;
        if (*c->p != ';')
            return -1;
        c->p++;
        skip_ows(c);
        name = take_token(c);
        if (name.len == 0 || c->p == c->end || *c->p != '=')
            return -1;
        c->p++;
        if (take_value(c, &value) != 0)
            return -1;
        for (size_t i = 0; i < nwant; i++) {
            if (name.len == strlen(want[i].name) && strncasecmp((const char *)name.p, want[i].name, name.len) == 0) {
                if (want[i].out->p != NULL)
                    return -1;
                *want[i].out = value;
            }
        }
    }
}

/* Does the value start with `word` (case-insensitively) followed by the end, OWS or ';'? */
static int starts_with_word(cursor *c, const char *word)
{
    size_t n = strlen(word);

    skip_ows(c);
    if ((size_t)(c->end - c->p) < n || strncasecmp((const char *)c->p, word, n) != 0)
        return 0;
    c->p += n;
    return c->p == c->end || is_ows(*c->p) || *c->p == ';';
}

mlv_mp_status mlv_mp_boundary(const char *content_type, char out[MLV_MP_BOUNDARY_MAX + 1u])
{
    cursor c = { (const uint8_t *)content_type, (const uint8_t *)content_type + strlen(content_type) };
    mlv_mp_span b = { NULL, 0 };
    param_want want[] = { { "boundary", &b } };

    out[0] = '\0';
    if (!starts_with_word(&c, FORM_DATA) || parse_params(&c, want, 1) != 0 || b.p == NULL || b.len == 0 ||
        b.len > MLV_MP_BOUNDARY_MAX || b.p[b.len - 1] == ' ')
        return MLV_MP_MALFORMED;
    for (size_t i = 0; i < b.len; i++) {
        if (!is_bchar(b.p[i]))
            return MLV_MP_MALFORMED;
    }
    memcpy(out, b.p, b.len);
    out[b.len] = '\0';
    return MLV_MP_OK;
}

/* One header line "Name: value" (no CR, LF or NUL inside, not folded). */
static mlv_mp_status part_header(const uint8_t *line, size_t len, mlv_mp_part *part, int *seen_cd, int *seen_ct)
{
    const uint8_t *colon = memchr(line, ':', len);
    cursor c;

    if (len == 0 || is_ows(line[0]) || colon == NULL || colon == line || memchr(line, '\0', len) != NULL ||
        memchr(line, '\r', len) != NULL || memchr(line, '\n', len) != NULL)
        return MLV_MP_MALFORMED;
    for (const uint8_t *p = line; p < colon; p++) {
        if (!is_tchar(*p))
            return MLV_MP_MALFORMED;
    }
    c.p = colon + 1;
    c.end = line + len;
    if ((size_t)(colon - line) == 19u && strncasecmp((const char *)line, "Content-Disposition", 19) == 0) {
        param_want want[] = { { "name", &part->name }, { "filename", &part->filename } };

        if ((*seen_cd)++ || !starts_with_word(&c, "form-data") || parse_params(&c, want, 2) != 0)
            return MLV_MP_MALFORMED;
    } else if ((size_t)(colon - line) == 12u && strncasecmp((const char *)line, "Content-Type", 12) == 0) {
        const uint8_t *semi;

        if ((*seen_ct)++)
            return MLV_MP_MALFORMED;
        skip_ows(&c);
        semi = memchr(c.p, ';', (size_t)(c.end - c.p));
        part->type.p = c.p;
        part->type.len = (size_t)((semi != NULL ? semi : c.end) - c.p);
        while (part->type.len > 0 && is_ows(part->type.p[part->type.len - 1]))
            part->type.len--;
        if (part->type.len == 0)
            part->type.p = NULL;
    }
    /* Other headers (Content-Transfer-Encoding, ...) are not used by
     * browsers for form-data and are ignored, never acted on. */
    return MLV_MP_OK;
}

/* Parses the header block at *pos, leaving *pos at the part's data. */
static mlv_mp_status part_headers(const uint8_t *body, size_t len, size_t *pos, size_t max_header, mlv_mp_part *part)
{
    size_t avail = len - *pos, window = avail < max_header + 4u ? avail : max_header + 4u;
    const uint8_t *start = body + *pos, *end = memmem(start, window, "\r\n\r\n", 4);
    int seen_cd = 0, seen_ct = 0;

    if (end == NULL)
        return window == avail ? MLV_MP_MALFORMED : MLV_MP_LIMIT;
    /* Lines up to and including the CRLF at `end`. */
    for (size_t i = 0, line = 0, n = (size_t)(end - start) + 2u; i + 1u < n; i++) {
        mlv_mp_status st;

        if (start[i] != '\r' || start[i + 1u] != '\n')
            continue;
        st = part_header(start + line, i - line, part, &seen_cd, &seen_ct);
        if (st != MLV_MP_OK)
            return st;
        line = ++i + 1u;
    }
    if (part->name.p == NULL || part->name.len == 0)
        return MLV_MP_MALFORMED;
    *pos = (size_t)(end + 4 - body);
    return MLV_MP_OK;
}

/* After a boundary: "--" ends the body (1), transport padding and CRLF
 * start a part (0), anything else is malformed (-1). Moves *pos past it. */
static int after_boundary(const uint8_t *body, size_t len, size_t *pos)
{
    size_t p = *pos;

    if (len - p >= 2 && body[p] == '-' && body[p + 1] == '-')
        return 1;
    while (p < len && is_ows(body[p]))
        p++;
    if (len - p < 2 || body[p] != '\r' || body[p + 1] != '\n')
        return -1;
    *pos = p + 2;
    return 0;
}

mlv_mp_status mlv_mp_parse(const uint8_t *body, size_t len, const char *boundary, size_t max_header,
                           mlv_mp_part *parts, size_t max_parts, size_t *nparts)
{
    uint8_t delim[4u + MLV_MP_BOUNDARY_MAX];
    size_t blen = strlen(boundary), dlen = blen + 4u, pos;
    const uint8_t *hit;
    int end;

    *nparts = 0;
    if (body == NULL || blen == 0 || blen > MLV_MP_BOUNDARY_MAX)
        return MLV_MP_MALFORMED;
    memcpy(delim, "\r\n--", 4);
    memcpy(delim + 4, boundary, blen);
    /* The first boundary opens the body, or ends a preamble. */
    if (len >= dlen - 2u && memcmp(body, delim + 2, dlen - 2u) == 0) {
        pos = dlen - 2u;
    } else {
        hit = memmem(body, len, delim, dlen);
        if (hit == NULL)
            return MLV_MP_MALFORMED;
        pos = (size_t)(hit - body) + dlen;
    }
    for (;;) {
        mlv_mp_part *part;
        mlv_mp_status st;

        end = after_boundary(body, len, &pos);
        if (end != 0)
            break;
        if (*nparts == max_parts)
            return MLV_MP_LIMIT;
        part = &parts[*nparts];
        memset(part, 0, sizeof *part);
        st = part_headers(body, len, &pos, max_header, part);
        if (st != MLV_MP_OK)
            return st;
        hit = memmem(body + pos, len - pos, delim, dlen);
        if (hit == NULL)
            return MLV_MP_MALFORMED;
        part->data.p = body + pos;
        part->data.len = (size_t)(hit - (body + pos));
        pos = (size_t)(hit - body) + dlen;
        (*nparts)++;
    }
    return end == 1 ? MLV_MP_OK : MLV_MP_MALFORMED;
}
