/*
 * Who may talk to the desk: only the browser tab of this session.
 *
 * `malyava desk` prints an address with a one-time secret
 * (http://127.0.0.1:PORT/open?k=SECRET). The first request bearing it gets
 * a session cookie (HttpOnly, SameSite=Strict, Path=/, named after the
 * port) and the secret dies; a new address (mlv_desk_gate_address) makes a
 * new secret, and exchanging it ends the previous session. Every other
 * request must carry the cookie (compared in constant time), name the
 * listener exactly in Host (no DNS rebinding: a name that resolves to
 * 127.0.0.1 is still refused), and come from this origin: Sec-Fetch-Site
 * "same-origin" (or "none" for a page the editor opens by hand), and for
 * anything but GET and HEAD an Origin header that is exactly this one.
 * Cookies do not tell ports apart, so a page served by another program on
 * 127.0.0.1 is "same-site" to a browser and gets the cookie: the Origin
 * and Sec-Fetch-Site checks are what keep such a page out.
 */
#ifndef MALYAVA_CLIENT_DESK_GATE_H
#define MALYAVA_CLIENT_DESK_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "desk_req.h"

#define MLV_DESK_SECRET_BYTES 32u
#define MLV_DESK_ADDRESS_BYTES 128u

typedef enum mlv_desk_verdict {
    MLV_DESK_PASS = 0,      /* this session's tab */
    MLV_DESK_EXCHANGE,      /* the one-time address: give the cookie */
    MLV_DESK_BAD_HOST,      /* Host is not exactly 127.0.0.1:PORT */
    MLV_DESK_NO_SESSION,    /* no cookie, another session's, or a used secret */
    MLV_DESK_BAD_ORIGIN     /* another origin (Origin, Sec-Fetch-Site) */
} mlv_desk_verdict;

typedef struct mlv_desk_gate mlv_desk_gate;

/* Guarded memory; NULL when out of memory. */
mlv_desk_gate *mlv_desk_gate_new(unsigned port);
void mlv_desk_gate_free(mlv_desk_gate *g);

/* A new one-time address into `url`; the previous one stops working. */
void mlv_desk_gate_address(mlv_desk_gate *g, char url[MLV_DESK_ADDRESS_BYTES]);
/* 1 while an address waits to be opened. */
int mlv_desk_gate_pending(const mlv_desk_gate *g);

mlv_desk_verdict mlv_desk_gate_check(const mlv_desk_gate *g, const mlv_desk_req *r);
/* After MLV_DESK_EXCHANGE: starts a new session (ending any other) and
 * writes its Set-Cookie value. */
void mlv_desk_gate_exchange(mlv_desk_gate *g, char *set_cookie, size_t size);

/* "http://127.0.0.1:PORT", for answers that name the origin. */
const char *mlv_desk_gate_origin(const mlv_desk_gate *g);

#endif
