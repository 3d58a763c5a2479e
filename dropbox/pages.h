/* Rendering a page as the answer to a request (route_pages.c), shared by
 * the page routes and the no-JavaScript form. */
#ifndef MALYAVA_DROPBOX_PAGES_H
#define MALYAVA_DROPBOX_PAGES_H

#include "http.h"

/* Renders template `template_name` ("index.html") with `receipt` and
 * `error` (either may be NULL) and sends it with `status`. */
enum MHD_Result mlv_pages_send(mlv_http_req *r, unsigned status, const char *template_name, const char *receipt,
                               const char *error);

/* The error page: the text of `key` in the request's language, else
 * `fallback` (English, naming the problem and what to do). */
enum MHD_Result mlv_pages_send_error(mlv_http_req *r, unsigned status, const char *key, const char *fallback);

#endif
