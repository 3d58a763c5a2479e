/*
 * The server's two listening sockets, `listen` (the sources' pages and
 * uploads) and `editors_listen` (export, ack, replies import): where they
 * may point, and opening them. Both belong on loopback, behind their own
 * onion services; anything else takes the admin's explicit word.
 */
#ifndef MALYAVA_DROPBOX_LISTEN_H
#define MALYAVA_DROPBOX_LISTEN_H

#include <stddef.h>

#include "config.h"

/* Room for "http://[<IPv6>]:<port>/". */
#define MLV_LISTEN_URL_BYTES 80u

/* 0 when each listener is on loopback (or off), or its address was
 * allowed with allow_public_listen / allow_public_editors_listen; else
 * prints what is refused, why and how to proceed, and returns -1: the
 * caller exits with a usage error. */
int mlv_listen_check(const mlv_cfg *c);

/* A bound, listening, non-blocking socket for `spec` (the value of the
 * setting named `setting`), and the URL it answers on (the real port when
 * `spec` asked for port 0). -1 after logging why. */
int mlv_listen_open(const char *spec, const char *setting, char url[MLV_LISTEN_URL_BYTES]);

#endif
