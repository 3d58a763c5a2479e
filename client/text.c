/* See text.h. */
#include "text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The code point of a well-formed sequence at s[0..avail), and its length;
 * 0 for anything else (a lone or stray byte, an overlong form). */
static size_t decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
    size_t n;
    uint32_t c;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        n = 2;
        c = s[0] & 0x1Fu;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        n = 3;
        c = s[0] & 0x0Fu;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        n = 4;
        c = s[0] & 0x07u;
    } else {
        return 0;
    }
    if (n > avail)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

static uint32_t fold(uint32_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c + 32u;
    if (c >= 0x410 && c <= 0x42F) /* А..Я */
        return c + 32u;
    if (c >= 0x400 && c <= 0x40F) /* Ѐ..Џ: Ё, Є, І, Ї, Ў, ... */
        c += 80u;
    switch (c) {
    case 0x451: return 0x435;  /* ё -> е */
    case 0x457: return 0x456;  /* ї -> і */
    case 0x490:                /* Ґ */
    case 0x491: return 0x433;  /* ґ -> г */
    case 0x45E: return 0x443;  /* ў -> у */
    case 0x2019:               /* ’ */
    case 0x02BC: return '\'';  /* ʼ */
    default: return c;
    }
}

/* Only code points below U+0800 are ever written by folding. */
static size_t put(char *out, uint32_t c)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    out[0] = (char)(0xC0 | (c >> 6));
    out[1] = (char)(0x80 | (c & 0x3F));
    return 2;
}

size_t mlv_text_fold_into(const char *s, size_t len, char *out)
{
    const unsigned char *u = (const unsigned char *)s;
    uint32_t prev = 0; /* the last folded letter written, 0 after anything else */
    size_t o = 0;

    for (size_t i = 0; i < len;) {
        uint32_t c;
        size_t n = decode(u + i, len - i, &c);

        if (n == 0) {
            out[o++] = s[i++];
            prev = 0;
            continue;
        }
        i += n;
        /* A mark after a letter: as the composed letter folds. */
        if ((c == 0x308 && (prev == 0x435 || prev == 0x456)) || (c == 0x306 && prev == 0x443) ||
            ((c == 0x301 || c == 0x300) && prev >= 0x400 && prev <= 0x4FF))
            continue;
        if (c == 0x306 && prev == 0x438) { /* и + breve: й */
            o -= 2;
            o += put(out + o, 0x439);
            prev = 0x439;
            continue;
        }
        if (c < 0x800) {
            c = fold(c);
            o += put(out + o, c);
            prev = c >= 0x400 && c <= 0x4FF ? c : 0;
        } else {
            uint32_t f = fold(c);

            if (f != c) {
                o += put(out + o, f);
            } else {
                memcpy(out + o, u + i - n, n);
                o += n;
            }
            prev = 0;
        }
    }
    out[o] = '\0';
    return o;
}

char *mlv_text_fold(const char *s)
{
    size_t len = strlen(s);
    char *out = malloc(len + 1u);

    if (out != NULL)
        mlv_text_fold_into(s, len, out);
    return out;
}

size_t mlv_text_cut(const char *s, size_t max_chars, size_t *chars)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s), i = 0, n = 0;

    while (i < len && n < max_chars) {
        uint32_t c;
        size_t step = decode(u + i, len - i, &c);

        i += step > 0 ? step : 1u;
        n++;
    }
    if (chars != NULL)
        *chars = n;
    return i;
}
