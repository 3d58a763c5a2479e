/* See http.h. */
#include "http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <malyava/limits.h>

#include "log.h"

#define UPLOADS_PATH "/api/v1/uploads"

#define EXACT MLV_ROUTE_EXACT
#define BY_ID MLV_ROUTE_ID
#define TAIL MLV_ROUTE_TAIL

/* What the public listener (the sources' onion service) serves. */
static const mlv_route public_routes[] = {
    { "/", EXACT, MHD_HTTP_METHOD_GET, 0, mlv_route_page, NULL },
    { "/", EXACT, MHD_HTTP_METHOD_HEAD, 0, mlv_route_page, NULL },
    { "/submit", EXACT, MHD_HTTP_METHOD_GET, 0, mlv_route_page, NULL },
    { "/submit", EXACT, MHD_HTTP_METHOD_HEAD, 0, mlv_route_page, NULL },
    { "/replies", EXACT, MHD_HTTP_METHOD_GET, 0, mlv_route_page, NULL },
    { "/replies", EXACT, MHD_HTTP_METHOD_HEAD, 0, mlv_route_page, NULL },
    { "/nojs", EXACT, MHD_HTTP_METHOD_GET, 0, mlv_route_page, NULL },
    { "/nojs", EXACT, MHD_HTTP_METHOD_HEAD, 0, mlv_route_page, NULL },
    { "/nojs", EXACT, MHD_HTTP_METHOD_POST, 0, mlv_route_nojs_post, mlv_route_nojs_done },
    { "/static/", TAIL, MHD_HTTP_METHOD_GET, 0, mlv_route_static, NULL },
    { "/static/", TAIL, MHD_HTTP_METHOD_HEAD, 0, mlv_route_static, NULL },
    { "/i18n/", TAIL, MHD_HTTP_METHOD_GET, 0, mlv_route_i18n, NULL },
    { "/i18n/", TAIL, MHD_HTTP_METHOD_HEAD, 0, mlv_route_i18n, NULL },
    { "/manifest", EXACT, MHD_HTTP_METHOD_GET, 0, mlv_route_manifest, NULL },
    { "/manifest.minisig", EXACT, MHD_HTTP_METHOD_GET, 0, mlv_route_manifest_sig, NULL },
    { "/org.pub", EXACT, MHD_HTTP_METHOD_GET, 0, mlv_route_org_key, NULL },
    { "/api/v1/pow", EXACT, MHD_HTTP_METHOD_GET, 0, mlv_route_pow, NULL },
    { UPLOADS_PATH, EXACT, MHD_HTTP_METHOD_OPTIONS, 1, mlv_route_tus_options, NULL },
    { UPLOADS_PATH, EXACT, MHD_HTTP_METHOD_POST, 1, mlv_route_tus_create, NULL },
    { UPLOADS_PATH "/", BY_ID, MHD_HTTP_METHOD_HEAD, 1, mlv_route_tus_head, NULL },
    { UPLOADS_PATH "/", BY_ID, MHD_HTTP_METHOD_PATCH, 1, mlv_route_tus_patch, mlv_route_tus_patch_done },
    { UPLOADS_PATH "/", BY_ID, MHD_HTTP_METHOD_DELETE, 1, mlv_route_tus_delete, NULL },
    { "/api/v1/replies/register", EXACT, MHD_HTTP_METHOD_POST, 0, mlv_route_replies_register, mlv_route_replies_done },
    { "/api/v1/replies/fetch", EXACT, MHD_HTTP_METHOD_POST, 0, mlv_route_replies_fetch, mlv_route_replies_done },
};

/* What only the editors' listener serves: on the public one these paths
 * are as unknown as any other, so no stranger can reach, probe or lock
 * them. */
static const mlv_route editors_routes[] = {
    { "/api/v1/export", EXACT, MHD_HTTP_METHOD_GET, 0, mlv_route_export, NULL },
    { "/api/v1/export/ack", EXACT, MHD_HTTP_METHOD_POST, 0, mlv_route_export_ack, mlv_route_editors_done },
    { "/api/v1/replies/import", EXACT, MHD_HTTP_METHOD_POST, 0, mlv_route_replies_import, mlv_route_editors_done },
};

