/* The drop-box protocol over libcurl: see tus.h and docs/PROTOCOL.md. */
#include "tus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include <malyava/limits.h>
#include <malyava/termsafe.h>

#include "cli.h"
#include "tus_pow.h"
#include "tus_reply.h"

#define TUS_UPLOADS_PATH "/api/v1/uploads"
/* "sha256 " + base64 of 32 bytes + NUL */
#define TUS_CHECKSUM_BYTES (7u + 45u)
/* Repaint the progress line at most this often. */
#define TUS_PROGRESS_MS 250u

struct mlv_tus_client {
    CURL *curl;
    char *base; /* the URL without trailing slashes */
    mlv_tus_options opts;
    char errbuf[CURL_ERROR_SIZE];
    unsigned failures; /* failed attempts since the last progress */
    /* progress line */
    uint64_t sent_before; /* bytes already on the server when this PATCH began */
    uint64_t total;
    uint64_t last_draw_ms;
    int line_open;
    /* the body of the next POST (mlv_tus_post), else an empty one */
    const char *post_body;
    size_t post_len;
};

/* The bytes a PATCH sends. */
typedef struct chunk_src {
    const uint8_t *buf;
    size_t len, pos;
} chunk_src;

typedef enum step {
    STEP_OK,    /* the request did what was asked */
    STEP_AGAIN, /* transient: wait, then resynchronise and retry */
    STEP_GONE,  /* the upload no longer exists: start a new one */
    STEP_FATAL  /* reported; give up */
} step;

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(uint64_t ms)
{
    struct timespec ts = { .tv_sec = (time_t)(ms / 1000u), .tv_nsec = (long)(ms % 1000u) * 1000000L };

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- checks on what the user gave ------------------------------------- */

static int has_control(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s == 0x7f)
            return 1;
    }
    return 0;
}

int mlv_tus_check_proxy(const char *proxy)
{
    static const char scheme[] = "socks5h://";

    if (strncasecmp(proxy, scheme, sizeof scheme - 1) != 0 || proxy[sizeof scheme - 1] == '\0' ||
        strlen(proxy) > MLV_SUBMIT_MAX_URL_BYTES || has_control(proxy)) {
        mlv_cli_error("--proxy '%s' refused: only socks5h://HOST:PORT is accepted (e.g. socks5h://127.0.0.1:9050 "
                      "for Tor), so the drop-box's name is resolved by the proxy and never by the local DNS",
                      proxy);
        return -1;
    }
    return 0;
}

static int is_onion(const char *host)
{
    size_t n = strlen(host);

    if (n > 0 && host[n - 1] == '.')
        n--;
    return n >= 6 && strncasecmp(host + n - 6, ".onion", 6) == 0;
}

int mlv_tus_check_url(const char *url, const char *proxy)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *user = NULL, *query = NULL, *fragment = NULL;
    int rc = -1;

    if (u == NULL) {
        mlv_cli_error("out of memory");
        return -1;
    }
    if (strlen(url) > MLV_SUBMIT_MAX_URL_BYTES || has_control(url) ||
        curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        mlv_cli_error("'%s' is not a drop-box URL; give it as http://HOST[:PORT] or https://HOST[:PORT]", url);
        goto out;
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        mlv_cli_error("'%s': only http:// and https:// drop-box URLs are supported", url);
        goto out;
    }
    if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_FRAGMENT, &fragment, 0) == CURLUE_OK) {
        mlv_cli_error("'%s': give the drop-box URL without a user name, '?' or '#'", url);
        goto out;
    }
    if (proxy == NULL && is_onion(host)) {
        mlv_cli_error("'%s' is an onion service: add --proxy socks5h://127.0.0.1:9050 (Tor), or its name would "
                      "go to the local DNS resolver", url);
        goto out;
    }
    rc = 0;
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_free(query);
    curl_free(fragment);
    curl_url_cleanup(u);
    return rc;
}

/* ---- client ------------------------------------------------------------ */

mlv_tus_client *mlv_tus_new(const char *base_url, const mlv_tus_options *opts)
{
    mlv_tus_client *c = calloc(1, sizeof *c);
    size_t n;

    if (c == NULL || (c->base = strdup(base_url)) == NULL || (c->curl = curl_easy_init()) == NULL) {
        mlv_cli_error("cannot start the HTTP client (out of memory?)");
        mlv_tus_free(c);
        return NULL;
    }
    n = strlen(c->base);
    while (n > 0 && c->base[n - 1] == '/')
        c->base[--n] = '\0';
    c->opts = *opts;
    return c;
}

