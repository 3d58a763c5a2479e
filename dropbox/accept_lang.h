/*
 * Accept-Language (RFC 9110 §12.5.4) against the languages the pages
 * have: a function over strings, so a fuzzer drives it directly
 * (tests/fuzz/fuzz_accept_language.c).
 */
#ifndef MALYAVA_DROPBOX_ACCEPT_LANG_H
#define MALYAVA_DROPBOX_ACCEPT_LANG_H

#include <stddef.h>

/*
 * The index in `codes` (lowercase, like "en" or "pt-br") of the best match
 * for `header`, or -1 when nothing matches. The highest q wins; at equal q
 * the range listed first. A range matches a code that equals it, a code
 * it is a prefix of ("pt" finds "pt-br"), or a code that is its own prefix
 * ("ru-ru" finds "ru"), case-insensitively; an exact match beats the
 * others. "*" and q=0 select nothing. Malformed ranges are skipped, and
 * only the first MLV_SRV_ACCEPT_LANGUAGE_MAX_RANGES are read.
 */
int mlv_lang_accept(const char *header, const char *const *codes, size_t ncodes);

#endif
