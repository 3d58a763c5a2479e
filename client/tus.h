/*
 * The client side of the drop-box's HTTP protocol (docs/PROTOCOL.md):
 * bounded GETs and a resumable tus 1.0 upload, over libcurl.
 *
 * Every request goes to the one origin given at creation, through the
 * given SOCKS proxy or none (environment proxies are ignored, so nothing
 * is sent around Tor by accident); redirects are never followed; no
 * User-Agent or Upload-Metadata is sent. Transient failures (a dropped
 * link, a timeout, a 5xx) are retried with exponential backoff and
 * jitter; an upload resumes from the offset the server reports. Errors
 * are printed with mlv_cli_error, naming what failed and what to do.
 */
#ifndef MALYAVA_CLIENT_TUS_H
#define MALYAVA_CLIENT_TUS_H

#include <stddef.h>
#include <stdint.h>

#include <malyava/envelope.h>

/* An upload id: 16 random bytes as lowercase hex, plus NUL. */
#define MLV_TUS_ID_BYTES 33u

typedef struct mlv_tus_client mlv_tus_client;

typedef struct mlv_tus_options {
    const char *proxy;  /* "socks5h://HOST:PORT", or NULL for a direct link */
    size_t chunk_bytes; /* MLV_SUBMIT_MIN_CHUNK_BYTES..MLV_SUBMIT_MAX_CHUNK_BYTES */
    unsigned retries;   /* failed attempts in a row before giving up */
    int progress;       /* draw a progress line on stderr */
} mlv_tus_options;

/*
 * Checks a drop-box URL: http or https, a host, no user name, query or
 * fragment, at most MLV_SUBMIT_MAX_URL_BYTES. Prints the problem and
 * returns -1. An .onion host without a proxy is refused too: its name
 * would go to the system's DNS resolver.
 */
int mlv_tus_check_url(const char *url, const char *proxy);

/* Accepts only socks5h:// proxies (names resolved by the proxy, so DNS
 * never leaks); prints why and returns -1 otherwise. */
int mlv_tus_check_proxy(const char *proxy);

/* Needs curl_global_init done. `base_url` passed mlv_tus_check_url; both
 * strings must outlive the client. Returns NULL (message printed) on
 * failure. */
mlv_tus_client *mlv_tus_new(const char *base_url, const mlv_tus_options *opts);
void mlv_tus_free(mlv_tus_client *c);

/*
 * GETs base_url + `path` ("/manifest"), retrying transient failures. The
 * body must be at most `max` bytes; *out is malloc'd with a NUL after it.
 */
int mlv_tus_get(mlv_tus_client *c, const char *path, size_t max, char **out, size_t *out_len);

/*
 * POSTs a small `body` to `path` (the replies routes), retrying what a
 * retry can fix like the upload does. 0 with the final *status and the
 * answer (at most `max` bytes, NUL-terminated, malloc'd), or -1 after a
 * message.
 */
int mlv_tus_post(mlv_tus_client *c, const char *path, const char *body, size_t len, size_t max, long *status,
                 char **out, size_t *out_len);

/*
 * As mlv_tus_post, with the proof of work the drop-box asks (GET
 * /api/v1/pow, solved here: about a second at the default difficulty)
 * sent as Malyava-Pow. A 403 (the challenge expired on a slow link, or
 * the server restarted) gets a fresh challenge, within the retry budget.
 */
int mlv_tus_post_pow(mlv_tus_client *c, const char *path, const char *body, size_t len, size_t max, long *status,
                     char **out, size_t *out_len);

/* Called once the server has created an upload, before any byte of it is
 * sent, so the caller can record the id for a later run. Returns 0, or -1
 * to abandon the upload. */
typedef int (*mlv_tus_created_fn)(void *ctx, const char id[MLV_TUS_ID_BYTES]);

/*
 * Uploads the `length` bytes of `fd` (read with pread, from offset 0).
 * `id` is an upload to continue (from an earlier run) or "" to create
 * one; on return it holds the upload last used. On success the server's
 * receipt for the completed upload is in `receipt`, unchecked: comparing
 * it with the local one is the caller's job.
 */
int mlv_tus_upload(mlv_tus_client *c, int fd, uint64_t length, char id[MLV_TUS_ID_BYTES],
                   mlv_tus_created_fn on_created, void *ctx, char receipt[MLV_RECEIPT_STR_BYTES]);

#endif