void mlv_tus_free(mlv_tus_client *c)
{
    if (c == NULL)
        return;
    if (c->curl != NULL)
        curl_easy_cleanup(c->curl);
    free(c->base);
    free(c);
}

static void progress_end(mlv_tus_client *c)
{
    if (c->line_open) {
        fputc('\n', stderr);
        c->line_open = 0;
    }
}

static void progress_draw(mlv_tus_client *c, uint64_t done, int force)
{
    uint64_t t = now_ms();

    if (!c->opts.progress || c->total == 0 || (!force && t - c->last_draw_ms < TUS_PROGRESS_MS))
        return;
    c->last_draw_ms = t;
    fprintf(stderr, "\rmalyava: sent %3u%% (%.1f of %.1f MiB)  ", (unsigned)(done * 100u / c->total),
            (double)done / (1024.0 * 1024.0), (double)c->total / (1024.0 * 1024.0));
    c->line_open = 1;
}

/* ---- one request ------------------------------------------------------- */

/* libcurl's callbacks: the parsing is tus_reply.c's. */
static size_t on_header(char *buf, size_t size, size_t n, void *ctx)
{
    mlv_tus_reply_header(ctx, buf, size * n);
    return size * n;
}

static size_t on_body(char *buf, size_t size, size_t n, void *ctx)
{
    /* Returning less than given aborts the transfer. */
    return mlv_tus_reply_body(ctx, buf, size * n) == 0 ? size * n : 0;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ctx)
{
    chunk_src *src = ctx;
    size_t len = size * n;

    if (len > src->len - src->pos)
        len = src->len - src->pos;
    memcpy(buf, src->buf + src->pos, len);
    src->pos += len;
    return len;
}

static int on_seek(void *ctx, curl_off_t offset, int origin)
{
    chunk_src *src = ctx;

    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > src->len)
        return CURL_SEEKFUNC_FAIL;
    src->pos = (size_t)offset;
    return CURL_SEEKFUNC_OK;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    mlv_tus_client *c = ctx;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    progress_draw(c, c->sent_before + (uint64_t)(ulnow > 0 ? ulnow : 0), 0);
    return 0;
}

typedef enum method { M_GET, M_HEAD, M_POST, M_PATCH } method;

/* Request headers: the ones every request carries, then up to three of
 * its own. Blank values remove what libcurl would add by itself: fewer
 * bytes that could tell this client apart, and no 100-continue wait. */
#define TUS_MAX_EXTRA 3
static const char *const common_headers[] = { "Tus-Resumable: 1.0.0", "Accept:", "Expect:", "User-Agent:" };

/*
 * Sends one request with the `extra` headers (NULL-terminated); `src` is
 * the PATCH body. Returns the transport result and describes the
 * response in `r` (whose body buffer the caller set up).
 */
static CURLcode perform(mlv_tus_client *c, method m, const char *url, const char *const *extra, chunk_src *src,
                        mlv_tus_reply *r)
{
    struct curl_slist *h = NULL, *t;
    CURL *e = c->curl;
    CURLcode cc;

    mlv_tus_reply_reset(r);
    for (size_t i = 0; i < sizeof common_headers / sizeof common_headers[0] + TUS_MAX_EXTRA; i++) {
        const char *line = i < sizeof common_headers / sizeof common_headers[0]
                               ? common_headers[i] : extra != NULL ? *extra++ : NULL;

        if (line == NULL)
            break;
        if ((t = curl_slist_append(h, line)) == NULL) {
            curl_slist_free_all(h);
            return CURLE_OUT_OF_MEMORY;
        }
        h = t;
    }
    c->errbuf[0] = '\0';
    curl_easy_reset(e);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    /* "" also keeps libcurl from taking a proxy from the environment. */
    curl_easy_setopt(e, CURLOPT_PROXY, c->opts.proxy != NULL ? c->opts.proxy : "");
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)MLV_SUBMIT_CONNECT_TIMEOUT_SECONDS);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, (long)MLV_SUBMIT_STALL_BYTES);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)MLV_SUBMIT_STALL_SECONDS);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    switch (m) {
    case M_GET:
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        break;
    case M_HEAD:
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        break;
    case M_POST:
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->post_body != NULL ? c->post_body : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)(c->post_body != NULL ? c->post_len : 0u));
        break;
    case M_PATCH:
        curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PATCH");
        curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(e, CURLOPT_READDATA, src);
        curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(e, CURLOPT_SEEKDATA, src);
        curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)src->len);
        curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(e, CURLOPT_XFERINFODATA, c);
        break;
    }
    cc = curl_easy_perform(e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    return cc;
}

