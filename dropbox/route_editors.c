/*
 * The editors' routes, served only on the editors' listener and behind the
 * export token (docs/PROTOCOL.md):
 *   GET  /api/v1/export          the export bundle
 *   POST /api/v1/export/ack      an ack file -> purge
 *   POST /api/v1/replies/import  a replies bundle -> stored replies
 *
 * Bundles pass through a 0600 temporary file in the data directory,
 * "bundle-<random>.tmp", unlinked as soon as it is open (export) or read
 * (import); start-up recovery removes any a crash leaves behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/limits.h>
#include <malyava/manifest.h>

#include "airgap.h"
#include "http.h"
#include "log.h"

#define BUNDLE_TYPE "application/vnd.malyava.bundle"
#define BUNDLE_TEMP_NAME_BYTES (sizeof "bundle-" - 1u + MLV_STORE_ID_HEX_BYTES + sizeof ".tmp")

typedef struct editors_req {
    char temp[BUNDLE_TEMP_NAME_BYTES]; /* a temporary still to remove, or "" */
    int fd;
    char *body; /* ack file */
    uint64_t len;
    int too_big;
} editors_req;

/* Does the request carry the export token? Compared as BLAKE2b-256
 * hashes in constant time; the token itself only in guarded memory. */
static int token_ok(mlv_http_req *r, const uint8_t want[MLV_CFG_TOKEN_HASH_BYTES])
{
    uint8_t hash[MLV_CFG_TOKEN_HASH_BYTES], *token = NULL;
    const char *v;
    size_t len = 0;
    int dup, ok = 0;

    v = mlv_http_header(r, MHD_HTTP_HEADER_AUTHORIZATION, &dup);
    if (v == NULL || dup || strncasecmp(v, "Bearer ", 7) != 0)
        return 0;
    token = sodium_malloc(MLV_SRV_EXPORT_TOKEN_BYTES);
    if (token == NULL)
        return 0;
    if (sodium_base642bin(token, MLV_SRV_EXPORT_TOKEN_BYTES, v + 7, strlen(v + 7), NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
        len == MLV_SRV_EXPORT_TOKEN_BYTES) {
        crypto_generichash(hash, sizeof hash, token, len, NULL, 0);
        ok = crypto_verify_32(hash, want) == 0;
    }
    sodium_free(token);
    return ok;
}

/*
 * 1 when the request may go on; otherwise the answer is sent (401, 403,
 * or 503 when the configuration does not load) and *rc holds its result.
 * The token's hash is read from DATA_DIR/config for every request, so the
 * one `new-export-token` writes counts from its next request on, and the
 * old one is refused at once. No count of failures is kept: a stranger
 * cannot make the routes refuse the right token.
 */
static int authorized(mlv_http_req *r, enum MHD_Result *rc)
{
    struct MHD_Response *resp;
    char path[PATH_MAX];
    mlv_cfg now;

    mlv_cfg_defaults(&now);
    snprintf(path, sizeof path, "%s/%s", r->srv->data_dir, MLV_STORE_CONFIG);
    if (mlv_cfg_load(&now, path) != 0) {
        *rc = mlv_http_fail(r, MHD_HTTP_SERVICE_UNAVAILABLE,
                            "the server cannot read its configuration; its administrator should run "
                            "`malyava-dropbox serve DATA_DIR --check-config`");
        return 0;
    }
    if (!now.has_export_token) {
        *rc = mlv_http_fail(r, MHD_HTTP_FORBIDDEN,
                            "this drop-box has no export token configured; its administrator exports with "
                            "`malyava-dropbox export` or makes one with `malyava-dropbox new-export-token`");
        return 0;
    }
    if (token_ok(r, now.export_token_hash))
        return 1;
    resp = mlv_http_error_response("the export token is missing or wrong; send "
                                   "Authorization: Bearer <the token init or new-export-token printed>");
    *rc = mlv_http_send(r, MHD_HTTP_UNAUTHORIZED, mlv_http_with(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer", NULL));
    return 0;
}

static editors_req *editors_state(mlv_http_req *r)
{
    editors_req *e = calloc(1, sizeof *e);

    if (e != NULL) {
        e->fd = -1;
        r->state = e;
    }
    return e;
}

/* A new 0600 temporary in the data directory; its path in `path`. */
static int temp_create(mlv_http_req *r, editors_req *e, char *path, size_t size)
{
    char id[MLV_STORE_ID_HEX_BYTES];

    mlv_store_id_new(id);
    snprintf(e->temp, sizeof e->temp, "bundle-%s.tmp", id);
    snprintf(path, size, "%s/%s", r->srv->data_dir, e->temp);
    e->fd = mlv_file_create_at(r->srv->store.dir_fd, e->temp);
    if (e->fd < 0) {
        mlv_log_msg("cannot create a temporary bundle in the data directory: %s", strerror(errno));
        e->temp[0] = '\0';
        return -1;
    }
    return 0;
}

static void temp_remove(mlv_http_req *r, editors_req *e)
{
    if (e->fd >= 0)
        close(e->fd);
    e->fd = -1;
    if (e->temp[0] != '\0' && unlinkat(r->srv->store.dir_fd, e->temp, 0) != 0 && errno != ENOENT)
        mlv_log_msg("cannot remove a temporary bundle (%s); it goes at the next start", strerror(errno));
    e->temp[0] = '\0';
}

void mlv_route_editors_done(mlv_http_req *r, enum MHD_RequestTerminationCode toe)
{
    editors_req *e = r->state;

    (void)toe;
    if (e == NULL)
        return;
    temp_remove(r, e);
    free(e->body);
    free(e);
    r->state = NULL;
}

static enum MHD_Result send_internal(mlv_http_req *r)
{
    return mlv_http_fail(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "the server could not do this; try again later");
}

enum MHD_Result mlv_route_export(mlv_http_req *r, const char *data, size_t *data_size)
{
    mlv_db_export_report rep;
    editors_req e = { .fd = -1 };
    char path[PATH_MAX], count[24];
    struct MHD_Response *resp;
    enum MHD_Result rc;
    struct stat st;
    int fd;

    (void)data;
    (void)data_size;
    if (!authorized(r, &rc))
        return rc;
    if (temp_create(r, &e, path, sizeof path) != 0)
        return send_internal(r);
    close(e.fd);
    e.fd = -1;
    if (mlv_db_export_write(r->srv->db, &r->srv->store, path, mlv_day_today(), r->srv->org_fingerprint, &rep) != MLV_DB_OK) {
        temp_remove(r, &e);
        return send_internal(r);
    }
    /* Open, then unlinked at once: the bundle lives only as long as the
     * answer that streams it. */
    fd = openat(r->srv->store.dir_fd, e.temp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    temp_remove(r, &e);
    if (fd < 0 || fstat(fd, &st) != 0) {
        mlv_log_msg("cannot reopen a written export bundle: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return send_internal(r);
    }
    snprintf(count, sizeof count, "%" PRIu64, rep.left);
    resp = mlv_http_response_fd(fd, (uint64_t)st.st_size, BUNDLE_TYPE);
    return mlv_http_send(r, MHD_HTTP_OK, mlv_http_with(resp, "Malyava-Left", count, NULL));
}

/* Content-Length, when given, is checked before a byte is read. */
static int declared_too_big(mlv_http_req *r, uint64_t max)
{
    const char *v = mlv_http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH, NULL);
    char *end;
    unsigned long long n;

    if (v == NULL)
        return 0;
    errno = 0;
    n = strtoull(v, &end, 10);
    return errno != 0 || *end != '\0' || n > max;
}

static enum MHD_Result ack_end(mlv_http_req *r, editors_req *e)
{
    mlv_ack_entry *entries = NULL;
    uint64_t purged, unknown;
    char why[160];
    size_t n;
    int ok;

    if (e->too_big)
        return mlv_http_fail(r, MHD_HTTP_CONTENT_TOO_LARGE, "an ack file is at most %u bytes; nothing was purged",
                             MLV_SRV_MAX_ACK_BYTES);
    if (mlv_airgap_ack_parse(e->body != NULL ? e->body : "", (size_t)e->len, &entries, &n, why, sizeof why) != 0)
        return mlv_http_fail(r, MHD_HTTP_BAD_REQUEST, "this is not an ack file: %s; nothing was purged", why);
    ok = mlv_airgap_ack_apply(r->srv->db, &r->srv->store, entries, n, &purged, &unknown, NULL, NULL);
    free(entries);
    if (ok != 0)
        return send_internal(r);
    return mlv_http_fail(r, MHD_HTTP_OK, "purged %" PRIu64 ", unknown %" PRIu64, purged, unknown);
}

enum MHD_Result mlv_route_export_ack(mlv_http_req *r, const char *data, size_t *data_size)
{
    editors_req *e = r->state;
    enum MHD_Result rc;
    size_t len = *data_size;

    if (r->first) {
        if (!authorized(r, &rc))
            return rc;
        if (declared_too_big(r, MLV_SRV_MAX_ACK_BYTES))
            return mlv_http_fail(r, MHD_HTTP_CONTENT_TOO_LARGE, "an ack file is at most %u bytes",
                                 MLV_SRV_MAX_ACK_BYTES);
        return editors_state(r) != NULL ? MHD_YES : MHD_NO;
    }
    if (len == 0)
        return ack_end(r, e);
    *data_size = 0;
    if (e->too_big || len > MLV_SRV_MAX_ACK_BYTES - e->len) {
        e->too_big = 1;
        return MHD_YES;
    }
    {
        char *grown = realloc(e->body, (size_t)e->len + len + 1u);
        if (grown == NULL)
            return MHD_NO;
        e->body = grown;
    }
    memcpy(e->body + e->len, data, len);
    e->len += len;
    return MHD_YES;
}

enum MHD_Result mlv_route_replies_import(mlv_http_req *r, const char *data, size_t *data_size)
{
    editors_req *e = r->state;
    mlv_db_import_report rep;
    mlv_db_status dst;
    char path[PATH_MAX];
    enum MHD_Result rc;
    size_t len = *data_size;

    if (r->first) {
        if (!authorized(r, &rc))
            return rc;
        if (declared_too_big(r, MLV_SRV_MAX_REPLIES_BUNDLE_BYTES))
            return mlv_http_fail(r, MHD_HTTP_CONTENT_TOO_LARGE, "a replies bundle is at most %u bytes; split it",
                                 MLV_SRV_MAX_REPLIES_BUNDLE_BYTES);
        e = editors_state(r);
        if (e == NULL)
            return MHD_NO;
        return temp_create(r, e, path, sizeof path) == 0 ? MHD_YES : send_internal(r);
    }
    if (len > 0) {
        *data_size = 0;
        if (e->too_big || len > MLV_SRV_MAX_REPLIES_BUNDLE_BYTES - e->len) {
            e->too_big = 1;
            return MHD_YES;
        }
        if (mlv_file_write_all(e->fd, data, len) != 0) {
            mlv_log_msg("cannot write a temporary replies bundle: %s", strerror(errno));
            temp_remove(r, e);
            return send_internal(r);
        }
        e->len += len;
        return MHD_YES;
    }
    if (e->too_big) {
        temp_remove(r, e);
        return mlv_http_fail(r, MHD_HTTP_CONTENT_TOO_LARGE, "a replies bundle is at most %u bytes; split it",
                             MLV_SRV_MAX_REPLIES_BUNDLE_BYTES);
    }
    snprintf(path, sizeof path, "%s/%s", r->srv->data_dir, e->temp);
    dst = mlv_db_replies_import(r->srv->db, path, mlv_day_today(), &rep);
    temp_remove(r, e);
    if (dst == MLV_DB_REFUSED)
        return mlv_http_fail(r, MHD_HTTP_UNPROCESSABLE_CONTENT, "replies bundle refused: %s; nothing was stored",
                             rep.reason);
    if (dst != MLV_DB_OK)
        return send_internal(r);
    return mlv_http_fail(r, MHD_HTTP_OK, "stored %" PRIu64 ", already present %" PRIu64, rep.stored, rep.present);
}
