/* See inbox.h. */
#include "inbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <malyava/keyid.h>

#include "text.h"

/* ---- matching: text.c folds ------------------------------------------------ */

static int contains(const char *hay, const char *needle_folded)
{
    char *h;
    int found;

    if (hay == NULL)
        return 0;
    if ((h = mlv_text_fold(hay)) == NULL)
        return 0;
    found = strstr(h, needle_folded) != NULL;
    sodium_memzero(h, strlen(h));
    free(h);
    return found;
}

size_t mlv_inbox_fold_record_bytes(const mlv_metadata *m)
{
    size_t n = (m->message != NULL ? strlen(m->message) : 0) + 1u;

    for (size_t i = 0; i < m->nfields; i++)
        n += strlen(m->fields[i].value) + 1u;
    for (size_t i = 0; i < m->nfiles; i++)
        n += strlen(m->files[i].name) + 1u;
    return n;
}

static char *fold_line(char *out, const char *s)
{
    size_t len = mlv_text_fold_into(s != NULL ? s : "", s != NULL ? strlen(s) : 0, out);

    out[len] = '\n';
    return out + len + 1u;
}

void mlv_inbox_fold_record_into(const mlv_metadata *m, char *out)
{
    char *p = fold_line(out, m->message);

    for (size_t i = 0; i < m->nfields; i++)
        p = fold_line(p, m->fields[i].value);
    for (size_t i = 0; i < m->nfiles; i++)
        p = fold_line(p, m->files[i].name);
    p[-1] = '\0';
}

char *mlv_inbox_fold_record(const mlv_metadata *m)
{
    char *out = malloc(mlv_inbox_fold_record_bytes(m));

    if (out != NULL)
        mlv_inbox_fold_record_into(m, out);
    return out;
}

/* ---- filters -------------------------------------------------------------- */

void mlv_inbox_filter_init(mlv_inbox_filter *f)
{
    memset(f, 0, sizeof *f);
    f->since = f->until = -1;
}

int mlv_inbox_filter_text(mlv_inbox_filter *f, const char *text)
{
    free(f->text);
    f->text = mlv_text_fold(text);
    return f->text != NULL ? 0 : -1;
}

int mlv_inbox_filter_field(mlv_inbox_filter *f, const char *name, const char *value)
{
    mlv_field *fl;

    if (f->nfields == MLV_INBOX_MAX_FIELD_FILTERS)
        return -1;
    fl = &f->fields[f->nfields];
    fl->name = strdup(name);
    fl->value = mlv_text_fold(value);
    if (fl->name == NULL || fl->value == NULL) {
        free(fl->name);
        free(fl->value);
        return -1;
    }
    f->nfields++;
    return 0;
}

void mlv_inbox_filter_clear(mlv_inbox_filter *f)
{
    for (size_t i = 0; i < f->nfields; i++) {
        free(f->fields[i].name);
        free(f->fields[i].value);
    }
    free(f->text);
    mlv_inbox_filter_init(f);
}

const char *mlv_inbox_field(const mlv_field *fields, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(fields[i].name, name) == 0)
            return fields[i].value;
    }
    return NULL;
}

static int matches_text(const mlv_inbox_item *it, const char *needle)
{
    const mlv_triage_state *s = it->state;

    if (it->folded != NULL && strstr(it->folded, needle) != NULL)
        return 1;
    for (size_t i = 0; s != NULL && i < s->ntags; i++) {
        if (contains(s->tags[i], needle))
            return 1;
    }
    return s != NULL && contains(s->text, needle);
}

static int has_tag(const mlv_triage_state *s, const char *tag)
{
    for (size_t i = 0; i < s->ntags; i++) {
        if (strcmp(s->tags[i], tag) == 0)
            return 1;
    }
    return 0;
}

static int sealed_to_has(const char *list, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = list; (p = strstr(p, name)) != NULL; p++) {
        if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return 1;
    }
    return 0;
}

static int keep(const mlv_inbox_filter *f, const mlv_inbox_item *it, int check_status)
{
    const mlv_triage_state *s = it->state;

    if ((f->since >= 0 && it->received_day < f->since) || (f->until >= 0 && it->received_day > f->until))
        return 0;
    if (!it->readable && (f->text != NULL || f->nfields > 0))
        return 0;
    if (check_status && f->status != NULL && strcmp(s->status, f->status) != 0)
        return 0;
    if (f->assignee != NULL &&
        (strcmp(f->assignee, "none") == 0 ? s->assignee != NULL
                                          : s->assignee == NULL || strcmp(s->assignee, f->assignee) != 0))
        return 0;
    if (f->tag != NULL && !has_tag(s, f->tag))
        return 0;
    if (f->sealed_to != NULL && !sealed_to_has(it->sealed_to, f->sealed_to))
        return 0;
    for (size_t i = 0; i < f->nfields; i++) {
        if (!contains(mlv_inbox_field(it->fields, it->nfields, f->fields[i].name), f->fields[i].value))
            return 0;
    }
    return f->text == NULL || matches_text(it, f->text);
}