/* Transport errors no retry can fix. */
static int curl_fatal(CURLcode cc)
{
    switch (cc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_FILESIZE_EXCEEDED:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_WRITE_ERROR:
        return 1;
    default:
        return 0;
    }
}

/* Statuses that say "not now" rather than "never". */
static int status_transient(long status)
{
    if (status == 408 || status == 423 || status == 429)
        return 1;
    return status >= 500 && status != 501 && status != 505 && status != 507;
}

/* Prints "malyava: WHAT: WHY" where WHY is the transport error or the
 * server's status and its one-line message (hostile text: made safe). */
static void report(mlv_tus_client *c, const char *what, CURLcode cc, const mlv_tus_reply *r, const char *tail)
{
    progress_end(c);
    fprintf(stderr, "malyava: %s: ", what);
    if (cc != CURLE_OK) {
        /* libcurl's message may quote what a server or proxy sent. */
        const char *why = c->errbuf[0] != '\0' ? c->errbuf : curl_easy_strerror(cc);

        mlv_termsafe_write(stderr, why, strlen(why), 0);
    } else {
        fprintf(stderr, "the server answered %ld", r->status);
        mlv_cli_server_text(stderr, r->text, r->text_len);
    }
    fprintf(stderr, "%s\n", tail);
}

/* Counts a failed attempt and waits before the next; -1 once the retries
 * are spent. */
static int wait_to_retry(mlv_tus_client *c, const char *what, CURLcode cc, const mlv_tus_reply *r)
{
    uint64_t base = MLV_SUBMIT_BACKOFF_FIRST_MS, delay;
    char tail[96];

    if (c->failures >= c->opts.retries) {
        report(c, what, cc, r, "");
        mlv_cli_error("gave up after %u failed attempts in a row; check the network (and the proxy, if any) "
                      "and try again later", c->failures + 1);
        return -1;
    }
    for (unsigned i = 0; i < c->failures && base < MLV_SUBMIT_BACKOFF_MAX_MS; i++)
        base *= 2u;
    if (base > MLV_SUBMIT_BACKOFF_MAX_MS)
        base = MLV_SUBMIT_BACKOFF_MAX_MS;
    delay = base / 2u + randombytes_uniform((uint32_t)(base / 2u + 1u));
    if (r != NULL && (uint64_t)r->retry_after * 1000u > delay)
        delay = (uint64_t)r->retry_after * 1000u;
    c->failures++;
    snprintf(tail, sizeof tail, "; retrying in %.1f s (%u of %u)", (double)delay / 1000.0, c->failures,
             c->opts.retries);
    report(c, what, cc, r, tail);
    sleep_ms(delay);
    return 0;
}

/* The common verdict on a finished request that did not get the answer it
 * wanted: retry after a wait, or give up with the server's reason. */
static step judge(mlv_tus_client *c, const char *what, CURLcode cc, const mlv_tus_reply *r, const char *advice)
{
    if ((cc != CURLE_OK && !curl_fatal(cc)) || (cc == CURLE_OK && status_transient(r->status)))
        return wait_to_retry(c, what, cc, r) == 0 ? STEP_AGAIN : STEP_FATAL;
    report(c, what, cc, r, "");
    if (advice != NULL)
        mlv_cli_error("%s", advice);
    return STEP_FATAL;
}

static char *url_of(const mlv_tus_client *c, const char *path, const char *id)
{
    char *url = NULL;

    if (asprintf(&url, "%s%s%s%s", c->base, path, id != NULL ? "/" : "", id != NULL ? id : "") < 0)
        return NULL;
    return url;
}

/*
 * A small request and its whole answer (at most `max` bytes), retrying
 * what a retry can fix. GET wants 200; POST hands back any final status.
 * `extra` is one more header line for a POST, or NULL.
 */
