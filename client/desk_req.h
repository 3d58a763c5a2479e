/*
 * A request to the desk and its answer, as plain structs: desk_http.c
 * (the one file that speaks libmicrohttpd) fills a request and sends the
 * answer; everything else — the gate, the routes, the fuzz harness —
 * sees only these.
 *
 * Also the parsers of what a request carries: query arguments, the
 * Cookie header, and JSON bodies (one strict parser for every route,
 * told which members the route takes). Every value from a request is
 * hostile until one of these has checked it.
 */
#ifndef MALYAVA_CLIENT_DESK_REQ_H
#define MALYAVA_CLIENT_DESK_REQ_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <malyava/limits.h>

typedef struct mlv_desk_query_arg {
    const char *name;
    const char *value;
} mlv_desk_query_arg;

typedef struct mlv_desk_req {
    const char *method;
    const char *path;           /* percent-decoded, without the query */
    const char *host;           /* the headers the gate and routes act on; NULL when absent */
    const char *origin;
    const char *cookie;
    const char *content_type;
    const char *fetch_site;     /* Sec-Fetch-Site */
    int repeated;               /* one of those came more than once */
    mlv_desk_query_arg args[MLV_DESK_MAX_ARGS];
    size_t nargs;
    int too_many_args;
    const uint8_t *body;        /* guarded memory, wiped after the answer */
    size_t body_len;
} mlv_desk_req;

typedef struct mlv_desk_resp {
    unsigned status;
    const char *type;           /* Content-Type; NULL for no body */
    uint8_t *body;              /* malloc'd, wiped and freed once sent */
    size_t len;
    const uint8_t *fixed;       /* or a body that lives for ever (an embedded file) */
    const char *csp;            /* NULL: the pages' policy */
    const char *disposition;    /* Content-Disposition, or NULL */
    char cookie[192];           /* Set-Cookie, or "" */
    char location[96];          /* Location, or "" */
} mlv_desk_resp;

/* The first value of query argument `name`, or NULL. */
const char *mlv_desk_arg(const mlv_desk_req *r, const char *name);
/* A testimony number from argument `name`: 0, or -1 when absent or not
 * a number in [1, INT64_MAX]. */
int mlv_desk_arg_id(const mlv_desk_req *r, const char *name, int64_t *out);
/* A number in [0, max]; `fallback` when absent; -1 when malformed. */
int mlv_desk_arg_count(const mlv_desk_req *r, const char *name, uint64_t max, uint64_t fallback, uint64_t *out);

/* The value of cookie `name` in a Cookie header ("a=1; b=2"): 0 with it
 * copied into out (NUL-terminated), -1 when absent, repeated, or longer
 * than size - 1. */
int mlv_desk_cookie_value(const char *header, const char *name, char *out, size_t size);

/* What a route's JSON body may carry. */
enum {
    MLV_DESK_F_ID = 1u << 0,     /* "id": a testimony number */
    MLV_DESK_F_IDS = 1u << 1,    /* "ids": 1..MLV_DESK_MAX_BATCH testimony numbers */
    MLV_DESK_F_ACTION = 1u << 2, /* "action": a word */
    MLV_DESK_F_VALUE = 1u << 3,  /* "value": a triage value (status, tag, note, editor) */
    MLV_DESK_F_TEXT = 1u << 4,   /* "text": a reply */
    MLV_DESK_F_PATH = 1u << 5,   /* "path": an absolute path */
    MLV_DESK_F_ACK = 1u << 6,    /* "ack": an absolute path, or "" */
    MLV_DESK_F_NAME = 1u << 7,   /* "name": a key name */
    MLV_DESK_F_STRIP = 1u << 8,  /* "strip": true or false */
    MLV_DESK_F_ACCEPT = 1u << 9  /* "accept_dropbox": true or false (import --accept-dropbox) */
};

typedef struct mlv_desk_form {
    json_t *json;                /* owns the strings below */
    unsigned have;               /* MLV_DESK_F_* present */
    int64_t id;
    int64_t *ids;                /* malloc'd, distinct, in the order given */
    size_t nids;
    const char *action, *value, *text, *path, *ack, *name;
    int strip, accept_dropbox;
} mlv_desk_form;

typedef enum mlv_desk_form_status {
    MLV_DESK_FORM_OK = 0,
    MLV_DESK_FORM_NOT_JSON,      /* not a JSON object, or not UTF-8 */
    MLV_DESK_FORM_UNKNOWN,       /* a member this route does not take */
    MLV_DESK_FORM_MISSING,       /* a member it needs is absent */
    MLV_DESK_FORM_BAD_VALUE      /* wrong type, too long, a NUL inside, a relative path; or no memory */
} mlv_desk_form_status;

/* Parses a JSON body; `why` names the member at fault (static text). */
mlv_desk_form_status mlv_desk_form_parse(const uint8_t *body, size_t len, unsigned allowed, unsigned required,
                                         mlv_desk_form *out, const char **why);
void mlv_desk_form_clear(mlv_desk_form *f);

#endif
