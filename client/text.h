/*
 * Text as editors look for it and see it: the one folding every search
 * uses (the command line's and the desk's, through inbox.c), and cutting
 * by characters. Pure functions over UTF-8 bytes; a byte that is not part
 * of a well-formed sequence is kept as it is and counts as a character.
 *
 * The folding rule (docs/EDITORS.md, "How search matches"): a search
 * finds a text when the folded search is a part of the folded text, and
 * folding maps each character on its own, so it can only ever let a
 * search find more, never less. It folds:
 *
 *   - case, for Latin (A-Z) and Cyrillic (А-Я, Ѐ-Џ, Ґ);
 *   - ё into е (Russian and Belarusian write е for ё all the time);
 *   - ї into і and ґ into г (Ukrainian typed on a keyboard without them,
 *     and г for ґ in print from 1933 to 1990);
 *   - ў into у (Belarusian typed without ў);
 *   - the apostrophes ’ (U+2019) and ʼ (U+02BC) into ' (Ukrainian and
 *     Belarusian write п'ять with any of the three);
 *   - letters written in two parts (decomposed, as some phones and Macs
 *     store file names): е, і, у and и followed by U+0308 or U+0306 as
 *     the composed letter would fold, so "й" finds both forms;
 *   - stress marks (U+0301, U+0300) after a Cyrillic letter are dropped:
 *     за́мок is found by замок.
 *
 * It does not fold е and є, и and і, or Latin letters into Cyrillic ones
 * that look alike: they are different letters, and folding them would
 * drown a search in what nobody asked for. Transliteration (Kopeisk for
 * Копейск) is not folding.
 */
#ifndef MALYAVA_CLIENT_TEXT_H
#define MALYAVA_CLIENT_TEXT_H

#include <stddef.h>

/* Folds `len` bytes of `s` into `out` (room for len + 1; folding never
 * lengthens) and NUL-terminates it; returns the folded length. */
size_t mlv_text_fold_into(const char *s, size_t len, char *out);
/* A folded, malloc'd copy; NULL when out of memory. */
char *mlv_text_fold(const char *s);

/* The bytes of the first `max_chars` characters of `s` (never a broken
 * sequence); *chars (optional) gets how many characters that is. */
size_t mlv_text_cut(const char *s, size_t max_chars, size_t *chars);

#endif
