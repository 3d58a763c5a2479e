/* See accept_lang.h. */
#include "accept_lang.h"

#include <string.h>
#include <strings.h>

#include <malyava/limits.h>

/* RFC 4647 language ranges: 1*8ALPHA *("-" 1*8alphanum); longer is junk. */
#define RANGE_MAX_BYTES 35u

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static int is_range_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

/* "q=" weight as thousandths: 0, 0.x to 0.xxx, 1, 1.0 to 1.000. -1 if malformed. */
static int parse_q(const char *s, size_t len)
{
    int q = 0, scale = 100;

    if (len < 3 || (s[0] != 'q' && s[0] != 'Q') || s[1] != '=' || (s[2] != '0' && s[2] != '1'))
        return -1;
    q = (s[2] - '0') * 1000;
    if (len == 3)
        return q;
    if (s[3] != '.' || len > 7)
        return -1;
    for (size_t i = 4; i < len; i++) {
        if (s[i] < '0' || s[i] > '9' || (q == 1000 && s[i] != '0'))
            return -1;
        q += (s[i] - '0') * scale;
        scale /= 10;
    }
    return q;
}

/* 2 exact, 1 by prefix either way, 0 none. */
static int match_score(const char *range, size_t rlen, const char *code)
{
    size_t clen = strlen(code);
    size_t n = rlen < clen ? rlen : clen;

    if (strncasecmp(range, code, n) != 0)
        return 0;
    if (rlen == clen)
        return 2;
    if (rlen < clen)
        return code[rlen] == '-';
    return range[clen] == '-';
}

int mlv_lang_accept(const char *header, const char *const *codes, size_t ncodes)
{
    int best = -1, best_q = 0, best_score = 0;
    unsigned ranges = 0;
    const char *p = header;

    if (header == NULL)
        return -1;
    while (*p != '\0' && ranges < MLV_SRV_ACCEPT_LANGUAGE_MAX_RANGES) {
        const char *item = p, *end = strchr(p, ',');
        const char *range, *semi;
        size_t rlen, item_len;
        int q = 1000, ok = 1;

        if (end == NULL)
            end = p + strlen(p);
        p = *end == ',' ? end + 1 : end;
        while (item < end && is_ows(*item))
            item++;
        item_len = (size_t)(end - item);
        while (item_len > 0 && is_ows(item[item_len - 1]))
            item_len--;
        if (item_len == 0)
            continue;
        ranges++;
        range = item;
        semi = memchr(item, ';', item_len);
        rlen = semi != NULL ? (size_t)(semi - item) : item_len;
        while (rlen > 0 && is_ows(range[rlen - 1]))
            rlen--;
        if (semi != NULL) {
            const char *param = semi + 1;
            size_t plen = item_len - (size_t)(param - item);

            while (plen > 0 && is_ows(*param)) {
                param++;
                plen--;
            }
            q = parse_q(param, plen);
            ok = q >= 0;
        }
        if (rlen == 0 || rlen > RANGE_MAX_BYTES || range[0] == '-' || range[rlen - 1] == '-')
            ok = 0;
        for (size_t i = 0; ok && i < rlen; i++)
            ok = is_range_char(range[i]);
        /* "*" (any language) falls through to the default, as q=0 does;
         * at equal q the earlier range already won. */
        if (!ok || q <= best_q)
            continue;
        for (size_t i = 0; i < ncodes; i++) {
            int score = match_score(range, rlen, codes[i]);

            if (score > 0 && (best_q < q || score > best_score)) {
                best = (int)i;
                best_q = q;
                best_score = score;
            }
        }
        best_score = 0;
    }
    return best;
}