static int small_request(mlv_tus_client *c, method m, const char *path, const char *body, size_t len, size_t max,
                         const char *extra, long *status, char **out, size_t *out_len)
{
    const char *const text[] = { "Content-Type: text/plain", extra, NULL };
    mlv_tus_reply r;
    char what[64];
    char *url = url_of(c, path, NULL);
    CURLcode cc;
    int rc = -1;

    *out = NULL;
    *out_len = 0;
    memset(&r, 0, sizeof r);
    r.body_max = max;
    r.body = malloc(max + 1u);
    if (url == NULL || r.body == NULL) {
        mlv_cli_error("out of memory");
        goto out;
    }
    snprintf(what, sizeof what, "%s %s", m == M_GET ? "fetching" : "posting to", path);
    c->failures = 0;
    c->post_body = body;
    c->post_len = len;
    for (;;) {
        cc = perform(c, m, url, m == M_POST ? text : NULL, NULL, &r);
        if (r.body_over) {
            mlv_cli_error("%s: the answer is larger than %zu bytes, so it cannot be a Malyava drop-box's; "
                          "check the URL", what, max);
            goto out;
        }
        if (cc == CURLE_OK && (m == M_GET ? r.status == 200 : !status_transient(r.status)))
            break;
        if (judge(c, what, cc, &r,
                  cc == CURLE_OK && r.status == 404 ? "check the URL: it does not look like a Malyava drop-box"
                                                    : NULL) != STEP_AGAIN)
            goto out;
    }
    r.body[r.body_len] = '\0';
    *status = r.status;
    *out = (char *)r.body;
    *out_len = r.body_len;
    r.body = NULL;
    rc = 0;
out:
    c->post_body = NULL;
    c->post_len = 0;
    free(r.body);
    free(url);
    return rc;
}

int mlv_tus_get(mlv_tus_client *c, const char *path, size_t max, char **out, size_t *out_len)
{
    long status = 0;

    return small_request(c, M_GET, path, NULL, 0, max, NULL, &status, out, out_len);
}

int mlv_tus_post(mlv_tus_client *c, const char *path, const char *body, size_t len, size_t max, long *status,
                 char **out, size_t *out_len)
{
    return small_request(c, M_POST, path, body, len, max, NULL, status, out, out_len);
}

/* ---- the upload -------------------------------------------------------- */

/* Fetches a proof-of-work challenge and solves it: about a second at the
 * default difficulty. For an upload, `length` is its length (the work
 * grows with it); 0 for anything else. Failed attempts keep counting
 * across it. */
static int pow_line(mlv_tus_client *c, uint64_t length, char line[MLV_TUS_POW_LINE_BYTES])
{
    uint8_t challenge[MLV_POW_CHALLENGE_BYTES];
    unsigned bits, failures = c->failures;
    char *body = NULL, path[64] = "/api/v1/pow";
    size_t len;
    int rc = -1;

    if (length > 0)
        snprintf(path, sizeof path, "/api/v1/pow?length=%llu", (unsigned long long)length);
    if (mlv_tus_get(c, path, MLV_TUS_POW_ANSWER_MAX, &body, &len) == 0) {
        if (mlv_tus_pow_parse(body, len, challenge, &bits) == 0)
            rc = mlv_tus_pow_line(challenge, bits, line);
        else
            mlv_cli_error("the drop-box's proof-of-work challenge is malformed or asks for more than %u bits; "
                          "check the URL", MLV_POW_MAX_BITS);
    }
    free(body);
    c->failures = failures;
    return rc;
}

int mlv_tus_post_pow(mlv_tus_client *c, const char *path, const char *body, size_t len, size_t max, long *status,
                     char **out, size_t *out_len)
{
    char pow[MLV_TUS_POW_LINE_BYTES];
    int rc;

    for (unsigned tries = 0;; tries++) {
        if (pow_line(c, 0, pow) != 0)
            return -1;
        rc = small_request(c, M_POST, path, body, len, max, pow, status, out, out_len);
        /* The challenge expired on a slow link, or the server restarted
         * and forgot its key: solve a fresh one, within the retry budget. */
        if (rc != 0 || *status != 403 || tries >= c->opts.retries)
            return rc;
        free(*out);
        *out = NULL;
    }
}

