/*
 * Text from a testimony is hostile: an escape sequence printed to an
 * editor's terminal can rewrite the screen, set the window title, or on
 * some terminals inject input. Everything from an envelope passes through
 * here before it reaches a terminal.
 */
#ifndef MALYAVA_TERMSAFE_H
#define MALYAVA_TERMSAFE_H

#include <stdio.h>
#include <stddef.h>

/*
 * Writes `len` bytes of `text` to `out`, replacing C0 controls (except
 * newline and tab when `multiline`), DEL, C1 controls (U+0080..U+009F),
 * bidirectional overrides and invalid UTF-8 with a visible "\xNN" or
 * "\u{NNNN}" form. Returns 0, or -1 on a write error.
 */
int mlv_termsafe_write(FILE *out, const char *text, size_t len, int multiline);

#endif
