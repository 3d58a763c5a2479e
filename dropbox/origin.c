/* See origin.h. */
#include "origin.h"

#include <string.h>
#include <strings.h>

int mlv_origin_allowed(const char *fetch_site, const char *origin, const char *host)
{
    const char *authority;

    if (fetch_site != NULL)
        return strcmp(fetch_site, "same-origin") == 0 || strcmp(fetch_site, "none") == 0;
    if (origin == NULL)
        return 1;
    if (strncmp(origin, "http://", 7) == 0)
        authority = origin + 7;
    else if (strncmp(origin, "https://", 8) == 0)
        authority = origin + 8;
    else
        return 0;
    return host != NULL && host[0] != '\0' && strcasecmp(authority, host) == 0;
}
