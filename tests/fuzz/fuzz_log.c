/*
 * Stands in for dropbox/log.c in the harnesses that compile the server's
 * sources: formats every message, so a bad format or argument is still
 * caught, without flooding the fuzzer's output.
 */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

void mlv_log_msg(const char *fmt, ...)
{
    char line[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
}
