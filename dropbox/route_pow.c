/*
 * The proof of work (docs/PROTOCOL.md): GET /api/v1/pow hands out a
 * challenge and the bits a given length asks, and the gate every upload
 * creation passes. The work grows with the declared length, so a flood
 * pays in proportion to the share of the quota it could take
 * (MLV_SRV_POW_QUOTA_SHARES).
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include <sodium.h>

#include <malyava/limits.h>

#include "http.h"
#include "powcheck.h"
#include "tus_parse.h"

static unsigned bits_for(mlv_http_req *r, uint64_t length)
{
    return mlv_powcheck_bits_for(r->srv->pow, length, r->srv->cfg.max_disk_bytes);
}

enum MHD_Result mlv_route_pow(mlv_http_req *r, const char *data, size_t *data_size)
{
    uint8_t challenge[MLV_POW_CHALLENGE_BYTES];
    char hex[2u * MLV_POW_CHALLENGE_BYTES + 1u], body[128];
    const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "length");
    uint64_t length = 0;
    int n;

    (void)data;
    (void)data_size;
    /* Without ?length= the answer is for the smallest upload, as before
     * lengths counted: a larger one is then refused as too weak, with a
     * message that says how to ask. */
    if (v != NULL && mlv_tus_parse_u64(v, &length) != 0)
        return mlv_http_fail(r, MHD_HTTP_BAD_REQUEST,
                             "?length= must be the upload's length in bytes (decimal), as Upload-Length will say");
    mlv_powcheck_issue(r->srv->pow, mlv_powcheck_minute((int64_t)time(NULL)), challenge);
    sodium_bin2hex(hex, sizeof hex, challenge, sizeof challenge);
    n = snprintf(body, sizeof body, "{\"challenge\":\"%s\",\"bits\":%u}", hex, bits_for(r, length));
    return mlv_http_send(r, MHD_HTTP_OK,
                         mlv_http_response(body, (size_t)n, MHD_RESPMEM_MUST_COPY, "application/json"));
}

int mlv_route_pow_refused(mlv_http_req *r, uint64_t length, enum MHD_Result *rc)
{
    int dup;
    const char *v = mlv_http_header(r, "Malyava-Pow", &dup);
    unsigned bits = bits_for(r, length);
    const char *why;
    char secs[24];

    if (bits == 0)
        return 0;
    if (v == NULL) {
        *rc = mlv_http_fail(r, MHD_HTTP_PRECONDITION_REQUIRED,
                            "this drop-box asks for a proof of work before an upload: GET /api/v1/pow?length=%" PRIu64
                            ", solve it and send Malyava-Pow: <challenge>:<nonce> with this POST",
                            length);
        return 1;
    }
    switch (dup ? MLV_POWCHECK_MALFORMED
                : mlv_powcheck_verify_bits(r->srv->pow, v, mlv_powcheck_minute((int64_t)time(NULL)), bits)) {
    case MLV_POWCHECK_OK:
        return 0;
    case MLV_POWCHECK_MALFORMED:
        why = "Malyava-Pow must be sent once as <challenge, 64 hex>:<nonce, 16 hex>";
        break;
    case MLV_POWCHECK_FORGED:
        why = "this challenge was not issued by this drop-box (or it restarted since)";
        break;
    case MLV_POWCHECK_EXPIRED:
        why = "this challenge has expired";
        break;
    case MLV_POWCHECK_WEAK:
        *rc = mlv_http_fail(r, MHD_HTTP_FORBIDDEN,
                            "the nonce does not give enough leading zero bits: an upload of %" PRIu64
                            " bytes needs %u; fetch a new challenge from /api/v1/pow?length=%" PRIu64
                            " and solve it",
                            length, bits, length);
        return 1;
    case MLV_POWCHECK_REUSED:
        why = "this challenge was already used for an upload";
        break;
    case MLV_POWCHECK_FULL:
    default:
        snprintf(secs, sizeof secs, "%u", MLV_SRV_RETRY_AFTER_SECONDS);
        *rc = mlv_http_send(r, MHD_HTTP_SERVICE_UNAVAILABLE,
                            mlv_http_with(mlv_http_error_response("too many uploads were started recently; wait a "
                                                                  "few minutes and try again"),
                                          MHD_HTTP_HEADER_RETRY_AFTER, secs, NULL));
        return 1;
    }
    *rc = mlv_http_fail(r, MHD_HTTP_FORBIDDEN, "%s; fetch a new one from /api/v1/pow?length=%" PRIu64 " and solve it",
                        why, length);
    return 1;
}