typedef struct route_table {
    const mlv_route *routes;
    size_t n;
    const char *not_found; /* the 404 message */
} route_table;

static const route_table public_table = { public_routes, sizeof public_routes / sizeof public_routes[0],
                                          "no such resource; uploads go to " UPLOADS_PATH };
static const route_table editors_table = {
    editors_routes, sizeof editors_routes / sizeof editors_routes[0],
    "no such resource; this listener serves only GET /api/v1/export, POST /api/v1/export/ack and "
    "POST /api/v1/replies/import"
};

/* API answers never load anything; pages load only their own files. */
static const char api_csp[] = "default-src 'none'; frame-ancestors 'none'";
static const char page_csp[] =
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

static const char *const security_headers[][2] = {
    { "Cache-Control", "no-store" },
    { "Referrer-Policy", "no-referrer" },
    { "X-Content-Type-Options", "nosniff" },
    { "X-Frame-Options", "DENY" },
    { "Cross-Origin-Resource-Policy", "same-origin" },
};

struct MHD_Response *mlv_http_with(struct MHD_Response *resp, ...)
{
    const char *name, *value;
    va_list ap;

    va_start(ap, resp);
    while (resp != NULL && (name = va_arg(ap, const char *)) != NULL) {
        value = va_arg(ap, const char *);
        if (value != NULL && MHD_add_response_header(resp, name, value) != MHD_YES) {
            MHD_destroy_response(resp);
            resp = NULL;
        }
    }
    va_end(ap);
    return resp;
}

static struct MHD_Response *secured_csp(struct MHD_Response *resp, const char *type, const char *csp)
{
    resp = mlv_http_with(resp, "Content-Security-Policy", csp, NULL);
    for (size_t i = 0; resp != NULL && i < sizeof security_headers / sizeof security_headers[0]; i++)
        resp = mlv_http_with(resp, security_headers[i][0], security_headers[i][1], NULL);
    return mlv_http_with(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type, NULL);
}

static struct MHD_Response *secured(struct MHD_Response *resp, const char *type)
{
    return secured_csp(resp, type, api_csp);
}

static struct MHD_Response *buffer_response(const void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, mode);

    if (resp == NULL && mode == MHD_RESPMEM_MUST_FREE)
        free((void *)(uintptr_t)body);
    return resp;
}

struct MHD_Response *mlv_http_response(const void *body, size_t len, enum MHD_ResponseMemoryMode mode,
                                       const char *type)
{
    return secured(buffer_response(body, len, mode), type);
}

struct MHD_Response *mlv_http_page_response(const void *body, size_t len, enum MHD_ResponseMemoryMode mode,
                                            const char *type)
{
    return secured_csp(buffer_response(body, len, mode), type, page_csp);
}

struct MHD_Response *mlv_http_response_fd(int fd, uint64_t size, const char *type)
{
    struct MHD_Response *resp = MHD_create_response_from_fd(size, fd);

    if (resp == NULL) {
        close(fd);
        return NULL;
    }
    return secured(resp, type);
}

struct MHD_Response *mlv_http_empty(void)
{
    return mlv_http_response("", 0, MHD_RESPMEM_PERSISTENT, NULL);
}

struct MHD_Response *mlv_http_error_vresponse(const char *fmt, va_list ap)
{
    char line[384];
    int n = vsnprintf(line, sizeof line - 1u, fmt, ap);

    if (n < 0)
        return NULL;
    if ((size_t)n > sizeof line - 2u)
        n = (int)(sizeof line - 2u);
    line[n++] = '\n';
    return mlv_http_response(line, (size_t)n, MHD_RESPMEM_MUST_COPY, "text/plain; charset=utf-8");
}

