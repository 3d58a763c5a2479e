/*
 * Was a form posted from this server's own page? Browsers say so in two
 * headers a page cannot set (docs/PROTOCOL.md, "The plain form"):
 * Sec-Fetch-Site (every current browser, Tor Browser included) and, on
 * every cross-origin POST for years before it, Origin. A request with
 * neither comes from no browser page at all (curl, a script): whoever
 * sends it could send it anyway, so refusing it would protect nobody.
 * Strings in, verdict out, so a fuzzer drives it (tests/fuzz/fuzz_origin.c).
 */
#ifndef MALYAVA_DROPBOX_ORIGIN_H
#define MALYAVA_DROPBOX_ORIGIN_H

/*
 * 1 when a POST may be taken, 0 when another site's page sent it. Each
 * argument is the header's value, or NULL when absent:
 *   - Sec-Fetch-Site decides when present: "same-origin" or "none" (typed
 *     or bookmarked by the user), nothing else;
 *   - else Origin, when present, must be "http://" or "https://" followed
 *     by exactly the Host header (ASCII case aside); "null" (an opaque
 *     origin, which a cross-site page can also give itself) is refused;
 *   - else the request is taken.
 */
int mlv_origin_allowed(const char *fetch_site, const char *origin, const char *host);

#endif
