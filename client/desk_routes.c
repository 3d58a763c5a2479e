/*
 * Every request to the desk passes here: the gate (desk_gate.c), then one
 * route of the table below. Also the routes of the session itself (its
 * state, unlock, lock, language), the embedded files, and the helpers the
 * route files share (desk_routes.h).
 */
#include "desk_routes.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sodium.h>

#include <malyava/manifest.h>

#include "desk_assets.h"
#include "desk_http.h"
#include "desk_index.h"

#define JSON_TYPE "application/json; charset=utf-8"

static const char *const languages[] = { "en", "ru", "uk" };
static char chosen_language[4];

/* ---- shared helpers ----------------------------------------------------------- */

void mlv_desk_reply_json(mlv_desk_resp *resp, unsigned status, json_t *body)
{
    size_t len = body != NULL ? json_dumpb(body, NULL, 0, JSON_COMPACT) : 0, extra = 0, o = 0;
    char *plain = len > 0 ? malloc(len) : NULL;
    uint8_t *out = NULL;

    if (plain != NULL && json_dumpb(body, plain, len, JSON_COMPACT) == len) {
        for (size_t i = 0; i < len; i++)
            extra += (plain[i] == '<' || plain[i] == '>' || plain[i] == '&') ? 5u : 0u;
        if ((out = malloc(len + extra + 1u)) != NULL) { /* sprintf's NUL */
            for (size_t i = 0; i < len; i++) {
                if (plain[i] == '<' || plain[i] == '>' || plain[i] == '&')
                    o += (size_t)sprintf((char *)out + o, "\\u%04x", (unsigned)plain[i]);
                else
                    out[o++] = (uint8_t)plain[i];
            }
        }
    }
    if (plain != NULL) {
        sodium_memzero(plain, len);
        free(plain);
    }
    json_decref(body);
    resp->csp = mlv_desk_data_csp;
    resp->type = JSON_TYPE;
    if (out == NULL) {
        static const char oom[] = "{\"error\":\"no-memory\"}";

        resp->status = 500;
        resp->fixed = (const uint8_t *)oom;
        resp->len = sizeof oom - 1u;
        return;
    }
    resp->status = status;
    resp->body = out;
    resp->len = o;
}

void mlv_desk_reply_error(mlv_desk_resp *resp, unsigned status, const char *code, const char *detail)
{
    mlv_desk_reply_json(resp, status, json_pack("{s:s, s:o}", "error", code, "detail", mlv_desk_text(detail)));
}

void mlv_desk_reply_form_error(mlv_desk_resp *resp, mlv_desk_form_status st, const char *why)
{
    static const char *const what[] = {
        [MLV_DESK_FORM_NOT_JSON] = "the request is not a JSON object",
        [MLV_DESK_FORM_UNKNOWN] = "the request holds a member this action does not take",
        [MLV_DESK_FORM_MISSING] = "the request lacks a member this action needs",
        [MLV_DESK_FORM_BAD_VALUE] = "a member of the request has a value this action cannot take",
    };
    char detail[160];

    snprintf(detail, sizeof detail, "%s (%s)", st < sizeof what / sizeof what[0] && what[st] ? what[st] : "?", why);
    mlv_desk_reply_error(resp, 400, "bad-request", detail);
}

json_t *mlv_desk_output_json(const mlv_desk_output *o)
{
    return json_pack("{s:i, s:o, s:o}", "status", o->status, "out", mlv_desk_text(o->out), "err",
                     mlv_desk_text(o->err));
}

json_t *mlv_desk_verb_json(mlv_desk *d, char **argv, mlv_desk_resp *resp)
{
    mlv_desk_output o;
    json_t *body;

    if (mlv_desk_verb_capture(d, argv, &o) != 0) {
        mlv_desk_reply_error(resp, 500, "failed", "the command could not be run");
        return NULL;
    }
    body = mlv_desk_output_json(&o);
    mlv_desk_output_clear(&o);
    return body;
}

json_t *mlv_desk_text(const char *s)
{
    json_t *j = s != NULL ? json_string(s) : NULL;

    return j != NULL ? j : json_null();
}

