/*
 * POST /nojs: the plain form for sources without JavaScript. The server
 * does what the page's script would: builds the metadata record, seals it
 * with the files to the current manifest's editor keys (flag
 * server-sealed, so editors know the server saw the plaintext) and stores
 * the envelope exactly as a finished tus upload. The body is read into
 * guarded memory (sodium_malloc) and wiped when the request ends; only
 * ciphertext reaches the disk. The honeypot field `website`, which people
 * never see, makes the server answer as if it had stored the submission
 * and store nothing.
 *
 * No proof of work can be asked here, so the form has a bounded share of
 * the server instead (nojs_gate.h): a few slots that a form keeping below
 * the minimum rate loses, and its own part of the disk quota. A form sent
 * from another site's page is refused (origin.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/fileio.h>
#include <malyava/limits.h>
#include <malyava/manifest.h>
#include <malyava/payload.h>

#include "http.h"
#include "log.h"
#include "multipart.h"
#include "origin.h"
#include "pages.h"
#include "tus_parse.h"

/* The form's fields, in the record under the same names (docs/FORMAT.md). */
static const char *const form_fields[] = { "place", "date", "category", "affected", "contact" };
#define NFORM_FIELDS (sizeof form_fields / sizeof form_fields[0])

typedef struct nojs_req {
    mlv_nojs_ticket ticket; /* its slot, which holds the plaintext body */
    char boundary[MLV_MP_BOUNDARY_MAX + 1u];
    size_t len, got;
} nojs_req;

/* What is built from the form, all in guarded memory. */
typedef struct nojs_build {
    mlv_mp_part parts[MLV_SRV_NOJS_MAX_PARTS];
    size_t nparts;
    mlv_field fields[NFORM_FIELDS];
    mlv_file_info files[MLV_SRV_NOJS_MAX_FILES];
    const mlv_mp_part *file_parts[MLV_SRV_NOJS_MAX_FILES];
    mlv_metadata meta;
    int honeypot;
    char *arena; /* NUL-terminated copies of texts and names */
    size_t arena_used, arena_size;
} nojs_build;

/* Why a form is refused: status, the i18n key of the error page, and the
 * English text when the language files lack it. */
typedef struct refusal {
    unsigned status;
    const char *key;
    const char *text;
} refusal;

static const refusal refuse_malformed = { MHD_HTTP_BAD_REQUEST, "nojs_err_malformed",
    "The form arrived damaged or incomplete, so nothing was stored. Go back and send it again." };
static const refusal refuse_too_large = { MHD_HTTP_CONTENT_TOO_LARGE, "nojs_err_too_large",
    "This is more than the plain form takes (16 MB in all, 8 files), so nothing was stored. Send less, or use "
    "the page with JavaScript, which takes large files." };
static const refusal refuse_empty = { MHD_HTTP_BAD_REQUEST, "nojs_err_empty",
    "There was nothing to send: write something or attach a file, then send again." };
static const refusal refuse_busy = { MHD_HTTP_SERVICE_UNAVAILABLE, "nojs_err_busy",
    "The drop-box is busy right now and stored nothing. Wait a minute and send the form again." };
static const refusal refuse_full = { MHD_HTTP_SERVICE_UNAVAILABLE, "nojs_err_full",
    "The drop-box holds as many plain-form submissions as it can until the editors collect them, so nothing "
    "was stored. Use the page with JavaScript, or try again in a few days." };
static const refusal refuse_cross_site = { MHD_HTTP_FORBIDDEN, "nojs_err_cross_site",
    "This form was sent from another website's page, so nothing was stored. Open the drop-box's own page and "
    "send it from there." };
static const refusal refuse_closed = { MHD_HTTP_SERVICE_UNAVAILABLE, "nojs_err_closed",
    "The drop-box cannot accept submissions at the moment and stored nothing. Try again later." };
static const refusal refuse_internal = { MHD_HTTP_INTERNAL_SERVER_ERROR, "nojs_err_busy",
    "The drop-box could not store this and stored nothing. Wait a minute and send the form again." };

static enum MHD_Result send_refusal(mlv_http_req *r, const refusal *why)
{
    return mlv_pages_send_error(r, why->status, why->key, why->text);
}

