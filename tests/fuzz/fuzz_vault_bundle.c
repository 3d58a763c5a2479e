/*
 * An export bundle as the editors' `malyava import` reads it
 * (mlv_bundle_open and friends in client/vdb.c, docs/FORMAT.md §4.2): an
 * SQLite file from a USB stick. The input is the file, written to a
 * private directory (on /dev/shm when there is one) and read through the
 * real code: identity, schema and row checks, then every submission's
 * chunks in order.
 *
 * Promises checked: an accepted bundle's chunks come in the order and
 * sizes its rows promised — each 1 to MLV_BUNDLE_CHUNK_BYTES bytes, adding
 * up to the submission's size — and a refused one says why.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <malyava/fileio.h>

#include "vdb.h"
#include "fuzz.h"

static char tmp_dir[64];
static char bundle_path[sizeof tmp_dir + 16];

static void remove_tmp(void)
{
    unlink(bundle_path);
    rmdir(tmp_dir);
}

void mlv_fuzz_harness_init(void);
void mlv_fuzz_harness_init(void)
{
    snprintf(tmp_dir, sizeof tmp_dir, "%s/malyava-fuzz-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    FUZZ_ASSERT(mkdtemp(tmp_dir) != NULL);
    snprintf(bundle_path, sizeof bundle_path, "%s/bundle", tmp_dir);
    atexit(remove_tmp);
}

typedef struct walk {
    mlv_bundle *b;
    uint64_t got;
    size_t subs;
} walk;

static int count_chunk(void *ctx, const uint8_t *data, size_t len)
{
    walk *w = ctx;

    (void)data;
    FUZZ_ASSERT(len >= 1 && len <= MLV_BUNDLE_CHUNK_BYTES);
    w->got += len;
    return 0;
}

static int each_sub(void *ctx, const mlv_bundle_sub *s)
{
    walk *w = ctx;

    w->got = 0;
    FUZZ_ASSERT(strlen(s->id) == 32 && strlen(s->receipt) == MLV_RECEIPT_STR_BYTES - 1);
    FUZZ_ASSERT(mlv_bundle_chunks(w->b, s->id, count_chunk, w) == MLV_VDB_OK);
    FUZZ_ASSERT(w->got == s->size);
    w->subs++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char reason[MLV_VDB_REASON_BYTES] = "";
    walk w = { 0 };
    size_t count = 0;
    mlv_vdb_status st;

    unlink(bundle_path);
    if (mlv_file_write_new(bundle_path, data, size) != 0)
        return 0;
    st = mlv_bundle_open(bundle_path, &w.b, &count, reason);
    if (st != MLV_VDB_OK) {
        FUZZ_ASSERT(w.b == NULL && reason[0] != '\0');
        return 0;
    }
    FUZZ_ASSERT(mlv_bundle_each(w.b, each_sub, &w) == MLV_VDB_OK);
    FUZZ_ASSERT(w.subs == count);
    mlv_bundle_close(w.b);
    return 0;
}
