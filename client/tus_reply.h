/*
 * What a drop-box's answer says, read from the header lines and body
 * bytes libcurl hands over (docs/PROTOCOL.md). No I/O: client/tus.c feeds
 * it, and tests/fuzz/fuzz_tus_reply.c feeds it hostile bytes, since a
 * seized or impersonated server chooses every one of them.
 */
#ifndef MALYAVA_CLIENT_TUS_REPLY_H
#define MALYAVA_CLIENT_TUS_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include <malyava/envelope.h>
#include <malyava/limits.h>

#include "tus.h"

/* What one response said, from its status line and the headers we act on. */
typedef struct mlv_tus_reply {
    long status;
    int bad;          /* a header we act on is repeated or malformed */
    int tus;          /* Tus-Resumable: 1.0.0 */
    int has_offset, has_length, has_receipt;
    uint64_t offset, length;
    unsigned retry_after;
    char location[160]; /* "" if absent */
    char receipt[MLV_RECEIPT_STR_BYTES];
    char text[MLV_SUBMIT_MAX_ERROR_BYTES + 1]; /* the start of an error body */
    size_t text_len;
    /* GET bodies: the caller's buffer of body_max bytes, or none */
    uint8_t *body;
    size_t body_len, body_max;
    int body_over;
} mlv_tus_reply;

/* Forgets the previous response, keeping the caller's body buffer. */
void mlv_tus_reply_reset(mlv_tus_reply *r);

/* One header line as libcurl gives it, CRLF included. A status line
 * ("HTTP/1.1 200 OK") starts a new response: after a redirect or a
 * 100 Continue only the last response counts. */
void mlv_tus_reply_header(mlv_tus_reply *r, const char *line, size_t len);

/* Body bytes: the start kept as error text; for a 200, all of it into the
 * body buffer. -1 (and body_over) once the body would pass body_max. */
int mlv_tus_reply_body(mlv_tus_reply *r, const char *buf, size_t len);

/*
 * Takes the upload id from a Location header. Only a path on the same
 * server, or a URL starting with `base` (no trailing slash) then '/', is
 * accepted: the upload must never be steered to another host. 0 or -1.
 */
int mlv_tus_reply_location_id(const char *base, const char *loc, char id[MLV_TUS_ID_BYTES]);

#endif