static int64_t today(void)
{
    return mlv_day_from_time((int64_t)time(NULL));
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- from form to record ------------------------------------------------ */

/* A NUL-terminated copy in the arena; line breaks as the source typed
 * them (browsers send a textarea's as CRLF) when `text`. */
static char *arena_copy(nojs_build *b, const uint8_t *p, size_t len, int text)
{
    char *out = b->arena + b->arena_used, *w = out;

    if (b->arena_size - b->arena_used < len + 1u)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (text && p[i] == '\r' && i + 1u < len && p[i + 1u] == '\n')
            continue;
        *w++ = (char)p[i];
    }
    *w++ = '\0';
    b->arena_used += (size_t)(w - out);
    return out;
}

/* Text for the record, by the one rule of lib/metadata.c: UTF-8 without
 * NUL, control characters included (the page seals them as they are). */
static int text_ok(mlv_mp_span s)
{
    return mlv_meta_text_ok((const char *)s.p, s.len) == 0;
}

/* A part's Content-Type, if it is a plain "type/subtype" of token characters. */
static int type_ok(mlv_mp_span t)
{
    static const char tchar[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~";
    const uint8_t *slash;
    size_t i;

    if (t.p == NULL || t.len == 0 || t.len > MLV_MAX_MEDIA_TYPE_BYTES)
        return 0;
    slash = memchr(t.p, '/', t.len);
    if (slash == NULL || slash == t.p || slash == t.p + t.len - 1)
        return 0;
    for (i = 0; i < t.len; i++) {
        if (t.p + i != slash && (t.p[i] == '\0' || strchr(tchar, t.p[i]) == NULL))
            return 0;
    }
    return 1;
}

/*
 * The file's name as the record keeps it: the last component of what the
 * browser sent (old browsers send a whole Windows path), or "file-N" when
 * that is not an acceptable name. It only ever travels inside the
 * envelope; the server never makes a path of it.
 */
static char *file_name(nojs_build *b, mlv_mp_span name, size_t index)
{
    char fallback[32];
    size_t start = 0;

    for (size_t i = 0; i < name.len; i++) {
        if (name.p[i] == '/' || name.p[i] == '\\')
            start = i + 1u;
    }
    if (mlv_meta_name_ok((const char *)name.p + start, name.len - start) == 0)
        return arena_copy(b, name.p + start, name.len - start, 0);
    snprintf(fallback, sizeof fallback, "file-%zu", index + 1u);
    return arena_copy(b, (const uint8_t *)fallback, strlen(fallback), 0);
}

static const refusal *take_text(nojs_build *b, const mlv_mp_part *p, char **slot)
{
    if (*slot != NULL)
        return &refuse_malformed; /* the same field twice */
    if (p->data.len > MLV_MAX_FIELD_VALUE_BYTES && slot != &b->meta.message)
        return &refuse_too_large;
    /* Half the record's cap: JSON escaping may grow the text, and a
     * message that long belongs in a file anyway. */
    if (p->data.len > MLV_MAX_METADATA_BYTES / 2u)
        return &refuse_too_large;
    if (!text_ok(p->data))
        return &refuse_malformed;
    *slot = arena_copy(b, p->data.p, p->data.len, 1);
    return *slot != NULL ? NULL : &refuse_internal;
}

static const refusal *take_file(nojs_build *b, const mlv_mp_part *p)
{
    mlv_file_info *f;

    /* A file input left empty still sends a part, with no name and no bytes. */
    if ((p->filename.p == NULL || p->filename.len == 0) && p->data.len == 0)
        return NULL;
    if (b->meta.nfiles == MLV_SRV_NOJS_MAX_FILES)
        return &refuse_too_large;
    f = &b->files[b->meta.nfiles];
    f->name = file_name(b, p->filename, b->meta.nfiles);
    f->media_type = type_ok(p->type) ? arena_copy(b, p->type.p, p->type.len, 0) : NULL;
    if (f->name == NULL || (type_ok(p->type) && f->media_type == NULL))
        return &refuse_internal;
    f->length = p->data.len;
    crypto_generichash(f->digest, sizeof f->digest, p->data.p, p->data.len, NULL, 0);
    f->meta = MLV_FILE_META_NONE;
    b->file_parts[b->meta.nfiles++] = p;
    return NULL;
}

/* Reads the parts into the record; NULL when it can be sealed. */
static const refusal *build_record(nojs_build *b)
{
    char *values[NFORM_FIELDS] = { NULL };

    b->meta.fields = b->fields;
    b->meta.files = b->files;
    for (size_t i = 0; i < b->nparts; i++) {
        const mlv_mp_part *p = &b->parts[i];
        const refusal *why = NULL;

        if (mlv_mp_is(p->name, "website")) {
            b->honeypot |= p->data.len > 0;
        } else if (mlv_mp_is(p->name, "message")) {
            if (p->data.len > 0 || b->meta.message != NULL)
                why = take_text(b, p, &b->meta.message);
        } else if (mlv_mp_is(p->name, "file")) {
            why = take_file(b, p);
        } else {
            for (size_t k = 0; k < NFORM_FIELDS; k++) {
                if (mlv_mp_is(p->name, form_fields[k]) && (p->data.len > 0 || values[k] != NULL))
                    why = take_text(b, p, &values[k]);
            }
        }
        /* Other names (a submit button's) are not part of the record. */
        if (why != NULL)
            return why;
    }
    for (size_t k = 0; k < NFORM_FIELDS; k++) {
        if (values[k] != NULL) {
            b->fields[b->meta.nfields].name = (char *)(uintptr_t)form_fields[k];
            b->fields[b->meta.nfields++].value = values[k];
        }
    }
    if (!b->honeypot && b->meta.message == NULL && b->meta.nfields == 0 && b->meta.nfiles == 0)
        return &refuse_empty;
    return NULL;
}

/* ---- sealing and storing ------------------------------------------------ */

static const refusal *status_refusal(mlv_env_status st)
{
    if (st == MLV_ENV_OK)
        return NULL;
    if (st == MLV_ENV_ERR_MALFORMED)
        return &refuse_malformed;
    if (st == MLV_ENV_ERR_LIMIT)
        return &refuse_too_large;
    mlv_log_msg("sealing a plain-form submission failed: %s", mlv_env_strerror(st));
    return &refuse_internal;
}

/* The envelope's exact size, known before sealing (docs/FORMAT.md §2.3),
 * so the upload can be reserved against the quotas first. */
static mlv_env_status envelope_size(const mlv_metadata *m, size_t nkeys, uint64_t *out)
{
    uint64_t payload = 4u;
    char *json = NULL;
    size_t len = 0;
    mlv_env_status st = mlv_meta_encode(m, &json, &len);

    if (st != MLV_ENV_OK)
        return st;
    sodium_memzero(json, len);
    free(json);
    payload += len;
    for (size_t i = 0; i < m->nfiles; i++)
        payload += m->files[i].length;
    *out = mlv_env_total_bytes((uint32_t)nkeys, mlv_pad_padme(payload));
    return MLV_ENV_OK;
}

static int write_fd(void *ctx, const uint8_t *buf, size_t len)
{
    return mlv_file_write_all(*(const int *)ctx, buf, len);
}

/* Seals straight into the upload's file (ciphertext only ever reaches
 * the disk); the receipt of what was written. */
static mlv_env_status seal_into(int fd, const mlv_box_public *keys, size_t n, const nojs_build *b,
                                uint8_t receipt[MLV_RECEIPT_BYTES])
{
    mlv_pay_sealer *ps = NULL;
    mlv_env_status st = mlv_pay_seal_new(&ps, keys, n, MLV_ENV_FLAG_SERVER_SEALED, &b->meta, write_fd, &fd);

    for (size_t i = 0; st == MLV_ENV_OK && i < b->meta.nfiles; i++)
        st = mlv_pay_seal_data(ps, b->file_parts[i]->data.p, b->file_parts[i]->data.len);
    if (st == MLV_ENV_OK)
        st = mlv_pay_seal_finish(ps, receipt);
    mlv_pay_seal_free(ps);
    return st;
}

static int stored_bytes(void *ctx, uint64_t *out)
{
    return mlv_db_server_sealed_bytes(((mlv_srv *)ctx)->db, out) == MLV_DB_OK ? 0 : -1;
}

/*
 * Seals to the current manifest's editor keys and stores the envelope
 * through the same steps as a finished tus upload: reservation against
 * the plain form's share and the quotas, the file in uploads/, fsync and
 * rename, the row. The
 * receipt is the one computed from the disk, checked against the
 * sealer's.
 */
static const refusal *seal_and_store(mlv_srv *s, const nojs_build *b, uint8_t receipt[MLV_RECEIPT_BYTES])
{
    mlv_box_public keys[MLV_MAX_MANIFEST_KEYS];
    uint8_t sealed[MLV_RECEIPT_BYTES];
    const refusal *why = &refuse_internal;
    mlv_db_upload u;
    mlv_db_status dst;
    mlv_env_status st;
    int64_t day = today();
    size_t n;
    int fd = -1, full;

    if (mlv_trust_recipients(s->trust, day, keys, &n) != MLV_TRUST_OK || n == 0)
        return &refuse_closed;
    if ((st = envelope_size(&b->meta, n, &u.length)) != MLV_ENV_OK)
        return status_refusal(st);
    if (mlv_nojs_gate_reserve_disk(s->nojs, u.length, s->cfg.nojs_max_disk_bytes, stored_bytes, s, &full) != 0)
        return full ? &refuse_full : &refuse_internal;
    dst = mlv_srv_reserve(s, &u, MLV_SRV_SHARE_NOJS);
    if (dst != MLV_DB_OK) {
        mlv_nojs_gate_release_disk(s->nojs, u.length);
        return dst == MLV_DB_FULL_COUNT || dst == MLV_DB_FULL_DISK ? &refuse_busy : &refuse_internal;
    }
    /* Created, then opened for reading too, as a PATCH opens it: the
     * receipt is computed from what is on disk. */
    fd = mlv_store_part_create(&s->store, u.id);
    if (fd >= 0) {
        close(fd);
        fd = mlv_store_part_open(&s->store, u.id);
    }
    st = fd >= 0 ? seal_into(fd, keys, n, b, sealed) : MLV_ENV_ERR_SYSTEM;
    if (st != MLV_ENV_OK) {
        why = status_refusal(st);
    } else if (mlv_store_promote(&s->store, u.id, fd, u.length, day, receipt) == 0 &&
               sodium_memcmp(receipt, sealed, sizeof sealed) == 0 &&
               mlv_db_upload_finish(s->db, u.id, receipt, day) == MLV_DB_OK) {
        close(fd);
        /* Counted in the share from here on (until the editors' ack). */
        if (mlv_db_submission_mark_server_sealed(s->db, u.id) != MLV_DB_OK)
            mlv_log_msg("a plain-form submission was stored but is not counted in nojs_max_disk_bytes");
        mlv_nojs_gate_release_disk(s->nojs, u.length);
        return NULL;
    } else {
        mlv_log_msg("cannot store a plain-form submission: %s", strerror(errno));
    }
    if (fd >= 0)
        close(fd);
    /* Whichever of its two names the file has now goes, then the row. */
    if (mlv_store_part_remove(&s->store, u.id) != 0 && mlv_store_demote(&s->store, u.id) == 0)
        mlv_store_part_remove(&s->store, u.id);
    mlv_db_upload_delete(s->db, u.id);
    mlv_nojs_gate_release_disk(s->nojs, u.length);
    return why;
}

/* Room for every text, name and type the record copies, and the fallback
 * names: file contents stay where they are in the body. */
static size_t arena_need(const nojs_build *b)
{
    size_t need = 0;

    for (size_t i = 0; i < b->nparts; i++) {
        const mlv_mp_part *p = &b->parts[i];

        need += p->filename.len + p->type.len + 32u;
        if (!mlv_mp_is(p->name, "file"))
            need += p->data.len;
    }
    return need;
}

static enum MHD_Result finish(mlv_http_req *r, nojs_req *q)
{
    const uint8_t *body = mlv_nojs_gate_body(r->srv->nojs, &q->ticket);
    nojs_build *b = sodium_malloc(sizeof *b);
    uint8_t receipt[MLV_RECEIPT_BYTES];
    char receipt_str[MLV_RECEIPT_STR_BYTES];
    const refusal *why = &refuse_internal;

    if (b == NULL || body == NULL) {
        sodium_free(b);
        return send_refusal(r, why);
    }
    memset(b, 0, sizeof *b);
    switch (mlv_mp_parse(body, q->len, q->boundary, MLV_SRV_NOJS_MAX_PART_HEADER_BYTES, b->parts,
                         MLV_SRV_NOJS_MAX_PARTS, &b->nparts)) {
    case MLV_MP_OK:
        b->arena_size = arena_need(b);
        b->arena = sodium_malloc(b->arena_size);
        why = b->arena == NULL ? &refuse_busy : build_record(b);
        break;
    case MLV_MP_LIMIT:
        why = &refuse_too_large;
        break;
    default:
        why = &refuse_malformed;
        break;
    }
    if (why == NULL && b->honeypot)
        randombytes_buf(receipt, sizeof receipt); /* looks like any receipt; nothing was stored */
    else if (why == NULL)
        why = seal_and_store(r->srv, b, receipt);
    /* The plaintext is wiped and the slot free before the answer goes out,
     * however slowly the client reads it. */
    sodium_free(b->arena);
    sodium_free(b);
    mlv_nojs_gate_leave(r->srv->nojs, &q->ticket);
    if (why != NULL)
        return send_refusal(r, why);
    mlv_env_receipt_to_string(receipt_str, receipt);
    return mlv_pages_send(r, MHD_HTTP_OK, "nojs-done.html", receipt_str, NULL);
}

/* ---- the request -------------------------------------------------------- */

/* Sent by another site's page (origin.h)? */
static bool cross_site(mlv_http_req *r)
{
    int dup_site, dup_origin, dup_host;
    const char *site = mlv_http_header(r, "Sec-Fetch-Site", &dup_site);
    const char *origin = mlv_http_header(r, "Origin", &dup_origin);
    const char *host = mlv_http_header(r, MHD_HTTP_HEADER_HOST, &dup_host);

    return dup_site || dup_origin || dup_host || !mlv_origin_allowed(site, origin, host);
}

/* Everything decidable from the headers, before a byte of the body. */
static enum MHD_Result begin(mlv_http_req *r, nojs_req *q)
{
    const char *ctype = mlv_http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, NULL);
    const char *clen = mlv_http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH, NULL);
    uint64_t len;

    if (cross_site(r))
        return send_refusal(r, &refuse_cross_site);
    if (ctype == NULL || mlv_mp_boundary(ctype, q->boundary) != MLV_MP_OK)
        return send_refusal(r, &refuse_malformed);
    /* Browsers always send the length of a form; without it the body
     * could not be held in one guarded buffer. */
    if (clen == NULL || mlv_tus_parse_u64(clen, &len) != 0 || len == 0)
        return mlv_pages_send_error(r, MHD_HTTP_LENGTH_REQUIRED, refuse_malformed.key, refuse_malformed.text);
    if (len > MLV_SRV_NOJS_MAX_BYTES)
        return send_refusal(r, &refuse_too_large);
    if (r->srv->cfg.nojs_max_disk_bytes == 0 || mlv_trust_uploads_open(r->srv->trust, today()) != MLV_TRUST_OK)
        return send_refusal(r, &refuse_closed);
    if (mlv_nojs_gate_enter(r->srv->nojs, (size_t)len, now_ms(), &q->ticket) != MLV_NOJS_GATE_OK)
        return send_refusal(r, &refuse_busy);
    q->len = (size_t)len;
    return MHD_YES;
}

