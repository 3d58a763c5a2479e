/* A source's codename kept in a file, for `submit --codename-file` and `replies`. */
#ifndef MALYAVA_CLIENT_CODEFILE_H
#define MALYAVA_CLIENT_CODEFILE_H

#include <stdint.h>

#include <malyava/codename.h>

#include "tus.h"

/*
 * Derives the reply key pair and login token from the codename in `path`.
 * With `create` and no such file, makes a new codename, writes it there
 * (0600) and tells the person to write it down. -1 after a message.
 */
int mlv_codefile_load(const char *path, int create, mlv_box_keypair *reply, uint8_t token[MLV_CODENAME_TOKEN_BYTES]);

/* Registers the reply key for the token at the drop-box, paying its
 * proof of work (idempotent: an account already there is left as it is). */
int mlv_codefile_register(mlv_tus_client *c, const mlv_box_keypair *reply,
                          const uint8_t token[MLV_CODENAME_TOKEN_BYTES]);

#endif