struct MHD_Response *mlv_http_error_response(const char *fmt, ...)
{
    struct MHD_Response *resp;
    va_list ap;

    va_start(ap, fmt);
    resp = mlv_http_error_vresponse(fmt, ap);
    va_end(ap);
    return resp;
}

/* Will a body follow the headers? Not if the client waits for
 * "100 Continue", which an early answer replaces. */
static int body_expected(mlv_http_req *r)
{
    const char *len = mlv_http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH, NULL);
    const char *expect = mlv_http_header(r, MHD_HTTP_HEADER_EXPECT, NULL);

    if (expect != NULL && strcasecmp(expect, "100-continue") == 0)
        return 0;
    return (len != NULL && strcmp(len, "0") != 0) ||
           mlv_http_header(r, MHD_HTTP_HEADER_TRANSFER_ENCODING, NULL) != NULL;
}

enum MHD_Result mlv_http_send(mlv_http_req *r, unsigned status, struct MHD_Response *resp)
{
    enum MHD_Result rc;

    if (r->route != NULL && r->route->tus)
        resp = mlv_http_with(resp, "Tus-Resumable", "1.0.0", NULL);
    if (resp == NULL)
        return MHD_NO;
    r->answered = 1;
    if (!r->last && (!r->first || body_expected(r))) {
        r->deferred = resp;
        r->deferred_status = status;
        return MHD_YES;
    }
    rc = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

enum MHD_Result mlv_http_fail(mlv_http_req *r, unsigned status, const char *fmt, ...)
{
    struct MHD_Response *resp;
    va_list ap;

    va_start(ap, fmt);
    resp = mlv_http_error_vresponse(fmt, ap);
    va_end(ap);
    return mlv_http_send(r, status, resp);
}

typedef struct header_scan {
    const char *name;
    const char *value;
    unsigned matches;
    size_t count;
    size_t bytes;
} header_scan;

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                   const char *value, size_t value_size)
{
    header_scan *sc = cls;

    (void)kind;
    sc->count++;
    sc->bytes += key_size + value_size;
    if (sc->name != NULL && strcasecmp(key, sc->name) == 0) {
        if (sc->matches++ == 0)
            sc->value = value;
    }
    return MHD_YES;
}

const char *mlv_http_header(mlv_http_req *r, const char *name, int *dup)
{
    header_scan sc = { name, NULL, 0, 0, 0 };

    MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, scan_header, &sc);
    if (dup != NULL)
        *dup = sc.matches > 1;
    return sc.value;
}

static int path_matches(const mlv_route *rt, const char *url, size_t url_len)
{
    size_t plen = strlen(rt->path);

    switch (rt->match) {
    case MLV_ROUTE_EXACT:
        return url_len == plen && memcmp(url, rt->path, plen) == 0;
    case MLV_ROUTE_ID:
        return url_len > plen && memcmp(url, rt->path, plen) == 0 && strchr(url + plen, '/') == NULL;
    case MLV_ROUTE_TAIL:
    default:
        return url_len > plen && memcmp(url, rt->path, plen) == 0;
    }
}

static enum MHD_Result not_routed(const route_table *t, mlv_http_req *r, const char *url, size_t url_len)
{
    const mlv_route *routes = t->routes;
    char allow[64] = "";
    struct MHD_Response *resp;

    for (size_t i = 0; i < t->n; i++) {
        if (path_matches(&routes[i], url, url_len) && strlen(allow) + strlen(routes[i].method) + 3u < sizeof allow) {
            if (allow[0] != '\0')
                strcat(allow, ", ");
            strcat(allow, routes[i].method);
            r->route = routes[i].tus ? &routes[i] : NULL;
        }
    }
    if (allow[0] == '\0')
        return mlv_http_fail(r, MHD_HTTP_NOT_FOUND, "%s", t->not_found);
    resp = mlv_http_error_response("this method is not allowed here; use %s", allow);
    return mlv_http_send(r, MHD_HTTP_METHOD_NOT_ALLOWED, mlv_http_with(resp, MHD_HTTP_HEADER_ALLOW, allow, NULL));
}

