/* See desk_http.h. */
#include "desk_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

#include <malyava/limits.h>

const char mlv_desk_page_csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'";
const char mlv_desk_data_csp[] = "default-src 'none'; frame-ancestors 'none'; sandbox";

static const char *const security_headers[][2] = {
    { "Cache-Control", "no-store" },
    { "Referrer-Policy", "no-referrer" },
    { "X-Content-Type-Options", "nosniff" },
    { "X-Frame-Options", "DENY" },
    { "Cross-Origin-Opener-Policy", "same-origin" },
    { "Cross-Origin-Resource-Policy", "same-origin" },
};

struct mlv_desk_http {
    struct MHD_Daemon *daemon;
    mlv_desk_handler handler;
    void *ctx;
};

/* One request while it is read. */
typedef struct pending {
    uint8_t *body;  /* guarded memory of the declared length */
    size_t len, cap;
    int refused;    /* too large, or a body without a length */
} pending;

typedef struct scan {
    mlv_desk_req *r;
    size_t count, bytes;
} scan;

typedef struct sent {
    uint8_t *p;
    size_t len;
} sent;

int mlv_desk_http_listen(unsigned port, unsigned *bound)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (const struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    *bound = ntohs(sa.sin_port);
    return fd;
}

static void wipe_sent(void *cls)
{
    sent *s = cls;

    sodium_memzero(s->p, s->len);
    free(s->p);
    free(s);
}

static struct MHD_Response *with(struct MHD_Response *resp, const char *name, const char *value)
{
    if (resp != NULL && value != NULL && value[0] != '\0' && MHD_add_response_header(resp, name, value) != MHD_YES) {
        MHD_destroy_response(resp);
        return NULL;
    }
    return resp;
}

static struct MHD_Response *build(mlv_desk_resp *a)
{
    struct MHD_Response *resp;
    sent *s = NULL;

    if (a->body != NULL) {
        if ((s = malloc(sizeof *s)) == NULL)
            return NULL;
        s->p = a->body;
        s->len = a->len;
        resp = MHD_create_response_from_buffer_with_free_callback_cls(a->len, a->body, wipe_sent, s);
        if (resp == NULL) {
            free(s);
            return NULL;
        }
        a->body = NULL; /* the response owns it now */
    } else {
        resp = MHD_create_response_from_buffer(a->fixed != NULL ? a->len : 0, (void *)(uintptr_t)a->fixed,
                                               MHD_RESPMEM_PERSISTENT);
    }
    for (size_t i = 0; resp != NULL && i < sizeof security_headers / sizeof security_headers[0]; i++)
        resp = with(resp, security_headers[i][0], security_headers[i][1]);
    resp = with(resp, "Content-Security-Policy", a->csp != NULL ? a->csp : mlv_desk_page_csp);
    resp = with(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->type);
    resp = with(resp, "Content-Disposition", a->disposition);
    resp = with(resp, MHD_HTTP_HEADER_SET_COOKIE, a->cookie);
    return with(resp, MHD_HTTP_HEADER_LOCATION, a->location);
}

static enum MHD_Result send_answer(struct MHD_Connection *c, mlv_desk_resp *a)
{
    struct MHD_Response *resp = build(a);
    enum MHD_Result rc;

    if (a->body != NULL) {
        sodium_memzero(a->body, a->len);
        free(a->body);
        a->body = NULL;
    }
    if (resp == NULL)
        return MHD_NO;
    rc = MHD_queue_response(c, a->status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *text)
{
    mlv_desk_resp a;

    memset(&a, 0, sizeof a);
    a.status = status;
    a.type = "text/plain; charset=utf-8";
    a.fixed = (const uint8_t *)text;
    a.len = strlen(text);
    a.csp = mlv_desk_data_csp;
    return send_answer(c, &a);
}

static enum MHD_Result take_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                   const char *value, size_t value_size)
{
    static const struct {
        const char *name;
        size_t offset;
    } wanted[] = {
        { "Host", offsetof(mlv_desk_req, host) },
        { "Origin", offsetof(mlv_desk_req, origin) },
        { "Cookie", offsetof(mlv_desk_req, cookie) },
        { "Content-Type", offsetof(mlv_desk_req, content_type) },
        { "Sec-Fetch-Site", offsetof(mlv_desk_req, fetch_site) },
    };
    scan *sc = cls;

    (void)kind;
    sc->count++;
    sc->bytes += key_size + value_size;
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        const char **slot = (const char **)(void *)((char *)sc->r + wanted[i].offset);

        if (strcasecmp(key, wanted[i].name) != 0)
            continue;
        if (*slot != NULL || strlen(value) != value_size)
            sc->r->repeated = 1;
        *slot = value;
    }
    return MHD_YES;
}

static enum MHD_Result take_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    mlv_desk_req *r = cls;

    (void)kind;
    if (r->nargs == MLV_DESK_MAX_ARGS) {
        r->too_many_args = 1;
        return MHD_NO;
    }
    r->args[r->nargs].name = key;
    r->args[r->nargs++].value = value;
    return MHD_YES;
}

/* The first call: headers only. A body is taken only with a length the
 * desk accepts, into guarded memory of exactly that length. */
