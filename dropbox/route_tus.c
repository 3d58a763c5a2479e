/*
 * tus 1.0.0 at /api/v1/uploads: core, creation, termination, expiration,
 * checksum (docs/PROTOCOL.md).
 *
 * A PATCH body goes straight from libmicrohttpd's buffer to the upload's
 * file with pwrite; nothing is held in memory. The envelope header is
 * checked against the manifest as soon as its bytes are on disk, and the
 * committed offset only ever names bytes that were fdatasync'd first. No
 * byte is written past what the upload has reserved (server.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/envelope.h>
#include <malyava/limits.h>

#include "http.h"
#include "log.h"
#include "pow_gate.h"
#include "tus_parse.h"

#define TUS_VERSION "1.0.0"
#define TUS_EXTENSIONS "creation,termination,expiration,checksum"
#define TUS_CONTENT_TYPE "application/offset+octet-stream"
#define HTTP_CHECKSUM_MISMATCH 460u

/* No envelope is shorter: one recipient and an empty final chunk. */
#define TUS_MIN_UPLOAD_BYTES ((uint64_t)MLV_ENV_HEADER_BYTES(1u) + MLV_ENV_CHUNK_OVERHEAD)

#define MSG_RETRY "try again later; HEAD tells where to resume"

static void http_date(char out[40], int64_t unix_seconds)
{
    time_t t = (time_t)unix_seconds;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 40, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static int is_expired(mlv_srv *s, const mlv_db_upload *u)
{
    return mlv_srv_deadline(s, u) <= (int64_t)time(NULL);
}

static int64_t today(void)
{
    return mlv_day_from_time((int64_t)time(NULL));
}

/* ---- shared answers ---------------------------------------------------- */

/* 412 unless the request speaks our tus version. */
static int version_refused(mlv_http_req *r, enum MHD_Result *rc)
{
    int dup;
    const char *v = mlv_http_header(r, "Tus-Resumable", &dup);
    struct MHD_Response *resp;

    if (v != NULL && !dup && strcmp(v, TUS_VERSION) == 0)
        return 0;
    resp = mlv_http_error_response("send the header Tus-Resumable: " TUS_VERSION
                                   "; this server speaks tus " TUS_VERSION " only");
    *rc = mlv_http_send(r, MHD_HTTP_PRECONDITION_FAILED, mlv_http_with(resp, "Tus-Version", TUS_VERSION, NULL));
    return 1;
}

static enum MHD_Result send_unavailable(mlv_http_req *r, const char *msg)
{
    struct MHD_Response *resp = mlv_http_error_response("%s", msg);
    char secs[24];

    snprintf(secs, sizeof secs, "%u", MLV_SRV_RETRY_AFTER_SECONDS);
    return mlv_http_send(r, MHD_HTTP_SERVICE_UNAVAILABLE, mlv_http_with(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs, NULL));
}

static const char msg_expired_manifest[] =
    "this drop-box's list of editor keys has expired, so it cannot accept submissions; "
    "its administrator must install a new manifest (malyava-dropbox install-manifest)";

static enum MHD_Result send_internal(mlv_http_req *r)
{
    return mlv_http_fail(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "the server could not store this; " MSG_RETRY);
}

/* 204 carrying Upload-Offset (and the receipt when complete). */
static enum MHD_Result send_offset(mlv_http_req *r, uint64_t offset, const char *receipt)
{
    char num[24];

    snprintf(num, sizeof num, "%" PRIu64, offset);
    return mlv_http_send(r, MHD_HTTP_NO_CONTENT,
                         mlv_http_with(mlv_http_empty(), "Upload-Offset", num, "Malyava-Receipt", receipt, NULL));
}

static enum MHD_Result send_not_found(mlv_http_req *r)
{
    return mlv_http_fail(r, MHD_HTTP_NOT_FOUND,
                         "no such upload (unknown, expired or deleted); start a new upload with POST");
}

/* ---- OPTIONS, POST ----------------------------------------------------- */

enum MHD_Result mlv_route_tus_options(mlv_http_req *r, const char *data, size_t *data_size)
{
    char max[24];

    (void)data;
    (void)data_size;
    snprintf(max, sizeof max, "%" PRIu64, r->srv->cfg.max_submission_bytes);
    return mlv_http_send(r, MHD_HTTP_NO_CONTENT,
                         mlv_http_with(mlv_http_empty(), "Tus-Version", TUS_VERSION, "Tus-Extension", TUS_EXTENSIONS,
                                       "Tus-Max-Size", max, "Tus-Checksum-Algorithm", "sha256", NULL));
}

enum MHD_Result mlv_route_tus_create(mlv_http_req *r, const char *data, size_t *data_size)
{
    mlv_srv *s = r->srv;
    const char *v;
    mlv_db_upload u;
    mlv_db_status dst;
    char location[64], expires[40], ask[48];
    uint64_t body_len = 0;
    enum MHD_Result rc;
    int dup, fd;

    (void)data;
    (void)data_size;
    if (version_refused(r, &rc))
        return rc;
    if (mlv_trust_uploads_open(s->trust, today()) != MLV_TRUST_OK)
        return send_unavailable(r, msg_expired_manifest);
    if (mlv_http_header(r, "Upload-Defer-Length", NULL) != NULL)
        return mlv_http_fail(r, MHD_HTTP_BAD_REQUEST,
                             "Upload-Defer-Length is not supported; seal first, then send Upload-Length");
    v = mlv_http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH, NULL);
    if ((v != NULL && (mlv_tus_parse_u64(v, &body_len) != 0 || body_len > 0)) ||
        mlv_http_header(r, MHD_HTTP_HEADER_TRANSFER_ENCODING, NULL) != NULL)
        return mlv_http_fail(r, MHD_HTTP_BAD_REQUEST,
                             "a POST here takes no body; create the upload, then send the bytes with PATCH");
    v = mlv_http_header(r, "Upload-Length", &dup);
    if (v == NULL || dup || mlv_tus_parse_u64(v, &u.length) != 0)
        return mlv_http_fail(r, MHD_HTTP_BAD_REQUEST,
                             "send Upload-Length once, as the envelope's size in bytes (decimal)");
    if (u.length < TUS_MIN_UPLOAD_BYTES)
        return mlv_http_fail(r, MHD_HTTP_BAD_REQUEST,
                             "Upload-Length %" PRIu64 " is too small for an envelope (at least %" PRIu64 " bytes)",
                             u.length, TUS_MIN_UPLOAD_BYTES);
    if (u.length > s->cfg.max_submission_bytes)
        return mlv_http_fail(r, MHD_HTTP_CONTENT_TOO_LARGE,
                             "the submission is larger than this drop-box accepts (%" PRIu64
                             " bytes); send fewer or smaller files",
                             s->cfg.max_submission_bytes);
    v = mlv_http_header(r, "Upload-Metadata", &dup);
    if (v != NULL && (dup || mlv_tus_metadata_ok(v) != 0))
        return mlv_http_fail(r, MHD_HTTP_BAD_REQUEST,
                             "Upload-Metadata is malformed; send comma-separated \"key base64\" pairs, or none");
    snprintf(ask, sizeof ask, "/api/v1/pow?length=%" PRIu64, u.length);
    if (mlv_pow_gate_refused_bits(r, "before an upload", mlv_powcheck_bits_for(s->pow, u.length, s->cfg.max_disk_bytes),
                                  ask, &rc))
        return rc;
    dst = mlv_srv_reserve(s, &u, MLV_SRV_SHARE_TUS);
    if (dst == MLV_DB_FULL_COUNT)
        return send_unavailable(r, "too many uploads are in progress; wait a few minutes and try again");
    if (dst == MLV_DB_FULL_DISK)
        return mlv_http_fail(r, MHD_HTTP_INSUFFICIENT_STORAGE,
                             "the drop-box has no room for a submission this large now; try later or send less");
    if (dst != MLV_DB_OK)
        return send_internal(r);
    fd = mlv_store_part_create(&s->store, u.id);
    if (fd < 0 || mlv_store_set_day(fd, u.day) != 0) {
        mlv_log_msg("cannot create an upload file: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        mlv_srv_discard(s, u.id);
        return send_internal(r);
    }
    close(fd);
    snprintf(location, sizeof location, "/api/v1/uploads/%s", u.id);
    http_date(expires, mlv_srv_deadline(s, &u));
    return mlv_http_send(r, MHD_HTTP_CREATED, mlv_http_with(mlv_http_empty(), MHD_HTTP_HEADER_LOCATION, location,
                                                           "Upload-Expires", expires, NULL));
}

/* ---- HEAD, DELETE ------------------------------------------------------ */

enum MHD_Result mlv_route_tus_head(mlv_http_req *r, const char *data, size_t *data_size)
{
    mlv_srv *s = r->srv;
    mlv_db_submission sub;
    mlv_db_upload u;
    mlv_db_status dst;
    char off[24], len[24], expires[40], receipt[MLV_RECEIPT_STR_BYTES];
    enum MHD_Result rc;

    (void)data;
    (void)data_size;
    if (version_refused(r, &rc))
        return rc;
    if (!r->id_ok)
        return send_not_found(r);
    dst = mlv_db_submission_get(s->db, r->id, &sub);
    if (dst == MLV_DB_OK) {
        /* Received: the whole length is there, and the receipt proves which bytes. */
        snprintf(len, sizeof len, "%" PRIu64, sub.length);
        mlv_env_receipt_to_string(receipt, sub.receipt);
        return mlv_http_send(r, MHD_HTTP_OK, mlv_http_with(mlv_http_empty(), "Upload-Offset", len, "Upload-Length", len,
                                                           "Malyava-Receipt", receipt, NULL));
    }
    if (dst == MLV_DB_NOT_FOUND)
        dst = mlv_db_upload_get(s->db, r->id, &u);
    if (dst == MLV_DB_NOT_FOUND || (dst == MLV_DB_OK && is_expired(s, &u)))
        return send_not_found(r);
    if (dst != MLV_DB_OK)
        return send_internal(r);
    snprintf(off, sizeof off, "%" PRIu64, u.offset);
    snprintf(len, sizeof len, "%" PRIu64, u.length);
    http_date(expires, mlv_srv_deadline(s, &u));
    return mlv_http_send(r, MHD_HTTP_OK, mlv_http_with(mlv_http_empty(), "Upload-Offset", off, "Upload-Length", len,
                                                       "Upload-Expires", expires, NULL));
}

enum MHD_Result mlv_route_tus_delete(mlv_http_req *r, const char *data, size_t *data_size)
{
    mlv_srv *s = r->srv;
    mlv_db_submission sub;
    mlv_db_status dst;
    enum MHD_Result rc;

    (void)data;
    (void)data_size;
    if (version_refused(r, &rc))
        return rc;
    if (!r->id_ok)
        return send_not_found(r);
    if (mlv_srv_claim(s, r->id) != 0)
        return mlv_http_fail(r, MHD_HTTP_CONFLICT, "this upload is being written by another request; try again shortly");
    dst = mlv_db_submission_get(s->db, r->id, &sub);
    if (dst == MLV_DB_OK) {
        rc = mlv_http_fail(r, MHD_HTTP_FORBIDDEN, "this submission was received; it cannot be withdrawn here");
    } else if (dst != MLV_DB_NOT_FOUND) {
        rc = send_internal(r);
    } else {
        dst = mlv_srv_discard(s, r->id);
        if (dst == MLV_DB_NOT_FOUND)
            rc = send_not_found(r);
        else if (dst != MLV_DB_OK)
            rc = send_internal(r);
        else
            rc = mlv_http_send(r, MHD_HTTP_NO_CONTENT, mlv_http_empty());
    }
    mlv_srv_release(s, r->id);
    return rc;
}

/* ---- PATCH ------------------------------------------------------------- */

typedef struct tus_patch {
    int fd;
    int claimed;
    int done;      /* answered, or the upload is gone: nothing left for the cleanup */
    int header_ok; /* the envelope header passed the manifest check in this request */
    int has_sum;
    uint64_t length;
    uint64_t committed; /* durable and recorded */
    uint64_t offset;    /* written */
    uint64_t reserved;  /* counted against the quota: nothing is written past it */
    time_t committed_at; /* monotonic seconds of the last commit */
    uint8_t want_sum[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state sum;
    unsigned fail_status; /* an error found in the body, and its answer */
    struct MHD_Response *fail_resp;
} tus_patch;

typedef enum { DISCARD, REMOVE } fail_action;

/* Truncates back to the committed offset: unverified or refused bytes
 * never stay behind, nor does the time of their writing. */
static void discard_unverified(tus_patch *p)
{
    if (ftruncate(p->fd, (off_t)p->committed) != 0 || mlv_store_set_day(p->fd, today()) != 0)
        mlv_log_msg("cannot truncate an upload back to its committed offset: %s", strerror(errno));
    p->offset = p->committed;
}

static void remove_upload(mlv_http_req *r)
{
    if (mlv_srv_discard(r->srv, r->id) != MLV_DB_OK)
        mlv_log_msg("cannot remove a refused upload; it expires or is removed at the next start");
}

/* Lets the upload go as soon as the answer is known, not when MHD reports
 * the request finished: by then the client may already have sent its
 * next PATCH. */
static void patch_release(mlv_http_req *r, tus_patch *p)
{
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
    if (p->claimed)
        mlv_srv_release(r->srv, r->id);
    p->claimed = 0;
}

static void patch_fail(mlv_http_req *r, tus_patch *p, unsigned status, fail_action action, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Undoes what this PATCH did as `action` says and keeps the answer; the
 * request ends with it. */
static void patch_fail(mlv_http_req *r, tus_patch *p, unsigned status, fail_action action, const char *fmt, ...)
{
    va_list ap;

    if (p->fail_status != 0)
        return;
    p->fail_status = status;
    va_start(ap, fmt);
    p->fail_resp = mlv_http_error_vresponse(fmt, ap);
    va_end(ap);
    if (action == DISCARD)
        discard_unverified(p);
    else
        remove_upload(r);
    p->done = 1;
    patch_release(r, p);
}

static enum MHD_Result send_failure(mlv_http_req *r, tus_patch *p)
{
    struct MHD_Response *resp = p->fail_resp;

    p->fail_resp = NULL;
    return mlv_http_send(r, p->fail_status, resp);
}

static time_t monotonic_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* fdatasync, then record: the committed offset never names a byte that
 * could be lost. The reservation grows with it if the quota allows:
 * MLV_DB_FULL_DISK when it could not (the bytes are recorded all the
 * same). A commit without new bytes and with room ahead changes nothing,
 * so an empty PATCH moves no clock. */
static mlv_db_status commit(mlv_http_req *r, tus_patch *p)
{
    mlv_db_status dst;

    if (p->offset == p->committed && p->reserved > p->offset)
        return MLV_DB_OK;
    if (mlv_store_set_day(p->fd, today()) != 0 || fdatasync(p->fd) != 0) {
        mlv_log_msg("cannot make an upload durable: %s", strerror(errno));
        return MLV_DB_ERROR;
    }
    dst = mlv_srv_progress(r->srv, r->id, p->committed, p->offset, p->offset, &p->reserved);
    if (dst != MLV_DB_OK && dst != MLV_DB_FULL_DISK)
        return MLV_DB_ERROR;
    p->committed = p->offset;
    p->committed_at = monotonic_seconds();
    return dst;
}

/* Room for `len` more bytes at p->offset: past the reservation, the bytes
 * so far are committed and the reservation grows ahead of them; bytes
 * under a checksum cannot be committed before it is checked, so for them
 * only the reservation moves. MLV_DB_FULL_DISK when the quota has no room. */
static mlv_db_status make_room(mlv_http_req *r, tus_patch *p, size_t len)
{
    mlv_db_status dst;

    if (len <= p->reserved - p->offset)
        return MLV_DB_OK;
    dst = p->has_sum ? mlv_srv_progress(r->srv, r->id, p->committed, p->committed, p->offset + len, &p->reserved)
                     : commit(r, p);
    if (dst != MLV_DB_OK && dst != MLV_DB_FULL_DISK)
        return MLV_DB_ERROR;
    return len <= p->reserved - p->offset ? MLV_DB_OK : MLV_DB_FULL_DISK;
}

/* Commit often enough in time for slow links, seldom enough in bytes for
 * fast ones (limits.h). */
static int commit_due(const tus_patch *p)
{
    uint64_t pending = p->offset - p->committed;

    return pending >= MLV_SRV_COMMIT_EVERY_BYTES ||
           (pending >= MLV_SRV_COMMIT_MIN_BYTES &&
            monotonic_seconds() - p->committed_at >= (time_t)MLV_SRV_COMMIT_EVERY_SECONDS);
}

static void check_header(mlv_http_req *r, tus_patch *p)
{
    uint8_t buf[MLV_ENV_MAX_HEADER_BYTES];
    size_t want = p->offset < sizeof buf ? (size_t)p->offset : sizeof buf;
    mlv_env_header h;
    mlv_env_status st;
    ssize_t n;

    do {
        n = pread(p->fd, buf, want, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0 || (size_t)n != want) {
        mlv_log_msg("cannot read back an upload's first bytes: %s", n < 0 ? strerror(errno) : "short read");
        patch_fail(r, p, MHD_HTTP_INTERNAL_SERVER_ERROR, DISCARD, "the server could not check the upload; " MSG_RETRY);
        return;
    }
    st = mlv_env_header_parse(buf, want, &h);
    if (st == MLV_ENV_NEED_MORE) {
        if (p->offset == p->length)
            patch_fail(r, p, MHD_HTTP_UNPROCESSABLE_CONTENT, REMOVE,
                       "the upload ended inside the envelope header; it is not a whole envelope, so it was deleted");
        return;
    }
    if (st != MLV_ENV_OK) {
        patch_fail(r, p, MHD_HTTP_UNPROCESSABLE_CONTENT, REMOVE,
                   "this is not a Malyava envelope this server can accept (%s); it was deleted; seal again "
                   "with an up-to-date app",
                   st == MLV_ENV_ERR_VERSION ? "unsupported format version"
                   : st == MLV_ENV_ERR_LIMIT ? "too many recipients or too large"
                                             : "wrong magic or malformed header");
        return;
    }
    /* The header declares the payload length, so the whole envelope's size
     * is known from its first bytes: an upload of another size can never
     * become a valid envelope. */
    if (mlv_env_total_bytes(h.nrecipients, h.payload_bytes) != p->length) {
        patch_fail(r, p, MHD_HTTP_UNPROCESSABLE_CONTENT, REMOVE,
                   "the envelope header declares a size other than Upload-Length; it was deleted; upload the "
                   "sealed file exactly as it is");
        return;
    }
    switch (mlv_trust_check(r->srv->trust, &h, today())) {
    case MLV_TRUST_OK:
        p->header_ok = 1;
        break;
    case MLV_TRUST_EXPIRED:
        patch_fail(r, p, MHD_HTTP_SERVICE_UNAVAILABLE, DISCARD, "%s", msg_expired_manifest);
        break;
    case MLV_TRUST_RETIRED_KEY:
        patch_fail(r, p, MHD_HTTP_UNPROCESSABLE_CONTENT, REMOVE,
                   "the envelope is sealed to editor keys this drop-box has retired; it was deleted; fetch "
                   "/manifest again and seal anew");
        break;
    case MLV_TRUST_UNKNOWN_KEY:
        patch_fail(r, p, MHD_HTTP_UNPROCESSABLE_CONTENT, REMOVE,
                   "the envelope is sealed to a key that is not in this drop-box's manifest; it was deleted; "
                   "fetch /manifest, verify it and seal again");
        break;
    }
}

static int write_at(int fd, const char *data, size_t len, uint64_t offset)
{
    while (len > 0) {
        ssize_t n = pwrite(fd, data, len, (off_t)offset);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return 0;
}

/* Everything decidable from the headers, before a byte of body is read. */
static enum MHD_Result patch_begin(mlv_http_req *r, tus_patch *p)
{
    mlv_srv *s = r->srv;
    mlv_db_submission sub;
    mlv_db_upload u;
    mlv_db_status dst;
    const char *v, *ctype;
    uint64_t offset, body_len = 0;
    enum MHD_Result rc;
    int dup;

    if (version_refused(r, &rc))
        return rc;
    if (!r->id_ok)
        return send_not_found(r);
    ctype = mlv_http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, &dup);
    if (ctype == NULL || dup || strcasecmp(ctype, TUS_CONTENT_TYPE) != 0)
        return mlv_http_fail(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "send the bytes as Content-Type: " TUS_CONTENT_TYPE);
    v = mlv_http_header(r, "Upload-Offset", &dup);
    if (v == NULL || dup || mlv_tus_parse_u64(v, &offset) != 0)
        return mlv_http_fail(r, MHD_HTTP_BAD_REQUEST,
                             "send Upload-Offset once, as a decimal byte offset (HEAD tells the current one)");
    v = mlv_http_header(r, "Upload-Checksum", &dup);
    if (v != NULL) {
        mlv_tus_checksum_status cs = dup ? MLV_TUS_CHECKSUM_ALGORITHM : mlv_tus_checksum_parse(v, p->want_sum);

        if (cs == MLV_TUS_CHECKSUM_ALGORITHM)
            return mlv_http_fail(r, MHD_HTTP_BAD_REQUEST,
                                 "Upload-Checksum must be \"sha256 <base64 digest>\"; no other algorithm is supported");
        if (cs == MLV_TUS_CHECKSUM_DIGEST)
            return mlv_http_fail(r, MHD_HTTP_BAD_REQUEST, "the Upload-Checksum digest is not 32 bytes of base64");
        p->has_sum = 1;
    }
    v = mlv_http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH, NULL);
    if (v != NULL && mlv_tus_parse_u64(v, &body_len) != 0)
        return mlv_http_fail(r, MHD_HTTP_BAD_REQUEST, "Content-Length is not a decimal number");
    if (mlv_srv_claim(s, r->id) != 0)
        return mlv_http_fail(r, MHD_HTTP_CONFLICT,
                             "another request is writing to this upload; wait for it to end, then HEAD and resume");
    p->claimed = 1;
    dst = mlv_db_submission_get(s->db, r->id, &sub);
    if (dst == MLV_DB_OK)
        return mlv_http_fail(r, MHD_HTTP_FORBIDDEN, "this upload is complete; there is nothing more to send");
    if (dst == MLV_DB_NOT_FOUND)
        dst = mlv_db_upload_get(s->db, r->id, &u);
    if (dst == MLV_DB_NOT_FOUND)
        return send_not_found(r);
    if (dst != MLV_DB_OK || u.offset > u.length)
        return send_internal(r);
    if (is_expired(s, &u))
        return mlv_http_fail(r, MHD_HTTP_GONE, "this upload expired; start a new one with POST");
    if (mlv_trust_uploads_open(s->trust, today()) != MLV_TRUST_OK)
        return send_unavailable(r, msg_expired_manifest);
    if (offset != u.offset)
        return mlv_http_fail(r, MHD_HTTP_CONFLICT,
                             "Upload-Offset %" PRIu64 " is not the server's offset %" PRIu64
                             "; resume from the offset HEAD reports",
                             offset, u.offset);
    if (body_len > u.length - u.offset)
        return mlv_http_fail(r, MHD_HTTP_BAD_REQUEST,
                             "this PATCH goes past the declared length (%" PRIu64 " bytes remain); send only those",
                             u.length - u.offset);
    p->fd = mlv_store_part_open(&s->store, r->id);
    if (p->fd < 0) {
        mlv_log_msg("cannot open an upload file: %s", strerror(errno));
        return send_internal(r);
    }
    p->length = u.length;
    p->committed = p->offset = u.offset;
    p->reserved = u.reserved;
    p->committed_at = monotonic_seconds();
    if (p->has_sum)
        crypto_hash_sha256_init(&p->sum);
    return MHD_YES;
}

static void patch_data(mlv_http_req *r, tus_patch *p, const char *data, size_t len)
{
    uint64_t before = p->offset;

    if (len > p->length - p->offset) {
        patch_fail(r, p, MHD_HTTP_BAD_REQUEST, DISCARD,
                   "the body goes past the declared length; this PATCH was discarded; HEAD and resume");
        return;
    }
    switch (make_room(r, p, len)) {
    case MLV_DB_OK:
        break;
    case MLV_DB_FULL_DISK:
        patch_fail(r, p, MHD_HTTP_INSUFFICIENT_STORAGE, DISCARD,
                   "the drop-box has no room for more of this upload now; what it confirmed is kept: HEAD and "
                   "resume later");
        return;
    default:
        patch_fail(r, p, MHD_HTTP_INTERNAL_SERVER_ERROR, DISCARD, "the server could not store this; " MSG_RETRY);
        return;
    }
    if (write_at(p->fd, data, len, p->offset) != 0) {
        if (errno == ENOSPC || errno == EDQUOT) {
            patch_fail(r, p, MHD_HTTP_INSUFFICIENT_STORAGE, DISCARD, "the drop-box's disk is full; " MSG_RETRY);
        } else {
            mlv_log_msg("cannot write to an upload file: %s", strerror(errno));
            patch_fail(r, p, MHD_HTTP_INTERNAL_SERVER_ERROR, DISCARD, "the server could not store this; " MSG_RETRY);
        }
        return;
    }
    p->offset += len;
    if (p->has_sum) {
        crypto_hash_sha256_update(&p->sum, (const uint8_t *)data, len);
        return;
    }
    if (!p->header_ok && before < MLV_ENV_MAX_HEADER_BYTES) {
        check_header(r, p);
        if (p->fail_status != 0)
            return;
    }
    if (commit_due(p) && commit(r, p) == MLV_DB_ERROR)
        patch_fail(r, p, MHD_HTTP_INTERNAL_SERVER_ERROR, DISCARD, "the server could not store this; " MSG_RETRY);
}

static enum MHD_Result patch_end(mlv_http_req *r, tus_patch *p)
{
    uint8_t got[crypto_hash_sha256_BYTES], receipt[MLV_RECEIPT_BYTES];
    char receipt_str[MLV_RECEIPT_STR_BYTES];
    int64_t day = today();

    if (p->has_sum) {
        crypto_hash_sha256_final(&p->sum, got);
        if (crypto_verify_32(got, p->want_sum) != 0)
            patch_fail(r, p, HTTP_CHECKSUM_MISMATCH, DISCARD,
                       "the bytes do not match Upload-Checksum and were discarded; send them again");
        else if (!p->header_ok && p->committed < MLV_ENV_MAX_HEADER_BYTES)
            check_header(r, p);
    }
    if (p->fail_status == 0 && p->offset == p->length) {
        /* Once more at the end, against the manifests in force now. */
        p->header_ok = 0;
        check_header(r, p);
    }
    if (p->fail_status != 0)
        return send_failure(r, p);
    p->done = 1;
    if (p->offset < p->length) {
        if (commit(r, p) == MLV_DB_ERROR) {
            discard_unverified(p);
            return send_internal(r);
        }
        return send_offset(r, p->offset, NULL);
    }
    /* Durable before acknowledged: file and directories synced, then the
     * row committed, then the answer. */
    if (mlv_store_promote(&r->srv->store, r->id, p->fd, p->length, day, receipt) != 0) {
        mlv_log_msg("cannot store a finished upload: %s", strerror(errno));
        return send_internal(r);
    }
    if (mlv_db_upload_finish(r->srv->db, r->id, receipt, day) != MLV_DB_OK) {
        /* The row still says "upload" (a locked or full database): the
         * file goes back where that row points, so HEAD and a resumed
         * PATCH find it, as start-up recovery does after a crash. */
        if (mlv_store_demote(&r->srv->store, r->id) != 0)
            mlv_log_msg("cannot move an unrecorded envelope back to uploads/ (%s); it moves at the next start",
                        strerror(errno));
        return send_internal(r);
    }
    mlv_srv_received(r->srv, r->id);
    if (mlv_store_touch_all(&r->srv->store) != 0)
        mlv_log_msg("cannot reset the times of stored files: %s", strerror(errno));
    mlv_env_receipt_to_string(receipt_str, receipt);
    return send_offset(r, p->length, receipt_str);
}

enum MHD_Result mlv_route_tus_patch(mlv_http_req *r, const char *data, size_t *data_size)
{
    tus_patch *p = r->state;
    size_t len = *data_size;
    enum MHD_Result rc;

    if (r->first) {
        p = calloc(1, sizeof *p);
        if (p == NULL)
            return MHD_NO;
        p->fd = -1;
        r->state = p;
        rc = patch_begin(r, p);
        if (r->answered)
            patch_release(r, p);
        return rc;
    }
    if (len == 0) {
        rc = patch_end(r, p);
        patch_release(r, p);
        return rc;
    }
    *data_size = 0;
    patch_data(r, p, data, len);
    return p->fail_status != 0 ? send_failure(r, p) : MHD_YES;
}

void mlv_route_tus_patch_done(mlv_http_req *r, enum MHD_RequestTerminationCode toe)
{
    tus_patch *p = r->state;

    (void)toe;
    if (p == NULL)
        return;
    /* Cut off mid-body (client gone, timeout, shutdown): keep what is
     * durable so the source resumes from there; checksummed bytes can no
     * longer be verified and go. */
    if (p->fd >= 0 && !p->done) {
        if (p->has_sum || (p->offset > p->committed && commit(r, p) == MLV_DB_ERROR))
            discard_unverified(p);
    }
    if (p->fail_resp != NULL)
        MHD_destroy_response(p->fail_resp);
    patch_release(r, p);
    sodium_memzero(p, sizeof *p);
    free(p);
    r->state = NULL;
}
