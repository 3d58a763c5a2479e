/*
 * The plain form's same-site check (dropbox/origin.c). The input is three
 * header values separated by NUL bytes (Sec-Fetch-Site, Origin, Host); a
 * value that is exactly "!", or missing from the input, is an absent
 * header. Whatever the bytes: a Sec-Fetch-Site other than same-origin or
 * none is refused, an Origin that is not http(s):// and the Host is
 * refused when no Sec-Fetch-Site speaks, nothing at all is taken, and the
 * verdict is the same every time.
 */
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "origin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy, *field[3] = { NULL, NULL, NULL };
    size_t n = 0, start = 0;
    const char *site, *origin, *host;
    int ok;

    if (size > 16384)
        return 0;
    copy = malloc(size + 1u);
    FUZZ_ASSERT(copy != NULL);
    memcpy(copy, data, size);
    copy[size] = '\0';
    for (size_t i = 0; i <= size && n < 3; i++) {
        if (i == size || copy[i] == '\0') {
            field[n++] = strcmp(copy + start, "!") == 0 ? NULL : copy + start;
            start = i + 1u;
        }
    }
    site = field[0];
    origin = field[1];
    host = field[2];
    ok = mlv_origin_allowed(site, origin, host);
    FUZZ_ASSERT(ok == 0 || ok == 1);
    FUZZ_ASSERT(mlv_origin_allowed(site, origin, host) == ok);
    if (site != NULL)
        FUZZ_ASSERT(ok == (strcmp(site, "same-origin") == 0 || strcmp(site, "none") == 0));
    if (site == NULL && origin != NULL && ok) {
        const char *a = strstr(origin, "://");
        FUZZ_ASSERT(a != NULL && host != NULL && *host != '\0' && strcasecmp(a + 3, host) == 0);
        FUZZ_ASSERT(strncmp(origin, "http://", 7) == 0 || strncmp(origin, "https://", 8) == 0);
    }
    if (site == NULL && origin == NULL)
        FUZZ_ASSERT(ok);
    free(copy);
    return 0;
}