/* What makes the body's length ambiguous (RFC 9112 §6.1, §6.3): a proxy
 * in front could frame it one way and libmicrohttpd another, so bytes one
 * takes for the body the other would take for a request of its own. NULL
 * when the framing is clear. */
static const char *framing_problem(mlv_http_req *r)
{
    int dup_len, dup_te;
    const char *len = mlv_http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH, &dup_len);
    const char *te = mlv_http_header(r, MHD_HTTP_HEADER_TRANSFER_ENCODING, &dup_te);

    if (len != NULL && te != NULL)
        return "Content-Length and Transfer-Encoding together";
    if (dup_len)
        return "Content-Length more than once";
    if (te != NULL && (dup_te || strcasecmp(te, "chunked") != 0))
        return "a Transfer-Encoding other than chunked alone";
    return NULL;
}

/* Answered at once, body unread, and the connection ends after the
 * answer: nothing that follows on it is read as a request. */
static enum MHD_Result refuse_framing(mlv_http_req *r, const char *problem)
{
    struct MHD_Response *resp =
        mlv_http_error_response("the request's length is ambiguous (%s); send either Content-Length or "
                                "Transfer-Encoding: chunked, once",
                                problem);

    r->last = 1;
    return mlv_http_send(r, MHD_HTTP_BAD_REQUEST, mlv_http_with(resp, MHD_HTTP_HEADER_CONNECTION, "close", NULL));
}

static enum MHD_Result route_request(const route_table *t, mlv_http_req *r, const char *url, const char *method,
                                     size_t *data_size)
{
    const char *framing;
    header_scan sc = { NULL, NULL, 0, 0, 0 };
    size_t url_len = strnlen(url, MLV_SRV_MAX_URL_BYTES + 1u);

    /* First: every other answer waits for the body, whose end is what
     * is in doubt here. */
    framing = framing_problem(r);
    if (framing != NULL)
        return refuse_framing(r, framing);
    if (url_len > MLV_SRV_MAX_URL_BYTES)
        return mlv_http_fail(r, MHD_HTTP_URI_TOO_LONG, "the URL is too long; no resource here has one this long");
    MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, scan_header, &sc);
    if (sc.count > MLV_SRV_MAX_HEADERS || sc.bytes > MLV_SRV_MAX_HEADER_BYTES)
        return mlv_http_fail(r, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE,
                             "too many or too large request headers (at most %u headers, %u bytes)",
                             MLV_SRV_MAX_HEADERS, MLV_SRV_MAX_HEADER_BYTES);
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->routes[i].method, method) == 0 && path_matches(&t->routes[i], url, url_len)) {
            r->route = &t->routes[i];
            break;
        }
    }
    if (r->route == NULL)
        return not_routed(t, r, url, url_len);
    if (r->route->match == MLV_ROUTE_TAIL)
        r->tail = url + strlen(r->route->path);
    if (r->route->match == MLV_ROUTE_ID) {
        const char *id = url + strlen(r->route->path);
        size_t id_len = strlen(id);
        r->id_ok = mlv_store_id_valid(id, id_len);
        if (r->id_ok)
            memcpy(r->id, id, id_len + 1u);
    }
    return r->route->handler(r, NULL, data_size);
}

static enum MHD_Result dispatch(const route_table *t, void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *data, size_t *data_size, void **req_cls)
{
    mlv_http_req *r = *req_cls;
    enum MHD_Result rc;

    if (r == NULL) {
        r = calloc(1, sizeof *r);
        if (r == NULL)
            return MHD_NO;
        r->srv = cls;
        r->conn = conn;
        *req_cls = r;
        r->first = 1;
        rc = route_request(t, r, url, method, data_size);
        r->first = 0;
        return rc;
    }
    if (r->answered) {
        struct MHD_Response *resp = r->deferred;

        if (*data_size > 0) {
            r->drained += *data_size;
            *data_size = 0;
            return r->drained > MLV_SRV_DRAIN_MAX_BYTES ? MHD_NO : MHD_YES;
        }
        if (resp == NULL)
            return MHD_YES;
        r->deferred = NULL;
        rc = MHD_queue_response(conn, r->deferred_status, resp);
        MHD_destroy_response(resp);
        return rc;
    }
    r->last = *data_size == 0;
    return r->route->handler(r, data, data_size);
}

