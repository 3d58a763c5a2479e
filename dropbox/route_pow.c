/*
 * GET /api/v1/pow (docs/PROTOCOL.md): a challenge and the bits a given
 * length asks. The work grows with the declared length, so a flood pays in
 * proportion to the share of the quota it could take
 * (MLV_SRV_POW_QUOTA_SHARES); pow_gate.c checks it.
 */
#include <stdio.h>
#include <time.h>

#include <sodium.h>

#include <malyava/limits.h>

#include "http.h"
#include "powcheck.h"
#include "tus_parse.h"

enum MHD_Result mlv_route_pow(mlv_http_req *r, const char *data, size_t *data_size)
{
    uint8_t challenge[MLV_POW_CHALLENGE_BYTES];
    char hex[2u * MLV_POW_CHALLENGE_BYTES + 1u], body[128];
    const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "length");
    uint64_t length = 0;
    int n;

    (void)data;
    (void)data_size;
    /* Without ?length= the answer is for the smallest upload, which is
     * what a codename registration asks too: a larger upload is then
     * refused as too weak, with a message that says how to ask. */
    if (v != NULL && mlv_tus_parse_u64(v, &length) != 0)
        return mlv_http_fail(r, MHD_HTTP_BAD_REQUEST,
                             "?length= must be the upload's length in bytes (decimal), as Upload-Length will say");
    mlv_powcheck_issue(r->srv->pow, mlv_powcheck_minute((int64_t)time(NULL)), challenge);
    sodium_bin2hex(hex, sizeof hex, challenge, sizeof challenge);
    n = snprintf(body, sizeof body, "{\"challenge\":\"%s\",\"bits\":%u}", hex,
                 mlv_powcheck_bits_for(r->srv->pow, length, r->srv->cfg.max_disk_bytes));
    return mlv_http_send(r, MHD_HTTP_OK,
                         mlv_http_response(body, (size_t)n, MHD_RESPMEM_MUST_COPY, "application/json"));
}