int mlv_inbox_keep(const mlv_inbox_filter *f, const mlv_inbox_item *it)
{
    return keep(f, it, 1);
}

int mlv_inbox_keep_any_status(const mlv_inbox_filter *f, const mlv_inbox_item *it)
{
    return keep(f, it, 0);
}

void mlv_inbox_sealed_to(const mlv_vault *v, const mlv_vdb_env *e, char *out, size_t size)
{
    mlv_env_header h;
    size_t used = 0;

    out[0] = '\0';
    if (mlv_env_header_parse(e->header, e->header_len, &h) != MLV_ENV_OK) {
        snprintf(out, size, "?");
        return;
    }
    for (uint32_t i = 0; i < h.nrecipients && used + 1 < size; i++) {
        const char *name = NULL;
        char hex[MLV_KEY_ID_STR_BYTES];

        for (size_t k = 0; k < v->nrows && name == NULL; k++) {
            if (memcmp(v->rows[k].id, h.key_ids[i], MLV_KEY_ID_BYTES) == 0)
                name = v->rows[k].name;
        }
        if (name == NULL) {
            mlv_keyid_to_hex(hex, h.key_ids[i]);
            hex[8] = '\0';
            name = hex;
        }
        used += (size_t)snprintf(out + used, size - used, "%s%s", i > 0 ? "," : "", name);
    }
    if (used >= size - 1)
        memcpy(out + size - 4, "...", 4);
}

typedef struct sealed_counts {
    const mlv_vault *v;
    size_t *counts;
} sealed_counts;

static int count_sealed(void *ctx, const mlv_vdb_env *e)
{
    sealed_counts *c = ctx;
    mlv_env_header h;

    if (mlv_env_header_parse(e->header, e->header_len, &h) != MLV_ENV_OK)
        return 0;
    for (size_t k = 0; k < c->v->nrows; k++) {
        for (uint32_t i = 0; i < h.nrecipients; i++)
            c->counts[k] += memcmp(h.key_ids[i], c->v->rows[k].id, MLV_KEY_ID_BYTES) == 0;
    }
    return 0;
}

int mlv_inbox_sealed_counts(const mlv_vault *v, size_t *counts)
{
    sealed_counts c = { v, counts };

    memset(counts, 0, v->nrows * sizeof *counts);
    return mlv_vdb_env_each(v->db, count_sealed, &c) == MLV_VDB_OK ? 0 : -1;
}

/* ---- order ---------------------------------------------------------------- */

int mlv_inbox_sort_parse(const char *s, mlv_inbox_sort *out)
{
    static const char *const names[] = { "id", "received", "status", "place", "size" };

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (mlv_inbox_sort)i;
            return 0;
        }
    }
    return -1;
}

static int status_rank(const char *s)
{
    for (size_t i = 0; i < mlv_triage_nstatuses; i++) {
        if (strcmp(s, mlv_triage_statuses[i]) == 0)
            return (int)i;
    }
    return (int)mlv_triage_nstatuses;
}

typedef struct sort_ctx {
    mlv_inbox_sort by;
    int reverse;
} sort_ctx;

static int cmp_items(const void *pa, const void *pb, void *ctx)
{
    const mlv_inbox_item *a = *(const mlv_inbox_item *const *)pa, *b = *(const mlv_inbox_item *const *)pb;
    const sort_ctx *s = ctx;
    int c = 0;

    switch (s->by) {
    case MLV_INBOX_SORT_RECEIVED: c = (a->received_day > b->received_day) - (a->received_day < b->received_day); break;
    case MLV_INBOX_SORT_STATUS: c = status_rank(a->state->status) - status_rank(b->state->status); break;
    case MLV_INBOX_SORT_SIZE: c = (a->size > b->size) - (a->size < b->size); break;
    case MLV_INBOX_SORT_PLACE: {
        const char *x = mlv_inbox_field(a->fields, a->nfields, "place");
        const char *y = mlv_inbox_field(b->fields, b->nfields, "place");
        c = strcmp(x != NULL ? x : "\x7f", y != NULL ? y : "\x7f");
        break;
    }
    case MLV_INBOX_SORT_ID: break;
    }
    if (c == 0)
        c = (a->id > b->id) - (a->id < b->id);
    return s->reverse ? -c : c;
}

void mlv_inbox_sort_items(const mlv_inbox_item **items, size_t n, mlv_inbox_sort by, int reverse)
{
    sort_ctx s = { by, reverse };

    if (n > 1)
        qsort_r(items, n, sizeof *items, cmp_items, &s);
}
