/* See pow_gate.h. */
#include "pow_gate.h"

#include <stdio.h>
#include <time.h>

#include <malyava/limits.h>

#include "powcheck.h"

/* Why work was refused with 403, by mlv_powcheck_status. */
static const char *const refused_because[] = {
    [MLV_POWCHECK_MALFORMED] = "Malyava-Pow must be sent once as <challenge, 64 hex>:<nonce, 16 hex>",
    [MLV_POWCHECK_FORGED] = "this challenge was not issued by this drop-box (or it restarted since)",
    [MLV_POWCHECK_EXPIRED] = "this challenge has expired",
    [MLV_POWCHECK_WEAK] = "the nonce does not give enough leading zero bits",
    [MLV_POWCHECK_REUSED] = "this challenge was already used",
};

int mlv_pow_gate_refused(mlv_http_req *r, const char *what, enum MHD_Result *rc)
{
    return mlv_pow_gate_refused_bits(r, what, mlv_powcheck_bits(r->srv->pow), "/api/v1/pow", rc);
}

int mlv_pow_gate_refused_bits(mlv_http_req *r, const char *what, unsigned bits, const char *ask,
                              enum MHD_Result *rc)
{
    int dup;
    const char *v = mlv_http_header(r, "Malyava-Pow", &dup);
    mlv_powcheck_status st;
    char secs[24];

    if (bits == 0)
        return 0;
    if (v == NULL) {
        *rc = mlv_http_fail(r, MHD_HTTP_PRECONDITION_REQUIRED,
                            "this drop-box asks for a proof of work %s: GET %s, solve it and send "
                            "Malyava-Pow: <challenge>:<nonce> with this POST", what, ask);
        return 1;
    }
    st = dup ? MLV_POWCHECK_MALFORMED
             : mlv_powcheck_verify_bits(r->srv->pow, v, mlv_powcheck_minute((int64_t)time(NULL)), bits);
    if (st == MLV_POWCHECK_OK)
        return 0;
    if (st < sizeof refused_because / sizeof refused_because[0] && refused_because[st] != NULL) {
        *rc = mlv_http_fail(r, MHD_HTTP_FORBIDDEN, "%s%s; fetch a new one from %s and solve it (%u bits)",
                            refused_because[st], st == MLV_POWCHECK_WEAK ? " for this request" : "", ask, bits);
        return 1;
    }
    snprintf(secs, sizeof secs, "%u", MLV_SRV_RETRY_AFTER_SECONDS);
    *rc = mlv_http_send(r, MHD_HTTP_SERVICE_UNAVAILABLE,
                        mlv_http_with(mlv_http_error_response("too many proofs of work were spent recently; wait a "
                                                              "few minutes and try again"),
                                      MHD_HTTP_HEADER_RETRY_AFTER, secs, NULL));
    return 1;
}
