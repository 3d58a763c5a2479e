/*
 * The desk's HTTP server on 127.0.0.1: the only file of client/ that
 * speaks libmicrohttpd. It runs in the desk's own event loop (no thread
 * of its own), so a handler never races the command-line verbs the desk
 * runs for scripts: both touch the vault from one thread.
 *
 * It reads a request whole (URL, headers and body within the MLV_DESK_*
 * limits; the body into guarded memory, wiped after the answer), hands
 * it to the handler as an mlv_desk_req, and sends the mlv_desk_resp with
 * the desk's security headers on every answer, errors included:
 * Content-Security-Policy, Cache-Control: no-store, nosniff, no referrer,
 * no framing, same-origin opener and resource policies.
 */
#ifndef MALYAVA_CLIENT_DESK_HTTP_H
#define MALYAVA_CLIENT_DESK_HTTP_H

#include "desk_req.h"

typedef struct mlv_desk_http mlv_desk_http;
typedef void (*mlv_desk_handler)(void *ctx, const mlv_desk_req *req, mlv_desk_resp *resp);

/* The pages' policy: files of this origin only, no inline code. */
extern const char mlv_desk_page_csp[];
/* Data (JSON, images): nothing may load from it. */
extern const char mlv_desk_data_csp[];

/* A listening socket on 127.0.0.1:port (0: a free one); *bound gets the
 * port. -1 with errno. */
int mlv_desk_http_listen(unsigned port, unsigned *bound);
/* Serves on the socket (which it then owns); NULL on failure. */
mlv_desk_http *mlv_desk_http_start(int listen_fd, mlv_desk_handler handler, void *ctx);
/* The descriptor to poll for reading, and the longest wait before
 * mlv_desk_http_run must be called anyway (-1: none). */
int mlv_desk_http_fd(mlv_desk_http *h);
int mlv_desk_http_timeout_ms(mlv_desk_http *h);
void mlv_desk_http_run(mlv_desk_http *h);
/* Closes every connection. */
void mlv_desk_http_stop(mlv_desk_http *h);

#endif
