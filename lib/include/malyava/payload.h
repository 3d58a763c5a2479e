/*
 * The payload inside an envelope (docs/FORMAT.md §2): a metadata record
 * (message, structured fields, file list, reply key) as JSON, then the
 * file contents back to back, then zero padding to the PADMÉ size.
 *
 * Built on envelope.h. Sealing checks that what is fed matches what the
 * metadata declared (lengths and BLAKE2b digests), so a file that changes
 * while it is read can never produce an envelope that lies about itself.
 */
#ifndef MALYAVA_PAYLOAD_H
#define MALYAVA_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.h"

#define MLV_META_VERSION 1
#define MLV_FILE_DIGEST_BYTES 32u
#define MLV_REPLY_KEY_BYTES 32u

/* What the sealer did with metadata embedded in a file (EXIF, XMP, GPS). */
typedef enum mlv_file_meta {
    MLV_FILE_META_NONE = 0,   /* not inspected: not an image, or sealed by a tool that does not strip */
    MLV_FILE_META_STRIPPED,   /* removed before sealing */
    MLV_FILE_META_KEPT        /* the source chose to keep it, as evidence */
} mlv_file_meta;

typedef struct mlv_file_info {
    char *name;        /* UTF-8, 1..MLV_MAX_NAME_BYTES, no NUL, no '/' or '\\', not "." or ".." */
    char *media_type;  /* may be NULL */
    uint64_t length;
    uint8_t digest[MLV_FILE_DIGEST_BYTES]; /* unkeyed BLAKE2b-256 of the contents */
    mlv_file_meta meta;
} mlv_file_info;

typedef struct mlv_field {
    char *name;
    char *value;
} mlv_field;

typedef struct mlv_metadata {
    char *message; /* may be NULL */
    size_t nfields;
    mlv_field *fields;
    size_t nfiles;
    mlv_file_info *files;
    int has_reply_key;
    uint8_t reply_key[MLV_REPLY_KEY_BYTES];
} mlv_metadata;

/* Wipes and frees everything the record owns (not the struct itself). */
void mlv_meta_clear(mlv_metadata *m);
/* Canonical JSON for the record; *out is malloc'd, caller wipes and frees.
 * Returns MLV_ENV_ERR_LIMIT or MALFORMED when the record breaks a rule. */
mlv_env_status mlv_meta_encode(const mlv_metadata *m, char **out, size_t *out_len)
    __attribute__((warn_unused_result));
/* Strict: unknown keys, wrong types, bad names, over-limit sizes refused. */
mlv_env_status mlv_meta_decode(const char *json, size_t len, mlv_metadata *out)
    __attribute__((warn_unused_result));
/* 0 if `name` is acceptable as a file name in the record, else -1:
 * 1..MLV_MAX_NAME_BYTES of UTF-8, no control character (C0, DEL, C1), no
 * '/' or '\\', not "." or "..". Sealers replace what fails (docs/FORMAT.md §2.2). */
int mlv_meta_name_ok(const char *name, size_t len);
/* 0 if `text` is acceptable as the message or a field value: UTF-8 of
 * Unicode scalar values, no NUL. Exactly what decoding accepts. */
int mlv_meta_text_ok(const char *text, size_t len);
/* A deep copy of a decoded or valid record; SYSTEM when out of memory. */
mlv_env_status mlv_meta_copy(const mlv_metadata *m, mlv_metadata *out)
    __attribute__((warn_unused_result));

/* ---- sealing ----------------------------------------------------------- */

typedef struct mlv_pay_sealer mlv_pay_sealer;

/* Writes header and metadata record. `meta` must already carry each
 * file's length and digest (a first pass over the files computes them). */
mlv_env_status mlv_pay_seal_new(mlv_pay_sealer **out, const mlv_box_public *recipients, size_t n,
                                uint8_t flags, const mlv_metadata *meta, mlv_env_write_fn write,
                                void *write_ctx) __attribute__((warn_unused_result));
/* File contents in declared order, in pieces of any size. */
mlv_env_status mlv_pay_seal_data(mlv_pay_sealer *s, const uint8_t *buf, size_t len)
    __attribute__((warn_unused_result));
/* Pads and writes the FINAL chunk; fails if any declared byte is missing. */
mlv_env_status mlv_pay_seal_finish(mlv_pay_sealer *s, uint8_t receipt[MLV_RECEIPT_BYTES])
    __attribute__((warn_unused_result));
void mlv_pay_seal_free(mlv_pay_sealer *s);

/* ---- opening ----------------------------------------------------------- */

/* Each callback returns 0, or -1 to abort with MLV_ENV_ERR_SYSTEM. Data is
 * provisional until mlv_pay_open_finish() returns MLV_ENV_OK. */
typedef struct mlv_pay_callbacks {
    int (*on_metadata)(void *ctx, const mlv_metadata *meta);
    int (*on_file_data)(void *ctx, size_t index, const uint8_t *buf, size_t len);
    int (*on_file_end)(void *ctx, size_t index); /* length and digest checked */
} mlv_pay_callbacks;

typedef struct mlv_pay_opener mlv_pay_opener;

mlv_env_status mlv_pay_open_new(mlv_pay_opener **out, const mlv_box_keypair *const *keys, size_t nkeys,
                                const mlv_pay_callbacks *cb, void *cb_ctx)
    __attribute__((warn_unused_result));
/* The same, for a known file key (see mlv_env_open_new_file_key). */
mlv_env_status mlv_pay_open_new_file_key(mlv_pay_opener **out, const uint8_t file_key[MLV_ENV_FILE_KEY_BYTES],
                                         const mlv_pay_callbacks *cb, void *cb_ctx)
    __attribute__((warn_unused_result));
/* Makes `o` ready for another envelope under another known file key,
 * keeping its (locked) buffers: one opener for thousands of small
 * envelopes, as the vault lists and searches them. */
mlv_env_status mlv_pay_open_reset_file_key(mlv_pay_opener *o, const uint8_t file_key[MLV_ENV_FILE_KEY_BYTES])
    __attribute__((warn_unused_result));
mlv_env_status mlv_pay_open_feed(mlv_pay_opener *o, const uint8_t *buf, size_t len)
    __attribute__((warn_unused_result));
mlv_env_status mlv_pay_open_finish(mlv_pay_opener *o, uint8_t receipt[MLV_RECEIPT_BYTES])
    __attribute__((warn_unused_result));
/* The envelope layer underneath (header, key index). */
const mlv_env_opener *mlv_pay_open_envelope(const mlv_pay_opener *o);
void mlv_pay_open_free(mlv_pay_opener *o);

/* ---- padding ----------------------------------------------------------- */

/* PADMÉ: the padded size for `len` bytes of payload (docs/FORMAT.md §2.3). */
uint64_t mlv_pad_padme(uint64_t len);

#endif
