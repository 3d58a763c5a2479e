/*
 * The proof-of-work gate of a request (docs/PROTOCOL.md, "Proof of
 * work"): the Malyava-Pow header checked against the server's challenges
 * and pow_bits, with the answer a refused request gets.
 */
#ifndef MALYAVA_DROPBOX_POW_GATE_H
#define MALYAVA_DROPBOX_POW_GATE_H

#include "http.h"

/*
 * 0 when the request carries good, unused work (then spent) or none is
 * asked (pow_bits 0). Otherwise 1, with *rc the answer already sent: 428
 * without the header, 403 for work that is malformed, forged, expired,
 * too weak or already used, 503 with Retry-After when too many challenges
 * were spent lately. `what` ends the 428's sentence ("before an upload").
 */
int mlv_pow_gate_refused(mlv_http_req *r, const char *what, enum MHD_Result *rc);

/* The same for work of `bits` rather than pow_bits (an upload's, which
 * grows with its length: mlv_powcheck_bits_for), with `ask` the path that
 * hands out challenges for it ("/api/v1/pow?length=N"); a 403 for weak
 * work says how many bits it needs. */
int mlv_pow_gate_refused_bits(mlv_http_req *r, const char *what, unsigned bits, const char *ask,
                              enum MHD_Result *rc);

#endif
