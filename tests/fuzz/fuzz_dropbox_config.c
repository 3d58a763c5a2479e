/*
 * The server's configuration file (dropbox/config.c), through
 * mlv_cfg_parse, which mlv_cfg_load hands the file's bytes to, and the
 * listen-address parser on its own. The file is the admin's, not a
 * source's, but a typo must still never crash the server or leave a
 * setting out of its range, what `init` writes for a configuration must
 * read back as the same configuration, and `new-export-token`'s rewrite
 * of a file must change its token hash and nothing else.
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
    FUZZ_ASSERT(memchr(c->editors_listen, '\0', sizeof c->editors_listen) != NULL);
    FUZZ_ASSERT(strcmp(c->editors_listen, MLV_CFG_LISTEN_OFF) == 0 ||
                mlv_cfg_listen_parse(c->editors_listen, &ss, &ss_len) == 0);
    FUZZ_ASSERT(c->allow_public_listen <= 1 && c->allow_public_editors_listen <= 1);
    FUZZ_ASSERT(c->max_submission_bytes <= MLV_SRV_MAX_MAX_SUBMISSION_BYTES);
    FUZZ_ASSERT(c->max_pending_uploads >= 1 && c->max_pending_uploads <= MLV_SRV_MAX_MAX_PENDING_UPLOADS);
    FUZZ_ASSERT(c->max_connections >= 1 && c->max_connections <= MLV_SRV_MAX_MAX_CONNECTIONS);
    FUZZ_ASSERT(c->timeout_seconds >= MLV_SRV_MIN_TIMEOUT_SECONDS && c->timeout_seconds <= MLV_SRV_MAX_TIMEOUT_SECONDS);
    FUZZ_ASSERT(c->upload_expiry_hours >= 1 && c->upload_expiry_hours <= MLV_SRV_MAX_UPLOAD_EXPIRY_HOURS);
    FUZZ_ASSERT(c->manifest_grace_days <= MLV_SRV_MAX_MANIFEST_GRACE_DAYS);
    FUZZ_ASSERT(c->threads >= 1 && c->threads <= MLV_SRV_MAX_THREADS);
    FUZZ_ASSERT(c->pow_bits <= MLV_SRV_MAX_POW_BITS && c->seccomp <= MLV_HARDEN_REPORT);
    FUZZ_ASSERT(c->max_reply_accounts >= 1 && c->max_reply_accounts <= MLV_SRV_MAX_MAX_REPLY_ACCOUNTS);
    FUZZ_ASSERT(c->nojs_max_concurrent >= 1 && c->nojs_max_concurrent <= MLV_SRV_MAX_NOJS_MAX_CONCURRENT);
    FUZZ_ASSERT(c->nojs_min_rate >= 1 && c->nojs_grace_seconds >= 1);
}

/* Every setting but the export token. */
static int same_settings(const mlv_cfg *a, const mlv_cfg *b)
{
    return strcmp(a->listen, b->listen) == 0 && strcmp(a->editors_listen, b->editors_listen) == 0 &&
           a->allow_public_listen == b->allow_public_listen &&
           a->allow_public_editors_listen == b->allow_public_editors_listen &&
           a->max_submission_bytes == b->max_submission_bytes &&
           a->max_disk_bytes == b->max_disk_bytes && a->min_free_bytes == b->min_free_bytes &&
           a->max_pending_uploads == b->max_pending_uploads && a->max_connections == b->max_connections &&
           a->timeout_seconds == b->timeout_seconds && a->upload_expiry_hours == b->upload_expiry_hours &&
           a->manifest_grace_days == b->manifest_grace_days && a->threads == b->threads &&
           a->reply_account_days == b->reply_account_days && a->retention_days == b->retention_days &&
           a->max_reply_accounts == b->max_reply_accounts && a->nojs_max_concurrent == b->nojs_max_concurrent &&
           a->nojs_max_disk_bytes == b->nojs_max_disk_bytes && a->nojs_min_rate == b->nojs_min_rate &&
           a->nojs_grace_seconds == b->nojs_grace_seconds &&
           a->pow_bits == b->pow_bits && a->seccomp == b->seccomp;
}

static int same_cfg(const mlv_cfg *a, const mlv_cfg *b)
{
    return same_settings(a, b) && a->has_export_token == b->has_export_token &&
           memcmp(a->export_token_hash, b->export_token_hash, sizeof a->export_token_hash) == 0;
}

/* The rewrite new-export-token makes: the new hash, all else unchanged. */
static void check_token_rewrite(const mlv_cfg *c, const uint8_t *data, size_t size)
{
    uint8_t hash[MLV_CFG_TOKEN_HASH_BYTES];
    char *text = NULL;
    size_t len = 0;
    mlv_cfg again;

    for (size_t i = 0; i < sizeof hash; i++)
        hash[i] = (uint8_t)(0xa5u ^ i ^ (size > i ? data[i] : 0u));
    FUZZ_ASSERT(mlv_cfg_set_token_hash((const char *)data, size, hash, &text, &len) == 0);
    mlv_cfg_defaults(&again);
    FUZZ_ASSERT(mlv_cfg_parse(&again, text, len, "config") == 0 && same_settings(c, &again));
    FUZZ_ASSERT(again.has_export_token && memcmp(again.export_token_hash, hash, sizeof hash) == 0);
    free(text);
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
        check_token_rewrite(&cfg, data, size);
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
