/*
 * Key ids and fingerprints.
 *
 * A key id is the first 8 bytes of unkeyed BLAKE2b-256 of the public key,
 * so an id can never be paired with the wrong key: anyone holding the
 * public key recomputes it. A fingerprint is the first 16 bytes of the
 * same digest, written for people to compare aloud or on paper.
 */
#ifndef MALYAVA_KEYID_H
#define MALYAVA_KEYID_H

#include <stddef.h>
#include <stdint.h>

#define MLV_KEY_ID_BYTES 8u
/* "xxxx xxxx xxxx xxxx xxxx xxxx xxxx xxxx" + NUL */
#define MLV_FINGERPRINT_STR_BYTES 40u
/* 16 hex digits + NUL */
#define MLV_KEY_ID_STR_BYTES (MLV_KEY_ID_BYTES * 2u + 1u)

void mlv_keyid_compute(uint8_t id[MLV_KEY_ID_BYTES], const uint8_t *pk, size_t pk_len);
void mlv_keyid_to_hex(char out[MLV_KEY_ID_STR_BYTES], const uint8_t id[MLV_KEY_ID_BYTES]);
/* 0 on success, -1 unless exactly 16 lowercase or uppercase hex digits. */
int mlv_keyid_from_hex(uint8_t id[MLV_KEY_ID_BYTES], const char *hex, size_t hex_len);
void mlv_keyid_fingerprint(char out[MLV_FINGERPRINT_STR_BYTES], const uint8_t *pk, size_t pk_len);

#endif
