/* See desk_index.h. */
#include "desk_index.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "text.h"

/* Texts are copied into blocks of this size (or one block for a larger
 * record): few enough mappings for 10,000 testimonies, small enough that
 * a vault of ten never maps much. */
#define BLOCK_BYTES (4u * 1024u * 1024u)

typedef struct block {
    struct block *next;
    size_t used, cap;
    _Alignas(max_align_t) char data[];
} block;

struct mlv_desk_index {
    block *blocks;
    size_t bytes;
    mlv_desk_entry *entries; /* in id order */
    size_t n, cap;
    mlv_triage_state *states; /* index id - 1 */
    int64_t nstates;
};

/* sodium_malloc puts a block against its guard page at the end: sizes
 * that are multiples of the strictest alignment keep every piece aligned. */
#define ALIGN_BYTES _Alignof(max_align_t)

static void *arena_alloc(mlv_desk_index *x, size_t len)
{
    block *b = x->blocks;
    void *p;

    len = (len + ALIGN_BYTES - 1u) / ALIGN_BYTES * ALIGN_BYTES;
    if (b == NULL || b->cap - b->used < len) {
        size_t cap = len > BLOCK_BYTES ? len : BLOCK_BYTES;

        if ((b = sodium_malloc(sizeof *b + cap)) == NULL)
            return NULL;
        b->next = x->blocks;
        b->used = 0;
        b->cap = cap;
        x->blocks = b;
    }
    p = b->data + b->used;
    b->used += len;
    x->bytes += len;
    return p;
}

static char *arena_strn(mlv_desk_index *x, const char *s, size_t len)
{
    char *p = arena_alloc(x, len + 1u);

    if (p != NULL) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

static void free_states(mlv_desk_index *x)
{
    for (int64_t i = 0; i < x->nstates; i++)
        mlv_triage_state_clear(&x->states[i]);
    free(x->states);
    x->states = NULL;
    x->nstates = 0;
}

void mlv_desk_index_free(mlv_desk_index *x)
{
    if (x == NULL)
        return;
    for (block *b = x->blocks, *next; b != NULL; b = next) {
        next = b->next;
        sodium_free(b); /* wipes */
    }
    free_states(x);
    free(x->entries);
    free(x);
}

typedef struct add_ctx {
    mlv_desk_index *x;
    mlv_desk_entry *e;
    int failed;
} add_ctx;

static int copy_record(void *ctx, const mlv_metadata *m)
{
    add_ctx *a = ctx;
    mlv_desk_entry *e = a->e;
    mlv_field *fields = m->nfields > 0 ? arena_alloc(a->x, m->nfields * sizeof *fields) : NULL;
    char *folded = arena_alloc(a->x, mlv_inbox_fold_record_bytes(m));

    if ((m->nfields > 0 && fields == NULL) || folded == NULL)
        goto fail;
    for (size_t i = 0; i < m->nfields; i++) {
        fields[i].name = arena_strn(a->x, m->fields[i].name, strlen(m->fields[i].name));
        fields[i].value = arena_strn(a->x, m->fields[i].value, strlen(m->fields[i].value));
        if (fields[i].name == NULL || fields[i].value == NULL)
            goto fail;
    }
    mlv_inbox_fold_record_into(m, folded);
    if (m->message != NULL) {
        size_t len = mlv_text_cut(m->message, MLV_DESK_SUMMARY_CHARS, NULL);

        if ((e->item.message = arena_strn(a->x, m->message, len)) == NULL)
            goto fail;
        e->summary_cut = len < strlen(m->message);
    }
    e->item.fields = fields;
    e->item.nfields = m->nfields;
    e->item.nfiles = m->nfiles;
    e->item.folded = folded;
    e->item.readable = 1;
    e->has_reply_key = m->has_reply_key;
    return 0;
fail:
    a->failed = 1;
    return -1;
}

static mlv_desk_entry *find(const mlv_desk_index *x, int64_t id)
{
    size_t lo = 0, hi = x->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2u;

        if (x->entries[mid].item.id == id)
            return &x->entries[mid];
        if (x->entries[mid].item.id < id)
            lo = mid + 1u;
        else
            hi = mid;
    }
    return NULL;
}

typedef struct walk {
    mlv_desk_index *x;
    const mlv_vault *v;
    int failed;
} walk;