json_t *mlv_desk_day(int64_t day)
{
    char text[11];

    if (day < 0)
        return json_null();
    mlv_day_format(text, day);
    return json_string(text);
}

int mlv_desk_read_form(const mlv_desk_req *r, mlv_desk_resp *resp, unsigned allowed, unsigned required, mlv_desk_form *f)
{
    const char *why = "";
    mlv_desk_form_status st;

    /* Not a type a page of another origin can post without asking first. */
    if (r->content_type == NULL || strncasecmp(r->content_type, "application/json", 16) != 0) {
        mlv_desk_reply_error(resp, 415, "bad-request", "the desk takes JSON (application/json) only");
        return -1;
    }
    st = mlv_desk_form_parse(r->body, r->body_len, allowed, required, f, &why);
    if (st != MLV_DESK_FORM_OK) {
        mlv_desk_reply_form_error(resp, st, why);
        return -1;
    }
    return 0;
}

int mlv_desk_with_stderr(int (*f)(void *ctx), void *ctx, char **text)
{
    int mem = memfd_create("malyava-desk-err", MFD_CLOEXEC), saved = -1, rc;
    off_t size;

    *text = NULL;
    fflush(stderr);
    if (mem >= 0 && (saved = fcntl(2, F_DUPFD_CLOEXEC, 3)) >= 0 && dup2(mem, 2) < 0) {
        close(saved);
        saved = -1;
    }
    rc = f(ctx);
    if (saved >= 0) {
        dup2(saved, 2);
        close(saved);
        size = lseek(mem, 0, SEEK_END);
        if (size > 0 && size < 4096 && (*text = calloc(1, (size_t)size + 1u)) != NULL &&
            pread(mem, *text, (size_t)size, 0) != size) {
            free(*text);
            *text = NULL;
        }
    }
    if (mem >= 0)
        close(mem);
    return rc;
}

/* ---- the session ------------------------------------------------------------ */

static void route_state(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    json_t *keys = json_array(), *body;
    struct rlimit rl;
    int locked = mlv_desk_is_locked(d);

    (void)r;
    for (size_t i = 0; i < d->vault.nrows; i++) {
        if (d->vault.rows[i].retired_day < 0)
            json_array_append_new(keys, json_string(d->vault.rows[i].name));
    }
    body = json_pack("{s:b, s:o, s:o, s:s, s:s, s:o, s:I, s:I, s:I, s:o, s:[sss]}", "locked", locked, "editor",
                     mlv_desk_text(locked ? NULL : d->vault.editor), "keys", keys, "lang", chosen_language, "vault",
                     d->vault_path, "home", mlv_desk_text(getenv("HOME")), "idle_seconds", (json_int_t)(d->idle_ms / 1000u), "count",
                     (json_int_t)(locked ? 0 : mlv_desk_index_count(d->index)), "index_bytes",
                     (json_int_t)(locked ? 0 : mlv_desk_index_bytes(d->index)), "memlock_bytes",
                     getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                         ? json_integer((json_int_t)rl.rlim_cur)
                         : json_null(),
                     "features", "revoke", "delete", "backup");
    mlv_desk_reply_json(resp, 200, body);
}

typedef struct unlock_call {
    mlv_desk *d;
    const char *key;
    const mlv_desk_req *r;
} unlock_call;

static int do_unlock(void *ctx)
{
    unlock_call *u = ctx;

    return mlv_desk_unlock(u->d, u->key, (const char *)u->r->body, u->r->body_len);
}

/* The passphrase is the raw body, in guarded memory, never JSON: no copy
 * of it lands in a parser's heap. */
static void route_unlock(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    unlock_call u = { d, mlv_desk_arg(r, "key"), r };
    char *why = NULL;

    if (r->content_type == NULL || strcasecmp(r->content_type, "application/octet-stream") != 0 ||
        r->body_len == 0 || r->body_len > MLV_MAX_PASSPHRASE_BYTES) {
        mlv_desk_reply_error(resp, 400, "bad-request", "the passphrase travels as application/octet-stream");
        return;
    }
    if (u.key != NULL && u.key[0] == '\0')
        u.key = NULL;
    if (mlv_desk_with_stderr(do_unlock, &u, &why) != 0) {
        mlv_desk_reply_error(resp, 403, "unlock-failed", why);
        free(why);
        return;
    }
    free(why);
    mlv_desk_touch(d);
    route_state(d, r, resp);
}

