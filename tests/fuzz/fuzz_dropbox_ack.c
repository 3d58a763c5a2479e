/*
 * The ack file editors carry back across the air gap (dropbox/airgap.c,
 * docs/FORMAT.md §4): it decides what the server deletes, so a forged or
 * damaged one must be refused whole, never half-read. The input is the
 * file's bytes, handed over as `malyava-dropbox ack` and the ack route do.
 */
#include <string.h>

#include <sodium.h>

#include "airgap.h"
#include "fuzz.h"

static int is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mlv_ack_entry *e = NULL;
    size_t n = 99;
    char why[160];
    int rc;

    if (size > MLV_SRV_MAX_ACK_BYTES)
        return 0;
    why[0] = '\0';
    rc = mlv_airgap_ack_parse((const char *)data, size, &e, &n, why, sizeof why);
    if (rc != 0) {
        /* Refused: nothing handed back, and a reason for the editor. */
        FUZZ_ASSERT(e == NULL && n == 0);
        FUZZ_ASSERT(why[0] != '\0' && memchr(why, '\0', sizeof why) != NULL);
        return 0;
    }
    /* Accepted: the magic line, then exactly n lines of fixed length, each
     * id 32 lowercase hex digits, each id once, the receipt as written. */
    FUZZ_ASSERT(size >= sizeof MLV_ACK_MAGIC && memcmp(data, MLV_ACK_MAGIC "\n", sizeof MLV_ACK_MAGIC) == 0);
    FUZZ_ASSERT(n <= MLV_BUNDLE_MAX_SUBMISSIONS);
    FUZZ_ASSERT(n == 0 || (size - sizeof MLV_ACK_MAGIC) / n * n == size - sizeof MLV_ACK_MAGIC);
    FUZZ_ASSERT(e != NULL);
    for (size_t i = 0; i < n; i++) {
        const char *line = (const char *)data + sizeof MLV_ACK_MAGIC + i * ((size - sizeof MLV_ACK_MAGIC) / n);
        char hex[2u * MLV_RECEIPT_BYTES + 1u];
        size_t j = 0;

        FUZZ_ASSERT(e[i].id[32] == '\0' && is_lower_hex(e[i].id, 32) && memcmp(e[i].id, line, 32) == 0);
        sodium_bin2hex(hex, sizeof hex, e[i].receipt, sizeof e[i].receipt);
        for (size_t k = 33; line[k] != '\n'; k++) {
            if (line[k] != '-')
                FUZZ_ASSERT(line[k] == hex[j++]);
        }
        FUZZ_ASSERT(j == 2u * MLV_RECEIPT_BYTES);
        for (size_t k = 0; k < i; k++)
            FUZZ_ASSERT(memcmp(e[k].id, e[i].id, 32) != 0);
    }
    free(e);
    return 0;
}
