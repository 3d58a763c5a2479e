/*
 * The HTTP layer over libmicrohttpd: one static route table, a per-request
 * state freed when MHD reports the request finished, caps on the URL and
 * headers checked before any handler runs, and response helpers that put
 * the security headers on every answer, errors included.
 */
#ifndef MALYAVA_DROPBOX_HTTP_H
#define MALYAVA_DROPBOX_HTTP_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "server.h"

typedef struct mlv_http_req mlv_http_req;

/*
 * Called first with data == NULL and r->first set (headers only), then
 * for each piece of the body, then once more with *data_size == 0. A
 * handler consumes what it is given (*data_size = 0) and sends exactly
 * one response, whenever it knows it; once it has, it is not called
 * again.
 */
typedef enum MHD_Result (*mlv_http_handler)(mlv_http_req *r, const char *data, size_t *data_size);
/* Runs when the request ends, answered or cut off (`toe` tells which). */
typedef void (*mlv_http_cleanup)(mlv_http_req *r, enum MHD_RequestTerminationCode toe);

typedef enum mlv_route_match {
    MLV_ROUTE_EXACT = 0, /* the path itself */
    MLV_ROUTE_ID,        /* the path, then an upload id (no '/') */
    MLV_ROUTE_TAIL       /* the path, then a name the handler looks up (r->tail) */
} mlv_route_match;

typedef struct mlv_route {
    const char *path;
    mlv_route_match match;
    const char *method;
    int tus;            /* answers carry Tus-Resumable */
    mlv_http_handler handler;
    mlv_http_cleanup cleanup;
} mlv_route;

struct mlv_http_req {
    const mlv_route *route;
    mlv_srv *srv;
    struct MHD_Connection *conn;
    char id[MLV_STORE_ID_HEX_BYTES]; /* the id in the URL, for MLV_ROUTE_ID (not yet validated) */
    const char *tail;                /* the rest of the URL, for MLV_ROUTE_TAIL: first call only */
    int id_ok;                       /* the URL's id has the right form */
    int first;
    int last;                        /* the call after the whole body */
    int answered;
    struct MHD_Response *deferred;   /* the answer, sent once the body is read */
    unsigned deferred_status;
    uint64_t drained;
    void *state;                     /* the handler's own; its cleanup frees it */
};

/* The two listeners: the sources' routes, and the editors' routes
 * (export, ack, replies import), each on its own socket and daemon. */
typedef enum mlv_http_listener { MLV_HTTP_PUBLIC = 0, MLV_HTTP_EDITORS } mlv_http_listener;

/* Starts serving `which` routes on a bound, listening socket (which it
 * then owns). */
struct MHD_Daemon *mlv_http_start(mlv_srv *srv, int listen_fd, mlv_http_listener which);
/* Closes every connection (cleanups run for requests in flight). */
void mlv_http_stop(struct MHD_Daemon *d);

/* The request header `name`: NULL if absent; *dup set if it appears more
 * than once (callers refuse that for the headers they act on). */
const char *mlv_http_header(mlv_http_req *r, const char *name, int *dup);

/* A response with the security headers; `type` NULL for an empty body. */
struct MHD_Response *mlv_http_response(const void *body, size_t len, enum MHD_ResponseMemoryMode mode,
                                       const char *type);
/* A response streaming `size` bytes of `fd` (which it then owns, and
 * closes even on failure), with the security headers. */
struct MHD_Response *mlv_http_response_fd(int fd, uint64_t size, const char *type);
/* Adds headers given as name, value, ..., NULL (a NULL value skips its
 * name). Returns `resp`, or NULL after releasing it if memory ran out;
 * NULL in, NULL out. */
struct MHD_Response *mlv_http_with(struct MHD_Response *resp, ...) __attribute__((sentinel));
/* A page or a file of the pages: the security headers with the pages'
 * Content-Security-Policy (scripts, styles and images from this origin
 * only, WebAssembly for libsodium, no inline code, no framing). */
struct MHD_Response *mlv_http_page_response(const void *body, size_t len, enum MHD_ResponseMemoryMode mode,
                                            const char *type);
/* An empty answer (204, 201, HEAD) with the security headers. */
struct MHD_Response *mlv_http_empty(void);
/*
 * Sends `resp` (NULL means out of memory) and releases it. While a body is
 * still to come the answer waits until the body has been read and dropped
 * (up to MLV_SRV_DRAIN_MAX_BYTES, else the connection is closed):
 * libmicrohttpd cannot answer mid-body, and closing on unread bytes makes
 * the peer's TCP reset the connection and lose the answer.
 */
enum MHD_Result mlv_http_send(mlv_http_req *r, unsigned status, struct MHD_Response *resp);
/* One line of text/plain naming the problem and what to do. */
struct MHD_Response *mlv_http_error_response(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
struct MHD_Response *mlv_http_error_vresponse(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
enum MHD_Result mlv_http_fail(mlv_http_req *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Route handlers (route_*.c). */
/* The page of the route's path (route_pages.c has the list). */
enum MHD_Result mlv_route_page(mlv_http_req *r, const char *data, size_t *data_size);
enum MHD_Result mlv_route_nojs_post(mlv_http_req *r, const char *data, size_t *data_size);
void mlv_route_nojs_done(mlv_http_req *r, enum MHD_RequestTerminationCode toe);
enum MHD_Result mlv_route_static(mlv_http_req *r, const char *data, size_t *data_size);
enum MHD_Result mlv_route_i18n(mlv_http_req *r, const char *data, size_t *data_size);
enum MHD_Result mlv_route_manifest(mlv_http_req *r, const char *data, size_t *data_size);
enum MHD_Result mlv_route_manifest_sig(mlv_http_req *r, const char *data, size_t *data_size);
enum MHD_Result mlv_route_org_key(mlv_http_req *r, const char *data, size_t *data_size);
enum MHD_Result mlv_route_pow(mlv_http_req *r, const char *data, size_t *data_size);
enum MHD_Result mlv_route_tus_options(mlv_http_req *r, const char *data, size_t *data_size);
enum MHD_Result mlv_route_tus_create(mlv_http_req *r, const char *data, size_t *data_size);
enum MHD_Result mlv_route_tus_head(mlv_http_req *r, const char *data, size_t *data_size);
enum MHD_Result mlv_route_tus_patch(mlv_http_req *r, const char *data, size_t *data_size);
void mlv_route_tus_patch_done(mlv_http_req *r, enum MHD_RequestTerminationCode toe);
enum MHD_Result mlv_route_tus_delete(mlv_http_req *r, const char *data, size_t *data_size);
enum MHD_Result mlv_route_export(mlv_http_req *r, const char *data, size_t *data_size);
enum MHD_Result mlv_route_export_ack(mlv_http_req *r, const char *data, size_t *data_size);
enum MHD_Result mlv_route_replies_import(mlv_http_req *r, const char *data, size_t *data_size);
void mlv_route_editors_done(mlv_http_req *r, enum MHD_RequestTerminationCode toe);
enum MHD_Result mlv_route_replies_register(mlv_http_req *r, const char *data, size_t *data_size);
enum MHD_Result mlv_route_replies_fetch(mlv_http_req *r, const char *data, size_t *data_size);
void mlv_route_replies_done(mlv_http_req *r, enum MHD_RequestTerminationCode toe);

#endif
