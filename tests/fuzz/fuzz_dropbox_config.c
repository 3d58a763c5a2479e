/*
 * The server's configuration file (dropbox/config.c), through the same
 * mlv_cfg_load the server calls, and the listen-address parser on its own.
 * The file is the admin's, not a source's, but a typo must still never
 * crash the server or leave a setting out of its range, and what `init`
 * writes for a configuration must read back as the same configuration.
 *
 * dropbox/config.h offers no parser over bytes yet, so each input is
 * written to a private temporary file first.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include <malyava/fileio.h>

#include "config.h"
#include "fuzz.h"
#include "log.h"

static char tmp_dir[] = "/tmp/malyava-fuzz-config-XXXXXX";
static char tmp_path[sizeof tmp_dir + 16];

/* Stands in for dropbox/log.c: formats every message, so a bad format or
 * argument is still caught, without flooding the fuzzer's output. */
void mlv_log_msg(const char *fmt, ...)
{
    char line[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
}

static void remove_tmp(void)
{
    unlink(tmp_path);
    rmdir(tmp_dir);
}

void mlv_fuzz_harness_init(void)
{
    if (mkdtemp(tmp_dir) == NULL) {
        perror("fuzz: mkdtemp");
        abort();
    }
    snprintf(tmp_path, sizeof tmp_path, "%s/config", tmp_dir);
    atexit(remove_tmp);
}

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
}

static void write_tmp(const void *data, size_t size)
{
    int fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);

    FUZZ_ASSERT(fd >= 0 && mlv_file_write_all(fd, data, size) == 0 && close(fd) == 0);
}

static int same_cfg(const mlv_cfg *a, const mlv_cfg *b)
{
    return strcmp(a->listen, b->listen) == 0 && a->max_submission_bytes == b->max_submission_bytes &&
           a->max_disk_bytes == b->max_disk_bytes && a->min_free_bytes == b->min_free_bytes &&
           a->max_pending_uploads == b->max_pending_uploads && a->max_connections == b->max_connections &&
           a->timeout_seconds == b->timeout_seconds && a->upload_expiry_hours == b->upload_expiry_hours &&
           a->manifest_grace_days == b->manifest_grace_days && a->threads == b->threads &&
           a->has_export_token == b->has_export_token &&
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
    write_tmp(data, size);
    mlv_cfg_defaults(&cfg);
    if (mlv_cfg_load(&cfg, tmp_path) == 0) {
        check_loaded(&cfg);
        FUZZ_ASSERT(mlv_cfg_format(&cfg, &text, &text_len) == 0);
        write_tmp(text, text_len);
        free(text);
        mlv_cfg_defaults(&again);
        FUZZ_ASSERT(mlv_cfg_load(&again, tmp_path) == 0 && same_cfg(&cfg, &again));
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
