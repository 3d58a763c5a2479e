/*
 * The server's configuration file (dropbox/config.c), through
 * mlv_cfg_parse, which mlv_cfg_load hands the file's bytes to, and the
 * listen-address parser on its own. The file is the admin's, not a
 * source's, but a typo must still never crash the server or leave a
 * setting out of its range, and what `init` writes for a configuration
 * must read back as the same configuration.
 */
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "harden.h"

static void check_loaded(const mlv_cfg *c)
{
    struct sockaddr_storage ss;
    socklen_t ss_len;

    FUZZ_ASSERT(memchr(c->listen, '\0', sizeof c->listen) != NULL);
    FUZZ_ASSERT(mlv_cfg_listen_parse(c->listen, &ss, &ss_len) == 0);
    FUZZ_ASSERT(c->max_submission_bytes <= MLV_SRV_MAX_MAX_SUBMISSION_BYTES);
    FUZZ_ASSERT(c->max_pending_uploads >= 1 && c->max_pending_uploads <= MLV_SRV_MAX_MAX_PENDING_UPLOADS);
    FUZZ_ASSERT(c->max_connections >= 1 && c->max_connections <= MLV_SRV_MAX_MAX_CONNECTIONS);
    FUZZ_ASSERT(c->timeout_seconds >= MLV_SRV_MIN_TIMEOUT_SECONDS && c->timeout_seconds <= MLV_SRV_MAX_TIMEOUT_SECONDS);
    FUZZ_ASSERT(c->upload_expiry_hours >= 1 && c->upload_expiry_hours <= MLV_SRV_MAX_UPLOAD_EXPIRY_HOURS);
    FUZZ_ASSERT(c->manifest_grace_days <= MLV_SRV_MAX_MANIFEST_GRACE_DAYS);
    FUZZ_ASSERT(c->threads >= 1 && c->threads <= MLV_SRV_MAX_THREADS);
    FUZZ_ASSERT(c->pow_bits <= MLV_SRV_MAX_POW_BITS && c->seccomp <= MLV_HARDEN_REPORT);
}

static int same_cfg(const mlv_cfg *a, const mlv_cfg *b)
{
    return strcmp(a->listen, b->listen) == 0 && a->max_submission_bytes == b->max_submission_bytes &&
           a->max_disk_bytes == b->max_disk_bytes && a->min_free_bytes == b->min_free_bytes &&
           a->max_pending_uploads == b->max_pending_uploads && a->max_connections == b->max_connections &&
           a->timeout_seconds == b->timeout_seconds && a->upload_expiry_hours == b->upload_expiry_hours &&
           a->manifest_grace_days == b->manifest_grace_days && a->threads == b->threads &&
           a->export_lockout_seconds == b->export_lockout_seconds &&
           a->reply_account_days == b->reply_account_days && a->retention_days == b->retention_days &&
           a->pow_bits == b->pow_bits && a->seccomp == b->seccomp && a->has_export_token == b->has_export_token &&
           memcmp(a->export_token_hash, b->export_token_hash, sizeof a->export_token_hash) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t ss_len;
    mlv_cfg cfg, again;
    char *text = NULL;
    size_t text_len = 0;

    mlv_fuzz_rng_reset();
    mlv_cfg_defaults(&cfg);
    if (mlv_cfg_parse(&cfg, (const char *)data, size, "config") == 0) {
        check_loaded(&cfg);
        FUZZ_ASSERT(mlv_cfg_format(&cfg, &text, &text_len) == 0);
        mlv_cfg_defaults(&again);
        FUZZ_ASSERT(mlv_cfg_parse(&again, text, text_len, "config") == 0 && same_cfg(&cfg, &again));
        free(text);
    }

    /* The listen parser takes a C string from a flag or a config line. */
    text = malloc(size + 1);
    FUZZ_ASSERT(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    (void)mlv_cfg_listen_parse(text, &ss, &ss_len);
    free(text);
    return 0;
}
