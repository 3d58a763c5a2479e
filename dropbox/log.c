/* See log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

void mlv_log_msg(const char *fmt, ...)
{
    char line[512];
    va_list ap;

    /* One write per line, so lines from several threads never interleave. */
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "malyava-dropbox: %s\n", line);
}
