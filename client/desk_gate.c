/* See desk_gate.h. */
#include "desk_gate.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#define HEX_BYTES (2u * MLV_DESK_SECRET_BYTES + 1u)

struct mlv_desk_gate {
    char host[32];          /* "127.0.0.1:PORT" */
    char origin[40];        /* "http://127.0.0.1:PORT" */
    char cookie_name[32];   /* "malyava_desk_PORT": one desk's cookie never shadows another's */
    uint8_t secret[MLV_DESK_SECRET_BYTES];
    uint8_t session[MLV_DESK_SECRET_BYTES];
    int secret_live, session_live;
};

mlv_desk_gate *mlv_desk_gate_new(unsigned port)
{
    mlv_desk_gate *g = sodium_malloc(sizeof *g);

    if (g == NULL)
        return NULL;
    memset(g, 0, sizeof *g);
    snprintf(g->host, sizeof g->host, "127.0.0.1:%u", port);
    snprintf(g->origin, sizeof g->origin, "http://127.0.0.1:%u", port);
    snprintf(g->cookie_name, sizeof g->cookie_name, "malyava_desk_%u", port);
    return g;
}

void mlv_desk_gate_free(mlv_desk_gate *g)
{
    sodium_free(g);
}

void mlv_desk_gate_address(mlv_desk_gate *g, char url[MLV_DESK_ADDRESS_BYTES])
{
    char hex[HEX_BYTES];

    randombytes_buf(g->secret, sizeof g->secret);
    g->secret_live = 1;
    sodium_bin2hex(hex, sizeof hex, g->secret, sizeof g->secret);
    snprintf(url, MLV_DESK_ADDRESS_BYTES, "%s/open?k=%s", g->origin, hex);
    sodium_memzero(hex, sizeof hex);
}

int mlv_desk_gate_pending(const mlv_desk_gate *g)
{
    return g->secret_live;
}

const char *mlv_desk_gate_origin(const mlv_desk_gate *g)
{
    return g->origin;
}

/* `hex` is exactly the secret in lower-case hex; constant time in its value. */
static int secret_is(const char *hex, const uint8_t secret[MLV_DESK_SECRET_BYTES])
{
    uint8_t got[MLV_DESK_SECRET_BYTES];
    size_t len = 0;
    int ok;

    if (hex == NULL || strlen(hex) != HEX_BYTES - 1u ||
        sodium_hex2bin(got, sizeof got, hex, HEX_BYTES - 1u, NULL, &len, NULL) != 0 || len != sizeof got)
        return 0;
    ok = sodium_memcmp(got, secret, sizeof got) == 0;
    sodium_memzero(got, sizeof got);
    return ok;
}

static int is_read(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

mlv_desk_verdict mlv_desk_gate_check(const mlv_desk_gate *g, const mlv_desk_req *r)
{
    char value[HEX_BYTES + 1u];
    int ok;

    if (r->repeated || r->host == NULL || strcmp(r->host, g->host) != 0)
        return MLV_DESK_BAD_HOST;
    /* Browsers say where a request comes from; "none" is the editor's own
     * doing (the address bar, a reload), which only ever reads. */
    if (r->fetch_site != NULL && strcmp(r->fetch_site, "same-origin") != 0 &&
        !(strcmp(r->fetch_site, "none") == 0 && is_read(r->method)))
        return MLV_DESK_BAD_ORIGIN;
    if (!is_read(r->method) && (r->origin == NULL || strcmp(r->origin, g->origin) != 0))
        return MLV_DESK_BAD_ORIGIN;
    if (strcmp(r->path, "/open") == 0 && is_read(r->method))
        return g->secret_live && secret_is(mlv_desk_arg(r, "k"), g->secret) ? MLV_DESK_EXCHANGE
                                                                             : MLV_DESK_NO_SESSION;
    if (!g->session_live || mlv_desk_cookie_value(r->cookie, g->cookie_name, value, sizeof value) != 0)
        return MLV_DESK_NO_SESSION;
    ok = secret_is(value, g->session);
    sodium_memzero(value, sizeof value);
    return ok ? MLV_DESK_PASS : MLV_DESK_NO_SESSION;
}

void mlv_desk_gate_exchange(mlv_desk_gate *g, char *set_cookie, size_t size)
{
    char hex[HEX_BYTES];

    sodium_memzero(g->secret, sizeof g->secret);
    g->secret_live = 0;
    randombytes_buf(g->session, sizeof g->session);
    g->session_live = 1;
    sodium_bin2hex(hex, sizeof hex, g->session, sizeof g->session);
    snprintf(set_cookie, size, "%s=%s; Path=/; HttpOnly; SameSite=Strict", g->cookie_name, hex);
    sodium_memzero(hex, sizeof hex);
}
