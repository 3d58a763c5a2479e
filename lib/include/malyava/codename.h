/*
 * Codenames: the ten words a source writes down to come back for replies
 * (docs/FORMAT.md §5). From the words alone, on any device, the source's
 * browser and this code derive the same reply key pair and login token,
 * so nothing about the source is kept anywhere but in their memory.
 *
 * The word list is computed, not stored: 2048 four-letter consonant-vowel
 * words, easy to read aloud, to copy by hand, and to transliterate.
 */
#ifndef MALYAVA_CODENAME_H
#define MALYAVA_CODENAME_H

#include <stddef.h>
#include <stdint.h>

#include "boxkey.h"

#define MLV_CODENAME_WORDS 10u
#define MLV_CODENAME_WORD_COUNT 2048u
#define MLV_CODENAME_WORD_LETTERS 4u
/* Ten words of four letters, nine spaces, a NUL. */
#define MLV_CODENAME_STR_BYTES (MLV_CODENAME_WORDS * (MLV_CODENAME_WORD_LETTERS + 1u))
#define MLV_CODENAME_TOKEN_BYTES 32u
#define MLV_CODENAME_TOKEN_HEX_BYTES (MLV_CODENAME_TOKEN_BYTES * 2u + 1u)

/* The word with this index (0..2047): five bytes with its NUL. */
void mlv_codename_word(char out[MLV_CODENAME_WORD_LETTERS + 1u], unsigned index);

/* A fresh codename of random words, in canonical form. */
void mlv_codename_generate(char out[MLV_CODENAME_STR_BYTES]);

/*
 * What a person typed, made canonical: lower case, one space between
 * words. -1 when it is not ten words of the list; `bad_word` (if not
 * NULL) then gets the 1-based position of the first unknown word, or 0
 * when the count of words is wrong.
 */
int mlv_codename_normalize(const char *typed, size_t len, char out[MLV_CODENAME_STR_BYTES],
                           unsigned *bad_word) __attribute__((warn_unused_result));

/*
 * The reply key pair and login token of a codename (any typed form).
 * `reply` comes from mlv_key_box_new(); `token` may be NULL.
 */
int mlv_codename_derive(const char *typed, size_t len, mlv_box_keypair *reply,
                        uint8_t token[MLV_CODENAME_TOKEN_BYTES]) __attribute__((warn_unused_result));

#endif
