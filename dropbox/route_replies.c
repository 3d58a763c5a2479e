/*
 * The sources' reply routes (docs/PROTOCOL.md), POST so the login token
 * stays out of URLs and logs:
 *   POST /api/v1/replies/register  "<token hex>\n<reply public key hex>"
 *   POST /api/v1/replies/fetch     "<token hex>"
 * The server keeps BLAKE2b-256 of the token, never the token. Registering
 * costs the same proof of work as an upload; fetching answers a token the
 * server never saw exactly as an account without replies.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <malyava/manifest.h>

#include "http.h"
#include "log.h"
#include "pow_gate.h"
#include "replies_body.h"

typedef struct replies_req {
    char body[MLV_REPLIES_BODY_MAX];
    size_t len;
    int too_big;
} replies_req;

void mlv_route_replies_done(mlv_http_req *r, enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    if (r->state != NULL) {
        sodium_memzero(r->state, sizeof(replies_req));
        free(r->state);
        r->state = NULL;
    }
}

/* Collects the small body; returns 1 once it is all there. */
static int collect(mlv_http_req *r, const char *data, size_t *data_size, enum MHD_Result *rc)
{
    replies_req *q = r->state;
    size_t len = *data_size;

    *rc = MHD_YES;
    if (r->first) {
        q = calloc(1, sizeof *q);
        if (q == NULL)
            *rc = MHD_NO;
        r->state = q;
        return 0;
    }
    if (len == 0)
        return 1;
    *data_size = 0;
    if (q->too_big || len > sizeof q->body - q->len)
        q->too_big = 1;
    else {
        memcpy(q->body + q->len, data, len);
        q->len += len;
    }
    return 0;
}

/* The collected body parsed as `kind`; -1 if it is not of that form. */
static int parse(const mlv_http_req *r, mlv_replies_kind kind, uint8_t hash[MLV_DB_HASH_BYTES],
                 uint8_t key[MLV_DB_REPLY_KEY_BYTES])
{
    const replies_req *q = r->state;

    return q->too_big ? -1 : mlv_replies_body_parse(q->body, q->len, kind, hash, key);
}

enum MHD_Result mlv_route_replies_register(mlv_http_req *r, const char *data, size_t *data_size)
{
    uint8_t hash[MLV_DB_HASH_BYTES], key[MLV_DB_REPLY_KEY_BYTES];
    enum MHD_Result rc;

    if (!collect(r, data, data_size, &rc))
        return rc;
    if (parse(r, MLV_REPLIES_REGISTER, hash, key) != 0)
        return mlv_http_fail(r, MHD_HTTP_BAD_REQUEST,
                             "send the login token and the reply public key as two lines of 64 hex digits");
    if (mlv_pow_gate_refused(r, "before registering a codename", &rc))
        return rc;
    switch (mlv_db_account_register(r->srv->db, hash, key, mlv_day_today(), r->srv->cfg.max_reply_accounts)) {
    case MLV_DB_OK:
        return mlv_http_send(r, MHD_HTTP_NO_CONTENT, mlv_http_empty());
    case MLV_DB_CONFLICT:
        return mlv_http_fail(r, MHD_HTTP_CONFLICT,
                             "this token or this reply key is already registered with another; check the codename");
    case MLV_DB_FULL_COUNT:
        return mlv_http_fail(r, MHD_HTTP_SERVICE_UNAVAILABLE,
                             "this drop-box holds as many reply accounts as it can, each with replies waiting; "
                             "try again in a few days");
    default:
        return mlv_http_fail(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "the server could not do this; try again later");
    }
}

enum MHD_Result mlv_route_replies_fetch(mlv_http_req *r, const char *data, size_t *data_size)
{
    uint8_t hash[MLV_DB_HASH_BYTES], key[MLV_DB_REPLY_KEY_BYTES], *body = NULL;
    size_t len, count;
    enum MHD_Result rc;

    if (!collect(r, data, data_size, &rc))
        return rc;
    if (parse(r, MLV_REPLIES_FETCH, hash, key) != 0)
        return mlv_http_fail(r, MHD_HTTP_BAD_REQUEST, "send the login token as 64 hex digits");
    if (mlv_db_replies_fetch(r->srv->db, hash, mlv_day_today(), &body, &len, &count) != MLV_DB_OK)
        return mlv_http_fail(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "the server could not do this; try again later");
    /* No replies, or no account at all: the same answer, so a fetch
     * cannot tell whether a codename was ever registered. */
    if (count == 0)
        return mlv_http_send(r, MHD_HTTP_NO_CONTENT, mlv_http_empty());
    return mlv_http_send(r, MHD_HTTP_OK, mlv_http_response(body, len, MHD_RESPMEM_MUST_FREE, "application/octet-stream"));
}
