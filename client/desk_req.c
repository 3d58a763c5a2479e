/* See desk_req.h. */
#include "desk_req.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <malyava/limits.h>

const char *mlv_desk_arg(const mlv_desk_req *r, const char *name)
{
    for (size_t i = 0; i < r->nargs; i++) {
        if (strcmp(r->args[i].name, name) == 0)
            return r->args[i].value != NULL ? r->args[i].value : "";
    }
    return NULL;
}

/* Decimal digits only, no sign, no spaces, within [0, max]. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (s == NULL || *s == '\0' || strlen(s) > 19)
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10u + (uint64_t)(*s - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

int mlv_desk_arg_id(const mlv_desk_req *r, const char *name, int64_t *out)
{
    uint64_t v;

    if (parse_u64(mlv_desk_arg(r, name), INT64_MAX, &v) != 0 || v == 0)
        return -1;
    *out = (int64_t)v;
    return 0;
}

int mlv_desk_arg_count(const mlv_desk_req *r, const char *name, uint64_t max, uint64_t fallback, uint64_t *out)
{
    const char *s = mlv_desk_arg(r, name);

    if (s == NULL || *s == '\0') {
        *out = fallback;
        return 0;
    }
    return parse_u64(s, max, out);
}

/* RFC 6265 §5.4 as browsers send it: pairs separated by ";", optional
 * spaces, NAME=VALUE. A name that appears twice is refused rather than
 * guessed at (a cookie set for a path could shadow ours). */
int mlv_desk_cookie_value(const char *header, const char *name, char *out, size_t size)
{
    size_t nl = strlen(name);
    int found = 0;

    if (header == NULL || size == 0)
        return -1;
    for (const char *p = header; *p != '\0';) {
        const char *end, *eq;

        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        end = strchr(p, ';');
        if (end == NULL)
            end = p + strlen(p);
        eq = memchr(p, '=', (size_t)(end - p));
        if (eq != NULL && (size_t)(eq - p) == nl && memcmp(p, name, nl) == 0) {
            size_t vl = (size_t)(end - eq - 1);

            while (vl > 0 && (eq[vl] == ' ' || eq[vl] == '\t'))
                vl--;
            if (found || vl >= size)
                return -1;
            memcpy(out, eq + 1, vl);
            out[vl] = '\0';
            found = 1;
        }
        p = end;
    }
    return found ? 0 : -1;
}

/* ---- JSON bodies ------------------------------------------------------------ */

static const struct {
    const char *name;
    unsigned flag;
} members[] = {
    { "id", MLV_DESK_F_ID },       { "ids", MLV_DESK_F_IDS },   { "action", MLV_DESK_F_ACTION },
    { "value", MLV_DESK_F_VALUE }, { "text", MLV_DESK_F_TEXT }, { "path", MLV_DESK_F_PATH },
    { "ack", MLV_DESK_F_ACK },     { "name", MLV_DESK_F_NAME }, { "strip", MLV_DESK_F_STRIP },
    { "accept_dropbox", MLV_DESK_F_ACCEPT },
};

/* A string member without NUL inside, at most `max` bytes. */
static int text_of(json_t *v, size_t min, size_t max, const char **out)
{
    size_t len;

    if (!json_is_string(v))
        return -1;
    len = json_string_length(v);
    *out = json_string_value(v);
    return len >= min && len <= max && strlen(*out) == len ? 0 : -1;
}

static int id_of(json_t *v, int64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) <= 0)
        return -1;
    *out = (int64_t)json_integer_value(v);
    return 0;
}

static int ids_of(json_t *v, mlv_desk_form *f)
{
    size_t n = json_is_array(v) ? json_array_size(v) : 0;

    if (n == 0 || n > MLV_DESK_MAX_BATCH || (f->ids = calloc(n, sizeof *f->ids)) == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int64_t id;
        size_t k;

        if (id_of(json_array_get(v, i), &id) != 0)
            return -1;
        for (k = 0; k < f->nids && f->ids[k] != id; k++)
            ;
        if (k == f->nids)
            f->ids[f->nids++] = id;
    }
    return 0;
}

static int path_of(json_t *v, int may_be_empty, const char **out)
{
    if (text_of(v, may_be_empty ? 0 : 1, PATH_MAX - 1, out) != 0)
        return -1;
    return (*out)[0] == '/' || ((*out)[0] == '\0' && may_be_empty) ? 0 : -1;
}

static int member(json_t *v, unsigned flag, mlv_desk_form *f)
{
    switch (flag) {
    case MLV_DESK_F_ID: return id_of(v, &f->id);
    case MLV_DESK_F_IDS: return ids_of(v, f);
    case MLV_DESK_F_ACTION: return text_of(v, 1, 32, &f->action);
    case MLV_DESK_F_VALUE: return text_of(v, 0, MLV_TRIAGE_MAX_VALUE_BYTES, &f->value);
    case MLV_DESK_F_TEXT: return text_of(v, 1, MLV_REPLY_MAX_TEXT_BYTES, &f->text);
    case MLV_DESK_F_PATH: return path_of(v, 0, &f->path);
    case MLV_DESK_F_ACK: return path_of(v, 1, &f->ack);
    case MLV_DESK_F_NAME: return text_of(v, 1, MLV_MAX_EDITOR_NAME_BYTES, &f->name);
    case MLV_DESK_F_STRIP:
    case MLV_DESK_F_ACCEPT:
        if (!json_is_boolean(v))
            return -1;
        *(flag == MLV_DESK_F_STRIP ? &f->strip : &f->accept_dropbox) = json_is_true(v);
        return 0;
    default: return -1;
    }
}

mlv_desk_form_status mlv_desk_form_parse(const uint8_t *body, size_t len, unsigned allowed, unsigned required,
                                         mlv_desk_form *out, const char **why)
{
    const char *key;
    json_t *value;

    memset(out, 0, sizeof *out);
    *why = "the body";
    if (body == NULL || len == 0 || len > MLV_DESK_MAX_BODY_BYTES)
        return MLV_DESK_FORM_NOT_JSON;
    out->json = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(out->json)) {
        mlv_desk_form_clear(out);
        return MLV_DESK_FORM_NOT_JSON;
    }
    json_object_foreach(out->json, key, value) {
        size_t i;

        for (i = 0; i < sizeof members / sizeof members[0] && strcmp(key, members[i].name) != 0; i++)
            ;
        if (i == sizeof members / sizeof members[0] || (allowed & members[i].flag) == 0) {
            *why = "a member this request does not take";
            mlv_desk_form_clear(out);
            return MLV_DESK_FORM_UNKNOWN;
        }
        *why = members[i].name;
        if (member(value, members[i].flag, out) != 0) {
            mlv_desk_form_clear(out);
            return MLV_DESK_FORM_BAD_VALUE;
        }
        out->have |= members[i].flag;
    }
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
        if ((required & members[i].flag) != 0 && (out->have & members[i].flag) == 0) {
            *why = members[i].name;
            mlv_desk_form_clear(out);
            return MLV_DESK_FORM_MISSING;
        }
    }
    return MLV_DESK_FORM_OK;
}

void mlv_desk_form_clear(mlv_desk_form *f)
{
    free(f->ids);
    json_decref(f->json);
    memset(f, 0, sizeof *f);
}