static void route_lock(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    mlv_desk_form f;

    if (mlv_desk_read_form(r, resp, 0, 0, &f) != 0)
        return;
    mlv_desk_form_clear(&f);
    mlv_desk_lock(d);
    route_state(d, r, resp);
}

static void route_lang(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    mlv_desk_form f;

    if (mlv_desk_read_form(r, resp, MLV_DESK_F_VALUE, MLV_DESK_F_VALUE, &f) != 0)
        return;
    for (size_t i = 0; i < sizeof languages / sizeof languages[0]; i++) {
        if (strcmp(f.value, languages[i]) == 0)
            snprintf(chosen_language, sizeof chosen_language, "%s", languages[i]);
    }
    mlv_desk_form_clear(&f);
    route_state(d, r, resp);
}

/* ---- files -------------------------------------------------------------------- */

const mlv_desk_asset *mlv_desk_asset_find(const char *name)
{
    for (size_t i = 0; i < mlv_desk_assets_count; i++) {
        if (strcmp(name, mlv_desk_assets[i].name) == 0)
            return &mlv_desk_assets[i];
    }
    return NULL;
}

static void serve_asset(const char *name, mlv_desk_resp *resp)
{
    const mlv_desk_asset *a = mlv_desk_asset_find(name);

    if (a == NULL) {
        mlv_desk_reply_error(resp, 404, "not-found", "no such file");
        return;
    }
    resp->status = 200;
    resp->type = a->type;
    resp->fixed = a->data;
    resp->len = a->len;
    if (strncmp(a->type, "text/html", 9) != 0)
        resp->csp = mlv_desk_data_csp;
}

static void route_page(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    (void)d;
    (void)r;
    serve_asset("index.html", resp);
}

/* Browsers ask for it on their own; an answer keeps their consoles quiet. */
static void route_icon(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    (void)d;
    (void)r;
    resp->status = 204;
    resp->csp = mlv_desk_data_csp;
}

static void route_static(mlv_desk *d, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    (void)d;
    serve_asset(r->path + strlen("/static/"), resp);
}

/* ---- the table ------------------------------------------------------------------ */

typedef struct route {
    const char *method;
    const char *path;
    int prefix;         /* path is a prefix (the files) */
    int unlocked;       /* needs the keys */
    int passive;        /* the page's polling: not the editor's doing */
    mlv_desk_route_fn run;
} route;

static const route routes[] = {
    { .method = "GET", .path = "/", .run = route_page },
    { .method = "GET", .path = "/static/", .prefix = 1, .passive = 1, .run = route_static },
    { .method = "GET", .path = "/favicon.ico", .passive = 1, .run = route_icon },
    { .method = "GET", .path = "/api/state", .passive = 1, .run = route_state },
    { .method = "POST", .path = "/api/unlock", .run = route_unlock },
    { .method = "POST", .path = "/api/lock", .run = route_lock },
    { .method = "POST", .path = "/api/lang", .run = route_lang },
    { .method = "GET", .path = "/api/inbox", .unlocked = 1, .run = mlv_desk_api_inbox },
    { .method = "GET", .path = "/api/testimony", .unlocked = 1, .run = mlv_desk_api_testimony },
    { .method = "GET", .path = "/api/preview", .unlocked = 1, .run = mlv_desk_api_preview },
    { .method = "POST", .path = "/api/triage", .unlocked = 1, .run = mlv_desk_api_triage },
    { .method = "GET", .path = "/api/folder", .unlocked = 1, .run = mlv_desk_api_folder },
    { .method = "POST", .path = "/api/import", .unlocked = 1, .run = mlv_desk_api_import },
    { .method = "POST", .path = "/api/extract", .unlocked = 1, .run = mlv_desk_api_extract },
    { .method = "POST", .path = "/api/reply", .unlocked = 1, .run = mlv_desk_api_reply },
    { .method = "GET", .path = "/api/replies", .unlocked = 1, .run = mlv_desk_api_replies },
    { .method = "POST", .path = "/api/export-replies", .unlocked = 1, .run = mlv_desk_api_export_replies },
    { .method = "GET", .path = "/api/report", .unlocked = 1, .run = mlv_desk_api_report },
    { .method = "GET", .path = "/api/report.svg", .unlocked = 1, .run = mlv_desk_api_report_svg },
    { .method = "GET", .path = "/api/keys", .unlocked = 1, .run = mlv_desk_api_keys },
    { .method = "POST", .path = "/api/keys/add", .unlocked = 1, .run = mlv_desk_api_key_add },
    { .method = "POST", .path = "/api/keys/retire", .unlocked = 1, .run = mlv_desk_api_key_retire },
    { .method = "POST", .path = "/api/keys/rewrap", .unlocked = 1, .run = mlv_desk_api_key_rewrap },
    { .method = "POST", .path = "/api/keys/revoke", .unlocked = 1, .run = mlv_desk_api_key_revoke },
    { .method = "POST", .path = "/api/delete", .unlocked = 1, .run = mlv_desk_api_delete },
    { .method = "POST", .path = "/api/backup", .unlocked = 1, .run = mlv_desk_api_backup },
};

