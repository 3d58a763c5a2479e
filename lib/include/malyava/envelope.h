/*
 * The envelope: one encrypted stream per submission (docs/FORMAT.md §1).
 *
 * This layer turns a plaintext byte stream into an envelope and back. It
 * knows recipients, the header MAC and secretstream chunks; it knows
 * nothing of messages or files (payload.h builds on it) and does no I/O:
 * bytes go in through *_push / *_feed and come out through a write
 * callback, so the same code serves files, sockets and fuzzers.
 */
#ifndef MALYAVA_ENVELOPE_H
#define MALYAVA_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "boxkey.h"
#include "limits.h"

#define MLV_ENV_MAGIC "MALYAVA"
#define MLV_ENV_MAGIC_BYTES 7u
#define MLV_ENV_VERSION 1u
#define MLV_ENV_FLAG_SERVER_SEALED 0x01u
#define MLV_ENV_STANZA_X25519 0x01u
#define MLV_ENV_STANZA_BODY_BYTES 80u /* crypto_box_SEALBYTES + file key */
#define MLV_ENV_STANZA_BYTES (1u + MLV_KEY_ID_BYTES + 2u + MLV_ENV_STANZA_BODY_BYTES)
#define MLV_ENV_FIXED_BYTES 18u        /* magic, version, flags, count, payload length */
#define MLV_ENV_STREAM_HEADER_BYTES 24u
#define MLV_ENV_FILE_KEY_BYTES 32u
#define MLV_ENV_MAC_BYTES 32u
#define MLV_ENV_CHUNK_OVERHEAD 17u     /* crypto_secretstream ABYTES */
#define MLV_ENV_CHUNK_CT_BYTES (MLV_CHUNK_BYTES + MLV_ENV_CHUNK_OVERHEAD)
#define MLV_ENV_HEADER_BYTES(n) \
    (MLV_ENV_FIXED_BYTES + (n) * MLV_ENV_STANZA_BYTES + MLV_ENV_STREAM_HEADER_BYTES + MLV_ENV_MAC_BYTES)
#define MLV_ENV_MAX_HEADER_BYTES MLV_ENV_HEADER_BYTES(MLV_MAX_RECIPIENTS)
/* The receipt both sides compare: unkeyed BLAKE2b-128 of the whole envelope. */
#define MLV_RECEIPT_BYTES 16u
/* "xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx" + NUL */
#define MLV_RECEIPT_STR_BYTES 40u

typedef enum mlv_env_status {
    MLV_ENV_OK = 0,
    MLV_ENV_NEED_MORE,      /* header parser: not enough bytes yet */
    MLV_ENV_ERR_MALFORMED,  /* bad magic, flags, stanza type or length, duplicate ids, bad payload layout */
    MLV_ENV_ERR_VERSION,    /* a format version this build does not read */
    MLV_ENV_ERR_NOT_FOR_ME, /* no stanza for any key we hold */
    MLV_ENV_ERR_TAMPERED,   /* a stanza, the header MAC or a chunk failed authentication */
    MLV_ENV_ERR_TRUNCATED,  /* input ended before the FINAL chunk */
    MLV_ENV_ERR_TRAILING,   /* bytes after the FINAL chunk */
    MLV_ENV_ERR_LIMIT,      /* a count or size over limits.h */
    MLV_ENV_ERR_USAGE,      /* API misuse: bad arguments or call order */
    MLV_ENV_ERR_INPUT_CHANGED, /* sealing: a file's bytes differ from its declared length or digest */
    MLV_ENV_ERR_SYSTEM      /* out of memory, or the write callback failed */
} mlv_env_status;

/* A short sentence naming the problem and what to do about it. */
const char *mlv_env_strerror(mlv_env_status status);

/* Where output bytes go. Returns 0, or -1 to abort (MLV_ENV_ERR_SYSTEM). */
typedef int (*mlv_env_write_fn)(void *ctx, const uint8_t *buf, size_t len);

/* What can be learnt from a header without any key. */
typedef struct mlv_env_header {
    uint8_t version;
    uint8_t flags;
    uint32_t nrecipients;
    uint64_t payload_bytes; /* padded plaintext length the header declares */
    uint8_t key_ids[MLV_MAX_RECIPIENTS][MLV_KEY_ID_BYTES];
    size_t header_bytes; /* total, MAC included */
} mlv_env_header;

/*
 * Parses the public part of a header from the first `len` bytes of an
 * envelope. Returns MLV_ENV_NEED_MORE while `len` is too short to decide,
 * OK once the whole header is present (out->header_bytes tells its size),
 * or the error that makes the envelope invalid whatever follows. Checks
 * structure only: the MAC needs a file key. Used by the server to refuse
 * an upload from its first bytes.
 */
mlv_env_status mlv_env_header_parse(const uint8_t *buf, size_t len, mlv_env_header *out)
    __attribute__((warn_unused_result));

/* The exact size of a whole envelope: header plus every chunk. A server
 * compares it with the upload's declared length. */
uint64_t mlv_env_total_bytes(uint32_t nrecipients, uint64_t payload_bytes);

void mlv_env_receipt_to_string(char out[MLV_RECEIPT_STR_BYTES], const uint8_t receipt[MLV_RECEIPT_BYTES]);

/* ---- sealing ----------------------------------------------------------- */

