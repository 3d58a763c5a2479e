/* See nojs_gate.h. */
#include "nojs_gate.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

typedef struct gate_slot {
    uint64_t gen;      /* 0: free */
    uint64_t start_ms;
    uint8_t *body;     /* sodium_malloc'd */
    size_t len, got;
} gate_slot;

struct mlv_nojs_gate {
    pthread_mutex_t lock; /* the slots */
    pthread_mutex_t disk_lock;
    uint64_t min_rate, grace_ms, next_gen;
    uint64_t disk_reserved; /* envelopes being stored now */
    unsigned nslots;
    gate_slot slots[];
};

mlv_nojs_gate *mlv_nojs_gate_new(unsigned slots, uint64_t min_rate, uint64_t grace_ms)
{
    mlv_nojs_gate *g;

    if (slots == 0)
        return NULL;
    g = calloc(1, sizeof *g + (size_t)slots * sizeof g->slots[0]);
    if (g == NULL)
        return NULL;
    pthread_mutex_init(&g->lock, NULL);
    pthread_mutex_init(&g->disk_lock, NULL);
    g->min_rate = min_rate;
    g->grace_ms = grace_ms;
    g->nslots = slots;
    g->next_gen = 1;
    return g;
}

static void slot_clear(gate_slot *s)
{
    sodium_free(s->body); /* wipes the plaintext */
    memset(s, 0, sizeof *s);
}

void mlv_nojs_gate_free(mlv_nojs_gate *g)
{
    if (g == NULL)
        return;
    for (unsigned i = 0; i < g->nslots; i++)
        slot_clear(&g->slots[i]);
    pthread_mutex_destroy(&g->lock);
    pthread_mutex_destroy(&g->disk_lock);
    free(g);
}

/* Bytes the form in `s` is short of the rate at `now_ms`; 0 when it keeps
 * up, is still in its grace, or is complete (being sealed). */
static uint64_t shortfall(const mlv_nojs_gate *g, const gate_slot *s, uint64_t now_ms)
{
    uint64_t elapsed, due;

    if (s->got == s->len || now_ms <= s->start_ms + g->grace_ms)
        return 0;
    elapsed = now_ms - s->start_ms - g->grace_ms;
    /* min_rate (at most 1 MiB/s) times milliseconds: far from overflowing. */
    due = g->min_rate * elapsed / 1000u;
    return due > s->got ? due - s->got : 0;
}

/* The slot `t` names, if the ticket still holds it. */
static gate_slot *held(mlv_nojs_gate *g, const mlv_nojs_ticket *t)
{
    return t->slot < g->nslots && t->gen != 0 && g->slots[t->slot].gen == t->gen ? &g->slots[t->slot] : NULL;
}

mlv_nojs_gate_status mlv_nojs_gate_enter(mlv_nojs_gate *g, size_t len, uint64_t now_ms, mlv_nojs_ticket *t)
{
    unsigned pick = g->nslots;
    uint64_t worst = 0;
    uint8_t *body;
    gate_slot *s;
    int all_held;

    memset(t, 0, sizeof *t);
    pthread_mutex_lock(&g->lock);
    for (unsigned i = 0; i < g->nslots && pick == g->nslots; i++) {
        if (g->slots[i].gen == 0)
            pick = i;
    }
    all_held = pick == g->nslots;
    for (unsigned i = 0; all_held && i < g->nslots; i++) {
        uint64_t behind = shortfall(g, &g->slots[i], now_ms);
        if (behind > worst) {
            worst = behind;
            pick = i;
        }
    }
    if (pick < g->nslots) {
        s = &g->slots[pick];
        slot_clear(s); /* a form that fell behind: its request finds its ticket void */
        s->gen = g->next_gen++;
        s->start_ms = now_ms;
        s->len = len;
        t->slot = pick;
        t->gen = s->gen;
    }
    pthread_mutex_unlock(&g->lock);
    if (t->gen == 0)
        return MLV_NOJS_GATE_BUSY;
    /* Allocated outside the lock, once the slot is ours: a refused form
     * costs no memory. Still in its grace, the slot cannot be lost here. */
    body = sodium_malloc(len);
    pthread_mutex_lock(&g->lock);
    s = held(g, t);
    if (s != NULL && body != NULL) {
        s->body = body;
        body = NULL;
    } else {
        if (s != NULL)
            slot_clear(s);
        s = NULL;
    }
    pthread_mutex_unlock(&g->lock);
    if (s != NULL)
        return MLV_NOJS_GATE_OK;
    sodium_free(body);
    memset(t, 0, sizeof *t);
    return MLV_NOJS_GATE_NOMEM;
}

mlv_nojs_gate_status mlv_nojs_gate_feed(mlv_nojs_gate *g, const mlv_nojs_ticket *t, const void *data, size_t n,
                                        uint64_t now_ms)
{
    mlv_nojs_gate_status st = MLV_NOJS_GATE_GONE;
    gate_slot *s;

    pthread_mutex_lock(&g->lock);
    s = held(g, t);
    if (s != NULL && n <= s->len - s->got) {
        memcpy(s->body + s->got, data, n);
        s->got += n;
        if (shortfall(g, s, now_ms) == 0)
            st = MLV_NOJS_GATE_OK;
        else
            slot_clear(s);
    }
    pthread_mutex_unlock(&g->lock);
    return st;
}

const uint8_t *mlv_nojs_gate_body(mlv_nojs_gate *g, const mlv_nojs_ticket *t)
{
    const uint8_t *body = NULL;
    gate_slot *s;

    pthread_mutex_lock(&g->lock);
    s = held(g, t);
    if (s != NULL && s->got == s->len)
        body = s->body;
    pthread_mutex_unlock(&g->lock);
    return body;
}

void mlv_nojs_gate_leave(mlv_nojs_gate *g, const mlv_nojs_ticket *t)
{
    gate_slot *s;

    pthread_mutex_lock(&g->lock);
    s = held(g, t);
    if (s != NULL)
        slot_clear(s);
    pthread_mutex_unlock(&g->lock);
}

int mlv_nojs_gate_reserve_disk(mlv_nojs_gate *g, uint64_t bytes, uint64_t share, mlv_nojs_stored_fn stored, void *ctx,
                               int *full)
{
    uint64_t have = 0;
    int rc = -1;

    *full = 0;
    pthread_mutex_lock(&g->disk_lock);
    if (stored(ctx, &have) != 0)
        goto out;
    if (have > share || bytes > share - have || g->disk_reserved > share - have - bytes) {
        *full = 1;
        goto out;
    }
    g->disk_reserved += bytes;
    rc = 0;
out:
    pthread_mutex_unlock(&g->disk_lock);
    return rc;
}

void mlv_nojs_gate_release_disk(mlv_nojs_gate *g, uint64_t bytes)
{
    pthread_mutex_lock(&g->disk_lock);
    g->disk_reserved -= bytes <= g->disk_reserved ? bytes : g->disk_reserved;
    pthread_mutex_unlock(&g->disk_lock);
}