static const char refused_text[] =
    "This desk session belongs to another browser tab, or its one-time address was used already.\n"
    "Run `malyava desk` again for a new address.\n\n"
    "Этот сеанс принадлежит другой вкладке, или его одноразовый адрес уже открыт.\n"
    "Запустите `malyava desk` ещё раз, чтобы получить новый адрес.\n\n"
    "Цей сеанс належить іншій вкладці, або його одноразову адресу вже відкрито.\n"
    "Запустіть `malyava desk` ще раз, щоб отримати нову адресу.\n";

static void refuse(mlv_desk_resp *resp, unsigned status, const char *text)
{
    resp->status = status;
    resp->type = "text/plain; charset=utf-8";
    resp->fixed = (const uint8_t *)text;
    resp->len = strlen(text);
    resp->csp = mlv_desk_data_csp;
}

void mlv_desk_handle(void *desk, const mlv_desk_req *r, mlv_desk_resp *resp)
{
    mlv_desk *d = desk;
    const route *rt = NULL;
    int path_known = 0;

    switch (mlv_desk_gate_check(d->gate, r)) {
    case MLV_DESK_PASS: break;
    case MLV_DESK_EXCHANGE:
        mlv_desk_gate_exchange(d->gate, resp->cookie, sizeof resp->cookie);
        serve_asset("open.html", resp);
        return;
    case MLV_DESK_BAD_HOST:
        refuse(resp, 421, "This desk answers only at the address `malyava desk` printed (127.0.0.1 and its port).\n");
        return;
    case MLV_DESK_BAD_ORIGIN:
        refuse(resp, 403, "Refused: this request comes from another site or page.\n");
        return;
    case MLV_DESK_NO_SESSION:
        refuse(resp, 403, refused_text);
        return;
    }
    if (r->too_many_args) {
        mlv_desk_reply_error(resp, 400, "bad-request", "too many arguments in the address");
        return;
    }
    for (size_t i = 0; i < sizeof routes / sizeof routes[0] && rt == NULL; i++) {
        int match = routes[i].prefix ? strncmp(r->path, routes[i].path, strlen(routes[i].path)) == 0
                                     : strcmp(r->path, routes[i].path) == 0;

        path_known |= match;
        if (match && strcmp(r->method, routes[i].method) == 0)
            rt = &routes[i];
    }
    if (rt == NULL) {
        mlv_desk_reply_error(resp, path_known ? 405 : 404, "not-found", "no such page or action");
        return;
    }
    if (!rt->passive)
        mlv_desk_touch(d);
    if (rt->unlocked && (mlv_desk_refresh(d, 0) != 0 || mlv_desk_is_locked(d))) {
        mlv_desk_reply_error(resp, 423, "locked", "the desk is locked; unlock it with a passphrase");
        return;
    }
    rt->run(d, r, resp);
}