static pending *start(struct MHD_Connection *c)
{
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    pending *p = calloc(1, sizeof *p);
    char *end = NULL;
    unsigned long long n = 0;

    if (p == NULL)
        return NULL;
    if (cl != NULL) {
        errno = 0;
        n = strtoull(cl, &end, 10);
        if (errno != 0 || end == cl || *end != '\0' || cl[0] == '-' || n > MLV_DESK_MAX_BODY_BYTES)
            p->refused = 1;
    } else if (te != NULL) {
        p->refused = 1;
    }
    if (!p->refused && n > 0) {
        if ((p->body = sodium_malloc((size_t)n)) == NULL)
            p->refused = 1;
        p->cap = (size_t)n;
    }
    return p;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *data, size_t *data_size, void **req_cls)
{
    mlv_desk_http *h = cls;
    pending *p = *req_cls;
    mlv_desk_req r;
    mlv_desk_resp a;
    scan sc;
    enum MHD_Result rc;

    (void)version;
    if (p == NULL) {
        *req_cls = p = start(c);
        return p != NULL ? MHD_YES : MHD_NO;
    }
    if (*data_size > 0) {
        /* A body the desk did not agree to: the connection goes, rather
         * than reading on (libmicrohttpd cannot answer mid-body). */
        if (p->refused || p->body == NULL || *data_size > p->cap - p->len)
            return MHD_NO;
        memcpy(p->body + p->len, data, *data_size);
        p->len += *data_size;
        /* The connection's buffer held it (a passphrase, a reply): wipe. */
        sodium_memzero((void *)(uintptr_t)data, *data_size);
        *data_size = 0;
        return MHD_YES;
    }
    if (p->refused)
        return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "the request body is too large or has no length\n");
    memset(&r, 0, sizeof r);
    memset(&sc, 0, sizeof sc);
    sc.r = &r;
    r.method = method;
    r.path = url;
    MHD_get_connection_values_n(c, MHD_HEADER_KIND, take_header, &sc);
    if (strlen(url) > MLV_DESK_MAX_URL_BYTES || sc.count > MLV_DESK_MAX_HEADERS)
        return send_error(c, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE, "the request is too large\n");
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, take_arg, &r);
    r.body = p->body;
    r.body_len = p->len;
    memset(&a, 0, sizeof a);
    h->handler(h->ctx, &r, &a);
    rc = send_answer(c, &a);
    return rc;
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe)
{
    pending *p = *req_cls;

    (void)cls;
    (void)c;
    (void)toe;
    if (p == NULL)
        return;
    sodium_free(p->body);
    free(p);
    *req_cls = NULL;
}

static enum MHD_Result loopback_only(void *cls, const struct sockaddr *addr, socklen_t len)
{
    const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)addr;

    (void)cls;
    return len >= (socklen_t)sizeof *in && in->sin_family == AF_INET &&
                   (ntohl(in->sin_addr.s_addr) >> 24) == 127u
               ? MHD_YES
               : MHD_NO;
}

/* Percent-decoding, except of anything holding "%00": a NUL would cut a
 * value short ("/media/usb%00/x" must not become "/media/usb"), so such a
 * value stays as sent and names nothing. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    if (strstr(s, "%00") != NULL)
        return strlen(s);
    return MHD_http_unescape(s);
}

mlv_desk_http *mlv_desk_http_start(int listen_fd, mlv_desk_handler handler, void *ctx)
{
    mlv_desk_http *h = calloc(1, sizeof *h);

    if (h == NULL) {
        close(listen_fd);
        return NULL;
    }
    h->handler = handler;
    h->ctx = ctx;
    /* No MHD_USE_ERROR_LOG: the desk's terminal is the editor's. */
    h->daemon = MHD_start_daemon(MHD_USE_EPOLL, 0, loopback_only, NULL, answer, h,
                                 MHD_OPTION_LISTEN_SOCKET, listen_fd,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned)MLV_DESK_MAX_CONNECTIONS,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)MLV_DESK_CONNECTION_TIMEOUT_SECONDS,
                                 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MLV_DESK_CONNECTION_MEMORY_BYTES,
                                 MHD_OPTION_NOTIFY_COMPLETED, completed, h,
                                 MHD_OPTION_STRICT_FOR_CLIENT, 1,
                                 MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
                                 MHD_OPTION_END);
    if (h->daemon == NULL) {
        close(listen_fd);
        free(h);
        return NULL;
    }
    return h;
}

int mlv_desk_http_fd(mlv_desk_http *h)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_EPOLL_FD);

    return info != NULL ? info->epoll_fd : -1;
}

int mlv_desk_http_timeout_ms(mlv_desk_http *h)
{
    MHD_UNSIGNED_LONG_LONG ms = 0;

    if (MHD_get_timeout(h->daemon, &ms) != MHD_YES)
        return -1;
    return ms > 60000u ? 60000 : (int)ms;
}

void mlv_desk_http_run(mlv_desk_http *h)
{
    MHD_run(h->daemon);
}

void mlv_desk_http_stop(mlv_desk_http *h)
{
    if (h == NULL)
        return;
    MHD_stop_daemon(h->daemon);
    free(h);
}
