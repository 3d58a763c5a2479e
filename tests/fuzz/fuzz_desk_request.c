/*
 * What reaches `malyava desk` from outside: requests to its loopback
 * server (client/desk_gate.c, client/desk_req.c) and datagrams on its
 * Unix socket (client/desk_sock.c).
 *
 * The first byte chooses:
 *   0  a request as lines: method, path, Host, Origin, Cookie,
 *      Content-Type, Sec-Fetch-Site, then query arguments NAME=VALUE, an
 *      empty line, and the body. "@SESSION@" and "@SECRET@" stand for this
 *      run's session cookie value and one-time secret, so seeds reach the
 *      verdicts that let a request in.
 *   1  a JSON body; the next four bytes are the members allowed and
 *      required (MLV_DESK_F_*, little-endian 16 bits each).
 *   2  a request datagram on the socket;  3  an answer datagram.
 *
 * Promises checked: a request passes the gate only with Host exactly the
 * listener, the session's cookie, and (unless it only reads) Origin
 * exactly the listener; the one-time address only as GET /open; a parsed
 * form holds no member it was not allowed, lacks none it needs, and its
 * numbers and paths are what the routes assume; a datagram that parses
 * encodes back to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "desk_gate.h"
#include "desk_req.h"
#include "desk_sock.h"
#include "fuzz.h"

#define PORT 8080u
#define HOST "127.0.0.1:8080"
#define ORIGIN "http://127.0.0.1:8080"
#define HEX_BYTES (2u * MLV_DESK_SECRET_BYTES)

/* `line` with "@SESSION@" / "@SECRET@" replaced; malloc'd. */
static char *substitute(const char *line, const char *session, const char *secret)
{
    size_t cap = strlen(line) * (HEX_BYTES / 8u + 1u) + 1u, o = 0;
    char *out = malloc(cap);

    if (out == NULL)
        return NULL;
    for (const char *p = line; *p != '\0';) {
        int is_session = strncmp(p, "@SESSION@", 9) == 0;

        if (is_session || strncmp(p, "@SECRET@", 8) == 0) {
            memcpy(out + o, is_session ? session : secret, HEX_BYTES);
            o += HEX_BYTES;
            p += is_session ? 9 : 8;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    return out;
}

static int is_read(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
}

static void check_form(const mlv_desk_form *f, unsigned allowed, unsigned required)
{
    FUZZ_ASSERT((f->have & ~allowed) == 0 && (required & ~f->have) == 0);
    for (size_t i = 0; i < f->nids; i++) {
        FUZZ_ASSERT(f->ids[i] > 0);
        for (size_t k = 0; k < i; k++)
            FUZZ_ASSERT(f->ids[k] != f->ids[i]);
    }
    FUZZ_ASSERT(!(f->have & MLV_DESK_F_IDS) || (f->nids >= 1 && f->nids <= MLV_DESK_MAX_BATCH));
    FUZZ_ASSERT(!(f->have & MLV_DESK_F_ID) || f->id > 0);
    FUZZ_ASSERT(!(f->have & MLV_DESK_F_PATH) || f->path[0] == '/');
    FUZZ_ASSERT(!(f->have & MLV_DESK_F_TEXT) || (strlen(f->text) >= 1 && strlen(f->text) <= MLV_REPLY_MAX_TEXT_BYTES));
    FUZZ_ASSERT(!(f->have & MLV_DESK_F_VALUE) || strlen(f->value) <= MLV_TRIAGE_MAX_VALUE_BYTES);
    FUZZ_ASSERT((f->strip | f->accept_dropbox) <= 1);
}

static void http_request(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1u), *lines[7] = { 0 }, *p, *body, *subst[MLV_DESK_MAX_ARGS + 7] = { 0 };
    char url[MLV_DESK_ADDRESS_BYTES], set_cookie[192], session[HEX_BYTES + 1], value[256];
    mlv_desk_gate *g = mlv_desk_gate_new(PORT);
    mlv_desk_req r;
    mlv_desk_form f;
    mlv_desk_verdict v;
    const char *why;
    size_t n = 0;

    FUZZ_ASSERT(copy != NULL && g != NULL);
    memcpy(copy, data, size);
    copy[size] = '\0';
    mlv_desk_gate_address(g, url);
    mlv_desk_gate_exchange(g, set_cookie, sizeof set_cookie);
    memcpy(session, strchr(set_cookie, '=') + 1, HEX_BYTES);
    session[HEX_BYTES] = '\0';
    mlv_desk_gate_address(g, url); /* a live secret again, for /open */
    memset(&r, 0, sizeof r);
    p = copy;
    for (size_t i = 0; i < 7 && p != NULL; i++) {
        lines[i] = p;
        p = strchr(p, '\n');
        if (p != NULL)
            *p++ = '\0';
    }
    while (p != NULL && *p != '\n' && *p != '\0' && r.nargs < MLV_DESK_MAX_ARGS) {
        char *line = p, *eq;

        p = strchr(p, '\n');
        if (p != NULL)
            *p++ = '\0';
        eq = strchr(line, '=');
        if (eq != NULL)
            *eq = '\0';
        subst[n] = substitute(eq != NULL ? eq + 1 : "", session, strstr(url, "k=") + 2);
        r.args[r.nargs].name = line;
        r.args[r.nargs++].value = subst[n++];
    }
    body = p != NULL && *p == '\n' ? p + 1 : NULL;
    r.method = lines[0] != NULL ? lines[0] : "GET";
    r.path = lines[1] != NULL ? lines[1] : "/";
    r.host = lines[2] != NULL && lines[2][0] != '\0' ? lines[2] : NULL;
    r.origin = lines[3] != NULL && lines[3][0] != '\0' ? lines[3] : NULL;
    r.cookie = lines[4] != NULL ? (subst[n++] = substitute(lines[4], session, strstr(url, "k=") + 2)) : NULL;
    r.content_type = lines[5];
    r.fetch_site = lines[6] != NULL && lines[6][0] != '\0' ? lines[6] : NULL;
    r.body = (const uint8_t *)body;
    r.body_len = body != NULL ? size - (size_t)(body - copy) : 0;

    v = mlv_desk_gate_check(g, &r);
    if (v == MLV_DESK_PASS || v == MLV_DESK_EXCHANGE) {
        FUZZ_ASSERT(r.host != NULL && strcmp(r.host, HOST) == 0);
        FUZZ_ASSERT(is_read(r.method) || (r.origin != NULL && strcmp(r.origin, ORIGIN) == 0));
        FUZZ_ASSERT(r.fetch_site == NULL || strcmp(r.fetch_site, "same-origin") == 0 ||
                    (strcmp(r.fetch_site, "none") == 0 && is_read(r.method)));
    }
    if (v == MLV_DESK_PASS)
        FUZZ_ASSERT(r.cookie != NULL && strstr(r.cookie, session) != NULL);
    if (v == MLV_DESK_EXCHANGE)
        FUZZ_ASSERT(strcmp(r.path, "/open") == 0 && is_read(r.method));
    if (r.cookie != NULL && mlv_desk_cookie_value(r.cookie, "malyava_desk_8080", value, sizeof value) == 0)
        FUZZ_ASSERT(strchr(value, ';') == NULL && strlen(value) < sizeof value);
    if (mlv_desk_form_parse(r.body, r.body_len, 0x3FFu, 0, &f, &why) == MLV_DESK_FORM_OK) {
        check_form(&f, 0x3FFu, 0);
        mlv_desk_form_clear(&f);
    }
    for (size_t i = 0; i < n; i++)
        free(subst[i]);
    mlv_desk_gate_free(g);
    free(copy);
}

static void form(const uint8_t *data, size_t size)
{
    unsigned allowed, required;
    mlv_desk_form f;
    const char *why;

    if (size < 4)
        return;
    allowed = (unsigned)(data[0] | data[1] << 8) & 0x3FFu;
    required = (unsigned)(data[2] | data[3] << 8) & allowed;
    if (mlv_desk_form_parse(data + 4, size - 4, allowed, required, &f, &why) == MLV_DESK_FORM_OK) {
        check_form(&f, allowed, required);
        mlv_desk_form_clear(&f);
    }
}

static void datagram(const uint8_t *data, size_t size, int answer)
{
    uint8_t *copy = malloc(size > 0 ? size : 1u), *again = malloc(MLV_DESK_MAX_VERB_BYTES);
    size_t len = 0;

    FUZZ_ASSERT(copy != NULL && again != NULL);
    memcpy(copy, data, size);
    if (answer) {
        mlv_desk_answer kind;
        const char *text;
        int status;

        if (mlv_desk_wire_parse_answer(copy, size, &kind, &status, &text) == 0) {
            FUZZ_ASSERT(mlv_desk_wire_answer(kind, status, text, again, MLV_DESK_ANSWER_BYTES, &len) == 0);
            FUZZ_ASSERT(len == size && memcmp(again, data, size) == 0);
        }
    } else {
        mlv_desk_request r;

        if (mlv_desk_wire_parse_request(copy, size, &r) == 0) {
            FUZZ_ASSERT(r.argc >= 1 && r.argv[r.argc] == NULL);
            FUZZ_ASSERT(mlv_desk_wire_request(r.ask, r.argc, r.argv, r.vault_env, again, MLV_DESK_MAX_VERB_BYTES,
                                              &len) == 0);
            FUZZ_ASSERT(len == size && memcmp(again, data, size) == 0);
            mlv_desk_request_clear(&r);
        }
    }
    free(again);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    mlv_fuzz_rng_reset();
    switch (data[0] % 4u) {
    case 0: http_request(data + 1, size - 1); break;
    case 1: form(data + 1, size - 1); break;
    case 2: datagram(data + 1, size - 1, 0); break;
    default: datagram(data + 1, size - 1, 1); break;
    }
    return 0;
}