/* One entry point per listener: which routes exist is decided by the
 * daemon a connection came to, never by anything in the request. */
static enum MHD_Result dispatch_public(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                       const char *version, const char *data, size_t *data_size, void **req_cls)
{
    (void)version;
    return dispatch(&public_table, cls, conn, url, method, data, data_size, req_cls);
}

static enum MHD_Result dispatch_editors(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                        const char *version, const char *data, size_t *data_size, void **req_cls)
{
    (void)version;
    return dispatch(&editors_table, cls, conn, url, method, data, data_size, req_cls);
}

static void completed(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode toe)
{
    mlv_http_req *r = *req_cls;

    (void)cls;
    (void)conn;
    if (r == NULL)
        return;
    if (r->route != NULL && r->route->cleanup != NULL)
        r->route->cleanup(r, toe);
    if (r->deferred != NULL)
        MHD_destroy_response(r->deferred);
    free(r);
    *req_cls = NULL;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decoding of paths and query values, except that "%00" stays as
 * it is: a NUL would silently cut a name short ("style.css%00.png" would
 * become "style.css"), so such a URL matches nothing instead. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    char *out = s;

    (void)cls;
    (void)conn;
    for (const char *in = s; *in != '\0'; out++) {
        int hi = in[0] == '%' ? hex_value(in[1]) : -1, lo = hi >= 0 ? hex_value(in[2]) : -1;

        if (lo >= 0 && (hi | lo) != 0) {
            *out = (char)(hi << 4 | lo);
            in += 3;
        } else {
            *out = *in++;
        }
    }
    *out = '\0';
    return (size_t)(out - s);
}

struct MHD_Daemon *mlv_http_start(mlv_srv *srv, int listen_fd, mlv_http_listener which)
{
    const mlv_cfg *c = &srv->cfg;
    /*
     * poll(2), not epoll: libmicrohttpd 0.9.75 (Debian 12) registers
     * connections edge-triggered and takes a short read for "drained".
     * When a request's last bytes and the client's close arrive together
     * (a slow client that gives up; any connection accepted from the
     * queue after its client left), the read returns the bytes, the close
     * raises no new edge, and the connection holds its slot until
     * timeout_seconds: a burst of slow clients then locks everyone out
     * for that long after it has gone. poll is level-triggered, so the
     * close is read on the next round (fixed upstream in 1.0.0, #7192).
     * Tested by "server closed connections free their slots".
     */
    unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC;
    int editors = which == MLV_HTTP_EDITORS;
    unsigned threads = editors ? MLV_SRV_EDITORS_THREADS : (unsigned)c->threads;
    unsigned max_connections = editors ? MLV_SRV_EDITORS_MAX_CONNECTIONS : (unsigned)c->max_connections;

    /* No MHD_USE_ERROR_LOG: its messages can name client addresses. */
    return MHD_start_daemon(flags, 0, NULL, NULL, editors ? dispatch_editors : dispatch_public, srv,
                            MHD_OPTION_LISTEN_SOCKET, listen_fd,
                            MHD_OPTION_THREAD_POOL_SIZE, threads,
                            MHD_OPTION_CONNECTION_LIMIT, max_connections,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)c->timeout_seconds,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MLV_SRV_CONNECTION_MEMORY_BYTES,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
                            MHD_OPTION_STRICT_FOR_CLIENT, 1,
                            MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
                            MHD_OPTION_END);
}

void mlv_http_stop(struct MHD_Daemon *d)
{
    if (d != NULL)
        MHD_stop_daemon(d);
}
