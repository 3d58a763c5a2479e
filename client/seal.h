/*
 * Sealing files from disk into an envelope, shared by `malyava seal` and
 * `malyava submit`: a first pass over each file takes its length and
 * digest, a second pass streams it through the sealer.
 */
#ifndef MALYAVA_CLIENT_SEAL_H
#define MALYAVA_CLIENT_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include <malyava/manifest.h>
#include <malyava/payload.h>

#include "tus.h"

typedef struct mlv_seal_request {
    const char *message;   /* may be NULL */
    const mlv_field *fields;
    size_t nfields;
    char *const *paths;    /* files to attach */
    size_t npaths;
    int has_reply_key;
    uint8_t reply_key[MLV_REPLY_KEY_BYTES];
} mlv_seal_request;

/* Reads and parses an organisation public key file; prints why not. */
int mlv_seal_load_org(const char *org_path, mlv_org_public *out);

/*
 * Loads the organisation key from `org_path`, verifies `manifest_path`
 * (and `manifest_path`.minisig) for today, and fills `out`. On failure
 * prints a message naming the file and the fix, and returns -1.
 */
int mlv_seal_load_manifest(const char *manifest_path, const char *org_path, mlv_manifest *out);

/*
 * The manifest as the drop-box serves it (GET /manifest and its
 * signature), verified for today with the organisation key pinned in
 * `org_path`, never the server's word. On failure prints why, then
 * `consequence` ("Nothing was sent"), and returns -1.
 */
int mlv_seal_fetch_manifest(mlv_tus_client *client, const char *org_path, const char *consequence,
                            mlv_manifest *out);

/* Seals the request to every key of `manifest` into the new file `out_path`
 * (created 0600, O_EXCL), fsynced. Prints errors; returns 0 or -1. */
int mlv_seal_to_file(const mlv_manifest *manifest, const mlv_seal_request *req, const char *out_path,
                     uint8_t receipt[MLV_RECEIPT_BYTES]);

#endif
