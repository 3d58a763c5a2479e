/*
 * What every harness shares. A harness is an LLVMFuzzerTestOneInput that
 * hands the bytes to one parser and frees all it got back, with
 * FUZZ_ASSERTs for what the parser promises beyond "does not crash" (a
 * canonical parse re-formats to the same bytes, a feed error sticks...).
 * LLVMFuzzerInitialize is here: fixed keys, a replayable random generator,
 * then the harness's own mlv_fuzz_harness_init if it has one. The same
 * harness links against libFuzzer in a clang -Dfuzz=true build and
 * against standalone.c everywhere else.
 */
#ifndef MALYAVA_TEST_FUZZ_H
#define MALYAVA_TEST_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <malyava/boxkey.h>
#include <malyava/manifest.h>
#include <malyava/payload.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise is a crash, so libFuzzer keeps the input. */
#define FUZZ_ASSERT(cond)                                                                  \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);   \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

/* The day every fixed manifest is valid on (2026-01-15), so a run never
 * depends on the clock. */
#define MLV_FUZZ_TODAY 20468

/* The passphrase of every fixed secret key file. */
#define MLV_FUZZ_PASSPHRASE "correct horse battery staple"

/*
 * Installs a deterministic random generator (before sodium_init, which
 * it then calls), so an input that crashed once crashes again on replay,
 * and derives the fixed keys. Aborts on failure: nothing can be fuzzed.
 */
void mlv_fuzz_init(void);
/* Optional, per harness: runs once after mlv_fuzz_init(). */
void mlv_fuzz_harness_init(void);
/* Restarts the generator; call at the top of every input. */
void mlv_fuzz_rng_reset(void);

/* The editor key pair every fixed envelope is sealed to (guarded memory). */
const mlv_box_keypair *mlv_fuzz_editor_key(void);
void mlv_fuzz_editor_public(mlv_box_public *out);
/* The editor that replies to the fixed editor key taken as a source's
 * reply key (docs/FORMAT.md §4.5), and a manifest listing only it. */
const mlv_box_keypair *mlv_fuzz_replier_key(void);
void mlv_fuzz_manifest_of_replier(mlv_manifest *out);
/* Other recipients, so seeds carry stanzas that are not ours; i < 8. */
void mlv_fuzz_other_public(unsigned i, mlv_box_public *out);
/* The organisation key that signs every fixed manifest. */
const mlv_org_public *mlv_fuzz_org_public(void);
const uint8_t *mlv_fuzz_org_secret(void);

/* A growing output buffer for write callbacks, with a hard cap so a
 * parser that writes without end is caught instead of eating memory. */
typedef struct mlv_fuzz_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max;
} mlv_fuzz_buf;

/* An mlv_env_write_fn: appends to the mlv_fuzz_buf at ctx; -1 past max. */
int mlv_fuzz_buf_write(void *ctx, const uint8_t *buf, size_t len);
void mlv_fuzz_buf_free(mlv_fuzz_buf *b);

/* The input as a C string, as an HTTP library hands a header value over
 * (malloc'd; the caller frees it). */
char *mlv_fuzz_cstring(const uint8_t *data, size_t size);

/*
 * Sizes to cut an input into, so streaming parsers see every kind of
 * boundary: single bytes, odd sizes, a whole chunk, the rest at once. The
 * sequence comes from a hash of the input, so it is the same on replay
 * and does not eat input bytes libFuzzer is trying to mutate.
 */
typedef struct mlv_fuzz_cutter {
    uint64_t state;
} mlv_fuzz_cutter;

void mlv_fuzz_cutter_init(mlv_fuzz_cutter *c, const uint8_t *data, size_t size);
size_t mlv_fuzz_cutter_next(mlv_fuzz_cutter *c, size_t remaining);

/* Aborts unless a record the parser accepted keeps every rule of
 * payload.h and limits.h, and survives encode -> decode unchanged. */
void mlv_fuzz_check_metadata(const mlv_metadata *m);

/*
 * Opens `len` bytes of envelope with the fixed editor key through the
 * payload opener, fed in pieces from `cutter`, and aborts if the opener
 * breaks its contract: callbacks out of order, more bytes than declared,
 * a file ended short, a feed error that does not stick, success without
 * metadata or with files missing. Returns the final status.
 */
mlv_env_status mlv_fuzz_open_payload(const uint8_t *env, size_t len, mlv_fuzz_cutter *cutter);

#endif