enum MHD_Result mlv_route_nojs_post(mlv_http_req *r, const char *data, size_t *data_size)
{
    nojs_req *q = r->state;
    size_t n = *data_size;

    if (r->first) {
        q = calloc(1, sizeof *q);
        if (q == NULL)
            return MHD_NO;
        r->state = q;
        return begin(r, q);
    }
    if (n == 0) {
        if (q->got != q->len)
            return send_refusal(r, &refuse_malformed);
        return finish(r, q);
    }
    *data_size = 0;
    if (n > q->len - q->got)
        return send_refusal(r, &refuse_malformed);
    /* Too slow, or its slot went to a form that needed it: the connection
     * is closed, as nothing can be answered before the body is read. */
    if (mlv_nojs_gate_feed(r->srv->nojs, &q->ticket, data, n, now_ms()) != MLV_NOJS_GATE_OK)
        return MHD_NO;
    q->got += n;
    return MHD_YES;
}

void mlv_route_nojs_done(mlv_http_req *r, enum MHD_RequestTerminationCode toe)
{
    nojs_req *q = r->state;

    (void)toe;
    if (q == NULL)
        return;
    mlv_nojs_gate_leave(r->srv->nojs, &q->ticket); /* wipes the plaintext */
    free(q);
    r->state = NULL;
}