/* Envelopes come in id order, so new ones append. */
static int add_envelope(void *ctx, const mlv_vdb_env *env)
{
    static const mlv_pay_callbacks cb = { copy_record, NULL, NULL };
    walk *w = ctx;
    mlv_desk_index *x = w->x;
    mlv_desk_entry *e = find(x, env->id);
    add_ctx a = { x, NULL, 0 };
    mlv_env_status st;

    if (e != NULL) {
        /* Known: only which keys it is sealed to can have changed (rewrap). */
        mlv_inbox_sealed_to(w->v, env, e->item.sealed_to, sizeof e->item.sealed_to);
        return 0;
    }
    if (x->n == x->cap) {
        size_t cap = x->cap * 2u + 256u;
        mlv_desk_entry *grown = realloc(x->entries, cap * sizeof *grown);

        if (grown == NULL) {
            w->failed = 1;
            return 1;
        }
        x->entries = grown;
        x->cap = cap;
    }
    e = &x->entries[x->n];
    memset(e, 0, sizeof *e);
    e->item.id = env->id;
    e->item.received_day = env->received_day;
    e->item.size = env->size;
    e->item.server_sealed = env->server_sealed;
    mlv_inbox_sealed_to(w->v, env, e->item.sealed_to, sizeof e->item.sealed_to);
    a.e = e;
    st = mlv_vault_read(w->v, env, &cb, &a, 1, NULL);
    if (a.failed) {
        w->failed = 1;
        return 1;
    }
    if (st != MLV_ENV_OK) {
        if (st != MLV_ENV_ERR_NOT_FOR_ME)
            fprintf(stderr, "malyava: testimony %lld does not open: %s\n", (long long)env->id, mlv_env_strerror(st));
        /* Listed all the same, so nothing hides; nothing of it is known. */
        e->item.message = NULL;
        e->item.fields = NULL;
        e->item.nfields = e->item.nfiles = 0;
        e->item.folded = NULL;
        e->item.readable = e->has_reply_key = e->summary_cut = 0;
    }
    x->n++;
    return 0;
}

/* Triage states again from every event; items point at them. */
static int sum_states(mlv_desk_index *x, const mlv_vault *v)
{
    int64_t max = x->n > 0 ? x->entries[x->n - 1].item.id : 0;
    mlv_triage_state *states = NULL;

    if (mlv_triage_states(v, max, &states) != 0)
        return -1;
    free_states(x);
    x->states = states;
    x->nstates = max;
    for (size_t i = 0; i < x->n; i++)
        x->entries[i].item.state = &x->states[x->entries[i].item.id - 1];
    return 0;
}

int mlv_desk_index_catch_up(mlv_desk_index *x, const mlv_vault *v)
{
    walk w = { x, v, 0 };

    if (mlv_vdb_env_each(v->db, add_envelope, &w) != MLV_VDB_OK || w.failed) {
        mlv_cli_error("cannot read the vault: %s", w.failed ? "out of memory" : mlv_vdb_reason(v->db));
        return -1;
    }
    return sum_states(x, v);
}

mlv_desk_index *mlv_desk_index_build(const mlv_vault *v)
{
    mlv_desk_index *x = calloc(1, sizeof *x);

    if (x == NULL) {
        mlv_cli_error("out of memory");
        return NULL;
    }
    if (mlv_desk_index_catch_up(x, v) != 0) {
        mlv_desk_index_free(x);
        return NULL;
    }
    return x;
}

void mlv_desk_index_apply(mlv_desk_index *x, const mlv_triage_event *ev)
{
    if (ev->envelope >= 1 && ev->envelope <= x->nstates)
        mlv_triage_apply(&x->states[ev->envelope - 1], ev);
}

size_t mlv_desk_index_count(const mlv_desk_index *x)
{
    return x->n;
}

const mlv_desk_entry *mlv_desk_index_at(const mlv_desk_index *x, size_t i)
{
    return i < x->n ? &x->entries[i] : NULL;
}

const mlv_desk_entry *mlv_desk_index_get(const mlv_desk_index *x, int64_t id)
{
    return find(x, id);
}

size_t mlv_desk_index_bytes(const mlv_desk_index *x)
{
    return x->bytes;
}

static size_t status_slot(const char *status)
{
    size_t i;

    for (i = 0; i < mlv_triage_nstatuses && strcmp(status, mlv_triage_statuses[i]) != 0; i++)
        ;
    return i;
}

int mlv_desk_index_query(const mlv_desk_index *x, const mlv_inbox_filter *f, mlv_inbox_sort by, int reverse,
                         const mlv_inbox_item ***out, size_t *n, size_t *by_status)
{
    const mlv_inbox_item **items = calloc(x->n > 0 ? x->n : 1u, sizeof *items);

    *out = NULL;
    *n = 0;
    memset(by_status, 0, mlv_triage_nstatuses * sizeof *by_status);
    if (items == NULL)
        return -1;
    for (size_t i = 0; i < x->n; i++) {
        const mlv_inbox_item *it = &x->entries[i].item;
        size_t slot;

        if (!mlv_inbox_keep_any_status(f, it))
            continue;
        slot = status_slot(it->state->status);
        if (slot < mlv_triage_nstatuses)
            by_status[slot]++;
        if (f->status == NULL || strcmp(it->state->status, f->status) == 0)
            items[(*n)++] = it;
    }
    mlv_inbox_sort_items(items, *n, by, reverse);
    *out = items;
    return 0;
}