static step create(mlv_tus_client *c, uint64_t length, char id[MLV_TUS_ID_BYTES])
{
    static const char what[] = "creating the upload";
    char line[64];
    char pow[MLV_TUS_POW_LINE_BYTES];
    const char *extra[] = { line, pow, "Content-Type:", NULL };
    char *url = url_of(c, TUS_UPLOADS_PATH, NULL);
    mlv_tus_reply r;
    CURLcode cc;
    step st = STEP_FATAL;

    memset(&r, 0, sizeof r);
    snprintf(line, sizeof line, "Upload-Length: %llu", (unsigned long long)length);
    if (pow_line(c, length, pow) != 0)
        goto out;
    if (url == NULL) {
        mlv_cli_error("out of memory");
        goto out;
    }
    cc = perform(c, M_POST, url, extra, NULL, &r);
    if (cc == CURLE_OK && r.status == 201) {
        if (!r.tus || r.bad || mlv_tus_reply_location_id(c->base, r.location, id) != 0) {
            mlv_cli_error("%s: the server's answer is not what a Malyava drop-box sends (Location and "
                          "Tus-Resumable); check the URL", what);
            goto out;
        }
        st = STEP_OK;
        goto out;
    }
    /* The challenge expired on a slow link, or the server restarted and
     * forgot its key: solve a fresh one, within the retry budget. */
    if (cc == CURLE_OK && r.status == 403 && c->failures++ < c->opts.retries) {
        st = STEP_AGAIN;
        goto out;
    }
    st = judge(c, what, cc, &r,
               cc != CURLE_OK          ? NULL
               : r.status == 413       ? "the envelope is larger than this drop-box takes; send fewer or smaller files"
               : r.status == 507       ? "the drop-box is out of space; try again later or tell the organisation"
                                       : NULL);
out:
    free(url);
    return st;
}

/* Asks the server how far the upload got; *done when it is complete, with
 * its receipt. */
static step head(mlv_tus_client *c, const char *id, uint64_t length, uint64_t *offset, int *done,
                 char receipt[MLV_RECEIPT_STR_BYTES])
{
    static const char what[] = "asking the server how much it has";
    char *url = url_of(c, TUS_UPLOADS_PATH, id);
    mlv_tus_reply r;
    CURLcode cc;
    step st = STEP_FATAL;

    memset(&r, 0, sizeof r);
    if (url == NULL) {
        mlv_cli_error("out of memory");
        goto out;
    }
    cc = perform(c, M_HEAD, url, NULL, NULL, &r);
    if (cc == CURLE_OK && (r.status == 404 || r.status == 410)) {
        st = STEP_GONE;
        goto out;
    }
    if (cc != CURLE_OK || r.status != 200) {
        st = judge(c, what, cc, &r, NULL);
        goto out;
    }
    if (!r.tus || r.bad || !r.has_offset || !r.has_length || r.length != length || r.offset > length ||
        (r.offset == length && !r.has_receipt)) {
        mlv_cli_error("%s: the answer does not fit this upload (%llu bytes); if you used --state, the file may "
                      "belong to another submission", what, (unsigned long long)length);
        goto out;
    }
    *offset = r.offset;
    *done = r.offset == length;
    if (*done)
        memcpy(receipt, r.receipt, MLV_RECEIPT_STR_BYTES);
    st = STEP_OK;
out:
    free(url);
    return st;
}

static ssize_t pread_full(int fd, uint8_t *buf, size_t len, uint64_t offset)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = pread(fd, buf + done, len - done, (off_t)(offset + done));

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -1 : (ssize_t)done;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

/* Sends buf[0..len) at `offset`; on success *offset is the server's new
 * one and *done set (with the receipt) if that was the last byte. */
