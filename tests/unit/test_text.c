/*
 * The one folding every search uses (client/text.c), rule by rule, and
 * cutting by characters. A search finds a text when its folding is a
 * part of the text's folding: each case below is what a person types and
 * what they expect it to find, or not.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text.h"

static int finds(const char *query, const char *text)
{
    char *q = mlv_text_fold(query), *t = mlv_text_fold(text);
    int found = q != NULL && t != NULL && strstr(t, q) != NULL;

    free(q);
    free(t);
    return found;
}

static void folds_to(const char *in, const char *want)
{
    char *got = mlv_text_fold(in);

    if (got == NULL || strcmp(got, want) != 0)
        fprintf(stderr, "folded '%s' to '%s', wanted '%s'\n", in, got != NULL ? got : "(null)", want);
    CHECK(got != NULL && strcmp(got, want) == 0);
    free(got);
}

static void cut_is(const char *in, size_t max, size_t want_bytes, size_t want_chars)
{
    size_t chars = 99, bytes = mlv_text_cut(in, max, &chars);

    CHECK_EQ_INT(bytes, want_bytes);
    CHECK_EQ_INT(chars, want_chars);
}

int main(void)
{
    /* Case, Latin and Cyrillic. */
    folds_to("KOPEISK Копейск ИК-6", "kopeisk копейск ик-6");
    CHECK(finds("копейск", "КОПЕЙСК"));
    /* ё and е, both ways. */
    folds_to("Ёлка, всё", "елка, все");
    CHECK(finds("ёлка", "ЕЛКА"));
    CHECK(finds("елка", "Ёлка"));
    CHECK(finds("Пётр", "петр"));
    /* Ukrainian: ї and і, ґ and г; Belarusian: ў and у. */
    CHECK(finds("Київ", "КИIВ") == 0); /* a Latin I is not folded into і */
    CHECK(finds("київ", "КИЇВ"));
    CHECK(finds("киів", "Київ"));
    CHECK(finds("ґрати", "грати"));
    CHECK(finds("Ґонта", "гонта"));
    CHECK(finds("праўда", "ПРАЎДА"));
    CHECK(finds("прауда", "праўда"));
    /* Apostrophes in Ukrainian and Belarusian words. */
    CHECK(finds("п'ять", "п\xe2\x80\x99ять"));
    CHECK(finds("п\xca\xbcять", "п'ять"));
    CHECK(finds("сем\xe2\x80\x99я", "сем\xca\xbcя"));
    /* Letters in two parts, as some phones and Macs store file names. */
    CHECK(finds("й", "и\xcc\x86"));    /* и + U+0306 */
    CHECK(finds("и\xcc\x86", "Й"));
    CHECK(finds("ёж", "е\xcc\x88ж"));  /* е + U+0308 */
    CHECK(finds("її", "і\xcc\x88і\xcc\x88"));
    CHECK(finds("ў", "у\xcc\x86"));
    folds_to("и\xcc\x86", "й");
    /* Stress marks after a Cyrillic letter are dropped; not after Latin. */
    CHECK(finds("замок", "за\xcc\x81мок"));
    folds_to("cafe\xcc\x81", "cafe\xcc\x81");
    /* Different letters stay different. */
    CHECK(!finds("е", "є"));
    CHECK(!finds("и", "і"));
    CHECK(!finds("й", "и"));
    CHECK(!finds("ы", "и"));
    CHECK(!finds("c", "с")); /* Latin c, Cyrillic с */
    /* Folding never makes text longer, keeps what it does not know, and
     * passes broken bytes through. */
    folds_to("\xe2\x80\xa6 \xf0\x9f\x98\x80 \xff\xc3", "\xe2\x80\xa6 \xf0\x9f\x98\x80 \xff\xc3");
    {
        static const char all[] = "ЁЇҐЎЄІ’ʼ и\xcc\x86 Е\xcc\x88";
        char out[sizeof all];
        size_t n = mlv_text_fold_into(all, sizeof all - 1u, out);

        CHECK(n <= sizeof all - 1u);
        CHECK_EQ_INT(strlen(out), n);
    }

    /* Cutting by characters: Cyrillic is two bytes a letter, never split. */
    cut_is("abcdef", 3, 3, 3);
    cut_is("абвгде", 3, 6, 3);
    cut_is("аb\xe2\x80\xa6\xf0\x9f\x98\x80z", 4, 2 + 1 + 3 + 4, 4);
    cut_is("ab", 10, 2, 2);
    cut_is("\xff\xfe", 1, 1, 1);
    cut_is("а\xd0", 2, 3, 2); /* a sequence cut short by the text's end counts as one byte */
    return check_exit();
}