typedef struct mlv_env_sealer mlv_env_sealer;

/*
 * Starts an envelope to `n` recipients (1..MLV_MAX_RECIPIENTS, distinct
 * ids) that will carry exactly `payload_bytes` of plaintext, and writes its
 * header through `write`. `flags` is 0 or MLV_ENV_FLAG_SERVER_SEALED.
 * Declaring the length up front lets an opener tell a cut-off envelope
 * from appended bytes at any position, not only at chunk boundaries.
 */
mlv_env_status mlv_env_seal_new(mlv_env_sealer **out, const mlv_box_public *recipients, size_t n,
                                uint64_t payload_bytes, uint8_t flags, mlv_env_write_fn write, void *write_ctx)
    __attribute__((warn_unused_result));
/* Plaintext in any number of pieces; more than declared is refused. */
mlv_env_status mlv_env_seal_push(mlv_env_sealer *s, const uint8_t *plaintext, size_t len)
    __attribute__((warn_unused_result));
/* Writes the last chunk, tagged FINAL, and fills in the receipt; fails if
 * fewer bytes than declared were pushed. */
mlv_env_status mlv_env_seal_finish(mlv_env_sealer *s, uint8_t receipt[MLV_RECEIPT_BYTES])
    __attribute__((warn_unused_result));
/* Wipes keys and buffers. NULL is fine. */
void mlv_env_seal_free(mlv_env_sealer *s);

/* ---- opening ----------------------------------------------------------- */

typedef struct mlv_env_opener mlv_env_opener;

/*
 * Opens with any of `nkeys` editor key pairs. Plaintext goes to `write`
 * one authenticated chunk at a time, in order; it is only final once
 * mlv_env_open_finish() returns MLV_ENV_OK (a later chunk may still fail),
 * so callers keep it provisional until then. `keys` (the array and the
 * key pairs) must outlive the opener: it is not copied.
 */
mlv_env_status mlv_env_open_new(mlv_env_opener **out, const mlv_box_keypair *const *keys, size_t nkeys,
                                mlv_env_write_fn write, void *write_ctx)
    __attribute__((warn_unused_result));
/* Ciphertext of any length, in any number of pieces. Once an error is
 * returned, every later call returns it again. */
mlv_env_status mlv_env_open_feed(mlv_env_opener *o, const uint8_t *ciphertext, size_t len)
    __attribute__((warn_unused_result));
/* End of input: requires the FINAL chunk to have been the last bytes. */
mlv_env_status mlv_env_open_finish(mlv_env_opener *o, uint8_t receipt[MLV_RECEIPT_BYTES])
    __attribute__((warn_unused_result));
/* The parsed header, or NULL until it has been authenticated. */
const mlv_env_header *mlv_env_open_header(const mlv_env_opener *o);
/* Which of the caller's keys opened it (index into `keys`), or -1. */
int mlv_env_open_key_index(const mlv_env_opener *o);
/* The file key, once the header is authenticated (for rewrap), else NULL. */
const uint8_t *mlv_env_open_file_key(const mlv_env_opener *o);
void mlv_env_open_free(mlv_env_opener *o);

/*
 * An opener for a header whose file key is already known (the editors'
 * vault keeps it, sealed, from the import): no stanza is opened, the
 * header MAC is still checked under that key, so a wrong key or a changed
 * header is TAMPERED. mlv_env_open_key_index() then answers -1.
 */
mlv_env_status mlv_env_open_new_file_key(mlv_env_opener **out, const uint8_t file_key[MLV_ENV_FILE_KEY_BYTES],
                                         mlv_env_write_fn write, void *write_ctx)
    __attribute__((warn_unused_result));

/* Opens a complete header with one of `keys` without an opener: its file
 * key (and which key opened it), the MAC checked. Fails as opening does. */
mlv_env_status mlv_env_header_open(const uint8_t *header, size_t len, const mlv_box_keypair *const *keys, size_t nkeys,
                                   uint8_t file_key[MLV_ENV_FILE_KEY_BYTES], int *key_index)
    __attribute__((warn_unused_result));

/* Ready for another envelope under another known file key (an opener
 * made by mlv_env_open_new_file_key); keeps its memory. */
mlv_env_status mlv_env_open_reset_file_key(mlv_env_opener *o, const uint8_t file_key[MLV_ENV_FILE_KEY_BYTES])
    __attribute__((warn_unused_result));

/* ---- rewrapping -------------------------------------------------------- */

/*
 * Re-seals an envelope's header for other editors without touching its
 * payload: opens the header with one of `keys`, then writes a new header
 * whose stanzas are the old ones minus those whose id is in `remove` (nremove
 * key ids back to back), plus
 * new ones for `add` (keys already present are skipped), with the MAC
 * recomputed. Everything after the old header stays valid: append it as
 * is. *out is malloc'd. Fails as opening does (NOT_FOR_ME, TAMPERED,
 * MALFORMED, LIMIT), TRUNCATED if `header_len` is short of the header, and
 * USAGE if no stanza would remain.
 */
mlv_env_status mlv_env_rewrap(const uint8_t *header, size_t header_len, const mlv_box_keypair *const *keys,
                              size_t nkeys, const mlv_box_public *add, size_t nadd,
                              const uint8_t *remove, size_t nremove, uint8_t **out, size_t *out_len)
    __attribute__((warn_unused_result));

#endif
