/*
 * An editor's X25519 key pair as the envelope layer sees it.
 *
 * Whoever creates one puts it in sodium_malloc memory (see keyfile.h:
 * mlv_key_box_new) so the secret half is guarded, locked and wiped.
 */
#ifndef MALYAVA_BOXKEY_H
#define MALYAVA_BOXKEY_H

#include <stdint.h>

#include "keyid.h"

#define MLV_BOX_PUBLIC_BYTES 32u
#define MLV_BOX_SECRET_BYTES 32u

typedef struct mlv_box_keypair {
    uint8_t id[MLV_KEY_ID_BYTES];
    uint8_t pk[MLV_BOX_PUBLIC_BYTES];
    uint8_t sk[MLV_BOX_SECRET_BYTES];
} mlv_box_keypair;

/* A recipient: what a sealer needs to know of an editor key. */
typedef struct mlv_box_public {
    uint8_t id[MLV_KEY_ID_BYTES];
    uint8_t pk[MLV_BOX_PUBLIC_BYTES];
} mlv_box_public;

#endif
