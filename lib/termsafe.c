/* Printing hostile text safely: see termsafe.h. */
#include <malyava/termsafe.h>

#include <stdint.h>

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_sequence(const unsigned char *p, size_t avail, uint32_t *cp)
{
    size_t need;
    uint32_t c, min;

    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        need = 2;
        c = p[0] & 0x1fu;
        min = 0x80;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        need = 3;
        c = p[0] & 0x0fu;
        min = 0x800;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        need = 4;
        c = p[0] & 0x07u;
        min = 0x10000;
    } else {
        return 0;
    }
    if (avail < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xc0u) != 0x80u)
            return 0;
        c = (c << 6) | (p[i] & 0x3fu);
    }
    /* Overlong forms and surrogates hide characters from naive filters. */
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return need;
}

static int dangerous(uint32_t cp, int multiline)
{
    if (cp == '\n' || cp == '\t')
        return !multiline;
    if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
        return 1;
    /* Bidirectional controls reorder what the editor sees (Trojan Source). */
    if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
        cp == 0x200f || cp == 0x061c)
        return 1;
    return 0;
}

int mlv_termsafe_write(FILE *out, const char *text, size_t len, int multiline)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0;

    while (i < len) {
        uint32_t cp = 0;
        size_t n = utf8_sequence(p + i, len - i, &cp);

        if (n == 0) {
            if (fprintf(out, "\\x%02x", p[i]) < 0)
                return -1;
            i++;
            continue;
        }
        if (dangerous(cp, multiline)) {
            if ((cp < 0x100 ? fprintf(out, "\\x%02x", (unsigned)cp)
                            : fprintf(out, "\\u{%04x}", (unsigned)cp)) < 0)
                return -1;
        } else if (fwrite(p + i, 1, n, out) != n) {
            return -1;
        }
        i += n;
    }
    return 0;
}