static step patch(mlv_tus_client *c, const char *id, const uint8_t *buf, size_t len, uint64_t *offset,
                  uint64_t length, int *done, char receipt[MLV_RECEIPT_STR_BYTES])
{
    char what[64];
    uint8_t digest[crypto_hash_sha256_BYTES];
    char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    char off_line[48], sum_line[TUS_CHECKSUM_BYTES + 24];
    const char *extra[] = { "Content-Type: application/offset+octet-stream", off_line, sum_line, NULL };
    char *url = url_of(c, TUS_UPLOADS_PATH, id);
    chunk_src src = { buf, len, 0 };
    mlv_tus_reply r;
    CURLcode cc;
    step st = STEP_FATAL;

    memset(&r, 0, sizeof r);
    snprintf(what, sizeof what, "sending bytes from %llu", (unsigned long long)*offset);
    crypto_hash_sha256(digest, buf, len);
    sodium_bin2base64(b64, sizeof b64, digest, sizeof digest, sodium_base64_VARIANT_ORIGINAL);
    snprintf(off_line, sizeof off_line, "Upload-Offset: %llu", (unsigned long long)*offset);
    snprintf(sum_line, sizeof sum_line, "Upload-Checksum: sha256 %s", b64);
    if (url == NULL) {
        mlv_cli_error("out of memory");
        goto out;
    }
    c->sent_before = *offset;
    cc = perform(c, M_PATCH, url, extra, &src, &r);
    if (cc == CURLE_OK && r.status == 204) {
        if (!r.tus || r.bad || !r.has_offset || r.offset <= *offset || r.offset > *offset + len) {
            mlv_cli_error("%s: the server's answer does not fit what was sent; check the URL", what);
            goto out;
        }
        *offset = r.offset;
        *done = r.offset == length && r.has_receipt;
        if (*done)
            memcpy(receipt, r.receipt, MLV_RECEIPT_STR_BYTES);
        st = STEP_OK;
        goto out;
    }
    if (cc == CURLE_OK && (r.status == 404 || r.status == 410)) {
        st = STEP_GONE;
        goto out;
    }
    /* 403: already complete (our last answer was lost); 409: our offset is
     * stale; 460: bytes damaged on the way. A HEAD sorts out all three. */
    if (cc == CURLE_OK && (r.status == 403 || r.status == 409 || r.status == 460)) {
        st = wait_to_retry(c, what, cc, &r) == 0 ? STEP_AGAIN : STEP_FATAL;
        goto out;
    }
    st = judge(c, what, cc, &r,
               cc == CURLE_OK && r.status == 422
                   ? "nothing was delivered. If the drop-box's editor keys changed since its manifest was "
                     "fetched, running the command again seals to the current ones (delete the --state file first)"
                   : NULL);
out:
    free(url);
    return st;
}

int mlv_tus_upload(mlv_tus_client *c, int fd, uint64_t length, char id[MLV_TUS_ID_BYTES],
                   mlv_tus_created_fn on_created, void *ctx, char receipt[MLV_RECEIPT_STR_BYTES])
{
    uint8_t *buf = malloc(c->opts.chunk_bytes);
    uint64_t offset = 0;
    int need_head = id[0] != '\0', done = 0, rc = -1;
    step st;

    if (buf == NULL) {
        mlv_cli_error("out of memory for a %zu-byte chunk; use a smaller --chunk-size", c->opts.chunk_bytes);
        return -1;
    }
    c->failures = 0;
    c->total = length;
    while (!done) {
        if (id[0] == '\0') {
            st = create(c, length, id);
            if (st == STEP_OK) {
                offset = 0;
                need_head = 0;
                if (on_created != NULL && on_created(ctx, id) != 0)
                    goto out;
            }
        } else if (need_head) {
            st = head(c, id, length, &offset, &done, receipt);
            if (st == STEP_OK)
                need_head = 0;
        } else {
            /* The first bytes go alone: the server judges the header from them. */
            size_t want = offset == 0 && c->opts.chunk_bytes > MLV_SUBMIT_FIRST_PATCH_BYTES
                              ? MLV_SUBMIT_FIRST_PATCH_BYTES : c->opts.chunk_bytes;
            ssize_t n;

            if (length - offset < want)
                want = (size_t)(length - offset);
            n = pread_full(fd, buf, want, offset);
            if (n != (ssize_t)want) {
                progress_end(c);
                mlv_cli_error("cannot read the envelope at byte %llu: %s", (unsigned long long)offset,
                              n < 0 ? strerror(errno) : "it is shorter than when the upload began");
                goto out;
            }
            st = patch(c, id, buf, want, &offset, length, &done, receipt);
            if (st == STEP_OK) {
                c->failures = 0;
                progress_draw(c, offset, offset == length);
                /* Complete, but the answer had no receipt: ask for it. */
                need_head = offset == length && !done;
            }
        }
        if (st == STEP_FATAL)
            goto out;
        if (st == STEP_AGAIN) {
            need_head = id[0] != '\0';
        } else if (st == STEP_GONE) {
            if (c->failures >= c->opts.retries) {
                mlv_cli_error("the server keeps losing the upload; try again later");
                goto out;
            }
            c->failures++;
            progress_end(c);
            mlv_cli_error("the server no longer has this upload (it expired or was refused); starting it again "
                          "from the beginning");
            id[0] = '\0';
        }
    }
    rc = 0;
out:
    progress_end(c);
    free(buf);
    return rc;
}
